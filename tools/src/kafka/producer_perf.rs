//! `kafka-producer-perf-test`: sends `--num-records` records of `--record-size` bytes (or
//! lines of `--payload-file`) as fast as allowed by `--throughput` and reports as Kafka's
//! `ProducerPerformance` does.
//!
//! Report lines (Kafka's formats): every 5 s, when a delivery completes after the window
//! elapsed, `N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency.`
//! (one decimal for rate and latencies, two for MB/sec); at the end
//! `N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, P50 ms 50th, P95 ms 95th, P99 ms 99th, P999 ms 99.9th.`
//! (six decimals for the rate, two for MB/sec and latencies). Latency is per record, from
//! the call to send to its batch's delivery; percentiles come from a sample of at most
//! 500,000 latencies (every `num_records / 500000`-th record), sorted, indexed at
//! `p * samples`. The payload for `--record-size` is random uppercase letters, made once.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use common::client::{Client, Producer, ProducerRecord};
use rand::Rng;

use super::config::{apply_overrides, client_config, load_optional, producer_config};
use crate::error::KafkaToolError;

/// Kafka's producer performance test options.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "kafka-producer-perf-test",
    about = "This tool is used to verify the producer performance.",
    version
)]
pub struct ProducerPerfArgs {
    /// produce messages to this topic
    #[arg(long, value_name = "TOPIC")]
    pub topic: String,
    /// number of messages to produce
    #[arg(long = "num-records", value_name = "NUM-RECORDS")]
    pub num_records: u64,
    /// message size in bytes. Note that you must provide exactly one of --record-size or
    /// --payload-file.
    #[arg(
        long = "record-size",
        value_name = "RECORD-SIZE",
        required_unless_present = "payload_file",
        conflicts_with = "payload_file"
    )]
    pub record_size: Option<usize>,
    /// file to read the message payloads from. This works only for UTF-8 encoded text files.
    /// Payloads will be read from this file and a payload will be randomly selected when
    /// sending messages.
    #[arg(long = "payload-file", value_name = "PAYLOAD-FILE")]
    pub payload_file: Option<PathBuf>,
    /// provides delimiter to be used when --payload-file is provided.
    #[arg(
        long = "payload-delimiter",
        value_name = "PAYLOAD-DELIMITER",
        default_value = "\\n"
    )]
    pub payload_delimiter: String,
    /// throttle maximum message throughput to *approximately* THROUGHPUT messages/sec. Set
    /// this to -1 to disable throttling.
    #[arg(long, value_name = "THROUGHPUT", allow_negative_numbers = true)]
    pub throughput: f64,
    /// kafka producer related configuration properties like bootstrap.servers,client.id etc.
    #[arg(long = "producer-props", value_name = "PROP-NAME=PROP-VALUE", num_args = 1..)]
    pub producer_props: Vec<String>,
    /// producer config properties file.
    #[arg(long = "producer.config", value_name = "CONFIG-FILE")]
    pub producer_config: Option<PathBuf>,
    /// print out metrics at the end of the test (accepted; no metrics are kept).
    #[arg(long = "print-metrics")]
    pub print_metrics: bool,
    /// The server(s) to connect to (overrides bootstrap.servers of the properties).
    #[arg(long = "bootstrap-server", value_name = "BOOTSTRAP-SERVERS")]
    pub bootstrap_server: Option<String>,
    /// Accepted for compatibility; transactions are not used.
    #[arg(long = "transactional-id", value_name = "TRANSACTIONAL-ID")]
    pub transactional_id: Option<String>,
    /// Accepted for compatibility; transactions are not used.
    #[arg(long = "transaction-duration-ms", value_name = "TRANSACTION-DURATION")]
    pub transaction_duration_ms: Option<u64>,
}

/// Kafka's `Stats`: totals, the current 5-second window and the latency sample.
#[derive(Debug, Clone)]
pub struct Stats {
    start: Instant,
    window_start: Instant,
    reporting_interval: Duration,
    sampling: u64,
    latencies: Vec<u32>,
    iteration: u64,
    count: u64,
    bytes: u64,
    total_latency: u64,
    max_latency: u32,
    window_count: u64,
    window_bytes: u64,
    window_total_latency: u64,
    window_max_latency: u32,
}

impl Stats {
    /// Statistics for a run of `num_records`, starting `now`.
    pub fn new(num_records: u64, now: Instant) -> Stats {
        let sampling = (num_records / num_records.clamp(1, 500_000)).max(1);
        Stats {
            start: now,
            window_start: now,
            reporting_interval: Duration::from_secs(5),
            sampling,
            latencies: Vec::with_capacity(
                usize::try_from(num_records / sampling + 1)
                    .unwrap_or(0)
                    .min(500_001),
            ),
            iteration: 0,
            count: 0,
            bytes: 0,
            total_latency: 0,
            max_latency: 0,
            window_count: 0,
            window_bytes: 0,
            window_total_latency: 0,
            window_max_latency: 0,
        }
    }

