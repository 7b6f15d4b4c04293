#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! Log compaction end to end, librdkafka against the `broker` binary: a compacted topic with
//! tiny segments (`segment.ms`, `segment.bytes`), `min.cleanable.dirty.ratio=0.01` and a
//! short `delete.retention.ms`, the cleaner backing off 50 ms. The tests wait on what a full
//! read of the partition returns, never on time:
//! - the latest value of every key survives at the offset it was written at, superseded
//!   values go, a tombstone goes after `delete.retention.ms`;
//! - a record without a key is refused (INVALID_RECORD on Produce v8+, CORRUPT_MESSAGE
//!   before) and nothing is written;
//! - `kill -9` while the cleaner works, then a restart: every key's latest value is there.

mod rdkafka_support;

use std::collections::BTreeMap;
use std::time::Duration;

use broker::record::BatchBuilder;
use kafka_protocol::ResponseError;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::Consumer;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::Offset;
use rdkafka_support::*;

/// A broker whose cleaner looks for work every 50 ms.
fn compacting_broker() -> TestBroker {
    start_broker(&[("log.cleaner.backoff.ms", "50")])
}

/// Creates a one-partition compacted topic with `configs` on top of small segments.
fn create_compacted_topic(broker: &TestBroker, topic: &str, configs: &[(&str, &str)]) {
    let admin: AdminClient<DefaultClientContext> = client_config(broker, &[]).create().unwrap();
    let mut new_topic = NewTopic::new(topic, 1, TopicReplication::Fixed(1))
        .set("cleanup.policy", "compact")
        .set("min.cleanable.dirty.ratio", "0.01")
        .set("segment.ms", "100");
    for (key, value) in configs {
        new_topic = new_topic.set(key, value);
    }
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = block_on(admin.create_topics([&new_topic], &options)).unwrap();
    for result in results {
        assert_eq!(result, Ok(topic.to_owned()), "creating {topic}");
    }
}

/// Sends `key` → `value` (`None`: a tombstone) and returns its offset.
fn send(producer: &FutureProducer, topic: &str, key: &str, value: Option<&str>) -> i64 {
    let mut record = FutureRecord::<str, str>::to(topic).key(key).partition(0);
    if let Some(value) = value {
        record = record.payload(value);
    }
    let offset = block_on(producer.send(record, Duration::from_secs(20)))
        .unwrap()
        .offset;
    offset
}

/// Everything a full read of partition 0 returns now, up to the high watermark.
fn read_all(broker: &TestBroker, topic: &str) -> Vec<Consumed> {
    let consumer = consumer(broker, &[]);
    let (_, high) = consumer
        .fetch_watermarks(topic, 0, Duration::from_secs(10))
        .unwrap();
    assign(&consumer, topic, &[0], Offset::Beginning);
    let mut records: Vec<Consumed> = Vec::new();
    // The newest record sits in the active segment, which the cleaner never touches.
    while records.last().is_none_or(|last| last.offset < high - 1) {
        records.extend(poll_records(&consumer, 1));
    }
    records
}

/// Key → (offset, value) of the latest record per key in `records`.
fn latest(records: &[Consumed]) -> BTreeMap<Vec<u8>, (i64, Option<Vec<u8>>)> {
    let mut latest = BTreeMap::new();
    for record in records {
        latest.insert(
            record.key.clone().unwrap(),
            (record.offset, record.value.clone()),
        );
    }
    latest
}

#[test]
fn compaction_keeps_each_keys_latest_value_at_its_offset_and_drops_tombstones() {
    let broker = compacting_broker();
    let topic = "compacted";
    create_compacted_topic(
        &broker,
        topic,
        &[("segment.bytes", "4096"), ("delete.retention.ms", "200")],
    );
    let producer = future_producer(&broker, &[("linger.ms", "0")]);
    let mut expected: BTreeMap<Vec<u8>, (i64, Option<Vec<u8>>)> = BTreeMap::new();
    for round in 0..10 {
        for key in 0..20 {
            let key = format!("key-{key}");
            let value = format!("{key}-round-{round}-{}", "x".repeat(40));
            let offset = send(&producer, topic, &key, Some(&value));
            expected.insert(key.into_bytes(), (offset, Some(value.into_bytes())));
        }
    }
    let deleted_at = send(&producer, topic, "key-0", None);
    expected.remove(&b"key-0"[..]);

    // Fresh records keep rolling segments (segment.ms) so the older ones become cleanable
    // and the tombstone's segment ages in the clean part.
    let mut filler = 0;
    wait_until("the topic to be compacted and the tombstone gone", || {
        filler += 1;
        send(&producer, topic, "filler", Some(&format!("{filler}")));
        let records = read_all(&broker, topic);
        let mut seen = latest(&records);
        seen.remove(&b"filler"[..]);
        let each_key_once = records
            .iter()
            .filter(|record| record.key.as_deref() != Some(&b"filler"[..]))
            .count()
            == seen.len();
        seen == expected && each_key_once
    });
    let records = read_all(&broker, topic);
    // Offsets are the ones the producer was given; gaps are where superseded records were.
    for record in &records {
        if let Some((offset, value)) = expected.get(record.key.as_ref().unwrap()) {
            assert_eq!((record.offset, &record.value), (*offset, value));
        }
    }
    assert!(records.iter().all(|record| record.offset != deleted_at));
    // 201 records were written.
    assert!(records.len() < 201);
    // The log start did not move: compaction leaves gaps, not a new start.
    let consumer = consumer(&broker, &[]);
    let (low, _) = consumer
        .fetch_watermarks(topic, 0, Duration::from_secs(10))
        .unwrap();
    assert_eq!(low, 0);
}

