#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! Faults next to a healthy librdkafka client: malformed frames, a wrong CRC, oversized
//! batches (all answered as Kafka answers them while the rdkafka producer and consumer carry
//! on, and afterwards the log holds exactly the acknowledged records), and `kill -9` under
//! load (every acknowledged record survives). Brokers come from
//! `rdkafka_support::start_broker`.

mod rdkafka_support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use broker::record::{split_batches, BatchBuilder};
use kafka_protocol::messages::{ApiVersionsRequest, MetadataRequest};
use kafka_protocol::ResponseError;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, Message};
use rdkafka::producer::{
    BaseRecord, FutureProducer, FutureRecord, Producer, ProducerContext, ThreadedProducer,
};
use rdkafka::Offset;
use rdkafka_support::*;

/// A record the broker acknowledged: where it went and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Acked {
    offset: i64,
    key: Vec<u8>,
    value: Vec<u8>,
}

/// The healthy pair: a producer writing rounds of records and a consumer that has read
/// everything acknowledged so far.
struct Healthy {
    producer: FutureProducer,
    consumer: BaseConsumer,
    acked: Vec<Acked>,
    consumed: usize,
    rounds: usize,
}

impl Healthy {
    /// Produces ten records (each acknowledged at the next offset), then has the consumer
    /// read up to the end of what was acknowledged, comparing every record.
    fn round(&mut self) {
        let round = self.rounds;
        self.rounds += 1;
        let mut futures = Vec::new();
        for index in 0..10 {
            let key = format!("round-{round}-key-{index}").into_bytes();
            let value = format!("round {round} record {index}").into_bytes();
            let record = FutureRecord::to("faults")
                .key(&key)
                .payload(&value)
                .partition(0);
            let future = self
                .producer
                .send_result(record)
                .map_err(|(e, _)| e)
                .unwrap();
            futures.push((key, value, future));
        }
        for (key, value, future) in futures {
            let delivery = block_on(future).unwrap().unwrap();
            assert_eq!(delivery.partition, 0);
            self.acknowledged(delivery.offset, key, value);
        }
        self.catch_up();
    }

    fn acknowledged(&mut self, offset: i64, key: Vec<u8>, value: Vec<u8>) {
        assert_eq!(
            offset,
            i64::try_from(self.acked.len()).unwrap(),
            "dense offsets"
        );
        self.acked.push(Acked { offset, key, value });
    }

    /// The consumer reads every acknowledged record it has not seen yet.
    fn catch_up(&mut self) {
        let records = poll_records(&self.consumer, self.acked.len() - self.consumed);
        for (record, acked) in records.iter().zip(&self.acked[self.consumed..]) {
            assert_eq!(as_acked(record), *acked);
        }
        self.consumed = self.acked.len();
    }
}

fn as_acked(record: &Consumed) -> Acked {
    Acked {
        offset: record.offset,
        key: record.key.clone().unwrap_or_default(),
        value: record.value.clone().unwrap_or_default(),
    }
}

