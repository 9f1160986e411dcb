//! The annotated function: parsed once, checked for what every attribute needs, and written
//! back with a new body and everything else exactly as the user wrote it.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{
    Attribute, Block, Item, ReturnType, Signature, TraitItemFn, Type, Visibility, spanned::Spanned,
    visit_mut::VisitMut,
};

/// The attributes of this crate, by name, in the order they may appear.
pub(crate) const ATTRIBUTES: &[&str] = &["retry", "circuit_breaker", "timeout"];

/// The function an attribute is on.
pub(crate) struct Function {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) block: Box<Block>,
}

impl Function {
    /// Parses the item an attribute was put on, or explains what it applies to.
    pub(crate) fn parse(item: TokenStream, attribute: &str) -> syn::Result<Self> {
        match syn::parse2::<Item>(item.clone()) {
            Ok(Item::Fn(f)) => {
                let function = Function {
                    attrs: f.attrs,
                    vis: f.vis,
                    sig: f.sig,
                    block: f.block,
                };
                function.check(attribute)?;
                Ok(function)
            }
            Ok(Item::Verbatim(tokens)) => Err(match syn::parse2::<TraitItemFn>(tokens.clone()) {
                Ok(f) if f.default.is_none() => missing_body(&f, attribute),
                _ => syn::Error::new_spanned(
                    tokens,
                    format!(
                        "`#[{attribute}]` applies to functions: put it on a `fn` or `async fn` that returns a `Result`"
                    ),
                ),
            }),
            Ok(other) => Err(syn::Error::new(item_span(&other), {
                let (kind, advice) = item_kind(&other);
                format!("`#[{attribute}]` applies to functions, not to {kind}: {advice}")
            })),
            Err(error) => match syn::parse2::<TraitItemFn>(item) {
                Ok(f) if f.default.is_none() => Err(missing_body(&f, attribute)),
                _ => Err(error),
            },
        }
    }

    fn check(&self, attribute: &str) -> syn::Result<()> {
        if let Some(constness) = &self.sig.constness {
            return Err(syn::Error::new(
                constness.span(),
                format!(
                    "`#[{attribute}]` cannot wrap a `const fn`: retries, breakers and timeouts happen at run time; remove `const`"
                ),
            ));
        }
        if let Some(variadic) = &self.sig.variadic {
            return Err(syn::Error::new(
                variadic.span(),
                format!("`#[{attribute}]` cannot wrap a variadic function"),
            ));
        }
        if let Some(found) = self.obviously_not_result() {
            return Err(syn::Error::new(
                self.return_type().span(),
                format!(
                    "`#[{attribute}]` needs a function that returns a `Result`, not {found}: return `Result<T, E>` with the error type of your choice"
                ),
            ));
        }
        if let ReturnType::Default = self.sig.output {
            return Err(syn::Error::new(
                self.sig.paren_token.span.close(),
                format!(
                    "`#[{attribute}]` needs a function that returns a `Result`: add a return type such as `-> Result<T, E>`"
                ),
            ));
        }
        Ok(())
    }

    /// Names the return type when it is written as something that cannot be a `Result`
    /// (an alias could be one, so only the unmistakable cases are caught here; the rest are
    /// caught by the type checker at the same span).
    fn obviously_not_result(&self) -> Option<String> {
        let ReturnType::Type(_, ty) = &self.sig.output else {
            return None;
        };
        match &**ty {
            Type::Tuple(t) if t.elems.is_empty() => Some("`()`".into()),
            Type::Tuple(_) => Some("a tuple".into()),
            Type::Reference(_) => Some("a reference".into()),
            Type::Array(_) | Type::Slice(_) => Some("an array".into()),
            Type::Never(_) => Some("`!`".into()),
            Type::ImplTrait(_) => Some("`impl Trait`".into()),
            Type::Path(p) if p.qself.is_none() => {
                let last = p.path.segments.last()?.ident.to_string();
                const NOT_RESULT: &[&str] = &[
                    "Option", "bool", "char", "str", "String", "Vec", "Box", "u8", "u16", "u32",
                    "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
                    "f64",
                ];
                NOT_RESULT
                    .contains(&last.as_str())
                    .then(|| format!("`{last}`"))
            }
            _ => None,
        }
    }

    /// A sync function under `#[timeout]` runs its body on a worker thread that may outlive
    /// the call, so every argument must be owned.
    pub(crate) fn check_owned_arguments(&self) -> syn::Result<()> {
        let mut errors = crate::args::Errors::default();
        for input in &self.sig.inputs {
            match input {
                syn::FnArg::Receiver(r) if r.reference.is_some() => errors.at(
                    r,
                    "a sync `#[timeout]` function runs its body on a worker thread that may outlive the call, so it cannot borrow `self`: take `self` by value (an `Arc<Self>` clone, say) or make the function `async`",
                ),
                syn::FnArg::Typed(typed) if crate::stack::borrows(&typed.ty) => errors.at(
                    &typed.ty,
                    "a sync `#[timeout]` function runs its body on a worker thread that may outlive the call, so its arguments must be owned (`Send + 'static`): take an owned type (`String` for `&str`, `Vec<T>` for `&[T]`, an `Arc`) or make the function `async`",
                ),
                _ => {}
            }
        }
        errors.finish()
    }

