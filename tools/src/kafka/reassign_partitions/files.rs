//! The pure half of `kafka-reassign-partitions`: Kafka's file formats (the reassignment
//! JSON read by `--execute`, `--verify` and `--cancel` and printed by `--generate` and
//! `--execute`; the topics-to-move JSON; `--broker-list`) with the checks and messages of
//! Kafka's tool, the `--generate` proposal, and the `--verify` and `--list` texts.

use std::collections::{BTreeMap, BTreeSet};

pub use broker::cluster::assignment::BrokerRack;
use broker::cluster::assignment::{assign_replicas, assign_replicas_rack_aware, AssignmentError};
use serde::Serialize;

use crate::error::KafkaToolError;
use crate::kafka::{show_partition, TopicPartition};

/// A failure Kafka's tool prints as `Error: <message>`.
pub(super) fn failure(message: impl Into<String>) -> KafkaToolError {
    KafkaToolError::Command {
        message: format!("Error: {}", message.into()),
    }
}

/// One partition of a reassignment file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionTarget {
    pub partition: TopicPartition,
    pub replicas: Vec<i32>,
    pub log_dirs: Vec<String>,
}

const ANY_LOG_DIR: &str = "any";

fn json(text: &str) -> Result<serde_json::Value, KafkaToolError> {
    serde_json::from_str(text).map_err(|_| failure("The input string is not a valid JSON"))
}

fn json_version(value: &serde_json::Value) -> Result<(), KafkaToolError> {
    match value.get("version") {
        None => Ok(()),
        Some(version) if version.as_i64() == Some(1) => Ok(()),
        Some(version) => Err(failure(format!(
            "Not supported version field value {version}"
        ))),
    }
}

fn int_list(value: Option<&serde_json::Value>) -> Option<Vec<i32>> {
    value?
        .as_array()?
        .iter()
        .map(|id| id.as_i64().and_then(|id| i32::try_from(id).ok()))
        .collect()
}

/// Reads a reassignment file (`--execute`, `--verify`, `--cancel`).
pub fn parse_reassignment_json(text: &str) -> Result<Vec<PartitionTarget>, KafkaToolError> {
    let value = json(text)?;
    json_version(&value)?;
    let mut targets = Vec::new();
    let Some(entries) = value
        .get("partitions")
        .and_then(serde_json::Value::as_array)
    else {
        return Ok(targets);
    };
    for entry in entries {
        let topic = entry.get("topic").and_then(serde_json::Value::as_str);
        let partition = entry
            .get("partition")
            .and_then(serde_json::Value::as_i64)
            .and_then(|number| i32::try_from(number).ok());
        let replicas = int_list(entry.get("replicas"));
        let (Some(topic), Some(partition), Some(replicas)) = (topic, partition, replicas) else {
            return Err(failure(format!(
                "Each partition entry needs a \"topic\" string, a \"partition\" number and a \"replicas\" list of broker ids: {entry}"
            )));
        };
        let log_dirs: Vec<String> = match entry.get("log_dirs") {
            None => vec![ANY_LOG_DIR.to_owned(); replicas.len()],
            Some(dirs) => dirs
                .as_array()
                .and_then(|dirs| {
                    dirs.iter()
                        .map(|dir| dir.as_str().map(str::to_owned))
                        .collect::<Option<Vec<String>>>()
                })
                .ok_or_else(|| {
                    failure(format!("\"log_dirs\" is not a list of strings: {entry}"))
                })?,
        };
        let partition = (topic.to_owned(), partition);
        if log_dirs.len() != replicas.len() {
            return Err(failure(format!(
                "Size of replicas list {} is different from size of log dirs list {} for partition {}",
                java_list(&replicas),
                java_list(&log_dirs),
                show_partition(&partition)
            )));
        }
        targets.push(PartitionTarget {
            partition,
            replicas,
            log_dirs,
        });
    }
    Ok(targets)
}

