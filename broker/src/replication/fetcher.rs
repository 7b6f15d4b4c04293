//! Replica fetchers: the tasks that copy followed partitions from their leaders.
//!
//! There are `num.replica.fetchers` tasks per leader broker at most, each owning the
//! partitions that hash to it. A task keeps one connection to its leader (the leader's
//! endpoint on this broker's inter-broker listener, read from the metadata image) and loops:
//!
//! 1. **Truncation** for every partition just (re)assigned: OffsetForLeaderEpoch with this
//!    replica's latest epoch; the leader answers where that epoch ended in its log. When the
//!    leader knows the epoch, the log is cut at the smaller of that offset and the local log
//!    end. When the leader answers with an older epoch this replica also has, the cut is at
//!    the end of that epoch here and the question is asked again with it, until both agree.
//!    No answer (an empty leader cache) cuts at the high watermark. So a replica returning
//!    after a leader change drops exactly what the new leader never had.
//! 2. **Fetch** (`replica_id` = this broker, the partition's leader epoch as
//!    `current_leader_epoch`, `replica.fetch.*` sizes and wait) from each partition's log
//!    end; the batches are appended as the leader stored them, and the follower's HW and log
//!    start follow the leader's.
//! 3. Errors: OFFSET_OUT_OF_RANGE asks the leader for its log start and end (ListOffsets as a
//!    replica) and cuts to the leader's end, or restarts the log at the leader's start when
//!    this replica fell behind retention; a leadership error (NOT_LEADER_OR_FOLLOWER, a
//!    fenced or unknown epoch) parks the partition for `replica.fetch.backoff.ms` until the
//!    next image re-assigns it; a lost connection is reopened after the backoff.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::client::{Connection, ConnectionOptions};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::offset_for_leader_epoch_request::{
    OffsetForLeaderPartition, OffsetForLeaderTopic,
};
use kafka_protocol::messages::{
    BrokerId, FetchRequest, ListOffsetsRequest, OffsetForLeaderEpochRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{append_as_follower, lock, Fetched, ReplicaManager};
use crate::handler::StorageError;
use crate::log::{LogError, TopicPartition};

/// A partition to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follow {
    pub partition: TopicPartition,
    pub leader: i32,
    pub leader_epoch: i32,
}

/// How many OffsetForLeaderEpoch rounds a truncation may take before giving up for now.
const TRUNCATION_ROUNDS: usize = 16;

/// Where a followed partition stands in its fetcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FetchState {
    leader_epoch: i32,
    /// The next offset to fetch (the local log end); meaningful once `truncating` is false.
    fetch_offset: i64,
    /// The divergence check with the leader is still to do.
    truncating: bool,
    /// Parked until then after an error.
    delayed_until: Option<Instant>,
}

#[derive(Debug, Default)]
struct Shared {
    partitions: Mutex<BTreeMap<TopicPartition, FetchState>>,
    wake: Notify,
}

#[derive(Debug)]
struct FetcherHandle {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

/// Every fetcher task of this broker, by (leader, index).
#[derive(Debug, Default)]
pub struct Fetchers {
    tasks: HashMap<(i32, usize), FetcherHandle>,
    owners: HashMap<TopicPartition, (i32, usize)>,
}

impl Fetchers {
    /// Starts fetching `follow.partition` from its leader (after a truncation check).
    pub fn add(&mut self, manager: &ReplicaManager, follow: Follow) {
        self.remove(&follow.partition);
        let count = manager.config().num_fetchers.max(1);
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        follow.partition.hash(&mut hasher);
        let index = usize::try_from(hasher.finish() % count as u64).unwrap_or(0);
        let key = (follow.leader, index);
        let handle = self.tasks.entry(key).or_insert_with(|| {
            let shared = Arc::new(Shared::default());
            let task = tokio::spawn(run(
                manager.clone(),
                follow.leader,
                index,
                Arc::clone(&shared),
            ));
            FetcherHandle { shared, task }
        });
        lock(&handle.shared.partitions).insert(
            follow.partition.clone(),
            FetchState {
                leader_epoch: follow.leader_epoch,
                fetch_offset: -1,
                truncating: true,
                delayed_until: None,
            },
        );
        handle.shared.wake.notify_one();
        self.owners.insert(follow.partition, key);
    }

