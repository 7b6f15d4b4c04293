//! `kafka-console-consumer`: reads a topic (all its partitions, or one with `--partition`)
//! and prints each record with the default formatter ([`super::formatter`]).
//!
//! Start: `--offset earliest|latest|N` with `--partition`; otherwise `--from-beginning`
//! (earliest) or the log end. Stop: `--max-messages` reached, `--timeout-ms` without a
//! record (Kafka logs an ERROR with `TimeoutException`), SIGINT/SIGTERM, or stdout closed.
//! Each way ends with `Processed a total of N messages` on stderr.
//!
//! Groups, as Kafka 3.x's console consumer: with `--partition` the partition is assigned
//! (no group may be given); otherwise the topic is subscribed through a consumer group —
//! `--group`, `group.id` from `--consumer.config` or `--consumer-property` (they must
//! agree), else a fresh `console-consumer-NNNNN` group with auto commit off unless
//! `enable.auto.commit` says otherwise. A group without a committed offset starts where
//! `auto.offset.reset` points (`--from-beginning`: earliest; default latest). On every way
//! out the consumer commits what it printed (when auto commit is on) and leaves the group,
//! so a rerun with the same group resumes after the last printed record.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use common::client::consumer::ConsumerConfig;
use common::client::{
    Assignor, Client, ClientError, ConsumedRecord, Consumer, FetchConfig, Fetcher, OffsetReset,
    OffsetSpec, StartPosition,
};
use common::properties::Properties;

use super::config::{
    apply_overrides, client_config, fetch_config, isolation_level, load_optional, parse_key_value,
};
use super::formatter::{write_record, FormatterOptions};
use super::log_line;
use crate::error::KafkaToolError;

/// Kafka's console consumer options.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "kafka-console-consumer",
    about = "This tool helps to read data from Kafka topics and outputs it to standard output.",
    version
)]
pub struct ConsumerArgs {
    /// REQUIRED: The server(s) to connect to.
    #[arg(long = "bootstrap-server", value_name = "server to connect to")]
    pub bootstrap_server: Option<String>,
    /// The topic to consume on.
    #[arg(long, value_name = "topic")]
    pub topic: Option<String>,
    /// Regular expression specifying list of topics to include for consumption (accepted;
    /// only exact names are read).
    #[arg(long, value_name = "Java regex (String)")]
    pub include: Option<String>,
    /// The partition to consume from. Consumption starts from the end of the partition
    /// unless '--offset' is specified.
    #[arg(long, value_name = "partition")]
    pub partition: Option<i32>,
    /// The offset to consume from (a non-negative number), or 'earliest' which means from
    /// beginning, or 'latest' which means from end
    #[arg(long, value_name = "consume offset")]
    pub offset: Option<String>,
    /// If the consumer does not already have an established offset to consume from, start
    /// with the earliest message present in the log rather than the latest message.
    #[arg(long = "from-beginning")]
    pub from_beginning: bool,
    /// The maximum number of messages to consume before exiting. If not set, consumption is
    /// continual.
    #[arg(long = "max-messages", value_name = "num_messages")]
    pub max_messages: Option<u64>,
    /// If specified, exit if no message is available for consumption for the specified
    /// interval.
    #[arg(long = "timeout-ms", value_name = "timeout_ms")]
    pub timeout_ms: Option<u64>,
    /// The properties to initialize the message formatter.
    #[arg(long = "property", value_name = "prop")]
    pub property: Vec<String>,
    /// The name of a class to use for formatting kafka messages for display.
    #[arg(
        long,
        value_name = "class",
        default_value = "kafka.tools.DefaultMessageFormatter"
    )]
    pub formatter: String,
    /// Config properties file to initialize the message formatter.
    #[arg(long = "formatter-config", value_name = "config file")]
    pub formatter_config: Option<PathBuf>,
    /// A mechanism to pass user-defined properties in the form key=value to the consumer.
    #[arg(long = "consumer-property", value_name = "consumer_prop")]
    pub consumer_property: Vec<String>,
    /// Consumer config properties file.
    #[arg(long = "consumer.config", value_name = "config file")]
    pub consumer_config: Option<PathBuf>,
    /// The consumer group id of the consumer.
    #[arg(long, value_name = "consumer group id")]
    pub group: Option<String>,
    /// Set to read_committed in order to filter out transactional messages which are not
    /// committed. Set to read_uncommitted to read all messages.
    #[arg(
        long = "isolation-level",
        value_name = "String",
        default_value = "read_uncommitted"
    )]
    pub isolation_level: String,
    /// If there is an error when processing a message, skip it instead of halt.
    #[arg(long = "skip-message-on-error")]
    pub skip_message_on_error: bool,
    /// Accepted for compatibility; keys are printed as bytes.
    #[arg(long = "key-deserializer", value_name = "deserializer for key")]
    pub key_deserializer: Option<String>,
    /// Accepted for compatibility; values are printed as bytes.
    #[arg(long = "value-deserializer", value_name = "deserializer for values")]
    pub value_deserializer: Option<String>,
}