/// `[1, 2]`, as Java prints a list.
fn java_list<T: ToString>(items: &[T]) -> String {
    let parts: Vec<String> = items.iter().map(ToString::to_string).collect();
    format!("[{}]", parts.join(", "))
}

fn joined<T: ToString>(items: &[T]) -> String {
    let parts: Vec<String> = items.iter().map(ToString::to_string).collect();
    parts.join(",")
}

/// The checks `--execute` makes on its file; the partitions and their target replicas.
pub fn validate_execute(
    targets: &[PartitionTarget],
) -> Result<BTreeMap<TopicPartition, Vec<i32>>, KafkaToolError> {
    if targets.is_empty() {
        return Err(failure("Partition reassignment list cannot be empty"));
    }
    if targets.iter().any(|target| target.replicas.is_empty()) {
        return Err(failure("Partition replica list cannot be empty"));
    }
    let mut seen = BTreeSet::new();
    let mut duplicated = BTreeSet::new();
    for target in targets {
        if !seen.insert(target.partition.clone()) {
            duplicated.insert(target.partition.clone());
        }
    }
    if !duplicated.is_empty() {
        let shown: Vec<String> = duplicated.iter().map(show_partition).collect();
        return Err(failure(format!(
            "Partition reassignment contains duplicate topic partitions: {}",
            shown.join(",")
        )));
    }
    let mut complaints = Vec::new();
    for target in targets {
        let mut counted: BTreeMap<i32, usize> = BTreeMap::new();
        for replica in &target.replicas {
            *counted.entry(*replica).or_default() += 1;
        }
        let repeated: Vec<i32> = counted
            .into_iter()
            .filter(|(_, count)| *count > 1)
            .map(|(replica, _)| replica)
            .collect();
        if !repeated.is_empty() {
            complaints.push(format!(
                "{} contains multiple entries for {}",
                show_partition(&target.partition),
                joined(&repeated)
            ));
        }
    }
    if !complaints.is_empty() {
        return Err(failure(format!(
            "Partition replica lists may not contain duplicate entries: {}",
            complaints.join(". ")
        )));
    }
    if let Some(target) = targets
        .iter()
        .find(|target| target.log_dirs.iter().any(|dir| dir != ANY_LOG_DIR))
    {
        return Err(failure(format!(
            "Partition {} names log dirs {}: moving replicas between log dirs is not supported, use \"any\"",
            show_partition(&target.partition),
            java_list(&target.log_dirs)
        )));
    }
    Ok(targets
        .iter()
        .map(|target| (target.partition.clone(), target.replicas.clone()))
        .collect())
}

/// Reads a topics-to-move file (`--generate`).
pub fn parse_topics_json(text: &str) -> Result<Vec<String>, KafkaToolError> {
    let value = json(text)?;
    json_version(&value)?;
    let mut topics = Vec::new();
    if let Some(entries) = value.get("topics").and_then(serde_json::Value::as_array) {
        for entry in entries {
            let Some(topic) = entry.get("topic").and_then(serde_json::Value::as_str) else {
                return Err(failure(format!(
                    "Each topic entry needs a \"topic\" string: {entry}"
                )));
            };
            topics.push(topic.to_owned());
        }
    }
    let mut seen = BTreeSet::new();
    let duplicates: BTreeSet<&String> =
        topics.iter().filter(|topic| !seen.insert(*topic)).collect();
    if !duplicates.is_empty() {
        let shown: Vec<&String> = duplicates.into_iter().collect();
        return Err(failure(format!(
            "List of topics to reassign contains duplicate entries: {}",
            java_list(&shown.iter().map(|topic| topic.as_str()).collect::<Vec<_>>())
        )));
    }
    Ok(topics)
}

