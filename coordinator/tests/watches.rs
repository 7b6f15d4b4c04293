//! Watches: one-shot data, exist and child watches with the right event types, delivered once
//! per connection and event and before the reply of the write that caused them; persistent
//! and persistent-recursive watches (the latter never sees NodeChildrenChanged);
//! checkWatches/removeWatches with NoWatcher; setWatches/setWatches2 re-arming on reconnect
//! with an immediate event for whatever changed meanwhile; one-shot watches surviving a server
//! restart. (Persistent watches across a reconnect are checked at the wire level only:
//! zookeeper-client 0.11.2 re-sends them with setWatches instead of setWatches2.)
//!
//! Exactness ("no other event") relies on ordering: a notification goes out on its
//! connection before any reply sent after the change, so once the watcher's ping comes back
//! after the writer's reply, every notification that write caused has arrived.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use support::*;
use testkit::jute::{code, event, op, request, watcher_type, xid, JuteWriter};
use testkit::{ConnectRequest, RawClient};
use zookeeper_client::{AddWatchMode, EventType};

/// Performs a write through `writer` that must succeed.
fn write(writer: &mut RawClient, op_code: i32, body: &[u8]) {
    let reply = raw_call(writer, op_code, body);
    assert_eq!(reply.err, code::OK, "write op {op_code}");
}

fn set(writer: &mut RawClient, path: &str, data: &[u8]) {
    write(
        writer,
        op::SET_DATA,
        &request::set_data(path, Some(data), -1),
    );
}

fn delete(writer: &mut RawClient, path: &str) {
    write(writer, op::DELETE, &request::path_version(path, -1));
}

fn get_children_watch(client: &mut RawClient, path: &str) {
    let reply = raw_call(client, op::GET_CHILDREN, &request::path_watch(path, true));
    assert_eq!(reply.err, code::OK, "getChildren {path}");
}

/// The events `watcher` holds once everything done so far has been delivered.
fn events(watcher: &mut RawClient) -> Vec<(i32, String)> {
    events_of(&notifications_before_ping(watcher))
}

fn ev(event_type: i32, path: &str) -> (i32, String) {
    (event_type, path.to_string())
}

#[test]
fn data_and_exist_watches_fire_once_with_the_right_type() {
    let server = start_server(&[]);
    let mut watcher = raw_session(&server);
    let mut writer = raw_session(&server);
    raw_create(&mut writer, "/d", b"1");

    raw_get_data(&mut watcher, "/d", true).unwrap();
    set(&mut writer, "/d", b"2");
    assert_eq!(
        events(&mut watcher),
        vec![ev(event::NODE_DATA_CHANGED, "/d")]
    );
    set(&mut writer, "/d", b"3");
    assert_eq!(events(&mut watcher), vec![], "a one-shot watch fires once");

    raw_get_data(&mut watcher, "/d", true).unwrap();
    delete(&mut writer, "/d");
    assert_eq!(events(&mut watcher), vec![ev(event::NODE_DELETED, "/d")]);

    // exists on a missing node arms a watch for its creation.
    assert_eq!(raw_exists(&mut watcher, "/d", true), None);
    raw_create(&mut writer, "/d", b"");
    assert_eq!(events(&mut watcher), vec![ev(event::NODE_CREATED, "/d")]);
    raw_exists(&mut watcher, "/d", true).unwrap();
    set(&mut writer, "/d", b"x");
    assert_eq!(
        events(&mut watcher),
        vec![ev(event::NODE_DATA_CHANGED, "/d")]
    );
    raw_exists(&mut watcher, "/d", true).unwrap();
    delete(&mut writer, "/d");
    assert_eq!(events(&mut watcher), vec![ev(event::NODE_DELETED, "/d")]);

    // setACL fires nothing.
    raw_create(&mut writer, "/acl", b"");
    raw_get_data(&mut watcher, "/acl", true).unwrap();
    write(
        &mut writer,
        op::SET_ACL,
        &JuteWriter::new()
            .string("/acl")
            .acl(OPEN_ACL)
            .int(-1)
            .into_bytes(),
    );
    assert_eq!(events(&mut watcher), vec![]);
}

