//! `desk cache` over every derived index: stats, clear, rebuild.

use std::path::PathBuf;

use super::folders::PerFolder;
use super::search::SearchIndex;
use super::workload::WorkloadIndex;
use super::{Derived, Folder, Of, Refreshed, TicketCache};
use crate::error::{Error, Result};
use crate::store::Store;

/// What `desk cache stats` reports of one index.
#[derive(Debug)]
pub struct CacheStats {
    pub name: &'static str,
    pub path: PathBuf,
    pub bytes: Option<u64>,
    pub entries: usize,
    /// The files of its folder that it may index.
    pub files: usize,
    /// Of those, the ones whose entry a reading command would reuse.
    pub fresh: usize,
}

/// What `desk cache rebuild` did.
#[derive(Debug, Default)]
pub struct Rebuilt {
    /// How many files of each folder were parsed.
    pub parsed: Vec<(&'static str, usize)>,
    pub errors: Vec<Error>,
}

/// An index as `desk cache` handles it.
pub(in crate::store) trait Registered: Sync {
    fn stats(&self, store: &Store) -> Result<CacheStats>;
    fn forget(&self, store: &Store) -> Result<bool>;
    /// Brings the index up to date (all of it, once forgotten).
    fn refresh(&self, store: &Store) -> Result<Refreshed>;
    fn folder(&self) -> &'static str;
    fn file(&self) -> &'static str;
    /// The files of the indexes its refresh keeps up to date too.
    fn companions(&self) -> Vec<&'static str>;
}

impl<I: Derived> Registered for Of<I> {
    /// Read as a refresh reads: the folder a run at a time, the index a
    /// chunk at a time.
    fn stats(&self, store: &Store) -> Result<CacheStats> {
        let path = store.index_path(I::FILE);
        let bytes = std::fs::metadata(&path).ok().map(|m| m.len());
        let mut scanner = store.open_index::<I>().open(I::MAGIC).map(|(s, _)| s);
        let mut on_entry = scanner.as_mut().is_some_and(|s| s.advance());
        let (mut entries, mut files, mut fresh) = (0, 0, 0);
        I::Folder::runs(store, &mut |run| {
            for f in run.iter().filter(|f| f.key.is_some()) {
                files += 1;
                while let Some(s) = scanner.as_mut().filter(|_| on_entry) {
                    let e = s.current().expect("on an entry");
                    if e.name > f.name.as_str() {
                        break;
                    }
                    if e.name == f.name && Some(e.key) == f.key && e.settled && e.record.is_some() {
                        fresh += 1;
                    }
                    entries += 1;
                    on_entry = s.advance();
                }
            }
        })?;
        if let Some(s) = scanner.as_mut().filter(|_| on_entry) {
            entries += 1;
            while s.advance() {
                entries += 1;
            }
        }
        Ok(CacheStats {
            name: I::NAME,
            path,
            bytes,
            entries,
            files,
            fresh,
        })
    }

    fn forget(&self, store: &Store) -> Result<bool> {
        store.forget_index::<I>()
    }

    fn refresh(&self, store: &Store) -> Result<Refreshed> {
        store.refresh_quietly::<I>(store.open_index::<I>(), false)
    }

    fn folder(&self) -> &'static str {
        I::Folder::DIR
    }

    fn file(&self) -> &'static str {
        I::FILE
    }

    fn companions(&self) -> Vec<&'static str> {
        I::companions().iter().map(|c| c.file()).collect()
    }
}

/// Every derived index, for `desk cache`. An index refreshed as another's
/// companion comes after it, so a rebuild parses each folder once.
fn registry() -> [&'static dyn Registered; 4] {
    use crate::store::customer_index::{CustomerIdentities, CustomerSummaryIndex};
    [
        &Of::<TicketCache>::SLOT,
        &Of::<super::message_ids::MessageIds>::SLOT,
        &Of::<CustomerSummaryIndex>::SLOT,
        &Of::<CustomerIdentities>::SLOT,
    ]
}

/// An index kept per folder of `tickets/` as `desk cache` and the sweep of
/// temporary files handle it.
pub(in crate::store) trait RegisteredPerFolder: Sync {
    fn stats(&self, store: &Store) -> Result<CacheStats>;
    fn forget(&self, store: &Store) -> Result<bool>;
    /// Brings it up to date (all of it, once forgotten).
    fn build(&self, store: &Store) -> Result<()>;
    /// Its folder in `.desk/cache/`.
    fn dir(&self) -> &'static str;
}

/// The [`RegisteredPerFolder`] of an instance.
struct PerFolderSlot<P>(std::marker::PhantomData<fn() -> P>);

impl<P: PerFolder> RegisteredPerFolder for PerFolderSlot<P> {
    fn stats(&self, store: &Store) -> Result<CacheStats> {
        store.folder_index_stats::<P>()
    }

    fn forget(&self, store: &Store) -> Result<bool> {
        store.forget_folder_index::<P>()
    }

    fn build(&self, store: &Store) -> Result<()> {
        store.folders::<P>(None).map(|_| ())
    }

    fn dir(&self) -> &'static str {
        P::DIR
    }
}

/// Every index kept per folder of `tickets/`.
pub(in crate::store) fn per_folder() -> [&'static dyn RegisteredPerFolder; 2] {
    [
        &PerFolderSlot::<WorkloadIndex>(std::marker::PhantomData),
        &PerFolderSlot::<SearchIndex>(std::marker::PhantomData),
    ]
}

impl Store {
    /// `desk cache stats`: every index.
    pub fn cache_stats(&self) -> Result<Vec<CacheStats>> {
        let mut stats: Vec<CacheStats> = registry()
            .iter()
            .map(|i| i.stats(self))
            .collect::<Result<_>>()?;
        for index in per_folder() {
            stats.push(index.stats(self)?);
        }
        Ok(stats)
    }

    /// `desk cache clear`: removes every index's file; whether there was any.
    pub fn clear_cache(&self) -> Result<bool> {
        let mut any = false;
        for index in registry() {
            any |= index.forget(self)?;
        }
        for index in per_folder() {
            any |= index.forget(self)?;
        }
        any |= self.forget_readings()?;
        Ok(any)
    }

    /// `desk cache rebuild`: every index from every file.
    pub fn rebuild_cache(&self) -> Result<Rebuilt> {
        self.clear_cache()?;
        let mut rebuilt = Rebuilt::default();
        let mut done: Vec<&str> = Vec::new();
        for index in registry() {
            if done.contains(&index.file()) {
                continue;
            }
            done.extend(index.companions());
            let r = index.refresh(self)?;
            match rebuilt
                .parsed
                .iter_mut()
                .find(|(f, _)| *f == index.folder())
            {
                // Indexes of one folder refreshed apart parse the same
                // files: counted once.
                Some((_, n)) => *n = (*n).max(r.parsed),
                None => rebuilt.parsed.push((index.folder(), r.parsed)),
            }
            rebuilt.errors.extend(r.errors);
        }
        // The indexes kept per folder parse the tickets again.
        for index in per_folder() {
            index.build(self)?;
        }
        Ok(rebuilt)
    }
}
