//! Java `.properties` files: the format of `config/zookeeper.properties` and
//! `config/server.properties`.
//!
//! This module only turns text into ordered `(key, value, line)` entries; typed
//! configuration (defaults, ranges, warnings) lives with each process, e.g.
//! `coordinator::config`. Command-line `--override key=value` flags are applied on top
//! with [`Properties::set`].
//!
//! The syntax follows `java.util.Properties.load`, so a file written for Apache Kafka or
//! ZooKeeper means the same here:
//! - natural lines end with `\n`, `\r` or `\r\n`; leading spaces, tabs and form feeds are
//!   skipped; blank lines are ignored;
//! - a line whose first non-blank character is `#` or `!` is a comment (a comment never
//!   continues onto the next line);
//! - a line ending in an odd number of backslashes continues on the next line, whose
//!   leading blanks are dropped;
//! - the key ends at the first unescaped `=`, `:` or blank; blanks around the separator
//!   are skipped, and the rest of the line is the value, trailing blanks included;
//! - escapes in keys and values: `\t \n \r \f \\`, `\uXXXX` (UTF-16 code units, surrogate
//!   pairs combined), and `\x` for any other `x` stands for `x` itself.
//!
//! Java reads these files as ISO-8859-1; [`Properties::load`] reads UTF-8 and falls back
//! to ISO-8859-1 only when the bytes are not valid UTF-8, so both kinds of file load.

use std::fs;
use std::path::{Path, PathBuf};

/// A problem in the text of a properties file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxProblem {
    /// `\u` not followed by four hexadecimal digits.
    #[error("malformed \\uXXXX escape \"\\u{digits}\"")]
    MalformedUnicodeEscape {
        /// What followed `\u` (up to four characters).
        digits: String,
    },
    /// A `\uD800`–`\uDFFF` escape that is not half of a high-low surrogate pair.
    #[error("unpaired UTF-16 surrogate \\u{unit:04X}")]
    UnpairedSurrogate {
        /// The lone surrogate code unit.
        unit: u16,
    },
}

/// Why a properties file or text could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PropertiesError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file asked for.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// Text given to [`Properties::parse`] is malformed.
    #[error("line {line}: {problem}")]
    Syntax {
        /// 1-based line where the offending entry starts.
        line: usize,
        /// What is wrong.
        problem: SyntaxProblem,
    },
    /// A file given to [`Properties::load`] is malformed.
    #[error("{}:{line}: {problem}", path.display())]
    SyntaxInFile {
        /// The file.
        path: PathBuf,
        /// 1-based line where the offending entry starts.
        line: usize,
        /// What is wrong.
        problem: SyntaxProblem,
    },
}

/// The entries of a properties file in file order, duplicates kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    /// `(key, value, line)`; line is 1-based, 0 for entries added by [`Properties::set`].
    entries: Vec<(String, String, usize)>,
}

impl Properties {
    /// Parses properties text (see the module documentation for the syntax).
    pub fn parse(text: &str) -> Result<Properties, PropertiesError> {
        let mut entries = Vec::new();
        let mut lines = NaturalLines::new(text);
        while let Some((line_number, natural)) = lines.next() {
            let content = natural.trim_start_matches(is_blank);
            if content.is_empty() || content.starts_with('#') || content.starts_with('!') {
                continue;
            }
            let mut logical = content.to_owned();
            let mut continued_to_end = false;
            while ends_with_odd_backslashes(&logical) {
                logical.pop();
                match lines.next() {
                    Some((_, next)) => logical.push_str(next.trim_start_matches(is_blank)),
                    // Java drops a continuation backslash on the last line of the file.
                    None => {
                        continued_to_end = true;
                        break;
                    }
                }
            }
            // Java (17) skips a lone backslash continued by a blank line, but keeps one
            // ending the file as an entry with an empty key and value.
            if logical.is_empty() && !continued_to_end {
                continue;
            }
            let (raw_key, raw_value) = split_key_value(&logical);
            let syntax = |problem| PropertiesError::Syntax {
                line: line_number,
                problem,
            };
            let key = unescape(raw_key).map_err(syntax)?;
            let value = unescape(raw_value).map_err(syntax)?;
            entries.push((key, value, line_number));
        }
        Ok(Properties { entries })
    }

