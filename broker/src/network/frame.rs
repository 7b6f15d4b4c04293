//! Kafka frames: a 4-byte big-endian size, then that many bytes (request header + body).
//!
//! Requests are read by [`common::frame::FrameReader`] (one reused buffer per connection;
//! the size checked against `socket.request.max.bytes` before room for the body is
//! reserved); [`FrameReader`] gives its failures as the [`NetworkError`]s that close a
//! connection.

use bytes::{BufMut, Bytes, BytesMut};
use common::frame::FrameError;
use tokio::io::AsyncRead;

use super::NetworkError;

/// Request frames read from one connection.
#[derive(Debug)]
pub struct FrameReader<R>(common::frame::FrameReader<R>);

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(source: R) -> Self {
        FrameReader(common::frame::FrameReader::new(source))
    }

    /// Bytes read but not yet returned as a frame.
    pub fn buffered(&self) -> &[u8] {
        self.0.buffered()
    }

    pub fn get_mut(&mut self) -> &mut R {
        self.0.get_mut()
    }

    /// The next frame's payload; `Ok(None)` when the peer closed between frames.
    pub async fn next_frame(&mut self, max_size: i32) -> Result<Option<Bytes>, NetworkError> {
        let max = usize::try_from(max_size).unwrap_or(0);
        self.0.next_frame(max).await.map_err(|error| match error {
            FrameError::Io(error) => NetworkError::Io(error),
            FrameError::Size { size, .. } => NetworkError::FrameSize {
                size,
                max: max_size,
            },
        })
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
