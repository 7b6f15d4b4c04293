//! JoinGroup: a member (re)joins a group and waits until the rebalance has its members
//! (see [`crate::group::group`] for the rules and codes).
//!
//! Versions: v0 has no rebalance timeout (the session timeout serves as both, as in Kafka);
//! v4+ answers a first join without member id MEMBER_ID_REQUIRED with the id to use; v5+
//! carries `group.instance.id` (static membership); v7+ answers the protocol type; v9 tells
//! a static leader rejoining a Stable group to skip the assignment. Fields a version lacks
//! stay at their defaults (the encoder refuses anything else).

use std::time::Duration;

use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{JoinGroupRequest, JoinGroupResponse};
use kafka_protocol::protocol::StrBytes;

use super::{Context, RequestOrigin};
use crate::group::state::JoinRequest;
use crate::group::GroupError;

const REBALANCE_TIMEOUT_VERSION: i16 = 1;
const KNOWN_MEMBER_ID_VERSION: i16 = 4;
const INSTANCE_ID_VERSION: i16 = 5;
const PROTOCOL_TYPE_VERSION: i16 = 7;
const SKIP_ASSIGNMENT_VERSION: i16 = 9;

/// Milliseconds from the wire; negative values become zero (and fail the range check).
pub(crate) fn millis(value: i32) -> Duration {
    Duration::from_millis(u64::try_from(value).unwrap_or(0))
}

pub async fn handle(
    context: &Context,
    request: JoinGroupRequest,
    version: i16,
    origin: &RequestOrigin,
) -> JoinGroupResponse {
    let session_timeout = millis(request.session_timeout_ms);
    let rebalance_timeout = if version >= REBALANCE_TIMEOUT_VERSION {
        millis(request.rebalance_timeout_ms)
    } else {
        session_timeout
    };
    let join = JoinRequest {
        member_id: request.member_id.to_string(),
        group_instance_id: request
            .group_instance_id
            .as_ref()
            .filter(|_| version >= INSTANCE_ID_VERSION)
            .map(|instance| instance.to_string()),
        client_id: origin.client_id.clone(),
        client_host: origin.client_host.clone(),
        session_timeout,
        rebalance_timeout,
        protocol_type: request.protocol_type.to_string(),
        protocols: request
            .protocols
            .iter()
            .map(|protocol| (protocol.name.to_string(), protocol.metadata.clone()))
            .collect(),
        require_known_member_id: version >= KNOWN_MEMBER_ID_VERSION,
    };
    let group_id = request.group_id.0.to_string();
    let mut response = JoinGroupResponse::default();
    match context.groups.join(&group_id, join).await {
        Ok(joined) => {
            response.generation_id = joined.generation;
            if version >= PROTOCOL_TYPE_VERSION {
                response.protocol_type = joined.protocol_type.map(StrBytes::from_string);
            }
            response.protocol_name = Some(StrBytes::from_string(
                joined.protocol_name.unwrap_or_default(),
            ));
            response.leader = StrBytes::from_string(joined.leader);
            response.member_id = StrBytes::from_string(joined.member_id);
            if version >= SKIP_ASSIGNMENT_VERSION {
                response.skip_assignment = joined.skip_assignment;
            }
            for member in joined.members {
                let mut entry = JoinGroupResponseMember::default();
                entry.member_id = StrBytes::from_string(member.member_id);
                if version >= INSTANCE_ID_VERSION {
                    entry.group_instance_id = member.group_instance_id.map(StrBytes::from_string);
                }
                entry.metadata = member.metadata;
                response.members.push(entry);
            }
        }
        Err(error) => {
            response.error_code = error.wire_code();
            response.generation_id = -1;
            // Kafka answers a null protocol name from v7, an empty one before.
            if version < PROTOCOL_TYPE_VERSION {
                response.protocol_name = Some(StrBytes::default());
            }
            if let GroupError::MemberIdRequired { member_id } = &error {
                response.member_id = StrBytes::from_string(member_id.clone());
            } else {
                response.member_id = request.member_id;
            }
        }
    }
    response
}
