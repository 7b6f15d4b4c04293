//! `failover-bench`: how long writes stop when a partition leader goes away, measured with a
//! librdkafka producer against a three-broker cluster of this repository's binaries, run as
//! `cargo run --release -p tools --example failover-bench -- [--rounds N] …`.
//!
//! Set-up: one coordinator and three brokers (testkit's [`CoordinatorProcess`] and
//! [`BrokerProcess`]: the `coordinator` and `broker` binaries of this example's target dir
//! unless `--coordinator-bin` / `--broker-bin` say otherwise, each on a free loopback port
//! with its own temp dir), `zookeeper.session.timeout.ms` from `--session-timeout-ms`.
//!
//! Each measurement (two per round) runs on a new topic of `--partitions` partitions with
//! replication factor 3 (so leadership starts spread over the three brokers every time),
//! once Metadata shows a leader and a full ISR for every partition. An idempotent acks=all
//! producer (the `rdkafka` crate) writes one record to every partition (explicit partition)
//! every `--interval-ms`; each value starts with its send time (nanoseconds since the
//! program's start, big-endian), so a delivery report tells when its record was sent. Once
//! every partition has acknowledged records, the broker leading the most partitions leaves
//! at t0:
//! - **kill -9**: SIGKILL (testkit's `kill9`);
//! - **controlled shutdown**: SIGTERM (`kill -TERM <pid>`), the broker moves its
//!   leaderships away through the controller before it exits.
//!
//! Measured from t0, over the partitions the leaving broker led:
//! - `leaders-moved`: Metadata, asked every 10 ms of a broker that stays (one connection
//!   of the repository's own client), shows a leader other than the leaving broker for
//!   every one of them;
//! - `first-write` min / median / max: per partition, the delivery report of the first
//!   record sent after t0 that was acknowledged;
//! - `max-latency`: the longest send → acknowledgement time of any record sent after t0 to
//!   those partitions (each partition is followed until a record sent after `leaders-moved`
//!   is acknowledged: records of one partition are acknowledged in order, so by then every
//!   earlier one was reported);
//! - `exit` (controlled shutdown): until the process exited.
//!
//! Then the broker is started again (`rejoin`: from the restart until every partition has a
//! full ISR), the producer flushes, and `delivery-errors` counts every failed delivery report
//! of that topic's producer (it must be 0 for the controlled shutdown), and the topic is
//! deleted.
//!
//! Output: one line per measurement, e.g.
//! `round 1 kill -9 failover: broker=2 partitions=34 leaders-moved=6041 ms first-write
//! min=6052 median=6093 max=6160 ms max-latency=6171 ms (session timeout 6000 ms) rejoin=…`,
//! then the medians over the rounds; with `--json` one JSON object per line instead (the
//! medians with `"round": "median"`). Exit status 1 when a wait timed out or a controlled
//! shutdown saw a delivery error.

#[path = "shared/mod.rs"]
mod shared;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use clap::{Parser, ValueEnum};
use common::client::{Connection, ConnectionOptions};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{MetadataRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use serde_json::json;
use shared::parse_property;
use testkit::{BrokerProcess, CoordinatorProcess, ServerKind};

/// Brokers in the cluster (the replication factor of the measured topics).
const BROKERS: i32 = 3;

/// How often Metadata is asked while waiting for leaders to move.
const METADATA_POLL: Duration = Duration::from_millis(10);

/// Acknowledged records every partition needs before a broker is made to leave.
const WARM_UP_RECORDS: u64 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "failover-bench",
    about = "leader failover time of a three-broker cluster under an acks=all librdkafka producer"
)]
struct Cli {
    /// The broker binary (default: `broker` in this example's target dir).
    #[arg(long)]
    broker_bin: Option<PathBuf>,
    /// The coordinator binary (default: `coordinator` in this example's target dir).
    #[arg(long)]
    coordinator_bin: Option<PathBuf>,
    /// Partitions of each measured topic (replication factor 3).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i32).range(1..=10_000))]
    partitions: i32,
    /// The brokers' zookeeper.session.timeout.ms.
    #[arg(long, default_value_t = 6000, value_parser = clap::value_parser!(u64).range(1..))]
    session_timeout_ms: u64,
    /// Rounds; each measures a kill -9 and a controlled shutdown (see --scenario).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1000))]
    rounds: u64,
    /// Which measurements a round makes.
    #[arg(long, value_enum, default_value_t = Scenarios::Both)]
    scenario: Scenarios,
    /// The producer writes one record to every partition every this many milliseconds.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    interval_ms: u64,
    /// Size of each record value in bytes (at least 8: the send time).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(8..=1_000_000))]
    record_size: u64,
    /// The topics' min.insync.replicas.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(i32).range(1..=3))]
    min_insync_replicas: i32,
    /// Give up any single wait (replication, warm-up, failover, exit) after this many seconds.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    timeout_s: u64,
    /// A broker setting for all three brokers, repeatable: --broker-override key=value.
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_property)]
    broker_override: Vec<(String, String)>,
    /// A librdkafka property of the producer, repeatable: -X key=value.
    #[arg(short = 'X', value_name = "KEY=VALUE", value_parser = parse_property)]
    properties: Vec<(String, String)>,
    /// Print one JSON object per line instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenarios {
    Both,
    Kill,
    Controlled,
}

