//! The lean client behind `--client raw`: one TCP connection per session speaking ZooKeeper's
//! jute protocol directly — handshake, then framed requests written back to back (up to
//! `pipeline` in flight) and replies read in order. It exists so the load generator spends as
//! little CPU per request as possible: on a small machine shared with the server under test, a
//! heavy client caps what any server can show. Watch notifications and pings are skipped.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use super::session::{Budget, Op, OpStream, Progress, SessionOutcome};

const OP_CREATE: i32 = 1;
const OP_DELETE: i32 = 2;
const OP_EXISTS: i32 = 3;
const OP_GET_DATA: i32 = 4;
const OP_SET_DATA: i32 = 5;
const OP_GET_CHILDREN: i32 = 8;
const OP_CLOSE_SESSION: i32 = -11;
const XID_NOTIFICATION: i32 = -1;
const XID_PING: i32 = -2;
/// Replies larger than this are refused (ZooKeeper's default jute.maxbuffer plus headroom).
const MAX_FRAME: usize = 16 * 1024 * 1024;

/// A connected session.
pub struct RawSession {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    /// Frames queued since the last flush, written with one call.
    outgoing: Vec<u8>,
    next_xid: i32,
}

fn put_string(out: &mut Vec<u8>, value: &str) {
    out.extend_from_slice(&(value.len() as i32).to_be_bytes());
    out.extend_from_slice(value.as_bytes());
}

fn put_buffer(out: &mut Vec<u8>, value: &[u8]) {
    out.extend_from_slice(&(value.len() as i32).to_be_bytes());
    out.extend_from_slice(value);
}

/// Prefixes `body` with its length.
fn framed(body: Vec<u8>) -> Vec<u8> {
    let mut frame = Vec::with_capacity(body.len() + 4);
    frame.extend_from_slice(&(body.len() as i32).to_be_bytes());
    frame.extend_from_slice(&body);
    frame
}

