//! Hostile or broken input on raw connections: random bytes before and after the handshake,
//! truncated frames, length prefixes over `jute.maxbuffer`, 0x7fffffff, negative and zero,
//! a request before the handshake, a record cut short inside a whole frame, and an unknown op
//! code. Each test keeps a healthy `zookeeper-client` session going alongside and checks,
//! at the end, that it still works and the data it wrote is intact.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use support::*;
use testkit::jute::{code, op, request};
use testkit::{ConnectRequest, CoordinatorProcess, RawClient, TestkitError};
use zookeeper_client::Client;

/// The default `jute.maxbuffer`.
const MAX_BUFFER: i32 = 0xfffff;

/// A session that must stay unaffected, with some data to check afterwards.
struct Bystander {
    client: Client,
}

impl Bystander {
    async fn start(server: &CoordinatorProcess) -> Self {
        let client = connect(server).await;
        create(&client, "/healthy", b"before").await;
        create(&client, "/healthy/child", b"child data").await;
        Bystander { client }
    }

    async fn assert_unaffected(&self, server: &CoordinatorProcess) {
        let (data, _) = within("bystander read", self.client.get_data("/healthy/child"))
            .await
            .unwrap();
        assert_eq!(data, b"child data");
        let stat = within(
            "bystander write",
            self.client.set_data("/healthy", b"after", Some(0)),
        )
        .await
        .unwrap();
        assert_eq!(stat.version, 1);
        let (data, _) = within("bystander reread", self.client.get_data("/healthy"))
            .await
            .unwrap();
        assert_eq!(data, b"after");
        assert_eq!(server.four_letter("ruok"), "imok");
        let mut fresh = raw_session(server);
        assert_eq!(
            raw_get_data(&mut fresh, "/healthy/child", false).unwrap().0,
            Some(b"child data".to_vec())
        );
    }

