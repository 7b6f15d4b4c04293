//! Four-letter words on the client port: ruok, isro, srvr, stat, mntr, conf, cons, envi, dump,
//! wchs, wchc, wchp — their text shapes and the values that must agree with the server's
//! state (zxid, node count, sessions, ephemerals, watches) — and the refusal text for a word
//! outside `4lw.commands.whitelist`.
//!
//! ZooKeeper counts the root twice in its node count (it is stored under "" and "/"), so a
//! fresh tree of four nodes reports 5.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use std::collections::BTreeMap;

use support::*;
use testkit::jute::{op, request};
use testkit::RawClient;

/// `key<sep>value` lines into a map, asserting each line has the separator.
fn pairs(text: &str, separator: char) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in text.lines().filter(|line| !line.is_empty()) {
        let (key, value) = line
            .split_once(separator)
            .unwrap_or_else(|| panic!("line without {separator:?}: {line:?}"));
        map.insert(key.to_string(), value.to_string());
    }
    map
}

fn last_zxid(raw: &mut RawClient) -> i64 {
    raw_call(raw, op::SYNC, &request::path("/")).zxid
}

/// Checks the lines srvr and stat share, from `Latency` on.
fn assert_server_summary(lines: &[&str], zxid: i64, node_count: usize) {
    let latency = lines[0]
        .strip_prefix("Latency min/avg/max: ")
        .unwrap_or_else(|| panic!("{:?}", lines[0]));
    let parts: Vec<&str> = latency.split('/').collect();
    assert_eq!(parts.len(), 3, "{latency}");
    for part in parts {
        part.parse::<f64>().unwrap();
    }
    lines[1]
        .strip_prefix("Received: ")
        .unwrap()
        .parse::<u64>()
        .unwrap();
    lines[2]
        .strip_prefix("Sent: ")
        .unwrap()
        .parse::<u64>()
        .unwrap();
    assert!(
        lines[3]
            .strip_prefix("Connections: ")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(lines[4], "Outstanding: 0");
    assert_eq!(lines[5], format!("Zxid: {zxid:#x}"));
    assert_eq!(lines[6], "Mode: standalone");
    assert_eq!(lines[7], format!("Node count: {node_count}"));
    assert_eq!(lines.len(), 8);
}

#[test]
fn ruok_and_isro() {
    let server = start_server(&[]);
    assert_eq!(server.four_letter("ruok"), "imok");
    assert_eq!(server.four_letter("isro"), "rw");
}

#[test]
fn srvr_and_stat_summarise_the_server() {
    let server = start_server(&[]);
    let mut raw = raw_session(&server);
    let fresh = server.four_letter("srvr");
    let lines: Vec<&str> = fresh.lines().collect();
    assert!(lines[0].starts_with("Zookeeper version: "), "{fresh}");
    assert_server_summary(&lines[1..], last_zxid(&mut raw), 5);

    raw_create(&mut raw, "/a", b"");
    raw_create(&mut raw, "/a/b", b"");
    let zxid = last_zxid(&mut raw);
    let srvr = server.four_letter("srvr");
    assert!(srvr.ends_with('\n'));
    let lines: Vec<&str> = srvr.lines().collect();
    assert_server_summary(&lines[1..], zxid, 7);

    // stat: the same, with a client list after the version line.
    let stat = server.four_letter("stat");
    let lines: Vec<&str> = stat.lines().collect();
    assert!(lines[0].starts_with("Zookeeper version: "));
    assert_eq!(lines[1], "Clients:");
    let blank = lines.iter().position(|line| line.is_empty()).unwrap();
    let clients = &lines[2..blank];
    assert!(
        clients.len() >= 2,
        "the raw session and this connection: {clients:?}"
    );
    for client in clients {
        assert!(
            client.starts_with(" /127.0.0.1:") && client.contains("](queued="),
            "{client:?}"
        );
    }
    let local_port = raw.local_addr().unwrap().port();
    assert!(
        clients
            .iter()
            .any(|client| client.starts_with(&format!(" /127.0.0.1:{local_port}["))),
        "{clients:?}"
    );
    assert_server_summary(&lines[blank + 1..], zxid, 7);
}

#[test]
fn mntr_reports_tab_separated_metrics() {
    let server = start_server(&[]);
    let mut raw = raw_session(&server);
    raw_create(&mut raw, "/p", b"12345");
    raw_call(
        &mut raw,
        op::CREATE,
        &request::create("/p/e", None, OPEN_ACL, 1),
    );
    raw_get_data(&mut raw, "/p", true).unwrap();

    let metrics = pairs(&server.four_letter("mntr"), '\t');
    assert!(
        metrics["zk_version"].starts_with("3.8"),
        "{}",
        metrics["zk_version"]
    );
    assert_eq!(metrics["zk_server_state"], "standalone");
    assert_eq!(metrics["zk_znode_count"], "7");
    assert_eq!(metrics["zk_ephemerals_count"], "1");
    assert_eq!(metrics["zk_watch_count"], "1");
    assert_eq!(metrics["zk_outstanding_requests"], "0");
    assert!(metrics["zk_num_alive_connections"].parse::<u64>().unwrap() >= 1);
    for key in [
        "zk_avg_latency",
        "zk_max_latency",
        "zk_min_latency",
        "zk_packets_received",
        "zk_packets_sent",
        "zk_approximate_data_size",
        "zk_open_file_descriptor_count",
        "zk_max_file_descriptor_count",
    ] {
        let value = metrics
            .get(key)
            .unwrap_or_else(|| panic!("mntr lacks {key}"));
        value
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("{key} = {value:?} is not a number"));
    }
}

