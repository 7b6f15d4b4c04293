//! The fetcher: reads assigned partitions from their leaders, one Fetch per leader per
//! [`Fetcher::poll`], and decodes the record batches (compressed ones included) into
//! [`ConsumedRecord`]s.
//!
//! Positions: each assigned partition has a fetch position (the next offset to read),
//! resolved from an [`OffsetSpec`] by ListOffsets on assignment. After a poll the position
//! moves past the last record returned, or past the last batch seen when a batch held only
//! skipped records (control batches, offsets before the position inside a compressed
//! batch). OFFSET_OUT_OF_RANGE resets the position by the `auto.offset.reset` policy;
//! leader changes refresh metadata.
//!
//! Batch layout relied on (v2): base offset i64 at byte 0, batch length i32 at 8 (bytes after
//! that field), magic i8 at 16, attributes i16 at 21, last offset delta i32 at 23. A fetch
//! response may end with a partial batch (the broker cuts at the size limit): it is left
//! for the next fetch. Only magic 2 is decoded; an older batch is an error.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{BrokerId, FetchRequest, FetchResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{RecordBatchDecoder, TimestampType};
use kafka_protocol::ResponseError;

use super::cluster::{Client, OffsetSpec};
use super::error::{refreshes_metadata, ClientError};

/// What to do when the fetch position is outside the log (`auto.offset.reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    Earliest,
    Latest,
    /// Fail the poll.
    None,
}

/// Fetch settings under Kafka's consumer names.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// `fetch.max.wait.ms`: how long the broker may hold a fetch waiting for data.
    pub max_wait: Duration,
    /// `fetch.min.bytes`.
    pub min_bytes: i32,
    /// `fetch.max.bytes`.
    pub max_bytes: i32,
    /// `max.partition.fetch.bytes`.
    pub partition_max_bytes: i32,
    /// `isolation.level`: 0 read_uncommitted, 1 read_committed.
    pub isolation_level: i8,
    /// `auto.offset.reset`.
    pub offset_reset: OffsetReset,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            max_wait: Duration::from_millis(500),
            min_bytes: 1,
            max_bytes: 52_428_800,
            partition_max_bytes: 1_048_576,
            isolation_level: 0,
            offset_reset: OffsetReset::Latest,
        }
    }
}

/// One record read from a partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumedRecord {
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
    pub timestamp_type: TimestampType,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<(String, Option<Bytes>)>,
}

#[derive(Debug, Clone)]
struct Assignment {
    topic: Arc<str>,
    partition: i32,
    position: i64,
}

/// Reads a fixed set of partitions.
#[derive(Debug)]
pub struct Fetcher {
    client: Arc<Client>,
    config: FetchConfig,
    assignments: Vec<Assignment>,
}

impl Fetcher {
    /// A fetcher with no partitions assigned.
    pub fn new(client: Arc<Client>, config: FetchConfig) -> Fetcher {
        Fetcher {
            client,
            config,
            assignments: Vec::new(),
        }
    }

    /// Assigns `topic`-`partition` starting at `start` (an offset, or a ListOffsets spec).
    pub async fn assign(
        &mut self,
        topic: &str,
        partition: i32,
        start: StartPosition,
    ) -> Result<(), ClientError> {
        let position = match start {
            StartPosition::Offset(offset) => offset,
            StartPosition::Spec(spec) => self.lookup(topic, partition, spec).await?,
        };
        self.assignments.push(Assignment {
            topic: Arc::from(topic),
            partition,
            position,
        });
        Ok(())
    }

    /// Drops every assigned partition (a rebalance revokes them all).
    pub fn clear(&mut self) {
        self.assignments.clear();
    }

    /// Moves the position of an assigned partition; false when it is not assigned.
    pub fn seek(&mut self, topic: &str, partition: i32, offset: i64) -> bool {
        match self
            .assignments
            .iter_mut()
            .find(|assignment| &*assignment.topic == topic && assignment.partition == partition)
        {
            Some(assignment) => {
                assignment.position = offset;
                true
            }
            None => false,
        }
    }

    /// Changes how long the broker may hold the next fetches (`fetch.max.wait.ms`).
    pub fn set_max_wait(&mut self, max_wait: Duration) {
        self.config.max_wait = max_wait;
    }

    /// The next offset to read of each assigned partition.
    pub fn positions(&self) -> Vec<(Arc<str>, i32, i64)> {
        self.assignments
            .iter()
            .map(|assignment| {
                (
                    assignment.topic.clone(),
                    assignment.partition,
                    assignment.position,
                )
            })
            .collect()
    }

    async fn lookup(
        &self,
        topic: &str,
        partition: i32,
        spec: OffsetSpec,
    ) -> Result<i64, ClientError> {
        let answers = self
            .client
            .list_offsets(
                &[(topic.to_string(), partition, spec)],
                self.config.isolation_level,
            )
            .await?;
        answers
            .into_iter()
            .next()
            .unwrap_or(Err(ClientError::Partition {
                topic: topic.to_string(),
                partition,
                error: ResponseError::UnknownTopicOrPartition,
            }))
    }

