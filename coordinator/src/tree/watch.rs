//! Watch registrations and their triggering.
//!
//! Two registries, as ZooKeeper keeps them: data watches (armed by getData and exists, fired by
//! create, setData and delete of the node) and child watches (armed by getChildren, fired by a
//! child's create or delete and by the node's own delete). A registration carries modes:
//! one-shot (removed when fired), persistent (kept) and persistent-recursive (kept, and matching
//! every descendant too, but never for NodeChildrenChanged). Watches belong to a connection.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::ids::ConnId;
use crate::protocol::codes::EventType;

use super::path;

const ONE_SHOT: u8 = 1;
const PERSISTENT: u8 = 2;
const RECURSIVE: u8 = 4;

/// Which registry a one-shot watch goes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchKind {
    Data,
    Child,
}

/// What a removeWatches / checkWatches request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveKind {
    Child,
    Data,
    Any,
}

#[derive(Debug, Default)]
struct Registry {
    table: HashMap<String, HashMap<ConnId, u8>>,
}

impl Registry {
    fn add(&mut self, path: &str, conn: ConnId, mode: u8) {
        *self
            .table
            .entry(path.to_owned())
            .or_default()
            .entry(conn)
            .or_default() |= mode;
    }

    /// Collects watchers of `path` into `out` (skipping `suppressed`); one-shot modes are
    /// consumed. `recursive_only` is for ancestors: only recursive registrations match there.
    fn fire(
        &mut self,
        path: &str,
        recursive_only: bool,
        include_recursive: bool,
        out: &mut Vec<ConnId>,
        seen: &mut HashSet<ConnId>,
    ) {
        let Some(watchers) = self.table.get_mut(path) else {
            return;
        };
        watchers.retain(|conn, mode| {
            let matches = if recursive_only {
                *mode & RECURSIVE != 0 && include_recursive
            } else {
                *mode & (ONE_SHOT | PERSISTENT) != 0
                    || (*mode & RECURSIVE != 0 && include_recursive)
            };
            if matches && seen.insert(*conn) {
                out.push(*conn);
            }
            if matches && !recursive_only {
                *mode &= !ONE_SHOT;
            }
            *mode != 0
        });
        if watchers.is_empty() {
            self.table.remove(path);
        }
    }

    /// Clears `bits` of `conn` at `path`; whether anything was registered under those bits.
    fn remove(&mut self, path: &str, conn: ConnId, bits: u8) -> bool {
        let Some(watchers) = self.table.get_mut(path) else {
            return false;
        };
        let Some(mode) = watchers.get_mut(&conn) else {
            return false;
        };
        let found = *mode & bits != 0;
        *mode &= !bits;
        if *mode == 0 {
            watchers.remove(&conn);
        }
        if watchers.is_empty() {
            self.table.remove(path);
        }
        found
    }

    fn has(&self, path: &str, conn: ConnId, bits: u8) -> bool {
        self.table
            .get(path)
            .and_then(|watchers| watchers.get(&conn))
            .is_some_and(|mode| mode & bits != 0)
    }
}

/// All watches of the server.
#[derive(Debug, Default)]
pub struct WatchManager {
    data: Registry,
    child: Registry,
    paths_by_conn: HashMap<ConnId, HashSet<String>>,
    recursive: usize,
}

impl WatchManager {
    /// Arms a one-shot watch.
    pub fn add(&mut self, conn: ConnId, path: &str, kind: WatchKind) {
        match kind {
            WatchKind::Data => self.data.add(path, conn, ONE_SHOT),
            WatchKind::Child => self.child.add(path, conn, ONE_SHOT),
        }
        self.paths_by_conn
            .entry(conn)
            .or_default()
            .insert(path.to_owned());
    }

    /// Arms a persistent watch (addWatch), in both registries.
    pub fn add_persistent(&mut self, conn: ConnId, path: &str, recursive: bool) {
        let mode = if recursive { RECURSIVE } else { PERSISTENT };
        if recursive && !self.data.has(path, conn, RECURSIVE) {
            self.recursive += 1;
        }
        self.data.add(path, conn, mode);
        self.child.add(path, conn, mode);
        self.paths_by_conn
            .entry(conn)
            .or_default()
            .insert(path.to_owned());
    }

