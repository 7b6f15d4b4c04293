//! `kafka-reassign-partitions`: generate, execute, verify, cancel and list partition
//! reassignments (AlterPartitionReassignments / ListPartitionReassignments to the
//! controller), with the flags, checks, JSON formats and output of Kafka 3.x's tool.
//!
//! - `--generate --topics-to-move-json-file F --broker-list 1,2`: reads
//!   `{"version":1,"topics":[{"topic":"foo"}]}`, prints the current assignment and a
//!   proposal spreading each topic over the listed brokers (Kafka's replica assignment,
//!   rack-aware when every listed broker has a rack, unless `--disable-rack-aware`).
//! - `--execute --reassignment-json-file F`: reads
//!   `{"version":1,"partitions":[{"topic":"foo","partition":0,"replicas":[1,2],"log_dirs":["any","any"]}]}`,
//!   prints the current assignment (to roll back with) and starts the reassignments;
//!   refused while others run unless `--additional`. `--throttle` and
//!   `--replica-alter-log-dirs-throttle` are accepted and reported as not applied: this
//!   cluster has no replication throttling. Log dirs other than `any` are refused (a broker
//!   keeps each replica in its one log dir).
//! - `--verify`: per partition `Reassignment of partition foo-0 is completed.` or `… is still
//!   in progress.`
//! - `--cancel`: cancels the file's partitions that are being reassigned.
//! - `--list`: the reassignments in progress.
//!
//! Usage errors ([`KafkaToolError::Usage`]) are printed with the option table on stderr,
//! exit 1; command failures on stdout (`Error: …`, or Kafka's terse texts), exit 1.
//! This module holds the options and the cluster calls; [`files`] the file formats and
//! texts.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use common::client::Client;
use kafka_protocol::messages::alter_partition_reassignments_request::{
    ReassignablePartition, ReassignableTopic,
};
use kafka_protocol::messages::list_partition_reassignments_request::ListPartitionReassignmentsTopics;
use kafka_protocol::messages::{
    AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse, BrokerId,
    ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::config::{client_config, load_optional};
use super::options::{parse, OptionSpec, ParsedOptions};
use super::{show_partition, TopicPartition};
use crate::error::{command_failed, usage, KafkaToolError};

pub mod files;

use files::failure;
pub use files::{
    format_reassignment_json, list_text, parse_broker_list, parse_reassignment_json,
    parse_topics_json, propose, validate_execute, verify_lines, BrokerRack, Ongoing,
    PartitionTarget,
};

/// The description printed above the option table.
pub const DESCRIPTION: &str = "This tool moves topic partitions between brokers: it proposes, starts, checks, cancels and lists partition reassignments.";

/// The options, as Kafka's tool names them.
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec { name: "bootstrap-server", argument: Some("String: Server(s) to use for bootstrapping"), description: "REQUIRED: the broker(s) to connect to, host:port, comma separated." },
    OptionSpec { name: "command-config", argument: Some("String: Admin client property file"), description: "A properties file with settings for the admin client." },
    OptionSpec { name: "generate", argument: None, description: "Propose an assignment of the topics of --topics-to-move-json-file over the brokers of --broker-list. Prints the current and the proposed assignment; changes nothing." },
    OptionSpec { name: "execute", argument: None, description: "Start the reassignments of --reassignment-json-file." },
    OptionSpec { name: "verify", argument: None, description: "Tell, for each partition of --reassignment-json-file, whether its reassignment is complete." },
    OptionSpec { name: "cancel", argument: None, description: "Cancel the reassignments of the partitions of --reassignment-json-file that are still in progress." },
    OptionSpec { name: "list", argument: None, description: "List the reassignments in progress." },
    OptionSpec { name: "reassignment-json-file", argument: Some("String: manual assignment json file path"), description: "The reassignment file for --execute, --verify and --cancel:\n{\"partitions\": [{\"topic\": \"foo\", \"partition\": 1, \"replicas\": [1,2,3], \"log_dirs\": [\"any\",\"any\",\"any\"]}], \"version\": 1}\nlog_dirs is optional." },
    OptionSpec { name: "topics-to-move-json-file", argument: Some("String: topics to reassign json file path"), description: "The topics for --generate:\n{\"topics\": [{\"topic\": \"foo\"},{\"topic\": \"foo1\"}], \"version\": 1}" },
    OptionSpec { name: "broker-list", argument: Some("String: brokerlist"), description: "The brokers for --generate, e.g. \"0,1,2\"." },
    OptionSpec { name: "disable-rack-aware", argument: None, description: "With --generate: ignore the brokers' racks." },
    OptionSpec { name: "throttle", argument: Some("Long: throttle"), description: "Accepted with --execute for compatibility and reported as not applied: this cluster does not throttle replication." },
    OptionSpec { name: "replica-alter-log-dirs-throttle", argument: Some("Long: replicaAlterLogDirsThrottle"), description: "Accepted with --execute for compatibility and reported as not applied." },
    OptionSpec { name: "timeout", argument: Some("Long: timeout"), description: "How long --execute and --cancel wait for the controller, in ms (default 10000)." },
    OptionSpec { name: "additional", argument: None, description: "With --execute: start these reassignments even though others are in progress." },
    OptionSpec { name: "preserve-throttles", argument: None, description: "Accepted with --verify and --cancel (there are no throttles to clear)." },
    OptionSpec { name: "help", argument: None, description: "Print this usage." },
    OptionSpec { name: "version", argument: None, description: "Print the version." },
];

