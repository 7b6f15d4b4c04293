//! Just enough of ZooKeeper's jute wire format to build requests and read replies by hand,
//! written here from the protocol description so protocol-level tests do not depend on the
//! coordinator crate they test.
//!
//! Encoding is big-endian: `int` i32, `long` i64, `boolean` one byte, `buffer`/`ustring` an
//! i32 length (−1 = null) then the bytes, `vector` an i32 count (−1 = null) then the items.
//! Records are their fields in order, with no tags.

use crate::error::TestkitError;

/// Op codes (the request header's `type`).
pub mod op {
    pub const NOTIFICATION: i32 = 0;
    pub const CREATE: i32 = 1;
    pub const DELETE: i32 = 2;
    pub const EXISTS: i32 = 3;
    pub const GET_DATA: i32 = 4;
    pub const SET_DATA: i32 = 5;
    pub const GET_ACL: i32 = 6;
    pub const SET_ACL: i32 = 7;
    pub const GET_CHILDREN: i32 = 8;
    pub const SYNC: i32 = 9;
    pub const PING: i32 = 11;
    pub const GET_CHILDREN2: i32 = 12;
    pub const CHECK: i32 = 13;
    pub const MULTI: i32 = 14;
    pub const CREATE2: i32 = 15;
    pub const RECONFIG: i32 = 16;
    pub const CHECK_WATCHES: i32 = 17;
    pub const REMOVE_WATCHES: i32 = 18;
    pub const CREATE_CONTAINER: i32 = 19;
    pub const CREATE_TTL: i32 = 21;
    pub const MULTI_READ: i32 = 22;
    pub const AUTH: i32 = 100;
    pub const SET_WATCHES: i32 = 101;
    pub const GET_EPHEMERALS: i32 = 103;
    pub const GET_ALL_CHILDREN_NUMBER: i32 = 104;
    pub const SET_WATCHES2: i32 = 105;
    pub const ADD_WATCH: i32 = 106;
    pub const WHO_AM_I: i32 = 107;
    pub const CLOSE_SESSION: i32 = -11;
    /// The type of a multi's end marker and of an error result inside a multi reply.
    pub const ERROR: i32 = -1;
}

/// Error codes (`ReplyHeader.err`).
pub mod code {
    pub const OK: i32 = 0;
    pub const RUNTIME_INCONSISTENCY: i32 = -2;
    pub const UNIMPLEMENTED: i32 = -6;
    pub const BAD_ARGUMENTS: i32 = -8;
    pub const NO_NODE: i32 = -101;
    pub const NO_AUTH: i32 = -102;
    pub const BAD_VERSION: i32 = -103;
    pub const NO_CHILDREN_FOR_EPHEMERALS: i32 = -108;
    pub const NODE_EXISTS: i32 = -110;
    pub const NOT_EMPTY: i32 = -111;
    pub const SESSION_EXPIRED: i32 = -112;
    pub const INVALID_ACL: i32 = -114;
    pub const AUTH_FAILED: i32 = -115;
    pub const NO_WATCHER: i32 = -121;
    pub const RECONFIG_DISABLED: i32 = -123;
}

/// Special xids.
pub mod xid {
    pub const NOTIFICATION: i32 = -1;
    pub const PING: i32 = -2;
    pub const AUTH: i32 = -4;
    pub const SET_WATCHES: i32 = -8;
}

/// Watcher event types carried by notifications.
pub mod event {
    pub const NODE_CREATED: i32 = 1;
    pub const NODE_DELETED: i32 = 2;
    pub const NODE_DATA_CHANGED: i32 = 3;
    pub const NODE_CHILDREN_CHANGED: i32 = 4;
}

/// Watcher types of checkWatches / removeWatches.
pub mod watcher_type {
    pub const CHILDREN: i32 = 1;
    pub const DATA: i32 = 2;
    pub const ANY: i32 = 3;
}

/// Permission bits of an ACL entry.
pub mod perm {
    pub const READ: i32 = 1;
    pub const WRITE: i32 = 2;
    pub const CREATE: i32 = 4;
    pub const DELETE: i32 = 8;
    pub const ADMIN: i32 = 16;
    pub const ALL: i32 = 31;
}

/// Appends jute fields to a byte vector.
#[derive(Debug, Default, Clone)]
pub struct JuteWriter {
    bytes: Vec<u8>,
}

impl JuteWriter {
    pub fn new() -> Self {
        JuteWriter::default()
    }

    pub fn int(mut self, value: i32) -> Self {
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }

    pub fn long(mut self, value: i64) -> Self {
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }

    pub fn boolean(mut self, value: bool) -> Self {
        self.bytes.push(u8::from(value));
        self
    }

    /// A length-prefixed buffer; `None` writes the null length −1.
    pub fn buffer(self, value: Option<&[u8]>) -> Self {
        match value {
            None => self.int(-1),
            Some(bytes) => {
                let mut this = self.int(jute_len(bytes.len()));
                this.bytes.extend_from_slice(bytes);
                this
            }
        }
    }

    pub fn string(self, value: &str) -> Self {
        self.buffer(Some(value.as_bytes()))
    }

