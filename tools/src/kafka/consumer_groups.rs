//! `kafka-consumer-groups`: list, describe, delete consumer groups, reset and delete their
//! committed offsets, with the flags, checks, messages and tables of Kafka 3.x's
//! `ConsumerGroupCommand` (the 3.4–3.6 layout).
//!
//! Flow: [`ConsumerGroupsArgs::check`] runs Kafka's option checks in Kafka's order (a
//! failure is a [`KafkaToolError::Usage`]: the binary prints the message and the option
//! table, [`help::usage`], on stderr and exits 1); then exactly one action runs
//! ([`run`]). Inside an action, per-group problems are reported as Kafka reports them —
//! `Error: …` lines on stdout — and the command goes on; a failed cluster call ends the
//! command with `Error: Executing consumer group command failed due to …` (exit status 0,
//! as Kafka's). Sub-modules: [`describe`] (`--describe`, `--list`), [`reset`]
//! (`--reset-offsets`), [`delete`] (`--delete`, `--delete-offsets`).

pub mod delete;
pub mod describe;
pub mod help;
pub mod reset;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use common::client::{Client, ClientError};
use kafka_protocol::ResponseError;

use super::config::{client_config, load_optional};
use crate::error::{usage, KafkaToolError};

/// The description Kafka prints with `--help`.
pub const DESCRIPTION: &str = "This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets.";

/// Kafka's consumer group command options.
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "kafka-consumer-groups",
    disable_help_flag = true,
    disable_version_flag = true
)]
pub struct ConsumerGroupsArgs {
    #[arg(long = "bootstrap-server")]
    pub bootstrap_server: Option<String>,
    #[arg(long)]
    pub group: Vec<String>,
    #[arg(long)]
    pub topic: Vec<String>,
    #[arg(long = "all-topics")]
    pub all_topics: bool,
    #[arg(long)]
    pub list: bool,
    #[arg(long)]
    pub describe: bool,
    #[arg(long = "all-groups")]
    pub all_groups: bool,
    #[arg(long)]
    pub delete: bool,
    #[arg(long)]
    pub timeout: Option<String>,
    #[arg(long = "command-config")]
    pub command_config: Option<PathBuf>,
    #[arg(long = "reset-offsets")]
    pub reset_offsets: bool,
    #[arg(long = "delete-offsets")]
    pub delete_offsets: bool,
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    #[arg(long)]
    pub execute: bool,
    #[arg(long)]
    pub export: bool,
    #[arg(long = "to-offset", allow_hyphen_values = true)]
    pub to_offset: Option<String>,
    #[arg(long = "from-file")]
    pub from_file: Option<PathBuf>,
    #[arg(long = "to-datetime")]
    pub to_datetime: Option<String>,
    #[arg(long = "by-duration", allow_hyphen_values = true)]
    pub by_duration: Option<String>,
    #[arg(long = "to-earliest")]
    pub to_earliest: bool,
    #[arg(long = "to-latest")]
    pub to_latest: bool,
    #[arg(long = "to-current")]
    pub to_current: bool,
    #[arg(long = "shift-by", allow_hyphen_values = true)]
    pub shift_by: Option<String>,
    #[arg(long)]
    pub members: bool,
    #[arg(long)]
    pub verbose: bool,
    #[arg(long)]
    pub offsets: bool,
    #[arg(long, num_args = 0..=1)]
    pub state: Option<Option<String>>,
    #[arg(long)]
    pub help: bool,
    #[arg(long)]
    pub version: bool,
}

/// The one action a command line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    List,
    Describe,
    Delete,
    ResetOffsets,
    DeleteOffsets,
}

/// What the command line asks for once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// `--help`: the description and the option table, exit 1 (Kafka's behaviour).
    Help,
    /// `--version`.
    Version,
    Run(Action),
}

/// A reset scenario (`--to-…`, `--shift-by`, `--by-duration`, `--from-file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scenario {
    ToOffset(i64),
    ShiftBy(i64),
    ToDatetime(String),
    ByDuration(String),
    ToEarliest,
    ToLatest,
    ToCurrent,
    FromFile(PathBuf),
}

fn long(name: &str, value: &str) -> Result<i64, KafkaToolError> {
    value
        .trim()
        .parse::<i64>()
        .map_err(|_| usage(format!("Cannot parse argument '{value}' of option {name}")))
}