    /// One round of fetches (one request per leader, in parallel); returns the records read,
    /// possibly none when the long poll expired.
    pub async fn poll(&mut self) -> Result<Vec<ConsumedRecord>, ClientError> {
        let mut by_leader: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
        for (index, assignment) in self.assignments.iter().enumerate() {
            match self
                .client
                .leader(&assignment.topic, assignment.partition)
                .await
            {
                Ok(leader) => by_leader.entry(leader).or_default().push(index),
                Err(error) if error.is_retriable() => {
                    self.client.invalidate(&assignment.topic);
                }
                Err(error) => return Err(error),
            }
        }
        if by_leader.is_empty() {
            tokio::time::sleep(self.client.config().retry_backoff).await;
            return Ok(Vec::new());
        }
        let mut requests = Vec::new();
        for (leader, indexes) in by_leader {
            let request = self.build_request(&indexes);
            let client = self.client.clone();
            requests.push(async move {
                let outcome = match client.connection(leader).await {
                    Ok(connection) => connection.call(&request).await,
                    Err(error) => Err(error),
                };
                (indexes, outcome)
            });
        }
        let answers = join_all(requests).await;
        let mut records = Vec::new();
        let mut resets = Vec::new();
        for (indexes, outcome) in answers {
            let response = match outcome {
                Ok(response) => response,
                Err(error) if error.is_retriable() => {
                    for &index in &indexes {
                        if let Some(assignment) = self.assignments.get(index) {
                            self.client.invalidate(&assignment.topic);
                        }
                    }
                    continue;
                }
                Err(error) => return Err(error),
            };
            self.read_response(&indexes, response, &mut records, &mut resets)?;
        }
        for index in resets {
            self.reset(index).await?;
        }
        Ok(records)
    }

    fn build_request(&self, indexes: &[usize]) -> FetchRequest {
        let mut request = FetchRequest::default();
        request.replica_id = BrokerId(-1);
        request.max_wait_ms = i32::try_from(self.config.max_wait.as_millis()).unwrap_or(i32::MAX);
        request.min_bytes = self.config.min_bytes;
        request.max_bytes = self.config.max_bytes;
        request.isolation_level = self.config.isolation_level;
        // No fetch session: every request is a full fetch.
        request.session_id = 0;
        request.session_epoch = -1;
        for &index in indexes {
            let Some(assignment) = self.assignments.get(index) else {
                continue;
            };
            let mut partition = FetchPartition::default();
            partition.partition = assignment.partition;
            partition.fetch_offset = assignment.position;
            partition.partition_max_bytes = self.config.partition_max_bytes;
            partition.current_leader_epoch = -1;
            partition.last_fetched_epoch = -1;
            partition.log_start_offset = -1;
            match request
                .topics
                .iter_mut()
                .find(|topic| topic.topic.0.as_str() == &*assignment.topic)
            {
                Some(topic) => topic.partitions.push(partition),
                None => {
                    let mut topic = FetchTopic::default();
                    topic.topic = TopicName(StrBytes::from_string(assignment.topic.to_string()));
                    topic.partitions.push(partition);
                    request.topics.push(topic);
                }
            }
        }
        request
    }

    fn read_response(
        &mut self,
        indexes: &[usize],
        response: FetchResponse,
        records: &mut Vec<ConsumedRecord>,
        resets: &mut Vec<usize>,
    ) -> Result<(), ClientError> {
        for &index in indexes {
            let Some(assignment) = self.assignments.get_mut(index) else {
                continue;
            };
            let answer = response
                .responses
                .iter()
                .filter(|topic| topic.topic.0.as_str() == &*assignment.topic)
                .flat_map(|topic| topic.partitions.iter())
                .find(|partition| partition.partition_index == assignment.partition);
            let Some(answer) = answer else {
                continue;
            };
            match ResponseError::try_from_code(answer.error_code) {
                None => {}
                Some(ResponseError::OffsetOutOfRange) => {
                    resets.push(index);
                    continue;
                }
                Some(error) if refreshes_metadata(error) => {
                    self.client.invalidate(&assignment.topic);
                    continue;
                }
                Some(error) => {
                    return Err(ClientError::Partition {
                        topic: assignment.topic.to_string(),
                        partition: assignment.partition,
                        error,
                    })
                }
            }
            if let Some(bytes) = answer.records.clone() {
                assignment.position = decode_batches(
                    &assignment.topic,
                    assignment.partition,
                    assignment.position,
                    bytes,
                    records,
                )?;
            }
        }
        Ok(())
    }

    async fn reset(&mut self, index: usize) -> Result<(), ClientError> {
        let Some(assignment) = self.assignments.get(index).cloned() else {
            return Ok(());
        };
        let spec = match self.config.offset_reset {
            OffsetReset::Earliest => OffsetSpec::Earliest,
            OffsetReset::Latest => OffsetSpec::Latest,
            OffsetReset::None => {
                return Err(ClientError::Partition {
                    topic: assignment.topic.to_string(),
                    partition: assignment.partition,
                    error: ResponseError::OffsetOutOfRange,
                })
            }
        };
        let position = self
            .lookup(&assignment.topic, assignment.partition, spec)
            .await?;
        if let Some(slot) = self.assignments.get_mut(index) {
            slot.position = position;
        }
        Ok(())
    }
}

