//! The option table `kafka-consumer-groups` prints after a usage error, in the layout of
//! Kafka's option parser (joptsimple): options sorted by name; two columns two spaces
//! apart, each at most half of 80 columns (less the separator) and no wider than its
//! widest text; text cut at word ends (a unit keeps its trailing spaces, a hyphen between
//! letters also ends one), continuation pieces indented by two spaces; every cell padded
//! to its column's width.

/// One option: its name, the argument text (`<Long: timeout (ms)>`), its description
/// (paragraphs separated by `\n`) and its default.
struct OptionDoc {
    name: &'static str,
    argument: &'static str,
    description: &'static str,
    default: Option<&'static str>,
}

const OPTIONS: &[OptionDoc] = &[
    OptionDoc { name: "all-groups", argument: "", description: "Act on every consumer group of the cluster.", default: None },
    OptionDoc { name: "all-topics", argument: "", description: "With --reset-offsets: reset every topic the group has offsets for.", default: None },
    OptionDoc { name: "bootstrap-server", argument: "<String: server to connect to>", description: "REQUIRED: host:port of one or more brokers to contact first.", default: None },
    OptionDoc { name: "by-duration", argument: "<String: duration>", description: "Reset to the offsets of this long ago, an ISO-8601 duration such as 'PnDTnHnMnS'.", default: None },
    OptionDoc { name: "command-config", argument: "<String: command config property file>", description: "A properties file with client settings for the connections this tool makes.", default: None },
    OptionDoc { name: "delete", argument: "", description: "Delete the given groups (offsets and membership), e.g. --group g1 --group g2.", default: None },
    OptionDoc { name: "delete-offsets", argument: "", description: "Delete a group's committed offsets of the given topics (one group per run).", default: None },
    OptionDoc { name: "describe", argument: "", description: "Show a group: its partitions with committed offset, log end and lag.", default: None },
    OptionDoc { name: "dry-run", argument: "", description: "Show what --reset-offsets would do without changing anything.", default: None },
    OptionDoc { name: "execute", argument: "", description: "Apply the --reset-offsets plan.", default: None },
    OptionDoc { name: "export", argument: "", description: "Print the --reset-offsets plan as CSV.", default: None },
    OptionDoc { name: "from-file", argument: "<String: path to CSV file>", description: "Reset to the offsets listed in a CSV file.", default: None },
    OptionDoc { name: "group", argument: "<String: consumer group>", description: "The consumer group to act on.", default: None },
    OptionDoc { name: "help", argument: "", description: "Show this table.", default: None },
    OptionDoc { name: "list", argument: "", description: "List the consumer groups.", default: None },
    OptionDoc { name: "members", argument: "", description: "With --describe: show the group's members instead of its offsets.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --members", default: None },
    OptionDoc { name: "offsets", argument: "", description: "With --describe (the default view): the group's partitions with committed offset, log end and lag.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --offsets", default: None },
    OptionDoc { name: "reset-offsets", argument: "", description: "Move the committed offsets of one group, which must have no active members.\n--dry-run (the default) shows the plan, --execute applies it, --export prints it as CSV.\nPick one target: --to-datetime, --by-duration, --to-earliest, --to-latest, --shift-by, --from-file, --to-current or --to-offset.\nPick the scope with --all-topics or --topic (not needed with --from-file).", default: None },
    OptionDoc { name: "shift-by", argument: "<Long: number-of-offsets>", description: "Move each committed offset by n (negative moves back).", default: None },
    OptionDoc { name: "state", argument: "[String]", description: "With --describe: show the group's state.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --state\nWith --list: show each group's state, or only groups in the given states.\nExample: --bootstrap-server localhost:9092 --list --state stable,empty", default: None },
    OptionDoc { name: "timeout", argument: "<Long: timeout (ms)>", description: "How long to wait for the cluster's answers, e.g. for a group that is rebalancing to settle.", default: Some("5000") },
    OptionDoc { name: "to-current", argument: "", description: "Reset to the current committed offsets.", default: None },
    OptionDoc { name: "to-datetime", argument: "<String: datetime>", description: "Reset to the first offsets at or after this time, as 'YYYY-MM-DDTHH:mm:SS.sss'.", default: None },
    OptionDoc { name: "to-earliest", argument: "", description: "Reset to the log start offsets.", default: None },
    OptionDoc { name: "to-latest", argument: "", description: "Reset to the log end offsets.", default: None },
    OptionDoc { name: "to-offset", argument: "<Long: offset>", description: "Reset to this offset.", default: None },
    OptionDoc { name: "topic", argument: "<String: topic>", description: "A topic to act on (repeatable). With --reset-offsets, `topic1:0,1,2` limits it to those partitions.", default: None },
    OptionDoc { name: "verbose", argument: "", description: "With --describe: more detail, e.g. each member's partitions with --members.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --members --verbose", default: None },
    OptionDoc { name: "version", argument: "", description: "Show the version.", default: None },
];

/// Widths before fitting: each column may take half of the 80 columns less the separator.
const OVERALL: usize = 80;
const SEPARATOR: usize = 2;
const INDENT: usize = 2;

