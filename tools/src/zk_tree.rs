//! Whole-subtree operations over a `zookeeper_client::Client`.
//!
//! - [`list_subtree`]: every path under a root, breadth first (the root, then its children,
//!   then theirs), each node's children sorted — the order of `ls -R` and of `deleteall`.
//! - [`delete_subtree`]: deletes a subtree leaves first, in multi requests of at most
//!   `batch_size` deletes each; the first refused batch stops the walk. Each batch is atomic on
//!   the server, so a refused batch deletes nothing and earlier batches stay deleted.
//!
//! Used by `zookeeper-shell` (`ls -R`, `setAcl -R`, `deleteall`) and by `zk-perf-test` to clean
//! up its root.

use zookeeper_client::{Client, Error, OneshotWatcher};

use crate::zk_shell::path::join;

/// Lists `root` and all its descendants, breadth first, children sorted.
pub async fn list_subtree(client: &Client, root: &str) -> Result<Vec<String>, Error> {
    let mut paths = vec![root.to_string()];
    let mut next = 0;
    while let Some(parent) = paths.get(next).cloned() {
        let mut children = client.list_children(&parent).await?;
        children.sort();
        for child in children {
            paths.push(join(&parent, &child));
        }
        next += 1;
    }
    Ok(paths)
}

/// Like [`list_subtree`], leaving a child watch on every listed node.
pub async fn list_subtree_watching(client: &Client, root: &str) -> Result<(Vec<String>, Vec<(String, OneshotWatcher)>), Error> {
    let mut paths = vec![root.to_string()];
    let mut watchers = Vec::new();
    let mut next = 0;
    while let Some(parent) = paths.get(next).cloned() {
        let (mut children, watcher) = client.list_and_watch_children(&parent).await?;
        watchers.push((parent.clone(), watcher));
        children.sort();
        for child in children {
            paths.push(join(&parent, &child));
        }
        next += 1;
    }
    Ok((paths, watchers))
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
pub async fn delete_subtree(client: &Client, root: &str, batch_size: i32) -> Result<DeleteOutcome, Error> {
    let paths = list_subtree(client, root).await?;
    let batch_size = usize::try_from(batch_size).ok().filter(|size| *size > 0).unwrap_or(paths.len().max(1));
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
