//! `kafka-topics`: create, list, describe, alter (partition count) and delete topics.
//!
//! Admin requests go to the controller (CreateTopics, DeleteTopics, CreatePartitions),
//! DescribeConfigs to any broker, Metadata for listing and describing. `--topic` is a
//! Java-style regular expression for list, describe, alter and delete (commas mean
//! alternatives, surrounding quotes are dropped, the whole name must match), as in Kafka.
//!
//! Output (Kafka 3.x): `Created topic X.`; list prints one name per line, sorted;
//! describe prints `Topic: X[\tTopicId: <id>]\tPartitionCount: N\tReplicationFactor: R\tConfigs: k=v,…`
//! (the TopicId only when the broker assigned one; Configs lists the entries whose source
//! is not the default; during a reassignment ReplicationFactor leaves out the replicas being
//! added) and per partition `\tTopic: X\tPartition: P\tLeader: L\tReplicas: a,b\tIsr: a,b`
//! (`Leader: none` without a live leader), followed during a reassignment by
//! `\tAdding Replicas: c` and `\tRemoving Replicas: a`. With `--under-replicated-partitions`
//! (fewer ISR members than the replication factor), `--unavailable-partitions` (no live
//! leader), `--under-min-isr-partitions` (fewer than the topic's `min.insync.replicas`, or
//! no leader) or `--at-min-isr-partitions` (exactly that many) only the partitions
//! matching every filter given are printed, without the topic line. Delete and alter print
//! nothing on success. Failures: the caller prints
//! `Error while executing topic command : <message>` and exits 1.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use base64::Engine;
use clap::Parser;
use common::client::{Client, TopicMetadata};
use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::{
    BrokerId, CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest,
    DescribeConfigsRequest, ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse,
    TopicName,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::config::{client_config, load_optional, parse_key_value};
use crate::error::KafkaToolError;

/// Kafka's topic command options.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "kafka-topics",
    about = "This tool helps to create, delete, describe, or change a topic.",
    disable_version_flag = true
)]
pub struct TopicsArgs {
    /// REQUIRED: The Kafka server to connect to.
    #[arg(long = "bootstrap-server", value_name = "String: server to connect to")]
    pub bootstrap_server: Option<String>,
    /// Property file containing configs to be passed to Admin Client.
    #[arg(
        long = "command-config",
        value_name = "String: command config property file"
    )]
    pub command_config: Option<PathBuf>,
    /// Create a new topic.
    #[arg(long)]
    pub create: bool,
    /// List all available topics.
    #[arg(long)]
    pub list: bool,
    /// List details for the given topics.
    #[arg(long)]
    pub describe: bool,
    /// Delete a topic
    #[arg(long)]
    pub delete: bool,
    /// Alter the number of partitions and replica assignment.
    #[arg(long)]
    pub alter: bool,
    /// The topic to create, alter, describe or delete. It also accepts a regular expression,
    /// except for --create option.
    #[arg(long, value_name = "String: topic")]
    pub topic: Option<String>,
    /// The topic-id to describe (accepted; topics are looked up by name).
    #[arg(long = "topic-id", value_name = "String: topic-id")]
    pub topic_id: Option<String>,
    /// The number of partitions for the topic being created or altered.
    #[arg(long, value_name = "Integer: # of partitions")]
    pub partitions: Option<i32>,
    /// The replication factor for each partition in the topic being created.
    #[arg(
        long = "replication-factor",
        value_name = "Integer: replication factor"
    )]
    pub replication_factor: Option<i16>,
    /// A list of manual partition-to-broker assignments for the topic being created or
    /// altered: `broker_id_for_part1_replica1:broker_id_for_part1_replica2,...`.
    #[arg(
        long = "replica-assignment",
        value_name = "String: broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , ..."
    )]
    pub replica_assignment: Option<String>,
    /// A topic configuration override for the topic being created or altered.
    #[arg(long = "config", value_name = "String: name=value")]
    pub config: Vec<String>,
    /// A topic configuration override to be removed for an existing topic (accepted; use
    /// kafka-configs).
    #[arg(long = "delete-config", value_name = "String: name")]
    pub delete_config: Vec<String>,
    /// if set when creating topics, the action will only execute if the topic does not
    /// already exist.
    #[arg(long = "if-not-exists")]
    pub if_not_exists: bool,
    /// if set when altering or deleting or describing topics, the action will only execute
    /// if the topic exists.
    #[arg(long = "if-exists")]
    pub if_exists: bool,
    /// exclude internal topics when running list or describe command.
    #[arg(long = "exclude-internal")]
    pub exclude_internal: bool,
    /// if set when describing topics, only show under replicated partitions
    #[arg(long = "under-replicated-partitions")]
    pub under_replicated_partitions: bool,
    /// if set when describing topics, only show partitions whose leader is not available
    #[arg(long = "unavailable-partitions")]
    pub unavailable_partitions: bool,
    /// if set when describing topics, only show partitions whose isr count is less than the
    /// configured minimum.
    #[arg(long = "under-min-isr-partitions")]
    pub under_min_isr_partitions: bool,
    /// if set when describing topics, only show partitions whose isr count is equal to the
    /// configured minimum.
    #[arg(long = "at-min-isr-partitions")]
    pub at_min_isr_partitions: bool,
    /// if set when describing topics, only show topics that have configuration overrides
    #[arg(long = "topics-with-overrides")]
    pub topics_with_overrides: bool,
    /// Display Kafka version.
    #[arg(long)]
    pub version: bool,
}

