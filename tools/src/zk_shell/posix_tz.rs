//! POSIX `TZ` rules such as `CET-1CEST,M3.5.0,M10.5.0/3`.
//!
//! A rule names standard time and its offset (POSIX offsets count hours west of Greenwich, so
//! `CET-1` is UTC+1), optionally a daylight-time name and offset (one hour ahead by default),
//! and the yearly switch dates: `Mm.w.d` (weekday `d` of week `w`, 5 = last, of month `m`),
//! `Jn` (day 1–365, February 29 never counted) or `n` (day 0–365), each with an optional
//! `/time` (02:00 by default). Without dates the customary United States dates apply. TZif
//! files end with such a rule for instants past their last transition, and `TZ` may hold one.

use super::local_time::{
    civil_from_days, days_from_civil, days_in_month, is_leap_year, weekday_of, ZoneType,
    SECONDS_PER_DAY,
};
use crate::error::TimeZoneError;

/// A POSIX `TZ` rule: standard time, and optionally daylight time with its yearly start and end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosixRule {
    pub standard: ZoneType,
    pub daylight: Option<Daylight>,
}

/// The daylight-saving part of a [`PosixRule`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Daylight {
    pub zone_type: ZoneType,
    pub start: RuleDate,
    /// Local (standard) time of day of the switch to daylight time, in seconds.
    pub start_time: i64,
    pub end: RuleDate,
    /// Local (daylight) time of day of the switch back, in seconds.
    pub end_time: i64,
}

/// A day of the year in a POSIX rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleDate {
    /// `Mm.w.d`: day `weekday` (0 = Sunday) of week `week` (1–5, 5 = last) of `month`.
    MonthWeekDay { month: u32, week: u32, weekday: u32 },
    /// `Jn`: day 1–365, February 29 never counted.
    JulianNoLeap(u32),
    /// `n`: day 0–365, February 29 counted in leap years.
    ZeroBased(u32),
}

impl RuleDate {
    /// Days since 1970-01-01 of this date in `year`.
    fn day_in(self, year: i64) -> i64 {
        let january_first = days_from_civil(year, 1, 1);
        match self {
            RuleDate::JulianNoLeap(day) => {
                let skip_leap_day = is_leap_year(year) && day >= 60;
                january_first + i64::from(day) - 1 + i64::from(skip_leap_day)
            }
            RuleDate::ZeroBased(day) => january_first + i64::from(day),
            RuleDate::MonthWeekDay {
                month,
                week,
                weekday,
            } => {
                let first = days_from_civil(year, month, 1);
                let first_weekday = weekday_of(first);
                let mut day_of_month = 1
                    + (i64::from(weekday) - first_weekday).rem_euclid(7)
                    + i64::from(week - 1) * 7;
                while day_of_month > i64::from(days_in_month(year, month)) {
                    day_of_month -= 7;
                }
                first + day_of_month - 1
            }
        }
    }
}

impl PosixRule {
    /// Parses a POSIX `TZ` value such as `UTC0`, `<+04>-4` or `CET-1CEST,M3.5.0,M10.5.0/3`.
    pub fn parse(text: &str) -> Result<PosixRule, TimeZoneError> {
        let mut cursor = RuleCursor {
            characters: text.chars().collect(),
            position: 0,
            text,
        };
        let standard_name = cursor.name()?;
        let standard_offset = -cursor.offset()?;
        let standard = ZoneType {
            utc_offset_seconds: standard_offset,
            abbreviation: standard_name,
        };
        if cursor.at_end() {
            return Ok(PosixRule {
                standard,
                daylight: None,
            });
        }
        let daylight_name = cursor.name()?;
        let daylight_offset = if cursor.peek().is_some_and(|c| c == ',') || cursor.at_end() {
            standard_offset + 3600
        } else {
            -cursor.offset()?
        };
        let zone_type = ZoneType {
            utc_offset_seconds: daylight_offset,
            abbreviation: daylight_name,
        };
        let (start, start_time, end, end_time) = if cursor.at_end() {
            // No dates given: the customary United States rule.
            (
                RuleDate::MonthWeekDay {
                    month: 3,
                    week: 2,
                    weekday: 0,
                },
                7200,
                RuleDate::MonthWeekDay {
                    month: 11,
                    week: 1,
                    weekday: 0,
                },
                7200,
            )
        } else {
            cursor.expect(',')?;
            let (start, start_time) = cursor.date_and_time()?;
            cursor.expect(',')?;
            let (end, end_time) = cursor.date_and_time()?;
            if !cursor.at_end() {
                return Err(cursor.invalid());
            }
            (start, start_time, end, end_time)
        };
        let daylight = Daylight {
            zone_type,
            start,
            start_time,
            end,
            end_time,
        };
        Ok(PosixRule {
            standard,
            daylight: Some(daylight),
        })
    }

    /// The local time type this rule gives at `utc_seconds`.
    pub fn zone_type_at(&self, utc_seconds: i64) -> ZoneType {
        let Some(daylight) = &self.daylight else {
            return self.standard.clone();
        };
        let standard_offset = self.standard.utc_offset_seconds;
        let daylight_offset = daylight.zone_type.utc_offset_seconds;
        let (year, _, _) =
            civil_from_days((utc_seconds + standard_offset).div_euclid(SECONDS_PER_DAY));
        let start =
            daylight.start.day_in(year) * SECONDS_PER_DAY + daylight.start_time - standard_offset;
        let end = daylight.end.day_in(year) * SECONDS_PER_DAY + daylight.end_time - daylight_offset;
        let in_daylight = if start < end {
            start <= utc_seconds && utc_seconds < end
        } else {
            !(end <= utc_seconds && utc_seconds < start)
        };
        if in_daylight {
            daylight.zone_type.clone()
        } else {
            self.standard.clone()
        }
    }
}