    /// Reads and parses a file; every error names `path`.
    pub fn load(path: &Path) -> Result<Properties, PropertiesError> {
        let bytes = fs::read(path).map_err(|source| PropertiesError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            // ISO-8859-1 maps every byte to the code point of the same number.
            Err(not_utf8) => not_utf8.into_bytes().into_iter().map(char::from).collect(),
        };
        Properties::parse(&text).map_err(|error| match error {
            PropertiesError::Syntax { line, problem } => PropertiesError::SyntaxInFile {
                path: path.to_path_buf(),
                line,
                problem,
            },
            other => other,
        })
    }

    /// The value of `key`; when the key occurs more than once the last one wins, as in Java.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|(entry_key, _, _)| entry_key == key)
            .map(|(_, value, _)| value.as_str())
    }

    /// Every entry in file order as `(key, value, line)`, duplicates included; entries added
    /// by [`Properties::set`] come last, with line 0.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, usize)> {
        self.entries
            .iter()
            .map(|(key, value, line)| (key.as_str(), value.as_str(), *line))
    }

    /// Sets `key` to `value`, replacing every earlier occurrence (`--override key=value`).
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        self.entries.retain(|(entry_key, _, _)| *entry_key != key);
        self.entries.push((key, value.into(), 0));
    }
}

/// The blanks `java.util.Properties` skips: space, tab and form feed.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

/// Natural lines with their 1-based numbers; `\n`, `\r` and `\r\n` all end a line.
struct NaturalLines<'a> {
    rest: &'a str,
    number: usize,
}

impl<'a> NaturalLines<'a> {
    fn new(text: &'a str) -> Self {
        NaturalLines {
            rest: text,
            number: 0,
        }
    }
}

impl<'a> Iterator for NaturalLines<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<(usize, &'a str)> {
        if self.rest.is_empty() {
            return None;
        }
        self.number += 1;
        let (line, rest) = match self.rest.find(['\n', '\r']) {
            Some(end) => {
                let (line, terminator_and_rest) = self.rest.split_at(end);
                let rest = terminator_and_rest
                    .strip_prefix("\r\n")
                    .or_else(|| terminator_and_rest.strip_prefix('\r'))
                    .or_else(|| terminator_and_rest.strip_prefix('\n'))
                    .unwrap_or(terminator_and_rest);
                (line, rest)
            }
            None => (self.rest, ""),
        };
        self.rest = rest;
        Some((self.number, line))
    }
}

fn ends_with_odd_backslashes(text: &str) -> bool {
    text.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// Splits a logical line (leading blanks removed, escapes still in place) into raw key and
/// raw value.
fn split_key_value(line: &str) -> (&str, &str) {
    let mut key_end = line.len();
    let mut value_start = line.len();
    let mut has_separator = false;
    let mut preceding_backslash = false;
    for (position, c) in line.char_indices() {
        if !preceding_backslash && (c == '=' || c == ':') {
            key_end = position;
            value_start = position + c.len_utf8();
            has_separator = true;
            break;
        }
        if !preceding_backslash && is_blank(c) {
            key_end = position;
            value_start = position + c.len_utf8();
            break;
        }
        preceding_backslash = c == '\\' && !preceding_backslash;
    }
    let key = line.get(..key_end).unwrap_or(line);
    let mut value = line.get(value_start..).unwrap_or("");
    // A blank-separated key may still be followed by one `=` or `:` ("key = value").
    loop {
        let mut chars = value.chars();
        match chars.next() {
            Some(c) if is_blank(c) => value = chars.as_str(),
            Some(c) if !has_separator && (c == '=' || c == ':') => {
                has_separator = true;
                value = chars.as_str();
            }
            _ => break,
        }
    }
    (key, value)
}

/// Resolves the escapes of a raw key or value.
fn unescape(raw: &str) -> Result<String, SyntaxProblem> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    let mut high_surrogate: Option<u16> = None;
    while let Some(c) = chars.next() {
        let unit = if c == '\\' {
            match chars.next() {
                Some('u') => Some(hex_unit(&mut chars)?),
                Some('t') => Some(u16::from(b'\t')),
                Some('n') => Some(u16::from(b'\n')),
                Some('r') => Some(u16::from(b'\r')),
                Some('f') => Some(0x0c),
                Some(other) => {
                    check_no_pending(high_surrogate)?;
                    out.push(other);
                    None
                }
                // Only reachable for a key ending in a lone backslash at end of file.
                None => None,
            }
        } else {
            check_no_pending(high_surrogate)?;
            out.push(c);
            None
        };
        let Some(unit) = unit else { continue };
        match (high_surrogate.take(), unit) {
            (None, 0xD800..=0xDBFF) => high_surrogate = Some(unit),
            (Some(high), 0xDC00..=0xDFFF) => {
                let code =
                    0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                out.push(
                    char::from_u32(code).ok_or(SyntaxProblem::UnpairedSurrogate { unit: high })?,
                );
            }
            (Some(high), _) => return Err(SyntaxProblem::UnpairedSurrogate { unit: high }),
            (None, _) => {
                out.push(
                    char::from_u32(u32::from(unit))
                        .ok_or(SyntaxProblem::UnpairedSurrogate { unit })?,
                );
            }
        }
    }
    check_no_pending(high_surrogate)?;
    Ok(out)
}

