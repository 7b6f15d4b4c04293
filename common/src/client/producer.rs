//! The producer: records accumulate per partition into v2 record batches, a sender task
//! ships closed batches to each partition's leader in pipelined Produce requests, and one
//! [`BatchDelivery`] per batch reports the outcome.
//!
//! Flow: [`Producer::send`] picks the partition (explicit, keyed murmur2, or sticky for null
//! keys — [`super::partitioner`]), appends the record to the partition's open batch and
//! closes the batch once it reaches `batch.size`. The sender task wakes when a batch closes
//! or `linger.ms` expires, encodes each batch once ([`RecordBatchEncoder`], with the
//! configured compression), groups batches by leader into requests of at most
//! `max.request.size` and keeps up to `max.in.flight.requests.per.connection` requests in
//! flight per broker. Each response is matched back to its batches: a success delivers the
//! batch's base offset (record `i` got `base_offset + i`); an error that a metadata refresh
//! may cure re-queues the already-encoded batch (up to `retries` times); any other error is
//! delivered. With acks=0 no response comes: the batch is delivered with offset -1 once
//! written.
//!
//! Back-pressure: [`Producer::send`] waits while more than `buffer.memory` bytes are
//! accumulated or in flight. Cost per record: the record itself (key, value, headers) and
//! the caller's context value; batch bookkeeping is per batch.
//!
//! Locks: the accumulator sits behind a `std` mutex taken briefly by `send` and the
//! sender, never across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use kafka_protocol::ResponseError;
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio::task::JoinHandle;

use super::cluster::Client;
use super::error::{refreshes_metadata, ClientError};
use super::partitioner::{next_sticky, partition_for_key};

/// Producer settings under Kafka's names, with Kafka's defaults.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// `acks`: 0, 1 or -1 (all).
    pub acks: i16,
    /// `batch.size`: bytes of records per batch before it is closed.
    pub batch_size: usize,
    /// `linger.ms`: how long an open batch may wait for more records.
    pub linger: Duration,
    /// `compression.type`.
    pub compression: Compression,
    /// `request.timeout.ms`, also the Produce timeout sent to the broker.
    pub request_timeout: Duration,
    /// `retries` (bounded here: a batch is re-sent at most this many times).
    pub retries: u32,
    /// `retry.backoff.ms`.
    pub retry_backoff: Duration,
    /// `max.in.flight.requests.per.connection`.
    pub max_in_flight: usize,
    /// `buffer.memory`.
    pub buffer_memory: usize,
    /// `max.request.size`.
    pub max_request_size: usize,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            acks: -1,
            batch_size: 16_384,
            linger: Duration::ZERO,
            compression: Compression::None,
            request_timeout: Duration::from_secs(30),
            retries: 20,
            retry_backoff: Duration::from_millis(100),
            max_in_flight: 5,
            buffer_memory: 33_554_432,
            max_request_size: 1_048_576,
        }
    }
}

/// Parses a `compression.type` value (`none`, `gzip`, `snappy`, `lz4`, `zstd`).
pub fn parse_compression(name: &str) -> Option<Compression> {
    match name {
        "none" => Some(Compression::None),
        "gzip" => Some(Compression::Gzip),
        "snappy" => Some(Compression::Snappy),
        "lz4" => Some(Compression::Lz4),
        "zstd" => Some(Compression::Zstd),
        _ => None,
    }
}

/// One record to send.
#[derive(Debug, Clone, Default)]
pub struct ProducerRecord<'a> {
    pub topic: &'a str,
    /// `None`: chosen by the default partitioner.
    pub partition: Option<i32>,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<(String, Option<Bytes>)>,
    /// CreateTime in ms since the epoch; `None`: now.
    pub timestamp: Option<i64>,
}

/// The outcome of one batch: record `i` of `contexts` has offset `base_offset + i`.
#[derive(Debug)]
pub struct BatchDelivery<T> {
    pub topic: Arc<str>,
    pub partition: i32,
    /// The base offset (-1 with acks=0), or why the batch failed.
    pub result: Result<i64, ClientError>,
    /// The context values passed to [`Producer::send`], in record order.
    pub contexts: Vec<T>,
}

/// Bytes a record adds to a batch (the v2 record framing is at most ~21 bytes plus headers).
fn record_size(record: &ProducerRecord<'_>) -> usize {
    let key = record.key.as_ref().map_or(0, Bytes::len);
    let value = record.value.as_ref().map_or(0, Bytes::len);
    let headers: usize = record
        .headers
        .iter()
        .map(|(name, value)| name.len() + value.as_ref().map_or(0, Bytes::len) + 10)
        .sum();
    21 + key + value + headers
}