/// Where to start and which partitions, checked as Kafka checks them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerPlan {
    pub bootstrap: String,
    pub topic: String,
    pub partition: Option<i32>,
    pub start: StartPosition,
    pub reset: OffsetReset,
    pub max_messages: Option<u64>,
    pub timeout: Option<Duration>,
    pub formatter: FormatterOptions,
    /// The group to subscribe through (`None` with `--partition`).
    pub group: Option<GroupChoice>,
}

/// Which group a subscribing console consumer joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupChoice {
    /// Given on the command line or in the consumer properties: auto commit on by default.
    Given(String),
    /// Made up for this run: auto commit off by default.
    Generated(String),
}

impl GroupChoice {
    /// The group id.
    pub fn id(&self) -> &str {
        match self {
            GroupChoice::Given(id) | GroupChoice::Generated(id) => id,
        }
    }
}

impl ConsumerArgs {
    /// Validates the option combination (Kafka's messages) and resolves the plan.
    pub fn plan(&self) -> Result<ConsumerPlan, KafkaToolError> {
        let usage = |message: &str| KafkaToolError::Usage {
            message: message.to_string(),
        };
        let bootstrap = self
            .bootstrap_server
            .clone()
            .ok_or_else(|| usage("Missing required argument \"[bootstrap-server]\""))?;
        let topic = match (&self.topic, &self.include) {
            (Some(topic), None) => topic.clone(),
            (None, Some(include)) => include.clone(),
            _ => return Err(usage("Exactly one of include/topic is required.")),
        };
        if self.formatter != "kafka.tools.DefaultMessageFormatter"
            && self.formatter != "org.apache.kafka.tools.consumer.DefaultMessageFormatter"
        {
            return Err(usage(&format!(
                "The formatter {} is not available: only the default formatter is",
                self.formatter
            )));
        }
        if self.partition.is_none() && self.offset.is_some() {
            return Err(usage("The partition is required when offset is specified."));
        }
        if self.from_beginning && self.offset.is_some() {
            return Err(usage(
                "Options from-beginning and offset cannot be specified together.",
            ));
        }
        let properties = self.consumer_properties()?;
        let file_properties = load_optional(self.consumer_config.as_deref())?;
        let mut command_line = Properties::default();
        apply_overrides(&mut command_line, &self.consumer_property)?;
        let mut group_ids: Vec<String> = Vec::new();
        for candidate in [
            self.group.as_deref(),
            file_properties.get("group.id"),
            command_line.get("group.id"),
        ]
        .into_iter()
        .flatten()
        {
            if !group_ids.iter().any(|known| known == candidate) {
                group_ids.push(candidate.to_string());
            }
        }
        if group_ids.len() > 1 {
            return Err(usage(&format!(
                "The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: '{}'",
                group_ids.join("', '")
            )));
        }
        let group = match group_ids.into_iter().next() {
            Some(id) => {
                if self.partition.is_some() {
                    return Err(usage(
                        "Options group and partition cannot be specified together.",
                    ));
                }
                Some(GroupChoice::Given(id))
            }
            None if self.partition.is_some() => None,
            None => Some(GroupChoice::Generated(format!(
                "console-consumer-{}",
                rand::random::<u32>() % 100_000
            ))),
        };
        let reset = match properties.get("auto.offset.reset").map(str::trim) {
            Some(value) if self.from_beginning && value != "earliest" => {
                // Kafka's message keeps its unfilled placeholder.
                return Err(usage(
                    "Can't simultaneously specify --from-beginning and 'auto.offset.reset=%s', since the two options are contradictory.",
                ));
            }
            _ if self.from_beginning => OffsetReset::Earliest,
            None | Some("latest") => OffsetReset::Latest,
            Some("earliest") => OffsetReset::Earliest,
            Some("none") => OffsetReset::None,
            Some(other) => {
                return Err(KafkaToolError::InvalidConfig {
                    key: "auto.offset.reset".to_string(),
                    value: other.to_string(),
                    reason: "String must be one of: latest, earliest, none".to_string(),
                })
            }
        };
        let start = match self.offset.as_deref() {
            None if self.from_beginning => StartPosition::Spec(OffsetSpec::Earliest),
            None | Some("latest") => StartPosition::Spec(OffsetSpec::Latest),
            Some("earliest") => StartPosition::Spec(OffsetSpec::Earliest),
            Some(number) => match number.parse::<i64>() {
                Ok(offset) if offset >= 0 => StartPosition::Offset(offset),
                _ => {
                    return Err(usage(&format!(
                        "The provided offset value '{number}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."
                    )))
                }
            },
        };
        let mut pairs = Vec::new();
        if let Some(path) = &self.formatter_config {
            let file = load_optional(Some(path))?;
            for (key, value, _) in file.iter() {
                pairs.push((key.to_string(), value.to_string()));
            }
        }
        for property in &self.property {
            pairs.push(parse_key_value(property)?);
        }
        Ok(ConsumerPlan {
            bootstrap,
            topic,
            partition: self.partition,
            start,
            reset,
            max_messages: self.max_messages,
            timeout: self.timeout_ms.map(Duration::from_millis),
            formatter: FormatterOptions::from_properties(&pairs),
            group,
        })
    }

