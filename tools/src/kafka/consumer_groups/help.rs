//! The option table `kafka-consumer-groups` prints after a usage error, in the layout of
//! Kafka's option parser (joptsimple): options sorted by name, an 80-column table of two
//! 39-column cells two spaces apart, words wrapped inside each cell, continuation lines
//! indented by two spaces, every line padded to the full width.

/// One option: its name, the argument text (`<Long: timeout (ms)>`), its description
/// (paragraphs separated by `\n`) and its default.
struct OptionDoc {
    name: &'static str,
    argument: &'static str,
    description: &'static str,
    default: Option<&'static str>,
}

const OPTIONS: &[OptionDoc] = &[
    OptionDoc { name: "all-groups", argument: "", description: "Apply to all consumer groups.", default: None },
    OptionDoc { name: "all-topics", argument: "", description: "Consider all topics assigned to a group in the `reset-offsets` process.", default: None },
    OptionDoc { name: "bootstrap-server", argument: "<String: server to connect to>", description: "REQUIRED: The server(s) to connect to.", default: None },
    OptionDoc { name: "by-duration", argument: "<String: duration>", description: "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'", default: None },
    OptionDoc { name: "command-config", argument: "<String: command config property file>", description: "Property file containing configs to be passed to Admin Client and Consumer.", default: None },
    OptionDoc { name: "delete", argument: "", description: "Pass in groups to delete topic partition offsets and ownership information over the entire consumer group. For instance --group g1 --group g2", default: None },
    OptionDoc { name: "delete-offsets", argument: "", description: "Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics.", default: None },
    OptionDoc { name: "describe", argument: "", description: "Describe consumer group and list offset lag (number of messages not yet processed) related to given group.", default: None },
    OptionDoc { name: "dry-run", argument: "", description: "Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets.", default: None },
    OptionDoc { name: "execute", argument: "", description: "Execute operation. Supported operations: reset-offsets.", default: None },
    OptionDoc { name: "export", argument: "", description: "Export operation execution to a CSV file. Supported operations: reset-offsets.", default: None },
    OptionDoc { name: "from-file", argument: "<String: path to CSV file>", description: "Reset offsets to values defined in CSV file.", default: None },
    OptionDoc { name: "group", argument: "<String: consumer group>", description: "The consumer group we wish to act on.", default: None },
    OptionDoc { name: "help", argument: "", description: "Print usage information.", default: None },
    OptionDoc { name: "list", argument: "", description: "List all consumer groups.", default: None },
    OptionDoc { name: "members", argument: "", description: "Describe members of the group. This option may be used with '--describe' and '--bootstrap-server' options only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --members", default: None },
    OptionDoc { name: "offsets", argument: "", description: "Describe the group and list all topic partitions in the group along with their offset lag. This is the default sub-action of and may be used with '--describe' and '--bootstrap-server' options only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --offsets", default: None },
    OptionDoc { name: "reset-offsets", argument: "", description: "Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive\nHas 2 execution options: --dry-run (the default) to plan which offsets to reset, and --execute to update the offsets. Additionally, the --export option is used to export the results to a CSV format.\nYou must choose one of the following reset specifications: --to-datetime, --by-period, --to-earliest, --to-latest, --shift-by, --from-file, --to-current.\nTo define the scope use --all-topics or --topic. One scope must be specified unless you use '--from-file'.", default: None },
    OptionDoc { name: "shift-by", argument: "<Long: number-of-offsets>", description: "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.", default: None },
    OptionDoc { name: "state", argument: "[String]", description: "When specified with '--describe', includes the state of the group.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --state\nWhen specified with '--list', it displays the state of all groups. It can also be used to list groups with specific states.\nExample: --bootstrap-server localhost:9092 --list --state stable,empty\nThis option may be used with '--describe', '--list' and '--bootstrap-server' options only.", default: None },
    OptionDoc { name: "timeout", argument: "<Long: timeout (ms)>", description: "The timeout that can be set for some use cases. For example, it can be used when describing the group to specify the maximum amount of time in milliseconds to wait before the group stabilizes (when the group is just created, or is going through some changes).", default: Some("5000") },
    OptionDoc { name: "to-current", argument: "", description: "Reset offsets to current offset.", default: None },
    OptionDoc { name: "to-datetime", argument: "<String: datetime>", description: "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'", default: None },
    OptionDoc { name: "to-earliest", argument: "", description: "Reset offsets to earliest offset.", default: None },
    OptionDoc { name: "to-latest", argument: "", description: "Reset offsets to latest offset.", default: None },
    OptionDoc { name: "to-offset", argument: "<Long: offset>", description: "Reset offsets to a specific offset.", default: None },
    OptionDoc { name: "topic", argument: "<String: topic>", description: "The topic whose consumer group information should be deleted or topic whose should be included in the reset offset process. In `reset-offsets` case, partitions can be specified using this format: `topic1:0,1,2`, where 0,1,2 are the partition to be included in the process. Reset-offsets also supports multiple topic inputs.", default: None },
    OptionDoc { name: "verbose", argument: "", description: "Provide additional information, if any, when describing the group. This option may be used with '--offsets'/'--members'/'--state' and '--bootstrap-server' options only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --members --verbose", default: None },
    OptionDoc { name: "version", argument: "", description: "Display Kafka version.", default: None },
];

