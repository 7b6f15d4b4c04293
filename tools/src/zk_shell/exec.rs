//! Running a parsed server command against the session and printing what zkCli prints.
//!
//! Output conventions (all observed on zkCli 3.8): results and stats on stdout; `Created <path>`,
//! notices and errors on stderr; children sorted; data printed as UTF-8 text. Watch events that
//! arrive together with a reply are printed before the reply's output (see `session`).
//!
//! Known difference: the client library hands data back without telling a null value from an
//! empty one, so empty data prints as `null` (zkCli prints `null` only for null data, which is
//! what `create /x` without data and Kafka's container znodes carry).

use std::time::Duration;

use zookeeper_client::{Acl, Acls, Client, CreateMode, Error as ClientError, Stat};

use super::acl::format_acl_entry;
use super::command::{NodeKind, ServerCommand};
use super::keeper::{generic_message, KeeperCode};
use super::session::ShellSession;
use super::shell::{Mode, Shell};
use super::stat::format_stat;
use crate::error::{CliError, SubtreeError};
use crate::zk_tree::{delete_subtree, DeleteOutcome, SubtreeWalk};

/// How long `sync` waits for its answer, as zkCli does.
const SYNC_WAIT: Duration = Duration::from_secs(30);

/// The line `version` prints.
pub const VERSION_LINE: &str = concat!(
    "ZooKeeper CLI version: 3.8.0-zookeeper-shell-",
    env!("CARGO_PKG_VERSION")
);

impl Shell {
    /// Executes `command` (already parsed and checked).
    pub(super) async fn execute(&mut self, command: ServerCommand) -> Result<(), CliError> {
        match command {
            ServerCommand::Version => {
                self.console.out_line(VERSION_LINE);
                Ok(())
            }
            ServerCommand::Close => {
                self.session
                    .close(self.mode == Mode::Interactive, &self.console)
                    .await;
                Ok(())
            }
            ServerCommand::Ls {
                path,
                stat,
                watch,
                recursive,
            } => self.ls(&path, stat, watch, recursive).await,
            ServerCommand::Get { path, stat, watch } => self.get(&path, stat, watch).await,
            ServerCommand::Stat { path, watch } => self.stat(&path, watch).await,
            ServerCommand::Create {
                path,
                data,
                acl,
                kind,
            } => self.create(&path, &data, acl, kind).await,
            ServerCommand::Set {
                path,
                data,
                version,
                stat,
            } => {
                let client = self.client_for(Some(&path)).await?;
                let result = client.set_data(&path, &data, version).await;
                self.session.settle(&self.console).await;
                let new_stat = result.map_err(|error| CliError::from_client(&error, &path))?;
                if stat {
                    self.print_stat(&new_stat);
                }
                Ok(())
            }
            ServerCommand::Delete { path, version } => {
                let client = self.client_for(Some(&path)).await?;
                let result = client.delete(&path, version).await;
                self.session.settle(&self.console).await;
                result.map_err(|error| CliError::from_client(&error, &path))
            }
            ServerCommand::DeleteAll { path, batch } => {
                let client = self.client_for(Some(&path)).await?;
                let result = delete_subtree(&client, &path, batch).await;
                self.session.settle(&self.console).await;
                match result.map_err(|error| CliError::from_client(&error, &path))? {
                    DeleteOutcome::Deleted => {}
                    DeleteOutcome::Incomplete => self
                        .console
                        .err_line("Failed to delete some node(s) in the subtree!"),
                }
                Ok(())
            }
            ServerCommand::GetAcl { path, stat } => {
                let client = self.client_for(Some(&path)).await?;
                let result = client.get_acl(&path).await;
                self.session.settle(&self.console).await;
                let (acls, node_stat) =
                    result.map_err(|error| CliError::from_client(&error, &path))?;
                for acl in &acls {
                    self.console.out_line(&format_acl_entry(acl));
                }
                if stat {
                    self.print_stat(&node_stat);
                }
                Ok(())
            }
            ServerCommand::SetAcl {
                path,
                acl,
                version,
                stat,
                recursive,
            } => self.set_acl(&path, &acl, version, stat, recursive).await,
            ServerCommand::AddAuth { scheme, auth } => {
                let client = self.client_for(None).await?;
                self.session.send_auth(&client, scheme, auth);
                Ok(())
            }
            ServerCommand::Sync { path } => {
                let client = self.client_for(Some(&path)).await?;
                let result = tokio::time::timeout(SYNC_WAIT, client.sync(&path)).await;
                self.session.settle(&self.console).await;
                match result {
                    Ok(Ok(())) => self.console.out_line("Sync is OK"),
                    Ok(Err(error)) => {
                        let code = KeeperCode::from_client_error(&error)
                            .unwrap_or(KeeperCode::SystemError);
                        self.console
                            .out_line(&format!("Sync has failed. rc={}", code.code()));
                    }
                    Err(_elapsed) => {
                        self.console.out_line(&format!(
                            "Sync has failed. rc={}",
                            KeeperCode::OperationTimeout.code()
                        ));
                    }
                }
                Ok(())
            }
            ServerCommand::GetAllChildrenNumber { path } => {
                let client = self.client_for(Some(&path)).await?;
                let result = client.count_descendants_number(&path).await;
                self.session.settle(&self.console).await;
                let count = result.map_err(|error| CliError::from_client(&error, &path))?;
                self.console.out_line(&count.to_string());
                Ok(())
            }
            ServerCommand::GetEphemerals { path } => {
                let client = self.client_for(Some(&path)).await?;
                let result = client.list_ephemerals(&path).await;
                self.session.settle(&self.console).await;
                let ephemerals = result.map_err(|error| CliError::from_client(&error, &path))?;
                self.console
                    .out_line(&format!("[{}]", ephemerals.join(", ")));
                Ok(())
            }
            ServerCommand::WhoAmI => {
                let client = self.client_for(None).await?;
                let result = client.list_auth_users().await;
                self.session.settle(&self.console).await;
                let users = result.map_err(|error| client_error_without_path(&error))?;
                self.console.out_line("Auth scheme: User");
                for user in users {
                    self.console
                        .out_line(&format!("{}: {}", user.scheme(), user.user()));
                }
                Ok(())
            }
            ServerCommand::Config {
                client_string,
                watch,
                stat,
            } => self.config(client_string, watch, stat).await,
            ServerCommand::AddWatch { path, mode } => {
                let client = self.client_for(Some(&path)).await?;
                let result = client.watch(&path, mode).await;
                match result {
                    Ok(watcher) => self.session.watch_persistently(watcher),
                    Err(error) => {
                        self.session.settle(&self.console).await;
                        return Err(CliError::from_client(&error, &path));
                    }
                }
                self.session.settle(&self.console).await;
                Ok(())
            }
        }
    }