/// The one action of a command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    List,
    Describe,
    Delete,
    Alter,
}

impl TopicsArgs {
    /// The action, checked as Kafka's option checks do.
    pub fn action(&self) -> Result<Action, KafkaToolError> {
        let usage = |message: &str| KafkaToolError::Usage {
            message: message.to_string(),
        };
        let chosen: Vec<Action> = [
            (self.create, Action::Create),
            (self.list, Action::List),
            (self.describe, Action::Describe),
            (self.delete, Action::Delete),
            (self.alter, Action::Alter),
        ]
        .into_iter()
        .filter_map(|(set, action)| set.then_some(action))
        .collect();
        let [action] = chosen.as_slice() else {
            return Err(usage(
                "Command must include exactly one action: --list, --describe, --create, --alter or --delete",
            ));
        };
        if self.bootstrap_server.is_none() {
            return Err(usage("Missing required argument \"[bootstrap-server]\""));
        }
        let needs_topic = matches!(action, Action::Create | Action::Delete | Action::Alter);
        if needs_topic && self.topic.is_none() {
            return Err(usage("Missing required argument \"[topic]\""));
        }
        if *action == Action::Alter
            && self.partitions.is_none()
            && self.replica_assignment.is_none()
        {
            return Err(usage(
                "Option \"[alter]\" can't be used without one of \"[partitions]\" or \"[replica-assignment]\"",
            ));
        }
        if *action == Action::Create
            && self.replica_assignment.is_some()
            && (self.partitions.is_some() || self.replication_factor.is_some())
        {
            return Err(usage(
                "Option \"[replica-assignment]\" can't be used with option \"[partitions]\" or \"[replication-factor]\"",
            ));
        }
        if self.if_not_exists && *action != Action::Create {
            return Err(usage(
                "Option \"[if-not-exists]\" can't be used without option \"[create]\"",
            ));
        }
        if self.if_exists && !matches!(action, Action::Alter | Action::Delete | Action::Describe) {
            return Err(usage(
                "Option \"[if-exists]\" can only be used with option \"[alter]\" or \"[delete]\" or \"[describe]\"",
            ));
        }
        if let Some(partitions) = self.partitions {
            if partitions < 1 && *action == Action::Create {
                return Err(usage("The partitions must be greater than 0"));
            }
        }
        if let Some(factor) = self.replication_factor {
            if factor < 1 {
                return Err(usage("The replication factor must be greater than 0"));
            }
        }
        Ok(*action)
    }
}

/// Parses `--replica-assignment` (`0:1,1:2`: partitions by comma, replicas by colon).
pub fn parse_replica_assignment(text: &str) -> Result<Vec<Vec<i32>>, KafkaToolError> {
    let mut partitions = Vec::new();
    for (index, partition) in text.split(',').enumerate() {
        let mut replicas = Vec::new();
        for broker in partition.split(':') {
            let broker = broker.trim();
            if broker.is_empty() {
                continue;
            }
            let id = broker.parse::<i32>().map_err(|_| KafkaToolError::Usage {
                message: format!("Invalid replica assignment: {broker} is not a broker id"),
            })?;
            if replicas.contains(&id) {
                return Err(KafkaToolError::Command {
                    message: format!(
                        "Partition replica lists may not contain duplicate entries: {id}"
                    ),
                });
            }
            replicas.push(id);
        }
        if index > 0
            && partitions
                .first()
                .is_some_and(|first: &Vec<i32>| first.len() != replicas.len())
        {
            return Err(KafkaToolError::Command {
                message: format!(
                    "Partition {index} has different replication factor: {replicas:?}"
                ),
            });
        }
        partitions.push(replicas);
    }
    Ok(partitions)
}

