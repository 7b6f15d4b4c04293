//! Errors that stop the coordinator process: storage that cannot be used, a log that cannot be
//! replayed, a port that cannot be bound.

use std::net::SocketAddr;

use crate::persistence::PersistError;

#[derive(Debug, thiserror::Error)]
pub enum CoordinatorError {
    #[error(transparent)]
    Storage(#[from] PersistError),
    #[error("transaction log entry at zxid 0x{zxid:x} cannot be replayed: {reason}")]
    Replay { zxid: i64, reason: String },
    #[error("cannot bind client port {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the {what} thread: {source}")]
    Thread {
        what: &'static str,
        source: std::io::Error,
    },
    #[error("runtime: {0}")]
    Runtime(std::io::Error),
}