/// Where reading an assigned partition starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartPosition {
    Offset(i64),
    Spec(OffsetSpec),
}

/// Drives `futures` concurrently on the current task; outputs in input order.
async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_some() {
                continue;
            }
            match future.as_mut().poll(context) {
                std::task::Poll::Ready(value) => *output = Some(value),
                std::task::Poll::Pending => pending = true,
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// Decodes the batches in a fetch response's `records` for one partition, appending the
/// records at or after `position`; returns the new position.
pub fn decode_batches(
    topic: &Arc<str>,
    partition: i32,
    mut position: i64,
    mut bytes: Bytes,
    records: &mut Vec<ConsumedRecord>,
) -> Result<i64, ClientError> {
    let corrupt = |reason: String| ClientError::Records {
        topic: topic.to_string(),
        partition,
        reason,
    };
    loop {
        if bytes.len() < 12 {
            break;
        }
        let mut header = bytes.clone();
        let base_offset = header.get_i64();
        let length = header.get_i32();
        let Ok(length) = usize::try_from(length) else {
            return Err(corrupt(format!("negative batch length {length}")));
        };
        let total = 12usize.saturating_add(length);
        if bytes.len() < total {
            // A partial batch at the end: fetched again next time.
            break;
        }
        let mut batch = bytes.split_to(total);
        if total < 27 {
            return Err(corrupt(format!(
                "batch of {total} bytes is shorter than its header"
            )));
        }
        let magic = batch.get(16).copied().unwrap_or(0);
        if magic != 2 {
            return Err(corrupt(format!("message format v{magic} is not supported")));
        }
        let last_offset_delta = batch
            .get(23..27)
            .and_then(|slice| <[u8; 4]>::try_from(slice).ok())
            .map_or(0, i32::from_be_bytes);
        let next = base_offset + i64::from(last_offset_delta) + 1;
        let set =
            RecordBatchDecoder::decode(&mut batch).map_err(|error| corrupt(error.to_string()))?;
        for record in set.records {
            if record.control || record.offset < position {
                continue;
            }
            let headers = record
                .headers
                .into_iter()
                .map(|(name, value)| (name.as_str().to_string(), value))
                .collect();
            records.push(ConsumedRecord {
                topic: topic.clone(),
                partition,
                offset: record.offset,
                timestamp: record.timestamp,
                timestamp_type: record.timestamp_type,
                key: record.key,
                value: record.value,
                headers,
            });
        }
        position = position.max(next);
    }
    Ok(position)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::indexmap::IndexMap;
    use kafka_protocol::records::{Compression, Record, RecordBatchEncoder, RecordEncodeOptions};

    fn batch(base: i64, values: &[&'static str], compression: Compression) -> Bytes {
        let records: Vec<Record> = values
            .iter()
            .enumerate()
            .map(|(index, value)| Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: 0,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset: base + index as i64,
                sequence: -1 + index as i32,
                timestamp: 5,
                key: Some(Bytes::from_static(b"k")),
                value: Some(Bytes::from_static(value.as_bytes())),
                headers: IndexMap::new(),
            })
            .collect();
        let mut buffer = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buffer,
            records.iter(),
            &RecordEncodeOptions {
                version: 2,
                compression,
            },
        )
        .unwrap();
        buffer.freeze()
    }

    #[test]
    fn skips_records_before_the_position_and_stops_at_a_partial_batch() {
        let topic: Arc<str> = Arc::from("t");
        let mut bytes = BytesMut::new();
        bytes.extend_from_slice(&batch(10, &["a", "b", "c"], Compression::Gzip));
        bytes.extend_from_slice(&batch(13, &["d"], Compression::None));
        let partial = batch(14, &["e"], Compression::None);
        bytes.extend_from_slice(&partial[..partial.len() - 3]);
        let mut records = Vec::new();
        let position = decode_batches(&topic, 0, 11, bytes.freeze(), &mut records).unwrap();
        assert_eq!(position, 14);
        let offsets: Vec<i64> = records.iter().map(|record| record.offset).collect();
        assert_eq!(offsets, vec![11, 12, 13]);
        assert_eq!(records[0].value.as_deref(), Some(&b"b"[..]));
        assert_eq!(records[0].key.as_deref(), Some(&b"k"[..]));
    }

    #[test]
    fn old_message_formats_are_refused() {
        let topic: Arc<str> = Arc::from("t");
        let mut bytes = BytesMut::from(&batch(0, &["a"], Compression::None)[..]);
        bytes[16] = 1;
        let error = decode_batches(&topic, 0, 0, bytes.freeze(), &mut Vec::new()).unwrap_err();
        assert!(error.to_string().contains("v1"), "{error}");
    }

    #[tokio::test]
    async fn join_all_keeps_input_order() {
        let futures: Vec<_> = [30u64, 10, 20]
            .into_iter()
            .map(|delay| async move {
                tokio::task::yield_now().await;
                delay
            })
            .collect();
        assert_eq!(join_all(futures).await, vec![30, 10, 20]);
    }
}