/// Size of the v2 batch header.
const BATCH_OVERHEAD: usize = 61;

struct OpenBatch<T> {
    records: Vec<Record>,
    contexts: Vec<T>,
    size: usize,
    created: Instant,
}

struct ReadyBatch<T> {
    topic: Arc<str>,
    partition: i32,
    records: Vec<Record>,
    contexts: Vec<T>,
    size: usize,
    encoded: Option<Bytes>,
    attempts: u32,
}

struct TopicState<T> {
    name: Arc<str>,
    partitions: i32,
    sticky: Option<i32>,
    open: HashMap<i32, OpenBatch<T>>,
}

struct Accumulator<T> {
    topics: HashMap<String, TopicState<T>>,
    ready: VecDeque<ReadyBatch<T>>,
    /// Bytes of records accepted and not yet delivered.
    buffered: usize,
    /// Records accepted and not yet delivered.
    undelivered: usize,
    flush_requested: bool,
    closing: bool,
}

struct Shared<T> {
    state: Mutex<Accumulator<T>>,
    /// Wakes the sender: a batch closed, a flush or close was asked, a request finished.
    wake_sender: Notify,
    /// Wakes `send` and `flush` waiters: deliveries freed memory.
    progress: Notify,
    deliveries: mpsc::UnboundedSender<BatchDelivery<T>>,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, Accumulator<T>> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn deliver(&self, batch: ReadyBatch<T>, result: Result<i64, ClientError>) {
        {
            let mut state = self.lock();
            state.buffered = state.buffered.saturating_sub(batch.size);
            state.undelivered = state.undelivered.saturating_sub(batch.contexts.len());
        }
        self.progress.notify_waiters();
        // The receiver may be gone (caller not interested): nothing to do then.
        let _ = self.deliveries.send(BatchDelivery {
            topic: batch.topic,
            partition: batch.partition,
            result,
            contexts: batch.contexts,
        });
    }

    fn requeue(&self, batch: ReadyBatch<T>) {
        self.lock().ready.push_back(batch);
        self.wake_sender.notify_one();
    }
}

/// A producer for one cluster; owned by one task (its `send` takes `&self` but the
/// sticky partition and batch order assume one caller at a time).
pub struct Producer<T: Send + 'static> {
    client: Arc<Client>,
    config: ProducerConfig,
    shared: Arc<Shared<T>>,
    sender: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> std::fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("config", &self.config)
            .finish()
    }
}

impl<T: Send + 'static> Drop for Producer<T> {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            sender.abort();
        }
    }
}

