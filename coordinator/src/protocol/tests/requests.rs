//! Multi framing rules and request dispatch: sub-op kinds, end markers, unknown op codes,
//! setWatches versions and the read/write split.

use super::*;

fn multi_body(sub_ops: &[(i32, &dyn Encode)]) -> Vec<u8> {
    let mut w = Writer::new();
    for (op, record) in sub_ops {
        MultiHeader {
            op: *op,
            done: false,
            err: -1,
        }
        .encode(&mut w);
        record.encode(&mut w);
    }
    MultiHeader::END.encode(&mut w);
    w.into_inner()
}

#[test]
fn empty_multi_request_decodes_to_no_ops() {
    let body = MultiHeader::END.to_bytes();
    assert_eq!(body.len(), 9);
    assert_eq!(Request::decode(14, &body), Ok(Request::Multi(Vec::new())));
    assert_eq!(
        Request::decode(22, &body),
        Ok(Request::MultiRead(Vec::new()))
    );
}

#[test]
fn multi_create_sub_ops_keep_their_type_and_ttl() {
    let plain = create("/a", Some(b"d"), 0);
    let container = create("/c", None, 4);
    let ttl = CreateTtlRequest {
        path: "/t".into(),
        data: None,
        acl: open_acl(),
        flags: 5,
        ttl: 60_000,
    };
    let body = multi_body(&[(1, &plain), (15, &plain), (19, &container), (21, &ttl)]);
    let Ok(Request::Multi(ops)) = Request::decode(14, &body) else {
        panic!("multi did not decode");
    };
    let kinds: Vec<(OpCode, i64)> = ops
        .iter()
        .map(|op| match op {
            MultiOp::Create { op, request } => (*op, request.ttl),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (OpCode::Create, 0),
            (OpCode::Create2, 0),
            (OpCode::CreateContainer, 0),
            (OpCode::CreateTtl, 60_000)
        ]
    );
    assert_eq!(Request::Multi(ops).to_bytes(), body);
}

#[test]
fn read_sub_op_inside_multi_is_rejected() {
    let get_data = path_watch("/a", false);
    let body = multi_body(&[(1, &create("/a", None, 0)), (4, &get_data)]);
    assert_eq!(
        Request::decode(14, &body),
        Err(DecodeError::Invalid("sub-op type not allowed in multi"))
    );
}

#[test]
fn write_sub_op_inside_multi_read_is_rejected() {
    let body = multi_body(&[(8, &path_watch("/a", false)), (1, &create("/a", None, 0))]);
    assert_eq!(
        Request::decode(22, &body),
        Err(DecodeError::Invalid("sub-op type not allowed in multiRead"))
    );
    // An op code that does not exist at all is rejected the same way.
    let body = multi_body(&[(999, &path("/a"))]);
    assert!(matches!(
        Request::decode(14, &body),
        Err(DecodeError::Invalid(_))
    ));
}

#[test]
fn multi_without_end_marker_is_truncated() {
    let mut body = multi_body(&[(
        2,
        &DeleteRequest {
            path: "/a".into(),
            version: -1,
        },
    )]);
    body.truncate(body.len() - 9);
    assert!(matches!(
        Request::decode(14, &body),
        Err(DecodeError::Truncated { .. })
    ));
}

#[test]
fn any_done_header_ends_the_list() {
    // Only `done` ends the list, whatever the type, as in the reference client and server.
    let mut w = Writer::new();
    MultiHeader {
        op: 2,
        done: false,
        err: -1,
    }
    .encode(&mut w);
    DeleteRequest {
        path: "/a".into(),
        version: 3,
    }
    .encode(&mut w);
    MultiHeader {
        op: 0,
        done: true,
        err: 0,
    }
    .encode(&mut w);
    assert_eq!(
        Request::decode(14, &w.into_inner()),
        Ok(Request::Multi(vec![MultiOp::Delete(DeleteRequest {
            path: "/a".into(),
            version: 3
        })]))
    );
}

