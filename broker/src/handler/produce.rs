//! Produce: append each partition's record set to its log as the producer sent it (offsets
//! and, for LogAppendTime topics, the append time assigned in place by the log).
//!
//! acks: 1 answers after the leader's append; -1 first checks the ISR has at least
//! `min.insync.replicas` members (else NOT_ENOUGH_REPLICAS, nothing written), then answers
//! once the high watermark covers the batch — every ISR member has it — or with
//! NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR fell below the minimum meanwhile,
//! REQUEST_TIMED_OUT after the request's timeout, NOT_LEADER_OR_FOLLOWER when leadership
//! moved. The partitions of one request are all appended before any wait, and the wait
//! itself is left to the connection ([`Produced::complete`]), which goes on appending the
//! requests pipelined behind it and answers them all in order. 0 sends no response — and, as Kafka does, closes the connection if any partition failed,
//! so the producer notices; anything else is INVALID_REQUIRED_ACKS for every partition.
//! Per partition, with Kafka 3.x's codes (see [`super::error_code`]): unknown →
//! UNKNOWN_TOPIC_OR_PARTITION; not exactly one batch (v3+ requests carry one v2 batch per
//! partition) or magic other than 2 → INVALID_RECORD; a batch over `message.max.bytes` →
//! MESSAGE_TOO_LARGE; framing/CRC/record-section failures → CORRUPT_MESSAGE; record count
//! not last offset delta + 1 → INVALID_RECORD; control batches → INVALID_RECORD;
//! transactional batches → INVALID_TXN_STATE (no transaction coordinator runs here);
//! idempotent producers: an older epoch → INVALID_PRODUCER_EPOCH, a sequence gap →
//! OUT_OF_ORDER_SEQUENCE_NUMBER, a retried batch → success with its original base offset
//! (and append time), written once; a write that fails on disk → KAFKA_STORAGE_ERROR with
//! the log left as before. Nothing of a refused partition is written; other partitions of
//! the request go ahead.
//!
//! Compacted topics (`cleanup.policy` with `compact`): a record without a key is refused
//! with INVALID_RECORD from Produce v8 on and CORRUPT_MESSAGE before (the log checks the
//! records, decompressing compressed batches for it).
//!
//! Compressed batches are stored as they came: their header (CRC, count against offset
//! delta) is checked, their records are decompressed only for that key check.

use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::ResponseError;

use std::time::Duration;

use super::error_code::{record_error_code, storage_error_code};
use super::storage::StorageError;
use super::Context;
use crate::log::{LogError, TopicPartition};
use crate::network::NetworkError;
use crate::record::split_batches;
use crate::replication::{ReplicaManager, ReplicationError};

/// Where the magic byte sits in every message format (after offset, length, and the CRC or
/// leader epoch).
const MAGIC_POSITION: usize = 16;

/// The first Produce version whose clients know INVALID_RECORD.
const INVALID_RECORD_VERSION: i16 = 8;

/// What a successful append reports back.
struct Appended {
    base_offset: i64,
    log_append_time: Option<i64>,
    log_start_offset: i64,
    /// acks=all: the offset the high watermark must reach, with the partition's
    /// `min.insync.replicas`.
    replicate_to: Option<(i64, i32)>,
}

/// `Ok(None)`: acks=0 and all went well, nothing to send.
/// The first Produce version whose response carries `log_start_offset`.
const LOG_START_OFFSET_VERSION: i16 = 5;

/// A produce whose appends are done: the response, and the acks=all waits still due.
#[derive(Debug)]
pub struct Produced {
    pub response: ProduceResponse,
    waits: Vec<Wait>,
    timeout: Duration,
}

/// One acks=all partition: where its answer sits in the response and the offset the high
/// watermark must reach.
#[derive(Debug)]
struct Wait {
    topic_index: usize,
    partition_index: usize,
    partition: TopicPartition,
    offset: i64,
    min_insync_replicas: i32,
}

impl Produced {
    /// True when the answer is final now (acks 0 or 1, or nothing was appended).
    pub fn is_complete(&self) -> bool {
        self.waits.is_empty()
    }

    /// Waits until every acks=all partition is replicated (or fails) and returns the final
    /// response.
    pub async fn complete(mut self, replicas: &ReplicaManager) -> ProduceResponse {
        for wait in std::mem::take(&mut self.waits) {
            let waited = replicas
                .wait_for_replication(
                    &wait.partition,
                    wait.offset,
                    wait.min_insync_replicas,
                    self.timeout,
                )
                .await;
            if let Err(error) = waited {
                tracing::debug!(%error, "acks=all produce failed");
                let code = error
                    .response_error()
                    .unwrap_or(ResponseError::KafkaStorageError);
                let slot = self
                    .response
                    .responses
                    .get_mut(wait.topic_index)
                    .and_then(|topic| topic.partition_responses.get_mut(wait.partition_index));
                if let Some(slot) = slot {
                    slot.error_code = code.code();
                    slot.base_offset = -1;
                    slot.log_append_time_ms = -1;
                    slot.log_start_offset = -1;
                }
            }
        }
        self.response
    }
}

