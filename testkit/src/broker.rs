//! A broker as a child process for end-to-end tests: the `broker` binary (path given by the
//! caller, like [`crate::CoordinatorProcess`]) on a free loopback port, with its own temp
//! dir:
//! - `server.properties`: the generated configuration (defaults below, then the caller's
//!   overrides, one `key=value` per line);
//! - `kafka-logs/`: the log dir;
//! - `server.log`: stdout and stderr of every run, appended across restarts.
//!
//! Ready means the log shows one more "[KafkaServer id=N] started" line than before the
//! (re)start and the port accepts connections. Dropping the [`BrokerProcess`] kills the
//! process with SIGKILL; a drop during a panic prints the tail of its log.

use std::fmt::Write as _;
use std::fs::{self, OpenOptions};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::error::TestkitError;
use crate::process::{kill_and_reap, terminate, READY_TIMEOUT};
use crate::wait::{free_port, POLL_INTERVAL};

/// Lines of the broker log printed when a test panics.
const LOG_TAIL_LINES: usize = 200;

/// A broker process on a loopback port with its own log dir and configuration.
#[derive(Debug)]
pub struct BrokerProcess {
    binary: PathBuf,
    broker_id: i32,
    port: u16,
    settings: Vec<(String, String)>,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl BrokerProcess {
    /// Starts broker `broker_id` against the coordinator at `zookeeper_connect` with the
    /// default settings plus `overrides`, and waits until it is ready.
    pub fn start(
        binary: &Path,
        zookeeper_connect: &str,
        broker_id: i32,
        overrides: &[(&str, &str)],
    ) -> Result<Self, TestkitError> {
        let mut broker = Self::spawn(binary, zookeeper_connect, broker_id, overrides)?;
        broker.wait_ready(0)?;
        Ok(broker)
    }

    /// Like [`BrokerProcess::start`] without waiting: for tests that expect the process to
    /// fail (see [`BrokerProcess::wait_exit`]).
    pub fn spawn(
        binary: &Path,
        zookeeper_connect: &str,
        broker_id: i32,
        overrides: &[(&str, &str)],
    ) -> Result<Self, TestkitError> {
        let dir = tempfile::Builder::new()
            .prefix("broker-test-")
            .tempdir()
            .map_err(|source| TestkitError::io("creating the broker temp dir", source))?;
        let port = free_port();
        let log_dir = dir.path().join("kafka-logs");
        let defaults = [
            ("broker.id".to_owned(), broker_id.to_string()),
            (
                "listeners".to_owned(),
                format!("PLAINTEXT://127.0.0.1:{port}"),
            ),
            ("log.dirs".to_owned(), log_dir.display().to_string()),
            ("zookeeper.connect".to_owned(), zookeeper_connect.to_owned()),
            ("zookeeper.session.timeout.ms".to_owned(), "6000".to_owned()),
            (
                "zookeeper.connection.timeout.ms".to_owned(),
                "15000".to_owned(),
            ),
            ("num.partitions".to_owned(), "1".to_owned()),
            (
                "offsets.topic.replication.factor".to_owned(),
                "1".to_owned(),
            ),
        ];
        let mut settings: Vec<(String, String)> = Vec::new();
        for (key, value) in defaults {
            set(&mut settings, &key, &value);
        }
        for (key, value) in overrides {
            set(&mut settings, key, value);
        }
        let mut broker = BrokerProcess {
            binary: binary.to_path_buf(),
            broker_id,
            port,
            settings,
            dir,
            child: None,
        };
        broker.write_configuration()?;
        broker.spawn_child()?;
        Ok(broker)
    }

    pub fn broker_id(&self) -> i32 {
        self.broker_id
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn address(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// `127.0.0.1:<port>`, as Kafka clients take it.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log_dir(&self) -> PathBuf {
        self.dir.path().join("kafka-logs")
    }

    pub fn properties_path(&self) -> PathBuf {
        self.dir.path().join("server.properties")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// The process id of the running broker, if one runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The last `lines` lines of the broker log.
    pub fn log_tail(&self, lines: usize) -> String {
        tail_of(&self.log_path(), lines)
    }

    /// The whole broker log so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Kills the broker with SIGKILL and reaps it.
    pub fn kill9(&mut self) -> Result<(), TestkitError> {
        kill_and_reap(self.child.take())
    }

    /// Sends SIGTERM (controlled shutdown) and waits for the exit; returns the exit status
    /// (`None` when nothing was running).
    pub fn stop(&mut self) -> Result<Option<ExitStatus>, TestkitError> {
        self.child.take().map(terminate).transpose()
    }

    /// Waits up to `timeout` for the process to exit by itself; returns its status.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, TestkitError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child
                    .try_wait()
                    .map_err(|source| TestkitError::io("polling the broker", source))?
                {
                    self.child = None;
                    return Ok(status);
                }
            }
            if self.child.is_none() {
                return Err(TestkitError::Closed {
                    action: "waiting for a broker that is not running".to_owned(),
                });
            }
            if Instant::now() >= deadline {
                return Err(TestkitError::Timeout {
                    action: "waiting for the broker to exit".to_owned(),
                    timeout,
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Starts the broker again with the same port, log dir and configuration (stopping it
    /// with SIGTERM first if it still runs) and waits until it is ready.
    pub fn restart(&mut self) -> Result<(), TestkitError> {
        if self.child.is_some() {
            self.stop()?;
        }
        let started_before = self.started_lines();
        self.spawn_child()?;
        self.wait_ready(started_before)
    }

    fn started_lines(&self) -> usize {
        let marker = format!("[KafkaServer id={}] started", self.broker_id);
        self.log_text().matches(&marker).count()
    }

    fn write_configuration(&self) -> Result<(), TestkitError> {
        let mut text = String::new();
        for (key, value) in &self.settings {
            let _ = writeln!(text, "{key}={value}");
        }
        let path = self.properties_path();
        fs::write(&path, text)
            .map_err(|source| TestkitError::io(format!("writing {path:?}"), source))
    }

    fn spawn_child(&mut self) -> Result<(), TestkitError> {
        let log_path = self.log_path();
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|source| TestkitError::io(format!("opening {log_path:?}"), source))?;
        let log_for_stderr = log
            .try_clone()
            .map_err(|source| TestkitError::io("duplicating the log handle", source))?;
        let mut command = Command::new(&self.binary);
        command
            .arg(self.properties_path())
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_for_stderr);
        let child = command
            .spawn()
            .map_err(|source| TestkitError::io(format!("spawning {command:?}"), source))?;
        self.child = Some(child);
        Ok(())
    }

    fn wait_ready(&mut self, started_before: usize) -> Result<(), TestkitError> {
        let started = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child
                    .try_wait()
                    .map_err(|source| TestkitError::io("polling the broker", source))?
                {
                    self.child = None;
                    return Err(TestkitError::ServerExited {
                        status,
                        log_tail: self.log_tail(40),
                    });
                }
            }
            if self.started_lines() > started_before
                && TcpStream::connect_timeout(&self.address(), Duration::from_secs(1)).is_ok()
            {
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
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.kill9();
        if std::thread::panicking() {
            eprintln!(
                "---- broker {} on port {} (dir {:?}), last {LOG_TAIL_LINES} log lines ----\n{}\n---- end of broker log ----",
                self.broker_id,
                self.port,
                self.dir.path(),
                self.log_tail(LOG_TAIL_LINES)
            );
        }
    }
}

/// The last `lines` lines of the text file at `path` (empty when unreadable).
fn tail_of(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    all.get(start..).unwrap_or_default().join("\n")
}

fn set(settings: &mut Vec<(String, String)>, key: &str, value: &str) {
    match settings.iter_mut().find(|(existing, _)| existing == key) {
        Some(entry) => entry.1 = value.to_string(),
        None => settings.push((key.to_string(), value.to_string())),
    }
}
