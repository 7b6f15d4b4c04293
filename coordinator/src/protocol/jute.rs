//! Jute binary primitives: the reader and writer every record in [`super`] is built on.
//!
//! Layout (all integers big-endian, no tags, no padding):
//! - `int` = 4 bytes, `long` = 8 bytes, `boolean` = 1 byte (any non-zero byte reads as true,
//!   written as 0 or 1).
//! - `buffer` = `int` length + that many bytes; length −1 means null.
//! - `ustring` = a `buffer` holding UTF-8; null reads as the empty string.
//! - `vector<T>` = `int` count + the items; count −1 means null (read as empty).
//!
//! Every read checks its length against the bytes that remain *before* allocating, so a peer
//! cannot make the server reserve memory it did not send. Nothing here panics on any input:
//! malformed bytes become a [`DecodeError`], and the caller decides whether that closes the
//! connection or answers with an error code.

use thiserror::Error;

/// Why bytes from a peer could not be decoded into a record.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// A fixed-size field needed more bytes than the input had left.
    #[error("input truncated: needed {needed} bytes but only {remaining} remain")]
    Truncated { needed: usize, remaining: usize },
    /// A buffer, string or vector length below −1 (−1 alone means null).
    #[error("negative length {0}")]
    NegativeLength(i32),
    /// A buffer length, or a vector count, larger than the bytes left in the input.
    #[error("length {length} exceeds the {remaining} bytes remaining")]
    LengthTooLarge { length: i32, remaining: usize },
    /// A `ustring` whose bytes are not UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// An op code this server does not serve as a request (unknown, or server-to-client only).
    #[error("unknown op code {0}")]
    UnknownOpCode(i32),
    /// Structurally valid jute that breaks a rule of the record it encodes.
    #[error("invalid record: {0}")]
    Invalid(&'static str),
}

/// At most this many items are reserved up front by [`Reader::read_vec`]; a longer vector grows
/// as its items actually decode, so a large count cannot be turned into a large allocation.
const VEC_PRESIZE_LIMIT: usize = 1024;

/// A cursor over one received frame body (or part of it).
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts reading at the first byte of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Whether every byte has been consumed.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The bytes not yet consumed, without consuming them.
    pub fn rest(&self) -> &'a [u8] {
        self.buf
    }

    fn read_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        match self.buf.split_first_chunk::<N>() {
            Some((head, tail)) => {
                self.buf = tail;
                Ok(*head)
            }
            None => Err(DecodeError::Truncated {
                needed: N,
                remaining: self.buf.len(),
            }),
        }
    }

    /// Reads a jute `int`.
    pub fn read_i32(&mut self) -> Result<i32, DecodeError> {
        self.read_array::<4>().map(i32::from_be_bytes)
    }

    /// Reads a jute `long`.
    pub fn read_i64(&mut self) -> Result<i64, DecodeError> {
        self.read_array::<8>().map(i64::from_be_bytes)
    }

    /// Reads a jute `boolean`: one byte, any non-zero value is true (as Java's `readBoolean`).
    pub fn read_bool(&mut self) -> Result<bool, DecodeError> {
        self.read_array::<1>().map(|[byte]| byte != 0)
    }

    /// A boolean that may be absent at the end of the record (the handshake's readOnly byte,
    /// which pre-3.4 clients and servers do not send): `None` when nothing is left.
    pub fn read_trailing_bool(&mut self) -> Result<Option<bool>, DecodeError> {
        if self.is_empty() {
            Ok(None)
        } else {
            self.read_bool().map(Some)
        }
    }

    /// Reads a length prefix and borrows that many bytes; `None` for the null length −1.
    fn read_length_prefixed(&mut self) -> Result<Option<&'a [u8]>, DecodeError> {
        let length = self.read_i32()?;
        if length == -1 {
            return Ok(None);
        }
        let size = usize::try_from(length).map_err(|_| DecodeError::NegativeLength(length))?;
        match self.buf.split_at_checked(size) {
            Some((head, tail)) => {
                self.buf = tail;
                Ok(Some(head))
            }
            None => Err(DecodeError::LengthTooLarge {
                length,
                remaining: self.buf.len(),
            }),
        }
    }

    /// Reads a jute `buffer`; length −1 gives `None`.
    pub fn read_buffer(&mut self) -> Result<Option<Vec<u8>>, DecodeError> {
        Ok(self.read_length_prefixed()?.map(<[u8]>::to_vec))
    }

    /// Reads a jute `ustring`; the null string (length −1) reads as `""`.
    pub fn read_string(&mut self) -> Result<String, DecodeError> {
        match self.read_length_prefixed()? {
            None => Ok(String::new()),
            Some(bytes) => std::str::from_utf8(bytes)
                .map(str::to_owned)
                .map_err(|_| DecodeError::InvalidUtf8),
        }
    }

    /// Reads a jute `vector`, decoding each item with `item`; count −1 (null) reads as empty.
    ///
    /// Every item takes at least one byte, so a count above the remaining bytes is rejected
    /// before anything is reserved.
    pub fn read_vec<T>(
        &mut self,
        mut item: impl FnMut(&mut Reader<'a>) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let count = self.read_i32()?;
        if count == -1 {
            return Ok(Vec::new());
        }
        let size = usize::try_from(count).map_err(|_| DecodeError::NegativeLength(count))?;
        if size > self.buf.len() {
            return Err(DecodeError::LengthTooLarge {
                length: count,
                remaining: self.buf.len(),
            });
        }
        let mut items = Vec::with_capacity(size.min(VEC_PRESIZE_LIMIT));
        for _ in 0..size {
            items.push(item(self)?);
        }
        Ok(items)
    }
}

