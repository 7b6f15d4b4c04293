//! Claiming producer-id blocks in ZooKeeper, as Kafka's ZooKeeper-mode `ProducerIdManager`
//! does: read `/latest_producer_id_block` with its version, compute the block after the one
//! it names (or the first block when the znode is missing or empty), and write it back with
//! a conditional setData on that version (a create when the znode does not exist). Losing
//! the race (BadVersion, NodeExists) means another broker claimed a block first: read again.
//!
//! Crash policy: the znode is the only record. A block is ours once the write succeeded; a
//! broker that dies leaves the rest of its block unused, never handed out twice.

use common::zk_layout::paths::LATEST_PRODUCER_ID_BLOCK;
use common::zk_layout::ProducerIdBlock;
use zookeeper_client::{Acls, Client, CreateMode, Error as ZkError};

use super::{block_after, ProducerIdError};

/// Conditional updates lost in a row before giving up (each loss means another broker got
/// a block, so this only trips under pathological contention).
const MAX_ATTEMPTS: u32 = 100;

/// Claims the next block for `broker_id` in `/latest_producer_id_block`.
pub async fn claim_block(
    client: &Client,
    broker_id: i32,
) -> Result<ProducerIdBlock, ProducerIdError> {
    let path = LATEST_PRODUCER_ID_BLOCK;
    for _ in 0..MAX_ATTEMPTS {
        let (previous, version) = match client.get_data(path).await {
            Ok((data, stat)) if data.is_empty() => (None, Some(stat.version)),
            Ok((data, stat)) => {
                let block = ProducerIdBlock::from_json(&data)
                    .map_err(|source| ProducerIdError::MalformedBlock { path, source })?;
                (Some(block), Some(stat.version))
            }
            Err(ZkError::NoNode) => (None, None),
            Err(source) => {
                return Err(ProducerIdError::ZooKeeper {
                    operation: "getData",
                    path,
                    source,
                })
            }
        };
        let block = block_after(previous, broker_id)?;
        let json = block.to_json();
        let written = match version {
            Some(version) => client
                .set_data(path, &json, Some(version))
                .await
                .map(|_| ())
                .map_err(|source| ("setData", source)),
            None => client
                .create(
                    path,
                    &json,
                    &CreateMode::Persistent.with_acls(Acls::anyone_all()),
                )
                .await
                .map(|_| ())
                .map_err(|source| ("create", source)),
        };
        match written {
            Ok(()) => return Ok(block),
            Err((_, ZkError::BadVersion | ZkError::NodeExists)) => {
                tracing::debug!("producer-id block taken by another broker; retrying");
            }
            Err((operation, source)) => {
                return Err(ProducerIdError::ZooKeeper {
                    operation,
                    path,
                    source,
                })
            }
        }
    }
    Err(ProducerIdError::Contended {
        attempts: MAX_ATTEMPTS,
    })
}
