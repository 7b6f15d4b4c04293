//! [`LogDir`]: one log directory — the partition folders in it, its checkpoint files and its
//! clean-shutdown marker.
//!
//! High watermarks: each partition log's is loaded from `replication-offset-checkpoint` on
//! open (clamped to the recovered log) and written back by [`LogDir::checkpoint`] and
//! [`LogDir::close`]; in between they live in the logs.
//!
//! Files at the log-dir level: `log-start-offset-checkpoint`,
//! `recovery-point-offset-checkpoint`, `replication-offset-checkpoint`,
//! `cleaner-offset-checkpoint` (see [`checkpoint`]) and `.kafka_cleanshutdown`, an empty
//! file.
//!
//! Crash policy: the marker is written (and the directory fsynced) by [`LogDir::close`] after
//! every log is flushed and the checkpoints written; [`LogDir::open`] reads it, then removes
//! it before returning, so a crash at any later point is seen as unclean and the partitions
//! are recovered from their checkpointed recovery points.
//!
//! [`checkpoint`]: super::checkpoint

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::checkpoint::{self, sync_dir, TopicPartition};
use super::partition_log::{LogStart, PartitionLog, Shutdown};
use super::{Clock, LogConfig, LogError};

pub const CLEAN_SHUTDOWN_MARKER: &str = ".kafka_cleanshutdown";

/// A log directory and the partition logs in it.
#[derive(Debug)]
pub struct LogDir {
    path: PathBuf,
    config: LogConfig,
    clock: Arc<dyn Clock>,
    shutdown: Shutdown,
    logs: BTreeMap<TopicPartition, PartitionLog>,
}

