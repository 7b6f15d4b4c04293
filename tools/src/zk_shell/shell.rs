//! The command processor: one line or one argument list in, zkCli's output and exit status out.
//!
//! [`Shell::execute_line`] is the interactive path (history, tokenizing, empty lines ignored);
//! [`Shell::execute_words`] runs one command, the one-shot path. Both follow zkCli's order:
//! unknown commands print the usage block; shell-level commands (`quit`, `connect`,
//! `history`, `redo`, `printwatches`) run without a session; everything else first needs a live
//! session ("Not connected" otherwise), then is parsed (see `command`) and executed (see
//! `exec`). The exit status of the process is that of the last command: 0, 1 for a failure,
//! 127 for an unknown command. `quit` exits with the status of the command before it.

use super::command::{classify, parse_command, usage_block, Line, ShellCommand};
use super::console::Console;
use super::local_time::LocalZone;
use super::session::ShellSession;
use super::tokenize::split_line;
use crate::error::CliError;

/// Whether the shell reads lines or runs the command given on its command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Interactive,
    OneShot,
}

/// What the caller does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Leave the process with this status (`quit`).
    Exit(i32),
}

/// The command processor (see the module documentation).
pub struct Shell {
    pub(super) session: ShellSession,
    pub(super) zone: LocalZone,
    pub(super) console: Console,
    pub(super) mode: Mode,
    history: Vec<String>,
    exit_code: i32,
}

impl Shell {
    /// A shell over `session`, printing times in `zone`.
    pub fn new(session: ShellSession, zone: LocalZone, mode: Mode) -> Shell {
        Shell {
            session,
            zone,
            console: Console,
            mode,
            history: Vec::new(),
            exit_code: 0,
        }
    }

    /// The status of the last command.
    pub fn exit_code(&self) -> i32 {
        self.exit_code
    }

    /// The session (for the prompt and the event loop).
    pub fn session_mut(&mut self) -> &mut ShellSession {
        &mut self.session
    }

    /// The prompt shown before each line on a terminal: `[zk: host:port(CONNECTED) 0] `.
    pub fn prompt(&self) -> String {
        format!(
            "[zk: {}({}) {}] ",
            self.session.server(),
            self.session.prompt_state(),
            self.history.len()
        )
    }

    /// Runs one input line. Empty lines are ignored and not counted.
    pub async fn execute_line(&mut self, line: &str) -> Flow {
        if line.is_empty() {
            return Flow::Continue;
        }
        self.history.push(line.to_string());
        let words = split_line(line);
        if words.is_empty() {
            return Flow::Continue;
        }
        self.execute_words(words).await
    }

    /// Runs one command given as words, name first, and records its exit status.
    pub async fn execute_words(&mut self, words: Vec<String>) -> Flow {
        match self.dispatch(words).await {
            Ok(flow) => {
                self.exit_code = 0;
                flow
            }
            Err(error) => {
                self.exit_code = error.exit_code();
                self.console.err_line(&error.to_string());
                Flow::Continue
            }
        }
    }

    /// Closes the session at the end of input, without printing the `Closed` event (zkCli just
    /// exits; closing lets the server drop this session's ephemerals at once).
    pub async fn finish(&mut self) {
        self.session.close(false, &self.console).await;
    }

    async fn dispatch(&mut self, words: Vec<String>) -> Result<Flow, CliError> {
        let line = classify(&words);
        let shell_command = match line {
            Line::Unknown(command) => {
                self.console.err(&usage_block());
                return Err(CliError::CommandNotFound { command });
            }
            Line::Server(words) => {
                return self.server_command(words).await.map(|()| Flow::Continue)
            }
            Line::Shell(command) => command,
        };
        match shell_command {
            ShellCommand::Quit => {
                self.session.close(true, &self.console).await;
                return Ok(Flow::Exit(self.exit_code));
            }
            ShellCommand::Connect { server } => {
                if self.mode == Mode::OneShot {
                    // The one-shot process exits right after; zkCli only gets to print the close.
                    self.session.close(true, &self.console).await;
                    return Ok(Flow::Continue);
                }
                self.session.reconnect(server, &self.console).await;
            }
            ShellCommand::History => {
                let first = self.history.len().saturating_sub(11);
                for (index, line) in self.history.iter().enumerate().skip(first) {
                    self.console.out_line(&format!("{index} - {line}"));
                }
            }
            ShellCommand::Redo { index: Some(text) } => {
                let flow = self.redo(&text).await?;
                if flow != Flow::Continue {
                    return Ok(flow);
                }
            }
            ShellCommand::Redo { index: None } => {}
            ShellCommand::PrintWatches { setting: None } => {
                let state = if self.session.print_watches() {
                    "on"
                } else {
                    "off"
                };
                self.console.out_line(&format!("printwatches is {state}"));
            }
            ShellCommand::PrintWatches {
                setting: Some(setting),
            } => {
                self.session.set_print_watches(setting == "on");
            }
        }
        // zkCli checks the session after its own commands too.
        if !self.session.is_alive() {
            self.console.out_line("Not connected");
        }
        Ok(Flow::Continue)
    }

    async fn redo(&mut self, text: &str) -> Result<Flow, CliError> {
        let current = self.history.len().saturating_sub(1);
        let index = parse_history_index(text)?;
        let line = usize::try_from(index)
            .ok()
            .filter(|index| *index < current)
            .and_then(|index| self.history.get(index).cloned())
            .ok_or_else(|| CliError::MalformedCommand {
                reason: "Command index out of range".to_string(),
            })?;
        let words = split_line(&line);
        if words.first().map(String::as_str) == Some("redo") {
            return Err(CliError::MalformedCommand {
                reason: "No redoing redos".to_string(),
            });
        }
        if let Some(entry) = self.history.get_mut(current) {
            *entry = line;
        }
        Ok(Box::pin(self.execute_words(words)).await)
    }

    async fn server_command(&mut self, words: Vec<String>) -> Result<(), CliError> {
        if !self.session.is_alive() {
            self.console.out_line("Not connected");
            return Ok(());
        }
        let parsed = parse_command(&words);
        for notice in &parsed.notices {
            self.console.err_line(notice);
        }
        self.execute(parsed.outcome?).await
    }
}

/// A `redo` index: decimal, `0x`/`#` hexadecimal or leading-zero octal, optionally signed.
pub fn parse_history_index(text: &str) -> Result<i64, CliError> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let parsed = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
        .or_else(|| digits.strip_prefix('#'))
    {
        i64::from_str_radix(hex, 16)
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(digits.get(1..).unwrap_or_default(), 8)
    } else {
        digits.parse::<i64>()
    };
    let value = parsed.map_err(|_| CliError::MalformedCommand {
        reason: format!("For input string: \"{text}\""),
    })?;
    Ok(if negative { -value } else { value })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn history_indices_decode_like_java() {
        assert_eq!(parse_history_index("3").unwrap(), 3);
        assert_eq!(parse_history_index("0x10").unwrap(), 16);
        assert_eq!(parse_history_index("#f").unwrap(), 15);
        assert_eq!(parse_history_index("010").unwrap(), 8);
        assert_eq!(parse_history_index("-1").unwrap(), -1);
        assert_eq!(
            parse_history_index("x").unwrap_err().to_string(),
            "For input string: \"x\""
        );
    }
}
