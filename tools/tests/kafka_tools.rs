#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! Kafka's tools, run as child processes against a real coordinator and broker (the
//! binaries of this target dir, free loopback ports, temp dirs): Kafka's quickstart
//! sequence, keys, every compression codec, partition and offset selection, the consumer's
//! timeout, topic create/list/describe/alter/delete and their errors, and the perf tools.

mod support;

use std::process::Output;
use std::time::Duration;

use support::{run, run_with_stdin, text, TestBroker};

/// `kafka-topics --create`, checking Kafka's confirmation line.
fn create_topic(broker: &TestBroker, topic: &str, partitions: &str) {
    let out = support::create_topic(broker, topic, partitions);
    assert_eq!(text(&out.stdout), format!("Created topic {topic}.\n"));
}

fn produce(broker: &TestBroker, topic: &str, extra: &[&str], lines: &str) -> Output {
    let address = broker.address();
    let mut args = vec!["--bootstrap-server", address.as_str(), "--topic", topic];
    args.extend_from_slice(extra);
    let out = run_with_stdin("kafka-console-producer", &args, lines);
    assert!(out.status.success(), "{}", text(&out.stderr));
    out
}

fn consume(broker: &TestBroker, topic: &str, extra: &[&str]) -> Output {
    let address = broker.address();
    let mut args = vec![
        "--bootstrap-server",
        address.as_str(),
        "--topic",
        topic,
        "--timeout-ms",
        "20000",
    ];
    args.extend_from_slice(extra);
    run("kafka-console-consumer", &args)
}

#[test]
fn quickstart_create_list_describe_produce_consume() {
    let broker = TestBroker::start(&[]);
    let address = broker.address();
    create_topic(&broker, "quickstart-events", "1");

    let listing = run("kafka-topics", &["--list", "--bootstrap-server", &address]);
    assert!(listing.status.success());
    assert_eq!(text(&listing.stdout), "quickstart-events\n");

    let described = run(
        "kafka-topics",
        &[
            "--describe",
            "--topic",
            "quickstart-events",
            "--bootstrap-server",
            &address,
        ],
    );
    assert!(described.status.success(), "{}", text(&described.stderr));
    let lines: Vec<String> = text(&described.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("Topic: quickstart-events\t"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: "),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        "\tTopic: quickstart-events\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0"
    );

    let produced = produce(
        &broker,
        "quickstart-events",
        &[],
        "This is my first event\nThis is my second event\nThird\n",
    );
    // Kafka prints the prompt before every read, the final one hitting EOF included.
    assert_eq!(text(&produced.stdout), ">>>>");

    let consumed = consume(
        &broker,
        "quickstart-events",
        &["--from-beginning", "--max-messages", "3"],
    );
    assert!(consumed.status.success(), "{}", text(&consumed.stderr));
    assert_eq!(
        text(&consumed.stdout),
        "This is my first event\nThis is my second event\nThird\n"
    );
    assert!(text(&consumed.stderr).contains("Processed a total of 3 messages"));
}

#[test]
fn keys_are_parsed_and_printed_with_partition_offset_and_timestamp() {
    let broker = TestBroker::start(&[]);
    create_topic(&broker, "keyed", "3");
    produce(
        &broker,
        "keyed",
        &[
            "--property",
            "parse.key=true",
            "--property",
            "key.separator=:",
        ],
        "user1:login\nuser2:click\nuser1:logout\n",
    );
    let consumed = consume(
        &broker,
        "keyed",
        &[
            "--from-beginning",
            "--max-messages",
            "3",
            "--property",
            "print.key=true",
            "--property",
            "print.partition=true",
            "--property",
            "print.offset=true",
            "--property",
            "print.timestamp=true",
        ],
    );
    assert!(consumed.status.success(), "{}", text(&consumed.stderr));
    let out = text(&consumed.stdout);
    let mut by_key: Vec<(String, String, String)> = Vec::new();
    for line in out.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 5, "{line}");
        assert!(fields[0].starts_with("CreateTime:"), "{line}");
        assert!(fields[1].starts_with("Partition:"), "{line}");
        assert!(fields[2].starts_with("Offset:"), "{line}");
        by_key.push((
            fields[3].to_string(),
            fields[4].to_string(),
            fields[1].to_string(),
        ));
    }
    by_key.sort();
    assert_eq!(by_key.len(), 3);
    assert_eq!(
        (by_key[0].0.as_str(), by_key[0].1.as_str()),
        ("user1", "login")
    );
    assert_eq!(
        (by_key[1].0.as_str(), by_key[1].1.as_str()),
        ("user1", "logout")
    );
    // The same key lands on the same partition (murmur2).
    assert_eq!(by_key[0].2, by_key[1].2);
    let expected = common::client::partitioner::partition_for_key(b"user1", 3);
    assert_eq!(by_key[0].2, format!("Partition:{expected}"));
}