/// A scanner over POSIX rule text.
struct RuleCursor<'a> {
    characters: Vec<char>,
    position: usize,
    text: &'a str,
}

impl RuleCursor<'_> {
    fn invalid(&self) -> TimeZoneError {
        TimeZoneError::BadRule {
            rule: self.text.to_string(),
            position: self.position,
        }
    }

    fn peek(&self) -> Option<char> {
        self.characters.get(self.position).copied()
    }

    fn at_end(&self) -> bool {
        self.position >= self.characters.len()
    }

    fn expect(&mut self, wanted: char) -> Result<(), TimeZoneError> {
        if self.peek() == Some(wanted) {
            self.position += 1;
            Ok(())
        } else {
            Err(self.invalid())
        }
    }

    fn name(&mut self) -> Result<String, TimeZoneError> {
        let mut name = String::new();
        if self.peek() == Some('<') {
            self.position += 1;
            while let Some(character) = self.peek() {
                self.position += 1;
                if character == '>' {
                    return if name.is_empty() {
                        Err(self.invalid())
                    } else {
                        Ok(name)
                    };
                }
                name.push(character);
            }
            return Err(self.invalid());
        }
        while let Some(character) = self.peek().filter(|c| c.is_ascii_alphabetic()) {
            name.push(character);
            self.position += 1;
        }
        if name.len() < 3 {
            return Err(self.invalid());
        }
        Ok(name)
    }

    fn number(&mut self) -> Result<i64, TimeZoneError> {
        let mut value: i64 = 0;
        let mut digits = 0;
        while let Some(digit) = self.peek().and_then(|c| c.to_digit(10)) {
            value = value.saturating_mul(10).saturating_add(i64::from(digit));
            digits += 1;
            self.position += 1;
        }
        if digits == 0 {
            return Err(self.invalid());
        }
        Ok(value)
    }

    /// `[+-]hh[:mm[:ss]]` in seconds (west of Greenwich is positive in POSIX offsets).
    fn offset(&mut self) -> Result<i64, TimeZoneError> {
        let sign = match self.peek() {
            Some('-') => {
                self.position += 1;
                -1
            }
            Some('+') => {
                self.position += 1;
                1
            }
            _ => 1,
        };
        let mut seconds = self.number()? * 3600;
        if self.peek() == Some(':') {
            self.position += 1;
            seconds += self.number()? * 60;
            if self.peek() == Some(':') {
                self.position += 1;
                seconds += self.number()?;
            }
        }
        Ok(sign * seconds)
    }

    fn date_and_time(&mut self) -> Result<(RuleDate, i64), TimeZoneError> {
        let date = match self.peek() {
            Some('M') => {
                self.position += 1;
                let month = self.number()?;
                self.expect('.')?;
                let week = self.number()?;
                self.expect('.')?;
                let weekday = self.number()?;
                if !(1..=12).contains(&month)
                    || !(1..=5).contains(&week)
                    || !(0..=6).contains(&weekday)
                {
                    return Err(self.invalid());
                }
                RuleDate::MonthWeekDay {
                    month: month as u32,
                    week: week as u32,
                    weekday: weekday as u32,
                }
            }
            Some('J') => {
                self.position += 1;
                let day = self.number()?;
                if !(1..=365).contains(&day) {
                    return Err(self.invalid());
                }
                RuleDate::JulianNoLeap(day as u32)
            }
            _ => {
                let day = self.number()?;
                if !(0..=365).contains(&day) {
                    return Err(self.invalid());
                }
                RuleDate::ZeroBased(day as u32)
            }
        };
        let time = if self.peek() == Some('/') {
            self.position += 1;
            self.offset()?
        } else {
            7200
        };
        Ok((date, time))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn bad_rules_are_rejected() {
        for text in [
            "",
            "AB1",
            "CET",
            "CET-1CEST,M13.1.0,M10.5.0",
            "CET-1CEST,M3.5.0",
            "<>1",
        ] {
            assert!(PosixRule::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn fixed_offset_rules_have_no_daylight_time() {
        let rule = PosixRule::parse("IST-5:30").unwrap();
        assert_eq!(
            rule.standard,
            ZoneType {
                utc_offset_seconds: 19_800,
                abbreviation: "IST".to_string()
            }
        );
        assert_eq!(rule.daylight, None);
        let rule = PosixRule::parse("<-03>3").unwrap();
        assert_eq!(rule.standard.utc_offset_seconds, -10_800);
        assert_eq!(rule.standard.abbreviation, "-03");
    }

    #[test]
    fn rule_dates_resolve_per_year() {
        // Last Sunday of March 2026 is the 29th; the first Sunday of November 2026 is the 1st.
        assert_eq!(
            RuleDate::MonthWeekDay {
                month: 3,
                week: 5,
                weekday: 0
            }
            .day_in(2026),
            days_from_civil(2026, 3, 29)
        );
        assert_eq!(
            RuleDate::MonthWeekDay {
                month: 11,
                week: 1,
                weekday: 0
            }
            .day_in(2026),
            days_from_civil(2026, 11, 1)
        );
        // J60 is March 1 in every year; 59 (zero-based) is February 29 in a leap year.
        assert_eq!(
            RuleDate::JulianNoLeap(60).day_in(2024),
            days_from_civil(2024, 3, 1)
        );
        assert_eq!(
            RuleDate::ZeroBased(59).day_in(2024),
            days_from_civil(2024, 2, 29)
        );
    }
}