    /// `--consumer.config` with `--consumer-property` on top.
    fn consumer_properties(&self) -> Result<Properties, KafkaToolError> {
        let mut properties = load_optional(self.consumer_config.as_deref())?;
        apply_overrides(&mut properties, &self.consumer_property)?;
        Ok(properties)
    }

    fn fetch_config(&self, plan: &ConsumerPlan) -> Result<FetchConfig, KafkaToolError> {
        let properties = self.consumer_properties()?;
        let mut config = fetch_config(&properties)?;
        config.isolation_level = isolation_level(&self.isolation_level)?;
        config.offset_reset = plan.reset;
        Ok(config)
    }

    /// The group consumer settings: `group.instance.id`, `session.timeout.ms`,
    /// `heartbeat.interval.ms`, `max.poll.interval.ms`, `partition.assignment.strategy`,
    /// `enable.auto.commit`, `auto.commit.interval.ms`, `client.rack`.
    fn consumer_config(
        &self,
        plan: &ConsumerPlan,
        group: &GroupChoice,
    ) -> Result<ConsumerConfig, KafkaToolError> {
        let properties = self.consumer_properties()?;
        let mut config = ConsumerConfig::new(group.id());
        config.fetch = self.fetch_config(plan)?;
        config.enable_auto_commit = matches!(group, GroupChoice::Given(_));
        let millis = |key: &str| -> Result<Option<Duration>, KafkaToolError> {
            match properties.get(key) {
                None => Ok(None),
                Some(value) => value
                    .trim()
                    .parse::<u64>()
                    .map(|millis| Some(Duration::from_millis(millis)))
                    .map_err(|_| KafkaToolError::InvalidConfig {
                        key: key.to_string(),
                        value: value.to_string(),
                        reason: "Not a number".to_string(),
                    }),
            }
        };
        if let Some(value) = millis("session.timeout.ms")? {
            config.group.session_timeout = value;
        }
        if let Some(value) = millis("heartbeat.interval.ms")? {
            config.group.heartbeat_interval = value;
        }
        if let Some(value) = millis("max.poll.interval.ms")? {
            config.group.rebalance_timeout = value;
        }
        if let Some(value) = millis("auto.commit.interval.ms")? {
            config.auto_commit_interval = value;
        }
        if let Some(value) = properties.get("enable.auto.commit") {
            config.enable_auto_commit = match value.trim() {
                "true" => true,
                "false" => false,
                other => {
                    return Err(KafkaToolError::InvalidConfig {
                        key: "enable.auto.commit".to_string(),
                        value: other.to_string(),
                        reason: "Expected value to be either true or false".to_string(),
                    })
                }
            };
        }
        if let Some(value) = properties.get("group.instance.id") {
            config.group.group_instance_id = Some(value.trim().to_string());
        }
        if let Some(value) = properties.get("client.rack") {
            config.group.client_rack = Some(value.trim().to_string());
        }
        if let Some(value) = properties.get("partition.assignment.strategy") {
            let mut assignors = Vec::new();
            for name in value
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
            {
                let assignor =
                    Assignor::from_name(name).ok_or_else(|| KafkaToolError::InvalidConfig {
                        key: "partition.assignment.strategy".to_string(),
                        value: name.to_string(),
                        reason: "only range and roundrobin are supported".to_string(),
                    })?;
                assignors.push(assignor);
            }
            if !assignors.is_empty() {
                config.group.assignors = assignors;
            }
        }
        Ok(config)
    }
}