#[test]
fn every_compression_codec_round_trips() {
    let broker = TestBroker::start(&[]);
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let topic = format!("codec-{codec}");
        create_topic(&broker, &topic, "1");
        let lines: String = (0..50)
            .map(|index| format!("{codec} line {index}\n"))
            .collect();
        produce(&broker, &topic, &["--compression-codec", codec], &lines);
        let consumed = consume(
            &broker,
            &topic,
            &["--from-beginning", "--max-messages", "50"],
        );
        assert!(
            consumed.status.success(),
            "{codec}: {}",
            text(&consumed.stderr)
        );
        assert_eq!(text(&consumed.stdout), lines, "{codec}");
    }
    // No value means gzip, as in Kafka.
    create_topic(&broker, "codec-default", "1");
    produce(&broker, "codec-default", &["--compression-codec"], "a\nb\n");
    let consumed = consume(
        &broker,
        "codec-default",
        &["--from-beginning", "--max-messages", "2"],
    );
    assert_eq!(text(&consumed.stdout), "a\nb\n");
}

#[test]
fn partition_and_offset_select_where_reading_starts() {
    let broker = TestBroker::start(&[]);
    create_topic(&broker, "offsets", "1");
    produce(&broker, "offsets", &["--sync"], "m0\nm1\nm2\nm3\nm4\n");
    let from_two = consume(
        &broker,
        "offsets",
        &["--partition", "0", "--offset", "2", "--max-messages", "3"],
    );
    assert!(from_two.status.success(), "{}", text(&from_two.stderr));
    assert_eq!(text(&from_two.stdout), "m2\nm3\nm4\n");
    let earliest = consume(
        &broker,
        "offsets",
        &[
            "--partition",
            "0",
            "--offset",
            "earliest",
            "--max-messages",
            "1",
        ],
    );
    assert_eq!(text(&earliest.stdout), "m0\n");
    let bad = consume(&broker, "offsets", &["--offset", "2"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("The partition is required when offset is specified."));
}

#[test]
fn timeout_ms_ends_the_consumer_with_kafkas_lines() {
    let broker = TestBroker::start(&[]);
    create_topic(&broker, "quiet", "2");
    produce(&broker, "quiet", &[], "only\n");
    let started = std::time::Instant::now();
    let out = run(
        "kafka-console-consumer",
        &[
            "--bootstrap-server",
            &broker.address(),
            "--topic",
            "quiet",
            "--from-beginning",
            "--timeout-ms",
            "1500",
        ],
    );
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "only\n");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("ERROR Error processing message, terminating consumer process:  (kafka.tools.ConsoleConsumer$)"), "{stderr}");
    assert!(
        stderr.contains("org.apache.kafka.common.errors.TimeoutException"),
        "{stderr}"
    );
    assert!(
        stderr
            .trim_end()
            .ends_with("Processed a total of 1 messages"),
        "{stderr}"
    );
}

#[test]
fn topic_command_errors_match_kafka() {
    let broker = TestBroker::start(&[]);
    let address = broker.address();
    create_topic(&broker, "dup", "1");
    let again = run(
        "kafka-topics",
        &["--create", "--topic", "dup", "--bootstrap-server", &address],
    );
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        text(&again.stdout),
        "Error while executing topic command : Topic 'dup' already exists.\n"
    );
    let quiet = run(
        "kafka-topics",
        &[
            "--create",
            "--if-not-exists",
            "--topic",
            "dup",
            "--bootstrap-server",
            &address,
        ],
    );
    assert!(quiet.status.success());
    assert_eq!(text(&quiet.stdout), "");
    let missing = run(
        "kafka-topics",
        &[
            "--describe",
            "--topic",
            "nope",
            "--bootstrap-server",
            &address,
        ],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        text(&missing.stdout),
        "Error while executing topic command : Topic 'nope' does not exist as expected\n"
    );
    let tolerated = run(
        "kafka-topics",
        &[
            "--describe",
            "--if-exists",
            "--topic",
            "nope",
            "--bootstrap-server",
            &address,
        ],
    );
    assert!(tolerated.status.success());
    let no_action = run("kafka-topics", &["--bootstrap-server", &address]);
    assert_eq!(no_action.status.code(), Some(1));
    // A regular expression selects among the topics.
    create_topic(&broker, "dup-2", "1");
    let listed = run(
        "kafka-topics",
        &["--list", "--topic", "dup.*", "--bootstrap-server", &address],
    );
    assert_eq!(text(&listed.stdout), "dup\ndup-2\n");
}

