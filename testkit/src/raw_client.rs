//! A blocking, byte-level ZooKeeper client for protocol tests: it sends exactly the bytes a
//! test builds (valid or not) over a std `TcpStream` and reads frames back with timeouts.
//!
//! Wire shapes used here:
//! - every message is `i32 length` + body, both directions;
//! - ConnectRequest body: `protocolVersion i32, lastZxidSeen i64, timeOut i32, sessionId i64,
//!   passwd buffer` + an optional trailing `readOnly` byte;
//! - ConnectResponse body: `protocolVersion i32, timeOut i32, sessionId i64, passwd buffer`
//!   + `readOnly` byte when the request carried one; session id 0 means "expired";
//! - request: `xid i32, type i32` + record; reply: `xid i32, zxid i64, err i32` + record
//!   (only when err is 0); notifications use xid −1.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::error::TestkitError;
use crate::jute::{op, xid, JuteReader, JuteWriter, WatcherEvent};

/// How long a [`RawClient`] waits for a frame unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The handshake request, with every field under the test's control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectRequest {
    pub protocol_version: i32,
    pub last_zxid_seen: i64,
    pub timeout_ms: i32,
    pub session_id: i64,
    pub password: Vec<u8>,
    /// The trailing readOnly flag; `None` omits the byte, as old clients do.
    pub read_only: Option<bool>,
}

impl ConnectRequest {
    /// A request for a fresh session.
    pub fn new_session(timeout_ms: i32) -> Self {
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            timeout_ms,
            session_id: 0,
            password: vec![0; 16],
            read_only: Some(false),
        }
    }

    /// A request re-attaching to an existing session.
    pub fn reattach(session_id: i64, password: &[u8], timeout_ms: i32) -> Self {
        ConnectRequest {
            session_id,
            password: password.to_vec(),
            ..ConnectRequest::new_session(timeout_ms)
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let writer = JuteWriter::new()
            .int(self.protocol_version)
            .long(self.last_zxid_seen)
            .int(self.timeout_ms)
            .long(self.session_id)
            .buffer(Some(&self.password));
        match self.read_only {
            Some(flag) => writer.boolean(flag).into_bytes(),
            None => writer.into_bytes(),
        }
    }
}

/// The decoded handshake reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectResponse {
    pub protocol_version: i32,
    pub timeout_ms: i32,
    pub session_id: i64,
    pub password: Vec<u8>,
    pub read_only: Option<bool>,
    /// The whole frame body, for byte-exact assertions.
    pub raw: Vec<u8>,
}

impl ConnectResponse {
    pub fn decode(body: &[u8]) -> Result<Self, TestkitError> {
        let mut reader = JuteReader::new(body);
        let protocol_version = reader.int("protocolVersion")?;
        let timeout_ms = reader.int("timeOut")?;
        let session_id = reader.long("sessionId")?;
        let password = reader.buffer("passwd")?.unwrap_or_default();
        let read_only = if reader.remaining() > 0 {
            Some(reader.boolean("readOnly")?)
        } else {
            None
        };
        Ok(ConnectResponse {
            protocol_version,
            timeout_ms,
            session_id,
            password,
            read_only,
            raw: body.to_vec(),
        })
    }
}

/// One reply frame: its header and the record bytes after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub xid: i32,
    pub zxid: i64,
    pub err: i32,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn decode(frame: &[u8]) -> Result<Self, TestkitError> {
        let mut reader = JuteReader::new(frame);
        let xid = reader.int("reply xid")?;
        let zxid = reader.long("reply zxid")?;
        let err = reader.int("reply err")?;
        let body = frame.get(16..).unwrap_or_default().to_vec();
        Ok(Reply {
            xid,
            zxid,
            err,
            body,
        })
    }

    /// A reader over the record after the header.
    pub fn reader(&self) -> JuteReader<'_> {
        JuteReader::new(&self.body)
    }

    /// The watch event in a notification frame.
    pub fn event(&self) -> Result<WatcherEvent, TestkitError> {
        self.reader().watcher_event()
    }
}

