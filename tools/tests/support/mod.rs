//! What the tool suites share: a real coordinator and broker ([`TestBroker`], the binaries
//! of this target dir on free loopback ports with their own temp dirs), the tool binaries by
//! name ([`binary`]), running them ([`run`], [`run_with_stdin`]) and [`create_topic`].
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use testkit::{BrokerProcess, CoordinatorProcess};

/// A coordinator and one broker, both the real binaries from this target dir.
pub struct TestBroker {
    pub broker: BrokerProcess,
    _coordinator: CoordinatorProcess,
}

impl TestBroker {
    /// Topics are only created explicitly (no auto-creation); `overrides` are more broker
    /// settings.
    pub fn start(overrides: &[(&str, &str)]) -> TestBroker {
        let coordinator = CoordinatorProcess::start(&sibling("coordinator"), &[]).unwrap();
        let mut settings = vec![("auto.create.topics.enable", "false")];
        settings.extend_from_slice(overrides);
        let broker = BrokerProcess::start(
            &sibling("broker"),
            &coordinator.connect_string(),
            0,
            &settings,
        )
        .unwrap();
        TestBroker {
            broker,
            _coordinator: coordinator,
        }
    }

    pub fn address(&self) -> String {
        self.broker.bootstrap()
    }
}

/// A binary of another package, beside this package's binaries in the target dir (built by
/// `cargo test --workspace`, or `cargo build -p broker -p coordinator`).
pub fn sibling(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_BIN_EXE_kafka-topics")).with_file_name(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p broker -p coordinator`",
        path.display()
    );
    path
}

/// One of this package's tool binaries.
pub fn binary(name: &str) -> PathBuf {
    match name {
        "kafka-topics" => PathBuf::from(env!("CARGO_BIN_EXE_kafka-topics")),
        "kafka-console-producer" => PathBuf::from(env!("CARGO_BIN_EXE_kafka-console-producer")),
        "kafka-console-consumer" => PathBuf::from(env!("CARGO_BIN_EXE_kafka-console-consumer")),
        "kafka-consumer-groups" => PathBuf::from(env!("CARGO_BIN_EXE_kafka-consumer-groups")),
        "kafka-producer-perf-test" => PathBuf::from(env!("CARGO_BIN_EXE_kafka-producer-perf-test")),
        "kafka-consumer-perf-test" => PathBuf::from(env!("CARGO_BIN_EXE_kafka-consumer-perf-test")),
        "kafka-leader-election" => PathBuf::from(env!("CARGO_BIN_EXE_kafka-leader-election")),
        "kafka-reassign-partitions" => {
            PathBuf::from(env!("CARGO_BIN_EXE_kafka-reassign-partitions"))
        }
        "zookeeper-shell" => PathBuf::from(env!("CARGO_BIN_EXE_zookeeper-shell")),
        other => panic!("no binary {other}"),
    }
}

pub fn run(name: &str, args: &[&str]) -> Output {
    Command::new(binary(name)).args(args).output().unwrap()
}

pub fn run_with_stdin(name: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(binary(name))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `kafka-topics --create` with replication factor 1; fails the test if the tool fails.
pub fn create_topic(broker: &TestBroker, topic: &str, partitions: &str) -> Output {
    let out = run(
        "kafka-topics",
        &[
            "--create",
            "--topic",
            topic,
            "--partitions",
            partitions,
            "--replication-factor",
            "1",
            "--bootstrap-server",
            &broker.address(),
        ],
    );
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}