    /// After [`Bystander::assert_unaffected`] has run once.
    async fn assert_unaffected_again(&self, server: &CoordinatorProcess) {
        let (data, stat) = within("bystander read", self.client.get_data("/healthy"))
            .await
            .unwrap();
        assert_eq!((data.as_slice(), stat.version), (&b"after"[..], 1));
        assert_eq!(server.four_letter("ruok"), "imok");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes_do_not_disturb_other_sessions() {
    let server = start_server(&[]);
    let bystander = Bystander::start(&server).await;
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let mut connections = Vec::new();
    for round in 0..12 {
        let mut client = if round % 2 == 0 {
            RawClient::open(server.port()).unwrap()
        } else {
            raw_session(&server)
        };
        let mut garbage = vec![0u8; 64 + round * 300];
        rng.fill(&mut garbage[..]);
        if round % 4 < 2 {
            // A negative length prefix: the server must hang up.
            garbage[0] |= 0x80;
            client.send_bytes(&garbage).unwrap();
            assert!(
                client.wait_closed(STEP),
                "round {round}: a negative length closes the connection"
            );
        } else {
            // A plausible length with random content: whatever the server answers, it must
            // not affect anyone else. The send may fail once the server has hung up.
            let _ = client.send_frame(&garbage);
            connections.push(client);
        }
    }
    bystander.assert_unaffected(&server).await;
    drop(connections);
    bystander.assert_unaffected_again(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_frames_and_records() {
    let server = start_server(&[]);
    let bystander = Bystander::start(&server).await;

    // A frame cut short, then end of stream, before and after the handshake.
    let mut before = RawClient::open(server.port()).unwrap();
    before.send_bytes(&[0, 0, 0, 45, 0, 0, 0, 0, 0]).unwrap();
    before.shutdown_write().unwrap();
    assert!(before.wait_closed(STEP));
    let mut after = raw_session(&server);
    after
        .send_bytes(&[0, 0, 0, 100, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0])
        .unwrap();
    after.shutdown_write().unwrap();
    assert!(after.wait_closed(STEP));

    // A whole frame too short to hold a request header.
    let mut short = raw_session(&server);
    short.send_frame(&[0, 0]).unwrap();
    assert!(
        short.wait_closed(STEP),
        "a frame shorter than a request header closes the connection"
    );

    // A whole frame whose record ends early is answered MarshallingError (-5).
    for (op_code, record) in [
        (op::GET_DATA, vec![0, 0, 0, 10, b'/']),
        (op::CREATE, vec![0, 0, 0, 2, b'/', b'q']),
    ] {
        let mut cut = raw_session(&server);
        let xid = cut.next_xid();
        cut.send_request(xid, op_code, &record).unwrap();
        let reply = cut.read_reply(STEP).unwrap();
        assert_eq!(
            (reply.xid, reply.err),
            (xid, -5),
            "op {op_code} with a truncated record"
        );
        assert!(reply.body.is_empty());
        assert_eq!(
            cut.ping().unwrap().err,
            code::OK,
            "the connection stays usable"
        );
    }
    let mut check = raw_session(&server);
    assert_eq!(raw_exists(&mut check, "/q", false), None);
    bystander.assert_unaffected(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_length_prefixes_close_the_connection() {
    let server = start_server(&[]);
    let bystander = Bystander::start(&server).await;

    for length in [MAX_BUFFER + 1, 0x7fff_ffff, -1, i32::MIN, 0] {
        let mut session = raw_session(&server);
        session.send_bytes(&length.to_be_bytes()).unwrap();
        assert!(
            session.wait_closed(STEP),
            "length prefix {length:#x} after the handshake"
        );
    }
    for length in [0x7fff_ffff_i32, -5] {
        let mut fresh = RawClient::open(server.port()).unwrap();
        fresh.send_bytes(&length.to_be_bytes()).unwrap();
        assert!(
            fresh.wait_closed(STEP),
            "length prefix {length:#x} as the first bytes"
        );
    }

    // A request just under the limit is fine; one whose frame exceeds it closes the connection.
    let mut big = raw_session(&server);
    let data = vec![7u8; usize::try_from(MAX_BUFFER).unwrap() - 200];
    let reply = raw_call(
        &mut big,
        op::CREATE,
        &request::create("/big", Some(&data), OPEN_ACL, 0),
    );
    assert_eq!(reply.err, code::OK);
    let (stored, stat) = raw_get_data(&mut big, "/big", false).unwrap();
    assert_eq!(
        (stored.map(|bytes| bytes.len()), stat.data_length),
        (Some(data.len()), i32::try_from(data.len()).unwrap())
    );
    let too_big = vec![7u8; usize::try_from(MAX_BUFFER).unwrap()];
    let result = big.call(
        op::CREATE,
        &request::create("/too-big", Some(&too_big), OPEN_ACL, 0),
    );
    assert!(
        result.is_err(),
        "an oversized frame gets no reply: {result:?}"
    );
    assert!(big.wait_closed(STEP));
    let mut check = raw_session(&server);
    assert_eq!(raw_exists(&mut check, "/too-big", false), None);
    bystander.assert_unaffected(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_smaller_jute_maxbuffer_is_enforced() {
    let server = start_server(&[("jute.maxbuffer", "4096")]);
    let bystander = Bystander::start(&server).await;
    let mut session = raw_session(&server);
    let reply = raw_call(
        &mut session,
        op::CREATE,
        &request::create("/fits", Some(&[1; 3000]), OPEN_ACL, 0),
    );
    assert_eq!(reply.err, code::OK);
    session.send_bytes(&4097i32.to_be_bytes()).unwrap();
    assert!(
        session.wait_closed(STEP),
        "a frame over the configured jute.maxbuffer closes the connection"
    );
    bystander.assert_unaffected(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_before_the_handshake_closes_the_connection() {
    let server = start_server(&[]);
    let bystander = Bystander::start(&server).await;
    let mut early = RawClient::open(server.port()).unwrap();
    early
        .send_request(1, op::GET_DATA, &request::path_watch("/healthy", false))
        .unwrap();
    assert!(early.wait_closed(STEP));
    let result = early.read_frame(Duration::from_millis(10));
    assert!(
        result.is_err(),
        "no reply to a request sent before the handshake: {result:?}"
    );
    bystander.assert_unaffected(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_op_code_is_answered_unimplemented() {
    let server = start_server(&[]);
    let bystander = Bystander::start(&server).await;
    let mut session = raw_session(&server);
    raw_call(
        &mut session,
        op::CREATE,
        &request::create("/mine", None, OPEN_ACL, 1),
    );
    let id = session.session_id();
    let password = session.session().unwrap().password.clone();

    let reply = raw_call(&mut session, 999, &[1, 2, 3]);
    assert_eq!(reply.err, code::UNIMPLEMENTED);
    assert!(reply.body.is_empty());
    // The session survives. ZooKeeper 3.8 closes the connection after this reply (its
    // handler for unknown types ends with a close); a server that keeps the connection open
    // must keep it fully usable. Either way the session can carry on.
    match session.ping() {
        Ok(pong) => assert_eq!(pong.err, code::OK, "a kept connection stays usable"),
        Err(TestkitError::Closed { .. }) => {
            let mut back = RawClient::open(server.port()).unwrap();
            assert_eq!(
                back.handshake(&ConnectRequest::reattach(id, &password, 30_000))
                    .unwrap()
                    .session_id,
                id
            );
            session = back;
        }
        Err(other) => panic!("after the Unimplemented reply: {other}"),
    }
    assert_eq!(
        raw_exists(&mut session, "/mine", false)
            .unwrap()
            .ephemeral_owner,
        id
    );
    bystander.assert_unaffected(&server).await;
}
