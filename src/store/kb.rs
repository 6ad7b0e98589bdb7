//! The knowledge base's files: `kb/KB0001.md`, one article each
//! ([`crate::model::kb`]), written whole under the `kb` lock.

use std::path::{Path, PathBuf};

use super::read::{read_file, real_dirs, refused_kind};
use super::walk::entries;
use super::{create_atomic, write_atomic, Store};
use crate::error::{Error, Result};
use crate::model::kb::{article_id, is_article_id, split, Article, Front};

/// The knowledge base's folder.
pub const KB_DIR: &str = "kb";
const LOCK: &str = "kb";

/// An article's text read: its front matter's YAML parsed (errors by the
/// line of the file), the Markdown below it.
pub fn parse_article(text: &str, shown: &Path, id: &str) -> Result<Article> {
    let Some((yaml, body, line)) = split(text) else {
        return Err(Error::Parse {
            path: shown.into(),
            line: Some(1),
            message: "an article opens with its front matter between two `---` lines \
                      (title, tags, types, sources, updated); docs/search.md"
                .into(),
        });
    };
    let front: Front = crate::yaml::from_yaml(yaml, shown).map_err(|mut e| {
        e.line = e.line.map(|l| l + line - 1);
        e
    })?;
    Ok(Article {
        id: id.to_string(),
        front,
        body: body.to_string(),
    })
}

impl Store {
    pub fn kb_dir(&self) -> PathBuf {
        self.root.join(KB_DIR)
    }

    fn article_path(&self, id: &str) -> Result<PathBuf> {
        if !is_article_id(id) {
            return Err(Error::invalid(
                "article",
                id,
                "an article ID such as KB0001 (`desk kb list` lists them)",
            ));
        }
        Ok(self.kb_dir().join(format!("{id}.md")))
    }

    /// Every article, by ID, and every file of `kb/` that could not be read
    /// as one (a link, a file named like no article is left alone).
    pub fn articles(&self) -> Result<(Vec<Article>, Vec<Error>)> {
        real_dirs(&self.root, Path::new(KB_DIR))?;
        let mut articles = Vec::new();
        let mut errors = Vec::new();
        for entry in entries(&self.kb_dir())? {
            let Some(id) = entry.name.strip_suffix(".md").filter(|s| is_article_id(s)) else {
                continue;
            };
            let shown = self.display_path(&entry.path).to_path_buf();
            if let Some(kind) = refused_kind(&entry.file_type) {
                errors.push(super::read::not_a_file(&shown, kind));
                continue;
            }
            match read_file(&entry.path, &shown).and_then(|t| parse_article(&t, &shown, id)) {
                Ok(a) => articles.push(a),
                Err(e) => errors.push(e),
            }
        }
        Ok((articles, errors))
    }

    pub fn load_article(&self, id: &str) -> Result<Article> {
        real_dirs(&self.root, Path::new(KB_DIR))?;
        let path = self.article_path(id)?;
        let shown = self.display_path(&path).to_path_buf();
        if std::fs::symlink_metadata(&path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        {
            return Err(Error::NotFound {
                what: "article",
                id: id.to_string(),
            });
        }
        parse_article(&read_file(&path, &shown)?, &shown, id)
    }

    /// Writes a new article, `make` given its ID (the next free number);
    /// never replaces one.
    pub fn create_article(&self, make: impl FnOnce(&str) -> Article) -> Result<Article> {
        let _lock = self.lock(LOCK)?;
        real_dirs(&self.root, Path::new(KB_DIR))?;
        let dir = self.kb_dir();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let highest = entries(&dir)?
            .iter()
            .filter_map(|e| e.name.strip_suffix(".md"))
            .filter(|s| is_article_id(s))
            .filter_map(|s| s[2..].parse::<u32>().ok())
            .max()
            .unwrap_or(0);
        let id = article_id(highest.checked_add(1).ok_or_else(|| {
            Error::Refused("no article number is left above the highest in kb/".into())
        })?);
        let article = make(&id);
        let path = self.article_path(&id)?;
        create_atomic(&path, crate::model::kb::render(&article).as_bytes())?;
        Ok(article)
    }

    /// Changes an article under the `kb` lock, read afresh.
    pub fn modify_article(
        &self,
        id: &str,
        change: impl FnOnce(&mut Article) -> Result<()>,
    ) -> Result<Article> {
        let _lock = self.lock(LOCK)?;
        let mut article = self.load_article(id)?;
        change(&mut article)?;
        let path = self.article_path(id)?;
        write_atomic(&path, crate::model::kb::render(&article).as_bytes())?;
        Ok(article)
    }
}
