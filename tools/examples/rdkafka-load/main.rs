//! `rdkafka-load`: a librdkafka load generator for benchmarking a Kafka broker (ours, or the
//! Apache Kafka peer), run as `cargo run --release -p tools --example rdkafka-load -- MODE …`.
//! Records go through librdkafka's C API directly ([`native`]); the `rdkafka` crate serves
//! the set-up (metadata, watermarks) and the latency mode's consumer.
//!
//! Modes:
//! - `produce`: `--records N` records of `--record-size B` bytes (random letters, no key) as
//!   fast as librdkafka takes them (`--chunk` records per `rd_kafka_produce_batch` call, the
//!   chunks spread over the partitions in turn); throughput over the time from the first send
//!   to the last delivery report, and delivery latency (send call → delivery report) of every
//!   `--sample-every`th record.
//! - `consume`: `--records N` records (default: everything in the topic) from the start of
//!   every partition (no consumer group), read `--batch` at a time; throughput from the start
//!   to the last record.
//! - `latency`: `--rate R` records/s for `--seconds S` while a consumer waits at the end of
//!   every partition; end-to-end latency from the send time written into each value's first
//!   8 bytes (microseconds since the Unix epoch) to its arrival at the consumer.
//!
//! librdkafka settings: `--acks`, `--batch-size`, `--linger-ms`, `--compression` map to
//! `acks`, `batch.size`, `linger.ms`, `compression.codec` (left at librdkafka's defaults when
//! not given); `-X key=value` sets any other property, e.g. for the Kafka 0.9 peer
//! `-X api.version.request=false -X broker.version.fallback=0.9.0.1`.
//!
//! Output: one summary line per run (`key=value` pairs), or with `--json` one JSON object.
//! MB/s counts 1,048,576 bytes per MB of record values, as Kafka's perf tools do. Latencies
//! are in milliseconds. The exit status is 1 when any record failed or did not arrive.

mod native;
#[path = "../shared/mod.rs"]
mod shared;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};
use clap::{Args, Parser, Subcommand};
use rand::Rng;
use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, Producer as _};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::json;
use shared::parse_property;

#[derive(Parser, Debug)]
#[command(
    name = "rdkafka-load",
    about = "librdkafka load generator for Kafka brokers"
)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand, Debug)]
enum Mode {
    /// Produce N records as fast as possible.
    Produce(ProduceArgs),
    /// Consume N records from offset 0 of every partition.
    Consume(ConsumeArgs),
    /// Produce at a fixed rate with a consumer at the end; end-to-end latency.
    Latency(LatencyArgs),
}

/// Where to connect and what to print; shared by every mode.
#[derive(Args, Debug)]
struct Common {
    /// bootstrap.servers.
    #[arg(long, default_value = "localhost:9092")]
    bootstrap: String,
    /// Topic to use (auto-created by the broker when missing).
    #[arg(long, default_value = "rdkafka-load")]
    topic: String,
    /// Any librdkafka property, repeatable: -X key=value.
    #[arg(short = 'X', value_name = "KEY=VALUE", value_parser = parse_property)]
    properties: Vec<(String, String)>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
    /// Give up waiting for records or deliveries after this many seconds without progress.
    #[arg(long, default_value_t = 30)]
    timeout_s: u64,
}

/// The producer's librdkafka settings.
#[derive(Args, Debug)]
struct ProducerSettings {
    /// Size of each record value in bytes.
    #[arg(long, default_value_t = 100)]
    record_size: usize,
    /// acks: 0, 1 or all.
    #[arg(long, default_value = "1", value_parser = ["0", "1", "all", "-1"])]
    acks: String,
    /// batch.size in bytes (librdkafka's default when absent).
    #[arg(long)]
    batch_size: Option<u64>,
    /// linger.ms (librdkafka's default, 5, when absent).
    #[arg(long)]
    linger_ms: Option<f64>,
    /// compression.codec: none, gzip, snappy, lz4, zstd.
    #[arg(long, value_parser = ["none", "gzip", "snappy", "lz4", "zstd"])]
    compression: Option<String>,
}

