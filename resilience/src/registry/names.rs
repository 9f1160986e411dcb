//! Default names of breakers on methods: `module::Type::method`, so that `impl A { fn get }`
//! and `impl B { fn get }` in one module never share a breaker by accident.
//!
//! The type is only known where the method is compiled (`Self`), and `type_name` is not a
//! `const fn`, so the name is made on a call site's first call, off the hot path, and kept
//! for the life of the process (one small string per call site).

use std::{
    collections::BTreeSet,
    sync::{Mutex, PoisonError},
};

/// `module::Type::method`.
pub(super) fn method_name(module: &str, type_name: &str, method: &str) -> String {
    format!("{module}::{}::{method}", type_label(type_name))
}

/// A type's name as a reader writes it in code: without module paths or generic arguments.
/// `app::db::Cache<u8>` is `Cache`, `&app::A` is `&A`, `(app::A, app::B)` is `(A, B)`.
///
/// The generic arguments are left out because a call site's breaker is made once, by the
/// first call, whatever the type it was called for: every `Cache<T>` shares it.
fn type_label(type_name: &str) -> String {
    let mut without_arguments = String::with_capacity(type_name.len());
    let mut depth = 0usize;
    let mut previous = '\0';
    for c in type_name.chars() {
        if c == '<' {
            depth += 1;
        } else if c == '>' && depth > 0 && previous != '-' {
            depth -= 1;
        } else if depth == 0 {
            without_arguments.push(c);
        }
        previous = c;
    }
    let mut label = String::with_capacity(without_arguments.len());
    let mut path = String::new();
    let last_segment = |path: &str| path.rsplit("::").next().unwrap_or_default().to_string();
    for c in without_arguments.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            path.push(c);
        } else {
            label.push_str(&last_segment(&path));
            path.clear();
            label.push(c);
        }
    }
    label.push_str(&last_segment(&path));
    label
}

/// The one `&'static str` for `name`: threads racing on a first call share it.
pub(super) fn intern(name: String) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = names.get(name.as_str()) {
        return known;
    }
    let name: &'static str = Box::leak(name.into_boxed_str());
    names.insert(name);
    name
}

#[cfg(test)]
mod tests {
    use super::{intern, method_name, type_label};

    #[test]
    fn a_type_is_named_as_written_in_code() {
        for (full, label) in [
            ("app::db::Cache", "Cache"),
            ("app::db::Cache<alloc::string::String>", "Cache"),
            (
                "app::Pair<app::A, std::collections::HashMap<u8, app::B>>",
                "Pair",
            ),
            ("&app::A", "&A"),
            ("&mut app::A", "&mut A"),
            ("(app::A, app::B)", "(A, B)"),
            ("[app::A; 4]", "[A; 4]"),
            ("dyn app::Store + core::marker::Send", "dyn Store + Send"),
            ("app::Wrap<fn(u8) -> u8>", "Wrap"),
            ("fn(app::A) -> app::B", "fn(A) -> B"),
            ("u32", "u32"),
        ] {
            assert_eq!(type_label(full), label, "{full}");
        }
    }

    #[test]
    fn a_method_is_named_module_type_method() {
        assert_eq!(
            method_name("app::db", "app::model::User<u8>", "load"),
            "app::db::User::load"
        );
    }

    #[test]
    fn a_name_is_made_static_once() {
        let first = intern(String::from("names::tests::Once::get"));
        let second = intern(String::from("names::tests::Once::get"));
        assert!(std::ptr::eq(first, second));
    }
}