/// The actions, in Kafka's order.
const ACTIONS: [&str; 5] = ["generate", "execute", "verify", "cancel", "list"];

/// The one action a command line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Generate,
    Execute,
    Verify,
    Cancel,
    List,
}

/// What a command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// No arguments or `--help`: the description and the option table, exit 1.
    Help,
    Version,
    Run(ReassignCommand),
}

/// A checked command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReassignCommand {
    pub action: Action,
    pub bootstrap_server: String,
    pub command_config: Option<PathBuf>,
    pub reassignment_json_file: Option<PathBuf>,
    pub topics_to_move_json_file: Option<PathBuf>,
    pub broker_list: Option<String>,
    pub disable_rack_aware: bool,
    pub throttle: i64,
    pub replica_alter_log_dirs_throttle: i64,
    pub timeout: Duration,
    pub additional: bool,
}

/// Parses and checks `arguments` (without the program name) in Kafka's order.
pub fn check(arguments: &[String]) -> Result<Checked, KafkaToolError> {
    let options = parse(OPTIONS, arguments)?;
    if arguments.is_empty() || options.has("help") {
        return Ok(Checked::Help);
    }
    if options.has("version") {
        return Ok(Checked::Version);
    }
    let chosen: Vec<&str> = ACTIONS
        .into_iter()
        .filter(|action| options.has(action))
        .collect();
    let [action_name] = chosen.as_slice() else {
        let listed: Vec<String> = ACTIONS.iter().map(|action| format!("--{action}")).collect();
        return Err(usage(format!(
            "Command must include exactly one action: {}",
            listed.join(", ")
        )));
    };
    if !options.has("bootstrap-server") {
        return Err(usage("Please specify --bootstrap-server"));
    }
    let (action, required, permitted): (Action, &[&str], &[&str]) = match *action_name {
        "generate" => (
            Action::Generate,
            &["topics-to-move-json-file", "broker-list"],
            &[
                "bootstrap-server",
                "broker-list",
                "command-config",
                "disable-rack-aware",
            ],
        ),
        "execute" => (
            Action::Execute,
            &["reassignment-json-file"],
            &[
                "additional",
                "bootstrap-server",
                "command-config",
                "throttle",
                "replica-alter-log-dirs-throttle",
                "timeout",
            ],
        ),
        "verify" => (
            Action::Verify,
            &["reassignment-json-file"],
            &["bootstrap-server", "command-config", "preserve-throttles"],
        ),
        "cancel" => (
            Action::Cancel,
            &["reassignment-json-file"],
            &[
                "bootstrap-server",
                "command-config",
                "preserve-throttles",
                "timeout",
            ],
        ),
        _ => (Action::List, &[], &["bootstrap-server", "command-config"]),
    };
    for name in required {
        if !options.has(name) {
            return Err(usage(format!("Missing required argument \"[{name}]\"")));
        }
    }
    for name in options.names() {
        if name != *action_name && !required.contains(&name) && !permitted.contains(&name) {
            return Err(usage(format!(
                "Option \"[{name}]\" can't be used with action \"[{action_name}]\""
            )));
        }
    }
    checked(&options, action).map(Checked::Run)
}