#[derive(Args, Debug)]
struct ProduceArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    producer: ProducerSettings,
    /// Number of records to produce.
    #[arg(long, default_value_t = 1_000_000)]
    records: u64,
    /// Records per `rd_kafka_produce_batch` call (all to one partition).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    chunk: u64,
    /// Delivery latency of every Nth record (the others skip the clock).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..))]
    sample_every: u64,
    /// Producer instances, each on its own thread with the partitions i, i+N, … (at most one
    /// per partition); the records are split evenly between them.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    instances: u64,
}

#[derive(Args, Debug)]
struct ConsumeArgs {
    #[command(flatten)]
    common: Common,
    /// Number of records to read; default: all records in the topic now.
    #[arg(long)]
    records: Option<u64>,
    /// Most records taken per `rd_kafka_consume_batch_queue` call.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    batch: u64,
    /// Consumer instances, each on its own thread with the partitions i, i+N, … (at most one
    /// per partition).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    instances: u64,
}

#[derive(Args, Debug)]
struct LatencyArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    producer: ProducerSettings,
    /// Records per second.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// Duration of the run in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

fn main() {
    let cli = Cli::parse();
    let outcome = match cli.mode {
        Mode::Produce(args) => produce(&args),
        Mode::Consume(args) => consume(&args),
        Mode::Latency(args) => latency(&args),
    };
    match outcome {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(error) => {
            eprintln!("rdkafka-load: {error:#}");
            std::process::exit(1);
        }
    }
}

/// A librdkafka configuration: bootstrap, the mode's own settings, then every `-X`.
fn client_config(common: &Common, settings: &[(&str, String)]) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &common.bootstrap);
    config.set("client.id", "rdkafka-load");
    for (key, value) in settings {
        config.set(*key, value);
    }
    for (key, value) in &common.properties {
        config.set(key, value);
    }
    config
}

fn producer_settings(settings: &ProducerSettings) -> Vec<(&'static str, String)> {
    let mut properties = vec![("acks", settings.acks.clone())];
    if let Some(bytes) = settings.batch_size {
        properties.push(("batch.size", bytes.to_string()));
    }
    if let Some(millis) = settings.linger_ms {
        properties.push(("linger.ms", millis.to_string()));
    }
    if let Some(codec) = &settings.compression {
        properties.push(("compression.codec", codec.clone()));
    }
    properties
}

/// Latency samples in microseconds and the summary statistics over them, in milliseconds.
#[derive(Debug, Default)]
struct Latencies {
    micros: Vec<u64>,
}

impl Latencies {
    /// The value at quantile `q` (0..=1) of the sorted samples, in ms.
    fn quantile(sorted: &[u64], q: f64) -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        let last = sorted.len() - 1;
        let rank = ((last as f64) * q).round() as usize;
        sorted.get(rank.min(last)).copied().unwrap_or_default() as f64 / 1000.0
    }

    /// (avg, p50, p99, p99.9, max) in ms.
    fn summary(mut self) -> (f64, f64, f64, f64, f64) {
        self.micros.sort_unstable();
        let sorted = &self.micros;
        let avg = if sorted.is_empty() {
            0.0
        } else {
            sorted.iter().sum::<u64>() as f64 / sorted.len() as f64 / 1000.0
        };
        (
            avg,
            Self::quantile(sorted, 0.50),
            Self::quantile(sorted, 0.99),
            Self::quantile(sorted, 0.999),
            sorted.last().copied().unwrap_or_default() as f64 / 1000.0,
        )
    }
}

/// Delivery-report counters of a producer run (filled by [`native`]'s callback) and the
/// sampled delivery latencies.
pub(crate) struct Deliveries {
    start: Instant,
    latencies: Mutex<Vec<u64>>,
    pub(crate) acked: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) first_error: Mutex<Option<String>>,
}

impl Deliveries {
    fn new(start: Instant, expected: usize) -> Self {
        Deliveries {
            start,
            latencies: Mutex::new(Vec::with_capacity(expected)),
            acked: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            first_error: Mutex::new(None),
        }
    }

