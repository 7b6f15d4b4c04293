//! The processor: the single owner of all coordinator state. It lives on the server's event-loop
//! thread and connection tasks call it inline (no thread hand-off per request), so requests are
//! handled in arrival order and each session's in the order it sent them. A write is validated and
//! applied at once ([`write`]), its transaction handed to the log writer ([`storage`]), and its
//! reply and watch events queued behind the transaction's zxid. A read is served at once
//! ([`read`]); its reply is queued behind the newest zxid it may reflect. Queued output is
//! released, in order, when the log writer reports that zxid durable — so no client ever sees
//! state that a crash could take back, and every connection gets its events and replies in
//! request order (a watch event before the reply to the write that caused it).

pub mod read;
pub mod reply;
pub mod state;
pub mod storage;
pub mod write;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rand::Rng;
use tokio::sync::mpsc::UnboundedSender;

use crate::admin::{self, AdminView, ConnectionView, LatencyStats};
use crate::config::CoordinatorConfig;
use crate::ids::{ConnId, SessionId};
use crate::protocol::codes::{ErrorCode, EventType, KeeperState, OpCode};
use crate::protocol::jute::{DecodeError, Encode, Writer};
use crate::protocol::records::{
    AuthPacket, ConnectRequest, ConnectResponse, Create2Response, CreateResponse, StatResponse,
    WatcherEvent,
};
use crate::protocol::request::Request;
use crate::protocol::response::{notification_frame, reply_frame, MultiResponse};
use crate::session::{negotiate_timeout, new_password};
use crate::tree::acl::{self, AuthIds};
use crate::tree::watch::WatchManager;
use crate::tree::Change;
use crate::txn::{Txn, TxnOp};

use reply::Body;
use state::State;
use storage::{LogCommand, SnapshotJob};
use write::{Write, WriteContext, WriteReply};

/// What the processor receives.
pub enum Input {
    /// A connection's handshake.
    Connect {
        conn: ConnId,
        peer: SocketAddr,
        request: ConnectRequest,
        sender: ConnSender,
    },
    /// A request after the handshake; `request` is the decode outcome of its body.
    Request {
        conn: ConnId,
        xid: i32,
        op: i32,
        request: Result<Request, DecodeError>,
        received: Instant,
    },
    /// The connection's socket is gone.
    Closed { conn: ConnId },
    /// The log writer made everything up to `zxid` durable.
    Durable { zxid: i64 },
    /// The snapshot writer finished (or failed) the last job.
    SnapshotDone,
    /// A four-letter word to answer.
    Admin {
        word: String,
        peer: SocketAddr,
        reply: tokio::sync::oneshot::Sender<String>,
    },
    /// Stop after making everything durable.
    Shutdown,
}

/// What the processor sends a connection.
#[derive(Debug)]
pub enum Outbound {
    /// A reply (counts against the connection's outstanding requests).
    Reply(Vec<u8>),
    /// A watch notification or handshake answer.
    Event(Vec<u8>),
    /// Flush and close the socket.
    Close,
}

pub type ConnSender = UnboundedSender<Outbound>;

struct Conn {
    sender: ConnSender,
    peer: SocketAddr,
    session: Option<SessionId>,
    auth: AuthIds,
    established_ms: i64,
    received: u64,
    sent: u64,
    last_op: &'static str,
    last_cxid: i32,
    last_zxid: i64,
    last_response_ms: i64,
    latency: LatencyStats,
}

struct Pending {
    tag: i64,
    conn: ConnId,
    out: Outbound,
    received: Option<Instant>,
    last_zxid: i64,
}