impl ConsumerGroupsArgs {
    /// The scenario flags given, in Kafka's declaration order, with their joptsimple names.
    fn scenarios(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        if self.to_offset.is_some() {
            given.push("[to-offset]");
        }
        if self.shift_by.is_some() {
            given.push("[shift-by]");
        }
        if self.to_datetime.is_some() {
            given.push("[to-datetime]");
        }
        if self.by_duration.is_some() {
            given.push("[by-duration]");
        }
        if self.to_earliest {
            given.push("[to-earliest]");
        }
        if self.to_latest {
            given.push("[to-latest]");
        }
        if self.to_current {
            given.push("[to-current]");
        }
        if self.from_file.is_some() {
            given.push("[from-file]");
        }
        given
    }

    /// Kafka's checks, in Kafka's order; warnings (a reset without `--execute` or
    /// `--dry-run`) go to `err`.
    pub fn check(&self, err: &mut dyn Write) -> Result<Checked, KafkaToolError> {
        // Options joptsimple only accepts next to --describe (and --list for --state).
        for (given, name) in [
            (self.members, "members"),
            (self.verbose, "verbose"),
            (self.offsets, "offsets"),
        ] {
            if given && !self.describe {
                return Err(usage(format!(
                    "Option(s) [{name}] are unavailable given other options on the command line"
                )));
            }
        }
        if self.state.is_some() && !self.describe && !self.list {
            return Err(usage(
                "Option(s) [state] are unavailable given other options on the command line",
            ));
        }
        if self.bootstrap_server.is_none() {
            return Err(usage("Missing required argument \"[bootstrap-server]\""));
        }
        let has_group = !self.group.is_empty();
        let has_topic = !self.topic.is_empty();
        if self.describe {
            if !has_group && !self.all_groups {
                return Err(usage(
                    "Option [describe] takes one of these options: [group], [all-groups]",
                ));
            }
            let subactions = [self.members, self.offsets, self.state.is_some()]
                .iter()
                .filter(|given| **given)
                .count();
            if subactions > 1 {
                return Err(usage(
                    "Option [describe] takes at most one of these options: [members], [offsets], [state]",
                ));
            }
            if matches!(self.state, Some(Some(_))) {
                return Err(usage("Option [describe] does not take a value for [state]"));
            }
        }
        if self.delete {
            if !has_group && !self.all_groups {
                return Err(usage(
                    "Option [delete] takes one of these options: [group], [all-groups]",
                ));
            }
            if has_topic {
                return Err(usage(
                    "The consumer does not support topic-specific offset deletion from a consumer group.",
                ));
            }
        }
        if self.delete_offsets && (!has_group || !has_topic) {
            return Err(usage(
                "Option [delete-offsets] takes the following options: [group], [topic]",
            ));
        }
        if self.reset_offsets {
            if self.dry_run && self.execute {
                return Err(usage(
                    "Option [reset-offsets] only accepts one of [execute] and [dry-run]",
                ));
            }
            if !self.dry_run && !self.execute {
                let _ = writeln!(
                    err,
                    "WARN: No action will be performed as the --execute option is missing.In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting."
                );
            }
            if !has_group && !self.all_groups {
                return Err(usage(
                    "Option [reset-offsets] takes one of these options: [group], [all-groups]",
                ));
            }
            let scenarios = self.scenarios();
            if let (Some(first), Some(second)) = (scenarios.first(), scenarios.get(1)) {
                return Err(usage(format!(
                    "Option \"{first}\" can't be used with option \"{second}\""
                )));
            }
        }
        // Pairs of options that exclude each other, checked in Kafka's order.
        let clashes = [
            (has_group && self.all_groups, "group", "all-groups"),
            (has_group && self.list, "group", "list"),
            (has_topic && self.list, "topic", "list"),
            (has_topic && self.describe, "topic", "describe"),
        ];
        if let Some((_, first, second)) = clashes.iter().find(|(clash, ..)| *clash) {
            return Err(usage(format!(
                "Option \"[{first}]\" can't be used with option \"[{second}]\""
            )));
        }
        if let Some(timeout) = &self.timeout {
            long("timeout", timeout)?;
        }
        if self.help {
            return Ok(Checked::Help);
        }
        if self.version {
            return Ok(Checked::Version);
        }
        let actions = [
            (self.list, Action::List),
            (self.describe, Action::Describe),
            (self.delete, Action::Delete),
            (self.reset_offsets, Action::ResetOffsets),
            (self.delete_offsets, Action::DeleteOffsets),
        ];
        let chosen: Vec<Action> = actions
            .iter()
            .filter(|(given, _)| *given)
            .map(|(_, action)| *action)
            .collect();
        match chosen.as_slice() {
            [action] => Ok(Checked::Run(*action)),
            _ => Err(usage(
                "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets",
            )),
        }
    }

