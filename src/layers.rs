//! The layers of docs/architecture.md, kept by tests: no module uses one
//! that the page lists above it, and only the command layer (`cli`) and
//! `output` print. Like the test that keeps the YAML crate in `yaml.rs`,
//! they read the Rust files of `src/` as text: without their tests
//! (`#[cfg(test)]` items, and the files of test modules), comments and
//! literals, they follow every `crate::` path, and every `super::` path
//! that leaves a top-level module, to the top-level module it names.
//! `cargo test --lib layers -- --nocapture` prints the module graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The page that declares the order, and the heading of its list.
const ARCHITECTURE: &str = "docs/architecture.md";
const LAYERS_HEADING: &str = "## Layers";

/// The modules that may print: the command layer, and `output`, whose
/// `message` is the one writer of stderr.
const PRINTING: [&str; 2] = ["cli", "output"];

/// What prints: the print macros and the process's own stdout and stderr
/// (`output::message`, which writes stderr, is looked for as a path).
const PRINTS: [&str; 7] = [
    "println!",
    "print!",
    "eprintln!",
    "eprint!",
    "dbg!",
    "io::stdout",
    "io::stderr",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The list under [`LAYERS_HEADING`]: the first fenced block after it, one
/// module a line (`name` or `name/`, then what it is; indented lines go on
/// with the one above), the top first. Returned from the bottom up.
fn declared_layers(page: &str) -> Vec<String> {
    let after = page
        .split_once(&format!("\n{LAYERS_HEADING}\n"))
        .unwrap_or_else(|| panic!("{ARCHITECTURE} has no `{LAYERS_HEADING}` heading"))
        .1;
    let mut lines = after.lines().skip_while(|l| !l.starts_with("```"));
    assert!(lines.next().is_some(), "no list under {LAYERS_HEADING}");
    let mut layers: Vec<String> = lines
        .take_while(|l| !l.starts_with("```"))
        .filter(|l| l.starts_with(|c: char| !c.is_whitespace()))
        .map(|l| {
            let name = l.split_whitespace().next().unwrap_or_default();
            name.trim_end_matches('/').to_string()
        })
        .collect();
    layers.reverse();
    layers
}

/// A Rust file of `src/`: where it is, the top-level module it belongs to,
/// its module path (`store/lock.rs`: `store::lock`), and its code without
/// tests, comments and literals (byte for byte, lines kept).
struct Source {
    rel: PathBuf,
    module: Vec<String>,
    code: String,
}

impl Source {
    fn top(&self) -> &str {
        &self.module[0]
    }

    fn line(&self, at: usize) -> usize {
        self.code[..at].matches('\n').count() + 1
    }
}

/// Every Rust file of `src/` but those of test modules, with `lib.rs` and
/// `main.rs` (module path empty).
fn sources() -> Vec<Source> {
    let src = root().join("src");
    let mut found = Vec::new();
    let mut test_files = BTreeSet::new();
    for entry in walkdir::WalkDir::new(&src).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let rel = path.strip_prefix(root()).unwrap().to_path_buf();
        let text = std::fs::read_to_string(path).unwrap();
        let (code, test_mods) = without_tests(&code_only(&text));
        // The folder of a module's children: `x/` beside `x.rs`, or the
        // folder of `mod.rs` and of the crate's roots.
        let inner = path.strip_prefix(&src).unwrap().with_extension("");
        let root_file = inner == Path::new("lib") || inner == Path::new("main");
        let children = if root_file || inner.ends_with("mod") {
            path.parent().unwrap().to_path_buf()
        } else {
            path.with_extension("")
        };
        for name in test_mods {
            test_files.insert(children.join(format!("{name}.rs")));
            test_files.insert(children.join(name));
        }
        let mut module: Vec<String> = inner
            .iter()
            .map(|c| c.to_str().unwrap().to_string())
            .collect();
        if root_file || inner.ends_with("mod") {
            module.pop();
        }
        found.push((path.to_path_buf(), Source { rel, module, code }));
    }
    found
        .into_iter()
        .filter(|(path, _)| !test_files.iter().any(|t| path.starts_with(t)))
        .map(|(_, source)| source)
        .collect()
}

