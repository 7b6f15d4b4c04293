//! The session table: which sessions exist (persisted through CreateSession/CloseSession
//! transactions and snapshots), their negotiated timeouts and passwords, and — in memory only —
//! when each expires and which connection currently carries it.
//!
//! Expiry is touch-based: every packet from the session's connection pushes its deadline to
//! `now + timeout`; the processor checks deadlines every tenth of a tick, so a session expires
//! between its timeout and its timeout plus a tenth of a tick (ZooKeeper: plus one tick). After a restart every recovered
//! session gets a fresh deadline.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rand::RngCore;

use crate::ids::{ConnId, SessionId};
use crate::protocol::jute::{DecodeError, Reader, Writer};

#[derive(Debug, Clone)]
pub struct Session {
    pub timeout: Duration,
    pub password: Vec<u8>,
    pub deadline: Instant,
    pub conn: Option<ConnId>,
    /// A CloseSession for it has been logged; it takes no more requests.
    pub closing: bool,
}

#[derive(Debug, Default)]
pub struct SessionTable {
    sessions: HashMap<SessionId, Session>,
    next_id: i64,
}

/// Clamps a requested timeout to [min, max], as ZooKeeper negotiates it.
pub fn negotiate_timeout(requested_ms: i32, min: Duration, max: Duration) -> Duration {
    let requested = Duration::from_millis(u64::try_from(requested_ms).unwrap_or(0));
    requested.clamp(min, max)
}

/// 16 random bytes: a session's password.
pub fn new_password() -> Vec<u8> {
    let mut password = vec![0u8; 16];
    rand::rng().fill_bytes(&mut password);
    password
}

impl SessionTable {
    /// A table whose new ids start from the clock, as ZooKeeper's do: the millisecond time in bits
    /// 8..48 of the id, server id 0 in the top byte.
    pub fn new() -> Self {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as u64);
        let base = ((now_ms << 24) >> 8) as i64;
        Self {
            sessions: HashMap::new(),
            next_id: base.max(1),
        }
    }

    /// The id a new session will get; it is not taken until [`SessionTable::insert`].
    pub fn allocate_id(&mut self) -> SessionId {
        loop {
            let id = SessionId(self.next_id);
            self.next_id = self.next_id.wrapping_add(1).max(1);
            if !self.sessions.contains_key(&id) {
                return id;
            }
        }
    }

    pub fn insert(&mut self, id: SessionId, timeout: Duration, password: Vec<u8>, now: Instant) {
        self.sessions.insert(
            id,
            Session {
                timeout,
                password,
                deadline: now + timeout,
                conn: None,
                closing: false,
            },
        );
    }

    pub fn remove(&mut self, id: SessionId) -> Option<Session> {
        self.sessions.remove(&id)
    }

    pub fn get(&self, id: SessionId) -> Option<&Session> {
        self.sessions.get(&id)
    }

    pub fn get_mut(&mut self, id: SessionId) -> Option<&mut Session> {
        self.sessions.get_mut(&id)
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&SessionId, &Session)> {
        self.sessions.iter()
    }

    /// Pushes the session's deadline out by its timeout.
    pub fn touch(&mut self, id: SessionId, now: Instant) {
        if let Some(session) = self.sessions.get_mut(&id) {
            session.deadline = now + session.timeout;
        }
    }

    /// Sessions past their deadline and not already closing.
    pub fn expired(&self, now: Instant) -> Vec<SessionId> {
        let mut out: Vec<SessionId> = self
            .sessions
            .iter()
            .filter(|(_, session)| !session.closing && session.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        out.sort();
        out
    }

    /// Persisted part, for snapshots: count, then (id, timeout ms, password) each.
    pub fn encode(&self, out: &mut Writer) {
        let mut ids: Vec<&SessionId> = self.sessions.keys().collect();
        ids.sort();
        out.write_i32(i32::try_from(ids.len()).unwrap_or(i32::MAX));
        for id in ids {
            if let Some(session) = self.sessions.get(id) {
                out.write_i64(id.0);
                out.write_i32(i32::try_from(session.timeout.as_millis()).unwrap_or(i32::MAX));
                out.write_buffer(Some(&session.password));
            }
        }
    }

    pub fn decode(input: &mut Reader<'_>, now: Instant) -> Result<SessionTable, DecodeError> {
        let mut table = SessionTable::new();
        let count = input.read_i32()?;
        if count < 0 || count as usize > input.remaining() {
            return Err(DecodeError::Invalid("snapshot session count"));
        }
        for _ in 0..count {
            let id = SessionId(input.read_i64()?);
            let timeout = Duration::from_millis(u64::try_from(input.read_i32()?).unwrap_or(0));
            let password = input.read_buffer()?.unwrap_or_default();
            table.insert(id, timeout, password, now);
        }
        Ok(table)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_clamps() {
        let (min, max) = (Duration::from_millis(4000), Duration::from_millis(40000));
        assert_eq!(negotiate_timeout(1, min, max), min);
        assert_eq!(
            negotiate_timeout(30000, min, max),
            Duration::from_millis(30000)
        );
        assert_eq!(negotiate_timeout(1_000_000_000, min, max), max);
        assert_eq!(negotiate_timeout(-5, min, max), min);
    }

    #[test]
    fn expiry_follows_touches() {
        let mut table = SessionTable::new();
        let start = Instant::now();
        let id = table.allocate_id();
        table.insert(id, Duration::from_secs(10), new_password(), start);
        assert!(table.expired(start + Duration::from_secs(9)).is_empty());
        table.touch(id, start + Duration::from_secs(5));
        assert!(table.expired(start + Duration::from_secs(14)).is_empty());
        assert_eq!(table.expired(start + Duration::from_secs(15)), vec![id]);
        assert_ne!(table.allocate_id(), id);
    }

    #[test]
    fn snapshot_round_trip() {
        let mut table = SessionTable::new();
        let now = Instant::now();
        let id = table.allocate_id();
        table.insert(id, Duration::from_millis(6000), vec![1; 16], now);
        let mut out = Writer::new();
        table.encode(&mut out);
        let bytes = out.into_inner();
        let decoded = SessionTable::decode(&mut Reader::new(&bytes), now).unwrap();
        let session = decoded.get(id).unwrap();
        assert_eq!(session.timeout, Duration::from_millis(6000));
        assert_eq!(session.password, vec![1; 16]);
    }
}
