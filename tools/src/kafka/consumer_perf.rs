//! `kafka-consumer-perf-test`: reads `--messages` records of `--topic` (every partition,
//! from the earliest offset unless `--from-latest`) and reports as Kafka's
//! `ConsumerPerformance` does.
//!
//! Output: the header `start.time, end.time, data.consumed.in.MB, MB.sec,
//! data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec,
//! fetch.nMsg.sec` (unless `--hide-header`) and one line of values: dates as
//! `yyyy-MM-dd HH:mm:ss:SSS` (local zone), MB with four decimals, counts as integers. With
//! `--show-detailed-stats` a progress line per `--reporting-interval` replaces the summary
//! (header `time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, …`).
//! Bytes counted are key plus value sizes. When `--timeout` ms pass without a record before
//! the count is reached, Kafka's WARNING line is printed first. No group is joined
//! (partitions are assigned), so rebalance.time.ms is 0.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use common::client::{Client, Fetcher, OffsetReset, OffsetSpec, StartPosition};

use super::config::{apply_overrides, client_config, fetch_config, load_optional};
use super::{format_local_millis, now_millis};
use crate::error::KafkaToolError;

/// Kafka's consumer performance test options.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "kafka-consumer-perf-test",
    about = "This tool is used to verify the consumer performance.",
    version
)]
pub struct ConsumerPerfArgs {
    /// REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to.
    #[arg(long = "bootstrap-server", value_name = "String: server to connect to")]
    pub bootstrap_server: Option<String>,
    /// DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified.
    #[arg(long = "broker-list", value_name = "String: broker-list")]
    pub broker_list: Option<String>,
    /// REQUIRED: The topic to consume from.
    #[arg(long, value_name = "String: topic")]
    pub topic: Option<String>,
    /// REQUIRED: The number of messages to send or consume
    #[arg(long, value_name = "Long: count")]
    pub messages: Option<u64>,
    /// The group id to consume on (accepted; partitions are assigned).
    #[arg(long, value_name = "String: gid", default_value = "perf-consumer")]
    pub group: String,
    /// The amount of data to fetch in a single request.
    #[arg(
        long = "fetch-size",
        value_name = "Integer: size",
        default_value_t = 1_048_576
    )]
    pub fetch_size: i32,
    /// If the consumer does not already have an established offset to consume from, start
    /// with the latest message present in the log rather than the earliest message.
    #[arg(long = "from-latest")]
    pub from_latest: bool,
    /// The maximum allowed time in milliseconds between returned records.
    #[arg(long, value_name = "Long: milliseconds", default_value_t = 10_000)]
    pub timeout: u64,
    /// If set, stats are reported for each reporting interval as configured by
    /// reporting-interval
    #[arg(long = "show-detailed-stats")]
    pub show_detailed_stats: bool,
    /// Interval in milliseconds at which to print progress info.
    #[arg(
        long = "reporting-interval",
        value_name = "Integer: interval_ms",
        default_value_t = 5000
    )]
    pub reporting_interval: u64,
    /// If set, skips printing the header for the stats
    #[arg(long = "hide-header")]
    pub hide_header: bool,
    /// Consumer config properties file.
    #[arg(long = "consumer.config", value_name = "String: config file")]
    pub consumer_config: Option<PathBuf>,
    /// Print out the metrics (accepted; no metrics are kept).
    #[arg(long = "print-metrics")]
    pub print_metrics: bool,
    /// Accepted for compatibility.
    #[arg(long = "threads", value_name = "Integer: count")]
    pub threads: Option<u32>,
    /// Accepted for compatibility.
    #[arg(long = "num-fetch-threads", value_name = "Integer: count")]
    pub num_fetch_threads: Option<u32>,
    /// Accepted for compatibility.
    #[arg(long = "socket-buffer-size", value_name = "Integer: size")]
    pub socket_buffer_size: Option<u32>,
    /// Accepted for compatibility: dates use yyyy-MM-dd HH:mm:ss:SSS.
    #[arg(long = "date-format", value_name = "date format")]
    pub date_format: Option<String>,
}