/// Builds an outgoing message, optionally framed with its 4-byte length prefix.
#[derive(Debug, Clone, Default)]
pub struct Writer {
    buf: Vec<u8>,
    /// Whether the first 4 bytes of `buf` are a reserved length prefix.
    framed: bool,
}

impl Writer {
    /// An empty, unframed writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// A writer whose first 4 bytes are reserved for the frame length, filled by
    /// [`Writer::finish_frame`].
    /// An empty writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
            framed: false,
        }
    }

    pub fn with_frame() -> Self {
        Self {
            buf: vec![0; 4],
            framed: true,
        }
    }

    /// Writes a jute `int`.
    pub fn write_i32(&mut self, value: i32) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    /// Writes a jute `long`.
    pub fn write_i64(&mut self, value: i64) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    /// Writes a jute `boolean` as 0 or 1.
    pub fn write_bool(&mut self, value: bool) {
        self.buf.push(u8::from(value));
    }

    /// Writes the boolean only when present (see [`Reader::read_trailing_bool`]).
    pub fn write_trailing_bool(&mut self, value: Option<bool>) {
        if let Some(value) = value {
            self.write_bool(value);
        }
    }

    /// Writes a jute `buffer`; `None` is the null buffer (length −1).
    pub fn write_buffer(&mut self, bytes: Option<&[u8]>) {
        match bytes {
            None => self.write_i32(-1),
            Some(bytes) => {
                self.write_length(bytes.len());
                self.buf.extend_from_slice(bytes);
            }
        }
    }

    /// Writes a jute `ustring`.
    pub fn write_string(&mut self, value: &str) {
        self.write_buffer(Some(value.as_bytes()));
    }

    /// Writes a jute `vector`, encoding each item with `item`.
    pub fn write_vec<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Writer, &T)) {
        self.write_length(items.len());
        for value in items {
            item(self, value);
        }
    }

    /// Writes the raw bytes with no length prefix (a sub-record already encoded elsewhere).
    pub fn write_raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    fn write_length(&mut self, length: usize) {
        // Anything this server sends is bounded by jute.maxbuffer, far below i32::MAX; saturate
        // rather than wrap should a caller ever exceed it, so the peer sees a bad length, not
        // a plausible one.
        self.write_i32(i32::try_from(length).unwrap_or(i32::MAX));
    }

    /// Bytes written so far, not counting a reserved frame prefix.
    pub fn len(&self) -> usize {
        if self.framed {
            self.buf.len().saturating_sub(4)
        } else {
            self.buf.len()
        }
    }

    /// Whether nothing has been written (a reserved frame prefix does not count).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns the frame: the 4-byte big-endian body length followed by the body. An unframed
    /// writer gets its prefix prepended here.
    pub fn finish_frame(mut self) -> Vec<u8> {
        let length = i32::try_from(self.len()).unwrap_or(i32::MAX).to_be_bytes();
        if self.framed {
            if let Some(prefix) = self.buf.first_chunk_mut::<4>() {
                *prefix = length;
            }
            self.buf
        } else {
            let mut framed = Vec::with_capacity(self.buf.len() + 4);
            framed.extend_from_slice(&length);
            framed.extend_from_slice(&self.buf);
            framed
        }
    }

    /// Returns every byte written, including a reserved (still zero) frame prefix if any.
    pub fn into_inner(self) -> Vec<u8> {
        self.buf
    }
}

