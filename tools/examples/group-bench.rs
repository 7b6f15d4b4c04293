//! `group-bench`: consumer-group benchmarks driven by librdkafka, run as
//! `cargo run --release -p tools --example group-bench -- MODE …` against any broker.
//!
//! Modes:
//! - `rebalance --members N --partitions P`: N consumers, one thread each, subscribe one after
//!   another to a new P-partition topic in a new group (cooperative or eager as
//!   `--assignor` says). Reported: the time from the last subscribe call to the moment every
//!   member holds a non-empty assignment and the assignments cover all P partitions once. The
//!   broker's `group.initial.rebalance.delay.ms` is part of that time: pass it as
//!   `--initial-delay-ms` to have it subtracted in `beyond_delay_s`.
//! - `commits --count N --partitions P`: one consumer, assigned (no subscription, so it
//!   commits as a standalone member), sends N asynchronous OffsetCommits of all P partitions
//!   each; reported: commits/s and offsets/s from the first commit call to the last commit
//!   callback.
//!
//! Output: one `key=value` line, or one JSON object with `--json`. Exit status 1 when the
//! run did not complete (members not assigned, commits failed) within `--timeout-s`.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use clap::{Args, Parser, Subcommand};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext};
use rdkafka::error::KafkaResult;
use rdkafka::{Offset, TopicPartitionList};
use serde_json::json;
use shared::parse_property;

#[path = "shared/mod.rs"]
mod shared;

#[derive(Parser, Debug)]
#[command(
    name = "group-bench",
    about = "consumer-group benchmarks with librdkafka"
)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand, Debug)]
enum Mode {
    /// Time for a group of N new members to stabilise.
    Rebalance(RebalanceArgs),
    /// Offset commit throughput of one standalone member.
    Commits(CommitArgs),
}

#[derive(Args, Debug)]
struct Common {
    /// bootstrap.servers.
    #[arg(long, default_value = "localhost:9092")]
    bootstrap: String,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 60)]
    timeout_s: u64,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
    /// Any librdkafka property for the benchmark's clients, repeatable: -X key=value.
    #[arg(short = 'X', value_name = "KEY=VALUE", value_parser = parse_property)]
    properties: Vec<(String, String)>,
}

/// A client configuration: bootstrap, then every `-X`.
fn client_config(common: &Common) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &common.bootstrap);
    for (key, value) in &common.properties {
        config.set(key, value);
    }
    config
}

#[derive(Args, Debug)]
struct RebalanceArgs {
    #[command(flatten)]
    common: Common,
    /// Members joining the group.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=500))]
    members: u64,
    /// Partitions of the topic (at least the member count, so every member gets one).
    #[arg(long)]
    partitions: Option<i32>,
    /// partition.assignment.strategy: range, roundrobin or cooperative-sticky.
    #[arg(long, default_value = "range")]
    assignor: String,
    /// The broker's group.initial.rebalance.delay.ms, subtracted in `beyond_delay_s`.
    #[arg(long, default_value_t = 0)]
    initial_delay_ms: u64,
}

#[derive(Args, Debug)]
struct CommitArgs {
    #[command(flatten)]
    common: Common,
    /// OffsetCommit requests to send.
    #[arg(long, default_value_t = 100_000)]
    count: u64,
    /// Partitions per commit (the topic's partition count).
    #[arg(long, default_value_t = 1)]
    partitions: i32,
}

fn main() {
    let cli = Cli::parse();
    let outcome = match cli.mode {
        Mode::Rebalance(args) => rebalance(&args),
        Mode::Commits(args) => commits(&args),
    };
    match outcome {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(error) => {
            eprintln!("group-bench: {error:#}");
            std::process::exit(1);
        }
    }
}

/// The summary line (three decimals).
fn print_summary(json: bool, mode: &str, fields: &[(&str, serde_json::Value)]) {
    shared::print_summary(json, mode, fields, 3);
}

/// A unique suffix for topic and group names of this run.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_nanos())
        .unwrap_or_default();
    format!("{}-{nanos}", std::process::id())
}

