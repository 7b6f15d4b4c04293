//! Hostile input: truncation at every byte boundary, lengths and counts far beyond the
//! bytes sent (checked not to allocate, with a per-thread allocation tracker), and random or
//! mutated bytes for every op code, which must never panic.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use rand::Rng;

use super::captured::CONNECT_REQUEST_JAVA;
use super::properties::Gen;
use super::*;

/// Every strict prefix of `bytes` must fail to decode as `T`, without panicking.
fn every_prefix_fails<T: Decode + Debug>(bytes: &[u8]) {
    for end in 0..bytes.len() {
        let result = T::from_bytes(&bytes[..end]);
        assert!(
            result.is_err(),
            "prefix of {end}/{} bytes decoded as {result:?}",
            bytes.len()
        );
    }
    assert!(T::from_bytes(bytes).is_ok());
}

#[test]
fn truncated_records_are_errors_at_every_byte() {
    let mut g = Gen::new(7);
    let stat = g.stat();
    every_prefix_fails::<Stat>(&stat.to_bytes());
    every_prefix_fails::<CreateRequest>(&create("/a/b", Some(b"data"), 1).to_bytes());
    every_prefix_fails::<Create2Response>(
        &Create2Response {
            path: "/p".into(),
            stat: stat.clone(),
        }
        .to_bytes(),
    );
    every_prefix_fails::<GetDataResponse>(&GetDataResponse { data: None, stat }.to_bytes());
    every_prefix_fails::<SetWatches>(
        &SetWatches {
            data_watches: vec!["/d".into()],
            persistent_recursive_watches: vec!["/r".into()],
            ..SetWatches::default()
        }
        .to_bytes(),
    );
    every_prefix_fails::<WhoAmIResponse>(
        &WhoAmIResponse {
            client_info: vec![ClientInfo {
                auth_scheme: "ip".into(),
                user: "::1".into(),
            }],
        }
        .to_bytes(),
    );
    every_prefix_fails::<MultiResponse>(
        &MultiResponse(vec![
            MultiResult::Create { path: "/m".into() },
            MultiResult::Error { err: -2 },
        ])
        .to_bytes(),
    );

    // The handshake: anything shorter than the 44-byte record fails; 44 has no readOnly.
    let connect = hex(CONNECT_REQUEST_JAVA);
    let connect_body = body(&connect);
    for end in 0..44 {
        assert!(
            ConnectRequest::from_bytes(&connect_body[..end]).is_err(),
            "prefix {end}"
        );
    }
    assert_eq!(
        ConnectRequest::from_bytes(&connect_body[..44])
            .unwrap()
            .read_only,
        None
    );
}

#[test]
fn truncated_requests_are_errors_at_every_byte() {
    let frames = [
        // multi (create, setData, check, delete) and multiRead from the Java client.
        "0000008b000000070000000e0000000100ffffffff000000052f66782f6dffffffff000000010000001f\
         00000005776f726c6400000006616e796f6e65000000000000000500ffffffff000000052f66782f6d\
         000000016a000000000000000d00ffffffff000000032f6678000000010000000200ffffffff000000\
         052f66782f6d00000001ffffffff01ffffffff",
        "0000004600000009000000160000000400ffffffff000000032f6678000000000800ffffffff000000\
         032f6678000000000400ffffffff000000052f6e6f706500ffffffff01ffffffff",
        "0000002e0000000b00000007000000032f6678000000010000001f00000005776f726c640000000661\
         6e796f6e6500000000",
    ];
    for frame in frames {
        let frame = hex(frame);
        let mut r = Reader::new(body(&frame));
        let header = RequestHeader::decode(&mut r).unwrap();
        let request_body = r.rest();
        for end in 0..request_body.len() {
            assert!(
                Request::decode(header.op, &request_body[..end]).is_err(),
                "op {} prefix {end}",
                header.op
            );
        }
        assert!(Request::decode(header.op, request_body).is_ok());
    }
}

thread_local! {
    /// The largest single allocation made on this thread while tracking is on.
    static LARGEST_ALLOCATION: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Wraps the system allocator to record, per thread, the largest allocation requested while
/// [`largest_allocation_during`] runs. Other threads and other tests are unaffected.
struct TrackingAllocator;

fn note_allocation(size: usize) {
    // `try_with`: allocations during thread teardown must not panic.
    let _ = LARGEST_ALLOCATION.try_with(|largest| {
        if let Some(current) = largest.get() {
            largest.set(Some(current.max(size)));
        }
    });
}

// SAFETY: every call is forwarded unchanged to `System`; the bookkeeping only touches a
// thread-local `Cell<Option<usize>>`, which never allocates.
unsafe impl GlobalAlloc for TrackingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: TrackingAllocator = TrackingAllocator;

fn largest_allocation_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST_ALLOCATION.with(|largest| largest.set(Some(0)));
    let result = f();
    let largest = LARGEST_ALLOCATION
        .with(|largest| largest.replace(None))
        .unwrap_or(0);
    (result, largest)
}