/// Where records come from: assigned partitions, or a group subscription.
enum Source {
    Assigned(Fetcher),
    Subscribed(Box<Consumer>),
}

impl Source {
    async fn poll(&mut self) -> Result<Vec<ConsumedRecord>, ClientError> {
        match self {
            Source::Assigned(fetcher) => fetcher.poll().await,
            Source::Subscribed(consumer) => consumer.poll().await,
        }
    }

    fn set_max_wait(&mut self, max_wait: Duration) {
        match self {
            Source::Assigned(fetcher) => fetcher.set_max_wait(max_wait),
            Source::Subscribed(consumer) => consumer.set_max_wait(max_wait),
        }
    }

    /// Moves positions back to the first record of each partition in `unprinted`, so the
    /// commit on close covers only what was printed.
    fn rewind(&mut self, unprinted: &[ConsumedRecord]) {
        let mut first: std::collections::BTreeMap<(&str, i32), i64> =
            std::collections::BTreeMap::new();
        for record in unprinted {
            first
                .entry((&record.topic, record.partition))
                .and_modify(|offset| *offset = (*offset).min(record.offset))
                .or_insert(record.offset);
        }
        for ((topic, partition), offset) in first {
            match self {
                Source::Assigned(fetcher) => {
                    fetcher.seek(topic, partition, offset);
                }
                Source::Subscribed(consumer) => {
                    consumer.seek(topic, partition, offset);
                }
            }
        }
    }

    /// Commits (group consumers with auto commit) and leaves the group.
    async fn close(self) -> Result<(), ClientError> {
        match self {
            Source::Assigned(_) => Ok(()),
            Source::Subscribed(consumer) => consumer.close().await,
        }
    }
}

/// Why consumption ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    MaxMessages,
    Timeout,
    Signal(i32),
    OutputClosed,
}

/// Runs the consumer; returns how many records were printed and why it stopped. The total
/// line is printed by the caller.
pub async fn run(
    args: &ConsumerArgs,
    plan: &ConsumerPlan,
    out: &mut impl Write,
    processed: &mut u64,
) -> Result<StopReason, KafkaToolError> {
    let mut properties = load_optional(args.consumer_config.as_deref())?;
    apply_overrides(&mut properties, &args.consumer_property)?;
    let config = client_config(Some(&plan.bootstrap), &properties, "console-consumer")?;
    let client = Arc::new(Client::connect(config).await?);
    let fetch = args.fetch_config(plan)?;
    let mut source = match &plan.group {
        None => {
            let mut fetcher = Fetcher::new(client.clone(), fetch.clone());
            let metadata = client.topic(&plan.topic, false).await?;
            let partitions: Vec<i32> = match plan.partition {
                Some(partition) => vec![partition],
                None => metadata
                    .partitions
                    .iter()
                    .map(|entry| entry.partition)
                    .collect(),
            };
            for partition in partitions {
                fetcher.assign(&plan.topic, partition, plan.start).await?;
            }
            Source::Assigned(fetcher)
        }
        Some(group) => {
            let config = args.consumer_config(plan, group)?;
            let consumer = Consumer::subscribe(client.clone(), config, vec![plan.topic.clone()]);
            let mut signals = Signals::new()?;
            tokio::select! {
                signal = signals.next() => return Ok(StopReason::Signal(signal)),
                consumer = consumer => Source::Subscribed(Box::new(consumer?)),
            }
        }
    };
    let outcome = consume(&mut source, plan, &fetch, out, processed).await;
    let closed = source.close().await;
    let reason = outcome?;
    if let Err(error) = closed {
        eprintln!(
            "{}",
            log_line(
                "WARN",
                &format!("Closing the consumer failed: {error}"),
                "kafka.tools.ConsoleConsumer$"
            )
        );
    }
    Ok(reason)
}

