#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! librdkafka (the `rdkafka` crate) against the broker: produce at each acks level and read
//! back keys, values, headers, timestamps, partitions and offsets; each compression codec;
//! keyed records over many partitions; ListOffsets through watermarks and offsets-for-times;
//! long-poll fetch; the header of a batch librdkafka wrote, as stored in the log file; the
//! idempotent producer. Brokers come from `rdkafka_support::start_broker`.

mod rdkafka_support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use broker::record::{split_batches, Compression, TimestampType};
use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::ApiVersionsRequest;
use kafka_protocol::records::{
    Compression as ProtocolCompression, Record as ProtocolRecord, RecordBatchEncoder,
    RecordEncodeOptions, TimestampType as ProtocolTimestampType,
};
use rdkafka::consumer::Consumer;
use rdkafka::message::{Header, OwnedHeaders, Timestamp};
use rdkafka::producer::future_producer::Delivery;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use rdkafka_support::*;

/// One record the test sends and expects back.
#[derive(Debug, Clone)]
struct Sent {
    partition: Option<i32>,
    key: Vec<u8>,
    value: Vec<u8>,
    headers: Vec<(String, Option<Vec<u8>>)>,
    timestamp: i64,
}

impl Sent {
    fn new(key: String, value: String, timestamp: i64) -> Sent {
        Sent {
            partition: None,
            key: key.into_bytes(),
            value: value.into_bytes(),
            headers: Vec::new(),
            timestamp,
        }
    }
}

/// Sends every record through `producer` (all queued before any delivery is awaited, so
/// librdkafka batches them) and returns the delivery reports in send order; a failed
/// delivery fails the test.
fn send_all(producer: &FutureProducer, topic: &str, records: &[Sent]) -> Vec<Delivery> {
    let mut futures = Vec::with_capacity(records.len());
    for sent in records {
        let mut headers = OwnedHeaders::new();
        for (key, value) in &sent.headers {
            headers = headers.insert(Header {
                key: key.as_str(),
                value: value.as_deref(),
            });
        }
        let mut record = FutureRecord::to(topic)
            .key(&sent.key)
            .payload(&sent.value)
            .timestamp(sent.timestamp)
            .headers(headers);
        if let Some(partition) = sent.partition {
            record = record.partition(partition);
        }
        futures.push(
            producer
                .send_result(record)
                .map_err(|(error, _)| error)
                .unwrap(),
        );
    }
    block_on(async {
        let mut reports = Vec::with_capacity(futures.len());
        for future in futures {
            match future.await.unwrap() {
                Ok(delivery) => reports.push(delivery),
                Err((error, message)) => panic!("delivery failed: {error} ({message:?})"),
            }
        }
        reports
    })
}

/// Checks that `consumed` holds exactly `sent` (matched by key, which the tests keep unique)
/// with the same value, headers and CreateTime timestamp, each partition's records at dense
/// offsets from 0 in send order.
fn assert_same_records(sent: &[Sent], partitions: &[i32], consumed: &[Consumed]) {
    assert_eq!(consumed.len(), sent.len());
    let by_key: BTreeMap<&[u8], &Sent> = sent
        .iter()
        .map(|record| (record.key.as_slice(), record))
        .collect();
    assert_eq!(by_key.len(), sent.len(), "test keys must be unique");
    for record in consumed {
        let key = record.key.as_deref().unwrap();
        let expected = by_key[key];
        assert_eq!(record.value.as_deref(), Some(expected.value.as_slice()));
        assert_eq!(record.headers, expected.headers, "headers of {record:?}");
        assert_eq!(record.timestamp, Timestamp::CreateTime(expected.timestamp));
        if let Some(partition) = expected.partition {
            assert_eq!(record.partition, partition);
        }
    }
    for partition in partitions {
        let in_partition: Vec<&Consumed> = consumed
            .iter()
            .filter(|record| record.partition == *partition)
            .collect();
        let offsets: Vec<i64> = in_partition.iter().map(|record| record.offset).collect();
        let dense: Vec<i64> = (0..i64::try_from(offsets.len()).unwrap()).collect();
        assert_eq!(offsets, dense, "offsets of partition {partition}");
        let send_order: Vec<usize> = in_partition
            .iter()
            .map(|record| {
                sent.iter()
                    .position(|s| Some(s.key.as_slice()) == record.key.as_deref())
                    .unwrap()
            })
            .collect();
        let mut sorted = send_order.clone();
        sorted.sort_unstable();
        assert_eq!(send_order, sorted, "send order in partition {partition}");
    }
}

