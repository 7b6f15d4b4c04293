//! `--list` and `--describe` of `kafka-consumer-groups`: the group list (with `--state`, a
//! GROUP/STATE table), and per group the offsets table (the default, `--offsets`), the
//! members table (`--members`, `--verbose`) or the state line (`--state`).
//!
//! Tables follow Kafka's format strings: each column is `%-Ns` (padded, never cut), the
//! widths of GROUP, TOPIC, CONSUMER-ID, HOST (and CLIENT-ID, GROUP-INSTANCE-ID for members)
//! grow with the longest value from a minimum of 15 (17 for GROUP-INSTANCE-ID); a missing
//! value prints as `-`. Groups print in name order; before each table Kafka's state
//! remarks go to stderr (`Consumer group 'g' has no active members.`, `Warning: Consumer
//! group 'g' is rebalancing.`) or an error to stdout (`Consumer group 'g' does not exist.`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use common::client::cluster::OffsetSpec;
use common::client::{Client, ClientError, GroupDescription, OffsetMap};
use kafka_protocol::ResponseError;

use super::{group_ids, pad, print_error, ConsumerGroupsArgs};
use crate::error::KafkaToolError;

/// Group states `--list --state` accepts, as Kafka names them.
const STATES: [&str; 5] = [
    "PreparingRebalance",
    "CompletingRebalance",
    "Stable",
    "Dead",
    "Empty",
];

/// Parses `--state a,b` case-insensitively into Kafka's state names.
pub fn parse_states(input: &str) -> Result<Vec<String>, KafkaToolError> {
    let mut states = Vec::new();
    for part in input.split(',') {
        let wanted = part.trim();
        match STATES
            .iter()
            .find(|state| state.eq_ignore_ascii_case(wanted))
        {
            Some(state) => {
                if !states.iter().any(|known: &String| known == state) {
                    states.push((*state).to_string());
                }
            }
            None => {
                return Err(KafkaToolError::Usage {
                    message: format!(
                        "Invalid state list '{input}'. Valid states are: {}",
                        STATES.join(", ")
                    ),
                })
            }
        }
    }
    Ok(states)
}

/// `--list`: group ids one per line, or with `--state` a GROUP/STATE table.
pub async fn list(
    client: &Client,
    args: &ConsumerGroupsArgs,
    states: &[String],
    out: &mut dyn Write,
) -> Result<(), KafkaToolError> {
    let mut groups = client.list_groups(states).await?;
    groups.sort_by(|left, right| left.group_id.cmp(&right.group_id));
    groups.dedup_by(|left, right| left.group_id == right.group_id);
    if args.state.is_none() {
        for group in &groups {
            let _ = writeln!(out, "{}", group.group_id);
        }
        return Ok(());
    }
    let width = groups
        .iter()
        .map(|group| group.group_id.len())
        .fold(15, usize::max);
    let _ = writeln!(out, "{} STATE", pad("GROUP", width));
    for group in &groups {
        let _ = writeln!(out, "{} {}", pad(&group.group_id, width), group.state);
    }
    Ok(())
}

/// One row of the offsets table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetRow {
    pub topic: String,
    pub partition: i32,
    pub current_offset: Option<i64>,
    pub log_end_offset: Option<i64>,
    pub consumer_id: String,
    pub host: String,
    pub client_id: String,
}

impl OffsetRow {
    fn lag(&self) -> Option<i64> {
        match (self.current_offset, self.log_end_offset) {
            (Some(current), Some(end)) if current != -1 => Some(end - current),
            _ => None,
        }
    }
}

fn or_dash(value: Option<i64>) -> String {
    value.map_or_else(|| "-".to_string(), |value| value.to_string())
}

