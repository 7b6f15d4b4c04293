//! Whole-subtree operations over a `zookeeper_client::Client`.
//!
//! - [`list_subtree`]: every path under a root, breadth first (the root, then its children,
//!   then theirs), children in the order the server lists them — what `deleteall` removes, in
//!   the same order as zkCli (so watchers see the same sequence of events).
//! - [`SubtreeWalk`]: zkCli's recursive visit order for `ls -R` and `setAcl -R`.
//! - [`delete_subtree`]: deletes a subtree leaves first, in multi requests of at most
//!   `batch_size` deletes each; the first refused batch stops the walk. Each batch is atomic on
//!   the server, so a refused batch deletes nothing and earlier batches stay deleted.
//!
//! Used by `zookeeper-shell` (`ls -R`, `setAcl -R`, `deleteall`) and by `zk-perf-test` to clean
//! up its root.

use std::collections::VecDeque;

use zookeeper_client::{Client, Error, OneshotWatcher};

use crate::error::SubtreeError;
use crate::zk_shell::path::join;

/// Lists `root` and all its descendants, breadth first, children in server order.
pub async fn list_subtree(client: &Client, root: &str) -> Result<Vec<String>, Error> {
    let mut paths = vec![root.to_string()];
    let mut next = 0;
    while let Some(parent) = paths.get(next).cloned() {
        let children = client.list_children(&parent).await?;
        for child in children {
            paths.push(join(&parent, &child));
        }
        next += 1;
    }
    Ok(paths)
}

/// zkCli's recursive visit (`ls -R`, `setAcl -R`): the root, then each node's children
/// (sorted) right after the node's listing, then the subtrees of those children in order — depth
/// first, children listed as a group. With `watch`, the root gets a data watch and every node
/// listed for children a child watch, as zkCli sets them.
///
/// Paths come out one by one through [`SubtreeWalk::next`], so the caller can act on a node
/// (for example change its ACL) before its children are listed, as zkCli does.
pub struct SubtreeWalk<'a> {
    client: &'a Client,
    watch: bool,
    /// Nodes whose children are still to be listed, the next one last.
    to_expand: Vec<String>,
    /// Listed paths not yet handed out.
    ready: VecDeque<String>,
    watchers: Vec<OneshotWatcher>,
}

impl<'a> SubtreeWalk<'a> {
    /// Starts at `root`, which must exist (its data is read, as zkCli does).
    pub async fn start(
        client: &'a Client,
        root: &str,
        watch: bool,
    ) -> Result<SubtreeWalk<'a>, SubtreeError> {
        let mut walk = SubtreeWalk {
            client,
            watch,
            to_expand: vec![root.to_string()],
            ready: VecDeque::new(),
            watchers: Vec::new(),
        };
        let read = if watch {
            client
                .get_and_watch_data(root)
                .await
                .map(|(_, _, watcher)| walk.watchers.push(watcher))
        } else {
            client.get_data(root).await.map(|_| ())
        };
        read.map_err(|source| SubtreeError {
            path: root.to_string(),
            source,
        })?;
        walk.ready.push_back(root.to_string());
        Ok(walk)
    }

    /// The next path, `None` when the subtree is exhausted.
    pub async fn next(&mut self) -> Result<Option<String>, SubtreeError> {
        loop {
            if let Some(path) = self.ready.pop_front() {
                return Ok(Some(path));
            }
            let Some(parent) = self.to_expand.pop() else {
                return Ok(None);
            };
            let listed = if self.watch {
                self.client
                    .list_and_watch_children(&parent)
                    .await
                    .map(|(children, watcher)| {
                        self.watchers.push(watcher);
                        children
                    })
            } else {
                self.client.list_children(&parent).await
            };
            let mut children = listed.map_err(|source| SubtreeError {
                path: parent.clone(),
                source,
            })?;
            children.sort();
            for child in &children {
                self.ready.push_back(join(&parent, child));
            }
            for child in children.iter().rev() {
                self.to_expand.push(join(&parent, child));
            }
        }
    }

    /// The watches set so far (the caller keeps them to print their events).
    pub fn take_watchers(&mut self) -> Vec<OneshotWatcher> {
        std::mem::take(&mut self.watchers)
    }
}

/// How a recursive delete ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// Every node of the subtree was deleted.
    Deleted,
    /// A batch was refused (for example by an ACL); some nodes remain.
    Incomplete,
}

/// Deletes `root` and its descendants, leaves first, `batch_size` deletes per multi request
/// (a size of 0 or less puts everything in one request).
///
/// Fails only when the subtree cannot be listed (for example `NoNode` for the root).
pub async fn delete_subtree(
    client: &Client,
    root: &str,
    batch_size: i32,
) -> Result<DeleteOutcome, Error> {
    let paths = list_subtree(client, root).await?;
    let batch_size = usize::try_from(batch_size)
        .ok()
        .filter(|size| *size > 0)
        .unwrap_or(paths.len().max(1));
    let mut leaves_first = paths.iter().rev().peekable();
    while leaves_first.peek().is_some() {
        let mut writer = client.new_multi_writer();
        for path in leaves_first.by_ref().take(batch_size) {
            if writer.add_delete(path, None).is_err() {
                return Ok(DeleteOutcome::Incomplete);
            }
        }
        if writer.commit().await.is_err() {
            return Ok(DeleteOutcome::Incomplete);
        }
    }
    Ok(DeleteOutcome::Deleted)
}