    /// A client for the next request; `ConnectionLoss` (for `path`) when the server cannot be
    /// reached.
    async fn client_for(&mut self, path: Option<&str>) -> Result<Client, CliError> {
        let console = self.console;
        let session: &mut ShellSession = &mut self.session;
        session
            .live_client(&console)
            .await
            .ok_or_else(|| CliError::Keeper {
                code: KeeperCode::ConnectionLoss,
                path: path.map(str::to_string),
            })
    }

    fn print_stat(&self, stat: &Stat) {
        self.console.out(&format_stat(stat, &self.zone));
    }

    async fn ls(
        &mut self,
        path: &str,
        stat: bool,
        watch: bool,
        recursive: bool,
    ) -> Result<(), CliError> {
        let client = self.client_for(Some(path)).await?;
        if recursive {
            let outcome = self.walk(&client, path, watch, WalkAction::Print).await;
            self.session.settle(&self.console).await;
            return outcome;
        }
        let result = match (stat, watch) {
            (true, true) => {
                client
                    .get_and_watch_children(path)
                    .await
                    .map(|(children, stat, watcher)| {
                        self.session.watch_once(watcher);
                        (children, Some(stat))
                    })
            }
            (true, false) => client
                .get_children(path)
                .await
                .map(|(children, stat)| (children, Some(stat))),
            (false, true) => {
                client
                    .list_and_watch_children(path)
                    .await
                    .map(|(children, watcher)| {
                        self.session.watch_once(watcher);
                        (children, None)
                    })
            }
            (false, false) => client
                .list_children(path)
                .await
                .map(|children| (children, None)),
        };
        self.session.settle(&self.console).await;
        let (mut children, node_stat) =
            result.map_err(|error| CliError::from_client(&error, path))?;
        children.sort();
        self.console.out_line(&format!("[{}]", children.join(", ")));
        if let Some(node_stat) = node_stat {
            self.print_stat(&node_stat);
        }
        Ok(())
    }

