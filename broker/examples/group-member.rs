//! `group-member`: one librdkafka consumer in a group, for tests that need a member they can
//! kill with SIGKILL (so it never sends LeaveGroup): `group-member BOOTSTRAP GROUP TOPIC`.
//! It subscribes and polls until killed, printing `ASSIGNED <n>` on stdout each time its
//! assignment changes size. Session timeout 6 s, heartbeats every 500 ms.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [bootstrap, group, topic] = args.as_slice() else {
        eprintln!("usage: group-member BOOTSTRAP GROUP TOPIC");
        return ExitCode::from(2);
    };
    let consumer: BaseConsumer = match rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("broker.address.family", "v4")
        .set("group.id", group)
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "500")
        .set("max.poll.interval.ms", "10000")
        .set("enable.auto.commit", "false")
        .set("topic.metadata.refresh.interval.ms", "1000")
        .create()
    {
        Ok(consumer) => consumer,
        Err(error) => {
            eprintln!("group-member: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = consumer.subscribe(&[topic.as_str()]) {
        eprintln!("group-member: subscribe: {error}");
        return ExitCode::FAILURE;
    }
    let mut last = usize::MAX;
    loop {
        let _ = consumer.poll(Duration::from_millis(50));
        let count = consumer
            .assignment()
            .map(|list| list.count())
            .unwrap_or(last);
        if count != last {
            println!("ASSIGNED {count}");
            let _ = std::io::stdout().flush();
            last = count;
        }
    }
}