    pub fn strings(self, values: &[&str]) -> Self {
        let mut this = self.int(jute_len(values.len()));
        for value in values {
            this = this.string(value);
        }
        this
    }

    /// A vector of `ACL{perms, Id{scheme, id}}`.
    pub fn acl(self, entries: &[(i32, &str, &str)]) -> Self {
        let mut this = self.int(jute_len(entries.len()));
        for (perms, scheme, id) in entries {
            this = this.int(*perms).string(scheme).string(id);
        }
        this
    }

    /// Raw bytes, unframed.
    pub fn raw(mut self, bytes: &[u8]) -> Self {
        self.bytes.extend_from_slice(bytes);
        self
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// Lengths in these tests are tiny; saturate rather than wrap if one is not.
fn jute_len(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// Reads jute fields from a byte slice, checking every length against what is left.
#[derive(Debug, Clone)]
pub struct JuteReader<'a> {
    rest: &'a [u8],
}

impl<'a> JuteReader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        JuteReader { rest: bytes }
    }

    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    fn take(&mut self, field: &'static str, needed: usize) -> Result<&'a [u8], TestkitError> {
        if needed > self.rest.len() {
            return Err(TestkitError::Truncated {
                field,
                needed,
                remaining: self.rest.len(),
            });
        }
        let (head, tail) = self.rest.split_at(needed);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], TestkitError> {
        let bytes = self.take(field, N)?;
        let mut array = [0u8; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }

    pub fn int(&mut self, field: &'static str) -> Result<i32, TestkitError> {
        Ok(i32::from_be_bytes(self.array::<4>(field)?))
    }

    pub fn long(&mut self, field: &'static str) -> Result<i64, TestkitError> {
        Ok(i64::from_be_bytes(self.array::<8>(field)?))
    }

    pub fn boolean(&mut self, field: &'static str) -> Result<bool, TestkitError> {
        Ok(self.array::<1>(field)? != [0])
    }

    /// A buffer; `None` for the null length −1 (any negative length).
    pub fn buffer(&mut self, field: &'static str) -> Result<Option<Vec<u8>>, TestkitError> {
        let len = self.int(field)?;
        let Ok(len) = usize::try_from(len) else {
            return Ok(None);
        };
        Ok(Some(self.take(field, len)?.to_vec()))
    }

    /// A string; null reads as the empty string.
    pub fn string(&mut self, field: &'static str) -> Result<String, TestkitError> {
        let bytes = self.buffer(field)?.unwrap_or_default();
        String::from_utf8(bytes).map_err(|_| TestkitError::NotUtf8 { field })
    }

    /// A vector of strings; null reads as empty.
    pub fn strings(&mut self, field: &'static str) -> Result<Vec<String>, TestkitError> {
        let count = self.int(field)?;
        let mut values = Vec::new();
        for _ in 0..count.max(0) {
            values.push(self.string(field)?);
        }
        Ok(values)
    }

    /// A vector of `ACL{perms, Id{scheme, id}}`.
    pub fn acl(&mut self) -> Result<Vec<(i32, String, String)>, TestkitError> {
        let count = self.int("acl count")?;
        let mut entries = Vec::new();
        for _ in 0..count.max(0) {
            let perms = self.int("acl perms")?;
            let scheme = self.string("acl scheme")?;
            let id = self.string("acl id")?;
            entries.push((perms, scheme, id));
        }
        Ok(entries)
    }

    pub fn stat(&mut self) -> Result<Stat, TestkitError> {
        Ok(Stat {
            czxid: self.long("stat czxid")?,
            mzxid: self.long("stat mzxid")?,
            ctime: self.long("stat ctime")?,
            mtime: self.long("stat mtime")?,
            version: self.int("stat version")?,
            cversion: self.int("stat cversion")?,
            aversion: self.int("stat aversion")?,
            ephemeral_owner: self.long("stat ephemeralOwner")?,
            data_length: self.int("stat dataLength")?,
            num_children: self.int("stat numChildren")?,
            pzxid: self.long("stat pzxid")?,
        })
    }

    pub fn watcher_event(&mut self) -> Result<WatcherEvent, TestkitError> {
        Ok(WatcherEvent {
            event_type: self.int("event type")?,
            state: self.int("event state")?,
            path: self.string("event path")?,
        })
    }
}

/// A znode's `Stat` in wire order (pzxid last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub czxid: i64,
    pub mzxid: i64,
    pub ctime: i64,
    pub mtime: i64,
    pub version: i32,
    pub cversion: i32,
    pub aversion: i32,
    pub ephemeral_owner: i64,
    pub data_length: i32,
    pub num_children: i32,
    pub pzxid: i64,
}

/// The body of a notification (xid −1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatcherEvent {
    pub event_type: i32,
    pub state: i32,
    pub path: String,
}

/// Request bodies (the record after the `RequestHeader`).
pub mod request {
    use super::JuteWriter;