/// Creates `topic` with `partitions` partitions (replication factor 1).
fn create_topic(bootstrap: &str, topic: &str, partitions: i32) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .context("creating the admin client")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting a runtime for the admin call")?;
    let new_topic = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = runtime
        .block_on(admin.create_topics([&new_topic], &options))
        .context("CreateTopics")?;
    for result in results {
        if let Err((name, code)) = result {
            bail!("creating {name}: {code}");
        }
    }
    Ok(())
}

fn rebalance(args: &RebalanceArgs) -> anyhow::Result<bool> {
    let common = &args.common;
    let members = usize::try_from(args.members).unwrap_or(1);
    let partitions = args
        .partitions
        .unwrap_or(i32::try_from(args.members).unwrap_or(i32::MAX));
    if usize::try_from(partitions).unwrap_or_default() < members {
        bail!("--partitions ({partitions}) must be at least --members ({members})");
    }
    let id = run_id();
    let topic = format!("group-bench-{id}");
    let group = format!("group-bench-{id}");
    create_topic(&common.bootstrap, &topic, partitions)?;
    let timeout = Duration::from_secs(common.timeout_s);

    // Members are created first, then subscribe one after another; each polls on its own
    // thread and publishes its assignment size.
    let assigned: Arc<Vec<AtomicUsize>> =
        Arc::new((0..members).map(|_| AtomicUsize::new(0)).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(Barrier::new(members + 1));
    let last_join = Arc::new(Mutex::new(None::<Instant>));
    let joined = Arc::new(AtomicUsize::new(0));
    let mut threads = Vec::new();
    for index in 0..members {
        let consumer: BaseConsumer = client_config(common)
            .set("group.id", &group)
            .set("client.id", format!("group-bench-{index}"))
            .set("partition.assignment.strategy", &args.assignor)
            .set("enable.auto.commit", "false")
            .set("session.timeout.ms", "30000")
            .create()
            .context("creating a member")?;
        let (assigned, stop, ready, last_join, joined, topic) = (
            Arc::clone(&assigned),
            Arc::clone(&stop),
            Arc::clone(&ready),
            Arc::clone(&last_join),
            Arc::clone(&joined),
            topic.clone(),
        );
        threads.push(std::thread::spawn(move || -> anyhow::Result<()> {
            ready.wait();
            consumer.subscribe(&[&topic]).context("subscribe")?;
            if joined.fetch_add(1, Ordering::SeqCst) + 1 == members {
                if let Ok(mut last) = last_join.lock() {
                    *last = Some(Instant::now());
                }
            }
            while !stop.load(Ordering::Relaxed) {
                if let Some(Err(error)) = consumer.poll(Duration::from_millis(10)) {
                    return Err(anyhow::anyhow!("member {index}: {error}"));
                }
                let count = consumer
                    .assignment()
                    .map(|list| list.count())
                    .unwrap_or_default();
                if let Some(slot) = assigned.get(index) {
                    slot.store(count, Ordering::Relaxed);
                }
            }
            consumer.unsubscribe();
            Ok(())
        }));
    }
    ready.wait();
    let deadline = Instant::now() + timeout;
    let wanted = usize::try_from(partitions).unwrap_or_default();
    let mut stable_at = None;
    while Instant::now() < deadline {
        let counts: Vec<usize> = assigned
            .iter()
            .map(|slot| slot.load(Ordering::Relaxed))
            .collect();
        if joined.load(Ordering::SeqCst) == members
            && counts.iter().all(|&count| count > 0)
            && counts.iter().sum::<usize>() == wanted
        {
            stable_at = Some(Instant::now());
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread
            .join()
            .map_err(|_| anyhow::anyhow!("a member thread panicked"))??;
    }
    let last = last_join.lock().ok().and_then(|last| *last);
    let (Some(stable_at), Some(last)) = (stable_at, last) else {
        print_summary(
            common.json,
            "rebalance",
            &[("members", json!(members)), ("stable", json!(false))],
        );
        return Ok(false);
    };
    let seconds = stable_at.duration_since(last).as_secs_f64();
    let delay = args.initial_delay_ms as f64 / 1000.0;
    print_summary(
        common.json,
        "rebalance",
        &[
            ("members", json!(members)),
            ("partitions", json!(partitions)),
            ("assignor", json!(args.assignor)),
            ("stable_after_last_join_s", json!(seconds)),
            ("initial_delay_s", json!(delay)),
            ("beyond_delay_s", json!(seconds - delay)),
        ],
    );
    Ok(true)
}

/// Counts commit callbacks.
struct CommitCounter {
    done: AtomicU64,
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
}

struct CommitContext(Arc<CommitCounter>);

impl ClientContext for CommitContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        eprintln!("{level:?} {fac}: {log_message}");
    }
}

