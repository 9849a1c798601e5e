//! Date and time text forms used on the wire: `full-date` ("YYYY-MM-DD") and ISO 18013-5
//! `tdate` (RFC 3339, UTC, whole seconds, "Z"), and the injected [`Clock`].

use time::{
    Date, OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339,
    macros::format_description,
};

/// The current time, injected so that tests and test vectors are deterministic.
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock stopped at one instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

/// "YYYY-MM-DD".
pub fn date(d: Date) -> String {
    let fmt = format_description!("[year]-[month]-[day]");
    d.format(&fmt).unwrap_or_default()
}

/// Parses "YYYY-MM-DD" strictly.
pub fn parse_date(s: &str) -> Option<Date> {
    let fmt = format_description!("[year]-[month]-[day]");
    if s.len() != 10 {
        return None;
    }
    Date::parse(s, &fmt).ok()
}

/// RFC 3339 in UTC with whole seconds: "2026-11-23T08:00:00Z".
pub fn tdate(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t)
        .format(&fmt)
        .unwrap_or_default()
}

/// Parses any RFC 3339 date-time.
pub fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// Truncates to whole seconds in UTC (what `tdate` can carry).
pub fn whole_seconds(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(UtcOffset::UTC);
    t.replace_nanosecond(0).unwrap_or(t)
}