#[test]
fn bad_input_is_answered_correctly_while_a_librdkafka_client_carries_on() {
    let mut broker = start_broker(&[
        ("message.max.bytes", "20000"),
        ("socket.request.max.bytes", "1048576"),
    ]);
    create_topic(&broker, "faults", 1);
    let consumer = consumer(&broker, &[]);
    assign(&consumer, "faults", &[0], Offset::Beginning);
    let mut healthy = Healthy {
        producer: future_producer(&broker, &[("acks", "1")]),
        consumer,
        acked: Vec::new(),
        consumed: 0,
        rounds: 0,
    };
    healthy.round();

    // A frame whose api key no Kafka version defines: that connection only is dropped.
    let mut garbage = RawClient::connect(&broker);
    garbage.write(&[0, 0, 0, 8, 0x7f, 0x7f, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02]);
    assert!(garbage.closed_by_broker());
    healthy.round();

    // A length prefix far above socket.request.max.bytes.
    let mut huge = RawClient::connect(&broker);
    huge.write(&i32::MAX.to_be_bytes());
    assert!(huge.closed_by_broker());
    let mut negative = RawClient::connect(&broker);
    negative.write(&(-1i32).to_be_bytes());
    assert!(negative.closed_by_broker());
    healthy.round();

    // librdkafka's own first batch, as stored, with one byte of its records flipped: the
    // CRC no longer matches. CORRUPT_MESSAGE, and the connection stays usable.
    let log = std::fs::read(broker.first_segment("faults", 0)).unwrap();
    let real_batch = split_batches(&log).unwrap()[0].as_bytes().to_vec();
    let mut corrupt = real_batch.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0x55;
    let mut raw = RawClient::connect(&broker);
    let response = raw.call(&produce_request("faults", 0, 1, corrupt), 9);
    let answer = &response.responses[0].partition_responses[0];
    assert_eq!(answer.error_code, ResponseError::CorruptMessage.code());
    let versions = raw.call(&ApiVersionsRequest::default(), 3);
    assert_eq!(versions.error_code, 0);
    // The intact batch on the same connection is appended again, at the end of the log.
    let response = raw.call(&produce_request("faults", 0, 1, real_batch.clone()), 9);
    let answer = &response.responses[0].partition_responses[0];
    assert_eq!(answer.error_code, 0);
    let base_offset = answer.base_offset;
    let batch = split_batches(&real_batch).unwrap().remove(0);
    for record in batch.records().unwrap() {
        let record = record.unwrap();
        healthy.acknowledged(
            base_offset + i64::from(record.offset_delta),
            record.key.unwrap_or_default().to_vec(),
            record.value.unwrap_or_default().to_vec(),
        );
    }
    healthy.catch_up();
    healthy.round();

    // An oversized batch from the raw connection: MESSAGE_TOO_LARGE, connection usable.
    let base = now_ms();
    let mut builder = BatchBuilder::new(base);
    builder.record(base, Some(b"big"), Some(&[7u8; 30_000]), &[]);
    let response = raw.call(&produce_request("faults", 0, 1, builder.build()), 9);
    let answer = &response.responses[0].partition_responses[0];
    assert_eq!(answer.error_code, ResponseError::MessageTooLarge.code());
    let mut all_topics = MetadataRequest::default();
    all_topics.topics = None;
    let metadata = raw.call(&all_topics, 1);
    // The consumer's group lookups created the internal `__consumer_offsets` too.
    let user_topics: Vec<_> = metadata
        .topics
        .iter()
        .filter(|topic| !topic.is_internal)
        .collect();
    assert_eq!(user_topics.len(), 1);
    assert_eq!(user_topics[0].partitions.len(), 1);

    // And from librdkafka itself: the delivery report names the broker's error.
    let big = vec![b'x'; 30_000];
    let record = FutureRecord::to("faults")
        .key("too-big")
        .payload(&big)
        .partition(0);
    let future = healthy
        .producer
        .send_result(record)
        .map_err(|(e, _)| e)
        .unwrap();
    match block_on(future).unwrap() {
        Err((KafkaError::MessageProduction(code), _)) => {
            assert_eq!(code, RDKafkaErrorCode::MessageSizeTooLarge);
        }
        other => panic!("an oversized record was answered {other:?}"),
    }
    healthy.round();
    healthy.round();

    // Re-read from the log files by a fresh consumer after a clean restart: exactly the
    // acknowledged records, nothing from the refused requests.
    let acked = healthy.acked.clone();
    drop(healthy);
    broker.restart();
    let reread: Vec<Acked> = consume(&broker, "faults", &[0], acked.len())
        .iter()
        .map(as_acked)
        .collect();
    assert_eq!(reread, acked);
}

