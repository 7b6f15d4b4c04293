//! A ZooKeeper-compatible server as a child process for end-to-end tests: the coordinator
//! binary, or — with `COORDINATOR_TEST_SERVER=apache-zookeeper` — Apache ZooKeeper 3.8 from
//! Debian's package, so the same suite can be checked against the reference server.
//!
//! Each process gets a private temp dir:
//! - `zookeeper.properties`: the generated configuration (defaults below plus the caller's
//!   overrides, in that order, one `key=value` per line);
//! - `data/`: the data dir;
//! - `server.log`: stdout and stderr of every run, appended across restarts;
//! - `log4j.properties` (Apache ZooKeeper only): sends its log to stdout.
//!
//! The temp dir and the process live as long as the [`CoordinatorProcess`]; dropping it
//! kills the process with SIGKILL, and a drop during a panic prints the tail of the log.

use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::error::TestkitError;
use crate::wait::{free_port, POLL_INTERVAL};

/// Environment variable choosing the server under test.
pub const SERVER_ENV: &str = "COORDINATOR_TEST_SERVER";

/// How long a start or restart may take before it counts as failed. Generous because a JVM
/// on two shared cores can need several seconds.
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How long `stop` waits after SIGTERM before giving up.
pub const STOP_GRACE: Duration = Duration::from_secs(20);

/// Settings every generated configuration starts from (overrides replace them by key).
const DEFAULT_SETTINGS: &[(&str, &str)] = &[
    ("tickTime", "2000"),
    ("maxClientCnxns", "0"),
    ("4lw.commands.whitelist", "*"),
    ("admin.enableServer", "false"),
];

/// Property keys the coordinator reads from its properties file but Apache ZooKeeper reads
/// as Java system properties: (file key, system property).
const JVM_SYSTEM_PROPERTIES: &[(&str, &str)] = &[
    ("extendedTypesEnabled", "zookeeper.extendedTypesEnabled"),
    (
        "znode.container.checkIntervalMs",
        "znode.container.checkIntervalMs",
    ),
    (
        "znode.container.maxPerMinute",
        "znode.container.maxPerMinute",
    ),
    (
        "DigestAuthenticationProvider.superDigest",
        "zookeeper.DigestAuthenticationProvider.superDigest",
    ),
    ("jute.maxbuffer", "jute.maxbuffer"),
];

/// Debian's ZooKeeper jar (its manifest names the other jars it needs) plus a log binding.
const APACHE_CLASSPATH: &[&str] = &[
    "/usr/share/java/zookeeper.jar",
    "/usr/share/java/slf4j-log4j12.jar",
    "/usr/share/java/log4j-1.2.jar",
];

const APACHE_MAIN_CLASS: &str = "org.apache.zookeeper.server.ZooKeeperServerMain";

/// How many times `start` tries another free port when the server dies on start-up (another
/// process may take a port between `free_port` and the server's bind).
const START_ATTEMPTS: usize = 3;

/// Lines of the server log printed when a test panics.
const LOG_TAIL_LINES: usize = 200;

/// Which server implementation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// The coordinator binary given to [`CoordinatorProcess::start`].
    Coordinator,
    /// Apache ZooKeeper 3.8 (Debian's package) on the JVM.
    ApacheZooKeeper,
}

impl ServerKind {
    /// Reads [`SERVER_ENV`]: unset, empty or `coordinator` → [`ServerKind::Coordinator`];
    /// `apache-zookeeper` → [`ServerKind::ApacheZooKeeper`].
    pub fn from_env() -> Result<Self, TestkitError> {
        match std::env::var(SERVER_ENV) {
            Err(_) => Ok(ServerKind::Coordinator),
            Ok(value) => match value.as_str() {
                "" | "coordinator" => Ok(ServerKind::Coordinator),
                "apache-zookeeper" => Ok(ServerKind::ApacheZooKeeper),
                _ => Err(TestkitError::UnknownServerKind { value }),
            },
        }
    }
}

