//! multi (op 14) and multiRead (op 22): all-or-nothing application at one zxid, the per-op
//! result layout of a failed multi (0 before the failing op, its code, −2 after), sub-ops that
//! see earlier sub-ops, result types on the wire, and the exact patterns Kafka's controller
//! and brokers rely on: checked ephemeral broker registration, controller election through
//! `/controller_epoch`'s version, and writes fenced by a check on that version.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use support::*;
use testkit::jute::{code, op, request, JuteReader, JuteWriter};
use testkit::RawClient;
use zookeeper_client::{
    Client, Error, EventType, MultiReadResult, MultiWriteError, MultiWriteResult, MultiWriter,
};

/// Builds a multi request body from (op, record) pairs plus the end marker.
fn multi_body(ops: &[(i32, Vec<u8>)]) -> Vec<u8> {
    let mut writer = JuteWriter::new();
    for (op_code, record) in ops {
        writer = writer
            .raw(&request::multi_header(*op_code, false, -1))
            .raw(record);
    }
    writer
        .raw(&request::multi_header(-1, true, -1))
        .into_bytes()
}

/// Reads one `MultiHeader{type, done, err}`.
fn multi_header(reader: &mut JuteReader<'_>) -> (i32, bool, i32) {
    let op_code = reader.int("multi type").unwrap();
    let done = reader.boolean("multi done").unwrap();
    let err = reader.int("multi err").unwrap();
    (op_code, done, err)
}

