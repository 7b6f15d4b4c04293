//! Timestamps in local time, printed like Java's `Date.toString()`.
//!
//! zkCli prints `ctime`/`mtime` as `EEE MMM dd HH:mm:ss zzz yyyy` in the JVM's default zone,
//! for example `Sat Nov 21 23:28:00 UTC 2026`. [`LocalZone`] finds that zone the way the JVM
//! does on Linux: the `TZ` variable (a zone name under `/usr/share/zoneinfo`, an absolute file,
//! or a POSIX rule such as `EST5EDT,M3.2.0,M11.1.0`), else `/etc/localtime`, else UTC. Loading
//! reads one file; do it once at start-up, outside the async runtime.
//!
//! Zone files are TZif (RFC 8536), version 1 to 4: a 44-byte header (`TZif`, version byte,
//! 15 reserved bytes, six big-endian u32 counts: isutcnt, isstdcnt, leapcnt, timecnt, typecnt,
//! charcnt), then transition times, their type indices, 6-byte local time types (i32 UT offset,
//! u8 is-DST, u8 abbreviation index), abbreviation bytes, leap records and indicators. Version 2+
//! files repeat the block with 64-bit times and end with a newline-framed POSIX rule that governs
//! instants after the last transition (see `posix_tz`). Times before the first transition use
//! type 0.
//!
//! Zone abbreviations come from the zone data, so they match the JVM for named zones (UTC, CET,
//! CEST, EST, IST, AEDT…). For zones whose data only has numeric abbreviations ("+04"), the
//! JVM prints names from its own tables ("GST"); this module prints the numeric form.

use super::posix_tz::PosixRule;
use crate::error::TimeZoneError;

pub(crate) const SECONDS_PER_DAY: i64 = 86_400;
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A local time type: offset east of UTC and abbreviation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneType {
    pub utc_offset_seconds: i64,
    pub abbreviation: String,
}

/// A zone: historical transitions plus an optional rule for later instants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalZone {
    /// (UTC seconds, index into `types`), ascending.
    transitions: Vec<(i64, usize)>,
    types: Vec<ZoneType>,
    rule: Option<PosixRule>,
}

impl LocalZone {
    /// Coordinated Universal Time, abbreviated "UTC".
    pub fn utc() -> LocalZone {
        let utc = ZoneType {
            utc_offset_seconds: 0,
            abbreviation: "UTC".to_string(),
        };
        LocalZone {
            transitions: Vec::new(),
            types: vec![utc],
            rule: None,
        }
    }

    /// The zone of this process (see the module documentation); UTC when nothing usable is found.
    pub fn from_environment() -> LocalZone {
        match std::env::var("TZ") {
            Ok(value) if !value.is_empty() => {
                let name = value.strip_prefix(':').unwrap_or(&value);
                let file = if name.starts_with('/') {
                    name.to_string()
                } else {
                    format!("/usr/share/zoneinfo/{name}")
                };
                if let Some(zone) = std::fs::read(file)
                    .ok()
                    .and_then(|bytes| LocalZone::parse_tzif(&bytes).ok())
                {
                    return zone;
                }
                PosixRule::parse(name)
                    .map(LocalZone::from_rule)
                    .unwrap_or_else(|_| LocalZone::utc())
            }
            _ => std::fs::read("/etc/localtime")
                .ok()
                .and_then(|bytes| LocalZone::parse_tzif(&bytes).ok())
                .unwrap_or_else(LocalZone::utc),
        }
    }

    /// A zone defined only by a POSIX rule.
    pub fn from_rule(rule: PosixRule) -> LocalZone {
        LocalZone {
            transitions: Vec::new(),
            types: vec![rule.standard.clone()],
            rule: Some(rule),
        }
    }

    /// Parses a TZif file (RFC 8536).
    pub fn parse_tzif(bytes: &[u8]) -> Result<LocalZone, TimeZoneError> {
        let mut reader = Reader { bytes, position: 0 };
        let first = Header::read(&mut reader)?;
        if first.version < 2 {
            return LocalZone::read_block(&mut reader, &first, 4);
        }
        reader.skip(first.block_length(4))?;
        let second = Header::read(&mut reader)?;
        let mut zone = LocalZone::read_block(&mut reader, &second, 8)?;
        let footer = reader.rest();
        let footer_text = std::str::from_utf8(footer).map_err(|_| TimeZoneError::BadFooter)?;
        let rule_text = footer_text.trim_matches('\n');
        if !rule_text.is_empty() {
            zone.rule = Some(PosixRule::parse(rule_text)?);
        }
        Ok(zone)
    }

