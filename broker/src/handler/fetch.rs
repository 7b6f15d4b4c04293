//! Fetch: whole batches from each partition's fetch offset, as they are stored.
//!
//! Sizes: each partition gets at most `partition_max_bytes`, the response at most
//! `max_bytes`, except that the first batch found is returned whole even when larger (so a
//! consumer can always make progress). A partition's read continues across segment
//! boundaries while whole batches fit. Long poll: when fewer than `min_bytes` are available
//! and no partition has an error, the request waits until an append happens (then reads
//! again) or `max_wait_ms` passes.
//!
//! Replication: a consumer (`replica_id` -1) reads only below the high watermark, and an
//! offset between the HW and the log end answers empty. A follower (`replica_id` = its
//! broker id) reads up to the log end; its fetch offset is its log end, which the replica
//! manager records (moving the HW, maybe adding it to the ISR) before the read; its
//! `current_leader_epoch` must be the leader's (older: FENCED_LEADER_EPOCH, newer:
//! UNKNOWN_LEADER_EPOCH), and only a replica of the partition may fetch it
//! (NOT_LEADER_OR_FOLLOWER). Errors per partition: UNKNOWN_TOPIC_OR_PARTITION, OFFSET_OUT_OF_RANGE
//! (with the log start and end offsets), KAFKA_STORAGE_ERROR for an offline log, and — when
//! the request names a `current_leader_epoch` (v9+) other than the partition's —
//! FENCED_LEADER_EPOCH (older) or UNKNOWN_LEADER_EPOCH (newer) with `current_leader` filled
//! in, as Kafka does. `last_stable_offset` is the high watermark and read_committed reads
//! like read_uncommitted: there are no transactions (read_committed gets an empty aborted
//! transactions list, read_uncommitted a null one, as from Kafka).
//!
//! Fetch sessions (v7+) are not cached, which is what Kafka does with
//! `max.incremental.fetch.session.cache.slots=0`: a full fetch (session epoch 0 or -1,
//! whatever the session id) is served in full with session id 0 in the response, so the
//! client keeps sending full fetches; an incremental fetch (epoch > 0) names a session this
//! broker does not have and gets FETCH_SESSION_ID_NOT_FOUND, after which clients fall back
//! to a full fetch.

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::{FetchRequest, FetchResponse};
use kafka_protocol::ResponseError;
use tokio::time::Instant;

use kafka_protocol::messages::fetch_response::LeaderIdAndEpoch;
use kafka_protocol::messages::BrokerId;

use super::error_code::storage_error_code;
use super::storage::partition_log_mut;
use super::{Context, StorageError};
use crate::log::{LogError, TopicPartition};
use crate::replication::FollowerFetchError;

/// Session epoch of a full fetch that opens a session (`INITIAL_EPOCH`).
const INITIAL_SESSION_EPOCH: i32 = 0;
/// Session epoch of a full fetch outside any session (`FINAL_EPOCH`).
const FINAL_SESSION_EPOCH: i32 = -1;
/// `current_leader_epoch` when the client does not check it.
const NO_LEADER_EPOCH: i32 = -1;
/// `isolation_level` READ_COMMITTED.
const READ_COMMITTED: i8 = 1;

/// Kafka's leader-epoch check of a client's `current_leader_epoch` against the partition's.
pub(crate) fn leader_epoch_error(requested: i32, current: i32) -> Option<ResponseError> {
    if requested == NO_LEADER_EPOCH || requested == current {
        None
    } else if requested < current {
        Some(ResponseError::FencedLeaderEpoch)
    } else {
        Some(ResponseError::UnknownLeaderEpoch)
    }
}

/// One partition to read.
#[derive(Debug, Clone)]
struct PartitionFetch {
    topic: String,
    partition: i32,
    offset: i64,
    max_bytes: usize,
    current_leader_epoch: i32,
}

/// What one read found.
#[derive(Debug)]
struct PartitionRead {
    error: Option<ResponseError>,
    records: Vec<u8>,
    log_start_offset: i64,
    high_watermark: i64,
}

/// The first Fetch version whose response carries `log_start_offset`.
const LOG_START_OFFSET_VERSION: i16 = 5;
/// The first Fetch version whose response carries `current_leader`.
const CURRENT_LEADER_VERSION: i16 = 12;

