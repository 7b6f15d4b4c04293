//! ACL text as zkCli reads and writes it.
//!
//! Input: a comma-separated list of `scheme:id:perms` entries, for example
//! `world:anyone:cdrwa`, `digest:bob:ikIaKsbtGweaHnb/jKn7OHqbunM=:cdrwa`, `ip:127.0.0.1:r`,
//! `auth::cdrwa`. The id is everything between the first and the last colon, so ids may contain
//! colons. Entries without two distinct colons are skipped with a notice; unknown permission
//! letters are skipped with a notice; empty entries count as malformed, except trailing ones,
//! which are dropped silently (so `,` yields an empty list). An empty result is refused later as
//! an invalid ACL, without contacting the server.
//!
//! Output: `'scheme,'id` on one line and `: perms` on the next, the letters in the order
//! c, d, r, w, a.

use zookeeper_client::{Acl, AuthId, Permission};

/// Letters in the order zkCli prints them.
const PRINT_ORDER: [(Permission, char); 5] = [
    (Permission::CREATE, 'c'),
    (Permission::DELETE, 'd'),
    (Permission::READ, 'r'),
    (Permission::WRITE, 'w'),
    (Permission::ADMIN, 'a'),
];

/// The outcome of parsing ACL text: the entries that parsed, and the notices zkCli prints on
/// stderr for the parts it skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAcl {
    pub acls: Vec<Acl>,
    pub notices: Vec<String>,
}

/// Parses `text` (see the module documentation).
pub fn parse_acl(text: &str) -> ParsedAcl {
    let mut entries: Vec<&str> = text.split(',').collect();
    // Splitting drops trailing empty pieces, unless nothing was split at all.
    if text.contains(',') {
        while entries.last() == Some(&"") {
            entries.pop();
        }
    }
    let mut parsed = ParsedAcl {
        acls: Vec::new(),
        notices: Vec::new(),
    };
    for entry in entries {
        let (Some(first), Some(last)) = (entry.find(':'), entry.rfind(':')) else {
            parsed
                .notices
                .push(format!("{entry} does not have the form scheme:id:perm"));
            continue;
        };
        if first == last {
            parsed
                .notices
                .push(format!("{entry} does not have the form scheme:id:perm"));
            continue;
        }
        let scheme = entry.get(..first).unwrap_or_default();
        let id = entry.get(first + 1..last).unwrap_or_default();
        let letters = entry.get(last + 1..).unwrap_or_default();
        let permission = parse_permission(letters, &mut parsed.notices);
        parsed
            .acls
            .push(Acl::new(permission, AuthId::new(scheme, id)));
    }
    parsed
}

fn parse_permission(letters: &str, notices: &mut Vec<String>) -> Permission {
    let mut permission = Permission::NONE;
    for letter in letters.chars() {
        let bit = match letter {
            'r' => Permission::READ,
            'w' => Permission::WRITE,
            'c' => Permission::CREATE,
            'd' => Permission::DELETE,
            'a' => Permission::ADMIN,
            other => {
                notices.push(format!("Unknown perm type: {other}"));
                continue;
            }
        };
        permission = permission | bit;
    }
    permission
}

/// The permission letters of `permission`, in zkCli's order (`cdrwa` for all).
pub fn permission_letters(permission: Permission) -> String {
    let mut letters = String::new();
    for (bit, letter) in PRINT_ORDER {
        if permission.has(bit) {
            letters.push(letter);
        }
    }
    letters
}

/// One ACL entry as `getAcl` prints it (two lines, no trailing newline).
pub fn format_acl_entry(acl: &Acl) -> String {
    format!(
        "'{},'{}\n: {}",
        acl.scheme(),
        acl.id(),
        permission_letters(acl.permission())
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn acl(permission: Permission, scheme: &str, id: &str) -> Acl {
        Acl::new(permission, AuthId::new(scheme, id))
    }

    #[test]
    fn parses_each_scheme() {
        let parsed = parse_acl(
            "world:anyone:cdrwa,digest:bob:ikIaKsbtGweaHnb/jKn7OHqbunM=:r,ip:127.0.0.1:rw,auth::a",
        );
        assert!(parsed.notices.is_empty());
        assert_eq!(
            parsed.acls,
            [
                acl(Permission::ALL, "world", "anyone"),
                acl(
                    Permission::READ,
                    "digest",
                    "bob:ikIaKsbtGweaHnb/jKn7OHqbunM="
                ),
                acl(Permission::READ | Permission::WRITE, "ip", "127.0.0.1"),
                acl(Permission::ADMIN, "auth", ""),
            ]
        );
    }

    #[test]
    fn id_spans_first_to_last_colon() {
        let parsed = parse_acl("world:anyone:r:w");
        assert_eq!(parsed.acls, [acl(Permission::WRITE, "world", "anyone:r")]);
        let parsed = parse_acl("a:b:c:d");
        assert_eq!(parsed.acls, [acl(Permission::DELETE, "a", "b:c")]);
    }

    #[test]
    fn malformed_entries_and_letters_give_notices() {
        let parsed = parse_acl("bogus");
        assert!(parsed.acls.is_empty());
        assert_eq!(
            parsed.notices,
            ["bogus does not have the form scheme:id:perm"]
        );
        let parsed = parse_acl(",world:anyone:ad,,ip:127.0.0.1:wc");
        assert_eq!(
            parsed.notices,
            [" does not have the form scheme:id:perm"; 2]
        );
        assert_eq!(parsed.acls.len(), 2);
        let parsed = parse_acl("world:anyone:rxw");
        assert_eq!(parsed.notices, ["Unknown perm type: x"]);
        assert_eq!(
            parsed.acls,
            [acl(Permission::READ | Permission::WRITE, "world", "anyone")]
        );
    }

    #[test]
    fn trailing_empty_entries_vanish() {
        let parsed = parse_acl(",");
        assert!(parsed.acls.is_empty());
        assert!(parsed.notices.is_empty());
        let parsed = parse_acl("world:anyone:r,,");
        assert_eq!(parsed.acls.len(), 1);
        assert!(parsed.notices.is_empty());
        let parsed = parse_acl("");
        assert_eq!(parsed.notices, [" does not have the form scheme:id:perm"]);
    }

    #[test]
    fn letters_print_in_cdrwa_order() {
        assert_eq!(permission_letters(Permission::ALL), "cdrwa");
        assert_eq!(
            permission_letters(Permission::READ | Permission::WRITE),
            "rw"
        );
        assert_eq!(
            permission_letters(Permission::ADMIN | Permission::DELETE),
            "da"
        );
        assert_eq!(
            permission_letters(Permission::WRITE | Permission::CREATE),
            "cw"
        );
        assert_eq!(permission_letters(Permission::NONE), "");
    }

    #[test]
    fn entry_prints_on_two_lines() {
        assert_eq!(
            format_acl_entry(&acl(Permission::ALL, "world", "anyone")),
            "'world,'anyone\n: cdrwa"
        );
        assert_eq!(
            format_acl_entry(&acl(
                Permission::READ,
                "digest",
                "bob:ikIaKsbtGweaHnb/jKn7OHqbunM="
            )),
            "'digest,'bob:ikIaKsbtGweaHnb/jKn7OHqbunM=\n: r"
        );
    }
}
