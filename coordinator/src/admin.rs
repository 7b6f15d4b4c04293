//! The four-letter words (`ruok`, `srvr`, `stat`, `mntr`, `conf`, `cons`, `envi`, `wchs`,
//! `wchc`, `wchp`, `dump`, `isro`, `dirs`, `crst`, `srst`) in ZooKeeper 3.8's text formats.
//! The processor builds an [`AdminView`] of its state and this module only formats it.
//!
//! A word arrives as the first four bytes of a fresh connection; the connection answers and
//! closes. Words outside `4lw.commands.whitelist` get ZooKeeper's refusal text.

use common::time::java_date;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::CoordinatorConfig;
use crate::ids::{hex_zxid, ConnId, SessionId};
use crate::protocol::codes::OpCode;
use crate::session::SessionTable;
use crate::tree::watch::WatchManager;
use crate::tree::DataTree;

/// Every word this server knows, as ZooKeeper 3.8 does.
pub const WORDS: &[&str] = &[
    "ruok", "srvr", "stat", "mntr", "conf", "cons", "envi", "wchs", "wchc", "wchp", "dump", "isro",
    "dirs", "crst", "srst",
];

/// What `Zookeeper version:` reports: the protocol level we match, then this product.
pub fn version() -> String {
    format!(
        "3.8.0-coordinator-{}, built on {}",
        env!("CARGO_PKG_VERSION"),
        "unknown"
    )
}

/// The refusal ZooKeeper sends for a word that is not whitelisted.
pub fn not_whitelisted(word: &str) -> String {
    format!("{word} is not executed because it is not in the whitelist.\n")
}

/// Request latencies in whole milliseconds, as ZooKeeper's counters keep them.
#[derive(Debug, Clone, Default)]
pub struct LatencyStats {
    count: u64,
    total: u64,
    min: Option<u64>,
    max: u64,
    last: u64,
}

impl LatencyStats {
    pub fn record(&mut self, latency: Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.count += 1;
        self.total = self.total.saturating_add(ms);
        self.min = Some(self.min.map_or(ms, |min| min.min(ms)));
        self.max = self.max.max(ms);
        self.last = ms;
    }

    fn min(&self) -> u64 {
        self.min.unwrap_or(0)
    }

    fn average(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.total as f64 / self.count as f64
        }
    }
}

/// One connection as `cons` and `stat` show it.
pub struct ConnectionView {
    pub id: ConnId,
    pub peer: SocketAddr,
    pub session: Option<SessionId>,
    pub timeout: Option<Duration>,
    pub queued: usize,
    pub received: u64,
    pub sent: u64,
    pub last_op: &'static str,
    pub established_ms: i64,
    pub last_cxid: i32,
    pub last_zxid: i64,
    pub last_response_ms: i64,
    pub latency: LatencyStats,
}

/// The processor's state, borrowed for formatting.
pub struct AdminView<'a> {
    pub config: &'a CoordinatorConfig,
    pub tree: &'a DataTree,
    pub sessions: &'a SessionTable,
    pub watches: &'a WatchManager,
    pub connections: Vec<ConnectionView>,
    pub last_zxid: i64,
    pub outstanding: usize,
    pub received: u64,
    pub sent: u64,
    pub latency: &'a LatencyStats,
    pub uptime: Duration,
}