#[test]
fn a_record_without_key_is_refused_by_a_compacted_topic() {
    let broker = compacting_broker();
    let topic = "keys-required";
    create_compacted_topic(&broker, topic, &[]);
    let keyless = || {
        let mut builder = BatchBuilder::new(now_ms());
        builder.record(now_ms(), None, Some(b"no key"), &[]);
        builder.build()
    };
    let mut client = RawClient::connect(&broker);
    for (version, code) in [
        (9, ResponseError::InvalidRecord),
        (8, ResponseError::InvalidRecord),
        (7, ResponseError::CorruptMessage),
        (3, ResponseError::CorruptMessage),
    ] {
        let response = client.call(&produce_request(topic, 0, 1, keyless()), version);
        let partition = &response.responses[0].partition_responses[0];
        assert_eq!(partition.error_code, code.code(), "Produce v{version}");
    }
    // librdkafka sees the refusal as a failed delivery.
    let producer = future_producer(&broker, &[("message.timeout.ms", "5000")]);
    let result = block_on(
        producer.send(
            FutureRecord::<str, str>::to(topic)
                .payload("no key")
                .partition(0),
            Duration::from_secs(10),
        ),
    );
    assert!(result.is_err(), "{result:?}");
    // A keyed record goes in at offset 0: nothing of the refused ones was written.
    assert_eq!(send(&producer, topic, "k", Some("v")), 0);
}

#[test]
fn kill_during_cleaning_then_restart_keeps_every_keys_latest_value() {
    let mut broker = compacting_broker();
    let topic = "crash-compacted";
    create_compacted_topic(&broker, topic, &[("segment.bytes", "65536")]);
    let producer = future_producer(&broker, &[("linger.ms", "5")]);
    let value_tail = "v".repeat(500);
    let mut expected: BTreeMap<Vec<u8>, (i64, Option<Vec<u8>>)> = BTreeMap::new();
    let partition_dir = broker.log_dir().join(format!("{topic}-0"));
    let cleaner_files = || {
        std::fs::read_dir(&partition_dir)
            .map(|entries| {
                entries.filter_map(Result::ok).any(|entry| {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    name.ends_with(".cleaned") || name.ends_with(".swap")
                })
            })
            .unwrap_or(false)
    };
    // Write until the cleaner is caught at work (its output files exist), then kill -9.
    let mut round = 0;
    let mut caught = false;
    while !caught && round < 400 {
        let mut futures = Vec::new();
        for key in 0..50 {
            let key = format!("key-{key}");
            let value = format!("{key}-{round}-{value_tail}");
            let record = FutureRecord::to(topic)
                .key(&key)
                .payload(&value)
                .partition(0);
            let future = producer
                .send_result(record)
                .map_err(|(error, _)| error)
                .unwrap();
            futures.push((key.clone(), value.clone(), future));
        }
        for (key, value, future) in futures {
            let offset = block_on(future).unwrap().unwrap().offset;
            expected.insert(key.into_bytes(), (offset, Some(value.into_bytes())));
        }
        caught = cleaner_files();
        round += 1;
    }
    if !caught {
        wait_until("the cleaner to start a pass", cleaner_files);
    }
    broker.kill();
    drop(producer);
    broker.restart();
    let records = read_all(&broker, topic);
    assert_eq!(latest(&records), expected);
    // And the cleaner carries on after the restart: eventually each key once.
    let producer = future_producer(&broker, &[("linger.ms", "0")]);
    let mut filler = 0;
    wait_until("the restarted broker to finish compacting", || {
        filler += 1;
        send(&producer, topic, "filler", Some(&format!("{filler}")));
        let records = read_all(&broker, topic);
        let keyed = records
            .iter()
            .filter(|record| record.key.as_deref() != Some(&b"filler"[..]))
            .count();
        keyed == expected.len()
    });
    let mut records = read_all(&broker, topic);
    records.retain(|record| record.key.as_deref() != Some(&b"filler"[..]));
    assert_eq!(latest(&records), expected);
}