    /// The reset scenario (checked: exactly one was given) and scope requirements.
    pub fn scenario(&self) -> Result<Scenario, KafkaToolError> {
        if let Some(value) = &self.to_offset {
            return Ok(Scenario::ToOffset(long("to-offset", value)?));
        }
        if let Some(value) = &self.shift_by {
            return Ok(Scenario::ShiftBy(long("shift-by", value)?));
        }
        if let Some(value) = &self.to_datetime {
            return Ok(Scenario::ToDatetime(value.clone()));
        }
        if let Some(value) = &self.by_duration {
            return Ok(Scenario::ByDuration(value.clone()));
        }
        if self.to_earliest {
            return Ok(Scenario::ToEarliest);
        }
        if self.to_latest {
            return Ok(Scenario::ToLatest);
        }
        if self.to_current {
            return Ok(Scenario::ToCurrent);
        }
        if let Some(path) = &self.from_file {
            return Ok(Scenario::FromFile(path.clone()));
        }
        Err(usage(
            "Option '[reset-offsets]' requires one of the following scenarios: HashSet([to-offset], [shift-by], [to-datetime], [by-duration], [to-earliest], [to-latest], [to-current], [from-file])",
        ))
    }

    /// `--timeout` (default 5000 ms).
    pub fn timeout(&self) -> Duration {
        let millis = self
            .timeout
            .as_deref()
            .and_then(|value| value.trim().parse::<u64>().ok())
            .unwrap_or(5000);
        Duration::from_millis(millis)
    }
}

/// Connects the admin client: `--command-config` properties, `--bootstrap-server` on top,
/// `--timeout` as the request timeout.
pub async fn connect(args: &ConsumerGroupsArgs) -> Result<Arc<Client>, KafkaToolError> {
    let properties = load_optional(args.command_config.as_deref())?;
    let mut config = client_config(
        args.bootstrap_server.as_deref(),
        &properties,
        "adminclient-1",
    )?;
    config.connection.request_timeout = args.timeout();
    Ok(Arc::new(Client::connect(config).await?))
}

/// Runs the checked `action`.
pub async fn run(
    args: &ConsumerGroupsArgs,
    action: Action,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), KafkaToolError> {
    // Arguments Kafka rejects before it contacts the cluster.
    let states = match (action, &args.state) {
        (Action::List, Some(Some(list))) if !list.is_empty() => describe::parse_states(list)?,
        _ => Vec::new(),
    };
    if action == Action::ResetOffsets {
        args.scenario()?;
        if !args.all_topics && args.topic.is_empty() && args.from_file.is_none() {
            return Err(usage(
                "One of the reset scopes should be defined: --all-topics, --topic.",
            ));
        }
    }
    let client = connect(args).await?;
    match action {
        Action::List => describe::list(&client, args, &states, out).await,
        Action::Describe => describe::describe(&client, args, out, err).await,
        Action::Delete => delete::delete_groups(&client, args, out).await,
        Action::ResetOffsets => reset::reset_offsets(&client, args, out, err).await,
        Action::DeleteOffsets => delete::delete_offsets(&client, args, out).await,
    }
}

/// The group ids an action works on: `--group`s, or every consumer group.
pub async fn group_ids(
    client: &Client,
    args: &ConsumerGroupsArgs,
) -> Result<Vec<String>, KafkaToolError> {
    if args.all_groups {
        let listed = client.list_groups(&[]).await?;
        let mut ids: Vec<String> = listed.into_iter().map(|group| group.group_id).collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    } else {
        Ok(args.group.clone())
    }
}

/// Kafka's `printError`: an empty line, then `Error: message`, on stdout.
pub fn print_error(out: &mut dyn Write, message: &str) {
    let _ = writeln!(out, "\nError: {message}");
}

/// `%-Ns` of Java's formatter: left-aligned, padded to at least `width`.
pub fn pad(value: &str, width: usize) -> String {
    format!("{value:<width$}")
}

