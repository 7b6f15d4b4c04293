//! FindCoordinator: which broker coordinates a group (the leader of the group's partition
//! of `__consumer_offsets`, created here on first use — see [`crate::group::coordinator`]).
//!
//! v0–v3 ask for one key; v4+ batch keys, each answered on its own. Key type 0 is a group;
//! key type 1 (a transactional id) is answered COORDINATOR_NOT_AVAILABLE: this broker runs
//! no transaction coordinator yet, and clients treat that code as retriable, so a
//! transactional producer waits and then fails with a coordinator timeout instead of being
//! sent to a broker that cannot serve it. Other key types are INVALID_REQUEST. A
//! coordinator whose endpoint on this listener is unknown is COORDINATOR_NOT_AVAILABLE.

use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{BrokerId, FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::Context;
use crate::group::GroupError;

/// The first version batching keys.
const BATCHED_VERSION: i16 = 4;
/// The first version with `error_message` (v0 has none).
const ERROR_MESSAGE_VERSION: i16 = 1;

const GROUP_KEY_TYPE: i8 = 0;
const TRANSACTION_KEY_TYPE: i8 = 1;

/// Where a coordinator is, or why not.
struct Found {
    node_id: i32,
    host: String,
    port: i32,
}

pub async fn handle(
    context: &Context,
    request: FindCoordinatorRequest,
    version: i16,
) -> FindCoordinatorResponse {
    let mut response = FindCoordinatorResponse::default();
    if version >= BATCHED_VERSION {
        for key in &request.coordinator_keys {
            let outcome = find(context, request.key_type, key.as_str()).await;
            let mut coordinator = Coordinator::default();
            coordinator.key = key.clone();
            match outcome {
                Ok(found) => {
                    coordinator.node_id = BrokerId(found.node_id);
                    coordinator.host = StrBytes::from_string(found.host);
                    coordinator.port = found.port;
                }
                Err((code, message)) => {
                    coordinator.node_id = BrokerId(-1);
                    coordinator.port = -1;
                    coordinator.error_code = code.code();
                    coordinator.error_message = Some(StrBytes::from_string(message));
                }
            }
            response.coordinators.push(coordinator);
        }
        return response;
    }
    match find(context, request.key_type, request.key.as_str()).await {
        Ok(found) => {
            response.node_id = BrokerId(found.node_id);
            response.host = StrBytes::from_string(found.host);
            response.port = found.port;
        }
        Err((code, message)) => {
            response.error_code = code.code();
            response.node_id = BrokerId(-1);
            response.port = -1;
            if version >= ERROR_MESSAGE_VERSION {
                response.error_message = Some(StrBytes::from_string(message));
            }
        }
    }
    response
}

async fn find(
    context: &Context,
    key_type: i8,
    key: &str,
) -> Result<Found, (ResponseError, String)> {
    match key_type {
        GROUP_KEY_TYPE => {}
        TRANSACTION_KEY_TYPE => {
            return Err((
                ResponseError::CoordinatorNotAvailable,
                "This broker runs no transaction coordinator.".to_owned(),
            ))
        }
        other => {
            return Err((
                ResponseError::InvalidRequest,
                format!("Unknown coordinator key type {other}."),
            ))
        }
    }
    let node_id = context
        .groups
        .find_coordinator(key)
        .await
        .map_err(|error: GroupError| (error.code(), error.to_string()))?;
    let image = context.metadata();
    let endpoint = image
        .brokers
        .get(&node_id)
        .and_then(|broker| broker.endpoint(&context.listener_name));
    match endpoint {
        Some(endpoint) => Ok(Found {
            node_id,
            host: endpoint.host.clone(),
            port: i32::from(endpoint.port),
        }),
        None => Err((
            ResponseError::CoordinatorNotAvailable,
            format!(
                "Broker {node_id} has no endpoint for listener {}.",
                context.listener_name
            ),
        )),
    }
}
