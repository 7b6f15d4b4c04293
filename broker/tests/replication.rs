//! Replication end to end: a coordinator (or Apache ZooKeeper 3.8 with
//! `COORDINATOR_TEST_SERVER=apache-zookeeper`) and three `broker` processes on loopback
//! ports, driven by librdkafka.
//!
//! - every record reaches every replica, byte for byte, and Metadata shows Replicas and ISR;
//! - acks=all with `min.insync.replicas=2` is refused (NOT_ENOUGH_REPLICAS) while two of three
//!   brokers are down, and accepted again once one returns to the ISR;
//! - the fault loop: while an idempotent acks=all producer writes, leaders are killed with
//!   SIGKILL, a broker is paused with SIGSTOP past its session timeout, and the coordinator is
//!   restarted; afterwards every acknowledged record is read back exactly once, in order, and
//!   all replicas' logs are identical;
//! - controlled shutdown (SIGTERM) of a leader while a producer runs: no delivery error and
//!   leadership moved before the broker left.
//!
//! Waits are on conditions with deadlines; the fault loop is bounded by its rounds (each
//! about one session timeout, 6 s).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use testkit::{BrokerProcess, CoordinatorProcess};

#[path = "support/mod.rs"]
mod support;

/// How long any single wait may take before it fails the test.
const PATIENCE: Duration = Duration::from_secs(60);

fn broker_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_broker"))
}

fn coordinator_binary() -> PathBuf {
    broker_binary().with_file_name("coordinator")
}

/// A coordinator and brokers 0..n.
struct TestCluster {
    coordinator: CoordinatorProcess,
    brokers: Vec<BrokerProcess>,
}

impl TestCluster {
    fn start(count: i32, overrides: &[(&str, &str)]) -> TestCluster {
        let coordinator = CoordinatorProcess::start(&coordinator_binary(), &[]).unwrap();
        let brokers = (0..count)
            .map(|id| {
                BrokerProcess::start(
                    broker_binary(),
                    &coordinator.connect_string(),
                    id,
                    overrides,
                )
                .unwrap()
            })
            .collect();
        let cluster = TestCluster {
            coordinator,
            brokers,
        };
        // A broker listens before it has registered: a topic created before every broker shows
        // in Metadata could be refused for too few brokers.
        let wanted = usize::try_from(count).unwrap();
        wait_until(&format!("{count} brokers registered"), || {
            let consumer: BaseConsumer = cluster.config(&[]).create().unwrap();
            consumer
                .fetch_metadata(None, Duration::from_secs(5))
                .is_ok_and(|metadata| metadata.brokers().len() == wanted)
        });
        cluster
    }

    fn bootstrap(&self) -> String {
        self.brokers
            .iter()
            .map(BrokerProcess::bootstrap)
            .collect::<Vec<_>>()
            .join(",")
    }

