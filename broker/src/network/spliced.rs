//! Response frames whose record bytes stay in the log files until they reach the socket.
//!
//! A fetch answer is mostly records already stored as the producer sent them. Copying them
//! from the page cache into a buffer, again into the encoded response and once more into the
//! socket costs more CPU than the rest of a fetch; a [`Frame::Spliced`] instead holds the
//! encoded fields as bytes and each partition's records as [`FileSlice`]s, which
//! [`write_frames`] hands to `sendfile(2)` (page cache to socket, no copy through the broker).
//!
//! The response is still encoded by `kafka-protocol`, so every version and field is written
//! by the same code as any other response: each partition's `records` is set to a
//! [`placeholder`] of the right length (a slice of a zeroed region that is never written to
//! the frame), and the encoder's buffer ([`SplicingBuf`]) recognises that slice when the
//! encoder writes it, keeps the length prefix the encoder wrote before it, and records a cut
//! where the file ranges go. If the encoder did not write every placeholder exactly once, in
//! order and whole, the frame is refused ([`encode_spliced`] returns `None`) and the caller
//! reads the records into memory instead: a placeholder never reaches a client.
//!
//! A segment truncated between the read and the send (a leader turned follower cutting its
//! log) shows as a short `sendfile`; the frame cannot be completed, so the connection is
//! closed, as Kafka does when its file records shrink under a send.

use std::collections::VecDeque;
use std::io;
use std::ops::Range;
use std::sync::OnceLock;

use bytes::buf::UninitSlice;
use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::protocol::buf::ByteBufMut;
use tokio::io::{AsyncWriteExt, Interest};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;

use super::NetworkError;
use crate::log::FileSlice;

/// A response frame ready to write.
#[derive(Debug)]
pub enum Frame {
    /// Size prefix and payload in memory.
    Whole(Bytes),
    /// Size prefix and encoded fields in memory, records in files.
    Spliced(Vec<Part>),
}

/// A piece of a [`Frame::Spliced`], in wire order.
#[derive(Debug)]
pub enum Part {
    Bytes(Bytes),
    File(FileSlice),
}

