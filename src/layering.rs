//! Keeps the layers of ARCHITECTURE.md: every `crate::` path in `src/` must
//! name a module its own module may import by the table there. Runs under
//! `cargo test --lib` (and so in `.ci/run`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Who may import whom, read from ARCHITECTURE.md's layer table.
struct Layers {
    /// Module → its layer's position, lowest first.
    layer: BTreeMap<String, usize>,
    /// Imports allowed inside one layer: (from, to).
    sideways: BTreeSet<(String, String)>,
    /// Imports the document lists as still breaking the layers: (file, to).
    known: BTreeSet<(String, String)>,
}

fn words(cell: &str) -> impl Iterator<Item = String> + '_ {
    cell.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
}

fn read_layers(doc: &str) -> Layers {
    let section = doc
        .split("\n## Layers")
        .nth(1)
        .expect("ARCHITECTURE.md has a `## Layers` section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut layers = Layers {
        layer: BTreeMap::new(),
        sideways: BTreeSet::new(),
        known: BTreeSet::new(),
    };
    let mut position = 0;
    for line in section.lines() {
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').collect();
        if line.starts_with('|') && cells.len() >= 3 {
            let Ok(_) = cells[0].trim().trim_matches('*').parse::<usize>() else {
                continue; // the heading and its rule
            };
            position += 1;
            for module in words(cells[1]) {
                layers.layer.insert(module, position);
            }
            // "a → b" pairs: a may import b in the same layer.
            for pair in cells[2].split(';') {
                if let Some((from, to)) = pair.split_once('→') {
                    for from in words(from) {
                        for to in words(to) {
                            layers.sideways.insert((from.clone(), to));
                        }
                    }
                }
            }
        } else if let Some(entry) = line.trim().strip_prefix("- `") {
            // "- `src/file.rs` → `module`: why"
            let mut names = entry.split('`');
            let file = names.next().unwrap_or_default();
            let to = names.nth(1).unwrap_or_default();
            layers.known.insert((file.to_string(), to.to_string()));
        }
    }
    assert!(position >= 3, "ARCHITECTURE.md's layer table was not read");
    layers
}

/// The code of a Rust file with comments, strings and char literals blanked
/// (newlines kept, so line numbers stay right).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied().unwrap_or(' ');
        if c == '/' && next == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 1;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 1;
                    if depth == 0 {
                        i += 1;
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                }
                i += 1;
            }
        } else if c == 'r'
            && (next == '"' || next == '#')
            && !chars
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            i += 2 + hashes;
            while i < chars.len() {
                if chars[i] == '"' && chars[i + 1..].iter().take(hashes).all(|&h| h == '#') {
                    i += 1 + hashes;
                    break;
                }
                out.push(blank(chars[i]));
                i += 1;
            }
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                out.push(blank(chars.get(i).copied().unwrap_or(' ')));
                i += 1;
            }
            i += 1;
        } else if c == '\'' && (next == '\\' || chars.get(i + 2) == Some(&'\'')) {
            // A char literal; a lifetime ('a) has no closing quote.
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Every `crate::name` in `code` (also each first name inside
/// `crate::{a, b::c}`), with its line.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let mut from = 0;
    while let Some(at) = code[from..].find("crate::") {
        let start = from + at;
        from = start + "crate::".len();
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            continue;
        }
        let line = code[..start].matches('\n').count() + 1;
        let rest = code[from..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            // The names at depth one of the group.
            let mut depth = 1;
            let mut item = String::new();
            let mut items = Vec::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 || (depth == 1 && c == ',') {
                    items.push(std::mem::take(&mut item));
                    if depth == 0 {
                        break;
                    }
                } else {
                    item.push(c);
                }
            }
            for item in items {
                if let Some(name) = words(&item).next() {
                    found.push((line, name));
                }
            }
        } else if let Some(name) = words(rest).next() {
            found.push((line, name));
        }
    }
    found
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("src/ is readable").path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// The top-level module a file under `src/` belongs to (`lib` for the crate root).
fn module_of(relative: &Path) -> String {
    let first = relative.components().next().expect("a path under src/");
    let first = first.as_os_str().to_string_lossy();
    first.strip_suffix(".rs").unwrap_or(&first).to_string()
}

/// The breaks of the layer rules in `src/`: "file:line: why".
fn breaks(root: &Path, layers: &Layers) -> (Vec<String>, BTreeSet<(String, String)>) {
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    let sources: Vec<(String, String, String)> = files
        .iter()
        .map(|path| {
            let relative = path.strip_prefix(root.join("src")).expect("under src/");
            let text = std::fs::read_to_string(path).expect("a readable source file");
            (
                format!("src/{}", relative.display()),
                module_of(relative),
                code_only(&text),
            )
        })
        .collect();
    // `crate::name!` of an exported macro belongs to the module defining it.
    let mut macros = BTreeMap::new();
    for (_, module, code) in &sources {
        for part in code.split("macro_rules!").skip(1) {
            if let Some(name) = words(part).next() {
                macros.insert(name, module.clone());
            }
        }
    }
    let mut found = Vec::new();
    let mut seen_known = BTreeSet::new();
    for (file, module, code) in &sources {
        let Some(&own) = layers.layer.get(module) else {
            found.push(format!(
                "{file}: module `{module}` is in no layer of ARCHITECTURE.md"
            ));
            continue;
        };
        for (line, name) in crate_paths(code) {
            let target = if layers.layer.contains_key(&name) {
                name
            } else {
                macros
                    .get(&name)
                    .cloned()
                    .unwrap_or_else(|| "lib".to_string())
            };
            if &target == module {
                continue;
            }
            let theirs = layers.layer.get(&target).copied().unwrap_or(usize::MAX);
            let allowed = theirs < own
                || (theirs == own && layers.sideways.contains(&(module.clone(), target.clone())));
            if allowed {
                continue;
            }
            let pair = (file.clone(), target.clone());
            if layers.known.contains(&pair) {
                seen_known.insert(pair);
                continue;
            }
            let why = if theirs == own {
                "a module of the same layer, not listed as allowed sideways"
            } else {
                "a module of a higher layer"
            };
            found.push(format!(
                "{file}:{line}: `{module}` (layer {own}) imports `{target}` (layer {}): {why}",
                if theirs == usize::MAX {
                    "none".to_string()
                } else {
                    theirs.to_string()
                },
            ));
        }
    }
    (found, seen_known)
}

#[test]
fn every_import_goes_down_the_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let layers = read_layers(&doc);
    let (mut found, seen_known) = breaks(root, &layers);
    for (file, to) in layers.known.difference(&seen_known) {
        found.push(format!(
            "{file} → {to}: listed in ARCHITECTURE.md as a break, but gone; remove it from the list"
        ));
    }
    assert!(
        found.is_empty(),
        "imports that break ARCHITECTURE.md's layers:\n{}",
        found.join("\n")
    );
}

#[test]
fn paths_are_found_in_groups_and_code_but_not_comments() {
    let code = code_only(
        "use crate::{db::{self, Conn}, error::AppError};\n\
         // crate::routes in a comment\n\
         let s = \"crate::view in a string\";\n\
         let c = '\"'; let d = crate::models::now();\n\
         fn f<'a>(x: &'a str) -> &'a str { $crate::cache::x }\n",
    );
    let names: Vec<_> = crate_paths(&code);
    assert_eq!(
        names,
        vec![
            (1, "db".to_string()),
            (1, "error".to_string()),
            (4, "models".to_string()),
            (5, "cache".to_string()),
        ]
    );
}