/// How the leading broker leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Departure {
    Kill9,
    Controlled,
}

impl Departure {
    /// The JSON `mode` and topic-name part.
    fn key(self) -> &'static str {
        match self {
            Departure::Kill9 => "kill",
            Departure::Controlled => "controlled",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Departure::Kill9 => "kill -9 failover",
            Departure::Controlled => "controlled shutdown",
        }
    }
}

fn main() {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(error) => {
            eprintln!("failover-bench: {error:#}");
            std::process::exit(1);
        }
    }
}

/// `name` in the directory above this executable's (`target/<profile>/examples/..` →
/// `target/<profile>/name`), where cargo puts the workspace's binaries.
fn beside_target_dir(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating this executable")?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| anyhow!("{} has no target dir above it", exe.display()))?;
    Ok(dir.join(name))
}

fn binary(given: Option<&PathBuf>, name: &str) -> anyhow::Result<PathBuf> {
    let path = match given {
        Some(path) => path.clone(),
        None => beside_target_dir(name)?,
    };
    if !path.exists() {
        bail!(
            "{} is missing: build it (`cargo build -p {name}`, with --release for a release \
             example) or pass --{name}-bin",
            path.display()
        );
    }
    Ok(path)
}

fn run(cli: &Cli) -> anyhow::Result<bool> {
    let broker_bin = binary(cli.broker_bin.as_ref(), "broker")?;
    let coordinator_bin = binary(cli.coordinator_bin.as_ref(), "coordinator")?;
    let origin = Instant::now();
    let mut cluster = Cluster::start(cli, &broker_bin, &coordinator_bin)?;
    let departures: &[Departure] = match cli.scenario {
        Scenarios::Both => &[Departure::Kill9, Departure::Controlled],
        Scenarios::Kill => &[Departure::Kill9],
        Scenarios::Controlled => &[Departure::Controlled],
    };
    let mut outcomes = Vec::new();
    for round in 1..=cli.rounds {
        for &departure in departures {
            let outcome = match measure(&mut cluster, cli, origin, departure, round) {
                Ok(outcome) => outcome,
                Err(error) => {
                    cluster.print_log_tails();
                    return Err(error.context(format!("round {round}, {}", departure.title())));
                }
            };
            outcome.print(cli);
            outcomes.push(outcome);
        }
    }
    for &departure in departures {
        let mine: Vec<&Outcome> = outcomes
            .iter()
            .filter(|outcome| outcome.departure == departure)
            .collect();
        print_medians(cli, departure, &mine);
    }
    let clean = outcomes
        .iter()
        .filter(|outcome| outcome.departure == Departure::Controlled)
        .all(|outcome| outcome.delivery_errors == 0);
    Ok(clean)
}

/// Leader and ISR of one partition, as Metadata tells.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PartitionState {
    leader: i32,
    isr: Vec<i32>,
}

/// The coordinator, the three brokers and a runtime for the repository's own client.
struct Cluster {
    _coordinator: CoordinatorProcess,
    brokers: Vec<BrokerProcess>,
    runtime: tokio::runtime::Runtime,
    timeout: Duration,
}

