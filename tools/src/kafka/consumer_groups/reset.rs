//! `--reset-offsets`: plans new committed offsets for inactive groups (state `Empty` or
//! `Dead`) and, with `--execute`, commits them from outside the group; prints the
//! GROUP/TOPIC/PARTITION/NEW-OFFSET table (or CSV with `--export`). Without `--execute`
//! nothing is written (a dry run, Kafka's default).
//!
//! Scope: `--topic t` (every partition), `--topic t:0,2`, or `--all-topics` (every
//! partition the group has an offset for). Scenarios: `--to-earliest`, `--to-latest`,
//! `--to-current` (the committed offset, else the log end), `--to-offset N` and
//! `--shift-by N` (clamped into the log, with Kafka's WARN line), `--to-datetime` (UTC
//! unless the text carries a zone) and `--by-duration` (now minus an ISO-8601 duration),
//! both falling back to the log end for partitions with no record at or after the time,
//! and `--from-file` (CSV `topic,partition,offset` or `group,topic,partition,offset`).

use std::collections::BTreeMap;
use std::io::Write;

use common::client::cluster::OffsetSpec;
use common::client::{Client, ClientError, OffsetMap};
use kafka_protocol::ResponseError;

use super::{client_message, group_ids, print_error, ConsumerGroupsArgs, Scenario};
use crate::error::{command_failed, usage, KafkaToolError};
use crate::kafka::{log_line, now_millis};

const LOGGER: &str = "kafka.admin.ConsumerGroupCommand$";

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn digits(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Parses `--to-datetime` (`yyyy-MM-ddTHH:mm:ss[.SSS][Z|±hh[:mm]]`) to epoch millis; a
/// time without a zone is UTC, as Kafka appends `Z` to it.
pub fn parse_datetime(text: &str) -> Result<i64, KafkaToolError> {
    let unparseable = || command_failed(format!("Unparseable date: \"{text}\""));
    let Some((date, time)) = text.split_once('T') else {
        return Err(command_failed(
            "Error parsing timestamp. It does not contain a 'T' according to ISO8601 format",
        ));
    };
    let mut date_parts = date.split('-');
    let (Some(year), Some(month), Some(day), None) = (
        date_parts.next().and_then(digits),
        date_parts.next().and_then(digits),
        date_parts.next().and_then(digits),
        date_parts.next(),
    ) else {
        return Err(unparseable());
    };
    let (clock, zone_offset_seconds) = match time.find(['Z', '+', '-']) {
        None => (time, 0),
        Some(at) => {
            let (clock, zone) = time.split_at(at);
            let seconds = if zone == "Z" {
                0
            } else {
                let sign = if zone.starts_with('-') { -1 } else { 1 };
                let body = zone.get(1..).unwrap_or("").replace(':', "");
                let (hours, minutes) = match body.len() {
                    2 => (digits(&body), Some(0)),
                    4 => (
                        body.get(0..2).and_then(digits),
                        body.get(2..4).and_then(digits),
                    ),
                    _ => (None, None),
                };
                let (Some(hours), Some(minutes)) = (hours, minutes) else {
                    return Err(unparseable());
                };
                sign * (hours * 3600 + minutes * 60)
            };
            (clock, seconds)
        }
    };
    let (hms, millis) = match clock.split_once('.') {
        Some((hms, fraction)) => (hms, digits(fraction).ok_or_else(unparseable)?),
        None => (clock, 0),
    };
    let mut clock_parts = hms.split(':');
    let (Some(hour), Some(minute), Some(second), None) = (
        clock_parts.next().and_then(digits),
        clock_parts.next().and_then(digits),
        clock_parts.next().and_then(digits),
        clock_parts.next(),
    ) else {
        return Err(unparseable());
    };
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(unparseable());
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - zone_offset_seconds;
    Ok(seconds * 1000 + millis)
}

/// Parses an ISO-8601 duration (`PnDTnHnMn.nS`, optionally signed) to milliseconds, as
/// Java's `Duration.parse` reads it.
pub fn parse_duration(text: &str) -> Result<i64, KafkaToolError> {
    let invalid = || command_failed("Text cannot be parsed to a Duration");
    let upper = text.to_ascii_uppercase();
    let (sign, rest) = match upper.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, upper.strip_prefix('+').unwrap_or(&upper)),
    };
    let rest = rest.strip_prefix('P').ok_or_else(invalid)?;
    let (day_part, time_part) = match rest.split_once('T') {
        Some((days, time)) => {
            if time.is_empty() {
                return Err(invalid());
            }
            (days, Some(time))
        }
        None => (rest, None),
    };
    let mut millis: i64 = 0;
    let mut any = false;
    if !day_part.is_empty() {
        let days = day_part.strip_suffix('D').ok_or_else(invalid)?;
        let days: i64 = days.parse().map_err(|_| invalid())?;
        millis = millis.saturating_add(days.saturating_mul(86_400_000));
        any = true;
    }
    if let Some(mut time) = time_part {
        for (unit, scale) in [('H', 3_600_000.0), ('M', 60_000.0), ('S', 1000.0)] {
            if let Some(at) = time.find(unit) {
                let (number, tail) = time.split_at(at);
                let value: f64 = number.parse().map_err(|_| invalid())?;
                if unit != 'S' && number.contains('.') {
                    return Err(invalid());
                }
                // Whole milliseconds, as Kafka uses the duration's epoch millis.
                #[allow(clippy::cast_possible_truncation)]
                let part = (value * scale) as i64;
                millis = millis.saturating_add(part);
                time = tail.get(1..).unwrap_or("");
                any = true;
            }
        }
        if !time.is_empty() {
            return Err(invalid());
        }
    }
    if !any {
        return Err(invalid());
    }
    Ok(sign * millis)
}