    async fn get(&mut self, path: &str, stat: bool, watch: bool) -> Result<(), CliError> {
        let client = self.client_for(Some(path)).await?;
        let result = if watch {
            client
                .get_and_watch_data(path)
                .await
                .map(|(data, stat, watcher)| {
                    self.session.watch_once(watcher);
                    (data, stat)
                })
        } else {
            client.get_data(path).await
        };
        self.session.settle(&self.console).await;
        let (data, node_stat) = result.map_err(|error| CliError::from_client(&error, path))?;
        self.console.out_line(&data_text(&data));
        if stat {
            self.print_stat(&node_stat);
        }
        Ok(())
    }

    async fn stat(&mut self, path: &str, watch: bool) -> Result<(), CliError> {
        let client = self.client_for(Some(path)).await?;
        let result = if watch {
            client
                .check_and_watch_stat(path)
                .await
                .map(|(stat, watcher)| {
                    // An exists watch stays armed on a missing node and fires when it is created.
                    self.session.watch_once(watcher);
                    stat
                })
        } else {
            client.check_stat(path).await
        };
        self.session.settle(&self.console).await;
        match result.map_err(|error| CliError::from_client(&error, path))? {
            Some(node_stat) => {
                self.print_stat(&node_stat);
                Ok(())
            }
            None => Err(CliError::keeper(KeeperCode::NoNode, path)),
        }
    }

    async fn create(
        &mut self,
        path: &str,
        data: &[u8],
        acl: Option<Vec<Acl>>,
        kind: NodeKind,
    ) -> Result<(), CliError> {
        let client = self.client_for(Some(path)).await?;
        if path == "/"
            && kind.mode != CreateMode::PersistentSequential
            && kind.mode != CreateMode::EphemeralSequential
        {
            // The client library refuses to send this; the server's answer is known.
            let exists = client
                .check_stat("/")
                .await
                .map_err(|error| CliError::from_client(&error, path))?;
            let code = if exists.is_some() {
                KeeperCode::NodeExists
            } else {
                KeeperCode::BadArguments
            };
            return Err(CliError::keeper(code, path));
        }
        let acls = match &acl {
            Some(list) => Acls::new(list),
            None => Acls::anyone_all(),
        };
        let mut options = kind.mode.with_acls(acls);
        if let Some(ttl) = kind
            .ttl_millis
            .and_then(|millis| u64::try_from(millis).ok())
        {
            options = options.with_ttl(Duration::from_millis(ttl));
        }
        let result = client.create(path, data, &options).await;
        self.session.settle(&self.console).await;
        match result {
            Ok((_, sequence)) => {
                let sequential = matches!(
                    kind.mode,
                    CreateMode::PersistentSequential | CreateMode::EphemeralSequential
                );
                let created = if sequential {
                    format!("{path}{sequence}")
                } else {
                    path.to_string()
                };
                self.console.err_line(&format!("Created {created}"));
                Ok(())
            }
            Err(ClientError::InvalidAcl) => {
                self.console
                    .err_line(&generic_message(KeeperCode::InvalidAcl, Some(path)));
                Err(CliError::keeper(KeeperCode::InvalidAcl, path))
            }
            Err(error) => Err(CliError::from_client(&error, path)),
        }
    }

    async fn set_acl(
        &mut self,
        path: &str,
        acl: &[Acl],
        version: Option<i32>,
        stat: bool,
        recursive: bool,
    ) -> Result<(), CliError> {
        let client = self.client_for(Some(path)).await?;
        if !recursive {
            let result = client.set_acl(path, acl, version).await;
            self.session.settle(&self.console).await;
            let new_stat = result.map_err(|error| CliError::from_client(&error, path))?;
            if stat {
                self.print_stat(&new_stat);
            }
            return Ok(());
        }
        let outcome = self
            .walk(&client, path, false, WalkAction::SetAcl { acl, version })
            .await;
        self.session.settle(&self.console).await;
        outcome
    }