impl<T: Send + 'static> Producer<T> {
    /// A producer and the receiver of its batch deliveries (one per batch). Must be called
    /// inside a tokio runtime.
    pub fn new(
        client: Arc<Client>,
        config: ProducerConfig,
    ) -> (Producer<T>, mpsc::UnboundedReceiver<BatchDelivery<T>>) {
        let (deliveries, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            state: Mutex::new(Accumulator {
                topics: HashMap::new(),
                ready: VecDeque::new(),
                buffered: 0,
                undelivered: 0,
                flush_requested: false,
                closing: false,
            }),
            wake_sender: Notify::new(),
            progress: Notify::new(),
            deliveries,
        });
        let sender = tokio::spawn(run_sender(client.clone(), config.clone(), shared.clone()));
        (
            Producer {
                client,
                config,
                shared,
                sender: Some(sender),
            },
            receiver,
        )
    }

    /// The settings this producer runs with.
    pub fn config(&self) -> &ProducerConfig {
        &self.config
    }

    /// Accepts `record` for sending; `context` comes back in its batch's delivery. Waits
    /// while `buffer.memory` is used up. An error here means the record was not accepted
    /// (unknown topic, partition out of range, producer closed).
    pub async fn send(&self, record: ProducerRecord<'_>, context: T) -> Result<(), ClientError> {
        if self.sender.as_ref().is_none_or(JoinHandle::is_finished) {
            return Err(ClientError::ProducerClosed);
        }
        let size = record_size(&record);
        self.wait_for_memory(size).await;
        let known = self.shared.lock().topics.contains_key(record.topic);
        if !known {
            let metadata = self.client.topic(record.topic, true).await?;
            let partitions = i32::try_from(metadata.partitions.len()).unwrap_or(i32::MAX);
            self.shared
                .lock()
                .topics
                .entry(record.topic.to_string())
                .or_insert_with(|| TopicState {
                    name: Arc::from(record.topic),
                    partitions,
                    sticky: None,
                    open: HashMap::new(),
                });
        }
        let timestamp = record.timestamp.unwrap_or_else(now_ms);
        let mut headers = IndexMap::new();
        for (name, value) in record.headers {
            headers.insert(StrBytes::from_string(name), value);
        }
        let mut wake = self.config.linger.is_zero();
        {
            let mut state = self.shared.lock();
            let state = &mut *state;
            let Some(topic) = state.topics.get_mut(record.topic) else {
                return Err(ClientError::ProducerClosed);
            };
            let partition = match (record.partition, &record.key) {
                (Some(partition), _) => {
                    if partition < 0 || partition >= topic.partitions {
                        return Err(ClientError::NoSuchPartition {
                            topic: record.topic.to_string(),
                            partition,
                            partitions: usize::try_from(topic.partitions).unwrap_or(0),
                        });
                    }
                    partition
                }
                (None, Some(key)) => partition_for_key(key, topic.partitions),
                (None, None) => {
                    let sticky = match topic.sticky {
                        Some(sticky) => sticky,
                        None => next_sticky(None, topic.partitions),
                    };
                    let full = topic.open.get(&sticky).is_some_and(|batch| {
                        batch.size + size > self.config.batch_size && !batch.records.is_empty()
                    });
                    if full {
                        close_batch(topic, sticky, &mut state.ready);
                        wake = true;
                        let next = next_sticky(Some(sticky), topic.partitions);
                        topic.sticky = Some(next);
                        next
                    } else {
                        topic.sticky = Some(sticky);
                        sticky
                    }
                }
            };
            let overflows = topic.open.get(&partition).is_some_and(|batch| {
                batch.size + size > self.config.batch_size && !batch.records.is_empty()
            });
            if overflows {
                close_batch(topic, partition, &mut state.ready);
                wake = true;
            }
            let batch = topic.open.entry(partition).or_insert_with(|| OpenBatch {
                records: Vec::new(),
                contexts: Vec::new(),
                size: BATCH_OVERHEAD,
                created: Instant::now(),
            });
            let offset_delta = i64::try_from(batch.records.len()).unwrap_or(i64::MAX);
            batch.records.push(Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: -1,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset: offset_delta,
                // The encoder keeps records in one batch while offset - sequence is constant;
                // this makes the batch's base sequence -1 (no idempotence).
                sequence: (offset_delta as i32).wrapping_sub(1),
                timestamp,
                key: record.key,
                value: record.value,
                headers,
            });
            batch.contexts.push(context);
            batch.size += size;
            if batch.size >= self.config.batch_size {
                close_batch(topic, partition, &mut state.ready);
                wake = true;
            }
            state.buffered += size;
            state.undelivered += 1;
        }
        if wake {
            self.shared.wake_sender.notify_one();
        }
        Ok(())
    }

    async fn wait_for_memory(&self, size: usize) {
        loop {
            let notified = self.shared.progress.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let state = self.shared.lock();
                if state.buffered == 0 || state.buffered + size <= self.config.buffer_memory {
                    return;
                }
            }
            notified.await;
        }
    }

    /// Sends every accepted record now (ignoring linger) and waits until all are delivered.
    pub async fn flush(&self) {
        loop {
            let notified = self.shared.progress.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.shared.lock();
                if state.undelivered == 0 {
                    state.flush_requested = false;
                    return;
                }
                state.flush_requested = true;
            }
            if self.sender.as_ref().is_none_or(JoinHandle::is_finished) {
                return;
            }
            self.shared.wake_sender.notify_one();
            notified.await;
        }
    }

    /// Flushes, then stops the sender task.
    pub async fn close(mut self) {
        self.flush().await;
        self.shared.lock().closing = true;
        self.shared.wake_sender.notify_one();
        if let Some(sender) = self.sender.take() {
            let _ = sender.await;
        }
    }
}