/// The partitions a group's reset covers.
async fn partitions_to_reset(
    client: &Client,
    args: &ConsumerGroupsArgs,
    group: &str,
) -> Result<Vec<(String, i32)>, KafkaToolError> {
    if args.all_topics {
        return Ok(client.group_offsets(group).await?.into_keys().collect());
    }
    let mut partitions = Vec::new();
    let mut whole_topics = Vec::new();
    for argument in &args.topic {
        match argument.split_once(':') {
            Some((topic, list)) => {
                for partition in list.split(',') {
                    let number = partition.trim().parse::<i32>().map_err(|_| {
                        usage(format!(
                            "Invalid partition '{partition}' specified in topic arg '{argument}''"
                        ))
                    })?;
                    partitions.push((topic.to_string(), number));
                }
            }
            None => whole_topics.push(argument.clone()),
        }
    }
    if !whole_topics.is_empty() {
        let lookup = client.describe_topics(&whole_topics, false).await?;
        if let Some((_, error)) = lookup.errors.first() {
            return Err(command_failed(super::java_message(*error)));
        }
        for topic in lookup.found {
            for partition in &topic.partitions {
                partitions.push((topic.name.clone(), partition.partition));
            }
        }
    }
    Ok(partitions)
}

/// ListOffsets by `spec` for every partition; `None` where the broker failed.
async fn log_offsets(
    client: &Client,
    partitions: &[(String, i32)],
    spec: OffsetSpec,
) -> Result<BTreeMap<(String, i32), Option<i64>>, ClientError> {
    let wanted: Vec<(String, i32, OffsetSpec)> = partitions
        .iter()
        .map(|(topic, partition)| (topic.clone(), *partition, spec))
        .collect();
    let answers = client.list_offsets(&wanted, 0).await?;
    Ok(partitions
        .iter()
        .cloned()
        .zip(answers.into_iter().map(Result::ok))
        .collect())
}