#[test]
fn each_acks_level_delivers_keys_values_headers_and_timestamps_intact() {
    let broker = start_broker(&[]);
    let base = now_ms();
    for acks in ["0", "1", "all"] {
        let topic = format!("acks-{acks}");
        create_topic(&broker, &topic, 2);
        let producer = future_producer(&broker, &[("acks", acks), ("linger.ms", "5")]);
        let sent: Vec<Sent> = (0..8i32)
            .map(|index| Sent {
                partition: Some(index % 2),
                key: format!("{acks}-key-{index}").into_bytes(),
                value: format!("value {index} at acks={acks} \u{e9}\u{1f600}").into_bytes(),
                headers: vec![
                    ("acks".to_owned(), Some(acks.as_bytes().to_vec())),
                    ("index".to_owned(), Some(index.to_be_bytes().to_vec())),
                    ("empty".to_owned(), Some(Vec::new())),
                    ("null".to_owned(), None),
                ],
                timestamp: base + i64::from(index) * 7,
            })
            .collect();
        let reports = send_all(&producer, &topic, &sent);
        for (index, (report, record)) in reports.iter().zip(&sent).enumerate() {
            assert_eq!(Some(report.partition), record.partition);
            let expected_offset = i64::try_from(index / 2).unwrap();
            if acks == "0" {
                // No response, so no offset: librdkafka numbers a batch's reports up from
                // OFFSET_INVALID (-1001), never a real offset.
                assert!(
                    (-1001..-1001 + 8).contains(&report.offset),
                    "acks=0 {report:?}"
                );
            } else {
                assert_eq!(
                    report.offset, expected_offset,
                    "acks={acks} report {report:?}"
                );
            }
        }
        let consumed = consume(&broker, &topic, &[0, 1], sent.len());
        assert_same_records(&sent, &[0, 1], &consumed);
        if acks != "0" {
            for (report, record) in reports.iter().zip(&sent) {
                let found = consumed
                    .iter()
                    .find(|c| c.key.as_deref() == Some(record.key.as_slice()))
                    .unwrap();
                assert_eq!(
                    (found.partition, found.offset),
                    (report.partition, report.offset)
                );
            }
        }
    }
}

/// Whether the broker lists `api_key` in its ApiVersions answer.
fn broker_advertises(broker: &TestBroker, api_key: i16) -> bool {
    let versions = RawClient::connect(broker).call(&ApiVersionsRequest::default(), 3);
    assert_eq!(versions.error_code, 0);
    versions.api_keys.iter().any(|key| key.api_key == api_key)
}

#[test]
fn every_compression_codec_round_trips_and_is_stored_as_sent() {
    let broker = start_broker(&[]);
    let base = now_ms();
    // librdkafka takes FindCoordinator (api key 10) in ApiVersions as its sign that a broker
    // reads lz4, and sends batches uncompressed otherwise: until this broker serves the group
    // APIs its lz4 producers write plain batches (the next test covers reading lz4).
    let lz4 = if broker_advertises(&broker, 10) {
        Compression::Lz4
    } else {
        Compression::None
    };
    let codecs = [
        ("none", Compression::None),
        ("gzip", Compression::Gzip),
        ("snappy", Compression::Snappy),
        ("lz4", lz4),
        ("zstd", Compression::Zstd),
    ];
    for (codec, compression) in codecs {
        let topic = format!("codec-{codec}");
        create_topic(&broker, &topic, 1);
        let producer = future_producer(
            &broker,
            &[
                ("compression.codec", codec),
                ("linger.ms", "20"),
                ("acks", "all"),
            ],
        );
        let sent: Vec<Sent> = (0..60i64)
            .map(|index| {
                let value = format!("{codec} record {index}; ").repeat(20);
                let mut record = Sent::new(format!("{codec}-{index}"), value, base + index);
                record.headers = vec![("codec".to_owned(), Some(codec.as_bytes().to_vec()))];
                record
            })
            .collect();
        let reports = send_all(&producer, &topic, &sent);
        let offsets: Vec<i64> = reports.iter().map(|report| report.offset).collect();
        assert_eq!(offsets, (0..60).collect::<Vec<i64>>());
        let consumed = consume(&broker, &topic, &[0], sent.len());
        assert_same_records(&sent, &[0], &consumed);

        // The broker kept librdkafka's batches as they came: same codec, valid CRC.
        let log = std::fs::read(broker.first_segment(&topic, 0)).unwrap();
        let batches = split_batches(&log).unwrap();
        assert!(!batches.is_empty());
        let mut next_offset = 0;
        for batch in &batches {
            batch.check_integrity().unwrap();
            assert_eq!(
                batch.header().compression().unwrap(),
                compression,
                "{codec}"
            );
            assert_eq!(batch.base_offset(), next_offset);
            next_offset = batch.next_offset();
        }
        assert_eq!(next_offset, 60, "{codec}");
    }
}

