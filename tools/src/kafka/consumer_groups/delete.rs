//! `--delete` (DeleteGroups for each group, Kafka's success line or its per-group failure
//! list) and `--delete-offsets` (OffsetDelete for the partitions of `--topic`s, Kafka's
//! result line and TOPIC/PARTITION/STATUS table).

use std::io::Write;

use common::client::Client;
use kafka_protocol::ResponseError;

use super::{errors_name, group_ids, java_message, pad, print_error, ConsumerGroupsArgs};
use crate::error::KafkaToolError;

fn quoted_list(groups: &[String]) -> String {
    format!("'{}'", groups.join("', '"))
}

/// The text `--delete` prints for per-group outcomes (`None`: deleted).
pub fn delete_report(outcomes: &[(String, Option<ResponseError>)], out: &mut dyn Write) {
    let succeeded: Vec<String> = outcomes
        .iter()
        .filter(|(_, error)| error.is_none())
        .map(|(group, _)| group.clone())
        .collect();
    let failed: Vec<(&String, ResponseError)> = outcomes
        .iter()
        .filter_map(|(group, error)| error.map(|error| (group, error)))
        .collect();
    if failed.is_empty() {
        let _ = writeln!(
            out,
            "Deletion of requested consumer groups ({}) was successful.",
            quoted_list(&succeeded)
        );
        return;
    }
    print_error(out, "Deletion of some consumer groups failed:");
    for (group, error) in failed {
        let _ = writeln!(
            out,
            "* Group '{group}' could not be deleted due to: java.util.concurrent.ExecutionException: {}",
            java_message(error)
        );
    }
    if !succeeded.is_empty() {
        let _ = writeln!(
            out,
            "\nThese consumer groups were deleted successfully: {}",
            quoted_list(&succeeded)
        );
    }
}

/// `--delete`.
pub async fn delete_groups(
    client: &Client,
    args: &ConsumerGroupsArgs,
    out: &mut dyn Write,
) -> Result<(), KafkaToolError> {
    let mut outcomes = Vec::new();
    for group in group_ids(client, args).await? {
        let error = client.delete_group(&group).await?;
        outcomes.push((group, error));
    }
    delete_report(&outcomes, out);
    Ok(())
}

/// The text `--delete-offsets` prints: the top-level outcome, then the partition table
/// (partition -1: a topic that could not be described).
pub fn delete_offsets_report(
    group: &str,
    topics: &[String],
    top_level: Option<ResponseError>,
    partitions: &[(String, i32, Option<ResponseError>)],
    out: &mut dyn Write,
) {
    match top_level {
        None => {
            let _ = writeln!(
                out,
                "Request succeed for deleting offsets with topic {} group {group}",
                topics.join(", ")
            );
        }
        Some(ResponseError::InvalidGroupId) => print_error(out, &format!("'{group}' is not valid.")),
        Some(ResponseError::GroupIdNotFound) => {
            print_error(out, &format!("'{group}' does not exist."));
        }
        Some(ResponseError::GroupAuthorizationFailed) => {
            print_error(out, &format!("Access to '{group}' is not authorized."));
        }
        Some(ResponseError::NonEmptyGroup) => print_error(
            out,
            &format!(
                "Deleting offsets of a consumer group '{group}' is forbidden if the group is not empty."
            ),
        ),
        Some(
            ResponseError::GroupSubscribedToTopic
            | ResponseError::TopicAuthorizationFailed
            | ResponseError::UnknownTopicOrPartition,
        ) => print_error(
            out,
            "Encounter some partition level error, see the follow-up details:",
        ),
        Some(other) => print_error(
            out,
            &format!("Encounter some unknown error: {}", errors_name(other)),
        ),
    }
    let _ = writeln!(
        out,
        "\n{} {} {}",
        pad("TOPIC", 30),
        pad("PARTITION", 15),
        pad("STATUS", 15)
    );
    let mut rows: Vec<&(String, i32, Option<ResponseError>)> = partitions.iter().collect();
    // Kafka sorts by topic name and partition number concatenated as one string.
    rows.sort_by_key(|(topic, partition, _)| format!("{topic}{partition}"));
    for (topic, partition, error) in rows {
        let partition_text = if *partition >= 0 {
            partition.to_string()
        } else {
            "Not Provided".to_string()
        };
        let status = match error {
            Some(error) => format!("Error: {}", java_message(*error)),
            None => "Successful".to_string(),
        };
        let _ = writeln!(
            out,
            "{} {} {}",
            pad(topic, 30),
            pad(&partition_text, 15),
            pad(&status, 15)
        );
    }
}

