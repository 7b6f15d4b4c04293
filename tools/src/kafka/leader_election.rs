//! `kafka-leader-election`: asks the controller for preferred or unclean leader elections
//! (ElectLeaders), with the flags, checks and output of Kafka 3.x's leader election tool.
//!
//! Flags: `--bootstrap-server`, `--election-type PREFERRED|UNCLEAN` (any case), one of
//! `--topic` (with `--partition`), `--all-topic-partitions` or `--path-to-json-file`
//! (`{"partitions":[{"topic":"foo","partition":1},…]}`), `--admin.config` (client
//! properties). [`check`] runs Kafka's checks in its order; a failure is a
//! [`KafkaToolError::Usage`] whose text the binary prints on stderr before exiting 1.
//!
//! Output ([`report`]), partitions sorted:
//! `Successfully completed leader election (PREFERRED) for partitions t-0, t-1`,
//! `Valid replica already elected for partitions t-2` (ELECTION_NOT_NEEDED), and per failed
//! partition `Error completing leader election (PREFERRED) for partition: t-3: <exception>:
//! <message>`; any failure ends the command with `N replica(s) could not be elected`
//! (exit 1). With `--all-topic-partitions` the controller leaves out the partitions that
//! needed no election.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

pub use broker::controller::election::ElectionType;
use common::client::{Client, ClientError};
use kafka_protocol::messages::elect_leaders_request::TopicPartitions;
use kafka_protocol::messages::{ElectLeadersRequest, ElectLeadersResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::config::{client_config, load_optional};
use super::options::{parse, OptionSpec, ParsedOptions};
use super::{show_partition, TopicPartition};
use crate::error::{usage, KafkaToolError};

/// The description printed above the option table.
pub const DESCRIPTION: &str = "This tool asks the controller to elect new leaders for topic partitions, either their preferred replicas or (unclean) any live replica.";

/// The options, as Kafka's tool names them.
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "bootstrap-server",
        argument: Some("host:port"),
        description: "REQUIRED: the broker(s) to connect to, host:port, comma separated.",
    },
    OptionSpec {
        name: "admin.config",
        argument: Some("config file"),
        description: "A properties file with settings for the admin client.",
    },
    OptionSpec {
        name: "path-to-json-file",
        argument: Some("Path to JSON file"),
        description: "A JSON file naming the partitions to elect leaders for, e.g.\n{\"partitions\": [{\"topic\": \"foo\", \"partition\": 1}, {\"topic\": \"bar\", \"partition\": 2}]}\nNot with --all-topic-partitions or --topic.",
    },
    OptionSpec {
        name: "topic",
        argument: Some("topic name"),
        description: "The topic of the partition to elect a leader for (needs --partition). Not with --path-to-json-file or --all-topic-partitions.",
    },
    OptionSpec {
        name: "partition",
        argument: Some("partition id"),
        description: "The partition to elect a leader for. REQUIRED with --topic.",
    },
    OptionSpec {
        name: "all-topic-partitions",
        argument: None,
        description: "Elect leaders for every partition that needs it under the election type. Not with --topic or --path-to-json-file.",
    },
    OptionSpec {
        name: "election-type",
        argument: Some("election type"),
        description: "REQUIRED: \"preferred\" moves leadership to the first replica of the assignment when it is in sync and the leader is another; \"unclean\" gives partitions without a leader one, from outside the ISR if need be.",
    },
    OptionSpec {
        name: "help",
        argument: None,
        description: "Print this usage.",
    },
    OptionSpec {
        name: "version",
        argument: None,
        description: "Print the version.",
    },
];

/// Which partitions to elect for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Partitions(BTreeSet<TopicPartition>),
    /// `--all-topic-partitions`: ElectLeaders with null partitions.
    All,
}

/// A checked command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionCommand {
    pub bootstrap_server: String,
    pub admin_config: Option<PathBuf>,
    pub election_type: ElectionType,
    /// `None` while a JSON file still has to be read.
    pub scope: Option<Scope>,
    pub json_file: Option<PathBuf>,
}

/// What a command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// No arguments or `--help`: the description and the option table, exit 1.
    Help,
    Version,
    Run(ElectionCommand),
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
    check_parsed(&options).map(Checked::Run)
}