    /// Records one completed send; returns the window line when the window is over.
    pub fn record(&mut self, latency_ms: u32, bytes: u64, now: Instant) -> Option<String> {
        self.count += 1;
        self.bytes += bytes;
        self.total_latency += u64::from(latency_ms);
        self.max_latency = self.max_latency.max(latency_ms);
        self.window_count += 1;
        self.window_bytes += bytes;
        self.window_total_latency += u64::from(latency_ms);
        self.window_max_latency = self.window_max_latency.max(latency_ms);
        if self.iteration.is_multiple_of(self.sampling) {
            self.latencies.push(latency_ms);
        }
        self.iteration += 1;
        if now.duration_since(self.window_start) >= self.reporting_interval {
            let line = self.window_line(now);
            self.window_start = now;
            self.window_count = 0;
            self.window_bytes = 0;
            self.window_total_latency = 0;
            self.window_max_latency = 0;
            return Some(line);
        }
        None
    }

    fn window_line(&self, now: Instant) -> String {
        let elapsed_ms = now.duration_since(self.window_start).as_secs_f64() * 1000.0;
        let records_per_sec = 1000.0 * self.window_count as f64 / elapsed_ms;
        let mb_per_sec = 1000.0 * self.window_bytes as f64 / elapsed_ms / (1024.0 * 1024.0);
        format!(
            "{} records sent, {:.1} records/sec ({:.2} MB/sec), {:.1} ms avg latency, {:.1} ms max latency.",
            self.window_count,
            records_per_sec,
            mb_per_sec,
            self.window_total_latency as f64 / self.window_count as f64,
            f64::from(self.window_max_latency)
        )
    }

    /// The final line; `now` is when the run ended.
    pub fn total_line(&mut self, now: Instant) -> String {
        let elapsed_ms = (now.duration_since(self.start).as_millis() as f64).max(1.0);
        let records_per_sec = 1000.0 * self.count as f64 / elapsed_ms;
        let mb_per_sec = 1000.0 * self.bytes as f64 / elapsed_ms / (1024.0 * 1024.0);
        self.latencies.sort_unstable();
        let percentile = |p: f64| -> u32 {
            let index = (p * self.latencies.len() as f64) as usize;
            self.latencies.get(index).copied().unwrap_or(0)
        };
        let average = if self.count == 0 {
            0.0
        } else {
            self.total_latency as f64 / self.count as f64
        };
        format!(
            "{} records sent, {:.6} records/sec ({:.2} MB/sec), {:.2} ms avg latency, {:.2} ms max latency, {} ms 50th, {} ms 95th, {} ms 99th, {} ms 99.9th.",
            self.count,
            records_per_sec,
            mb_per_sec,
            average,
            f64::from(self.max_latency),
            percentile(0.5),
            percentile(0.95),
            percentile(0.99),
            percentile(0.999)
        )
    }
}

/// Paces sends to `throughput` records/s (negative: no limit), as Kafka's throttler does:
/// when ahead of schedule, sleep until the schedule catches up.
#[derive(Debug, Clone)]
pub struct Throttler {
    per_second: f64,
    start: Instant,
}

impl Throttler {
    pub fn new(per_second: f64, start: Instant) -> Throttler {
        Throttler { per_second, start }
    }

    /// When record number `sent` (0-based) may go, or `None` for now.
    pub fn due(&self, sent: u64, now: Instant) -> Option<Instant> {
        if self.per_second <= 0.0 {
            return None;
        }
        let due = self.start + Duration::from_secs_f64(sent as f64 / self.per_second);
        (due > now).then_some(due)
    }
}

/// The payloads to send: one random record, or the file's entries.
pub fn payloads(args: &ProducerPerfArgs) -> Result<Vec<Bytes>, KafkaToolError> {
    if let Some(path) = &args.payload_file {
        let text = std::fs::read_to_string(path).map_err(|source| KafkaToolError::Io {
            what: format!("reading {}", path.display()),
            source,
        })?;
        let delimiter = args.payload_delimiter.replace("\\n", "\n");
        let entries: Vec<Bytes> = text
            .split(delimiter.as_str())
            .filter(|entry| !entry.is_empty())
            .map(|entry| Bytes::copy_from_slice(entry.as_bytes()))
            .collect();
        println!("Reading payloads from: {}", path.display());
        println!("Number of messages read: {}", entries.len());
        if entries.is_empty() {
            return Err(KafkaToolError::Usage {
                message: "File does not contain any payloads".to_string(),
            });
        }
        return Ok(entries);
    }
    let size = args.record_size.unwrap_or(0);
    let mut random = rand::rng();
    let payload: Vec<u8> = (0..size)
        .map(|_| random.random_range(b'A'..=b'Z'))
        .collect();
    Ok(vec![Bytes::from(payload)])
}