pub struct Processor {
    config: Arc<CoordinatorConfig>,
    state: State,
    watches: WatchManager,
    conns: HashMap<ConnId, Conn>,
    pending: VecDeque<Pending>,
    durable_zxid: i64,
    log_batch: Vec<(i64, Vec<u8>)>,
    log: Sender<LogCommand>,
    snapshots: Sender<SnapshotJob>,
    txns_since_snapshot: u64,
    snapshot_threshold: u64,
    snapshot_in_progress: bool,
    next_tick: Instant,
    next_reap: Instant,
    shutting_down: bool,
    received: u64,
    sent: u64,
    latency: LatencyStats,
    started: Instant,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

fn snapshot_threshold(snap_count: u64) -> u64 {
    let half = (snap_count / 2).max(1);
    half + rand::rng().random_range(0..half)
}

/// How often session deadlines are checked: a tenth of a tick (at least 10 ms). ZooKeeper
/// checks once a tick, so its sessions expire up to a whole tick late; here the lateness is a
/// tenth of that, still never before the timeout. Brokers notice a dead peer (and elect new
/// leaders) that much sooner.
fn expiry_check_interval(tick_time: std::time::Duration) -> std::time::Duration {
    (tick_time / 10).max(std::time::Duration::from_millis(10))
}

impl Processor {
    pub fn new(
        config: Arc<CoordinatorConfig>,
        state: State,
        log: Sender<LogCommand>,
        snapshots: Sender<SnapshotJob>,
    ) -> Self {
        let now = Instant::now();
        let durable_zxid = state.last_zxid;
        Self {
            snapshot_threshold: snapshot_threshold(config.snap_count),
            next_tick: now + config.tick_time,
            next_reap: now + config.container_check_interval,
            config,
            state,
            watches: WatchManager::default(),
            conns: HashMap::new(),
            pending: VecDeque::new(),
            durable_zxid,
            log_batch: Vec::new(),
            log,
            snapshots,
            txns_since_snapshot: 0,
            snapshot_in_progress: false,
            shutting_down: false,
            received: 0,
            sent: 0,
            latency: LatencyStats::default(),
            started: now,
        }
    }

    /// When [`Processor::tick`] should run next.
    pub fn next_wakeup(&self) -> Instant {
        self.next_tick.min(self.next_reap)
    }

    /// Session expiry and reaping when due; call at [`Processor::next_wakeup`].
    pub fn tick(&mut self, now: Instant) {
        self.housekeeping(now);
        self.flush_log();
        self.maybe_snapshot();
    }

    /// After Shutdown: true once everything logged is durable and every reply released.
    pub fn is_drained(&self) -> bool {
        self.shutting_down && self.durable_zxid >= self.state.last_zxid && self.pending.is_empty()
    }

    /// Handles one input. Transactions it logged are handed to the log writer before it
    /// returns (the writer commits whatever has queued up since its last fsync, so concurrent
    /// writers share fsyncs).
    pub fn handle(&mut self, input: Input) {
        self.dispatch(input);
        self.flush_log();
        self.maybe_snapshot();
    }

    fn dispatch(&mut self, input: Input) {
        match input {
            Input::Connect {
                conn,
                peer,
                request,
                sender,
            } => self.connect(conn, peer, request, sender),
            Input::Request {
                conn,
                xid,
                op,
                request,
                received,
            } => self.request(conn, xid, op, request, received),
            Input::Closed { conn } => self.closed(conn),
            Input::Durable { zxid } => {
                self.durable_zxid = self.durable_zxid.max(zxid);
                self.release();
            }
            Input::SnapshotDone => self.snapshot_in_progress = false,
            Input::Admin { word, peer, reply } => {
                let text = self.admin(&word, peer);
                let _ = reply.send(text);
            }
            Input::Shutdown => {
                self.shutting_down = true;
                self.flush_log();
                let _ = self.log.send(LogCommand::Shutdown);
            }
        }
    }

    // ---- output ordering -------------------------------------------------------------------

    fn enqueue(&mut self, tag: i64, conn: ConnId, out: Outbound, received: Option<Instant>) {
        let last_zxid = self.state.last_zxid;
        if self.pending.is_empty() && tag <= self.durable_zxid {
            self.deliver(conn, out, received, last_zxid);
        } else {
            self.pending.push_back(Pending {
                tag,
                conn,
                out,
                received,
                last_zxid,
            });
        }
    }

    fn release(&mut self) {
        while self
            .pending
            .front()
            .is_some_and(|front| front.tag <= self.durable_zxid)
        {
            if let Some(item) = self.pending.pop_front() {
                self.deliver(item.conn, item.out, item.received, item.last_zxid);
            }
        }
    }

    fn deliver(&mut self, conn_id: ConnId, out: Outbound, received: Option<Instant>, zxid: i64) {
        let Some(conn) = self.conns.get_mut(&conn_id) else {
            return;
        };
        if !matches!(out, Outbound::Close) {
            conn.sent += 1;
            self.sent += 1;
        }
        if let Some(received) = received {
            let latency = received.elapsed();
            conn.latency.record(latency);
            conn.last_zxid = zxid;
            conn.last_response_ms = now_ms();
            self.latency.record(latency);
        }
        let _ = conn.sender.send(out);
    }