    /// Stops fetching `partition`.
    pub fn remove(&mut self, partition: &TopicPartition) {
        if let Some(key) = self.owners.remove(partition) {
            if let Some(handle) = self.tasks.get(&key) {
                lock(&handle.shared.partitions).remove(partition);
            }
        }
    }

    /// Stops every task.
    pub fn stop_all(&mut self) {
        for (_, handle) in self.tasks.drain() {
            handle.task.abort();
        }
        self.owners.clear();
    }
}

/// Why one round with the leader failed.
#[derive(Debug, thiserror::Error)]
enum RoundError {
    #[error(transparent)]
    Client(#[from] common::client::ClientError),
    #[error("leader {leader} is not live or has no endpoint for listener {listener}")]
    NoEndpoint { leader: i32, listener: String },
}

async fn run(manager: ReplicaManager, leader: i32, index: usize, shared: Arc<Shared>) {
    let broker_id = manager.broker_id();
    let mut shutdown = manager.inner.shutdown.subscribe();
    let mut connection: Option<Connection> = None;
    let backoff = manager.config().fetch_backoff;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let snapshot: Vec<(TopicPartition, FetchState)> = lock(&shared.partitions)
            .iter()
            .map(|(partition, state)| (partition.clone(), *state))
            .collect();
        if snapshot.is_empty() {
            connection = None;
            tokio::select! {
                _ = shutdown.changed() => return,
                () = shared.wake.notified() => continue,
            }
        }
        let usable = connection.take().filter(|open| !open.is_closed());
        let open = match usable {
            Some(open) => open,
            None => match connect(&manager, leader, index).await {
                Ok(open) => open,
                Err(error) => {
                    tracing::debug!(%error, "[ReplicaFetcher replicaId={broker_id}, leaderId={leader}, fetcherId={index}] cannot reach the leader");
                    pause(&mut shutdown, &shared, backoff).await;
                    continue;
                }
            },
        };
        let now = Instant::now();
        for (partition, state) in &snapshot {
            if state.truncating && state.delayed_until.is_none_or(|until| until <= now) {
                let outcome =
                    truncate(&manager, &open, partition, leader, state.leader_epoch).await;
                settle(&shared, partition, state.leader_epoch, outcome, backoff);
            }
        }
        let ready: Vec<(TopicPartition, FetchState)> = lock(&shared.partitions)
            .iter()
            .filter(|(_, state)| {
                !state.truncating && state.delayed_until.is_none_or(|until| until <= now)
            })
            .map(|(partition, state)| (partition.clone(), *state))
            .collect();
        if ready.is_empty() {
            let next = lock(&shared.partitions)
                .values()
                .filter_map(|state| state.delayed_until)
                .min();
            connection = Some(open);
            let wait = next.map_or(backoff, |until| {
                until.saturating_duration_since(Instant::now())
            });
            pause(&mut shutdown, &shared, wait.max(Duration::from_millis(1))).await;
            continue;
        }
        match fetch(&manager, &open, leader, &ready).await {
            Ok(outcomes) => {
                for (partition, epoch, outcome) in outcomes {
                    settle(&shared, &partition, epoch, outcome, backoff);
                }
                connection = Some(open);
            }
            Err(error) => {
                tracing::info!(%error, "[ReplicaFetcher replicaId={broker_id}, leaderId={leader}, fetcherId={index}] Error in fetch; retrying after {backoff:?}");
                pause(&mut shutdown, &shared, backoff).await;
            }
        }
    }
}

async fn pause(shutdown: &mut tokio::sync::watch::Receiver<bool>, shared: &Shared, wait: Duration) {
    tokio::select! {
        _ = shutdown.changed() => {}
        () = shared.wake.notified() => {}
        () = tokio::time::sleep(wait) => {}
    }
}

/// What a partition's round came to.
#[derive(Debug)]
enum Outcome {
    /// Continue fetching from this offset.
    FetchFrom(i64),
    /// Check the divergence with the leader again.
    Truncate,
    /// Park it for the backoff.
    Delay,
    /// Nothing to change.
    Unchanged,
}

/// Applies `outcome` to the partition if it is still assigned in `epoch`.
fn settle(
    shared: &Shared,
    partition: &TopicPartition,
    epoch: i32,
    outcome: Outcome,
    backoff: Duration,
) {
    let mut partitions = lock(&shared.partitions);
    let Some(state) = partitions.get_mut(partition) else {
        return;
    };
    if state.leader_epoch != epoch {
        return;
    }
    match outcome {
        Outcome::FetchFrom(offset) => {
            state.fetch_offset = offset;
            state.truncating = false;
            state.delayed_until = None;
        }
        Outcome::Truncate => {
            state.truncating = true;
            state.delayed_until = None;
        }
        Outcome::Delay => state.delayed_until = Some(Instant::now() + backoff),
        Outcome::Unchanged => {}
    }
}

async fn connect(
    manager: &ReplicaManager,
    leader: i32,
    index: usize,
) -> Result<Connection, RoundError> {
    let image = manager.cluster().image();
    let listener = &manager.inner.listener_name;
    let endpoint = image
        .brokers
        .get(&leader)
        .and_then(|info| info.endpoint(listener).or_else(|| info.endpoints.first()))
        .ok_or_else(|| RoundError::NoEndpoint {
            leader,
            listener: listener.clone(),
        })?;
    let host = if endpoint.host.is_empty() {
        "localhost"
    } else {
        endpoint.host.as_str()
    };
    let config = manager.config();
    let options = ConnectionOptions {
        client_id: format!("broker-{}-fetcher-{index}", manager.broker_id()),
        connect_timeout: config.socket_timeout,
        request_timeout: config.socket_timeout + config.fetch_wait_max,
        max_response_size: usize::try_from(config.fetch_response_max_bytes)
            .unwrap_or(0)
            .saturating_add(16 * 1024 * 1024),
        write_queue: 4,
    };
    Ok(Connection::connect(&format!("{host}:{}", endpoint.port), &options).await?)
}

fn topic_name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_owned()))
}

