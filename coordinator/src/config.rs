//! `zookeeper.properties`: the coordinator configuration.