/// Kafka's include-list matcher for `--topic` (commas are alternatives, quotes dropped,
/// whole-name match).
#[derive(Debug)]
pub struct TopicFilter {
    regex: regex_automata::meta::Regex,
}

impl TopicFilter {
    /// A filter for `pattern`; an invalid regular expression is a usage error.
    pub fn new(pattern: &str) -> Result<TopicFilter, KafkaToolError> {
        let cleaned = pattern
            .trim()
            .replace(',', "|")
            .replace(' ', "")
            .trim_start_matches(['"', '\''])
            .trim_end_matches(['"', '\''])
            .to_string();
        let regex =
            regex_automata::meta::Regex::new(&format!("^(?:{cleaned})$")).map_err(|error| {
                KafkaToolError::Usage {
                    message: format!("{cleaned} is an invalid regex: {error}"),
                }
            })?;
        Ok(TopicFilter { regex })
    }

    pub fn matches(&self, topic: &str) -> bool {
        self.regex.is_match(topic)
    }
}

/// Topic names of the listing that pass `--topic` and `--exclude-internal`, sorted.
pub fn select_topics<'a>(
    topics: &'a [TopicMetadata],
    filter: Option<&TopicFilter>,
    exclude_internal: bool,
) -> Vec<&'a TopicMetadata> {
    let mut selected: Vec<&TopicMetadata> = topics
        .iter()
        .filter(|topic| filter.is_none_or(|filter| filter.matches(&topic.name)))
        .filter(|topic| !(exclude_internal && (topic.is_internal || topic.name.starts_with("__"))))
        .collect();
    selected.sort_by(|left, right| left.name.cmp(&right.name));
    selected
}

/// Kafka's string form of a topic id: URL-safe base64 without padding.
pub fn topic_id_string(id: &[u8; 16]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

fn join(ids: &[i32]) -> String {
    ids.iter()
        .map(i32::to_string)
        .collect::<Vec<String>>()
        .join(",")
}

/// Partition filters of describe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartitionFilter {
    pub under_replicated: bool,
    pub unavailable: bool,
    pub under_min_isr: bool,
    pub at_min_isr: bool,
}

impl PartitionFilter {
    fn any(self) -> bool {
        self.under_replicated || self.unavailable || self.under_min_isr || self.at_min_isr
    }
}

/// A partition's reassignment in progress: the replicas it adds and removes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reassigning {
    pub adding: Vec<i32>,
    pub removing: Vec<i32>,
}

/// What describe knows about a topic besides its metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicDetails {
    /// The config entries whose source is not the default (the `Configs:` column).
    pub overrides: Vec<(String, Option<String>)>,
    /// The topic's effective `min.insync.replicas`, when the broker told it.
    pub min_isr: Option<usize>,
    /// Partition → its reassignment in progress.
    pub reassignments: BTreeMap<i32, Reassigning>,
}

/// The replication factor Kafka's describe shows for a partition: during a reassignment
/// that still changes its replica set, the replicas without the ones being added.
fn replication_factor(replicas: &[i32], reassigning: Option<&Reassigning>) -> usize {
    match reassigning {
        Some(reassigning)
            if replicas
                .iter()
                .any(|id| reassigning.adding.contains(id) || reassigning.removing.contains(id)) =>
        {
            replicas
                .iter()
                .filter(|id| !reassigning.adding.contains(id))
                .count()
        }
        _ => replicas.len(),
    }
}

