//! InitProducerId: a producer id and epoch for an idempotent producer.
//!
//! Without a transactional id the answer is a fresh producer id from the broker's
//! [`ProducerIdAllocator`] with epoch 0 — also when a v3+ request names its current producer
//! id and epoch (KIP-360): Kafka 3.x keeps no state for non-transactional producers and
//! hands out a new id in that case too, which resets the producer's sequences just as an
//! epoch bump would.
//!
//! Transactions need a transaction coordinator, which this broker does not run: a request
//! with a transactional id gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED — fatal in the Java
//! client and librdkafka, so a transactional producer fails at `initTransactions` with a
//! clear error instead of retrying forever (an empty transactional id is INVALID_REQUEST, as
//! in Kafka). When no block of ids can be claimed (ZooKeeper unreachable) the answer is
//! COORDINATOR_NOT_AVAILABLE, which clients retry.

use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse, ProducerId};
use kafka_protocol::ResponseError;

use crate::producer::{ProducerIdAllocator, ProducerIdError};

pub async fn handle(
    allocator: &ProducerIdAllocator,
    request: InitProducerIdRequest,
) -> InitProducerIdResponse {
    let mut response = InitProducerIdResponse::default();
    response.producer_id = ProducerId(-1);
    response.producer_epoch = -1;
    if let Some(transactional_id) = &request.transactional_id {
        let code = if transactional_id.0.is_empty() {
            ResponseError::InvalidRequest
        } else {
            ResponseError::TransactionalIdAuthorizationFailed
        };
        response.error_code = code.code();
        return response;
    }
    match allocator.next_id().await {
        Ok(producer_id) => {
            response.producer_id = ProducerId(producer_id);
            response.producer_epoch = 0;
        }
        Err(error) => {
            tracing::warn!(%error, "no producer id to hand out");
            let code = match error {
                ProducerIdError::Exhausted { .. } => ResponseError::UnknownServerError,
                ProducerIdError::ZooKeeper { .. }
                | ProducerIdError::NoSession { .. }
                | ProducerIdError::MalformedBlock { .. }
                | ProducerIdError::Contended { .. } => ResponseError::CoordinatorNotAvailable,
            };
            response.error_code = code.code();
        }
    }
    response
}