    fn config(&self, properties: &[(&str, &str)]) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", self.bootstrap())
            .set("broker.address.family", "v4")
            .set("topic.metadata.refresh.interval.ms", "1000");
        for (key, value) in properties {
            config.set(*key, *value);
        }
        config
    }

    fn create_topic(&self, topic: &str, partitions: i32, replicas: i32, config: &[(&str, &str)]) {
        let admin: AdminClient<DefaultClientContext> = self.config(&[]).create().unwrap();
        let mut new_topic = NewTopic::new(topic, partitions, TopicReplication::Fixed(replicas));
        for (key, value) in config {
            new_topic = new_topic.set(key, value);
        }
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(20)));
        let results = futures_lite_block_on(admin.create_topics([&new_topic], &options)).unwrap();
        for result in results {
            assert_eq!(result, Ok(topic.to_owned()), "creating {topic}");
        }
    }

    /// Leader and ISR of every partition of `topic`, from a fresh Metadata request.
    fn partition_states(&self, topic: &str) -> BTreeMap<i32, (i32, Vec<i32>, Vec<i32>)> {
        let consumer: BaseConsumer = self.config(&[]).create().unwrap();
        let Ok(metadata) = consumer.fetch_metadata(Some(topic), Duration::from_secs(5)) else {
            return BTreeMap::new();
        };
        let mut states = BTreeMap::new();
        for found in metadata.topics() {
            for partition in found.partitions() {
                if partition.error().is_some() {
                    continue;
                }
                states.insert(
                    partition.id(),
                    (
                        partition.leader(),
                        partition.replicas().to_vec(),
                        partition.isr().to_vec(),
                    ),
                );
            }
        }
        states
    }

    /// Waits until every one of `partitions` partitions has a leader and a full ISR.
    fn wait_fully_replicated(&self, topic: &str, partitions: i32, replicas: usize) {
        wait_until(&format!("{topic} fully replicated"), || {
            let states = self.partition_states(topic);
            i32::try_from(states.len()).unwrap() == partitions
                && states
                    .values()
                    .all(|(leader, _, isr)| *leader >= 0 && isr.len() == replicas)
        });
    }

    fn broker(&mut self, id: i32) -> &mut BrokerProcess {
        self.brokers
            .iter_mut()
            .find(|broker| broker.broker_id() == id)
            .unwrap()
    }

    /// The bytes of every segment of `topic`-`partition` on broker `id`, concatenated.
    fn log_bytes(&self, id: i32, topic: &str, partition: i32) -> Vec<u8> {
        let broker = self
            .brokers
            .iter()
            .find(|broker| broker.broker_id() == id)
            .unwrap();
        let dir = broker.log_dir().join(format!("{topic}-{partition}"));
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .filter(|path| path.extension().is_some_and(|ext| ext == "log"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .flat_map(|path| std::fs::read(path).unwrap_or_default())
            .collect()
    }

    /// Waits until the three replicas of every partition hold identical logs.
    fn wait_logs_identical(&self, topic: &str, partitions: i32) {
        for partition in 0..partitions {
            wait_until(
                &format!("{topic}-{partition} identical on every replica"),
                || {
                    let copies: Vec<Vec<u8>> = self
                        .brokers
                        .iter()
                        .map(|broker| self.log_bytes(broker.broker_id(), topic, partition))
                        .collect();
                    copies.windows(2).all(|pair| pair[0] == pair[1])
                },
            );
        }
    }
}

fn futures_lite_block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Acknowledged and failed deliveries, as librdkafka reports them.
#[derive(Default)]
struct Deliveries {
    acknowledged: Mutex<Vec<(i32, i64, String)>>,
    failed: Mutex<Vec<String>>,
}

struct Recording(Arc<Deliveries>);

impl ClientContext for Recording {}

impl ProducerContext for Recording {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(message) => {
                let value =
                    String::from_utf8_lossy(message.payload().unwrap_or_default()).into_owned();
                self.0.acknowledged.lock().unwrap().push((
                    message.partition(),
                    message.offset(),
                    value,
                ));
            }
            Err((error, message)) => {
                let value =
                    String::from_utf8_lossy(message.payload().unwrap_or_default()).into_owned();
                self.0
                    .failed
                    .lock()
                    .unwrap()
                    .push(format!("{value}: {error}"));
            }
        }
    }
}

