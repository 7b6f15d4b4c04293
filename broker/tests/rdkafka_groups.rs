#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! Consumer groups end to end with librdkafka (the `rdkafka` crate) against the real
//! coordinator and broker processes ([`rdkafka_support::start_broker`]).
//!
//! - consumers of one group share a topic's partitions and rebalance when one joins, when
//!   one leaves cleanly (close sends LeaveGroup), and when one dies: the dying consumer runs
//!   in a child process (this test binary re-run as [`child_consumer`]) that is killed with
//!   SIGKILL, so librdkafka gets no chance to leave and the session timeout must expire it;
//! - committed offsets survive a broker `kill -9` and restart, and a new consumer of the
//!   group resumes right after them with nothing lost or repeated;
//! - static members (`group.instance.id`) restart without a rebalance;
//! - the range, roundrobin and cooperative-sticky assignors all converge.
//!
//! Every test waits on conditions with a deadline ([`rdkafka_support::PATIENCE`]); session
//! timeouts are 6 s (the broker's minimum), the initial rebalance delay 0.

mod rdkafka_support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::message::Message;
use rdkafka::producer::FutureRecord;
use rdkafka::{Offset, TopicPartitionList};
use rdkafka_support::*;

/// Broker settings for group tests: one broker, so the offsets topic has one replica; a few
/// offsets partitions keep topic creation quick; no initial rebalance delay.
const GROUP_BROKER: [(&str, &str); 3] = [
    ("offsets.topic.replication.factor", "1"),
    ("offsets.topic.num.partitions", "5"),
    ("group.initial.rebalance.delay.ms", "0"),
];

/// The environment variable that turns [`child_consumer`] into a real consumer.
const CHILD_BOOTSTRAP: &str = "GROUPS_TEST_CHILD_BOOTSTRAP";
const CHILD_GROUP: &str = "GROUPS_TEST_CHILD_GROUP";
const CHILD_TOPIC: &str = "GROUPS_TEST_CHILD_TOPIC";

/// Counts rebalances a consumer goes through.
#[derive(Default, Clone)]
struct Counting {
    rebalances: Arc<AtomicUsize>,
}

impl ClientContext for Counting {}

impl ConsumerContext for Counting {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if matches!(rebalance, Rebalance::Assign(_)) {
            self.rebalances.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn group_consumer(
    broker: &TestBroker,
    group: &str,
    extra: &[(&str, &str)],
) -> BaseConsumer<Counting> {
    client_config(
        broker,
        &[
            ("group.id", group),
            ("session.timeout.ms", "6000"),
            ("heartbeat.interval.ms", "500"),
            ("max.poll.interval.ms", "10000"),
            ("enable.auto.commit", "false"),
            ("auto.offset.reset", "earliest"),
            ("fetch.wait.max.ms", "100"),
            ("topic.metadata.refresh.interval.ms", "1000"),
        ],
    )
    .extend_with(extra)
    .create_with_context(Counting::default())
    .unwrap()
}

/// The partitions of `topic` currently assigned to `consumer`.
fn assigned<C: ConsumerContext>(consumer: &BaseConsumer<C>, topic: &str) -> BTreeSet<i32> {
    consumer
        .assignment()
        .unwrap()
        .elements_for_topic(topic)
        .iter()
        .map(|element| element.partition())
        .collect()
}

/// Polls every consumer (group work happens inside poll) until `condition` holds for their
/// assignments; panics naming `what` after [`PATIENCE`].
fn poll_until<C: ConsumerContext>(
    what: &str,
    consumers: &[&BaseConsumer<C>],
    topic: &str,
    mut condition: impl FnMut(&[BTreeSet<i32>]) -> bool,
) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        for consumer in consumers {
            if let Some(Err(error)) = consumer.poll(Duration::from_millis(20)) {
                // Rebalances surface as transient errors in some librdkafka versions.
                eprintln!("consumer error while waiting for {what}: {error}");
            }
        }
        let assignments: Vec<BTreeSet<i32>> = consumers
            .iter()
            .map(|consumer| assigned(consumer, topic))
            .collect();
        if condition(&assignments) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; assignments {assignments:?}"
        );
    }
}

/// True when `assignments` are disjoint and together hold exactly `0..partitions`, with
/// `expected` partitions each.
fn shared(assignments: &[BTreeSet<i32>], partitions: i32, expected: &[usize]) -> bool {
    let mut all = BTreeSet::new();
    let mut total = 0;
    for assignment in assignments {
        total += assignment.len();
        all.extend(assignment.iter().copied());
    }
    let sizes: Vec<usize> = assignments.iter().map(BTreeSet::len).collect();
    total == all.len() && all == (0..partitions).collect() && sizes == expected
}

/// A consumer in a child process: this test binary run again as [`child_consumer`].
struct ChildConsumer {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl ChildConsumer {
    fn spawn(broker: &TestBroker, group: &str, topic: &str) -> ChildConsumer {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_consumer", "--ignored", "--nocapture"])
            .env(CHILD_BOOTSTRAP, broker.bootstrap())
            .env(CHILD_GROUP, group)
            .env(CHILD_TOPIC, topic)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        ChildConsumer { child, lines }
    }

