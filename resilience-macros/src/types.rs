//! What the expansion needs to know of a type as written: whether a body can name it (an
//! `impl Trait` it cannot), and whether it borrows from the caller.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Type, visit_mut::VisitMut};

/// `ty` with each `impl Trait` in it replaced by `_`, which a body can write and the compiler
/// infers: the return type as the body names it.
pub(crate) fn erase_impl_trait(ty: &Type) -> Type {
    let mut ty = ty.clone();
    EraseImplTrait.visit_type_mut(&mut ty);
    ty
}

/// `ty` with each `impl Trait` in it replaced by `()`: a type a body can name with the same
/// error type, for checks that look at the error type only. (An `impl Trait` error type
/// cannot be named by a `when` function anyway.)
pub(crate) fn unit_for_impl_trait(ty: &Type) -> Type {
    let mut ty = ty.clone();
    UnitForImplTrait.visit_type_mut(&mut ty);
    ty
}

/// Whether `ty` holds an `impl Trait`, which a body cannot name.
pub(crate) fn has_impl_trait(ty: &Type) -> bool {
    let mut found = FindImplTrait(false);
    found.visit_type_mut(&mut ty.clone());
    found.0
}

/// Whether `ty` borrows from the caller: a reference or a lifetime anywhere in it, other than
/// `'static`.
pub(crate) fn borrows(ty: &Type) -> bool {
    fn any_borrow(tokens: TokenStream) -> bool {
        let tokens: Vec<_> = tokens.into_iter().collect();
        tokens.iter().enumerate().any(|(i, tt)| {
            let is_static_lifetime = |at: usize| {
                matches!(tokens.get(at), Some(TokenTree::Punct(p)) if p.as_char() == '\'')
                    && matches!(tokens.get(at + 1), Some(TokenTree::Ident(id)) if id == "static")
            };
            match tt {
                TokenTree::Punct(p) if p.as_char() == '&' => !is_static_lifetime(i + 1),
                TokenTree::Punct(p) if p.as_char() == '\'' => !is_static_lifetime(i),
                TokenTree::Group(g) => any_borrow(g.stream()),
                _ => false,
            }
        })
    }
    any_borrow(ty.to_token_stream())
}

// `VisitMut`, even where nothing changes: the crate enables syn's `visit-mut` only.

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

struct FindImplTrait(bool);

impl VisitMut for FindImplTrait {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::ImplTrait(_) = ty {
            self.0 = true;
        } else {
            syn::visit_mut::visit_type_mut(self, ty);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{borrows, has_impl_trait};

    fn ty(text: &str) -> syn::Type {
        syn::parse_str(text).expect("a type")
    }

    #[test]
    fn impl_trait_is_found_at_any_depth() {
        assert!(has_impl_trait(&ty("impl Fn() -> u8")));
        assert!(has_impl_trait(&ty("Vec<Box<impl Clone>>")));
        assert!(!has_impl_trait(&ty("Box<dyn Fn() -> u8>")));
    }

    #[test]
    fn only_a_static_lifetime_is_owned() {
        assert!(borrows(&ty("&str")));
        assert!(borrows(&ty("Cow<'a, str>")));
        assert!(borrows(&ty("Vec<&'a [u8]>")));
        assert!(!borrows(&ty("&'static str")));
        assert!(!borrows(&ty("Box<dyn Fn() + Send + 'static>")));
        assert!(!borrows(&ty("String")));
    }
}