/// Reads `--broker-list` (`0,1,2`).
pub fn parse_broker_list(text: &str) -> Result<Vec<i32>, KafkaToolError> {
    let mut brokers = Vec::new();
    for item in text.split(',') {
        let id = item
            .parse::<i32>()
            .map_err(|_| failure(format!("For input string: \"{item}\"")))?;
        brokers.push(id);
    }
    let mut seen = BTreeSet::new();
    let duplicates: BTreeSet<i32> = brokers
        .iter()
        .copied()
        .filter(|id| !seen.insert(*id))
        .collect();
    if !duplicates.is_empty() {
        let shown: Vec<i32> = duplicates.into_iter().collect();
        return Err(failure(format!(
            "Broker list contains duplicate entries: {}",
            java_list(&shown)
        )));
    }
    Ok(brokers)
}

/// One entry of Kafka's reassignment JSON, fields in its order.
#[derive(Serialize)]
struct JsonPartition<'a> {
    topic: &'a str,
    partition: i32,
    replicas: &'a [i32],
    log_dirs: Vec<&'static str>,
}

#[derive(Serialize)]
struct JsonReassignment<'a> {
    version: i32,
    partitions: Vec<JsonPartition<'a>>,
}

/// Kafka's reassignment JSON for `assignment`, partitions sorted, every log dir `any`.
pub fn format_reassignment_json(assignment: &BTreeMap<TopicPartition, Vec<i32>>) -> String {
    let document = JsonReassignment {
        version: 1,
        partitions: assignment
            .iter()
            .map(|((topic, partition), replicas)| JsonPartition {
                topic,
                partition: *partition,
                replicas,
                log_dirs: vec![ANY_LOG_DIR; replicas.len()],
            })
            .collect(),
    };
    serde_json::to_string(&document).unwrap_or_default()
}

/// The `--generate` proposal: each topic's partitions reassigned over `brokers` with its
/// current replication factor; `start` is the assignment's random start.
pub fn propose(
    current: &BTreeMap<TopicPartition, Vec<i32>>,
    brokers: &[BrokerRack],
    rack_aware: bool,
    start: usize,
) -> Result<BTreeMap<TopicPartition, Vec<i32>>, KafkaToolError> {
    let racked = brokers
        .iter()
        .filter(|broker| broker.rack.is_some())
        .count();
    let use_racks = rack_aware && racked > 0;
    if use_racks && racked != brokers.len() {
        return Err(failure("Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information."));
    }
    let mut by_topic: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for ((topic, _), replicas) in current {
        let entry = by_topic
            .entry(topic.as_str())
            .or_insert((0, replicas.len()));
        entry.0 += 1;
    }
    let mut proposal = BTreeMap::new();
    for (topic, (partitions, factor)) in by_topic {
        let partitions = i32::try_from(partitions).unwrap_or(i32::MAX);
        let factor = i32::try_from(factor).unwrap_or(i32::MAX);
        let assigned = if use_racks {
            let racks: Vec<(i32, String)> = brokers
                .iter()
                .filter_map(|broker| broker.rack.clone().map(|rack| (broker.id, rack)))
                .collect();
            assign_replicas_rack_aware(&racks, partitions, factor, 0, start, start)
        } else {
            let ids: Vec<i32> = brokers.iter().map(|broker| broker.id).collect();
            assign_replicas(&ids, partitions, factor, 0, start)
        }
        .map_err(|error: AssignmentError| failure(error.to_string()))?;
        for (partition, replicas) in assigned {
            proposal.insert((topic.to_owned(), partition), replicas);
        }
    }
    Ok(proposal)
}

/// A reassignment in progress, as ListPartitionReassignments reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ongoing {
    pub replicas: Vec<i32>,
    pub adding: Vec<i32>,
    pub removing: Vec<i32>,
}

