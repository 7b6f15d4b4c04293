//! Replication: which hosted partitions this broker leads or follows, the high watermark,
//! the ISR, and the waits of acks=all produces.
//!
//! Flow:
//!
//! - The cluster refresh loop hands every new metadata image to
//!   [`ReplicaManager::apply_image`]. A partition whose state names this broker as leader
//!   becomes (or stays) led here — a new leader epoch is recorded in the log's epoch cache at
//!   the log end —; any other hosted partition is followed: the [`fetcher`] fetches it from
//!   its leader, after checking with the leader where the logs diverge
//!   (OffsetForLeaderEpoch) and truncating there. The role flips under the storage lock, so
//!   an append by a fetcher of the old role cannot land after it.
//! - Produce appends through [`ReplicaManager::append_as_leader`] (leadership, the
//!   `min.insync.replicas` check for acks=all, the leader epoch stamped into the batches),
//!   then acks=all waits in [`ReplicaManager::wait_for_replication`] until the high watermark
//!   covers the batch.
//! - A follower's fetch (`replica_id` ≥ 0) reports its log end: [`ReplicaManager::follower_fetch`]
//!   advances the HW and may add the follower to the ISR; consumers read only below the HW
//!   ([`ReplicaManager::consumer_bound`]).
//! - A timer proposes ISR shrinks for followers that lagged more than
//!   `replica.lag.time.max.ms`; ISR changes are written by the leader to the partition's
//!   state node, conditional on its version ([`isr`]), so a leader the controller has
//!   replaced meanwhile fails the write and cannot shrink the ISR to itself. A shrink counts
//!   for the HW only once written, which is what keeps a deposed leader (paused, cut off
//!   from the coordinator) from acknowledging acks=all writes: its old followers fetch from
//!   the new leader and never reach its offsets.
//! - The HW lives here; it is copied into the logs before each
//!   `replication-offset-checkpoint` write ([`ReplicaManager::sync_high_watermarks`]).
//!
//! Every wake-up (appends, HW moves) goes through the storage's append signal, which
//! long-poll fetches and acks=all waits subscribe to.
//!
//! Locks: the storage lock may be held while the partition table's is taken, never the
//! reverse, and neither across an `.await`.

pub mod fetcher;
pub mod isr;
pub mod partition;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kafka_protocol::ResponseError;
use tokio::sync::watch;

use crate::cluster::{now_ms, Cluster, MetadataImage};
use crate::config::replication::ReplicationConfig;
use crate::handler::{Storage, StorageError};
use crate::log::{AppendInfo, LogDir, LogError, TopicPartition};
pub use partition::{Assignment, FollowerFetchError, PartitionReplica, Role};

