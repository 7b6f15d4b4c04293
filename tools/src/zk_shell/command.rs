//! From the words of a line to a typed command, with zkCli's checks and messages.
//!
//! [`classify`] sorts a line into shell-level commands (handled by the loop: `quit`, `connect`,
//! `history`, `redo`, `printwatches`), server commands, and unknown words. [`parse_command`]
//! turns a server command's words into a [`ServerCommand`], applying, in zkCli's order, option
//! parsing, argument counts (usage line), the old positional forms (`ls path watch`,
//! `delete path version`, with their deprecation notices), option values, ACL text and path
//! rules. Nothing here talks to a server.

use zookeeper_client::{Acl, AddWatchMode, CreateMode};

use super::acl::parse_acl;
use super::keeper::{generic_message, KeeperCode};
use super::options::{parse_options, OptionSpec, ParsedOptions};
use super::path::{validate_path, validate_sequential_path};
use crate::error::CliError;

/// Largest TTL a node can carry, in milliseconds (five bytes of the ephemeral-owner field).
pub const MAX_TTL_MILLIS: i64 = 0xff_ffff_ffff;

/// Usage line of every command, sorted by name as `help` prints them.
pub const USAGES: [(&str, &str); 23] = [
    ("addWatch", "[-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE"),
    ("addauth", "scheme auth"),
    ("close", ""),
    ("config", "[-c] [-w] [-s]"),
    ("connect", "host:port"),
    ("create", "[-s] [-e] [-c] [-t ttl] path [data] [acl]"),
    ("delete", "[-v version] path"),
    ("deleteall", "path [-b batch size]"),
    ("get", "[-s] [-w] path"),
    ("getAcl", "[-s] path"),
    ("getAllChildrenNumber", "path"),
    ("getEphemerals", "path"),
    ("history", ""),
    ("ls", "[-s] [-w] [-R] path"),
    ("printwatches", "on|off"),
    ("quit", ""),
    ("redo", "cmdno"),
    ("set", "[-s] [-v version] path data"),
    ("setAcl", "[-s] [-v version] [-R] path acl"),
    ("stat", "[-w] path"),
    ("sync", "path"),
    ("version", ""),
    ("whoami", ""),
];

/// The usage block printed for an unknown command (the caller writes it to stderr).
pub fn usage_block() -> String {
    let mut text = String::from(
        "ZooKeeper -server host:port -client-configuration properties-file cmd args\n",
    );
    let mut sorted: Vec<&(&str, &str)> = USAGES.iter().collect();
    sorted.sort_by(|left, right| left.0.cmp(right.0));
    for (name, options) in sorted {
        text.push_str(&format!("\t{name} {options}\n"));
    }
    text
}

/// The usage line of one command (`name options`).
fn usage(name: &str) -> CliError {
    let options = USAGES
        .iter()
        .find(|(known, _)| *known == name)
        .map_or("", |(_, options)| *options);
    CliError::Usage {
        usage: format!("{name} {options}"),
    }
}

/// Commands the shell loop handles itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellCommand {
    Quit,
    /// Reconnect, to `server` or to the current one.
    Connect {
        server: Option<String>,
    },
    History,
    /// Run history entry `index` again; `None` when no index was given (which does nothing).
    Redo {
        index: Option<String>,
    },
    /// Show (`None`) or set the printing of watch events.
    PrintWatches {
        setting: Option<String>,
    },
}

/// How a line is handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Shell(ShellCommand),
    /// A command that needs a session; its words, name first.
    Server(Vec<String>),
    /// The first word names no command.
    Unknown(String),
}

/// Sorts `words` (non-empty) by how they are handled.
pub fn classify(words: &[String]) -> Line {
    let Some(name) = words.first() else {
        return Line::Unknown(String::new());
    };
    let second = words.get(1).cloned();
    match name.as_str() {
        "quit" => Line::Shell(ShellCommand::Quit),
        "connect" => Line::Shell(ShellCommand::Connect { server: second }),
        "history" => Line::Shell(ShellCommand::History),
        "redo" => Line::Shell(ShellCommand::Redo { index: second }),
        "printwatches" => Line::Shell(ShellCommand::PrintWatches { setting: second }),
        known if USAGES.iter().any(|(usage_name, _)| *usage_name == known) => {
            Line::Server(words.to_vec())
        }
        _ => Line::Unknown(name.clone()),
    }
}