pub async fn handle(
    context: &Context,
    request: ProduceRequest,
    version: i16,
) -> Result<Option<Produced>, NetworkError> {
    let acks = request.acks;
    let acks_valid = matches!(acks, -1..=1);
    let timeout = Duration::from_millis(u64::try_from(request.timeout_ms).unwrap_or(0));
    let mut response = ProduceResponse::default();
    let mut any_error = false;
    let mut waits = Vec::new();
    for topic in request.topic_data {
        let name = topic.name.0.as_str().to_owned();
        let mut topic_response = TopicProduceResponse::default();
        topic_response.name = topic.name.clone();
        for partition in topic.partition_data {
            let mut partition_response = PartitionProduceResponse::default();
            partition_response.index = partition.index;
            let outcome = if acks_valid {
                let records = partition.records.unwrap_or_default();
                append(
                    context,
                    &name,
                    partition.index,
                    records,
                    version,
                    acks == -1,
                )
                .await
            } else {
                Err(ResponseError::InvalidRequiredAcks)
            };
            match outcome {
                Ok(appended) => {
                    if let Some((offset, min_insync_replicas)) = appended.replicate_to {
                        waits.push(Wait {
                            topic_index: response.responses.len(),
                            partition_index: topic_response.partition_responses.len(),
                            partition: TopicPartition::new(name.as_str(), partition.index),
                            offset,
                            min_insync_replicas,
                        });
                    }
                    partition_response.base_offset = appended.base_offset;
                    partition_response.log_append_time_ms = appended.log_append_time.unwrap_or(-1);
                    // A field a version lacks must keep its default, or encoding fails.
                    if version >= LOG_START_OFFSET_VERSION {
                        partition_response.log_start_offset = appended.log_start_offset;
                    }
                }
                Err(code) => {
                    any_error = true;
                    partition_response.error_code = code.code();
                    partition_response.base_offset = -1;
                    partition_response.log_append_time_ms = -1;
                    partition_response.log_start_offset = -1;
                }
            }
            topic_response.partition_responses.push(partition_response);
        }
        response.responses.push(topic_response);
    }
    if acks == 0 {
        if any_error {
            return Err(NetworkError::AcksZeroProduceFailed);
        }
        return Ok(None);
    }
    Ok(Some(Produced {
        response,
        waits,
        timeout,
    }))
}

async fn append(
    context: &Context,
    topic: &str,
    partition: i32,
    records: bytes::Bytes,
    version: i16,
    acks_all: bool,
) -> Result<Appended, ResponseError> {
    if let Some(code) = context.partition_error(topic, partition) {
        return Err(code);
    }
    let max = usize::try_from(context.options.message_max_bytes).unwrap_or(0);
    // Kafka's ProduceRequest.validateRecords: v3+ carries magic 2 only. Checked before the
    // framing, which differs for the older formats.
    if records.get(MAGIC_POSITION).is_some_and(|magic| *magic != 2) {
        return Err(ResponseError::InvalidRecord);
    }
    let batches = split_batches(&records).map_err(|error| record_error_code(&error))?;
    // Kafka's ProduceRequest.validateRecords: v3+ carries exactly one batch per partition.
    if batches.len() != 1 {
        return Err(ResponseError::InvalidRecord);
    }
    if batches.iter().any(|batch| batch.size_in_bytes() > max) {
        return Err(ResponseError::MessageTooLarge);
    }
    drop(batches);
    let target = TopicPartition::new(topic, partition);
    let replicas = context.replicas.clone();
    let appended = context
        .storage
        .run_append(topic, partition, move |dir| {
            Ok(replicas.append_as_leader(dir, &target, &records, acks_all))
        })
        .await
        .map_err(ReplicationError::Storage)
        .and_then(|inner| inner)
        .map_err(|error| {
            tracing::debug!(%error, "produce refused");
            match error {
                ReplicationError::Storage(error) => {
                    // INVALID_RECORD exists from Produce v8 (KIP-467); older clients get the
                    // code a keyless record in a compacted topic always had, CORRUPT_MESSAGE.
                    if matches!(error, StorageError::Log(LogError::KeylessRecord { .. }))
                        && version < INVALID_RECORD_VERSION
                    {
                        return ResponseError::CorruptMessage;
                    }
                    storage_error_code(&error)
                }
                other => other
                    .response_error()
                    .unwrap_or(ResponseError::KafkaStorageError),
            }
        })?;
    context.storage.notify_append();
    Ok(Appended {
        base_offset: appended.info.first_offset,
        log_append_time: appended.info.log_append_time,
        log_start_offset: appended.log_start_offset,
        replicate_to: acks_all.then(|| {
            (
                appended.info.last_offset.saturating_add(1),
                appended.min_insync_replicas,
            )
        }),
    })
}