#[test]
fn batches_compressed_by_another_client_are_read_back_intact_by_librdkafka() {
    let broker = start_broker(&[]);
    create_topic(&broker, "encoded", 1);
    let mut raw = RawClient::connect(&broker);
    let base = now_ms();
    let codecs = [
        ProtocolCompression::Gzip,
        ProtocolCompression::Snappy,
        ProtocolCompression::Lz4,
        ProtocolCompression::Zstd,
    ];
    let mut sent = Vec::new();
    for (round, codec) in codecs.into_iter().enumerate() {
        let records: Vec<ProtocolRecord> = (0..25i64)
            .map(|index| {
                let number = i64::try_from(round).unwrap() * 25 + index;
                ProtocolRecord {
                    transactional: false,
                    control: false,
                    delete_horizon: false,
                    partition_leader_epoch: -1,
                    producer_id: -1,
                    producer_epoch: -1,
                    timestamp_type: ProtocolTimestampType::Creation,
                    offset: index,
                    // The encoder starts a new batch wherever offset − sequence changes; one
                    // batch per request is what Produce v3+ allows (else INVALID_RECORD).
                    sequence: i32::try_from(index).unwrap(),
                    timestamp: base + number,
                    key: Some(Bytes::from(format!("{codec:?}-{index}"))),
                    value: Some(Bytes::from(
                        format!("{codec:?} value {number}; ").repeat(10),
                    )),
                    headers: Default::default(),
                }
            })
            .collect();
        let mut batch = BytesMut::new();
        let options = RecordEncodeOptions {
            version: 2,
            compression: codec,
        };
        RecordBatchEncoder::encode(&mut batch, &records, &options).unwrap();
        let stored_codec = split_batches(&batch).unwrap()[0]
            .header()
            .compression()
            .unwrap();
        assert_eq!(stored_codec.code(), codec as i16);
        let response = raw.call(&produce_request("encoded", 0, -1, batch.to_vec()), 9);
        let answer = &response.responses[0].partition_responses[0];
        assert_eq!(answer.error_code, 0, "{codec:?}");
        assert_eq!(answer.base_offset, i64::try_from(round * 25).unwrap());
        sent.extend(records.iter().map(|record| {
            Sent::new(
                String::from_utf8(record.key.clone().unwrap().to_vec()).unwrap(),
                String::from_utf8(record.value.clone().unwrap().to_vec()).unwrap(),
                record.timestamp,
            )
        }));
    }
    let consumed = consume(&broker, "encoded", &[0], sent.len());
    assert_same_records(&sent, &[0], &consumed);
}

