//! Byte fixtures recorded by a relaying proxy between the ZooKeeper 3.8.0 Java client and a
//! ZooKeeper 3.8.0 standalone server. The client made these `ZooKeeper` API calls: create,
//! create2, getData with a watch, setData, exists, getChildren2, multi, a failing multi,
//! multiRead, getACL, setACL, getAllChildrenNumber, getEphemerals, addWatch, addAuthInfo,
//! whoAmI, an ephemeral-sequential create, delete, sync, close. Raw-socket requests covered
//! what that client never sends: a 44-byte ConnectRequest, an empty multi, an unknown op.
//! Every fixture is a whole frame, length prefix included.
//!
//! Requests are decoded and re-encoded byte for byte; replies are decoded, checked, and
//! rebuilt with `reply_frame` byte for byte.

use super::*;

/// The Java client's 45-byte ConnectRequest: 44-byte record + readOnly byte.
pub(super) const CONNECT_REQUEST_JAVA: &str =
    "0000002d00000000000000000000000000007530000000000000000000000010\
     0000000000000000000000000000000000";
/// The server's 37-byte answer to it, readOnly byte included.
const CONNECT_RESPONSE_JAVA: &str =
    "0000002500000000000075300100000f788d000000000010e9c83d93c2123145\
     6f1498bbdbb5123000";
/// The server's answer to a 44-byte ConnectRequest (no readOnly byte): no readOnly byte back.
const CONNECT_RESPONSE_NO_READ_ONLY: &str =
    "0000002400000000000075300100000f788d000100000010fce93793625e108a\
     6457ffe6af3e27fd";

#[test]
fn connect_request_from_java_client_carries_read_only_byte() {
    let frame = hex(CONNECT_REQUEST_JAVA);
    let body = body(&frame);
    assert_eq!(body.len(), 45);
    let request = ConnectRequest::from_bytes(body).unwrap();
    assert_eq!(
        request,
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            timeout: 30000,
            session_id: 0,
            passwd: vec![0; 16],
            read_only: Some(false),
        }
    );
    assert_eq!(request.to_bytes(), body);
}

#[test]
fn connect_request_without_read_only_byte_is_accepted() {
    let frame = hex(CONNECT_REQUEST_JAVA);
    let body = &body(&frame)[..44];
    let request = ConnectRequest::from_bytes(body).unwrap();
    assert_eq!(request.read_only, None);
    assert_eq!(request.timeout, 30000);
    assert_eq!(request.passwd, vec![0; 16]);
    assert_eq!(request.to_bytes(), body);
}

#[test]
fn connect_responses_match_the_server() {
    let frame = hex(CONNECT_RESPONSE_JAVA);
    let response = ConnectResponse::from_bytes(body(&frame)).unwrap();
    assert_eq!(
        response,
        ConnectResponse {
            protocol_version: 0,
            timeout: 30000,
            session_id: 0x0100_000f_788d_0000,
            passwd: hex("e9c83d93c21231456f1498bbdbb51230"),
            read_only: Some(false),
        }
    );
    let mut w = Writer::with_frame();
    response.encode(&mut w);
    assert_eq!(w.finish_frame(), frame);

    let frame = hex(CONNECT_RESPONSE_NO_READ_ONLY);
    assert_eq!(body(&frame).len(), 36);
    let response = ConnectResponse::from_bytes(body(&frame)).unwrap();
    assert_eq!(response.read_only, None);
    assert_eq!(response.session_id, 0x0100_000f_788d_0001);
    let mut w = Writer::with_frame();
    response.encode(&mut w);
    assert_eq!(w.finish_frame(), frame);
}

// ---------------------------------------------------------------------------------------
// Captured fixtures: requests from the Java client, decoded and re-encoded byte for byte

