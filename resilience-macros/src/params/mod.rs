//! The function's parameters, and the one place that knows their shapes: the receiver
//! (`&self`, `self: Arc<Self>`), a name (`id: u64`), a pattern that destructures
//! (`(a, b): (u8, u8)`, `Point { x, y }: Point`), and types a body cannot name
//! (`impl Trait`). Every layer of every stack asks here for what it needs: the names the
//! parameters bind (to move or copy them onto a worker thread), the arguments to pass on (to
//! a `fallback`), and the shapes a stack cannot take, refused with the fix.

mod loop_borrow;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::{FnArg, Pat, PatIdent, Signature, Type, spanned::Spanned};

use crate::{errors::Errors, types};

pub(crate) use loop_borrow::check as check_no_mut_borrow_across_attempts;

/// A name bound by a parameter's pattern.
pub(crate) struct Binding<'f> {
    pub(crate) pat: &'f PatIdent,
    /// Its type, when the parameter (or a `name: Type` inside a pattern) gives it.
    pub(crate) ty: Option<&'f Type>,
    /// Where to report a type error about the value: its type when known, else the name.
    pub(crate) span: Span,
}

impl Binding<'_> {
    /// Its type, as a body can write it: `_` (at the type or the name) where it is not known
    /// or is an `impl Trait`.
    pub(crate) fn nameable_type(&self) -> TokenStream {
        match self.ty {
            Some(ty) if !types::has_impl_trait(ty) => quote!(#ty),
            _ => {
                let underscore = syn::Token![_](self.span);
                quote!(#underscore)
            }
        }
    }
}

/// Every name the parameters bind, `self` aside: `a` of `a: T`, and `name` and `n` of
/// `(name, n): (String, u32)`, each with the span of the type it was declared with (its own
/// for a name inside a pattern).
pub(crate) fn bindings(sig: &Signature) -> Vec<Binding<'_>> {
    let mut out = Vec::new();
    for input in &sig.inputs {
        if let FnArg::Typed(typed) = input {
            let ty = match &*typed.pat {
                Pat::Ident(_) => Some(&*typed.ty),
                _ => None,
            };
            collect_bindings(&typed.pat, ty, &mut out);
        }
    }
    out
}

fn collect_bindings<'f>(pat: &'f Pat, ty: Option<&'f Type>, out: &mut Vec<Binding<'f>>) {
    match pat {
        Pat::Ident(p) => {
            out.push(Binding {
                pat: p,
                ty,
                span: ty.map_or_else(|| p.ident.span(), |ty| ty.span()),
            });
            if let Some((_, sub)) = &p.subpat {
                collect_bindings(sub, None, out);
            }
        }
        Pat::Tuple(t) => t.elems.iter().for_each(|p| collect_bindings(p, None, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| collect_bindings(p, None, out)),
        Pat::Struct(s) => s
            .fields
            .iter()
            .for_each(|f| collect_bindings(&f.pat, None, out)),
        Pat::Slice(s) => s.elems.iter().for_each(|p| collect_bindings(p, None, out)),
        Pat::Reference(r) => collect_bindings(&r.pat, None, out),
        Pat::Paren(p) => collect_bindings(&p.pat, ty, out),
        Pat::Type(t) => collect_bindings(&t.pat, Some(&t.ty), out),
        // Every alternative binds the same names.
        Pat::Or(or) => {
            if let Some(first) = or.cases.first() {
                collect_bindings(first, None, out);
            }
        }
        // Wildcards, literals, ranges, rest patterns bind nothing; `syn::Pat` is
        // non-exhaustive.
        _ => {}
    }
}

/// The call of `path` with the function's own arguments, `self` first: for a method and a
/// bare name `self.path(a, b)`, else `path(self, a, b)` or `path(a, b)`. A parameter that
/// destructures has no name to pass on: it is refused with the fix.
pub(crate) fn call_with_arguments(sig: &Signature, path: &syn::Path) -> syn::Result<TokenStream> {
    let mut args = Vec::new();
    let mut receiver = None;
    let mut errors = Errors::default();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => receiver = Some(r.self_token),
            FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(p) => args.push(p.ident.to_token_stream()),
                other => errors.at(
                    other,
                    "`fallback` passes the function's arguments on by name: bind this argument to a name and destructure it in the body",
                ),
            },
        }
    }
    errors.finish()?;
    Ok(match (receiver, path.get_ident()) {
        (Some(self_token), Some(method)) => quote!(#self_token.#method(#(#args),*)),
        (Some(self_token), None) => quote!(#path(#self_token, #(#args),*)),
        (None, _) => quote!(#path(#(#args),*)),
    })
}

/// A sync function under `#[timeout]` runs its body on a worker thread that may outlive the
/// call, so every argument must be owned.
pub(crate) fn check_owned(sig: &Signature) -> syn::Result<()> {
    let mut errors = Errors::default();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) if r.reference.is_some() => errors.at(
                r,
                "a sync `#[timeout]` function runs its body on a worker thread that may outlive the call, so it cannot borrow `self`: take `self` by value (an `Arc<Self>` clone, say) or make the function `async`",
            ),
            FnArg::Typed(typed) if types::borrows(&typed.ty) => errors.at(
                &typed.ty,
                "a sync `#[timeout]` function runs its body on a worker thread that may outlive the call, so its arguments must be owned (`Send + 'static`): take an owned type (`String` for `&str`, `Vec<T>` for `&[T]`, an `Arc`) or make the function `async`",
            ),
            _ => {}
        }
    }
    errors.finish()
}