#[test]
fn keyed_records_land_where_librdkafkas_partitioner_puts_them_and_stay_in_order() {
    let broker = start_broker(&[]);
    let partitions: Vec<i32> = (0..12).collect();
    create_topic(&broker, "keyed", 12);
    let producer = future_producer(&broker, &[("acks", "1"), ("linger.ms", "5")]);
    let base = now_ms();
    // 20 keys, each used 12 times: a key's records must share a partition and keep order.
    let sent: Vec<Sent> = (0..240i64)
        .map(|index| {
            Sent::new(
                format!("user-{}", index % 20),
                format!("{index}"),
                base + index,
            )
        })
        .collect();
    let reports = send_all(&producer, "keyed", &sent);
    let mut next_offsets = BTreeMap::new();
    for (report, record) in reports.iter().zip(&sent) {
        // librdkafka's default (consistent_random) partitioner: CRC-32 of the key.
        let expected = i32::try_from(crc32(&record.key) % 12).unwrap();
        assert_eq!(report.partition, expected, "key {:?}", record.key);
        let next = next_offsets.entry(report.partition).or_insert(0i64);
        assert_eq!(report.offset, *next);
        *next += 1;
    }
    assert!(next_offsets.len() >= 6, "keys spread over {next_offsets:?}");

    let consumed = consume(&broker, "keyed", &partitions, sent.len());
    for partition in &partitions {
        let values: Vec<i64> = consumed
            .iter()
            .filter(|record| record.partition == *partition)
            .map(|record| record.text().parse().unwrap())
            .collect();
        let expected: Vec<i64> = reports
            .iter()
            .zip(&sent)
            .filter(|(report, _)| report.partition == *partition)
            .map(|(_, record)| {
                String::from_utf8(record.value.clone())
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(values, expected, "partition {partition}");
    }
    for record in &consumed {
        let index: usize = record.text().parse().unwrap();
        assert_eq!(record.key.as_deref(), Some(sent[index].key.as_slice()));
        assert_eq!(
            (record.partition, record.offset),
            (reports[index].partition, reports[index].offset)
        );
    }
}

#[test]
fn list_offsets_answers_watermarks_and_offsets_for_times() {
    let broker = start_broker(&[]);
    create_topic(&broker, "times", 1);
    let producer = future_producer(&broker, &[("acks", "1")]);
    let base = now_ms();
    let sent: Vec<Sent> = (0..10i64)
        .map(|index| {
            Sent::new(
                format!("t-{index}"),
                format!("v-{index}"),
                base + index * 10,
            )
        })
        .collect();
    send_all(&producer, "times", &sent);

    let consumer = consumer(&broker, &[]);
    let timeout = Duration::from_secs(10);
    assert_eq!(
        consumer.fetch_watermarks("times", 0, timeout).unwrap(),
        (0, 10)
    );
    assert_eq!(
        producer
            .client()
            .fetch_watermarks("times", 0, timeout)
            .unwrap(),
        (0, 10)
    );
    // (timestamp asked, first offset whose timestamp is at least that)
    let cases = [
        (base - 1_000, Offset::Offset(0)),
        (base, Offset::Offset(0)),
        (base + 1, Offset::Offset(1)),
        (base + 45, Offset::Offset(5)),
        (base + 90, Offset::Offset(9)),
        (base + 91, Offset::End),
    ];
    for (timestamp, expected) in cases {
        let mut wanted = TopicPartitionList::new();
        wanted
            .add_partition_offset("times", 0, Offset::Offset(timestamp))
            .unwrap();
        let found = consumer.offsets_for_times(wanted, timeout).unwrap();
        let element = found.find_partition("times", 0).unwrap();
        assert!(element.error().is_ok(), "{:?}", element.error());
        assert_eq!(
            element.offset(),
            expected,
            "timestamp base+{}",
            timestamp - base
        );
    }

    let more: Vec<Sent> = (10..15i64)
        .map(|index| {
            Sent::new(
                format!("t-{index}"),
                format!("v-{index}"),
                base + index * 10,
            )
        })
        .collect();
    send_all(&producer, "times", &more);
    assert_eq!(
        consumer.fetch_watermarks("times", 0, timeout).unwrap(),
        (0, 15)
    );
    // A consumer told to start at the tail resolves it through ListOffsets (latest).
    assign(&consumer, "times", &[0], Offset::OffsetTail(2));
    let tail = poll_records(&consumer, 2);
    let values: Vec<String> = tail.iter().map(Consumed::text).collect();
    assert_eq!(values, ["v-13", "v-14"]);
    assert_eq!(tail[0].offset, 13);
}

#[test]
fn a_consumer_waiting_at_the_end_gets_a_record_produced_later() {
    let broker = start_broker(&[]);
    create_topic(&broker, "poll", 1);
    let producer = future_producer(&broker, &[("acks", "1")]);
    let base = now_ms();
    send_all(
        &producer,
        "poll",
        &[Sent::new("first".into(), "before".into(), base)],
    );
    // Fetches may wait 20 s: only the broker answering on append makes the record come
    // quickly.
    let consumer = consumer(&broker, &[("fetch.wait.max.ms", "20000")]);
    assign(&consumer, "poll", &[0], Offset::Beginning);
    let first = poll_records(&consumer, 1);
    assert_eq!(first[0].text(), "before");
    // The consumer now holds a fetch at offset 1 open on the broker.
    assert!(consumer.poll(Duration::from_millis(300)).is_none());

    let sent_at = Instant::now();
    let later = now_ms();
    let reports = send_all(
        &producer,
        "poll",
        &[Sent::new("second".into(), "after".into(), later)],
    );
    assert_eq!(reports[0].offset, 1);
    let second = poll_records(&consumer, 1);
    let waited = sent_at.elapsed();
    assert_eq!(second[0].text(), "after");
    assert_eq!(second[0].offset, 1);
    assert_eq!(second[0].timestamp, Timestamp::CreateTime(later));
    assert!(
        waited < Duration::from_secs(10),
        "the waiting fetch was answered after {waited:?}"
    );
}

#[test]
fn a_librdkafka_batch_is_stored_with_a_valid_header_and_its_records_intact() {
    let broker = start_broker(&[]);
    create_topic(&broker, "fixture", 1);
    // One linger window for everything: librdkafka sends the 20 records as one batch.
    let producer = future_producer(
        &broker,
        &[
            ("acks", "1"),
            ("linger.ms", "200"),
            ("compression.codec", "none"),
        ],
    );
    let base = now_ms();
    let sent: Vec<Sent> = (0..20i64)
        .map(|index| {
            let mut record = Sent::new(format!("k{index}"), format!("value-{index}"), base + index);
            record.headers = vec![("n".to_owned(), Some(index.to_string().into_bytes()))];
            record
        })
        .collect();
    let reports = send_all(&producer, "fixture", &sent);
    let offsets: Vec<i64> = reports.iter().map(|report| report.offset).collect();
    assert_eq!(offsets, (0..20).collect::<Vec<i64>>());

    let log = std::fs::read(broker.first_segment("fixture", 0)).unwrap();
    let batches = split_batches(&log).unwrap();
    assert!(!batches.is_empty());
    let mut next_offset = 0i64;
    let mut records = Vec::new();
    for batch in &batches {
        let header = *batch.header();
        assert_eq!(header.magic, 2);
        assert_eq!(header.crc, batch.compute_crc(), "stored CRC-32C");
        batch.validate().unwrap();
        assert_eq!(
            header.base_offset, next_offset,
            "base offset assigned by the broker"
        );
        assert_eq!(header.records_count, header.last_offset_delta + 1);
        assert_eq!(header.producer_id, -1, "not an idempotent producer");
        assert_eq!(header.compression().unwrap(), Compression::None);
        assert_eq!(header.timestamp_type(), TimestampType::CreateTime);
        assert!(!header.is_transactional() && !header.is_control());
        let first = usize::try_from(header.base_offset).unwrap();
        let last = usize::try_from(header.last_offset()).unwrap();
        assert_eq!(header.base_timestamp, sent[first].timestamp);
        assert_eq!(header.max_timestamp, sent[last].timestamp);
        for record in batch.records().unwrap() {
            let record = record.unwrap();
            records.push((
                header.base_offset + i64::from(record.offset_delta),
                header.base_timestamp + record.timestamp_delta,
                record.key.map(<[u8]>::to_vec),
                record.value.map(<[u8]>::to_vec),
                record
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            String::from_utf8(h.key.to_vec()).unwrap(),
                            h.value.map(<[u8]>::to_vec),
                        )
                    })
                    .collect::<Vec<_>>(),
            ));
        }
        next_offset = batch.next_offset();
    }
    assert_eq!(next_offset, 20);
    let expected: Vec<_> = sent
        .iter()
        .enumerate()
        .map(|(offset, record)| {
            (
                i64::try_from(offset).unwrap(),
                record.timestamp,
                Some(record.key.clone()),
                Some(record.value.clone()),
                record.headers.clone(),
            )
        })
        .collect();
    assert_eq!(records, expected);
}