    /// Visits `root`'s subtree in zkCli's order, printing each path or setting its ACL as it is
    /// reached; a failed listing ends the walk with that node's error.
    async fn walk(
        &mut self,
        client: &Client,
        root: &str,
        watch: bool,
        action: WalkAction<'_>,
    ) -> Result<(), CliError> {
        let subtree_error = |error: SubtreeError| CliError::from_client(&error.source, &error.path);
        let mut walk = SubtreeWalk::start(client, root, watch)
            .await
            .map_err(subtree_error)?;
        let outcome = loop {
            let node = match walk.next().await {
                Ok(Some(node)) => node,
                Ok(None) => break Ok(()),
                Err(error) => break Err(subtree_error(error)),
            };
            match action {
                WalkAction::Print => self.console.out_line(&node),
                WalkAction::SetAcl { acl, version } => {
                    if let Err(error) = client.set_acl(&node, acl, version).await {
                        // zkCli prints these without a line break and carries on.
                        let code = KeeperCode::from_client_error(&error)
                            .unwrap_or(KeeperCode::SystemError);
                        self.console.out(&generic_message(code, Some(&node)));
                    }
                }
            }
        };
        for watcher in walk.take_watchers() {
            self.session.watch_once(watcher);
        }
        outcome
    }

    async fn config(
        &mut self,
        client_string: bool,
        watch: bool,
        stat: bool,
    ) -> Result<(), CliError> {
        const CONFIG_PATH: &str = "/zookeeper/config";
        let client = self.client_for(Some(CONFIG_PATH)).await?;
        let result = if watch {
            client
                .get_and_watch_config()
                .await
                .map(|(data, stat, watcher)| {
                    self.session.watch_once(watcher);
                    (data, stat)
                })
        } else {
            client.get_config().await
        };
        self.session.settle(&self.console).await;
        let (data, node_stat) =
            result.map_err(|error| CliError::from_client(&error, CONFIG_PATH))?;
        let text = String::from_utf8_lossy(&data);
        if client_string {
            self.console.out_line(&client_config_string(&text));
        } else {
            self.console.out_line(&text);
        }
        if stat {
            self.print_stat(&node_stat);
        }
        Ok(())
    }
}

/// What [`Shell::walk`] does at each node.
#[derive(Clone, Copy)]
enum WalkAction<'a> {
    Print,
    SetAcl {
        acl: &'a [Acl],
        version: Option<i32>,
    },
}

fn client_error_without_path(error: &ClientError) -> CliError {
    match KeeperCode::from_client_error(error) {
        Some(code) => CliError::Keeper { code, path: None },
        None => CliError::Client {
            message: error.to_string(),
        },
    }
}

/// Node data as `get` prints it: UTF-8 text, `null` when there is none.
pub fn data_text(data: &[u8]) -> String {
    if data.is_empty() {
        "null".to_string()
    } else {
        String::from_utf8_lossy(data).into_owned()
    }
}

/// `config -c`: the config version, a space, then the servers' client addresses joined by
/// commas (`host:port`; a bare client port takes the host of the server's quorum address).
pub fn client_config_string(config: &str) -> String {
    let mut version = "";
    let mut clients = Vec::new();
    for line in config.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if key == "version" {
            version = value;
        } else if key.starts_with("server.") {
            let Some((quorum, client)) = value.split_once(';') else {
                continue;
            };
            let client = client.trim();
            if client.contains(':') {
                clients.push(client.to_string());
            } else {
                let host = quorum.split(':').next().unwrap_or_default();
                clients.push(format!("{host}:{client}"));
            }
        }
    }
    format!("{version} {}", clients.join(","))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn data_prints_as_text_or_null() {
        assert_eq!(data_text(b"hello"), "hello");
        assert_eq!(data_text(b""), "null");
        assert_eq!(data_text(&[0x61, 0xff]), "a\u{fffd}");
    }

    #[test]
    fn client_config_string_lists_client_addresses() {
        assert_eq!(client_config_string(""), " ");
        let config = "server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181\nserver.2=10.0.0.2:2888:3888;2182\nversion=100000000";
        assert_eq!(
            client_config_string(config),
            "100000000 0.0.0.0:2181,10.0.0.2:2182"
        );
    }

    #[test]
    fn version_line_names_the_compatible_cli() {
        assert!(VERSION_LINE.starts_with("ZooKeeper CLI version: 3.8.0-"));
    }
}
