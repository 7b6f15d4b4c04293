//! Option parsing for shell commands, with zkCli's rules.
//!
//! Every command declares single-letter options, some taking a value. The words of a command
//! (its name first) are scanned left to right:
//! - `--` ends option processing; `-` alone and words not starting with `-` are arguments.
//! - Options may appear anywhere, before or after arguments (`deleteall /a -b 10`).
//! - Letters may be grouped (`-sw`). A letter that takes a value uses the rest of its group as
//!   the value (`-v5`), or else the next word, whatever it looks like (`-v -1`).
//! - Any unknown letter rejects the whole word (`-sx` → "Unrecognized option: -sx"); so does a
//!   negative number given as an argument (`set /a -5`), as in zkCli.

use crate::error::CliError;

/// One option a command accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    pub letter: char,
    pub takes_value: bool,
}

impl OptionSpec {
    /// An on/off option such as `-s`.
    pub const fn flag(letter: char) -> OptionSpec {
        OptionSpec {
            letter,
            takes_value: false,
        }
    }

    /// An option followed by a value such as `-v version`.
    pub const fn valued(letter: char) -> OptionSpec {
        OptionSpec {
            letter,
            takes_value: true,
        }
    }
}

/// The result of scanning a command's words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedOptions {
    flags: Vec<char>,
    values: Vec<(char, String)>,
    /// The non-option words, the command name first.
    pub args: Vec<String>,
}

impl ParsedOptions {
    /// Whether option `letter` was given.
    pub fn has(&self, letter: char) -> bool {
        self.flags.contains(&letter) || self.values.iter().any(|(given, _)| *given == letter)
    }

    /// The value of option `letter` (the last one when repeated).
    pub fn value(&self, letter: char) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(given, _)| *given == letter)
            .map(|(_, value)| value.as_str())
    }

    /// The argument at `index` (0 is the command name).
    pub fn arg(&self, index: usize) -> Option<&str> {
        self.args.get(index).map(String::as_str)
    }
}

/// Scans `words` (command name first) against `specs`.
pub fn parse_options(words: &[String], specs: &[OptionSpec]) -> Result<ParsedOptions, CliError> {
    let mut parsed = ParsedOptions::default();
    let mut remaining = words.iter();
    let mut options_ended = false;
    while let Some(word) = remaining.next() {
        if options_ended || word == "-" || !word.starts_with('-') {
            parsed.args.push(word.clone());
            continue;
        }
        if word == "--" {
            options_ended = true;
            continue;
        }
        let letters: Vec<char> = word.chars().skip(1).collect();
        let mut position = 0;
        while let Some(letter) = letters.get(position).copied() {
            let Some(spec) = specs.iter().find(|spec| spec.letter == letter) else {
                return Err(CliError::UnrecognizedOption {
                    option: word.clone(),
                });
            };
            if !spec.takes_value {
                parsed.flags.push(letter);
                position += 1;
                continue;
            }
            let attached: String = letters.iter().skip(position + 1).collect();
            let value = if attached.is_empty() {
                remaining
                    .next()
                    .cloned()
                    .ok_or(CliError::MissingArgument { option: letter })?
            } else {
                attached
            };
            parsed.values.push((letter, value));
            break;
        }
    }
    Ok(parsed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const LS: [OptionSpec; 3] = [
        OptionSpec::flag('s'),
        OptionSpec::flag('w'),
        OptionSpec::flag('R'),
    ];
    const DELETE: [OptionSpec; 1] = [OptionSpec::valued('v')];

    fn words(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn flags_may_be_grouped_and_appear_anywhere() {
        let parsed = parse_options(&words("ls -sw /zookeeper -R"), &LS).unwrap();
        assert!(parsed.has('s') && parsed.has('w') && parsed.has('R'));
        assert_eq!(parsed.args, ["ls", "/zookeeper"]);
    }

    #[test]
    fn valued_option_takes_attached_or_next_word() {
        let parsed = parse_options(&words("delete -v5 /a"), &DELETE).unwrap();
        assert_eq!(parsed.value('v'), Some("5"));
        assert_eq!(parsed.args, ["delete", "/a"]);
        let parsed = parse_options(&words("delete -v -1 /a"), &DELETE).unwrap();
        assert_eq!(parsed.value('v'), Some("-1"));
        let parsed = parse_options(&words("delete /a -v -s"), &DELETE).unwrap();
        assert_eq!(parsed.value('v'), Some("-s"));
    }

    #[test]
    fn unknown_letters_reject_the_whole_word() {
        assert_eq!(
            parse_options(&words("ls -sx /"), &LS),
            Err(CliError::UnrecognizedOption {
                option: "-sx".to_string()
            })
        );
        assert_eq!(
            parse_options(&words("create /neg -1"), &LS),
            Err(CliError::UnrecognizedOption {
                option: "-1".to_string()
            })
        );
        assert_eq!(
            CliError::UnrecognizedOption {
                option: "-x".to_string()
            }
            .to_string(),
            "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -x"
        );
    }

    #[test]
    fn missing_value_is_reported_by_letter() {
        let error = parse_options(&words("delete -v"), &DELETE).unwrap_err();
        assert_eq!(error, CliError::MissingArgument { option: 'v' });
        assert_eq!(
            error.to_string(),
            "org.apache.commons.cli.MissingArgumentException: Missing argument for option: v"
        );
    }

    #[test]
    fn double_dash_ends_options_and_single_dash_is_an_argument() {
        let parsed = parse_options(&words("ls -- -s"), &LS).unwrap();
        assert!(!parsed.has('s'));
        assert_eq!(parsed.args, ["ls", "-s"]);
        let parsed = parse_options(&words("ls -"), &LS).unwrap();
        assert_eq!(parsed.args, ["ls", "-"]);
    }
}