    /// Every name the arguments bind, `self` aside: `a` of `a: T`, and `name` and `n` of
    /// `(name, n): (String, u32)`, each with the span of the type it was declared with (its
    /// own for a name inside a pattern).
    pub(crate) fn bindings(&self) -> Vec<Binding<'_>> {
        let mut out = Vec::new();
        for input in &self.sig.inputs {
            if let syn::FnArg::Typed(typed) = input {
                let ty = match &*typed.pat {
                    syn::Pat::Ident(_) => Some(&*typed.ty),
                    _ => None,
                };
                collect_bindings(&typed.pat, ty, &mut out);
            }
        }
        out
    }

    /// Whether the function is certainly inside an `impl` or a trait, where `Self` is a type:
    /// it takes `self`, or names `Self` in its signature or its body (outside the items and
    /// `macro_rules!` it defines, where `Self` could be theirs). A function in an `impl` that
    /// does neither cannot be told from a free function.
    pub(crate) fn is_method(&self) -> bool {
        let has_receiver = self
            .sig
            .inputs
            .iter()
            .any(|input| matches!(input, syn::FnArg::Receiver(_)));
        has_receiver || names_self(self.sig.to_token_stream()) || {
            let mut finder = SelfFinder(false);
            finder.visit_block_mut(&mut self.block.as_ref().clone());
            finder.0
        }
    }

    pub(crate) fn is_async(&self) -> bool {
        self.sig.asyncness.is_some()
    }

    /// The declared return type, as written (for spans).
    pub(crate) fn return_type(&self) -> &Type {
        match &self.sig.output {
            ReturnType::Type(_, ty) => ty,
            ReturnType::Default => unreachable!("checked in Function::parse"),
        }
    }

    /// The return type usable inside the body: `impl Trait` becomes `_`, since a body cannot
    /// name it.
    pub(crate) fn body_return_type(&self) -> Type {
        let mut ty = self.return_type().clone();
        EraseImplTrait.visit_type_mut(&mut ty);
        ty
    }

    /// The return type with each `impl Trait` in it replaced by `()`: a type that a body can
    /// name and that has the declared error type, for checks that look at the error type only.
    /// (An `impl Trait` error type cannot be named by a `when` function anyway.)
    pub(crate) fn return_type_for_its_error(&self) -> Type {
        let mut ty = self.return_type().clone();
        UnitForImplTrait.visit_type_mut(&mut ty);
        ty
    }

    /// Removes the attributes of this crate still on the function (those written below the
    /// one being expanded) and returns them in order, so that one expansion applies the whole
    /// stack in the order the user wrote it.
    pub(crate) fn take_stacked(&mut self) -> Vec<(String, Attribute)> {
        let mut stacked = Vec::new();
        self.attrs.retain(|attr| match stacked_name(attr) {
            Some(name) => {
                stacked.push((name, attr.clone()));
                false
            }
            None => true,
        });
        stacked
    }

    /// Writes the function back with `body` as its block.
    pub(crate) fn with_body(&self, body: TokenStream) -> TokenStream {
        let Function {
            attrs, vis, sig, ..
        } = self;
        // `#![...]` attributes of the body belong inside it, before the new code.
        let (inner, outer): (Vec<_>, Vec<_>) = attrs
            .iter()
            .partition(|attr| matches!(attr.style, syn::AttrStyle::Inner(_)));
        quote!(#(#outer)* #vis #sig { #(#inner)* #body })
    }
}

impl ToTokens for Function {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let block = &self.block;
        tokens.extend(self.with_body(quote!(#block)));
    }
}

/// A name bound by an argument's pattern.
pub(crate) struct Binding<'f> {
    pub(crate) pat: &'f syn::PatIdent,
    /// Its type, when the argument (or a `name: Type` inside a pattern) gives it.
    pub(crate) ty: Option<&'f Type>,
    /// Where to report a type error about the value: its type when known, else the name.
    pub(crate) span: proc_macro2::Span,
}

impl Binding<'_> {
    /// Its type, as a body can write it: `_` (at the type or the name) where it is not known
    /// or is an `impl Trait`.
    pub(crate) fn nameable_type(&self) -> TokenStream {
        match self.ty {
            Some(ty) if !crate::item::has_impl_trait(ty) => quote!(#ty),
            _ => {
                let underscore = syn::Token![_](self.span);
                quote!(#underscore)
            }
        }
    }
}

/// Whether `ty` holds an `impl Trait`, which a body cannot name.
pub(crate) fn has_impl_trait(ty: &Type) -> bool {
    let mut erased = ty.clone();
    EraseImplTrait.visit_type_mut(&mut erased);
    erased.to_token_stream().to_string() != ty.to_token_stream().to_string()
}

fn collect_bindings<'f>(pat: &'f syn::Pat, ty: Option<&'f Type>, out: &mut Vec<Binding<'f>>) {
    use syn::Pat;
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
        _ => {}
    }
}