fn check_parsed(options: &ParsedOptions) -> Result<ElectionCommand, KafkaToolError> {
    let missing: Vec<&str> = ["bootstrap-server", "election-type"]
        .into_iter()
        .filter(|name| !options.has(name))
        .collect();
    if !missing.is_empty() {
        return Err(usage(format!(
            "Missing required option(s): {}",
            missing.join(", ")
        )));
    }
    let exclusive = ["topic", "all-topic-partitions", "path-to-json-file"];
    if exclusive.iter().filter(|name| options.has(name)).count() != 1 {
        return Err(usage(format!(
            "One and only one of the following options is required: {}",
            exclusive.join(", ")
        )));
    }
    match (options.has("topic"), options.has("partition")) {
        (true, false) => return Err(usage("Missing required option(s): partition")),
        (false, true) => return Err(usage("Option partition is only allowed if topic is used")),
        _ => {}
    }
    let type_name = options.value("election-type").unwrap_or_default();
    let election_type = ElectionType::parse(type_name).ok_or_else(|| {
        usage(format!(
            "Cannot parse argument '{type_name}' of option election-type"
        ))
    })?;
    let scope = if options.has("all-topic-partitions") {
        Some(Scope::All)
    } else if let Some(topic) = options.value("topic") {
        let partition = options.number::<i32>("partition")?.unwrap_or_default();
        Some(Scope::Partitions(BTreeSet::from([(
            topic.to_owned(),
            partition,
        )])))
    } else {
        None
    };
    Ok(ElectionCommand {
        bootstrap_server: options
            .value("bootstrap-server")
            .unwrap_or_default()
            .to_owned(),
        admin_config: options.value("admin.config").map(PathBuf::from),
        election_type,
        scope,
        json_file: options.value("path-to-json-file").map(PathBuf::from),
    })
}

/// Reads `--path-to-json-file`'s partitions.
pub fn parse_election_data(text: &str) -> Result<BTreeSet<TopicPartition>, KafkaToolError> {
    let command = |message: String| KafkaToolError::Command { message };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
        return Err(command("Replica election data is empty".to_owned()));
    };
    let Some(entries) = json.get("partitions") else {
        return Err(command(
            "Replica election data is missing \"partitions\" field".to_owned(),
        ));
    };
    let Some(entries) = entries.as_array() else {
        return Err(command(
            "Replica election data: \"partitions\" is not an array".to_owned(),
        ));
    };
    let mut seen = BTreeSet::new();
    let mut duplicates = BTreeSet::new();
    for entry in entries {
        let topic = entry.get("topic").and_then(serde_json::Value::as_str);
        let partition = entry
            .get("partition")
            .and_then(serde_json::Value::as_i64)
            .and_then(|number| i32::try_from(number).ok());
        let (Some(topic), Some(partition)) = (topic, partition) else {
            return Err(command(format!(
                "Replica election data has an entry without a \"topic\" string and a \"partition\" number: {entry}"
            )));
        };
        let key = (topic.to_owned(), partition);
        if !seen.insert(key.clone()) {
            duplicates.insert(key);
        }
    }
    if !duplicates.is_empty() {
        let shown: Vec<String> = duplicates.iter().map(show_partition).collect();
        return Err(command(format!(
            "Replica election data contains duplicate partitions: [{}]",
            shown.join(", ")
        )));
    }
    Ok(seen)
}

/// The Java exception class Kafka's tool names for a partition's error code.
pub fn exception_class(code: i16) -> &'static str {
    match ResponseError::try_from_code(code) {
        Some(ResponseError::PreferredLeaderNotAvailable) => {
            "org.apache.kafka.common.errors.PreferredLeaderNotAvailableException"
        }
        Some(ResponseError::EligibleLeadersNotAvailable) => {
            "org.apache.kafka.common.errors.EligibleLeadersNotAvailableException"
        }
        Some(ResponseError::ElectionNotNeeded) => {
            "org.apache.kafka.common.errors.ElectionNotNeededException"
        }
        Some(ResponseError::UnknownTopicOrPartition) => {
            "org.apache.kafka.common.errors.UnknownTopicOrPartitionException"
        }
        Some(ResponseError::InvalidTopicException) => {
            "org.apache.kafka.common.errors.InvalidTopicException"
        }
        Some(ResponseError::RequestTimedOut) => "org.apache.kafka.common.errors.TimeoutException",
        Some(ResponseError::NotController) => {
            "org.apache.kafka.common.errors.NotControllerException"
        }
        Some(ResponseError::InvalidRequest) => {
            "org.apache.kafka.common.errors.InvalidRequestException"
        }
        _ => "org.apache.kafka.common.errors.UnknownServerException",
    }
}

/// One partition's answer: its error code (0: elected) and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionOutcome {
    pub partition: TopicPartition,
    pub error_code: i16,
    pub message: Option<String>,
}