#[test]
fn the_idempotent_producer_gets_a_producer_id_and_dense_sequences() {
    let broker = start_broker(&[]);
    create_topic(&broker, "idempotent", 2);
    let producer = future_producer(
        &broker,
        &[
            ("enable.idempotence", "true"),
            ("acks", "all"),
            ("linger.ms", "5"),
        ],
    );
    let base = now_ms();
    let sent: Vec<Sent> = (0..100i32)
        .map(|index| {
            let mut record = Sent::new(
                format!("id-{index}"),
                format!("v{index}"),
                base + i64::from(index),
            );
            record.partition = Some(index % 2);
            record
        })
        .collect();
    let reports = send_all(&producer, "idempotent", &sent);
    for (index, report) in reports.iter().enumerate() {
        assert_eq!(report.partition, i32::try_from(index % 2).unwrap());
        assert_eq!(report.offset, i64::try_from(index / 2).unwrap());
    }
    let consumed = consume(&broker, "idempotent", &[0, 1], sent.len());
    assert_same_records(&sent, &[0, 1], &consumed);

    // Every batch carries the one producer id and epoch; sequences continue batch to batch.
    let mut producer_ids = Vec::new();
    for partition in [0, 1] {
        let log = std::fs::read(broker.first_segment("idempotent", partition)).unwrap();
        let mut next_sequence = 0;
        for batch in split_batches(&log).unwrap() {
            let header = *batch.header();
            batch.check_integrity().unwrap();
            assert!(header.producer_id >= 0);
            assert!(header.producer_epoch >= 0);
            assert_eq!(header.base_sequence, next_sequence, "partition {partition}");
            next_sequence += header.records_count;
            producer_ids.push((header.producer_id, header.producer_epoch));
        }
        assert_eq!(next_sequence, 50);
    }
    producer_ids.dedup();
    assert_eq!(producer_ids.len(), 1, "{producer_ids:?}");
}