    /// Fires the watches an event on `path` triggers and returns the connections to notify, each
    /// once, in registration-table order.
    pub fn trigger(&mut self, path: &str, event: EventType) -> Vec<ConnId> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        match event {
            EventType::NodeChildrenChanged => {
                self.child.fire(path, false, false, &mut out, &mut seen);
            }
            EventType::NodeDeleted => {
                self.data.fire(path, false, true, &mut out, &mut seen);
                self.child.fire(path, false, true, &mut out, &mut seen);
                self.fire_recursive_ancestors(path, &mut out, &mut seen);
            }
            _ => {
                self.data.fire(path, false, true, &mut out, &mut seen);
                self.fire_recursive_ancestors(path, &mut out, &mut seen);
            }
        }
        for conn in &out {
            self.forget_if_unwatched(*conn, path);
        }
        out
    }

    fn fire_recursive_ancestors(
        &mut self,
        path: &str,
        out: &mut Vec<ConnId>,
        seen: &mut HashSet<ConnId>,
    ) {
        if self.recursive == 0 {
            return;
        }
        for ancestor in path::ancestors(path) {
            self.data.fire(ancestor, true, true, out, seen);
        }
    }

    fn forget_if_unwatched(&mut self, conn: ConnId, path: &str) {
        let still = self
            .data
            .table
            .get(path)
            .is_some_and(|w| w.contains_key(&conn))
            || self
                .child
                .table
                .get(path)
                .is_some_and(|w| w.contains_key(&conn));
        if !still {
            if let Some(paths) = self.paths_by_conn.get_mut(&conn) {
                paths.remove(path);
                if paths.is_empty() {
                    self.paths_by_conn.remove(&conn);
                }
            }
        }
    }

    /// removeWatches (`check_only` false) or checkWatches (true): whether a matching watch
    /// existed. Child/Data name one-shot watches of that registry; Any also covers persistent ones.
    pub fn remove(&mut self, conn: ConnId, path: &str, kind: RemoveKind, check_only: bool) -> bool {
        let (data_bits, child_bits) = match kind {
            RemoveKind::Data => (ONE_SHOT, 0),
            RemoveKind::Child => (0, ONE_SHOT),
            RemoveKind::Any => (
                ONE_SHOT | PERSISTENT | RECURSIVE,
                ONE_SHOT | PERSISTENT | RECURSIVE,
            ),
        };
        let found = self.data.has(path, conn, data_bits) || self.child.has(path, conn, child_bits);
        if check_only || !found {
            return found;
        }
        if data_bits & RECURSIVE != 0 && self.data.has(path, conn, RECURSIVE) {
            self.recursive = self.recursive.saturating_sub(1);
        }
        self.data.remove(path, conn, data_bits);
        self.child.remove(path, conn, child_bits);
        self.forget_if_unwatched(conn, path);
        true
    }

    /// Drops every watch of a closed connection.
    pub fn remove_conn(&mut self, conn: ConnId) {
        let Some(paths) = self.paths_by_conn.remove(&conn) else {
            return;
        };
        for path in paths {
            if self.data.has(&path, conn, RECURSIVE) {
                self.recursive = self.recursive.saturating_sub(1);
            }
            self.data
                .remove(&path, conn, ONE_SHOT | PERSISTENT | RECURSIVE);
            self.child
                .remove(&path, conn, ONE_SHOT | PERSISTENT | RECURSIVE);
        }
    }

    /// Registrations counted as ZooKeeper's `wchs` counts them (data + child).
    pub fn total(&self) -> usize {
        let count = |registry: &Registry| registry.table.values().map(HashMap::len).sum::<usize>();
        count(&self.data) + count(&self.child)
    }

    /// Paths with at least one watch.
    pub fn path_count(&self) -> usize {
        let mut paths: HashSet<&String> = self.data.table.keys().collect();
        paths.extend(self.child.table.keys());
        paths.len()
    }

    /// Connections holding watches, each with its watched paths (sorted): for `wchc`.
    pub fn by_connection(&self) -> BTreeMap<ConnId, Vec<String>> {
        let mut out = BTreeMap::new();
        for (conn, paths) in &self.paths_by_conn {
            let mut paths: Vec<String> = paths.iter().cloned().collect();
            paths.sort();
            out.insert(*conn, paths);
        }
        out
    }

    /// Watched paths, each with the connections watching it: for `wchp`.
    pub fn by_path(&self) -> BTreeMap<String, Vec<ConnId>> {
        let mut out: BTreeMap<String, Vec<ConnId>> = BTreeMap::new();
        for registry in [&self.data, &self.child] {
            for (path, watchers) in &registry.table {
                let entry = out.entry(path.clone()).or_default();
                for conn in watchers.keys() {
                    if !entry.contains(conn) {
                        entry.push(*conn);
                    }
                }
            }
        }
        for conns in out.values_mut() {
            conns.sort();
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const A: ConnId = ConnId(1);
    const B: ConnId = ConnId(2);

    #[test]
    fn one_shot_fires_once() {
        let mut watches = WatchManager::default();
        watches.add(A, "/x", WatchKind::Data);
        assert_eq!(watches.trigger("/x", EventType::NodeDataChanged), vec![A]);
        assert!(watches.trigger("/x", EventType::NodeDataChanged).is_empty());
        assert_eq!(watches.total(), 0);
    }

    #[test]
    fn delete_notifies_data_and_child_watchers_once() {
        let mut watches = WatchManager::default();
        watches.add(A, "/x", WatchKind::Data);
        watches.add(A, "/x", WatchKind::Child);
        watches.add(B, "/x", WatchKind::Child);
        let mut fired = watches.trigger("/x", EventType::NodeDeleted);
        fired.sort();
        assert_eq!(fired, vec![A, B]);
        assert_eq!(watches.total(), 0);
    }

    #[test]
    fn child_changes_do_not_fire_data_watches() {
        let mut watches = WatchManager::default();
        watches.add(A, "/x", WatchKind::Data);
        assert!(watches
            .trigger("/x", EventType::NodeChildrenChanged)
            .is_empty());
        assert_eq!(watches.total(), 1);
    }

    #[test]
    fn persistent_watches_stay_and_recursive_skip_child_events() {
        let mut watches = WatchManager::default();
        watches.add_persistent(A, "/p", false);
        watches.add_persistent(B, "/r", true);
        for _ in 0..2 {
            assert_eq!(watches.trigger("/p", EventType::NodeDataChanged), vec![A]);
            assert_eq!(
                watches.trigger("/p", EventType::NodeChildrenChanged),
                vec![A]
            );
        }
        assert_eq!(watches.trigger("/r/a/b", EventType::NodeCreated), vec![B]);
        assert!(watches
            .trigger("/r", EventType::NodeChildrenChanged)
            .is_empty());
        assert_eq!(watches.trigger("/r", EventType::NodeDataChanged), vec![B]);
        assert!(watches.trigger("/rx", EventType::NodeCreated).is_empty());
    }

    #[test]
    fn removal_and_connection_cleanup() {
        let mut watches = WatchManager::default();
        watches.add(A, "/x", WatchKind::Data);
        assert!(!watches.remove(A, "/x", RemoveKind::Child, true));
        assert!(watches.remove(A, "/x", RemoveKind::Data, true));
        assert!(watches.remove(A, "/x", RemoveKind::Data, false));
        assert!(!watches.remove(A, "/x", RemoveKind::Any, false));
        watches.add_persistent(A, "/r", true);
        watches.add(A, "/y", WatchKind::Child);
        watches.remove_conn(A);
        assert_eq!(watches.total(), 0);
        assert!(watches.trigger("/r/z", EventType::NodeCreated).is_empty());
    }
}
