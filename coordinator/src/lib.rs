//! A ZooKeeper-compatible coordination service.
//!
//! Request path, one module per step:
//! - [`server`]: listener, accepts connections, enforces `maxClientCnxns`.
//! - [`connection`]: one client socket — frames in, handshake, decoded requests to the
//!   processor, encoded replies and watch events out, in order.
//! - [`protocol`]: the jute wire format — records, op codes, error codes.
//! - [`processor`]: the single owner of all state; turns requests into [`txn::Txn`]s,
//!   logs them (group commit), applies them to the [`tree`], and releases replies once durable.
//! - [`session`]: the session table, timeout negotiation and expiry.
//! - [`tree`]: the znode tree, watches and ACL checks (no I/O).
//! - [`persistence`]: transaction log, snapshots, recovery, purge.
//! - [`admin`]: the four-letter words.
//! - [`config`]: the `zookeeper.properties` settings.

pub mod admin;
pub mod config;
pub mod connection;
pub mod error;
pub mod ids;
pub mod persistence;
pub mod processor;
pub mod protocol;
pub mod server;
pub mod session;
pub mod tree;
pub mod txn;
