//! Heartbeat: a member tells its group it is alive; the answer tells it whether a rebalance
//! is under way (REBALANCE_IN_PROGRESS) or it has been fenced (UNKNOWN_MEMBER_ID,
//! ILLEGAL_GENERATION, FENCED_INSTANCE_ID). v3+ carry `group.instance.id`.

use kafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse};

use super::Context;

const INSTANCE_ID_VERSION: i16 = 3;

pub fn handle(context: &Context, request: &HeartbeatRequest, version: i16) -> HeartbeatResponse {
    let instance = request
        .group_instance_id
        .as_ref()
        .filter(|_| version >= INSTANCE_ID_VERSION)
        .map(|instance| instance.to_string());
    let mut response = HeartbeatResponse::default();
    if let Err(error) = context.groups.heartbeat(
        request.group_id.0.as_str(),
        request.member_id.as_str(),
        request.generation_id,
        instance.as_deref(),
    ) {
        response.error_code = error.wire_code();
    }
    response
}