    fn reply(
        &mut self,
        conn: ConnId,
        xid: i32,
        tag: i64,
        result: Result<Body, ErrorCode>,
        received: Instant,
    ) {
        let frame = match &result {
            Ok(body) => reply_frame(xid, tag, 0, Some(body as &dyn Encode)),
            Err(code) => reply_frame(xid, tag, *code as i32, None),
        };
        self.enqueue(tag, conn, Outbound::Reply(frame), Some(received));
    }

    fn notify(&mut self, tag: i64, conn: ConnId, path: &str, event: EventType) {
        let frame = notification_frame(&WatcherEvent {
            event_type: event as i32,
            state: KeeperState::SyncConnected as i32,
            path: path.to_owned(),
        });
        self.enqueue(tag, conn, Outbound::Event(frame), None);
    }

    fn fire(&mut self, tag: i64, changes: Vec<Change>) {
        for (path, event) in changes {
            for conn in self.watches.trigger(&path, event) {
                self.notify(tag, conn, &path, event);
            }
        }
    }

    fn close_conn(&mut self, tag: i64, conn: ConnId) {
        if let Some(entry) = self.conns.get_mut(&conn) {
            entry.session = None;
        }
        self.enqueue(tag, conn, Outbound::Close, None);
    }

    // ---- transactions -----------------------------------------------------------------------

    /// Assigns the next zxid to `op` and queues it for the log.
    fn log_txn(&mut self, session: SessionId, cxid: i32, op: TxnOp) -> Txn {
        let txn = Txn {
            session_id: session,
            cxid,
            zxid: self.state.last_zxid + 1,
            time: now_ms(),
            op,
        };
        self.queue_for_log(&txn);
        txn
    }

    /// Hands a transaction to the next log batch.
    fn queue_for_log(&mut self, txn: &Txn) {
        self.log_batch.push((txn.zxid, txn.encode()));
        self.txns_since_snapshot += 1;
    }

    /// Logs and applies a transaction that needs no validation (sessions, reaping).
    fn commit(&mut self, session: SessionId, op: TxnOp) -> i64 {
        let txn = self.log_txn(session, 0, op);
        let (changes, _) = self.state.apply(&txn, Instant::now());
        self.fire(txn.zxid, changes);
        txn.zxid
    }

    fn flush_log(&mut self) {
        if !self.log_batch.is_empty() {
            let batch = std::mem::take(&mut self.log_batch);
            let _ = self.log.send(LogCommand::Append(batch));
        }
    }

    fn maybe_snapshot(&mut self) {
        if self.snapshot_in_progress || self.txns_since_snapshot < self.snapshot_threshold {
            return;
        }
        // The log rolls at the snapshot's zxid, so the next file starts right after it.
        let _ = self.log.send(LogCommand::Roll);
        let started = Instant::now();
        let payload = self.state.encode_snapshot();
        tracing::info!(
            "Serialized a snapshot of {} nodes at zxid 0x{:x} in {:?}",
            self.state.tree.node_count(),
            self.state.last_zxid,
            started.elapsed()
        );
        self.snapshot_in_progress = true;
        self.txns_since_snapshot = 0;
        self.snapshot_threshold = snapshot_threshold(self.config.snap_count);
        let _ = self.snapshots.send(SnapshotJob {
            zxid: self.state.last_zxid,
            payload,
        });
    }

    // ---- sessions ---------------------------------------------------------------------------