/// Prints the outcome lines; a failed partition makes the command fail.
pub fn report(
    election_type: ElectionType,
    outcomes: &[PartitionOutcome],
    out: &mut impl Write,
) -> Result<(), KafkaToolError> {
    let mut sorted: Vec<&PartitionOutcome> = outcomes.iter().collect();
    sorted.sort_by(|left, right| left.partition.cmp(&right.partition));
    let not_needed = ResponseError::ElectionNotNeeded.code();
    let succeeded: Vec<String> = sorted
        .iter()
        .filter(|outcome| outcome.error_code == 0)
        .map(|outcome| show_partition(&outcome.partition))
        .collect();
    let already: Vec<String> = sorted
        .iter()
        .filter(|outcome| outcome.error_code == not_needed)
        .map(|outcome| show_partition(&outcome.partition))
        .collect();
    let failed: Vec<&&PartitionOutcome> = sorted
        .iter()
        .filter(|outcome| outcome.error_code != 0 && outcome.error_code != not_needed)
        .collect();
    let io = |source| KafkaToolError::Io {
        what: "writing to stdout".to_owned(),
        source,
    };
    if !succeeded.is_empty() {
        writeln!(
            out,
            "Successfully completed leader election ({election_type}) for partitions {}",
            succeeded.join(", ")
        )
        .map_err(io)?;
    }
    if !already.is_empty() {
        writeln!(
            out,
            "Valid replica already elected for partitions {}",
            already.join(", ")
        )
        .map_err(io)?;
    }
    for outcome in &failed {
        let message = outcome.message.clone().unwrap_or_else(|| {
            ResponseError::try_from_code(outcome.error_code)
                .map(|error| error.to_string())
                .unwrap_or_default()
        });
        writeln!(
            out,
            "Error completing leader election ({election_type}) for partition: {}: {}: {message}",
            show_partition(&outcome.partition),
            exception_class(outcome.error_code)
        )
        .map_err(io)?;
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(KafkaToolError::Command {
            message: format!("{} replica(s) could not be elected", failed.len()),
        })
    }
}

/// How long the controller may take (the request's `timeout_ms`); the client waits longer.
const ELECTION_TIMEOUT: Duration = Duration::from_secs(15);

/// Runs the election and prints its outcome.
pub async fn run(command: &ElectionCommand, out: &mut impl Write) -> Result<(), KafkaToolError> {
    let scope = match (&command.scope, &command.json_file) {
        (Some(scope), _) => scope.clone(),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|source| KafkaToolError::Io {
                what: format!("reading {}", path.display()),
                source,
            })?;
            Scope::Partitions(parse_election_data(&text)?)
        }
        (None, None) => Scope::All,
    };
    let properties = load_optional(command.admin_config.as_deref())?;
    let mut config = client_config(
        Some(&command.bootstrap_server),
        &properties,
        "adminclient-1",
    )?;
    config.connection.request_timeout = config
        .connection
        .request_timeout
        .max(ELECTION_TIMEOUT + Duration::from_secs(15));
    let client = Client::connect(config).await?;
    let mut request = ElectLeadersRequest::default();
    request.election_type = command.election_type.to_wire();
    request.timeout_ms = i32::try_from(ELECTION_TIMEOUT.as_millis()).unwrap_or(i32::MAX);
    request.topic_partitions = match &scope {
        Scope::All => None,
        Scope::Partitions(partitions) => {
            let mut topics: Vec<TopicPartitions> = Vec::new();
            for (topic, partition) in partitions {
                match topics
                    .iter_mut()
                    .find(|entry| entry.topic.0.as_str() == topic)
                {
                    Some(entry) => entry.partitions.push(*partition),
                    None => {
                        let mut entry = TopicPartitions::default();
                        entry.topic = TopicName(StrBytes::from_string(topic.clone()));
                        entry.partitions.push(*partition);
                        topics.push(entry);
                    }
                }
            }
            Some(topics)
        }
    };
    let response = match client.call_controller(&request, not_controller).await {
        Ok(response) => response,
        Err(ClientError::Timeout { .. }) => {
            let message = "Timeout waiting for election results";
            writeln!(out, "{message}").map_err(|source| KafkaToolError::Io {
                what: "writing to stdout".to_owned(),
                source,
            })?;
            return Err(KafkaToolError::Command {
                message: message.to_owned(),
            });
        }
        Err(error) => return Err(error.into()),
    };
    if let Some(error) = ResponseError::try_from_code(response.error_code) {
        return Err(KafkaToolError::Command {
            message: format!(
                "java.util.concurrent.ExecutionException: {}: {error}",
                exception_class(error.code())
            ),
        });
    }
    let mut outcomes = Vec::new();
    for topic in &response.replica_election_results {
        for partition in &topic.partition_result {
            outcomes.push(PartitionOutcome {
                partition: (topic.topic.0.as_str().to_owned(), partition.partition_id),
                error_code: partition.error_code,
                message: partition
                    .error_message
                    .as_ref()
                    .map(|message| message.as_str().to_owned()),
            });
        }
    }
    report(command.election_type, &outcomes, out)
}