/// The kind of node `create` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeKind {
    pub mode: CreateMode,
    /// Time to live in milliseconds, for persistent nodes created with `-t`.
    pub ttl_millis: Option<i64>,
}

/// A command that needs a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerCommand {
    Ls {
        path: String,
        stat: bool,
        watch: bool,
        recursive: bool,
    },
    Get {
        path: String,
        stat: bool,
        watch: bool,
    },
    Stat {
        path: String,
        watch: bool,
    },
    Create {
        path: String,
        data: Vec<u8>,
        acl: Option<Vec<Acl>>,
        kind: NodeKind,
    },
    Set {
        path: String,
        data: Vec<u8>,
        version: Option<i32>,
        stat: bool,
    },
    Delete {
        path: String,
        version: Option<i32>,
    },
    DeleteAll {
        path: String,
        batch: i32,
    },
    GetAcl {
        path: String,
        stat: bool,
    },
    SetAcl {
        path: String,
        acl: Vec<Acl>,
        version: Option<i32>,
        stat: bool,
        recursive: bool,
    },
    AddAuth {
        scheme: String,
        auth: Vec<u8>,
    },
    Sync {
        path: String,
    },
    GetAllChildrenNumber {
        path: String,
    },
    GetEphemerals {
        path: String,
    },
    WhoAmI,
    Config {
        client_string: bool,
        watch: bool,
        stat: bool,
    },
    AddWatch {
        path: String,
        mode: AddWatchMode,
    },
    Version,
    Close,
}

/// A parsed server command, with the notices zkCli prints on stderr while parsing (skipped ACL
/// parts, deprecated forms) even when parsing then fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub notices: Vec<String>,
    pub outcome: Result<ServerCommand, CliError>,
}

/// Batch size of `deleteall` when `-b` is not given.
pub const DEFAULT_DELETE_BATCH: i32 = 1000;

/// Parses the words of a server command (name first).
pub fn parse_command(words: &[String]) -> Parsed {
    let mut notices = Vec::new();
    let outcome = parse_into(words, &mut notices);
    Parsed { notices, outcome }
}

