//! Client-side znode path rules, with zkCli's messages.
//!
//! zkCli checks a path before sending anything, and a failing path never reaches the server:
//! - it must be non-empty and start with `/`;
//! - apart from `/` itself, it must not end with `/`;
//! - no empty names (`//`), no `.` or `..` names, no NUL, and none of the characters
//!   U+0001–U+001F, U+007F–U+009F, U+D800–U+F8FF, U+FFF0–U+FFFF.
//!
//! The first two failures print a bare sentence; the others print
//! `Invalid path string "<path>" caused by <reason> @<index>`. A sequential create validates
//! the path with a digit appended, so `create -s /a/` is legal.

/// Checks `path`; the error is the message zkCli prints.
pub fn validate_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("Path length must be > 0".to_string());
    }
    if !path.starts_with('/') {
        return Err("Path must start with / character".to_string());
    }
    if path == "/" {
        return Ok(());
    }
    if path.ends_with('/') {
        return Err("Path must not end with / character".to_string());
    }
    let characters: Vec<char> = path.chars().collect();
    for (index, character) in characters.iter().copied().enumerate().skip(1) {
        let previous = index
            .checked_sub(1)
            .and_then(|i| characters.get(i))
            .copied();
        let next = characters.get(index + 1).copied();
        let name_ends_here = next.is_none() || next == Some('/');
        let reason = if character == '\0' {
            Some("null character not allowed")
        } else if character == '/' && previous == Some('/') {
            Some("empty node name specified")
        } else if character == '.' && previous == Some('.') {
            let before_previous = index
                .checked_sub(2)
                .and_then(|i| characters.get(i))
                .copied();
            (before_previous == Some('/') && name_ends_here).then_some("relative paths not allowed")
        } else if character == '.' {
            (previous == Some('/') && name_ends_here).then_some("relative paths not allowed")
        } else if is_forbidden_character(character) {
            Some("invalid character")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(format!(
                "Invalid path string \"{path}\" caused by {reason} @{index}"
            ));
        }
    }
    Ok(())
}

/// Checks the path of a sequential create: the server appends the sequence number, so a
/// trailing `/` is allowed.
pub fn validate_sequential_path(path: &str) -> Result<(), String> {
    validate_path(&format!("{path}1"))
}

fn is_forbidden_character(character: char) -> bool {
    matches!(character,
        '\u{01}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{e000}'..='\u{f8ff}' | '\u{fff0}'..='\u{ffff}')
}

/// `child`'s full path under `parent` (`/` has no trailing separator added).
pub fn join(parent: &str, child: &str) -> String {
    if parent.ends_with('/') {
        format!("{parent}{child}")
    } else {
        format!("{parent}/{child}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn good_paths_pass() {
        for path in [
            "/",
            "/a",
            "/a/b",
            "/a.b",
            "/..a",
            "/a/.b/c",
            "/zookeeper/quota",
        ] {
            assert_eq!(validate_path(path), Ok(()), "{path}");
        }
    }

    #[test]
    fn bare_sentences_for_start_and_end() {
        assert_eq!(
            validate_path("a").unwrap_err(),
            "Path must start with / character"
        );
        assert_eq!(
            validate_path("/x/").unwrap_err(),
            "Path must not end with / character"
        );
        assert_eq!(
            validate_path("//").unwrap_err(),
            "Path must not end with / character"
        );
        assert_eq!(validate_path("").unwrap_err(), "Path length must be > 0");
    }

    #[test]
    fn positional_reasons_match_zkcli() {
        assert_eq!(
            validate_path("//a").unwrap_err(),
            "Invalid path string \"//a\" caused by empty node name specified @1"
        );
        assert_eq!(
            validate_path("/a//b").unwrap_err(),
            "Invalid path string \"/a//b\" caused by empty node name specified @3"
        );
        assert_eq!(
            validate_path("/a/./b").unwrap_err(),
            "Invalid path string \"/a/./b\" caused by relative paths not allowed @3"
        );
        assert_eq!(
            validate_path("/a/../b").unwrap_err(),
            "Invalid path string \"/a/../b\" caused by relative paths not allowed @4"
        );
        assert_eq!(
            validate_path("/.").unwrap_err(),
            "Invalid path string \"/.\" caused by relative paths not allowed @1"
        );
        assert_eq!(
            validate_path("/a\0b").unwrap_err(),
            "Invalid path string \"/a\0b\" caused by null character not allowed @2"
        );
        assert_eq!(
            validate_path("/a\u{7}").unwrap_err(),
            "Invalid path string \"/a\u{7}\" caused by invalid character @2"
        );
    }

    #[test]
    fn sequential_paths_may_end_with_a_slash() {
        assert_eq!(validate_sequential_path("/c/"), Ok(()));
        assert_eq!(validate_sequential_path("/c/n-"), Ok(()));
        assert!(validate_sequential_path("c").is_err());
    }

    #[test]
    fn join_handles_the_root() {
        assert_eq!(join("/", "a"), "/a");
        assert_eq!(join("/a", "b"), "/a/b");
    }
}