fn last_zxid(raw: &mut RawClient) -> i64 {
    raw_call(raw, op::SYNC, &request::path("/")).zxid
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_applies_every_op_at_one_zxid() {
    let server = start_server(&[]);
    let client = connect(&server).await;
    create(&client, "/base", b"v").await;

    let mut writer = client.new_multi_writer();
    writer.add_create("/m", b"", &persistent()).unwrap();
    writer.add_create("/m/a", b"1", &persistent()).unwrap();
    writer.add_set_data("/m/a", b"2", Some(0)).unwrap();
    writer.add_check_version("/m/a", 1).unwrap();
    writer.add_delete("/base", Some(0)).unwrap();
    writer
        .add_create("/m/s-", b"", &persistent_sequential())
        .unwrap();
    let results = within("multi", writer.commit()).await.unwrap();
    assert_eq!(results.len(), 6);
    assert!(matches!(&results[0], MultiWriteResult::Create { path, .. } if path == "/m"));
    assert!(matches!(&results[1], MultiWriteResult::Create { path, .. } if path == "/m/a"));
    let MultiWriteResult::SetData { stat } = &results[2] else {
        panic!("result 2: {:?}", results[2])
    };
    assert_eq!(stat.version, 1);
    assert!(matches!(results[3], MultiWriteResult::Check));
    assert!(matches!(results[4], MultiWriteResult::Delete));
    assert!(
        matches!(&results[5], MultiWriteResult::Create { path, .. } if path == "/m/s-0000000001")
    );

    let (_, m) = within("get /m", client.get_data("/m")).await.unwrap();
    let (data, a) = within("get /m/a", client.get_data("/m/a")).await.unwrap();
    assert_eq!(data, b"2");
    assert_eq!(
        (a.czxid, a.mzxid, a.version),
        (m.czxid, m.czxid, 1),
        "one zxid for the whole multi"
    );
    assert_eq!(stat.mzxid, m.czxid);
    assert_eq!(m.pzxid, m.czxid);
    assert_eq!(
        within("gone", client.check_stat("/base")).await.unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_multi_changes_nothing_and_reports_each_ops_outcome() {
    let server = start_server(&[]);
    let mut raw = raw_session(&server);
    raw_create(&mut raw, "/exists", b"old");
    let before = last_zxid(&mut raw);

    let body = multi_body(&[
        (op::CREATE, request::create("/x", None, OPEN_ACL, 0)),
        (op::CREATE, request::create("/exists", None, OPEN_ACL, 0)),
        (op::SET_DATA, request::set_data("/exists", Some(b"new"), -1)),
    ]);
    let reply = raw_call(&mut raw, op::MULTI, &body);
    assert_eq!(
        reply.err,
        code::OK,
        "a failed multi still answers err 0 in the header"
    );
    assert_eq!(reply.zxid, before + 1, "a failed multi takes a zxid");
    let mut reader = reply.reader();
    let expected = [0, code::NODE_EXISTS, code::RUNTIME_INCONSISTENCY];
    for (index, err) in expected.iter().enumerate() {
        assert_eq!(
            multi_header(&mut reader),
            (-1, false, *err),
            "result header {index}"
        );
        assert_eq!(
            reader.int("error response").unwrap(),
            *err,
            "result body {index}"
        );
    }
    assert_eq!(multi_header(&mut reader), (-1, true, -1), "end marker");
    assert_eq!(reader.remaining(), 0);

    assert_eq!(raw_exists(&mut raw, "/x", false), None);
    let (data, stat) = raw_get_data(&mut raw, "/exists", false).unwrap();
    assert_eq!((data.as_deref(), stat.version), (Some(&b"old"[..]), 0));

    // zookeeper-client reports the first failing op.
    let client = connect(&server).await;
    let mut writer = client.new_multi_writer();
    writer.add_create("/x", b"", &persistent()).unwrap();
    writer.add_create("/exists", b"", &persistent()).unwrap();
    writer.add_set_data("/exists", b"new", None).unwrap();
    let error = within("multi", writer.commit()).await.unwrap_err();
    assert_eq!(
        error,
        MultiWriteError::OperationFailed {
            index: 1,
            source: Error::NodeExists
        }
    );
    assert_eq!(
        within("exists", client.check_stat("/x")).await.unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sub_ops_see_the_effects_of_earlier_sub_ops() {
    let server = start_server(&[]);
    let client = connect(&server).await;
    create(&client, "/old", b"").await;
    create(&client, "/old/child", b"").await;
    create(&client, "/r", b"").await;

    let mut writer = client.new_multi_writer();
    writer.add_create("/s", b"a", &persistent()).unwrap();
    writer.add_set_data("/s", b"b", Some(0)).unwrap();
    writer.add_check_version("/s", 1).unwrap();
    writer.add_delete("/old/child", None).unwrap();
    writer.add_delete("/old", None).unwrap();
    writer.add_create("/old", b"again", &persistent()).unwrap();
    within("multi", writer.commit()).await.unwrap();
    let (data, stat) = within("get /s", client.get_data("/s")).await.unwrap();
    assert_eq!((data.as_slice(), stat.version), (&b"b"[..], 1));
    let (data, recreated) = within("get /old", client.get_data("/old")).await.unwrap();
    assert_eq!(
        (data.as_slice(), recreated.num_children, recreated.czxid),
        (&b"again"[..], 0, stat.czxid)
    );

    // A second create of the same path, or a version made stale by an earlier sub-op, fails
    // the whole multi.
    let mut writer = client.new_multi_writer();
    writer.add_create("/q", b"", &persistent()).unwrap();
    writer.add_create("/q", b"", &persistent()).unwrap();
    let error = within("double create", writer.commit()).await.unwrap_err();
    assert_eq!(
        error,
        MultiWriteError::OperationFailed {
            index: 1,
            source: Error::NodeExists
        }
    );
    let mut writer = client.new_multi_writer();
    writer.add_set_data("/r", b"1", Some(0)).unwrap();
    writer.add_set_data("/r", b"2", Some(0)).unwrap();
    let error = within("stale version", writer.commit()).await.unwrap_err();
    assert_eq!(
        error,
        MultiWriteError::OperationFailed {
            index: 1,
            source: Error::BadVersion
        }
    );
    let mut writer = client.new_multi_writer();
    writer.add_delete("/r", None).unwrap();
    writer.add_check_version("/r", 0).unwrap();
    let error = within("check deleted", writer.commit()).await.unwrap_err();
    assert_eq!(
        error,
        MultiWriteError::OperationFailed {
            index: 1,
            source: Error::NoNode
        }
    );

    assert_eq!(within("q", client.check_stat("/q")).await.unwrap(), None);
    let (data, stat) = within("get /r", client.get_data("/r")).await.unwrap();
    assert_eq!((data.len(), stat.version), (0, 0));
}

#[test]
fn multi_results_on_the_wire() {
    let server = start_server(&[]);
    let mut raw = raw_session(&server);
    raw_create(&mut raw, "/gone", b"");

    let body = multi_body(&[
        (op::CREATE, request::create("/m1", Some(b"1"), OPEN_ACL, 0)),
        (op::CREATE2, request::create("/m2", Some(b"2"), OPEN_ACL, 0)),
        (
            op::CREATE_CONTAINER,
            request::create("/m3", None, OPEN_ACL, 4),
        ),
        (op::SET_DATA, request::set_data("/m1", Some(b"11"), 0)),
        (op::CHECK, request::path_version("/m1", 1)),
        (op::DELETE, request::path_version("/gone", 0)),
    ]);
    let reply = raw_call(&mut raw, op::MULTI, &body);
    assert_eq!(reply.err, code::OK);
    let mut reader = reply.reader();
    assert_eq!(multi_header(&mut reader), (op::CREATE, false, 0));
    assert_eq!(reader.string("path").unwrap(), "/m1");
    // A create2 sub-op is answered like a plain create: path only.
    assert_eq!(multi_header(&mut reader), (op::CREATE, false, 0));
    assert_eq!(reader.string("path").unwrap(), "/m2");
    // A container create answers path + stat, as create2.
    assert_eq!(multi_header(&mut reader), (op::CREATE2, false, 0));
    assert_eq!(reader.string("path").unwrap(), "/m3");
    assert_eq!(reader.stat().unwrap().czxid, reply.zxid);
    assert_eq!(multi_header(&mut reader), (op::SET_DATA, false, 0));
    let stat = reader.stat().unwrap();
    assert_eq!(
        (stat.version, stat.mzxid, stat.czxid),
        (1, reply.zxid, reply.zxid)
    );
    assert_eq!(multi_header(&mut reader), (op::CHECK, false, 0));
    assert_eq!(multi_header(&mut reader), (op::DELETE, false, 0));
    assert_eq!(multi_header(&mut reader), (-1, true, -1));
    assert_eq!(reader.remaining(), 0);

    // An empty multi is a write like any other: it takes a zxid and answers the end marker.
    let before = last_zxid(&mut raw);
    let reply = raw_call(&mut raw, op::MULTI, &request::multi_header(-1, true, -1));
    assert_eq!((reply.err, reply.zxid), (code::OK, before + 1));
    assert_eq!(reply.body, request::multi_header(-1, true, -1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_read_reports_each_op_on_its_own() {
    let server = start_server(&[]);
    let client = connect(&server).await;
    create(&client, "/a", b"data").await;
    create(&client, "/a/k", b"").await;

    let mut reader = client.new_multi_reader();
    reader.add_get_data("/a").unwrap();
    reader.add_get_data("/missing").unwrap();
    reader.add_get_children("/a").unwrap();
    let results = within("multi read", reader.commit()).await.unwrap();
    assert_eq!(results.len(), 3);
    let MultiReadResult::Data { data, stat } = &results[0] else {
        panic!("result 0: {:?}", results[0])
    };
    assert_eq!((data.as_slice(), stat.num_children), (&b"data"[..], 1));
    assert!(
        matches!(&results[1], MultiReadResult::Error { err: Error::NoNode }),
        "{:?}",
        results[1]
    );
    assert!(
        matches!(&results[2], MultiReadResult::Children { children } if children == &vec!["k".to_string()])
    );

    // On the wire: per-op types, the error as {-1, err} + ErrorResponse, and no zxid taken.
    let mut raw = raw_session(&server);
    let before = last_zxid(&mut raw);
    let body = multi_body(&[
        (op::GET_CHILDREN, request::path_watch("/missing", false)),
        (op::GET_DATA, request::path_watch("/a", false)),
    ]);
    let reply = raw_call(&mut raw, op::MULTI_READ, &body);
    assert_eq!((reply.err, reply.zxid), (code::OK, before));
    let mut reader = reply.reader();
    assert_eq!(multi_header(&mut reader), (-1, false, code::NO_NODE));
    assert_eq!(reader.int("error").unwrap(), code::NO_NODE);
    assert_eq!(multi_header(&mut reader), (op::GET_DATA, false, 0));
    assert_eq!(reader.buffer("data").unwrap(), Some(b"data".to_vec()));
    reader.stat().unwrap();
    assert_eq!(multi_header(&mut reader), (-1, true, -1));
    assert_eq!(reader.remaining(), 0);
}

/// Kafka's broker registration: create(EPHEMERAL, no data) + setData(json, version 0).
fn register<'a>(client: &'a Client, json: &[u8]) -> MultiWriter<'a> {
    let mut writer = client.new_multi_writer();
    writer
        .add_create("/brokers/ids/1", b"", &ephemeral())
        .unwrap();
    writer
        .add_set_data("/brokers/ids/1", json, Some(0))
        .unwrap();
    writer
}

/// Kafka's controller election: create(/controller, EPHEMERAL) + setData(/controller_epoch,
/// epoch, the version read).
fn elect(client: &Client, epoch: i32, epoch_version: i32) -> MultiWriter<'_> {
    let mut writer = client.new_multi_writer();
    let json = format!(r#"{{"version":1,"brokerid":{epoch},"timestamp":"1"}}"#);
    writer
        .add_create("/controller", json.as_bytes(), &ephemeral())
        .unwrap();
    writer
        .add_set_data(
            "/controller_epoch",
            epoch.to_string().as_bytes(),
            Some(epoch_version),
        )
        .unwrap();
    writer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_checked_ephemeral_create_registers_a_broker_once() {
    let server = start_server(&[]);
    let broker = connect(&server).await;
    let rival = connect(&server).await;
    create(&broker, "/brokers", b"").await;
    create(&broker, "/brokers/ids", b"").await;
    let json = br#"{"version":5,"host":"localhost","port":9092,"jmx_port":-1}"#;

    let results = within("register", register(&broker, json).commit())
        .await
        .unwrap();
    let MultiWriteResult::SetData { stat } = &results[1] else {
        panic!("result 1: {:?}", results[1])
    };
    assert_eq!(stat.version, 1);
    let broker_epoch = stat.czxid;
    let (data, stored) = within("get", rival.get_data("/brokers/ids/1"))
        .await
        .unwrap();
    assert_eq!(data, json);
    assert_eq!(
        (stored.czxid, stored.ephemeral_owner),
        (broker_epoch, broker.session_id().0)
    );

    // A second registration of the same id fails on the create; the owner check tells Kafka
    // whether the node is its own.
    let error = within("rival register", register(&rival, json).commit())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        MultiWriteError::OperationFailed {
            index: 0,
            source: Error::NodeExists
        }
    );
    let (_, stored) = within("get", rival.get_data("/brokers/ids/1"))
        .await
        .unwrap();
    assert_ne!(stored.ephemeral_owner, rival.session_id().0);

    // When the first broker's session closes, its registration goes and a new one gets a new
    // broker epoch.
    let (_, watcher) = within("watch", rival.check_and_watch_stat("/brokers/ids/1"))
        .await
        .unwrap();
    drop(broker);
    let event = within("registration removed", watcher.changed()).await;
    assert_eq!(event.event_type, EventType::NodeDeleted);
    let results = within("re-register", register(&rival, json).commit())
        .await
        .unwrap();
    let MultiWriteResult::SetData { stat } = &results[1] else {
        panic!("result 1: {:?}", results[1])
    };
    assert!(stat.czxid > broker_epoch);
    assert_eq!(stat.ephemeral_owner, rival.session_id().0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_controller_election_and_epoch_fencing() {
    let server = start_server(&[]);
    let first = connect(&server).await;
    let second = connect(&server).await;
    create(&first, "/controller_epoch", b"0").await;
    create(&first, "/state", b"").await;

    // Both read epoch 0 at version 0; the first to commit wins.
    let (_, seen_by_second) = within("read epoch", second.get_data("/controller_epoch"))
        .await
        .unwrap();
    let (_, seen_by_first) = within("read epoch", first.get_data("/controller_epoch"))
        .await
        .unwrap();
    let results = within(
        "first elects",
        elect(&first, 1, seen_by_first.version).commit(),
    )
    .await
    .unwrap();
    let MultiWriteResult::SetData { stat } = &results[1] else {
        panic!("result 1: {:?}", results[1])
    };
    let epoch_zk_version = stat.version;
    assert_eq!(epoch_zk_version, 1);
    let error = within(
        "second loses",
        elect(&second, 1, seen_by_second.version).commit(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error,
        MultiWriteError::OperationFailed {
            index: 0,
            source: Error::NodeExists
        }
    );

    // With the controller gone, a stale epoch version still loses, on the setData, and the
    // create before it is rolled back.
    let (_, watcher) = within("watch", second.check_and_watch_stat("/controller"))
        .await
        .unwrap();
    drop(first);
    assert_eq!(
        within("controller gone", watcher.changed())
            .await
            .event_type,
        EventType::NodeDeleted
    );
    let error = within(
        "stale epoch",
        elect(&second, 1, seen_by_second.version).commit(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error,
        MultiWriteError::OperationFailed {
            index: 1,
            source: Error::BadVersion
        }
    );
    assert_eq!(
        within("no controller", second.check_stat("/controller"))
            .await
            .unwrap(),
        None
    );

    let (epoch, current) = within("reread epoch", second.get_data("/controller_epoch"))
        .await
        .unwrap();
    assert_eq!((epoch.as_slice(), current.version), (&b"1"[..], 1));
    let results = within("second elects", elect(&second, 2, current.version).commit())
        .await
        .unwrap();
    let MultiWriteResult::SetData { stat } = &results[1] else {
        panic!("result 1: {:?}", results[1])
    };
    assert_eq!(stat.version, 2);

    // Fencing: controller writes are multi[check(epoch version), write]. The old controller's
    // version fails the check and its write is not applied.
    let mut fenced = second.new_multi_writer();
    fenced
        .add_check_version("/controller_epoch", epoch_zk_version)
        .unwrap();
    fenced.add_set_data("/state", b"stale", None).unwrap();
    let error = within("fenced write", fenced.commit()).await.unwrap_err();
    assert_eq!(
        error,
        MultiWriteError::OperationFailed {
            index: 0,
            source: Error::BadVersion
        }
    );
    let mut current_writer = second.new_multi_writer();
    current_writer
        .add_check_version("/controller_epoch", 2)
        .unwrap();
    current_writer
        .add_set_data("/state", b"fresh", Some(0))
        .unwrap();
    let results = within("current write", current_writer.commit())
        .await
        .unwrap();
    assert!(matches!(results[0], MultiWriteResult::Check));
    let (data, _) = within("get state", second.get_data("/state"))
        .await
        .unwrap();
    assert_eq!(data, b"fresh");
}