/// Collects the outcome of every delivery of a [`ThreadedProducer`]: `(value, offset)` for
/// each acknowledged record, and a count of failed ones.
#[derive(Default)]
struct Deliveries {
    acked: Mutex<Vec<(Vec<u8>, i64)>>,
    failed: Mutex<usize>,
}

#[derive(Clone)]
struct Recorder(Arc<Deliveries>);

impl ClientContext for Recorder {}

impl ProducerContext for Recorder {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _opaque: ()) {
        match result {
            Ok(message) => {
                assert_eq!(message.partition(), 0);
                let value = message.payload().unwrap_or_default().to_vec();
                self.0.acked.lock().unwrap().push((value, message.offset()));
            }
            Err(_) => *self.0.failed.lock().unwrap() += 1,
        }
    }
}

#[test]
// In-process, `TestBroker::kill` can only approximate SIGKILL (the runtime is dropped without
// the clean shutdown); with the broker process the harness sends a real `kill -9`.
fn every_acknowledged_record_survives_kill_9_under_load() {
    let mut broker = start_broker(&[]);
    create_topic(&broker, "crash", 1);
    let deliveries = Arc::new(Deliveries::default());
    let producer: ThreadedProducer<Recorder> = client_config(
        &broker,
        &[
            ("acks", "1"),
            ("linger.ms", "2"),
            ("message.timeout.ms", "15000"),
        ],
    )
    .create_with_context(Recorder(Arc::clone(&deliveries)))
    .unwrap();
    let producer = Arc::new(producer);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let producer = Arc::clone(&producer);
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut sent = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let value = format!("load-{sent:08}");
                let record: BaseRecord<'_, (), String, ()> =
                    BaseRecord::to("crash").payload(&value).partition(0);
                match producer.send(record) {
                    Ok(()) => sent += 1,
                    // A full queue while the broker is down: wait for deliveries to drain.
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                        producer.poll(Duration::from_millis(10));
                    }
                    Err((error, _)) => panic!("send failed: {error}"),
                }
            }
            sent
        })
    };
    wait_until("1000 acknowledged records", || {
        deliveries.acked.lock().unwrap().len() >= 1000
    });
    broker.kill();
    let acked_before_kill = deliveries.acked.lock().unwrap().len();
    broker.restart();
    // Keep writing into the restarted broker until it acknowledges records again.
    wait_until("acknowledgements after the restart", || {
        deliveries.acked.lock().unwrap().len() > acked_before_kill + 100
    });
    stop.store(true, Ordering::Relaxed);
    let sent = writer.join().unwrap();
    producer.flush(Duration::from_secs(30)).unwrap();

    let acked = deliveries.acked.lock().unwrap().clone();
    let failed = *deliveries.failed.lock().unwrap();
    assert_eq!(
        u64::try_from(acked.len() + failed).unwrap(),
        sent,
        "every send reported"
    );

    let consumer = consumer(&broker, &[]);
    let (low, high) = consumer
        .fetch_watermarks("crash", 0, Duration::from_secs(10))
        .unwrap();
    assert_eq!(low, 0);
    let stored = consume(&broker, "crash", &[0], usize::try_from(high).unwrap());
    let offsets: Vec<i64> = stored.iter().map(|record| record.offset).collect();
    assert_eq!(offsets, (0..high).collect::<Vec<i64>>(), "dense offsets");
    for (value, offset) in &acked {
        let record = &stored[usize::try_from(*offset).unwrap()];
        assert_eq!(
            record.value.as_deref(),
            Some(value.as_slice()),
            "offset {offset}"
        );
    }
    // The rebuilt offset index finds a position in the middle of the log.
    let (middle_value, middle) = acked[acked.len() / 2].clone();
    let from_middle = rdkafka_support::consumer(&broker, &[]);
    assign(&from_middle, "crash", &[0], Offset::Offset(middle));
    let first = poll_records(&from_middle, 1);
    assert_eq!(
        (first[0].offset, first[0].value.clone()),
        (middle, Some(middle_value))
    );
}