/// Under a `#[retry]` above a sync `#[timeout]`, each attempt runs on a worker thread with its
/// own copy of the arguments: `self` cannot be copied, and a `mut` argument would lose the
/// changes that elsewhere carry from one attempt to the next.
pub(crate) fn check_copied_per_attempt(sig: &Signature) -> syn::Result<()> {
    let mut errors = Errors::default();
    if let Some(receiver) = sig.receiver() {
        errors.at(
            receiver,
            "a sync `#[timeout]` under `#[retry]` runs each attempt on a worker thread with its own copy of the arguments, and `self` cannot be copied per attempt: make the function `async`, put `#[timeout]` above `#[retry]` (one deadline for the whole loop), or pass the value as a named argument",
        );
    }
    for binding in bindings(sig) {
        if let Some(mutability) = &binding.pat.mutability {
            let name = &binding.pat.ident;
            errors.at(
                mutability,
                format!(
                    "under `#[retry]` a `mut` argument is one variable for the whole call, each attempt seeing the changes of the one before, but a sync `#[timeout]` below the `#[retry]` gives each attempt its own copy on a worker thread: drop `mut` and begin the body with `let mut {name} = {name};` (each attempt then changes its own copy), put `#[timeout]` above `#[retry]`, or make the function `async`"
                ),
            );
        }
    }
    errors.finish()
}

/// The `key` of a keyed `#[circuit_breaker]` picks one breaker per call from the call's
/// arguments: an expression that uses none of them (a misspelt name, a constant) would put
/// every call through one key, or name nothing, and is refused with the arguments it may use.
pub(crate) fn check_key(sig: &Signature, key: &syn::Expr) -> syn::Result<()> {
    let mut names: Vec<String> = bindings(sig)
        .iter()
        .map(|b| syn::ext::IdentExt::unraw(&b.pat.ident).to_string())
        .collect();
    if sig.receiver().is_some() {
        names.insert(0, "self".to_string());
    }
    let mut used = false;
    visit_idents(key.to_token_stream(), &mut |ident| {
        used |= names.contains(&syn::ext::IdentExt::unraw(ident).to_string());
    });
    if used {
        return Ok(());
    }
    let message = if names.is_empty() {
        format!(
            "`key` picks each call's breaker from the function's arguments, and `{}` takes none: add the key as an argument (`fn {}(shard_id: u32)`), or remove `key` for one breaker",
            sig.ident, sig.ident
        )
    } else {
        let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        format!(
            "`key` picks each call's breaker from the function's arguments, and this uses none of them: write an expression over {}, as in `key = {}`",
            list.join(", "),
            names[0]
        )
    };
    Err(syn::Error::new_spanned(key, message))
}

fn visit_idents(tokens: TokenStream, visit: &mut impl FnMut(&proc_macro2::Ident)) {
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Ident(ident) => visit(&ident),
            proc_macro2::TokenTree::Group(group) => visit_idents(group.stream(), visit),
            _ => {}
        }
    }
}

/// How a parameter is named in messages: `` `name` ``, or "the argument" for a pattern.
fn label(pat: &Pat) -> String {
    match pat {
        Pat::Ident(p) => format!("`{}`", p.ident),
        _ => "the argument".to_string(),
    }
}