/// Why a leader append or a replicated wait failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplicationError {
    #[error("this broker does not lead {0}")]
    NotLeader(TopicPartition),
    #[error("{partition} has {isr} in-sync replicas, fewer than min.insync.replicas={min}")]
    NotEnoughReplicas {
        partition: TopicPartition,
        isr: usize,
        min: i32,
    },
    #[error("{partition} fell to {isr} in-sync replicas (min.insync.replicas={min}) before the write was replicated")]
    NotEnoughReplicasAfterAppend {
        partition: TopicPartition,
        isr: usize,
        min: i32,
    },
    #[error("{partition}: offset {offset} not replicated within {waited:?}")]
    TimedOut {
        partition: TopicPartition,
        offset: i64,
        waited: Duration,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ReplicationError {
    /// The Kafka error code for a producer, or `None` for a storage failure.
    pub fn response_error(&self) -> Option<ResponseError> {
        match self {
            ReplicationError::NotLeader(_) => Some(ResponseError::NotLeaderOrFollower),
            ReplicationError::NotEnoughReplicas { .. } => Some(ResponseError::NotEnoughReplicas),
            ReplicationError::NotEnoughReplicasAfterAppend { .. } => {
                Some(ResponseError::NotEnoughReplicasAfterAppend)
            }
            ReplicationError::TimedOut { .. } => Some(ResponseError::RequestTimedOut),
            ReplicationError::Storage(_) => None,
        }
    }
}

/// A leader append's result.
#[derive(Debug, Clone)]
pub struct LeaderAppend {
    pub info: AppendInfo,
    pub log_start_offset: i64,
    /// `min.insync.replicas` of the partition (for the acks=all wait).
    pub min_insync_replicas: i32,
}

/// The replication state of every hosted partition. Cloning shares it.
#[derive(Debug, Clone)]
pub struct ReplicaManager {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    broker_id: i32,
    config: ReplicationConfig,
    /// The name of the listener followers connect to on their leaders.
    listener_name: String,
    partitions: Mutex<HashMap<TopicPartition, PartitionReplica>>,
    storage: Storage,
    cluster: Cluster,
    fetchers: Mutex<fetcher::Fetchers>,
    shutdown: watch::Sender<bool>,
}

impl ReplicaManager {
    pub fn new(
        broker_id: i32,
        config: ReplicationConfig,
        listener_name: String,
        storage: Storage,
        cluster: Cluster,
    ) -> Self {
        let (shutdown, _) = watch::channel(false);
        ReplicaManager {
            inner: Arc::new(Inner {
                broker_id,
                config,
                listener_name,
                partitions: Mutex::new(HashMap::new()),
                storage,
                cluster,
                fetchers: Mutex::new(fetcher::Fetchers::default()),
                shutdown,
            }),
        }
    }

    pub fn broker_id(&self) -> i32 {
        self.inner.broker_id
    }

    pub fn config(&self) -> &ReplicationConfig {
        &self.inner.config
    }

    fn table(&self) -> MutexGuard<'_, HashMap<TopicPartition, PartitionReplica>> {
        lock(&self.inner.partitions)
    }

    /// Starts the ISR shrink timer.
    pub fn start(&self) {
        let manager = self.clone();
        let mut shutdown = self.inner.shutdown.subscribe();
        tokio::spawn(async move {
            let period = (manager.inner.config.lag_time_max / 2).max(Duration::from_millis(10));
            let mut ticker = tokio::time::interval(period);
            loop {
                tokio::select! {
                    _ = shutdown.changed() => return,
                    _ = ticker.tick() => manager.shrink_lagging_isrs().await,
                }
            }
        });
    }

    /// Stops the fetchers and the timer.
    pub fn shutdown(&self) {
        let _ = self.inner.shutdown.send(true);
        lock(&self.inner.fetchers).stop_all();
    }

    /// Brings every hosted partition's role in line with `image` (see the module docs).
    pub async fn apply_image(&self, image: Arc<MetadataImage>) {
        if !image.loaded {
            return;
        }
        let manager = self.clone();
        let applied = self
            .inner
            .storage
            .run(move |dir| Ok(manager.apply_roles(dir, &image)))
            .await;
        match applied {
            Ok(changes) => {
                let mut fetchers = lock(&self.inner.fetchers);
                for partition in &changes.stop_fetching {
                    fetchers.remove(partition);
                }
                for follow in changes.start_fetching {
                    fetchers.add(self, follow);
                }
                drop(fetchers);
                if changes.high_watermark_moved {
                    self.inner.storage.notify_append();
                }
            }
            Err(error) => tracing::warn!(%error, "applying partition roles failed"),
        }
    }

    fn apply_roles(&self, dir: &mut LogDir, image: &MetadataImage) -> RoleChanges {
        let broker_id = self.inner.broker_id;
        let now = now_ms();
        let mut changes = RoleChanges::default();
        let mut table = self.table();
        let hosted: Vec<TopicPartition> = image
            .hosted_partitions(broker_id)
            .into_iter()
            .map(|(topic, partition)| TopicPartition::new(topic, partition))
            .collect();
        table.retain(|partition, _| {
            let keep = hosted.contains(partition) && dir.log(partition).is_some();
            if !keep {
                changes.stop_fetching.push(partition.clone());
            }
            keep
        });
        for partition in hosted {
            let Some(log) = dir.log_mut(&partition) else {
                continue;
            };
            let Some(partition_image) = image.partition(&partition.topic, partition.partition)
            else {
                continue;
            };
            let replica = table.entry(partition.clone()).or_insert_with(|| {
                PartitionReplica::new(broker_id, log.high_watermark(), log.log_end_offset())
            });
            replica.log_end_offset = log.log_end_offset();
            match &partition_image.state {
                Some(state) if state.leader == broker_id => {
                    let assignment = Assignment {
                        leader: state.leader,
                        leader_epoch: state.leader_epoch,
                        replicas: partition_image.replicas.clone(),
                        isr: state.isr.clone(),
                        zk_version: state.zk_version,
                        controller_epoch: state.controller_epoch,
                    };
                    let was_leader = replica.is_leader();
                    if replica.become_leader(&assignment, now) {
                        if let Err(error) = log.assign_leader_epoch(state.leader_epoch) {
                            tracing::warn!(%error, %partition, "recording the leader epoch failed");
                        }
                        if was_leader {
                            tracing::info!(
                                "[Partition {partition} broker={broker_id}] Leader epoch is now {} (ISR {:?})",
                                state.leader_epoch,
                                state.isr
                            );
                        } else {
                            tracing::info!(
                                "[Partition {partition} broker={broker_id}] Leader {partition} with topic id {:?} starts at leader epoch {} from offset {} with high watermark {} ISR {:?}",
                                image.topic(&partition.topic).and_then(|topic| topic.topic_id).map(|id| id.to_string()),
                                state.leader_epoch,
                                log.log_end_offset(),
                                replica.high_watermark,
                                state.isr
                            );
                        }
                        changes.stop_fetching.push(partition.clone());
                    }
                    let end = replica.log_end_offset;
                    if replica.on_local_append(end) {
                        changes.high_watermark_moved = true;
                    }
                }
                Some(state) => {
                    let leader = if state.leader >= 0 && image.is_live(state.leader) {
                        state.leader
                    } else {
                        -1
                    };
                    if replica.become_follower(leader, state.leader_epoch) {
                        changes.stop_fetching.push(partition.clone());
                        if leader >= 0 {
                            tracing::info!(
                                "[Partition {partition} broker={broker_id}] Follower of {leader} at leader epoch {}",
                                state.leader_epoch
                            );
                            changes.start_fetching.push(fetcher::Follow {
                                partition: partition.clone(),
                                leader,
                                leader_epoch: state.leader_epoch,
                            });
                        }
                    }
                }
                None => {
                    replica.become_follower(-1, -1);
                }
            }
        }
        changes
    }

    /// Whether this broker leads `partition` right now, with the leader epoch.
    pub fn leader_epoch(&self, partition: &TopicPartition) -> Option<i32> {
        self.table()
            .get(partition)
            .and_then(PartitionReplica::leader_state)
            .map(|state| state.leader_epoch)
    }

    /// Whether `partition` is hosted here (led or followed).
    pub fn hosts(&self, partition: &TopicPartition) -> bool {
        self.table().contains_key(partition)
    }

    /// Appends a producer's `records` as leader, under the storage lock (`dir`): checks this
    /// broker leads the partition and, for acks=all, that the ISR holds at least
    /// `min.insync.replicas` members; stamps the leader epoch; moves the HW when the ISR
    /// allows.
    pub fn append_as_leader(
        &self,
        dir: &mut LogDir,
        partition: &TopicPartition,
        records: &[u8],
        acks_all: bool,
    ) -> Result<LeaderAppend, ReplicationError> {
        let Some(log) = dir.log_mut(partition) else {
            return Err(ReplicationError::NotLeader(partition.clone()));
        };
        let min_isr = log.config().min_insync_replicas;
        let epoch = {
            let table = self.table();
            let replica = table
                .get(partition)
                .and_then(PartitionReplica::leader_state)
                .ok_or_else(|| ReplicationError::NotLeader(partition.clone()))?;
            let isr = replica.isr.len();
            if acks_all && i32::try_from(isr).unwrap_or(i32::MAX) < min_isr {
                return Err(ReplicationError::NotEnoughReplicas {
                    partition: partition.clone(),
                    isr,
                    min: min_isr,
                });
            }
            replica.leader_epoch
        };
        let timestamp_type = log.config().message_timestamp_type;
        let info = log
            .append_as_leader(records, timestamp_type, epoch)
            .map_err(StorageError::Log)?;
        let log_end = log.log_end_offset();
        let log_start_offset = log.log_start_offset();
        let moved = self
            .table()
            .get_mut(partition)
            .is_some_and(|replica| replica.on_local_append(log_end));
        if moved {
            self.inner.storage.notify_append();
        }
        Ok(LeaderAppend {
            info,
            log_start_offset,
            min_insync_replicas: min_isr,
        })
    }

    /// Waits until the HW of `partition` reaches `offset` (acks=all), at most `timeout`.
    /// Fails when leadership moves away meanwhile, or when the ISR is below
    /// `min_insync_replicas` once the HW got there.
    pub async fn wait_for_replication(
        &self,
        partition: &TopicPartition,
        offset: i64,
        min_insync_replicas: i32,
        timeout: Duration,
    ) -> Result<(), ReplicationError> {
        let mut signal = self.inner.storage.subscribe_appends();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            signal.borrow_and_update();
            {
                let table = self.table();
                let Some(replica) = table.get(partition).filter(|replica| replica.is_leader())
                else {
                    return Err(ReplicationError::NotLeader(partition.clone()));
                };
                if replica.high_watermark >= offset {
                    let isr = replica.isr_size();
                    if i32::try_from(isr).unwrap_or(i32::MAX) < min_insync_replicas {
                        return Err(ReplicationError::NotEnoughReplicasAfterAppend {
                            partition: partition.clone(),
                            isr,
                            min: min_insync_replicas,
                        });
                    }
                    return Ok(());
                }
            }
            tokio::select! {
                changed = signal.changed() => {
                    if changed.is_err() {
                        return Err(ReplicationError::NotLeader(partition.clone()));
                    }
                }
                () = tokio::time::sleep_until(deadline) => {
                    return Err(ReplicationError::TimedOut {
                        partition: partition.clone(),
                        offset,
                        waited: timeout,
                    });
                }
            }
        }
    }

    /// A consumer's read limit for `partition` with the leader epoch: the HW, when this
    /// broker leads it.
    pub fn consumer_bound(&self, partition: &TopicPartition) -> Result<(i64, i32), ResponseError> {
        match self.table().get(partition) {
            Some(replica) if replica.is_leader() => {
                Ok((replica.high_watermark, replica.leader_epoch()))
            }
            Some(_) => Err(ResponseError::NotLeaderOrFollower),
            None => Err(ResponseError::UnknownTopicOrPartition),
        }
    }

    /// The high watermark of a hosted partition (leader or follower).
    pub fn high_watermark(&self, partition: &TopicPartition) -> Option<i64> {
        self.table()
            .get(partition)
            .map(|replica| replica.high_watermark)
    }

    /// Records a fetch by follower `replica` at `fetch_offset` (under the storage lock, as
    /// the read that answers it) and returns the high watermark to answer with. Starts the
    /// ISR write when the follower joins.
    pub fn follower_fetch(
        &self,
        partition: &TopicPartition,
        replica: i32,
        fetch_offset: i64,
        current_leader_epoch: i32,
    ) -> Result<i64, FollowerFetchError> {
        let now = now_ms();
        let (high_watermark, update) = {
            let mut table = self.table();
            let entry = table
                .get_mut(partition)
                .ok_or(FollowerFetchError::NotLeader)?;
            entry.check_follower_fetch(replica, current_leader_epoch)?;
            let update = entry.on_follower_fetch(replica, fetch_offset, now);
            (entry.high_watermark, update)
        };
        if update.high_watermark_moved {
            self.inner.storage.notify_append();
        }
        if let Some(isr) = update.expand_isr {
            tracing::info!(
                "[Partition {partition} broker={}] ISR updated to {isr:?} (adding {replica})",
                self.inner.broker_id
            );
            let manager = self.clone();
            let partition = partition.clone();
            tokio::spawn(async move { isr::write(&manager, &partition, isr).await });
        }
        Ok(high_watermark)
    }

    /// Proposes and writes ISR shrinks for every led partition with lagging followers.
    async fn shrink_lagging_isrs(&self) {
        let now = now_ms();
        let lag = i64::try_from(self.inner.config.lag_time_max.as_millis()).unwrap_or(i64::MAX);
        let proposals: Vec<(TopicPartition, Vec<i32>)> = {
            let mut table = self.table();
            table
                .iter_mut()
                .filter_map(|(partition, replica)| {
                    let before = replica.leader_state().map(|state| state.isr.clone());
                    replica.propose_shrink(now, lag).map(|isr| {
                        tracing::info!(
                            "[Partition {partition} broker={}] Shrinking ISR from {:?} to {isr:?}. Leader: (highWatermark: {}, endOffset: {}).",
                            self.inner.broker_id,
                            before.unwrap_or_default(),
                            replica.high_watermark,
                            replica.log_end_offset
                        );
                        (partition.clone(), isr)
                    })
                })
                .collect()
        };
        for (partition, isr) in proposals {
            isr::write(self, &partition, isr).await;
        }
    }

    /// Copies every HW into its log (before the log dir writes its checkpoints).
    pub fn sync_high_watermarks(&self, dir: &mut LogDir) {
        let table = self.table();
        for (partition, replica) in table.iter() {
            if let Some(log) = dir.log_mut(partition) {
                log.set_high_watermark(replica.high_watermark);
            }
        }
    }

    fn cluster(&self) -> &Cluster {
        &self.inner.cluster
    }

    fn storage(&self) -> &Storage {
        &self.inner.storage
    }

    fn with_partition<T>(
        &self,
        partition: &TopicPartition,
        f: impl FnOnce(&mut PartitionReplica) -> T,
    ) -> Option<T> {
        self.table().get_mut(partition).map(f)
    }
}

