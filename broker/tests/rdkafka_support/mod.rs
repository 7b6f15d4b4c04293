//! Shared harness of the librdkafka end-to-end tests (`broker/tests/rdkafka_*.rs`).
//!
//! - [`start_broker`] is the one place a broker is started: it returns a [`TestBroker`] with
//!   the bootstrap address, the log dir and stop / restart / kill helpers. Tests never look
//!   at how the broker runs, so this module can switch from the in-process server to the
//!   `broker` binary without touching a test.
//! - librdkafka clients configured for one broker: [`future_producer`], [`consumer`],
//!   [`create_topic`] (through CreateTopics with replication factor 1), and [`consume`],
//!   which assigns partitions at explicit offsets (no group membership: the group tests in
//!   rdkafka_groups.rs subscribe) and polls until it has the records asked for.
//! - [`RawClient`]: a bare Kafka-protocol connection (the `kafka-protocol` crate) for what
//!   librdkafka will not send: garbage frames, wrong CRCs, oversized batches.
//! - Small helpers: [`block_on`] for librdkafka's futures, [`wait_until`] (poll loops with
//!   a deadline instead of sleeps), [`crc32`] (the checksum behind librdkafka's default
//!   `consistent_random` partitioner), [`now_ms`].
//!
//! Each test gets its own coordinator and broker processes (the binaries of this target
//! dir) on free loopback ports with temp dirs; the tests are plain `#[test]` functions that
//! may block in librdkafka calls. A restart keeps the port and the log dir.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

#[path = "../support/mod.rs"]
mod raw;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ProduceRequest, TopicName};
use kafka_protocol::protocol::{Request, StrBytes};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message, Timestamp};
use rdkafka::producer::FutureProducer;
use rdkafka::{Offset, TopicPartitionList};
use testkit::{BrokerProcess, CoordinatorProcess};

/// How long any wait in these tests may take before it fails the test.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A broker for one test: the real `broker` binary registered with its own coordinator
/// (the `coordinator` binary), each on a free loopback port with its own temp dir.
pub struct TestBroker {
    process: BrokerProcess,
    log_dir: PathBuf,
    _coordinator: CoordinatorProcess,
}

/// The coordinator binary sits beside the broker binary in the same target dir.
fn coordinator_binary() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_BIN_EXE_broker")).with_file_name("coordinator");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p coordinator` (or `cargo test --workspace`)",
        path.display()
    );
    path
}

/// Starts a coordinator and a broker with Kafka's defaults plus `overrides`
/// (server.properties keys, given as `--override key=value` would), and waits until the
/// broker reports it started.
pub fn start_broker(overrides: &[(&str, &str)]) -> TestBroker {
    let coordinator = CoordinatorProcess::start(&coordinator_binary(), &[]).unwrap();
    let process = BrokerProcess::start(
        Path::new(env!("CARGO_BIN_EXE_broker")),
        &coordinator.connect_string(),
        0,
        overrides,
    )
    .unwrap();
    TestBroker {
        log_dir: process.log_dir(),
        process,
        _coordinator: coordinator,
    }
}

impl TestBroker {
    /// `host:port` for librdkafka's `bootstrap.servers`.
    pub fn bootstrap(&self) -> String {
        self.process.bootstrap()
    }

    /// The listener's address, for raw connections.
    pub fn addr(&self) -> SocketAddr {
        self.process.address()
    }

    /// The broker's `log.dirs` directory.
    pub fn log_dir(&self) -> &Path {
        &self.log_dir
    }

    /// The first segment of a partition: `<log dir>/<topic>-<partition>/000…0.log`.
    pub fn first_segment(&self, topic: &str, partition: i32) -> PathBuf {
        self.log_dir()
            .join(format!("{topic}-{partition}"))
            .join(format!("{:020}.log", 0))
    }

    /// Clean shutdown (SIGTERM): connections closed, logs flushed, clean-shutdown marker.
    pub fn stop(&mut self) {
        self.process.stop().unwrap();
    }

    /// `kill -9`: no flush, no checkpoints, no clean-shutdown marker; the next start
    /// recovers the log dir.
    pub fn kill(&mut self) {
        self.process.kill9().unwrap();
    }