fn parse_into(words: &[String], notices: &mut Vec<String>) -> Result<ServerCommand, CliError> {
    let name = words.first().map(String::as_str).unwrap_or_default();
    let flag = OptionSpec::flag;
    let valued = OptionSpec::valued;
    match name {
        "ls" => {
            let options = parse_options(words, &[flag('s'), flag('w'), flag('R'), flag('?')])?;
            let path = required(&options, 1, name)?;
            let watch = options.has('w')
                || deprecated_watch(
                    &options,
                    "'ls path [watch]' has been deprecated. Please use 'ls [-w] path' instead.",
                    notices,
                );
            checked(&path)?;
            Ok(ServerCommand::Ls {
                path,
                stat: options.has('s'),
                watch,
                recursive: options.has('R'),
            })
        }
        "get" => {
            let options = parse_options(words, &[flag('s'), flag('w')])?;
            let path = required(&options, 1, name)?;
            let watch = options.has('w') || deprecated_watch(&options, "'get path [watch]' has been deprecated. Please use 'get [-s] [-w] path' instead.", notices);
            checked(&path)?;
            Ok(ServerCommand::Get {
                path,
                stat: options.has('s'),
                watch,
            })
        }
        "stat" => {
            let options = parse_options(words, &[flag('w')])?;
            let path = required(&options, 1, name)?;
            let watch = options.has('w')
                || deprecated_watch(
                    &options,
                    "'stat path [watch]' has been deprecated. Please use 'stat [-w] path' instead.",
                    notices,
                );
            checked(&path)?;
            Ok(ServerCommand::Stat { path, watch })
        }
        "create" => parse_create(words, notices),
        "set" => {
            let options = parse_options(words, &[flag('s'), valued('v')])?;
            if options.args.len() < 3 {
                return Err(usage(name));
            }
            let path = required(&options, 1, name)?;
            let data = options.arg(2).unwrap_or_default().as_bytes().to_vec();
            let version = options
                .value('v')
                .map(|text| parse_int(text, 'v'))
                .transpose()?;
            checked(&path)?;
            Ok(ServerCommand::Set {
                path,
                data,
                version,
                stat: options.has('s'),
            })
        }
        "delete" => {
            let options = parse_options(words, &[valued('v')])?;
            let path = required(&options, 1, name)?;
            let mut version = options
                .value('v')
                .map(|text| parse_int(text, 'v'))
                .transpose()?;
            if let Some(positional) = options.arg(2) {
                notices.push("'delete path [version]' has been deprecated. Please use 'delete [-v version] path' instead.".to_string());
                version = Some(parse_int(positional, 'v')?);
            }
            checked(&path)?;
            Ok(ServerCommand::Delete { path, version })
        }
        "deleteall" => {
            let options = parse_options(words, &[valued('b')])?;
            let path = required(&options, 1, name)?;
            let batch = match options.value('b') {
                Some(text) => text
                    .parse::<i32>()
                    .map_err(|_| CliError::MalformedCommand {
                        reason: "-b argument must be an int value".to_string(),
                    })?,
                None => DEFAULT_DELETE_BATCH,
            };
            checked(&path)?;
            Ok(ServerCommand::DeleteAll { path, batch })
        }
        "getAcl" => {
            let options = parse_options(words, &[flag('s')])?;
            let path = required(&options, 1, name)?;
            checked(&path)?;
            Ok(ServerCommand::GetAcl {
                path,
                stat: options.has('s'),
            })
        }
        "setAcl" => {
            let options = parse_options(words, &[flag('s'), valued('v'), flag('R')])?;
            if options.args.len() < 3 {
                return Err(usage(name));
            }
            let path = required(&options, 1, name)?;
            let parsed_acl = parse_acl(options.arg(2).unwrap_or_default());
            notices.extend(parsed_acl.notices);
            let version = options
                .value('v')
                .map(|text| parse_int(text, 'v'))
                .transpose()?;
            checked(&path)?;
            if parsed_acl.acls.is_empty() {
                return Err(CliError::Keeper {
                    code: KeeperCode::InvalidAcl,
                    path: None,
                });
            }
            Ok(ServerCommand::SetAcl {
                path,
                acl: parsed_acl.acls,
                version,
                stat: options.has('s'),
                recursive: options.has('R'),
            })
        }
        "addauth" => {
            let options = parse_options(words, &[])?;
            let scheme = required(&options, 1, name)?;
            let auth = options.arg(2).unwrap_or_default().as_bytes().to_vec();
            Ok(ServerCommand::AddAuth { scheme, auth })
        }
        "sync" => {
            let options = parse_options(words, &[])?;
            let path = required(&options, 1, name)?;
            checked(&path)?;
            Ok(ServerCommand::Sync { path })
        }
        "getAllChildrenNumber" => {
            let options = parse_options(words, &[])?;
            let path = required(&options, 1, name)?;
            checked(&path)?;
            Ok(ServerCommand::GetAllChildrenNumber { path })
        }
        "getEphemerals" => {
            let options = parse_options(words, &[])?;
            let path = options.arg(1).unwrap_or("/").to_string();
            checked(&path)?;
            Ok(ServerCommand::GetEphemerals { path })
        }
        "whoami" => {
            parse_options(words, &[])?;
            Ok(ServerCommand::WhoAmI)
        }
        "config" => {
            let options = parse_options(words, &[flag('c'), flag('w'), flag('s')])?;
            Ok(ServerCommand::Config {
                client_string: options.has('c'),
                watch: options.has('w'),
                stat: options.has('s'),
            })
        }
        "addWatch" => {
            let options = parse_options(words, &[valued('m')])?;
            let path = required(&options, 1, name)?;
            let mode = match options.value('m') {
                None => AddWatchMode::PersistentRecursive,
                Some(text) if text.eq_ignore_ascii_case("PERSISTENT") => AddWatchMode::Persistent,
                Some(text) if text.eq_ignore_ascii_case("PERSISTENT_RECURSIVE") => {
                    AddWatchMode::PersistentRecursive
                }
                // zkCli answers an unknown mode with the usage line.
                Some(_) => return Err(usage(name)),
            };
            checked(&path)?;
            Ok(ServerCommand::AddWatch { path, mode })
        }
        "version" => {
            let options = parse_options(words, &[])?;
            if options.args.len() > 1 {
                return Err(usage(name));
            }
            Ok(ServerCommand::Version)
        }
        "close" => {
            parse_options(words, &[])?;
            Ok(ServerCommand::Close)
        }
        other => Err(CliError::CommandNotFound {
            command: other.to_string(),
        }),
    }
}

