//! Brings the local log dir in line with a [`MetadataImage`] (runs on a blocking thread
//! under the storage lock; this replaces Kafka's LeaderAndIsr / StopReplica requests):
//!
//! - every partition whose replica list holds this broker gets its log (created empty);
//! - a log whose topic left the image, or whose topic now has another id (deleted and
//!   created again under the same name), or whose partition's replica list no longer
//!   holds this broker (reassigned away), is deleted with its folder;
//! - each log's config is the broker default with the topic's overrides applied.
//!
//! Each partition folder holds `partition.metadata`, as Kafka writes it:
//!
//! ```text
//! version: 0
//! topic_id: <22-character topic id>
//! ```
//!
//! written (temp file + rename) when the log is created or first seen with a known id. It
//! ties a folder to one incarnation of its topic. A folder without it (written by a broker
//! that did not track ids) is never deleted for a missing topic, only reported, so pointing
//! a broker at an empty coordinator does not wipe data it cannot attribute.

use std::collections::BTreeMap;
use std::path::Path;

use common::zk_layout::Uuid;

use super::image::MetadataImage;
use super::topic_config::effective_config;
use crate::log::{LogConfig, LogDir, LogError, TopicPartition};

/// The file naming a partition folder's topic id.
pub const PARTITION_METADATA_FILE: &str = "partition.metadata";

/// What one reconciliation did (for logs and tests).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconciled {
    pub created: Vec<TopicPartition>,
    pub deleted: Vec<TopicPartition>,
    pub reconfigured: Vec<TopicPartition>,
}

/// Applies `image` to `dir` for broker `broker_id`; `defaults` is the broker's LogConfig.
pub fn reconcile(
    dir: &mut LogDir,
    image: &MetadataImage,
    broker_id: i32,
    defaults: &LogConfig,
) -> Result<Reconciled, LogError> {
    let mut outcome = Reconciled::default();
    if !image.loaded {
        return Ok(outcome);
    }
    let local: Vec<TopicPartition> = dir.topic_partitions().cloned().collect();
    for topic_partition in local {
        let folder = dir.path().join(topic_partition.dir_name());
        let recorded = read_topic_id(&folder);
        let stale = match image.topics.get(&topic_partition.topic) {
            None => recorded.is_some(),
            Some(topic) => match (recorded, topic.topic_id) {
                // Another incarnation of the topic, or a partition whose replica list no
                // longer holds this broker (a reassignment moved it away).
                (Some(recorded), Some(current)) => {
                    recorded != current
                        || topic
                            .partitions
                            .get(&topic_partition.partition)
                            .is_some_and(|partition| !partition.replicas.contains(&broker_id))
                }
                _ => false,
            },
        };
        if stale {
            dir.delete(&topic_partition)?;
            outcome.deleted.push(topic_partition);
        } else if !image.topics.contains_key(&topic_partition.topic) {
            tracing::debug!(
                partition = %topic_partition.dir_name(),
                "log of a topic unknown to the cluster kept (no topic id recorded)"
            );
        }
    }
    for (topic, partition) in image.hosted_partitions(broker_id) {
        let topic_partition = TopicPartition::new(topic.clone(), partition);
        let topic_image = image.topics.get(&topic);
        let config = match topic_image {
            Some(topic) => effective_config(defaults, &topic.config),
            None => defaults.clone(),
        };
        let existed = dir.log(&topic_partition).is_some();
        let log = dir.get_or_create(&topic_partition)?;
        if log.config() != &config {
            log.set_config(config)?;
            if existed {
                outcome.reconfigured.push(topic_partition.clone());
            }
        }
        let folder = log.dir().to_path_buf();
        if let Some(topic_id) = topic_image.and_then(|topic| topic.topic_id) {
            if read_topic_id(&folder).is_none() {
                write_topic_id(&folder, topic_id)?;
            }
        }
        if !existed {
            outcome.created.push(topic_partition);
        }
    }
    Ok(outcome)
}

/// The topic id recorded in `folder`, if any (an unreadable file counts as none).
pub fn read_topic_id(folder: &Path) -> Option<Uuid> {
    let text = std::fs::read_to_string(folder.join(PARTITION_METADATA_FILE)).ok()?;
    let fields: BTreeMap<&str, &str> = text
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim(), value.trim()))
        .collect();
    fields.get("topic_id").and_then(|id| Uuid::parse(id).ok())
}