fn close_batch<T>(topic: &mut TopicState<T>, partition: i32, ready: &mut VecDeque<ReadyBatch<T>>) {
    if let Some(batch) = topic.open.remove(&partition) {
        ready.push_back(ReadyBatch {
            topic: topic.name.clone(),
            partition,
            records: batch.records,
            contexts: batch.contexts,
            size: batch.size,
            encoded: None,
            attempts: 0,
        });
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// Takes the batches due now: every closed batch, plus open batches whose linger expired
/// (all of them on flush or close). Returns them and when the next open batch is due.
fn take_due<T>(
    state: &mut Accumulator<T>,
    linger: Duration,
    now: Instant,
) -> (Vec<ReadyBatch<T>>, Option<Instant>) {
    let everything = state.flush_requested || state.closing || linger.is_zero();
    let mut next_due: Option<Instant> = None;
    for topic in state.topics.values_mut() {
        let partitions: Vec<i32> = topic.open.keys().copied().collect();
        for partition in partitions {
            let Some(batch) = topic.open.get(&partition) else {
                continue;
            };
            let due = batch.created + linger;
            if everything || due <= now {
                close_batch(topic, partition, &mut state.ready);
            } else {
                next_due = Some(next_due.map_or(due, |current| current.min(due)));
            }
        }
    }
    (state.ready.drain(..).collect(), next_due)
}

async fn run_sender<T: Send + 'static>(
    client: Arc<Client>,
    config: ProducerConfig,
    shared: Arc<Shared<T>>,
) {
    let mut in_flight: HashMap<i32, Arc<Semaphore>> = HashMap::new();
    loop {
        let (batches, next_due, closing) = {
            let mut state = shared.lock();
            let (batches, next_due) = take_due(&mut state, config.linger, Instant::now());
            (batches, next_due, state.closing)
        };
        if batches.is_empty() {
            if closing {
                return;
            }
            match next_due {
                Some(due) => {
                    tokio::select! {
                        () = shared.wake_sender.notified() => {}
                        () = tokio::time::sleep_until(due.into()) => {}
                    }
                }
                None => shared.wake_sender.notified().await,
            }
            continue;
        }
        let mut by_leader: HashMap<i32, Vec<ReadyBatch<T>>> = HashMap::new();
        for batch in batches {
            match client.leader(&batch.topic, batch.partition).await {
                Ok(leader) => by_leader.entry(leader).or_default().push(batch),
                Err(error) => retry_or_fail(&client, &config, &shared, batch, error).await,
            }
        }
        for (leader, batches) in by_leader {
            let permits = in_flight
                .entry(leader)
                .or_insert_with(|| Arc::new(Semaphore::new(config.max_in_flight.max(1))))
                .clone();
            for request_batches in split_requests(batches, &config) {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    return;
                };
                let connection = match client.connection(leader).await {
                    Ok(connection) => connection,
                    Err(error) => {
                        for batch in request_batches {
                            let failure = ClientError::Connect {
                                broker: format!("broker {leader}"),
                                reason: error.to_string(),
                            };
                            retry_or_fail(&client, &config, &shared, batch, failure).await;
                        }
                        continue;
                    }
                };
                let (request, batches) = build_request(request_batches, &config);
                if config.acks == 0 {
                    let outcome = connection.send_without_response(&request).await;
                    drop(permit);
                    for batch in batches {
                        match &outcome {
                            Ok(()) => shared.deliver(batch, Ok(-1)),
                            Err(error) => shared.deliver(
                                batch,
                                Err(ClientError::ConnectionLost {
                                    broker: connection.broker().to_string(),
                                    reason: error.to_string(),
                                }),
                            ),
                        }
                    }
                    continue;
                }
                let pending = match connection.send(&request).await {
                    Ok(pending) => pending,
                    Err(error) => {
                        drop(permit);
                        let reason = error.to_string();
                        for batch in batches {
                            let failure = ClientError::ConnectionLost {
                                broker: connection.broker().to_string(),
                                reason: reason.clone(),
                            };
                            retry_or_fail(&client, &config, &shared, batch, failure).await;
                        }
                        continue;
                    }
                };
                let client = client.clone();
                let config = config.clone();
                let shared = shared.clone();
                tokio::spawn(async move {
                    let response = pending.receive().await;
                    drop(permit);
                    complete(&client, &config, &shared, batches, response).await;
                    shared.wake_sender.notify_one();
                });
            }
        }
    }
}

/// Groups batches into requests of at most `max.request.size` bytes (a single larger batch
/// goes alone; the broker judges it).
fn split_requests<T>(
    batches: Vec<ReadyBatch<T>>,
    config: &ProducerConfig,
) -> Vec<Vec<ReadyBatch<T>>> {
    let mut requests: Vec<Vec<ReadyBatch<T>>> = Vec::new();
    let mut current: Vec<ReadyBatch<T>> = Vec::new();
    let mut current_size = 0;
    for batch in batches {
        if !current.is_empty() && current_size + batch.size > config.max_request_size {
            requests.push(std::mem::take(&mut current));
            current_size = 0;
        }
        current_size += batch.size;
        current.push(batch);
    }
    if !current.is_empty() {
        requests.push(current);
    }
    requests
}

