//! Identifier newtypes shared by the coordinator's modules, so they cannot be swapped.

use std::fmt;

/// A ZooKeeper session id (`0x…` in ZooKeeper's output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub i64);

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:x}", self.0)
    }
}

/// One client TCP connection. Watches and auth ids belong to a connection, not a session: a
/// client that reconnects sends them again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// ZooKeeper prints zxids as `0x` + lowercase hex.
pub fn hex_zxid(zxid: i64) -> String {
    format!("0x{zxid:x}")
}