/// Prints records until a stop condition; positions past what was printed are rewound.
async fn consume(
    source: &mut Source,
    plan: &ConsumerPlan,
    fetch: &FetchConfig,
    out: &mut impl Write,
    processed: &mut u64,
) -> Result<StopReason, KafkaToolError> {
    let mut signals = Signals::new()?;
    let mut last_record = Instant::now();
    loop {
        if plan.max_messages.is_some_and(|max| *processed >= max) {
            return Ok(StopReason::MaxMessages);
        }
        if let Some(timeout) = plan.timeout {
            let waited = last_record.elapsed();
            if waited >= timeout {
                return Ok(StopReason::Timeout);
            }
            // The long poll never outlasts the time left before the timeout.
            let left = timeout - waited;
            source.set_max_wait(left.min(fetch.max_wait));
        }
        let records = tokio::select! {
            signal = signals.next() => return Ok(StopReason::Signal(signal)),
            records = source.poll() => records?,
        };
        if !records.is_empty() {
            last_record = Instant::now();
        }
        for (index, record) in records.iter().enumerate() {
            let full = plan.max_messages.is_some_and(|max| *processed >= max);
            if full || write_record(out, record, &plan.formatter).is_err() {
                source.rewind(records.get(index..).unwrap_or_default());
                if full {
                    break;
                }
                return Ok(StopReason::OutputClosed);
            }
            *processed += 1;
        }
        if out.flush().is_err() {
            return Ok(StopReason::OutputClosed);
        }
    }
}

/// SIGINT and SIGTERM.
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Signals, KafkaToolError> {
        use tokio::signal::unix::{signal, SignalKind};
        let io = |source| KafkaToolError::Io {
            what: "installing signal handlers".to_string(),
            source,
        };
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt()).map_err(io)?,
            terminate: signal(SignalKind::terminate()).map_err(io)?,
        })
    }

    /// The number of the next signal received.
    async fn next(&mut self) -> i32 {
        tokio::select! {
            _ = self.interrupt.recv() => 2,
            _ = self.terminate.recv() => 15,
        }
    }
}