/// The local facts a truncation round needs.
#[derive(Debug, Clone, Copy)]
struct LocalEnd {
    latest_epoch: Option<i32>,
    log_end_offset: i64,
    high_watermark: i64,
}

async fn local_end(
    manager: &ReplicaManager,
    partition: &TopicPartition,
) -> Result<LocalEnd, StorageError> {
    let owned = partition.clone();
    let manager_copy = manager.clone();
    manager
        .storage()
        .run(move |dir| {
            let log = dir
                .log(&owned)
                .ok_or_else(|| StorageError::UnknownTopicOrPartition {
                    topic: owned.topic.clone(),
                    partition: owned.partition,
                })?;
            let high_watermark = manager_copy.high_watermark(&owned).unwrap_or(0);
            Ok(LocalEnd {
                latest_epoch: log.latest_epoch(),
                log_end_offset: log.log_end_offset(),
                high_watermark: high_watermark.min(log.log_end_offset()),
            })
        })
        .await
}

/// Cuts the local log at `offset` if this broker still follows `leader` in `epoch`;
/// returns the new log end (`None`: the role changed).
async fn cut(
    manager: &ReplicaManager,
    partition: &TopicPartition,
    leader: i32,
    epoch: i32,
    offset: i64,
    restart: bool,
) -> Result<Option<i64>, StorageError> {
    let owned = partition.clone();
    let manager_copy = manager.clone();
    manager
        .storage()
        .run(move |dir| {
            let following = manager_copy
                .with_partition(&owned, |replica| {
                    replica.role
                        == super::Role::Follower {
                            leader,
                            leader_epoch: epoch,
                        }
                })
                .unwrap_or(false);
            if !following {
                return Ok(None);
            }
            let Some(log) = dir.log_mut(&owned) else {
                return Ok(None);
            };
            let before = log.log_end_offset();
            if restart {
                log.truncate_fully_and_start_at(offset)?;
            } else {
                log.truncate_to(offset)?;
            }
            let end = log.log_end_offset();
            if end != before || restart {
                tracing::info!(
                    "[Log partition={owned}, dir={}] Truncated to offset {end} (log end was {before})",
                    dir.path().display()
                );
            }
            manager_copy.with_partition(&owned, |replica| replica.truncated(end));
            Ok(Some(end))
        })
        .await
}