const CELL: usize = 39;
const SEPARATOR: usize = 2;

/// Wraps `text` into lines of at most `width` characters; lines after the first are
/// indented by two spaces (and count them). A word longer than a line gets its own line.
fn wrap(text: &str, width: usize, lines: &mut Vec<String>) {
    let mut line = String::new();
    for word in text.split_whitespace() {
        let indent = if lines.is_empty() && line.is_empty() {
            0
        } else {
            2
        };
        let needed = if line.is_empty() {
            indent + word.len()
        } else {
            line.chars().count() + 1 + word.len()
        };
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if line.is_empty() {
            if !lines.is_empty() {
                line.push_str("  ");
            }
            line.push_str(word);
        } else {
            line.push(' ');
            line.push_str(word);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
}

fn row(left: &str, right: &str) -> String {
    format!("{left:<CELL$}{:SEPARATOR$}{right:<CELL$}", "")
}

/// The whole option table, one `\n`-terminated line per row.
pub fn usage() -> String {
    let mut text = String::new();
    text.push_str(&row("Option", "Description"));
    text.push('\n');
    text.push_str(&row("------", "-----------"));
    text.push('\n');
    for option in OPTIONS {
        let mut left = Vec::new();
        let head = if option.argument.is_empty() {
            format!("--{}", option.name)
        } else {
            format!("--{} {}", option.name, option.argument)
        };
        wrap(&head, CELL, &mut left);
        let mut right = Vec::new();
        let mut description = option.description.to_string();
        if let Some(default) = option.default {
            description.push_str(&format!(" (default: {default})"));
        }
        for paragraph in description.split('\n') {
            wrap(paragraph, CELL, &mut right);
        }
        let rows = left.len().max(right.len());
        for index in 0..rows {
            let left_cell = left.get(index).map_or("", String::as_str);
            let right_cell = right.get(index).map_or("", String::as_str);
            text.push_str(&row(left_cell, right_cell));
            text.push('\n');
        }
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn table_has_jopt_layout() {
        let text = usage();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("Option"));
        assert_eq!(lines[0].find("Description"), Some(41));
        assert!(
            lines.iter().all(|line| line.chars().count() >= 80),
            "{text}"
        );
        assert!(lines[2].starts_with("--all-groups "));
        let bootstrap = lines
            .iter()
            .position(|line| line.starts_with("--bootstrap-server"))
            .unwrap();
        assert!(lines[bootstrap].starts_with("--bootstrap-server <String: server to"));
        assert!(lines[bootstrap + 1].starts_with("  connect to>"));
        assert!(text.contains("(default: 5000)"));
    }

    #[test]
    fn options_are_sorted_by_name() {
        let names: Vec<&str> = OPTIONS.iter().map(|option| option.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }
}