#[test]
fn child_watches_see_children_changes_and_the_nodes_own_deletion() {
    let server = start_server(&[]);
    let mut watcher = raw_session(&server);
    let mut writer = raw_session(&server);
    raw_create(&mut writer, "/p", b"");

    get_children_watch(&mut watcher, "/p");
    raw_create(&mut writer, "/p/a", b"");
    assert_eq!(
        events(&mut watcher),
        vec![ev(event::NODE_CHILDREN_CHANGED, "/p")]
    );
    raw_create(&mut writer, "/p/b", b"");
    assert_eq!(events(&mut watcher), vec![], "a one-shot watch fires once");

    // getChildren2 arms the same kind of watch; data changes do not trigger it.
    let reply = raw_call(
        &mut watcher,
        op::GET_CHILDREN2,
        &request::path_watch("/p", true),
    );
    assert_eq!(reply.err, code::OK);
    set(&mut writer, "/p", b"data");
    set(&mut writer, "/p/a", b"data");
    assert_eq!(events(&mut watcher), vec![]);
    delete(&mut writer, "/p/a");
    assert_eq!(
        events(&mut watcher),
        vec![ev(event::NODE_CHILDREN_CHANGED, "/p")]
    );

    // A child watch on a node that is deleted reports NodeDeleted for the node.
    get_children_watch(&mut watcher, "/p/b");
    delete(&mut writer, "/p/b");
    assert_eq!(events(&mut watcher), vec![ev(event::NODE_DELETED, "/p/b")]);
}

#[test]
fn one_notification_per_connection_and_event() {
    let server = start_server(&[]);
    let mut watcher = raw_session(&server);
    let mut other = raw_session(&server);
    let mut writer = raw_session(&server);
    raw_create(&mut writer, "/k", b"");

    // A data watch and an exist watch on one path: one NodeDataChanged.
    raw_get_data(&mut watcher, "/k", true).unwrap();
    raw_exists(&mut watcher, "/k", true).unwrap();
    raw_get_data(&mut other, "/k", true).unwrap();
    set(&mut writer, "/k", b"1");
    assert_eq!(
        events(&mut watcher),
        vec![ev(event::NODE_DATA_CHANGED, "/k")]
    );
    assert_eq!(
        events(&mut other),
        vec![ev(event::NODE_DATA_CHANGED, "/k")],
        "each connection gets its own"
    );

    // Data, exist and child watches on a deleted node: one NodeDeleted; plus the parent's
    // NodeChildrenChanged.
    raw_get_data(&mut watcher, "/k", true).unwrap();
    raw_exists(&mut watcher, "/k", true).unwrap();
    get_children_watch(&mut watcher, "/k");
    get_children_watch(&mut watcher, "/");
    delete(&mut writer, "/k");
    let mut seen = events(&mut watcher);
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ev(event::NODE_DELETED, "/k"),
            ev(event::NODE_CHILDREN_CHANGED, "/")
        ]
    );

    // A create watched as the node and as its parent's child: two events.
    assert_eq!(raw_exists(&mut watcher, "/k", true), None);
    get_children_watch(&mut watcher, "/");
    raw_create(&mut writer, "/k", b"");
    let mut seen = events(&mut watcher);
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ev(event::NODE_CREATED, "/k"),
            ev(event::NODE_CHILDREN_CHANGED, "/")
        ]
    );
}

#[test]
fn event_precedes_the_reply_of_the_write_that_caused_it() {
    let server = start_server(&[]);
    let mut session = raw_session(&server);
    raw_create(&mut session, "/o", b"");
    raw_get_data(&mut session, "/o", true).unwrap();

    let xid_sent = session
        .submit(op::SET_DATA, &request::set_data("/o", Some(b"new"), -1))
        .unwrap();
    let first = session.read_reply(STEP).unwrap();
    assert_eq!(
        (first.xid, first.zxid, first.err),
        (xid::NOTIFICATION, -1, 0),
        "the notification comes first"
    );
    let notification = first.event().unwrap();
    assert_eq!(
        (
            notification.event_type,
            notification.state,
            notification.path.as_str()
        ),
        (event::NODE_DATA_CHANGED, 3, "/o")
    );
    let second = session.read_reply(STEP).unwrap();
    assert_eq!((second.xid, second.err), (xid_sent, code::OK));

    // And a reader never sees the new data before the event: the event precedes the reply
    // to a read issued after the change.
    let mut writer = raw_session(&server);
    raw_get_data(&mut session, "/o", true).unwrap();
    set(&mut writer, "/o", b"newer");
    let read_xid = session
        .submit(op::GET_DATA, &request::path_watch("/o", false))
        .unwrap();
    let first = session.read_reply(STEP).unwrap();
    assert_eq!(first.xid, xid::NOTIFICATION);
    let second = session.read_reply(STEP).unwrap();
    assert_eq!(second.xid, read_xid);
    assert_eq!(
        second.reader().buffer("data").unwrap(),
        Some(b"newer".to_vec())
    );
}