/// A producer thread writing `topic` (idempotent, acks=all) until `stop` is set.
struct BackgroundProducer {
    deliveries: Arc<Deliveries>,
    sent: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundProducer {
    fn start(cluster: &TestCluster, topic: &str, partitions: i32) -> BackgroundProducer {
        let deliveries = Arc::new(Deliveries::default());
        let producer: BaseProducer<Recording> = cluster
            .config(&[
                ("enable.idempotence", "true"),
                ("acks", "all"),
                ("linger.ms", "5"),
                ("message.timeout.ms", "300000"),
                ("retry.backoff.ms", "100"),
            ])
            .create_with_context(Recording(Arc::clone(&deliveries)))
            .unwrap();
        let sent = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let topic = topic.to_owned();
        let thread = {
            let sent = Arc::clone(&sent);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut next = 0usize;
                while !stop.load(Ordering::SeqCst) {
                    let value = format!("record-{next:08}");
                    let partition = i32::try_from(next).unwrap() % partitions;
                    let record = BaseRecord::to(&topic)
                        .payload(&value)
                        .key(&value)
                        .partition(partition);
                    // A full queue refuses the record; it is offered again after the poll.
                    if producer.send(record).is_ok() {
                        next += 1;
                        sent.store(next, Ordering::SeqCst);
                    }
                    producer.poll(Duration::from_millis(2));
                }
                producer.flush(Duration::from_secs(240)).unwrap();
                producer.poll(Duration::ZERO);
            })
        };
        BackgroundProducer {
            deliveries,
            sent,
            stop,
            thread: Some(thread),
        }
    }

    fn acknowledged(&self) -> usize {
        self.deliveries.acknowledged.lock().unwrap().len()
    }

    /// Waits until `more` records beyond the current count are acknowledged.
    fn wait_progress(&self, more: usize) {
        let target = self.acknowledged() + more;
        wait_until("the producer to make progress", || {
            self.acknowledged() >= target
        });
    }

    fn finish(mut self) -> Arc<Deliveries> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
        assert!(self.sent.load(Ordering::SeqCst) > 0);
        Arc::clone(&self.deliveries)
    }
}

/// Reads every partition of `topic` from the beginning until `expected` records per
/// partition arrived: (partition → [(offset, value)]).
fn read_all(
    cluster: &TestCluster,
    topic: &str,
    expected: &BTreeMap<i32, usize>,
) -> BTreeMap<i32, Vec<(i64, String)>> {
    let consumer: BaseConsumer = cluster
        .config(&[
            ("group.id", "replication-check"),
            ("enable.auto.commit", "false"),
            ("enable.partition.eof", "false"),
            ("fetch.wait.max.ms", "100"),
        ])
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    for partition in expected.keys() {
        assignment
            .add_partition_offset(topic, *partition, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut read: BTreeMap<i32, Vec<(i64, String)>> = BTreeMap::new();
    let total: usize = expected.values().sum();
    let deadline = Instant::now() + PATIENCE;
    while read.values().map(Vec::len).sum::<usize>() < total {
        assert!(Instant::now() < deadline, "read {read:?} of {expected:?}");
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) {
            let value = String::from_utf8_lossy(message.payload().unwrap_or_default()).into_owned();
            read.entry(message.partition())
                .or_default()
                .push((message.offset(), value));
        }
    }
    read
}

/// Every acknowledged record is in the log exactly once, at the offset it was acknowledged
/// with, and the log holds nothing else than records the producer sent (each once).
fn check_nothing_acknowledged_was_lost(
    cluster: &TestCluster,
    topic: &str,
    deliveries: &Deliveries,
) {
    let acknowledged = deliveries.acknowledged.lock().unwrap().clone();
    assert!(!acknowledged.is_empty());
    let consumer: BaseConsumer = cluster
        .config(&[("group.id", "replication-watermarks")])
        .create()
        .unwrap();
    let mut expected: BTreeMap<i32, usize> = BTreeMap::new();
    for partition in acknowledged
        .iter()
        .map(|(partition, _, _)| *partition)
        .collect::<BTreeSet<_>>()
    {
        let (_, high) = consumer
            .fetch_watermarks(topic, partition, Duration::from_secs(10))
            .unwrap();
        expected.insert(partition, usize::try_from(high).unwrap());
    }
    let read = read_all(cluster, topic, &expected);
    let mut seen = BTreeSet::new();
    for (partition, records) in &read {
        for (index, (offset, value)) in records.iter().enumerate() {
            assert_eq!(
                *offset,
                i64::try_from(index).unwrap(),
                "offsets of partition {partition} are dense"
            );
            assert!(seen.insert(value.clone()), "{value} appears twice");
        }
    }
    for (partition, offset, value) in &acknowledged {
        let records = &read[partition];
        let at = records
            .get(usize::try_from(*offset).unwrap())
            .unwrap_or_else(|| panic!("acknowledged {value} at {partition}/{offset} is missing"));
        assert_eq!(&at.1, value, "record at {partition}/{offset}");
    }
}

#[test]
fn every_record_reaches_every_replica_and_metadata_shows_replicas_and_isr() {
    let cluster = TestCluster::start(3, &[]);
    cluster.create_topic("replicated", 6, 3, &[]);
    cluster.wait_fully_replicated("replicated", 6, 3);
    let states = cluster.partition_states("replicated");
    let mut leaders: BTreeMap<i32, usize> = BTreeMap::new();
    for (leader, replicas, isr) in states.values() {
        let mut sorted = replicas.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![0, 1, 2]);
        assert_eq!(replicas[0], *leader, "the preferred replica leads");
        assert_eq!(isr.len(), 3);
        *leaders.entry(*leader).or_default() += 1;
    }
    assert_eq!(
        leaders.values().copied().collect::<Vec<_>>(),
        vec![2, 2, 2],
        "leaders spread evenly"
    );

    let producer = BackgroundProducer::start(&cluster, "replicated", 6);
    producer.wait_progress(600);
    let deliveries = producer.finish();
    assert!(deliveries.failed.lock().unwrap().is_empty());
    check_nothing_acknowledged_was_lost(&cluster, "replicated", &deliveries);
    cluster.wait_logs_identical("replicated", 6);
}