impl LogDir {
    /// Opens (creating if needed) the log dir and every partition folder in it, with
    /// `config` for all of them (per-topic overrides come with the topic configs). Each
    /// log's high watermark comes from `replication-offset-checkpoint` (clamped to the log;
    /// the log start offset when absent).
    pub fn open(path: &Path, config: LogConfig, clock: Arc<dyn Clock>) -> Result<Self, LogError> {
        std::fs::create_dir_all(path).map_err(LogError::io("create directory", path))?;
        let marker = path.join(CLEAN_SHUTDOWN_MARKER);
        let shutdown = if marker.exists() {
            Shutdown::Clean
        } else {
            Shutdown::Unclean
        };
        let recovery_points = checkpoint::read(&path.join(checkpoint::RECOVERY_POINT_CHECKPOINT))?;
        let log_start_offsets =
            checkpoint::read(&path.join(checkpoint::LOG_START_OFFSET_CHECKPOINT))?;
        let cleaner_checkpoints = checkpoint::read(&path.join(checkpoint::CLEANER_CHECKPOINT))?;
        let high_watermarks = checkpoint::read(&path.join(checkpoint::REPLICATION_CHECKPOINT))?;
        let mut logs = BTreeMap::new();
        let entries = std::fs::read_dir(path).map_err(LogError::io("list directory", path))?;
        for entry in entries {
            let entry = entry.map_err(LogError::io("list directory", path))?;
            if !entry.path().is_dir() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(topic_partition) = TopicPartition::parse_dir_name(&name) else {
                return Err(LogError::BadFileName {
                    dir: path.to_path_buf(),
                    name,
                });
            };
            let start = LogStart {
                shutdown,
                recovery_point: recovery_points.get(&topic_partition).copied().unwrap_or(0),
                log_start_offset: log_start_offsets
                    .get(&topic_partition)
                    .copied()
                    .unwrap_or(0),
            };
            let mut log = PartitionLog::open(&entry.path(), config.clone(), start, clock.clone())?;
            if let Some(offset) = cleaner_checkpoints.get(&topic_partition) {
                log.set_cleaner_checkpoint(*offset);
                // When the clean part became clean is not persisted: it counts from now.
                log.record_clean_pass(*offset, clock.now_ms());
            }
            if let Some(high_watermark) = high_watermarks.get(&topic_partition) {
                log.set_high_watermark(*high_watermark);
            }
            logs.insert(topic_partition, log);
        }
        super::segment::remove_if_exists(&marker)?;
        sync_dir(path)?;
        Ok(LogDir {
            path: path.to_path_buf(),
            config,
            clock,
            shutdown,
            logs,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the previous run stopped.
    pub fn last_shutdown(&self) -> Shutdown {
        self.shutdown
    }

    pub fn log(&self, topic_partition: &TopicPartition) -> Option<&PartitionLog> {
        self.logs.get(topic_partition)
    }

    pub fn log_mut(&mut self, topic_partition: &TopicPartition) -> Option<&mut PartitionLog> {
        self.logs.get_mut(topic_partition)
    }

    pub fn topic_partitions(&self) -> impl Iterator<Item = &TopicPartition> {
        self.logs.keys()
    }

    /// Returns the partition's log, creating an empty one if it does not exist.
    pub fn get_or_create(
        &mut self,
        topic_partition: &TopicPartition,
    ) -> Result<&mut PartitionLog, LogError> {
        if !self.logs.contains_key(topic_partition) {
            let dir = self.path.join(topic_partition.dir_name());
            let start = LogStart {
                shutdown: Shutdown::Clean,
                recovery_point: 0,
                log_start_offset: 0,
            };
            let log = PartitionLog::open(&dir, self.config.clone(), start, self.clock.clone())?;
            sync_dir(&self.path)?;
            self.logs.insert(topic_partition.clone(), log);
        }
        let path = self.path.clone();
        self.logs
            .get_mut(topic_partition)
            .ok_or(LogError::Deleted { dir: path })
    }

    /// Deletes a partition's log and folder.
    pub fn delete(&mut self, topic_partition: &TopicPartition) -> Result<(), LogError> {
        match self.logs.remove(topic_partition) {
            Some(log) => log.delete(),
            None => Ok(()),
        }
    }

    /// The offsets of the periodic checkpoints (recovery points, log starts, high
    /// watermarks), taken under the lock in no time, to be written without it
    /// ([`OffsetCheckpoints::write`]): the fsyncs then never hold up appends and fetches.
    pub fn offset_checkpoints(&self) -> OffsetCheckpoints {
        let each = |offset: fn(&PartitionLog) -> i64| {
            self.logs
                .iter()
                .map(|(tp, log)| (tp.clone(), offset(log)))
                .collect()
        };
        OffsetCheckpoints {
            dir: self.path.clone(),
            recovery_points: each(PartitionLog::recovery_point),
            log_starts: each(PartitionLog::log_start_offset),
            high_watermarks: each(PartitionLog::high_watermark),
        }
    }

    /// Writes the recovery-point, log-start-offset, cleaner and replication (high watermark)
    /// checkpoints from the logs' state.
    pub fn checkpoint(&self) -> Result<(), LogError> {
        let recovery_points = self
            .logs
            .iter()
            .map(|(tp, log)| (tp.clone(), log.recovery_point()))
            .collect();
        checkpoint::write(
            &self.path.join(checkpoint::RECOVERY_POINT_CHECKPOINT),
            &recovery_points,
        )?;
        let log_starts = self
            .logs
            .iter()
            .map(|(tp, log)| (tp.clone(), log.log_start_offset()))
            .collect();
        checkpoint::write(
            &self.path.join(checkpoint::LOG_START_OFFSET_CHECKPOINT),
            &log_starts,
        )?;
        self.write_cleaner_checkpoint()?;
        self.write_replication_checkpoint()
    }

    /// Writes `cleaner-offset-checkpoint`: where the cleaner stopped in each log it cleaned
    /// (after each cleaning pass, and at close).
    pub fn write_cleaner_checkpoint(&self) -> Result<(), LogError> {
        let cleaned: BTreeMap<TopicPartition, i64> = self
            .logs
            .iter()
            .filter_map(|(tp, log)| log.cleaner_checkpoint().map(|offset| (tp.clone(), offset)))
            .collect();
        checkpoint::write(&self.path.join(checkpoint::CLEANER_CHECKPOINT), &cleaned)
    }

    /// Writes `replication-offset-checkpoint`: every log's high watermark.
    pub fn write_replication_checkpoint(&self) -> Result<(), LogError> {
        let high_watermarks: BTreeMap<TopicPartition, i64> = self
            .logs
            .iter()
            .map(|(tp, log)| (tp.clone(), log.high_watermark()))
            .collect();
        checkpoint::write(
            &self.path.join(checkpoint::REPLICATION_CHECKPOINT),
            &high_watermarks,
        )
    }

    /// Reads `replication-offset-checkpoint`.
    pub fn read_replication_checkpoint(&self) -> Result<BTreeMap<TopicPartition, i64>, LogError> {
        checkpoint::read(&self.path.join(checkpoint::REPLICATION_CHECKPOINT))
    }

    /// Clean shutdown: closes (flushes) every log, writes the checkpoints (high watermarks
    /// included), then the marker.
    pub fn close(self) -> Result<(), LogError> {
        let recovery_points = self
            .logs
            .iter()
            .map(|(tp, log)| (tp.clone(), log.log_end_offset()))
            .collect();
        let log_starts = self
            .logs
            .iter()
            .map(|(tp, log)| (tp.clone(), log.log_start_offset()))
            .collect();
        self.write_cleaner_checkpoint()?;
        self.write_replication_checkpoint()?;
        for (_, log) in self.logs {
            log.close()?;
        }
        checkpoint::write(
            &self.path.join(checkpoint::RECOVERY_POINT_CHECKPOINT),
            &recovery_points,
        )?;
        checkpoint::write(
            &self.path.join(checkpoint::LOG_START_OFFSET_CHECKPOINT),
            &log_starts,
        )?;
        let marker = self.path.join(CLEAN_SHUTDOWN_MARKER);
        std::fs::File::create(&marker)
            .and_then(|file| file.sync_all())
            .map_err(LogError::io("create", &marker))?;
        sync_dir(&self.path)
    }
}

/// A snapshot of [`LogDir::offset_checkpoints`], written with [`OffsetCheckpoints::write`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetCheckpoints {
    dir: PathBuf,
    recovery_points: BTreeMap<TopicPartition, i64>,
    log_starts: BTreeMap<TopicPartition, i64>,
    high_watermarks: BTreeMap<TopicPartition, i64>,
}

impl OffsetCheckpoints {
    /// Writes `recovery-point-offset-checkpoint`, `log-start-offset-checkpoint` and
    /// `replication-offset-checkpoint` (each atomically: temp file, fsync, rename). Only one
    /// writer at a time may call it (the log manager's maintenance task).
    pub fn write(&self) -> Result<(), LogError> {
        checkpoint::write(
            &self.dir.join(checkpoint::RECOVERY_POINT_CHECKPOINT),
            &self.recovery_points,
        )?;
        checkpoint::write(
            &self.dir.join(checkpoint::LOG_START_OFFSET_CHECKPOINT),
            &self.log_starts,
        )?;
        checkpoint::write(
            &self.dir.join(checkpoint::REPLICATION_CHECKPOINT),
            &self.high_watermarks,
        )
    }
}