    fn connect(
        &mut self,
        conn: ConnId,
        peer: SocketAddr,
        request: ConnectRequest,
        sender: ConnSender,
    ) {
        self.conns.insert(
            conn,
            Conn {
                sender,
                peer,
                session: None,
                auth: AuthIds::for_peer(peer.ip()),
                established_ms: now_ms(),
                received: 1,
                sent: 0,
                last_op: "NA",
                last_cxid: 0,
                last_zxid: 0,
                last_response_ms: 0,
                latency: LatencyStats::default(),
            },
        );
        self.received += 1;
        let last_zxid = self.state.last_zxid;
        if request.last_zxid_seen > last_zxid {
            tracing::info!(
                "Refusing session request for client {peer} as it has seen zxid 0x{:x} our last zxid is 0x{last_zxid:x}",
                request.last_zxid_seen
            );
            self.close_conn(last_zxid, conn);
            return;
        }
        let timeout = negotiate_timeout(
            request.timeout,
            self.config.min_session_timeout,
            self.config.max_session_timeout,
        );
        let timeout_ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        let read_only = request.read_only.map(|_| false);
        if request.session_id == 0 {
            let session = self.state.sessions.allocate_id();
            let password = new_password();
            let zxid = self.commit(
                session,
                TxnOp::CreateSession {
                    timeout_ms,
                    password: password.clone(),
                },
            );
            if let Some(entry) = self.state.sessions.get_mut(session) {
                entry.conn = Some(conn);
            }
            if let Some(entry) = self.conns.get_mut(&conn) {
                entry.session = Some(session);
            }
            tracing::info!("Established session {session} with negotiated timeout {timeout_ms} for client {peer}");
            self.answer_connect(zxid, conn, timeout_ms, session, password, read_only);
            return;
        }
        let session = SessionId(request.session_id);
        let valid = self
            .state
            .sessions
            .get(session)
            .is_some_and(|entry| !entry.closing && entry.password == request.passwd);
        if !valid {
            tracing::info!("Invalid session {session} for client {peer}, probably expired");
            // ZooKeeper's "expired" answer: no timeout, no session, a zero password.
            self.answer_connect(last_zxid, conn, 0, SessionId(0), vec![0; 16], read_only);
            self.close_conn(last_zxid, conn);
            return;
        }
        let previous = self
            .state
            .sessions
            .get(session)
            .and_then(|entry| entry.conn);
        if let Some(old) = previous.filter(|old| *old != conn) {
            self.close_conn(last_zxid, old);
        }
        if let Some(entry) = self.state.sessions.get_mut(session) {
            entry.conn = Some(conn);
            entry.timeout = timeout;
        }
        self.state.sessions.touch(session, Instant::now());
        if let Some(entry) = self.conns.get_mut(&conn) {
            entry.session = Some(session);
        }
        tracing::info!("Re-established session {session} with negotiated timeout {timeout_ms} for client {peer}");
        self.answer_connect(
            last_zxid,
            conn,
            timeout_ms,
            session,
            request.passwd,
            read_only,
        );
    }

    /// Queues the ConnectResponse (released once `tag` is durable).
    fn answer_connect(
        &mut self,
        tag: i64,
        conn: ConnId,
        timeout: i32,
        session: SessionId,
        passwd: Vec<u8>,
        read_only: Option<bool>,
    ) {
        let response = ConnectResponse {
            protocol_version: 0,
            timeout,
            session_id: session.0,
            passwd,
            read_only,
        };
        self.enqueue(tag, conn, Outbound::Event(connect_frame(&response)), None);
    }

    fn closed(&mut self, conn: ConnId) {
        self.watches.remove_conn(conn);
        if let Some(entry) = self.conns.remove(&conn) {
            if let Some(session) = entry.session {
                if let Some(state) = self.state.sessions.get_mut(session) {
                    if state.conn == Some(conn) {
                        state.conn = None;
                    }
                }
            }
        }
    }

    /// Ends a session (closeSession or expiry): logs CloseSession, deletes its ephemerals (firing
    /// their watches), and closes its connection once that is durable.
    fn end_session(&mut self, session: SessionId) -> i64 {
        let conn = self.state.sessions.get_mut(session).and_then(|entry| {
            entry.closing = true;
            entry.conn
        });
        let zxid = self.commit(session, TxnOp::CloseSession);
        if let Some(conn) = conn {
            if let Some(entry) = self.conns.get_mut(&conn) {
                entry.session = None;
            }
        }
        zxid
    }

    fn housekeeping(&mut self, now: Instant) {
        if self.shutting_down {
            return;
        }
        if now >= self.next_tick {
            self.next_tick = now + expiry_check_interval(self.config.tick_time);
            for session in self.state.sessions.expired(now) {
                let timeout = self
                    .state
                    .sessions
                    .get(session)
                    .map_or(0, |entry| entry.timeout.as_millis());
                tracing::info!("Expiring session {session}, timeout of {timeout}ms exceeded");
                let conn = self
                    .state
                    .sessions
                    .get(session)
                    .and_then(|entry| entry.conn);
                let zxid = self.end_session(session);
                if let Some(conn) = conn {
                    self.close_conn(zxid, conn);
                }
            }
        }
        if now >= self.next_reap {
            self.next_reap = now + self.config.container_check_interval;
            for path in self.state.tree.reapable(now_ms()) {
                tracing::debug!("Reaping {path}");
                self.commit(SessionId(0), TxnOp::Delete { path });
            }
        }
    }

    // ---- requests ---------------------------------------------------------------------------

