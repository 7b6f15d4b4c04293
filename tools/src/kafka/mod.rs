//! Kafka's command-line tools, each a module the binary in `src/bin/` runs:
//!
//! - [`topics`]: `kafka-topics` — create, list, describe, alter (partitions), delete.
//! - [`console_producer`]: `kafka-console-producer` — stdin lines to records.
//! - [`console_consumer`]: `kafka-console-consumer` — records to stdout, printed by
//!   [`formatter`] (Kafka's `DefaultMessageFormatter`).
//! - [`consumer_groups`]: `kafka-consumer-groups` — list, describe, delete groups, reset and
//!   delete committed offsets.
//! - [`producer_perf`] / [`consumer_perf`]: `kafka-producer-perf-test` /
//!   `kafka-consumer-perf-test`, with Kafka's flags and report lines.
//! - [`leader_election`]: `kafka-leader-election` — preferred or unclean elections.
//! - [`reassign_partitions`]: `kafka-reassign-partitions` — generate, execute, verify,
//!   cancel and list partition reassignments.
//! - [`options`]: the joptsimple-like option parser and table of those two.
//! - [`config`]: `key=value` arguments and properties files mapped to client settings.
//!
//! Flags, messages and output follow Apache Kafka 3.x; the client underneath is
//! `common::client`.

pub mod config;
pub mod console_consumer;
pub mod console_producer;
pub mod consumer_groups;
pub mod consumer_perf;
pub mod formatter;
pub mod leader_election;
pub mod options;
pub mod producer_perf;
pub mod reassign_partitions;
pub mod topics;

use crate::zk_shell::local_time::LocalZone;

/// A topic partition as the admin tools handle it; shown as Kafka shows it, `topic-0`
/// ([`show_partition`]).
pub type TopicPartition = (String, i32);

/// `topic-0`.
pub fn show_partition(partition: &TopicPartition) -> String {
    format!("{}-{}", partition.0, partition.1)
}

/// Milliseconds since the epoch, now.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// `yyyy-MM-dd HH:mm:ss` plus `<separator>SSS` in the local zone (`TZ`, else
/// /etc/localtime, else UTC), the date layout of Kafka's tool logs (`,`) and of the
/// consumer perf report (`:`).
pub fn format_local_millis(epoch_millis: i64, separator: char) -> String {
    let zone = LocalZone::from_environment();
    let utc_seconds = epoch_millis.div_euclid(1000);
    let millis = epoch_millis.rem_euclid(1000);
    let local = utc_seconds.saturating_add(zone.zone_type_at(utc_seconds).utc_offset_seconds);
    let days = local.div_euclid(86_400);
    let second_of_day = local.rem_euclid(86_400);
    let (year, month, day) = common::time::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}{separator}{millis:03}",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
    )
}

/// One log line in the layout of Kafka's tools logging: `[date] LEVEL message (logger)`.
pub fn log_line(level: &str, message: &str, logger: &str) -> String {
    format!(
        "[{}] {level} {message} ({logger})",
        format_local_millis(now_millis(), ',')
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_have_kafkas_layout() {
        let line = log_line("ERROR", "boom", "kafka.Tool$");
        assert!(line.starts_with('['), "{line}");
        assert!(line.ends_with("] ERROR boom (kafka.Tool$)"), "{line}");
        // [yyyy-MM-dd HH:mm:ss,SSS]
        assert_eq!(line.find(']'), Some(24), "{line}");
        assert_eq!(&line[20..21], ",");
    }
}