/// The offsets table rows of a group: the members' partitions (members with the most
/// partitions first, each member's partitions by partition number), then the partitions
/// with a committed offset that no member holds. Log end offsets are filled by the caller.
pub fn offset_rows(description: &GroupDescription, committed: &OffsetMap) -> Vec<OffsetRow> {
    let mut members: Vec<_> = description
        .members
        .iter()
        .filter(|member| !member.assignment.is_empty())
        .collect();
    members.sort_by_key(|member| std::cmp::Reverse(member.assignment.len()));
    let mut rows = Vec::new();
    let mut assigned = BTreeSet::new();
    for member in members {
        let mut partitions = member.assignment.topic_partitions();
        partitions.sort_by(|left, right| left.1.cmp(&right.1).then_with(|| left.0.cmp(&right.0)));
        for (topic, partition) in partitions {
            assigned.insert((topic.clone(), partition));
            rows.push(OffsetRow {
                current_offset: committed.get(&(topic.clone(), partition)).copied(),
                topic,
                partition,
                log_end_offset: None,
                consumer_id: member.member_id.clone(),
                host: member.client_host.clone(),
                client_id: member.client_id.clone(),
            });
        }
    }
    let mut unassigned: Vec<(&(String, i32), &i64)> = committed
        .iter()
        .filter(|(key, _)| !assigned.contains(*key))
        .collect();
    unassigned.sort_by(|left, right| {
        left.0
             .1
            .cmp(&right.0 .1)
            .then_with(|| left.0 .0.cmp(&right.0 .0))
    });
    for ((topic, partition), offset) in unassigned {
        rows.push(OffsetRow {
            topic: topic.clone(),
            partition: *partition,
            current_offset: Some(*offset),
            log_end_offset: None,
            consumer_id: "-".to_string(),
            host: "-".to_string(),
            client_id: "-".to_string(),
        });
    }
    rows
}

/// The offsets table (header and rows), each line `\n`-terminated, after an empty line.
pub fn offsets_table(group: &str, rows: &[OffsetRow]) -> String {
    let group_width = group.len().max(15);
    let topic_width = rows.iter().map(|row| row.topic.len()).fold(15, usize::max);
    let consumer_width = rows
        .iter()
        .map(|row| row.consumer_id.len())
        .fold(15, usize::max);
    let host_width = rows.iter().map(|row| row.host.len()).fold(15, usize::max);
    let line = |columns: [&str; 9]| {
        format!(
            "{} {} {} {} {} {} {} {} {}\n",
            pad(columns[0], group_width),
            pad(columns[1], topic_width),
            pad(columns[2], 10),
            pad(columns[3], 15),
            pad(columns[4], 15),
            pad(columns[5], 15),
            pad(columns[6], consumer_width),
            pad(columns[7], host_width),
            columns[8]
        )
    };
    let mut text = String::from("\n");
    text.push_str(&line([
        "GROUP",
        "TOPIC",
        "PARTITION",
        "CURRENT-OFFSET",
        "LOG-END-OFFSET",
        "LAG",
        "CONSUMER-ID",
        "HOST",
        "CLIENT-ID",
    ]));
    for row in rows {
        text.push_str(&line([
            group,
            &row.topic,
            &row.partition.to_string(),
            &or_dash(row.current_offset),
            &or_dash(row.log_end_offset),
            &or_dash(row.lag()),
            &row.consumer_id,
            &row.host,
            &row.client_id,
        ]));
    }
    text
}

/// The members table of a group (with `verbose`, the ASSIGNMENT column).
pub fn members_table(description: &GroupDescription, verbose: bool) -> String {
    let group = description.group_id.as_str();
    let members = &description.members;
    let group_width = group.len().max(15);
    let consumer_width = members
        .iter()
        .map(|m| m.member_id.len())
        .fold(15, usize::max);
    let instance_width = members
        .iter()
        .map(|m| m.group_instance_id.as_deref().unwrap_or("").len())
        .fold(17, usize::max);
    let host_width = members
        .iter()
        .map(|m| m.client_host.len())
        .fold(15, usize::max);
    let client_width = members
        .iter()
        .map(|m| m.client_id.len())
        .fold(15, usize::max);
    let with_instance = members.iter().any(|m| {
        m.group_instance_id
            .as_deref()
            .is_some_and(|id| !id.is_empty())
    });
    let line =
        |first: &str, consumer: &str, instance: &str, host: &str, client: &str, count: &str| {
            let mut text = format!(
                "{} {} ",
                pad(first, group_width),
                pad(consumer, consumer_width)
            );
            if with_instance {
                text.push_str(&pad(instance, instance_width));
                text.push(' ');
            }
            text.push_str(&format!(
                "{} {} {} ",
                pad(host, host_width),
                pad(client, client_width),
                pad(count, 15)
            ));
            text
        };
    let mut text = String::from("\n");
    text.push_str(&line(
        "GROUP",
        "CONSUMER-ID",
        "GROUP-INSTANCE-ID",
        "HOST",
        "CLIENT-ID",
        "#PARTITIONS",
    ));
    if verbose {
        text.push_str("ASSIGNMENT");
    }
    text.push('\n');
    for member in members {
        text.push_str(&line(
            group,
            &member.member_id,
            member.group_instance_id.as_deref().unwrap_or(""),
            &member.client_host,
            &member.client_id,
            &member.assignment.len().to_string(),
        ));
        if verbose {
            let mut parts: Vec<String> = member
                .assignment
                .partitions
                .iter()
                .filter(|(_, partitions)| !partitions.is_empty())
                .map(|(topic, partitions)| {
                    let mut sorted = partitions.clone();
                    sorted.sort_unstable();
                    let list: Vec<String> = sorted.iter().map(i32::to_string).collect();
                    format!("{topic}({})", list.join(","))
                })
                .collect();
            parts.sort();
            if parts.is_empty() {
                text.push('-');
            } else {
                text.push_str(&parts.join(", "));
            }
        }
        text.push('\n');
    }
    text
}