/// A blocking jute client on one TCP connection.
#[derive(Debug)]
pub struct RawClient {
    stream: TcpStream,
    /// Bytes received but not yet handed out as frames.
    received: Vec<u8>,
    closed: bool,
    last_xid: i32,
    timeout: Duration,
    session: Option<ConnectResponse>,
    /// Notifications that arrived while [`RawClient::call`] waited for its reply.
    notifications: VecDeque<Reply>,
}

impl RawClient {
    /// Opens a TCP connection to 127.0.0.1:`port` without any handshake.
    pub fn open(port: u16) -> Result<Self, TestkitError> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let stream = TcpStream::connect_timeout(&address, DEFAULT_TIMEOUT)
            .map_err(|source| TestkitError::io(format!("connecting to {address}"), source))?;
        stream
            .set_nodelay(true)
            .map_err(|source| TestkitError::io("setting TCP_NODELAY", source))?;
        Ok(RawClient {
            stream,
            received: Vec::new(),
            closed: false,
            last_xid: 0,
            timeout: DEFAULT_TIMEOUT,
            session: None,
            notifications: VecDeque::new(),
        })
    }

    /// Opens a connection and establishes a fresh session with the given timeout.
    pub fn connect(port: u16, timeout_ms: i32) -> Result<Self, TestkitError> {
        let mut client = RawClient::open(port)?;
        client.handshake(&ConnectRequest::new_session(timeout_ms))?;
        Ok(client)
    }

    /// Sends a ConnectRequest and reads the ConnectResponse. A response with session id 0 (the
    /// server's "expired" answer) is returned as [`TestkitError::SessionRejected`].
    pub fn handshake(&mut self, request: &ConnectRequest) -> Result<ConnectResponse, TestkitError> {
        let response = self.handshake_raw(request)?;
        if response.session_id == 0 {
            return Err(TestkitError::SessionRejected);
        }
        self.session = Some(response.clone());
        Ok(response)
    }

    /// Like [`RawClient::handshake`] but hands back whatever the server answered.
    pub fn handshake_raw(
        &mut self,
        request: &ConnectRequest,
    ) -> Result<ConnectResponse, TestkitError> {
        self.send_frame(&request.encode())?;
        let frame = self.read_frame(self.timeout)?;
        ConnectResponse::decode(&frame)
    }

    /// The established session, if the handshake succeeded.
    pub fn session(&self) -> Option<&ConnectResponse> {
        self.session.as_ref()
    }

    pub fn session_id(&self) -> i64 {
        self.session
            .as_ref()
            .map_or(0, |session| session.session_id)
    }

    /// Changes how long [`RawClient::call`] and friends wait.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    pub fn local_addr(&self) -> Result<SocketAddr, TestkitError> {
        self.stream
            .local_addr()
            .map_err(|source| TestkitError::io("reading the local address", source))
    }

    /// Writes bytes exactly as given.
    pub fn send_bytes(&mut self, bytes: &[u8]) -> Result<(), TestkitError> {
        match self
            .stream
            .write_all(bytes)
            .and_then(|()| self.stream.flush())
        {
            Ok(()) => Ok(()),
            Err(error) if is_disconnect(error.kind()) => {
                self.closed = true;
                Err(TestkitError::Closed {
                    action: "writing".to_string(),
                })
            }
            Err(source) => Err(TestkitError::io("writing", source)),
        }
    }

    /// Writes a length prefix and the body.
    pub fn send_frame(&mut self, body: &[u8]) -> Result<(), TestkitError> {
        let frame = JuteWriter::new().buffer(Some(body)).into_bytes();
        self.send_bytes(&frame)
    }

    /// Writes a framed request with the given header fields.
    pub fn send_request(&mut self, xid: i32, op: i32, body: &[u8]) -> Result<(), TestkitError> {
        let frame = JuteWriter::new().int(xid).int(op).raw(body).into_bytes();
        self.send_frame(&frame)
    }

    /// The next client xid (1, 2, …), as real clients number them.
    pub fn next_xid(&mut self) -> i32 {
        self.last_xid = self.last_xid.wrapping_add(1);
        self.last_xid
    }

    /// Sends a request under the next xid and returns that xid, without waiting.
    pub fn submit(&mut self, op: i32, body: &[u8]) -> Result<i32, TestkitError> {
        let xid = self.next_xid();
        self.send_request(xid, op, body)?;
        Ok(xid)
    }

    /// Sends a request and waits for its reply. Notifications that arrive first are kept for
    /// [`RawClient::take_notifications`]; any other reply is an error.
    pub fn call(&mut self, op: i32, body: &[u8]) -> Result<Reply, TestkitError> {
        let xid = self.submit(op, body)?;
        self.reply_to(xid)
    }

    /// Sends a request under a caller-chosen xid (auth −4, setWatches −8, …) and waits for it.
    pub fn call_with_xid(&mut self, xid: i32, op: i32, body: &[u8]) -> Result<Reply, TestkitError> {
        self.send_request(xid, op, body)?;
        self.reply_to(xid)
    }

    /// Reads replies until the one for `xid`, queueing notifications met on the way.
    pub fn reply_to(&mut self, expected: i32) -> Result<Reply, TestkitError> {
        loop {
            let reply = self.read_reply(self.timeout)?;
            if reply.xid == expected {
                return Ok(reply);
            }
            if reply.xid != xid::NOTIFICATION {
                return Err(TestkitError::UnexpectedXid {
                    expected,
                    got: reply.xid,
                });
            }
            self.notifications.push_back(reply);
        }
    }

    /// Sends a ping (xid −2, op 11) and waits for its reply.
    pub fn ping(&mut self) -> Result<Reply, TestkitError> {
        self.call_with_xid(xid::PING, op::PING, &[])
    }

    /// Sends closeSession and waits for its reply.
    pub fn close_session(&mut self) -> Result<Reply, TestkitError> {
        self.call(op::CLOSE_SESSION, &[])
    }

    /// Notifications queued by [`RawClient::call`], oldest first.
    pub fn take_notifications(&mut self) -> Vec<Reply> {
        self.notifications.drain(..).collect()
    }

    /// The next notification: a queued one, else the next frame, which must be one.
    pub fn next_notification(&mut self, timeout: Duration) -> Result<Reply, TestkitError> {
        if let Some(reply) = self.notifications.pop_front() {
            return Ok(reply);
        }
        let reply = self.read_reply(timeout)?;
        if reply.xid != xid::NOTIFICATION {
            return Err(TestkitError::UnexpectedXid {
                expected: xid::NOTIFICATION,
                got: reply.xid,
            });
        }
        Ok(reply)
    }

    /// Reads one frame and decodes its reply header.
    pub fn read_reply(&mut self, timeout: Duration) -> Result<Reply, TestkitError> {
        let frame = self.read_frame(timeout)?;
        Reply::decode(&frame)
    }

    /// Reads one length-prefixed frame body, waiting at most `timeout`.
    pub fn read_frame(&mut self, timeout: Duration) -> Result<Vec<u8>, TestkitError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(frame) = self.split_frame()? {
                return Ok(frame);
            }
            if self.closed {
                return Err(TestkitError::Closed {
                    action: "reading a frame".to_string(),
                });
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(TestkitError::Timeout {
                    action: "reading a frame".to_string(),
                    timeout,
                });
            }
            self.fill(deadline - now)?;
        }
    }

    /// Takes one complete frame out of the receive buffer, if there is one.
    fn split_frame(&mut self) -> Result<Option<Vec<u8>>, TestkitError> {
        let Some(prefix) = self.received.get(..4) else {
            return Ok(None);
        };
        let mut length_bytes = [0u8; 4];
        length_bytes.copy_from_slice(prefix);
        let length = i32::from_be_bytes(length_bytes);
        let Ok(body_len) = usize::try_from(length) else {
            return Err(TestkitError::BadFrameLength { length });
        };
        let Some(body) = self.received.get(4..4 + body_len) else {
            return Ok(None);
        };
        let frame = body.to_vec();
        self.received.drain(..4 + body_len);
        Ok(Some(frame))
    }

    /// Reads whatever arrives within `wait` into the buffer. Returns `Ok` on data, EOF (which
    /// sets `closed`) or a quiet period; errors only on unexpected socket failures.
    fn fill(&mut self, wait: Duration) -> Result<(), TestkitError> {
        let wait = wait.max(Duration::from_millis(1));
        self.stream
            .set_read_timeout(Some(wait))
            .map_err(|source| TestkitError::io("setting the read timeout", source))?;
        let mut chunk = [0u8; 64 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => {
                self.closed = true;
                Ok(())
            }
            Ok(n) => {
                self.received
                    .extend_from_slice(chunk.get(..n).unwrap_or_default());
                Ok(())
            }
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Ok(())
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => Ok(()),
            Err(error) if is_disconnect(error.kind()) => {
                self.closed = true;
                Ok(())
            }
            Err(source) => Err(TestkitError::io("reading", source)),
        }
    }

    /// Whether the server has closed the connection, judged from what has arrived so far
    /// (waits at most a millisecond). Data that arrives is kept for later reads.
    pub fn is_closed(&mut self) -> bool {
        if !self.closed {
            // Drain everything already queued so an EOF behind pending data is seen too.
            let before = self.received.len();
            if self.fill(Duration::from_millis(1)).is_err() {
                return true;
            }
            while !self.closed && self.received.len() > before {
                let seen = self.received.len();
                if self.fill(Duration::from_millis(1)).is_err() {
                    return true;
                }
                if self.received.len() == seen {
                    break;
                }
            }
        }
        self.closed
    }

    /// Waits up to `timeout` for the server to close the connection; true if it did. Frames
    /// that arrive meanwhile are kept for later reads.
    pub fn wait_closed(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while !self.closed {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            if self.fill(deadline - now).is_err() {
                return true;
            }
        }
        true
    }

    /// Half-closes the sending side (the server sees EOF).
    pub fn shutdown_write(&mut self) -> Result<(), TestkitError> {
        self.stream
            .shutdown(Shutdown::Write)
            .map_err(|source| TestkitError::io("shutting down the write side", source))
    }
}

