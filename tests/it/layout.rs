//! The layout of src/: no import cycle between its top-level modules (the same reading as
//! ../shared/tools/modcycles.py: every `crate::MODULE` outside `#[cfg(test)]`, comments included,
//! is an edge from the module of that file to MODULE).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules it names.
fn edges(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let re = regex::Regex::new(r"crate::([a-z_][a-z0-9_]*)").unwrap();
    let mut files: BTreeMap<String, Vec<std::path::PathBuf>> = BTreeMap::new();
    for e in walkdir::WalkDir::new(src) {
        let e = e.unwrap();
        if e.path().extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let rel = e.path().strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let top = first.strip_suffix(".rs").unwrap_or(&first).to_string();
        if top != "main" && top != "lib" {
            files.entry(top).or_default().push(e.path().to_path_buf());
        }
    }
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (top, paths) in &files {
        let to = out.entry(top.clone()).or_default();
        for p in paths {
            let text = std::fs::read_to_string(p).unwrap();
            // tests may reach anywhere
            let text = text.split("#[cfg(test)]").next().unwrap_or("");
            let named = re
                .captures_iter(text)
                .map(|m| m[1].to_string())
                .chain(grouped(text));
            for m in named {
                if files.contains_key(&m) && m != *top {
                    to.insert(m);
                }
            }
        }
    }
    out
}

/// The modules named first in each item of `crate::{a, b::{c, d}, …}` (which `crate::NAME`
/// alone does not see).
fn grouped(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("crate::{") {
        let body = &text[at + "crate::{".len()..];
        let (mut depth, mut item) = (0usize, String::new());
        for c in body.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(std::mem::take(&mut item));
                    continue;
                }
                _ => {}
            }
            item.push(c);
        }
        out.push(item);
    }
    out.iter()
        .filter_map(|i| {
            let name: String = i
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

/// The groups of modules that reach each other (strongly connected, more than one module).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(m) = todo.pop() {
            for n in edges.get(&m).into_iter().flatten() {
                if seen.insert(n.clone()) {
                    todo.push(n.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> =
        edges.keys().map(|m| (m, reach(m))).collect();
    let mut groups: Vec<Vec<String>> = Vec::new();
    for m in edges.keys() {
        let group: Vec<String> = edges
            .keys()
            .filter(|n| n == &m || (reached[m].contains(*n) && reached[n].contains(m)))
            .cloned()
            .collect();
        if group.len() > 1 && !groups.contains(&group) {
            groups.push(group);
        }
    }
    groups
}

#[test]
fn src_has_no_import_cycle_between_top_level_modules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = cycles(&edges(&src));
    let shown: Vec<String> = found.iter().map(|g| g.join(" <-> ")).collect();
    assert!(
        found.is_empty(),
        "import cycles between top-level modules of src/: {}",
        shown.join("; ")
    );
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let e = |pairs: &[(&str, &str)]| {
        let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in pairs {
            m.entry(a.to_string()).or_default().insert(b.to_string());
            m.entry(b.to_string()).or_default();
        }
        m
    };
    let found = cycles(&e(&[
        ("a", "b"),
        ("b", "c"),
        ("c", "a"),
        ("c", "d"),
        ("d", "e"),
    ]));
    assert_eq!(found, [["a", "b", "c"]]);
    assert!(cycles(&e(&[("a", "b"), ("b", "c")])).is_empty());
}

#[test]
fn grouped_imports_are_edges_too() {
    assert_eq!(
        grouped("use crate::{content::{model, source}, diagnostic, links::qr};"),
        ["content", "diagnostic", "links"]
    );
}