/// Produce v9 of one record at `acks`, straight over the wire: the partition's error code.
fn raw_produce(address: std::net::SocketAddr, topic: &str, acks: i16) -> i16 {
    use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
    use kafka_protocol::messages::ProduceRequest;
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };
    use std::io::{Read, Write};

    let record = Record {
        transactional: false,
        control: false,
        partition_leader_epoch: 0,
        producer_id: -1,
        producer_epoch: -1,
        timestamp_type: TimestampType::Creation,
        offset: 0,
        sequence: -1,
        timestamp: 0,
        key: None,
        value: Some(bytes::Bytes::from_static(b"guarded")),
        headers: Default::default(),
        delete_horizon: false,
    };
    let mut records = bytes::BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression: Compression::None,
    };
    RecordBatchEncoder::encode(&mut records, &vec![record], &options).unwrap();
    let mut partition = PartitionProduceData::default();
    partition.index = 0;
    partition.records = Some(records.freeze());
    let mut topic_data = TopicProduceData::default();
    topic_data.name = support::name(topic);
    topic_data.partition_data.push(partition);
    let mut request = ProduceRequest::default();
    request.acks = acks;
    request.timeout_ms = 5_000;
    request.topic_data.push(topic_data);
    let version = 9;
    let body = support::encode_request(&request, version, 7, "replication-test");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .write_all(&u32::try_from(body.len()).unwrap().to_be_bytes())
        .unwrap();
    stream.write_all(&body).unwrap();
    let mut size = [0u8; 4];
    stream.read_exact(&mut size).unwrap();
    let mut frame = vec![0u8; usize::try_from(u32::from_be_bytes(size)).unwrap()];
    stream.read_exact(&mut frame).unwrap();
    let response =
        support::decode_response::<ProduceRequest>(bytes::Bytes::from(frame), version, 7);
    response.responses[0].partition_responses[0].error_code
}

#[test]
fn acks_all_is_refused_below_min_insync_replicas_and_accepted_once_a_replica_returns() {
    let mut cluster = TestCluster::start(3, &[]);
    cluster.create_topic("guarded", 1, 3, &[("min.insync.replicas", "2")]);
    cluster.wait_fully_replicated("guarded", 1, 3);
    let (leader, _, _) = cluster.partition_states("guarded")[&0].clone();
    let leader_address = cluster.broker(leader).address();
    assert_eq!(raw_produce(leader_address, "guarded", -1), 0);

    let followers: Vec<i32> = (0..3).filter(|id| *id != leader).collect();
    for id in &followers {
        cluster.broker(*id).kill9().unwrap();
    }
    wait_until("the ISR to shrink to the leader", || {
        cluster
            .partition_states_from(leader, "guarded")
            .is_some_and(|(_, isr)| isr == vec![leader])
    });
    // NOT_ENOUGH_REPLICAS (19), nothing written; acks=1 still works.
    assert_eq!(raw_produce(leader_address, "guarded", -1), 19);
    assert_eq!(raw_produce(leader_address, "guarded", 1), 0);

    cluster.broker(followers[0]).restart().unwrap();
    wait_until("a follower to rejoin the ISR", || {
        cluster
            .partition_states_from(leader, "guarded")
            .is_some_and(|(_, isr)| isr.len() == 2)
    });
    assert_eq!(raw_produce(leader_address, "guarded", -1), 0);
}