/// The divergence check of one partition (see the module docs).
async fn truncate(
    manager: &ReplicaManager,
    connection: &Connection,
    partition: &TopicPartition,
    leader: i32,
    epoch: i32,
) -> Outcome {
    for _ in 0..TRUNCATION_ROUNDS {
        let local = match local_end(manager, partition).await {
            Ok(local) => local,
            Err(error) => {
                tracing::debug!(%error, %partition, "truncation check: no local log");
                return Outcome::Delay;
            }
        };
        let Some(latest_epoch) = local.latest_epoch else {
            // Nothing recorded by any leader epoch: an empty log needs no cut; otherwise the
            // HW is the only safe point.
            if local.log_end_offset == 0 {
                return Outcome::FetchFrom(0);
            }
            return match cut(
                manager,
                partition,
                leader,
                epoch,
                local.high_watermark,
                false,
            )
            .await
            {
                Ok(Some(end)) => Outcome::FetchFrom(end),
                Ok(None) => Outcome::Unchanged,
                Err(_) => Outcome::Delay,
            };
        };
        let mut request = OffsetForLeaderEpochRequest::default();
        request.replica_id = BrokerId(manager.broker_id());
        let mut topic = OffsetForLeaderTopic::default();
        topic.topic = topic_name(&partition.topic);
        let mut wanted = OffsetForLeaderPartition::default();
        wanted.partition = partition.partition;
        wanted.current_leader_epoch = epoch;
        wanted.leader_epoch = latest_epoch;
        topic.partitions.push(wanted);
        request.topics.push(topic);
        let response = match connection.call(&request).await {
            Ok(response) => response,
            Err(error) => {
                tracing::debug!(%error, %partition, "OffsetForLeaderEpoch failed");
                return Outcome::Delay;
            }
        };
        let Some(answer) = response
            .topics
            .iter()
            .flat_map(|topic| topic.partitions.iter())
            .find(|answer| answer.partition == partition.partition)
        else {
            return Outcome::Delay;
        };
        if answer.error_code != 0 {
            tracing::debug!(code = answer.error_code, %partition, "OffsetForLeaderEpoch refused");
            return Outcome::Delay;
        }
        let (target, done) = if answer.end_offset < 0 {
            (local.high_watermark.min(local.log_end_offset), true)
        } else if answer.leader_epoch < 0 {
            (answer.end_offset.min(local.log_end_offset), true)
        } else {
            let owned = partition.clone();
            let asked = answer.leader_epoch;
            let here = manager
                .storage()
                .run(move |dir| Ok(dir.log(&owned).map(|log| log.end_offset_for_epoch(asked))))
                .await;
            match here {
                Ok(Some((local_epoch, _))) if local_epoch == asked => {
                    (answer.end_offset.min(local.log_end_offset), true)
                }
                Ok(Some((_, local_end))) if local_end >= 0 => {
                    (local_end.min(local.log_end_offset), false)
                }
                Ok(_) => (local.high_watermark.min(local.log_end_offset), true),
                Err(_) => return Outcome::Delay,
            }
        };
        match cut(manager, partition, leader, epoch, target, false).await {
            Ok(Some(end)) if done => return Outcome::FetchFrom(end),
            Ok(Some(_)) => continue,
            Ok(None) => return Outcome::Unchanged,
            Err(error) => {
                tracing::warn!(%error, %partition, "truncation failed");
                return Outcome::Delay;
            }
        }
    }
    Outcome::Delay
}