/// The state table of a group.
pub fn state_table(description: &GroupDescription) -> String {
    let coordinator = format!(
        "{}:{} ({})",
        description.coordinator.host, description.coordinator.port, description.coordinator.node_id
    );
    let width = coordinator.len().max(25);
    let line = |columns: [&str; 5]| {
        format!(
            "\n{} {} {} {} {}",
            pad(columns[0], width),
            pad(columns[1], 25),
            pad(columns[2], 20),
            pad(columns[3], 15),
            columns[4]
        )
    };
    let mut text = line([
        "GROUP",
        "COORDINATOR (ID)",
        "ASSIGNMENT-STRATEGY",
        "STATE",
        "#MEMBERS",
    ]);
    text.push_str(&line([
        &description.group_id,
        &coordinator,
        &description.assignor,
        &description.state,
        &description.members.len().to_string(),
    ]));
    text.push('\n');
    text
}

/// Kafka's remark before a group's table; true when the table is printed (the group
/// exists and there are rows).
pub fn remark(
    group: &str,
    state: &str,
    rows: usize,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> bool {
    match state {
        "Dead" => print_error(out, &format!("Consumer group '{group}' does not exist.")),
        "Empty" => {
            let _ = writeln!(err, "\nConsumer group '{group}' has no active members.");
        }
        "PreparingRebalance" | "CompletingRebalance" => {
            let _ = writeln!(err, "\nWarning: Consumer group '{group}' is rebalancing.");
        }
        _ => {}
    }
    state != "Dead" && rows > 0
}

/// Committed offsets of a group; a group the coordinator does not know has none.
async fn committed_offsets(client: &Client, group: &str) -> Result<OffsetMap, ClientError> {
    match client.group_offsets(group).await {
        Err(ClientError::Group {
            error: ResponseError::GroupIdNotFound,
            ..
        }) => Ok(OffsetMap::new()),
        other => other,
    }
}

/// Fills the LOG-END-OFFSET column (`-` where ListOffsets failed).
async fn fill_log_end_offsets(client: &Client, rows: &mut [OffsetRow]) -> Result<(), ClientError> {
    if rows.is_empty() {
        return Ok(());
    }
    let wanted: Vec<(String, i32, OffsetSpec)> = rows
        .iter()
        .map(|row| (row.topic.clone(), row.partition, OffsetSpec::Latest))
        .collect();
    let answers = client.list_offsets(&wanted, 0).await?;
    for (row, answer) in rows.iter_mut().zip(answers) {
        row.log_end_offset = answer.ok();
    }
    Ok(())
}

/// `--describe`.
pub async fn describe(
    client: &Client,
    args: &ConsumerGroupsArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), KafkaToolError> {
    let ids = group_ids(client, args).await?;
    let mut descriptions = BTreeMap::new();
    for id in &ids {
        descriptions.insert(id.clone(), client.describe_group(id).await?);
    }
    for (group, description) in &descriptions {
        if args.members {
            if remark(
                group,
                &description.state,
                description.members.len(),
                out,
                err,
            ) {
                let _ = out.write_all(members_table(description, args.verbose).as_bytes());
            }
        } else if args.state.is_some() {
            if remark(group, &description.state, 1, out, err) {
                let _ = out.write_all(state_table(description).as_bytes());
            }
        } else {
            let committed = committed_offsets(client, group).await?;
            let mut rows = offset_rows(description, &committed);
            fill_log_end_offsets(client, &mut rows).await?;
            if remark(group, &description.state, rows.len(), out, err) {
                let _ = out.write_all(offsets_table(group, &rows).as_bytes());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use common::client::{Assignment, CoordinatorNode, MemberDescription};

    fn group(state: &str, members: Vec<MemberDescription>) -> GroupDescription {
        GroupDescription {
            group_id: "g1".to_string(),
            state: state.to_string(),
            protocol_type: "consumer".to_string(),
            assignor: "range".to_string(),
            members,
            coordinator: CoordinatorNode {
                node_id: 0,
                host: "localhost".to_string(),
                port: 9092,
            },
        }
    }

    fn member(id: &str, partitions: &[(&str, i32)]) -> MemberDescription {
        let mut assignment = Assignment::default();
        for (topic, partition) in partitions {
            assignment
                .partitions
                .entry(topic.to_string())
                .or_default()
                .push(*partition);
        }
        MemberDescription {
            member_id: id.to_string(),
            group_instance_id: None,
            client_id: "console-consumer".to_string(),
            client_host: "/127.0.0.1".to_string(),
            assignment,
        }
    }

    #[test]
    fn states_parse_case_insensitively_and_reject_unknown_names() {
        assert_eq!(
            parse_states("stable, EMPTY").unwrap(),
            vec!["Stable", "Empty"]
        );
        assert_eq!(
            parse_states("bogus").unwrap_err().to_string(),
            "Invalid state list 'bogus'. Valid states are: PreparingRebalance, CompletingRebalance, Stable, Dead, Empty"
        );
    }

    #[test]
    fn offsets_table_has_kafkas_columns_and_lag() {
        let description = group("Stable", vec![member("m-1", &[("t", 1), ("t", 0)])]);
        let mut committed = OffsetMap::new();
        committed.insert(("t".to_string(), 0), 3);
        committed.insert(("old".to_string(), 0), 7);
        let mut rows = offset_rows(&description, &committed);
        rows[0].log_end_offset = Some(5);
        rows[1].log_end_offset = Some(2);
        let text = offsets_table("g1", &rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "");
        assert_eq!(
            lines[1],
            "GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID"
        );
        assert_eq!(
            lines[2],
            "g1              t               0          3               5               2               m-1             /127.0.0.1      console-consumer"
        );
        assert_eq!(
            lines[3],
            "g1              t               1          -               2               -               m-1             /127.0.0.1      console-consumer"
        );
        assert_eq!(
            lines[4],
            "g1              old             0          7               -               -               -               -               -"
        );
    }

    #[test]
    fn members_table_with_and_without_assignment_column() {
        let description = group(
            "Stable",
            vec![member("m-1", &[("t", 1), ("t", 0), ("a", 2)])],
        );
        let text = members_table(&description, false);
        assert_eq!(
            text,
            "\nGROUP           CONSUMER-ID     HOST            CLIENT-ID        #PARTITIONS     \ng1              m-1             /127.0.0.1      console-consumer 3               \n"
        );
        let verbose = members_table(&description, true);
        assert!(
            verbose.contains("#PARTITIONS     ASSIGNMENT\n"),
            "{verbose}"
        );
        assert!(
            verbose.ends_with("3               a(2), t(0,1)\n"),
            "{verbose}"
        );
        let empty = group("Stable", vec![member("m-2", &[])]);
        assert!(members_table(&empty, true).ends_with("0               -\n"));
    }

    #[test]
    fn state_table_sizes_the_first_column_by_the_coordinator() {
        let text = state_table(&group("Stable", vec![member("m", &[])]));
        assert_eq!(
            text,
            "\nGROUP                     COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE           #MEMBERS\ng1                        localhost:9092 (0)        range                Stable          1\n"
        );
    }

    #[test]
    fn remarks_follow_the_group_state() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert!(!remark("g", "Dead", 1, &mut out, &mut err));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\nError: Consumer group 'g' does not exist.\n"
        );
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert!(!remark("g", "Empty", 0, &mut out, &mut err));
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "\nConsumer group 'g' has no active members.\n"
        );
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert!(remark("g", "PreparingRebalance", 2, &mut out, &mut err));
        assert!(String::from_utf8(err).unwrap().contains("is rebalancing"));
        assert!(out.is_empty());
    }
}