#[test]
fn java_client_requests_decode_and_reencode_exactly() {
    let cases: Vec<(&str, i32, Request)> =
        vec![
        (
            "000000330000000100000001000000032f66780000000178000000010000001f00000005776f726c64\
             00000006616e796f6e6500000000",
            1,
            Request::Create(create("/fx", Some(b"x"), 0)),
        ),
        (
            "00000034000000020000000f000000052f66782f63ffffffff000000010000001f00000005776f726c\
             6400000006616e796f6e6500000000",
            2,
            Request::Create2(create("/fx/c", None, 0)),
        ),
        ("000000100000000300000004000000032f667801", 3, Request::GetData(path_watch("/fx", true))),
        (
            "000000190000000400000005000000032f667800000002797a00000000",
            4,
            Request::SetData(SetDataRequest {
                path: "/fx".into(),
                data: Some(b"yz".to_vec()),
                version: 0,
            }),
        ),
        (
            "000000120000000500000003000000052f6e6f706500",
            5,
            Request::Exists(path_watch("/nope", false)),
        ),
        (
            "00000010000000060000000c000000032f667800",
            6,
            Request::GetChildren2(path_watch("/fx", false)),
        ),
        (
            "0000008b000000070000000e0000000100ffffffff000000052f66782f6dffffffff000000010000001f\
             00000005776f726c6400000006616e796f6e65000000000000000500ffffffff000000052f66782f6d\
             000000016a000000000000000d00ffffffff000000032f6678000000010000000200ffffffff000000\
             052f66782f6d00000001ffffffff01ffffffff",
            7,
            Request::Multi(vec![
                multi_create("/fx/m"),
                MultiOp::SetData(SetDataRequest {
                    path: "/fx/m".into(),
                    data: Some(b"j".to_vec()),
                    version: 0,
                }),
                MultiOp::Check(CheckVersionRequest { path: "/fx".into(), version: 1 }),
                MultiOp::Delete(DeleteRequest { path: "/fx/m".into(), version: 1 }),
            ]),
        ),
        (
            "0000008f000000080000000e0000000100ffffffff000000052f66782f61ffffffff000000010000001f\
             00000005776f726c6400000006616e796f6e65000000000000000100ffffffff000000032f6678ffff\
             ffff000000010000001f00000005776f726c6400000006616e796f6e65000000000000000200ffffff\
             ff000000052f66782f63ffffffffffffffff01ffffffff",
            8,
            Request::Multi(vec![
                multi_create("/fx/a"),
                multi_create("/fx"),
                MultiOp::Delete(DeleteRequest { path: "/fx/c".into(), version: -1 }),
            ]),
        ),
        (
            "0000004600000009000000160000000400ffffffff000000032f6678000000000800ffffffff000000\
             032f6678000000000400ffffffff000000052f6e6f706500ffffffff01ffffffff",
            9,
            Request::MultiRead(vec![
                ReadOp::GetData { path: "/fx".into() },
                ReadOp::GetChildren { path: "/fx".into() },
                ReadOp::GetData { path: "/nope".into() },
            ]),
        ),
        ("0000000f0000000a00000006000000032f6678", 10, Request::GetAcl(path("/fx"))),
        (
            "0000002e0000000b00000007000000032f6678000000010000001f00000005776f726c640000000661\
             6e796f6e6500000000",
            11,
            Request::SetAcl(SetAclRequest { path: "/fx".into(), acl: open_acl(), version: 0 }),
        ),
        ("0000000f0000000c00000068000000032f6678", 12, Request::GetAllChildrenNumber(path("/fx"))),
        ("0000000d0000000d00000067000000012f", 13, Request::GetEphemerals(path("/"))),
        (
            "000000130000000e0000006a000000032f667800000001",
            14,
            Request::AddWatch(AddWatchRequest { path: "/fx".into(), mode: 1 }),
        ),
        (
            "00000020fffffffc00000064000000000000000664696765737400000006626f623a7077",
            xid::AUTH,
            Request::Auth(AuthPacket {
                auth_type: 0,
                scheme: "digest".into(),
                auth: b"bob:pw".to_vec(),
            }),
        ),
        ("000000080000000f0000006b", 15, Request::WhoAmI),
        (
            "000000340000001000000001000000052f66782f65ffffffff000000010000001f00000005776f726c\
             6400000006616e796f6e6500000003",
            16,
            Request::Create(create("/fx/e", None, 3)),
        ),
        (
            "000000150000001100000002000000052f66782f63ffffffff",
            17,
            Request::Delete(DeleteRequest { path: "/fx/c".into(), version: -1 }),
        ),
        ("0000000f0000001200000009000000032f6678", 18, Request::Sync(path("/fx"))),
        ("0000000800000013fffffff5", 19, Request::CloseSession),
    ];
    for (frame, xid, expected) in cases {
        assert_eq!(captured_request(frame, xid), expected);
    }
}

// ---------------------------------------------------------------------------------------
// Captured fixtures: replies from the server, rebuilt byte for byte

#[test]
fn create_reply_matches_the_server() {
    let frame = "0000001700000001000000000000000200000000000000032f6678";
    let reply: CreateResponse = captured_reply(frame, 1, 2);
    assert_eq!(reply.path, "/fx");
    // The same frame built directly, as the processor will.
    let expected = hex(frame);
    assert_eq!(
        reply_frame(1, 2, 0, Some(&CreateResponse { path: "/fx".into() })),
        expected
    );
    assert_eq!(expected.len(), 4 + 16 + 4 + 3);
}

