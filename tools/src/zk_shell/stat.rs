//! A znode's `Stat`, printed the way zkCli prints it.
//!
//! Eleven lines: zxids and the ephemeral owner in lowercase hex with a `0x` prefix (negative
//! values as their 64-bit two's complement, like Java's `Long.toHexString`), times as Java
//! `Date.toString()` in the local zone, counters in decimal. Note that the order on screen
//! (pZxid third) differs from the order on the wire (pzxid last).

use zookeeper_client::Stat;

use super::local_time::{format_java_date, LocalZone};

/// The stat block, one field per line, each line ending in `\n`.
pub fn format_stat(stat: &Stat, zone: &LocalZone) -> String {
    format!(
        "cZxid = 0x{:x}\nctime = {}\nmZxid = 0x{:x}\nmtime = {}\npZxid = 0x{:x}\ncversion = {}\n\
         dataVersion = {}\naclVersion = {}\nephemeralOwner = 0x{:x}\ndataLength = {}\nnumChildren = {}\n",
        stat.czxid,
        format_java_date(stat.ctime, zone),
        stat.mzxid,
        format_java_date(stat.mtime, zone),
        stat.pzxid,
        stat.cversion,
        stat.version,
        stat.aversion,
        stat.ephemeral_owner,
        stat.data_length,
        stat.num_children,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn prints_every_field_like_zkcli() {
        let stat = Stat {
            czxid: 0x6,
            mzxid: 0x1e,
            pzxid: 0x6,
            ctime: 1_795_302_480_000,
            mtime: 1_795_302_494_000,
            version: 2,
            cversion: 0,
            aversion: 0,
            ephemeral_owner: 0,
            data_length: 2,
            num_children: 0,
        };
        let expected = "cZxid = 0x6\n\
            ctime = Sat Nov 21 23:08:00 UTC 2026\n\
            mZxid = 0x1e\n\
            mtime = Sat Nov 21 23:08:14 UTC 2026\n\
            pZxid = 0x6\n\
            cversion = 0\n\
            dataVersion = 2\n\
            aclVersion = 0\n\
            ephemeralOwner = 0x0\n\
            dataLength = 2\n\
            numChildren = 0\n";
        assert_eq!(format_stat(&stat, &LocalZone::utc()), expected);
    }

    #[test]
    fn negative_values_print_as_java_does() {
        let stat = Stat {
            czxid: 0,
            mzxid: 0,
            pzxid: 0,
            ctime: 0,
            mtime: 0,
            version: 0,
            cversion: -2,
            aversion: -1,
            ephemeral_owner: -0x7fff_ffff_ffff_ffff - 1,
            data_length: 0,
            num_children: 2,
        };
        let text = format_stat(&stat, &LocalZone::utc());
        assert!(text.contains("ctime = Thu Jan 01 00:00:00 UTC 1970\n"));
        assert!(text.contains("cversion = -2\n"));
        assert!(text.contains("aclVersion = -1\n"));
        assert!(text.contains("ephemeralOwner = 0x8000000000000000\n"));
        let session_owned = Stat {
            ephemeral_owner: 0x1000_0a3f_5c2e_0001,
            ..stat
        };
        assert!(format_stat(&session_owned, &LocalZone::utc())
            .contains("ephemeralOwner = 0x10000a3f5c2e0001\n"));
    }
}
