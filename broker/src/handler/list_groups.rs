//! ListGroups: the groups this broker coordinates, with their protocol type; v4+ also
//! their state (and filter by state, case-insensitively), v5 their type (always "classic":
//! the only kind this broker runs) and filter by type. While an offsets partition is still
//! loading the answer carries COORDINATOR_LOAD_IN_PROGRESS alongside the groups already
//! known.

use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{GroupId, ListGroupsRequest, ListGroupsResponse};
use kafka_protocol::protocol::StrBytes;

use super::Context;

const STATE_VERSION: i16 = 4;
const TYPE_VERSION: i16 = 5;
/// The group type of the classic rebalance protocol.
const CLASSIC: &str = "classic";

pub fn handle(context: &Context, request: &ListGroupsRequest, version: i16) -> ListGroupsResponse {
    let (error, groups) = context.groups.list_groups();
    let mut response = ListGroupsResponse::default();
    if let Some(error) = error {
        response.error_code = error.wire_code();
    }
    let states: Vec<String> = if version >= STATE_VERSION {
        request
            .states_filter
            .iter()
            .map(|state| state.to_ascii_lowercase())
            .collect()
    } else {
        Vec::new()
    };
    let types: Vec<String> = if version >= TYPE_VERSION {
        request
            .types_filter
            .iter()
            .map(|kind| kind.to_ascii_lowercase())
            .collect()
    } else {
        Vec::new()
    };
    if !types.is_empty() && !types.iter().any(|kind| kind == CLASSIC) {
        return response;
    }
    for group in groups {
        let state = group.state.name();
        if !states.is_empty() && !states.contains(&state.to_ascii_lowercase()) {
            continue;
        }
        let mut listed = ListedGroup::default();
        listed.group_id = GroupId(StrBytes::from_string(group.group_id));
        listed.protocol_type = StrBytes::from_string(group.protocol_type);
        if version >= STATE_VERSION {
            listed.group_state = StrBytes::from_static_str(state);
        }
        if version >= TYPE_VERSION {
            listed.group_type = StrBytes::from_static_str(CLASSIC);
        }
        response.groups.push(listed);
    }
    response
}