fn check_no_pending(high_surrogate: Option<u16>) -> Result<(), SyntaxProblem> {
    match high_surrogate {
        Some(unit) => Err(SyntaxProblem::UnpairedSurrogate { unit }),
        None => Ok(()),
    }
}

/// Reads the four hex digits after `\u`.
fn hex_unit(chars: &mut std::str::Chars<'_>) -> Result<u16, SyntaxProblem> {
    let mut digits = String::with_capacity(4);
    let mut unit: u16 = 0;
    for _ in 0..4 {
        let Some(c) = chars.next() else { break };
        digits.push(c);
        match c.to_digit(16) {
            // A hex digit is < 16, so four of them fit in 16 bits.
            Some(digit) => unit = (unit << 4) | digit as u16,
            None => return Err(SyntaxProblem::MalformedUnicodeEscape { digits }),
        }
    }
    if digits.chars().count() < 4 {
        return Err(SyntaxProblem::MalformedUnicodeEscape { digits });
    }
    Ok(unit)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<(String, String, usize)> {
        Properties::parse(text)
            .unwrap()
            .iter()
            .map(|(k, v, l)| (k.to_owned(), v.to_owned(), l))
            .collect()
    }

    fn one(key: &str, value: &str, line: usize) -> (String, String, usize) {
        (key.to_owned(), value.to_owned(), line)
    }

    #[test]
    fn equals_colon_and_blank_separate_key_from_value() {
        assert_eq!(
            entries("a=1\nb:2\nc 3\nd\t4\ne = 5\nf : 6\ng  =  7\nh\x0c8"),
            vec![
                one("a", "1", 1),
                one("b", "2", 2),
                one("c", "3", 3),
                one("d", "4", 4),
                one("e", "5", 5),
                one("f", "6", 6),
                one("g", "7", 7),
                one("h", "8", 8),
            ]
        );
    }

    #[test]
    fn only_the_first_separator_counts() {
        assert_eq!(
            entries("a==b\nc:=d\ne = = f\nurl=http://x:1"),
            vec![
                one("a", "=b", 1),
                one("c", "=d", 2),
                one("e", "= f", 3),
                one("url", "http://x:1", 4),
            ]
        );
    }

    #[test]
    fn key_without_value_has_empty_value() {
        assert_eq!(
            entries("alone\nempty=\n  spaced   \n"),
            vec![
                one("alone", "", 1),
                one("empty", "", 2),
                one("spaced", "", 3),
            ]
        );
    }

    #[test]
    fn comments_and_blank_lines_are_skipped_and_lines_still_counted() {
        let text = "# hash comment\n! bang comment\n\n   \t\n   # indented comment\nkey=value\n";
        assert_eq!(entries(text), vec![one("key", "value", 6)]);
    }

    #[test]
    fn hash_inside_a_value_is_not_a_comment() {
        assert_eq!(
            entries("k=v # not a comment"),
            vec![one("k", "v # not a comment", 1)]
        );
    }

    #[test]
    fn leading_blanks_are_trimmed_and_trailing_blanks_kept() {
        assert_eq!(
            entries("  \t key =  value  \t"),
            vec![one("key", "value  \t", 1)]
        );
    }

    #[test]
    fn all_line_terminators_are_recognised() {
        assert_eq!(
            entries("a=1\r\nb=2\rc=3\nd=4"),
            vec![
                one("a", "1", 1),
                one("b", "2", 2),
                one("c", "3", 3),
                one("d", "4", 4),
            ]
        );
    }

    #[test]
    fn backslash_continues_a_line_and_drops_the_next_lines_indent() {
        let text = "fruits = apple, \\\n         banana, \\\r\n\tpear\nnext=1";
        assert_eq!(
            entries(text),
            vec![one("fruits", "apple, banana, pear", 1), one("next", "1", 4)]
        );
    }

    #[test]
    fn even_backslashes_do_not_continue() {
        assert_eq!(
            entries("path=c:\\\\\nnext=1"),
            vec![one("path", "c:\\", 1), one("next", "1", 2)]
        );
    }

    #[test]
    fn continuation_line_starting_with_hash_is_content() {
        assert_eq!(entries("k=a\\\n#b"), vec![one("k", "a#b", 1)]);
    }

    #[test]
    fn comment_ending_in_backslash_does_not_continue() {
        assert_eq!(entries("# comment \\\nk=v"), vec![one("k", "v", 2)]);
    }

    #[test]
    fn lone_backslash_continued_by_a_blank_line_is_no_entry() {
        assert_eq!(entries("\\\n\n# comment\nk=v"), vec![one("k", "v", 4)]);
        assert_eq!(entries("k=v\n\\"), vec![one("k", "v", 1), one("", "", 2)]);
    }

    #[test]
    fn continuation_backslash_on_the_last_line_is_dropped() {
        assert_eq!(entries("k=v\\"), vec![one("k", "v", 1)]);
    }

    #[test]
    fn escapes_are_resolved_in_keys_and_values() {
        assert_eq!(
            entries("a\\=b\\:c\\ d = t\\tn\\nr\\rf\\fs\\\\q\\qx\\\"\nu=\\u0041\\u00e9\\u20AC"),
            vec![
                one("a=b:c d", "t\tn\nr\rf\x0cs\\qqx\"", 1),
                one("u", "Aé€", 2),
            ]
        );
    }

    #[test]
    fn surrogate_pair_escapes_make_one_character() {
        assert_eq!(
            entries("smile=\\uD83D\\uDE00"),
            vec![one("smile", "\u{1F600}", 1)]
        );
    }

    #[test]
    fn unpaired_surrogate_is_an_error() {
        let error = Properties::parse("a=1\nk=\\uD83Dx").unwrap_err();
        assert!(matches!(
            error,
            PropertiesError::Syntax {
                line: 2,
                problem: SyntaxProblem::UnpairedSurrogate { unit: 0xD83D }
            }
        ));
        assert!(Properties::parse("k=\\uDE00").is_err());
        assert!(Properties::parse("k=\\uD83D").is_err());
    }

    #[test]
    fn malformed_unicode_escape_is_an_error_naming_the_line() {
        let error = Properties::parse("\n\nk=\\u12G4").unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 3: malformed \\uXXXX escape \"\\u12G\""
        );
        let short = Properties::parse("k=\\u12").unwrap_err();
        assert!(matches!(
            short,
            PropertiesError::Syntax {
                line: 1,
                problem: SyntaxProblem::MalformedUnicodeEscape { .. }
            }
        ));
    }

    #[test]
    fn last_occurrence_wins_and_iter_keeps_all() {
        let properties = Properties::parse("k=1\nother=x\nk=2").unwrap();
        assert_eq!(properties.get("k"), Some("2"));
        assert_eq!(properties.get("missing"), None);
        assert_eq!(properties.iter().count(), 3);
    }

    #[test]
    fn set_replaces_earlier_occurrences() {
        let mut properties = Properties::parse("k=1\nother=x\nk=2").unwrap();
        properties.set("k", "3");
        properties.set("new", "4");
        assert_eq!(properties.get("k"), Some("3"));
        let all: Vec<_> = properties.iter().collect();
        assert_eq!(all, vec![("other", "x", 2), ("k", "3", 0), ("new", "4", 0)]);
    }

    #[test]
    fn load_reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zookeeper.properties");
        fs::write(&path, "dataDir=/tmp/zookeeper\nclientPort=2181\n").unwrap();
        let properties = Properties::load(&path).unwrap();
        assert_eq!(properties.get("dataDir"), Some("/tmp/zookeeper"));
        assert_eq!(properties.get("clientPort"), Some("2181"));
    }

    #[test]
    fn load_falls_back_to_latin1_for_non_utf8_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latin1.properties");
        fs::write(&path, b"name=caf\xe9\n").unwrap();
        assert_eq!(Properties::load(&path).unwrap().get("name"), Some("café"));
    }

    #[test]
    fn load_errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.properties");
        let error = Properties::load(&missing).unwrap_err();
        assert!(matches!(error, PropertiesError::Read { .. }));
        assert!(error.to_string().contains("missing.properties"), "{error}");

        let bad = dir.path().join("bad.properties");
        fs::write(&bad, "a=1\nb=\\uZZZZ\n").unwrap();
        let error = Properties::load(&bad).unwrap_err();
        assert!(matches!(
            error,
            PropertiesError::SyntaxInFile { line: 2, .. }
        ));
        assert!(error.to_string().contains("bad.properties:2:"), "{error}");
    }
}