/// A record that can be written in jute form.
pub trait Encode {
    /// Appends this record's fields, in declaration order, to `w`.
    fn encode(&self, w: &mut Writer);

    /// This record alone, unframed.
    fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.encode(&mut w);
        w.into_inner()
    }
}

/// A record that can be read from jute form.
pub trait Decode: Sized {
    /// Reads this record's fields, in declaration order, from `r`. Bytes after the record are
    /// left in `r`.
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    /// Decodes one record from the start of `bytes`, ignoring anything after it (ZooKeeper
    /// ignores trailing bytes in a request body too).
    fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::decode(&mut Reader::new(bytes))
    }
}

// Field-level codecs, so records can be declared as plain structs (see `records`): a
// `Vec<u8>` field is a buffer whose null reads as empty, `Option<Vec<u8>>` keeps null apart,
// and vectors of records are spelled out per item type.

impl Encode for i32 {
    fn encode(&self, w: &mut Writer) {
        w.write_i32(*self);
    }
}

impl Decode for i32 {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.read_i32()
    }
}

impl Encode for i64 {
    fn encode(&self, w: &mut Writer) {
        w.write_i64(*self);
    }
}

impl Decode for i64 {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.read_i64()
    }
}

impl Encode for bool {
    fn encode(&self, w: &mut Writer) {
        w.write_bool(*self);
    }
}

impl Decode for bool {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.read_bool()
    }
}

impl Encode for String {
    fn encode(&self, w: &mut Writer) {
        w.write_string(self);
    }
}

impl Decode for String {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.read_string()
    }
}

impl Encode for Vec<u8> {
    fn encode(&self, w: &mut Writer) {
        w.write_buffer(Some(self));
    }
}

impl Decode for Vec<u8> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(r.read_buffer()?.unwrap_or_default())
    }
}

impl Encode for Option<Vec<u8>> {
    fn encode(&self, w: &mut Writer) {
        w.write_buffer(self.as_deref());
    }
}

impl Decode for Option<Vec<u8>> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.read_buffer()
    }
}

impl Encode for Vec<String> {
    fn encode(&self, w: &mut Writer) {
        w.write_vec(self, |w, item| w.write_string(item));
    }
}

