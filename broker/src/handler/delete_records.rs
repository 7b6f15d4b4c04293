//! DeleteRecords: moves each partition's log start offset up to the requested offset and
//! answers the new low watermark (the log start offset).
//!
//! Only the leader deletes (NOT_LEADER_OR_FOLLOWER otherwise); followers follow the new
//! log start through their fetches. Offset -1 means the high watermark. Beyond the high
//! watermark, or negative other than -1 → OFFSET_OUT_OF_RANGE; at or below
//! the current log start → nothing changes, the current low watermark is answered; unknown
//! partitions → UNKNOWN_TOPIC_OR_PARTITION. Records below the new start are unreadable at
//! once; the segments wholly below it are deleted by the next retention pass, and producers
//! whose last batch lies below it are forgotten.

use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafka_protocol::messages::{DeleteRecordsRequest, DeleteRecordsResponse};

use super::error_code::storage_error_code;
use super::storage::partition_log_mut;
use super::{Context, StorageError};
use crate::log::LogError;

/// DeleteRecords' "up to the high watermark".
const HIGH_WATERMARK: i64 = -1;

pub async fn handle(context: &Context, request: DeleteRecordsRequest) -> DeleteRecordsResponse {
    let mut response = DeleteRecordsResponse::default();
    for topic in request.topics {
        let name = topic.name.0.as_str().to_owned();
        let mut topic_result = DeleteRecordsTopicResult::default();
        topic_result.name = topic.name.clone();
        for partition in topic.partitions {
            let mut result = DeleteRecordsPartitionResult::default();
            result.partition_index = partition.partition_index;
            let topic_name = name.clone();
            let index = partition.partition_index;
            let offset = partition.offset;
            if let Some(code) = context.partition_error(&name, index) {
                result.low_watermark = -1;
                result.error_code = code.code();
                topic_result.partitions.push(result);
                continue;
            }
            let high_watermark = context
                .replicas
                .high_watermark(&crate::log::TopicPartition::new(name.as_str(), index))
                .unwrap_or(0);
            let outcome = context
                .storage
                .run(move |dir| {
                    let log = partition_log_mut(dir, &topic_name, index)?;
                    let high_watermark = high_watermark.min(log.log_end_offset());
                    let target = if offset == HIGH_WATERMARK {
                        high_watermark
                    } else {
                        offset
                    };
                    if target < 0 || target > high_watermark {
                        return Err(StorageError::Log(LogError::OffsetOutOfRange {
                            requested: offset,
                            log_start_offset: log.log_start_offset(),
                            log_end_offset: high_watermark,
                        }));
                    }
                    log.advance_log_start_offset(target)?;
                    Ok(log.log_start_offset())
                })
                .await;
            match outcome {
                Ok(low_watermark) => result.low_watermark = low_watermark,
                Err(error) => {
                    result.low_watermark = -1;
                    result.error_code = storage_error_code(&error).code();
                }
            }
            topic_result.partitions.push(result);
        }
        response.topics.push(topic_result);
    }
    response
}
