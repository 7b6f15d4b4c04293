//! Sessions: the handshake's shape and timeout negotiation (clamped to [min, max], by
//! default 2 and 20 ticks), ephemerals removed on close and on expiry with their watchers told,
//! re-attaching with id and password (the session and its ephemerals stay; the old connection
//! is closed), the "expired" answer for a wrong password or an unknown session, refusal of a
//! client that has seen a newer zxid, and sessions with their ephemerals surviving a server
//! restart within their timeout while an abandoned one expires after it.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use std::time::Duration;

use support::*;
use testkit::jute::{code, op, request, xid};
use testkit::{ConnectRequest, RawClient, TestkitError};
use zookeeper_client::{Client, EventType};

fn negotiate(port: u16, requested_ms: i32) -> i32 {
    let mut client = RawClient::open(port).unwrap();
    client
        .handshake(&ConnectRequest::new_session(requested_ms))
        .unwrap()
        .timeout_ms
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_shape_and_timeout_negotiation() {
    let server = start_server(&[]);
    let port = server.port();
    // Defaults with tickTime 2000: [4000, 40000].
    assert_eq!(negotiate(port, 1), 4000);
    assert_eq!(negotiate(port, -5), 4000);
    assert_eq!(negotiate(port, 30_000), 30_000);
    assert_eq!(negotiate(port, 1_000_000_000), 40_000);

    let mut client = RawClient::open(port).unwrap();
    let response = client
        .handshake(&ConnectRequest::new_session(10_000))
        .unwrap();
    assert_eq!(
        response.raw.len(),
        37,
        "protocolVersion, timeOut, sessionId, passwd(16), readOnly"
    );
    assert_eq!(
        (
            response.protocol_version,
            response.password.len(),
            response.read_only
        ),
        (0, 16, Some(false))
    );
    assert_ne!(response.session_id, 0);
    // An old client without the readOnly byte gets a reply without it.
    let mut old = RawClient::open(port).unwrap();
    let old_response = old
        .handshake(&ConnectRequest {
            read_only: None,
            ..ConnectRequest::new_session(10_000)
        })
        .unwrap();
    assert_eq!((old_response.raw.len(), old_response.read_only), (36, None));
    assert_ne!(old_response.session_id, response.session_id);
    let reply = client.ping().unwrap();
    assert_eq!((reply.xid, reply.err), (xid::PING, code::OK));

    let connected = connect_with(
        &server,
        Client::connector().with_session_timeout(Duration::from_secs(100)),
    )
    .await;
    assert_eq!(connected.session_timeout(), Duration::from_secs(40));

    // Explicit bounds replace the tick-derived ones.
    let custom = start_server(&[
        ("tickTime", "500"),
        ("minSessionTimeout", "3000"),
        ("maxSessionTimeout", "6000"),
    ]);
    assert_eq!(negotiate(custom.port(), 1), 3000);
    assert_eq!(negotiate(custom.port(), 4000), 4000);
    assert_eq!(negotiate(custom.port(), 1_000_000_000), 6000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ephemerals_go_when_their_session_closes_and_watchers_hear_it() {
    let server = start_server(&[]);
    let observer = connect(&server).await;
    let owner = connect(&server).await;
    within("create", owner.create("/e", b"", &ephemeral()))
        .await
        .unwrap();
    let (_, sequence) = within(
        "create seq",
        owner.create("/q-", b"", &ephemeral_sequential()),
    )
    .await
    .unwrap();
    let sequential = format!("/q-{sequence}");

    let (_, deleted) = within("watch /e", observer.check_and_watch_stat("/e"))
        .await
        .unwrap();
    let (_, _, data_watch) = within("watch seq", observer.get_and_watch_data(&sequential))
        .await
        .unwrap();
    let (_, root_children) = within("watch /", observer.list_and_watch_children("/"))
        .await
        .unwrap();
    drop(owner);
    let event = within("NodeDeleted /e", deleted.changed()).await;
    assert_eq!(
        (event.event_type, event.path.as_str()),
        (EventType::NodeDeleted, "/e")
    );
    let event = within("NodeDeleted seq", data_watch.changed()).await;
    assert_eq!(
        (event.event_type, event.path.as_str()),
        (EventType::NodeDeleted, sequential.as_str())
    );
    let event = within("NodeChildrenChanged /", root_children.changed()).await;
    assert_eq!(
        (event.event_type, event.path.as_str()),
        (EventType::NodeChildrenChanged, "/")
    );
    let mut left = within("list", observer.list_children("/")).await.unwrap();
    left.sort();
    assert_eq!(left, vec!["zookeeper".to_string()]);

    // On the wire: closeSession is a write answered like one, then the server hangs up.
    let mut raw = raw_session(&server);
    raw_call(
        &mut raw,
        op::CREATE,
        &request::create("/raw-eph", None, OPEN_ACL, 1),
    );
    let before = raw_call(&mut raw, op::SYNC, &request::path("/")).zxid;
    let reply = raw.close_session().unwrap();
    assert_eq!((reply.err, reply.zxid), (code::OK, before + 1));
    assert!(reply.body.is_empty());
    assert!(
        raw.wait_closed(STEP),
        "the server closes the connection after closeSession"
    );
    assert_eq!(
        within("exists", observer.check_stat("/raw-eph"))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ephemerals_go_when_their_session_expires() {
    let server = start_server(&[("tickTime", "200")]);
    let observer = connect_with(
        &server,
        Client::connector().with_session_timeout(Duration::from_secs(4)),
    )
    .await;
    let mut owner = RawClient::connect(server.port(), 1000).unwrap();
    assert_eq!(owner.session().unwrap().timeout_ms, 1000);
    let owner_id = owner.session_id();
    let password = owner.session().unwrap().password.clone();
    raw_call(
        &mut owner,
        op::CREATE,
        &request::create("/lease", None, OPEN_ACL, 1),
    );
    let (stat, deleted) = within("watch", observer.check_and_watch_stat("/lease"))
        .await
        .unwrap();
    assert_eq!(stat.unwrap().ephemeral_owner, owner_id);

    // The owner stays silent: no pings, so the session expires after about a second.
    let event = within("expiry deletes the ephemeral", deleted.changed()).await;
    assert_eq!(
        (event.event_type, event.path.as_str()),
        (EventType::NodeDeleted, "/lease")
    );
    assert!(
        owner.wait_closed(STEP),
        "the expired session's connection is closed"
    );

    let mut late = RawClient::open(server.port()).unwrap();
    let response = late
        .handshake_raw(&ConnectRequest::reattach(owner_id, &password, 1000))
        .unwrap();
    assert_eq!(
        (response.session_id, response.timeout_ms),
        (0, 0),
        "an expired session cannot be re-attached"
    );
}

#[test]
fn reattaching_with_id_and_password_keeps_the_session() {
    let server = start_server(&[]);
    let mut first = raw_session(&server);
    raw_call(
        &mut first,
        op::CREATE,
        &request::create("/mine", None, OPEN_ACL, 1),
    );
    let session = first.session().unwrap().clone();

    let mut second = RawClient::open(server.port()).unwrap();
    let response = second
        .handshake(&ConnectRequest::reattach(
            session.session_id,
            &session.password,
            30_000,
        ))
        .unwrap();
    assert_eq!(
        (response.session_id, response.timeout_ms),
        (session.session_id, 30_000)
    );
    assert_eq!(response.password, session.password);
    assert!(
        first.wait_closed(STEP),
        "the session's previous connection is closed"
    );

    let stat = raw_exists(&mut second, "/mine", false).unwrap();
    assert_eq!(stat.ephemeral_owner, session.session_id);
    let reply = raw_call(&mut second, op::GET_EPHEMERALS, &request::path("/"));
    assert_eq!(
        reply.reader().strings("ephemerals").unwrap(),
        vec!["/mine".to_string()]
    );

    // Dropping the connection without closeSession leaves the session for the next attach.
    drop(second);
    let mut third = RawClient::open(server.port()).unwrap();
    let response = third
        .handshake(&ConnectRequest::reattach(
            session.session_id,
            &session.password,
            30_000,
        ))
        .unwrap();
    assert_eq!(response.session_id, session.session_id);
    raw_create(&mut third, "/still-works", b"");
}

#[test]
fn wrong_password_or_unknown_session_is_answered_as_expired() {
    let server = start_server(&[]);
    let mut owner = raw_session(&server);
    raw_call(
        &mut owner,
        op::CREATE,
        &request::create("/owned", None, OPEN_ACL, 1),
    );
    let session = owner.session().unwrap().clone();
    let mut wrong = session.password.clone();
    wrong[0] ^= 0xff;

    let expired_answer = |request: &ConnectRequest| {
        let mut client = RawClient::open(server.port()).unwrap();
        let response = client.handshake_raw(request).unwrap();
        assert!(
            client.wait_closed(STEP),
            "the server hangs up after the expired answer"
        );
        response
    };
    for request in [
        ConnectRequest::reattach(session.session_id, &wrong, 30_000),
        ConnectRequest::reattach(session.session_id ^ 0x5a5a, &session.password, 30_000),
    ] {
        let response = expired_answer(&request);
        assert_eq!(
            (
                response.protocol_version,
                response.timeout_ms,
                response.session_id
            ),
            (0, 0, 0)
        );
        assert_eq!(response.password, vec![0; 16]);
        assert_eq!(response.raw.len(), 37);
    }

    // The session itself is untouched: the right password still attaches, ephemeral intact.
    let mut back = RawClient::open(server.port()).unwrap();
    let response = back
        .handshake(&ConnectRequest::reattach(
            session.session_id,
            &session.password,
            30_000,
        ))
        .unwrap();
    assert_eq!(response.session_id, session.session_id);
    assert_eq!(
        raw_exists(&mut back, "/owned", false)
            .unwrap()
            .ephemeral_owner,
        session.session_id
    );

    // A client that has seen a newer zxid than the server's is refused without an answer.
    let mut ahead = RawClient::open(server.port()).unwrap();
    let request = ConnectRequest {
        last_zxid_seen: 1 << 40,
        ..ConnectRequest::new_session(30_000)
    };
    let result = ahead.handshake_raw(&request);
    assert!(
        matches!(result, Err(TestkitError::Closed { .. })),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_and_ephemerals_survive_a_restart_within_their_timeout() {
    let mut server = start_server(&[("tickTime", "500")]);
    let keeper = connect_with(
        &server,
        Client::connector().with_session_timeout(Duration::from_secs(10)),
    )
    .await;
    let keeper_id = keeper.session_id();
    within("create keep", keeper.create("/keep", b"k", &ephemeral()))
        .await
        .unwrap();
    let mut orphan = RawClient::connect(server.port(), 1000).unwrap();
    raw_call(
        &mut orphan,
        op::CREATE,
        &request::create("/orphan", None, OPEN_ACL, 1),
    );

    server.kill9().unwrap();
    drop(orphan);
    server.restart().unwrap();

    // The keeper's client reconnects to its old session; its ephemeral is still its own.
    let (data, stat) = within("keeper reads after restart", keeper.get_data("/keep"))
        .await
        .unwrap();
    assert_eq!(
        (data.as_slice(), stat.ephemeral_owner),
        (&b"k"[..], keeper_id.0)
    );
    within(
        "keeper writes after restart",
        keeper.create("/keep2", b"", &ephemeral()),
    )
    .await
    .unwrap();

    // The abandoned session was restored with a fresh timer and expires after its timeout.
    let observer = connect(&server).await;
    let (stat, watcher) = within("watch orphan", observer.check_and_watch_stat("/orphan"))
        .await
        .unwrap();
    if stat.is_some() {
        let event = within("orphan expires", watcher.changed()).await;
        assert_eq!(
            (event.event_type, event.path.as_str()),
            (EventType::NodeDeleted, "/orphan")
        );
    }
    let stat = within("keep", observer.check_stat("/keep"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stat.ephemeral_owner, keeper_id.0);
    let mut ephemerals = within("keeper ephemerals", keeper.list_ephemerals("/"))
        .await
        .unwrap();
    ephemerals.sort();
    assert_eq!(ephemerals, vec!["/keep".to_string(), "/keep2".to_string()]);
}
