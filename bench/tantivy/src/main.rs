//! desk-tantivy: desk's tickets indexed and searched with Tantivy, to
//! compare with desk's own search index (README.md beside this folder's
//! Cargo.toml).
//!
//!     desk-tantivy build STORE INDEX_DIR
//!     desk-tantivy search INDEX_DIR [--limit N] QUERY...

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use serde::Deserialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{doc, Index, IndexWriter, TantivyDocument, Term};

/// The name the tokenizer is registered under in the index.
const TOKENIZER: &str = "desk";
/// How much more a title match counts (desk counts a title's terms twice).
const TITLE_BOOST: f32 = 2.0;
/// The indexing memory budget, shared by the writer's threads.
const WRITER_MEMORY: usize = 256 * 1024 * 1024;
/// Keys of a history event whose string values are searched.
const HISTORY_KEYS: [&str; 5] = ["note", "comment", "reason", "compensation", "followup"];

// ---------------------------------------------------------------- tokenizer

/// The terms of `text` exactly as desk makes them (`desk::search::terms`,
/// called rather than copied, so the comparison cannot drift): Han runs as
/// pairs of adjacent characters, other words folded, personal values, stop
/// words and long numbers left out. Offsets are not kept (nothing here
/// highlights); positions count the terms.
fn terms(text: &str, out: &mut Vec<Token>) {
    for (position, term) in desk::search::terms(text).into_iter().enumerate() {
        out.push(Token {
            offset_from: 0,
            offset_to: 0,
            position,
            text: term,
            position_length: 1,
        });
    }
}

/// desk's tokenizer as a Tantivy tokenizer.
#[derive(Clone, Default)]
struct DeskTokenizer {
    tokens: Vec<Token>,
}

struct DeskTokenStream<'a> {
    tokens: &'a mut [Token],
    /// The index of the current token plus one (0: before the first).
    next: usize,
}

impl Tokenizer for DeskTokenizer {
    type TokenStream<'a> = DeskTokenStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> DeskTokenStream<'a> {
        self.tokens.clear();
        terms(text, &mut self.tokens);
        DeskTokenStream {
            tokens: &mut self.tokens,
            next: 0,
        }
    }
}

impl TokenStream for DeskTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

// ---------------------------------------------------------------- tickets

/// The parts of a ticket file that are searched.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TicketFile {
    id: String,
    title: String,
    description: Option<String>,
    expectation: Option<String>,
    resolution: Option<String>,
    history: Vec<yaml_serde::Mapping>,
}

impl TicketFile {
    /// The text of the body field: description, expectation, resolution and
    /// the notes, comments, reasons, compensations and follow-ups of the
    /// history, one a line.
    fn body(&self) -> String {
        let mut body = String::new();
        let mut add = |s: &str| {
            if !s.trim().is_empty() {
                body.push_str(s);
                body.push('\n');
            }
        };
        for s in [&self.description, &self.expectation, &self.resolution]
            .into_iter()
            .flatten()
        {
            add(s);
        }
        for event in &self.history {
            for key in HISTORY_KEYS {
                if let Some(yaml_serde::Value::String(s)) = event.get(key) {
                    add(s);
                }
            }
        }
        body
    }
}

struct Fields {
    id: Field,
    title: Field,
    body: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    // Frequencies for BM25, no positions: desk keeps none either (its
    // phrases are checked on the ticket text of the hits).
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let id = builder.add_text_field("id", STRING | STORED);
    let title = builder.add_text_field("title", text.clone());
    let body = builder.add_text_field("body", text);
    (builder.build(), Fields { id, title, body })
}

fn register(index: &Index) {
    index
        .tokenizers()
        .register(TOKENIZER, DeskTokenizer::default());
}

