//! The store in a git repository: the merge driver's set-up (`.gitattributes`,
//! committed; the driver in the clone's `.git/config`, which git does not
//! share) and the clone's node number, which keeps new IDs from colliding
//! with other clones' (see docs/git.md).

use std::path::Path;
use std::process::Command;

use super::{read_to_string, write_atomic, Store};
use crate::error::{Error, Result};

/// The lines `desk git-setup` puts in the store's `.gitattributes`.
pub const ATTRIBUTES: [&str; 2] = [
    "tickets/**/*.yaml merge=desk",
    "customers/*.yaml merge=desk",
];
const NODE_FILE: &str = "node";

/// Runs git in `dir`; `None` when git is missing or fails (not a repository).
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// How the store stands with git.
#[derive(Debug, Clone, PartialEq)]
pub struct GitState {
    /// The work tree's top directory, when the store is inside one.
    pub toplevel: Option<String>,
    pub attributes: bool,
    pub driver: Option<String>,
    pub has_remote: bool,
    pub node: Option<u32>,
}

impl Store {
    pub fn git_state(&self) -> Result<GitState> {
        let toplevel = git(&self.root, &["rev-parse", "--show-toplevel"]);
        let attributes = self.has_git_attributes();
        let driver = toplevel
            .as_ref()
            .and_then(|_| git(&self.root, &["config", "--get", "merge.desk.driver"]));
        let has_remote = toplevel
            .as_ref()
            .and_then(|_| git(&self.root, &["remote"]))
            .is_some_and(|r| !r.is_empty());
        Ok(GitState {
            toplevel,
            attributes,
            driver,
            has_remote,
            node: self.node()?,
        })
    }

    /// Adds the attribute lines that are missing; true if the file changed.
    pub fn write_git_attributes(&self) -> Result<bool> {
        let path = self.root.join(".gitattributes");
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        let missing: Vec<&str> = ATTRIBUTES
            .iter()
            .copied()
            .filter(|a| !text.lines().any(|l| l.trim() == *a))
            .collect();
        if missing.is_empty() {
            return Ok(false);
        }
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(
            "# Merge tickets and customers as data, not text (desk git-setup, docs/git.md).\n",
        );
        for line in missing {
            text.push_str(line);
            text.push('\n');
        }
        write_atomic(&path, text.as_bytes())?;
        Ok(true)
    }

    /// Registers `desk merge-file` as the clone's `desk` merge driver.
    pub fn register_merge_driver(&self, desk: &Path) -> Result<()> {
        let quoted = format!("'{}'", desk.display().to_string().replace('\'', r"'\''"));
        let driver = format!("{quoted} merge-file %O %A %B %P");
        for (key, value) in [
            (
                "merge.desk.name",
                "desk: merge ticket and customer files as data",
            ),
            ("merge.desk.driver", driver.as_str()),
        ] {
            git(&self.root, &["config", key, value]).ok_or_else(|| {
                Error::Refused(format!(
                    "`git config {key}` failed in {}",
                    self.root.display()
                ))
            })?;
        }
        Ok(())
    }

    /// This clone's node number (1..=99), if set.
    pub fn node(&self) -> Result<Option<u32>> {
        let path = self.state_dir().join(NODE_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => match text.trim().parse::<u32>() {
                Ok(n) if (1..=99).contains(&n) => Ok(Some(n)),
                _ => Err(Error::Parse {
                    path: self.display_path(&path).into(),
                    line: Some(1),
                    message: format!(
                        "'{}' is not a node number from 1 to 99; run `desk git-setup --node N`",
                        text.trim()
                    ),
                }),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// The node number new IDs take. A store set up for git (its
    /// `.gitattributes` names the desk driver) is shared by clones, so a clone
    /// without a node number is refused rather than allowed to allocate IDs
    /// another clone may allocate too.
    pub fn node_for_new_ids(&self) -> Result<Option<u32>> {
        let node = self.node()?;
        if node.is_none() && self.has_git_attributes() {
            return Err(Error::Refused(
                "this store is shared through git, but this clone has no node number yet, so its \
                 new IDs could collide with another clone's; run `desk git-setup` once (docs/git.md)"
                    .into(),
            ));
        }
        Ok(node)
    }

    fn has_git_attributes(&self) -> bool {
        read_to_string(&self.root.join(".gitattributes"))
            .map(|text| {
                ATTRIBUTES
                    .iter()
                    .all(|a| text.lines().any(|l| l.trim() == *a))
            })
            .unwrap_or(false)
    }

    pub fn set_node(&self, node: u32) -> Result<()> {
        write_atomic(
            &self.state_dir().join(NODE_FILE),
            format!("{node}\n").as_bytes(),
        )
    }
}

/// The next number above `max` that belongs to `node` (its last two digits
/// are the node number, 1..=99), or simply `max + 1` without a node. `None`
/// when no such number fits in a `u64` (a hand-made ID near the top).
pub fn next_number(max: u64, node: Option<u32>) -> Option<u64> {
    let next = max.checked_add(1)?;
    match node {
        None => Some(next),
        Some(n) => {
            let n = u64::from(n % 100);
            next.checked_add((n + 100 - next % 100) % 100)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::next_number;
    use proptest::prelude::*;

    #[test]
    fn node_numbers_take_the_last_two_digits() {
        assert_eq!(next_number(0, None), Some(1));
        assert_eq!(next_number(0, Some(7)), Some(7));
        assert_eq!(next_number(7, Some(7)), Some(107));
        assert_eq!(next_number(112, Some(7)), Some(207));
        assert_eq!(next_number(106, Some(7)), Some(107));
        assert_eq!(next_number(0, Some(99)), Some(99));
        assert_eq!(next_number(99, Some(1)), Some(101));
        assert_eq!(next_number(u64::MAX, None), None);
        assert_eq!(next_number(u64::MAX - 1, Some(99)), None);
    }

    proptest! {
        #[test]
        fn the_next_number_is_above_and_ends_in_the_node(max in any::<u64>(), node in proptest::option::of(1u32..=99)) {
            match next_number(max, node) {
                Some(next) => {
                    prop_assert!(next > max && next - max <= 100);
                    if let Some(n) = node {
                        prop_assert_eq!(next % 100, u64::from(n));
                    }
                }
                None => prop_assert!(max > u64::MAX - 100),
            }
        }
    }
}