#[test]
fn persistent_watch_stays_armed_for_its_node_and_children() {
    let server = start_server(&[]);
    let mut watcher = raw_session(&server);
    let mut writer = raw_session(&server);

    let reply = raw_call(&mut watcher, op::ADD_WATCH, &request::add_watch("/pw", 0));
    assert_eq!(reply.err, code::OK);
    assert_eq!(
        reply.body,
        vec![0, 0, 0, 0],
        "addWatch answers an ErrorResponse of 0"
    );
    raw_create(&mut writer, "/pw", b"");
    set(&mut writer, "/pw", b"1");
    set(&mut writer, "/pw", b"2");
    raw_create(&mut writer, "/pw/c", b"");
    raw_create(&mut writer, "/pw/c/deep", b"");
    set(&mut writer, "/pw/c", b"x");
    delete(&mut writer, "/pw/c/deep");
    delete(&mut writer, "/pw/c");
    delete(&mut writer, "/pw");
    raw_create(&mut writer, "/pw", b"");
    assert_eq!(
        events(&mut watcher),
        vec![
            ev(event::NODE_CREATED, "/pw"),
            ev(event::NODE_DATA_CHANGED, "/pw"),
            ev(event::NODE_DATA_CHANGED, "/pw"),
            ev(event::NODE_CHILDREN_CHANGED, "/pw"),
            ev(event::NODE_CHILDREN_CHANGED, "/pw"),
            ev(event::NODE_DELETED, "/pw"),
            ev(event::NODE_CREATED, "/pw"),
        ]
    );
}