#[test]
fn stat_bearing_replies_match_the_server() {
    let create2: Create2Response = captured_reply(
        "0000005d00000002000000000000000300000000000000052f66782f6300000000000000030000000000\
         000003000001a2007f6d34000001a2007f6d3400000000000000000000000000000000000000000000000\
         0000000000000000000000003",
        2,
        3,
    );
    assert_eq!(
        create2,
        Create2Response {
            path: "/fx/c".into(),
            stat: Stat {
                czxid: 3,
                mzxid: 3,
                ctime: 0x1a2_007f_6d34,
                mtime: 0x1a2_007f_6d34,
                version: 0,
                cversion: 0,
                aversion: 0,
                ephemeral_owner: 0,
                data_length: 0,
                num_children: 0,
                pzxid: 3,
            },
        }
    );

    let get_data: GetDataResponse = captured_reply(
        "0000005900000003000000000000000300000000000000017800000000000000020000000000000002000\
         001a2007f6d21000001a2007f6d210000000000000001000000000000000000000000000000010000000\
         10000000000000003",
        3,
        3,
    );
    assert_eq!(get_data.data.as_deref(), Some(&b"x"[..]));
    assert_eq!(
        (
            get_data.stat.czxid,
            get_data.stat.num_children,
            get_data.stat.pzxid
        ),
        (2, 1, 3)
    );
    assert_eq!((get_data.stat.cversion, get_data.stat.data_length), (1, 1));

    let set_data: StatResponse = captured_reply(
        "00000054000000040000000000000004000000000000000000000002000000000000000400000\
         1a2007f6d21000001a2007f6d7e000000010000000100000000000000000000000000000002000000010\
         000000000000003",
        4,
        4,
    );
    assert_eq!(
        (
            set_data.stat.version,
            set_data.stat.mzxid,
            set_data.stat.data_length
        ),
        (1, 4, 2)
    );

    let children: GetChildren2Response = captured_reply(
        "0000005d0000000600000000000000040000000000000001000000016300000000000000020000000000\
         000004000001a2007f6d21000001a2007f6d7e00000001000000010000000000000000000000000000000\
         2000000010000000000000003",
        6,
        4,
    );
    assert_eq!(children.children, vec!["c".to_owned()]);

    let acl: GetAclResponse = captured_reply(
        "0000006f0000000a000000000000000600000000000000010000001f00000005776f726c640000000661\
         6e796f6e6500000000000000020000000000000004000001a2007f6d21000001a2007f6d7e0000000100\
         00000300000000000000000000000000000002000000010000000000000005",
        10,
        6,
    );
    assert_eq!(acl.acl, open_acl());

    let set_acl: StatResponse = captured_reply(
        "000000540000000b00000000000000070000000000000000000000020000000000000004000001a2007f6\
         d21000001a2007f6d7e000000010000000300000001000000000000000000000002000000010000000000\
         000005",
        11,
        7,
    );
    assert_eq!(set_acl.stat.aversion, 1);
}

#[test]
fn small_replies_match_the_server() {
    let count: CountResponse =
        captured_reply("000000140000000c00000000000000070000000000000001", 12, 7);
    assert_eq!(count.total, 1);
    let ephemerals: GetEphemeralsResponse =
        captured_reply("000000140000000d00000000000000070000000000000000", 13, 7);
    assert!(ephemerals.ephemerals.is_empty());
    // addWatch answers with a 4-byte body holding err 0.
    let add_watch: ErrorResponse =
        captured_reply("000000140000000e00000000000000070000000000000000", 14, 7);
    assert_eq!(add_watch.err, 0);
    let who_am_i: WhoAmIResponse = captured_reply(
        "000000380000000f000000000000000700000000000000020000000664696765737400000003626f6200\
         0000026970000000093132372e302e302e31",
        15,
        7,
    );
    assert_eq!(
        who_am_i.client_info,
        vec![
            ClientInfo {
                auth_scheme: "digest".into(),
                user: "bob".into()
            },
            ClientInfo {
                auth_scheme: "ip".into(),
                user: "127.0.0.1".into()
            },
        ]
    );
    let sequential: CreateResponse = captured_reply(
        "00000023000000100000000000000008000000000000000f2f66782f6530303030303030303032",
        16,
        8,
    );
    assert_eq!(sequential.path, "/fx/e0000000002");
    let sync: PathResponse = captured_reply(
        "0000001700000012000000000000000900000000000000032f6678",
        18,
        9,
    );
    assert_eq!(sync.path, "/fx");
}