fn checked(options: &ParsedOptions, action: Action) -> Result<ReassignCommand, KafkaToolError> {
    Ok(ReassignCommand {
        action,
        bootstrap_server: options
            .value("bootstrap-server")
            .unwrap_or_default()
            .to_owned(),
        command_config: options.value("command-config").map(PathBuf::from),
        reassignment_json_file: options.value("reassignment-json-file").map(PathBuf::from),
        topics_to_move_json_file: options.value("topics-to-move-json-file").map(PathBuf::from),
        broker_list: options.value("broker-list").map(str::to_owned),
        disable_rack_aware: options.has("disable-rack-aware"),
        throttle: options.number::<i64>("throttle")?.unwrap_or(-1),
        replica_alter_log_dirs_throttle: options
            .number::<i64>("replica-alter-log-dirs-throttle")?
            .unwrap_or(-1),
        timeout: Duration::from_millis(options.number::<u64>("timeout")?.unwrap_or(10_000)),
        additional: options.has("additional"),
    })
}

/// Kafka's message when `--execute` finds other reassignments running.
pub const EXISTING_REASSIGNMENT_MESSAGE: &str = "Cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one. The --additional flag can also be used to change the throttle by resubmitting the current reassignment.";

fn write_line(out: &mut impl Write, line: &str) -> Result<(), KafkaToolError> {
    writeln!(out, "{line}").map_err(|source| KafkaToolError::Io {
        what: "writing to stdout".to_owned(),
        source,
    })
}

fn read_file(path: Option<&PathBuf>) -> Result<String, KafkaToolError> {
    let Some(path) = path else {
        return Ok(String::new());
    };
    std::fs::read_to_string(path).map_err(|source| KafkaToolError::Io {
        what: format!("reading {}", path.display()),
        source,
    })
}

/// Runs the checked command.
pub async fn run(command: &ReassignCommand, out: &mut impl Write) -> Result<(), KafkaToolError> {
    let properties = load_optional(command.command_config.as_deref())?;
    let mut config = client_config(
        Some(&command.bootstrap_server),
        &properties,
        "reassign-partitions-tool",
    )?;
    config.connection.request_timeout = config
        .connection
        .request_timeout
        .max(command.timeout + Duration::from_secs(10));
    let client = Client::connect(config).await?;
    match command.action {
        Action::Generate => generate(&client, command, out).await,
        Action::Execute => execute(&client, command, out).await,
        Action::Verify => verify(&client, command, out).await,
        Action::Cancel => cancel(&client, command, out).await,
        Action::List => {
            let ongoing = list_reassignments(&client, None).await?;
            write_line(out, &list_text(&ongoing))
        }
    }
}

/// The current replicas of every partition of `topics`; an unknown topic fails.
async fn topic_assignments(
    client: &Client,
    topics: &[String],
) -> Result<BTreeMap<TopicPartition, Vec<i32>>, KafkaToolError> {
    let mut assignments = BTreeMap::new();
    if topics.is_empty() {
        return Ok(assignments);
    }
    let lookup = client.describe_topics(topics, false).await?;
    if let Some((topic, _)) = lookup.errors.first() {
        return Err(failure(format!(
            "org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Topic {topic} not found."
        )));
    }
    for topic in lookup.found {
        for partition in topic.partitions {
            assignments.insert(
                (topic.name.clone(), partition.partition),
                partition.replicas,
            );
        }
    }
    Ok(assignments)
}

