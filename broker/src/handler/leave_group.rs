//! LeaveGroup: members leave their group at once (a rebalance follows for the others).
//!
//! v0–v2 name one member; the answer's error is that member's. v3+ batch members (each
//! with an optional `group.instance.id`; an empty member id with an instance id removes
//! that static member) and answer each; the top-level error is for the whole request
//! (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, INVALID_GROUP_ID).

use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse};
use kafka_protocol::protocol::StrBytes;

use super::Context;

const BATCHED_VERSION: i16 = 3;

pub fn handle(context: &Context, request: &LeaveGroupRequest, version: i16) -> LeaveGroupResponse {
    let members: Vec<(String, Option<String>)> = if version >= BATCHED_VERSION {
        request
            .members
            .iter()
            .map(|member| {
                (
                    member.member_id.to_string(),
                    member.group_instance_id.as_ref().map(|id| id.to_string()),
                )
            })
            .collect()
    } else {
        vec![(request.member_id.to_string(), None)]
    };
    let mut response = LeaveGroupResponse::default();
    match context.groups.leave(request.group_id.0.as_str(), &members) {
        Err(error) => response.error_code = error.wire_code(),
        Ok(results) => {
            if version < BATCHED_VERSION {
                if let Some(Err(error)) = results.first() {
                    response.error_code = error.wire_code();
                }
                return response;
            }
            for ((member_id, instance), result) in members.into_iter().zip(results) {
                let mut entry = MemberResponse::default();
                entry.member_id = StrBytes::from_string(member_id);
                entry.group_instance_id = instance.map(StrBytes::from_string);
                if let Err(error) = result {
                    entry.error_code = error.wire_code();
                }
                response.members.push(entry);
            }
        }
    }
    response
}
