//! Property-style round trips: seeded random values of every record and every request,
//! encoded then decoded back to the same value with no bytes left over. [`Gen`] is shared
//! with the hostile-input tests.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

/// Random record values from a seeded generator (reproducible failures).
pub(super) struct Gen(pub(super) StdRng);

impl Gen {
    pub(super) fn new(seed: u64) -> Self {
        Gen(StdRng::seed_from_u64(seed))
    }

    pub(super) fn i32(&mut self) -> i32 {
        self.0.random()
    }

    pub(super) fn i64(&mut self) -> i64 {
        self.0.random()
    }

    pub(super) fn bool(&mut self) -> bool {
        self.0.random()
    }

    pub(super) fn string(&mut self) -> String {
        const CHARS: [char; 10] = ['/', 'a', 'z', '0', '-', '_', 'é', '字', '🦀', '\u{0}'];
        let length = self.0.random_range(0..12);
        (0..length)
            .map(|_| CHARS[self.0.random_range(0..CHARS.len())])
            .collect()
    }

    pub(super) fn bytes(&mut self) -> Vec<u8> {
        let length = self.0.random_range(0..40);
        (0..length).map(|_| self.0.random()).collect()
    }

    pub(super) fn data(&mut self) -> Option<Vec<u8>> {
        if self.0.random_bool(0.2) {
            None
        } else {
            Some(self.bytes())
        }
    }

    pub(super) fn strings(&mut self) -> Vec<String> {
        let count = self.0.random_range(0..5);
        (0..count).map(|_| self.string()).collect()
    }

    pub(super) fn acl(&mut self) -> Vec<Acl> {
        let count = self.0.random_range(0..4);
        (0..count)
            .map(|_| Acl {
                perms: self.i32(),
                id: Id {
                    scheme: self.string(),
                    id: self.string(),
                },
            })
            .collect()
    }

    pub(super) fn stat(&mut self) -> Stat {
        Stat {
            czxid: self.i64(),
            mzxid: self.i64(),
            ctime: self.i64(),
            mtime: self.i64(),
            version: self.i32(),
            cversion: self.i32(),
            aversion: self.i32(),
            ephemeral_owner: self.i64(),
            data_length: self.i32(),
            num_children: self.i32(),
            pzxid: self.i64(),
        }
    }

    pub(super) fn create(&mut self) -> CreateRequest {
        CreateRequest {
            path: self.string(),
            data: self.data(),
            acl: self.acl(),
            flags: self.i32(),
        }
    }

    pub(super) fn create_ttl(&mut self) -> CreateTtlRequest {
        CreateTtlRequest {
            path: self.string(),
            data: self.data(),
            acl: self.acl(),
            flags: self.i32(),
            ttl: self.i64(),
        }
    }

    pub(super) fn path_watch(&mut self) -> PathWatchRequest {
        PathWatchRequest {
            path: self.string(),
            watch: self.bool(),
        }
    }

    pub(super) fn path(&mut self) -> PathRequest {
        PathRequest {
            path: self.string(),
        }
    }

    pub(super) fn set_watches(&mut self) -> SetWatches {
        SetWatches {
            relative_zxid: self.i64(),
            data_watches: self.strings(),
            exist_watches: self.strings(),
            child_watches: self.strings(),
            persistent_watches: self.strings(),
            persistent_recursive_watches: self.strings(),
        }
    }

    pub(super) fn multi_op(&mut self) -> MultiOp {
        match self.0.random_range(0..7) {
            0 => MultiOp::Create {
                op: OpCode::Create,
                request: CreateTtlRequest {
                    ttl: 0,
                    ..self.create_ttl()
                },
            },
            1 => MultiOp::Create {
                op: OpCode::Create2,
                request: CreateTtlRequest {
                    ttl: 0,
                    ..self.create_ttl()
                },
            },
            2 => MultiOp::Create {
                op: OpCode::CreateContainer,
                request: CreateTtlRequest {
                    ttl: 0,
                    ..self.create_ttl()
                },
            },
            3 => MultiOp::Create {
                op: OpCode::CreateTtl,
                request: self.create_ttl(),
            },
            4 => MultiOp::Delete(DeleteRequest {
                path: self.string(),
                version: self.i32(),
            }),
            5 => MultiOp::SetData(SetDataRequest {
                path: self.string(),
                data: self.data(),
                version: self.i32(),
            }),
            _ => MultiOp::Check(CheckVersionRequest {
                path: self.string(),
                version: self.i32(),
            }),
        }
    }

