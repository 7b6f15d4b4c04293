//! The replicated state: the tree, the session table and the last applied zxid. Applying a
//! [`Txn`] here is deterministic and needs no validation, so recovery replays the log through
//! the same code the live path uses for session transactions.
//!
//! Snapshot payload (jute primitives): `last_zxid i64`, the session table, the tree.

use std::time::{Duration, Instant};

use crate::ids::SessionId;
use crate::protocol::jute::{DecodeError, Reader, Writer};
use crate::session::SessionTable;
use crate::tree::{Change, DataTree};
use crate::txn::{Txn, TxnOp};

#[derive(Debug)]
pub struct State {
    pub tree: DataTree,
    pub sessions: SessionTable,
    pub last_zxid: i64,
}

impl Default for State {
    fn default() -> Self {
        Self {
            tree: DataTree::new(),
            sessions: SessionTable::new(),
            last_zxid: 0,
        }
    }
}

impl State {
    /// Applies one logged transaction. Steps that no longer fit the tree (which a correct log
    /// never contains) are skipped and counted in the returned `skipped`.
    pub fn apply(&mut self, txn: &Txn, now: Instant) -> (Vec<Change>, usize) {
        let mut changes = Vec::new();
        let mut skipped = 0;
        self.apply_op(txn, &txn.op, now, &mut changes, &mut skipped);
        self.last_zxid = txn.zxid;
        (changes, skipped)
    }

    fn apply_op(
        &mut self,
        txn: &Txn,
        op: &TxnOp,
        now: Instant,
        changes: &mut Vec<Change>,
        skipped: &mut usize,
    ) {
        let zxid = txn.zxid;
        let outcome = match op {
            TxnOp::CreateSession {
                timeout_ms,
                password,
            } => {
                let timeout = Duration::from_millis(u64::try_from(*timeout_ms).unwrap_or(0));
                self.sessions
                    .insert(txn.session_id, timeout, password.clone(), now);
                Ok(())
            }
            TxnOp::CloseSession => {
                changes.extend(self.close_session(txn.session_id, zxid));
                Ok(())
            }
            TxnOp::Create {
                path,
                data,
                acl,
                kind,
            } => self
                .tree
                .create(path, data.clone(), acl.clone(), *kind, zxid, txn.time)
                .map(|(_, events)| changes.extend(events)),
            TxnOp::Delete { path } => self
                .tree
                .delete(path, zxid)
                .map(|(_, events)| changes.extend(events)),
            TxnOp::SetData { path, data } => self
                .tree
                .set_data(path, data.clone(), zxid, txn.time)
                .map(|(_, event)| changes.push(event)),
            TxnOp::SetAcl { path, acl } => self.tree.set_acl(path, acl.clone()).map(|_| ()),
            TxnOp::Check { .. } | TxnOp::Error { .. } => Ok(()),
            TxnOp::Multi(ops) => {
                for op in ops {
                    self.apply_op(txn, op, now, changes, skipped);
                }
                Ok(())
            }
        };
        if outcome.is_err() {
            *skipped += 1;
        }
    }

    /// Ends a session: deletes its ephemerals (their watch events returned) and forgets it.
    fn close_session(&mut self, session: SessionId, zxid: i64) -> Vec<Change> {
        let paths: Vec<String> = self.tree.ephemerals_of(session).cloned().collect();
        let mut changes = Vec::new();
        for path in paths {
            if let Ok((_, events)) = self.tree.delete(&path, zxid) {
                changes.extend(events);
            }
        }
        self.sessions.remove(session);
        changes
    }

    pub fn encode_snapshot(&self) -> Vec<u8> {
        // Sized up front: data and paths, plus about 100 bytes of fields and ACL per node.
        let estimate = self.tree.approximate_data_size() as usize + self.tree.node_count() * 100;
        let mut out = Writer::with_capacity(estimate);
        out.write_i64(self.last_zxid);
        self.sessions.encode(&mut out);
        self.tree.encode(&mut out);
        out.into_inner()
    }

    pub fn decode_snapshot(bytes: &[u8], now: Instant) -> Result<State, DecodeError> {
        let mut input = Reader::new(bytes);
        let last_zxid = input.read_i64()?;
        let sessions = SessionTable::decode(&mut input, now)?;
        let tree = DataTree::decode(&mut input)?;
        if !input.is_empty() {
            return Err(DecodeError::Invalid("trailing bytes after snapshot"));
        }
        Ok(State {
            tree,
            sessions,
            last_zxid,
        })
    }
}