impl TestCluster {
    /// Leader and ISR of partition 0 of `topic` as broker `id` reports it.
    fn partition_states_from(&self, id: i32, topic: &str) -> Option<(i32, Vec<i32>)> {
        let broker = self
            .brokers
            .iter()
            .find(|broker| broker.broker_id() == id)?;
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", broker.bootstrap())
            .set("broker.address.family", "v4");
        let consumer: BaseConsumer = config.create().ok()?;
        let metadata = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(5))
            .ok()?;
        let found = metadata.topics().first()?;
        let partition = found
            .partitions()
            .iter()
            .find(|partition| partition.id() == 0)?;
        Some((partition.leader(), partition.isr().to_vec()))
    }

    fn leader_of(&self, topic: &str, partition: i32) -> Option<i32> {
        self.partition_states(topic)
            .get(&partition)
            .map(|(leader, _, _)| *leader)
            .filter(|leader| *leader >= 0)
    }
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name} {pid}");
}

#[test]
fn killed_paused_and_restarted_brokers_lose_no_acknowledged_record() {
    let mut cluster = TestCluster::start(3, &[]);
    let topic = "faults";
    cluster.create_topic(topic, 3, 3, &[("min.insync.replicas", "2")]);
    cluster.wait_fully_replicated(topic, 3, 3);
    let producer = BackgroundProducer::start(&cluster, topic, 3);
    producer.wait_progress(200);

    // kill -9 the leader of each partition in turn, then bring it back.
    for partition in 0..3 {
        let leader = cluster.leader_of(topic, partition).unwrap();
        cluster.broker(leader).kill9().unwrap();
        wait_until("a new leader", || {
            cluster
                .leader_of(topic, partition)
                .is_some_and(|now| now != leader)
        });
        producer.wait_progress(100);
        cluster.broker(leader).restart().unwrap();
        cluster.wait_fully_replicated(topic, 3, 3);
        producer.wait_progress(100);
    }

    // Pause a leader past its session timeout (6 s): another replica takes over; the paused
    // one must not acknowledge anything as leader once it resumes.
    let leader = cluster.leader_of(topic, 0).unwrap();
    let pid = cluster.broker(leader).pid().unwrap();
    signal(pid, "STOP");
    wait_until("a leader other than the paused broker", || {
        cluster.leader_of(topic, 0).is_some_and(|now| now != leader)
    });
    producer.wait_progress(100);
    signal(pid, "CONT");
    cluster.wait_fully_replicated(topic, 3, 3);
    producer.wait_progress(100);

    // The coordinator goes away and comes back while writes continue.
    cluster.coordinator.kill9().unwrap();
    producer.wait_progress(100);
    cluster.coordinator.restart().unwrap();
    cluster.wait_fully_replicated(topic, 3, 3);
    producer.wait_progress(100);

    let deliveries = producer.finish();
    let failed = deliveries.failed.lock().unwrap().clone();
    assert!(failed.is_empty(), "delivery failures: {failed:?}");
    check_nothing_acknowledged_was_lost(&cluster, topic, &deliveries);
    cluster.wait_logs_identical(topic, 3);
}