impl ConsumerContext for CommitContext {
    fn commit_callback(&self, result: KafkaResult<()>, _offsets: &TopicPartitionList) {
        match result {
            Ok(()) => {
                self.0.done.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => {
                self.0.failed.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut first) = self.0.first_error.lock() {
                    first.get_or_insert_with(|| error.to_string());
                }
            }
        }
    }
}

fn commits(args: &CommitArgs) -> anyhow::Result<bool> {
    let common = &args.common;
    if args.partitions < 1 {
        bail!("--partitions must be at least 1");
    }
    let id = run_id();
    let topic = format!("group-bench-{id}");
    create_topic(&common.bootstrap, &topic, args.partitions)?;
    let counter = Arc::new(CommitCounter {
        done: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        first_error: Mutex::new(None),
    });
    let consumer: BaseConsumer<CommitContext> = client_config(common)
        .set("group.id", format!("group-bench-{id}"))
        .set("enable.auto.commit", "false")
        .create_with_context(CommitContext(Arc::clone(&counter)))
        .context("creating the consumer")?;
    let mut assignment = TopicPartitionList::new();
    for partition in 0..args.partitions {
        assignment.add_partition_offset(&topic, partition, Offset::Beginning)?;
    }
    consumer.assign(&assignment)?;
    // One synchronous commit finds the coordinator (and creates __consumer_offsets) before
    // the clock starts.
    let mut offsets = TopicPartitionList::new();
    for partition in 0..args.partitions {
        offsets.add_partition_offset(&topic, partition, Offset::Offset(0))?;
    }
    consumer
        .commit(&offsets, CommitMode::Sync)
        .context("first commit")?;
    let timeout = Duration::from_secs(common.timeout_s);
    let start = Instant::now();
    // One list, its offsets moved forward for each commit (librdkafka copies it per call).
    for index in 0..args.count {
        let offset = i64::try_from(index + 1).unwrap_or(i64::MAX);
        offsets.set_all_offsets(Offset::Offset(offset))?;
        consumer.commit(&offsets, CommitMode::Async)?;
        if index % 256 == 0 {
            let _ = consumer.poll(Duration::ZERO);
        }
    }
    // Commits on one connection are answered in order: once the last one's offsets are
    // visible, every earlier commit was processed.
    let last_offset = i64::try_from(args.count).unwrap_or(i64::MAX);
    let deadline = Instant::now() + timeout;
    let mut all_visible = false;
    while Instant::now() < deadline {
        let _ = consumer.poll(Duration::ZERO);
        let committed = consumer
            .committed_offsets(assignment.clone(), timeout)
            .context("reading the committed offsets")?;
        if committed
            .elements()
            .iter()
            .all(|element| element.offset() == Offset::Offset(last_offset))
        {
            all_visible = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let elapsed = start.elapsed().as_secs_f64();
    let failed = counter.failed.load(Ordering::Relaxed);
    let done = if all_visible { args.count } else { 0 };
    let mut fields = vec![
        ("commits", json!(done)),
        ("partitions_per_commit", json!(args.partitions)),
        ("elapsed_s", json!(elapsed)),
        ("commits_per_s", json!(done as f64 / elapsed)),
        (
            "offsets_per_s",
            json!(done as f64 * f64::from(args.partitions) / elapsed),
        ),
        ("failed", json!(failed)),
    ];
    if let Ok(first) = counter.first_error.lock() {
        if let Some(error) = first.as_ref() {
            fields.push(("first_error", json!(error)));
        }
    }
    print_summary(common.json, "commits", &fields);
    Ok(failed == 0 && all_visible)
}