#[test]
fn header_only_replies_match_the_server() {
    // exists on a missing node: NoNode, no body even though one is offered.
    let no_node = reply_frame(
        5,
        4,
        ErrorCode::NoNode.as_i32(),
        Some(&StatResponse {
            stat: Stat::default(),
        }),
    );
    assert_eq!(no_node, hex("00000010000000050000000000000004ffffff9b"));
    // auth (xid −4) succeeds with zxid 0.
    assert_eq!(
        reply_frame(xid::AUTH, 0, 0, None),
        hex("00000010fffffffc000000000000000000000000")
    );
    // delete and closeSession.
    assert_eq!(
        reply_frame(17, 9, 0, None),
        hex("0000001000000011000000000000000900000000")
    );
    assert_eq!(
        reply_frame(19, 10, 0, None),
        hex("0000001000000013000000000000000a00000000")
    );
    // An unknown op (999) is answered as Unimplemented on its own xid, with zxid −1.
    assert_eq!(
        reply_frame(3, -1, ErrorCode::Unimplemented.as_i32(), None),
        hex("0000001000000003fffffffffffffffffffffffa")
    );
}

#[test]
fn notifications_match_the_server() {
    let cases = [
        (
            "0000001fffffffffffffffffffffffff000000000000000300000003000000032f6678",
            EventType::NodeDataChanged,
            "/fx",
        ),
        (
            "0000002bffffffffffffffffffffffff0000000000000001000000030000000f2f66782f653030303030\
             3030303032",
            EventType::NodeCreated,
            "/fx/e0000000002",
        ),
        (
            "00000021ffffffffffffffffffffffff000000000000000200000003000000052f66782f63",
            EventType::NodeDeleted,
            "/fx/c",
        ),
    ];
    for (frame, event_type, event_path) in cases {
        let event = WatcherEvent {
            event_type: event_type.as_i32(),
            state: KeeperState::SyncConnected.as_i32(),
            path: event_path.into(),
        };
        assert_eq!(notification_frame(&event), hex(frame));
    }
}

#[test]
fn empty_multi_reply_is_a_25_byte_frame() {
    let frame = reply_frame(1, 12, 0, Some(&MultiResponse(Vec::new())));
    assert_eq!(
        frame,
        hex("0000001900000001000000000000000c00000000ffffffff01ffffffff")
    );
    assert_eq!(frame.len(), 25 + 4);
    // multiRead frames its (empty) result list the same way.
    assert_eq!(
        reply_frame(2, 12, 0, Some(&MultiReadResponse(Vec::new())))[8..],
        frame[8..]
    );
}

#[test]
fn successful_multi_reply_matches_the_server() {
    let reply: MultiResponse = captured_reply(
        "0000008a00000007000000000000000500000000000000010000000000000000052f66782f6d00000005\
         000000000000000000000000050000000000000005000001a2007f6dda000001a2007f6dda0000000100\
         000000000000000000000000000000000000010000000000000000000000050000000d00000000000000\
         00020000000000ffffffff01ffffffff",
        7,
        5,
    );
    assert_eq!(reply.0.len(), 4);
    assert_eq!(
        reply.0[0],
        MultiResult::Create {
            path: "/fx/m".into()
        }
    );
    assert!(
        matches!(&reply.0[1], MultiResult::SetData { stat } if stat.version == 1 && stat.czxid == 5)
    );
    assert_eq!(reply.0[2..], [MultiResult::Check, MultiResult::Delete]);
}

#[test]
fn failed_multi_reply_reports_every_sub_op_as_an_error() {
    let expected = MultiResponse(vec![
        MultiResult::Error { err: 0 },
        MultiResult::Error {
            err: ErrorCode::NodeExists.as_i32(),
        },
        MultiResult::Error {
            err: ErrorCode::RuntimeInconsistency.as_i32(),
        },
    ]);
    let captured =
        "0000004000000008000000000000000600000000ffffffff000000000000000000ffffffff00ffffff\
                    92ffffff92ffffffff00fffffffefffffffeffffffff01ffffffff";
    let reply: MultiResponse = captured_reply(captured, 8, 6);
    assert_eq!(reply, expected);
    assert_eq!(reply_frame(8, 6, 0, Some(&expected)), hex(captured));
}

#[test]
fn multi_read_reply_matches_the_server() {
    let reply: MultiReadResponse = captured_reply(
        "0000008b0000000900000000000000060000000000000004000000000000000002797a00000000000000\
         020000000000000004000001a2007f6d21000001a2007f6d7e0000000100000003000000000000000000\
         00000000000002000000010000000000000005000000080000000000000000010000000163ffffffff00\
         ffffff9bffffff9bffffffff01ffffffff",
        9,
        6,
    );
    assert_eq!(reply.0.len(), 3);
    assert!(
        matches!(&reply.0[0], ReadResult::GetData { data: Some(data), stat } if data == b"yz" && stat.version == 1)
    );
    assert_eq!(
        reply.0[1],
        ReadResult::GetChildren {
            children: vec!["c".into()]
        }
    );
    assert_eq!(
        reply.0[2],
        ReadResult::Error {
            err: ErrorCode::NoNode.as_i32()
        }
    );
}
