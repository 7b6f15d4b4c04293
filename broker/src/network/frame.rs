//! Kafka frames: a 4-byte big-endian size, then that many bytes (request header + body).
//!
//! The size is checked (not negative, at most `socket.request.max.bytes`) before room for the
//! body is reserved, so a peer cannot make the broker reserve memory it announced but
//! never sent. A clean end of stream before a new size prefix is `Ok(None)`; an end inside a
//! frame is an error.
//!
//! [`FrameReader`] reads into one buffer per connection and hands out each frame as a
//! `Bytes` split off that buffer. Once the frames handed out are dropped (a produce
//! request's records are written to the log before the next request is read), the buffer's
//! memory is used again: a producer sending megabyte requests is served from the same pages
//! instead of freshly mapped ones that must be faulted in and zeroed for every request. The
//! price: a connection keeps the memory of its largest request while it stays open.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::NetworkError;

/// The least room offered to a read: small pipelined requests arrive many to a read.
const READ_CHUNK: usize = 64 * 1024;

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

    /// The next frame's payload; `Ok(None)` when the peer closed between frames.
    pub async fn next_frame(&mut self, max_size: i32) -> Result<Option<Bytes>, NetworkError> {
        loop {
            let wanted = match self.buffer.get(..4) {
                Some(&[a, b, c, d]) => {
                    let size = i32::from_be_bytes([a, b, c, d]);
                    let length = usize::try_from(size)
                        .ok()
                        .filter(|_| size <= max_size)
                        .ok_or(NetworkError::FrameSize {
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
                return Err(NetworkError::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
        }
    }
}

/// Prefixes `payload` with its size.
pub fn encode_frame(payload: &[u8]) -> Result<Bytes, NetworkError> {
    let size = i32::try_from(payload.len())
        .map_err(|_| NetworkError::ResponseTooLarge { len: payload.len() })?;
    let mut frame = BytesMut::with_capacity(payload.len() + 4);
    frame.put_i32(size);
    frame.put_slice(payload);
    Ok(frame.freeze())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frame_round_trips_and_eof_between_frames_is_clean() {
        let mut wire = encode_frame(b"hello").unwrap().to_vec();
        wire.extend_from_slice(&encode_frame(b"").unwrap());
        let mut reader = FrameReader::new(wire.as_slice());
        assert_eq!(
            reader.next_frame(100).await.unwrap().unwrap(),
            &b"hello"[..]
        );
        assert_eq!(reader.next_frame(100).await.unwrap().unwrap(), &b""[..]);
        assert!(reader.next_frame(100).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn oversized_and_negative_sizes_are_refused_before_reading_the_body() {
        let wire = 101i32.to_be_bytes();
        let error = FrameReader::new(wire.as_slice())
            .next_frame(100)
            .await
            .unwrap_err();
        assert!(matches!(
            error,
            NetworkError::FrameSize {
                size: 101,
                max: 100
            }
        ));
        let wire = (-1i32).to_be_bytes();
        let error = FrameReader::new(wire.as_slice())
            .next_frame(100)
            .await
            .unwrap_err();
        assert!(matches!(error, NetworkError::FrameSize { size: -1, .. }));
    }

    #[tokio::test]
    async fn a_frame_dropped_before_the_next_read_leaves_its_memory_to_the_next_frame() {
        use tokio::io::AsyncWriteExt;
        let (mut client, server) = tokio::io::duplex(1 << 20);
        let mut reader = FrameReader::new(server);
        let payload = vec![7u8; 200_000];
        client
            .write_all(&encode_frame(&payload).unwrap())
            .await
            .unwrap();
        let first = reader.next_frame(1 << 20).await.unwrap().unwrap();
        assert_eq!(first, payload);
        let address = first.as_ptr();
        drop(first);
        client
            .write_all(&encode_frame(&payload).unwrap())
            .await
            .unwrap();
        let second = reader.next_frame(1 << 20).await.unwrap().unwrap();
        assert_eq!(second, payload);
        assert_eq!(second.as_ptr(), address);
        // A frame still held elsewhere is never written over.
        client
            .write_all(&encode_frame(&[1u8; 10]).unwrap())
            .await
            .unwrap();
        let third = reader.next_frame(1 << 20).await.unwrap().unwrap();
        assert_eq!(&third[..], &[1u8; 10]);
        assert_eq!(second, payload);
    }

    #[tokio::test]
    async fn stream_cut_inside_a_frame_is_an_error() {
        let wire = [0u8, 0, 0, 5, 1, 2];
        assert!(FrameReader::new(wire.as_slice())
            .next_frame(100)
            .await
            .is_err());
        let wire = [0u8, 0];
        assert!(FrameReader::new(wire.as_slice())
            .next_frame(100)
            .await
            .is_err());
    }
}