/// Offsets by exact position: each `(partition, offset)` kept inside the log, with
/// Kafka's WARN line when moved.
async fn clamp_into_log(
    client: &Client,
    requested: Vec<((String, i32), i64)>,
    err: &mut dyn Write,
) -> Result<OffsetMap, KafkaToolError> {
    let partitions: Vec<(String, i32)> = requested.iter().map(|(key, _)| key.clone()).collect();
    let starts = log_offsets(client, &partitions, OffsetSpec::Earliest).await?;
    let ends = log_offsets(client, &partitions, OffsetSpec::Latest).await?;
    let mut planned = OffsetMap::new();
    for (key, offset) in requested {
        let (topic, partition) = &key;
        let end = ends.get(&key).copied().flatten();
        let start = starts.get(&key).copied().flatten();
        let value = match (end, start) {
            (Some(end), _) if offset > end => {
                let _ = writeln!(err, "{}", log_line("WARN", &format!("New offset ({offset}) is higher than latest offset for topic partition {topic}-{partition}. Value will be set to {end}"), LOGGER));
                end
            }
            (_, Some(start)) if offset < start => {
                let _ = writeln!(err, "{}", log_line("WARN", &format!("New offset ({offset}) is lower than earliest offset for topic partition {topic}-{partition}. Value will be set to {start}"), LOGGER));
                start
            }
            _ => offset,
        };
        planned.insert(key, value);
    }
    Ok(planned)
}

/// The first offsets at or after `timestamp` (`--to-datetime`, `--by-duration`).
async fn by_timestamp(
    client: &Client,
    partitions: &[(String, i32)],
    timestamp: i64,
    out: &mut dyn Write,
) -> Result<OffsetMap, KafkaToolError> {
    let spec = OffsetSpec::Timestamp(timestamp);
    by_spec(client, partitions, spec, "offset by timestamp", out).await
}

/// Offsets by log position (`spec`), failing as Kafka does when a partition has none.
async fn by_spec(
    client: &Client,
    partitions: &[(String, i32)],
    spec: OffsetSpec,
    what: &str,
    out: &mut dyn Write,
) -> Result<OffsetMap, KafkaToolError> {
    let found = log_offsets(client, partitions, spec).await?;
    let mut planned = OffsetMap::new();
    let mut empty = Vec::new();
    for key in partitions {
        match found.get(key).copied().flatten() {
            Some(offset) if offset >= 0 => {
                planned.insert(key.clone(), offset);
            }
            Some(_) if matches!(spec, OffsetSpec::Timestamp(_)) => empty.push(key.clone()),
            _ => {
                return Err(usage(format!(
                    "Error getting {what} of topic partition: {}-{}",
                    key.0, key.1
                )))
            }
        }
    }
    if !empty.is_empty() {
        for (topic, partition) in &empty {
            let _ = writeln!(
                out,
                "\nWarn: Partition {partition} from topic {topic} is empty. Falling back to latest known offset."
            );
        }
        let ends = log_offsets(client, &empty, OffsetSpec::Latest).await?;
        for key in empty {
            let end = ends.get(&key).copied().flatten().ok_or_else(|| {
                usage(format!(
                    "Error getting {what} of topic partition: {}-{}",
                    key.0, key.1
                ))
            })?;
            planned.insert(key, end);
        }
    }
    Ok(planned)
}

/// Reads a `--from-file` plan: `topic,partition,offset` lines for a single `--group`,
/// else `group,topic,partition,offset`.
pub fn parse_plan(
    text: &str,
    single_group: Option<&str>,
) -> Result<BTreeMap<String, OffsetMap>, KafkaToolError> {
    let mut plan: BTreeMap<String, OffsetMap> = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let (group, topic, partition, offset) = match (single_group, fields.as_slice()) {
            (Some(group), [topic, partition, offset]) => (group, *topic, *partition, *offset),
            (_, [group, topic, partition, offset]) => (*group, *topic, *partition, *offset),
            _ => {
                return Err(command_failed(format!(
                    "Unexpected CSV line in reset plan: {line}"
                )))
            }
        };
        let partition = partition
            .parse::<i32>()
            .map_err(|_| command_failed(format!("Invalid partition in reset plan: {line}")))?;
        let offset = offset
            .parse::<i64>()
            .map_err(|_| command_failed(format!("Invalid offset in reset plan: {line}")))?;
        plan.entry(group.to_string())
            .or_default()
            .insert((topic.to_string(), partition), offset);
    }
    Ok(plan)
}

