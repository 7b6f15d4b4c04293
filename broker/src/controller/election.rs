//! Leader elections the controller runs on request (ElectLeaders) or on its own timer
//! (the automatic preferred leader rebalance), decided from a [`MetadataImage`] alone: no
//! I/O, the caller executes the returned [`ControllerAction`]s under its controllership.
//!
//! Kafka 3.x (ZooKeeper mode) rules, per partition:
//!
//! - unknown topic or partition → [`ElectionError::UnknownTopicOrPartition`]; a topic
//!   marked for deletion → [`ElectionError::TopicBeingDeleted`];
//! - PREFERRED: the preferred replica (first in the assignment) already leads →
//!   [`ElectionError::ElectionNotNeeded`]; else it must be live, not in controlled shutdown
//!   and in the ISR, and becomes leader with the ISR unchanged, else
//!   [`ElectionError::PreferredLeaderNotAvailable`];
//! - UNCLEAN: a live leader (registered, not shutting down) → ElectionNotNeeded; else the
//!   first replica in assignment order that is live and in the ISR leads, the ISR shrinking
//!   to its live members; without one, the first live replica leads with the ISR `[it]`;
//!   without any live replica → [`ElectionError::EligibleLeadersNotAvailable`].
//!
//! Every new leader bumps the leader epoch; the write is conditional on the state node's
//! version ([`ControllerAction::UpdatePartitionState`]), so an election planned on a stale
//! image changes nothing.
//!
//! [`plan_rebalance`] is Kafka's leader imbalance check: partitions are grouped by their
//! preferred replica; a broker whose share of partitions led by someone else exceeds
//! `leader.imbalance.per.broker.percentage` gets preferred elections for those of them whose
//! preferred replica can lead (live, not shutting down, in the ISR) and that are not being
//! reassigned.

use std::collections::BTreeMap;

use super::plan::{new_state, ControllerAction};
use crate::cluster::image::{LeaderAndIsr, MetadataImage, PartitionImage};
use crate::log::TopicPartition;

/// ElectLeaders' election types (`ElectionType` of Kafka's admin API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElectionType {
    Preferred,
    Unclean,
}

impl ElectionType {
    /// Parses a name in any case (`kafka-leader-election --election-type`).
    pub fn parse(name: &str) -> Option<ElectionType> {
        if name.eq_ignore_ascii_case("preferred") {
            Some(ElectionType::Preferred)
        } else if name.eq_ignore_ascii_case("unclean") {
            Some(ElectionType::Unclean)
        } else {
            None
        }
    }

    /// The wire value: 0 preferred, 1 unclean.
    pub fn from_wire(value: i8) -> Option<ElectionType> {
        match value {
            0 => Some(ElectionType::Preferred),
            1 => Some(ElectionType::Unclean),
            _ => None,
        }
    }

    pub fn to_wire(self) -> i8 {
        match self {
            ElectionType::Preferred => 0,
            ElectionType::Unclean => 1,
        }
    }
}

impl std::fmt::Display for ElectionType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ElectionType::Preferred => "PREFERRED",
            ElectionType::Unclean => "UNCLEAN",
        })
    }
}

/// Why a partition gets no new leader (messages as Kafka's controller words them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElectionError {
    #[error("Leader election not needed for topic partition.")]
    ElectionNotNeeded,
    #[error("Failed to elect leader for partition {partition} under strategy PreferredReplicaPartitionLeaderElectionStrategy")]
    PreferredLeaderNotAvailable { partition: TopicPartition },
    #[error("Failed to elect leader for partition {partition} under strategy OfflinePartitionLeaderElectionStrategy(true)")]
    EligibleLeadersNotAvailable { partition: TopicPartition },
    #[error("The partition does not exist.")]
    UnknownTopicOrPartition,
    #[error("The topic is being deleted")]
    TopicBeingDeleted,
}

/// A planned election: the state written and the version it replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elected {
    pub leader: i32,
    pub leader_epoch: i32,
    /// The state node's version the write expects; once the image shows a newer version
    /// the write (or a competing one) has landed.
    pub expected_version: i32,
}

/// What [`plan_elections`] decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ElectionPlan {
    pub actions: Vec<ControllerAction>,
    pub outcomes: BTreeMap<TopicPartition, Result<Elected, ElectionError>>,
}

/// Every partition of every topic in `image`, in order (ElectLeaders with null partitions).
pub fn all_partitions(image: &MetadataImage) -> Vec<TopicPartition> {
    let mut all = Vec::new();
    for (name, topic) in &image.topics {
        for index in topic.partitions.keys() {
            all.push(TopicPartition::new(name.clone(), *index));
        }
    }
    all
}

