//! SyncGroup: the leader hands out the assignment of the new generation, followers wait
//! for theirs (see [`crate::group::group`]). The leader's assignment is written to
//! `__consumer_offsets` before anyone is answered.
//!
//! Versions: v3+ carry `group.instance.id`; v5 carries protocol type and name, checked
//! against the group's (INCONSISTENT_GROUP_PROTOCOL) and echoed back.

use std::collections::BTreeMap;

use kafka_protocol::messages::{SyncGroupRequest, SyncGroupResponse};
use kafka_protocol::protocol::StrBytes;

use super::Context;

const INSTANCE_ID_VERSION: i16 = 3;
const PROTOCOL_VERSION: i16 = 5;

pub async fn handle(
    context: &Context,
    request: SyncGroupRequest,
    version: i16,
) -> SyncGroupResponse {
    let mut assignments = BTreeMap::new();
    for assignment in &request.assignments {
        assignments.insert(
            assignment.member_id.to_string(),
            assignment.assignment.clone(),
        );
    }
    let instance = request
        .group_instance_id
        .as_ref()
        .filter(|_| version >= INSTANCE_ID_VERSION)
        .map(|instance| instance.to_string());
    let (protocol_type, protocol_name) = if version >= PROTOCOL_VERSION {
        (
            request.protocol_type.as_ref().map(|kind| kind.to_string()),
            request.protocol_name.as_ref().map(|name| name.to_string()),
        )
    } else {
        (None, None)
    };
    let outcome = context
        .groups
        .sync(
            request.group_id.0.as_str(),
            request.member_id.as_str(),
            request.generation_id,
            instance.as_deref(),
            protocol_type.as_deref(),
            protocol_name.as_deref(),
            assignments,
        )
        .await;
    let mut response = SyncGroupResponse::default();
    match outcome {
        Ok(synced) => {
            if version >= PROTOCOL_VERSION {
                response.protocol_type = synced.protocol_type.map(StrBytes::from_string);
                response.protocol_name = synced.protocol_name.map(StrBytes::from_string);
            }
            response.assignment = synced.assignment;
        }
        Err(error) => response.error_code = error.wire_code(),
    }
    response
}