/// `retry`, `circuit_breaker` or `timeout` when `attr` is one of this crate's attributes,
/// written bare or as `resilience::name`.
fn stacked_name(attr: &Attribute) -> Option<String> {
    let path = attr.path();
    let last = path.segments.last()?.ident.to_string();
    let ours = match path.segments.len() {
        1 => true,
        2 => path.segments[0].ident == "resilience",
        _ => false,
    };
    (ours && ATTRIBUTES.contains(&last.as_str())).then_some(last)
}

/// The arguments of a stacked attribute, as tokens (empty for `#[timeout]` without parens).
pub(crate) fn attribute_args(attr: &Attribute) -> syn::Result<TokenStream> {
    match &attr.meta {
        syn::Meta::Path(_) => Ok(TokenStream::new()),
        syn::Meta::List(list) => Ok(list.tokens.clone()),
        syn::Meta::NameValue(nv) => Err(syn::Error::new(
            nv.eq_token.span(),
            "write the arguments in parentheses, as in `#[retry(max_attempts = 3)]`",
        )),
    }
}

/// Whether `Self` appears anywhere in `tokens`.
fn names_self(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(ident) => ident == "Self",
        proc_macro2::TokenTree::Group(group) => names_self(group.stream()),
        _ => false,
    })
}

/// Looks for `Self` in a body, outside the items it defines. (A `VisitMut` that changes
/// nothing: the crate enables syn's `visit-mut` only.)
struct SelfFinder(bool);

impl VisitMut for SelfFinder {
    fn visit_ident_mut(&mut self, ident: &mut proc_macro2::Ident) {
        self.0 |= ident == "Self";
    }

    fn visit_item_mut(&mut self, _: &mut Item) {}

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        if !mac.path.is_ident("macro_rules") {
            self.0 |= names_self(mac.tokens.clone());
        }
    }
}

struct UnitForImplTrait;

impl VisitMut for UnitForImplTrait {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::ImplTrait(it) = ty {
            *ty = syn::parse_quote_spanned!(it.impl_token.span=> ());
        } else {
            syn::visit_mut::visit_type_mut(self, ty);
        }
    }
}

struct EraseImplTrait;

impl VisitMut for EraseImplTrait {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::ImplTrait(it) = ty {
            *ty = Type::Infer(syn::TypeInfer {
                underscore_token: syn::Token![_](it.impl_token.span),
            });
        } else {
            syn::visit_mut::visit_type_mut(self, ty);
        }
    }
}

fn missing_body(f: &TraitItemFn, attribute: &str) -> syn::Error {
    syn::Error::new(
        f.semi_token.map_or(f.sig.span(), |s| s.span()),
        format!(
            "`#[{attribute}]` needs a function body to wrap, and a declaration (in a trait or an `extern` block) has none: put it on a function with a body, such as the trait's implementation or a Rust wrapper around the foreign function"
        ),
    )
}

/// What the item is, and where the attribute should go instead.
fn item_kind(item: &Item) -> (&'static str, &'static str) {
    const ON_A_FUNCTION: &str = "put it on a `fn` or `async fn` that returns a `Result`";
    let kind = match item {
        Item::Const(_) => "a `const`",
        Item::Enum(_) => "an `enum`",
        Item::ExternCrate(_) => "an `extern crate`",
        Item::ForeignMod(_) => {
            return (
                "an `extern` block",
                "put it on a Rust function with a body that calls into it",
            );
        }
        Item::Impl(_) => {
            return (
                "an `impl` block",
                "put it on each method that returns a `Result`",
            );
        }
        Item::Trait(_) => {
            return (
                "a trait",
                "put it on the methods of an `impl` block that returns a `Result`",
            );
        }
        Item::Macro(_) => "a macro invocation",
        Item::Mod(_) => "a module",
        Item::Static(_) => "a `static`",
        Item::Struct(_) => "a `struct`",
        Item::TraitAlias(_) => "a trait alias",
        Item::Type(_) => "a type alias",
        Item::Union(_) => "a `union`",
        Item::Use(_) => "a `use`",
        _ => "this item",
    };
    (kind, ON_A_FUNCTION)
}

fn item_span(item: &Item) -> proc_macro2::Span {
    match item {
        Item::Struct(s) => s.struct_token.span,
        Item::Enum(e) => e.enum_token.span,
        Item::Impl(i) => i.impl_token.span,
        Item::Trait(t) => t.trait_token.span,
        Item::Mod(m) => m.mod_token.span,
        Item::Const(c) => c.const_token.span,
        Item::Static(s) => s.static_token.span,
        Item::Type(t) => t.type_token.span,
        Item::Use(u) => u.use_token.span,
        Item::Union(u) => u.union_token.span,
        Item::ForeignMod(f) => f.abi.extern_token.span,
        other => other.span(),
    }
}