/// The planned offsets of one inactive group.
async fn prepare(
    client: &Client,
    args: &ConsumerGroupsArgs,
    group: &str,
    plan_file: Option<&BTreeMap<String, OffsetMap>>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<OffsetMap, KafkaToolError> {
    let scenario = args.scenario()?;
    if let Scenario::FromFile(_) = scenario {
        let Some(requested) = plan_file.and_then(|plan| plan.get(group)) else {
            print_error(out, &format!("No reset plan for group {group} found"));
            return Ok(OffsetMap::new());
        };
        return clamp_into_log(client, requested.clone().into_iter().collect(), err).await;
    }
    let partitions = partitions_to_reset(client, args, group).await?;
    match scenario {
        Scenario::ToOffset(offset) => {
            let requested = partitions.into_iter().map(|key| (key, offset)).collect();
            clamp_into_log(client, requested, err).await
        }
        Scenario::ToEarliest => {
            by_spec(
                client,
                &partitions,
                OffsetSpec::Earliest,
                "starting offset",
                out,
            )
            .await
        }
        Scenario::ToLatest => {
            by_spec(
                client,
                &partitions,
                OffsetSpec::Latest,
                "ending offset",
                out,
            )
            .await
        }
        Scenario::ShiftBy(shift) => {
            let committed = client.group_offsets(group).await?;
            let mut requested = Vec::new();
            for key in partitions {
                let Some(current) = committed.get(&key) else {
                    return Err(usage(format!(
                        "Cannot shift offset for partition {}-{} since there is no current committed offset",
                        key.0, key.1
                    )));
                };
                requested.push((key, current.saturating_add(shift)));
            }
            clamp_into_log(client, requested, err).await
        }
        Scenario::ToDatetime(text) => {
            by_timestamp(client, &partitions, parse_datetime(&text)?, out).await
        }
        Scenario::ByDuration(text) => {
            let timestamp = now_millis().saturating_sub(parse_duration(&text)?);
            by_timestamp(client, &partitions, timestamp, out).await
        }
        Scenario::ToCurrent => {
            let committed = client.group_offsets(group).await?;
            let mut planned = OffsetMap::new();
            let mut without = Vec::new();
            for key in partitions {
                match committed.get(&key) {
                    Some(offset) => {
                        planned.insert(key, *offset);
                    }
                    None => without.push(key),
                }
            }
            planned
                .extend(by_spec(client, &without, OffsetSpec::Latest, "ending offset", out).await?);
            Ok(planned)
        }
        Scenario::FromFile(_) => Ok(OffsetMap::new()),
    }
}

/// The NEW-OFFSET table (nothing when no group was planned).
pub fn reset_table(plans: &[(String, OffsetMap)]) -> String {
    let line = |group: &str, topic: &str, partition: &str, offset: &str| {
        format!("{group:<30} {topic:<30} {partition:<10} {offset:<15}\n")
    };
    let mut text = String::new();
    if plans.is_empty() {
        return text;
    }
    text.push('\n');
    text.push_str(&line("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"));
    for (group, offsets) in plans {
        for ((topic, partition), offset) in offsets {
            text.push_str(&line(
                group,
                topic,
                &partition.to_string(),
                &offset.to_string(),
            ));
        }
    }
    text
}

/// `--export`: CSV lines, without the group column when one `--group` was given.
pub fn export_csv(plans: &[(String, OffsetMap)], single_group: bool) -> String {
    let mut text = String::new();
    for (group, offsets) in plans {
        for ((topic, partition), offset) in offsets {
            if single_group {
                text.push_str(&format!("{topic},{partition},{offset}\n"));
            } else {
                text.push_str(&format!("{group},{topic},{partition},{offset}\n"));
            }
        }
    }
    text
}

/// `--reset-offsets`.
pub async fn reset_offsets(
    client: &Client,
    args: &ConsumerGroupsArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), KafkaToolError> {
    let single_group = args.group.len() == 1;
    let plan_file = match &args.from_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| KafkaToolError::Io {
                what: format!("reading {}", path.display()),
                source,
            })?;
            Some(parse_plan(
                &text,
                args.group
                    .first()
                    .filter(|_| single_group)
                    .map(String::as_str),
            )?)
        }
        None => None,
    };
    let mut plans = Vec::new();
    for group in group_ids(client, args).await? {
        let description = client.describe_group(&group).await?;
        if description.state != "Empty" && description.state != "Dead" {
            print_error(
                out,
                &format!(
                    "Assignments can only be reset if the group '{group}' is inactive, but the current state is {}.",
                    description.state
                ),
            );
            plans.push((group, OffsetMap::new()));
            continue;
        }
        let planned = prepare(client, args, &group, plan_file.as_ref(), out, err).await?;
        if args.execute {
            let errors = client.alter_group_offsets(&group, &planned).await?;
            if let Some((_, _, error)) = errors.first() {
                return Err(command_failed(java_error_text(*error)));
            }
        }
        plans.push((group, planned));
    }
    let text = if args.export {
        export_csv(&plans, single_group)
    } else {
        reset_table(&plans)
    };
    let _ = out.write_all(text.as_bytes());
    Ok(())
}