    /// Nanoseconds since the run's start (a record's send time).
    fn elapsed_nanos(&self) -> usize {
        usize::try_from(self.start.elapsed().as_nanos()).unwrap_or(usize::MAX)
    }

    /// Records the delivery latency of a record sent at `sent_at_nanos`.
    pub(crate) fn record_latency(&self, sent_at_nanos: usize) {
        let nanos = self.elapsed_nanos().saturating_sub(sent_at_nanos);
        if let Ok(mut latencies) = self.latencies.lock() {
            latencies.push(u64::try_from(nanos / 1000).unwrap_or(u64::MAX));
        }
    }

    pub(crate) fn reported(&self) -> u64 {
        self.acked.load(Ordering::Relaxed) + self.failed.load(Ordering::Relaxed)
    }

    fn take_latencies(&self) -> Latencies {
        let micros = self
            .latencies
            .lock()
            .map(|mut latencies| std::mem::take(&mut *latencies))
            .unwrap_or_default();
        Latencies { micros }
    }
}

/// The producer's properties: bootstrap, the flags, then every `-X`.
fn producer_properties(common: &Common, settings: &ProducerSettings) -> Vec<(String, String)> {
    properties(client_config(common, &producer_settings(settings)))
}

/// A configuration's key/value pairs for [`native`].
fn properties(config: ClientConfig) -> Vec<(String, String)> {
    config
        .config_map()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Waits until the topic's metadata lists partitions with leaders (asking creates it on a
/// broker with auto-creation); returns the partition ids.
fn topic_partitions<C: ClientContext>(
    client: &rdkafka::client::Client<C>,
    topic: &str,
    timeout: Duration,
) -> anyhow::Result<Vec<i32>> {
    let deadline = Instant::now() + timeout;
    loop {
        let metadata = client.fetch_metadata(Some(topic), Duration::from_secs(5));
        if let Ok(metadata) = &metadata {
            if let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) {
                let partitions: Vec<i32> = found
                    .partitions()
                    .iter()
                    .filter(|p| p.leader() >= 0)
                    .map(|p| p.id())
                    .collect();
                if found.error().is_none()
                    && !partitions.is_empty()
                    && partitions.len() == found.partitions().len()
                {
                    return Ok(partitions);
                }
            }
        }
        if Instant::now() >= deadline {
            bail!("topic {topic} has no leaders after {timeout:?} (last answer: {metadata:?})");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A value of `size` random capital letters (like Kafka's producer perf test).
fn random_payload(size: usize) -> Vec<u8> {
    let mut rng = rand::rng();
    (0..size).map(|_| rng.random_range(b'A'..=b'Z')).collect()
}

/// The summary line (two decimals).
fn print_summary(json: bool, mode: &str, fields: &[(&str, serde_json::Value)]) {
    shared::print_summary(json, mode, fields, 2);
}

const MB: f64 = 1024.0 * 1024.0;

/// The partitions of instance `index` of `instances`: every `instances`th from `index`.
fn share_of(partitions: &[i32], index: usize, instances: usize) -> Vec<i32> {
    partitions
        .iter()
        .skip(index)
        .step_by(instances)
        .copied()
        .collect()
}

/// Runs `work(index)` on `instances` threads that start together; returns when all ended,
/// with the time from their common start and the first error.
fn run_instances<F>(instances: usize, work: F) -> anyhow::Result<f64>
where
    F: Fn(usize) -> anyhow::Result<()> + Send + Sync + 'static,
{
    let work = Arc::new(work);
    let barrier = Arc::new(std::sync::Barrier::new(instances + 1));
    let threads: Vec<_> = (0..instances)
        .map(|index| {
            let (work, barrier) = (Arc::clone(&work), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                work(index)
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    let mut outcome = Ok(());
    for thread in threads {
        let result = thread
            .join()
            .map_err(|_| anyhow::anyhow!("a load thread panicked"))
            .and_then(|result| result);
        if outcome.is_ok() {
            outcome = result;
        }
    }
    outcome.map(|()| start.elapsed().as_secs_f64())
}

fn produce(args: &ProduceArgs) -> anyhow::Result<bool> {
    let common = &args.common;
    let size = args.producer.record_size;
    let payload = Arc::new(random_payload(size));
    let timeout = Duration::from_secs(common.timeout_s);
    // The topic exists (created if need be: a producer's metadata request may create it)
    // and has leaders before the producers start.
    let setup: BaseProducer = client_config(common, &[])
        .create()
        .context("creating the set-up producer")?;
    let partitions = topic_partitions(setup.client(), &common.topic, timeout)?;
    drop(setup);
    let instances = usize::try_from(args.instances)
        .unwrap_or(1)
        .clamp(1, partitions.len());
    let samples = usize::try_from(args.records / args.sample_every + 1).unwrap_or(usize::MAX);
    let deliveries = Arc::new(Deliveries::new(Instant::now(), samples.min(10_000_000)));
    let properties = producer_properties(common, &args.producer);
    let (topic, total, chunk, sample_every) = (
        common.topic.clone(),
        args.records,
        args.chunk,
        args.sample_every,
    );
    let shared = Arc::clone(&deliveries);
    let elapsed = run_instances(instances, move |index| {
        let mine = share_of(&partitions, index, instances);
        let count = total / instances as u64 + u64::from((index as u64) < total % instances as u64);
        let mut producer = native::Producer::new(&properties, &topic, &shared, timeout)?;
        let mut sent_at = Vec::new();
        let mut sent = 0u64;
        let mut chunk_index = 0usize;
        while sent < count {
            let size = chunk.min(count - sent);
            sent_at.clear();
            sent_at.extend(
                (sent..sent + size)
                    .map(|index| (index % sample_every == 0).then(|| shared.elapsed_nanos())),
            );
            let partition = mine
                .get(chunk_index % mine.len().max(1))
                .copied()
                .unwrap_or_default();
            producer.send(partition, &payload, &sent_at)?;
            producer.poll(Duration::ZERO);
            sent += size;
            chunk_index += 1;
        }
        // Every instance serves its own reports until all instances' records are reported.
        producer.drain(total, timeout);
        Ok(())
    })?;
    let acked = deliveries.acked.load(Ordering::Relaxed);
    let failed = deliveries.failed.load(Ordering::Relaxed);
    let missing = args.records.saturating_sub(acked + failed);
    let (avg, p50, p99, _p999, max) = deliveries.take_latencies().summary();
    let records_per_s = acked as f64 / elapsed;
    let mut fields = vec![
        ("records", json!(acked)),
        ("record_size", json!(size)),
        ("acks", json!(args.producer.acks)),
        ("instances", json!(instances)),
        ("elapsed_s", json!(elapsed)),
        ("records_per_s", json!(records_per_s)),
        ("mb_per_s", json!(records_per_s * size as f64 / MB)),
        ("latency_avg_ms", json!(avg)),
        ("latency_p50_ms", json!(p50)),
        ("latency_p99_ms", json!(p99)),
        ("latency_max_ms", json!(max)),
        ("failed", json!(failed)),
        ("unreported", json!(missing)),
    ];
    if let Ok(first) = deliveries.first_error.lock() {
        if let Some(error) = first.as_ref() {
            fields.push(("first_error", json!(error)));
        }
    }
    print_summary(common.json, "produce", &fields);
    Ok(failed == 0 && missing == 0)
}

/// A consumer for assign + explicit offsets. librdkafka refuses `assign` without a
/// `group.id`; the group is never joined and no offset is committed.
fn create_consumer(common: &Common) -> anyhow::Result<BaseConsumer> {
    let settings = [
        ("group.id", "rdkafka-load".to_owned()),
        ("enable.partition.eof", "false".to_owned()),
        ("enable.auto.commit", "false".to_owned()),
        ("enable.auto.offset.store", "false".to_owned()),
    ];
    client_config(common, &settings)
        .create()
        .context("creating the consumer")
}

fn consume(args: &ConsumeArgs) -> anyhow::Result<bool> {
    let common = &args.common;
    let timeout = Duration::from_secs(common.timeout_s);
    let setup = create_consumer(common)?;
    let partitions = topic_partitions(setup.client(), &common.topic, timeout)?;
    let wanted = match args.records {
        Some(records) => records,
        None => {
            let mut total = 0u64;
            for partition in &partitions {
                let (low, high) = setup
                    .fetch_watermarks(&common.topic, *partition, timeout)
                    .context("reading watermarks")?;
                total += u64::try_from(high.saturating_sub(low)).unwrap_or_default();
            }
            total
        }
    };
    drop(setup);
    let instances = usize::try_from(args.instances)
        .unwrap_or(1)
        .clamp(1, partitions.len());
    let properties = properties(client_config(common, &[]));
    let batch = usize::try_from(args.batch).unwrap_or(usize::MAX);
    let counted = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
    let (topic, shared) = (common.topic.clone(), Arc::clone(&counted));
    let all = partitions.clone();
    let elapsed = run_instances(instances, move |index| {
        let from_start: Vec<(i32, i64)> = share_of(&all, index, instances)
            .into_iter()
            .map(|partition| {
                (
                    partition,
                    i64::from(rdkafka::bindings::RD_KAFKA_OFFSET_BEGINNING),
                )
            })
            .collect();
        let mut consumer = native::Consumer::start(&properties, &topic, &from_start, batch)?;
        let (records, bytes) = &*shared;
        let mut progress_at = Instant::now();
        // Every instance reads until all instances together have what was wanted.
        while records.load(Ordering::Relaxed) < wanted && progress_at.elapsed() < timeout {
            let read = consumer.next_batch(Duration::from_millis(100), |_| {})?;
            if read.records > 0 {
                records.fetch_add(read.records, Ordering::Relaxed);
                bytes.fetch_add(read.bytes, Ordering::Relaxed);
                progress_at = Instant::now();
            }
        }
        Ok(())
    })?;
    let records = counted.0.load(Ordering::Relaxed);
    let bytes = counted.1.load(Ordering::Relaxed);
    print_summary(
        common.json,
        "consume",
        &[
            ("records", json!(records)),
            ("wanted", json!(wanted)),
            ("partitions", json!(partitions.len())),
            ("instances", json!(instances)),
            ("elapsed_s", json!(elapsed)),
            ("records_per_s", json!(records as f64 / elapsed)),
            ("mb_per_s", json!(bytes as f64 / MB / elapsed)),
        ],
    );
    Ok(records == wanted)
}

fn micros_since_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| u64::try_from(since.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

fn latency(args: &LatencyArgs) -> anyhow::Result<bool> {
    let common = &args.common;
    let size = args.producer.record_size.max(8);
    let timeout = Duration::from_secs(common.timeout_s);
    if args.rate == 0 {
        bail!("--rate must be at least 1");
    }
    let consumer = create_consumer(common)?;
    let total = args.rate.saturating_mul(args.seconds);
    let deliveries = Arc::new(Deliveries::new(
        Instant::now(),
        usize::try_from(total).unwrap_or_default(),
    ));
    let setup: BaseProducer = client_config(common, &[])
        .create()
        .context("creating the set-up producer")?;
    let partitions = topic_partitions(setup.client(), &common.topic, timeout)?;
    drop(setup);
    let mut producer = native::Producer::new(
        &producer_properties(common, &args.producer),
        &common.topic,
        &deliveries,
        timeout,
    )?;
    // The consumer starts at the current end of every partition.
    let mut assignment = TopicPartitionList::new();
    for partition in &partitions {
        let (_, high) = consumer.fetch_watermarks(&common.topic, *partition, timeout)?;
        assignment.add_partition_offset(&common.topic, *partition, Offset::Offset(high))?;
    }
    consumer.assign(&assignment)?;

    let receiver = std::thread::spawn(move || {
        let mut latencies = Vec::with_capacity(usize::try_from(total).unwrap_or_default());
        let mut progress_at = Instant::now();
        while (latencies.len() as u64) < total && progress_at.elapsed() < timeout {
            if let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) {
                let arrived = micros_since_epoch();
                let sent = message
                    .payload()
                    .and_then(|value| value.get(..8))
                    .and_then(|stamp| stamp.try_into().ok())
                    .map(u64::from_be_bytes)
                    .unwrap_or(arrived);
                latencies.push(arrived.saturating_sub(sent));
                progress_at = Instant::now();
            }
        }
        latencies
    });

    let start = Instant::now();
    let mut payload = random_payload(size);
    let interval_nanos = 1_000_000_000f64 / args.rate as f64;
    for index in 0..total {
        let due = Duration::from_nanos((index as f64 * interval_nanos) as u64);
        loop {
            let now = start.elapsed();
            if now >= due {
                break;
            }
            // librdkafka's poll timeout has millisecond resolution: shorter waits sleep, so
            // the pacing loop never spins on a core the broker needs.
            let wait = due - now;
            if wait >= Duration::from_millis(1) {
                producer.poll(wait);
            } else {
                producer.poll(Duration::ZERO);
                std::thread::sleep(wait);
            }
        }
        if let Some(stamp) = payload.get_mut(..8) {
            stamp.copy_from_slice(&micros_since_epoch().to_be_bytes());
        }
        let partition = usize::try_from(index)
            .ok()
            .and_then(|index| partitions.get(index % partitions.len()))
            .copied()
            .unwrap_or_default();
        producer.send(partition, &payload, &[Some(deliveries.elapsed_nanos())])?;
    }
    producer.drain(total, timeout);
    let micros = receiver
        .join()
        .map_err(|_| anyhow::anyhow!("the consumer thread panicked"))?;
    let received = micros.len() as u64;
    let (avg, p50, p99, p999, max) = Latencies { micros }.summary();
    let failed = deliveries.failed.load(Ordering::Relaxed);
    print_summary(
        common.json,
        "latency",
        &[
            ("rate", json!(args.rate)),
            ("seconds", json!(args.seconds)),
            ("record_size", json!(size)),
            ("acks", json!(args.producer.acks)),
            ("sent", json!(total)),
            ("received", json!(received)),
            ("failed", json!(failed)),
            ("e2e_avg_ms", json!(avg)),
            ("e2e_p50_ms", json!(p50)),
            ("e2e_p99_ms", json!(p99)),
            ("e2e_p999_ms", json!(p999)),
            ("e2e_max_ms", json!(max)),
        ],
    );
    Ok(received == total && failed == 0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn properties_parse_as_key_value() {
        assert_eq!(
            parse_property("api.version.request=false").unwrap(),
            ("api.version.request".to_owned(), "false".to_owned())
        );
        assert_eq!(
            parse_property("a=b=c").unwrap(),
            ("a".to_owned(), "b=c".to_owned())
        );
        assert!(parse_property("novalue").is_err());
        assert!(parse_property("=x").is_err());
    }

    #[test]
    fn quantiles_pick_the_nearest_rank() {
        let latencies = Latencies {
            micros: (1..=1000).rev().map(|ms| ms * 1000).collect(),
        };
        let (avg, p50, p99, p999, max) = latencies.summary();
        assert_eq!((p50, p99, p999, max), (501.0, 990.0, 999.0, 1000.0));
        assert!((avg - 500.5).abs() < 1e-9);
    }

    #[test]
    fn flags_reach_librdkafka_properties() {
        let cli = Cli::try_parse_from([
            "rdkafka-load",
            "produce",
            "--acks",
            "all",
            "--linger-ms",
            "2",
            "--compression",
            "lz4",
            "-X",
            "api.version.request=false",
            "--records",
            "10",
        ])
        .unwrap();
        let Mode::Produce(args) = cli.mode else {
            panic!("not produce");
        };
        let settings = producer_settings(&args.producer);
        assert!(settings.contains(&("acks", "all".to_owned())));
        assert!(settings.contains(&("linger.ms", "2".to_owned())));
        assert!(settings.contains(&("compression.codec", "lz4".to_owned())));
        let config = client_config(&args.common, &settings);
        assert_eq!(config.get("api.version.request"), Some("false"));
        assert_eq!(args.records, 10);
    }
}