    /// Starts the broker again (after [`stop`](Self::stop) or [`kill`](Self::kill)) on the
    /// same port and log dir; a running broker is stopped cleanly first.
    pub fn restart(&mut self) {
        self.process.restart().unwrap();
    }
}

/// Runs a future (librdkafka's delivery and admin futures need no runtime of their own,
/// only something to poll them) to completion on a fresh current-thread runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Polls `condition` every few milliseconds until it holds; panics naming `what` after
/// [`PATIENCE`].
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Milliseconds since the Unix epoch. Record timestamps in these tests start here, so no
/// segment is old enough to roll on `segment.ms` or to expire on `retention.ms`.
pub fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// A librdkafka configuration for this broker plus `properties`.
pub fn client_config(broker: &TestBroker, properties: &[(&str, &str)]) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", broker.bootstrap())
        .set("client.id", "rdkafka-e2e")
        .set("broker.address.family", "v4");
    for (key, value) in properties {
        config.set(*key, *value);
    }
    config
}

/// A FutureProducer (`properties` on top of the defaults: acks, compression, linger, …).
pub fn future_producer(broker: &TestBroker, properties: &[(&str, &str)]) -> FutureProducer {
    client_config(broker, &[("message.timeout.ms", "20000")])
        .extend_with(properties)
        .create()
        .unwrap()
}

/// A consumer for assign + explicit offsets only (no subscribe, no commits), fetches waiting
/// at most 100 ms so the tests stay fast. librdkafka refuses `assign` without a `group.id`,
/// so one is set; it is never joined.
pub fn consumer(broker: &TestBroker, properties: &[(&str, &str)]) -> BaseConsumer {
    client_config(
        broker,
        &[
            ("group.id", "rdkafka-e2e-never-joined"),
            ("enable.partition.eof", "false"),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("fetch.wait.max.ms", "100"),
        ],
    )
    .extend_with(properties)
    .create()
    .unwrap()
}

/// Setting a list of properties on a config in place.
pub trait ExtendWith {
    fn extend_with(&mut self, properties: &[(&str, &str)]) -> &mut Self;
}

impl ExtendWith for ClientConfig {
    fn extend_with(&mut self, properties: &[(&str, &str)]) -> &mut Self {
        for (key, value) in properties {
            self.set(*key, *value);
        }
        self
    }
}

/// Creates `topic` with `partitions` partitions (replication factor 1) through librdkafka's
/// admin client, i.e. the CreateTopics API; panics unless the broker reports success.
pub fn create_topic(broker: &TestBroker, topic: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = client_config(broker, &[]).create().unwrap();
    let new_topic = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = block_on(admin.create_topics([&new_topic], &options)).unwrap();
    assert_eq!(results.len(), 1);
    for result in results {
        assert_eq!(result, Ok(topic.to_owned()), "creating {topic}");
    }
}

/// One record as a consumer saw it, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumed {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub timestamp: Timestamp,
}

impl Consumed {
    fn from_message(message: &impl Message) -> Consumed {
        let headers = message
            .headers()
            .map(|headers| {
                headers
                    .iter()
                    .map(|header| (header.key.to_owned(), header.value.map(<[u8]>::to_vec)))
                    .collect()
            })
            .unwrap_or_default();
        Consumed {
            partition: message.partition(),
            offset: message.offset(),
            key: message.key().map(<[u8]>::to_vec),
            value: message.payload().map(<[u8]>::to_vec),
            headers,
            timestamp: message.timestamp(),
        }
    }

    /// The value as UTF-8 text (the tests write text values).
    pub fn text(&self) -> String {
        String::from_utf8(self.value.clone().unwrap_or_default()).unwrap()
    }
}

