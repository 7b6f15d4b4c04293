//! Error types of the tools crate.
//!
//! - [`CliError`]: why one `zookeeper-shell` command failed. Its `Display` is exactly the line
//!   the reference `zkCli` shell prints on stderr for the same failure, and
//!   [`CliError::exit_code`] is the process status it leaves behind.
//! - [`SubtreeError`]: a request failed while walking a subtree (which node, which error).
//! - [`TimeZoneError`]: why a zone file or `TZ` rule was unusable (the shell falls back to UTC).
//! - [`PerfError`]: why `zk-perf-test` could not set up or run a workload.

use crate::zk_shell::keeper::{keeper_message, KeeperCode};

/// A failed shell command, displayed the way zkCli displays it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CliError {
    /// Too few arguments: zkCli answers with the command's usage line.
    #[error("{usage}")]
    Usage { usage: String },
    /// An option letter the command does not define (the whole token is quoted, as in zkCli).
    #[error("org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: {option}")]
    UnrecognizedOption { option: String },
    /// An option that takes a value was the last word of the line.
    #[error(
        "org.apache.commons.cli.MissingArgumentException: Missing argument for option: {option}"
    )]
    MissingArgument { option: char },
    /// The first word is not a command; the usage of every command is printed before this.
    #[error("Command not found: Command not found {command}")]
    CommandNotFound { command: String },
    /// The path fails the client-side path rules (see `zk_shell::path`).
    #[error("{reason}")]
    MalformedPath { reason: String },
    /// A flag combination or option value the command rejects before contacting the server.
    #[error("{reason}")]
    MalformedCommand { reason: String },
    /// The server (or the client library on its behalf) answered with a ZooKeeper error code.
    #[error("{}", keeper_message(*.code, .path.as_deref()))]
    Keeper {
        code: KeeperCode,
        path: Option<String>,
    },
    /// A client-library failure that carries no ZooKeeper error code.
    #[error("{message}")]
    Client { message: String },
}

impl CliError {
    /// The exit status zkCli leaves after this failure: 127 for an unknown command, else 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::CommandNotFound { .. } => 127,
            _ => 1,
        }
    }

    /// A server error about `path`.
    pub fn keeper(code: KeeperCode, path: &str) -> CliError {
        CliError::Keeper {
            code,
            path: Some(path.to_string()),
        }
    }

    /// Maps a client-library error for an operation on `path`.
    pub fn from_client(error: &zookeeper_client::Error, path: &str) -> CliError {
        match KeeperCode::from_client_error(error) {
            Some(code) => CliError::keeper(code, path),
            None => CliError::Client {
                message: error.to_string(),
            },
        }
    }
}

/// A request on `path` failed while walking a subtree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {source}")]
pub struct SubtreeError {
    pub path: String,
    pub source: zookeeper_client::Error,
}

/// Why a time zone file or `TZ` rule could not be read (the shell then prints times in UTC).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeZoneError {
    #[error("not a TZif file")]
    BadMagic,
    #[error("unsupported TZif version byte {version}")]
    BadVersion { version: u8 },
    #[error("TZif file ends early at byte {offset}")]
    Truncated { offset: usize },
    #[error("transition names local time type {index} of {types}")]
    BadTypeIndex { index: usize, types: usize },
    #[error("abbreviation index outside the abbreviation table")]
    BadAbbreviation,
    #[error("TZif file defines no local time types")]
    NoTypes,
    #[error("TZif footer is not text")]
    BadFooter,
    #[error("invalid TZ rule {rule:?} at character {position}")]
    BadRule { rule: String, position: usize },
}

/// Why `zk-perf-test` stopped.
#[derive(Debug, thiserror::Error)]
pub enum PerfError {
    /// A session could not be established.
    #[error("cannot connect to {server}: {source}")]
    Connect {
        server: String,
        source: zookeeper_client::Error,
    },
    /// Preparing the znodes a workload needs (untimed) failed.
    #[error("cannot prepare {path}: {source}")]
    Setup {
        path: String,
        source: zookeeper_client::Error,
    },
    /// Removing the benchmark root at the end failed.
    #[error("cannot clean up {path}: {source}")]
    Cleanup {
        path: String,
        source: zookeeper_client::Error,
    },
    /// Some znodes under the root could not be deleted (for example a batch was refused).
    #[error("cleanup of {path} left znodes behind")]
    CleanupIncomplete { path: String },
    /// A benchmark task panicked or was cancelled.
    #[error("a session task of workload {workload} failed: {reason}")]
    Task { workload: String, reason: String },
    /// The report could not be rendered.
    #[error("cannot write the report: {reason}")]
    Report { reason: String },
    /// The command-line options contradict each other.
    #[error("invalid options: {reason}")]
    InvalidOptions { reason: String },
}

/// Why a Kafka tool (`kafka-topics`, the console clients, the perf tests) stopped. `Display`
/// is the message the tool prints.
#[derive(Debug, thiserror::Error)]
pub enum KafkaToolError {
    /// The cluster could not be reached or answered with an error.
    #[error("{0}")]
    Client(#[from] common::client::ClientError),
    /// A properties file could not be read or parsed.
    #[error("{0}")]
    Properties(#[from] common::properties::PropertiesError),
    /// A `key=value` argument without `=`.
    #[error("Invalid command line properties: {argument}")]
    KeyValue { argument: String },
    /// A client property with a value the tool cannot use.
    #[error("Invalid value {value} for configuration {key}: {reason}")]
    InvalidConfig {
        key: String,
        value: String,
        reason: String,
    },
    /// The command line is inconsistent; the message is the one Kafka's tool prints.
    #[error("{message}")]
    Usage { message: String },
    /// An admin request failed; the message is the one Kafka's tool prints after
    /// "Error while executing topic command : ".
    #[error("{message}")]
    Command { message: String },
    /// Reading stdin, a payload file or writing stdout failed.
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

/// A [`KafkaToolError::Usage`]: an inconsistent command line, with Kafka's message.
pub fn usage(message: impl Into<String>) -> KafkaToolError {
    KafkaToolError::Usage {
        message: message.into(),
    }
}

/// A [`KafkaToolError::Command`]: a failure printed as Kafka prints it.
pub fn command_failed(message: impl Into<String>) -> KafkaToolError {
    KafkaToolError::Command {
        message: message.into(),
    }
}
