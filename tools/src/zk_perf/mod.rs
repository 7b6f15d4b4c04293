//! `zk-perf-test`: a load generator for the coordinator (or any ZooKeeper server).
//!
//! `zk-perf-test --connect host:port --sessions 32 --ops N|--duration 10s --payload-bytes 100
//! --workload create|setData|getData|exists|getChildren|delete|mixed|session-churn|watch[,…]|all
//! [--root /perf-<random>] [--pipeline K] [--client raw|zookeeper-client] [--json]`
//!
//! N concurrent sessions, each with its own client and connection, run a workload with one
//! request outstanding per session (or `--pipeline K`). Each workload reports operations,
//! seconds, operations per second, p50 / p99 / p99.9 / max latency and errors; a progress line
//! goes to stderr every second. Everything lives under one root znode, removed at the end.
//!
//! - [`options`]: the command line and its checks.
//! - [`runner`]: preparation, the timed phase, cleanup.
//! - [`session`]: what one session does (request streams, pipelining, watch and churn loops).
//! - [`raw`]: the lean jute client used for the request streams by default (`--client raw`).
//! - [`histogram`]: the latency histogram.
//! - [`report`]: results as a table or JSON.

pub mod histogram;
pub mod options;
pub mod raw;
pub mod report;
pub mod runner;
pub mod session;

use self::options::PerfOptions;
use self::report::{table_header, table_row, WorkloadReport};
use crate::error::PerfError;

/// Runs the benchmark and prints the reports on stdout.
pub async fn run(options: &PerfOptions) -> Result<Vec<WorkloadReport>, PerfError> {
    let reports = runner::run(options).await?;
    if options.json {
        let text = serde_json::to_string_pretty(&reports).map_err(|error| PerfError::Report {
            reason: error.to_string(),
        })?;
        println!("{text}");
    } else {
        println!("{}", table_header());
        for report in &reports {
            println!("{}", table_row(report));
        }
    }
    Ok(reports)
}