#[test]
fn multi_results_encode_type_and_header_err() {
    let stat = Stat {
        version: 4,
        ..Stat::default()
    };
    let response = MultiResponse(vec![
        MultiResult::Create2 {
            path: "/c".into(),
            stat: stat.clone(),
        },
        MultiResult::Error { err: -101 },
    ]);
    let bytes = response.to_bytes();
    let mut r = Reader::new(&bytes);
    assert_eq!(
        MultiHeader::decode(&mut r).unwrap(),
        MultiHeader {
            op: 15,
            done: false,
            err: 0
        }
    );
    assert_eq!(r.read_string().unwrap(), "/c");
    assert_eq!(Stat::decode(&mut r).unwrap(), stat);
    assert_eq!(
        MultiHeader::decode(&mut r).unwrap(),
        MultiHeader {
            op: -1,
            done: false,
            err: -101
        }
    );
    assert_eq!(r.read_i32().unwrap(), -101);
    assert_eq!(MultiHeader::decode(&mut r).unwrap(), MultiHeader::END);
    assert!(r.is_empty());
}

// ---------------------------------------------------------------------------------------
// Request dispatch

#[test]
fn unknown_and_server_only_op_codes_are_unknown() {
    for op in [999, 10, 23, -2, 0, -1] {
        assert_eq!(
            Request::decode(op, &[]),
            Err(DecodeError::UnknownOpCode(op))
        );
    }
}

#[test]
fn header_only_requests_decode_from_empty_bodies() {
    assert_eq!(Request::decode(11, &[]), Ok(Request::Ping));
    assert_eq!(Request::decode(-11, &[]), Ok(Request::CloseSession));
    assert_eq!(Request::decode(107, &[]), Ok(Request::WhoAmI));
    assert_eq!(Request::decode(-10, &[1, 2, 3]), Ok(Request::CreateSession));
}

#[test]
fn set_watches_versions_differ_in_the_persistent_lists() {
    let v2 = SetWatches {
        relative_zxid: 12,
        data_watches: vec!["/d".into()],
        exist_watches: vec!["/e".into()],
        child_watches: vec!["/c".into()],
        persistent_watches: vec!["/p".into()],
        persistent_recursive_watches: vec!["/r".into()],
    };
    let request = Request::SetWatches(v2.clone());
    assert_eq!(request.op(), OpCode::SetWatches2);
    assert_eq!(Request::decode(105, &request.to_bytes()), Ok(request));

    // A hand-built setWatches (101) body: zxid 0, dataWatches ["/fx"], two empty lists.
    let v1_body = hex("0000000000000000\
                       00000001000000032f6678\
                       00000000\
                       00000000");
    let Ok(Request::SetWatches(v1)) = Request::decode(101, &v1_body) else {
        panic!("setWatches did not decode");
    };
    assert_eq!(v1.data_watches, vec!["/fx".to_owned()]);
    assert!(v1.persistent_watches.is_empty() && v1.persistent_recursive_watches.is_empty());
    assert_eq!(Request::SetWatches(v1).to_bytes(), v1_body);

    let mut w = Writer::new();
    v2.encode_v1(&mut w);
    let decoded = SetWatches::decode_v1(&mut Reader::new(&w.into_inner())).unwrap();
    assert_eq!(decoded.child_watches, v2.child_watches);
    assert!(decoded.persistent_watches.is_empty());
}

#[test]
fn write_classification_follows_the_protocol() {
    let writes = [
        Request::Create(create("/a", None, 0)),
        Request::Create2(create("/a", None, 0)),
        Request::CreateContainer(create("/a", None, 4)),
        Request::Delete(DeleteRequest {
            path: "/a".into(),
            version: -1,
        }),
        Request::SetData(SetDataRequest {
            path: "/a".into(),
            data: None,
            version: -1,
        }),
        Request::SetAcl(SetAclRequest {
            path: "/a".into(),
            acl: open_acl(),
            version: -1,
        }),
        Request::Check(CheckVersionRequest {
            path: "/a".into(),
            version: 0,
        }),
        Request::Multi(Vec::new()),
        Request::CloseSession,
        Request::DeleteContainer(path("/a")),
        Request::CreateSession,
    ];
    for request in &writes {
        assert!(request.is_write(), "{request:?}");
    }
    let reads = [
        Request::Ping,
        Request::Exists(path_watch("/a", true)),
        Request::GetData(path_watch("/a", true)),
        Request::GetChildren2(path_watch("/a", false)),
        Request::MultiRead(Vec::new()),
        Request::Sync(path("/a")),
        Request::SetWatches(SetWatches::default()),
        Request::WhoAmI,
        Request::AddWatch(AddWatchRequest {
            path: "/a".into(),
            mode: 0,
        }),
    ];
    for request in &reads {
        assert!(!request.is_write(), "{request:?}");
    }
}