    /// Waits until the child reports an assignment of `count` partitions.
    fn wait_assigned(&self, count: usize) {
        let deadline = Instant::now() + PATIENCE;
        let wanted = format!("ASSIGNED {count}");
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "child consumer never had {count} partitions"
            );
            if let Ok(line) = self.lines.recv_timeout(left) {
                if line == wanted {
                    return;
                }
            }
        }
    }

    /// SIGKILL: librdkafka sends no LeaveGroup.
    fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ChildConsumer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Not a test of its own: the body of the child consumer process [`ChildConsumer`] starts
/// (it runs only with the child's environment). It subscribes, polls, and prints
/// `ASSIGNED <n>` whenever its assignment changes, until it is killed.
#[test]
#[ignore = "run by the group tests as a child process"]
fn child_consumer() {
    let Ok(bootstrap) = std::env::var(CHILD_BOOTSTRAP) else {
        return;
    };
    let group = std::env::var(CHILD_GROUP).unwrap();
    let topic = std::env::var(CHILD_TOPIC).unwrap();
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("broker.address.family", "v4")
        .set("group.id", &group)
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "500")
        .set("max.poll.interval.ms", "10000")
        .set("enable.auto.commit", "false")
        .set("topic.metadata.refresh.interval.ms", "1000")
        .create()
        .unwrap();
    consumer.subscribe(&[&topic]).unwrap();
    let mut last = usize::MAX;
    loop {
        let _ = consumer.poll(Duration::from_millis(50));
        let count = consumer.assignment().unwrap().count();
        if count != last {
            println!("ASSIGNED {count}");
            last = count;
        }
    }
}

#[test]
fn consumers_share_partitions_and_rebalance_on_join_leave_and_death() {
    let broker = start_broker(&GROUP_BROKER);
    let topic = "shared";
    create_topic(&broker, topic, 6);
    let first = group_consumer(&broker, "sharing", &[]);
    let second = group_consumer(&broker, "sharing", &[]);
    first.subscribe(&[topic]).unwrap();
    second.subscribe(&[topic]).unwrap();
    poll_until(
        "two consumers sharing 6 partitions",
        &[&first, &second],
        topic,
        |a| shared(a, 6, &[3, 3]),
    );

    // A third consumer (in its own process) joins: 2 partitions each.
    let mut third = ChildConsumer::spawn(&broker, "sharing", topic);
    poll_until(
        "the third member's rebalance",
        &[&first, &second],
        topic,
        |a| a[0].len() == 2 && a[1].len() == 2 && a[0].is_disjoint(&a[1]),
    );
    third.wait_assigned(2);

    // It dies without leaving: its session (6 s) expires and the others take over.
    let killed = Instant::now();
    third.kill9();
    poll_until(
        "the dead member's partitions to move",
        &[&first, &second],
        topic,
        |a| shared(a, 6, &[3, 3]),
    );
    assert!(
        killed.elapsed() >= Duration::from_secs(5),
        "the dead member was removed before its session timeout: {:?}",
        killed.elapsed()
    );

    // The second closes cleanly (LeaveGroup): the first gets everything well before a
    // session timeout would have passed.
    let left = Instant::now();
    drop(second);
    poll_until("the leaver's partitions to move", &[&first], topic, |a| {
        shared(a, 6, &[6])
    });
    assert!(
        left.elapsed() < Duration::from_secs(5),
        "a clean leave took {:?}",
        left.elapsed()
    );
}