async fn generate(
    client: &Client,
    command: &ReassignCommand,
    out: &mut impl Write,
) -> Result<(), KafkaToolError> {
    let brokers = parse_broker_list(command.broker_list.as_deref().unwrap_or_default())?;
    let topics = parse_topics_json(&read_file(command.topics_to_move_json_file.as_ref())?)?;
    let current = topic_assignments(client, &topics).await?;
    let cluster = client.cached_metadata();
    let candidates: Vec<BrokerRack> = cluster
        .brokers
        .iter()
        .filter(|(id, _)| brokers.contains(id))
        .map(|(id, address)| BrokerRack {
            id: *id,
            rack: if command.disable_rack_aware {
                None
            } else {
                address.rack.clone()
            },
        })
        .collect();
    let start = rand::random_range(0..candidates.len().max(1));
    let proposal = propose(&current, &candidates, !command.disable_rack_aware, start)?;
    write_line(
        out,
        &format!(
            "Current partition replica assignment\n{}\n",
            format_reassignment_json(&current)
        ),
    )?;
    write_line(
        out,
        &format!(
            "Proposed partition reassignment configuration\n{}",
            format_reassignment_json(&proposal)
        ),
    )
}

async fn execute(
    client: &Client,
    command: &ReassignCommand,
    out: &mut impl Write,
) -> Result<(), KafkaToolError> {
    let targets = parse_reassignment_json(&read_file(command.reassignment_json_file.as_ref())?)?;
    let proposed = validate_execute(&targets)?;
    let running = list_reassignments(client, None).await?;
    if !command.additional && !running.is_empty() {
        return Err(command_failed(EXISTING_REASSIGNMENT_MESSAGE));
    }
    let live: BTreeSet<i32> = client.cached_metadata().brokers.keys().copied().collect();
    let mut named: BTreeSet<i32> = BTreeSet::new();
    for replicas in proposed.values() {
        named.extend(replicas.iter().copied());
    }
    if let Some(unknown) = named.iter().find(|id| !live.contains(id)) {
        return Err(failure(format!("Unknown broker id {unknown}")));
    }
    let topics: Vec<String> = proposed
        .keys()
        .map(|(topic, _)| topic.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let lookup = client.describe_topics(&topics, false).await?;
    let mut current = BTreeMap::new();
    for topic in lookup.found {
        for partition in topic.partitions {
            let key = (topic.name.clone(), partition.partition);
            if proposed.contains_key(&key) {
                current.insert(key, partition.replicas);
            }
        }
    }
    let missing: Vec<String> = proposed
        .keys()
        .filter(|key| !current.contains_key(*key))
        .map(show_partition)
        .collect();
    if !missing.is_empty() {
        return Err(failure(format!(
            "org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Unable to find partition: {}",
            missing.join(", ")
        )));
    }
    write_line(
        out,
        &format!(
            "Current partition replica assignment\n\n{}\n\nSave this to use as the --reassignment-json-file option during rollback",
            format_reassignment_json(&current)
        ),
    )?;
    if command.throttle >= 0 {
        write_line(
            out,
            &format!(
                "Warning: the inter-broker throttle of {} B/s was not applied: this cluster does not throttle replication.",
                command.throttle
            ),
        )?;
    }
    if command.replica_alter_log_dirs_throttle >= 0 {
        write_line(
            out,
            &format!(
                "Warning: the replica-alter-log-dirs throttle of {} B/s was not applied: this cluster does not throttle replication.",
                command.replica_alter_log_dirs_throttle
            ),
        )?;
    }
    let requested: Vec<(TopicPartition, Option<Vec<i32>>)> = proposed
        .iter()
        .map(|(partition, replicas)| (partition.clone(), Some(replicas.clone())))
        .collect();
    let errors = alter_reassignments(client, &requested, command.timeout).await?;
    if !errors.is_empty() {
        return Err(command_failed(format!(
            "Error reassigning partition(s):\n{}",
            error_lines(&errors)
        )));
    }
    let started: Vec<String> = proposed.keys().map(show_partition).collect();
    write_line(
        out,
        &format!(
            "Successfully started partition reassignment{} for {}",
            if started.len() == 1 { "" } else { "s" },
            started.join(",")
        ),
    )
}

async fn verify(
    client: &Client,
    command: &ReassignCommand,
    out: &mut impl Write,
) -> Result<(), KafkaToolError> {
    let targets = parse_reassignment_json(&read_file(command.reassignment_json_file.as_ref())?)?;
    let ongoing = list_reassignments(client, None).await?;
    let topics: Vec<String> = targets
        .iter()
        .filter(|target| !ongoing.contains_key(&target.partition))
        .map(|target| target.partition.0.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut current = BTreeMap::new();
    if !topics.is_empty() {
        // Unknown topics stay out of `current`: their partitions have no replicas.
        let lookup = client.describe_topics(&topics, false).await?;
        for topic in lookup.found {
            for partition in topic.partitions {
                current.insert(
                    (topic.name.clone(), partition.partition),
                    partition.replicas,
                );
            }
        }
    }
    write_line(out, &verify_lines(&targets, &ongoing, &current).join("\n"))
}

async fn cancel(
    client: &Client,
    command: &ReassignCommand,
    out: &mut impl Write,
) -> Result<(), KafkaToolError> {
    let targets = parse_reassignment_json(&read_file(command.reassignment_json_file.as_ref())?)?;
    let wanted: BTreeSet<TopicPartition> = targets
        .iter()
        .map(|target| target.partition.clone())
        .collect();
    let ongoing = list_reassignments(client, Some(&wanted)).await?;
    let cancelling: Vec<(TopicPartition, Option<Vec<i32>>)> = ongoing
        .keys()
        .filter(|partition| wanted.contains(*partition))
        .map(|partition| (partition.clone(), None))
        .collect();
    if cancelling.is_empty() {
        write_line(
            out,
            "None of the specified partition reassignments are active.",
        )?;
    } else {
        let errors = alter_reassignments(client, &cancelling, command.timeout).await?;
        if !errors.is_empty() {
            return Err(command_failed(format!(
                "Error cancelling partition reassignment{} for:\n{}",
                if errors.len() == 1 { "" } else { "s" },
                error_lines(&errors)
            )));
        }
        let cancelled: Vec<String> = cancelling
            .iter()
            .map(|(partition, _)| show_partition(partition))
            .collect();
        write_line(
            out,
            &format!(
                "Successfully cancelled partition reassignment{} for: {}",
                if cancelled.len() == 1 { "" } else { "s" },
                cancelled.join(",")
            ),
        )?;
    }
    write_line(out, "None of the specified partition moves are active.")
}

fn error_lines(errors: &BTreeMap<TopicPartition, String>) -> String {
    let lines: Vec<String> = errors
        .iter()
        .map(|(partition, message)| format!("{}: {message}", show_partition(partition)))
        .collect();
    lines.join("\n")
}

/// Per-partition request entries grouped by topic, in topic name order.
fn by_topic<'a, E>(
    entries: impl IntoIterator<Item = (&'a String, E)>,
) -> BTreeMap<&'a str, Vec<E>> {
    let mut grouped: BTreeMap<&str, Vec<E>> = BTreeMap::new();
    for (topic, entry) in entries {
        grouped.entry(topic.as_str()).or_default().push(entry);
    }
    grouped
}

/// The broker's message for `error`, or the error's own text when it sent none.
fn error_text(error: ResponseError, message: Option<&StrBytes>) -> String {
    message.map_or_else(|| error.to_string(), |message| message.as_str().to_owned())
}

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_owned()))
}