fn parse_create(words: &[String], notices: &mut Vec<String>) -> Result<ServerCommand, CliError> {
    let flag = OptionSpec::flag;
    let options = parse_options(
        words,
        &[flag('s'), flag('e'), flag('c'), OptionSpec::valued('t')],
    )?;
    let path = required(&options, 1, "create")?;
    let (ephemeral, sequential, container) = (options.has('e'), options.has('s'), options.has('c'));
    if container && (ephemeral || sequential) {
        return Err(malformed(
            "-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.",
        ));
    }
    let ttl_millis = match options.value('t') {
        Some(text) => Some(
            text.parse::<i64>()
                .map_err(|_| malformed("-t argument must be a long value"))?,
        ),
        None => None,
    };
    if ttl_millis.is_some() && ephemeral {
        return Err(malformed("TTLs cannot be used with Ephemeral znodes"));
    }
    if ttl_millis.is_some() && container {
        return Err(malformed("TTLs cannot be used with Container znodes"));
    }
    let mode = match (ephemeral, sequential, container) {
        (true, true, _) => CreateMode::EphemeralSequential,
        (true, false, _) => CreateMode::Ephemeral,
        (false, true, _) => CreateMode::PersistentSequential,
        (false, false, true) => CreateMode::Container,
        (false, false, false) => CreateMode::Persistent,
    };
    if let Some(ttl) = ttl_millis {
        if ttl <= 0 || ttl > MAX_TTL_MILLIS {
            return Err(malformed(&format!(
                "ttl must be positive and cannot be larger than: {MAX_TTL_MILLIS}"
            )));
        }
    }
    let data = options
        .arg(2)
        .map(|text| text.as_bytes().to_vec())
        .unwrap_or_default();
    let acl = match options.arg(3) {
        Some(text) => {
            let parsed = parse_acl(text);
            notices.extend(parsed.notices);
            Some(parsed.acls)
        }
        None => None,
    };
    let path_check = if sequential {
        validate_sequential_path(&path)
    } else {
        validate_path(&path)
    };
    path_check.map_err(|reason| CliError::MalformedPath { reason })?;
    if acl.as_ref().is_some_and(Vec::is_empty) {
        notices.push(generic_message(KeeperCode::InvalidAcl, None));
        return Err(CliError::Keeper {
            code: KeeperCode::InvalidAcl,
            path: None,
        });
    }
    Ok(ServerCommand::Create {
        path,
        data,
        acl,
        kind: NodeKind { mode, ttl_millis },
    })
}

fn malformed(reason: &str) -> CliError {
    CliError::MalformedCommand {
        reason: reason.to_string(),
    }
}

/// Argument `index`, or the command's usage line when it is missing.
fn required(options: &ParsedOptions, index: usize, name: &str) -> Result<String, CliError> {
    options
        .arg(index)
        .map(str::to_string)
        .ok_or_else(|| usage(name))
}

/// The old `cmd path watch` form: any third argument turns the watch on, with a notice.
fn deprecated_watch(options: &ParsedOptions, notice: &str, notices: &mut Vec<String>) -> bool {
    if options.args.len() > 2 {
        notices.push(notice.to_string());
        return true;
    }
    false
}

fn checked(path: &str) -> Result<(), CliError> {
    validate_path(path).map_err(|reason| CliError::MalformedPath { reason })
}

