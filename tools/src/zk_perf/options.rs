//! Command-line options of `zk-perf-test`.
//!
//! `--ops N` is the total number of operations of a workload, split evenly over the sessions;
//! `--duration` (for example `10s`, `500ms`) runs every session until the deadline instead. With
//! neither, each workload runs for 10 s. `--workload` takes one or more comma-separated names,
//! or `all`; they run one after another, each on freshly prepared znodes.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use clap::Parser;

use crate::error::PerfError;

/// What each session does in a loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Create persistent znodes with unique names (no sequential flag) under the root.
    Create,
    /// `setData` on the session's own pre-created znode.
    SetData,
    /// `getData` on the session's own pre-created znode.
    GetData,
    /// `exists` on the session's own pre-created znode.
    Exists,
    /// `getChildren` (op 8) on a znode with 100 children.
    GetChildren,
    /// Delete pre-created znodes (created beforehand, untimed).
    Delete,
    /// A fixed cycle of 20: getData ×8, exists ×4, getChildren ×2, setData ×4, create, delete.
    Mixed,
    /// Open a new session and close it; the latency is open plus close.
    SessionChurn,
    /// One session sets a data watch, its partner sets the data; the latency runs from just
    /// before `setData` to the watch event.
    Watch,
}

impl Workload {
    /// Every workload, in the order `all` runs them.
    pub const ALL: [Workload; 9] = [
        Workload::Create,
        Workload::SetData,
        Workload::GetData,
        Workload::Exists,
        Workload::GetChildren,
        Workload::Delete,
        Workload::Mixed,
        Workload::SessionChurn,
        Workload::Watch,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Create => "create",
            Workload::SetData => "setData",
            Workload::GetData => "getData",
            Workload::Exists => "exists",
            Workload::GetChildren => "getChildren",
            Workload::Delete => "delete",
            Workload::Mixed => "mixed",
            Workload::SessionChurn => "session-churn",
            Workload::Watch => "watch",
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

impl FromStr for Workload {
    type Err = String;

    fn from_str(text: &str) -> Result<Workload, String> {
        Workload::ALL
            .iter()
            .copied()
            .find(|workload| workload.name().eq_ignore_ascii_case(text))
            .ok_or_else(|| {
                let names: Vec<&str> = Workload::ALL
                    .iter()
                    .map(|workload| workload.name())
                    .collect();
                format!(
                    "unknown workload {text:?}; expected one of {} or all",
                    names.join(", ")
                )
            })
    }
}

/// How long each workload runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// This many operations in total, split over the sessions.
    Ops(u64),
    /// Every session runs until this much time has passed.
    Duration(Duration),
}

/// The command line as typed.
#[derive(Debug, Parser)]
#[command(
    name = "zk-perf-test",
    about = "Load generator for the coordinator or any ZooKeeper server"
)]
pub struct PerfArgs {
    /// Connect string, `host:port[,host:port…]`.
    #[arg(long)]
    pub connect: String,
    /// Concurrent sessions, each with its own connection.
    #[arg(long, default_value_t = 32)]
    pub sessions: usize,
    /// Total operations per workload (split over the sessions).
    #[arg(long, conflicts_with = "duration")]
    pub ops: Option<u64>,
    /// Time per workload, e.g. `10s`, `500ms` (the default is 10s).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// Bytes of data written by create and setData (and stored in pre-created znodes).
    #[arg(long, default_value_t = 100)]
    pub payload_bytes: usize,
    /// Workloads to run, comma-separated, or `all`.
    #[arg(long, value_delimiter = ',', required = true)]
    pub workload: Vec<String>,
    /// Root znode for the test (must not exist; deleted at the end). Default `/perf-<random>`.
    #[arg(long)]
    pub root: Option<String>,
    /// Requests in flight per session (1 = one outstanding request, like ZooKeeper's own
    /// latency tests). Not used by session-churn and watch.
    #[arg(long, default_value_t = 1)]
    pub pipeline: usize,
    /// Requested session timeout.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "30s")]
    pub session_timeout: Duration,
    /// Print the reports as a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Client runtime threads (1 = a single-threaded runtime).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Which client sends the request-stream workloads (create, setData, getData, exists,
    /// getChildren, delete, mixed): `raw` speaks jute directly and costs the least CPU;
    /// `zookeeper-client` uses the crate. session-churn and watch always use the crate.
    #[arg(long, value_enum, default_value_t = ClientKind::Raw)]
    pub client: ClientKind,
}

/// The client behind the request-stream workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientKind {
    Raw,
    ZookeeperClient,
}

/// Validated options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerfOptions {
    pub connect: String,
    pub sessions: usize,
    pub limit: Limit,
    pub payload_bytes: usize,
    pub workloads: Vec<Workload>,
    pub root: String,
    pub pipeline: usize,
    pub session_timeout: Duration,
    pub json: bool,
    pub client: ClientKind,
}

/// Time per workload when neither `--ops` nor `--duration` is given.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(10);

