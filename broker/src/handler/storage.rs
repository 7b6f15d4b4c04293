//! [`Storage`]: the handlers' door to the log dir.
//!
//! The [`LogDir`] sits behind one `std::sync::Mutex` and is touched from `spawn_blocking`
//! tasks ([`Storage::run`]), so fsyncs and long scans never run on the async workers and no
//! lock is held across an `.await`. The exceptions are [`Storage::run_append`] and
//! [`Storage::run_read`]: an append that only writes to the page cache, and a small read,
//! run in place when the lock is free. Topic operations
//! (check-then-create) run inside one closure, so they are atomic with respect to each other.
//!
//! Appends bump a `watch` counter ([`Storage::notify_append`]); long-poll fetches subscribe
//! before reading, so an append between their read and their wait still wakes them.
//!
//! Topics are the topic-partition folders of the log dir: a topic has partitions
//! `0..=max index` (topic creation makes them all at once).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, TryLockError};

use tokio::sync::watch;

use crate::log::config::NEVER;
use crate::log::{LogDir, LogError, TopicPartition};

/// A storage call that failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("this broker hosts no partition {partition} of topic {topic:?}")]
    UnknownTopicOrPartition { topic: String, partition: i32 },
    /// The broker is stopping: the log dir was closed.
    #[error("the log dir is closed")]
    Closed,
    /// A storage task panicked while holding the lock.
    #[error("the log dir lock is poisoned")]
    Poisoned,
    #[error("storage task failed: {reason}")]
    Task { reason: String },
}

/// The log dir shared by all connections. Cloning shares it.
#[derive(Debug, Clone)]
pub struct Storage {
    log_dir: Arc<Mutex<Option<LogDir>>>,
    appended: Arc<watch::Sender<u64>>,
}

impl Storage {
    pub fn new(log_dir: LogDir) -> Self {
        let (appended, _) = watch::channel(0);
        Storage {
            log_dir: Arc::new(Mutex::new(Some(log_dir))),
            appended: Arc::new(appended),
        }
    }

    /// Runs `operation` on a blocking thread with the log dir locked for its whole duration.
    pub async fn run<T, F>(&self, operation: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut LogDir) -> Result<T, StorageError> + Send + 'static,
    {
        let log_dir = Arc::clone(&self.log_dir);
        tokio::task::spawn_blocking(move || {
            let mut guard = log_dir.lock().map_err(|_| StorageError::Poisoned)?;
            let dir = guard.as_mut().ok_or(StorageError::Closed)?;
            operation(dir)
        })
        .await
        .map_err(|error| StorageError::Task {
            reason: error.to_string(),
        })?
    }

    /// Runs an append to `topic`/`partition` whose cost is a page-cache write right here on
    /// the calling async worker, when the lock is free this instant and the partition's
    /// flush policy will not fsync at this append (`flush.messages` and `flush.ms` never, the
    /// default): two thread hand-offs cost more than such a write. Otherwise (lock busy, an
    /// fsync due, no such partition) it runs on a blocking thread as [`Storage::run`] does.
    pub async fn run_append<T, F>(
        &self,
        topic: &str,
        partition: i32,
        operation: F,
    ) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut LogDir) -> Result<T, StorageError> + Send + 'static,
    {
        self.run_inline_if(|dir| page_cache_append(dir, topic, partition), operation)
            .await
    }

    /// Runs a read of at most `bytes` bytes right here on the calling async worker when the
    /// lock is free this instant and the read is small (at most [`INLINE_READ_BYTES`]): a
    /// page-cache read of that size costs less than two thread hand-offs, and long-poll
    /// fetches (followers above all) re-read after every append. Otherwise it runs on a
    /// blocking thread as [`Storage::run`] does.
    pub async fn run_read<T, F>(&self, bytes: usize, operation: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut LogDir) -> Result<T, StorageError> + Send + 'static,
    {
        self.run_inline_if(|_| bytes <= INLINE_READ_BYTES, operation)
            .await
    }

    /// Runs `operation` on the calling worker when the lock is free this instant and `cheap`
    /// holds for the log dir, else on a blocking thread as [`Storage::run`] does.
    async fn run_inline_if<T, F>(
        &self,
        cheap: impl FnOnce(&LogDir) -> bool,
        operation: F,
    ) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut LogDir) -> Result<T, StorageError> + Send + 'static,
    {
        let operation = match self.log_dir.try_lock() {
            Ok(mut guard) => match guard.as_mut() {
                Some(dir) if cheap(dir) => return operation(dir),
                Some(_) => operation,
                None => return Err(StorageError::Closed),
            },
            Err(TryLockError::Poisoned(_)) => return Err(StorageError::Poisoned),
            Err(TryLockError::WouldBlock) => operation,
        };
        self.run(operation).await
    }

    /// The shared log dir itself, for the log cleaner's threads (which lock it only to pick
    /// a log and to swap cleaned segments in).
    pub fn shared_log_dir(&self) -> crate::log::cleaner::SharedLogDir {
        Arc::clone(&self.log_dir)
    }

    /// A receiver that changes after every append from now on.
    pub fn subscribe_appends(&self) -> watch::Receiver<u64> {
        self.appended.subscribe()
    }

    /// Tells waiting fetches that data was appended.
    pub fn notify_append(&self) {
        self.appended
            .send_modify(|count| *count = count.wrapping_add(1));
    }

    /// Closes the log dir cleanly (flush, checkpoints, clean-shutdown marker). Later calls
    /// fail with [`StorageError::Closed`].
    pub async fn close(&self) -> Result<(), StorageError> {
        let log_dir = Arc::clone(&self.log_dir);
        tokio::task::spawn_blocking(move || {
            let taken = log_dir.lock().map_err(|_| StorageError::Poisoned)?.take();
            match taken {
                Some(dir) => dir.close().map_err(StorageError::from),
                None => Ok(()),
            }
        })
        .await
        .map_err(|error| StorageError::Task {
            reason: error.to_string(),
        })?
    }
}

/// The largest read [`Storage::run_read`] does on an async worker.
pub const INLINE_READ_BYTES: usize = 2 * 1024 * 1024;

/// Whether an append to the partition stays in the page cache: its flush policy never
/// fsyncs on a count or an age.
fn page_cache_append(dir: &LogDir, topic: &str, partition: i32) -> bool {
    dir.log(&TopicPartition::new(topic, partition))
        .is_some_and(|log| log.config().flush_messages == NEVER && log.config().flush_ms == NEVER)
}

/// Topics of the log dir with their partition counts.
pub fn topics(dir: &LogDir) -> BTreeMap<String, i32> {
    let mut topics: BTreeMap<String, i32> = BTreeMap::new();
    for topic_partition in dir.topic_partitions() {
        let count = topics.entry(topic_partition.topic.clone()).or_insert(0);
        *count = (*count).max(topic_partition.partition.saturating_add(1));
    }
    topics
}

/// Creates every partition log of a new topic.
pub fn create_topic(dir: &mut LogDir, topic: &str, partitions: i32) -> Result<(), StorageError> {
    for partition in 0..partitions {
        dir.get_or_create(&TopicPartition::new(topic, partition))?;
    }
    Ok(())
}

/// The log of `topic_partition`, or [`StorageError::UnknownTopicOrPartition`].
pub fn partition_log_mut<'a>(
    dir: &'a mut LogDir,
    topic: &str,
    partition: i32,
) -> Result<&'a mut crate::log::PartitionLog, StorageError> {
    dir.log_mut(&TopicPartition::new(topic, partition))
        .ok_or_else(|| StorageError::UnknownTopicOrPartition {
            topic: topic.to_owned(),
            partition,
        })
}
