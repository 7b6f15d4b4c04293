//! End-to-end test harness shared by the coordinator's and the brokers' integration tests.
//!
//! - [`process`]: [`CoordinatorProcess`], a ZooKeeper-compatible server as a child process on
//!   a free loopback port with its own temp data dir — the coordinator binary, or Apache
//!   ZooKeeper 3.8 when `COORDINATOR_TEST_SERVER=apache-zookeeper`.
//! - [`broker`]: [`BrokerProcess`], the `broker` binary as a child process on a free
//!   loopback port with its own log dir, pointed at a given coordinator.
//! - [`raw_client`]: [`RawClient`], a blocking byte-level jute client for protocol tests.
//! - [`jute`]: the jute encoding pieces those tests build requests from and read replies with.
//! - [`wait`]: [`free_port`], [`wait_until`] and [`wait_until_async`]: conditions, not sleeps.
//! - [`error`]: the harness error type, [`TestkitError`].

pub mod broker;
pub mod error;
pub mod jute;
pub mod process;
pub mod raw_client;
pub mod wait;

pub use broker::BrokerProcess;
pub use error::TestkitError;
pub use process::{CoordinatorProcess, ServerKind};
pub use raw_client::{ConnectRequest, ConnectResponse, RawClient, Reply};
pub use wait::{free_port, wait_until, wait_until_async};
