//! Durable storage: transaction log, snapshots, recovery, purge.
