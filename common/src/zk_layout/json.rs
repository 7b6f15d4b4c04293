//! A compact JSON writer with explicit key order, and the key orders Kafka's encoders produce.
//!
//! Kafka serializes records with Jackson from Scala or Java maps, so the bytes follow each map's
//! iteration order. The functions here compute those orders from the keys' Java `hashCode`
//! (over UTF-16 code units), as Kafka 3.x built for Scala 2.13 on Java 11+ does:
//!
//! - Scala immutable `Map` literals: up to 4 entries keep insertion order (`Map1`..`Map4`);
//!   5 or more form a CHAMP trie, iterated node by node (a node's own entries first, by 5-bit
//!   hash slice, then its sub-nodes).
//! - Scala `mutable.HashMap`: bucket `improved & (len - 1)` ascending, then improved hash
//!   ascending (signed) inside a bucket; the table starts at a size set by how it was built and
//!   doubles when an insert reaches 3/4 of it.
//! - Java `HashMap` / `ConcurrentHashMap` (a `Properties`): bucket ascending, insertion order
//!   inside a bucket. For `ConcurrentHashMap` this is exact until the first resize moves two
//!   keys of one bucket (a resize may reverse part of a bucket); Kafka only reads configs by key.
//!
//! Output is compact (`{"a":1,"b":[2]}`), strings escaped as Jackson does (short escapes for
//! `\b \t \n \f \r`, `\u00XX` with upper-case hex for other control characters, nothing else).

/// A JSON value with ordered object keys.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Int(i64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub(crate) fn str(text: impl Into<String>) -> Json {
        Json::Str(text.into())
    }

    pub(crate) fn ints<I: IntoIterator<Item = i32>>(values: I) -> Json {
        Json::Array(
            values
                .into_iter()
                .map(|v| Json::Int(i64::from(v)))
                .collect(),
        )
    }

    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Json::Null => out.extend_from_slice(b"null"),
            Json::Int(value) => out.extend_from_slice(value.to_string().as_bytes()),
            Json::Str(text) => write_string(text, out),
            Json::Array(items) => {
                out.push(b'[');
                for (position, item) in items.iter().enumerate() {
                    if position > 0 {
                        out.push(b',');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            Json::Object(entries) => {
                out.push(b'{');
                for (position, (key, value)) in entries.iter().enumerate() {
                    if position > 0 {
                        out.push(b',');
                    }
                    write_string(key, out);
                    out.push(b':');
                    value.write(out);
                }
                out.push(b'}');
            }
        }
    }
}