/// What [`ReplicaManager::apply_roles`] changed for the fetchers.
#[derive(Debug, Default)]
struct RoleChanges {
    stop_fetching: Vec<TopicPartition>,
    start_fetching: Vec<fetcher::Follow>,
    high_watermark_moved: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// What a leader answered a follower's fetch of one partition with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fetched<'a> {
    /// Whole batches, as the leader stored them.
    pub records: &'a [u8],
    pub high_watermark: i64,
    pub log_start_offset: i64,
}

/// Appends what the leader sent to a followed partition, under the storage lock, if this
/// broker still follows `leader` in `leader_epoch`; then sets the follower's HW and log
/// start from the leader's. Returns the new log end (or `None` when the role changed
/// meanwhile).
pub(crate) fn append_as_follower(
    manager: &ReplicaManager,
    dir: &mut LogDir,
    partition: &TopicPartition,
    (leader, leader_epoch): (i32, i32),
    fetched: Fetched<'_>,
) -> Result<Option<i64>, LogError> {
    let Fetched {
        records,
        high_watermark: leader_high_watermark,
        log_start_offset: leader_log_start,
    } = fetched;
    let still_following = manager.table().get(partition).is_some_and(|replica| {
        replica.role
            == Role::Follower {
                leader,
                leader_epoch,
            }
    });
    if !still_following {
        return Ok(None);
    }
    let Some(log) = dir.log_mut(partition) else {
        return Ok(None);
    };
    if !records.is_empty() {
        log.append_as_follower(records)?;
    }
    let log_end = log.log_end_offset();
    if leader_log_start > log.log_start_offset() && leader_log_start <= log_end {
        log.advance_log_start_offset(leader_log_start)?;
    }
    if let Some(replica) = manager.table().get_mut(partition) {
        replica.log_end_offset = log_end;
        replica.follower_high_watermark(leader_high_watermark);
    }
    Ok(Some(log_end))
}
