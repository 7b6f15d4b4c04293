//! OffsetForLeaderEpoch: where a leader epoch ends in this leader's log — the start offset
//! of the first later epoch, or the log end for the current epoch — with the largest epoch
//! at or below the one asked (-1 and -1 when the log has none). Followers ask it to find
//! where their log diverges from the leader's; consumers ask it to validate their position
//! after a leader change.
//!
//! Only the leader answers (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION otherwise);
//! a `current_leader_epoch` (v2+) other than the partition's gets FENCED_LEADER_EPOCH (older)
//! or UNKNOWN_LEADER_EPOCH (newer), as in Fetch.

use kafka_protocol::messages::offset_for_leader_epoch_response::{
    EpochEndOffset, OffsetForLeaderTopicResult,
};
use kafka_protocol::messages::{OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse};

use super::error_code::storage_error_code;
use super::fetch::leader_epoch_error;
use super::storage::partition_log_mut;
use super::Context;

pub async fn handle(
    context: &Context,
    request: OffsetForLeaderEpochRequest,
) -> OffsetForLeaderEpochResponse {
    let mut response = OffsetForLeaderEpochResponse::default();
    for topic in request.topics {
        let name = topic.topic.0.as_str().to_owned();
        let mut result = OffsetForLeaderTopicResult::default();
        result.topic = topic.topic.clone();
        for wanted in topic.partitions {
            let mut answer = EpochEndOffset::default();
            answer.partition = wanted.partition;
            answer.leader_epoch = -1;
            answer.end_offset = -1;
            if let Some(code) = context.partition_error(&name, wanted.partition) {
                answer.error_code = code.code();
                result.partitions.push(answer);
                continue;
            }
            let current = context.leader_epoch(&name, wanted.partition);
            if let Some(error) = leader_epoch_error(wanted.current_leader_epoch, current) {
                answer.error_code = error.code();
                result.partitions.push(answer);
                continue;
            }
            let topic_name = name.clone();
            let index = wanted.partition;
            let asked = wanted.leader_epoch;
            let found = context
                .storage
                .run(move |dir| {
                    let log = partition_log_mut(dir, &topic_name, index)?;
                    Ok(log.end_offset_for_epoch(asked))
                })
                .await;
            match found {
                Ok((epoch, end_offset)) => {
                    answer.leader_epoch = epoch;
                    answer.end_offset = end_offset;
                }
                Err(error) => answer.error_code = storage_error_code(&error).code(),
            }
            result.partitions.push(answer);
        }
        response.topics.push(result);
    }
    response
}