impl PerfArgs {
    /// Checks the options; `random_suffix` names the default root.
    pub fn validate(self, random_suffix: u32) -> Result<PerfOptions, PerfError> {
        let invalid = |reason: String| PerfError::InvalidOptions { reason };
        if self.sessions == 0 {
            return Err(invalid("--sessions must be at least 1".to_string()));
        }
        if self.pipeline == 0 {
            return Err(invalid("--pipeline must be at least 1".to_string()));
        }
        let limit = match (self.ops, self.duration) {
            (Some(0), _) => return Err(invalid("--ops must be at least 1".to_string())),
            (Some(ops), _) => Limit::Ops(ops),
            (None, Some(duration)) if duration.is_zero() => {
                return Err(invalid("--duration must be positive".to_string()))
            }
            (None, Some(duration)) => Limit::Duration(duration),
            (None, None) => Limit::Duration(DEFAULT_DURATION),
        };
        let mut workloads = Vec::new();
        for name in &self.workload {
            if name.eq_ignore_ascii_case("all") {
                workloads.extend(Workload::ALL);
            } else {
                workloads.push(name.parse::<Workload>().map_err(invalid)?);
            }
        }
        if workloads.contains(&Workload::Watch) && self.sessions < 2 {
            return Err(invalid(
                "the watch workload needs at least 2 sessions (watcher and writer)".to_string(),
            ));
        }
        let root = self
            .root
            .unwrap_or_else(|| format!("/perf-{random_suffix:08x}"));
        if !root.starts_with('/') || root == "/" || root.ends_with('/') {
            return Err(invalid(format!(
                "--root must be an absolute znode path other than /, got {root:?}"
            )));
        }
        Ok(PerfOptions {
            connect: self.connect,
            sessions: self.sessions,
            limit,
            payload_bytes: self.payload_bytes,
            workloads,
            root,
            pipeline: self.pipeline,
            session_timeout: self.session_timeout,
            json: self.json,
            client: self.client,
        })
    }
}

/// Operations session `index` of `sessions` performs when `total` are split evenly.
pub fn share_of(total: u64, sessions: usize, index: usize) -> u64 {
    let sessions = sessions.max(1) as u64;
    let index = index as u64;
    total / sessions + u64::from(index < total % sessions)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<PerfOptions, PerfError> {
        let words = std::iter::once("zk-perf-test").chain(line.split(' '));
        PerfArgs::try_parse_from(words)
            .map_err(|error| PerfError::InvalidOptions {
                reason: error.to_string(),
            })?
            .validate(0xab)
    }

    #[test]
    fn defaults_and_random_root() {
        let options = parse("--connect 127.0.0.1:2181 --workload create").unwrap();
        assert_eq!(options.sessions, 32);
        assert_eq!(options.limit, Limit::Duration(DEFAULT_DURATION));
        assert_eq!(options.payload_bytes, 100);
        assert_eq!(options.pipeline, 1);
        assert_eq!(options.root, "/perf-000000ab");
        assert_eq!(options.workloads, [Workload::Create]);
        assert!(!options.json);
    }

    #[test]
    fn lists_all_and_names() {
        let options = parse(
            "--connect h:1 --workload setData,session-churn,WATCH --ops 1000 --duration-less",
        )
        .unwrap_err();
        assert!(matches!(options, PerfError::InvalidOptions { .. }));
        let options =
            parse("--connect h:1 --workload setData,session-churn,WATCH --ops 1000").unwrap();
        assert_eq!(
            options.workloads,
            [Workload::SetData, Workload::SessionChurn, Workload::Watch]
        );
        assert_eq!(options.limit, Limit::Ops(1000));
        let options =
            parse("--connect h:1 --workload all --duration 5s --json --root /bench").unwrap();
        assert_eq!(options.workloads, Workload::ALL);
        assert_eq!(options.limit, Limit::Duration(Duration::from_secs(5)));
        assert_eq!(options.root, "/bench");
        assert!(options.json);
    }

    #[test]
    fn rejects_contradictions() {
        assert!(parse("--connect h:1 --workload create --ops 10 --duration 1s").is_err());
        assert!(parse("--connect h:1 --workload bogus").is_err());
        assert!(parse("--connect h:1 --workload watch --sessions 1").is_err());
        assert!(parse("--connect h:1 --workload create --sessions 0").is_err());
        assert!(parse("--connect h:1 --workload create --root /").is_err());
        assert!(parse("--connect h:1 --workload create --root x").is_err());
        assert!(parse("--connect h:1 --workload create --ops 0").is_err());
    }

    #[test]
    fn shares_add_up() {
        let shares: Vec<u64> = (0..32).map(|index| share_of(1000, 32, index)).collect();
        assert_eq!(shares.iter().sum::<u64>(), 1000);
        assert_eq!(shares[0], 32);
        assert_eq!(shares[31], 31);
        assert_eq!(share_of(5, 32, 10), 0);
    }
}
