//! A `#[retry]` function that returns a `&mut` borrow of one of its arguments: each attempt
//! borrows the argument anew, inside the loop, and today's borrow checker cannot see that a
//! failed attempt's borrow has ended before the next one starts (the loop case of NLL's
//! "problem case #3", which the Polonius borrow checker accepts). The compiler's own error
//! (E0524, "two closures require unique access") names neither the cause nor the fix, so the
//! signatures where it is certain are refused here with both.

use proc_macro2::Span;
use syn::{
    FnArg, Lifetime, ReturnType, Signature, Type, TypeReference, spanned::Spanned,
    visit_mut::VisitMut,
};

use super::label;

/// A lifetime position in a type: a reference (its lifetime, `None` if elided) or a lifetime
/// argument.
struct Position {
    lifetime: Option<String>,
    mutable: bool,
    span: Span,
}

#[derive(Default)]
struct Positions(Vec<Position>);

// A `VisitMut` that changes nothing (the crate enables syn's `visit-mut` only).
impl VisitMut for Positions {
    fn visit_type_reference_mut(&mut self, reference: &mut TypeReference) {
        self.0.push(Position {
            lifetime: reference.lifetime.as_ref().and_then(named),
            mutable: reference.mutability.is_some(),
            span: reference.and_token.span,
        });
        // Not its lifetime again: only what it refers to.
        self.visit_type_mut(&mut reference.elem);
    }

    fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
        if lifetime.ident != "static" {
            self.0.push(Position {
                lifetime: named(lifetime),
                mutable: false,
                span: lifetime.span(),
            });
        }
    }
}

/// `'a` as `Some("a")`; `'_` as `None`, like an elided lifetime.
fn named(lifetime: &Lifetime) -> Option<String> {
    (lifetime.ident != "_").then(|| lifetime.ident.to_string())
}

fn positions(ty: &Type) -> Vec<Position> {
    let mut found = Positions::default();
    found.visit_type_mut(&mut ty.clone());
    found
        .0
        .into_iter()
        .filter(|p| p.lifetime.as_deref() != Some("static"))
        .collect()
}

/// The error for a `#[retry]` function whose return type holds a `&mut` borrowed from a `&mut`
/// argument, if it has one.
pub(crate) fn check(sig: &Signature) -> syn::Result<()> {
    let ReturnType::Type(_, output) = &sig.output else {
        return Ok(());
    };
    // Each input with its name and lifetime positions.
    let mut receiver = None;
    let mut inputs = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => {
                let found = positions(&r.ty);
                receiver = Some(inputs.len());
                inputs.push(("`self`".to_string(), found));
            }
            FnArg::Typed(typed) => inputs.push((label(&typed.pat), positions(&typed.ty))),
        }
    }
    let all_inputs: Vec<(&str, &Position)> = inputs
        .iter()
        .flat_map(|(name, found)| found.iter().map(move |p| (name.as_str(), p)))
        .collect();
    for returned in positions(output).iter().filter(|p| p.mutable) {
        // The input position the returned borrow's lifetime comes from, by the elision rules
        // or by name.
        let source = match &returned.lifetime {
            Some(name) => all_inputs
                .iter()
                .find(|(_, p)| p.mutable && p.lifetime.as_deref() == Some(name.as_str()))
                .copied(),
            None => match receiver {
                Some(index) => inputs[index]
                    .1
                    .first()
                    .map(|p| (inputs[index].0.as_str(), p)),
                None if all_inputs.len() == 1 => all_inputs.first().copied(),
                None => None,
            },
        };
        if let Some((argument, _)) = source.filter(|(_, p)| p.mutable) {
            return Err(syn::Error::new(
                returned.span,
                format!(
                    "`#[retry]` cannot return a `&mut` borrowed from {argument}: each attempt borrows it anew in the retry loop, and the borrow checker cannot yet tell that a failed attempt's borrow has ended (a known limit of Rust's borrow checker, lifted by Polonius). Retry the part that can fail in a function that returns no borrow, and borrow after it, as in `self.refresh()?; Ok(&mut self.value)`"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    fn refused(signature: &str) -> bool {
        let item: syn::ItemFn =
            syn::parse_str(&format!("{signature} {{ todo!() }}")).expect("a function");
        check(&item.sig).is_err()
    }

    #[test]
    fn a_mut_borrow_of_a_mut_argument_is_refused() {
        for signature in [
            "fn f(&mut self) -> Result<&mut u8, E>",
            "async fn f(&mut self) -> Result<&mut u8, E>",
            "fn f(&mut self, key: &str) -> Result<&mut u8, E>",
            "fn f<'a>(&'a mut self, key: &str) -> Result<&'a mut u8, E>",
            "fn f(self: &mut Self) -> Result<Option<&mut u8>, E>",
            "fn f(v: &mut Vec<u8>) -> Result<&mut u8, E>",
            "fn f<'a, 'b>(s: &'b str, v: &'a mut Vec<u8>) -> Result<&'a mut u8, E>",
            "fn f(&mut self) -> io::Result<(&mut u8, usize)>",
            "fn f(&mut self) -> Result<&'_ mut u8, E>",
        ] {
            assert!(refused(signature), "{signature}");
        }
    }

    #[test]
    fn other_borrows_are_left_to_the_compiler() {
        for signature in [
            "fn f(&self) -> Result<&u8, E>",
            "fn f(&mut self) -> Result<&u8, E>",
            "fn f<'a>(&mut self, s: &'a mut str) -> Result<&'a str, E>",
            "fn f<'a>(&self, s: &'a mut String) -> Result<&mut u8, E>",
            "fn f(&mut self) -> Result<&'static mut u8, E>",
            "fn f<'a, 'b>(v: &'a mut Vec<u8>, s: &'b mut str) -> Result<&'b str, E>",
            "fn f<'a, 'b>(v: &'a Vec<u8>, s: &'b mut str) -> Result<&'a mut u8, E>",
            "fn f(v: &mut Vec<u8>, w: &mut Vec<u8>) -> Result<&mut u8, E>",
            "fn f(v: Vec<u8>) -> Result<u8, E>",
            "fn f() -> Result<&'static mut u8, E>",
        ] {
            assert!(!refused(signature), "{signature}");
        }
    }
}
