//! Log compaction throughput: builds a dirty compacted log of `--megabytes` MB (batches of
//! `--batch-records` records, keys drawn uniformly from `--keys`, `--value-bytes` values),
//! rolls it so every segment is closed, then times one cleaning pass through the same
//! entry point the cleaner threads use (select under the lock, clean outside it, swap under
//! it) and prints MB/s of dirty log cleaned.
//!
//! ```text
//! cargo run --release -p broker --example cleaner-bench -- --megabytes 500 --keys 100000
//! ```

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use broker::log::cleaner::{clean_once, CleanerConfig};
use broker::log::config::{CleanupPolicy, DirtyRatio};
use broker::log::{Clock, LogConfig, LogDir, SystemClock, TopicPartition};
use broker::record::{BatchBuilder, Compression, TimestampType};
use clap::Parser;
use rand::Rng;

#[derive(Debug, Parser)]
struct Args {
    /// Size of the dirty log to build, in MB.
    #[arg(long, default_value_t = 500)]
    megabytes: u64,
    /// Distinct keys.
    #[arg(long, default_value_t = 100_000)]
    keys: u64,
    /// Bytes per value.
    #[arg(long, default_value_t = 100)]
    value_bytes: usize,
    /// Records per batch.
    #[arg(long, default_value_t = 100)]
    batch_records: usize,
    /// Codec of the batches: none, gzip, snappy, lz4, zstd.
    #[arg(long, default_value = "none")]
    compression: String,
    /// `segment.bytes` of the log.
    #[arg(long, default_value_t = 104_857_600)]
    segment_bytes: i64,
    /// Where to build the log (a temp dir under it; removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
}

fn codec(name: &str) -> anyhow::Result<Compression> {
    Ok(match name {
        "none" => Compression::None,
        "gzip" => Compression::Gzip,
        "snappy" => Compression::Snappy,
        "lz4" => Compression::Lz4,
        "zstd" => Compression::Zstd,
        other => anyhow::bail!("unknown codec {other}"),
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let codec = codec(&args.compression)?;
    let temp = match &args.dir {
        Some(parent) => tempfile::tempdir_in(parent)?,
        None => tempfile::tempdir()?,
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let config = LogConfig {
        segment_bytes: args.segment_bytes,
        cleanup_policy: CleanupPolicy {
            delete: false,
            compact: true,
        },
        min_cleanable_dirty_ratio: DirtyRatio(0.5),
        ..LogConfig::default()
    };
    let topic_partition = TopicPartition::new("bench", 0);
    let mut log_dir = LogDir::open(temp.path(), config, Arc::clone(&clock))?;
    let log = log_dir.get_or_create(&topic_partition)?;
    let target = args.megabytes * 1_000_000;
    let mut rng = rand::rng();
    let value = vec![b'v'; args.value_bytes];
    let build_started = Instant::now();
    let mut records = 0u64;
    while log.size_in_bytes() < target {
        let now = clock.now_ms();
        let mut builder = BatchBuilder::new(now).compression(codec);
        for _ in 0..args.batch_records {
            let key = format!("key-{:012}", rng.random_range(0..args.keys));
            builder.record(now, Some(key.as_bytes()), Some(&value), &[]);
        }
        log.append(&builder.build(), TimestampType::CreateTime)?;
        records += args.batch_records as u64;
    }
    log.roll()?;
    let dirty_bytes = log.size_in_bytes();
    let segments = log.segment_base_offsets().len() - 1;
    println!(
        "built {:.1} MB dirty ({records} records, {} keys, {segments} segments, {}) in {:.1} s",
        dirty_bytes as f64 / 1e6,
        args.keys,
        args.compression,
        build_started.elapsed().as_secs_f64()
    );
    let shared = Arc::new(Mutex::new(Some(log_dir)));
    let cleaner = CleanerConfig::default();
    let started = Instant::now();
    let report = clean_once(
        &shared,
        &cleaner,
        clock.as_ref(),
        &Mutex::new(BTreeSet::new()),
        &AtomicBool::new(false),
    )?
    .context("the log was not eligible for cleaning")?;
    let total = started.elapsed();
    let stats = report.stats;
    println!(
        "one pass: {:.1} MB dirty indexed, {:.1} MB read, {:.1} MB written, {} of {} records kept, \
         offsets {}..{}, {:?}",
        stats.dirty_bytes as f64 / 1e6,
        stats.bytes_read as f64 / 1e6,
        stats.bytes_written as f64 / 1e6,
        stats.records_kept,
        stats.records_read,
        report.first_dirty,
        report.end_offset,
        report.outcome
    );
    println!(
        "clean {:.2} s (outside the lock), swap {} ms (under the lock), total {:.2} s",
        report.clean_time.as_secs_f64(),
        report.swap_time.as_millis(),
        total.as_secs_f64()
    );
    println!(
        "throughput: {:.1} MB/s of dirty log cleaned",
        stats.dirty_bytes as f64 / 1e6 / total.as_secs_f64()
    );
    if let Some(dir) = shared.lock().ok().and_then(|mut guard| guard.take()) {
        dir.close()?;
    }
    Ok(())
}
