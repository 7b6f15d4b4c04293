//! The jute wire protocol spoken by ZooKeeper clients.
