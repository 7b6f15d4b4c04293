//! [`MetadataImage`]: what this broker knows of the cluster, read from the coordinator —
//! live brokers, the controller, the cluster id, topics with their ids, replica assignments,
//! partition leader/ISR/epochs, topic config overrides and topics marked for deletion.
//!
//! An image is immutable: [`super::Cluster`] builds a new one after every change it sees and
//! swaps it in as an `Arc`, so handlers take a cheap snapshot ([`super::Cluster::image`]) and
//! read it without locks. Nothing here does I/O.

use std::collections::{BTreeMap, BTreeSet};

use common::zk_layout::{EndPoint, TopicAssignment, Uuid};

/// A live broker: its registration under `/brokers/ids/<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    pub id: i32,
    pub endpoints: Vec<EndPoint>,
    pub rack: Option<String>,
    /// The broker epoch: the czxid of its registration node.
    pub epoch: i64,
}

impl BrokerInfo {
    /// The endpoint clients of `listener_name` are told to use.
    pub fn endpoint(&self, listener_name: &str) -> Option<&EndPoint> {
        self.endpoints
            .iter()
            .find(|endpoint| endpoint.listener_name == listener_name)
    }
}

/// Leader and ISR of a partition, from `/brokers/topics/<t>/partitions/<p>/state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderAndIsr {
    /// -1: no leader.
    pub leader: i32,
    pub leader_epoch: i32,
    pub isr: Vec<i32>,
    pub controller_epoch: i32,
    /// The state node's version: the partition epoch, expected by conditional updates.
    pub zk_version: i32,
}

/// One partition of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionImage {
    /// Replicas, preferred leader first. While a reassignment is pending (KIP-455) this is
    /// the target replicas followed by the original ones not in the target.
    pub replicas: Vec<i32>,
    /// Replicas a pending reassignment adds (target − original); empty when none is pending.
    pub adding: Vec<i32>,
    /// Replicas a pending reassignment removes (original − target).
    pub removing: Vec<i32>,
    /// `None` until the controller wrote the partition's state.
    pub state: Option<LeaderAndIsr>,
}

impl PartitionImage {
    /// The leader, when there is one.
    pub fn leader(&self) -> Option<i32> {
        self.state
            .as_ref()
            .map(|state| state.leader)
            .filter(|leader| *leader >= 0)
    }

    /// A partition whose replicas are `replicas`, no reassignment pending, no state yet.
    pub fn new(replicas: Vec<i32>) -> Self {
        PartitionImage {
            replicas,
            adding: Vec::new(),
            removing: Vec::new(),
            state: None,
        }
    }

    /// True while a reassignment of this partition is pending.
    pub fn is_reassigning(&self) -> bool {
        !self.adding.is_empty() || !self.removing.is_empty()
    }

    /// The replicas before the pending reassignment (all of them when none is pending).
    pub fn original_replicas(&self) -> Vec<i32> {
        self.replicas
            .iter()
            .copied()
            .filter(|replica| !self.adding.contains(replica))
            .collect()
    }

    /// The replicas the pending reassignment ends with (all of them when none is pending).
    pub fn target_replicas(&self) -> Vec<i32> {
        self.replicas
            .iter()
            .copied()
            .filter(|replica| !self.removing.contains(replica))
            .collect()
    }

    /// The ISR, empty before the controller wrote the partition's state.
    pub fn isr(&self) -> &[i32] {
        self.state
            .as_ref()
            .map_or(&[], |state| state.isr.as_slice())
    }
}

/// One topic: `/brokers/topics/<t>` plus its partition states and `/config/topics/<t>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicImage {
    pub topic_id: Option<Uuid>,
    pub partitions: BTreeMap<i32, PartitionImage>,
    /// Config overrides (`retention.ms` → `1000`).
    pub config: BTreeMap<String, String>,
    /// The version of `/brokers/topics/<t>`, expected when the assignment is extended.
    pub zk_version: i32,
}

impl TopicImage {
    /// The topic's `/brokers/topics/<t>` record as this image knows it: replicas, pending
    /// reassignments and the topic id.
    pub fn to_assignment(&self) -> TopicAssignment {
        let mut record = TopicAssignment {
            topic_id: self.topic_id,
            ..TopicAssignment::default()
        };
        for (index, partition) in &self.partitions {
            record.partitions.insert(*index, partition.replicas.clone());
            if !partition.adding.is_empty() {
                record
                    .adding_replicas
                    .insert(*index, partition.adding.clone());
            }
            if !partition.removing.is_empty() {
                record
                    .removing_replicas
                    .insert(*index, partition.removing.clone());
            }
        }
        record
    }
}

/// Where a partition stands from this broker's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leadership {
    /// This broker leads it.
    Local,
    /// Another broker leads it, or it has no leader right now.
    NotLeader,
    /// No such topic or partition.
    Unknown,
}

/// A snapshot of the cluster metadata.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetadataImage {
    /// False until the first complete read: an empty image before that means "unknown",
    /// not "no topics".
    pub loaded: bool,
    pub cluster_id: String,
    pub controller_id: Option<i32>,
    pub brokers: BTreeMap<i32, BrokerInfo>,
    pub topics: BTreeMap<String, TopicImage>,
    /// Children of `/admin/delete_topics`.
    pub topics_marked_for_deletion: BTreeSet<String>,
    /// Brokers in controlled shutdown (children of `/admin/controlled_shutdown`): the
    /// controller moves leadership and ISR membership away from them.
    pub shutting_down: BTreeSet<i32>,
}

