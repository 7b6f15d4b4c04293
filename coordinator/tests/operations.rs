//! Every single-znode operation and its error codes, against a real server process: create
//! modes (sequential naming from the parent's create counter, containers, TTL nodes),
//! create2 stats, delete and setData versions, children listings and counts, ephemerals by
//! prefix, sync, exists on missing nodes, every Stat field's evolution, the built-in
//! `/zookeeper` subtree, and zxids (every write — failed ones too — takes the next zxid;
//! reads take none).
//!
//! `zookeeper-client` drives the ordinary paths; raw jute drives what that client validates
//! locally (bad paths, empty ACLs, odd flags) or hides (reply zxids, plain-create replies).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use std::time::Duration;

use support::*;
use testkit::jute::{code, op, request, JuteReader};
use testkit::RawClient;
use zookeeper_client::{Acl, AuthId, CreateMode, Error, EventType, Permission};

/// Sends a write and checks it took exactly the next zxid, whatever its outcome.
fn expect_write(
    client: &mut RawClient,
    last_zxid: &mut i64,
    op_code: i32,
    body: &[u8],
    expected_err: i32,
    what: &str,
) {
    let reply = raw_call(client, op_code, body);
    assert_eq!(reply.err, expected_err, "{what}: error code");
    assert_eq!(
        reply.zxid,
        *last_zxid + 1,
        "{what}: every write, failed or not, takes the next zxid"
    );
    *last_zxid = reply.zxid;
}