pub async fn handle(context: &Context, request: FetchRequest, version: i16) -> FetchResponse {
    let mut response = FetchResponse::default();
    response.session_id = 0;
    if !matches!(
        request.session_epoch,
        INITIAL_SESSION_EPOCH | FINAL_SESSION_EPOCH
    ) {
        response.error_code = ResponseError::FetchSessionIdNotFound.code();
        return response;
    }
    let leader_id = context.options.broker_id;
    let read_committed = request.isolation_level == READ_COMMITTED;
    let replica_id = request.replica_id.0;
    let mut wanted = Vec::new();
    for topic in &request.topics {
        for partition in &topic.partitions {
            wanted.push(PartitionFetch {
                topic: topic.topic.0.as_str().to_owned(),
                partition: partition.partition,
                offset: partition.fetch_offset,
                max_bytes: usize::try_from(partition.partition_max_bytes).unwrap_or(0),
                current_leader_epoch: partition.current_leader_epoch,
            });
        }
    }
    let response_max = usize::try_from(request.max_bytes).unwrap_or(0);
    let min_bytes = usize::try_from(request.min_bytes).unwrap_or(0);
    let wait = Duration::from_millis(u64::try_from(request.max_wait_ms).unwrap_or(0));
    let deadline = Instant::now() + wait;
    let mut appends = context.storage.subscribe_appends();
    let reads = loop {
        appends.borrow_and_update();
        let reads = read_all(context, wanted.clone(), response_max, replica_id).await;
        let total: usize = reads.iter().map(|read| read.records.len()).sum();
        let any_error = reads.iter().any(|read| read.error.is_some());
        if total >= min_bytes.max(1) || any_error || Instant::now() >= deadline {
            break reads;
        }
        tokio::select! {
            changed = appends.changed() => {
                if changed.is_err() {
                    break reads;
                }
            }
            () = tokio::time::sleep_until(deadline) => {
                // One last read: data may have come with the deadline.
                break read_all(context, wanted.clone(), response_max, replica_id).await;
            }
        }
    };
    let mut reads = reads.into_iter();
    for topic in request.topics {
        let mut topic_response = FetchableTopicResponse::default();
        topic_response.topic = topic.topic.clone();
        for partition in topic.partitions {
            let Some(read) = reads.next() else { break };
            let leader_epoch = context.leader_epoch(topic.topic.as_str(), partition.partition);
            let mut data =
                partition_data(partition.partition, read, leader_id, leader_epoch, version);
            if !read_committed {
                data.aborted_transactions = None;
            }
            topic_response.partitions.push(data);
        }
        response.responses.push(topic_response);
    }
    response
}

fn partition_data(
    partition: i32,
    read: PartitionRead,
    leader_id: i32,
    leader_epoch: i32,
    version: i16,
) -> PartitionData {
    let mut data = PartitionData::default();
    data.partition_index = partition;
    data.high_watermark = read.high_watermark;
    data.last_stable_offset = read.high_watermark;
    // A field a version lacks must keep its default, or encoding fails.
    if version >= LOG_START_OFFSET_VERSION {
        data.log_start_offset = read.log_start_offset;
    }
    data.records = Some(Bytes::from(read.records));
    if let Some(error) = read.error {
        data.error_code = error.code();
        if version >= CURRENT_LEADER_VERSION
            && matches!(
                error,
                ResponseError::FencedLeaderEpoch | ResponseError::UnknownLeaderEpoch
            )
        {
            let mut leader = LeaderIdAndEpoch::default();
            leader.leader_id = BrokerId(leader_id);
            leader.leader_epoch = leader_epoch;
            data.current_leader = leader;
        }
    }
    data
}