    pub(super) fn read_op(&mut self) -> ReadOp {
        if self.bool() {
            ReadOp::GetData {
                path: self.string(),
            }
        } else {
            ReadOp::GetChildren {
                path: self.string(),
            }
        }
    }

    /// A random request for `op`; `None` for the codes that are not requests.
    pub(super) fn request(&mut self, op: OpCode) -> Option<Request> {
        let request = match op {
            OpCode::Notification | OpCode::Error => return None,
            OpCode::Ping => Request::Ping,
            OpCode::CloseSession => Request::CloseSession,
            OpCode::CreateSession => Request::CreateSession,
            OpCode::WhoAmI => Request::WhoAmI,
            OpCode::Create => Request::Create(self.create()),
            OpCode::Create2 => Request::Create2(self.create()),
            OpCode::CreateContainer => Request::CreateContainer(self.create()),
            OpCode::CreateTtl => Request::CreateTtl(self.create_ttl()),
            OpCode::Delete => Request::Delete(DeleteRequest {
                path: self.string(),
                version: self.i32(),
            }),
            OpCode::Exists => Request::Exists(self.path_watch()),
            OpCode::GetData => Request::GetData(self.path_watch()),
            OpCode::SetData => Request::SetData(SetDataRequest {
                path: self.string(),
                data: self.data(),
                version: self.i32(),
            }),
            OpCode::GetAcl => Request::GetAcl(self.path()),
            OpCode::SetAcl => Request::SetAcl(SetAclRequest {
                path: self.string(),
                acl: self.acl(),
                version: self.i32(),
            }),
            OpCode::GetChildren => Request::GetChildren(self.path_watch()),
            OpCode::GetChildren2 => Request::GetChildren2(self.path_watch()),
            OpCode::Sync => Request::Sync(self.path()),
            OpCode::Check => Request::Check(CheckVersionRequest {
                path: self.string(),
                version: self.i32(),
            }),
            OpCode::Multi => {
                let count = self.0.random_range(0..5);
                Request::Multi((0..count).map(|_| self.multi_op()).collect())
            }
            OpCode::MultiRead => {
                let count = self.0.random_range(0..5);
                Request::MultiRead((0..count).map(|_| self.read_op()).collect())
            }
            OpCode::Reconfig => Request::Reconfig(ReconfigRequest {
                joining_servers: self.string(),
                leaving_servers: self.string(),
                new_members: self.string(),
                cur_config_id: self.i64(),
            }),
            OpCode::CheckWatches => Request::CheckWatches(WatchesRequest {
                path: self.string(),
                watcher_type: self.i32(),
            }),
            OpCode::RemoveWatches => Request::RemoveWatches(WatchesRequest {
                path: self.string(),
                watcher_type: self.i32(),
            }),
            OpCode::Auth => Request::Auth(AuthPacket {
                auth_type: self.i32(),
                scheme: self.string(),
                auth: self.bytes(),
            }),
            OpCode::SetWatches => Request::SetWatches(SetWatches {
                persistent_watches: Vec::new(),
                persistent_recursive_watches: Vec::new(),
                ..self.set_watches()
            }),
            OpCode::SetWatches2 => {
                let mut watches = self.set_watches();
                watches.persistent_watches.push(self.string());
                Request::SetWatches(watches)
            }
            OpCode::AddWatch => Request::AddWatch(AddWatchRequest {
                path: self.string(),
                mode: self.i32(),
            }),
            OpCode::Sasl => Request::Sasl(SaslRequest {
                token: self.bytes(),
            }),
            OpCode::GetEphemerals => Request::GetEphemerals(self.path()),
            OpCode::GetAllChildrenNumber => Request::GetAllChildrenNumber(self.path()),
            OpCode::DeleteContainer => Request::DeleteContainer(self.path()),
        };
        Some(request)
    }
}