impl Cluster {
    fn start(cli: &Cli, broker_bin: &Path, coordinator_bin: &Path) -> anyhow::Result<Cluster> {
        let coordinator =
            CoordinatorProcess::start_kind(ServerKind::Coordinator, coordinator_bin, &[])
                .context("starting the coordinator")?;
        let session_timeout = cli.session_timeout_ms.to_string();
        let mut overrides: Vec<(&str, &str)> =
            vec![("zookeeper.session.timeout.ms", session_timeout.as_str())];
        overrides.extend(
            cli.broker_override
                .iter()
                .map(|(key, value)| (key.as_str(), value.as_str())),
        );
        let mut brokers = Vec::new();
        for id in 0..BROKERS {
            brokers.push(
                BrokerProcess::start(broker_bin, &coordinator.connect_string(), id, &overrides)
                    .with_context(|| format!("starting broker {id}"))?,
            );
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("starting a runtime")?;
        Ok(Cluster {
            _coordinator: coordinator,
            brokers,
            runtime,
            timeout: Duration::from_secs(cli.timeout_s),
        })
    }

    /// `bootstrap.servers` for librdkafka: every broker, running or not.
    fn bootstrap(&self) -> String {
        self.brokers
            .iter()
            .map(BrokerProcess::bootstrap)
            .collect::<Vec<_>>()
            .join(",")
    }

    fn broker_mut(&mut self, id: i32) -> anyhow::Result<&mut BrokerProcess> {
        self.brokers
            .iter_mut()
            .find(|broker| broker.broker_id() == id)
            .ok_or_else(|| anyhow!("no broker {id}"))
    }

    /// A connection of the repository's own client to broker `id`.
    fn connect(&self, id: i32) -> anyhow::Result<Connection> {
        let broker = self
            .brokers
            .iter()
            .find(|broker| broker.broker_id() == id)
            .ok_or_else(|| anyhow!("no broker {id}"))?;
        let options = ConnectionOptions {
            client_id: "failover-bench".to_owned(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(5),
            ..ConnectionOptions::default()
        };
        self.runtime
            .block_on(Connection::connect(&broker.bootstrap(), &options))
            .with_context(|| format!("connecting to broker {id}"))
    }

    /// Leader and ISR of every partition of `topic` that `connection`'s broker knows.
    fn states_via(
        &self,
        connection: &Connection,
        topic: &str,
    ) -> anyhow::Result<BTreeMap<i32, PartitionState>> {
        let mut wanted = MetadataRequestTopic::default();
        wanted.name = Some(TopicName(StrBytes::from_string(topic.to_owned())));
        let mut request = MetadataRequest::default();
        request.topics = Some(vec![wanted]);
        request.allow_auto_topic_creation = false;
        let response = self
            .runtime
            .block_on(connection.call(&request))
            .with_context(|| format!("Metadata of {topic} from {}", connection.broker()))?;
        let mut states = BTreeMap::new();
        for found in &response.topics {
            if found.error_code != 0 {
                continue;
            }
            for partition in &found.partitions {
                if partition.error_code != 0 && partition.leader_id.0 < 0 {
                    continue;
                }
                states.insert(
                    partition.partition_index,
                    PartitionState {
                        leader: partition.leader_id.0,
                        isr: partition.isr_nodes.iter().map(|id| id.0).collect(),
                    },
                );
            }
        }
        Ok(states)
    }

    /// Like [`Cluster::states_via`] through the first running broker that answers.
    fn states(&self, topic: &str) -> anyhow::Result<BTreeMap<i32, PartitionState>> {
        let mut last_error = anyhow!("no broker is running");
        for broker in self.brokers.iter().filter(|broker| broker.pid().is_some()) {
            match self
                .connect(broker.broker_id())
                .and_then(|connection| self.states_via(&connection, topic))
            {
                Ok(states) => return Ok(states),
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }

    /// Waits until every partition of `topic` has a leader and all three replicas in its
    /// ISR; returns how long that took.
    fn wait_fully_replicated(&self, topic: &str, partitions: i32) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let wanted = usize::try_from(partitions).unwrap_or_default();
        let full = usize::try_from(BROKERS).unwrap_or_default();
        let mut last = None;
        while started.elapsed() < self.timeout {
            match self.states(topic) {
                Ok(states) => {
                    if states.len() == wanted
                        && states
                            .values()
                            .all(|state| state.leader >= 0 && state.isr.len() == full)
                    {
                        return Ok(started.elapsed());
                    }
                    let short = states
                        .values()
                        .filter(|state| state.leader < 0 || state.isr.len() < full)
                        .count();
                    last = Some(format!(
                        "{} of {wanted} partitions known, {short} without a leader or a full ISR",
                        states.len()
                    ));
                }
                Err(error) => last = Some(format!("{error:#}")),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!(
            "{topic} not fully replicated after {:?} (last: {})",
            self.timeout,
            last.unwrap_or_default()
        )
    }

    fn admin(&self) -> anyhow::Result<AdminClient<DefaultClientContext>> {
        ClientConfig::new()
            .set("bootstrap.servers", self.bootstrap())
            .set("broker.address.family", "v4")
            .create()
            .context("creating the admin client")
    }

    fn create_topic(&self, topic: &str, partitions: i32, min_insync: i32) -> anyhow::Result<()> {
        let admin = self.admin()?;
        let min_insync = min_insync.to_string();
        let new_topic = NewTopic::new(topic, partitions, TopicReplication::Fixed(BROKERS))
            .set("min.insync.replicas", &min_insync);
        let options = AdminOptions::new().operation_timeout(Some(self.timeout));
        let results = self
            .runtime
            .block_on(admin.create_topics([&new_topic], &options))
            .context("CreateTopics")?;
        for result in results {
            if let Err((name, code)) = result {
                bail!("creating {name}: {code}");
            }
        }
        Ok(())
    }

    /// Deletes `topic`; a failure is only reported (the next round uses a new topic).
    fn delete_topic(&self, topic: &str) {
        let outcome = self.admin().and_then(|admin| {
            let options = AdminOptions::new().operation_timeout(Some(self.timeout));
            let results = self
                .runtime
                .block_on(admin.delete_topics(&[topic], &options))
                .context("DeleteTopics")?;
            for result in results {
                if let Err((name, code)) = result {
                    bail!("deleting {name}: {code}");
                }
            }
            Ok(())
        });
        if let Err(error) = outcome {
            eprintln!("failover-bench: warning: {error:#}");
        }
    }

    fn print_log_tails(&self) {
        for broker in &self.brokers {
            eprintln!(
                "---- broker {} ({}), last 30 log lines ----\n{}",
                broker.broker_id(),
                broker.log_path().display(),
                broker.log_tail(30)
            );
        }
    }
}

/// Nanoseconds from `origin` to now.
fn nanos_since(origin: Instant) -> u64 {
    u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// What the producer's delivery reports showed, for one topic.
struct Tracker {
    origin: Instant,
    /// Acknowledged records per partition (index = partition id).
    acked: Vec<AtomicU64>,
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
    watch: Mutex<Option<Watch>>,
}

/// The partitions followed after t0 (times in nanoseconds since the origin).
#[derive(Debug, Clone)]
struct Watch {
    t0: u64,
    /// When Metadata showed every watched partition with another leader.
    moved_at: Option<u64>,
    /// Per watched partition: the first acknowledgement of a record sent at or after t0,
    /// and whether a record sent at or after `moved_at` was acknowledged.
    first: BTreeMap<i32, Option<u64>>,
    settled: BTreeMap<i32, bool>,
    /// The longest send → acknowledgement of a watched record sent at or after t0.
    max_latency: u64,
}

impl Watch {
    fn done(&self) -> bool {
        self.moved_at.is_some()
            && self.first.values().all(Option::is_some)
            && self.settled.values().all(|settled| *settled)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Tracker {
    fn new(origin: Instant, partitions: i32) -> Tracker {
        Tracker {
            origin,
            acked: (0..partitions).map(|_| AtomicU64::new(0)).collect(),
            failed: AtomicU64::new(0),
            first_error: Mutex::new(None),
            watch: Mutex::new(None),
        }
    }

    fn acknowledged(&self, sent_at: u64, partition: i32) {
        let now = nanos_since(self.origin);
        if let Some(count) = usize::try_from(partition)
            .ok()
            .and_then(|index| self.acked.get(index))
        {
            count.fetch_add(1, Ordering::Relaxed);
        }
        let mut watch = lock(&self.watch);
        let Some(watch) = watch.as_mut() else {
            return;
        };
        if sent_at < watch.t0 {
            return;
        }
        let Some(first) = watch.first.get_mut(&partition) else {
            return;
        };
        first.get_or_insert(now);
        watch.max_latency = watch.max_latency.max(now.saturating_sub(sent_at));
        if watch.moved_at.is_some_and(|moved_at| sent_at >= moved_at) {
            watch.settled.insert(partition, true);
        }
    }

    fn failed(&self, error: String) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        lock(&self.first_error).get_or_insert(error);
    }

    /// Every partition has at least `records` acknowledged records.
    fn every_partition_has(&self, records: u64) -> bool {
        self.acked
            .iter()
            .all(|count| count.load(Ordering::Relaxed) >= records)
    }

    /// Starts following `partitions`; returns t0.
    fn begin_watch(&self, partitions: &[i32]) -> u64 {
        let t0 = nanos_since(self.origin);
        *lock(&self.watch) = Some(Watch {
            t0,
            moved_at: None,
            first: partitions.iter().map(|&p| (p, None)).collect(),
            settled: partitions.iter().map(|&p| (p, false)).collect(),
            max_latency: 0,
        });
        t0
    }

    /// Notes that the leaders moved (now); returns the time.
    fn leaders_moved(&self) -> u64 {
        let now = nanos_since(self.origin);
        if let Some(watch) = lock(&self.watch).as_mut() {
            watch.moved_at = Some(now);
        }
        now
    }

    fn watch(&self) -> Option<Watch> {
        lock(&self.watch).clone()
    }

    fn end_watch(&self) -> Option<Watch> {
        lock(&self.watch).take()
    }
}

/// Routes librdkafka's delivery reports to the [`Tracker`].
struct Reports(Arc<Tracker>);

impl ClientContext for Reports {}

impl ProducerContext for Reports {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(message) => {
                let sent_at = message
                    .payload()
                    .and_then(|value| value.get(..8))
                    .and_then(|stamp| stamp.try_into().ok())
                    .map(u64::from_be_bytes)
                    .unwrap_or(u64::MAX);
                self.0.acknowledged(sent_at, message.partition());
            }
            Err((error, message)) => {
                self.0
                    .failed(format!("partition {}: {error}", message.partition()));
            }
        }
    }
}

/// The producer thread: one record per partition every interval until stopped, then a
/// flush (skipped when the producer is dropped without [`LoadProducer::finish`], on the way
/// out of a failed measurement: the queue is then discarded).
struct LoadProducer {
    stop: Arc<AtomicBool>,
    abandon: Arc<AtomicBool>,
    thread: Option<JoinHandle<anyhow::Result<()>>>,
}

impl LoadProducer {
    fn start(
        cli: &Cli,
        bootstrap: &str,
        topic: &str,
        tracker: &Arc<Tracker>,
    ) -> anyhow::Result<LoadProducer> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", bootstrap)
            .set("broker.address.family", "v4")
            .set("client.id", "failover-bench")
            .set("acks", "all")
            .set("enable.idempotence", "true")
            .set("message.timeout.ms", "300000");
        for (key, value) in &cli.properties {
            config.set(key, value);
        }
        let producer: BaseProducer<Reports> = config
            .create_with_context(Reports(Arc::clone(tracker)))
            .context("creating the producer")?;
        let stop = Arc::new(AtomicBool::new(false));
        let abandon = Arc::new(AtomicBool::new(false));
        let abandoned = Arc::clone(&abandon);
        let (origin, partitions, interval, size, flush_timeout) = (
            tracker.origin,
            cli.partitions,
            Duration::from_millis(cli.interval_ms),
            usize::try_from(cli.record_size).unwrap_or(8),
            Duration::from_secs(cli.timeout_s),
        );
        let (topic, stopping, reports) = (topic.to_owned(), Arc::clone(&stop), Arc::clone(tracker));
        let thread = std::thread::spawn(move || -> anyhow::Result<()> {
            let mut payload = vec![b'x'; size.max(8)];
            let mut next_tick = Instant::now();
            while !stopping.load(Ordering::Relaxed) {
                for partition in 0..partitions {
                    loop {
                        if let Some(stamp) = payload.get_mut(..8) {
                            stamp.copy_from_slice(&nanos_since(origin).to_be_bytes());
                        }
                        let record = BaseRecord::<(), [u8]>::to(&topic)
                            .payload(payload.as_slice())
                            .partition(partition);
                        match producer.send(record) {
                            Ok(()) => break,
                            // A full queue takes the record again once reports drained it.
                            Err((
                                KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull),
                                _,
                            )) => {
                                producer.poll(Duration::from_millis(1));
                            }
                            Err((error, _)) => {
                                reports.failed(format!("partition {partition}: send: {error}"));
                                break;
                            }
                        }
                    }
                }
                // Serve delivery reports until the next tick; a tick missed is not made up.
                next_tick += interval;
                let now = Instant::now();
                if next_tick < now {
                    next_tick = now;
                }
                loop {
                    let now = Instant::now();
                    if now >= next_tick {
                        break;
                    }
                    producer.poll(next_tick - now);
                }
                producer.poll(Duration::ZERO);
            }
            if abandoned.load(Ordering::Relaxed) {
                return Ok(());
            }
            producer
                .flush(flush_timeout)
                .context("flushing the producer")?;
            producer.poll(Duration::ZERO);
            Ok(())
        });
        Ok(LoadProducer {
            stop,
            abandon,
            thread: Some(thread),
        })
    }

    /// Stops sending and waits for the flush.
    fn finish(mut self) -> anyhow::Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| anyhow!("the producer thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for LoadProducer {
    fn drop(&mut self) {
        self.abandon.store(true, Ordering::Relaxed);
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One measurement's figures (milliseconds).
#[derive(Debug, Clone)]
struct Outcome {
    departure: Departure,
    round: u64,
    broker: i32,
    partitions: usize,
    leaders_moved_ms: f64,
    first_write_min_ms: f64,
    first_write_median_ms: f64,
    first_write_max_ms: f64,
    max_latency_ms: f64,
    exit_ms: Option<f64>,
    rejoin_ms: f64,
    session_timeout_ms: u64,
    delivery_errors: u64,
    first_error: Option<String>,
}

fn millis(nanos: u64) -> f64 {
    nanos as f64 / 1e6
}

/// The median of `values` (the mean of the middle two for an even count); 0 when empty.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match (sorted.len() % 2, sorted.get(middle)) {
        (1, Some(value)) => *value,
        (_, Some(upper)) => {
            let lower = middle
                .checked_sub(1)
                .and_then(|index| sorted.get(index))
                .unwrap_or(upper);
            (lower + upper) / 2.0
        }
        (_, None) => 0.0,
    }
}

impl Outcome {
    fn fields(&self) -> Vec<(&'static str, serde_json::Value)> {
        let mut fields = vec![
            ("broker", json!(self.broker)),
            ("partitions", json!(self.partitions)),
            ("leaders_moved_ms", json!(self.leaders_moved_ms)),
            ("first_write_min_ms", json!(self.first_write_min_ms)),
            ("first_write_median_ms", json!(self.first_write_median_ms)),
            ("first_write_max_ms", json!(self.first_write_max_ms)),
            ("max_latency_ms", json!(self.max_latency_ms)),
        ];
        if let Some(exit) = self.exit_ms {
            fields.push(("exit_ms", json!(exit)));
        }
        fields.extend([
            ("rejoin_ms", json!(self.rejoin_ms)),
            ("session_timeout_ms", json!(self.session_timeout_ms)),
            ("delivery_errors", json!(self.delivery_errors)),
        ]);
        if let Some(error) = &self.first_error {
            fields.push(("first_error", json!(error)));
        }
        fields
    }

    fn print(&self, cli: &Cli) {
        if cli.json {
            let mut fields = vec![("round", json!(self.round))];
            fields.extend(self.fields());
            shared::print_summary(true, self.departure.key(), &fields, 1);
            return;
        }
        println!("round {} {}", self.round, describe(self));
    }
}

/// `kill -9 failover: broker=… partitions=… …` for one outcome or the medians.
fn describe(outcome: &Outcome) -> String {
    let mut text = format!(
        "{}: broker={} partitions={} leaders-moved={:.0} ms first-write min={:.0} median={:.0} \
         max={:.0} ms max-latency={:.0} ms",
        outcome.departure.title(),
        outcome.broker,
        outcome.partitions,
        outcome.leaders_moved_ms,
        outcome.first_write_min_ms,
        outcome.first_write_median_ms,
        outcome.first_write_max_ms,
        outcome.max_latency_ms,
    );
    if outcome.departure == Departure::Kill9 {
        text += &format!(" (session timeout {} ms)", outcome.session_timeout_ms);
    }
    if let Some(exit) = outcome.exit_ms {
        text += &format!(" exit={exit:.0} ms");
    }
    text += &format!(
        " rejoin={:.0} ms delivery-errors={}",
        outcome.rejoin_ms, outcome.delivery_errors
    );
    if let Some(error) = &outcome.first_error {
        text += &format!(" (first: {error})");
    }
    text
}

fn print_medians(cli: &Cli, departure: Departure, outcomes: &[&Outcome]) {
    let Some(first) = outcomes.first() else {
        return;
    };
    let of = |figure: fn(&Outcome) -> f64| -> f64 {
        median(
            &outcomes
                .iter()
                .map(|outcome| figure(outcome))
                .collect::<Vec<_>>(),
        )
    };
    let exits: Vec<f64> = outcomes
        .iter()
        .filter_map(|outcome| outcome.exit_ms)
        .collect();
    let partitions: Vec<f64> = outcomes
        .iter()
        .map(|outcome| outcome.partitions as f64)
        .collect();
    let combined = Outcome {
        departure,
        round: 0,
        broker: -1,
        partitions: median(&partitions).round() as usize,
        leaders_moved_ms: of(|outcome| outcome.leaders_moved_ms),
        first_write_min_ms: of(|outcome| outcome.first_write_min_ms),
        first_write_median_ms: of(|outcome| outcome.first_write_median_ms),
        first_write_max_ms: of(|outcome| outcome.first_write_max_ms),
        max_latency_ms: of(|outcome| outcome.max_latency_ms),
        exit_ms: (!exits.is_empty()).then(|| median(&exits)),
        rejoin_ms: of(|outcome| outcome.rejoin_ms),
        session_timeout_ms: first.session_timeout_ms,
        delivery_errors: outcomes.iter().map(|outcome| outcome.delivery_errors).sum(),
        first_error: None,
    };
    if cli.json {
        let mut fields = vec![
            ("round", json!("median")),
            ("rounds", json!(outcomes.len())),
        ];
        // The broker differs from round to round; the error count is the total.
        fields.extend(
            combined
                .fields()
                .into_iter()
                .filter(|(key, _)| *key != "broker"),
        );
        shared::print_summary(true, departure.key(), &fields, 1);
        return;
    }
    let text = describe(&combined).replacen(" broker=-1", "", 1);
    println!(
        "median of {} round(s): {} (delivery errors summed)",
        outcomes.len(),
        text
    );
}

/// Sends `kill -<signal> <pid>`.
fn signal(pid: u32, signal: &str) -> anyhow::Result<()> {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .context("running kill")?;
    if !status.success() {
        bail!("kill -{signal} {pid} failed: {status}");
    }
    Ok(())
}

/// One measurement on a new topic: see the module doc.
fn measure(
    cluster: &mut Cluster,
    cli: &Cli,
    origin: Instant,
    departure: Departure,
    round: u64,
) -> anyhow::Result<Outcome> {
    let topic = format!(
        "failover-bench-{}-r{round}-{}",
        std::process::id(),
        departure.key()
    );
    cluster.create_topic(&topic, cli.partitions, cli.min_insync_replicas)?;
    cluster.wait_fully_replicated(&topic, cli.partitions)?;

    let tracker = Arc::new(Tracker::new(origin, cli.partitions));
    let producer = LoadProducer::start(cli, &cluster.bootstrap(), &topic, &tracker)?;
    let timeout = cluster.timeout;
    let started = Instant::now();
    while !tracker.every_partition_has(WARM_UP_RECORDS) {
        if started.elapsed() >= timeout {
            bail!("not every partition of {topic} acknowledged {WARM_UP_RECORDS} records within {timeout:?}");
        }
        if let Some(first) = lock(&tracker.first_error).as_ref() {
            bail!("the producer failed before the measurement: {first}");
        }
        std::thread::sleep(METADATA_POLL);
    }

    // The broker leading the most partitions leaves (the lowest id on a tie).
    let states = cluster.states(&topic)?;
    let mut led: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for (partition, state) in &states {
        led.entry(state.leader).or_default().push(*partition);
    }
    let (leaving, watched) = led
        .into_iter()
        .filter(|(leader, _)| *leader >= 0)
        .max_by(|(a_id, a), (b_id, b)| a.len().cmp(&b.len()).then(b_id.cmp(a_id)))
        .ok_or_else(|| anyhow!("no partition of {topic} has a leader"))?;
    let observer = (0..BROKERS)
        .find(|id| *id != leaving)
        .ok_or_else(|| anyhow!("no broker besides {leaving}"))?;
    let observing = cluster.connect(observer)?;
    let pid = cluster
        .broker_mut(leaving)?
        .pid()
        .ok_or_else(|| anyhow!("broker {leaving} is not running"))?;

    let t0 = tracker.begin_watch(&watched);
    match departure {
        Departure::Kill9 => cluster.broker_mut(leaving)?.kill9()?,
        Departure::Controlled => signal(pid, "TERM")?,
    }
    let mut moved_at = None;
    let mut exited_at = None;
    let deadline = Instant::now() + timeout;
    loop {
        if moved_at.is_none() {
            let states = cluster.states_via(&observing, &topic)?;
            let moved = watched.iter().all(|partition| {
                states
                    .get(partition)
                    .is_some_and(|state| state.leader >= 0 && state.leader != leaving)
            });
            if moved {
                moved_at = Some(tracker.leaders_moved());
            }
        }
        if departure == Departure::Controlled && exited_at.is_none() {
            match cluster.broker_mut(leaving)?.wait_exit(Duration::ZERO) {
                Ok(status) => {
                    exited_at = Some(nanos_since(origin));
                    if !status.success() {
                        eprintln!("failover-bench: warning: broker {leaving} exited with {status}");
                    }
                }
                Err(testkit::TestkitError::Timeout { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        let exited = departure == Departure::Kill9 || exited_at.is_some();
        if exited && tracker.watch().is_some_and(|watch| watch.done()) {
            break;
        }
        if Instant::now() >= deadline {
            bail!(
                "after {timeout:?}: leaders moved: {}, exited: {}, watch: {:?}",
                moved_at.is_some(),
                exited,
                tracker.watch()
            );
        }
        std::thread::sleep(METADATA_POLL);
    }
    let watch = tracker
        .end_watch()
        .ok_or_else(|| anyhow!("the watch disappeared"))?;
    let firsts: Vec<f64> = watch
        .first
        .values()
        .map(|first| millis(first.unwrap_or(t0).saturating_sub(t0)))
        .collect();
    let first_write_min_ms = firsts.iter().copied().fold(f64::INFINITY, f64::min);
    let first_write_max_ms = firsts.iter().copied().fold(0.0, f64::max);

    let restarted = Instant::now();
    cluster
        .broker_mut(leaving)?
        .restart()
        .with_context(|| format!("restarting broker {leaving}"))?;
    cluster.wait_fully_replicated(&topic, cli.partitions)?;
    let rejoin = restarted.elapsed();
    producer.finish()?;
    cluster.delete_topic(&topic);
    let first_error = lock(&tracker.first_error).clone();

    Ok(Outcome {
        departure,
        round,
        broker: leaving,
        partitions: watched.len(),
        leaders_moved_ms: millis(moved_at.unwrap_or(t0).saturating_sub(t0)),
        first_write_min_ms: if first_write_min_ms.is_finite() {
            first_write_min_ms
        } else {
            0.0
        },
        first_write_median_ms: median(&firsts),
        first_write_max_ms,
        max_latency_ms: millis(watch.max_latency),
        exit_ms: exited_at.map(|at| millis(at.saturating_sub(t0))),
        rejoin_ms: rejoin.as_secs_f64() * 1000.0,
        session_timeout_ms: cli.session_timeout_ms,
        delivery_errors: tracker.failed.load(Ordering::Relaxed),
        first_error,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn a_watch_settles_once_leaders_moved_and_every_partition_wrote_after() {
        let origin = Instant::now().checked_sub(Duration::from_secs(1)).unwrap();
        let tracker = Tracker::new(origin, 3);
        let t0 = tracker.begin_watch(&[1, 2]);
        // Sent before t0: not a first write after the departure.
        tracker.acknowledged(t0.saturating_sub(1), 1);
        assert_eq!(tracker.watch().unwrap().first[&1], None);
        tracker.acknowledged(t0, 1);
        tracker.acknowledged(t0, 2);
        // Partition 0 is not watched.
        tracker.acknowledged(t0, 0);
        let watch = tracker.watch().unwrap();
        assert!(watch.first.values().all(Option::is_some));
        assert!(!watch.done(), "leaders have not moved yet");
        let moved = tracker.leaders_moved();
        tracker.acknowledged(moved, 1);
        assert!(!tracker.watch().unwrap().done(), "partition 2 not settled");
        tracker.acknowledged(moved, 2);
        assert!(tracker.watch().unwrap().done());
        assert!(tracker.every_partition_has(1));
        assert!(!tracker.every_partition_has(3));
        assert!(tracker.end_watch().is_some());
        assert!(tracker.watch().is_none());
    }

    #[test]
    fn flags_parse() {
        let cli = Cli::try_parse_from([
            "failover-bench",
            "--partitions",
            "12",
            "--rounds",
            "2",
            "--scenario",
            "controlled",
            "--broker-override",
            "replica.lag.time.max.ms=5000",
            "-X",
            "linger.ms=1",
        ])
        .unwrap();
        assert_eq!(cli.partitions, 12);
        assert_eq!(cli.rounds, 2);
        assert_eq!(cli.scenario, Scenarios::Controlled);
        assert_eq!(cli.session_timeout_ms, 6000);
        assert_eq!(
            cli.broker_override,
            vec![("replica.lag.time.max.ms".to_owned(), "5000".to_owned())]
        );
        assert!(Cli::try_parse_from(["failover-bench", "--record-size", "4"]).is_err());
    }
}
