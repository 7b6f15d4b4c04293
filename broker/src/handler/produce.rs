//! Produce: append each partition's record set to its log as the producer sent it (offsets
//! and, for LogAppendTime topics, the append time assigned in place by the log).
//!
//! acks: 1 answers after the append; -1 behaves the same (this broker is the whole ISR);
//! 0 sends no response — and, as Kafka does, closes the connection if any partition failed,
//! so the producer notices; anything else is INVALID_REQUIRED_ACKS for every partition.
//! Per partition: unknown → UNKNOWN_TOPIC_OR_PARTITION; a batch over `message.max.bytes` →
//! MESSAGE_TOO_LARGE; framing/CRC failures → CORRUPT_MESSAGE (see [`super::error_code`]).
//! Nothing of a refused partition is written; other partitions of the request go ahead.

use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::ResponseError;

use super::error_code::{record_error_code, storage_error_code};
use super::storage::partition_log_mut;
use super::Context;
use crate::network::NetworkError;
use crate::record::split_batches;

/// What a successful append reports back.
struct Appended {
    base_offset: i64,
    log_append_time: Option<i64>,
    log_start_offset: i64,
}

/// `Ok(None)`: acks=0 and all went well, nothing to send.
pub async fn handle(
    context: &Context,
    request: ProduceRequest,
) -> Result<Option<ProduceResponse>, NetworkError> {
    let acks = request.acks;
    let acks_valid = matches!(acks, -1..=1);
    let mut response = ProduceResponse::default();
    let mut any_error = false;
    for topic in request.topic_data {
        let name = topic.name.0.as_str().to_owned();
        let mut topic_response = TopicProduceResponse::default();
        topic_response.name = topic.name.clone();
        for partition in topic.partition_data {
            let mut partition_response = PartitionProduceResponse::default();
            partition_response.index = partition.index;
            let outcome = if acks_valid {
                let records = partition.records.unwrap_or_default();
                append(context, &name, partition.index, records).await
            } else {
                Err(ResponseError::InvalidRequiredAcks)
            };
            match outcome {
                Ok(appended) => {
                    partition_response.base_offset = appended.base_offset;
                    partition_response.log_append_time_ms = appended.log_append_time.unwrap_or(-1);
                    partition_response.log_start_offset = appended.log_start_offset;
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
    Ok(Some(response))
}

async fn append(
    context: &Context,
    topic: &str,
    partition: i32,
    records: bytes::Bytes,
) -> Result<Appended, ResponseError> {
    if let Some(code) = context.partition_error(topic, partition) {
        return Err(code);
    }
    let max = usize::try_from(context.options.message_max_bytes).unwrap_or(0);
    let batches = split_batches(&records).map_err(|error| record_error_code(&error))?;
    if batches.iter().any(|batch| batch.size_in_bytes() > max) {
        return Err(ResponseError::MessageTooLarge);
    }
    drop(batches);
    let topic = topic.to_owned();
    let appended = context
        .storage
        .run(move |dir| {
            let log = partition_log_mut(dir, &topic, partition)?;
            let mut bytes = records.to_vec();
            let timestamp_type = log.config().message_timestamp_type;
            let info = log.append(&mut bytes, timestamp_type)?;
            Ok(Appended {
                base_offset: info.first_offset,
                log_append_time: info.log_append_time,
                log_start_offset: log.log_start_offset(),
            })
        })
        .await
        .map_err(|error| {
            tracing::debug!(%error, "produce refused");
            storage_error_code(&error)
        })?;
    context.storage.notify_append();
    Ok(appended)
}
