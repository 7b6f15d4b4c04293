//! Splitting an interactive input line into words, exactly as zkCli does.
//!
//! zkCli scans a line for successive matches of "optional blanks, then a word, then optional
//! blanks", where a word is either a run that starts with any character other than a quote and
//! continues up to the next blank, or a whole `"…"` / `'…'` span. A word that starts and ends
//! with the same quote character loses those two quotes; nothing else is unescaped. Quirks that
//! follow from this and that scripts may rely on:
//! - `"a"b` is two words, `a` and `b`; `a"b c"` is `a"b` and `c"`.
//! - An unmatched quote is skipped; when a blank precedes it, the blank is kept as the first
//!   character of the next word (`  "abc` gives ` "abc`).
//! - A line of blanks yields one word made of a single blank, which is then an unknown command.
//!
//! Command-line (one-shot) arguments are not tokenized: they arrive already split by the shell.

/// The blank characters of the scanner: space, tab, newline, vertical tab, form feed, return.
fn is_blank(character: char) -> bool {
    matches!(character, ' ' | '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r')
}

/// Splits `line` into words (see the module documentation for the rules).
pub fn split_line(line: &str) -> Vec<String> {
    let characters: Vec<char> = line.chars().collect();
    let mut words = Vec::new();
    let mut start = 0;
    while start < characters.len() {
        match match_at(&characters, start) {
            Some(found) => {
                words.push(strip_matching_quotes(
                    characters
                        .get(found.word_start..found.word_end)
                        .unwrap_or_default(),
                ));
                start = found.end;
            }
            None => start += 1,
        }
    }
    words
}

/// One match of the scanner: the word's span and where the match (with trailing blanks) ends.
struct Match {
    word_start: usize,
    word_end: usize,
    end: usize,
}

/// Tries to match at exactly `start`: leading blanks (as many as possible, giving back one at a
/// time when no word can follow them), a word, then trailing blanks.
fn match_at(characters: &[char], start: usize) -> Option<Match> {
    let blanks = characters
        .iter()
        .skip(start)
        .take_while(|c| is_blank(**c))
        .count();
    for leading in (0..=blanks).rev() {
        let word_start = start + leading;
        if let Some(word_end) = word_at(characters, word_start) {
            let trailing = characters
                .iter()
                .skip(word_end)
                .take_while(|c| is_blank(**c))
                .count();
            return Some(Match {
                word_start,
                word_end,
                end: word_end + trailing,
            });
        }
    }
    None
}

/// The end of a word starting at `position`, trying the three word shapes in order.
fn word_at(characters: &[char], position: usize) -> Option<usize> {
    let first = *characters.get(position)?;
    if first != '"' && first != '\'' {
        let rest = characters
            .iter()
            .skip(position + 1)
            .take_while(|c| !is_blank(**c))
            .count();
        return Some(position + 1 + rest);
    }
    let closing = characters
        .iter()
        .skip(position + 1)
        .position(|c| *c == first)?;
    Some(position + 1 + closing + 1)
}

/// Removes one pair of surrounding quotes when the word starts and ends with the same one.
fn strip_matching_quotes(word: &[char]) -> String {
    if let [first, inner @ .., last] = word {
        if (*first == '"' || *first == '\'') && first == last {
            return inner.iter().collect();
        }
    }
    word.iter().collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split_line(line)
    }

    #[test]
    fn plain_words_split_on_blanks() {
        assert_eq!(words("ls /"), ["ls", "/"]);
        assert_eq!(words("   ls \t  /a   "), ["ls", "/a"]);
        assert_eq!(words(""), Vec::<String>::new());
    }

    #[test]
    fn quoted_spans_keep_blanks_and_lose_quotes() {
        assert_eq!(
            words("create /q \"hello world\""),
            ["create", "/q", "hello world"]
        );
        assert_eq!(words("set /q 'a b'"), ["set", "/q", "a b"]);
        assert_eq!(words("set /q \"\""), ["set", "/q", ""]);
    }

    #[test]
    fn quotes_inside_words_are_kept() {
        assert_eq!(words("create /q2 \"a\"b"), ["create", "/q2", "a", "b"]);
        assert_eq!(
            words("create /q3 a\"b c\""),
            ["create", "/q3", "a\"b", "c\""]
        );
    }

    #[test]
    fn unmatched_quote_is_skipped_and_a_blank_before_it_is_kept() {
        assert_eq!(words("  \"abc"), [" \"abc"]);
        assert_eq!(words("ls \"abc"), ["ls", "abc"]);
        assert_eq!(words("\"abc"), ["abc"]);
    }

    #[test]
    fn blank_line_is_one_blank_word() {
        assert_eq!(words("   "), [" "]);
        assert_eq!(words("\t"), ["\t"]);
    }
}