/// Writes the describe block of one topic.
pub fn write_description(
    out: &mut impl Write,
    topic: &TopicMetadata,
    details: &TopicDetails,
    filter: PartitionFilter,
    live_brokers: &[i32],
) -> std::io::Result<()> {
    if !filter.any() {
        let replication_factor = topic.partitions.first().map_or(0, |partition| {
            replication_factor(
                &partition.replicas,
                details.reassignments.get(&partition.partition),
            )
        });
        write!(out, "Topic: {}", topic.name)?;
        if topic.topic_id != [0u8; 16] {
            write!(out, "\tTopicId: {}", topic_id_string(&topic.topic_id))?;
        }
        let configs: Vec<String> = details
            .overrides
            .iter()
            .map(|(name, value)| format!("{name}={}", value.as_deref().unwrap_or("null")))
            .collect();
        writeln!(
            out,
            "\tPartitionCount: {}\tReplicationFactor: {replication_factor}\tConfigs: {}",
            topic.partitions.len(),
            configs.join(",")
        )?;
    }
    for partition in &topic.partitions {
        let reassigning = details.reassignments.get(&partition.partition);
        let has_leader = partition.leader >= 0 && live_brokers.contains(&partition.leader);
        let isr = partition.isr.len();
        let under_replicated = replication_factor(&partition.replicas, reassigning) > isr;
        let under_min_isr = !has_leader || details.min_isr.is_some_and(|min| isr < min);
        let at_min_isr = details.min_isr == Some(isr);
        if (filter.under_replicated && !under_replicated)
            || (filter.unavailable && has_leader)
            || (filter.under_min_isr && !under_min_isr)
            || (filter.at_min_isr && !at_min_isr)
        {
            continue;
        }
        let leader = if has_leader {
            partition.leader.to_string()
        } else {
            "none".to_string()
        };
        write!(
            out,
            "\tTopic: {}\tPartition: {}\tLeader: {leader}\tReplicas: {}\tIsr: {}",
            topic.name,
            partition.partition,
            join(&partition.replicas),
            join(&partition.isr)
        )?;
        if let Some(reassigning) = reassigning {
            if !reassigning.adding.is_empty() {
                write!(out, "\tAdding Replicas: {}", join(&reassigning.adding))?;
            }
            if !reassigning.removing.is_empty() {
                write!(out, "\tRemoving Replicas: {}", join(&reassigning.removing))?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Kafka's text for a topic-level error when the broker sent no message.
fn error_message(error: ResponseError, topic: &str, broker_message: Option<&StrBytes>) -> String {
    if let Some(message) = broker_message.filter(|message| !message.is_empty()) {
        return message.as_str().to_string();
    }
    match error {
        ResponseError::TopicAlreadyExists => format!("Topic '{topic}' already exists."),
        ResponseError::UnknownTopicOrPartition => {
            "This server does not host this topic-partition.".to_string()
        }
        ResponseError::InvalidPartitions => "Number of partitions is invalid.".to_string(),
        ResponseError::InvalidReplicationFactor => "Replication factor is invalid.".to_string(),
        ResponseError::InvalidTopicException => {
            "The request attempted to perform an operation on an invalid topic.".to_string()
        }
        ResponseError::TopicDeletionDisabled => "Topic deletion is disabled.".to_string(),
        ResponseError::PolicyViolation => {
            "Request parameters do not satisfy the configured policy.".to_string()
        }
        other => format!("{other} (error code {})", other.code()),
    }
}

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

fn not_exist(topic: &str) -> KafkaToolError {
    KafkaToolError::Command {
        message: format!("Topic '{topic}' does not exist as expected"),
    }
}

fn io_error(source: std::io::Error) -> KafkaToolError {
    KafkaToolError::Io {
        what: "writing to stdout".to_string(),
        source,
    }
}

/// Runs the command; output goes to `out`.
pub async fn run(args: &TopicsArgs, out: &mut impl Write) -> Result<(), KafkaToolError> {
    let action = args.action()?;
    let properties = load_optional(args.command_config.as_deref())?;
    let config = client_config(
        args.bootstrap_server.as_deref(),
        &properties,
        "adminclient-1",
    )?;
    let client = Client::connect(config).await?;
    match action {
        Action::Create => create(&client, args, out).await,
        Action::List => {
            let topics = client.list_topics().await?;
            let filter = args.topic.as_deref().map(TopicFilter::new).transpose()?;
            for topic in select_topics(&topics, filter.as_ref(), args.exclude_internal) {
                writeln!(out, "{}", topic.name).map_err(io_error)?;
            }
            Ok(())
        }
        Action::Describe => describe(&client, args, out).await,
        Action::Delete => delete(&client, args).await,
        Action::Alter => alter(&client, args).await,
    }
}

async fn create(
    client: &Client,
    args: &TopicsArgs,
    out: &mut impl Write,
) -> Result<(), KafkaToolError> {
    let name = args.topic.clone().unwrap_or_default();
    if name.contains('.') || name.contains('_') {
        writeln!(
            out,
            "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both."
        )
        .map_err(io_error)?;
    }
    let mut topic = CreatableTopic::default();
    topic.name = topic_name(&name);
    topic.num_partitions = args.partitions.unwrap_or(-1);
    topic.replication_factor = args.replication_factor.unwrap_or(-1);
    if let Some(text) = &args.replica_assignment {
        for (index, replicas) in parse_replica_assignment(text)?.into_iter().enumerate() {
            let mut assignment = CreatableReplicaAssignment::default();
            assignment.partition_index = i32::try_from(index).unwrap_or(i32::MAX);
            assignment.broker_ids = replicas.into_iter().map(BrokerId).collect();
            topic.assignments.push(assignment);
        }
    }
    for entry in &args.config {
        let (key, value) = parse_key_value(entry)?;
        let mut config = CreatableTopicConfig::default();
        config.name = StrBytes::from_string(key);
        config.value = Some(StrBytes::from_string(value));
        topic.configs.push(config);
    }
    let mut request = CreateTopicsRequest::default();
    request.topics = vec![topic];
    request.timeout_ms = 30_000;
    let response = client
        .call_controller(&request, |response| {
            response
                .topics
                .iter()
                .any(|topic| topic.error_code == ResponseError::NotController.code())
        })
        .await?;
    for result in &response.topics {
        match ResponseError::try_from_code(result.error_code) {
            None => {}
            Some(ResponseError::TopicAlreadyExists) if args.if_not_exists => return Ok(()),
            Some(error) => {
                return Err(KafkaToolError::Command {
                    message: error_message(error, &name, result.error_message.as_ref()),
                })
            }
        }
    }
    writeln!(out, "Created topic {name}.").map_err(io_error)
}

/// The topics `--topic` selects among all topics; an empty match is an error unless
/// `--if-exists` (for describe and list without `--topic` it is fine).
async fn matching_topics(
    client: &Client,
    args: &TopicsArgs,
) -> Result<Vec<TopicMetadata>, KafkaToolError> {
    let topics = client.list_topics().await?;
    let filter = args.topic.as_deref().map(TopicFilter::new).transpose()?;
    let selected: Vec<TopicMetadata> =
        select_topics(&topics, filter.as_ref(), args.exclude_internal)
            .into_iter()
            .cloned()
            .collect();
    if selected.is_empty() && !args.if_exists {
        if let Some(topic) = &args.topic {
            return Err(not_exist(topic));
        }
    }
    Ok(selected)
}

async fn describe(
    client: &Client,
    args: &TopicsArgs,
    out: &mut impl Write,
) -> Result<(), KafkaToolError> {
    let topics = matching_topics(client, args).await?;
    let filter = PartitionFilter {
        under_replicated: args.under_replicated_partitions,
        unavailable: args.unavailable_partitions,
        under_min_isr: args.under_min_isr_partitions,
        at_min_isr: args.at_min_isr_partitions,
    };
    let mut details = if topics.is_empty() {
        Vec::new()
    } else {
        describe_configs(client, &topics).await?
    };
    let reassignments = list_reassignments(client, &topics).await;
    for (topic, detail) in topics.iter().zip(details.iter_mut()) {
        if let Some(found) = reassignments.get(&topic.name) {
            detail.reassignments = found.clone();
        }
    }
    let live: Vec<i32> = client.cached_metadata().brokers.keys().copied().collect();
    for (index, topic) in topics.iter().enumerate() {
        let topic_details = details.get(index).cloned().unwrap_or_default();
        if args.topics_with_overrides && topic_details.overrides.is_empty() {
            continue;
        }
        write_description(out, topic, &topic_details, filter, &live).map_err(io_error)?;
    }
    Ok(())
}

/// Each topic's non-default config entries and effective `min.insync.replicas`, in order;
/// empty details when the broker does not serve DescribeConfigs.
async fn describe_configs(
    client: &Client,
    topics: &[TopicMetadata],
) -> Result<Vec<TopicDetails>, KafkaToolError> {
    /// ConfigSource DEFAULT_CONFIG.
    const DEFAULT_CONFIG: i8 = 5;
    let connection = client.any_connection().await?;
    if !connection.supports(kafka_protocol::messages::ApiKey::DescribeConfigs) {
        return Ok(topics.iter().map(|_| TopicDetails::default()).collect());
    }
    let mut request = DescribeConfigsRequest::default();
    for topic in topics {
        let mut resource = DescribeConfigsResource::default();
        // ConfigResource.Type TOPIC.
        resource.resource_type = 2;
        resource.resource_name = StrBytes::from_string(topic.name.clone());
        resource.configuration_keys = None;
        request.resources.push(resource);
    }
    let response = connection.call(&request).await?;
    let mut all = Vec::with_capacity(topics.len());
    for topic in topics {
        let mut details = TopicDetails::default();
        if let Some(result) = response
            .results
            .iter()
            .find(|result| result.resource_name.as_str() == topic.name)
        {
            if let Some(error) = ResponseError::try_from_code(result.error_code) {
                return Err(KafkaToolError::Command {
                    message: error_message(error, &topic.name, result.error_message.as_ref()),
                });
            }
            for entry in &result.configs {
                let value = entry.value.as_ref().map(|value| value.as_str().to_string());
                if entry.name.as_str() == "min.insync.replicas" {
                    details.min_isr = value.as_deref().and_then(|text| text.parse().ok());
                }
                if entry.config_source != DEFAULT_CONFIG {
                    details
                        .overrides
                        .push((entry.name.as_str().to_string(), value));
                }
            }
        }
        all.push(details);
    }
    Ok(all)
}

/// The reassignments in progress of `topics`' partitions (topic → partition → adding and
/// removing replicas); none when the controller cannot tell, as Kafka's describe carries
/// on without them.
async fn list_reassignments(
    client: &Client,
    topics: &[TopicMetadata],
) -> BTreeMap<String, BTreeMap<i32, Reassigning>> {
    let mut found: BTreeMap<String, BTreeMap<i32, Reassigning>> = BTreeMap::new();
    if topics.is_empty() {
        return found;
    }
    let mut request = ListPartitionReassignmentsRequest::default();
    request.timeout_ms = 30_000;
    let outcome = client
        .call_controller(&request, |response: &ListPartitionReassignmentsResponse| {
            response.error_code == ResponseError::NotController.code()
        })
        .await;
    let Ok(response) = outcome else {
        return found;
    };
    if response.error_code != 0 {
        return found;
    }
    for topic in &response.topics {
        let name = topic.name.0.as_str();
        if !topics.iter().any(|wanted| wanted.name == name) {
            continue;
        }
        for partition in &topic.partitions {
            found.entry(name.to_string()).or_default().insert(
                partition.partition_index,
                Reassigning {
                    adding: partition.adding_replicas.iter().map(|id| id.0).collect(),
                    removing: partition.removing_replicas.iter().map(|id| id.0).collect(),
                },
            );
        }
    }
    found
}

async fn delete(client: &Client, args: &TopicsArgs) -> Result<(), KafkaToolError> {
    let topics = matching_topics(client, args).await?;
    if topics.is_empty() {
        return Ok(());
    }
    let mut request = DeleteTopicsRequest::default();
    for topic in &topics {
        let mut state = DeleteTopicState::default();
        state.name = Some(topic_name(&topic.name));
        request.topics.push(state);
        request.topic_names.push(topic_name(&topic.name));
    }
    request.timeout_ms = 30_000;
    let response = client
        .call_controller(&request, |response| {
            response
                .responses
                .iter()
                .any(|topic| topic.error_code == ResponseError::NotController.code())
        })
        .await?;
    for result in &response.responses {
        if let Some(error) = ResponseError::try_from_code(result.error_code) {
            let name = result
                .name
                .as_ref()
                .map(|name| name.0.as_str().to_string())
                .unwrap_or_default();
            return Err(KafkaToolError::Command {
                message: error_message(error, &name, result.error_message.as_ref()),
            });
        }
    }
    Ok(())
}

async fn alter(client: &Client, args: &TopicsArgs) -> Result<(), KafkaToolError> {
    let topics = matching_topics(client, args).await?;
    let Some(count) = args.partitions else {
        return Err(KafkaToolError::Command {
            message: "Changing the replica assignment of existing partitions needs kafka-reassign-partitions".to_string(),
        });
    };
    if topics.is_empty() {
        return Ok(());
    }
    let assignments = args
        .replica_assignment
        .as_deref()
        .map(parse_replica_assignment)
        .transpose()?;
    let mut request = CreatePartitionsRequest::default();
    for topic in &topics {
        let mut entry = CreatePartitionsTopic::default();
        entry.name = topic_name(&topic.name);
        entry.count = count;
        if let Some(assignments) = &assignments {
            // Kafka's --replica-assignment for alter lists every partition; the new ones
            // are those past the current count.
            let existing = topic.partitions.len();
            entry.assignments = Some(
                assignments
                    .iter()
                    .skip(existing)
                    .map(|replicas| {
                        let mut assignment =
                            kafka_protocol::messages::create_partitions_request::CreatePartitionsAssignment::default();
                        assignment.broker_ids = replicas.iter().copied().map(BrokerId).collect();
                        assignment
                    })
                    .collect(),
            );
        }
        request.topics.push(entry);
    }
    request.timeout_ms = 30_000;
    let response = client
        .call_controller(&request, |response| {
            response
                .results
                .iter()
                .any(|topic| topic.error_code == ResponseError::NotController.code())
        })
        .await?;
    for result in &response.results {
        if let Some(error) = ResponseError::try_from_code(result.error_code) {
            return Err(KafkaToolError::Command {
                message: error_message(
                    error,
                    result.name.0.as_str(),
                    result.error_message.as_ref(),
                ),
            });
        }
    }
    Ok(())
}

/// The Java exception class Kafka's log line names for a failure.
pub fn exception_class(error: &KafkaToolError) -> &'static str {
    match error {
        KafkaToolError::Command { message } if message.ends_with("already exists.") => {
            "org.apache.kafka.common.errors.TopicExistsException"
        }
        KafkaToolError::Command { message } if message.contains("does not exist as expected") => {
            "java.lang.IllegalArgumentException"
        }
        KafkaToolError::Usage { .. } => "java.lang.IllegalArgumentException",
        _ => "org.apache.kafka.common.KafkaException",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use common::client::cluster::PartitionMetadata;

    fn args(list: &[&str]) -> TopicsArgs {
        let mut all = vec!["kafka-topics"];
        all.extend_from_slice(list);
        TopicsArgs::try_parse_from(all).unwrap()
    }

    fn topic(name: &str, partitions: i32) -> TopicMetadata {
        TopicMetadata {
            name: name.to_string(),
            topic_id: [0; 16],
            is_internal: name.starts_with("__"),
            partitions: (0..partitions)
                .map(|partition| PartitionMetadata {
                    partition,
                    error_code: 0,
                    leader: 0,
                    leader_epoch: 0,
                    replicas: vec![0, 1],
                    isr: if partition == 1 { vec![0] } else { vec![0, 1] },
                    offline_replicas: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn exactly_one_action_and_its_required_options() {
        let error = args(&["--bootstrap-server", "h:1"]).action().unwrap_err();
        assert_eq!(
            error.to_string(),
            "Command must include exactly one action: --list, --describe, --create, --alter or --delete"
        );
        let error = args(&["--bootstrap-server", "h:1", "--create"])
            .action()
            .unwrap_err();
        assert_eq!(error.to_string(), "Missing required argument \"[topic]\"");
        assert_eq!(
            args(&["--bootstrap-server", "h:1", "--list"])
                .action()
                .unwrap(),
            Action::List
        );
        let error = args(&["--bootstrap-server", "h:1", "--list", "--if-not-exists"])
            .action()
            .unwrap_err();
        assert!(error.to_string().contains("if-not-exists"));
        let error = args(&["--bootstrap-server", "h:1", "--alter", "--topic", "t"])
            .action()
            .unwrap_err();
        assert!(error.to_string().contains("[partitions]"));
    }

    #[test]
    fn replica_assignment_parses_partitions_and_replicas() {
        assert_eq!(
            parse_replica_assignment("0:1,1:2,2:0").unwrap(),
            vec![vec![0, 1], vec![1, 2], vec![2, 0]]
        );
        assert!(parse_replica_assignment("0:0").is_err());
        assert!(parse_replica_assignment("0:1,2").is_err());
        assert!(parse_replica_assignment("a").is_err());
    }

    #[test]
    fn topic_filter_is_a_whole_name_regex_with_commas_as_alternatives() {
        let filter = TopicFilter::new("test.*").unwrap();
        assert!(filter.matches("test-1"));
        assert!(!filter.matches("my-test"));
        let filter = TopicFilter::new("'a,b'").unwrap();
        assert!(filter.matches("a") && filter.matches("b") && !filter.matches("ab"));
        let topics = vec![topic("b", 1), topic("__consumer_offsets", 1), topic("a", 1)];
        let names: Vec<&str> = select_topics(&topics, None, false)
            .iter()
            .map(|topic| topic.name.as_str())
            .collect();
        assert_eq!(names, vec!["__consumer_offsets", "a", "b"]);
        let names: Vec<&str> = select_topics(&topics, None, true)
            .iter()
            .map(|topic| topic.name.as_str())
            .collect();
        assert_eq!(names, vec!["a", "b"]);
    }

    #[test]
    fn describe_prints_kafkas_lines() {
        let mut out = Vec::new();
        let details = TopicDetails {
            overrides: vec![("segment.bytes".to_string(), Some("1073741824".to_string()))],
            ..TopicDetails::default()
        };
        write_description(
            &mut out,
            &topic("quickstart-events", 1),
            &details,
            PartitionFilter::default(),
            &[0, 1],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Topic: quickstart-events\tPartitionCount: 1\tReplicationFactor: 2\tConfigs: segment.bytes=1073741824\n\tTopic: quickstart-events\tPartition: 0\tLeader: 0\tReplicas: 0,1\tIsr: 0,1\n"
        );
        let mut with_id = topic("t", 1);
        with_id.topic_id = [1; 16];
        let mut out = Vec::new();
        write_description(
            &mut out,
            &with_id,
            &TopicDetails::default(),
            PartitionFilter::default(),
            &[],
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("Topic: t\tTopicId: AQEBAQEBAQEBAQEBAQEBAQ\tPartitionCount: 1"),
            "{text}"
        );
        assert!(text.contains("Leader: none"), "{text}");
    }

    #[test]
    fn under_replicated_filter_prints_only_matching_partitions() {
        let mut out = Vec::new();
        let filter = PartitionFilter {
            under_replicated: true,
            ..PartitionFilter::default()
        };
        write_description(
            &mut out,
            &topic("t", 3),
            &TopicDetails::default(),
            filter,
            &[0, 1],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\tTopic: t\tPartition: 1\tLeader: 0\tReplicas: 0,1\tIsr: 0\n"
        );
    }

    fn described(topic: &TopicMetadata, details: &TopicDetails, filter: PartitionFilter) -> String {
        let mut out = Vec::new();
        write_description(&mut out, topic, details, filter, &[0, 1]).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn min_isr_filters_use_the_topics_min_insync_replicas() {
        let details = TopicDetails {
            min_isr: Some(2),
            ..TopicDetails::default()
        };
        let under = PartitionFilter {
            under_min_isr: true,
            ..PartitionFilter::default()
        };
        assert_eq!(
            described(&topic("t", 3), &details, under),
            "\tTopic: t\tPartition: 1\tLeader: 0\tReplicas: 0,1\tIsr: 0\n"
        );
        let at = PartitionFilter {
            at_min_isr: true,
            ..PartitionFilter::default()
        };
        let text = described(&topic("t", 3), &details, at);
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(!text.contains("Partition: 1\t"), "{text}");
        // A partition without a live leader is under its minimum whatever its ISR.
        let mut leaderless = topic("t", 1);
        leaderless.partitions[0].leader = 7;
        assert!(described(&leaderless, &details, under).contains("Leader: none"));
        // Both filters: only partitions matching each.
        let both = PartitionFilter {
            under_min_isr: true,
            at_min_isr: true,
            ..PartitionFilter::default()
        };
        assert_eq!(described(&topic("t", 3), &details, both), "");
    }

    #[test]
    fn reassignments_show_their_replicas_and_the_target_replication_factor() {
        let mut moving = topic("t", 1);
        moving.partitions[0].replicas = vec![1, 2, 0];
        moving.partitions[0].isr = vec![0, 1];
        let details = TopicDetails {
            reassignments: [(
                0,
                Reassigning {
                    adding: vec![1, 2],
                    removing: vec![0],
                },
            )]
            .into(),
            ..TopicDetails::default()
        };
        let text = described(&moving, &details, PartitionFilter::default());
        assert_eq!(
            text,
            "Topic: t\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: \n\tTopic: t\tPartition: 0\tLeader: 0\tReplicas: 1,2,0\tIsr: 0,1\tAdding Replicas: 1,2\tRemoving Replicas: 0\n"
        );
        // One replica (the original) and two in sync: not under-replicated.
        let under = PartitionFilter {
            under_replicated: true,
            ..PartitionFilter::default()
        };
        assert_eq!(described(&moving, &details, under), "");
    }

    #[test]
    fn error_texts_prefer_the_brokers_message() {
        assert_eq!(
            error_message(ResponseError::TopicAlreadyExists, "x", None),
            "Topic 'x' already exists."
        );
        let message = StrBytes::from_static_str("Topic 'x' already exists.");
        assert_eq!(
            error_message(ResponseError::TopicAlreadyExists, "y", Some(&message)),
            "Topic 'x' already exists."
        );
    }
}