/// Encodes the batches not yet encoded and builds the Produce request; batches that fail to
/// encode are delivered as failures by the caller's `complete` (they keep `encoded: None`).
fn build_request<T>(
    mut batches: Vec<ReadyBatch<T>>,
    config: &ProducerConfig,
) -> (ProduceRequest, Vec<ReadyBatch<T>>) {
    let options = RecordEncodeOptions {
        version: 2,
        compression: config.compression,
    };
    let mut request = ProduceRequest::default();
    request.acks = config.acks;
    request.timeout_ms = i32::try_from(config.request_timeout.as_millis()).unwrap_or(i32::MAX);
    for batch in &mut batches {
        if batch.encoded.is_none() {
            let mut buffer = BytesMut::with_capacity(batch.size);
            if RecordBatchEncoder::encode(&mut buffer, batch.records.iter(), &options).is_ok() {
                batch.encoded = Some(buffer.freeze());
                // The records live on only as encoded bytes.
                batch.records = Vec::new();
            }
        }
        let Some(encoded) = batch.encoded.clone() else {
            continue;
        };
        let mut data = PartitionProduceData::default();
        data.index = batch.partition;
        data.records = Some(encoded);
        match request
            .topic_data
            .iter_mut()
            .find(|topic| topic.name.0.as_str() == &*batch.topic)
        {
            Some(topic) => topic.partition_data.push(data),
            None => {
                let mut topic = TopicProduceData::default();
                topic.name = TopicName(StrBytes::from_string(batch.topic.to_string()));
                topic.partition_data.push(data);
                request.topic_data.push(topic);
            }
        }
    }
    (request, batches)
}

async fn complete<T: Send + 'static>(
    client: &Client,
    config: &ProducerConfig,
    shared: &Shared<T>,
    batches: Vec<ReadyBatch<T>>,
    response: Result<ProduceResponse, ClientError>,
) {
    let response = match response {
        Ok(response) => response,
        Err(error) => {
            let reason = error.to_string();
            let retriable = error.is_retriable();
            for batch in batches {
                let failure = if retriable {
                    ClientError::ConnectionLost {
                        broker: "leader".to_string(),
                        reason: reason.clone(),
                    }
                } else {
                    ClientError::Records {
                        topic: batch.topic.to_string(),
                        partition: batch.partition,
                        reason: reason.clone(),
                    }
                };
                retry_or_fail(client, config, shared, batch, failure).await;
            }
            return;
        }
    };
    for batch in batches {
        if batch.encoded.is_none() {
            let failure = ClientError::Records {
                topic: batch.topic.to_string(),
                partition: batch.partition,
                reason: "the batch could not be encoded".to_string(),
            };
            shared.deliver(batch, Err(failure));
            continue;
        }
        let answer = response
            .responses
            .iter()
            .filter(|topic| topic.name.0.as_str() == &*batch.topic)
            .flat_map(|topic| topic.partition_responses.iter())
            .find(|partition| partition.index == batch.partition);
        let outcome = match answer {
            None => Err(ResponseError::UnknownServerError),
            Some(partition) => match ResponseError::try_from_code(partition.error_code) {
                None => Ok(partition.base_offset),
                Some(error) => Err(error),
            },
        };
        match outcome {
            Ok(base_offset) => shared.deliver(batch, Ok(base_offset)),
            Err(error) => {
                let failure = ClientError::Partition {
                    topic: batch.topic.to_string(),
                    partition: batch.partition,
                    error,
                };
                retry_or_fail(client, config, shared, batch, failure).await;
            }
        }
    }
}