#[test]
fn delete_prints_nothing_and_removes_the_topic() {
    let broker = TestBroker::start(&[]);
    let address = broker.address();
    create_topic(&broker, "doomed", "1");
    let deleted = run(
        "kafka-topics",
        &[
            "--delete",
            "--topic",
            "doomed",
            "--bootstrap-server",
            &address,
        ],
    );
    assert!(deleted.status.success(), "{}", text(&deleted.stdout));
    assert_eq!(text(&deleted.stdout), "");
    let listing = run("kafka-topics", &["--list", "--bootstrap-server", &address]);
    assert_eq!(text(&listing.stdout), "");
    let again = run(
        "kafka-topics",
        &[
            "--delete",
            "--topic",
            "doomed",
            "--bootstrap-server",
            &address,
        ],
    );
    assert_eq!(
        text(&again.stdout),
        "Error while executing topic command : Topic 'doomed' does not exist as expected\n"
    );
}

#[test]
fn alter_adds_partitions() {
    let broker = TestBroker::start(&[]);
    let address = broker.address();
    create_topic(&broker, "growing", "1");
    let altered = run(
        "kafka-topics",
        &[
            "--alter",
            "--topic",
            "growing",
            "--partitions",
            "3",
            "--bootstrap-server",
            &address,
        ],
    );
    assert!(altered.status.success(), "{}", text(&altered.stdout));
    let described = run(
        "kafka-topics",
        &[
            "--describe",
            "--topic",
            "growing",
            "--bootstrap-server",
            &address,
        ],
    );
    assert!(text(&described.stdout).contains("PartitionCount: 3"));
}

#[test]
fn describe_lists_topic_config_overrides() {
    let broker = TestBroker::start(&[]);
    let address = broker.address();
    let out = run(
        "kafka-topics",
        &[
            "--create",
            "--topic",
            "configured",
            "--config",
            "retention.ms=1000",
            "--bootstrap-server",
            &address,
        ],
    );
    assert!(out.status.success());
    let described = run(
        "kafka-topics",
        &[
            "--describe",
            "--topic",
            "configured",
            "--bootstrap-server",
            &address,
        ],
    );
    assert!(
        text(&described.stdout).contains("Configs: retention.ms=1000"),
        "{}",
        text(&described.stdout)
    );
}

#[test]
fn perf_tools_report_in_kafkas_format() {
    let broker = TestBroker::start(&[]);
    let address = broker.address();
    create_topic(&broker, "perf", "2");
    let bootstrap = format!("bootstrap.servers={address}");
    let produced = run(
        "kafka-producer-perf-test",
        &[
            "--topic",
            "perf",
            "--num-records",
            "2000",
            "--record-size",
            "100",
            "--throughput",
            "-1",
            "--producer-props",
            &bootstrap,
            "acks=1",
            "batch.size=16384",
            "linger.ms=5",
        ],
    );
    assert!(produced.status.success(), "{}", text(&produced.stderr));
    let stdout = text(&produced.stdout);
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("2000 records sent, "), "{last}");
    assert!(last.contains(" records/sec ("), "{last}");
    assert!(last.contains(" MB/sec), "), "{last}");
    assert!(last.ends_with(" ms 99.9th."), "{last}");
    for field in [
        " ms avg latency, ",
        " ms max latency, ",
        " ms 50th, ",
        " ms 95th, ",
        " ms 99th, ",
    ] {
        assert!(last.contains(field), "{last}");
    }

    let consumed = run(
        "kafka-consumer-perf-test",
        &[
            "--bootstrap-server",
            &address,
            "--topic",
            "perf",
            "--messages",
            "2000",
            "--timeout",
            "20000",
        ],
    );
    assert!(consumed.status.success(), "{}", text(&consumed.stderr));
    let stdout = text(&consumed.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(
        lines[0],
        "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
    );
    let values: Vec<&str> = lines[1].split(", ").collect();
    assert_eq!(values.len(), 10, "{}", lines[1]);
    assert_eq!(values[4], "2000");
    assert_eq!(values[2], format!("{:.4}", 200_000.0 / 1024.0 / 1024.0));
}