/// Plans `election_type` elections for `partitions`; brokers in controlled shutdown (the
/// image's `shutting_down`) are never elected.
pub fn plan_elections(
    image: &MetadataImage,
    partitions: impl IntoIterator<Item = TopicPartition>,
    election_type: ElectionType,
    controller_epoch: i32,
) -> ElectionPlan {
    let mut plan = ElectionPlan::default();
    let available = |id: i32| image.is_eligible(id);
    for topic_partition in partitions {
        let outcome = match image.partition(&topic_partition.topic, topic_partition.partition) {
            None => Err(ElectionError::UnknownTopicOrPartition),
            Some(_)
                if image
                    .topics_marked_for_deletion
                    .contains(&topic_partition.topic) =>
            {
                Err(ElectionError::TopicBeingDeleted)
            }
            Some(partition) => {
                let elected = match election_type {
                    ElectionType::Preferred => {
                        elect_preferred(&topic_partition, partition, available)
                    }
                    ElectionType::Unclean => elect_unclean(&topic_partition, partition, available),
                };
                elected.map(|(leader, isr, current)| {
                    let leader_epoch = current.leader_epoch.saturating_add(1);
                    plan.actions.push(ControllerAction::UpdatePartitionState {
                        topic: topic_partition.topic.clone(),
                        partition: topic_partition.partition,
                        state: new_state(leader, leader_epoch, isr, controller_epoch),
                        expected_version: current.zk_version,
                    });
                    Elected {
                        leader,
                        leader_epoch,
                        expected_version: current.zk_version,
                    }
                })
            }
        };
        plan.outcomes.insert(topic_partition, outcome);
    }
    plan
}

/// The new leader and ISR, and the state they replace.
type Election<'a> = Result<(i32, Vec<i32>, &'a LeaderAndIsr), ElectionError>;

fn elect_preferred<'a>(
    topic_partition: &TopicPartition,
    partition: &'a PartitionImage,
    available: impl Fn(i32) -> bool,
) -> Election<'a> {
    let preferred = partition.replicas.first().copied();
    let not_available = || ElectionError::PreferredLeaderNotAvailable {
        partition: topic_partition.clone(),
    };
    let Some(state) = &partition.state else {
        return Err(not_available());
    };
    let Some(preferred) = preferred else {
        return Err(not_available());
    };
    if state.leader == preferred {
        return Err(ElectionError::ElectionNotNeeded);
    }
    if !available(preferred) || !state.isr.contains(&preferred) {
        return Err(not_available());
    }
    Ok((preferred, state.isr.clone(), state))
}

fn elect_unclean<'a>(
    topic_partition: &TopicPartition,
    partition: &'a PartitionImage,
    available: impl Fn(i32) -> bool,
) -> Election<'a> {
    let not_available = || ElectionError::EligibleLeadersNotAvailable {
        partition: topic_partition.clone(),
    };
    let Some(state) = &partition.state else {
        return Err(not_available());
    };
    if state.leader >= 0 && available(state.leader) {
        return Err(ElectionError::ElectionNotNeeded);
    }
    let from_isr = partition
        .replicas
        .iter()
        .copied()
        .find(|replica| available(*replica) && state.isr.contains(replica));
    if let Some(leader) = from_isr {
        let isr = state
            .isr
            .iter()
            .copied()
            .filter(|member| available(*member))
            .collect();
        return Ok((leader, isr, state));
    }
    match partition
        .replicas
        .iter()
        .copied()
        .find(|replica| available(*replica))
    {
        Some(leader) => Ok((leader, vec![leader], state)),
        None => Err(not_available()),
    }
}

/// One preferred broker's leader imbalance.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerImbalance {
    pub broker: i32,
    /// Partitions whose preferred replica is this broker.
    pub preferred: usize,
    /// How many of them another broker (or nobody) leads.
    pub led_elsewhere: usize,
    /// `led_elsewhere / preferred`.
    pub ratio: f64,
}

/// What [`plan_rebalance`] found: the imbalance per preferred broker and the partitions to
/// run preferred elections for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RebalancePlan {
    pub imbalance: Vec<BrokerImbalance>,
    pub elections: Vec<TopicPartition>,
}

