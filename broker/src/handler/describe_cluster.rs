//! DescribeCluster from the metadata cache: cluster id, controller id (-1 when none), and
//! every live broker with its endpoint for the listener the request came in on and its
//! rack. Brokers registered in the coordinator are never fenced. Authorized operations are
//! reported only when asked for; without authorization every cluster operation is allowed.
//! `endpoint_type` 1 (brokers) is the only one served; 2 (controllers, KRaft) gets
//! UNSUPPORTED_ENDPOINT_TYPE.

use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{BrokerId, DescribeClusterRequest, DescribeClusterResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::Context;

/// `endpoint_type` of broker endpoints.
const ENDPOINT_TYPE_BROKERS: i8 = 1;

/// Cluster operations a client may perform without an authorizer: ALTER (4), DESCRIBE (8),
/// CLUSTER_ACTION (9), DESCRIBE_CONFIGS (10), ALTER_CONFIGS (11), IDEMPOTENT_WRITE (12),
/// CREATE (7) as Kafka's bit set.
const ALL_CLUSTER_OPERATIONS: i32 =
    (1 << 4) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);

pub fn handle(context: &Context, request: DescribeClusterRequest) -> DescribeClusterResponse {
    let mut response = DescribeClusterResponse::default();
    response.endpoint_type = request.endpoint_type;
    if request.endpoint_type != ENDPOINT_TYPE_BROKERS {
        response.error_code = ResponseError::UnsupportedEndpointType.code();
        response.error_message = Some(StrBytes::from_static_str(
            "The broker does not support endpoint type CONTROLLER",
        ));
        return response;
    }
    let image = context.metadata();
    response.cluster_id = StrBytes::from_string(image.cluster_id.clone());
    response.controller_id = BrokerId(image.controller_id.unwrap_or(-1));
    for broker in image.brokers.values() {
        let Some(endpoint) = broker.endpoint(&context.listener_name) else {
            continue;
        };
        let mut entry = DescribeClusterBroker::default();
        entry.broker_id = BrokerId(broker.id);
        entry.host = StrBytes::from_string(endpoint.host.clone());
        entry.port = i32::from(endpoint.port);
        entry.rack = broker.rack.clone().map(StrBytes::from_string);
        response.brokers.push(entry);
    }
    if request.include_cluster_authorized_operations {
        response.cluster_authorized_operations = ALL_CLUSTER_OPERATIONS;
    }
    response
}
