//! The process arguments of `zookeeper-shell`.
//!
//! Kafka's wrapper is `zookeeper-shell.sh host:port[/chroot] [command args…]`; it hands zkCli
//! `-server` followed by those arguments (arguments that start with an option are taken in
//! zkCli's own form, `-server host:port …`). zkCli then reads options until the first word that
//! does not start with `-`, which begins the command (run once) — no command means an
//! interactive shell. Recognised options: `-server host:port`, `-timeout ms` (requested session
//! timeout, 30000 by default), `-r` (accept a read-only server) and `-waitforconnection`
//! (accepted; commands always wait for the connection here). Other words starting with `-`
//! before the command are ignored, as zkCli ignores them.

use std::time::Duration;

/// Requested session timeout when `-timeout` is not given.
pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_millis(30_000);

/// The first line printed when no argument is given.
pub const USAGE: &str = "USAGE: zookeeper-shell zookeeper_host:port[/path] [args...]";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellArgs {
    /// `host:port[,host:port…][/chroot]`.
    pub server: String,
    pub session_timeout: Duration,
    pub readonly: bool,
    /// The command to run once, name first; `None` for an interactive shell.
    pub command: Option<Vec<String>>,
}

/// Parses the arguments after the program name; the error is the text to print before exiting
/// with status 1.
pub fn parse_args(arguments: &[String]) -> Result<ShellArgs, String> {
    if arguments.is_empty() {
        return Err(USAGE.to_string());
    }
    // Kafka's form puts the server first; zkCli's own form starts with options.
    let starts_with_option = arguments
        .first()
        .is_some_and(|first| first.starts_with('-'));
    let mut words = if starts_with_option {
        Vec::new()
    } else {
        vec!["-server".to_string()]
    };
    words.extend(arguments.iter().cloned());
    let mut parsed = ShellArgs {
        server: "localhost:2181".to_string(),
        session_timeout: DEFAULT_SESSION_TIMEOUT,
        readonly: false,
        command: None,
    };
    let mut remaining = words.into_iter();
    while let Some(word) = remaining.next() {
        match word.as_str() {
            "-server" => {
                parsed.server = remaining
                    .next()
                    .ok_or("Error: no argument found for option -server")?;
            }
            "-timeout" => {
                let value = remaining
                    .next()
                    .ok_or("Error: no argument found for option -timeout")?;
                let millis: u64 = value
                    .parse()
                    .map_err(|_| format!("Error: -timeout needs milliseconds, got {value}"))?;
                parsed.session_timeout = Duration::from_millis(millis);
            }
            "-r" => parsed.readonly = true,
            "-zk-tls-config-file" | "-client-configuration" => {
                return Err(format!(
                    "Error: {word} is not supported: this shell connects without TLS or SASL"
                ));
            }
            _ if word.starts_with('-') => {}
            _ => {
                let mut command = vec![word];
                command.extend(remaining.by_ref());
                parsed.command = Some(command);
            }
        }
    }
    Ok(parsed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split(' ')
            .filter(|word| !word.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn kafka_form_server_then_command() {
        let parsed = parse_args(&args("localhost:2181/kafka ls /brokers/ids")).unwrap();
        assert_eq!(parsed.server, "localhost:2181/kafka");
        assert_eq!(parsed.command, Some(args("ls /brokers/ids")));
        assert_eq!(parsed.session_timeout, DEFAULT_SESSION_TIMEOUT);
        assert!(!parsed.readonly);
    }

    #[test]
    fn no_command_is_interactive() {
        let parsed = parse_args(&args("127.0.0.1:2181")).unwrap();
        assert_eq!(parsed.command, None);
    }

    #[test]
    fn zkcli_options_before_the_command() {
        let parsed = parse_args(&args("h:1 -timeout 5000 -r get -s /a")).unwrap();
        assert_eq!(parsed.session_timeout, Duration::from_millis(5000));
        assert!(parsed.readonly);
        assert_eq!(parsed.command, Some(args("get -s /a")));
        let parsed = parse_args(&args("-server h:2 create /x -1")).unwrap();
        assert_eq!(parsed.server, "h:2");
        assert_eq!(parsed.command, Some(args("create /x -1")));
    }

    #[test]
    fn errors_for_missing_or_bad_values() {
        assert_eq!(parse_args(&[]).unwrap_err(), USAGE);
        assert!(parse_args(&args("h:1 -timeout")).is_err());
        assert!(parse_args(&args("h:1 -timeout soon")).is_err());
        assert!(parse_args(&args("h:1 -zk-tls-config-file x.properties")).is_err());
    }
}
