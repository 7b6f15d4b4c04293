//! Reply bodies: one enum over every response record, so a handler returns a value and the
//! processor frames it with the reply header.

use crate::protocol::jute::{Encode, Writer};
use crate::protocol::records::{
    CountResponse, Create2Response, CreateResponse, ErrorResponse, GetAclResponse,
    GetChildren2Response, GetChildrenResponse, GetDataResponse, GetEphemeralsResponse,
    PathResponse, StatResponse, WhoAmIResponse,
};
use crate::protocol::response::{MultiReadResponse, MultiResponse};

#[derive(Debug)]
pub enum Body {
    Empty,
    Create(CreateResponse),
    Create2(Create2Response),
    Stat(StatResponse),
    GetData(GetDataResponse),
    GetAcl(GetAclResponse),
    Children(GetChildrenResponse),
    Children2(GetChildren2Response),
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
            Body::Create(body) => body.encode(w),
            Body::Create2(body) => body.encode(w),
            Body::Stat(body) => body.encode(w),
            Body::GetData(body) => body.encode(w),
            Body::GetAcl(body) => body.encode(w),
            Body::Children(body) => body.encode(w),
            Body::Children2(body) => body.encode(w),
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