impl RawSession {
    /// Connects and creates a session with the given timeout.
    pub async fn connect(address: &str, timeout: Duration) -> std::io::Result<RawSession> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        let (read, write) = stream.into_split();
        let mut session = RawSession {
            reader: BufReader::with_capacity(64 * 1024, read),
            writer: write,
            outgoing: Vec::with_capacity(64 * 1024),
            next_xid: 1,
        };
        let mut body = Vec::with_capacity(45);
        body.extend_from_slice(&0i32.to_be_bytes()); // protocol version
        body.extend_from_slice(&0i64.to_be_bytes()); // last zxid seen
        body.extend_from_slice(
            &i32::try_from(timeout.as_millis())
                .unwrap_or(i32::MAX)
                .to_be_bytes(),
        );
        body.extend_from_slice(&0i64.to_be_bytes()); // new session
        put_buffer(&mut body, &[0u8; 16]);
        body.push(0); // read-only: no
        session.writer.write_all(&framed(body)).await?;
        let reply = session.read_frame().await?;
        // ConnectResponse: protocol version, timeout, session id, password.
        let session_id = reply
            .get(8..16)
            .and_then(|bytes| bytes.try_into().ok())
            .map(i64::from_be_bytes);
        if session_id.unwrap_or(0) == 0 {
            return Err(std::io::Error::other("the server refused the session"));
        }
        Ok(session)
    }

    async fn read_frame(&mut self) -> std::io::Result<Vec<u8>> {
        let length = self.reader.read_i32().await?;
        let length = usize::try_from(length)
            .ok()
            .filter(|length| *length <= MAX_FRAME);
        let Some(length) = length else {
            return Err(std::io::Error::other("reply frame length out of range"));
        };
        let mut body = vec![0u8; length];
        self.reader.read_exact(&mut body).await?;
        Ok(body)
    }

    /// Queues one request (written on the next flush). Returns its xid.
    fn queue(&mut self, op: &Op, payload: &[u8]) -> Option<i32> {
        let xid = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(1).max(1);
        let mut body = Vec::with_capacity(64 + payload.len());
        body.extend_from_slice(&xid.to_be_bytes());
        let code = match op {
            Op::Create(path) => {
                body.extend_from_slice(&OP_CREATE.to_be_bytes());
                put_string(&mut body, path);
                put_buffer(&mut body, payload);
                body.extend_from_slice(&1i32.to_be_bytes()); // one ACL: world:anyone, all
                body.extend_from_slice(&31i32.to_be_bytes());
                put_string(&mut body, "world");
                put_string(&mut body, "anyone");
                body.extend_from_slice(&0i32.to_be_bytes()); // persistent
                return self.push(body, xid);
            }
            Op::SetData(path) => {
                body.extend_from_slice(&OP_SET_DATA.to_be_bytes());
                put_string(&mut body, path);
                put_buffer(&mut body, payload);
                body.extend_from_slice(&(-1i32).to_be_bytes());
                return self.push(body, xid);
            }
            Op::Delete(Some(path)) => {
                body.extend_from_slice(&OP_DELETE.to_be_bytes());
                put_string(&mut body, path);
                body.extend_from_slice(&(-1i32).to_be_bytes());
                return self.push(body, xid);
            }
            Op::Delete(None) => return None,
            Op::GetData(path) => (OP_GET_DATA, path),
            Op::Exists(path) => (OP_EXISTS, path),
            Op::GetChildren(path) => (OP_GET_CHILDREN, path),
        };
        body.extend_from_slice(&code.0.to_be_bytes());
        put_string(&mut body, code.1);
        body.push(0); // no watch
        self.push(body, xid)
    }

    fn push(&mut self, body: Vec<u8>, xid: i32) -> Option<i32> {
        self.outgoing
            .extend_from_slice(&(body.len() as i32).to_be_bytes());
        self.outgoing.extend_from_slice(&body);
        Some(xid)
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        self.writer.write_all(&self.outgoing).await?;
        self.outgoing.clear();
        Ok(())
    }

    /// The next reply's (xid, error code), skipping notifications and pings.
    async fn reply(&mut self) -> std::io::Result<(i32, i32)> {
        loop {
            let frame = self.read_frame().await?;
            let header = |range: std::ops::Range<usize>| {
                frame
                    .get(range)
                    .and_then(|bytes| bytes.try_into().ok())
                    .map(i32::from_be_bytes)
            };
            let (Some(xid), Some(err)) = (header(0..4), header(12..16)) else {
                return Err(std::io::Error::other("reply shorter than its header"));
            };
            if xid != XID_NOTIFICATION && xid != XID_PING {
                return Ok((xid, err));
            }
        }
    }

    /// Ends the session (closeSession), waiting for the answer.
    pub async fn close(mut self) -> std::io::Result<()> {
        let xid = self.next_xid;
        let mut body = Vec::with_capacity(8);
        body.extend_from_slice(&xid.to_be_bytes());
        body.extend_from_slice(&OP_CLOSE_SESSION.to_be_bytes());
        self.writer.write_all(&framed(body)).await?;
        while self.reply().await?.0 != xid {}
        Ok(())
    }
}

/// Runs `stream` on a raw session with `pipeline` requests in flight until `budget` is spent.
pub async fn drive_raw(
    address: String,
    session_timeout: Duration,
    mut stream: OpStream,
    payload: Arc<Vec<u8>>,
    budget: Budget,
    pipeline: usize,
    progress: Arc<Progress>,
) -> SessionOutcome {
    let mut outcome = SessionOutcome::default();
    let mut session = match RawSession::connect(&address, session_timeout).await {
        Ok(session) => session,
        Err(_) => {
            outcome.failure(&progress);
            return outcome;
        }
    };
    let mut in_flight: VecDeque<(i32, Instant)> = VecDeque::with_capacity(pipeline.max(1));
    let mut issued = 0u64;
    loop {
        let mut queued = false;
        while in_flight.len() < pipeline.max(1) && budget.allows(issued) {
            issued += 1;
            match session.queue(&stream.next_op(), &payload) {
                Some(xid) => {
                    in_flight.push_back((xid, Instant::now()));
                    queued = true;
                }
                None => outcome.failure(&progress),
            }
        }
        if queued && session.flush().await.is_err() {
            outcome.failure(&progress);
            return outcome;
        }
        let Some((xid, started)) = in_flight.pop_front() else {
            break;
        };
        match session.reply().await {
            Ok((reply_xid, 0)) if reply_xid == xid => outcome.success(started.elapsed(), &progress),
            Ok(_) => outcome.failure(&progress),
            Err(_) => {
                outcome.failure(&progress);
                return outcome;
            }
        }
    }
    let _ = session.close().await;
    outcome
}