    fn request(
        &mut self,
        conn: ConnId,
        xid: i32,
        op: i32,
        request: Result<Request, DecodeError>,
        received: Instant,
    ) {
        let Some(entry) = self.conns.get_mut(&conn) else {
            return;
        };
        let Some(session) = entry.session else { return };
        entry.received += 1;
        entry.last_cxid = xid;
        entry.last_op = OpCode::from_i32(op).map_or("UNKN", admin::short_op_name);
        self.received += 1;
        self.state.sessions.touch(session, Instant::now());
        let last_zxid = self.state.last_zxid;
        let request = match request {
            Ok(request) => request,
            Err(DecodeError::UnknownOpCode(_)) => {
                return self.reply(
                    conn,
                    xid,
                    last_zxid,
                    Err(ErrorCode::Unimplemented),
                    received,
                )
            }
            Err(error) => {
                tracing::debug!("Malformed request (op {op}) from session {session}: {error}");
                return self.reply(
                    conn,
                    xid,
                    last_zxid,
                    Err(ErrorCode::MarshallingError),
                    received,
                );
            }
        };
        match &request {
            // Ping, auth and setWatches answer on the request's own xid (the Java client uses the
            // reserved -2, -4 and -8; other clients number them like any request).
            Request::Ping => self.reply(conn, xid, last_zxid, Ok(Body::Empty), received),
            Request::CloseSession => {
                let zxid = self.end_session(session);
                tracing::info!("Closed session {session}");
                self.reply(conn, xid, zxid, Ok(Body::Empty), received);
                self.close_conn(zxid, conn);
            }
            Request::Auth(packet) => self.auth(conn, xid, packet, received),
            Request::SetWatches(watches) => {
                let fired = read::set_watches(&self.state.tree, &mut self.watches, conn, watches);
                for (path, event) in fired {
                    self.notify(last_zxid, conn, &path, event);
                }
                self.reply(conn, xid, last_zxid, Ok(Body::Empty), received);
            }
            Request::Create(r) | Request::Create2(r) | Request::CreateContainer(r) => {
                let op = request.op();
                let write = Write::Create {
                    op,
                    path: &r.path,
                    data: r.data.as_deref(),
                    acl: &r.acl,
                    flags: r.flags,
                    ttl: 0,
                };
                self.write(conn, session, xid, write, received);
            }
            Request::CreateTtl(r) => {
                let write = Write::Create {
                    op: OpCode::CreateTtl,
                    path: &r.path,
                    data: r.data.as_deref(),
                    acl: &r.acl,
                    flags: r.flags,
                    ttl: r.ttl,
                };
                self.write(conn, session, xid, write, received);
            }
            Request::Delete(r) => self.write(
                conn,
                session,
                xid,
                Write::Delete {
                    path: &r.path,
                    version: r.version,
                },
                received,
            ),
            Request::SetData(r) => self.write(
                conn,
                session,
                xid,
                Write::SetData {
                    path: &r.path,
                    data: r.data.as_deref(),
                    version: r.version,
                },
                received,
            ),
            Request::SetAcl(r) => self.write(
                conn,
                session,
                xid,
                Write::SetAcl {
                    path: &r.path,
                    acl: &r.acl,
                    version: r.version,
                },
                received,
            ),
            Request::Check(r) => self.write(
                conn,
                session,
                xid,
                Write::Check {
                    path: &r.path,
                    version: r.version,
                },
                received,
            ),
            Request::Multi(ops) => self.write(conn, session, xid, Write::Multi(ops), received),
            // A standalone server refuses reconfig, but as a write: the refusal takes a zxid.
            Request::Reconfig(_) => self.write(
                conn,
                session,
                xid,
                Write::Refused(ErrorCode::ReconfigDisabled),
                received,
            ),
            Request::Sasl(_) | Request::DeleteContainer(_) | Request::CreateSession => self.reply(
                conn,
                xid,
                last_zxid,
                Err(ErrorCode::Unimplemented),
                received,
            ),
            _ => {
                let Some(entry) = self.conns.get(&conn) else {
                    return;
                };
                let ctx = read::ReadContext {
                    conn,
                    session,
                    auth: &entry.auth,
                };
                let result = read::execute(&self.state.tree, &mut self.watches, &ctx, &request)
                    .unwrap_or(Err(ErrorCode::Unimplemented));
                self.reply(conn, xid, last_zxid, result, received);
            }
        }
    }

