//! Duration strings: `"250ms"`, `"1.5s"`, `"2m"`, checked when the code compiles.

use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::LitStr;

const UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

const FORMAT_HELP: &str = "write an integer or decimal and a unit: ns, us, ms, s, m or h, as in \"250ms\", \"1.5s\" or \"2m\"";

/// A duration parsed from a string literal, kept with the literal for spans.
#[derive(Clone)]
pub(crate) struct DurationLit {
    pub(crate) nanos: u64,
    pub(crate) lit: LitStr,
}

impl DurationLit {
    pub(crate) fn parse(lit: &LitStr) -> syn::Result<Self> {
        let text = lit.value();
        parse_nanos(&text)
            .map(|nanos| DurationLit {
                nanos,
                lit: lit.clone(),
            })
            .map_err(|why| syn::Error::new(lit.span(), why))
    }

    /// Stands in for a duration that failed to parse (its error is already reported).
    pub(crate) fn placeholder() -> Self {
        DurationLit {
            nanos: 1,
            lit: LitStr::new("1ns", proc_macro2::Span::call_site()),
        }
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// `::core::time::Duration::from_nanos(N)`, spanned on the literal.
    pub(crate) fn to_tokens(&self) -> TokenStream {
        let nanos = self.nanos;
        quote_spanned!(self.lit.span()=> ::core::time::Duration::from_nanos(#nanos))
    }
}

/// Parses `text` into nanoseconds, or says what is wrong with it.
pub(crate) fn parse_nanos(text: &str) -> Result<u64, String> {
    if text.is_empty() {
        return Err(format!("empty duration: {FORMAT_HELP}"));
    }
    if text.trim() != text || text.contains(' ') {
        return Err(format!(
            "unexpected space in duration \"{text}\": {FORMAT_HELP}"
        ));
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(format!(
            "duration \"{text}\" does not start with a number: {FORMAT_HELP}"
        ));
    }
    if unit.is_empty() {
        return Err(format!(
            "duration \"{text}\" has no unit: write \"{number}ms\" or \"{number}s\" (units: ns, us, ms, s, m, h)"
        ));
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
        return Err(format!(
            "unknown unit \"{unit}\" in duration \"{text}\"{hint}: units are ns, us, ms, s, m and h"
        ));
    };
    let (whole, fraction) = match number.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (number, ""),
    };
    if whole.is_empty() || fraction.contains('.') || (number.contains('.') && fraction.is_empty()) {
        return Err(format!(
            "malformed number \"{number}\" in duration \"{text}\": {FORMAT_HELP}"
        ));
    }
    let too_long = || format!("duration \"{text}\" is too long: the largest is about 584 years");
    let whole: u128 = whole.parse().map_err(|_| too_long())?;
    let mut nanos = whole.checked_mul(unit_nanos).ok_or_else(too_long)?;
    if !fraction.is_empty() {
        if fraction.len() > 18 {
            return Err(format!(
                "duration \"{text}\" has more decimals than a nanosecond can hold"
            ));
        }
        let digits: u128 = fraction.parse().map_err(|_| too_long())?;
        let scale = 10u128.pow(fraction.len() as u32);
        let scaled = digits * unit_nanos;
        if scaled % scale != 0 {
            return Err(format!(
                "duration \"{text}\" is finer than a nanosecond: round it to whole nanoseconds"
            ));
        }
        nanos = nanos.checked_add(scaled / scale).ok_or_else(too_long)?;
    }
    u64::try_from(nanos).map_err(|_| too_long())
}

#[cfg(test)]
mod tests {
    use super::parse_nanos;

    #[test]
    fn accepts_every_unit_and_decimals() {
        assert_eq!(parse_nanos("250ms"), Ok(250_000_000));
        assert_eq!(parse_nanos("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_nanos("2m"), Ok(120_000_000_000));
        assert_eq!(parse_nanos("1h"), Ok(3_600_000_000_000));
        assert_eq!(parse_nanos("10us"), Ok(10_000));
        assert_eq!(parse_nanos("7ns"), Ok(7));
        assert_eq!(parse_nanos("0ms"), Ok(0));
        assert_eq!(parse_nanos("0.001s"), Ok(1_000_000));
    }

    #[test]
    fn rejects_with_reasons() {
        for (input, says) in [
            ("250", "has no unit"),
            ("ms", "does not start with a number"),
            ("", "empty"),
            ("5 s", "unexpected space"),
            ("5secs", "use \"s\""),
            ("5d", "24h"),
            ("5x", "unknown unit"),
            ("1.s", "malformed"),
            ("1..2s", "malformed"),
            (".5s", "malformed"),
            ("1.5ns", "finer than a nanosecond"),
            ("99999999999h", "too long"),
            ("-1s", "does not start with a number"),
        ] {
            let err = parse_nanos(input).unwrap_err();
            assert!(err.contains(says), "{input}: {err}");
        }
    }
}