/// A running server on a loopback port with its own data dir and configuration.
#[derive(Debug)]
pub struct CoordinatorProcess {
    kind: ServerKind,
    binary: PathBuf,
    port: u16,
    /// Caller overrides, kept so a port change on a failed first start can regenerate the file.
    settings: Vec<(String, String)>,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl CoordinatorProcess {
    /// Starts the server chosen by [`SERVER_ENV`] (`binary` is used for the coordinator) with
    /// the default settings plus `overrides`, on a free port, and waits until it answers
    /// `ruok` with `imok`.
    pub fn start(binary: &Path, overrides: &[(&str, &str)]) -> Result<Self, TestkitError> {
        let kind = ServerKind::from_env()?;
        Self::start_kind(kind, binary, overrides)
    }

    /// Like [`CoordinatorProcess::start`] with the server kind given explicitly.
    pub fn start_kind(
        kind: ServerKind,
        binary: &Path,
        overrides: &[(&str, &str)],
    ) -> Result<Self, TestkitError> {
        let dir = tempfile::Builder::new()
            .prefix("coordinator-test-")
            .tempdir()
            .map_err(|source| TestkitError::io("creating the server temp dir", source))?;
        let data_dir = dir.path().join("data");
        fs::create_dir_all(&data_dir)
            .map_err(|source| TestkitError::io(format!("creating {data_dir:?}"), source))?;
        let mut settings: Vec<(String, String)> = Vec::new();
        for (key, value) in DEFAULT_SETTINGS.iter().chain(overrides.iter()) {
            set(&mut settings, key, value);
        }
        let mut process = CoordinatorProcess {
            kind,
            binary: binary.to_path_buf(),
            port: 0,
            settings,
            dir,
            child: None,
        };
        let mut attempt = 1;
        loop {
            process.port = free_port();
            process.write_configuration()?;
            match process.spawn_and_wait_ready() {
                Ok(()) => return Ok(process),
                Err(TestkitError::ServerExited { .. }) if attempt < START_ATTEMPTS => attempt += 1,
                Err(error) => return Err(error),
            }
        }
    }

    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:<port>`, as ZooKeeper clients take it.
    pub fn connect_string(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn address(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn properties_path(&self) -> PathBuf {
        self.dir.path().join("zookeeper.properties")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// The process id of the running server, if one runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Sends a four-letter word on a fresh connection and returns the whole text reply (read
    /// until the server closes).
    ///
    /// # Panics
    /// When the server cannot be reached or does not close the connection within 10 s.
    pub fn four_letter(&self, word: &str) -> String {
        match four_letter_at(self.address(), word, Duration::from_secs(10)) {
            Ok(text) => text,
            Err(error) => panic!("four-letter word {word:?} to {}: {error}", self.address()),
        }
    }

    /// Kills the server with SIGKILL and reaps it: nothing it has not yet written survives.
    pub fn kill9(&mut self) -> Result<(), TestkitError> {
        kill_and_reap(self.child.take())
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit status (`None` when
    /// nothing was running).
    pub fn stop(&mut self) -> Result<Option<ExitStatus>, TestkitError> {
        self.child.take().map(terminate).transpose()
    }

    /// Starts the server again on the same port, data dir and configuration (stopping it with
    /// SIGTERM first if it still runs) and waits until it is ready.
    pub fn restart(&mut self) -> Result<(), TestkitError> {
        if self.child.is_some() {
            self.stop()?;
        }
        self.spawn_and_wait_ready()
    }

    /// The last `lines` lines of the server log.
    pub fn log_tail(&self, lines: usize) -> String {
        tail_of(&self.log_path(), lines)
    }

    fn write_configuration(&self) -> Result<(), TestkitError> {
        let mut text = String::new();
        let data_dir = self.data_dir();
        let _ = writeln!(text, "dataDir={}", data_dir.display());
        let _ = writeln!(text, "clientPort={}", self.port);
        let _ = writeln!(text, "clientPortAddress=127.0.0.1");
        for (key, value) in &self.settings {
            if self.kind == ServerKind::ApacheZooKeeper && jvm_property(key).is_some() {
                continue;
            }
            let _ = writeln!(text, "{key}={value}");
        }
        let path = self.properties_path();
        fs::write(&path, text)
            .map_err(|source| TestkitError::io(format!("writing {path:?}"), source))?;
        if self.kind == ServerKind::ApacheZooKeeper {
            let log4j = self.dir.path().join("log4j.properties");
            let config = "log4j.rootLogger=INFO, OUT\n\
                          log4j.appender.OUT=org.apache.log4j.ConsoleAppender\n\
                          log4j.appender.OUT.layout=org.apache.log4j.PatternLayout\n\
                          log4j.appender.OUT.layout.ConversionPattern=[%d] %p %m (%c{1})%n\n";
            fs::write(&log4j, config)
                .map_err(|source| TestkitError::io(format!("writing {log4j:?}"), source))?;
        }
        Ok(())
    }

    fn command(&self) -> Command {
        match self.kind {
            ServerKind::Coordinator => {
                let mut command = Command::new(&self.binary);
                command.arg(self.properties_path());
                command
            }
            ServerKind::ApacheZooKeeper => {
                let mut command = Command::new("java");
                // Small heap and C1 only: these servers live for seconds and start often.
                command.args(["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]);
                command.arg(format!(
                    "-Dlog4j.configuration=file:{}",
                    self.dir.path().join("log4j.properties").display()
                ));
                command.arg("-Dzookeeper.admin.enableServer=false");
                for (key, value) in &self.settings {
                    if let Some(property) = jvm_property(key) {
                        command.arg(format!("-D{property}={value}"));
                    }
                }
                command.arg("-cp").arg(APACHE_CLASSPATH.join(":"));
                command.arg(APACHE_MAIN_CLASS);
                command.arg(self.properties_path());
                command
            }
        }
    }

    fn spawn_and_wait_ready(&mut self) -> Result<(), TestkitError> {
        let log_path = self.log_path();
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|source| TestkitError::io(format!("opening {log_path:?}"), source))?;
        let log_for_stderr = log
            .try_clone()
            .map_err(|source| TestkitError::io("duplicating the log handle", source))?;
        let mut command = self.command();
        command
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_for_stderr);
        let child = command
            .spawn()
            .map_err(|source| TestkitError::io(format!("spawning {command:?}"), source))?;
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> Result<(), TestkitError> {
        let started = Instant::now();
        let address = self.address();
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child
                    .try_wait()
                    .map_err(|source| TestkitError::io("polling the server", source))?
                {
                    self.child = None;
                    return Err(TestkitError::ServerExited {
                        status,
                        log_tail: self.log_tail(40),
                    });
                }
            }
            if self.answers_ready(address) {
                return Ok(());
            }
            if started.elapsed() >= READY_TIMEOUT {
                let _ = self.kill9();
                return Err(TestkitError::NotReady {
                    port: self.port,
                    waited: READY_TIMEOUT,
                    log_tail: self.log_tail(40),
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    fn answers_ready(&self, address: SocketAddr) -> bool {
        let timeout = Duration::from_secs(2);
        if !matches!(
            four_letter_at(address, "ruok", timeout).as_deref(),
            Ok("imok")
        ) {
            return false;
        }
        match self.kind {
            ServerKind::Coordinator => true,
            // ZooKeeper accepts connections (and answers ruok) before its database is loaded;
            // sessions work once srvr stops reporting that it is not serving.
            ServerKind::ApacheZooKeeper => {
                matches!(four_letter_at(address, "srvr", timeout), Ok(text) if text.contains("Mode:"))
            }
        }
    }
}

impl Drop for CoordinatorProcess {
    fn drop(&mut self) {
        let _ = self.kill9();
        if std::thread::panicking() {
            eprintln!(
                "---- {:?} server on port {} (dir {:?}), last {LOG_TAIL_LINES} log lines ----\n{}\n---- end of server log ----",
                self.kind,
                self.port,
                self.dir.path(),
                self.log_tail(LOG_TAIL_LINES)
            );
        }
    }
}

fn set(settings: &mut Vec<(String, String)>, key: &str, value: &str) {
    match settings.iter_mut().find(|(existing, _)| existing == key) {
        Some(entry) => entry.1 = value.to_string(),
        None => settings.push((key.to_string(), value.to_string())),
    }
}

fn jvm_property(key: &str) -> Option<&'static str> {
    JVM_SYSTEM_PROPERTIES
        .iter()
        .find(|(file_key, _)| *file_key == key)
        .map(|(_, property)| *property)
}

/// Sends `word` on a new connection and reads the reply until EOF.
pub fn four_letter_at(
    address: SocketAddr,
    word: &str,
    timeout: Duration,
) -> Result<String, TestkitError> {
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .map_err(|source| TestkitError::io(format!("connecting to {address}"), source))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|source| TestkitError::io("setting the read timeout", source))?;
    stream
        .write_all(word.as_bytes())
        .map_err(|source| TestkitError::io(format!("sending {word:?}"), source))?;
    let mut reply = Vec::new();
    match stream.read_to_end(&mut reply) {
        Ok(_) => {}
        // A reset after the text still leaves the text we got.
        Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset && !reply.is_empty() => {}
        Err(source) => {
            return Err(TestkitError::io(
                format!("reading the reply to {word:?}"),
                source,
            ))
        }
    }
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

fn tail_of(path: &Path, lines: usize) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path) {
        let mut bytes = Vec::new();
        if file.read_to_end(&mut bytes).is_ok() {
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    all.get(start..).unwrap_or_default().join("\n")
}

/// SIGKILL and reap (`None`: nothing runs). Shared by the coordinator and broker processes.
pub(crate) fn kill_and_reap(child: Option<Child>) -> Result<(), TestkitError> {
    if let Some(mut child) = child {
        child
            .kill()
            .map_err(|source| TestkitError::io("sending SIGKILL", source))?;
        child
            .wait()
            .map_err(|source| TestkitError::io("reaping the killed process", source))?;
    }
    Ok(())
}

/// SIGTERM, then wait up to [`STOP_GRACE`] for the exit; a process still running after that
/// is killed (never left behind a test) and reported as [`TestkitError::StopTimedOut`].
pub(crate) fn terminate(mut child: Child) -> Result<ExitStatus, TestkitError> {
    let pid = child.id();
    let signalled = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .map_err(|source| TestkitError::io("running kill -TERM", source))?;
    if !signalled.success() {
        // The process is already gone; reap it.
        return child
            .wait()
            .map_err(|source| TestkitError::io("reaping the process", source));
    }
    let deadline = Instant::now() + STOP_GRACE;
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|source| TestkitError::io("waiting for the process", source))?
        {
            return Ok(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(TestkitError::StopTimedOut {
                pid,
                grace: STOP_GRACE,
            });
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_defaults_by_key() {
        let mut settings = Vec::new();
        for (key, value) in DEFAULT_SETTINGS
            .iter()
            .chain([("tickTime", "200"), ("extra", "1")].iter())
        {
            set(&mut settings, key, value);
        }
        assert_eq!(
            settings.iter().filter(|(key, _)| key == "tickTime").count(),
            1
        );
        assert!(settings.contains(&("tickTime".to_string(), "200".to_string())));
        assert!(settings.contains(&("extra".to_string(), "1".to_string())));
    }

    #[test]
    fn coordinator_only_keys_map_to_system_properties() {
        assert_eq!(
            jvm_property("extendedTypesEnabled"),
            Some("zookeeper.extendedTypesEnabled")
        );
        assert_eq!(
            jvm_property("znode.container.checkIntervalMs"),
            Some("znode.container.checkIntervalMs")
        );
        assert_eq!(jvm_property("tickTime"), None);
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        fs::write(&path, "a\nb\nc\n").unwrap();
        assert_eq!(tail_of(&path, 2), "b\nc");
        assert_eq!(tail_of(&dir.path().join("missing"), 2), "");
    }

    #[test]
    fn a_binary_that_exits_at_once_is_reported_with_its_log() {
        // `false` ignores its argument and exits 1: the start must fail, not hang.
        let error =
            CoordinatorProcess::start_kind(ServerKind::Coordinator, Path::new("false"), &[])
                .unwrap_err();
        assert!(
            matches!(error, TestkitError::ServerExited { .. }),
            "{error}"
        );
    }
}