/// The Java exception class and message Kafka's clients raise for a wire error.
pub fn java_exception(error: ResponseError) -> (&'static str, String) {
    let (class, message) = match error {
        ResponseError::GroupIdNotFound => {
            ("GroupIdNotFoundException", "The group id does not exist.")
        }
        ResponseError::NonEmptyGroup => ("GroupNotEmptyException", "The group is not empty."),
        ResponseError::InvalidGroupId => (
            "InvalidGroupIdException",
            "The configured groupId is invalid.",
        ),
        ResponseError::CoordinatorNotAvailable => (
            "CoordinatorNotAvailableException",
            "The coordinator is not available.",
        ),
        ResponseError::NotCoordinator => (
            "NotCoordinatorException",
            "This is not the correct coordinator.",
        ),
        ResponseError::CoordinatorLoadInProgress => (
            "CoordinatorLoadInProgressException",
            "The coordinator is loading and hence can't process requests.",
        ),
        ResponseError::GroupAuthorizationFailed => {
            ("GroupAuthorizationException", "Group authorization failed.")
        }
        ResponseError::TopicAuthorizationFailed => {
            ("TopicAuthorizationException", "Topic authorization failed.")
        }
        ResponseError::GroupSubscribedToTopic => (
            "GroupSubscribedToTopicException",
            "The consumer group is actively subscribed to the topic",
        ),
        ResponseError::UnknownTopicOrPartition => (
            "UnknownTopicOrPartitionException",
            "This server does not host this topic-partition.",
        ),
        ResponseError::RebalanceInProgress => (
            "RebalanceInProgressException",
            "The group is rebalancing, so a rejoin is needed.",
        ),
        ResponseError::UnknownMemberId => (
            "UnknownMemberIdException",
            "The coordinator is not aware of this member.",
        ),
        ResponseError::IllegalGeneration => (
            "IllegalGenerationException",
            "Specified group generation id is not valid.",
        ),
        ResponseError::OffsetMetadataTooLarge => (
            "OffsetMetadataTooLargeException",
            "The metadata field of the offset request was too large.",
        ),
        ResponseError::InvalidCommitOffsetSize => (
            "InvalidCommitOffsetSizeException",
            "The committing offset data size is not valid.",
        ),
        ResponseError::RequestTimedOut => ("TimeoutException", "The request timed out."),
        _ => (
            "UnknownServerException",
            "The server experienced an unexpected error when processing the request.",
        ),
    };
    (class, message.to_string())
}

/// `org.apache.kafka.common.errors.X: message` — `getMessage()` of the ExecutionException
/// Kafka's admin futures throw for `error`.
pub fn java_message(error: ResponseError) -> String {
    let (class, message) = java_exception(error);
    format!("org.apache.kafka.common.errors.{class}: {message}")
}

/// The same for a client failure (wire errors by their Java names, others as timeouts:
/// Kafka's admin client reports an unreachable cluster as a TimeoutException).
pub fn client_message(error: &ClientError) -> String {
    match error {
        ClientError::Group { error, .. }
        | ClientError::Coordinator { error, .. }
        | ClientError::Topic { error, .. }
        | ClientError::Partition { error, .. } => java_message(*error),
        other => format!("org.apache.kafka.common.errors.TimeoutException: {other}"),
    }
}

