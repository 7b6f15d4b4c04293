//! Codec tests, beside the codec: byte fixtures captured from ZooKeeper 3.8.0
//! ([`captured`]), multi framing and request dispatch rules ([`requests`]), property-style
//! round trips of every record ([`properties`]), and hostile input: truncation at every
//! byte, oversize lengths and counts, random bytes for every op code ([`hostile`]).

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod captured;
mod hostile;
mod properties;
mod requests;

use std::fmt::Debug;

use super::*;

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// The body of a whole frame, after checking the length prefix.
fn body(frame: &[u8]) -> &[u8] {
    let length = i32::from_be_bytes(frame[..4].try_into().unwrap());
    assert_eq!(length as usize, frame.len() - 4, "frame length prefix");
    &frame[4..]
}

/// Decodes a captured request frame, checks the header, and checks that re-encoding the
/// decoded request gives back the captured bytes exactly.
fn captured_request(frame_hex: &str, xid: i32) -> Request {
    let frame = hex(frame_hex);
    let mut r = Reader::new(body(&frame));
    let header = RequestHeader::decode(&mut r).unwrap();
    assert_eq!(header.xid, xid);
    let request = Request::decode(header.op, r.rest()).unwrap();
    assert_eq!(request.op().as_i32(), header.op);
    let mut w = Writer::with_frame();
    header.encode(&mut w);
    request.encode(&mut w);
    assert_eq!(w.finish_frame(), frame, "re-encoded {request:?}");
    request
}

/// Decodes a captured reply frame's body as `T`, checks it consumed the body exactly, and
/// checks that [`reply_frame`] rebuilds the captured bytes.
fn captured_reply<T: Decode + Encode + Debug>(frame_hex: &str, xid: i32, zxid: i64) -> T {
    let frame = hex(frame_hex);
    let mut r = Reader::new(body(&frame));
    let header = ReplyHeader::decode(&mut r).unwrap();
    assert_eq!((header.xid, header.zxid, header.err), (xid, zxid, 0));
    let reply = T::decode(&mut r).unwrap();
    assert!(r.is_empty(), "{} bytes left after {reply:?}", r.remaining());
    assert_eq!(
        reply_frame(xid, zxid, 0, Some(&reply)),
        frame,
        "re-encoded {reply:?}"
    );
    reply
}

fn open_acl() -> Vec<Acl> {
    vec![Acl {
        perms: perms::ALL,
        id: Id {
            scheme: "world".into(),
            id: "anyone".into(),
        },
    }]
}

fn create(path: &str, data: Option<&[u8]>, flags: i32) -> CreateRequest {
    CreateRequest {
        path: path.into(),
        data: data.map(<[u8]>::to_vec),
        acl: open_acl(),
        flags,
    }
}

fn multi_create(path: &str) -> MultiOp {
    MultiOp::Create {
        op: OpCode::Create,
        request: CreateTtlRequest {
            path: path.into(),
            data: None,
            acl: open_acl(),
            flags: 0,
            ttl: 0,
        },
    }
}

fn path_watch(path: &str, watch: bool) -> PathWatchRequest {
    PathWatchRequest {
        path: path.into(),
        watch,
    }
}

fn path(path: &str) -> PathRequest {
    PathRequest { path: path.into() }
}

fn round_trip<T: Encode + Decode + PartialEq + Debug>(value: &T) {
    let bytes = value.to_bytes();
    let mut r = Reader::new(&bytes);
    let decoded = T::decode(&mut r).unwrap();
    assert_eq!(&decoded, value);
    assert!(r.is_empty(), "{} bytes left after {value:?}", r.remaining());
}