// ---------------------------------------------------------------- commands

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn ticket_files(store: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(store.join("tickets"))
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "yaml"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

fn build(store: &Path, index_dir: &Path) -> Result<()> {
    let started = Instant::now();
    if index_dir.exists() {
        std::fs::remove_dir_all(index_dir)?;
    }
    std::fs::create_dir_all(index_dir)?;
    let (schema, fields) = schema();
    let index = Index::create_in_dir(index_dir, schema)?;
    register(&index);
    let writer: IndexWriter = index.writer(WRITER_MEMORY)?;
    let files = ticket_files(store);
    // The files are read and parsed on as many threads as there are cores;
    // Tantivy's own indexing threads take the documents from them.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = files.len().div_ceil(threads).max(1);
    let failed: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                let writer = &writer;
                let fields = &fields;
                scope.spawn(move || {
                    let mut failed = Vec::new();
                    for path in part {
                        let ticket = std::fs::read_to_string(path)
                            .map_err(|e| e.to_string())
                            .and_then(|text| {
                                yaml_serde::from_str::<TicketFile>(&text).map_err(|e| e.to_string())
                            });
                        match ticket {
                            Ok(t) => {
                                let body = t.body();
                                let added = writer.add_document(doc!(
                                    fields.id => t.id,
                                    fields.title => t.title,
                                    fields.body => body,
                                ));
                                if let Err(e) = added {
                                    failed.push(format!("{}: {e}", path.display()));
                                }
                            }
                            Err(e) => failed.push(format!("{}: {e}", path.display())),
                        }
                    }
                    failed
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a parsing thread panicked"))
            .collect()
    });
    let mut writer = writer;
    writer.commit()?;
    writer.wait_merging_threads()?;
    for f in &failed {
        eprintln!("skipped {f}");
    }
    let index = Index::open_in_dir(index_dir)?;
    let segments = index.searchable_segment_ids()?.len();
    eprintln!(
        "indexed {} of {} ticket files in {:.2?} ({} segments)",
        files.len() - failed.len(),
        files.len(),
        started.elapsed(),
        segments
    );
    Ok(())
}

fn search(index_dir: &Path, query: &str, limit: usize) -> Result<()> {
    let index = Index::open_in_dir(index_dir)?;
    register(&index);
    let schema = index.schema();
    let field = |name: &str| schema.get_field(name);
    let (id, title, body) = (field("id")?, field("title")?, field("body")?);
    let mut tokens = Vec::new();
    terms(query, &mut tokens);
    let mut words: Vec<String> = tokens.into_iter().map(|t| t.text).collect();
    words.dedup();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for word in &words {
        let in_title = TermQuery::new(
            Term::from_field_text(title, word),
            IndexRecordOption::WithFreqs,
        );
        let in_body = TermQuery::new(
            Term::from_field_text(body, word),
            IndexRecordOption::WithFreqs,
        );
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(in_title), TITLE_BOOST)),
        ));
        clauses.push((Occur::Should, Box::new(in_body)));
    }
    if clauses.is_empty() {
        return Err("the query has no searchable word".into());
    }
    let query = BooleanQuery::new(clauses);
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let (top, matched) = searcher.search(
        &query,
        &(TopDocs::with_limit(limit).order_by_score(), Count),
    )?;
    let mut out = String::new();
    for (score, address) in top {
        let doc: TantivyDocument = searcher.doc(address)?;
        let key = doc.get_first(id).and_then(|v| v.as_str()).unwrap_or("?");
        out.push_str(&format!("{key}\t{score:.4}\n"));
    }
    print!("{out}");
    eprintln!("{matched} matching");
    Ok(())
}

fn usage() -> ExitCode {
    eprintln!("usage: desk-tantivy build STORE INDEX_DIR\n       desk-tantivy search INDEX_DIR [--limit N] QUERY...");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let done = match args.first().map(String::as_str) {
        Some("build") if args.len() == 3 => build(Path::new(&args[1]), Path::new(&args[2])),
        Some("search") if args.len() >= 3 => {
            // `--limit N` after INDEX_DIR: more than the top 10, to compare
            // rankings (the timed runs use the default).
            let (limit, words) = match (args.get(2).map(String::as_str), args.get(3)) {
                (Some("--limit"), Some(n)) if args.len() >= 5 => match n.parse() {
                    Ok(n) => (n, &args[4..]),
                    Err(_) => return usage(),
                },
                _ => (10, &args[2..]),
            };
            search(Path::new(&args[1]), &words.join(" "), limit)
        }
        _ => return usage(),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("desk-tantivy: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        terms(text, &mut out);
        out.into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn the_tokens_are_desks_terms_in_order() {
        for text in ["无法开机", "打印机 OFFLINE", "电话13812345678 the li.si@corp.cn 123456"] {
            assert_eq!(t(text), desk::search::terms(text), "{text}");
        }
        let mut out = Vec::new();
        terms("打印机 offline", &mut out);
        let positions: Vec<usize> = out.iter().map(|t| t.position).collect();
        assert_eq!(positions, [0, 1, 2]);
    }
}