    /// `CreateRequest{path, data, acl, flags}` (ops 1, 15, 19).
    pub fn create(
        path: &str,
        data: Option<&[u8]>,
        acl: &[(i32, &str, &str)],
        flags: i32,
    ) -> Vec<u8> {
        JuteWriter::new()
            .string(path)
            .buffer(data)
            .acl(acl)
            .int(flags)
            .into_bytes()
    }

    /// `CreateTTLRequest{path, data, acl, flags, ttl}` (op 21).
    pub fn create_ttl(
        path: &str,
        data: Option<&[u8]>,
        acl: &[(i32, &str, &str)],
        flags: i32,
        ttl: i64,
    ) -> Vec<u8> {
        JuteWriter::new()
            .string(path)
            .buffer(data)
            .acl(acl)
            .int(flags)
            .long(ttl)
            .into_bytes()
    }

    /// `{path, watch}`: exists, getData, getChildren, getChildren2.
    pub fn path_watch(path: &str, watch: bool) -> Vec<u8> {
        JuteWriter::new().string(path).boolean(watch).into_bytes()
    }

    /// `{path}`: sync, getACL, getEphemerals, getAllChildrenNumber.
    pub fn path(path: &str) -> Vec<u8> {
        JuteWriter::new().string(path).into_bytes()
    }

    /// `SetDataRequest{path, data, version}`.
    pub fn set_data(path: &str, data: Option<&[u8]>, version: i32) -> Vec<u8> {
        JuteWriter::new()
            .string(path)
            .buffer(data)
            .int(version)
            .into_bytes()
    }

    /// `DeleteRequest{path, version}` and `CheckVersionRequest{path, version}`.
    pub fn path_version(path: &str, version: i32) -> Vec<u8> {
        JuteWriter::new().string(path).int(version).into_bytes()
    }

    /// `CheckWatchesRequest` / `RemoveWatchesRequest` `{path, type}`.
    pub fn watches(path: &str, watcher_type: i32) -> Vec<u8> {
        JuteWriter::new()
            .string(path)
            .int(watcher_type)
            .into_bytes()
    }

    /// `AddWatchRequest{path, mode}`: 0 persistent, 1 persistent-recursive.
    pub fn add_watch(path: &str, mode: i32) -> Vec<u8> {
        JuteWriter::new().string(path).int(mode).into_bytes()
    }

    /// `SetWatches{relativeZxid, dataWatches, existWatches, childWatches}` (op 101).
    pub fn set_watches(
        relative_zxid: i64,
        data: &[&str],
        exist: &[&str],
        child: &[&str],
    ) -> Vec<u8> {
        JuteWriter::new()
            .long(relative_zxid)
            .strings(data)
            .strings(exist)
            .strings(child)
            .into_bytes()
    }

    /// `AuthPacket{type 0, scheme, auth}` (op 100, xid −4).
    pub fn auth(scheme: &str, auth: &[u8]) -> Vec<u8> {
        JuteWriter::new()
            .int(0)
            .string(scheme)
            .buffer(Some(auth))
            .into_bytes()
    }

    /// A `MultiHeader{type, done, err}`; a multi ends with `multi_header(-1, true, -1)`.
    pub fn multi_header(op: i32, done: bool, err: i32) -> Vec<u8> {
        JuteWriter::new()
            .int(op)
            .boolean(done)
            .int(err)
            .into_bytes()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn stat_round_trips_in_wire_order() {
        let bytes = JuteWriter::new()
            .long(1)
            .long(2)
            .long(3)
            .long(4)
            .int(5)
            .int(6)
            .int(7)
            .long(8)
            .int(9)
            .int(10)
            .long(11)
            .into_bytes();
        assert_eq!(bytes.len(), 68);
        let stat = JuteReader::new(&bytes).stat().unwrap();
        assert_eq!(
            stat,
            Stat {
                czxid: 1,
                mzxid: 2,
                ctime: 3,
                mtime: 4,
                version: 5,
                cversion: 6,
                aversion: 7,
                ephemeral_owner: 8,
                data_length: 9,
                num_children: 10,
                pzxid: 11
            }
        );
    }

    #[test]
    fn null_buffer_and_truncation_are_reported() {
        let bytes = JuteWriter::new()
            .buffer(None)
            .int(10)
            .raw(b"abc")
            .into_bytes();
        let mut reader = JuteReader::new(&bytes);
        assert_eq!(reader.buffer("null").unwrap(), None);
        let err = reader.buffer("short").unwrap_err();
        assert!(
            matches!(
                err,
                TestkitError::Truncated {
                    needed: 10,
                    remaining: 3,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn create_request_layout() {
        let body = request::create("/a", Some(b"x"), &[(perm::ALL, "world", "anyone")], 1);
        let mut reader = JuteReader::new(&body);
        assert_eq!(reader.string("path").unwrap(), "/a");
        assert_eq!(reader.buffer("data").unwrap(), Some(b"x".to_vec()));
        assert_eq!(
            reader.acl().unwrap(),
            vec![(31, "world".to_string(), "anyone".to_string())]
        );
        assert_eq!(reader.int("flags").unwrap(), 1);
        assert_eq!(reader.remaining(), 0);
    }
}
