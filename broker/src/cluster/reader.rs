//! Reads the whole cluster state from the coordinator into a [`MetadataImage`], arming a
//! one-shot watch on every node it depends on.
//!
//! A topic's pending reassignments (`adding_replicas` / `removing_replicas` of its
//! assignment record) land in each [`PartitionImage`]'s `adding` and `removing`.
//!
//! Watched: `/controller` (data or existence), `/brokers/ids` (children) and each
//! registration, `/brokers/topics` (children), each topic's assignment and each partition's
//! state node (data, or existence while it does not exist yet), `/admin/delete_topics`
//! (children), `/admin/controlled_shutdown` (children: brokers in controlled shutdown) and
//! `/config/changes` (children: a new notification means some entity's
//! config changed, so `/config/topics/<t>` is re-read on the next pass).
//!
//! [`Watches`] keeps one armed watch per (kind, path): a path whose watch has not fired yet
//! is read without a new watch (the armed one still covers it). A fired watch removes its
//! key and wakes the refresh loop through a shared `Notify`, which coalesces bursts. A
//! full re-read per change is simple and exact; its cost grows with the number of
//! partitions, which is fine at the sizes this broker targets today.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use common::zk_layout::{
    paths, BrokerRegistration, ControllerRecord, EntityConfig, PartitionState, TopicAssignment,
};
use tokio::sync::Notify;
use zookeeper_client::{Client, OneshotWatcher, Stat};

use super::error::ClusterError;
use super::image::{BrokerInfo, LeaderAndIsr, MetadataImage, PartitionImage, TopicImage};

/// The watches armed in one session.
#[derive(Debug, Clone)]
pub struct Watches {
    armed: Arc<Mutex<HashSet<String>>>,
    notify: Arc<Notify>,
}

impl Watches {
    pub fn new(notify: Arc<Notify>) -> Self {
        Watches {
            armed: Arc::new(Mutex::new(HashSet::new())),
            notify,
        }
    }

    /// True (and marks it armed) when `key` has no armed watch.
    fn claim(&self, key: &str) -> bool {
        match self.armed.lock() {
            Ok(mut armed) => armed.insert(key.to_owned()),
            Err(_) => false,
        }
    }

    fn release(&self, key: &str) {
        if let Ok(mut armed) = self.armed.lock() {
            armed.remove(key);
        }
    }

    /// Waits for `watcher` on its own task; when it fires, frees `key` and wakes the loop.
    fn spawn(&self, key: String, watcher: OneshotWatcher) {
        let watches = self.clone();
        tokio::spawn(async move {
            let event = watcher.changed().await;
            tracing::trace!(?event.event_type, path = %event.path, "watch fired");
            watches.release(&key);
            watches.notify.notify_one();
        });
    }
}

/// Children of `path` (none when it does not exist), watched.
async fn children(
    client: &Client,
    watches: &Watches,
    path: &str,
) -> Result<Vec<String>, ClusterError> {
    let key = format!("c:{path}");
    if !watches.claim(&key) {
        return match client.list_children(path).await {
            Ok(children) => Ok(children),
            Err(zookeeper_client::Error::NoNode) => Ok(Vec::new()),
            Err(source) => Err(ClusterError::zookeeper("list", path)(source)),
        };
    }
    match client.list_and_watch_children(path).await {
        Ok((children, watcher)) => {
            watches.spawn(key, watcher);
            Ok(children)
        }
        Err(zookeeper_client::Error::NoNode) => {
            watches.release(&key);
            Ok(Vec::new())
        }
        Err(source) => {
            watches.release(&key);
            Err(ClusterError::zookeeper("list", path)(source))
        }
    }
}

/// Data of `path` (`None` when it does not exist), watched for change, deletion or
/// creation.
async fn data(
    client: &Client,
    watches: &Watches,
    path: &str,
) -> Result<Option<(Vec<u8>, Stat)>, ClusterError> {
    let key = format!("d:{path}");
    if !watches.claim(&key) {
        return plain_data(client, path).await;
    }
    match client.get_and_watch_data(path).await {
        Ok((bytes, stat, watcher)) => {
            watches.spawn(key, watcher);
            Ok(Some((bytes, stat)))
        }
        Err(zookeeper_client::Error::NoNode) => match client.check_and_watch_stat(path).await {
            Ok((stat, watcher)) => {
                watches.spawn(key, watcher);
                match stat {
                    // Created between the two calls: the existence watch covers it.
                    Some(_) => plain_data(client, path).await,
                    None => Ok(None),
                }
            }
            Err(source) => {
                watches.release(&key);
                Err(ClusterError::zookeeper("exists", path)(source))
            }
        },
        Err(source) => {
            watches.release(&key);
            Err(ClusterError::zookeeper("get", path)(source))
        }
    }
}