/// Whether the answer came from a broker that is not (or no longer) the controller.
fn not_controller(response: &ElectLeadersResponse) -> bool {
    let code = ResponseError::NotController.code();
    response.error_code == code
        || response.replica_election_results.iter().any(|topic| {
            topic
                .partition_result
                .iter()
                .any(|partition| partition.error_code == code)
        })
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
    fn kafkas_checks_in_kafkas_order() {
        assert_eq!(check_line(""), Ok(Checked::Help));
        assert_eq!(
            check_line("--help --bootstrap-server h:1"),
            Ok(Checked::Help)
        );
        assert_eq!(
            check_line("--topic t").unwrap_err(),
            "Missing required option(s): bootstrap-server, election-type"
        );
        assert_eq!(
            check_line("--bootstrap-server h:1 --topic t").unwrap_err(),
            "Missing required option(s): election-type"
        );
        assert_eq!(
            check_line("--bootstrap-server h:1 --election-type preferred").unwrap_err(),
            "One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file"
        );
        assert_eq!(
            check_line(
                "--bootstrap-server h:1 --election-type preferred --topic t --all-topic-partitions"
            )
            .unwrap_err(),
            "One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file"
        );
        assert_eq!(
            check_line("--bootstrap-server h:1 --election-type preferred --topic t").unwrap_err(),
            "Missing required option(s): partition"
        );
        assert_eq!(
            check_line(
                "--bootstrap-server h:1 --election-type preferred --all-topic-partitions --partition 1"
            )
            .unwrap_err(),
            "Option partition is only allowed if topic is used"
        );
        assert_eq!(
            check_line("--bootstrap-server h:1 --election-type sideways --all-topic-partitions")
                .unwrap_err(),
            "Cannot parse argument 'sideways' of option election-type"
        );
        assert_eq!(
            check_line("--bootstrap-server h:1 --election-type preferred --topic t --partition x")
                .unwrap_err(),
            "Cannot parse argument 'x' of option partition"
        );
        assert_eq!(
            check_line("--bootstrap-server h:1 --bogus").unwrap_err(),
            "'bogus' is not a recognized option"
        );
    }

    #[test]
    fn a_valid_line_names_the_type_and_partitions() {
        let Ok(Checked::Run(command)) =
            check_line("--bootstrap-server h:1 --election-type UnClean --topic t --partition 2")
        else {
            panic!("not a run");
        };
        assert_eq!(command.election_type, ElectionType::Unclean);
        assert_eq!(
            command.scope,
            Some(Scope::Partitions(BTreeSet::from([("t".to_owned(), 2)])))
        );
        let Ok(Checked::Run(all)) =
            check_line("--bootstrap-server h:1 --election-type PREFERRED --all-topic-partitions")
        else {
            panic!("not a run");
        };
        assert_eq!(all.scope, Some(Scope::All));
    }

    #[test]
    fn election_data_files_are_checked() {
        let parsed = parse_election_data(
            r#"{"partitions":[{"topic":"a","partition":1},{"topic":"b","partition":0}]}"#,
        )
        .unwrap();
        assert_eq!(
            parsed,
            BTreeSet::from([("a".to_owned(), 1), ("b".to_owned(), 0)])
        );
        let message = |text: &str| parse_election_data(text).unwrap_err().to_string();
        assert_eq!(message("not json"), "Replica election data is empty");
        assert_eq!(
            message(r#"{"topics":[]}"#),
            "Replica election data is missing \"partitions\" field"
        );
        assert_eq!(
            message(r#"{"partitions":[{"topic":"a","partition":1},{"topic":"a","partition":1}]}"#),
            "Replica election data contains duplicate partitions: [a-1]"
        );
    }

    #[test]
    fn report_lines_and_failure() {
        let outcome =
            |topic: &str, partition, error_code, message: Option<&str>| PartitionOutcome {
                partition: (topic.to_owned(), partition),
                error_code,
                message: message.map(str::to_owned),
            };
        let mut out = Vec::new();
        report(
            ElectionType::Preferred,
            &[
                outcome("t", 1, 0, None),
                outcome("t", 0, 0, None),
                outcome(
                    "t",
                    2,
                    84,
                    Some("Leader election not needed for topic partition."),
                ),
            ],
            &mut out,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Successfully completed leader election (PREFERRED) for partitions t-0, t-1\nValid replica already elected for partitions t-2\n"
        );
        let mut out = Vec::new();
        let error = report(
            ElectionType::Unclean,
            &[outcome("u", 0, 83, Some("Failed to elect leader for partition u-0 under strategy OfflinePartitionLeaderElectionStrategy(true)"))],
            &mut out,
        )
        .unwrap_err();
        assert_eq!(error.to_string(), "1 replica(s) could not be elected");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Error completing leader election (UNCLEAN) for partition: u-0: org.apache.kafka.common.errors.EligibleLeadersNotAvailableException: Failed to elect leader for partition u-0 under strategy OfflinePartitionLeaderElectionStrategy(true)\n"
        );
    }
}
