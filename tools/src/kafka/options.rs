//! A command-line option parser that behaves as the one behind Kafka's admin tools
//! (joptsimple): `--name value` or `--name=value`, any unique prefix of a name accepted,
//! options in any order and repeatable (the last value wins), words that are not options
//! ignored. Its failures carry that parser's texts (`'x' is not a recognized option`,
//! `Option ['x'] requires an argument`), and [`usage`] prints the option table
//! (`Option` / `Description` columns) the tools show with `--help` or after a usage error.
//!
//! Used by `kafka-leader-election` and `kafka-reassign-partitions`; what a tool checks
//! beyond parsing (required options, exclusive options) is the tool's.

use crate::error::KafkaToolError;

/// One option a tool accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    /// The name without dashes (`bootstrap-server`).
    pub name: &'static str,
    /// The argument's description in the table (`host:port`), `None` for a flag.
    pub argument: Option<&'static str>,
    pub description: &'static str,
}

/// The options given on a command line, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedOptions {
    given: Vec<(&'static str, Option<String>)>,
}

impl ParsedOptions {
    /// Whether option `name` was given (at least once).
    pub fn has(&self, name: &str) -> bool {
        self.given.iter().any(|(given, _)| *given == name)
    }

    /// The last value given for `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.given
            .iter()
            .rev()
            .find(|(given, _)| *given == name)
            .and_then(|(_, value)| value.as_deref())
    }

    /// The names given, each once, in the order first given.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        for (name, _) in &self.given {
            if !names.contains(name) {
                names.push(name);
            }
        }
        names
    }

    /// The value of `name` as an integer; a value that is not one is the parser's
    /// conversion failure.
    pub fn number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, KafkaToolError> {
        match self.value(name) {
            None => Ok(None),
            Some(text) => text
                .parse::<T>()
                .map(Some)
                .map_err(|_| KafkaToolError::Usage {
                    message: format!("Cannot parse argument '{text}' of option {name}"),
                }),
        }
    }
}

/// Parses `arguments` (without the program name) against `specs`.
pub fn parse(specs: &[OptionSpec], arguments: &[String]) -> Result<ParsedOptions, KafkaToolError> {
    let mut parsed = ParsedOptions::default();
    let mut rest = arguments.iter();
    while let Some(argument) = rest.next() {
        let Some(word) = argument
            .strip_prefix("--")
            .or_else(|| argument.strip_prefix('-'))
        else {
            continue;
        };
        if word.is_empty() {
            // `--` ends the options.
            break;
        }
        let (name, inline) = match word.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (word, None),
        };
        let spec = find(specs, name).ok_or_else(|| KafkaToolError::Usage {
            message: format!("'{name}' is not a recognized option"),
        })?;
        let value = match (spec.argument, inline) {
            (None, _) => None,
            (Some(_), Some(value)) => Some(value),
            (Some(_), None) => match rest.next() {
                Some(value) => Some(value.clone()),
                None => {
                    return Err(KafkaToolError::Usage {
                        message: format!("Option ['{}'] requires an argument", spec.name),
                    })
                }
            },
        };
        parsed.given.push((spec.name, value));
    }
    Ok(parsed)
}

/// The spec named `name`, or the only one it is a prefix of.
fn find<'a>(specs: &'a [OptionSpec], name: &str) -> Option<&'a OptionSpec> {
    if let Some(exact) = specs.iter().find(|spec| spec.name == name) {
        return Some(exact);
    }
    let mut candidates = specs.iter().filter(|spec| spec.name.starts_with(name));
    match (candidates.next(), candidates.next()) {
        (Some(only), None) if !name.is_empty() => Some(only),
        _ => None,
    }
}

/// Width of each of the two columns of the option table.
const COLUMN: usize = 38;