/// The summary header.
pub const HEADER: &str = "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec";
/// The header of `--show-detailed-stats`.
pub const DETAILED_HEADER: &str = "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec";

const MEGABYTE: f64 = 1024.0 * 1024.0;

/// Java's `%.Nf` for a double (Java prints `NaN` and `Infinity`).
fn java_fixed(value: f64, decimals: usize) -> String {
    if value.is_nan() {
        "NaN".to_string()
    } else if value.is_infinite() {
        if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        format!("{value:.decimals$}")
    }
}

/// The summary line for a run from `start_ms` to `end_ms` (epoch ms).
pub fn summary_line(start_ms: i64, end_ms: i64, bytes: u64, messages: u64) -> String {
    let elapsed_secs = (end_ms - start_ms) as f64 / 1000.0;
    let megabytes = bytes as f64 / MEGABYTE;
    let rebalance_ms = 0i64;
    let fetch_ms = end_ms - start_ms - rebalance_ms;
    let fetch_secs = fetch_ms as f64 / 1000.0;
    format!(
        "{}, {}, {}, {}, {}, {}, {}, {}, {}, {}",
        format_local_millis(start_ms, ':'),
        format_local_millis(end_ms, ':'),
        java_fixed(megabytes, 4),
        java_fixed(megabytes / elapsed_secs, 4),
        messages,
        java_fixed(messages as f64 / elapsed_secs, 4),
        rebalance_ms,
        fetch_ms,
        java_fixed(megabytes / fetch_secs, 4),
        java_fixed(messages as f64 / fetch_secs, 4)
    )
}

/// One `--show-detailed-stats` progress line for the interval `[last_ms, now_ms]`.
pub fn progress_line(
    now_ms: i64,
    last_ms: i64,
    bytes: u64,
    last_bytes: u64,
    messages: u64,
    last_messages: u64,
) -> String {
    let elapsed_ms = (now_ms - last_ms) as f64;
    let interval_megabytes = (bytes - last_bytes) as f64 / MEGABYTE;
    let interval_messages = (messages - last_messages) as f64;
    format!(
        "{}, 0, {}, {}, {}, {}, 0, {}, {}, {}",
        format_local_millis(now_ms, ':'),
        java_fixed(bytes as f64 / MEGABYTE, 4),
        java_fixed(1000.0 * interval_megabytes / elapsed_ms, 4),
        messages,
        java_fixed(interval_messages / elapsed_ms * 1000.0, 4),
        now_ms - last_ms,
        java_fixed(1000.0 * interval_megabytes / elapsed_ms, 4),
        java_fixed(interval_messages / elapsed_ms * 1000.0, 4)
    )
}