async fn plain_data(client: &Client, path: &str) -> Result<Option<(Vec<u8>, Stat)>, ClusterError> {
    match client.get_data(path).await {
        Ok(found) => Ok(Some(found)),
        Err(zookeeper_client::Error::NoNode) => Ok(None),
        Err(source) => Err(ClusterError::zookeeper("get", path)(source)),
    }
}

/// Reads the cluster state. Malformed records are skipped with a warning; coordinator
/// failures fail the whole read (the previous image stays in use).
pub async fn read_image(
    client: &Client,
    watches: &Watches,
    cluster_id: &str,
) -> Result<MetadataImage, ClusterError> {
    let mut image = MetadataImage {
        loaded: true,
        cluster_id: cluster_id.to_owned(),
        ..MetadataImage::default()
    };
    if let Some((bytes, _)) = data(client, watches, paths::CONTROLLER).await? {
        match ControllerRecord::from_json(&bytes) {
            Ok(record) => image.controller_id = Some(record.broker_id),
            Err(error) => tracing::warn!(%error, "unreadable /controller"),
        }
    }
    for child in children(client, watches, paths::BROKER_IDS).await? {
        let Ok(id) = child.parse::<i32>() else {
            continue;
        };
        let path = paths::broker_id(id);
        let Some((bytes, stat)) = data(client, watches, &path).await? else {
            continue;
        };
        match BrokerRegistration::from_json(&bytes) {
            Ok(registration) => {
                image.brokers.insert(
                    id,
                    BrokerInfo {
                        id,
                        endpoints: registration.endpoints,
                        rack: registration.rack,
                        epoch: stat.czxid,
                    },
                );
            }
            // The node is created empty and filled in the same multi; an empty one is a
            // registration in progress by another client, not ours to read.
            Err(error) if bytes.is_empty() => tracing::debug!(%error, %path, "empty registration"),
            Err(error) => tracing::warn!(%error, %path, "unreadable broker registration"),
        }
    }
    for topic in children(client, watches, paths::TOPICS).await? {
        if let Some(topic_image) = read_topic(client, watches, &topic).await? {
            image.topics.insert(topic, topic_image);
        }
    }
    image.topics_marked_for_deletion = children(client, watches, paths::DELETE_TOPICS)
        .await?
        .into_iter()
        .collect();
    image.shutting_down = children(client, watches, super::CONTROLLED_SHUTDOWN)
        .await?
        .iter()
        .filter_map(|child| child.parse::<i32>().ok())
        .collect();
    children(client, watches, paths::CONFIG_CHANGES).await?;
    Ok(image)
}

async fn read_topic(
    client: &Client,
    watches: &Watches,
    topic: &str,
) -> Result<Option<TopicImage>, ClusterError> {
    let path = paths::topic(topic);
    let Some((bytes, stat)) = data(client, watches, &path).await? else {
        return Ok(None);
    };
    let assignment = match TopicAssignment::from_json(&bytes) {
        Ok(assignment) => assignment,
        Err(error) => {
            tracing::warn!(%error, %path, "unreadable topic assignment, topic skipped");
            return Ok(None);
        }
    };
    let mut partitions = BTreeMap::new();
    let TopicAssignment {
        partitions: assigned,
        mut adding_replicas,
        mut removing_replicas,
        topic_id,
    } = assignment;
    for (index, replicas) in assigned {
        let state_path = paths::partition_state(topic, index);
        let state = match data(client, watches, &state_path).await? {
            None => None,
            Some((bytes, stat)) => match PartitionState::from_json(&bytes) {
                Ok(state) => Some(LeaderAndIsr {
                    leader: state.leader,
                    leader_epoch: state.leader_epoch,
                    isr: state.isr,
                    controller_epoch: state.controller_epoch,
                    zk_version: stat.version,
                }),
                Err(error) => {
                    tracing::warn!(%error, path = %state_path, "unreadable partition state");
                    None
                }
            },
        };
        partitions.insert(
            index,
            PartitionImage {
                replicas,
                adding: adding_replicas.remove(&index).unwrap_or_default(),
                removing: removing_replicas.remove(&index).unwrap_or_default(),
                state,
            },
        );
    }
    let config_path = paths::topic_config(topic);
    let config = match plain_data(client, &config_path).await? {
        None => BTreeMap::new(),
        Some((bytes, _)) => match EntityConfig::from_json(&bytes) {
            Ok(entity) => entity.config.into_iter().collect(),
            Err(error) => {
                tracing::warn!(%error, path = %config_path, "unreadable topic config");
                BTreeMap::new()
            }
        },
    };
    Ok(Some(TopicImage {
        topic_id,
        partitions,
        config,
        zk_version: stat.version,
    }))
}