#[test]
fn retention_deletes_old_segments_in_the_background_and_moves_the_log_start() {
    // Segments of at most 1 KiB, at most 2 KiB kept, retention checked every 100 ms.
    let broker = start_broker(&[
        ("log.segment.bytes", "1024"),
        ("log.retention.bytes", "2048"),
        ("log.retention.check.interval.ms", "100"),
    ]);
    create_topic(&broker, "retained", 1);
    let producer = future_producer(
        &broker,
        &[("acks", "1"), ("linger.ms", "0"), ("batch.num.messages", "1")],
    );
    let base = now_ms();
    let sent: Vec<Sent> = (0..40i64)
        .map(|index| Sent::new(format!("k-{index}"), format!("{index:0>300}"), base + index))
        .collect();
    send_all(&producer, "retained", &sent);

    let partition_dir = broker.log_dir().join("retained-0");
    let segments = || {
        std::fs::read_dir(&partition_dir)
            .unwrap()
            .filter(|entry| {
                entry
                    .as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|extension| extension == "log")
            })
            .count()
    };
    let consumer = consumer(&broker, &[]);
    let timeout = Duration::from_secs(10);
    // Rounds may already have run while the records arrived: wait for the end state, at most
    // about retention.bytes of segments left and the log start moved past offset 0.
    wait_until("retention to delete the oldest segments", || {
        segments() <= 4
            && consumer
                .fetch_watermarks("retained", 0, timeout)
                .unwrap()
                .0
                > 0
    });
    let (low, high) = consumer.fetch_watermarks("retained", 0, timeout).unwrap();
    assert_eq!(high, 40);
    assert!(!partition_dir.join(format!("{:020}.log", 0)).exists());

    // What is left reads back intact from the new log start.
    assign(&consumer, "retained", &[0], Offset::Offset(low));
    let left = poll_records(&consumer, usize::try_from(high - low).unwrap());
    for (record, offset) in left.iter().zip(low..) {
        assert_eq!(record.offset, offset);
        assert_eq!(record.text(), format!("{offset:0>300}"));
    }
}