fn java_error_text(error: ResponseError) -> String {
    client_message(&ClientError::Group {
        group: String::new(),
        error,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_are_utc_unless_zoned() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00.000").unwrap(), 0);
        assert_eq!(parse_datetime("1970-01-01T00:00:01.5").unwrap(), 1005);
        assert_eq!(
            parse_datetime("2021-03-04T05:06:07.089Z").unwrap(),
            1_614_834_367_089
        );
        assert_eq!(
            parse_datetime("2021-03-04T07:06:07.089+02:00").unwrap(),
            1_614_834_367_089
        );
        assert_eq!(
            parse_datetime("2021-03-04T04:06:07.089-0100").unwrap(),
            1_614_834_367_089
        );
        assert_eq!(
            parse_datetime("2021-03-04T05:06:07").unwrap(),
            1_614_834_367_000
        );
        assert_eq!(
            parse_datetime("2021-03-04").unwrap_err().to_string(),
            "Error parsing timestamp. It does not contain a 'T' according to ISO8601 format"
        );
        assert_eq!(
            parse_datetime("2021-13-04T00:00:00.000")
                .unwrap_err()
                .to_string(),
            "Unparseable date: \"2021-13-04T00:00:00.000\""
        );
    }

    #[test]
    fn durations_follow_java_duration_parse() {
        assert_eq!(parse_duration("PT1H").unwrap(), 3_600_000);
        assert_eq!(parse_duration("P1DT2H3M4.5S").unwrap(), 93_784_500);
        assert_eq!(parse_duration("PT0.25S").unwrap(), 250);
        assert_eq!(parse_duration("-PT1M").unwrap(), -60_000);
        assert_eq!(parse_duration("P2D").unwrap(), 172_800_000);
        for bad in ["1H", "P", "PT", "PT1X", "P1H", "PT1.5H"] {
            assert_eq!(
                parse_duration(bad).unwrap_err().to_string(),
                "Text cannot be parsed to a Duration",
                "{bad}"
            );
        }
    }

    #[test]
    fn reset_table_and_csv_layouts() {
        let mut offsets = OffsetMap::new();
        offsets.insert(("t".to_string(), 0), 5);
        let plans = vec![
            ("g".to_string(), offsets),
            ("h".to_string(), OffsetMap::new()),
        ];
        let table = reset_table(&plans);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "");
        assert_eq!(
            lines[1],
            format!(
                "{:<30} {:<30} {:<10} {:<15}",
                "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"
            )
        );
        assert_eq!(
            lines[2],
            format!("{:<30} {:<30} {:<10} {:<15}", "g", "t", "0", "5")
        );
        assert_eq!(lines.len(), 3);
        assert_eq!(reset_table(&[]), "");
        assert_eq!(export_csv(&plans, true), "t,0,5\n");
        assert_eq!(export_csv(&plans, false), "g,t,0,5\n");
    }

    #[test]
    fn reset_plans_parse_both_csv_forms() {
        let plan = parse_plan("t,0,5\nt,1,6\n", Some("g")).unwrap();
        assert_eq!(plan["g"].len(), 2);
        let plan = parse_plan("g,t,0,5\nh,u,1,6\n", None).unwrap();
        assert_eq!(plan["h"][&("u".to_string(), 1)], 6);
        assert!(parse_plan("t,x,5", Some("g")).is_err());
    }
}