/// Reads every partition in request order under one lock, sharing `response_max`;
/// `replica_id` ≥ 0 is a follower's fetch.
async fn read_all(
    context: &Context,
    wanted: Vec<PartitionFetch>,
    response_max: usize,
    replica_id: i32,
) -> Vec<PartitionRead> {
    let count = wanted.len();
    // Partitions this broker does not host are answered from the image.
    let refused: Vec<Option<ResponseError>> = wanted
        .iter()
        .map(|fetch| {
            let partition = TopicPartition::new(fetch.topic.as_str(), fetch.partition);
            if context.replicas.hosts(&partition) {
                None
            } else {
                Some(
                    context
                        .partition_error(&fetch.topic, fetch.partition)
                        .unwrap_or(ResponseError::NotLeaderOrFollower),
                )
            }
        })
        .collect();
    let replicas = context.replicas.clone();
    let most = wanted
        .iter()
        .fold(0usize, |sum, fetch| sum.saturating_add(fetch.max_bytes))
        .min(response_max);
    let outcome = context
        .storage
        .run_read(most, move |dir| {
            let mut reads = Vec::with_capacity(wanted.len());
            let mut remaining = response_max;
            let mut total = 0usize;
            for (fetch, refused) in wanted.into_iter().zip(refused) {
                if let Some(code) = refused {
                    reads.push(refusal(code, -1, -1));
                    continue;
                }
                let partition = TopicPartition::new(fetch.topic.as_str(), fetch.partition);
                let read = match partition_log_mut(dir, &fetch.topic, fetch.partition) {
                    Err(error) => failed(&error, -1, -1),
                    Ok(log) => {
                        let start = log.log_start_offset();
                        // The follower's offset is its log end: recorded before the read.
                        let bound = if replica_id >= 0 {
                            replicas
                                .follower_fetch(
                                    &partition,
                                    replica_id,
                                    fetch.offset,
                                    fetch.current_leader_epoch,
                                )
                                .map(|high_watermark| (high_watermark, log.log_end_offset()))
                                .map_err(follower_error)
                        } else {
                            replicas.consumer_bound(&partition).and_then(
                                |(high_watermark, epoch)| match leader_epoch_error(
                                    fetch.current_leader_epoch,
                                    epoch,
                                ) {
                                    Some(error) => Err(error),
                                    None => Ok((high_watermark, high_watermark)),
                                },
                            )
                        };
                        match bound {
                            Err(code) => refusal(code, start, -1),
                            Ok((high_watermark, readable_end)) => {
                                let limit = fetch.max_bytes.min(remaining);
                                if limit == 0 && total > 0 {
                                    // No room left in the response for this partition.
                                    PartitionRead {
                                        error: None,
                                        records: Vec::new(),
                                        log_start_offset: start,
                                        high_watermark,
                                    }
                                } else {
                                    match log.read_up_to(fetch.offset, limit, readable_end) {
                                        Ok(result) => PartitionRead {
                                            error: None,
                                            records: result.records,
                                            log_start_offset: result.log_start_offset,
                                            high_watermark,
                                        },
                                        Err(error) => {
                                            failed(&StorageError::Log(error), start, high_watermark)
                                        }
                                    }
                                }
                            }
                        }
                    }
                };
                total = total.saturating_add(read.records.len());
                remaining = remaining.saturating_sub(read.records.len());
                reads.push(read);
            }
            Ok(reads)
        })
        .await;
    match outcome {
        Ok(reads) => reads,
        Err(error) => (0..count).map(|_| failed(&error, -1, -1)).collect(),
    }
}

fn follower_error(error: FollowerFetchError) -> ResponseError {
    match error {
        FollowerFetchError::NotLeader | FollowerFetchError::NotReplica => {
            ResponseError::NotLeaderOrFollower
        }
        FollowerFetchError::FencedLeaderEpoch => ResponseError::FencedLeaderEpoch,
        FollowerFetchError::UnknownLeaderEpoch => ResponseError::UnknownLeaderEpoch,
    }
}

fn refusal(code: ResponseError, log_start_offset: i64, high_watermark: i64) -> PartitionRead {
    PartitionRead {
        error: Some(code),
        records: Vec::new(),
        log_start_offset,
        high_watermark,
    }
}

fn failed(error: &StorageError, log_start_offset: i64, high_watermark: i64) -> PartitionRead {
    if !matches!(
        error,
        StorageError::UnknownTopicOrPartition { .. }
            | StorageError::Log(LogError::OffsetOutOfRange { .. })
    ) {
        tracing::warn!(%error, "fetch read failed");
    }
    PartitionRead {
        error: Some(storage_error_code(error)),
        records: Vec::new(),
        log_start_offset,
        high_watermark,
    }
}