/// ListPartitionReassignments at the controller (`wanted`: only those partitions).
async fn list_reassignments(
    client: &Client,
    wanted: Option<&BTreeSet<TopicPartition>>,
) -> Result<BTreeMap<TopicPartition, Ongoing>, KafkaToolError> {
    let mut request = ListPartitionReassignmentsRequest::default();
    request.timeout_ms = 30_000;
    request.topics = wanted.map(|partitions| {
        by_topic(
            partitions
                .iter()
                .map(|(topic, partition)| (topic, *partition)),
        )
        .into_iter()
        .map(|(topic, partitions)| {
            let mut entry = ListPartitionReassignmentsTopics::default();
            entry.name = topic_name(topic);
            entry.partition_indexes = partitions;
            entry
        })
        .collect()
    });
    let response: ListPartitionReassignmentsResponse = client
        .call_controller(&request, |response: &ListPartitionReassignmentsResponse| {
            response.error_code == ResponseError::NotController.code()
        })
        .await?;
    if let Some(error) = ResponseError::try_from_code(response.error_code) {
        return Err(failure(error_text(error, response.error_message.as_ref())));
    }
    let ids = |list: &[BrokerId]| list.iter().map(|id| id.0).collect::<Vec<i32>>();
    let mut ongoing = BTreeMap::new();
    for topic in &response.topics {
        for partition in &topic.partitions {
            ongoing.insert(
                (topic.name.0.as_str().to_owned(), partition.partition_index),
                Ongoing {
                    replicas: ids(&partition.replicas),
                    adding: ids(&partition.adding_replicas),
                    removing: ids(&partition.removing_replicas),
                },
            );
        }
    }
    Ok(ongoing)
}

