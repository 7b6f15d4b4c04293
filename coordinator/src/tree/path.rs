//! Znode path rules: validation as ZooKeeper applies it to writes, and parent/name splitting.
//!
//! Reads do no validation (a malformed path simply is not found); writes reject a malformed path
//! with `BadArguments`.

use crate::protocol::codes::ErrorCode;

/// Checks a full path as ZooKeeper's path validation does. `sequential` allows a trailing `/`
/// (the sequence number is appended after it).
pub fn validate(path: &str, sequential: bool) -> Result<(), ErrorCode> {
    if path.is_empty() || !path.starts_with('/') {
        return Err(ErrorCode::BadArguments);
    }
    if path == "/" {
        return Ok(());
    }
    let body = path.strip_prefix('/').unwrap_or(path);
    let mut names: Vec<&str> = body.split('/').collect();
    if sequential {
        // A sequential create may end in '/': the suffix becomes the last name.
        if names.last().is_some_and(|last| last.is_empty()) {
            names.pop();
        }
    }
    for name in names {
        if name.is_empty() || name == "." || name == ".." {
            return Err(ErrorCode::BadArguments);
        }
        if name.chars().any(invalid_char) {
            return Err(ErrorCode::BadArguments);
        }
    }
    Ok(())
}

/// Characters ZooKeeper refuses in a path: NUL, control characters, and the
/// surrogate / private-use / specials ranges.
fn invalid_char(c: char) -> bool {
    let code = c as u32;
    code <= 0x1f
        || (0x7f..=0x9f).contains(&code)
        || (0xd800..=0xf8ff).contains(&code)
        || (0xfff0..=0xffff).contains(&code)
}

/// Splits `/a/b/c` into (`/a/b`, `c`); the parent of `/x` is `/`. `None` for `/` or a path
/// without a slash.
pub fn split(path: &str) -> Option<(&str, &str)> {
    if path == "/" {
        return None;
    }
    let index = path.rfind('/')?;
    let name = path.get(index + 1..)?;
    let parent = if index == 0 { "/" } else { path.get(..index)? };
    Some((parent, name))
}

/// Joins a parent path and a child name.
pub fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// The ancestors of a path, nearest first, ending with `/` (not including the path itself).
pub fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let mut current = Some(path);
    std::iter::from_fn(move || {
        let (parent, _) = split(current?)?;
        current = Some(parent);
        Some(parent)
    })
}

/// True when `path` is `prefix` or lies below it.
pub fn is_within(path: &str, prefix: &str) -> bool {
    if prefix == "/" || prefix.is_empty() {
        return true;
    }
    path == prefix || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'/'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn validation_matches_zookeeper_rules() {
        assert!(validate("/", false).is_ok());
        assert!(validate("/a/b", false).is_ok());
        assert!(validate("/a/b/", true).is_ok());
        for bad in [
            "",
            "a",
            "/a/",
            "//a",
            "/a//b",
            "/a/./b",
            "/a/..",
            "/a\u{0}b",
            "/a\u{1}",
            "/\u{e000}",
        ] {
            assert_eq!(
                validate(bad, false),
                Err(ErrorCode::BadArguments),
                "{bad:?}"
            );
        }
        assert_eq!(validate("/a//", true), Err(ErrorCode::BadArguments));
    }

    #[test]
    fn split_and_ancestors() {
        assert_eq!(split("/a/b"), Some(("/a", "b")));
        assert_eq!(split("/a"), Some(("/", "a")));
        assert_eq!(split("/"), None);
        assert_eq!(
            ancestors("/a/b/c").collect::<Vec<_>>(),
            vec!["/a/b", "/a", "/"]
        );
        assert_eq!(join("/", "x"), "/x");
        assert_eq!(join("/a", "x"), "/a/x");
        assert!(is_within("/a/b", "/a"));
        assert!(!is_within("/ab", "/a"));
        assert!(is_within("/a", "/"));
    }
}