#[test]
fn persistent_recursive_watch_covers_descendants_without_children_changed() {
    let server = start_server(&[]);
    let mut watcher = raw_session(&server);
    let mut writer = raw_session(&server);

    let reply = raw_call(&mut watcher, op::ADD_WATCH, &request::add_watch("/r", 1));
    assert_eq!(reply.err, code::OK);
    raw_create(&mut writer, "/r", b"");
    raw_create(&mut writer, "/r/a", b"");
    raw_create(&mut writer, "/r/a/b", b"");
    set(&mut writer, "/r/a/b", b"x");
    raw_create(&mut writer, "/rx", b"");
    delete(&mut writer, "/r/a/b");
    delete(&mut writer, "/r/a");
    set(&mut writer, "/r", b"y");
    assert_eq!(
        events(&mut watcher),
        vec![
            ev(event::NODE_CREATED, "/r"),
            ev(event::NODE_CREATED, "/r/a"),
            ev(event::NODE_CREATED, "/r/a/b"),
            ev(event::NODE_DATA_CHANGED, "/r/a/b"),
            ev(event::NODE_DELETED, "/r/a/b"),
            ev(event::NODE_DELETED, "/r/a"),
            ev(event::NODE_DATA_CHANGED, "/r"),
        ],
        "no NodeChildrenChanged, and /rx is not under /r"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_watches_through_the_client() {
    let server = start_server(&[]);
    let client = connect(&server).await;
    // One watch mode per connection and path: the two kinds watch different paths.
    let mut recursive = within(
        "watch",
        client.watch("/tree", AddWatchMode::PersistentRecursive),
    )
    .await
    .unwrap();
    let mut persistent = within("watch", client.watch("/flat", AddWatchMode::Persistent))
        .await
        .unwrap();
    create(&client, "/tree", b"").await;
    create(&client, "/tree/leaf", b"").await;
    within("set", client.set_data("/tree/leaf", b"x", None))
        .await
        .unwrap();
    create(&client, "/flat", b"").await;
    create(&client, "/flat/leaf", b"").await;

    let mut seen = Vec::new();
    for _ in 0..3 {
        let event = within("recursive event", recursive.changed()).await;
        seen.push((event.event_type, event.path));
    }
    assert_eq!(
        seen,
        vec![
            (EventType::NodeCreated, "/tree".to_string()),
            (EventType::NodeCreated, "/tree/leaf".to_string()),
            (EventType::NodeDataChanged, "/tree/leaf".to_string()),
        ]
    );
    let first = within("persistent event", persistent.changed()).await;
    assert_eq!(
        (first.event_type, first.path.as_str()),
        (EventType::NodeCreated, "/flat")
    );
    let second = within("persistent event", persistent.changed()).await;
    assert_eq!(
        (second.event_type, second.path.as_str()),
        (EventType::NodeChildrenChanged, "/flat")
    );
}

#[test]
fn check_and_remove_watches_answer_no_watcher_when_absent() {
    let server = start_server(&[]);
    let mut watcher = raw_session(&server);
    let mut writer = raw_session(&server);
    raw_create(&mut writer, "/x", b"");

    let check = |client: &mut RawClient, path: &str, kind: i32| {
        raw_call(client, op::CHECK_WATCHES, &request::watches(path, kind)).err
    };
    let remove = |client: &mut RawClient, path: &str, kind: i32| {
        raw_call(client, op::REMOVE_WATCHES, &request::watches(path, kind)).err
    };
    assert_eq!(
        check(&mut watcher, "/none", watcher_type::ANY),
        code::NO_WATCHER
    );
    assert_eq!(
        remove(&mut watcher, "/none", watcher_type::ANY),
        code::NO_WATCHER
    );

    raw_get_data(&mut watcher, "/x", true).unwrap();
    assert_eq!(check(&mut watcher, "/x", watcher_type::DATA), code::OK);
    assert_eq!(check(&mut watcher, "/x", watcher_type::ANY), code::OK);
    assert_eq!(
        check(&mut watcher, "/x", watcher_type::CHILDREN),
        code::NO_WATCHER
    );
    assert_eq!(
        remove(&mut watcher, "/x", watcher_type::CHILDREN),
        code::NO_WATCHER
    );
    assert_eq!(remove(&mut watcher, "/x", watcher_type::DATA), code::OK);
    assert_eq!(
        check(&mut watcher, "/x", watcher_type::DATA),
        code::NO_WATCHER
    );
    set(&mut writer, "/x", b"1");
    assert_eq!(
        events(&mut watcher),
        vec![],
        "a removed watch does not fire, and removal sends no event"
    );

    get_children_watch(&mut watcher, "/x");
    assert_eq!(check(&mut watcher, "/x", watcher_type::CHILDREN), code::OK);
    assert_eq!(remove(&mut watcher, "/x", watcher_type::ANY), code::OK);
    raw_create(&mut writer, "/x/c", b"");
    assert_eq!(events(&mut watcher), vec![]);

    // An exist watch on a missing node counts as a data watch.
    assert_eq!(raw_exists(&mut watcher, "/m", true), None);
    assert_eq!(check(&mut watcher, "/m", watcher_type::DATA), code::OK);

    // Persistent watches are covered by type Any.
    let reply = raw_call(&mut watcher, op::ADD_WATCH, &request::add_watch("/pw", 0));
    assert_eq!(reply.err, code::OK);
    assert_eq!(check(&mut watcher, "/pw", watcher_type::ANY), code::OK);
    assert_eq!(remove(&mut watcher, "/pw", watcher_type::ANY), code::OK);
    raw_create(&mut writer, "/pw", b"");
    assert_eq!(events(&mut watcher), vec![]);
    assert_eq!(
        check(&mut watcher, "/pw", watcher_type::ANY),
        code::NO_WATCHER
    );
}

#[test]
fn set_watches_on_reconnect_fires_what_changed_meanwhile() {
    let server = start_server(&[]);
    let mut writer = raw_session(&server);
    for path in ["/a", "/p", "/gone", "/same", "/pc"] {
        raw_create(&mut writer, path, b"1");
    }
    let mut first = raw_session(&server);
    let seen_zxid = raw_call(&mut first, op::SYNC, &request::path("/")).zxid;
    let session_id = first.session_id();
    let password = first.session().unwrap().password.clone();
    // The connection goes away (the session stays); changes happen while it is gone.
    drop(first);
    set(&mut writer, "/a", b"2");
    raw_create(&mut writer, "/p/c", b"");
    raw_create(&mut writer, "/new", b"");
    delete(&mut writer, "/gone");
    set(&mut writer, "/pc", b"data only");

    let mut back = RawClient::open(server.port()).unwrap();
    let request = ConnectRequest {
        last_zxid_seen: seen_zxid,
        ..ConnectRequest::reattach(session_id, &password, 30_000)
    };
    assert_eq!(back.handshake(&request).unwrap().session_id, session_id);
    let body = request::set_watches(
        seen_zxid,
        &["/a", "/gone", "/same"],
        &["/new", "/never"],
        &["/p", "/pc"],
    );
    let reply = back
        .call_with_xid(xid::SET_WATCHES, op::SET_WATCHES, &body)
        .unwrap();
    assert_eq!((reply.xid, reply.err), (xid::SET_WATCHES, code::OK));
    assert_eq!(
        reply.zxid,
        raw_call(&mut writer, op::SYNC, &request::path("/")).zxid
    );
    let mut immediate = events_of(&back.take_notifications());
    immediate.sort();
    assert_eq!(
        immediate,
        vec![
            ev(event::NODE_CREATED, "/new"),
            ev(event::NODE_DELETED, "/gone"),
            ev(event::NODE_DATA_CHANGED, "/a"),
            ev(event::NODE_CHILDREN_CHANGED, "/p"),
        ],
        "everything changed since the client's zxid fires before the reply"
    );

    // Unchanged watches are re-armed as ordinary one-shot watches.
    set(&mut writer, "/same", b"2");
    raw_create(&mut writer, "/never", b"");
    raw_create(&mut writer, "/pc/child", b"");
    let mut later = events(&mut back);
    later.sort();
    assert_eq!(
        later,
        vec![
            ev(event::NODE_CREATED, "/never"),
            ev(event::NODE_DATA_CHANGED, "/same"),
            ev(event::NODE_CHILDREN_CHANGED, "/pc"),
        ]
    );

    // setWatches2 re-adds persistent and persistent-recursive watches as they were.
    let body = JuteWriter::new()
        .long(seen_zxid)
        .strings(&[])
        .strings(&[])
        .strings(&[])
        .strings(&["/pp"])
        .strings(&["/rr"])
        .into_bytes();
    let reply = back
        .call_with_xid(xid::SET_WATCHES, op::SET_WATCHES2, &body)
        .unwrap();
    assert_eq!(reply.err, code::OK);
    assert_eq!(
        back.take_notifications(),
        vec![],
        "persistent watches fire nothing on re-adding"
    );
    raw_create(&mut writer, "/pp", b"");
    set(&mut writer, "/pp", b"x");
    raw_create(&mut writer, "/rr", b"");
    raw_create(&mut writer, "/rr/deep", b"");
    assert_eq!(
        events(&mut back),
        vec![
            ev(event::NODE_CREATED, "/pp"),
            ev(event::NODE_DATA_CHANGED, "/pp"),
            ev(event::NODE_CREATED, "/rr"),
            ev(event::NODE_CREATED, "/rr/deep"),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_survive_a_server_restart() {
    let mut server = start_server(&[]);
    let holder = connect(&server).await;
    create(&holder, "/w", b"1").await;
    create(&holder, "/p", b"").await;
    let (_, _, data_watch) = within("watch data", holder.get_and_watch_data("/w"))
        .await
        .unwrap();
    let (_, exist_watch) = within("watch exists", holder.check_and_watch_stat("/new"))
        .await
        .unwrap();
    let (_, _, child_watch) = within("watch children", holder.get_and_watch_children("/p"))
        .await
        .unwrap();

    server.kill9().unwrap();
    server.restart().unwrap();
    // Whether the holder has reconnected (watches re-armed) or not yet (the reconnect fires
    // them at once), each one-shot watch reports its change exactly once.
    let writer = connect(&server).await;
    within("set", writer.set_data("/w", b"2", None))
        .await
        .unwrap();
    create(&writer, "/new", b"").await;
    create(&writer, "/p/c", b"").await;

    let event = within("data event", data_watch.changed()).await;
    assert_eq!(
        (event.event_type, event.path.as_str()),
        (EventType::NodeDataChanged, "/w")
    );
    let event = within("exist event", exist_watch.changed()).await;
    assert_eq!(
        (event.event_type, event.path.as_str()),
        (EventType::NodeCreated, "/new")
    );
    let event = within("child event", child_watch.changed()).await;
    assert_eq!(
        (event.event_type, event.path.as_str()),
        (EventType::NodeChildrenChanged, "/p")
    );
}