/// Runs the test; lines go to stdout.
pub async fn run(args: &ConsumerPerfArgs) -> Result<(), KafkaToolError> {
    let usage = |message: &str| KafkaToolError::Usage {
        message: message.to_string(),
    };
    let bootstrap = args
        .bootstrap_server
        .clone()
        .or_else(|| args.broker_list.clone())
        .ok_or_else(|| usage("Missing required argument \"[bootstrap-server]\""))?;
    let topic = args
        .topic
        .clone()
        .ok_or_else(|| usage("Missing required argument \"[topic]\""))?;
    let count = args
        .messages
        .ok_or_else(|| usage("Missing required argument \"[messages]\""))?;
    let properties = load_optional(args.consumer_config.as_deref())?;
    let mut properties = properties;
    apply_overrides(&mut properties, &[])?;
    let client = Arc::new(
        Client::connect(client_config(
            Some(&bootstrap),
            &properties,
            "perf-consumer-client",
        )?)
        .await?,
    );
    let mut fetch = fetch_config(&properties)?;
    fetch.partition_max_bytes = args.fetch_size;
    fetch.max_wait = Duration::from_millis(100);
    fetch.offset_reset = if args.from_latest {
        OffsetReset::Latest
    } else {
        OffsetReset::Earliest
    };
    let start_spec = if args.from_latest {
        OffsetSpec::Latest
    } else {
        OffsetSpec::Earliest
    };
    let mut fetcher = Fetcher::new(client.clone(), fetch);
    let metadata = client.topic(&topic, false).await?;
    for partition in &metadata.partitions {
        fetcher
            .assign(&topic, partition.partition, StartPosition::Spec(start_spec))
            .await?;
    }
    if !args.hide_header {
        println!(
            "{}",
            if args.show_detailed_stats {
                DETAILED_HEADER
            } else {
                HEADER
            }
        );
    }
    let timeout = Duration::from_millis(args.timeout);
    let reporting = Duration::from_millis(args.reporting_interval.max(1));
    let start_ms = now_millis();
    let mut last_record = Instant::now();
    let mut last_report = Instant::now();
    let mut last_report_ms = start_ms;
    let (mut messages, mut bytes, mut last_messages, mut last_bytes) = (0u64, 0u64, 0u64, 0u64);
    while messages < count && last_record.elapsed() <= timeout {
        let records = fetcher.poll().await?;
        if !records.is_empty() {
            last_record = Instant::now();
        }
        for record in &records {
            messages += 1;
            bytes += record.key.as_ref().map_or(0, |key| key.len() as u64)
                + record.value.as_ref().map_or(0, |value| value.len() as u64);
            if args.show_detailed_stats && last_report.elapsed() >= reporting {
                let now_ms = now_millis();
                println!(
                    "{}",
                    progress_line(
                        now_ms,
                        last_report_ms,
                        bytes,
                        last_bytes,
                        messages,
                        last_messages
                    )
                );
                last_report = Instant::now();
                last_report_ms = now_ms;
                last_messages = messages;
                last_bytes = bytes;
            }
        }
    }
    if messages < count {
        println!(
            "WARNING: Exiting before consuming the expected number of messages: timeout ({} ms) exceeded. You can use the --timeout option to increase the timeout.",
            args.timeout
        );
    }
    let end_ms = now_millis();
    if !args.show_detailed_stats {
        println!("{}", summary_line(start_ms, end_ms, bytes, messages));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn summary_has_ten_fields_in_kafkas_formats() {
        let line = summary_line(1_000, 3_000, 2 * 1024 * 1024, 1000);
        let fields: Vec<&str> = line.split(", ").collect();
        assert_eq!(fields.len(), 10, "{line}");
        assert_eq!(fields[2], "2.0000");
        assert_eq!(fields[3], "1.0000");
        assert_eq!(fields[4], "1000");
        assert_eq!(fields[5], "500.0000");
        assert_eq!(fields[6], "0");
        assert_eq!(fields[7], "2000");
        assert_eq!(fields[8], "1.0000");
        assert_eq!(fields[9], "500.0000");
        // yyyy-MM-dd HH:mm:ss:SSS
        assert_eq!(fields[0].len(), 23);
        assert_eq!(&fields[0][19..20], ":");
        assert_eq!(HEADER.split(", ").count(), 10);
    }

    #[test]
    fn zero_time_prints_javas_special_values() {
        let line = summary_line(5, 5, 0, 0);
        assert!(line.contains("NaN"), "{line}");
        assert_eq!(java_fixed(f64::INFINITY, 4), "Infinity");
    }

    #[test]
    fn progress_line_reports_the_interval() {
        let line = progress_line(2_000, 1_000, 3 * 1024 * 1024, 1024 * 1024, 300, 100);
        let fields: Vec<&str> = line.split(", ").collect();
        assert_eq!(
            &fields[1..],
            &["0", "3.0000", "2.0000", "300", "200.0000", "0", "1000", "2.0000", "200.0000"]
        );
    }
}