    fn write(
        &mut self,
        conn: ConnId,
        session: SessionId,
        xid: i32,
        write: Write<'_>,
        received: Instant,
    ) {
        let Some(entry) = self.conns.get(&conn) else {
            return;
        };
        let ctx = WriteContext {
            zxid: self.state.last_zxid + 1,
            time: now_ms(),
            session,
            auth: &entry.auth,
            extended_types: self.config.extended_types_enabled,
        };
        let executed = write::execute(&mut self.state.tree, &ctx, write);
        let txn = Txn {
            session_id: session,
            cxid: xid,
            zxid: ctx.zxid,
            time: ctx.time,
            op: executed.op,
        };
        // Already applied by write::execute; the log gets the same transaction.
        self.queue_for_log(&txn);
        self.state.last_zxid = txn.zxid;
        self.fire(txn.zxid, executed.changes);
        let result = executed.reply.map(|reply| match reply {
            WriteReply::Created { path } => Body::Create(CreateResponse { path }),
            WriteReply::Created2 { path, stat } => Body::Create2(Create2Response { path, stat }),
            WriteReply::Stat(stat) => Body::Stat(StatResponse { stat }),
            WriteReply::Empty => Body::Empty,
            WriteReply::Multi(results) => Body::Multi(MultiResponse(results)),
        });
        self.reply(conn, xid, txn.zxid, result, received);
    }

    fn auth(&mut self, conn: ConnId, xid: i32, packet: &AuthPacket, received: Instant) {
        let last_zxid = self.state.last_zxid;
        let super_digest = self.config.super_digest.clone();
        let Some(entry) = self.conns.get_mut(&conn) else {
            return;
        };
        let peer = entry.peer.ip();
        match acl::authenticate(
            &mut entry.auth,
            &packet.scheme,
            &packet.auth,
            peer,
            super_digest.as_deref(),
        ) {
            Ok(()) => self.reply(conn, xid, last_zxid, Ok(Body::Empty), received),
            Err(code) => {
                tracing::warn!("Authentication failed for scheme: {}", packet.scheme);
                self.reply(conn, xid, last_zxid, Err(code), received);
                self.close_conn(last_zxid, conn);
            }
        }
    }

    // ---- four-letter words ------------------------------------------------------------------

    fn admin(&mut self, word: &str, asker: SocketAddr) -> String {
        match word {
            "crst" => {
                for conn in self.conns.values_mut() {
                    conn.received = 0;
                    conn.sent = 0;
                    conn.latency = LatencyStats::default();
                }
                return "Connection stats reset.\n".into();
            }
            "srst" => {
                self.received = 0;
                self.sent = 0;
                self.latency = LatencyStats::default();
                return "Server stats reset.\n".into();
            }
            _ => {}
        }
        let mut connections: Vec<ConnectionView> = self
            .conns
            .iter()
            .map(|(id, conn)| ConnectionView {
                id: *id,
                peer: conn.peer,
                session: conn.session,
                timeout: conn
                    .session
                    .and_then(|s| self.state.sessions.get(s))
                    .map(|s| s.timeout),
                queued: self.pending.iter().filter(|item| item.conn == *id).count(),
                received: conn.received,
                sent: conn.sent,
                last_op: conn.last_op,
                established_ms: conn.established_ms,
                last_cxid: conn.last_cxid,
                last_zxid: conn.last_zxid,
                last_response_ms: conn.last_response_ms,
                latency: conn.latency.clone(),
            })
            .collect();
        // ZooKeeper lists the connection asking, too: it has sent one packet, the word.
        connections.push(ConnectionView {
            id: ConnId(0),
            peer: asker,
            session: None,
            timeout: None,
            queued: 0,
            received: 1,
            sent: 0,
            last_op: "NA",
            established_ms: now_ms(),
            last_cxid: 0,
            last_zxid: 0,
            last_response_ms: 0,
            latency: LatencyStats::default(),
        });
        let view = AdminView {
            config: &self.config,
            tree: &self.state.tree,
            sessions: &self.state.sessions,
            watches: &self.watches,
            connections,
            last_zxid: self.state.last_zxid,
            outstanding: self.pending.len(),
            received: self.received,
            sent: self.sent,
            latency: &self.latency,
            uptime: self.started.elapsed(),
        };
        admin::respond(word, &view)
    }
}

fn connect_frame(response: &ConnectResponse) -> Vec<u8> {
    let mut out = Writer::with_frame();
    response.encode(&mut out);
    out.finish_frame()
}