#[test]
fn conf_lists_the_effective_settings() {
    let server = start_server(&[]);
    let conf = server.four_letter("conf");
    let keys: Vec<&str> = conf
        .lines()
        .map(|line| line.split_once('=').unwrap().0)
        .collect();
    assert_eq!(
        keys,
        vec![
            "clientPort",
            "secureClientPort",
            "dataDir",
            "dataDirSize",
            "dataLogDir",
            "dataLogSize",
            "tickTime",
            "maxClientCnxns",
            "minSessionTimeout",
            "maxSessionTimeout",
            "clientPortListenBacklog",
            "serverId",
        ]
    );
    let settings = pairs(&conf, '=');
    let version_dir = server.data_dir().join("version-2").display().to_string();
    assert_eq!(settings["clientPort"], server.port().to_string());
    assert_eq!(settings["secureClientPort"], "-1");
    assert_eq!(settings["dataDir"], version_dir);
    assert_eq!(settings["dataLogDir"], version_dir);
    settings["dataDirSize"].parse::<u64>().unwrap();
    settings["dataLogSize"].parse::<u64>().unwrap();
    assert_eq!(settings["tickTime"], "2000");
    assert_eq!(settings["maxClientCnxns"], "0");
    assert_eq!(settings["minSessionTimeout"], "4000");
    assert_eq!(settings["maxSessionTimeout"], "40000");
    assert_eq!(settings["clientPortListenBacklog"], "-1");
    assert_eq!(settings["serverId"], "0");
}

