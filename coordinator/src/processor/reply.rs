//! Reply bodies: one enum over every response record, so a handler returns a value and the
//! processor frames it with the reply header.

use crate::protocol::jute::{Encode, Writer};
use crate::protocol::records::{
    CountResponse, Create2Response, CreateResponse, ErrorResponse, GetAclResponse, GetDataResponse,
    GetEphemeralsResponse, PathResponse, StatResponse, WhoAmIResponse,
};
use crate::protocol::response::{MultiReadResponse, MultiResponse};

#[derive(Debug)]
pub enum Body {
    Empty,
    /// A body already encoded (built in place to avoid copying into records first).
    Encoded(Vec<u8>),
    Create(CreateResponse),
    Create2(Create2Response),
    Stat(StatResponse),
    GetData(GetDataResponse),
    GetAcl(GetAclResponse),
    Path(PathResponse),
    Count(CountResponse),
    Ephemerals(GetEphemeralsResponse),
    WhoAmI(WhoAmIResponse),
    Error(ErrorResponse),
    Multi(MultiResponse),
    MultiRead(MultiReadResponse),
}

impl Encode for Body {
    fn encode(&self, w: &mut Writer) {
        match self {
            Body::Empty => {}
            Body::Encoded(bytes) => w.write_raw(bytes),
            Body::Create(body) => body.encode(w),
            Body::Create2(body) => body.encode(w),
            Body::Stat(body) => body.encode(w),
            Body::GetData(body) => body.encode(w),
            Body::GetAcl(body) => body.encode(w),
            Body::Path(body) => body.encode(w),
            Body::Count(body) => body.encode(w),
            Body::Ephemerals(body) => body.encode(w),
            Body::WhoAmI(body) => body.encode(w),
            Body::Error(body) => body.encode(w),
            Body::Multi(body) => body.encode(w),
            Body::MultiRead(body) => body.encode(w),
        }
    }
}