#[test]
fn committed_offsets_survive_kill9_and_a_new_consumer_resumes_after_them() {
    let mut broker = start_broker(&GROUP_BROKER);
    let topic = "resume";
    create_topic(&broker, topic, 2);
    let producer = future_producer(&broker, &[("acks", "all")]);
    for index in 0..100 {
        let key = format!("key-{index}");
        let value = format!("value-{index}");
        block_on(
            producer.send(
                FutureRecord::to(topic)
                    .partition(index % 2)
                    .key(&key)
                    .payload(&value),
                Duration::from_secs(10),
            ),
        )
        .unwrap();
    }

    let consumer = group_consumer(&broker, "resumers", &[]);
    consumer.subscribe(&[topic]).unwrap();
    let mut seen = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    while seen.len() < 60 {
        assert!(Instant::now() < deadline, "consumed only {}", seen.len());
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            let message = message.unwrap();
            seen.push((message.partition(), message.offset()));
        }
    }
    // Commit exactly what was consumed: the next offset per partition.
    let mut positions = TopicPartitionList::new();
    for partition in 0..2 {
        let next = seen
            .iter()
            .filter(|(p, _)| *p == partition)
            .map(|(_, offset)| offset + 1)
            .max()
            .unwrap_or(0);
        positions
            .add_partition_offset(topic, partition, Offset::Offset(next))
            .unwrap();
    }
    consumer.commit(&positions, CommitMode::Sync).unwrap();
    drop(consumer);

    broker.kill();
    broker.restart();

    let resumed = group_consumer(&broker, "resumers", &[]);
    let committed = {
        let mut wanted = TopicPartitionList::new();
        wanted.add_partition(topic, 0);
        wanted.add_partition(topic, 1);
        let deadline = Instant::now() + PATIENCE;
        loop {
            match resumed.committed_offsets(wanted.clone(), Duration::from_secs(5)) {
                Ok(list) => break list,
                Err(error) => {
                    assert!(Instant::now() < deadline, "committed offsets: {error}");
                }
            }
        }
    };
    for partition in 0..2 {
        let element = committed.find_partition(topic, partition).unwrap();
        let expected = positions.find_partition(topic, partition).unwrap().offset();
        assert_eq!(element.offset(), expected, "partition {partition}");
    }
    resumed.subscribe(&[topic]).unwrap();
    let mut rest = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    while rest.len() < 40 {
        assert!(
            Instant::now() < deadline,
            "resumed only {} of 40",
            rest.len()
        );
        if let Some(message) = resumed.poll(Duration::from_millis(100)) {
            let message = message.unwrap();
            rest.push((message.partition(), message.offset()));
        }
    }
    let mut all: Vec<(i32, i64)> = seen.iter().chain(rest.iter()).copied().collect();
    all.sort_unstable();
    let expected: Vec<(i32, i64)> = (0..2)
        .flat_map(|partition| (0..50).map(move |offset| (partition, offset)))
        .collect();
    assert_eq!(all, expected, "every record exactly once");
}

#[test]
fn static_members_restart_without_a_rebalance() {
    let broker = start_broker(&GROUP_BROKER);
    let topic = "statics";
    create_topic(&broker, topic, 4);
    let settings = |instance: &'static str| {
        [
            ("group.instance.id", instance),
            ("session.timeout.ms", "10000"),
        ]
    };
    let first = group_consumer(&broker, "static-group", &settings("one"));
    let second = group_consumer(&broker, "static-group", &settings("two"));
    first.subscribe(&[topic]).unwrap();
    second.subscribe(&[topic]).unwrap();
    poll_until(
        "two static members sharing 4 partitions",
        &[&first, &second],
        topic,
        |a| shared(a, 4, &[2, 2]),
    );
    let before = assigned(&first, topic);
    let rebalances = first.context().rebalances.load(Ordering::SeqCst);

    // The second restarts: a static member sends no LeaveGroup on close and comes back
    // with its instance id, taking over its old place.
    let second_partitions = assigned(&second, topic);
    drop(second);
    let restarted = group_consumer(&broker, "static-group", &settings("two"));
    restarted.subscribe(&[topic]).unwrap();
    poll_until(
        "the restarted static member's assignment",
        &[&first, &restarted],
        topic,
        |a| a[1] == second_partitions,
    );
    // Give a rebalance the chance to show up, polling both for a while.
    let settle = Instant::now() + Duration::from_secs(3);
    while Instant::now() < settle {
        first.poll(Duration::from_millis(50));
        restarted.poll(Duration::from_millis(50));
    }
    assert_eq!(assigned(&first, topic), before);
    assert_eq!(
        first.context().rebalances.load(Ordering::SeqCst),
        rebalances,
        "the other member went through a rebalance"
    );
    let groups = first
        .fetch_group_list(Some("static-group"), Duration::from_secs(5))
        .unwrap();
    let group = &groups.groups()[0];
    assert_eq!(group.state(), "Stable");
    assert_eq!(group.members().len(), 2);
}

#[test]
fn range_roundrobin_and_cooperative_sticky_assignors_converge() {
    let broker = start_broker(&GROUP_BROKER);
    let topic = "assignors";
    create_topic(&broker, topic, 6);
    for assignor in ["range", "roundrobin", "cooperative-sticky"] {
        let group = format!("assigned-by-{assignor}");
        let settings = [("partition.assignment.strategy", assignor)];
        let consumers: Vec<BaseConsumer<Counting>> = (0..3)
            .map(|_| group_consumer(&broker, &group, &settings))
            .collect();
        consumers[0].subscribe(&[topic]).unwrap();
        let first: Vec<&BaseConsumer<Counting>> = consumers.iter().take(1).collect();
        poll_until(&format!("{assignor}: one member"), &first, topic, |a| {
            shared(a, 6, &[6])
        });
        for consumer in &consumers[1..] {
            consumer.subscribe(&[topic]).unwrap();
        }
        let all: Vec<&BaseConsumer<Counting>> = consumers.iter().collect();
        poll_until(&format!("{assignor}: three members"), &all, topic, |a| {
            shared(a, 6, &[2, 2, 2])
        });
        let groups = consumers[0]
            .fetch_group_list(Some(&group), Duration::from_secs(5))
            .unwrap();
        let described = &groups.groups()[0];
        assert_eq!(described.state(), "Stable", "{assignor}");
        assert_eq!(described.protocol(), assignor);
    }
}