/// The break units of a line, as Java's line break iterator finds them: each word keeps
/// the spaces after it, and a hyphen between letters ends a unit.
fn break_units(line: &str) -> Vec<String> {
    let characters: Vec<char> = line.chars().collect();
    let mut units = Vec::new();
    let mut unit = String::new();
    for (index, &character) in characters.iter().enumerate() {
        unit.push(character);
        let next = characters.get(index + 1).copied();
        let previous = index
            .checked_sub(1)
            .and_then(|at| characters.get(at))
            .copied();
        let ends_spaces =
            character.is_whitespace() && next.is_some_and(|next| !next.is_whitespace());
        let ends_hyphen = character == '-'
            && previous.is_some_and(char::is_alphanumeric)
            && next.is_some_and(char::is_alphabetic);
        if ends_spaces || ends_hyphen {
            units.push(std::mem::take(&mut unit));
        }
    }
    if !unit.is_empty() {
        units.push(unit);
    }
    units
}

/// Cuts `text` (paragraphs separated by `\n`) into pieces of at most `width` characters:
/// a unit that does not fit starts a new piece indented by two spaces.
fn pieces(text: &str, width: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    for line in text.trim().split('\n') {
        let mut piece = String::new();
        for unit in break_units(line) {
            if piece.chars().count() + unit.chars().count() > width {
                pieces.push(piece.trim_end().to_string());
                piece = " ".repeat(INDENT);
            }
            piece.push_str(&unit);
        }
        if !piece.is_empty() {
            pieces.push(piece);
        }
    }
    pieces
}

fn widest(rows: &[(String, String)], column: impl Fn(&(String, String)) -> &String) -> usize {
    rows.iter()
        .map(|row| column(row).chars().count())
        .max()
        .unwrap_or(0)
}

/// The whole option table, one `\n`-terminated line per row.
pub fn usage() -> String {
    let mut rows: Vec<(String, String)> = vec![
        ("Option".to_string(), "Description".to_string()),
        ("------".to_string(), "-----------".to_string()),
    ];
    for option in OPTIONS {
        let head = if option.argument.is_empty() {
            format!("--{}", option.name)
        } else {
            format!("--{} {}", option.name, option.argument)
        };
        let mut description = option.description.to_string();
        if let Some(default) = option.default {
            description.push_str(&format!(" (default: {default})"));
        }
        rows.push((head, description));
    }
    // Column widths from the raw rows, the rows cut to them, then widths from the cut rows.
    let option_width = ((OVERALL - SEPARATOR) / 2).min(widest(&rows, |row| &row.0));
    let description_width = (OVERALL - option_width - SEPARATOR).min(widest(&rows, |row| &row.1));
    let mut fitted: Vec<(String, String)> = Vec::new();
    for (left, right) in &rows {
        let left = pieces(left, option_width);
        let right = pieces(right, description_width);
        for index in 0..left.len().max(right.len()) {
            fitted.push((
                left.get(index).cloned().unwrap_or_default(),
                right.get(index).cloned().unwrap_or_default(),
            ));
        }
    }
    let option_width = ((OVERALL - SEPARATOR) / 2).min(widest(&fitted, |row| &row.0));
    let description_width = (OVERALL - option_width - SEPARATOR).min(widest(&fitted, |row| &row.1));
    let mut text = String::new();
    for (left, right) in fitted {
        text.push_str(&format!(
            "{left:<option_width$}{:SEPARATOR$}{right:<description_width$}\n",
            ""
        ));
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
        // The widest cut option piece is 38 characters, so descriptions start at 40.
        assert_eq!(lines[0].find("Description"), Some(40));
        let width = lines[0].chars().count();
        assert!(
            lines.iter().all(|line| line.chars().count() == width),
            "{text}"
        );
        assert!(width <= 80);
        assert!(lines[2].starts_with("--all-groups "));
        let bootstrap = lines
            .iter()
            .position(|line| line.starts_with("--bootstrap-server"))
            .unwrap();
        assert!(lines[bootstrap].starts_with("--bootstrap-server <String: server to"));
        assert!(lines[bootstrap + 1].starts_with("  connect to>"));
        // A unit's trailing space counts: "group " does not fit after 33 characters.
        let all_topics = lines
            .iter()
            .position(|line| line.starts_with("--all-topics"))
            .unwrap();
        assert!(lines[all_topics].contains("  With --reset-offsets: reset every "));
        assert!(lines[all_topics + 1].contains("  topic the group has offsets for."));
        assert!(text.contains("(default:"));
        assert!(text.contains("5000)"));
    }

    #[test]
    fn break_units_keep_spaces_and_split_after_inner_hyphens() {
        assert_eq!(
            break_units("--bootstrap-server <String: a>"),
            vec!["--bootstrap-", "server ", "<String: ", "a>"]
        );
        assert_eq!(pieces("aaa bbb ccc", 8), vec!["aaa bbb", "  ccc"]);
    }

    #[test]
    fn options_are_sorted_by_name() {
        let names: Vec<&str> = OPTIONS.iter().map(|option| option.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }
}
