#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! The cluster tools against a real coordinator and three brokers (the binaries of this
//! target dir, free loopback ports, temp dirs): `kafka-topics --describe` on a replicated
//! topic, `kafka-leader-election` (preferred after a reorder of the replicas, unclean after
//! the whole ISR went down) and `kafka-reassign-partitions` (a replica removed and its
//! reassignment verified, list, cancel, the JSON round trip), and the usage errors of both
//! tools.
//!
//! Reassignments that add replicas complete only once the new replicas are in the ISR,
//! which needs the replica fetcher; the tests here add none that must complete.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use support::{run, run_with_stdin, sibling, text};
use testkit::{wait_until, BrokerProcess, CoordinatorProcess};

/// How long the cluster gets to reflect a change.
const SETTLE: Duration = Duration::from_secs(30);

/// A coordinator and brokers 0, 1, 2.
struct TestCluster {
    brokers: Vec<BrokerProcess>,
    _coordinator: CoordinatorProcess,
    dir: tempfile::TempDir,
}

impl TestCluster {
    fn start() -> TestCluster {
        TestCluster::start_with(&[])
    }

    /// Brokers with `overrides` on top of the test defaults.
    fn start_with(overrides: &[(&str, &str)]) -> TestCluster {
        let coordinator = CoordinatorProcess::start(&sibling("coordinator"), &[]).unwrap();
        let mut settings = vec![("auto.create.topics.enable", "false")];
        settings.extend_from_slice(overrides);
        let brokers = (0..3)
            .map(|id| {
                BrokerProcess::start(
                    &sibling("broker"),
                    &coordinator.connect_string(),
                    id,
                    &settings,
                )
                .unwrap()
            })
            .collect();
        // A broker listens before it has registered: a topic created before all three show
        // could be refused for too few brokers.
        let connect = coordinator.connect_string();
        wait_until(SETTLE, "three brokers registered", || {
            let out = run("zookeeper-shell", &[connect.as_str(), "ls", "/brokers/ids"]);
            text(&out.stdout).contains("[0, 1, 2]")
        });
        TestCluster {
            brokers,
            _coordinator: coordinator,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Every broker's address: the tools bootstrap from any of them.
    fn bootstrap(&self) -> String {
        self.brokers
            .iter()
            .filter(|broker| broker.pid().is_some())
            .map(BrokerProcess::bootstrap)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// `kafka-leader-election --election-type <kind>` for one partition.
    fn elect(&self, kind: &str, topic: &str, partition: i32) -> Output {
        let partition = partition.to_string();
        self.tool(
            "kafka-leader-election",
            &[
                "--election-type",
                kind,
                "--topic",
                topic,
                "--partition",
                partition.as_str(),
            ],
        )
    }

    fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn tool(&self, name: &str, args: &[&str]) -> Output {
        let bootstrap = self.bootstrap();
        let mut all = vec!["--bootstrap-server", bootstrap.as_str()];
        all.extend_from_slice(args);
        run(name, &all)
    }

    fn create_topic(&self, topic: &str, extra: &[&str]) {
        let mut args = vec!["--create", "--topic", topic];
        args.extend_from_slice(extra);
        let out = self.tool("kafka-topics", &args);
        assert!(
            out.status.success(),
            "{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), format!("Created topic {topic}.\n"));
    }

    fn describe(&self, topic: &str) -> Vec<PartitionLine> {
        let out = self.tool("kafka-topics", &["--describe", "--topic", topic]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
            .lines()
            .filter(|line| line.starts_with('\t'))
            .map(PartitionLine::parse)
            .collect()
    }

    /// `kafka-reassign-partitions <action> --reassignment-json-file <file>`.
    fn reassign(&self, action: &str, file: &Path) -> Output {
        self.tool(
            "kafka-reassign-partitions",
            &[action, "--reassignment-json-file", path_str(file)],
        )
    }

    fn wait_for(&self, topic: &str, what: &str, condition: impl Fn(&[PartitionLine]) -> bool) {
        wait_until(SETTLE, what, || condition(&self.describe(topic)));
    }
}

/// One partition line of `kafka-topics --describe`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PartitionLine {
    partition: i32,
    /// `None` for `Leader: none`.
    leader: Option<i32>,
    replicas: Vec<i32>,
    isr: Vec<i32>,
}

impl PartitionLine {
    fn parse(line: &str) -> PartitionLine {
        let field = |name: &str| -> String {
            line.split('\t')
                .find_map(|part| part.strip_prefix(&format!("{name}: ")))
                .unwrap_or_else(|| panic!("no {name} in {line:?}"))
                .to_owned()
        };
        let ids = |list: String| -> Vec<i32> {
            list.split(',')
                .filter(|id| !id.is_empty())
                .map(|id| id.parse().unwrap())
                .collect()
        };
        PartitionLine {
            partition: field("Partition").parse().unwrap(),
            leader: field("Leader").parse().ok(),
            replicas: ids(field("Replicas")),
            isr: ids(field("Isr")),
        }
    }
}

fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn reassignment_json(topic: &str, partition: i32, replicas: &[i32]) -> String {
    let ids: Vec<String> = replicas.iter().map(i32::to_string).collect();
    let dirs: Vec<&str> = replicas.iter().map(|_| "\"any\"").collect();
    format!(
        r#"{{"version":1,"partitions":[{{"topic":"{topic}","partition":{partition},"replicas":[{}],"log_dirs":[{}]}}]}}"#,
        ids.join(","),
        dirs.join(",")
    )
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn describe_and_preferred_election_on_a_replicated_topic() {
    let cluster = TestCluster::start();
    cluster.create_topic("t", &["--partitions", "6", "--replication-factor", "3"]);
    cluster.wait_for(
        "t",
        "every partition has a leader and a full ISR",
        |lines| {
            lines.len() == 6
                && lines
                    .iter()
                    .all(|line| line.leader.is_some() && line.isr.len() == 3)
        },
    );
    let lines = cluster.describe("t");
    for line in &lines {
        let mut replicas = line.replicas.clone();
        replicas.sort_unstable();
        assert_eq!(replicas, vec![0, 1, 2], "{line:?}");
        assert_eq!(line.leader, line.replicas.first().copied(), "{line:?}");
    }
    // Kafka's round robin gives every broker two leaderships of six.
    for broker in 0..3 {
        assert_eq!(
            lines
                .iter()
                .filter(|line| line.leader == Some(broker))
                .count(),
            2
        );
    }

    // Already the preferred leader: nothing to do.
    let out = cluster.elect("preferred", "t", 0);
    assert_eq!(
        succeeded(&out),
        "Valid replica already elected for partitions t-0\n"
    );
    // --all-topic-partitions leaves out the partitions that needed nothing.
    let out = cluster.tool(
        "kafka-leader-election",
        &["--election-type", "PREFERRED", "--all-topic-partitions"],
    );
    assert_eq!(succeeded(&out), "");

    // Reordering partition 0's replicas (all in sync) completes at once and leaves the old
    // leader in place, no longer preferred.
    let old = lines[0].clone();
    let reordered = vec![old.replicas[1], old.replicas[0], old.replicas[2]];
    let file = cluster.file("reorder.json", &reassignment_json("t", 0, &reordered));
    let out = cluster.reassign("--execute", &file);
    let stdout = succeeded(&out);
    assert!(
        stdout.ends_with("Successfully started partition reassignment for t-0\n"),
        "{stdout}"
    );
    cluster.wait_for("t", "the new replica order shows", |lines| {
        lines[0].replicas == reordered
    });
    assert_eq!(cluster.describe("t")[0].leader, old.leader);

    let json = cluster.file(
        "elect.json",
        r#"{"partitions":[{"topic":"t","partition":0},{"topic":"t","partition":1}]}"#,
    );
    let out = cluster.tool(
        "kafka-leader-election",
        &[
            "--election-type",
            "preferred",
            "--path-to-json-file",
            path_str(&json),
        ],
    );
    assert_eq!(
        succeeded(&out),
        "Successfully completed leader election (PREFERRED) for partitions t-0\nValid replica already elected for partitions t-1\n"
    );
    let after = cluster.describe("t");
    assert_eq!(after[0].leader, Some(reordered[0]));

    // Unknown partitions are reported per partition and fail the command.
    let out = cluster.elect("preferred", "t", 9);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "Error completing leader election (PREFERRED) for partition: t-9: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: The partition does not exist.\n"
    );
    assert_eq!(text(&out.stderr), "1 replica(s) could not be elected\n");
}

#[test]
fn the_controller_rebalances_leaders_to_preferred_replicas_on_its_own() {
    let cluster = TestCluster::start_with(&[("leader.imbalance.check.interval.seconds", "1")]);
    cluster.create_topic("b", &["--replica-assignment", "0:1:2,1:2:0,2:0:1"]);
    cluster.wait_for("b", "every partition has its preferred leader", |lines| {
        lines.len() == 3
            && lines
                .iter()
                .all(|line| line.isr.len() == 3 && line.leader == line.replicas.first().copied())
    });
    // Partition 0's preferred replica becomes broker 1 while broker 0 keeps leading it:
    // broker 1 then leads one of its two preferred partitions, far past 10%.
    let file = cluster.file("reorder.json", &reassignment_json("b", 0, &[1, 0, 2]));
    let out = cluster.reassign("--execute", &file);
    succeeded(&out);
    cluster.wait_for(
        "b",
        "the controller moved partition 0 to broker 1",
        |lines| lines[0].replicas == vec![1, 0, 2] && lines[0].leader == Some(1),
    );
}

#[test]
fn unclean_election_revives_a_partition_whose_isr_is_gone() {
    let mut cluster = TestCluster::start();
    cluster.create_topic("u", &["--replica-assignment", "1:2"]);
    cluster.wait_for("u", "the ISR is full", |lines| lines[0].isr.len() == 2);

    // A clean election cannot help while a live leader exists.
    let out = cluster.elect("unclean", "u", 0);
    assert_eq!(
        succeeded(&out),
        "Valid replica already elected for partitions u-0\n"
    );

    // Broker 2 goes, then broker 1: no ISR member is left to lead, and broker 1, the last
    // one, stays in the ISR.
    cluster.brokers[2].stop().unwrap();
    cluster.brokers[1].stop().unwrap();
    cluster.wait_for("u", "the partition has no leader", |lines| {
        lines[0].leader.is_none() && lines[0].isr == vec![1]
    });
    // The describe filters report it.
    for filter in ["--unavailable-partitions", "--under-min-isr-partitions"] {
        let out = cluster.tool("kafka-topics", &["--describe", "--topic", "u", filter]);
        assert_eq!(
            succeeded(&out),
            "\tTopic: u\tPartition: 0\tLeader: none\tReplicas: 1,2\tIsr: 1\n",
            "{filter}"
        );
    }
    let out = cluster.tool(
        "kafka-topics",
        &["--describe", "--topic", "u", "--at-min-isr-partitions"],
    );
    assert_eq!(
        succeeded(&out),
        "\tTopic: u\tPartition: 0\tLeader: none\tReplicas: 1,2\tIsr: 1\n"
    );
    // Broker 2 returns but is not in the ISR: only an unclean election brings it back.
    cluster.brokers[2].restart().unwrap();
    let out = cluster.elect("preferred", "u", 0);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).starts_with("Error completing leader election (PREFERRED) for partition: u-0: org.apache.kafka.common.errors.PreferredLeaderNotAvailableException: "),
        "{}",
        text(&out.stdout)
    );
    let out = cluster.elect("unclean", "u", 0);
    assert_eq!(
        succeeded(&out),
        "Successfully completed leader election (UNCLEAN) for partitions u-0\n"
    );
    let lines = cluster.describe("u");
    assert_eq!(lines[0].leader, Some(2));
    assert_eq!(lines[0].isr, vec![2]);
}

#[test]
fn reassignment_removes_a_replica_and_verify_list_cancel_report_it() {
    let cluster = TestCluster::start();
    cluster.create_topic("r", &["--replica-assignment", "0:1:2"]);
    cluster.wait_for("r", "the ISR is full", |lines| lines[0].isr.len() == 3);

    let out = cluster.tool("kafka-reassign-partitions", &["--list"]);
    assert_eq!(succeeded(&out), "No partition reassignments found.\n");

    // --generate proposes over the listed brokers and prints both documents.
    let topics = cluster.file("topics.json", r#"{"version":1,"topics":[{"topic":"r"}]}"#);
    let out = cluster.tool(
        "kafka-reassign-partitions",
        &[
            "--generate",
            "--topics-to-move-json-file",
            path_str(&topics),
            "--broker-list",
            "1,2,0",
        ],
    );
    let stdout = succeeded(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "Current partition replica assignment");
    assert_eq!(
        lines[1],
        r#"{"version":1,"partitions":[{"topic":"r","partition":0,"replicas":[0,1,2],"log_dirs":["any","any","any"]}]}"#
    );
    assert_eq!(lines[2], "");
    assert_eq!(lines[3], "Proposed partition reassignment configuration");
    assert!(lines[4]
        .starts_with(r#"{"version":1,"partitions":[{"topic":"r","partition":0,"replicas":["#));

    // Broker 0 leaves the replica set; brokers 1 and 2 are in sync, so it completes.
    let file = cluster.file("shrink.json", &reassignment_json("r", 0, &[1, 2]));
    let out = cluster.tool(
        "kafka-reassign-partitions",
        &[
            "--execute",
            "--reassignment-json-file",
            path_str(&file),
            "--throttle",
            "1000",
        ],
    );
    assert_eq!(
        succeeded(&out),
        "Current partition replica assignment\n\n{\"version\":1,\"partitions\":[{\"topic\":\"r\",\"partition\":0,\"replicas\":[0,1,2],\"log_dirs\":[\"any\",\"any\",\"any\"]}]}\n\nSave this to use as the --reassignment-json-file option during rollback\nWarning: the inter-broker throttle of 1000 B/s was not applied: this cluster does not throttle replication.\nSuccessfully started partition reassignment for r-0\n"
    );
    cluster.wait_for("r", "the reassignment completed", |lines| {
        lines[0].replicas == vec![1, 2] && lines[0].isr.iter().all(|id| *id != 0)
    });
    let line = &cluster.describe("r")[0];
    assert_eq!(line.leader, Some(1));
    let out = cluster.reassign("--verify", &file);
    assert_eq!(
        succeeded(&out),
        "Status of partition reassignment:\nReassignment of partition r-0 is completed.\n"
    );
    // Broker 0 deletes its copy.
    let folder = cluster.brokers[0].log_dir().join("r-0");
    wait_until(SETTLE, "broker 0 deleted r-0", || !folder.exists());

    // Nothing runs any more: cancel finds nothing, a rollback file verifies as not applied.
    let out = cluster.reassign("--cancel", &file);
    assert_eq!(
        succeeded(&out),
        "None of the specified partition reassignments are active.\nNone of the specified partition moves are active.\n"
    );
    let rollback = cluster.file("rollback.json", &reassignment_json("r", 0, &[0, 1, 2]));
    let out = cluster.reassign("--verify", &rollback);
    assert_eq!(
        succeeded(&out),
        "Status of partition reassignment:\nThere is no active reassignment of partition r-0, but replica set is 1,2 rather than 0,1,2.\n"
    );

    // A refused target is reported per partition.
    let bad = cluster.file("bad.json", &reassignment_json("r", 0, &[1, 7]));
    let out = cluster.reassign("--execute", &bad);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "Error: Unknown broker id 7\n");
}

/// Writes `lines` to `topic` with the console producer (acks=all).
fn produce_lines(cluster: &TestCluster, topic: &str, lines: &str) {
    let bootstrap = cluster.bootstrap();
    let out = run_with_stdin(
        "kafka-console-producer",
        &[
            "--bootstrap-server",
            bootstrap.as_str(),
            "--topic",
            topic,
            "--producer-property",
            "acks=all",
        ],
        lines,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn a_partition_moves_to_new_replicas_once_they_caught_up_and_the_old_one_drops_it() {
    let cluster = TestCluster::start();
    cluster.create_topic("a", &["--replica-assignment", "0"]);
    cluster.wait_for("a", "the partition has a leader", |lines| {
        lines[0].leader == Some(0)
    });
    produce_lines(&cluster, "a", "one\ntwo\nthree\n");
    let file = cluster.file("move.json", &reassignment_json("a", 0, &[1, 2]));
    let out = cluster.reassign("--execute", &file);
    assert!(succeeded(&out).ends_with("Successfully started partition reassignment for a-0\n"));
    // Brokers 1 and 2 copy the log from broker 0, join the ISR, and 1 takes over.
    cluster.wait_for("a", "the move completed", |lines| {
        lines[0].replicas == vec![1, 2] && lines[0].leader == Some(1) && lines[0].isr.len() == 2
    });
    let out = cluster.reassign("--verify", &file);
    assert_eq!(
        succeeded(&out),
        "Status of partition reassignment:\nReassignment of partition a-0 is completed.\n"
    );
    let folder = cluster.brokers[0].log_dir().join("a-0");
    wait_until(SETTLE, "broker 0 deleted a-0", || !folder.exists());
    // The records moved with the partition.
    let out = cluster.tool(
        "kafka-console-consumer",
        &["--topic", "a", "--from-beginning", "--max-messages", "3"],
    );
    assert_eq!(succeeded(&out), "one\ntwo\nthree\n");
    let out = cluster.tool("kafka-reassign-partitions", &["--list"]);
    assert_eq!(succeeded(&out), "No partition reassignments found.\n");
}

#[test]
fn a_reassignment_waiting_for_a_stopped_broker_is_listed_and_cancelled() {
    let mut cluster = TestCluster::start();
    cluster.create_topic("w", &["--replica-assignment", "0"]);
    cluster.wait_for("w", "the partition has a leader", |lines| {
        lines[0].leader == Some(0)
    });
    // Broker 2 is down: the replica it should add cannot catch up.
    cluster.brokers[2].kill9().unwrap();
    let file = cluster.file("grow.json", &reassignment_json("w", 0, &[0, 2]));
    succeeded(&cluster.reassign("--execute", &file));
    let out = cluster.tool("kafka-reassign-partitions", &["--list"]);
    assert_eq!(
        succeeded(&out),
        "Current partition reassignments:\nw-0: replicas: 0,2. adding: 2.\n"
    );
    let out = cluster.reassign("--verify", &file);
    assert_eq!(
        succeeded(&out),
        "Status of partition reassignment:\nReassignment of partition w-0 is still in progress.\n"
    );
    let out = cluster.reassign("--cancel", &file);
    assert!(
        succeeded(&out).starts_with("Successfully cancelled partition reassignment for: w-0\n"),
        "{}",
        text(&out.stdout)
    );
    cluster.wait_for("w", "the original replicas are back", |lines| {
        lines[0].replicas == vec![0] && lines[0].isr == vec![0]
    });
    let out = cluster.tool("kafka-reassign-partitions", &["--list"]);
    assert_eq!(succeeded(&out), "No partition reassignments found.\n");
}

#[test]
fn usage_errors_exit_non_zero_with_kafkas_messages() {
    let out = run(
        "kafka-leader-election",
        &["--bootstrap-server", "127.0.0.1:1", "--topic", "t"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "Missing required option(s): election-type\n"
    );
    let out = run(
        "kafka-leader-election",
        &[
            "--bootstrap-server",
            "127.0.0.1:1",
            "--election-type",
            "preferred",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file\n"
    );
    let out = run("kafka-leader-election", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--election-type <election type>"));

    let out = run(
        "kafka-reassign-partitions",
        &["--bootstrap-server", "127.0.0.1:1"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("Command must include exactly one action: --generate, --execute, --verify, --cancel, --list\nOption"),
        "{stderr}"
    );
    let out = run(
        "kafka-reassign-partitions",
        &["--bootstrap-server", "127.0.0.1:1", "--execute"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("Missing required argument \"[reassignment-json-file]\"\n")
    );
    let out = run(
        "kafka-reassign-partitions",
        &[
            "--bootstrap-server",
            "127.0.0.1:1",
            "--list",
            "--additional",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr)
        .starts_with("Option \"[additional]\" can't be used with action \"[list]\"\n"));
}

/// `bin/kafka-local-cluster.sh` with its environment pointed at a temp dir: the binaries of
/// this target dir (as `release/` links), free ports, its own run and data dirs. Stops the
/// cluster when dropped, so a failed test leaves nothing running.
struct LocalClusterScript {
    dir: tempfile::TempDir,
    base_port: u16,
    zk_port: u16,
}

impl LocalClusterScript {
    fn new(brokers: u16) -> LocalClusterScript {
        let dir = tempfile::tempdir().unwrap();
        let release = dir.path().join("target").join("release");
        std::fs::create_dir_all(&release).unwrap();
        for name in ["broker", "coordinator", "zookeeper-shell"] {
            std::os::unix::fs::symlink(sibling(name), release.join(name)).unwrap();
        }
        let base_port = consecutive_free_ports(brokers + 1);
        LocalClusterScript {
            dir,
            base_port,
            zk_port: base_port + brokers,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("bin")
            .join("kafka-local-cluster.sh");
        std::process::Command::new(script)
            .args(args)
            .env("CARGO_TARGET_DIR", self.dir.path().join("target"))
            .env("KAFKA_CLUSTER_RUN_DIR", self.dir.path().join("run"))
            .env("KAFKA_CLUSTER_DATA_DIR", self.dir.path().join("data"))
            .env("KAFKA_CLUSTER_ZK_PORT", self.zk_port.to_string())
            .env("KAFKA_CLUSTER_BASE_PORT", self.base_port.to_string())
            .env("KAFKA_CLUSTER_HOST", "127.0.0.1")
            .output()
            .unwrap()
    }
}

impl Drop for LocalClusterScript {
    fn drop(&mut self) {
        if self.dir.path().join("run").join("coordinator.pid").exists() {
            let _ = self.run(&["stop"]);
        }
    }
}

/// The first of `count` consecutive loopback ports that are free right now.
fn consecutive_free_ports(count: u16) -> u16 {
    loop {
        let base = testkit::free_port();
        if base.checked_add(count).is_none() {
            continue;
        }
        let free = (0..count)
            .all(|offset| std::net::TcpListener::bind(("127.0.0.1", base + offset)).is_ok());
        if free {
            return base;
        }
    }
}

#[test]
fn the_local_cluster_script_starts_reports_and_stops_a_cluster() {
    let script = LocalClusterScript::new(4);
    let out = script.run(&["start", "4"]);
    let stdout = succeeded(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{stdout}");
    assert!(
        lines[0].starts_with("Started the coordinator (pid "),
        "{stdout}"
    );
    assert!(
        lines[4].starts_with("Started broker 3 (pid ")
            && lines[4].contains(&format!("on port {}", script.base_port + 3))
            && lines[4].contains("server-3.properties"),
        "{stdout}"
    );
    assert_eq!(
        lines[5],
        format!(
            "Cluster ready: 4 broker(s) registered [0, 1, 2, 3], coordinator at 127.0.0.1:{}",
            script.zk_port
        )
    );
    let generated =
        std::fs::read_to_string(script.dir.path().join("run").join("server-3.properties")).unwrap();
    assert!(generated.contains("broker.id=3\n") && !generated.contains("broker.id=0"));

    // A second start is refused while this one runs.
    assert_eq!(script.run(&["start"]).status.code(), Some(1));

    let out = script.run(&["status"]);
    let stdout = succeeded(&out);
    assert!(stdout.starts_with("coordinator: running (pid "), "{stdout}");
    assert_eq!(stdout.matches(": running (pid ").count(), 5, "{stdout}");
    assert!(
        stdout.ends_with("registered brokers: [0, 1, 2, 3]\n"),
        "{stdout}"
    );

    // The brokers serve: a topic over all four.
    let bootstrap = format!("127.0.0.1:{}", script.base_port);
    let out = run(
        "kafka-topics",
        &[
            "--bootstrap-server",
            &bootstrap,
            "--create",
            "--topic",
            "c",
            "--partitions",
            "4",
            "--replication-factor",
            "4",
        ],
    );
    assert_eq!(succeeded(&out), "Created topic c.\n");

    let out = script.run(&["stop"]);
    let stdout = succeeded(&out);
    for id in 0..4 {
        assert!(
            stdout.contains(&format!("Stopped broker {id} (pid ")),
            "{stdout}"
        );
    }
    assert!(
        stdout.ends_with("\n")
            && stdout
                .lines()
                .last()
                .unwrap()
                .starts_with("Stopped the coordinator (pid ")
    );
    let out = script.run(&["status"]);
    assert_eq!(out.status.code(), Some(1));
    let out = script.run(&["stop"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "No local cluster to stop\n");
    let out = script.run(&["restart"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).starts_with("USAGE: "));
}