#[test]
fn cons_envi_and_dump_describe_connections_and_sessions() {
    let server = start_server(&[]);
    let mut raw = raw_session(&server);
    raw_call(
        &mut raw,
        op::CREATE,
        &request::create("/eph", None, OPEN_ACL, 1),
    );
    let session = format!("{:#x}", raw.session_id());

    let cons = server.four_letter("cons");
    assert!(cons.ends_with("\n\n"), "{cons:?}");
    let line = cons
        .lines()
        .find(|line| line.contains(&format!("sid={session},")))
        .unwrap_or_else(|| panic!("{cons}"));
    let local_port = raw.local_addr().unwrap().port();
    assert!(
        line.starts_with(&format!(" /127.0.0.1:{local_port}[")),
        "{line}"
    );
    for field in [
        "(queued=",
        ",recved=",
        ",sent=",
        ",lop=",
        ",est=",
        ",to=30000,",
        ",lcxid=0x",
        ",lzxid=0x",
        ",lresp=",
        ",llat=",
        ",minlat=",
        ",avglat=",
        ",maxlat=",
    ] {
        assert!(line.contains(field), "cons line lacks {field}: {line}");
    }

    let envi = server.four_letter("envi");
    let mut lines = envi.lines();
    assert_eq!(lines.next(), Some("Environment:"));
    let environment = pairs(&lines.collect::<Vec<_>>().join("\n"), '=');
    for key in [
        "zookeeper.version",
        "host.name",
        "os.name",
        "os.arch",
        "os.version",
        "user.name",
        "user.home",
        "user.dir",
    ] {
        assert!(environment.contains_key(key), "envi lacks {key}: {envi}");
    }

    let dump = server.four_letter("dump");
    let lines: Vec<&str> = dump.lines().collect();
    assert_eq!(lines[0], "SessionTracker dump:");
    let ephemerals = lines
        .iter()
        .position(|line| *line == "ephemeral nodes dump:")
        .unwrap_or_else(|| panic!("{dump}"));
    assert_eq!(lines[ephemerals + 1], "Sessions with Ephemerals (1):");
    assert_eq!(lines[ephemerals + 2], format!("{session}:"));
    assert_eq!(lines[ephemerals + 3], "\t/eph");
    assert!(lines.contains(&"Connections dump:"), "{dump}");
}

#[test]
fn watch_words_report_data_watches() {
    let server = start_server(&[]);
    let mut first = raw_session(&server);
    let mut second = raw_session(&server);
    raw_create(&mut first, "/a", b"");
    raw_create(&mut first, "/b", b"");
    assert_eq!(
        server.four_letter("wchs"),
        "0 connections watching 0 paths\nTotal watches:0\n"
    );

    raw_get_data(&mut first, "/a", true).unwrap();
    assert_eq!(raw_exists(&mut second, "/missing", true), None);
    raw_get_data(&mut second, "/a", true).unwrap();
    assert_eq!(
        server.four_letter("wchs"),
        "2 connections watching 2 paths\nTotal watches:3\n"
    );

    let first_id = format!("{:#x}", first.session_id());
    let second_id = format!("{:#x}", second.session_id());
    // wchc: per session, its paths; wchp: per path, its sessions. Blocks end with a blank line.
    let wchc = server.four_letter("wchc");
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for line in wchc.lines().filter(|line| !line.is_empty()) {
        match line.strip_prefix('\t') {
            Some(path) => blocks.last_mut().unwrap().push(path),
            None => blocks.push(vec![line]),
        }
    }
    for block in &mut blocks {
        block[1..].sort();
    }
    blocks.sort();
    let mut expected = vec![
        vec![first_id.as_str(), "/a"],
        vec![second_id.as_str(), "/a", "/missing"],
    ];
    expected.sort();
    assert_eq!(blocks, expected, "{wchc:?}");

    let wchp = server.four_letter("wchp");
    let mut by_path: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut current = "";
    for line in wchp.lines().filter(|line| !line.is_empty()) {
        match line.strip_prefix('\t') {
            Some(session) => by_path.entry(current).or_default().push(session),
            None => current = line,
        }
    }
    for sessions in by_path.values_mut() {
        sessions.sort();
    }
    let mut both = vec![first_id.as_str(), second_id.as_str()];
    both.sort();
    assert_eq!(
        by_path,
        BTreeMap::from([("/a", both), ("/missing", vec![second_id.as_str()])]),
        "{wchp:?}"
    );
}

#[test]
fn a_word_outside_the_whitelist_is_refused() {
    let server = start_server(&[("4lw.commands.whitelist", "ruok, srvr")]);
    assert_eq!(server.four_letter("ruok"), "imok");
    assert!(server.four_letter("srvr").contains("Mode: standalone"));
    for word in ["mntr", "stat", "conf", "wchs", "dump"] {
        assert_eq!(
            server.four_letter(word),
            format!("{word} is not executed because it is not in the whitelist.\n")
        );
    }
}
