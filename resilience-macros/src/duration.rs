//! Durations: a string such as `"250ms"`, `"1.5s"` or `"2m"`, checked when the macro runs, or
//! an expression of type `Duration` (a `const`, `Duration::from_millis(250)`), checked by the
//! compiler.

use std::time::Duration;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{Expr, ExprLit, Lit, LitStr, spanned::Spanned};

use resilience_settings::duration::{UNITS, parse_nanos};

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

    /// The value, when it is known before the code compiles: for the checks that compare it
    /// with another setting.
    pub(crate) fn known(&self) -> Option<Duration> {
        match self {
            DurationArg::Literal(d) => Some(Duration::from_nanos(d.nanos)),
            DurationArg::Expr(_) => None,
        }
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
            "{what} needs a unit: add one, as in `\"{digits}s\"` ({}), or write {expression}",
            units()
        )
    } else {
        format!(
            "{what} needs a unit: add one, as in `\"{digits}ms\"` or `\"{digits}s\"` ({}), or write {expression}",
            units()
        )
    };
    syn::Error::new(span, message)
}

/// The settings' units as a message lists them: "ns, us, ms, s, m or h".
fn units() -> String {
    let names: Vec<&str> = UNITS.iter().map(|(unit, _)| *unit).collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::DurationLit;

    #[test]
    fn reads_the_shared_corpus() {
        for (text, expected) in resilience_settings::corpus::DURATIONS {
            let lit = syn::LitStr::new(text, proc_macro2::Span::call_site());
            match (DurationLit::parse(&lit), expected) {
                (Ok(d), Ok(nanos)) => assert_eq!(d.nanos, *nanos, "{text:?}"),
                (Err(err), Err(says)) => {
                    assert!(err.to_string().contains(says), "{text:?}: {err}")
                }
                (Ok(d), Err(says)) => panic!("{text:?}: read as {}ns, expected {says:?}", d.nanos),
                (Err(err), Ok(_)) => panic!("{text:?}: {err}"),
            }
        }
    }
}
