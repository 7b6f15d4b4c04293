//! Kafka frames as read from a connection: a 4-byte big-endian size, then that many bytes.
//!
//! The size is checked (not negative, at most the caller's maximum) before room for the body
//! is reserved, so a peer cannot make the reader reserve memory it announced but never sent.
//! A clean end of stream before a new size prefix is `Ok(None)`; an end inside a frame is an
//! error.
//!
//! [`FrameReader`] reads into one buffer per connection and hands out each frame as a
//! `Bytes` split off that buffer. Once the frames handed out are dropped (a produce request's
//! records written to the log, a follower's fetched records appended), the buffer's memory is
//! used again: megabyte frames land in the same pages instead of freshly mapped ones that must
//! be faulted in and zeroed for every frame. The price: a connection keeps the memory of its
//! largest frame while it stays open.

use std::io;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

/// The least room offered to a read: small pipelined frames arrive many to a read.
const READ_CHUNK: usize = 64 * 1024;

/// Why no frame could be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The socket failed, or the stream ended inside a frame (`UnexpectedEof`).
    #[error("socket I/O: {0}")]
    Io(#[from] io::Error),
    /// The size prefix is negative or above the maximum.
    #[error("frame size {size} outside 0..={max}")]
    Size { size: i32, max: usize },
}

/// Frames read from one connection.
#[derive(Debug)]
pub struct FrameReader<R> {
    source: R,
    buffer: BytesMut,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(source: R) -> Self {
        FrameReader {
            source,
            buffer: BytesMut::new(),
        }
    }

    /// Bytes read but not yet returned as a frame.
    pub fn buffered(&self) -> &[u8] {
        &self.buffer
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.source
    }

    /// The next frame's payload (at most `max_size` bytes); `Ok(None)` when the peer closed
    /// between frames.
    pub async fn next_frame(&mut self, max_size: usize) -> Result<Option<Bytes>, FrameError> {
        loop {
            let wanted = match self.buffer.get(..4) {
                Some(&[a, b, c, d]) => {
                    let size = i32::from_be_bytes([a, b, c, d]);
                    let length = usize::try_from(size)
                        .ok()
                        .filter(|length| *length <= max_size)
                        .ok_or(FrameError::Size {
                            size,
                            max: max_size,
                        })?;
                    if self.buffer.len() >= 4 + length {
                        self.buffer.advance(4);
                        return Ok(Some(self.buffer.split_to(length).freeze()));
                    }
                    4 + length
                }
                _ => 4,
            };
            // A large frame is read exactly: bytes of the next frame read with it would have
            // to be moved to the front of the buffer when its memory is used again.
            let room = (wanted - self.buffer.len()).max(READ_CHUNK);
            self.buffer.reserve(room);
            let room = u64::try_from(room).unwrap_or(u64::MAX);
            let read = (&mut self.source)
                .take(room)
                .read_buf(&mut self.buffer)
                .await?;
            if read == 0 {
                if self.buffer.is_empty() {
                    return Ok(None);
                }
                return Err(FrameError::Io(io::ErrorKind::UnexpectedEof.into()));
            }
        }
    }
}