impl Frame {
    /// The frame's size on the wire, prefix included.
    pub fn len(&self) -> usize {
        match self {
            Frame::Whole(bytes) => bytes.len(),
            Frame::Spliced(parts) => parts.iter().map(Part::len).sum(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Part {
    fn len(&self) -> usize {
        match self {
            Part::Bytes(bytes) => bytes.len(),
            Part::File(slice) => usize::try_from(slice.len).unwrap_or(usize::MAX),
        }
    }
}

/// The largest record set a placeholder can stand for; larger reads are sent from memory.
pub const PLACEHOLDER_MAX: usize = 64 * 1024 * 1024;

/// The zeroed region placeholders are cut from. Allocated zeroed (the allocator maps fresh
/// pages for a region this size) and never read or written, so it takes address space, not
/// memory.
fn region() -> &'static [u8] {
    static REGION: OnceLock<&'static [u8]> = OnceLock::new();
    REGION.get_or_init(|| vec![0u8; PLACEHOLDER_MAX].leak())
}

/// A stand-in for `len` bytes of records (1..=[`PLACEHOLDER_MAX`]), to be set as a
/// partition's `records` before encoding with [`encode_spliced`].
pub fn placeholder(len: usize) -> Option<Bytes> {
    if len == 0 {
        return None;
    }
    region().get(..len).map(Bytes::from_static)
}

/// Whether `bytes` is a placeholder (the encoder writes records with one `put_slice` of
/// the whole field, which is what the check relies on).
pub fn is_placeholder(bytes: &[u8]) -> bool {
    !bytes.is_empty() && std::ptr::eq(bytes.as_ptr(), region().as_ptr())
}

/// The encoder's buffer: bytes as written, except placeholders, which become cuts.
pub struct SplicingBuf {
    bytes: BytesMut,
    /// The file ranges for the placeholders still to come, in encoding order.
    pending: VecDeque<Vec<FileSlice>>,
    /// Where each placeholder was (an offset into `bytes`) and the ranges that replace it.
    cuts: Vec<(usize, Vec<FileSlice>)>,
    /// A placeholder arrived with no ranges left for it, or of another length.
    mismatched: bool,
}

impl SplicingBuf {
    /// A buffer for a response whose placeholders, in encoding order, stand for `pending`.
    pub fn new(capacity: usize, pending: Vec<Vec<FileSlice>>) -> Self {
        SplicingBuf {
            bytes: BytesMut::with_capacity(capacity),
            pending: pending.into(),
            cuts: Vec::new(),
            mismatched: false,
        }
    }

    /// The frame's parts, with the 4-byte size prefix (already written as a gap at the
    /// start) filled in; `Ok(None)` when the placeholders did not match the ranges.
    pub fn finish(mut self) -> Result<Option<Frame>, NetworkError> {
        if self.mismatched || !self.pending.is_empty() {
            return Ok(None);
        }
        let files = self
            .cuts
            .iter()
            .map(|(_, slices)| slices_len(slices))
            .fold(0usize, usize::saturating_add);
        let payload_len = self.bytes.len().saturating_sub(4).saturating_add(files);
        let size = i32::try_from(payload_len)
            .map_err(|_| NetworkError::ResponseTooLarge { len: payload_len })?;
        if let Some(prefix) = self.bytes.get_mut(0..4) {
            prefix.copy_from_slice(&size.to_be_bytes());
        }
        let mut bytes = self.bytes.freeze();
        let mut parts = Vec::with_capacity(self.cuts.len() * 2 + 1);
        let mut consumed = 0usize;
        for (at, slices) in self.cuts {
            parts.push(Part::Bytes(bytes.split_to(at - consumed)));
            consumed = at;
            parts.extend(slices.into_iter().map(Part::File));
        }
        if !bytes.is_empty() {
            parts.push(Part::Bytes(bytes));
        }
        Ok(Some(Frame::Spliced(parts)))
    }
}

// SAFETY: every method forwards to the `BytesMut`, whose implementation upholds the
// trait's contract; `put_slice` only decides whether to forward.
unsafe impl BufMut for SplicingBuf {
    fn remaining_mut(&self) -> usize {
        self.bytes.remaining_mut()
    }

    unsafe fn advance_mut(&mut self, count: usize) {
        // SAFETY: the caller's guarantee (`count` bytes of `chunk_mut` initialised) is about
        // the chunk `BytesMut::chunk_mut` returned, which is what `chunk_mut` below returns.
        unsafe { self.bytes.advance_mut(count) }
    }

    fn chunk_mut(&mut self) -> &mut UninitSlice {
        self.bytes.chunk_mut()
    }

    fn put_slice(&mut self, source: &[u8]) {
        if !is_placeholder(source) {
            self.bytes.put_slice(source);
            return;
        }
        match self.pending.pop_front() {
            Some(slices) if slices_len(&slices) == source.len() => {
                self.cuts.push((self.bytes.len(), slices));
            }
            _ => self.mismatched = true,
        }
    }
}

impl ByteBufMut for SplicingBuf {
    fn offset(&self) -> usize {
        self.bytes.len()
    }

    fn seek(&mut self, offset: usize) {
        self.bytes.resize(offset, 0);
    }

    fn range(&mut self, range: Range<usize>) -> &mut [u8] {
        self.bytes.get_mut(range).unwrap_or_default()
    }
}

/// The bytes `slices` cover.
pub fn slices_len(slices: &[FileSlice]) -> usize {
    slices
        .iter()
        .map(|slice| usize::try_from(slice.len).unwrap_or(usize::MAX))
        .fold(0usize, usize::saturating_add)
}

/// Writes `frames` in order: runs of in-memory bytes joined into one write (small answers
/// to pipelined requests leave together), file ranges sent with `sendfile(2)`.
pub async fn write_frames(
    writer: &mut OwnedWriteHalf,
    frames: Vec<Frame>,
) -> Result<(), NetworkError> {
    let mut run: Vec<Bytes> = Vec::new();
    for frame in frames {
        match frame {
            Frame::Whole(bytes) => run.push(bytes),
            Frame::Spliced(parts) => {
                let size: usize = parts.iter().map(Part::len).sum();
                make_room(writer.as_ref(), size);
                for part in parts {
                    match part {
                        Part::Bytes(bytes) => run.push(bytes),
                        Part::File(slice) => {
                            write_run(writer, &mut run).await?;
                            send_file(writer.as_ref(), &slice).await?;
                        }
                    }
                }
            }
        }
    }
    write_run(writer, &mut run).await
}

/// The largest send buffer [`make_room`] asks for.
pub const SEND_BUFFER_MAX: usize = 4 * 1024 * 1024;

/// Raises the socket's send buffer to hold a frame of `size` bytes whole (at most
/// [`SEND_BUFFER_MAX`], and never lowering it). With a buffer smaller than the answer
/// (Kafka's default `socket.send.buffer.bytes` is 100 KiB), `sendfile` stops every time the
/// buffer is full and the answer needs as many wake-ups of both processes as it has
/// buffer-fuls: a follower's 1 MiB fetch took ten and most of its round trip. Failing to
/// raise it only costs speed.
fn make_room(stream: &TcpStream, size: usize) {
    let socket = socket2::SockRef::from(stream);
    let wanted = size.min(SEND_BUFFER_MAX);
    // Linux reports twice the size asked for (its bookkeeping share included).
    match socket.send_buffer_size() {
        Ok(current) if current / 2 >= wanted => {}
        _ => {
            if let Err(error) = socket.set_send_buffer_size(wanted) {
                tracing::debug!(%error, wanted, "cannot raise the send buffer");
            }
        }
    }
}

/// Writes the buffered bytes with one write (joining them when there are several).
async fn write_run(writer: &mut OwnedWriteHalf, run: &mut Vec<Bytes>) -> Result<(), NetworkError> {
    match run.len() {
        0 => {}
        1 => {
            if let Some(bytes) = run.pop() {
                writer.write_all(&bytes).await?;
            }
        }
        _ => {
            let mut joined = BytesMut::with_capacity(run.iter().map(Bytes::len).sum());
            for bytes in run.drain(..) {
                joined.extend_from_slice(&bytes);
            }
            writer.write_all(&joined).await?;
        }
    }
    Ok(())
}

/// Sends `slice` from its file to the socket with `sendfile(2)`, waiting for the socket to
/// take more whenever it is full.
async fn send_file(stream: &TcpStream, slice: &FileSlice) -> Result<(), NetworkError> {
    let mut position = slice.position;
    let end = slice.position.saturating_add(slice.len);
    while position < end {
        let count = usize::try_from(end - position).unwrap_or(usize::MAX);
        stream.writable().await?;
        let sent = stream.try_io(Interest::WRITABLE, || {
            rustix::fs::sendfile(stream, &*slice.file, Some(&mut position), count)
                .map_err(io::Error::from)
        });
        match sent {
            Ok(0) => {
                return Err(NetworkError::Io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "{} ends before byte {end}: the log was truncated while a fetch was sent",
                        slice.path.display()
                    ),
                )))
            }
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
            Err(error) => return Err(NetworkError::Io(error)),
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::Arc;

    #[test]
    fn placeholders_are_recognised_by_address_only() {
        let stand_in = placeholder(10).unwrap();
        assert!(is_placeholder(&stand_in));
        assert!(!is_placeholder(&[0u8; 10]));
        assert!(placeholder(0).is_none());
        assert!(placeholder(PLACEHOLDER_MAX + 1).is_none());
    }

    #[test]
    fn mismatched_placeholders_refuse_the_frame() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"0123456789").unwrap();
        let slice = FileSlice {
            file: Arc::new(file),
            path: "test.log".into(),
            position: 2,
            len: 5,
        };
        // A placeholder of another length.
        let mut buf = SplicingBuf::new(16, vec![vec![slice.clone()]]);
        buf.put_i32(0);
        buf.put_slice(&placeholder(4).unwrap());
        assert!(buf.finish().unwrap().is_none());
        // A range never claimed.
        let mut buf = SplicingBuf::new(16, vec![vec![slice.clone()]]);
        buf.put_i32(0);
        assert!(buf.finish().unwrap().is_none());
        // Claimed: prefix counts the file bytes.
        let mut buf = SplicingBuf::new(16, vec![vec![slice]]);
        buf.put_i32(0);
        buf.put_slice(b"ab");
        buf.put_slice(&placeholder(5).unwrap());
        buf.put_slice(b"c");
        let Some(Frame::Spliced(parts)) = buf.finish().unwrap() else {
            panic!("expected a spliced frame");
        };
        assert_eq!(parts.len(), 3);
        match (&parts[0], &parts[1], &parts[2]) {
            (Part::Bytes(head), Part::File(file), Part::Bytes(tail)) => {
                assert_eq!(&head[..], &[0, 0, 0, 8, b'a', b'b']);
                assert_eq!((file.position, file.len), (2, 5));
                assert_eq!(&tail[..], b"c");
            }
            other => panic!("unexpected parts {other:?}"),
        }
    }
}
