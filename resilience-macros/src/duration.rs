//! Durations: a string such as `"250ms"`, `"1.5s"` or `"2m"`, checked when the macro runs, or
//! an expression of type `Duration` (a `const`, `Duration::from_millis(250)`), checked by the
//! compiler.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{Expr, ExprLit, Lit, LitStr, spanned::Spanned};

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

    /// `::core::time::Duration::from_nanos(N)`, spanned on the literal.
    pub(crate) fn to_tokens(&self) -> TokenStream {
        let nanos = self.nanos;
        quote_spanned!(self.lit.span()=> ::core::time::Duration::from_nanos(#nanos))
    }
}

/// How an expression may stand for a duration where the value is built at compile time.
pub(crate) const CONST_EXPRESSION: &str = "a `const` expression of type `Duration`";

/// A duration argument as written.
#[derive(Clone)]
pub(crate) enum DurationArg {
    /// `"250ms"`: known now, so the macro checks it against the other arguments.
    Literal(DurationLit),
    /// `LIMIT`, `Self::DELAY` or `Duration::from_millis(250)`: the compiler checks its type,
    /// and the runtime takes any value (its builders clamp what makes no sense).
    Expr(Box<Expr>),
}

impl DurationArg {
    /// Reads a duration argument: a string with a unit, or an expression of type `Duration`.
    /// A bare number is refused with the string to write instead. `what` names the argument
    /// in messages (`` `initial_delay` ``, `a timeout`), `expression` the expressions it takes
    /// ([`CONST_EXPRESSION`] where the value is built at compile time).
    pub(crate) fn parse(what: &str, expression: &str, value: &Expr) -> syn::Result<Self> {
        match value {
            // A `$d:literal` or `$d:expr` from a `macro_rules!` arrives in an invisible group.
            Expr::Group(group) => Self::parse(what, expression, &group.expr),
            Expr::Paren(paren) if matches!(&*paren.expr, Expr::Lit(_) | Expr::Group(_)) => {
                Self::parse(what, expression, &paren.expr)
            }
            Expr::Lit(ExprLit { lit, .. }) => match lit {
                Lit::Str(lit) => DurationLit::parse(lit).map(DurationArg::Literal),
                Lit::Int(int) => Err(needs_unit(
                    what,
                    expression,
                    int.base10_digits(),
                    int.suffix(),
                    int.span(),
                )),
                Lit::Float(float) => Err(needs_unit(
                    what,
                    expression,
                    float.base10_digits(),
                    float.suffix(),
                    float.span(),
                )),
                other => Err(syn::Error::new(
                    other.span(),
                    format!(
                        "{what} takes a duration string such as \"250ms\" or \"1.5s\", or {expression}"
                    ),
                )),
            },
            other => Ok(DurationArg::Expr(Box::new(other.clone()))),
        }
    }

    /// The value in nanoseconds, when it is known before the code compiles.
    pub(crate) fn nanos(&self) -> Option<u64> {
        match self {
            DurationArg::Literal(d) => Some(d.nanos),
            DurationArg::Expr(_) => None,
        }
    }

    /// Whether it is written as a zero duration (an expression is never known to be).
    pub(crate) fn is_zero(&self) -> bool {
        self.nanos() == Some(0)
    }

    /// Where it is written.
    pub(crate) fn span(&self) -> Span {
        match self {
            DurationArg::Literal(d) => d.lit.span(),
            DurationArg::Expr(expr) => expr.span(),
        }
    }

    /// An expression of type `::core::time::Duration`, usable in a `const` context. An
    /// expression is typed on its own, so that a mistake is reported at it as "expected
    /// `Duration`".
    pub(crate) fn to_tokens(&self) -> TokenStream {
        match self {
            DurationArg::Literal(d) => d.to_tokens(),
            DurationArg::Expr(expr) => {
                let local = syn::Ident::new("__resilience_duration", Span::mixed_site());
                let ty = quote_spanned!(expr.span()=> ::core::time::Duration);
                quote!({
                    let #local: #ty = #expr;
                    #local
                })
            }
        }
    }
}

/// The message for a number written without a unit: the string to write instead.
fn needs_unit(what: &str, expression: &str, digits: &str, suffix: &str, span: Span) -> syn::Error {
    let message = if UNITS.iter().any(|(unit, _)| *unit == suffix) {
        format!(
            "{what} is a string with a unit: write `\"{digits}{suffix}\"`, in quotes, or {expression}"
        )
    } else if digits.contains('.') {
        format!(
            "{what} needs a unit: add one, as in `\"{digits}s\"` (ns, us, ms, s, m or h), or write {expression}"
        )
    } else {
        format!(
            "{what} needs a unit: add one, as in `\"{digits}ms\"` or `\"{digits}s\"` (ns, us, ms, s, m or h), or write {expression}"
        )
    };
    syn::Error::new(span, message)
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