/// ZooKeeper's four-letter abbreviations of op codes, as `cons` shows `lop`.
pub fn short_op_name(op: OpCode) -> &'static str {
    match op {
        OpCode::Notification => "NOTI",
        OpCode::Create | OpCode::Create2 | OpCode::CreateContainer | OpCode::CreateTtl => "CREA",
        OpCode::Delete | OpCode::DeleteContainer => "DELE",
        OpCode::Exists => "EXIS",
        OpCode::GetData => "GETD",
        OpCode::SetData => "SETD",
        OpCode::GetAcl => "GETA",
        OpCode::SetAcl => "SETA",
        OpCode::GetChildren | OpCode::GetChildren2 | OpCode::GetAllChildrenNumber => "GETC",
        OpCode::Sync => "SYNC",
        OpCode::Ping => "PING",
        OpCode::Check => "CHEC",
        OpCode::Multi => "MULT",
        OpCode::MultiRead => "MLTR",
        OpCode::Reconfig => "RECO",
        OpCode::CheckWatches => "CHKW",
        OpCode::RemoveWatches => "REMW",
        OpCode::Auth => "AUTH",
        OpCode::SetWatches | OpCode::SetWatches2 => "SETW",
        OpCode::AddWatch => "ADDW",
        OpCode::Sasl => "SASL",
        OpCode::GetEphemerals => "GETE",
        OpCode::WhoAmI => "HOMI",
        OpCode::CreateSession => "SESS",
        OpCode::CloseSession => "CLOS",
        OpCode::Error => "ERR",
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// The text for `word` (already checked against the whitelist).
pub fn respond(word: &str, view: &AdminView<'_>) -> String {
    match word {
        "ruok" => "imok".into(),
        "srvr" => server_summary(view, false),
        "stat" => server_summary(view, true),
        "mntr" => monitor(view),
        "conf" => {
            let mut out = String::new();
            for (key, value) in view.config.describe() {
                let _ = writeln!(out, "{key}={value}");
            }
            out
        }
        "cons" => {
            let mut out = String::new();
            for conn in &view.connections {
                connection_line(&mut out, conn, true);
            }
            out.push('\n');
            out
        }
        "envi" => environment(view),
        "wchs" => format!(
            "{} connections watching {} paths\nTotal watches:{}\n",
            view.watches.by_connection().len(),
            view.watches.path_count(),
            view.watches.total()
        ),
        "wchc" => {
            let mut out = String::new();
            for (conn, paths) in view.watches.by_connection() {
                let session = session_of(view, conn);
                let _ = writeln!(out, "{session}");
                for path in paths {
                    let _ = writeln!(out, "\t{path}");
                }
            }
            out.push('\n');
            out
        }
        "wchp" => {
            let mut out = String::new();
            for (path, conns) in view.watches.by_path() {
                let _ = writeln!(out, "{path}");
                for conn in conns {
                    let _ = writeln!(out, "\t{}", session_of(view, conn));
                }
            }
            out.push('\n');
            out
        }
        "dump" => dump(view),
        "isro" => "rw".into(),
        "dirs" => {
            let snapshots = dir_size(&view.config.data_dir.join("version-2"));
            let logs = dir_size(&view.config.data_log_dir.join("version-2"));
            format!("datadir_size: {snapshots}\nlogdir_size: {logs}\n")
        }
        _ => format!("Unknown command: {word}\n"),
    }
}

fn session_of(view: &AdminView<'_>, conn: ConnId) -> SessionId {
    view.connections
        .iter()
        .find(|c| c.id == conn)
        .and_then(|c| c.session)
        .unwrap_or(SessionId(0))
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|entry| entry.metadata().ok())
                .map(|meta| meta.len())
                .sum()
        })
        .unwrap_or(0)
}

fn connection_line(out: &mut String, conn: &ConnectionView, full: bool) {
    let _ = write!(
        out,
        " /{}[{}](queued={},recved={},sent={}",
        conn.peer,
        u8::from(conn.session.is_some()),
        conn.queued,
        conn.received,
        conn.sent
    );
    if full {
        if let Some(session) = conn.session {
            let _ = write!(
                out,
                ",sid={session},lop={},est={},to={},lcxid=0x{:x},lzxid={},lresp={},llat={},minlat={},avglat={},maxlat={}",
                conn.last_op,
                conn.established_ms,
                conn.timeout.map_or(0, |t| t.as_millis()),
                conn.last_cxid,
                hex_zxid(conn.last_zxid),
                conn.last_response_ms,
                conn.latency.last,
                conn.latency.min(),
                conn.latency.average() as u64,
                conn.latency.max
            );
        }
    }
    out.push_str(")\n");
}

/// ZooKeeper's node count includes the root twice (it is kept under both "" and "/"), so a
/// fresh server reports 5; monitoring that compares counts sees the same numbers here.
fn reported_node_count(view: &AdminView<'_>) -> usize {
    view.tree.node_count() + 1
}

fn server_summary(view: &AdminView<'_>, with_clients: bool) -> String {
    let mut out = format!("Zookeeper version: {}\n", version());
    if with_clients {
        out.push_str("Clients:\n");
        for conn in &view.connections {
            connection_line(&mut out, conn, false);
        }
        out.push('\n');
    }
    let _ = write!(
        out,
        "Latency min/avg/max: {}/{:.4}/{}\nReceived: {}\nSent: {}\nConnections: {}\nOutstanding: {}\nZxid: {}\nMode: standalone\nNode count: {}\n",
        view.latency.min(),
        view.latency.average(),
        view.latency.max,
        view.received,
        view.sent,
        view.connections.len(),
        view.outstanding,
        hex_zxid(view.last_zxid),
        reported_node_count(view)
    );
    out
}

fn open_file_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|entries| entries.count())
        .unwrap_or(0)
}

