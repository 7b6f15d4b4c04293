//! Producer ids for InitProducerId: [`ProducerIdAllocator`] hands out ids one at a time from
//! blocks of [`PRODUCER_ID_BLOCK_SIZE`] claimed from a [`BlockSource`].
//!
//! Sources:
//! - [`BlockSource::ZooKeeper`]: blocks claimed in `/latest_producer_id_block` (Kafka's
//!   ZooKeeper-mode layout, [`common::zk_layout::ProducerIdBlock`] JSON), see [`zookeeper`].
//!   Every broker of a cluster claims from the same znode, so ids never repeat across
//!   brokers or restarts (an unused rest of a block is skipped, as in Kafka).
//! - [`BlockSource::InMemory`]: consecutive blocks from a first id, for a broker without a
//!   coordinator and for tests. [`ProducerIdAllocator::in_memory`] starts at the wall clock
//!   in milliseconds times [`PRODUCER_ID_BLOCK_SIZE`], so a restarted broker does not hand
//!   out an id its partitions still remember from the previous run (unless that run gave
//!   out more than a million ids per second, or the clock went back).
//!
//! The current block sits behind an async mutex: concurrent InitProducerId requests get
//! distinct ids, and at most one of them claims the next block.

pub mod zookeeper;

use common::zk_layout::{LayoutError, ProducerIdBlock};
use tokio::sync::Mutex;

/// Ids per claimed block (Kafka's `ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`).
pub const PRODUCER_ID_BLOCK_SIZE: i64 = 1000;

/// Why no producer id could be handed out.
#[derive(Debug, thiserror::Error)]
pub enum ProducerIdError {
    /// The next block would pass `i64::MAX`.
    #[error("producer ids exhausted: the last block ends at {block_end}")]
    Exhausted { block_end: i64 },
    /// The broker has no coordinator session right now.
    #[error("no coordinator session: {reason}")]
    NoSession { reason: String },
    /// A ZooKeeper call failed.
    #[error("ZooKeeper {operation} {path}: {source}")]
    ZooKeeper {
        operation: &'static str,
        path: &'static str,
        #[source]
        source: zookeeper_client::Error,
    },
    /// The znode holds something that is not a producer-id block.
    #[error("malformed {path}: {source}")]
    MalformedBlock {
        path: &'static str,
        #[source]
        source: LayoutError,
    },
    /// Other brokers kept winning the conditional update.
    #[error("gave up claiming a producer-id block after {attempts} conflicting updates")]
    Contended { attempts: u32 },
}

/// Where blocks come from.
#[derive(Debug)]
pub enum BlockSource {
    /// `/latest_producer_id_block` through this client, claimed for `broker_id`.
    ZooKeeper {
        client: zookeeper_client::Client,
        broker_id: i32,
    },
    /// `/latest_producer_id_block` through the cluster's current session (it changes when
    /// a session expires and the broker reconnects), claimed for this broker's id.
    Cluster(crate::cluster::Cluster),
    /// A process-local sequence of blocks starting at `first_id`.
    InMemory { broker_id: i32, first_id: i64 },
}

/// Ids left in the block being handed out.
#[derive(Debug)]
struct Current {
    next: i64,
    /// Inclusive; `next > end` means the block is used up.
    end: i64,
    /// The end of the last block claimed (in-memory source: where the next one starts).
    last_block: Option<ProducerIdBlock>,
}

/// Hands out producer ids. Share it behind an `Arc` (or in the request context).
#[derive(Debug)]
pub struct ProducerIdAllocator {
    source: BlockSource,
    current: Mutex<Current>,
}

impl ProducerIdAllocator {
    pub fn new(source: BlockSource) -> Self {
        ProducerIdAllocator {
            source,
            current: Mutex::new(Current {
                next: 0,
                end: -1,
                last_block: None,
            }),
        }
    }