/// Runs the test; window lines and the total go to stdout as they come.
pub async fn run(args: &ProducerPerfArgs) -> Result<(), KafkaToolError> {
    let mut properties = load_optional(args.producer_config.as_deref())?;
    apply_overrides(&mut properties, &args.producer_props)?;
    let client_settings = client_config(
        args.bootstrap_server.as_deref(),
        &properties,
        "perf-producer-client",
    )?;
    let config = producer_config(&properties)?;
    let payloads = payloads(args)?;
    let client = Arc::new(Client::connect(client_settings).await?);
    let (producer, mut deliveries) = Producer::<(Instant, u32)>::new(client, config);
    let start = Instant::now();
    let num_records = args.num_records;
    let reporter = tokio::spawn(async move {
        let mut stats = Stats::new(num_records, start);
        let mut failures = 0u64;
        while let Some(delivery) = deliveries.recv().await {
            let now = Instant::now();
            if let Err(error) = &delivery.result {
                failures += delivery.contexts.len() as u64;
                eprintln!("{error}");
                continue;
            }
            for (sent_at, size) in delivery.contexts {
                let latency =
                    u32::try_from(now.duration_since(sent_at).as_millis()).unwrap_or(u32::MAX);
                if let Some(line) = stats.record(latency, u64::from(size), now) {
                    println!("{line}");
                }
            }
        }
        (stats, failures)
    });
    let throttler = Throttler::new(args.throughput, start);
    let mut random = rand::rng();
    for sent in 0..num_records {
        let payload = if payloads.len() == 1 {
            payloads.first().cloned().unwrap_or_default()
        } else {
            payloads
                .get(random.random_range(0..payloads.len()))
                .cloned()
                .unwrap_or_default()
        };
        let size = u32::try_from(payload.len()).unwrap_or(u32::MAX);
        if let Some(due) = throttler.due(sent, Instant::now()) {
            tokio::time::sleep_until(due.into()).await;
        }
        let record = ProducerRecord {
            topic: &args.topic,
            partition: None,
            key: None,
            value: Some(payload),
            headers: Vec::new(),
            timestamp: None,
        };
        producer.send(record, (Instant::now(), size)).await?;
    }
    producer.close().await;
    let (mut stats, _failures) = reporter.await.map_err(|error| KafkaToolError::Command {
        message: format!("the delivery reporter failed: {error}"),
    })?;
    println!("{}", stats.total_line(Instant::now()));
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn window_line_after_five_seconds_in_kafkas_format() {
        let start = Instant::now();
        let mut stats = Stats::new(100, start);
        assert!(stats
            .record(2, 100, start + Duration::from_secs(1))
            .is_none());
        let line = stats
            .record(4, 100, start + Duration::from_secs(5))
            .unwrap();
        assert_eq!(
            line,
            "2 records sent, 0.4 records/sec (0.00 MB/sec), 3.0 ms avg latency, 4.0 ms max latency."
        );
        // A new window starts.
        assert!(stats
            .record(1, 100, start + Duration::from_secs(6))
            .is_none());
    }

    #[test]
    fn total_line_has_percentiles_from_the_sorted_sample() {
        let start = Instant::now();
        let mut stats = Stats::new(1000, start);
        for latency in (1..=1000).rev() {
            stats.record(latency, 1024 * 1024, start);
        }
        let line = stats.total_line(start + Duration::from_secs(2));
        assert_eq!(
            line,
            "1000 records sent, 500.000000 records/sec (500.00 MB/sec), 500.50 ms avg latency, 1000.00 ms max latency, 501 ms 50th, 951 ms 95th, 991 ms 99th, 1000 ms 99.9th."
        );
    }

    #[test]
    fn sampling_caps_the_sample_at_half_a_million() {
        let stats = Stats::new(2_000_000, Instant::now());
        assert_eq!(stats.sampling, 4);
        let stats = Stats::new(10, Instant::now());
        assert_eq!(stats.sampling, 1);
    }

    #[test]
    fn throttler_spaces_records_and_minus_one_disables_it() {
        let start = Instant::now();
        let throttler = Throttler::new(10.0, start);
        assert_eq!(throttler.due(0, start), None);
        assert_eq!(
            throttler.due(5, start),
            Some(start + Duration::from_millis(500))
        );
        assert_eq!(Throttler::new(-1.0, start).due(1_000, start), None);
    }

    #[test]
    fn options_need_record_size_or_payload_file() {
        let parsed = ProducerPerfArgs::try_parse_from([
            "p",
            "--topic",
            "t",
            "--num-records",
            "10",
            "--throughput",
            "-1",
            "--record-size",
            "100",
            "--producer-props",
            "bootstrap.servers=h:1",
            "acks=1",
        ])
        .unwrap();
        assert_eq!(
            parsed.producer_props,
            vec!["bootstrap.servers=h:1", "acks=1"]
        );
        assert_eq!(parsed.throughput, -1.0);
        assert_eq!(payloads(&parsed).unwrap()[0].len(), 100);
        assert!(payloads(&parsed).unwrap()[0]
            .iter()
            .all(u8::is_ascii_uppercase));
        assert!(ProducerPerfArgs::try_parse_from([
            "p",
            "--topic",
            "t",
            "--num-records",
            "1",
            "--throughput",
            "1"
        ])
        .is_err());
    }
}