/// AlterPartitionReassignments at the controller; the partitions refused, with the
/// broker's message.
async fn alter_reassignments(
    client: &Client,
    reassignments: &[(TopicPartition, Option<Vec<i32>>)],
    timeout: Duration,
) -> Result<BTreeMap<TopicPartition, String>, KafkaToolError> {
    let mut request = AlterPartitionReassignmentsRequest::default();
    request.timeout_ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    let entries = reassignments.iter().map(|((topic, partition), target)| {
        let mut entry = ReassignablePartition::default();
        entry.partition_index = *partition;
        entry.replicas = target
            .as_ref()
            .map(|replicas| replicas.iter().copied().map(BrokerId).collect());
        (topic, entry)
    });
    request.topics = by_topic(entries)
        .into_iter()
        .map(|(topic, partitions)| {
            let mut added = ReassignableTopic::default();
            added.name = topic_name(topic);
            added.partitions = partitions;
            added
        })
        .collect();
    let response: AlterPartitionReassignmentsResponse = client
        .call_controller(
            &request,
            |response: &AlterPartitionReassignmentsResponse| {
                response.error_code == ResponseError::NotController.code()
            },
        )
        .await?;
    if let Some(error) = ResponseError::try_from_code(response.error_code) {
        return Err(failure(error_text(error, response.error_message.as_ref())));
    }
    let mut errors = BTreeMap::new();
    for topic in &response.responses {
        for partition in &topic.partitions {
            if let Some(error) = ResponseError::try_from_code(partition.error_code) {
                errors.insert(
                    (topic.name.0.as_str().to_owned(), partition.partition_index),
                    error_text(error, partition.error_message.as_ref()),
                );
            }
        }
    }
    Ok(errors)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn check_line(line: &str) -> Result<Checked, String> {
        let arguments: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        check(&arguments).map_err(|error| error.to_string())
    }

    #[test]
    fn kafkas_option_checks() {
        assert_eq!(check_line(""), Ok(Checked::Help));
        assert_eq!(
            check_line("--bootstrap-server h:1").unwrap_err(),
            "Command must include exactly one action: --generate, --execute, --verify, --cancel, --list"
        );
        assert_eq!(
            check_line("--list --verify --bootstrap-server h:1").unwrap_err(),
            "Command must include exactly one action: --generate, --execute, --verify, --cancel, --list"
        );
        assert_eq!(
            check_line("--list").unwrap_err(),
            "Please specify --bootstrap-server"
        );
        assert_eq!(
            check_line("--execute --bootstrap-server h:1").unwrap_err(),
            "Missing required argument \"[reassignment-json-file]\""
        );
        assert_eq!(
            check_line("--generate --bootstrap-server h:1 --topics-to-move-json-file f")
                .unwrap_err(),
            "Missing required argument \"[broker-list]\""
        );
        assert_eq!(
            check_line("--verify --bootstrap-server h:1 --reassignment-json-file f --throttle 5")
                .unwrap_err(),
            "Option \"[throttle]\" can't be used with action \"[verify]\""
        );
        let Ok(Checked::Run(command)) = check_line(
            "--execute --bootstrap-server h:1 --reassignment-json-file f --throttle 500 --additional",
        ) else {
            panic!("not a run");
        };
        assert_eq!(command.action, Action::Execute);
        assert_eq!(command.throttle, 500);
        assert!(command.additional);
        assert_eq!(command.timeout, Duration::from_secs(10));
        assert_eq!(
            check_line("--execute --bootstrap-server h:1 --reassignment-json-file f --throttle x")
                .unwrap_err(),
            "Cannot parse argument 'x' of option throttle"
        );
    }
}