/// `text` with every comment, string and character literal blanked out
/// (each byte a space, line breaks kept), so that what is left is code
/// whose paths can be read and whose positions are the file's.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for byte in &mut out[from..to.min(b.len())] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
    };
    let ident = |i: usize| i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            let end = rest
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |n| i + n);
            blank(&mut out, i, end);
            i = end;
        } else if rest.starts_with(b"/*") {
            let (mut j, mut depth) = (i, 0);
            while j < b.len() {
                if b[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if (rest.starts_with(b"r\"") || rest.starts_with(b"r#"))
            && (!ident(i) || (b[i - 1] == b'b' && !ident(i - 1)))
        {
            // A raw string (`r"…"`, `r#"…"#`); `r#name` is a raw identifier.
            let hashes = rest[1..].iter().take_while(|&&c| c == b'#').count();
            if rest.get(1 + hashes) != Some(&b'"') {
                i += 1;
                continue;
            }
            let mut end = vec![b'"'];
            end.extend(std::iter::repeat_n(b'#', hashes));
            let body = i + 2 + hashes;
            let close = b[body..]
                .windows(end.len())
                .position(|w| w == end.as_slice())
                .map_or(b.len(), |n| body + n + end.len());
            blank(&mut out, i, close);
            i = close;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            blank(&mut out, i, j + 1);
            i = j + 1;
        } else if b[i] == b'\'' {
            // A character literal, or else a lifetime or label.
            let close = if rest.get(1) == Some(&b'\\') {
                b.get(i + 3..)
                    .and_then(|r| r.iter().position(|&c| c == b'\''))
                    .map(|n| i + 3 + n)
            } else {
                let len = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                (b.get(i + 1 + len) == Some(&b'\'')).then_some(i + 1 + len)
            };
            match close {
                Some(close) => {
                    blank(&mut out, i, close + 1);
                    i = close + 1;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    String::from_utf8(out).expect("only ASCII bytes were replaced, whole characters")
}

/// `code` without its `#[cfg(test)]` items (blanked, lines kept), and the
/// names of the test modules it declares in files of their own.
fn without_tests(code: &str) -> (String, Vec<String>) {
    const MARK: &str = "#[cfg(test)]";
    let b = code.as_bytes();
    let mut out = b.to_vec();
    let mut test_mods = Vec::new();
    let mut from = 0;
    while let Some(n) = code[from..].find(MARK) {
        let start = from + n;
        let mut i = start + MARK.len();
        let mut depth = 0i32;
        // The item ends at its first `;` or its first block's `}` outside
        // brackets (attributes, types, arguments).
        while i < b.len() {
            match b[i] {
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth -= 1,
                b';' if depth == 0 => break,
                b'{' if depth == 0 => {
                    i = matching_brace(b, i);
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let item = code[start + MARK.len()..i].trim();
        if b.get(i) == Some(&b';') {
            let words: Vec<&str> = item.split_whitespace().collect();
            if let Some(at) = words.iter().position(|w| *w == "mod") {
                test_mods.push(words[at + 1].to_string());
            }
        }
        for byte in &mut out[start..(i + 1).min(b.len())] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
        from = i + 1;
    }
    (String::from_utf8(out).unwrap(), test_mods)
}

/// The position of the `}` that closes the `{` at `open`.
fn matching_brace(b: &[u8], open: usize) -> usize {
    let mut depth = 0;
    for (i, &c) in b.iter().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    b.len()
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The paths of the path or `use` tree at `i` (`a::{b, c::{d, e}}` gives
/// `a::b`, `a::c::d`, `a::c::e`), and where it ends.
fn paths_at(b: &[u8], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix: Vec<String> = Vec::new();
    loop {
        i = skip_space(b, i);
        if b.get(i) == Some(&b'{') {
            let mut all = Vec::new();
            i += 1;
            loop {
                i = skip_space(b, i);
                match b.get(i) {
                    None => return (all, i),
                    Some(b'}') => return (all, i + 1),
                    Some(b',') => i += 1,
                    Some(_) => {
                        let (paths, end) = paths_at(b, i);
                        all.extend(paths.into_iter().map(|p| [prefix.clone(), p].concat()));
                        // Past an `as name` to the next `,` or `}`.
                        i = end;
                        while i < b.len() && b[i] != b',' && b[i] != b'}' {
                            i += 1;
                        }
                    }
                }
            }
        }
        let start = i;
        while i < b.len() && (is_ident(b[i]) || b[i] == b'*') {
            i += 1;
        }
        if start == i {
            return (vec![prefix], i);
        }
        prefix.push(String::from_utf8_lossy(&b[start..i]).into_owned());
        let next = skip_space(b, i);
        if b[next..].starts_with(b"::") && b.get(skip_space(b, next + 2)) != Some(&b'<') {
            i = next + 2;
        } else {
            return (vec![prefix], i);
        }
    }
}

/// The crate-level paths `code` uses, each with its position: those that
/// begin `crate::`, and those whose `super::`s leave the top-level module
/// (from `module`, inside the inline modules around them), written as from
/// the crate's root.
fn crate_paths(code: &str, module: &[String]) -> Vec<(usize, Vec<String>)> {
    let b = code.as_bytes();
    let inline = inline_modules(b);
    let starts_path =
        |i: usize| i == 0 || !(is_ident(b[i - 1]) || b[i - 1] == b':' || b[i - 1] == b'$');
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !starts_path(i) {
            i += 1;
            continue;
        }
        if b[i..].starts_with(b"crate::") {
            let (paths, end) = paths_at(b, i + "crate::".len());
            found.extend(paths.into_iter().map(|p| (i, p)));
            i = end.max(i + 1);
        } else if b[i..].starts_with(b"super::") {
            let mut j = i;
            let mut ups = 0;
            while b[j..].starts_with(b"super::") {
                ups += 1;
                j = skip_space(b, j + "super::".len());
            }
            let depth = module.len() + inline.iter().filter(|(s, e)| (*s..*e).contains(&i)).count();
            if ups == depth {
                let (paths, end) = paths_at(b, j);
                found.extend(paths.into_iter().map(|p| (i, p)));
                j = end;
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    found
}

/// The spans of the inline modules (`mod name { … }`) of `code`.
fn inline_modules(b: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    for i in 0..b.len() {
        if b[i..].starts_with(b"mod ") && (i == 0 || !is_ident(b[i - 1])) {
            let mut j = skip_space(b, i + 4);
            while j < b.len() && is_ident(b[j]) {
                j += 1;
            }
            let j = skip_space(b, j);
            if b.get(j) == Some(&b'{') {
                spans.push((j, matching_brace(b, j)));
            }
        }
    }
    spans
}

/// The top-level modules `src/lib.rs` declares, and the names it
/// re-exports at the crate's root with the module each comes from.
fn crate_root(lib: &Source) -> (BTreeSet<String>, BTreeMap<String, String>) {
    let b = lib.code.as_bytes();
    let mut modules = BTreeSet::new();
    let mut reexports = BTreeMap::new();
    for statement in lib.code.split(';') {
        let words: Vec<&str> = statement.split_whitespace().collect();
        if let Some(at) = words.iter().position(|w| *w == "mod") {
            modules.insert(words[at + 1].to_string());
        }
    }
    let mut from = 0;
    while let Some(n) = lib.code[from..].find("pub use ") {
        let at = from + n + "pub use ".len();
        let (paths, end) = paths_at(b, at);
        for path in paths {
            reexports.insert(path.last().unwrap().clone(), path[0].clone());
        }
        from = end.max(at);
    }
    (modules, reexports)
}

/// One use of a module by another: where, and the path.
struct Edge {
    from: String,
    to: String,
    at: String,
    path: String,
}

/// Every use of a top-level module by another in the code of `sources`;
/// a path that names nothing the crate's root declares is an error.
fn edges(sources: &[Source]) -> Vec<Edge> {
    let lib = sources
        .iter()
        .find(|s| s.rel == Path::new("src/lib.rs"))
        .expect("src/lib.rs");
    let (modules, reexports) = crate_root(lib);
    let mut edges = Vec::new();
    for source in sources.iter().filter(|s| !s.module.is_empty()) {
        for (at, path) in crate_paths(&source.code, &source.module) {
            let to = if modules.contains(&path[0]) {
                path[0].clone()
            } else {
                reexports.get(&path[0]).cloned().unwrap_or_else(|| {
                    panic!(
                        "{}:{}: crate::{} names no module or re-export of src/lib.rs",
                        source.rel.display(),
                        source.line(at),
                        path.join("::")
                    )
                })
            };
            if to != source.top() {
                edges.push(Edge {
                    from: source.top().to_string(),
                    to,
                    at: format!("{}:{}", source.rel.display(), source.line(at)),
                    path: format!("crate::{}", path.join("::")),
                });
            }
        }
    }
    edges
}

/// No module uses a module that docs/architecture.md lists above it, and
/// the page lists every module of src/lib.rs, once.
#[test]
fn no_module_uses_one_above_it() {
    let page = std::fs::read_to_string(root().join(ARCHITECTURE)).unwrap();
    let layers = declared_layers(&page);
    let sources = sources();
    assert!(sources.len() > 100, "only {} files read", sources.len());
    let lib = sources.iter().find(|s| s.rel == Path::new("src/lib.rs"));
    let (modules, _) = crate_root(lib.expect("src/lib.rs"));
    let listed: BTreeSet<String> = layers.iter().cloned().collect();
    assert_eq!(
        listed.len(),
        layers.len(),
        "a module is listed twice under {LAYERS_HEADING} of {ARCHITECTURE}: {layers:?}"
    );
    let mut problems: Vec<String> = modules
        .difference(&listed)
        .map(|m| format!("src/lib.rs: {m} is not listed under {LAYERS_HEADING}"))
        .chain(
            listed
                .difference(&modules)
                .map(|m| format!("{ARCHITECTURE}: {m} is listed, but src/lib.rs has no {m}")),
        )
        .collect();
    let rank = |m: &str| layers.iter().position(|l| l == m);

    let edges = edges(&sources);
    let mut graph: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for e in &edges {
        *graph.entry((&e.from, &e.to)).or_default() += 1;
    }
    let up = |from: &str, to: &str| matches!((rank(from), rank(to)), (Some(f), Some(t)) if t > f);
    println!(
        "{} uses of one module by another, {} edges:",
        edges.len(),
        graph.len()
    );
    for ((from, to), n) in &graph {
        println!(
            "  {from} -> {to} ({n}){}",
            if up(from, to) { "  UP" } else { "" }
        );
    }
    assert!(graph.len() > 20, "only {} edges found", graph.len());

    problems.extend(edges.iter().filter(|e| up(&e.from, &e.to)).map(|e| {
        format!(
            "{}: {} uses {} ({}), which is listed above it",
            e.at, e.from, e.to, e.path
        )
    }));
    assert!(
        problems.is_empty(),
        "{} problem(s) with the order of {ARCHITECTURE}:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Library code does not print: below the command layer, messages go to
/// the sink the caller passes in; only `cli` and `output` write to the
/// terminal.
#[test]
fn only_the_command_layer_and_output_print() {
    let sources = sources();
    let mut printing = Vec::new();
    for source in &sources {
        if source.module.is_empty() || PRINTING.contains(&source.top()) {
            continue;
        }
        for word in PRINTS {
            for (at, _) in source.code.match_indices(word) {
                let before = source.code[..at].bytes().next_back();
                if !before.is_some_and(is_ident) {
                    printing.push(format!(
                        "{}:{}: {word}",
                        source.rel.display(),
                        source.line(at)
                    ));
                }
            }
        }
        for (at, path) in crate_paths(&source.code, &source.module) {
            if path.starts_with(&["output".to_string(), "message".to_string()]) {
                printing.push(format!(
                    "{}:{}: crate::{}",
                    source.rel.display(),
                    source.line(at),
                    path.join("::")
                ));
            }
        }
    }
    assert!(
        printing.is_empty(),
        "printing outside {PRINTING:?}; pass the caller's sink instead:\n{}",
        printing.join("\n")
    );
}

/// Things done one way, each in one file (outside tests): a process is
/// started by `command.rs` (a command desk.yaml names, `run_bounded`) or
/// `store/git_command.rs` (git), a directory listed by `store/walk.rs`.
const ONE_PLACE: [(&str, &[&str]); 3] = [
    (
        "Command::new(",
        &["src/command.rs", "src/store/git_command.rs"],
    ),
    ("read_dir(", &["src/store/walk.rs"]),
    ("walkdir::", &["src/store/walk.rs"]),
];

#[test]
fn processes_are_started_and_directories_listed_one_way() {
    let mut elsewhere = Vec::new();
    for source in sources() {
        for (word, homes) in ONE_PLACE {
            if homes.iter().any(|h| source.rel == Path::new(h)) {
                continue;
            }
            for (at, _) in source.code.match_indices(word) {
                let before = &source.code[..at];
                // `clap::Command::new(` and `MailCommand::new(` are no process.
                if !before.bytes().next_back().is_some_and(is_ident) && !before.ends_with("clap::")
                {
                    elsewhere.push(format!(
                        "{}:{}: {word}",
                        source.rel.display(),
                        source.line(at)
                    ));
                }
            }
        }
    }
    assert!(
        elsewhere.is_empty(),
        "use crate::command, store::git_command or store::walk instead:\n{}",
        elsewhere.join("\n")
    );
}

#[test]
fn code_only_blanks_comments_and_literals_and_keeps_lines() {
    let text = "let a = \"crate::x\"; // crate::y\n/* crate::z\n */ let c = 'c';\n\
                let r = r#\"crate::w\"#; let b = br\"crate::u\\\"; fn f<'a>(x: &'a str) -> char { '\\'' }\n\
                let t = \"中文 crate::v\"; crate::model::Ticket";
    let code = code_only(text);
    assert_eq!(code.len(), text.len());
    assert_eq!(code.lines().count(), text.lines().count());
    assert_eq!(code.matches("crate::").count(), 1, "{code}");
    assert!(code.contains("fn f<'a>(x: &'a str)"), "{code}");
    assert!(code.ends_with("crate::model::Ticket"));
}

#[test]
fn test_items_and_test_modules_are_left_out() {
    let code =
        "use crate::a;\n#[cfg(test)]\nmod tests {\n    use crate::b;\n    fn f() { {} }\n}\n\
                #[cfg(test)]\nmod golden;\n#[cfg(test)]\nconst X: [u8; 2] = [0; 2];\nuse crate::c;";
    let (kept, test_mods) = without_tests(code);
    assert_eq!(kept.lines().count(), code.lines().count());
    let used: Vec<String> = crate_paths(&kept, &["m".to_string()])
        .into_iter()
        .map(|(_, p)| p.join("::"))
        .collect();
    assert_eq!(used, ["a", "c"]);
    assert_eq!(test_mods, ["golden"]);
}

#[test]
fn paths_are_read_through_groups_and_super() {
    let code = "use crate::{error::{Error, Result}, model::Ticket as T};\n\
                use super::lock::Lock;\nuse super::super::clock::now;\n\
                let t = crate::yaml::from_str::<Value>(x);\n\
                mod inner { use super::super::super::sla::Calendar; }\n\
                pub(crate) fn f() {}";
    let paths = |module: &[&str]| -> Vec<String> {
        let module: Vec<String> = module.iter().map(|m| m.to_string()).collect();
        crate_paths(code, &module)
            .into_iter()
            .map(|(_, p)| p.join("::"))
            .collect()
    };
    assert_eq!(
        paths(&["store", "lock"]),
        [
            "error::Error",
            "error::Result",
            "model::Ticket",
            "clock::now",
            "yaml::from_str",
            "sla::Calendar"
        ]
    );
    // From a top-level file, one `super::` is the crate's root.
    assert!(paths(&["store"]).contains(&"lock::Lock".to_string()));
}

#[test]
fn the_declared_order_is_read_from_the_top_down() {
    let page = "# A\n\n## Layers\n\nText.\n\n```text\ncli/     top\n         more\nstore/   files\ntext     bottom\n```\n";
    assert_eq!(declared_layers(page), ["text", "store", "cli"]);
}