    fn read_block(
        reader: &mut Reader<'_>,
        header: &Header,
        time_size: usize,
    ) -> Result<LocalZone, TimeZoneError> {
        let mut times = Vec::with_capacity(header.timecnt);
        for _ in 0..header.timecnt {
            times.push(if time_size == 8 {
                reader.i64()?
            } else {
                i64::from(reader.i32()?)
            });
        }
        let mut transitions = Vec::with_capacity(header.timecnt);
        for time in times {
            let index = usize::from(reader.u8()?);
            if index >= header.typecnt {
                return Err(TimeZoneError::BadTypeIndex {
                    index,
                    types: header.typecnt,
                });
            }
            transitions.push((time, index));
        }
        let mut raw_types = Vec::with_capacity(header.typecnt);
        for _ in 0..header.typecnt {
            let offset = reader.i32()?;
            let _is_dst = reader.u8()?;
            let abbreviation_index = usize::from(reader.u8()?);
            raw_types.push((offset, abbreviation_index));
        }
        let abbreviations = reader.take(header.charcnt)?;
        let mut types = Vec::with_capacity(raw_types.len());
        for (offset, abbreviation_index) in raw_types {
            let tail = abbreviations
                .get(abbreviation_index..)
                .ok_or(TimeZoneError::BadAbbreviation)?;
            let end = tail
                .iter()
                .position(|byte| *byte == 0)
                .unwrap_or(tail.len());
            let abbreviation =
                String::from_utf8_lossy(tail.get(..end).unwrap_or_default()).into_owned();
            types.push(ZoneType {
                utc_offset_seconds: i64::from(offset),
                abbreviation,
            });
        }
        if types.is_empty() {
            return Err(TimeZoneError::NoTypes);
        }
        reader.skip(header.leapcnt * (time_size + 4) + header.isstdcnt + header.isutcnt)?;
        Ok(LocalZone {
            transitions,
            types,
            rule: None,
        })
    }

    /// The local time type in force at `utc_seconds`.
    pub fn zone_type_at(&self, utc_seconds: i64) -> ZoneType {
        let after_last = self
            .transitions
            .last()
            .is_none_or(|(last, _)| utc_seconds >= *last);
        if let (true, Some(rule)) = (after_last, &self.rule) {
            return rule.zone_type_at(utc_seconds);
        }
        let applied = self
            .transitions
            .partition_point(|(time, _)| *time <= utc_seconds);
        let index = applied
            .checked_sub(1)
            .and_then(|i| self.transitions.get(i))
            .map_or(0, |(_, index)| *index);
        self.types
            .get(index)
            .or(self.types.first())
            .cloned()
            .unwrap_or_else(LocalZone::utc_type)
    }

    fn utc_type() -> ZoneType {
        ZoneType {
            utc_offset_seconds: 0,
            abbreviation: "UTC".to_string(),
        }
    }
}

/// Formats `epoch_millis` as Java's `Date.toString()` does in `zone`.
pub fn format_java_date(epoch_millis: i64, zone: &LocalZone) -> String {
    let utc_seconds = epoch_millis.div_euclid(1000);
    let zone_type = zone.zone_type_at(utc_seconds);
    let local = utc_seconds.saturating_add(zone_type.utc_offset_seconds);
    let days = local.div_euclid(SECONDS_PER_DAY);
    let second_of_day = local.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let weekday = WEEKDAYS
        .get(weekday_of(days) as usize)
        .copied()
        .unwrap_or("???");
    let month_name = MONTHS
        .get(month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("???");
    format!(
        "{weekday} {month_name} {day:02} {:02}:{:02}:{:02} {} {year:04}",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
        zone_type.abbreviation
    )
}

/// Day of the week (0 = Sunday) of a day counted from 1970-01-01, a Thursday.
pub(crate) fn weekday_of(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let shifted_year = if month <= 2 { year - 1 } else { year };
    let era = shifted_year.div_euclid(400);
    let year_of_era = shifted_year.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

pub use common::time::civil_from_days;

pub(crate) fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Bounds-checked big-endian reads over a TZif file.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, length: usize) -> Result<&'a [u8], TimeZoneError> {
        let end = self
            .position
            .checked_add(length)
            .ok_or(TimeZoneError::Truncated {
                offset: self.position,
            })?;
        let slice = self
            .bytes
            .get(self.position..end)
            .ok_or(TimeZoneError::Truncated {
                offset: self.position,
            })?;
        self.position = end;
        Ok(slice)
    }

    fn skip(&mut self, length: usize) -> Result<(), TimeZoneError> {
        self.take(length).map(|_| ())
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.position..).unwrap_or_default()
    }

    fn u8(&mut self) -> Result<u8, TimeZoneError> {
        let mut buffer = [0u8; 1];
        buffer.copy_from_slice(self.take(1)?);
        Ok(u8::from_be_bytes(buffer))
    }

    fn u32(&mut self) -> Result<u32, TimeZoneError> {
        let mut buffer = [0u8; 4];
        buffer.copy_from_slice(self.take(4)?);
        Ok(u32::from_be_bytes(buffer))
    }

    fn i32(&mut self) -> Result<i32, TimeZoneError> {
        let mut buffer = [0u8; 4];
        buffer.copy_from_slice(self.take(4)?);
        Ok(i32::from_be_bytes(buffer))
    }

    fn i64(&mut self) -> Result<i64, TimeZoneError> {
        let mut buffer = [0u8; 8];
        buffer.copy_from_slice(self.take(8)?);
        Ok(i64::from_be_bytes(buffer))
    }
}

