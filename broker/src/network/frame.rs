//! Kafka frames: a 4-byte big-endian size, then that many bytes (request header + body).
//!
//! The size is checked (not negative, at most `socket.request.max.bytes`) before the body
//! buffer is allocated, so a peer cannot make the broker reserve memory it announced but
//! never sent. A clean end of stream before a new size prefix is `Ok(None)`; an end inside a
//! frame is an error.

use bytes::{BufMut, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::NetworkError;

/// Reads one frame's payload; `Ok(None)` when the peer closed between frames.
pub async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
    max_size: i32,
) -> Result<Option<Bytes>, NetworkError> {
    let mut prefix = [0u8; 4];
    let mut filled = 0;
    while filled < prefix.len() {
        let rest = prefix.get_mut(filled..).unwrap_or_default();
        let read = reader.read(rest).await?;
        if read == 0 {
            if filled == 0 {
                return Ok(None);
            }
            return Err(NetworkError::Io(std::io::ErrorKind::UnexpectedEof.into()));
        }
        filled += read;
    }
    let size = i32::from_be_bytes(prefix);
    let length = usize::try_from(size)
        .ok()
        .filter(|_| size <= max_size)
        .ok_or(NetworkError::FrameSize {
            size,
            max: max_size,
        })?;
    // Filled straight from the socket: no zeroing pass over a buffer about to be overwritten.
    let mut payload = BytesMut::with_capacity(length);
    while payload.len() < length {
        let rest = u64::try_from(length - payload.len()).unwrap_or(u64::MAX);
        if (&mut *reader).take(rest).read_buf(&mut payload).await? == 0 {
            return Err(NetworkError::Io(std::io::ErrorKind::UnexpectedEof.into()));
        }
    }
    Ok(Some(payload.freeze()))
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
        let mut reader = wire.as_slice();
        assert_eq!(
            read_frame(&mut reader, 100).await.unwrap().unwrap(),
            &b"hello"[..]
        );
        assert_eq!(
            read_frame(&mut reader, 100).await.unwrap().unwrap(),
            &b""[..]
        );
        assert!(read_frame(&mut reader, 100).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn oversized_and_negative_sizes_are_refused_before_reading_the_body() {
        let wire = 101i32.to_be_bytes();
        let error = read_frame(&mut wire.as_slice(), 100).await.unwrap_err();
        assert!(matches!(
            error,
            NetworkError::FrameSize {
                size: 101,
                max: 100
            }
        ));
        let wire = (-1i32).to_be_bytes();
        let error = read_frame(&mut wire.as_slice(), 100).await.unwrap_err();
        assert!(matches!(error, NetworkError::FrameSize { size: -1, .. }));
    }

    #[tokio::test]
    async fn stream_cut_inside_a_frame_is_an_error() {
        let wire = [0u8, 0, 0, 5, 1, 2];
        assert!(read_frame(&mut wire.as_slice(), 100).await.is_err());
        let wire = [0u8, 0];
        assert!(read_frame(&mut wire.as_slice(), 100).await.is_err());
    }
}
