//! Access control: who a connection is (its auth ids), ACL validation and expansion on writes
//! (`fixup`), and the permission check every operation makes.
//!
//! Schemes: `world:anyone`, `auth` (expanded to the caller's authenticated ids), `digest`
//! (`user:BASE64(SHA1("user:password"))`), `ip` (`a.b.c.d`, `a.b.c.d/bits`, IPv6 too) and the
//! `super` id granted by the configured super digest.

use std::net::IpAddr;

use base64::Engine;
use sha1::{Digest, Sha1};

use crate::protocol::codes::{perms, ErrorCode};
use crate::protocol::records::{Acl, Id};

/// The identities a connection has proven: always its `ip`, plus what `addauth` added.
#[derive(Debug, Clone, Default)]
pub struct AuthIds {
    ids: Vec<Id>,
}

impl AuthIds {
    /// The ids every connection starts with: `ip:<remote address>`.
    pub fn for_peer(addr: IpAddr) -> Self {
        Self {
            ids: vec![Id {
                scheme: "ip".into(),
                id: addr.to_string(),
            }],
        }
    }

    pub fn add(&mut self, id: Id) {
        if !self.ids.contains(&id) {
            self.ids.push(id);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Id> {
        self.ids.iter()
    }

    /// Ids that `auth` ACLs expand to: everything but `ip` (ZooKeeper's ip provider does not
    /// count as authenticated).
    fn authenticated(&self) -> impl Iterator<Item = &Id> {
        self.ids
            .iter()
            .filter(|id| id.scheme != "ip" && id.scheme != "super")
    }

    fn is_super(&self) -> bool {
        self.ids.iter().any(|id| id.scheme == "super")
    }
}

/// `user:BASE64(SHA1("user:password"))`, the digest id for a `user:password` credential.
pub fn digest_id(credential: &str) -> String {
    let user = credential.split(':').next().unwrap_or(credential);
    let hash = Sha1::digest(credential.as_bytes());
    format!(
        "{user}:{}",
        base64::engine::general_purpose::STANDARD.encode(hash)
    )
}

/// What `addauth scheme credential` does to a connection. `super_digest` is the configured
/// `user:hash` that grants the super id.
pub fn authenticate(
    ids: &mut AuthIds,
    scheme: &str,
    credential: &[u8],
    peer: IpAddr,
    super_digest: Option<&str>,
) -> Result<(), ErrorCode> {
    match scheme {
        "digest" => {
            let credential = std::str::from_utf8(credential).map_err(|_| ErrorCode::AuthFailed)?;
            let id = digest_id(credential);
            if super_digest == Some(id.as_str()) {
                ids.add(Id {
                    scheme: "super".into(),
                    id: String::new(),
                });
            }
            ids.add(Id {
                scheme: "digest".into(),
                id,
            });
            Ok(())
        }
        "ip" => {
            ids.add(Id {
                scheme: "ip".into(),
                id: peer.to_string(),
            });
            Ok(())
        }
        _ => Err(ErrorCode::AuthFailed),
    }
}

/// Validates and expands the ACL of a create or setACL: an empty list is invalid, `auth` becomes
/// the caller's authenticated ids (invalid if it has none), every other id must be well formed
/// for its scheme. Duplicates are dropped.
pub fn fixup(acl: &[Acl], ids: &AuthIds) -> Result<Vec<Acl>, ErrorCode> {
    if acl.is_empty() {
        return Err(ErrorCode::InvalidAcl);
    }
    let mut out: Vec<Acl> = Vec::with_capacity(acl.len());
    let push = |entry: Acl, out: &mut Vec<Acl>| {
        if !out.contains(&entry) {
            out.push(entry);
        }
    };
    for entry in acl {
        match entry.id.scheme.as_str() {
            "world" if entry.id.id == "anyone" => push(entry.clone(), &mut out),
            "auth" => {
                let mut any = false;
                for id in ids.authenticated() {
                    push(
                        Acl {
                            perms: entry.perms,
                            id: id.clone(),
                        },
                        &mut out,
                    );
                    any = true;
                }
                if !any {
                    return Err(ErrorCode::InvalidAcl);
                }
            }
            "digest" if valid_digest_id(&entry.id.id) => push(entry.clone(), &mut out),
            "ip" if parse_ip_pattern(&entry.id.id).is_some() => push(entry.clone(), &mut out),
            _ => return Err(ErrorCode::InvalidAcl),
        }
    }
    Ok(out)
}

/// ZooKeeper only checks the `user:something` shape of a digest id.
fn valid_digest_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split(':').collect();
    parts.len() == 2 && parts.iter().all(|part| !part.is_empty())
}

/// `a.b.c.d` or `a.b.c.d/bits` (IPv6 likewise) into an address and a prefix length.
fn parse_ip_pattern(pattern: &str) -> Option<(IpAddr, u32)> {
    let (address, bits) = match pattern.split_once('/') {
        Some((address, bits)) => (address, Some(bits)),
        None => (pattern, None),
    };
    let address: IpAddr = address.parse().ok()?;
    let width = if address.is_ipv4() { 32 } else { 128 };
    let bits = match bits {
        Some(bits) => bits.parse::<u32>().ok().filter(|bits| *bits <= width)?,
        None => width,
    };
    Some((address, bits))
}

fn ip_matches(pattern: &str, candidate: &str) -> bool {
    let (Some((network, bits)), Ok(candidate)) =
        (parse_ip_pattern(pattern), candidate.parse::<IpAddr>())
    else {
        return false;
    };
    match (network, candidate) {
        (IpAddr::V4(network), IpAddr::V4(candidate)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(network) & mask == u32::from(candidate) & mask
        }
        (IpAddr::V6(network), IpAddr::V6(candidate)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(network) & mask == u128::from(candidate) & mask
        }
        _ => false,
    }
}

/// Whether `ids` may do an operation needing `perm` on a node with `acl`. An empty ACL allows all;
/// the super id allows all; otherwise any entry granting `perm` whose id matches one of `ids`.
pub fn check(acl: &[Acl], ids: &AuthIds, perm: i32) -> Result<(), ErrorCode> {
    if acl.is_empty() || ids.is_super() {
        return Ok(());
    }
    for entry in acl {
        if entry.perms & perm == 0 {
            continue;
        }
        if entry.id.scheme == "world" && entry.id.id == "anyone" {
            return Ok(());
        }
        for id in ids.iter() {
            if id.scheme != entry.id.scheme {
                continue;
            }
            let matched = match id.scheme.as_str() {
                "ip" => ip_matches(&entry.id.id, &id.id),
                _ => id.id == entry.id.id,
            };
            if matched {
                return Ok(());
            }
        }
    }
    Err(ErrorCode::NoAuth)
}

/// The ACL as getACL shows it to a caller without ADMIN: digest hashes masked as `user:x`.
pub fn masked(acl: &[Acl]) -> Vec<Acl> {
    acl.iter()
        .map(|entry| {
            if entry.id.scheme == "digest" {
                let user = entry.id.id.split(':').next().unwrap_or_default();
                Acl {
                    perms: entry.perms,
                    id: Id {
                        scheme: "digest".into(),
                        id: format!("{user}:x"),
                    },
                }
            } else {
                entry.clone()
            }
        })
        .collect()
}

/// `world:anyone` with all permissions: the ACL of `/`.
pub fn open_acl() -> Vec<Acl> {
    vec![Acl {
        perms: perms::ALL,
        id: Id {
            scheme: "world".into(),
            id: "anyone".into(),
        },
    }]
}

/// `world:anyone` read-only: the ACL of `/zookeeper` and its children.
pub fn read_only_acl() -> Vec<Acl> {
    vec![Acl {
        perms: perms::READ,
        id: Id {
            scheme: "world".into(),
            id: "anyone".into(),
        },
    }]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn acl(perms: i32, scheme: &str, id: &str) -> Acl {
        Acl {
            perms,
            id: Id {
                scheme: scheme.into(),
                id: id.into(),
            },
        }
    }

    #[test]
    fn digest_matches_zookeeper_hashes() {
        assert_eq!(digest_id("bob:pw"), "bob:ikIaKsbtGweaHnb/jKn7OHqbunM=");
        assert_eq!(
            digest_id("alice:secret"),
            "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E="
        );
    }

    #[test]
    fn fixup_rules() {
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let mut ids = AuthIds::for_peer(peer);
        assert_eq!(fixup(&[], &ids), Err(ErrorCode::InvalidAcl));
        assert_eq!(
            fixup(&[acl(31, "auth", "")], &ids),
            Err(ErrorCode::InvalidAcl)
        );
        assert_eq!(
            fixup(&[acl(31, "ip", "300.1.1.1")], &ids),
            Err(ErrorCode::InvalidAcl)
        );
        assert_eq!(
            fixup(&[acl(31, "world", "someone")], &ids),
            Err(ErrorCode::InvalidAcl)
        );
        assert_eq!(
            fixup(&[acl(31, "nosuch", "x")], &ids),
            Err(ErrorCode::InvalidAcl)
        );
        assert!(fixup(&[acl(31, "digest", "u:notahash")], &ids).is_ok());
        assert!(fixup(&[acl(31, "ip", "10.0.0.0/8")], &ids).is_ok());
        authenticate(&mut ids, "digest", b"bob:pw", peer, None).unwrap();
        let expanded = fixup(&[acl(31, "auth", "")], &ids).unwrap();
        assert_eq!(
            expanded,
            vec![acl(31, "digest", "bob:ikIaKsbtGweaHnb/jKn7OHqbunM=")]
        );
    }

    #[test]
    fn check_matches_ids_and_perms() {
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let mut ids = AuthIds::for_peer(peer);
        let node = vec![
            acl(perms::READ, "ip", "127.0.0.0/8"),
            acl(perms::ALL, "digest", &digest_id("bob:pw")),
        ];
        assert!(check(&node, &ids, perms::READ).is_ok());
        assert_eq!(check(&node, &ids, perms::WRITE), Err(ErrorCode::NoAuth));
        authenticate(&mut ids, "digest", b"bob:pw", peer, None).unwrap();
        assert!(check(&node, &ids, perms::WRITE).is_ok());
        assert!(check(&[], &ids, perms::ADMIN).is_ok());
        let mut root = AuthIds::for_peer(peer);
        authenticate(
            &mut root,
            "digest",
            b"super:s",
            peer,
            Some(&digest_id("super:s")),
        )
        .unwrap();
        assert!(check(&[acl(perms::READ, "ip", "10.0.0.1")], &root, perms::ADMIN).is_ok());
        assert_eq!(
            authenticate(&mut root, "kerberos", b"x", peer, None),
            Err(ErrorCode::AuthFailed)
        );
    }

    #[test]
    fn masking_hides_digest_hashes() {
        let shown = masked(&[acl(31, "digest", "bob:hash"), acl(1, "world", "anyone")]);
        assert_eq!(shown[0].id.id, "bob:x");
        assert_eq!(shown[1].id.id, "anyone");
    }
}