fn write_string(text: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push(b'"');
    for character in text.chars() {
        match character {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\r' => out.extend_from_slice(b"\\r"),
            control if (control as u32) < 0x20 => {
                let code = control as u32 as usize;
                out.extend_from_slice(b"\\u00");
                for nibble in [code >> 4, code & 0xF] {
                    if let Some(digit) = HEX.get(nibble) {
                        out.push(*digit);
                    }
                }
            }
            other => {
                let mut buffer = [0u8; 4];
                out.extend_from_slice(other.encode_utf8(&mut buffer).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Java's `String.hashCode`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units.
pub(crate) fn java_string_hash(text: &str) -> i32 {
    let mut hash: i32 = 0;
    for unit in text.encode_utf16() {
        hash = hash.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    hash
}

/// `h ^ (h >>> 16)`: the spread used by Java's `HashMap` and Scala 2.13's `mutable.HashMap`.
fn spread(hash: i32) -> i32 {
    hash ^ ((hash as u32) >> 16) as i32
}

/// Scala 2.13 `mutable.HashMap.tableSizeFor`.
fn scala_table_size_for(capacity: usize) -> usize {
    let at_least = capacity.saturating_sub(1).max(4);
    let highest_one_bit = 1usize << (usize::BITS - 1 - at_least.leading_zeros());
    (highest_one_bit * 2).min(1 << 30)
}

/// Table length of a Scala `mutable.HashMap` built by `mutable.Map(k1 -> v1, ...)` from
/// `initial` entries (`HashMap.from` sizes the table from the known size).
pub(crate) fn scala_table_for_literal(initial: usize) -> usize {
    if initial == 0 {
        16
    } else {
        let capacity = ((initial + 1) as f64 / 0.75) as usize;
        scala_table_size_for(capacity)
    }
}

/// Orders entries as a Scala 2.13 `mutable.HashMap` whose table starts at `initial_table` and
/// receives the entries one by one (keys must be distinct).
pub(crate) fn scala_mutable_order(
    mut entries: Vec<(String, Json)>,
    initial_table: usize,
) -> Vec<(String, Json)> {
    let mut table = initial_table.max(1);
    for inserted in 0..entries.len() {
        // put0 grows before inserting when `contentSize + 1 >= threshold`.
        let threshold = (table as f64 * 0.75) as usize;
        if inserted + 1 >= threshold {
            table *= 2;
        }
    }
    let mask = (table - 1) as i32;
    entries.sort_by_key(|(key, _)| {
        let improved = spread(java_string_hash(key));
        (improved & mask, improved)
    });
    entries
}

/// Orders entries as a Scala 2.13 immutable `Map` built from them in this order.
pub(crate) fn scala_immutable_order(entries: Vec<(String, Json)>) -> Vec<(String, Json)> {
    if entries.len() <= 4 {
        return entries;
    }
    let mut keyed: Vec<HashedEntry> = entries
        .into_iter()
        .map(|entry| (scala_improve(java_string_hash(&entry.0)) as u32, entry))
        .collect();
    let mut out = Vec::with_capacity(keyed.len());
    champ_order(&mut keyed, 0, &mut out);
    out
}

/// `scala.collection.Hashing.improve`, applied by immutable `HashMap` to `key.##`.
fn scala_improve(hash: i32) -> i32 {
    let mut h = hash.wrapping_add(!(hash << 9));
    h ^= ((h as u32) >> 14) as i32;
    h = h.wrapping_add(h << 4);
    h ^ ((h as u32) >> 10) as i32
}

/// An entry with its improved hash, as the CHAMP trie sees it.
type HashedEntry = (u32, (String, Json));

fn champ_order(entries: &mut Vec<HashedEntry>, shift: u32, out: &mut Vec<(String, Json)>) {
    let slice_of = |hash: u32| {
        if shift >= 32 {
            0
        } else {
            (hash >> shift) & 0x1F
        }
    };
    let mut groups: Vec<(u32, Vec<HashedEntry>)> = Vec::new();
    for entry in entries.drain(..) {
        let slot = slice_of(entry.0);
        match groups
            .iter_mut()
            .find(|(group_slot, _)| *group_slot == slot)
        {
            Some((_, members)) => members.push(entry),
            None => groups.push((slot, vec![entry])),
        }
    }
    groups.sort_by_key(|(slot, _)| *slot);
    let mut sub_nodes = Vec::new();
    for (_, mut members) in groups {
        if members.len() == 1 || shift >= 32 {
            out.extend(members.drain(..).map(|(_, entry)| entry));
        } else {
            sub_nodes.push(members);
        }
    }
    for mut members in sub_nodes {
        champ_order(&mut members, shift + 5, out);
    }
}

/// Orders entries as a Java `HashMap` (or the `ConcurrentHashMap` inside `Properties`, which
/// resizes one entry earlier) filled in this order, starting from a 16-slot table.
pub(crate) fn java_hash_order(
    mut entries: Vec<(String, Json)>,
    flavour: JavaMap,
) -> Vec<(String, Json)> {
    let mut table: usize = 16;
    for count in 1..=entries.len() {
        let threshold = table * 3 / 4;
        let grows = match flavour {
            JavaMap::HashMap => count > threshold,
            JavaMap::ConcurrentHashMap => count >= threshold,
        };
        if grows {
            table *= 2;
        }
    }
    let mask = (table - 1) as i32;
    // A stable sort keeps insertion order inside a bucket.
    entries.sort_by_key(|(key, _)| spread(java_string_hash(key)) & 0x7FFF_FFFF & mask);
    entries
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum JavaMap {
    HashMap,
    ConcurrentHashMap,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn keys(entries: &[(String, Json)]) -> Vec<&str> {
        entries.iter().map(|(key, _)| key.as_str()).collect()
    }

    fn entries(names: &[&str]) -> Vec<(String, Json)> {
        names
            .iter()
            .map(|name| (name.to_string(), Json::Null))
            .collect()
    }

    #[test]
    fn java_hash_matches_known_values() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(java_string_hash("hello"), 99_162_322);
        assert_eq!(java_string_hash("version"), 351_608_024);
    }

    #[test]
    fn immutable_map_of_five_is_hash_ordered_like_kafka_partition_state() {
        // Real Kafka brokers write partition state with exactly this key order.
        let ordered = scala_immutable_order(entries(&[
            "version",
            "leader",
            "leader_epoch",
            "controller_epoch",
            "isr",
        ]));
        assert_eq!(
            keys(&ordered),
            [
                "controller_epoch",
                "leader",
                "version",
                "leader_epoch",
                "isr"
            ]
        );
    }

    #[test]
    fn small_immutable_maps_keep_insertion_order() {
        let ordered = scala_immutable_order(entries(&["version", "id"]));
        assert_eq!(keys(&ordered), ["version", "id"]);
    }

    #[test]
    fn mutable_map_grows_at_three_quarters() {
        let names: Vec<String> = (0..12).map(|p| p.to_string()).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let ordered = scala_mutable_order(entries(&refs), 16);
        // 12 inserts grow the table to 32: "11" lands in slot 0, "10" in slot 31.
        assert_eq!(
            keys(&ordered),
            ["11", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
        );
        let few = scala_mutable_order(entries(&["2", "0", "1"]), 16);
        assert_eq!(keys(&few), ["0", "1", "2"]);
    }

    #[test]
    fn table_size_for_literals() {
        assert_eq!(scala_table_for_literal(0), 16);
        assert_eq!(scala_table_for_literal(3), 8);
        assert_eq!(scala_table_for_literal(4), 8);
        assert_eq!(scala_table_for_literal(6), 16);
    }

    #[test]
    fn strings_are_escaped_like_jackson() {
        let value = Json::str("a\"b\\c\n\u{1}é/");
        assert_eq!(value.to_bytes(), "\"a\\\"b\\\\c\\n\\u0001é/\"".as_bytes());
    }

    #[test]
    fn nested_values_are_compact() {
        let value = Json::Object(vec![
            ("a".to_string(), Json::ints([1, 2])),
            ("b".to_string(), Json::Object(Vec::new())),
            ("c".to_string(), Json::Null),
        ]);
        assert_eq!(value.to_bytes(), br#"{"a":[1,2],"b":{},"c":null}"#);
    }
}
