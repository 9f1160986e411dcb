//! The list against what uses it: the expansion snapshots of `resilience-macros`, which show
//! what the attributes write, and the list's own macros, which expand to names of the list.

use std::{collections::BTreeSet, fs, path::Path};

/// The names `text` reaches under `prefix`: the first segment after it, or each first segment
/// of a `{ .. }` group after it.
fn reached(text: &str, prefix: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = BTreeSet::new();
    for (at, _) in text.match_indices(prefix) {
        let rest = &text[at + prefix.len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let group = &group[..group.find('}').expect("a closed group")];
                names.extend(group.split(',').map(|item| ident(item.trim())));
            }
            None => {
                names.insert(ident(rest));
            }
        }
    }
    names.remove("");
    names
}

/// The names the list gives: each `pub use` item's own name, or the one it is renamed to.
fn listed(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for statement in text.split(';') {
        let Some(at) = statement.find("pub use ") else {
            continue;
        };
        let path = &statement[at + "pub use ".len()..];
        let items = match (path.find('{'), path.rfind('}')) {
            (Some(open), Some(close)) => path[open + 1..close].split(',').collect(),
            _ => vec![path],
        };
        for item in items.into_iter().map(str::trim).filter(|i| !i.is_empty()) {
            let name = match item.split_once(" as ") {
                Some((_, renamed)) => renamed,
                None => item.rsplit("::").next().unwrap_or(item),
            };
            names.insert(name.trim().to_owned());
        }
    }
    names
}

fn rust_files(dir: &Path, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(fs::read_to_string(&path).unwrap());
        }
    }
}

#[test]
fn the_list_is_what_the_expansions_use() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let snapshots = root.join("../resilience-macros/tests/expand");
    let mut used = BTreeSet::new();
    let mut files = 0;
    for entry in fs::read_dir(&snapshots).unwrap_or_else(|e| panic!("{snapshots:?}: {e}")) {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".expanded.rs") {
            used.extend(reached(
                &fs::read_to_string(&path).unwrap(),
                "::resilience::__private::",
            ));
            files += 1;
        }
    }
    assert!(
        files >= 20,
        "expected the expansion snapshots in {snapshots:?}"
    );
    // The macros of the list (`hint!`, `describe!`) expand to names of the list too.
    let mut sources = Vec::new();
    rust_files(&root.join("src"), &mut sources);
    for source in &sources {
        used.extend(reached(source, "$crate::__private::"));
    }

    let listed = listed(include_str!("mod.rs"));
    let missing: Vec<_> = used.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "used by an expansion, not listed: {missing:?}"
    );
    let unused: Vec<_> = listed.difference(&used).collect();
    assert!(
        unused.is_empty(),
        "listed, used by no expansion: {unused:?}"
    );
}

#[test]
fn the_parsers_read_what_they_are_given() {
    let text =
        "x ::resilience::__private::site_breaker(..); ::resilience::__private::Step::Done(r)";
    let names: Vec<_> = reached(text, "::resilience::__private::")
        .into_iter()
        .collect();
    assert_eq!(names, ["Step", "site_breaker"]);
    let group = "use $crate::list::{Fallback as _, ViaTrait as _};";
    let names: Vec<_> = reached(group, "$crate::list::").into_iter().collect();
    assert_eq!(names, ["Fallback", "ViaTrait"]);
    let list = "pub use crate::a::{B, c::D};\npub use crate::x::Y as Z;\npub use crate::Error;";
    let names: Vec<_> = listed(list).into_iter().collect();
    assert_eq!(names, ["B", "D", "Error", "Z"]);
}
