//! The duration syntax of the attributes, the environment and configuration files: an
//! integer or decimal and a unit, `ns`, `us`, `ms`, `s`, `m` or `h`, with no space
//! (`"250ms"`, `"1.5s"`, `"2m"`). One grammar, so that a value moves between code, the
//! environment and a file unchanged.

use std::{fmt, time::Duration};

/// The units, with their length in nanoseconds, shortest first.
///
/// ```
/// assert!(resilience_settings::duration::UNITS.iter().any(|(unit, _)| *unit == "ms"));
/// ```
pub const UNITS: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

const FORMAT_HELP: &str = "write an integer or decimal and a unit: ns, us, ms, s, m or h, as in \"250ms\", \"1.5s\" or \"2m\"";

/// A duration string that [`parse`] could not read, with what is wrong and how to write it.
///
/// ```
/// let err = resilience_settings::duration::parse("250").unwrap_err();
/// assert!(err.to_string().contains("has no unit"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    message: String,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DurationError {}

fn error(message: String) -> DurationError {
    DurationError { message }
}

/// Parses a duration: an integer or decimal and a unit, `ns`, `us`, `ms`, `s`, `m` or `h`,
/// with no space. Up to about 584 years (`u64::MAX` nanoseconds), to the nanosecond.
///
/// ```
/// use std::time::Duration;
/// use resilience_settings::duration::parse;
///
/// assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
/// assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
/// assert!(parse("5secs").unwrap_err().to_string().contains("use \"s\""));
/// ```
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    parse_nanos(text).map(Duration::from_nanos)
}

/// [`parse`], in nanoseconds.
///
/// ```
/// assert_eq!(resilience_settings::duration::parse_nanos("2us"), Ok(2_000));
/// ```
pub fn parse_nanos(text: &str) -> Result<u64, DurationError> {
    if text.is_empty() {
        return Err(error(format!("empty duration: {FORMAT_HELP}")));
    }
    if text.trim() != text || text.contains(' ') {
        return Err(error(format!(
            "unexpected space in duration \"{text}\": {FORMAT_HELP}"
        )));
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(error(format!(
            "duration \"{text}\" does not start with a number: {FORMAT_HELP}"
        )));
    }
    if unit.is_empty() {
        return Err(error(format!(
            "duration \"{text}\" has no unit: write \"{number}ms\" or \"{number}s\" (units: ns, us, ms, s, m, h)"
        )));
    }
    let Some(&(_, unit_nanos)) = UNITS.iter().find(|(name, _)| *name == unit) else {
        let hint = match unit {
            "sec" | "secs" | "second" | "seconds" => " (use \"s\")",
            "min" | "mins" | "minute" | "minutes" => " (use \"m\")",
            "hr" | "hrs" | "hour" | "hours" => " (use \"h\")",
            "µs" | "micros" => " (use \"us\")",
            "millis" | "msec" | "msecs" => " (use \"ms\")",
            "d" | "day" | "days" => " (use \"h\": 1 day is \"24h\")",
            _ => "",
        };
        return Err(error(format!(
            "unknown unit \"{unit}\" in duration \"{text}\"{hint}: units are ns, us, ms, s, m and h"
        )));
    };
    let unit_nanos = u128::from(unit_nanos);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() || fraction.contains('.') || (number.contains('.') && fraction.is_empty()) {
        return Err(error(format!(
            "malformed number \"{number}\" in duration \"{text}\": {FORMAT_HELP}"
        )));
    }
    let too_long = || {
        error(format!(
            "duration \"{text}\" is too long: the largest is about 584 years"
        ))
    };
    let whole: u128 = whole.parse().map_err(|_| too_long())?;
    let mut nanos = whole.checked_mul(unit_nanos).ok_or_else(too_long)?;
    if !fraction.is_empty() {
        if fraction.len() > 18 {
            return Err(error(format!(
                "duration \"{text}\" has more decimals than a nanosecond can hold"
            )));
        }
        let digits: u128 = fraction.parse().map_err(|_| too_long())?;
        // At most 18 digits: 10^18 and digits * unit (< 10^18 * 3.6 * 10^12) fit in a u128.
        let scale = 10u128.pow(fraction.len() as u32);
        let scaled = digits * unit_nanos;
        if scaled % scale != 0 {
            return Err(error(format!(
                "duration \"{text}\" is finer than a nanosecond: round it to whole nanoseconds"
            )));
        }
        nanos = nanos.checked_add(scaled / scale).ok_or_else(too_long)?;
    }
    u64::try_from(nanos).map_err(|_| too_long())
}

/// Writes a duration in the syntax [`parse`] reads, exactly, in the largest unit that holds
/// it in whole numbers. Durations beyond what the syntax holds (about 584 years) are written
/// as the largest it holds.
///
/// ```
/// use std::time::Duration;
/// use resilience_settings::duration::format;
///
/// assert_eq!(format(Duration::from_secs(120)), "2m");
/// assert_eq!(format(Duration::from_millis(1500)), "1500ms");
/// assert_eq!(format(Duration::ZERO), "0s");
/// ```
pub fn format(duration: Duration) -> String {
    let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return "0s".to_owned();
    }
    let (unit, size) = UNITS
        .iter()
        .rev()
        .find(|(_, size)| nanos % size == 0)
        .copied()
        .unwrap_or(("ns", 1));
    format!("{}{unit}", nanos / size)
}