/// Kafka's `Errors` name of a wire error (`COORDINATOR_NOT_AVAILABLE`).
pub fn errors_name(error: ResponseError) -> String {
    let camel = format!("{error:?}");
    let mut name = String::new();
    for (index, character) in camel.chars().enumerate() {
        if character.is_uppercase() && index > 0 {
            name.push('_');
        }
        name.push(character.to_ascii_uppercase());
    }
    name
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn parse(list: &[&str]) -> ConsumerGroupsArgs {
        let mut all = vec!["kafka-consumer-groups"];
        all.extend_from_slice(list);
        ConsumerGroupsArgs::try_parse_from(all).unwrap()
    }

    fn check(list: &[&str]) -> Result<Checked, String> {
        let mut err = Vec::new();
        parse(list)
            .check(&mut err)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn bootstrap_server_is_checked_first() {
        assert_eq!(
            check(&["--list"]).unwrap_err(),
            "Missing required argument \"[bootstrap-server]\""
        );
        assert_eq!(
            check(&["--help"]).unwrap_err(),
            "Missing required argument \"[bootstrap-server]\""
        );
    }

    #[test]
    fn exactly_one_action() {
        assert_eq!(
            check(&["--bootstrap-server", "h:1"]).unwrap_err(),
            "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets"
        );
        assert_eq!(
            check(&["--bootstrap-server", "h:1", "--list", "--describe", "--all-groups"])
                .unwrap_err(),
            "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets"
        );
        assert_eq!(
            check(&["--bootstrap-server", "h:1", "--list"]).unwrap(),
            Checked::Run(Action::List)
        );
    }

    #[test]
    fn describe_needs_a_group_and_one_sub_action() {
        assert_eq!(
            check(&["--bootstrap-server", "h:1", "--describe"]).unwrap_err(),
            "Option [describe] takes one of these options: [group], [all-groups]"
        );
        assert_eq!(
            check(&[
                "--bootstrap-server",
                "h:1",
                "--describe",
                "--group",
                "g",
                "--members",
                "--state"
            ])
            .unwrap_err(),
            "Option [describe] takes at most one of these options: [members], [offsets], [state]"
        );
        assert_eq!(
            check(&[
                "--bootstrap-server",
                "h:1",
                "--describe",
                "--group",
                "g",
                "--state",
                "x"
            ])
            .unwrap_err(),
            "Option [describe] does not take a value for [state]"
        );
        assert_eq!(
            check(&[
                "--bootstrap-server",
                "h:1",
                "--describe",
                "--group",
                "g",
                "--all-groups"
            ])
            .unwrap_err(),
            "Option \"[group]\" can't be used with option \"[all-groups]\""
        );
        assert_eq!(
            check(&["--bootstrap-server", "h:1", "--list", "--members"]).unwrap_err(),
            "Option(s) [members] are unavailable given other options on the command line"
        );
    }

    #[test]
    fn reset_checks_mode_group_and_single_scenario() {
        let mut err = Vec::new();
        let args = parse(&[
            "--bootstrap-server",
            "h:1",
            "--reset-offsets",
            "--group",
            "g",
            "--to-earliest",
        ]);
        assert_eq!(
            args.check(&mut err).unwrap(),
            Checked::Run(Action::ResetOffsets)
        );
        assert!(String::from_utf8(err)
            .unwrap()
            .starts_with("WARN: No action will be performed"));
        assert_eq!(
            check(&[
                "--bootstrap-server",
                "h:1",
                "--reset-offsets",
                "--dry-run",
                "--execute",
                "--group",
                "g"
            ])
            .unwrap_err(),
            "Option [reset-offsets] only accepts one of [execute] and [dry-run]"
        );
        assert_eq!(
            check(&[
                "--bootstrap-server",
                "h:1",
                "--reset-offsets",
                "--dry-run",
                "--to-earliest"
            ])
            .unwrap_err(),
            "Option [reset-offsets] takes one of these options: [group], [all-groups]"
        );
        assert_eq!(
            check(&[
                "--bootstrap-server",
                "h:1",
                "--reset-offsets",
                "--dry-run",
                "--group",
                "g",
                "--to-offset",
                "3",
                "--to-latest"
            ])
            .unwrap_err(),
            "Option \"[to-offset]\" can't be used with option \"[to-latest]\""
        );
        let args = parse(&[
            "--bootstrap-server",
            "h:1",
            "--reset-offsets",
            "--group",
            "g",
            "--shift-by",
            "-2",
        ]);
        assert_eq!(args.scenario().unwrap(), Scenario::ShiftBy(-2));
        let args = parse(&[
            "--bootstrap-server",
            "h:1",
            "--reset-offsets",
            "--group",
            "g",
        ]);
        assert!(args
            .scenario()
            .unwrap_err()
            .to_string()
            .starts_with("Option '[reset-offsets]' requires one of the following scenarios: "));
    }

    #[test]
    fn delete_and_delete_offsets_rules() {
        assert_eq!(
            check(&["--bootstrap-server", "h:1", "--delete"]).unwrap_err(),
            "Option [delete] takes one of these options: [group], [all-groups]"
        );
        assert_eq!(
            check(&[
                "--bootstrap-server",
                "h:1",
                "--delete",
                "--group",
                "g",
                "--topic",
                "t"
            ])
            .unwrap_err(),
            "The consumer does not support topic-specific offset deletion from a consumer group."
        );
        assert_eq!(
            check(&[
                "--bootstrap-server",
                "h:1",
                "--delete-offsets",
                "--group",
                "g"
            ])
            .unwrap_err(),
            "Option [delete-offsets] takes the following options: [group], [topic]"
        );
        assert_eq!(
            check(&["--bootstrap-server", "h:1", "--list", "--group", "g"]).unwrap_err(),
            "Option \"[group]\" can't be used with option \"[list]\""
        );
    }

    #[test]
    fn wire_errors_carry_java_names() {
        assert_eq!(
            java_message(ResponseError::NonEmptyGroup),
            "org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty."
        );
        assert_eq!(
            errors_name(ResponseError::CoordinatorNotAvailable),
            "COORDINATOR_NOT_AVAILABLE"
        );
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("abcdef", 4), "abcdef");
    }
}