fn parse_int(text: &str, letter: char) -> Result<i32, CliError> {
    text.parse::<i32>().map_err(|_| CliError::MalformedCommand {
        reason: format!("-{letter} argument must be an int value"),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use zookeeper_client::{AuthId, Permission};

    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_string).collect()
    }

    fn parse(line: &str) -> Parsed {
        parse_command(&words(line))
    }

    fn command(line: &str) -> ServerCommand {
        let parsed = parse(line);
        assert!(parsed.notices.is_empty(), "{:?}", parsed.notices);
        parsed.outcome.unwrap()
    }

    fn error(line: &str) -> String {
        parse(line).outcome.unwrap_err().to_string()
    }

    #[test]
    fn classify_separates_shell_server_and_unknown() {
        assert_eq!(classify(&words("quit")), Line::Shell(ShellCommand::Quit));
        assert_eq!(
            classify(&words("connect h:1")),
            Line::Shell(ShellCommand::Connect {
                server: Some("h:1".to_string())
            })
        );
        assert_eq!(
            classify(&words("redo")),
            Line::Shell(ShellCommand::Redo { index: None })
        );
        assert_eq!(classify(&words("ls /")), Line::Server(words("ls /")));
        assert_eq!(classify(&words("help")), Line::Unknown("help".to_string()));
    }

    #[test]
    fn usage_block_lists_commands_sorted_like_zkcli() {
        let block = usage_block();
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(
            lines[0],
            "ZooKeeper -server host:port -client-configuration properties-file cmd args"
        );
        assert!(lines[1].starts_with("\taddWatch [-m mode] path"));
        assert_eq!(lines[2], "\taddauth scheme auth");
        assert_eq!(lines[3], "\tclose ");
        assert!(lines.contains(&"\tls [-s] [-w] [-R] path"));
        assert_eq!(*lines.last().unwrap(), "\twhoami ");
    }

    #[test]
    fn ls_get_stat_flags_and_deprecated_watch() {
        assert_eq!(
            command("ls -s -w -R /a"),
            ServerCommand::Ls {
                path: "/a".to_string(),
                stat: true,
                watch: true,
                recursive: true
            }
        );
        assert_eq!(
            command("get -s /a"),
            ServerCommand::Get {
                path: "/a".to_string(),
                stat: true,
                watch: false
            }
        );
        let parsed = parse("ls / true");
        assert_eq!(
            parsed.notices,
            ["'ls path [watch]' has been deprecated. Please use 'ls [-w] path' instead."]
        );
        assert_eq!(
            parsed.outcome.unwrap(),
            ServerCommand::Ls {
                path: "/".to_string(),
                stat: false,
                watch: true,
                recursive: false
            }
        );
        let parsed = parse("stat / x");
        assert_eq!(
            parsed.outcome.unwrap(),
            ServerCommand::Stat {
                path: "/".to_string(),
                watch: true
            }
        );
    }

    #[test]
    fn missing_arguments_print_usage() {
        assert_eq!(error("ls"), "ls [-s] [-w] [-R] path");
        assert_eq!(error("get -s -w"), "get [-s] [-w] path");
        assert_eq!(error("set /a"), "set [-s] [-v version] path data");
        assert_eq!(error("setAcl /a"), "setAcl [-s] [-v version] [-R] path acl");
        assert_eq!(
            error("create"),
            "create [-s] [-e] [-c] [-t ttl] path [data] [acl]"
        );
        assert_eq!(error("deleteall"), "deleteall path [-b batch size]");
        assert_eq!(error("sync"), "sync path");
        assert_eq!(error("version x"), "version ");
        assert_eq!(parse("ls").outcome.unwrap_err().exit_code(), 1);
    }

    #[test]
    fn bad_paths_are_reported_before_any_request() {
        assert_eq!(error("ls a"), "Path must start with / character");
        assert_eq!(error("ls /a/"), "Path must not end with / character");
        assert_eq!(
            error("getEphemerals //"),
            "Path must not end with / character"
        );
    }

    #[test]
    fn create_modes_and_their_conflicts() {
        let create = |line: &str| match command(line) {
            ServerCommand::Create { kind, .. } => kind,
            other => panic!("{other:?}"),
        };
        assert_eq!(create("create /a").mode, CreateMode::Persistent);
        assert_eq!(create("create -e /a").mode, CreateMode::Ephemeral);
        assert_eq!(
            create("create -s -e /a").mode,
            CreateMode::EphemeralSequential
        );
        assert_eq!(
            create("create -s /a/").mode,
            CreateMode::PersistentSequential
        );
        assert_eq!(create("create -c /a").mode, CreateMode::Container);
        assert_eq!(
            create("create -t 100 -s /a"),
            NodeKind {
                mode: CreateMode::PersistentSequential,
                ttl_millis: Some(100)
            }
        );
        assert_eq!(
            error("create -c -s /cc"),
            "-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential."
        );
        assert_eq!(
            error("create -t 10 -c /cc"),
            "TTLs cannot be used with Container znodes"
        );
        assert_eq!(
            error("create -t 10 -e /cc"),
            "TTLs cannot be used with Ephemeral znodes"
        );
        assert_eq!(
            error("create -t abc -e /cc"),
            "-t argument must be a long value"
        );
        assert_eq!(
            error("create -t 0 /x"),
            "ttl must be positive and cannot be larger than: 1099511627775"
        );
        assert_eq!(
            error("create -t 1099511627776 /x"),
            "ttl must be positive and cannot be larger than: 1099511627775"
        );
    }

    #[test]
    fn create_data_and_acl() {
        let ServerCommand::Create { data, acl, .. } = command("create /a hello world:anyone:r")
        else {
            panic!()
        };
        assert_eq!(data, b"hello");
        assert_eq!(
            acl,
            Some(vec![Acl::new(
                Permission::READ,
                AuthId::new("world", "anyone")
            )])
        );
        let ServerCommand::Create { data, acl, .. } = command("create /a") else {
            panic!()
        };
        assert!(data.is_empty());
        assert_eq!(acl, None);
    }

    #[test]
    fn create_with_unusable_acl_fails_like_zkcli() {
        let parsed = parse("create /x y z");
        assert_eq!(
            parsed.notices,
            [
                "z does not have the form scheme:id:perm",
                "KeeperErrorCode = InvalidACL"
            ]
        );
        assert_eq!(
            parsed.outcome.unwrap_err().to_string(),
            "Acl is not valid : null"
        );
        let parsed = parse("setAcl /a bogus");
        assert_eq!(
            parsed.notices,
            ["bogus does not have the form scheme:id:perm"]
        );
        assert_eq!(
            parsed.outcome.unwrap_err().to_string(),
            "Acl is not valid : null"
        );
    }

    #[test]
    fn versions_and_batches() {
        assert_eq!(
            command("set -v 3 /a x"),
            ServerCommand::Set {
                path: "/a".to_string(),
                data: b"x".to_vec(),
                version: Some(3),
                stat: false
            }
        );
        assert_eq!(
            command("delete -v -1 /a"),
            ServerCommand::Delete {
                path: "/a".to_string(),
                version: Some(-1)
            }
        );
        let parsed = parse("delete /a 7");
        assert_eq!(parsed.notices, ["'delete path [version]' has been deprecated. Please use 'delete [-v version] path' instead."]);
        assert_eq!(
            parsed.outcome.unwrap(),
            ServerCommand::Delete {
                path: "/a".to_string(),
                version: Some(7)
            }
        );
        assert_eq!(error("set -v abc /a x"), "-v argument must be an int value");
        assert_eq!(
            command("deleteall /a -b 5"),
            ServerCommand::DeleteAll {
                path: "/a".to_string(),
                batch: 5
            }
        );
        assert_eq!(
            command("deleteall /a"),
            ServerCommand::DeleteAll {
                path: "/a".to_string(),
                batch: 1000
            }
        );
        assert_eq!(
            error("deleteall /nope -b x"),
            "-b argument must be an int value"
        );
    }

    #[test]
    fn set_acl_options() {
        let parsed = command("setAcl -R -s -v 2 /a world:anyone:cdrwa");
        assert_eq!(
            parsed,
            ServerCommand::SetAcl {
                path: "/a".to_string(),
                acl: vec![Acl::new(Permission::ALL, AuthId::new("world", "anyone"))],
                version: Some(2),
                stat: true,
                recursive: true,
            }
        );
    }

    #[test]
    fn small_commands() {
        assert_eq!(
            command("getEphemerals"),
            ServerCommand::GetEphemerals {
                path: "/".to_string()
            }
        );
        assert_eq!(command("whoami"), ServerCommand::WhoAmI);
        assert_eq!(
            command("addauth digest bob:pw"),
            ServerCommand::AddAuth {
                scheme: "digest".to_string(),
                auth: b"bob:pw".to_vec()
            }
        );
        assert_eq!(error("addauth"), "addauth scheme auth");
        assert_eq!(
            command("config -c -s"),
            ServerCommand::Config {
                client_string: true,
                watch: false,
                stat: true
            }
        );
        assert_eq!(
            command("addWatch -m PERSISTENT /a"),
            ServerCommand::AddWatch {
                path: "/a".to_string(),
                mode: AddWatchMode::Persistent
            }
        );
        assert_eq!(
            command("addWatch /a"),
            ServerCommand::AddWatch {
                path: "/a".to_string(),
                mode: AddWatchMode::PersistentRecursive
            }
        );
        assert!(error("addWatch -m bogus /a")
            .starts_with("addWatch [-m mode] path # optional mode is one of"));
        assert_eq!(
            error("sync -x /"),
            "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -x"
        );
    }
}
