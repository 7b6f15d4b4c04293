//! DeleteGroups: removes Empty groups — tombstones for their offsets and metadata, then the
//! group is gone. A group with members is NON_EMPTY_GROUP; an unknown one
//! GROUP_ID_NOT_FOUND; each group is answered on its own.

use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse};

use super::Context;

pub async fn handle(context: &Context, request: DeleteGroupsRequest) -> DeleteGroupsResponse {
    let ids: Vec<String> = request
        .groups_names
        .iter()
        .map(|group| group.0.to_string())
        .collect();
    let results = context.groups.delete_groups(&ids).await;
    let mut response = DeleteGroupsResponse::default();
    for (group_id, result) in request.groups_names.into_iter().zip(results) {
        let mut entry = DeletableGroupResult::default();
        entry.group_id = group_id;
        if let Err(error) = result {
            entry.error_code = error.wire_code();
        }
        response.results.push(entry);
    }
    response
}