#[test]
fn every_record_round_trips() {
    let mut g = Gen::new(0x5eed);
    for _ in 0..200 {
        round_trip(&g.stat());
        round_trip(&Id {
            scheme: g.string(),
            id: g.string(),
        });
        round_trip(&Acl {
            perms: g.i32(),
            id: Id {
                scheme: g.string(),
                id: g.string(),
            },
        });
        let read_only = if g.bool() { Some(g.bool()) } else { None };
        round_trip(&ConnectRequest {
            protocol_version: g.i32(),
            last_zxid_seen: g.i64(),
            timeout: g.i32(),
            session_id: g.i64(),
            passwd: g.bytes(),
            read_only,
        });
        round_trip(&ConnectResponse {
            protocol_version: g.i32(),
            timeout: g.i32(),
            session_id: g.i64(),
            passwd: g.bytes(),
            read_only,
        });
        round_trip(&RequestHeader {
            xid: g.i32(),
            op: g.i32(),
        });
        round_trip(&ReplyHeader {
            xid: g.i32(),
            zxid: g.i64(),
            err: g.i32(),
        });
        round_trip(&MultiHeader {
            op: g.i32(),
            done: g.bool(),
            err: g.i32(),
        });
        round_trip(&WatcherEvent {
            event_type: g.i32(),
            state: g.i32(),
            path: g.string(),
        });
        round_trip(&g.create());
        round_trip(&g.create_ttl());
        round_trip(&DeleteRequest {
            path: g.string(),
            version: g.i32(),
        });
        round_trip(&SetDataRequest {
            path: g.string(),
            data: g.data(),
            version: g.i32(),
        });
        round_trip(&g.path_watch());
        round_trip(&g.path());
        round_trip(&SetAclRequest {
            path: g.string(),
            acl: g.acl(),
            version: g.i32(),
        });
        round_trip(&CheckVersionRequest {
            path: g.string(),
            version: g.i32(),
        });
        round_trip(&WatchesRequest {
            path: g.string(),
            watcher_type: g.i32(),
        });
        round_trip(&AddWatchRequest {
            path: g.string(),
            mode: g.i32(),
        });
        round_trip(&AuthPacket {
            auth_type: g.i32(),
            scheme: g.string(),
            auth: g.bytes(),
        });
        round_trip(&g.set_watches());
        round_trip(&ReconfigRequest {
            joining_servers: g.string(),
            leaving_servers: g.string(),
            new_members: g.string(),
            cur_config_id: g.i64(),
        });
        round_trip(&SaslRequest { token: g.bytes() });
        round_trip(&CreateResponse { path: g.string() });
        round_trip(&Create2Response {
            path: g.string(),
            stat: g.stat(),
        });
        round_trip(&StatResponse { stat: g.stat() });
        round_trip(&GetDataResponse {
            data: g.data(),
            stat: g.stat(),
        });
        round_trip(&GetAclResponse {
            acl: g.acl(),
            stat: g.stat(),
        });
        round_trip(&GetChildrenResponse {
            children: g.strings(),
        });
        round_trip(&GetChildren2Response {
            children: g.strings(),
            stat: g.stat(),
        });
        round_trip(&PathResponse { path: g.string() });
        round_trip(&CountResponse { total: g.i32() });
        round_trip(&GetEphemeralsResponse {
            ephemerals: g.strings(),
        });
        let count = g.0.random_range(0..4);
        let client_info = (0..count)
            .map(|_| ClientInfo {
                auth_scheme: g.string(),
                user: g.string(),
            })
            .collect();
        round_trip(&WhoAmIResponse { client_info });
        round_trip(&ErrorResponse { err: g.i32() });
    }
}

#[test]
fn every_request_round_trips_through_its_op_code() {
    let mut g = Gen::new(0xc0de);
    for _ in 0..100 {
        for op in OpCode::ALL {
            let Some(request) = g.request(op) else {
                continue;
            };
            assert_eq!(request.op(), op);
            let body = request.to_bytes();
            assert_eq!(Request::decode(op.as_i32(), &body).as_ref(), Ok(&request));
        }
    }
}

#[test]
fn multi_responses_round_trip() {
    let mut g = Gen::new(0xfeed);
    for _ in 0..200 {
        let count = g.0.random_range(0..6);
        let results = (0..count)
            .map(|_| match g.0.random_range(0..6) {
                0 => MultiResult::Create { path: g.string() },
                1 => MultiResult::Create2 {
                    path: g.string(),
                    stat: g.stat(),
                },
                2 => MultiResult::SetData { stat: g.stat() },
                3 => MultiResult::Delete,
                4 => MultiResult::Check,
                _ => MultiResult::Error { err: g.i32() },
            })
            .collect();
        round_trip(&MultiResponse(results));
        let count = g.0.random_range(0..6);
        let results = (0..count)
            .map(|_| match g.0.random_range(0..3) {
                0 => ReadResult::GetData {
                    data: g.data(),
                    stat: g.stat(),
                },
                1 => ReadResult::GetChildren {
                    children: g.strings(),
                },
                _ => ReadResult::Error { err: g.i32() },
            })
            .collect();
        round_trip(&MultiReadResponse(results));
    }
}