#[test]
fn controlled_shutdown_moves_leadership_with_no_producer_error() {
    let mut cluster = TestCluster::start(3, &[]);
    let topic = "handover";
    cluster.create_topic(topic, 6, 3, &[]);
    cluster.wait_fully_replicated(topic, 6, 3);
    let producer = BackgroundProducer::start(&cluster, topic, 6);
    producer.wait_progress(300);
    let leaving = 1;
    assert!(cluster
        .partition_states(topic)
        .values()
        .any(|(leader, _, _)| *leader == leaving));
    let status = cluster.broker(leaving).stop().unwrap();
    assert!(status.is_some_and(|status| status.success()));
    assert!(
        cluster
            .broker(leaving)
            .log_text()
            .contains("Controlled shutdown request returned successfully"),
        "{}",
        cluster.broker(leaving).log_tail(40)
    );
    wait_until("leadership away from the stopped broker", || {
        let states = cluster.partition_states(topic);
        states.len() == 6
            && states.values().all(|(leader, _, isr)| {
                *leader >= 0 && *leader != leaving && !isr.contains(&leaving)
            })
    });
    producer.wait_progress(300);
    let deliveries = producer.finish();
    let failed = deliveries.failed.lock().unwrap().clone();
    assert!(failed.is_empty(), "delivery failures: {failed:?}");
    check_nothing_acknowledged_was_lost(&cluster, topic, &deliveries);
}

/// Java's `String.hashCode` of an ASCII group id: which `__consumer_offsets` partition holds it.
fn java_hash(text: &str) -> i32 {
    text.bytes().fold(0i32, |hash, byte| {
        hash.wrapping_mul(31).wrapping_add(i32::from(byte))
    })
}

#[test]
fn committed_offsets_survive_the_loss_of_the_group_coordinator() {
    use rdkafka::consumer::CommitMode;

    let overrides = [
        ("offsets.topic.replication.factor", "3"),
        ("offsets.topic.num.partitions", "3"),
        ("group.initial.rebalance.delay.ms", "0"),
    ];
    let mut cluster = TestCluster::start(3, &overrides);
    cluster.create_topic("work", 1, 3, &[]);
    cluster.wait_fully_replicated("work", 1, 3);
    let producer = BackgroundProducer::start(&cluster, "work", 1);
    producer.wait_progress(100);
    producer.finish();

    let group_config = |cluster: &TestCluster| {
        cluster.config(&[
            ("group.id", "g"),
            ("enable.auto.commit", "false"),
            ("auto.offset.reset", "earliest"),
            ("session.timeout.ms", "6000"),
        ])
    };
    let consumer: BaseConsumer = group_config(&cluster).create().unwrap();
    consumer.subscribe(&["work"]).unwrap();
    let mut last = None;
    let deadline = Instant::now() + PATIENCE;
    while last.is_none_or(|offset| offset < 49) {
        assert!(Instant::now() < deadline, "consumed up to {last:?}");
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) {
            last = Some(message.offset());
        }
    }
    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset("work", 0, Offset::Offset(50))
        .unwrap();
    consumer.commit(&offsets, CommitMode::Sync).unwrap();
    drop(consumer);

    // The broker leading the group's offsets partition goes away.
    let partition = java_hash("g").unsigned_abs() % 3;
    let coordinator = cluster
        .leader_of("__consumer_offsets", i32::try_from(partition).unwrap())
        .unwrap();
    cluster.broker(coordinator).kill9().unwrap();
    wait_until("a new leader of the group's offsets partition", || {
        cluster
            .leader_of("__consumer_offsets", i32::try_from(partition).unwrap())
            .is_some_and(|leader| leader != coordinator)
    });

    // A new member of the group resumes at the committed offset, served by the new leader.
    let resumed: BaseConsumer = group_config(&cluster).create().unwrap();
    resumed.subscribe(&["work"]).unwrap();
    let deadline = Instant::now() + PATIENCE;
    let first = loop {
        assert!(Instant::now() < deadline, "the resumed member read nothing");
        if let Some(Ok(message)) = resumed.poll(Duration::from_millis(100)) {
            break message.offset();
        }
    };
    assert_eq!(first, 50);
}