impl MetadataImage {
    /// Ids of the live (registered) brokers, ascending.
    pub fn live_broker_ids(&self) -> Vec<i32> {
        self.brokers.keys().copied().collect()
    }

    pub fn is_live(&self, broker_id: i32) -> bool {
        self.brokers.contains_key(&broker_id)
    }

    /// Live and not shutting down: may lead and stay in ISRs.
    pub fn is_eligible(&self, broker_id: i32) -> bool {
        self.is_live(broker_id) && !self.shutting_down.contains(&broker_id)
    }

    pub fn topic(&self, name: &str) -> Option<&TopicImage> {
        self.topics.get(name)
    }

    pub fn partition(&self, topic: &str, partition: i32) -> Option<&PartitionImage> {
        self.topics
            .get(topic)
            .and_then(|topic| topic.partitions.get(&partition))
    }

    /// The name of the topic with id `topic_id`.
    pub fn topic_name_by_id(&self, topic_id: &Uuid) -> Option<&str> {
        self.topics
            .iter()
            .find(|(_, topic)| topic.topic_id.as_ref() == Some(topic_id))
            .map(|(name, _)| name.as_str())
    }

    /// The overrides of `topic`, when the topic exists.
    pub fn topic_config(&self, topic: &str) -> Option<BTreeMap<String, String>> {
        self.topics.get(topic).map(|topic| topic.config.clone())
    }

    /// Whether `broker_id` leads `topic`/`partition`.
    pub fn leadership(&self, broker_id: i32, topic: &str, partition: i32) -> Leadership {
        match self.partition(topic, partition) {
            None => Leadership::Unknown,
            Some(image) if image.leader() == Some(broker_id) => Leadership::Local,
            Some(_) => Leadership::NotLeader,
        }
    }

    /// Partitions whose replica list holds `broker_id`: the logs it must host.
    pub fn hosted_partitions(&self, broker_id: i32) -> Vec<(String, i32)> {
        let mut hosted = Vec::new();
        for (name, topic) in &self.topics {
            for (index, partition) in &topic.partitions {
                if partition.replicas.contains(&broker_id) {
                    hosted.push((name.clone(), *index));
                }
            }
        }
        hosted
    }

    /// True when every partition of `topic` has a live leader.
    pub fn all_leaders_elected(&self, topic: &str) -> bool {
        match self.topics.get(topic) {
            None => false,
            Some(image) => image.partitions.values().all(|partition| {
                partition
                    .leader()
                    .is_some_and(|leader| self.is_live(leader))
            }),
        }
    }
}

/// An image (for tests) with `live` registered brokers and nothing else.
#[cfg(test)]
pub(crate) fn live_brokers(live: &[i32]) -> MetadataImage {
    let mut image = MetadataImage::default();
    for id in live {
        image.brokers.insert(
            *id,
            BrokerInfo {
                id: *id,
                endpoints: Vec::new(),
                rack: None,
                epoch: 1,
            },
        );
    }
    image
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn image_with_partition(leader: i32) -> MetadataImage {
        let mut image = MetadataImage::default();
        image.brokers.insert(
            1,
            BrokerInfo {
                id: 1,
                endpoints: Vec::new(),
                rack: None,
                epoch: 5,
            },
        );
        let mut topic = TopicImage::default();
        topic.partitions.insert(
            0,
            PartitionImage {
                replicas: vec![1, 2],
                adding: Vec::new(),
                removing: Vec::new(),
                state: Some(LeaderAndIsr {
                    leader,
                    leader_epoch: 0,
                    isr: vec![1, 2],
                    controller_epoch: 1,
                    zk_version: 0,
                }),
            },
        );
        topic.partitions.insert(1, PartitionImage::new(vec![2, 1]));
        image.topics.insert("t".to_owned(), topic);
        image
    }

    #[test]
    fn leadership_tells_local_remote_and_unknown_apart() {
        let image = image_with_partition(1);
        assert_eq!(image.leadership(1, "t", 0), Leadership::Local);
        assert_eq!(image.leadership(2, "t", 0), Leadership::NotLeader);
        assert_eq!(image.leadership(1, "t", 1), Leadership::NotLeader);
        assert_eq!(image.leadership(1, "t", 9), Leadership::Unknown);
        assert_eq!(image.leadership(1, "other", 0), Leadership::Unknown);
        let leaderless = image_with_partition(-1);
        assert_eq!(leaderless.leadership(1, "t", 0), Leadership::NotLeader);
    }

    #[test]
    fn hosted_partitions_follow_replica_lists() {
        let image = image_with_partition(1);
        assert_eq!(
            image.hosted_partitions(1),
            vec![("t".to_owned(), 0), ("t".to_owned(), 1)]
        );
        assert!(image.hosted_partitions(3).is_empty());
    }

    #[test]
    fn leaders_are_elected_only_when_every_partition_has_a_live_one() {
        let mut image = image_with_partition(1);
        assert!(!image.all_leaders_elected("t"));
        image.topics.get_mut("t").unwrap().partitions.remove(&1);
        assert!(image.all_leaders_elected("t"));
        image.brokers.clear();
        assert!(!image.all_leaders_elected("t"));
        assert!(!image.all_leaders_elected("missing"));
    }
}