/// The ERROR line Kafka's console consumer logs when `--timeout-ms` expires.
pub fn timeout_message() -> String {
    format!(
        "{}\norg.apache.kafka.common.errors.TimeoutException",
        log_line(
            "ERROR",
            "Error processing message, terminating consumer process: ",
            "kafka.tools.ConsoleConsumer$"
        )
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<ConsumerPlan, KafkaToolError> {
        let mut all = vec!["kafka-console-consumer"];
        all.extend_from_slice(args);
        ConsumerArgs::try_parse_from(all).unwrap().plan()
    }

    #[test]
    fn start_positions_follow_kafkas_options() {
        let plan = parse(&["--bootstrap-server", "h:1", "--topic", "t"]).unwrap();
        assert_eq!(plan.start, StartPosition::Spec(OffsetSpec::Latest));
        let plan = parse(&[
            "--bootstrap-server",
            "h:1",
            "--topic",
            "t",
            "--from-beginning",
        ])
        .unwrap();
        assert_eq!(plan.start, StartPosition::Spec(OffsetSpec::Earliest));
        assert_eq!(plan.reset, OffsetReset::Earliest);
        let plan = parse(&[
            "--bootstrap-server",
            "h:1",
            "--topic",
            "t",
            "--partition",
            "1",
            "--offset",
            "5",
        ])
        .unwrap();
        assert_eq!(plan.start, StartPosition::Offset(5));
        assert_eq!(plan.partition, Some(1));
        let plan = parse(&[
            "--bootstrap-server",
            "h:1",
            "--topic",
            "t",
            "--partition",
            "0",
            "--offset",
            "earliest",
        ])
        .unwrap();
        assert_eq!(plan.start, StartPosition::Spec(OffsetSpec::Earliest));
    }

    #[test]
    fn inconsistent_options_get_kafkas_messages() {
        let error =
            parse(&["--bootstrap-server", "h:1", "--topic", "t", "--offset", "5"]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "The partition is required when offset is specified."
        );
        let error = parse(&[
            "--bootstrap-server",
            "h:1",
            "--topic",
            "t",
            "--partition",
            "0",
            "--offset",
            "1",
            "--from-beginning",
        ])
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "Options from-beginning and offset cannot be specified together."
        );
        let error = parse(&["--topic", "t"]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Missing required argument \"[bootstrap-server]\""
        );
        let error = parse(&["--bootstrap-server", "h:1"]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Exactly one of include/topic is required."
        );
    }

    #[test]
    fn properties_reach_the_formatter() {
        let plan = parse(&[
            "--bootstrap-server",
            "h:1",
            "--topic",
            "t",
            "--property",
            "print.key=true",
            "--property",
            "key.separator=:",
        ])
        .unwrap();
        assert!(plan.formatter.print_key);
        assert_eq!(plan.formatter.key_separator, ":");
    }

    #[test]
    fn group_choice_follows_kafkas_rules() {
        let plan = parse(&["--bootstrap-server", "h:1", "--topic", "t", "--group", "g"]).unwrap();
        assert_eq!(plan.group, Some(GroupChoice::Given("g".to_string())));
        let plan = parse(&[
            "--bootstrap-server",
            "h:1",
            "--topic",
            "t",
            "--consumer-property",
            "group.id=g",
        ])
        .unwrap();
        assert_eq!(plan.group, Some(GroupChoice::Given("g".to_string())));
        let plan = parse(&["--bootstrap-server", "h:1", "--topic", "t"]).unwrap();
        let Some(GroupChoice::Generated(id)) = plan.group else {
            panic!("expected a generated group");
        };
        let number: u32 = id
            .strip_prefix("console-consumer-")
            .unwrap()
            .parse()
            .unwrap();
        assert!(number < 100_000);
        let plan = parse(&[
            "--bootstrap-server",
            "h:1",
            "--topic",
            "t",
            "--partition",
            "0",
        ])
        .unwrap();
        assert_eq!(plan.group, None);
        let error = parse(&[
            "--bootstrap-server",
            "h:1",
            "--topic",
            "t",
            "--partition",
            "0",
            "--group",
            "g",
        ])
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "Options group and partition cannot be specified together."
        );
        let error = parse(&[
            "--bootstrap-server",
            "h:1",
            "--topic",
            "t",
            "--group",
            "a",
            "--consumer-property",
            "group.id=b",
        ])
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: 'a', 'b'"
        );
    }

    #[test]
    fn offset_reset_comes_from_from_beginning_or_the_properties() {
        let plan = parse(&[
            "--bootstrap-server",
            "h:1",
            "--topic",
            "t",
            "--consumer-property",
            "auto.offset.reset=earliest",
        ])
        .unwrap();
        assert_eq!(plan.reset, OffsetReset::Earliest);
        let error = parse(&[
            "--bootstrap-server",
            "h:1",
            "--topic",
            "t",
            "--from-beginning",
            "--consumer-property",
            "auto.offset.reset=latest",
        ])
        .unwrap_err();
        assert!(error
            .to_string()
            .starts_with("Can't simultaneously specify --from-beginning"));
    }

    #[test]
    fn timeout_message_names_the_exception() {
        let message = timeout_message();
        assert!(message.contains(
            "ERROR Error processing message, terminating consumer process:  (kafka.tools.ConsoleConsumer$)"
        ));
        assert!(message.ends_with("\norg.apache.kafka.common.errors.TimeoutException"));
    }
}
