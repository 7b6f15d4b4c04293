#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! Consumer groups from the tools' side, as child processes against a real coordinator and
//! broker (the binaries of this target dir, free loopback ports, temp dirs):
//! `kafka-console-consumer --group` commits what it printed and a rerun resumes after it;
//! `kafka-consumer-groups` lists and describes groups (offsets with LAG, members, state)
//! while a consumer runs and after it left, resets offsets with every scenario in dry-run
//! and execute mode (and a consumer then reads from the reset position), deletes groups
//! and offsets, and reports Kafka's errors (unknown group, active group, missing options).

mod support;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use support::{binary, create_topic, run, text, TestBroker};
use testkit::wait_until;

const PATIENCE: Duration = Duration::from_secs(60);

/// Quick group settings: few offsets partitions, no initial rebalance delay.
const GROUP_BROKER: [(&str, &str); 2] = [
    ("offsets.topic.num.partitions", "3"),
    ("group.initial.rebalance.delay.ms", "0"),
];

fn produce(broker: &TestBroker, topic: &str, lines: &[String]) {
    let address = broker.address();
    let mut child = Command::new(binary("kafka-console-producer"))
        .args(["--bootstrap-server", &address, "--topic", topic])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = lines.join("\n");
    input.push('\n');
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

fn values(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|index| format!("{prefix}-{index}")).collect()
}