/// A TZif header's version and counts.
struct Header {
    version: u8,
    isutcnt: usize,
    isstdcnt: usize,
    leapcnt: usize,
    timecnt: usize,
    typecnt: usize,
    charcnt: usize,
}

impl Header {
    fn read(reader: &mut Reader<'_>) -> Result<Header, TimeZoneError> {
        if reader.take(4)? != b"TZif" {
            return Err(TimeZoneError::BadMagic);
        }
        let version = match reader.u8()? {
            0 => 1,
            byte @ b'2'..=b'9' => byte - b'0',
            other => return Err(TimeZoneError::BadVersion { version: other }),
        };
        reader.skip(15)?;
        let mut count = || -> Result<usize, TimeZoneError> { Ok(reader.u32()? as usize) };
        Ok(Header {
            version,
            isutcnt: count()?,
            isstdcnt: count()?,
            leapcnt: count()?,
            timecnt: count()?,
            typecnt: count()?,
            charcnt: count()?,
        })
    }

    /// Bytes of the data block that follows this header, for `time_size`-byte times.
    fn block_length(&self, time_size: usize) -> usize {
        self.timecnt * time_size
            + self.timecnt
            + self.typecnt * 6
            + self.charcnt
            + self.leapcnt * (time_size + 4)
            + self.isstdcnt
            + self.isutcnt
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Builds a TZif file: `types` are (offset, is_dst, abbreviation).
    fn tzif(
        version: u8,
        transitions: &[(i64, u8)],
        types: &[(i32, u8, &str)],
        footer: &str,
    ) -> Vec<u8> {
        let mut abbreviations = Vec::new();
        let mut type_records = Vec::new();
        for (offset, is_dst, name) in types {
            type_records.extend_from_slice(&offset.to_be_bytes());
            type_records.push(*is_dst);
            type_records.push(abbreviations.len() as u8);
            abbreviations.extend_from_slice(name.as_bytes());
            abbreviations.push(0);
        }
        let block = |time_size: usize| {
            let mut out = Vec::new();
            out.extend_from_slice(b"TZif");
            out.push(if version == 1 { 0 } else { b'0' + version });
            out.extend_from_slice(&[0; 15]);
            for count in [0, 0, 0, transitions.len(), types.len(), abbreviations.len()] {
                out.extend_from_slice(&(count as u32).to_be_bytes());
            }
            for (time, _) in transitions {
                if time_size == 8 {
                    out.extend_from_slice(&time.to_be_bytes());
                } else {
                    out.extend_from_slice(&(*time as i32).to_be_bytes());
                }
            }
            out.extend(transitions.iter().map(|(_, index)| *index));
            out.extend_from_slice(&type_records);
            out.extend_from_slice(&abbreviations);
            out
        };
        let mut file = block(4);
        if version >= 2 {
            file.extend(block(8));
            file.extend_from_slice(format!("\n{footer}\n").as_bytes());
        }
        file
    }

    #[test]
    fn utc_epoch_prints_like_java() {
        assert_eq!(
            format_java_date(0, &LocalZone::utc()),
            "Thu Jan 01 00:00:00 UTC 1970"
        );
        assert_eq!(
            format_java_date(1_795_302_480_000, &LocalZone::utc()),
            "Sat Nov 21 23:08:00 UTC 2026"
        );
        assert_eq!(
            format_java_date(-86_400_000, &LocalZone::utc()),
            "Wed Dec 31 00:00:00 UTC 1969"
        );
        assert_eq!(
            format_java_date(1_700_000_000_123, &LocalZone::utc()),
            "Tue Nov 14 22:13:20 UTC 2023"
        );
        assert_eq!(
            format_java_date(7_258_118_400_000, &LocalZone::utc()),
            "Wed Jan 01 00:00:00 UTC 2200"
        );
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [-800_000, -1, 0, 1, 59, 60, 365, 10_957, 20_000, 2_932_896] {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn posix_rule_switches_central_european_time() {
        let zone = LocalZone::from_rule(PosixRule::parse("CET-1CEST,M3.5.0,M10.5.0/3").unwrap());
        assert_eq!(format_java_date(0, &zone), "Thu Jan 01 01:00:00 CET 1970");
        assert_eq!(
            format_java_date(1_782_000_000_000, &zone),
            "Sun Jun 21 02:00:00 CEST 2026"
        );
        assert_eq!(
            format_java_date(1_795_302_480_000, &zone),
            "Sun Nov 22 00:08:00 CET 2026"
        );
        // 2026-03-29 01:00 UTC is the switch to summer time; one second before is still winter.
        let switch = days_from_civil(2026, 3, 29) * SECONDS_PER_DAY + 3600;
        assert_eq!(zone.zone_type_at(switch - 1).abbreviation, "CET");
        assert_eq!(zone.zone_type_at(switch).abbreviation, "CEST");
    }

    #[test]
    fn posix_rule_handles_southern_hemisphere_and_fixed_zones() {
        let sydney =
            LocalZone::from_rule(PosixRule::parse("AEST-10AEDT,M10.1.0,M4.1.0/3").unwrap());
        assert_eq!(
            format_java_date(1_795_302_480_000, &sydney),
            "Sun Nov 22 10:08:00 AEDT 2026"
        );
        assert_eq!(
            format_java_date(1_782_000_000_000, &sydney),
            "Sun Jun 21 10:00:00 AEST 2026"
        );
        let kolkata = LocalZone::from_rule(PosixRule::parse("IST-5:30").unwrap());
        assert_eq!(
            format_java_date(0, &kolkata),
            "Thu Jan 01 05:30:00 IST 1970"
        );
        let dubai = LocalZone::from_rule(PosixRule::parse("<+04>-4").unwrap());
        assert_eq!(format_java_date(0, &dubai), "Thu Jan 01 04:00:00 +04 1970");
        let new_york = LocalZone::from_rule(PosixRule::parse("EST5EDT").unwrap());
        assert_eq!(
            format_java_date(1_782_000_000_000, &new_york),
            "Sat Jun 20 20:00:00 EDT 2026"
        );
    }

    #[test]
    fn tzif_transitions_then_footer_rule() {
        // A zone that was at +01:00 "OLD" until 1980, then follows CET/CEST.
        let start_1980 = days_from_civil(1980, 1, 1) * SECONDS_PER_DAY;
        let bytes = tzif(
            2,
            &[(start_1980, 1)],
            &[(3600, 0, "OLD"), (3600, 0, "CET")],
            "CET-1CEST,M3.5.0,M10.5.0/3",
        );
        let zone = LocalZone::parse_tzif(&bytes).unwrap();
        assert_eq!(zone.zone_type_at(0).abbreviation, "OLD");
        assert_eq!(
            format_java_date(1_782_000_000_000, &zone),
            "Sun Jun 21 02:00:00 CEST 2026"
        );
        assert_eq!(
            format_java_date(1_795_302_480_000, &zone),
            "Sun Nov 22 00:08:00 CET 2026"
        );
    }

    #[test]
    fn tzif_version_one_uses_last_transition() {
        let bytes = tzif(
            1,
            &[(-100, 1), (100, 0)],
            &[(0, 0, "UTC"), (-18_000, 0, "EST")],
            "",
        );
        let zone = LocalZone::parse_tzif(&bytes).unwrap();
        assert_eq!(zone.zone_type_at(-1000).abbreviation, "UTC");
        assert_eq!(zone.zone_type_at(0).abbreviation, "EST");
        assert_eq!(zone.zone_type_at(1_000_000).abbreviation, "UTC");
    }

    #[test]
    fn tzif_damage_is_an_error() {
        let bytes = tzif(2, &[(0, 0)], &[(0, 0, "UTC")], "UTC0");
        assert!(matches!(
            LocalZone::parse_tzif(&bytes[..bytes.len() - 20]),
            Err(TimeZoneError::Truncated { .. })
        ));
        assert!(matches!(
            LocalZone::parse_tzif(b"TZxx"),
            Err(TimeZoneError::BadMagic)
        ));
        let bad_index = tzif(1, &[(0, 7)], &[(0, 0, "UTC")], "");
        assert!(matches!(
            LocalZone::parse_tzif(&bad_index),
            Err(TimeZoneError::BadTypeIndex { index: 7, types: 1 })
        ));
    }
}