async fn retry_or_fail<T: Send + 'static>(
    client: &Client,
    config: &ProducerConfig,
    shared: &Shared<T>,
    mut batch: ReadyBatch<T>,
    error: ClientError,
) {
    let retriable = match &error {
        ClientError::Partition { error, .. } => refreshes_metadata(*error) || error.is_retriable(),
        other => other.is_retriable(),
    };
    if !retriable || batch.attempts >= config.retries {
        shared.deliver(batch, Err(error));
        return;
    }
    batch.attempts += 1;
    client.invalidate(&batch.topic);
    tokio::time::sleep(config.retry_backoff).await;
    shared.requeue(batch);
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use kafka_protocol::records::RecordBatchDecoder;

    fn topic_state(partitions: i32) -> TopicState<u32> {
        TopicState {
            name: Arc::from("t"),
            partitions,
            sticky: None,
            open: HashMap::new(),
        }
    }

    fn record(offset: i64, value: &'static [u8]) -> Record {
        Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset,
            sequence: (offset as i32).wrapping_sub(1),
            timestamp: 1_000 + offset,
            key: None,
            value: Some(Bytes::from_static(value)),
            headers: IndexMap::new(),
        }
    }

    #[test]
    fn records_of_a_batch_encode_as_one_v2_batch_for_every_codec() {
        for compression in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let config = ProducerConfig {
                compression,
                ..ProducerConfig::default()
            };
            let batch = ReadyBatch {
                topic: Arc::from("t"),
                partition: 3,
                records: vec![record(0, b"a"), record(1, b"b"), record(2, b"c")],
                contexts: vec![1u32, 2, 3],
                size: 100,
                encoded: None,
                attempts: 0,
            };
            let (request, batches) = build_request(vec![batch], &config);
            assert_eq!(request.topic_data.len(), 1);
            assert_eq!(request.topic_data[0].partition_data[0].index, 3);
            let mut bytes = batches[0].encoded.clone().unwrap();
            // One batch: base offset 0, last offset delta 2, base sequence -1.
            assert_eq!(&bytes[0..8], &0i64.to_be_bytes());
            assert_eq!(&bytes[23..27], &2i32.to_be_bytes());
            assert_eq!(&bytes[53..57], &(-1i32).to_be_bytes());
            let sets = RecordBatchDecoder::decode_all(&mut bytes).unwrap();
            assert_eq!(sets.len(), 1, "{compression:?}");
            assert_eq!(sets[0].compression, compression);
            let values: Vec<_> = sets[0]
                .records
                .iter()
                .map(|record| record.value.clone().unwrap())
                .collect();
            assert_eq!(values, vec!["a", "b", "c"]);
        }
    }

    #[test]
    fn requests_are_split_at_max_request_size() {
        let config = ProducerConfig {
            max_request_size: 250,
            ..ProducerConfig::default()
        };
        let batches: Vec<ReadyBatch<u32>> = (0..5)
            .map(|partition| ReadyBatch {
                topic: Arc::from("t"),
                partition,
                records: Vec::new(),
                contexts: Vec::new(),
                size: 100,
                encoded: None,
                attempts: 0,
            })
            .collect();
        let sizes: Vec<usize> = split_requests(batches, &config)
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, vec![2, 2, 1]);
    }

    #[test]
    fn linger_keeps_young_batches_open_until_due_or_flushed() {
        let mut state: Accumulator<u32> = Accumulator {
            topics: HashMap::new(),
            ready: VecDeque::new(),
            buffered: 0,
            undelivered: 0,
            flush_requested: false,
            closing: false,
        };
        let mut topic = topic_state(2);
        let created = Instant::now();
        topic.open.insert(
            0,
            OpenBatch {
                records: vec![record(0, b"x")],
                contexts: vec![7],
                size: 80,
                created,
            },
        );
        state.topics.insert("t".to_string(), topic);
        let linger = Duration::from_millis(50);
        let (due, next) = take_due(&mut state, linger, created);
        assert!(due.is_empty());
        assert_eq!(next, Some(created + linger));
        let (due, next) = take_due(&mut state, linger, created + linger);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].contexts, vec![7]);
        assert_eq!(next, None);
    }

    #[test]
    fn compression_names_are_kafkas() {
        assert_eq!(parse_compression("gzip"), Some(Compression::Gzip));
        assert_eq!(parse_compression("zstd"), Some(Compression::Zstd));
        assert_eq!(parse_compression("none"), Some(Compression::None));
        assert_eq!(parse_compression("brotli"), None);
    }

    #[test]
    fn closing_a_batch_moves_it_to_ready_with_its_contexts() {
        let mut topic = topic_state(1);
        topic.open.insert(
            0,
            OpenBatch {
                records: vec![record(0, b"x"), record(1, b"y")],
                contexts: vec![1, 2],
                size: 100,
                created: Instant::now(),
            },
        );
        let mut ready = VecDeque::new();
        close_batch(&mut topic, 0, &mut ready);
        assert!(topic.open.is_empty());
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].contexts, vec![1, 2]);
        assert_eq!(ready[0].records.len(), 2);
    }
}