fn consume(broker: &TestBroker, topic: &str, extra: &[&str]) -> Output {
    let address = broker.address();
    let mut args = vec!["--bootstrap-server", address.as_str(), "--topic", topic];
    args.extend_from_slice(extra);
    let out = run("kafka-console-consumer", &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    out
}

fn groups(broker: &TestBroker, args: &[&str]) -> Output {
    let address = broker.address();
    let mut all = vec!["--bootstrap-server", address.as_str()];
    all.extend_from_slice(args);
    run("kafka-consumer-groups", &all)
}

/// The data rows of a `--describe` offsets table: (topic, partition, current, log end, lag).
fn offset_rows(out: &Output) -> Vec<Vec<String>> {
    text(&out.stdout)
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with("GROUP "))
        .map(|line| line.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// A console consumer left running in the background.
struct Background {
    child: Child,
}

impl Background {
    fn start(broker: &TestBroker, topic: &str, group: &str) -> Background {
        let address = broker.address();
        let child = Command::new(binary("kafka-console-consumer"))
            .args([
                "--bootstrap-server",
                &address,
                "--topic",
                topic,
                "--group",
                group,
                "--from-beginning",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Background { child }
    }

    /// SIGTERM, as Ctrl-C would: the consumer commits, leaves and exits.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
        self.child.wait().unwrap();
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn group_consumer_resumes_after_its_committed_offsets_and_describe_shows_lag() {
    let broker = TestBroker::start(&GROUP_BROKER);
    create_topic(&broker, "orders", "2");
    let first = values("first", 0..6);
    produce(&broker, "orders", &first);

    let run1 = consume(
        &broker,
        "orders",
        &[
            "--group",
            "billing",
            "--from-beginning",
            "--max-messages",
            "4",
        ],
    );
    assert!(text(&run1.stderr).contains("Processed a total of 4 messages"));
    let run2 = consume(
        &broker,
        "orders",
        &[
            "--group",
            "billing",
            "--from-beginning",
            "--max-messages",
            "2",
        ],
    );
    let mut seen: Vec<String> = text(&run1.stdout).lines().map(str::to_string).collect();
    seen.extend(text(&run2.stdout).lines().map(str::to_string));
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 6, "{seen:?}");
    assert_eq!(
        unique,
        first.iter().collect::<BTreeSet<_>>(),
        "nothing re-read, nothing missed"
    );

    // Nothing left: a third run times out without printing.
    let run3 = consume(
        &broker,
        "orders",
        &["--group", "billing", "--timeout-ms", "3000"],
    );
    assert_eq!(text(&run3.stdout), "");
    assert!(text(&run3.stderr).contains("Processed a total of 0 messages"));

    let listed = groups(&broker, &["--list"]);
    assert!(listed.status.success());
    assert!(
        text(&listed.stdout).lines().any(|line| line == "billing"),
        "{}",
        text(&listed.stdout)
    );

    produce(&broker, "orders", &values("second", 0..3));
    let described = groups(&broker, &["--describe", "--group", "billing"]);
    assert!(described.status.success());
    assert_eq!(
        text(&described.stderr),
        "\nConsumer group 'billing' has no active members.\n"
    );
    let stdout = text(&described.stdout);
    assert!(stdout.starts_with(
        "\nGROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID\n"
    ), "{stdout}");
    let rows = offset_rows(&described);
    assert_eq!(rows.len(), 2, "{stdout}");
    let mut lag_total = 0;
    let mut end_total = 0;
    for row in &rows {
        assert_eq!(row[0], "billing");
        assert_eq!(row[1], "orders");
        let current: i64 = row[3].parse().unwrap();
        let end: i64 = row[4].parse().unwrap();
        let lag: i64 = row[5].parse().unwrap();
        assert_eq!(lag, end - current);
        assert_eq!(&row[6..], ["-", "-", "-"]);
        lag_total += lag;
        end_total += end;
    }
    assert_eq!(end_total, 9);
    assert_eq!(lag_total, 3);

    // The next run reads exactly the three new records.
    let run4 = consume(
        &broker,
        "orders",
        &["--group", "billing", "--max-messages", "3"],
    );
    let got: BTreeSet<String> = text(&run4.stdout).lines().map(str::to_string).collect();
    assert_eq!(got, values("second", 0..3).into_iter().collect());
}

#[test]
fn members_and_state_while_a_consumer_runs_and_active_groups_are_protected() {
    let broker = TestBroker::start(&GROUP_BROKER);
    create_topic(&broker, "clicks", "2");
    produce(&broker, "clicks", &values("c", 0..4));
    let consumer = Background::start(&broker, "clicks", "live");

    wait_until(PATIENCE, "the group to become stable", || {
        let out = groups(&broker, &["--describe", "--group", "live", "--state"]);
        text(&out.stdout).contains(" Stable ")
    });
    let state = groups(&broker, &["--describe", "--group", "live", "--state"]);
    let lines: Vec<String> = text(&state.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[1].starts_with("GROUP                     COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE           #MEMBERS"), "{lines:?}");
    let fields: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(fields[0], "live");
    assert_eq!(fields[1], format!("127.0.0.1:{}", broker.broker.port()));
    assert_eq!(fields[2], "(0)");
    assert_eq!(&fields[3..], ["range", "Stable", "1"]);

    let members = groups(
        &broker,
        &["--describe", "--group", "live", "--members", "--verbose"],
    );
    let stdout = text(&members.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[1].starts_with("GROUP "), "{stdout}");
    assert!(lines[1].ends_with("#PARTITIONS     ASSIGNMENT"), "{stdout}");
    let fields: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(fields[0], "live");
    assert!(fields[1].starts_with("console-consumer-"), "{stdout}");
    assert_eq!(fields[2], "/127.0.0.1");
    assert_eq!(fields[3], "console-consumer");
    assert_eq!(&fields[4..], ["2", "clicks(0,1)"]);

    let listed = groups(&broker, &["--list", "--state"]);
    let stdout = text(&listed.stdout);
    assert!(stdout.starts_with("GROUP           STATE\n"), "{stdout}");
    assert!(stdout.contains("live            Stable\n"), "{stdout}");
    let stable_only = groups(&broker, &["--list", "--state", "empty"]);
    assert!(!text(&stable_only.stdout).contains("live"));

    // With a member running, the offsets table names it.
    wait_until(
        PATIENCE,
        "committed offsets of the running consumer",
        || {
            let out = groups(&broker, &["--describe", "--group", "live"]);
            let rows = offset_rows(&out);
            rows.len() == 2 && rows.iter().all(|row| row[3] != "-" && row[5] == "0")
        },
    );
    let described = groups(&broker, &["--describe", "--group", "live", "--offsets"]);
    for row in offset_rows(&described) {
        assert!(row[6].starts_with("console-consumer-"), "{row:?}");
        assert_eq!(row[7], "/127.0.0.1");
    }

    let reset = groups(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "live",
            "--topic",
            "clicks",
            "--to-earliest",
            "--execute",
        ],
    );
    assert!(reset.status.success());
    assert!(text(&reset.stdout).starts_with(
        "\nError: Assignments can only be reset if the group 'live' is inactive, but the current state is Stable.\n"
    ), "{}", text(&reset.stdout));

    let deleted = groups(&broker, &["--delete", "--group", "live"]);
    assert_eq!(
        text(&deleted.stdout),
        "\nError: Deletion of some consumer groups failed:\n* Group 'live' could not be deleted due to: java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty.\n"
    );

    let offsets_deleted = groups(
        &broker,
        &["--delete-offsets", "--group", "live", "--topic", "clicks"],
    );
    let stdout = text(&offsets_deleted.stdout);
    assert!(
        stdout.starts_with(
            "\nError: Encounter some partition level error, see the follow-up details:\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("GroupSubscribedToTopicException"),
        "{stdout}"
    );

    consumer.stop();
    let after = groups(&broker, &["--describe", "--group", "live", "--members"]);
    assert_eq!(
        text(&after.stderr),
        "\nConsumer group 'live' has no active members.\n"
    );
    assert_eq!(text(&after.stdout), "");
}

#[test]
fn reset_offsets_scenarios_dry_run_and_execute() {
    let broker = TestBroker::start(&GROUP_BROKER);
    create_topic(&broker, "events", "1");
    produce(&broker, "events", &values("e", 0..10));
    consume(
        &broker,
        "events",
        &[
            "--group",
            "replay",
            "--from-beginning",
            "--max-messages",
            "5",
        ],
    );
    let current = |broker: &TestBroker| -> String {
        let out = groups(broker, &["--describe", "--group", "replay"]);
        offset_rows(&out)[0][3].clone()
    };
    assert_eq!(current(&broker), "5");
    let header = format!(
        "{:<30} {:<30} {:<10} {:<15}",
        "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"
    );
    let row = |offset: &str| {
        format!(
            "{:<30} {:<30} {:<10} {:<15}",
            "replay", "events", "0", offset
        )
    };
    let reset = |broker: &TestBroker, scenario: &[&str], mode: &str| -> Output {
        let mut args = vec!["--reset-offsets", "--group", "replay", "--topic", "events"];
        args.extend_from_slice(scenario);
        if !mode.is_empty() {
            args.push(mode);
        }
        let out = groups(broker, &args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        out
    };

    // Dry runs change nothing.
    let out = reset(&broker, &["--to-earliest"], "--dry-run");
    assert_eq!(text(&out.stdout), format!("\n{header}\n{}\n", row("0")));
    assert_eq!(current(&broker), "5");
    let out = reset(&broker, &["--to-earliest"], "");
    assert!(text(&out.stderr)
        .starts_with("WARN: No action will be performed as the --execute option is missing."));
    assert_eq!(text(&out.stdout), format!("\n{header}\n{}\n", row("0")));
    assert_eq!(current(&broker), "5");

    let out = reset(&broker, &["--to-earliest"], "--execute");
    assert_eq!(text(&out.stdout), format!("\n{header}\n{}\n", row("0")));
    assert_eq!(current(&broker), "0");
    reset(&broker, &["--to-latest"], "--execute");
    assert_eq!(current(&broker), "10");
    reset(&broker, &["--to-offset", "3"], "--execute");
    assert_eq!(current(&broker), "3");
    reset(&broker, &["--shift-by", "-2"], "--execute");
    assert_eq!(current(&broker), "1");
    let out = reset(&broker, &["--shift-by", "100"], "--execute");
    assert!(text(&out.stderr).contains("WARN New offset (101) is higher than latest offset for topic partition events-0. Value will be set to 10"), "{}", text(&out.stderr));
    assert_eq!(current(&broker), "10");
    let out = reset(
        &broker,
        &["--to-datetime", "2000-01-01T00:00:00.000"],
        "--execute",
    );
    assert_eq!(text(&out.stdout), format!("\n{header}\n{}\n", row("0")));
    assert_eq!(current(&broker), "0");
    let out = reset(
        &broker,
        &["--to-datetime", "2100-01-01T00:00:00.000"],
        "--dry-run",
    );
    assert_eq!(
        text(&out.stdout),
        format!("\nWarn: Partition 0 from topic events is empty. Falling back to latest known offset.\n\n{header}\n{}\n", row("10"))
    );
    let out = reset(&broker, &["--by-duration", "P1D"], "--dry-run");
    assert_eq!(text(&out.stdout), format!("\n{header}\n{}\n", row("0")));
    let out = reset(&broker, &["--to-current"], "--dry-run");
    assert_eq!(text(&out.stdout), format!("\n{header}\n{}\n", row("0")));
    let out = groups(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "replay",
            "--all-topics",
            "--to-offset",
            "7",
            "--execute",
        ],
    );
    assert_eq!(text(&out.stdout), format!("\n{header}\n{}\n", row("7")));

    // A consumer of the group now starts at the reset position.
    let out = consume(
        &broker,
        "events",
        &["--group", "replay", "--max-messages", "3"],
    );
    assert_eq!(text(&out.stdout), "e-7\ne-8\ne-9\n");
}

#[test]
fn delete_offsets_and_groups() {
    let broker = TestBroker::start(&GROUP_BROKER);
    create_topic(&broker, "logs", "2");
    create_topic(&broker, "audit", "1");
    produce(&broker, "logs", &values("l", 0..4));
    produce(&broker, "audit", &values("a", 0..2));
    consume(
        &broker,
        "logs",
        &[
            "--group",
            "janitor",
            "--from-beginning",
            "--max-messages",
            "4",
        ],
    );
    consume(
        &broker,
        "audit",
        &[
            "--group",
            "janitor",
            "--from-beginning",
            "--max-messages",
            "2",
        ],
    );
    let described = groups(&broker, &["--describe", "--group", "janitor"]);
    assert_eq!(
        offset_rows(&described).len(),
        3,
        "{}",
        text(&described.stdout)
    );

    let out = groups(
        &broker,
        &["--delete-offsets", "--group", "janitor", "--topic", "logs"],
    );
    assert!(out.status.success());
    let row = |partition: &str| format!("{:<30} {:<15} {:<15}", "logs", partition, "Successful");
    assert_eq!(
        text(&out.stdout),
        format!(
            "Request succeed for deleting offsets with topic logs group janitor\n\n{:<30} {:<15} {:<15}\n{}\n{}\n",
            "TOPIC",
            "PARTITION",
            "STATUS",
            row("0"),
            row("1")
        )
    );
    let described = groups(&broker, &["--describe", "--group", "janitor"]);
    let rows = offset_rows(&described);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][1], "audit");

    let out = groups(&broker, &["--delete", "--group", "janitor"]);
    assert_eq!(
        text(&out.stdout),
        "Deletion of requested consumer groups ('janitor') was successful.\n"
    );
    let listed = groups(&broker, &["--list"]);
    assert!(!text(&listed.stdout).contains("janitor"));
    let out = groups(&broker, &["--delete", "--group", "janitor"]);
    assert_eq!(
        text(&out.stdout),
        "\nError: Deletion of some consumer groups failed:\n* Group 'janitor' could not be deleted due to: java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist.\n"
    );
}

#[test]
fn errors_and_missing_options_follow_kafka() {
    let broker = TestBroker::start(&GROUP_BROKER);
    let out = run("kafka-consumer-groups", &["--list"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("Missing required argument \"[bootstrap-server]\"\nOption "),
        "{stderr}"
    );
    assert!(
        stderr.contains("\n--bootstrap-server <String: server to"),
        "{stderr}"
    );

    let out = groups(&broker, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with(
        "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets\n"
    ));
    let out = groups(&broker, &["--describe"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr)
        .starts_with("Option [describe] takes one of these options: [group], [all-groups]\n"));
    let out = groups(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--to-earliest",
            "--dry-run",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr)
        .starts_with("One of the reset scopes should be defined: --all-topics, --topic.\n"));
    let out = groups(&broker, &["--list", "--state", "sleepy"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("Invalid state list 'sleepy'. Valid states are: "));

    let out = groups(&broker, &["--describe", "--group", "nobody"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "\nError: Consumer group 'nobody' does not exist.\n"
    );
    let out = groups(&broker, &["--describe", "--group", "nobody", "--state"]);
    assert_eq!(
        text(&out.stdout),
        "\nError: Consumer group 'nobody' does not exist.\n"
    );

    let out = run(
        "kafka-console-consumer",
        &[
            "--bootstrap-server",
            &broker.address(),
            "--topic",
            "t",
            "--group",
            "g",
            "--partition",
            "0",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("Options group and partition cannot be specified together."));
}

/// The member rows of `--describe --members`: (consumer id, #partitions).
fn member_rows(broker: &TestBroker, group: &str) -> Vec<(String, String)> {
    let out = groups(broker, &["--describe", "--group", group, "--members"]);
    text(&out.stdout)
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with("GROUP "))
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields[1].to_string(), fields[4].to_string())
        })
        .collect()
}

#[test]
fn console_consumers_of_one_group_share_partitions_and_rebalance() {
    let broker = TestBroker::start(&GROUP_BROKER);
    create_topic(&broker, "shared", "2");
    let first = Background::start(&broker, "shared", "pair");
    wait_until(
        PATIENCE,
        "the first consumer to own both partitions",
        || {
            let rows = member_rows(&broker, "pair");
            rows.len() == 1 && rows[0].1 == "2"
        },
    );
    let second = Background::start(&broker, "shared", "pair");
    // The first member learns of the rebalance through its heartbeats and rejoins.
    wait_until(PATIENCE, "both consumers to own one partition each", || {
        let rows = member_rows(&broker, "pair");
        rows.len() == 2 && rows.iter().all(|(_, count)| count == "1")
    });
    second.stop();
    wait_until(
        PATIENCE,
        "the remaining consumer to own both partitions again",
        || {
            let rows = member_rows(&broker, "pair");
            rows.len() == 1 && rows[0].1 == "2"
        },
    );
    first.stop();
}
