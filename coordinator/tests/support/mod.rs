//! Helpers shared by the coordinator's integration tests: one server process per test (the
//! coordinator binary, or Apache ZooKeeper 3.8 with `COORDINATOR_TEST_SERVER=apache-zookeeper`),
//! `zookeeper-client` sessions on it, raw jute sessions, and a time bound on every await.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use testkit::jute::{code, op, request, JuteReader, Stat};
use testkit::{CoordinatorProcess, RawClient, Reply};
use zookeeper_client::{Acls, Client, CreateMode, CreateOptions};

/// The bound on any single await in these tests.
pub const STEP: Duration = Duration::from_secs(20);

/// The session timeout the tests' sessions ask for unless they test timeouts.
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(20);

/// world:anyone with every permission, as a raw ACL list.
pub const OPEN_ACL: &[(i32, &str, &str)] = &[(31, "world", "anyone")];

/// Starts a server with the harness defaults plus `overrides` and waits until it is ready.
pub fn start_server(overrides: &[(&str, &str)]) -> CoordinatorProcess {
    let binary = Path::new(env!("CARGO_BIN_EXE_coordinator"));
    match CoordinatorProcess::start(binary, overrides) {
        Ok(server) => server,
        Err(error) => panic!("starting the server under test: {error}"),
    }
}

/// Runs `future` but fails the test if it takes longer than [`STEP`].
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(STEP, future).await {
        Ok(value) => value,
        Err(_) => panic!("timed out after {STEP:?}: {what}"),
    }
}

/// A `zookeeper-client` session on `server`.
pub async fn connect(server: &CoordinatorProcess) -> Client {
    connect_with(
        server,
        Client::connector().with_session_timeout(SESSION_TIMEOUT),
    )
    .await
}

/// A `zookeeper-client` session built by `connector`.
pub async fn connect_with(
    server: &CoordinatorProcess,
    connector: zookeeper_client::Connector,
) -> Client {
    let connect_string = server.connect_string();
    match within(
        "connecting a zookeeper-client session",
        connector.connect(&connect_string),
    )
    .await
    {
        Ok(client) => client,
        Err(error) => panic!("connecting to {connect_string}: {error}"),
    }
}

/// A raw jute session (30 s timeout) on `server`.
pub fn raw_session(server: &CoordinatorProcess) -> RawClient {
    match RawClient::connect(server.port(), 30_000) {
        Ok(client) => client,
        Err(error) => panic!("raw session on port {}: {error}", server.port()),
    }
}

pub fn persistent() -> CreateOptions<'static> {
    CreateMode::Persistent.with_acls(Acls::anyone_all())
}

pub fn ephemeral() -> CreateOptions<'static> {
    CreateMode::Ephemeral.with_acls(Acls::anyone_all())
}

pub fn persistent_sequential() -> CreateOptions<'static> {
    CreateMode::PersistentSequential.with_acls(Acls::anyone_all())
}

pub fn ephemeral_sequential() -> CreateOptions<'static> {
    CreateMode::EphemeralSequential.with_acls(Acls::anyone_all())
}

pub fn container() -> CreateOptions<'static> {
    CreateMode::Container.with_acls(Acls::anyone_all())
}

/// Creates a persistent node through `client`, failing the test on any error.
pub async fn create(client: &Client, path: &str, data: &[u8]) -> zookeeper_client::Stat {
    match within("create", client.create(path, data, &persistent())).await {
        Ok((stat, _)) => stat,
        Err(error) => panic!("create {path}: {error}"),
    }
}

/// Milliseconds since the Unix epoch, to bound ctime/mtime.
pub fn now_millis() -> i64 {
    let elapsed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(elapsed.as_millis()).unwrap()
}

/// Raw call that must succeed at the protocol level (any `err` is returned for the test).
pub fn raw_call(client: &mut RawClient, op_code: i32, body: &[u8]) -> Reply {
    match client.call(op_code, body) {
        Ok(reply) => reply,
        Err(error) => panic!("raw call op {op_code}: {error}"),
    }
}

/// Raw persistent create of `path` (op 1) that must succeed; returns the reply.
pub fn raw_create(client: &mut RawClient, path: &str, data: &[u8]) -> Reply {
    let reply = raw_call(
        client,
        op::CREATE,
        &request::create(path, Some(data), OPEN_ACL, 0),
    );
    assert_eq!(reply.err, code::OK, "create {path}");
    reply
}

/// Raw exists (op 3) returning the stat, or `None` on NoNode.
pub fn raw_exists(client: &mut RawClient, path: &str, watch: bool) -> Option<Stat> {
    let reply = raw_call(client, op::EXISTS, &request::path_watch(path, watch));
    match reply.err {
        code::OK => Some(reply.reader().stat().unwrap()),
        code::NO_NODE => None,
        other => panic!("exists {path}: error {other}"),
    }
}

/// Raw getData (op 4) returning data and stat; the error code otherwise.
pub fn raw_get_data(
    client: &mut RawClient,
    path: &str,
    watch: bool,
) -> Result<(Option<Vec<u8>>, Stat), i32> {
    let reply = raw_call(client, op::GET_DATA, &request::path_watch(path, watch));
    if reply.err != code::OK {
        return Err(reply.err);
    }
    let mut reader = reply.reader();
    let data = reader.buffer("data").unwrap();
    let stat = reader.stat().unwrap();
    Ok((data, stat))
}

/// Sends a ping and returns the notifications that arrived before its reply: with the
/// server's ordering (an event goes out before any later reply on the connection), this is
/// every notification caused by anything that completed before the ping was sent.
pub fn notifications_before_ping(client: &mut RawClient) -> Vec<Reply> {
    match client.ping() {
        Ok(reply) => assert_eq!(reply.err, code::OK, "ping"),
        Err(error) => panic!("ping: {error}"),
    }
    client.take_notifications()
}

/// (type, path) of each notification, asserting the notification header and state.
pub fn events_of(notifications: &[Reply]) -> Vec<(i32, String)> {
    let mut events = Vec::new();
    for reply in notifications {
        assert_eq!(
            (reply.xid, reply.zxid, reply.err),
            (-1, -1, 0),
            "notification header"
        );
        let event = reply.event().unwrap();
        assert_eq!(event.state, 3, "notifications carry SyncConnected");
        events.push((event.event_type, event.path));
    }
    events
}

/// Decodes the `path` of a create reply (op 1).
pub fn created_path(reply: &Reply) -> String {
    JuteReader::new(&reply.body).string("path").unwrap()
}