/// Kafka's automatic leader rebalance check with `leader.imbalance.per.broker.percentage`
/// `percentage` (see the module docs).
pub fn plan_rebalance(image: &MetadataImage, percentage: i32) -> RebalancePlan {
    let mut by_preferred: BTreeMap<i32, Vec<(TopicPartition, &PartitionImage)>> = BTreeMap::new();
    for (name, topic) in &image.topics {
        if image.topics_marked_for_deletion.contains(name) {
            continue;
        }
        for (index, partition) in &topic.partitions {
            if let Some(preferred) = partition.replicas.first() {
                by_preferred
                    .entry(*preferred)
                    .or_default()
                    .push((TopicPartition::new(name.clone(), *index), partition));
            }
        }
    }
    let threshold = f64::from(percentage) / 100.0;
    let mut plan = RebalancePlan::default();
    for (broker, partitions) in by_preferred {
        let led_elsewhere: Vec<&(TopicPartition, &PartitionImage)> = partitions
            .iter()
            .filter(|(_, partition)| {
                partition
                    .state
                    .as_ref()
                    .is_some_and(|state| state.leader != broker)
            })
            .collect();
        // Counts of partitions fit an f64 exactly far beyond any real cluster.
        #[allow(clippy::cast_precision_loss)]
        let ratio = led_elsewhere.len() as f64 / partitions.len() as f64;
        plan.imbalance.push(BrokerImbalance {
            broker,
            preferred: partitions.len(),
            led_elsewhere: led_elsewhere.len(),
            ratio,
        });
        if ratio <= threshold {
            continue;
        }
        let can_lead = |partition: &PartitionImage| {
            image.is_eligible(broker)
                && partition.isr().contains(&broker)
                && !partition.is_reassigning()
        };
        for (topic_partition, partition) in led_elsewhere {
            if can_lead(partition) {
                plan.elections.push(topic_partition.clone());
            }
        }
    }
    plan
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::cluster::image::live_brokers as image;

    fn add(image: &mut MetadataImage, topic: &str, replicas: &[i32], leader: i32, isr: &[i32]) {
        let topic = image.topics.entry(topic.to_owned()).or_default();
        let index = i32::try_from(topic.partitions.len()).unwrap();
        topic.partitions.insert(
            index,
            PartitionImage {
                state: Some(LeaderAndIsr {
                    leader,
                    leader_epoch: 3,
                    isr: isr.to_vec(),
                    controller_epoch: 1,
                    zk_version: 7,
                }),
                ..PartitionImage::new(replicas.to_vec())
            },
        );
    }

    fn tp(topic: &str, partition: i32) -> TopicPartition {
        TopicPartition::new(topic, partition)
    }

    #[test]
    fn preferred_election_moves_leadership_back_with_a_bumped_epoch() {
        let mut image = image(&[1, 2, 3]);
        add(&mut image, "t", &[1, 2, 3], 2, &[2, 3, 1]);
        let plan = plan_elections(&image, [tp("t", 0)], ElectionType::Preferred, 9);
        assert_eq!(
            plan.outcomes[&tp("t", 0)],
            Ok(Elected {
                leader: 1,
                leader_epoch: 4,
                expected_version: 7
            })
        );
        assert_eq!(
            plan.actions,
            vec![ControllerAction::UpdatePartitionState {
                topic: "t".to_owned(),
                partition: 0,
                state: new_state(1, 4, vec![2, 3, 1], 9),
                expected_version: 7,
            }]
        );
    }

    #[test]
    fn preferred_election_needs_a_live_in_sync_preferred_replica_not_shutting_down() {
        let mut image = image(&[1, 2]);
        add(&mut image, "t", &[1, 2], 1, &[1, 2]); // already leads
        add(&mut image, "t", &[3, 2], 2, &[2, 3]); // 3 is not live
        add(&mut image, "t", &[1, 2], 2, &[2]); // 1 is not in the ISR
        add(&mut image, "t", &[2, 1], 1, &[1, 2]); // 2 shuts down
        image.shutting_down = [2].into();
        let plan = plan_elections(
            &image,
            (0..5).map(|partition| tp("t", partition)),
            ElectionType::Preferred,
            1,
        );
        assert!(plan.actions.is_empty());
        assert_eq!(
            plan.outcomes[&tp("t", 0)],
            Err(ElectionError::ElectionNotNeeded)
        );
        for partition in 1..4 {
            assert_eq!(
                plan.outcomes[&tp("t", partition)],
                Err(ElectionError::PreferredLeaderNotAvailable {
                    partition: tp("t", partition)
                })
            );
        }
        assert_eq!(
            plan.outcomes[&tp("t", 4)],
            Err(ElectionError::UnknownTopicOrPartition)
        );
        assert_eq!(
            plan.outcomes[&tp("t", 1)].as_ref().unwrap_err().to_string(),
            "Failed to elect leader for partition t-1 under strategy PreferredReplicaPartitionLeaderElectionStrategy"
        );
    }

    #[test]
    fn unclean_election_prefers_the_isr_then_any_live_replica() {
        let mut image = image(&[2, 3]);
        add(&mut image, "t", &[1, 2, 3], 1, &[1, 3]); // dead leader, 3 in ISR
        add(&mut image, "t", &[1, 3, 2], -1, &[1]); // only 1 in the ISR, dead
        add(&mut image, "t", &[1, 4], -1, &[1]); // nobody live
        add(&mut image, "t", &[2, 3], 3, &[3]); // live leader
        let plan = plan_elections(
            &image,
            (0..4).map(|partition| tp("t", partition)),
            ElectionType::Unclean,
            2,
        );
        assert_eq!(
            plan.actions,
            vec![
                ControllerAction::UpdatePartitionState {
                    topic: "t".to_owned(),
                    partition: 0,
                    state: new_state(3, 4, vec![3], 2),
                    expected_version: 7,
                },
                ControllerAction::UpdatePartitionState {
                    topic: "t".to_owned(),
                    partition: 1,
                    state: new_state(3, 4, vec![3], 2),
                    expected_version: 7,
                },
            ]
        );
        assert_eq!(
            plan.outcomes[&tp("t", 2)],
            Err(ElectionError::EligibleLeadersNotAvailable {
                partition: tp("t", 2)
            })
        );
        assert_eq!(
            plan.outcomes[&tp("t", 3)],
            Err(ElectionError::ElectionNotNeeded)
        );
    }

    #[test]
    fn unclean_election_replaces_a_leader_in_controlled_shutdown() {
        let mut image = image(&[1, 2]);
        add(&mut image, "t", &[1, 2], 1, &[1, 2]);
        image.shutting_down = [1].into();
        let plan = plan_elections(&image, [tp("t", 0)], ElectionType::Unclean, 1);
        assert_eq!(plan.outcomes[&tp("t", 0)].as_ref().unwrap().leader, 2);
    }

    #[test]
    fn topics_marked_for_deletion_are_not_elected() {
        let mut image = image(&[1, 2]);
        add(&mut image, "gone", &[1, 2], 2, &[1, 2]);
        image.topics_marked_for_deletion.insert("gone".to_owned());
        let plan = plan_elections(&image, [tp("gone", 0)], ElectionType::Preferred, 1);
        assert_eq!(
            plan.outcomes[&tp("gone", 0)],
            Err(ElectionError::TopicBeingDeleted)
        );
        assert_eq!(all_partitions(&image), vec![tp("gone", 0)]);
    }

    #[test]
    fn wire_values_of_election_types() {
        assert_eq!(ElectionType::from_wire(0), Some(ElectionType::Preferred));
        assert_eq!(ElectionType::from_wire(1), Some(ElectionType::Unclean));
        assert_eq!(ElectionType::from_wire(2), None);
        assert_eq!(ElectionType::Unclean.to_wire(), 1);
        assert_eq!(ElectionType::Preferred.to_string(), "PREFERRED");
    }

    #[test]
    fn rebalance_runs_only_past_the_imbalance_percentage() {
        let mut image = image(&[1, 2, 3]);
        // Broker 1 prefers 4 partitions and leads 3: 25% imbalance.
        add(&mut image, "t", &[1, 2], 1, &[1, 2]);
        add(&mut image, "t", &[1, 2], 1, &[1, 2]);
        add(&mut image, "t", &[1, 2], 1, &[1, 2]);
        add(&mut image, "t", &[1, 2], 2, &[1, 2]);
        // Broker 3 prefers 2 and leads none; one of them has 3 out of the ISR.
        add(&mut image, "t", &[3, 2], 2, &[2, 3]);
        add(&mut image, "t", &[3, 2], 2, &[2]);
        let plan = plan_rebalance(&image, 10);
        assert_eq!(plan.elections, vec![tp("t", 3), tp("t", 4)]);
        assert_eq!(plan.imbalance.len(), 2);
        assert_eq!(plan.imbalance[0].broker, 1);
        assert!((plan.imbalance[0].ratio - 0.25).abs() < 1e-9);
        assert_eq!(plan.imbalance[1].led_elsewhere, 2);
        let relaxed = plan_rebalance(&image, 30);
        assert_eq!(relaxed.elections, vec![tp("t", 4)]);
    }

    #[test]
    fn rebalance_skips_shutting_down_dead_reassigning_and_deleted() {
        let mut image = image(&[1, 2]);
        add(&mut image, "t", &[1, 2], 2, &[1, 2]);
        let mut leaving = image.clone();
        leaving.shutting_down = [1].into();
        assert!(plan_rebalance(&leaving, 10).elections.is_empty());
        let mut reassigning = image.clone();
        let partition = reassigning
            .topics
            .get_mut("t")
            .unwrap()
            .partitions
            .get_mut(&0)
            .unwrap();
        partition.replicas = vec![1, 2, 3];
        partition.adding = vec![3];
        assert!(plan_rebalance(&reassigning, 10).elections.is_empty());
        let mut deleted = image.clone();
        deleted.topics_marked_for_deletion.insert("t".to_owned());
        assert!(plan_rebalance(&deleted, 10).imbalance.is_empty());
        image.brokers.remove(&1);
        assert!(plan_rebalance(&image, 10).elections.is_empty());
    }
}