    /// An allocator over [`BlockSource::InMemory`] starting at the clock (module doc).
    pub fn in_memory(broker_id: i32) -> Self {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(0));
        let first_id = now_ms.saturating_mul(PRODUCER_ID_BLOCK_SIZE).max(0);
        ProducerIdAllocator::in_memory_from(broker_id, first_id)
    }

    /// An allocator over [`BlockSource::InMemory`] whose first id is `first_id`.
    pub fn in_memory_from(broker_id: i32, first_id: i64) -> Self {
        ProducerIdAllocator::new(BlockSource::InMemory {
            broker_id,
            first_id,
        })
    }

    /// An allocator claiming blocks in ZooKeeper through `client`.
    pub fn zookeeper(client: zookeeper_client::Client, broker_id: i32) -> Self {
        ProducerIdAllocator::new(BlockSource::ZooKeeper { client, broker_id })
    }

    /// The next unused producer id, claiming a new block when the current one is used up.
    pub async fn next_id(&self) -> Result<i64, ProducerIdError> {
        let mut current = self.current.lock().await;
        if current.next > current.end {
            let block = self.claim(current.last_block).await?;
            tracing::info!(
                block_start = block.block_start,
                block_end = block.block_end,
                "claimed a producer-id block"
            );
            current.next = block.block_start;
            current.end = block.block_end;
            current.last_block = Some(block);
        }
        let id = current.next;
        current.next = id.saturating_add(1);
        Ok(id)
    }

    async fn claim(
        &self,
        previous: Option<ProducerIdBlock>,
    ) -> Result<ProducerIdBlock, ProducerIdError> {
        match &self.source {
            BlockSource::ZooKeeper { client, broker_id } => {
                zookeeper::claim_block(client, *broker_id).await
            }
            BlockSource::Cluster(cluster) => {
                let client = cluster
                    .client()
                    .map_err(|error| ProducerIdError::NoSession {
                        reason: error.to_string(),
                    })?;
                zookeeper::claim_block(&client, cluster.broker_id()).await
            }
            BlockSource::InMemory {
                broker_id,
                first_id,
            } => match previous {
                Some(previous) => block_after(Some(previous), *broker_id),
                None => Ok(ProducerIdBlock {
                    broker: *broker_id,
                    block_start: *first_id,
                    block_end: first_id.saturating_add(PRODUCER_ID_BLOCK_SIZE - 1),
                }),
            },
        }
    }
}

/// The block following `previous` (the first block when `None`).
pub fn block_after(
    previous: Option<ProducerIdBlock>,
    broker_id: i32,
) -> Result<ProducerIdBlock, ProducerIdError> {
    let block_start = match previous {
        None => 0,
        Some(previous) => {
            if previous.block_end > i64::MAX - PRODUCER_ID_BLOCK_SIZE {
                return Err(ProducerIdError::Exhausted {
                    block_end: previous.block_end,
                });
            }
            previous.block_end + 1
        }
    };
    Ok(ProducerIdBlock {
        broker: broker_id,
        block_start,
        block_end: block_start + PRODUCER_ID_BLOCK_SIZE - 1,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_memory_ids_are_consecutive_across_blocks() {
        let allocator = ProducerIdAllocator::in_memory_from(3, 500);
        for expected in 500..3_000 {
            assert_eq!(allocator.next_id().await.unwrap(), expected);
        }
        // The clock-based start is past any id handed out a moment ago by an earlier run.
        let earlier = ProducerIdAllocator::in_memory(3).next_id().await.unwrap();
        let later = ProducerIdAllocator::in_memory(3).next_id().await.unwrap();
        assert!(earlier > 0 && later >= earlier);
    }

    #[test]
    fn blocks_follow_each_other_and_stop_before_overflow() {
        let first = block_after(None, 1).unwrap();
        assert_eq!((first.block_start, first.block_end), (0, 999));
        let second = block_after(Some(first), 2).unwrap();
        assert_eq!(
            (second.broker, second.block_start, second.block_end),
            (2, 1000, 1999)
        );
        let last = ProducerIdBlock {
            broker: 0,
            block_start: i64::MAX - 1500,
            block_end: i64::MAX - 500,
        };
        assert!(matches!(
            block_after(Some(last), 0),
            Err(ProducerIdError::Exhausted { .. })
        ));
    }
}
