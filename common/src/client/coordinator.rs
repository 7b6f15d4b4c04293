//! Group coordinator lookup: FindCoordinator for a group id, answered by any broker with the
//! broker that owns the group's `__consumer_offsets` partition.
//!
//! Versions: up to v3 the request carries one `key` and the response one node; from v4 the
//! request carries `coordinator_keys` and the response a `coordinators` list. Both shapes
//! are filled and read here by the version the connection negotiated.
//! COORDINATOR_NOT_AVAILABLE (the offsets topic is being created, or the owner is down)
//! and COORDINATOR_LOAD_IN_PROGRESS are retried with `retry.backoff.ms` up to
//! `retries` times.

use kafka_protocol::messages::{FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::{Request, StrBytes};
use kafka_protocol::ResponseError;

use super::cluster::Client;
use super::error::{coordinator_moved, ClientError};

/// The broker that coordinates a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoordinatorNode {
    pub node_id: i32,
    pub host: String,
    pub port: i32,
}

impl CoordinatorNode {
    /// `host:port`.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// FindCoordinator's key type for groups.
const GROUP_KEY_TYPE: i8 = 0;

impl Client {
    /// The coordinator of `group`, retrying while none is available.
    pub async fn find_coordinator(&self, group: &str) -> Result<CoordinatorNode, ClientError> {
        let mut attempt = 0;
        loop {
            let outcome = self.find_coordinator_once(group).await;
            let retry = match &outcome {
                Ok(_) => false,
                Err(error) => error.is_retriable(),
            };
            if !retry || attempt >= self.config().retries {
                return outcome;
            }
            attempt += 1;
            tokio::time::sleep(self.config().retry_backoff).await;
        }
    }

    async fn find_coordinator_once(&self, group: &str) -> Result<CoordinatorNode, ClientError> {
        let connection = self.any_connection().await?;
        let version = connection.version(FindCoordinatorRequest::KEY).unwrap_or(0);
        let mut request = FindCoordinatorRequest::default();
        request.key_type = GROUP_KEY_TYPE;
        if version >= 4 {
            request.coordinator_keys = vec![StrBytes::from_string(group.to_string())];
        } else {
            request.key = StrBytes::from_string(group.to_string());
        }
        let response = connection.call(&request).await?;
        coordinator_from_response(group, version, &response)
    }
}

/// The node (or the error) FindCoordinator answered for `group`.
pub fn coordinator_from_response(
    group: &str,
    version: i16,
    response: &FindCoordinatorResponse,
) -> Result<CoordinatorNode, ClientError> {
    let failed = |error: ResponseError| ClientError::Coordinator {
        key: group.to_string(),
        error,
    };
    if version >= 4 {
        let Some(entry) = response
            .coordinators
            .iter()
            .find(|entry| entry.key.as_str() == group)
        else {
            return Err(failed(ResponseError::CoordinatorNotAvailable));
        };
        if let Some(error) = ResponseError::try_from_code(entry.error_code) {
            return Err(failed(error));
        }
        return Ok(CoordinatorNode {
            node_id: entry.node_id.0,
            host: entry.host.as_str().to_string(),
            port: entry.port,
        });
    }
    if let Some(error) = ResponseError::try_from_code(response.error_code) {
        return Err(failed(error));
    }
    Ok(CoordinatorNode {
        node_id: response.node_id.0,
        host: response.host.as_str().to_string(),
        port: response.port,
    })
}

/// True when `error` means "look the coordinator up again" (see [`coordinator_moved`]).
pub fn needs_new_coordinator(error: &ClientError) -> bool {
    match error {
        ClientError::Coordinator { error, .. } | ClientError::Group { error, .. } => {
            coordinator_moved(*error)
        }
        ClientError::Connect { .. }
        | ClientError::ConnectionLost { .. }
        | ClientError::Timeout { .. } => true,
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use kafka_protocol::messages::find_coordinator_response::Coordinator;
    use kafka_protocol::messages::BrokerId;

    #[test]
    fn old_and_batched_responses_are_both_read() {
        let mut response = FindCoordinatorResponse::default();
        response.node_id = BrokerId(3);
        response.host = StrBytes::from_static_str("h");
        response.port = 9;
        let node = coordinator_from_response("g", 3, &response).unwrap();
        assert_eq!(node.address(), "h:9");
        assert_eq!(node.node_id, 3);

        let mut batched = FindCoordinatorResponse::default();
        let mut entry = Coordinator::default();
        entry.key = StrBytes::from_static_str("g");
        entry.node_id = BrokerId(1);
        entry.host = StrBytes::from_static_str("b");
        entry.port = 2;
        batched.coordinators.push(entry.clone());
        assert_eq!(
            coordinator_from_response("g", 4, &batched).unwrap().node_id,
            1
        );

        entry.error_code = ResponseError::CoordinatorNotAvailable.code();
        batched.coordinators = vec![entry];
        let error = coordinator_from_response("g", 4, &batched).unwrap_err();
        assert!(error.is_retriable(), "{error}");
        assert!(needs_new_coordinator(&error));
    }
}