/// `--verify`'s status lines for `targets`, given the reassignments in progress and the
/// current replicas of the other partitions (absent: the partition does not exist).
pub fn verify_lines(
    targets: &[PartitionTarget],
    ongoing: &BTreeMap<TopicPartition, Ongoing>,
    current: &BTreeMap<TopicPartition, Vec<i32>>,
) -> Vec<String> {
    let mut lines = vec!["Status of partition reassignment:".to_owned()];
    let mut sorted: Vec<&PartitionTarget> = targets.iter().collect();
    sorted.sort_by(|left, right| left.partition.cmp(&right.partition));
    sorted.dedup_by(|left, right| left.partition == right.partition);
    for target in sorted {
        let shown = show_partition(&target.partition);
        if ongoing.contains_key(&target.partition) {
            lines.push(format!(
                "Reassignment of partition {shown} is still in progress."
            ));
            continue;
        }
        let replicas = current.get(&target.partition).cloned().unwrap_or_default();
        if replicas == target.replicas {
            lines.push(format!("Reassignment of partition {shown} is completed."));
        } else {
            lines.push(format!(
                "There is no active reassignment of partition {shown}, but replica set is {} rather than {}.",
                joined(&replicas),
                joined(&target.replicas)
            ));
        }
    }
    lines
}

