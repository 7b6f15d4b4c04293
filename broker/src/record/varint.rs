//! Zig-zag varints as used inside v2 records (Protocol Buffers' encoding: 7 bits per byte,
//! least significant group first, high bit = more follows; signed values zig-zag mapped).
//! An `int` varint takes at most 5 bytes, a `long` at most 10.

use super::RecordError;

/// Reads a zig-zag varint (32-bit) from `buf` at `*position`, advancing it.
pub fn read_varint(buf: &[u8], position: &mut usize) -> Result<i32, RecordError> {
    let start = *position;
    let raw = read_unsigned(buf, position, 5)?;
    let raw = u32::try_from(raw).map_err(|_| RecordError::MalformedVarint { position: start })?;
    Ok(((raw >> 1) as i32) ^ -((raw & 1) as i32))
}

/// Reads a zig-zag varlong (64-bit) from `buf` at `*position`, advancing it.
pub fn read_varlong(buf: &[u8], position: &mut usize) -> Result<i64, RecordError> {
    let raw = read_unsigned(buf, position, 10)?;
    Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64))
}

fn read_unsigned(buf: &[u8], position: &mut usize, max_bytes: usize) -> Result<u64, RecordError> {
    let start = *position;
    let mut value: u64 = 0;
    for index in 0..max_bytes {
        let byte = *buf
            .get(start + index)
            .ok_or(RecordError::MalformedVarint { position: start })?;
        let shift = 7 * index as u32;
        let group = u64::from(byte & 0x7f);
        // The tenth byte of a varlong may only contribute the top bit.
        if shift == 63 && group > 1 {
            return Err(RecordError::MalformedVarint { position: start });
        }
        value |= group << shift;
        if byte & 0x80 == 0 {
            *position = start + index + 1;
            return Ok(value);
        }
    }
    Err(RecordError::MalformedVarint { position: start })
}

/// Appends `value` as a zig-zag varint.
pub fn write_varint(out: &mut Vec<u8>, value: i32) {
    write_unsigned(out, u64::from(((value << 1) ^ (value >> 31)) as u32));
}

/// Appends `value` as a zig-zag varlong.
pub fn write_varlong(out: &mut Vec<u8>, value: i64) {
    write_unsigned(out, ((value << 1) ^ (value >> 63)) as u64);
}

fn write_unsigned(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Encoded width of `value` as a zig-zag varint.
pub fn varint_size(value: i32) -> usize {
    let mut out = Vec::with_capacity(5);
    write_varint(&mut out, value);
    out.len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_the_edges() {
        for value in [0, 1, -1, 63, -64, 64, 300, -300, i32::MAX, i32::MIN] {
            let mut out = Vec::new();
            write_varint(&mut out, value);
            let mut position = 0;
            assert_eq!(read_varint(&out, &mut position).unwrap(), value);
            assert_eq!(position, out.len());
        }
        for value in [0, -1, 1 << 40, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            write_varlong(&mut out, value);
            let mut position = 0;
            assert_eq!(read_varlong(&out, &mut position).unwrap(), value);
            assert_eq!(position, out.len());
        }
    }

    #[test]
    fn zigzag_matches_the_known_encoding() {
        let mut out = Vec::new();
        write_varint(&mut out, -1);
        write_varint(&mut out, 1);
        write_varint(&mut out, 150);
        assert_eq!(out, vec![0x01, 0x02, 0xac, 0x02]);
    }

    #[test]
    fn overlong_and_truncated_varints_are_refused() {
        let mut position = 0;
        assert!(read_varint(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01], &mut position).is_err());
        assert!(read_varint(&[0x80], &mut position).is_err());
        assert!(read_varint(&[0xff, 0xff, 0xff, 0xff, 0x7f], &mut position).is_err());
        assert!(read_varlong(&[0xff; 10], &mut position).is_err());
    }
}