fn max_file_descriptors() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find(|line| line.starts_with("Max open files"))
                .and_then(|line| {
                    line.split_whitespace()
                        .nth(3)
                        .and_then(|value| value.parse().ok())
                })
        })
        .unwrap_or(0)
}

fn monitor(view: &AdminView<'_>) -> String {
    let mut out = String::new();
    let rows: Vec<(&str, String)> = vec![
        ("zk_version", version()),
        ("zk_server_state", "standalone".into()),
        (
            "zk_ephemerals_count",
            view.tree.ephemeral_count().to_string(),
        ),
        (
            "zk_num_alive_connections",
            view.connections.len().to_string(),
        ),
        ("zk_avg_latency", format!("{:.4}", view.latency.average())),
        ("zk_outstanding_requests", view.outstanding.to_string()),
        ("zk_znode_count", reported_node_count(view).to_string()),
        ("zk_global_sessions", view.sessions.len().to_string()),
        ("zk_packets_sent", view.sent.to_string()),
        ("zk_packets_received", view.received.to_string()),
        ("zk_watch_count", view.watches.total().to_string()),
        ("zk_min_latency", view.latency.min().to_string()),
        ("zk_max_latency", view.latency.max.to_string()),
        (
            "zk_max_file_descriptor_count",
            max_file_descriptors().to_string(),
        ),
        (
            "zk_approximate_data_size",
            view.tree.approximate_data_size().to_string(),
        ),
        (
            "zk_open_file_descriptor_count",
            open_file_descriptors().to_string(),
        ),
        ("zk_local_sessions", "0".into()),
        ("zk_uptime", view.uptime.as_millis().to_string()),
        ("zk_last_zxid", hex_zxid(view.last_zxid)),
    ];
    for (key, value) in rows {
        let _ = writeln!(out, "{key}\t{value}");
    }
    out
}

fn environment(view: &AdminView<'_>) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    let cwd = std::env::current_dir()
        .map(|dir| dir.display().to_string())
        .unwrap_or_default();
    let user = std::env::var("USER").unwrap_or_default();
    let home = std::env::var("HOME").unwrap_or_default();
    let mut out = String::from("Environment:\n");
    let rows = [
        ("zookeeper.version", version()),
        ("host.name", host),
        ("os.name", std::env::consts::OS.to_owned()),
        ("os.arch", std::env::consts::ARCH.to_owned()),
        (
            "os.version",
            std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|v| v.trim().to_owned())
                .unwrap_or_default(),
        ),
        ("user.name", user),
        ("user.home", home),
        ("user.dir", cwd),
        ("data.dir", view.config.data_dir.display().to_string()),
    ];
    for (key, value) in rows {
        let _ = writeln!(out, "{key}={value}");
    }
    out
}

fn dump(view: &AdminView<'_>) -> String {
    let mut out = String::from("SessionTracker dump:\n");
    let mut sessions: Vec<(&SessionId, i64)> = view
        .sessions
        .iter()
        .map(|(id, session)| {
            let remaining = session
                .deadline
                .saturating_duration_since(std::time::Instant::now());
            (id, now_ms() + remaining.as_millis() as i64)
        })
        .collect();
    sessions.sort_by_key(|(id, expiry)| (*expiry, **id));
    let _ = writeln!(
        out,
        "Session Sets ({})/({}):",
        sessions.len(),
        view.sessions.len()
    );
    for (id, expiry) in &sessions {
        let _ = writeln!(out, "1 expire at {}:\n\t{id}", java_date(*expiry));
    }
    out.push_str("ephemeral nodes dump:\n");
    let mut owners: Vec<_> = view.tree.ephemeral_sessions().collect();
    owners.sort_by_key(|(id, _)| **id);
    let _ = writeln!(out, "Sessions with Ephemerals ({}):", owners.len());
    for (id, paths) in owners {
        let _ = writeln!(out, "{id}:");
        for path in paths {
            let _ = writeln!(out, "\t{path}");
        }
    }
    out.push_str("Connections dump:\n");
    let _ = writeln!(out, "Connections Sets (1)/({}):", view.connections.len());
    let _ = writeln!(
        out,
        "{} expire at {}:",
        view.connections.len(),
        java_date(now_ms())
    );
    for conn in &view.connections {
        let _ = writeln!(
            out,
            "\tip: /{} sessionId: {}",
            conn.peer,
            conn.session.unwrap_or(SessionId(0))
        );
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn latency_stats() {
        let mut stats = LatencyStats::default();
        assert_eq!((stats.min(), stats.max), (0, 0));
        stats.record(Duration::from_millis(2));
        stats.record(Duration::from_millis(4));
        assert_eq!((stats.min(), stats.max, stats.average()), (2, 4, 3.0));
    }
}