/// One Fetch for `ready`; per partition, what to do next.
async fn fetch(
    manager: &ReplicaManager,
    connection: &Connection,
    leader: i32,
    ready: &[(TopicPartition, FetchState)],
) -> Result<Vec<(TopicPartition, i32, Outcome)>, RoundError> {
    let config = manager.config();
    let mut request = FetchRequest::default();
    request.replica_id = BrokerId(manager.broker_id());
    request.max_wait_ms = i32::try_from(config.fetch_wait_max.as_millis()).unwrap_or(i32::MAX);
    request.min_bytes = config.fetch_min_bytes;
    request.max_bytes = config.fetch_response_max_bytes;
    request.isolation_level = 0;
    request.session_id = 0;
    request.session_epoch = -1;
    let mut by_topic: BTreeMap<&str, Vec<FetchPartition>> = BTreeMap::new();
    for (partition, state) in ready {
        let mut wanted = FetchPartition::default();
        wanted.partition = partition.partition;
        wanted.current_leader_epoch = state.leader_epoch;
        wanted.fetch_offset = state.fetch_offset;
        wanted.log_start_offset = -1;
        wanted.partition_max_bytes = config.fetch_max_bytes;
        by_topic
            .entry(partition.topic.as_str())
            .or_default()
            .push(wanted);
    }
    for (topic, partitions) in by_topic {
        let mut entry = FetchTopic::default();
        entry.topic = topic_name(topic);
        entry.partitions = partitions;
        request.topics.push(entry);
    }
    let response = connection.call(&request).await?;
    if response.error_code != 0 {
        return Ok(ready
            .iter()
            .map(|(partition, state)| (partition.clone(), state.leader_epoch, Outcome::Delay))
            .collect());
    }
    let mut outcomes = Vec::with_capacity(ready.len());
    for topic in response.responses {
        let name = topic.topic.0.as_str().to_owned();
        for data in topic.partitions {
            let partition = TopicPartition::new(name.clone(), data.partition_index);
            let Some((_, state)) = ready.iter().find(|(wanted, _)| *wanted == partition) else {
                continue;
            };
            let outcome = match ResponseError::try_from_code(data.error_code) {
                None => {
                    let records = data.records.unwrap_or_default();
                    apply(
                        manager,
                        &partition,
                        leader,
                        state,
                        records,
                        data.high_watermark,
                        data.log_start_offset,
                    )
                    .await
                }
                Some(ResponseError::OffsetOutOfRange) => {
                    out_of_range(manager, connection, &partition, leader, state).await
                }
                Some(error) => {
                    tracing::debug!(%partition, ?error, "follower fetch refused");
                    Outcome::Delay
                }
            };
            outcomes.push((partition, state.leader_epoch, outcome));
        }
    }
    Ok(outcomes)
}

/// Appends what the leader sent (whole batches only).
async fn apply(
    manager: &ReplicaManager,
    partition: &TopicPartition,
    leader: i32,
    state: &FetchState,
    records: Bytes,
    high_watermark: i64,
    log_start_offset: i64,
) -> Outcome {
    let whole = whole_batches(&records);
    let records = records.slice(..whole);
    let owned = partition.clone();
    let manager_copy = manager.clone();
    let epoch = state.leader_epoch;
    let outcome = manager
        .storage()
        .run_append(&partition.topic, partition.partition, move |dir| {
            let fetched = Fetched {
                records: &records,
                high_watermark,
                log_start_offset,
            };
            append_as_follower(&manager_copy, dir, &owned, (leader, epoch), fetched)
                .map_err(StorageError::from)
        })
        .await;
    match outcome {
        Ok(Some(end)) => Outcome::FetchFrom(end),
        Ok(None) => Outcome::Unchanged,
        Err(StorageError::Log(LogError::UnexpectedAppendOffset { .. })) => Outcome::Truncate,
        Err(error) => {
            tracing::warn!(%error, %partition, "appending fetched batches failed");
            Outcome::Delay
        }
    }
}

