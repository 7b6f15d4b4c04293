//! Command-line tools that ship with the platform.
//!
//! Each binary in `src/bin/` is a thin `main` over one module here, so the logic that decides
//! (argument parsing, output formatting, statistics) is unit-tested without a server:
//! - [`zk_shell`]: `zookeeper-shell`, a ZooKeeper command-line client whose commands and output
//!   match the `zkCli` shell that Kafka's `bin/zookeeper-shell.sh` runs.
//! - [`zk_perf`]: `zk-perf-test`, a load generator for the coordinator (or any ZooKeeper server):
//!   N concurrent sessions, latency histograms, one report per workload.
//! - [`kafka`]: Kafka's tools — `kafka-topics`, the console producer and consumer, the producer
//!   and consumer perf tests — over `common::client`.
//! - [`zk_tree`]: subtree walks and batched recursive deletes shared by both tools.
//! - [`error`]: the error enums of the crate.

pub mod error;
pub mod kafka;
pub mod zk_perf;
pub mod zk_shell;
pub mod zk_tree;

/// The single-threaded runtime a command-line tool runs on; when it cannot start, `tool`'s
/// message on stderr and exit status 1.
pub fn runtime_or_exit(tool: &str) -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{tool}: cannot start the runtime: {error}");
            std::process::exit(1);
        }
    }
}