impl Decode for Vec<String> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.read_vec(|r| r.read_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_big_endian() {
        let mut w = Writer::new();
        w.write_i32(0x0102_0304);
        w.write_i64(-2);
        w.write_bool(true);
        let bytes = w.into_inner();
        assert_eq!(
            bytes,
            [1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 1]
        );
        let mut r = Reader::new(&bytes);
        assert_eq!(r.read_i32().unwrap(), 0x0102_0304);
        assert_eq!(r.read_i64().unwrap(), -2);
        assert!(r.read_bool().unwrap());
        assert!(r.is_empty());
    }

    #[test]
    fn any_nonzero_byte_reads_as_true() {
        let mut r = Reader::new(&[0, 1, 7, 0xff]);
        assert_eq!(
            [
                r.read_bool().unwrap(),
                r.read_bool().unwrap(),
                r.read_bool().unwrap(),
                r.read_bool().unwrap()
            ],
            [false, true, true, true]
        );
    }

    #[test]
    fn short_input_reports_what_was_missing() {
        let mut r = Reader::new(&[0, 0, 1]);
        assert_eq!(
            r.read_i32(),
            Err(DecodeError::Truncated {
                needed: 4,
                remaining: 3
            })
        );
        let mut r = Reader::new(&[0; 7]);
        assert_eq!(
            r.read_i64(),
            Err(DecodeError::Truncated {
                needed: 8,
                remaining: 7
            })
        );
        assert_eq!(
            Reader::new(&[]).read_bool(),
            Err(DecodeError::Truncated {
                needed: 1,
                remaining: 0
            })
        );
    }

    #[test]
    fn null_buffer_and_null_string() {
        let mut w = Writer::new();
        w.write_buffer(None);
        w.write_buffer(None);
        w.write_buffer(Some(b""));
        let bytes = w.into_inner();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.read_buffer().unwrap(), None);
        assert_eq!(r.read_string().unwrap(), "");
        assert_eq!(r.read_buffer().unwrap(), Some(Vec::new()));
        assert!(r.is_empty());
    }

    #[test]
    fn buffer_length_checks_come_before_allocation() {
        let bytes = (-2i32).to_be_bytes();
        assert_eq!(
            Reader::new(&bytes).read_buffer(),
            Err(DecodeError::NegativeLength(-2))
        );
        let mut bytes = i32::MAX.to_be_bytes().to_vec();
        bytes.extend_from_slice(b"abc");
        assert_eq!(
            Reader::new(&bytes).read_buffer(),
            Err(DecodeError::LengthTooLarge {
                length: i32::MAX,
                remaining: 3
            })
        );
    }

    #[test]
    fn invalid_utf8_string_is_an_error() {
        let mut w = Writer::new();
        w.write_buffer(Some(&[0xc3, 0x28]));
        assert_eq!(
            Reader::new(&w.into_inner()).read_string(),
            Err(DecodeError::InvalidUtf8)
        );
    }

    #[test]
    fn vector_round_trip_and_null_vector() {
        let items = vec!["a".to_owned(), String::new(), "ünï".to_owned()];
        let mut w = Writer::new();
        w.write_vec(&items, |w, s| w.write_string(s));
        w.write_i32(-1);
        let bytes = w.into_inner();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.read_vec(|r| r.read_string()).unwrap(), items);
        assert_eq!(r.read_vec(|r| r.read_i32()).unwrap(), Vec::<i32>::new());
        assert!(r.is_empty());
    }

    #[test]
    fn huge_vector_count_is_rejected_before_reserving() {
        let mut bytes = i32::MAX.to_be_bytes().to_vec();
        bytes.extend_from_slice(&[0; 8]);
        let mut calls = 0;
        let result = Reader::new(&bytes).read_vec(|r| {
            calls += 1;
            r.read_i32()
        });
        assert_eq!(
            result,
            Err(DecodeError::LengthTooLarge {
                length: i32::MAX,
                remaining: 8
            })
        );
        assert_eq!(calls, 0);
        let bytes = (-5i32).to_be_bytes();
        assert_eq!(
            Reader::new(&bytes).read_vec(|r| r.read_i32()),
            Err(DecodeError::NegativeLength(-5))
        );
    }

    #[test]
    fn frame_prefix_holds_the_body_length() {
        let mut w = Writer::with_frame();
        assert!(w.is_empty());
        w.write_i32(7);
        w.write_string("ab");
        assert_eq!(w.len(), 10);
        assert_eq!(
            w.finish_frame(),
            [0, 0, 0, 10, 0, 0, 0, 7, 0, 0, 0, 2, b'a', b'b']
        );

        let mut w = Writer::new();
        w.write_bool(false);
        assert_eq!(w.finish_frame(), [0, 0, 0, 1, 0]);
    }
}