fn write_topic_id(folder: &Path, topic_id: Uuid) -> Result<(), LogError> {
    let path = folder.join(PARTITION_METADATA_FILE);
    let temp = folder.join(format!("{PARTITION_METADATA_FILE}.tmp"));
    let text = format!("version: 0\ntopic_id: {topic_id}\n");
    std::fs::write(&temp, text).map_err(LogError::io("write", &temp))?;
    std::fs::rename(&temp, &path).map_err(LogError::io("rename", &path))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::cluster::image::{PartitionImage, TopicImage};
    use crate::log::SystemClock;

    fn image_with(
        topic: &str,
        id: Uuid,
        replicas: &[i32],
        config: &[(&str, &str)],
    ) -> MetadataImage {
        let mut image = MetadataImage {
            loaded: true,
            ..MetadataImage::default()
        };
        let mut topic_image = TopicImage {
            topic_id: Some(id),
            ..TopicImage::default()
        };
        topic_image
            .partitions
            .insert(0, PartitionImage::new(replicas.to_vec()));
        for (key, value) in config {
            topic_image
                .config
                .insert((*key).to_owned(), (*value).to_owned());
        }
        image.topics.insert(topic.to_owned(), topic_image);
        image
    }

    #[test]
    fn hosted_partitions_are_created_configured_and_deleted_with_their_topic() {
        let temp = tempfile::tempdir().unwrap();
        let defaults = LogConfig::default();
        let mut dir = LogDir::open(temp.path(), defaults.clone(), Arc::new(SystemClock)).unwrap();
        let id = Uuid::random();
        let image = image_with("t", id, &[0], &[("retention.ms", "5000")]);
        let done = reconcile(&mut dir, &image, 0, &defaults).unwrap();
        let tp = TopicPartition::new("t", 0);
        assert_eq!(done.created, vec![tp.clone()]);
        assert_eq!(dir.log(&tp).unwrap().config().retention_ms, 5000);
        assert_eq!(read_topic_id(&temp.path().join("t-0")), Some(id));

        // Another broker's partition is not created here.
        let elsewhere = image_with("u", Uuid::random(), &[1], &[]);
        let done = reconcile(&mut dir, &elsewhere, 0, &defaults).unwrap();
        assert!(done.created.is_empty());
        assert_eq!(done.deleted, vec![tp.clone()]);
        assert!(!temp.path().join("t-0").exists());

        // Before the first complete read nothing is touched.
        let unloaded = MetadataImage::default();
        assert_eq!(
            reconcile(&mut dir, &unloaded, 0, &defaults).unwrap(),
            Reconciled::default()
        );
    }

    #[test]
    fn a_recreated_topic_gets_a_fresh_log_and_untracked_logs_are_kept() {
        let temp = tempfile::tempdir().unwrap();
        let defaults = LogConfig::default();
        let mut dir = LogDir::open(temp.path(), defaults.clone(), Arc::new(SystemClock)).unwrap();
        dir.get_or_create(&TopicPartition::new("legacy", 0))
            .unwrap();
        let first = image_with("t", Uuid::random(), &[0], &[]);
        reconcile(&mut dir, &first, 0, &defaults).unwrap();
        let second = image_with("t", Uuid::random(), &[0], &[]);
        let done = reconcile(&mut dir, &second, 0, &defaults).unwrap();
        let tp = TopicPartition::new("t", 0);
        assert_eq!(done.deleted, vec![tp.clone()]);
        assert_eq!(done.created, vec![tp]);
        assert!(dir.log(&TopicPartition::new("legacy", 0)).is_some());
    }

    #[test]
    fn a_partition_reassigned_away_loses_its_log_here() {
        let temp = tempfile::tempdir().unwrap();
        let defaults = LogConfig::default();
        let mut dir = LogDir::open(temp.path(), defaults.clone(), Arc::new(SystemClock)).unwrap();
        let id = Uuid::random();
        reconcile(&mut dir, &image_with("t", id, &[0, 1], &[]), 0, &defaults).unwrap();
        let tp = TopicPartition::new("t", 0);
        // Still a replica while the reassignment is pending (replicas = target + original).
        let pending = image_with("t", id, &[1, 2, 0], &[]);
        assert!(reconcile(&mut dir, &pending, 0, &defaults)
            .unwrap()
            .deleted
            .is_empty());
        let done = reconcile(&mut dir, &image_with("t", id, &[1, 2], &[]), 0, &defaults).unwrap();
        assert_eq!(done.deleted, vec![tp.clone()]);
        assert!(dir.log(&tp).is_none());
    }
}