fn is_disconnect(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use std::net::TcpListener;
    use std::thread;

    use super::*;

    #[test]
    fn connect_request_layout_with_and_without_read_only() {
        let request = ConnectRequest::new_session(30_000);
        let bytes = request.encode();
        assert_eq!(bytes.len(), 4 + 8 + 4 + 8 + 4 + 16 + 1);
        let old = ConnectRequest {
            read_only: None,
            ..request
        };
        assert_eq!(old.encode().len(), 44);
    }

    #[test]
    fn connect_response_decodes_the_37_byte_form() {
        let body = JuteWriter::new()
            .int(0)
            .int(4000)
            .long(0x42)
            .buffer(Some(&[7; 16]))
            .boolean(false)
            .into_bytes();
        assert_eq!(body.len(), 37);
        let response = ConnectResponse::decode(&body).unwrap();
        assert_eq!(response.timeout_ms, 4000);
        assert_eq!(response.session_id, 0x42);
        assert_eq!(response.password, vec![7; 16]);
        assert_eq!(response.read_only, Some(false));
    }

    #[test]
    fn frames_split_across_reads_and_close_is_seen() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let reply = JuteWriter::new()
                .int(1)
                .long(9)
                .int(0)
                .raw(b"body")
                .into_bytes();
            let frame = JuteWriter::new().buffer(Some(&reply)).into_bytes();
            socket.write_all(&frame[..3]).unwrap();
            socket.flush().unwrap();
            thread::sleep(Duration::from_millis(20));
            socket.write_all(&frame[3..]).unwrap();
        });
        let mut client = RawClient::open(port).unwrap();
        let reply = client.read_reply(DEFAULT_TIMEOUT).unwrap();
        assert_eq!(
            (reply.xid, reply.zxid, reply.err, reply.body.as_slice()),
            (1, 9, 0, &b"body"[..])
        );
        server.join().unwrap();
        assert!(client.wait_closed(DEFAULT_TIMEOUT));
        assert!(client.is_closed());
        assert!(matches!(
            client.read_frame(DEFAULT_TIMEOUT),
            Err(TestkitError::Closed { .. })
        ));
    }

    #[test]
    fn read_frame_times_out_on_silence() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut client = RawClient::open(port).unwrap();
        let (_socket, _) = listener.accept().unwrap();
        let result = client.read_frame(Duration::from_millis(30));
        assert!(
            matches!(result, Err(TestkitError::Timeout { .. })),
            "{result:?}"
        );
        assert!(!client.is_closed());
    }
}