/// Assigns `partitions` of `topic` from offset `from` to `consumer`.
pub fn assign(consumer: &BaseConsumer, topic: &str, partitions: &[i32], from: Offset) {
    let mut assignment = TopicPartitionList::new();
    for partition in partitions {
        assignment
            .add_partition_offset(topic, *partition, from)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
}

/// Polls `consumer` until `count` records arrived (panics after [`PATIENCE`], naming how many
/// came). Consumer errors fail the test.
pub fn poll_records(consumer: &BaseConsumer, count: usize) -> Vec<Consumed> {
    let deadline = Instant::now() + PATIENCE;
    let mut records = Vec::with_capacity(count);
    while records.len() < count {
        assert!(
            Instant::now() < deadline,
            "consumed {} of {count} records: {records:?}",
            records.len()
        );
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => records.push(Consumed::from_message(&message)),
            Some(Err(error)) => panic!("consumer error: {error}"),
            None => {}
        }
    }
    records
}

/// A fresh consumer reading `partitions` of `topic` from the beginning until it has `count`
/// records; then checks the high watermarks add up to `count`, so nothing more is there.
/// Records come in per-partition order.
pub fn consume(
    broker: &TestBroker,
    topic: &str,
    partitions: &[i32],
    count: usize,
) -> Vec<Consumed> {
    let consumer = consumer(broker, &[]);
    assign(&consumer, topic, partitions, Offset::Beginning);
    let records = poll_records(&consumer, count);
    let mut total = 0;
    for partition in partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, *partition, Duration::from_secs(10))
            .unwrap();
        assert_eq!(low, 0, "log start offset of {topic}-{partition}");
        total += high;
    }
    assert_eq!(total, i64::try_from(count).unwrap(), "records in {topic}");
    records
}

/// The CRC-32 (IEEE 802.3, reflected, as zlib computes it) of `bytes`: librdkafka's default
/// partitioner puts a keyed record in partition `crc32(key) % partition_count`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// A bare connection speaking the Kafka protocol with hand-built requests.
pub struct RawClient {
    stream: std::net::TcpStream,
    next_correlation: i32,
}

impl RawClient {
    pub fn connect(broker: &TestBroker) -> RawClient {
        let stream = std::net::TcpStream::connect(broker.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        RawClient {
            stream,
            next_correlation: 1,
        }
    }

    /// Writes raw bytes (a frame or garbage) to the connection.
    pub fn write(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.stream.write_all(bytes).unwrap();
    }

    /// Sends `request` at `version` and reads its response.
    pub fn call<R: Request>(&mut self, request: &R, version: i16) -> R::Response {
        let correlation_id = self.next_correlation;
        self.next_correlation += 1;
        let payload = raw::encode_request(request, version, correlation_id, "raw-e2e");
        let mut frame = BytesMut::new();
        frame.put_i32(i32::try_from(payload.len()).unwrap());
        frame.put_slice(&payload);
        self.write(&frame);
        let payload = self.read_frame().expect("the broker closed the connection");
        raw::decode_response::<R>(payload, version, correlation_id)
    }

    /// The next response frame, or `None` once the broker closed the connection.
    fn read_frame(&mut self) -> Option<Bytes> {
        use std::io::Read;
        let mut size = [0u8; 4];
        self.stream.read_exact(&mut size).ok()?;
        let mut payload = vec![0u8; usize::try_from(i32::from_be_bytes(size)).ok()?];
        self.stream.read_exact(&mut payload).ok()?;
        Some(Bytes::from(payload))
    }

    /// True when the broker closes the connection (EOF or reset) within ten seconds without
    /// sending anything.
    pub fn closed_by_broker(&mut self) -> bool {
        use std::io::Read;
        let mut byte = [0u8; 1];
        match self.stream.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(error) => !matches!(
                error.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
    }
}

/// A Produce request (v9) of `records` for one partition.
pub fn produce_request(topic: &str, partition: i32, acks: i16, records: Vec<u8>) -> ProduceRequest {
    let mut data = PartitionProduceData::default();
    data.index = partition;
    data.records = Some(Bytes::from(records));
    let mut topic_data = TopicProduceData::default();
    topic_data.name = TopicName(StrBytes::from_string(topic.to_owned()));
    topic_data.partition_data = vec![data];
    let mut request = ProduceRequest::default();
    request.acks = acks;
    request.timeout_ms = 5000;
    request.topic_data = vec![topic_data];
    request
}
