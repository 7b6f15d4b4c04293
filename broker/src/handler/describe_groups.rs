//! DescribeGroups: each group's state, protocol type, chosen protocol and members (member
//! metadata and assignment only while Stable, as Kafka shows them).
//!
//! An unknown group is answered as Kafka 3.x does: state Dead, no error — from v6,
//! GROUP_ID_NOT_FOUND with a message (KIP-1043). Authorized operations (v3+) are
//! -2147483648 ("not asked") unless asked for; then every group operation (no authorizer
//! runs here): READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS. v4+ members carry
//! `group.instance.id`.

use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::Context;
use crate::group::GroupError;

const AUTHORIZED_OPERATIONS_VERSION: i16 = 3;
const INSTANCE_ID_VERSION: i16 = 4;
const NOT_FOUND_VERSION: i16 = 6;

/// Bits of Kafka's AclOperation codes a group supports: READ (3), DELETE (6), DESCRIBE (8),
/// DESCRIBE_CONFIGS (10), ALTER_CONFIGS (11).
pub const ALL_GROUP_OPERATIONS: i32 = (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11);

pub fn handle(
    context: &Context,
    request: DescribeGroupsRequest,
    version: i16,
) -> DescribeGroupsResponse {
    let mut response = DescribeGroupsResponse::default();
    for group_id in request.groups {
        let mut described = DescribedGroup::default();
        let id = group_id.0.to_string();
        let outcome = if id.is_empty() {
            Err(GroupError::InvalidGroupId { group: id.clone() })
        } else {
            context.groups.describe(&id)
        };
        match outcome {
            Ok(Some(group)) => {
                described.group_state = StrBytes::from_static_str(group.state.name());
                described.protocol_type = StrBytes::from_string(group.protocol_type);
                described.protocol_data = StrBytes::from_string(group.protocol);
                for member in group.members {
                    let mut entry = DescribedGroupMember::default();
                    entry.member_id = StrBytes::from_string(member.member_id);
                    if version >= INSTANCE_ID_VERSION {
                        entry.group_instance_id =
                            member.group_instance_id.map(StrBytes::from_string);
                    }
                    entry.client_id = StrBytes::from_string(member.client_id);
                    entry.client_host = StrBytes::from_string(member.client_host);
                    entry.member_metadata = member.metadata;
                    entry.member_assignment = member.assignment;
                    described.members.push(entry);
                }
                if version >= AUTHORIZED_OPERATIONS_VERSION && request.include_authorized_operations
                {
                    described.authorized_operations = ALL_GROUP_OPERATIONS;
                }
            }
            Ok(None) => {
                described.group_state = StrBytes::from_static_str("Dead");
                if version >= NOT_FOUND_VERSION {
                    described.error_code = ResponseError::GroupIdNotFound.code();
                    described.error_message =
                        Some(StrBytes::from_string(format!("Group {id} not found.")));
                }
            }
            Err(error) => {
                described.error_code = error.wire_code();
                if version >= NOT_FOUND_VERSION {
                    described.error_message = Some(StrBytes::from_string(error.to_string()));
                }
            }
        }
        described.group_id = group_id;
        response.groups.push(described);
    }
    response
}