/// `--delete-offsets`.
pub async fn delete_offsets(
    client: &Client,
    args: &ConsumerGroupsArgs,
    out: &mut dyn Write,
) -> Result<(), KafkaToolError> {
    let Some(group) = args.group.first() else {
        return Ok(());
    };
    let mut partitions = Vec::new();
    let mut whole_topics = Vec::new();
    for argument in &args.topic {
        match argument.split_once(':') {
            Some((topic, list)) => {
                for partition in list.split(',') {
                    let number = partition.trim().parse::<i32>().map_err(|_| {
                        KafkaToolError::Usage {
                            message: format!(
                                "Invalid partition '{partition}' specified in topic arg '{argument}''"
                            ),
                        }
                    })?;
                    partitions.push((topic.to_string(), number));
                }
            }
            None => whole_topics.push(argument.clone()),
        }
    }
    let mut rows: Vec<(String, i32, Option<ResponseError>)> = Vec::new();
    if !whole_topics.is_empty() {
        let lookup = client.describe_topics(&whole_topics, false).await?;
        for topic in lookup.found {
            for partition in &topic.partitions {
                partitions.push((topic.name.clone(), partition.partition));
            }
        }
        for (topic, error) in lookup.errors {
            rows.push((topic, -1, Some(error)));
        }
    }
    let mut top_level = None;
    if !partitions.is_empty() {
        let outcome = client.delete_group_offsets(group, &partitions).await?;
        // Kafka's admin reports the group error, else the first partition error.
        top_level = outcome
            .error
            .or_else(|| outcome.partitions.iter().find_map(|(_, _, error)| *error));
        rows.extend(outcome.partitions);
    }
    delete_offsets_report(group, &args.topic, top_level, &rows, out);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn report(outcomes: &[(String, Option<ResponseError>)]) -> String {
        let mut out = Vec::new();
        delete_report(outcomes, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn delete_reports_success_and_failures_as_kafka() {
        assert_eq!(
            report(&[("a".to_string(), None), ("b".to_string(), None)]),
            "Deletion of requested consumer groups ('a', 'b') was successful.\n"
        );
        assert_eq!(
            report(&[
                ("a".to_string(), Some(ResponseError::NonEmptyGroup)),
                ("b".to_string(), None)
            ]),
            "\nError: Deletion of some consumer groups failed:\n* Group 'a' could not be deleted due to: java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty.\n\nThese consumer groups were deleted successfully: 'b'\n"
        );
    }

    #[test]
    fn delete_offsets_report_lists_partitions_in_kafkas_order() {
        let mut out = Vec::new();
        delete_offsets_report(
            "g",
            &["t".to_string()],
            None,
            &[
                ("t".to_string(), 1, None),
                ("t".to_string(), 0, None),
                (
                    "missing".to_string(),
                    -1,
                    Some(ResponseError::UnknownTopicOrPartition),
                ),
            ],
            &mut out,
        );
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "Request succeed for deleting offsets with topic t group g"
        );
        assert_eq!(lines[1], "");
        assert_eq!(
            lines[2],
            format!("{:<30} {:<15} {:<15}", "TOPIC", "PARTITION", "STATUS")
        );
        assert!(lines[3].starts_with("missing                        Not Provided    Error: org.apache.kafka.common.errors.UnknownTopicOrPartitionException"));
        assert_eq!(
            lines[4],
            format!("{:<30} {:<15} {:<15}", "t", "0", "Successful")
        );
        assert_eq!(
            lines[5],
            format!("{:<30} {:<15} {:<15}", "t", "1", "Successful")
        );
    }

    #[test]
    fn delete_offsets_on_an_active_group_explains_partition_errors() {
        let mut out = Vec::new();
        delete_offsets_report(
            "g",
            &["t".to_string()],
            Some(ResponseError::GroupSubscribedToTopic),
            &[(
                "t".to_string(),
                0,
                Some(ResponseError::GroupSubscribedToTopic),
            )],
            &mut out,
        );
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(
            "\nError: Encounter some partition level error, see the follow-up details:\n"
        ));
        assert!(text.contains("Error: org.apache.kafka.common.errors.GroupSubscribedToTopicException: The consumer group is actively subscribed to the topic"));
    }
}