/// The option table: options sorted by name, descriptions wrapped to their column.
pub fn usage(specs: &[OptionSpec]) -> String {
    let mut sorted: Vec<&OptionSpec> = specs.iter().collect();
    sorted.sort_by_key(|spec| spec.name);
    let mut table = String::new();
    push_row(&mut table, "Option", &["Description".to_owned()]);
    push_row(&mut table, "------", &["-----------".to_owned()]);
    for spec in sorted {
        let option = match spec.argument {
            Some(argument) => format!("--{} <{argument}>", spec.name),
            None => format!("--{}", spec.name),
        };
        let mut lines = Vec::new();
        for paragraph in spec.description.split('\n') {
            lines.extend(wrap(paragraph, COLUMN));
        }
        push_row(&mut table, &option, &lines);
    }
    table
}

fn push_row(table: &mut String, option: &str, description: &[String]) {
    let option_lines = wrap(option, COLUMN);
    let rows = option_lines.len().max(description.len());
    for row in 0..rows {
        let left = option_lines.get(row).map_or("", String::as_str);
        let right = description.get(row).map_or("", String::as_str);
        let line = format!("{left:<width$}  {right}", width = COLUMN);
        table.push_str(line.trim_end());
        table.push('\n');
    }
}

/// `text` cut at spaces into lines of at most `width` characters (longer words stand alone).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const SPECS: &[OptionSpec] = &[
        OptionSpec {
            name: "bootstrap-server",
            argument: Some("host:port"),
            description: "Where to connect.",
        },
        OptionSpec {
            name: "partition",
            argument: Some("partition id"),
            description: "A partition.",
        },
        OptionSpec {
            name: "path-to-json-file",
            argument: Some("Path to JSON file"),
            description: "A file.",
        },
        OptionSpec {
            name: "all-topic-partitions",
            argument: None,
            description: "Every partition of every topic, a description long enough to be wrapped onto a second line.",
        },
    ];

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|word| (*word).to_owned()).collect()
    }

    #[test]
    fn values_flags_prefixes_and_equals() {
        let parsed = parse(
            SPECS,
            &args(&[
                "--bootstrap",
                "h:1",
                "--partition=3",
                "--all-topic-partitions",
                "stray",
            ]),
        )
        .unwrap();
        assert_eq!(parsed.value("bootstrap-server"), Some("h:1"));
        assert_eq!(parsed.number::<i32>("partition").unwrap(), Some(3));
        assert!(parsed.has("all-topic-partitions"));
        assert_eq!(
            parsed.names(),
            vec!["bootstrap-server", "partition", "all-topic-partitions"]
        );
    }

    #[test]
    fn failures_carry_the_parsers_texts() {
        let message = |list: &[&str]| parse(SPECS, &args(list)).unwrap_err().to_string();
        assert_eq!(message(&["--nope"]), "'nope' is not a recognized option");
        // "pa" is a prefix of two options.
        assert_eq!(message(&["--pa", "1"]), "'pa' is not a recognized option");
        assert_eq!(
            message(&["--partition"]),
            "Option ['partition'] requires an argument"
        );
        let parsed = parse(SPECS, &args(&["--partition", "x"])).unwrap();
        assert_eq!(
            parsed.number::<i32>("partition").unwrap_err().to_string(),
            "Cannot parse argument 'x' of option partition"
        );
    }

    #[test]
    fn the_table_lists_sorted_options_with_wrapped_descriptions() {
        let table = usage(SPECS);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("Option") && lines[0].ends_with("Description"));
        assert!(lines[2].starts_with("--all-topic-partitions"), "{table}");
        assert!(
            lines[2].ends_with("  Every partition of every topic, a"),
            "{table}"
        );
        assert_eq!(
            lines[3].trim_start(),
            "description long enough to be wrapped"
        );
        assert_eq!(lines[4].trim_start(), "onto a second line.");
        assert!(table.contains("--bootstrap-server <host:port>"), "{table}");
        assert!(lines
            .iter()
            .all(|line| line.chars().count() <= 2 * COLUMN + 2));
    }
}