/// The length of the whole batches at the start of `records` (a batch's size is its 4-byte
/// length at offset 8, plus 12).
fn whole_batches(records: &[u8]) -> usize {
    let mut position = 0usize;
    loop {
        let Some(length) = records
            .get(position + 8..position + 12)
            .and_then(|bytes| <[u8; 4]>::try_from(bytes).ok())
            .map(i32::from_be_bytes)
        else {
            return position;
        };
        let Some(size) = usize::try_from(length).ok().map(|length| length + 12) else {
            return position;
        };
        if position + size > records.len() {
            return position;
        }
        position += size;
    }
}

/// OFFSET_OUT_OF_RANGE: follow the leader's log end down, or its log start up.
async fn out_of_range(
    manager: &ReplicaManager,
    connection: &Connection,
    partition: &TopicPartition,
    leader: i32,
    state: &FetchState,
) -> Outcome {
    let (Some(start), Some(end)) = (
        leader_offset(manager, connection, partition, state.leader_epoch, -2).await,
        leader_offset(manager, connection, partition, state.leader_epoch, -1).await,
    ) else {
        return Outcome::Delay;
    };
    let (target, restart) = if end < state.fetch_offset {
        tracing::warn!(
            "[ReplicaFetcher replicaId={}, leaderId={leader}] Partition {partition}: the leader's log end {end} is below this replica's {}; truncating to it",
            manager.broker_id(),
            state.fetch_offset
        );
        (end, false)
    } else {
        tracing::info!(
            "[ReplicaFetcher replicaId={}, leaderId={leader}] Partition {partition}: offset {} is below the leader's log start {start}; restarting the log there",
            manager.broker_id(),
            state.fetch_offset
        );
        (start, true)
    };
    match cut(
        manager,
        partition,
        leader,
        state.leader_epoch,
        target,
        restart,
    )
    .await
    {
        Ok(Some(end)) => Outcome::FetchFrom(end),
        Ok(None) => Outcome::Unchanged,
        Err(_) => Outcome::Delay,
    }
}

/// ListOffsets as a replica (`timestamp` -2: log start, -1: log end).
async fn leader_offset(
    manager: &ReplicaManager,
    connection: &Connection,
    partition: &TopicPartition,
    epoch: i32,
    timestamp: i64,
) -> Option<i64> {
    let mut request = ListOffsetsRequest::default();
    request.replica_id = BrokerId(manager.broker_id());
    let mut topic = ListOffsetsTopic::default();
    topic.name = topic_name(&partition.topic);
    let mut wanted = ListOffsetsPartition::default();
    wanted.partition_index = partition.partition;
    wanted.current_leader_epoch = epoch;
    wanted.timestamp = timestamp;
    topic.partitions.push(wanted);
    request.topics.push(topic);
    let response = connection.call(&request).await.ok()?;
    response
        .topics
        .iter()
        .flat_map(|topic| topic.partitions.iter())
        .find(|answer| answer.partition_index == partition.partition && answer.error_code == 0)
        .map(|answer| answer.offset)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn batch_of(size: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; size];
        let length = i32::try_from(size - 12).unwrap().to_be_bytes();
        bytes[8..12].copy_from_slice(&length);
        bytes
    }

    #[test]
    fn only_whole_batches_are_kept() {
        let mut records = batch_of(70);
        records.extend(batch_of(100));
        assert_eq!(whole_batches(&records), 170);
        records.extend(&batch_of(80)[..50]);
        assert_eq!(whole_batches(&records), 170);
        assert_eq!(whole_batches(&records[..11]), 0);
        assert_eq!(whole_batches(&[]), 0);
    }
}