/// `--list`'s text.
pub fn list_text(ongoing: &BTreeMap<TopicPartition, Ongoing>) -> String {
    if ongoing.is_empty() {
        return "No partition reassignments found.".to_owned();
    }
    let mut lines = vec!["Current partition reassignments:".to_owned()];
    for (partition, reassignment) in ongoing {
        let mut line = format!(
            "{}: replicas: {}.",
            show_partition(partition),
            joined(&reassignment.replicas)
        );
        if !reassignment.adding.is_empty() {
            line.push_str(&format!(" adding: {}.", joined(&reassignment.adding)));
        }
        if !reassignment.removing.is_empty() {
            line.push_str(&format!(" removing: {}.", joined(&reassignment.removing)));
        }
        lines.push(line);
    }
    lines.join("\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn tp(topic: &str, partition: i32) -> TopicPartition {
        (topic.to_owned(), partition)
    }

    #[test]
    fn reassignment_files_parse_and_validate() {
        let targets = parse_reassignment_json(
            r#"{"version":1,"partitions":[{"topic":"t","partition":1,"replicas":[2,1]},{"topic":"t","partition":0,"replicas":[1],"log_dirs":["any"]}]}"#,
        )
        .unwrap();
        assert_eq!(targets[0].log_dirs, vec!["any", "any"]);
        let proposed = validate_execute(&targets).unwrap();
        assert_eq!(proposed[&tp("t", 1)], vec![2, 1]);
        let message = |text: &str| {
            parse_reassignment_json(text)
                .and_then(|targets| validate_execute(&targets).map(|_| ()))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(message("{"), "Error: The input string is not a valid JSON");
        assert_eq!(
            message(r#"{"version":2,"partitions":[]}"#),
            "Error: Not supported version field value 2"
        );
        assert_eq!(
            message(r#"{"version":1,"partitions":[]}"#),
            "Error: Partition reassignment list cannot be empty"
        );
        assert_eq!(
            message(r#"{"partitions":[{"topic":"t","partition":0,"replicas":[]}]}"#),
            "Error: Partition replica list cannot be empty"
        );
        assert_eq!(
            message(
                r#"{"partitions":[{"topic":"t","partition":0,"replicas":[1]},{"topic":"t","partition":0,"replicas":[2]}]}"#
            ),
            "Error: Partition reassignment contains duplicate topic partitions: t-0"
        );
        assert_eq!(
            message(r#"{"partitions":[{"topic":"t","partition":0,"replicas":[1,1,2]}]}"#),
            "Error: Partition replica lists may not contain duplicate entries: t-0 contains multiple entries for 1"
        );
        assert_eq!(
            message(r#"{"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any"]}]}"#),
            "Error: Size of replicas list [1, 2] is different from size of log dirs list [any] for partition t-0"
        );
    }

    #[test]
    fn json_output_is_kafkas() {
        let assignment: BTreeMap<TopicPartition, Vec<i32>> =
            [(tp("b", 0), vec![2]), (tp("a", 1), vec![1, 2])].into();
        assert_eq!(
            format_reassignment_json(&assignment),
            r#"{"version":1,"partitions":[{"topic":"a","partition":1,"replicas":[1,2],"log_dirs":["any","any"]},{"topic":"b","partition":0,"replicas":[2],"log_dirs":["any"]}]}"#
        );
        assert_eq!(
            format_reassignment_json(&BTreeMap::new()),
            r#"{"version":1,"partitions":[]}"#
        );
    }

    #[test]
    fn generate_inputs_and_proposal() {
        assert_eq!(
            parse_topics_json(r#"{"version":1,"topics":[{"topic":"a"},{"topic":"b"}]}"#).unwrap(),
            vec!["a", "b"]
        );
        assert_eq!(
            parse_topics_json(r#"{"topics":[{"topic":"a"},{"topic":"a"}]}"#)
                .unwrap_err()
                .to_string(),
            "Error: List of topics to reassign contains duplicate entries: [a]"
        );
        assert_eq!(parse_broker_list("1,2,3").unwrap(), vec![1, 2, 3]);
        assert_eq!(
            parse_broker_list("1,x").unwrap_err().to_string(),
            "Error: For input string: \"x\""
        );
        assert_eq!(
            parse_broker_list("1,1").unwrap_err().to_string(),
            "Error: Broker list contains duplicate entries: [1]"
        );
        let current: BTreeMap<TopicPartition, Vec<i32>> =
            [(tp("t", 0), vec![0, 1]), (tp("t", 1), vec![1, 0])].into();
        let brokers = |racks: &[Option<&str>]| -> Vec<BrokerRack> {
            racks
                .iter()
                .enumerate()
                .map(|(index, rack)| BrokerRack {
                    id: i32::try_from(index).unwrap() + 1,
                    rack: rack.map(str::to_owned),
                })
                .collect()
        };
        let proposal = propose(&current, &brokers(&[None, None, None]), true, 0).unwrap();
        assert_eq!(proposal[&tp("t", 0)], vec![1, 2]);
        assert_eq!(proposal[&tp("t", 1)], vec![2, 3]);
        assert_eq!(
            propose(&current, &brokers(&[Some("a"), None]), true, 0)
                .unwrap_err()
                .to_string(),
            "Error: Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information."
        );
        let racked = propose(
            &current,
            &brokers(&[Some("a"), Some("a"), Some("b")]),
            true,
            0,
        )
        .unwrap();
        for replicas in racked.values() {
            assert!(replicas.contains(&3), "{racked:?}");
        }
        assert_eq!(
            propose(&current, &brokers(&[None]), true, 0)
                .unwrap_err()
                .to_string(),
            "Error: Replication factor: 2 larger than available brokers: 1."
        );
    }

    #[test]
    fn verify_and_list_lines() {
        let targets = parse_reassignment_json(
            r#"{"partitions":[{"topic":"t","partition":0,"replicas":[1,2]},{"topic":"t","partition":1,"replicas":[2]},{"topic":"t","partition":2,"replicas":[3]}]}"#,
        )
        .unwrap();
        let ongoing: BTreeMap<TopicPartition, Ongoing> = [(
            tp("t", 1),
            Ongoing {
                replicas: vec![2, 0],
                adding: vec![2],
                removing: vec![0],
            },
        )]
        .into();
        let current: BTreeMap<TopicPartition, Vec<i32>> =
            [(tp("t", 0), vec![1, 2]), (tp("t", 2), vec![0])].into();
        assert_eq!(
            verify_lines(&targets, &ongoing, &current),
            vec![
                "Status of partition reassignment:",
                "Reassignment of partition t-0 is completed.",
                "Reassignment of partition t-1 is still in progress.",
                "There is no active reassignment of partition t-2, but replica set is 0 rather than 3.",
            ]
        );
        assert_eq!(
            list_text(&ongoing),
            "Current partition reassignments:\nt-1: replicas: 2,0. adding: 2. removing: 0."
        );
        assert_eq!(
            list_text(&BTreeMap::new()),
            "No partition reassignments found."
        );
    }
}