/// The server's last zxid, read from a sync reply.
fn last_zxid(client: &mut RawClient) -> i64 {
    let reply = raw_call(client, op::SYNC, &request::path("/"));
    assert_eq!(reply.err, code::OK);
    reply.zxid
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_tree_holds_only_the_zookeeper_subtree() {
    let server = start_server(&[]);
    let client = connect(&server).await;

    let (children, root) = within("get_children /", client.get_children("/"))
        .await
        .unwrap();
    assert_eq!(children, vec!["zookeeper".to_string()]);
    assert_eq!(
        (root.czxid, root.mzxid, root.pzxid, root.ctime, root.mtime),
        (0, 0, 0, 0, 0)
    );
    assert_eq!(
        (
            root.version,
            root.aversion,
            root.ephemeral_owner,
            root.data_length
        ),
        (0, 0, 0, 0)
    );
    // The wire cversion is 2·creates − children: no creates yet, one built-in child.
    assert_eq!((root.cversion, root.num_children), (-1, 1));

    let (mut children, zookeeper) =
        within("get_children /zookeeper", client.get_children("/zookeeper"))
            .await
            .unwrap();
    children.sort();
    assert_eq!(children, vec!["config".to_string(), "quota".to_string()]);
    assert_eq!(
        (
            zookeeper.czxid,
            zookeeper.mzxid,
            zookeeper.pzxid,
            zookeeper.ctime
        ),
        (0, 0, 0, 0)
    );
    assert_eq!(
        (
            zookeeper.cversion,
            zookeeper.num_children,
            zookeeper.data_length
        ),
        (-2, 2, 0)
    );

    let (quota_data, quota) = within("get_data quota", client.get_data("/zookeeper/quota"))
        .await
        .unwrap();
    assert!(quota_data.is_empty());
    assert_eq!(
        (
            quota.czxid,
            quota.version,
            quota.cversion,
            quota.aversion,
            quota.num_children
        ),
        (0, 0, 0, 0, 0)
    );
    let (config_data, config) = within("get_data config", client.get_data("/zookeeper/config"))
        .await
        .unwrap();
    assert!(config_data.is_empty(), "standalone has no ensemble config");
    assert_eq!(
        (config.czxid, config.version, config.num_children),
        (0, 0, 0)
    );
    assert_eq!(
        config.aversion, -1,
        "the config node is created with aversion -1"
    );

    let open = vec![Acl::new(Permission::ALL, AuthId::new("world", "anyone"))];
    for path in ["/", "/zookeeper", "/zookeeper/quota"] {
        let (acl, _) = within("get_acl", client.get_acl(path)).await.unwrap();
        assert_eq!(acl, open, "ACL of {path}");
    }
    let (acl, _) = within("get_acl config", client.get_acl("/zookeeper/config"))
        .await
        .unwrap();
    assert_eq!(
        acl,
        vec![Acl::new(Permission::READ, AuthId::new("world", "anyone"))]
    );

    assert_eq!(
        within("count /", client.count_descendants_number("/"))
            .await
            .unwrap(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_returns_the_new_stat_and_every_field_starts_right() {
    let server = start_server(&[]);
    let client = connect(&server).await;

    let before = now_millis();
    let (stat, _) = within("create", client.create("/node", b"hello", &persistent()))
        .await
        .unwrap();
    let after = now_millis();
    assert!(stat.czxid > 0);
    assert_eq!(
        (stat.mzxid, stat.pzxid),
        (stat.czxid, stat.czxid),
        "mzxid and pzxid start at czxid"
    );
    assert_eq!(stat.mtime, stat.ctime);
    assert!(
        stat.ctime >= before - 1000 && stat.ctime <= after + 1000,
        "ctime {} is the txn time",
        stat.ctime
    );
    assert_eq!((stat.version, stat.cversion, stat.aversion), (0, 0, 0));
    assert_eq!(
        (stat.ephemeral_owner, stat.data_length, stat.num_children),
        (0, 5, 0)
    );
    let (data, read) = within("get_data", client.get_data("/node")).await.unwrap();
    assert_eq!(data, b"hello");
    assert_eq!(read, stat, "create2 returns the stored stat");

    let (ephemeral_stat, _) = within("create ephemeral", client.create("/eph", b"", &ephemeral()))
        .await
        .unwrap();
    assert_eq!(ephemeral_stat.ephemeral_owner, client.session_id().0);
    assert_eq!(ephemeral_stat.data_length, 0);
    assert!(ephemeral_stat.czxid > stat.czxid);

    // On the wire: plain create (op 1) answers the path only; create2 (op 15) path + Stat.
    let mut raw = raw_session(&server);
    let reply = raw_call(
        &mut raw,
        op::CREATE,
        &request::create("/plain", None, OPEN_ACL, 0),
    );
    assert_eq!(reply.err, code::OK);
    assert_eq!(reply.body, [&[0, 0, 0, 6][..], b"/plain"].concat());
    let reply = raw_call(
        &mut raw,
        op::CREATE2,
        &request::create("/plain2", Some(b"x"), OPEN_ACL, 0),
    );
    let mut reader = reply.reader();
    assert_eq!(reader.string("path").unwrap(), "/plain2");
    let stat2 = reader.stat().unwrap();
    assert_eq!((stat2.czxid, stat2.data_length), (reply.zxid, 1));
    assert_eq!(reader.remaining(), 0);

    // Null data reads back as a null buffer (length −1) with dataLength 0.
    let reply = raw_call(
        &mut raw,
        op::GET_DATA,
        &request::path_watch("/plain", false),
    );
    assert_eq!(reply.err, code::OK);
    assert_eq!(reply.body.get(..4), Some(&[0xff, 0xff, 0xff, 0xff][..]));
    let mut reader = JuteReader::new(&reply.body);
    assert_eq!(reader.buffer("data").unwrap(), None);
    assert_eq!(reader.stat().unwrap().data_length, 0);
    let (data, _) = within("get_data null", client.get_data("/plain"))
        .await
        .unwrap();
    assert!(data.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_suffix_is_the_parents_create_counter() {
    let server = start_server(&[]);
    let client = connect(&server).await;
    create(&client, "/seq", b"").await;

    let (_, first) = within(
        "create seq",
        client.create("/seq/n-", b"", &persistent_sequential()),
    )
    .await
    .unwrap();
    assert_eq!(first.into_i64(), 0);
    assert_eq!(first.to_string(), "0000000000");
    create(&client, "/seq/plain", b"").await;
    within("delete", client.delete("/seq/plain", None))
        .await
        .unwrap();
    let parent = within("stat", client.check_stat("/seq"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (parent.cversion, parent.num_children),
        (3, 1),
        "cversion counts creates and deletes"
    );

    // Deleting does not free a number: the counter counts creates only.
    let (_, second) = within(
        "create eph seq",
        client.create("/seq/n-", b"", &ephemeral_sequential()),
    )
    .await
    .unwrap();
    assert_eq!(second.into_i64(), 2);
    // A plain create also advances the counter, so it never collides with the next name.
    create(&client, "/seq/n-0000000003", b"").await;
    let (_, fourth) = within(
        "create seq",
        client.create("/seq/n-", b"", &persistent_sequential()),
    )
    .await
    .unwrap();
    assert_eq!(fourth.into_i64(), 4);

    // A sequential path may end in '/': the suffix is the whole name.
    let mut raw = raw_session(&server);
    let reply = raw_call(
        &mut raw,
        op::CREATE,
        &request::create("/seq/", None, OPEN_ACL, 2),
    );
    assert_eq!(reply.err, code::OK);
    assert_eq!(created_path(&reply), "/seq/0000000005");

    let mut children = within("list", client.list_children("/seq")).await.unwrap();
    children.sort();
    assert_eq!(
        children,
        vec![
            "0000000005",
            "n-0000000000",
            "n-0000000002",
            "n-0000000003",
            "n-0000000004"
        ]
    );
    let parent = within("stat", client.check_stat("/seq"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (parent.cversion, parent.num_children),
        (7, 5),
        "6 creates + 1 delete"
    );
}

#[test]
fn parent_stat_follows_child_creates_and_deletes_but_not_child_data() {
    let server = start_server(&[]);
    let mut raw = raw_session(&server);

    let parent_zxid = raw_create(&mut raw, "/p", b"").zxid;
    let a_zxid = raw_create(&mut raw, "/p/a", b"").zxid;
    let stat = raw_exists(&mut raw, "/p", false).unwrap();
    assert_eq!(
        (stat.czxid, stat.mzxid, stat.pzxid),
        (parent_zxid, parent_zxid, a_zxid)
    );
    assert_eq!((stat.cversion, stat.num_children, stat.version), (1, 1, 0));

    let reply = raw_call(
        &mut raw,
        op::SET_DATA,
        &request::set_data("/p/a", Some(b"x"), -1),
    );
    assert_eq!(reply.err, code::OK);
    let after_child_data = raw_exists(&mut raw, "/p", false).unwrap();
    assert_eq!(
        after_child_data, stat,
        "a child's setData leaves the parent alone"
    );

    let b_zxid = raw_create(&mut raw, "/p/b", b"").zxid;
    let reply = raw_call(&mut raw, op::DELETE, &request::path_version("/p/a", -1));
    assert_eq!(reply.err, code::OK);
    let delete_zxid = reply.zxid;
    assert!(delete_zxid > b_zxid);
    let stat = raw_exists(&mut raw, "/p", false).unwrap();
    assert_eq!(
        (stat.pzxid, stat.cversion, stat.num_children),
        (delete_zxid, 3, 1)
    );

    // The parent's own setData moves mzxid/version/mtime, not pzxid/cversion.
    let reply = raw_call(
        &mut raw,
        op::SET_DATA,
        &request::set_data("/p", Some(b"yz"), 0),
    );
    assert_eq!(reply.err, code::OK);
    let set_stat = reply.reader().stat().unwrap();
    assert_eq!(
        (set_stat.czxid, set_stat.mzxid, set_stat.pzxid),
        (parent_zxid, reply.zxid, delete_zxid)
    );
    assert_eq!(
        (set_stat.version, set_stat.cversion, set_stat.data_length),
        (1, 3, 2)
    );
    assert!(set_stat.mtime >= set_stat.ctime);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_data_checks_the_version_and_advances_the_stat() {
    let server = start_server(&[]);
    let client = connect(&server).await;
    let created = create(&client, "/v", b"a").await;

    let first = within("set v0", client.set_data("/v", b"bb", Some(0)))
        .await
        .unwrap();
    assert_eq!((first.version, first.data_length), (1, 2));
    assert_eq!(
        (first.czxid, first.ctime, first.pzxid),
        (created.czxid, created.ctime, created.pzxid)
    );
    assert!(first.mzxid > created.mzxid);
    assert!(first.mtime >= created.mtime);
    assert_eq!(
        (first.cversion, first.aversion, first.num_children),
        (0, 0, 0)
    );

    assert_eq!(
        within("stale", client.set_data("/v", b"x", Some(0)))
            .await
            .unwrap_err(),
        Error::BadVersion
    );
    assert_eq!(
        within("future", client.set_data("/v", b"x", Some(5)))
            .await
            .unwrap_err(),
        Error::BadVersion
    );
    let second = within("set any", client.set_data("/v", b"", None))
        .await
        .unwrap();
    assert_eq!((second.version, second.data_length), (2, 0));
    assert!(second.mzxid > first.mzxid);

    let (data, stat) = within("get", client.get_data("/v")).await.unwrap();
    assert!(data.is_empty());
    assert_eq!(stat, second);
    assert_eq!(
        within("missing", client.set_data("/missing", b"x", None))
            .await
            .unwrap_err(),
        Error::NoNode
    );

    let mut raw = raw_session(&server);
    let reply = raw_call(
        &mut raw,
        op::SET_DATA,
        &request::set_data("noslash", None, -1),
    );
    assert_eq!(reply.err, code::BAD_ARGUMENTS);
    let reply = raw_call(
        &mut raw,
        op::SET_DATA,
        &request::set_data("/zookeeper/config", Some(b"x"), -1),
    );
    assert_eq!(
        reply.err,
        code::NO_AUTH,
        "the config node is read-only to everyone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_checks_children_version_and_existence() {
    let server = start_server(&[]);
    let client = connect(&server).await;
    create(&client, "/d", b"").await;
    create(&client, "/d/c", b"").await;

    assert_eq!(
        within("non-empty", client.delete("/d", None))
            .await
            .unwrap_err(),
        Error::NotEmpty
    );
    assert_eq!(
        within("bad version", client.delete("/d/c", Some(3)))
            .await
            .unwrap_err(),
        Error::BadVersion
    );
    within("set", client.set_data("/d/c", b"x", None))
        .await
        .unwrap();
    assert_eq!(
        within("stale version", client.delete("/d/c", Some(0)))
            .await
            .unwrap_err(),
        Error::BadVersion
    );
    within("delete v1", client.delete("/d/c", Some(1)))
        .await
        .unwrap();
    assert_eq!(
        within("gone", client.delete("/d/c", None))
            .await
            .unwrap_err(),
        Error::NoNode
    );
    within("delete any", client.delete("/d", None))
        .await
        .unwrap();
    assert_eq!(
        within("exists", client.check_stat("/d")).await.unwrap(),
        None
    );

    // The root and the built-in nodes cannot be deleted; a malformed path is rejected.
    let mut raw = raw_session(&server);
    for path in ["/", "/zookeeper", "/zookeeper/quota", "noslash"] {
        let reply = raw_call(&mut raw, op::DELETE, &request::path_version(path, -1));
        assert_eq!(reply.err, code::BAD_ARGUMENTS, "delete {path:?}");
    }
}

#[test]
fn create_errors_come_in_validation_order_and_each_takes_a_zxid() {
    let server = start_server(&[]);
    let mut raw = raw_session(&server);
    let mut zxid = last_zxid(&mut raw);

    let open = OPEN_ACL;
    expect_write(
        &mut raw,
        &mut zxid,
        op::CREATE,
        &request::create("/a", None, open, 0),
        code::OK,
        "create /a",
    );
    expect_write(
        &mut raw,
        &mut zxid,
        op::CREATE,
        &request::create("/eph", None, open, 1),
        code::OK,
        "ephemeral",
    );
    let cases: &[(&str, i32, i32, &str)] = &[
        ("/a", 0, code::NODE_EXISTS, "existing node"),
        ("/", 0, code::NODE_EXISTS, "the root"),
        ("/missing/child", 0, code::NO_NODE, "missing parent"),
        (
            "/missing/",
            0,
            code::NO_NODE,
            "the parent check comes before the path check",
        ),
        (
            "/a//b",
            0,
            code::NO_NODE,
            "empty segment: its parent cannot exist",
        ),
        ("noslash", 0, code::BAD_ARGUMENTS, "relative path"),
        ("", 0, code::BAD_ARGUMENTS, "empty path"),
        (
            "/a/",
            0,
            code::BAD_ARGUMENTS,
            "trailing slash without a sequential mode",
        ),
        ("/a/.", 0, code::BAD_ARGUMENTS, "relative segment ."),
        ("/a/..", 0, code::BAD_ARGUMENTS, "relative segment .."),
        ("/a/\u{1}x", 0, code::BAD_ARGUMENTS, "control character"),
        ("/a\0b", 0, code::BAD_ARGUMENTS, "NUL character"),
        ("/f", 99, code::BAD_ARGUMENTS, "unknown flags 99"),
        ("/f", -1, code::BAD_ARGUMENTS, "unknown flags -1"),
        ("/f", 7, code::BAD_ARGUMENTS, "unknown flags 7"),
        (
            "/f",
            5,
            code::UNIMPLEMENTED,
            "TTL mode without extended types",
        ),
        (
            "/eph/child",
            0,
            code::NO_CHILDREN_FOR_EPHEMERALS,
            "child of an ephemeral",
        ),
        (
            "/eph/child",
            2,
            code::NO_CHILDREN_FOR_EPHEMERALS,
            "sequential child of an ephemeral",
        ),
    ];
    for (path, flags, expected, what) in cases {
        let body = request::create(path, Some(b"d"), open, *flags);
        expect_write(&mut raw, &mut zxid, op::CREATE, &body, *expected, what);
    }
    let body = request::create("/no-acl", None, &[], 0);
    expect_write(
        &mut raw,
        &mut zxid,
        op::CREATE,
        &body,
        code::INVALID_ACL,
        "empty ACL list",
    );
    let body = request::create_ttl("/ttl", None, open, 5, 1000);
    expect_write(
        &mut raw,
        &mut zxid,
        op::CREATE_TTL,
        &body,
        code::UNIMPLEMENTED,
        "createTTL without extended types",
    );
    let body = request::path_version("/a", 4);
    expect_write(
        &mut raw,
        &mut zxid,
        op::DELETE,
        &body,
        code::BAD_VERSION,
        "delete with a wrong version",
    );
    let body = request::set_data("/nope", None, -1);
    expect_write(
        &mut raw,
        &mut zxid,
        op::SET_DATA,
        &body,
        code::NO_NODE,
        "setData on a missing node",
    );
    let body = request::create("/b", Some(b"x"), open, 0);
    expect_write(
        &mut raw,
        &mut zxid,
        op::CREATE,
        &body,
        code::OK,
        "a later success",
    );
    let stat = raw_exists(&mut raw, "/b", false).unwrap();
    assert_eq!(stat.czxid, zxid);
    // None of the failures left anything behind.
    for path in ["/f", "/missing", "/eph/child", "/no-acl", "/ttl"] {
        assert_eq!(raw_exists(&mut raw, path, false), None, "{path}");
    }
}

#[test]
fn reads_and_sync_take_no_zxid_and_validate_nothing() {
    let server = start_server(&[]);
    let mut raw = raw_session(&server);
    raw_create(&mut raw, "/r", b"x");
    let zxid = last_zxid(&mut raw);

    let reads: &[(i32, Vec<u8>, i32)] = &[
        (
            op::GET_DATA,
            request::path_watch("bad//path", false),
            code::NO_NODE,
        ),
        (
            op::GET_DATA,
            request::path_watch("/missing", false),
            code::NO_NODE,
        ),
        (
            op::EXISTS,
            request::path_watch("/missing", false),
            code::NO_NODE,
        ),
        (
            op::GET_CHILDREN,
            request::path_watch("/missing", false),
            code::NO_NODE,
        ),
        (
            op::GET_CHILDREN2,
            request::path_watch("/missing", false),
            code::NO_NODE,
        ),
        (op::GET_ACL, request::path("/missing"), code::NO_NODE),
        (
            op::GET_ALL_CHILDREN_NUMBER,
            request::path("/missing"),
            code::NO_NODE,
        ),
        (op::GET_DATA, request::path_watch("/r", false), code::OK),
        (op::EXISTS, request::path_watch("/r", false), code::OK),
    ];
    for (op_code, body, expected) in reads {
        let reply = raw_call(&mut raw, *op_code, body);
        assert_eq!(reply.err, *expected, "op {op_code}");
        assert_eq!(
            reply.zxid, zxid,
            "a read answers with the last zxid (op {op_code})"
        );
        if *expected != code::OK {
            assert!(
                reply.body.is_empty(),
                "an error reply is the header alone (op {op_code})"
            );
        }
    }

    // sync echoes its path, existing or not.
    for path in ["/r", "/missing"] {
        let reply = raw_call(&mut raw, op::SYNC, &request::path(path));
        assert_eq!((reply.err, reply.zxid), (code::OK, zxid));
        assert_eq!(created_path(&reply), path);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exists_and_sync_through_the_client() {
    let server = start_server(&[]);
    let client = connect(&server).await;
    assert_eq!(
        within("exists missing", client.check_stat("/nothing"))
            .await
            .unwrap(),
        None
    );
    let created = create(&client, "/here", b"abc").await;
    within("sync", client.sync("/here")).await.unwrap();
    within("sync missing", client.sync("/nothing"))
        .await
        .unwrap();
    assert_eq!(
        within("exists", client.check_stat("/here")).await.unwrap(),
        Some(created)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_listings_and_descendant_counts() {
    let server = start_server(&[]);
    let client = connect(&server).await;
    for path in ["/t", "/t/a", "/t/b", "/t/a/x", "/t/a/y", "/t/a/x/deep"] {
        create(&client, path, b"").await;
    }
    let mut names = within("list", client.list_children("/t")).await.unwrap();
    names.sort();
    assert_eq!(names, vec!["a", "b"]);
    let (mut names, stat) = within("get_children", client.get_children("/t/a"))
        .await
        .unwrap();
    names.sort();
    assert_eq!(names, vec!["x", "y"]);
    assert_eq!((stat.num_children, stat.cversion), (2, 2));
    assert!(within("leaf", client.list_children("/t/b"))
        .await
        .unwrap()
        .is_empty());

    assert_eq!(
        within("count /t", client.count_descendants_number("/t"))
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        within("count /t/a", client.count_descendants_number("/t/a"))
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        within("count leaf", client.count_descendants_number("/t/b"))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        within("count /", client.count_descendants_number("/"))
            .await
            .unwrap(),
        9
    );

    assert_eq!(
        within("list missing", client.list_children("/none"))
            .await
            .unwrap_err(),
        Error::NoNode
    );
    assert_eq!(
        within("get missing", client.get_children("/none"))
            .await
            .unwrap_err(),
        Error::NoNode
    );
    assert_eq!(
        within("count missing", client.count_descendants_number("/none"))
            .await
            .unwrap_err(),
        Error::NoNode
    );

    // getChildren (op 8) answers the names alone.
    let mut raw = raw_session(&server);
    let reply = raw_call(
        &mut raw,
        op::GET_CHILDREN,
        &request::path_watch("/t/a/x", false),
    );
    assert_eq!(reply.err, code::OK);
    let mut reader = reply.reader();
    assert_eq!(
        reader.strings("children").unwrap(),
        vec!["deep".to_string()]
    );
    assert_eq!(reader.remaining(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_ephemerals_lists_the_callers_own_by_string_prefix() {
    let server = start_server(&[]);
    let alice = connect(&server).await;
    let bob = connect(&server).await;
    create(&alice, "/e", b"").await;
    within("a1", alice.create("/e/a1", b"", &ephemeral()))
        .await
        .unwrap();
    let (_, sequence) = within("a2", alice.create("/e/a2-", b"", &ephemeral_sequential()))
        .await
        .unwrap();
    let a2 = format!("/e/a2-{sequence}");
    within("top", alice.create("/eph-top", b"", &ephemeral()))
        .await
        .unwrap();
    within("b1", bob.create("/e/b1", b"", &ephemeral()))
        .await
        .unwrap();

    let sorted = |mut paths: Vec<String>| {
        paths.sort();
        paths
    };
    let all = sorted(within("alice /", alice.list_ephemerals("/")).await.unwrap());
    assert_eq!(
        all,
        vec!["/e/a1".to_string(), a2.clone(), "/eph-top".to_string()]
    );
    // The prefix is a plain string prefix, not a subtree.
    let prefixed = sorted(
        within("alice /e", alice.list_ephemerals("/e"))
            .await
            .unwrap(),
    );
    assert_eq!(
        prefixed,
        vec!["/e/a1".to_string(), a2.clone(), "/eph-top".to_string()]
    );
    assert_eq!(
        within("bob", bob.list_ephemerals("/")).await.unwrap(),
        vec!["/e/b1".to_string()]
    );
    assert!(within("none", alice.list_ephemerals("/nothing"))
        .await
        .unwrap()
        .is_empty());

    // The raw session owns none; "" means every path.
    let mut raw = raw_session(&server);
    raw_call(
        &mut raw,
        op::CREATE,
        &request::create("/e/raw", None, OPEN_ACL, 1),
    );
    for prefix in ["", "/", "/e/"] {
        let reply = raw_call(&mut raw, op::GET_EPHEMERALS, &request::path(prefix));
        assert_eq!(reply.err, code::OK);
        assert_eq!(
            reply.reader().strings("ephemerals").unwrap(),
            vec!["/e/raw".to_string()],
            "prefix {prefix:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_is_reaped_once_its_last_child_is_gone() {
    let server = start_server(&[("znode.container.checkIntervalMs", "100")]);
    let client = connect(&server).await;

    let (stat, _) = within("create container", client.create("/c", b"", &container()))
        .await
        .unwrap();
    assert_eq!(
        stat.ephemeral_owner, 0,
        "containers show no owner on the wire"
    );
    create(&client, "/c/x", b"").await;
    within(
        "create unused",
        client.create("/never-used", b"", &container()),
    )
    .await
    .unwrap();
    within("create busy", client.create("/busy", b"", &container()))
        .await
        .unwrap();
    create(&client, "/busy/child", b"").await;

    let (_, watcher) = within("watch /c", client.check_and_watch_stat("/c"))
        .await
        .unwrap();
    within("delete child", client.delete("/c/x", None))
        .await
        .unwrap();
    let event = within("container reaped", watcher.changed()).await;
    assert_eq!(
        (event.event_type, event.path.as_str()),
        (EventType::NodeDeleted, "/c")
    );

    // Once a later sweep has run (a second container reaped), the never-used container and the
    // one with a child are known to have been passed over.
    within("create marker", client.create("/marker", b"", &container()))
        .await
        .unwrap();
    create(&client, "/marker/x", b"").await;
    let (_, watcher) = within("watch marker", client.check_and_watch_stat("/marker"))
        .await
        .unwrap();
    within("delete marker child", client.delete("/marker/x", None))
        .await
        .unwrap();
    within("marker reaped", watcher.changed()).await;
    assert!(within("unused", client.check_stat("/never-used"))
        .await
        .unwrap()
        .is_some());
    assert!(within("busy", client.check_stat("/busy"))
        .await
        .unwrap()
        .is_some());
    assert!(within("busy child", client.check_stat("/busy/child"))
        .await
        .unwrap()
        .is_some());

    // A container may also be created through plain create with flags 4.
    let mut raw = raw_session(&server);
    let reply = raw_call(
        &mut raw,
        op::CREATE,
        &request::create("/c2", None, OPEN_ACL, 4),
    );
    assert_eq!(reply.err, code::OK);
    let reply = raw_call(
        &mut raw,
        op::CREATE_CONTAINER,
        &request::create("/c3", None, OPEN_ACL, 4),
    );
    assert_eq!(reply.err, code::OK);
    let mut reader = reply.reader();
    assert_eq!(reader.string("path").unwrap(), "/c3");
    assert_eq!(
        reader.stat().unwrap().czxid,
        reply.zxid,
        "createContainer answers path + stat"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttl_nodes_are_unimplemented_without_extended_types() {
    let server = start_server(&[]);
    let client = connect(&server).await;
    let options = CreateMode::Persistent
        .with_acls(zookeeper_client::Acls::anyone_all())
        .with_ttl(Duration::from_secs(5));
    assert_eq!(
        within("create ttl", client.create("/ttl", b"", &options))
            .await
            .unwrap_err(),
        Error::Unimplemented
    );
    assert_eq!(
        within("exists", client.check_stat("/ttl")).await.unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttl_node_expires_once_childless_and_unmodified_for_its_ttl() {
    let server = start_server(&[
        ("extendedTypesEnabled", "true"),
        ("znode.container.checkIntervalMs", "100"),
    ]);
    let client = connect(&server).await;
    let ttl = CreateMode::Persistent
        .with_acls(zookeeper_client::Acls::anyone_all())
        .with_ttl(Duration::from_millis(300));

    within("create keep", client.create("/keep", b"", &ttl))
        .await
        .unwrap();
    create(&client, "/keep/child", b"").await;
    let (stat, _) = within("create ttl", client.create("/ttl", b"x", &ttl))
        .await
        .unwrap();
    assert_eq!(
        stat.ephemeral_owner, 0,
        "TTL nodes show no owner on the wire"
    );
    let (_, watcher) = within("watch", client.check_and_watch_stat("/ttl"))
        .await
        .unwrap();
    let event = within("ttl expiry", watcher.changed()).await;
    assert_eq!(
        (event.event_type, event.path.as_str()),
        (EventType::NodeDeleted, "/ttl")
    );

    // After a later sweep has certainly finished, the TTL node with a child is still there.
    within("create later", client.create("/later", b"", &ttl))
        .await
        .unwrap();
    let (_, watcher) = within("watch later", client.check_and_watch_stat("/later"))
        .await
        .unwrap();
    within("later expiry", watcher.changed()).await;
    assert!(within("keep", client.check_stat("/keep"))
        .await
        .unwrap()
        .is_some());

    // Bad TTL requests.
    let mut raw = raw_session(&server);
    let cases: &[(i32, i32, i64, &str)] = &[
        (op::CREATE_TTL, 1, 1000, "ephemeral flags"),
        (op::CREATE_TTL, 0, 1000, "persistent flags without TTL"),
        (op::CREATE_TTL, 5, 0, "zero TTL"),
        (op::CREATE_TTL, 5, -5, "negative TTL"),
        (op::CREATE_TTL, 5, 0x100_0000_0000, "TTL over 2^40 - 1"),
    ];
    for (op_code, flags, ttl_ms, what) in cases {
        let reply = raw_call(
            &mut raw,
            *op_code,
            &request::create_ttl("/bad", None, OPEN_ACL, *flags, *ttl_ms),
        );
        assert_eq!(reply.err, code::BAD_ARGUMENTS, "{what}");
    }
    let reply = raw_call(
        &mut raw,
        op::CREATE,
        &request::create("/bad", None, OPEN_ACL, 5),
    );
    assert_eq!(
        reply.err,
        code::BAD_ARGUMENTS,
        "TTL flags through plain create carry no TTL"
    );
    let reply = raw_call(
        &mut raw,
        op::CREATE_TTL,
        &request::create_ttl("/seq-", None, OPEN_ACL, 6, 60_000),
    );
    assert_eq!(reply.err, code::OK);
    assert!(
        created_path(&reply).starts_with("/seq-00000000"),
        "sequential TTL names get a suffix"
    );
}