#[test]
fn huge_lengths_and_counts_fail_without_allocating() {
    // create with path length 0x7fffffff.
    let mut body = i32::MAX.to_be_bytes().to_vec();
    body.extend_from_slice(b"/abc");
    let (result, largest) = largest_allocation_during(|| Request::decode(1, &body));
    assert_eq!(
        result,
        Err(DecodeError::LengthTooLarge {
            length: i32::MAX,
            remaining: 4
        })
    );
    assert!(largest < 1024, "allocated {largest} bytes");

    // setACL with an ACL count of 0x7fffffff after a valid path.
    let mut w = Writer::new();
    w.write_string("/a");
    w.write_i32(i32::MAX);
    w.write_raw(&[0; 64]);
    let body = w.into_inner();
    let (result, largest) = largest_allocation_during(|| Request::decode(7, &body));
    assert_eq!(
        result,
        Err(DecodeError::LengthTooLarge {
            length: i32::MAX,
            remaining: 64
        })
    );
    assert!(largest < 1024, "allocated {largest} bytes");

    // setWatches2 whose first list claims 100 million paths in a 1 KiB body.
    let mut w = Writer::new();
    w.write_i64(0);
    w.write_i32(100_000_000);
    w.write_raw(&[0; 1024]);
    let body = w.into_inner();
    let (result, largest) = largest_allocation_during(|| Request::decode(105, &body));
    assert!(matches!(
        result,
        Err(DecodeError::LengthTooLarge {
            length: 100_000_000,
            ..
        })
    ));
    assert!(largest < 4096, "allocated {largest} bytes");

    // A count that fits in the body but is far larger than the items there: the vector is
    // only pre-sized to a small bound, and decoding stops at the first missing item.
    let mut w = Writer::new();
    w.write_i32(60_000);
    w.write_raw(&[0; 60_000]);
    let body = w.into_inner();
    let (result, largest) = largest_allocation_during(|| GetChildrenResponse::from_bytes(&body));
    assert!(matches!(result, Err(DecodeError::Truncated { .. })));
    assert!(
        largest < 60_000 * std::mem::size_of::<String>(),
        "allocated {largest} bytes"
    );

    // Negative lengths other than −1.
    assert_eq!(
        Request::decode(4, &(-7i32).to_be_bytes()),
        Err(DecodeError::NegativeLength(-7))
    );
}

// ---------------------------------------------------------------------------------------
// Random input never panics

#[test]
fn random_bytes_never_panic_any_op_decoder() {
    let mut g = Gen::new(0xbad_5eed);
    let mut op_codes: Vec<i32> = OpCode::ALL.iter().map(|op| op.as_i32()).collect();
    op_codes.extend([999, 10, -2, i32::MIN, i32::MAX]);
    for &op in &op_codes {
        for _ in 0..500 {
            let length = g.0.random_range(0..96);
            let mut bytes: Vec<u8> = (0..length).map(|_| g.0.random()).collect();
            // Small lengths and counts reach deeper into the records than uniform bytes do.
            if g.bool() {
                for chunk in bytes.chunks_mut(4) {
                    if g.0.random_bool(0.5) {
                        let small: i32 = g.0.random_range(-2..8);
                        for (slot, byte) in chunk.iter_mut().zip(small.to_be_bytes()) {
                            *slot = byte;
                        }
                    }
                }
            }
            let _ = Request::decode(op, &bytes);
        }
    }
}

#[test]
fn mutated_valid_requests_never_panic() {
    let mut g = Gen::new(0xf11b);
    for _ in 0..40 {
        for op in OpCode::ALL {
            let Some(request) = g.request(op) else {
                continue;
            };
            let mut body = request.to_bytes();
            if body.is_empty() {
                continue;
            }
            for _ in 0..8 {
                let at = g.0.random_range(0..body.len());
                body[at] = g.0.random();
                let cut = g.0.random_range(0..=body.len());
                let _ = Request::decode(op.as_i32(), &body[..cut]);
                let _ = Request::decode(op.as_i32(), &body);
            }
            let _ = MultiResponse::from_bytes(&body);
            let _ = MultiReadResponse::from_bytes(&body);
            let _ = ConnectRequest::from_bytes(&body);
        }
    }
}
