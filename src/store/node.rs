//! The clone's node number: claimed in `nodes/` (committed, one file per
//! clone) and kept in `.desk/node`, so that new IDs made in different
//! clones of one repository end in different digits (see docs/git.md).

use std::path::Path;

use super::{read_to_string, write_atomic, Store};
use crate::error::{Error, Result};
use crate::model::Finding;

const NODE_FILE: &str = "node";
/// This clone's own name (random, made once), which its node claim carries.
const CLONE_FILE: &str = "clone";
/// Committed node claims, one file per clone: `nodes/<clone>.yaml`.
pub const NODES_DIR: &str = "nodes";

/// One clone's claim of a node number, as committed in `nodes/`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NodeClaim {
    pub node: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub claimed: String,
    /// The file's name without `.yaml`: the clone's name.
    #[serde(skip)]
    pub clone: String,
}

impl Store {
    /// This clone's name, made on first use.
    pub fn clone_name(&self) -> Result<String> {
        let path = self.state_dir().join(CLONE_FILE);
        if let Ok(bytes) = super::read::read_state(&path) {
            let text = String::from_utf8_lossy(&bytes);
            if !text.trim().is_empty() {
                return Ok(text.trim().to_string());
            }
        }
        let mut bytes = [0u8; 4];
        getrandom::getrandom(&mut bytes)
            .map_err(|e| Error::Refused(format!("no randomness for a clone name: {e}")))?;
        let name = crate::crypto::hex(&bytes);
        write_atomic(&path, format!("{name}\n").as_bytes())?;
        Ok(name)
    }

    /// Every clone's node claim in `nodes/`, by file name; unreadable files
    /// are reported by `desk check`, skipped here.
    pub fn node_claims(&self) -> Result<Vec<NodeClaim>> {
        Ok(self.read_node_claims()?.0)
    }

    /// The claims, and the files that are not claims (path, problem).
    fn read_node_claims(&self) -> Result<(Vec<NodeClaim>, Vec<Finding>)> {
        let dir = self.root.join(NODES_DIR);
        let mut bad = Vec::new();
        // Unlistable is told by the walk of `desk check`, not here.
        let paths: Vec<std::path::PathBuf> = match self.names_at_commit(NODES_DIR) {
            Some(Ok(names)) => names.into_iter().map(|name| dir.join(name)).collect(),
            None => match super::walk::entries(&dir) {
                Ok(entries) => entries.into_iter().map(|e| e.path).collect(),
                Err(_) => return Ok((Vec::new(), bad)),
            },
            Some(Err(_)) => return Ok((Vec::new(), bad)),
        };
        let mut claims = Vec::new();
        for path in paths {
            if path.extension().is_none_or(|x| x != "yaml") {
                continue;
            }
            let shown = self.display_path(&path).to_path_buf();
            let text = match self.commit() {
                Some(_) => self.read_store_file(&shown)?,
                None => read_to_string(&path)?,
            };
            let mut claim = match crate::yaml::from_str::<NodeClaim>(&text) {
                Ok(c) if (1..=99).contains(&c.node) => c,
                Ok(c) => {
                    bad.push(Finding::new(
                        &shown,
                        None,
                        format!("node {} is not from 1 to 99", c.node),
                    ));
                    continue;
                }
                Err(e) => {
                    bad.push(Finding::new(
                        &shown,
                        None,
                        format!(
                            "not a node claim ({e}); run `desk git-setup` in its clone, or \
                             remove it"
                        ),
                    ));
                    continue;
                }
            };
            claim.clone = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            claims.push(claim);
        }
        claims.sort_by(|a, b| (a.node, &a.clone).cmp(&(b.node, &b.clone)));
        Ok((claims, bad))
    }

    /// The smallest node number no agent in desk.yaml and no claim uses.
    pub fn free_node(&self, claims: &[NodeClaim]) -> Option<u32> {
        let config = &self.config;
        (1..=99).find(|n| {
            !claims.iter().any(|c| c.node == *n)
                && !config.agents.iter().any(|a| config.node_of(a) == Some(*n))
        })
    }

    /// `desk check`: two clones claiming one node number in `nodes/` (the
    /// same agent's second clone, say) would create the same IDs. Reported on
    /// the later claim, whose clone should move.
    pub fn node_claim_findings(&self) -> Result<Vec<Finding>> {
        let (claims, bad) = self.read_node_claims()?;
        let mut found = bad;
        for (i, later) in claims.iter().enumerate() {
            let earlier = claims[..i]
                .iter()
                .chain(&claims[i + 1..])
                .filter(|c| c.node == later.node)
                .find(|c| (&c.claimed, &c.clone) < (&later.claimed, &later.clone));
            if let Some(first) = earlier {
                let path = Path::new(NODES_DIR).join(format!("{}.yaml", later.clone));
                found.push(Finding::new(
                    &path,
                    None,
                    format!(
                        "node {} is also claimed by nodes/{}.yaml ({}), so both clones create \
                         the same IDs; in the clone of this file ({}), run `desk git-setup \
                         --node N` with a number no one uses, and commit",
                        later.node,
                        first.clone,
                        first.agent.as_deref().unwrap_or("unknown agent"),
                        [later.agent.as_deref(), later.host.as_deref()]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(" on "),
                    ),
                ));
            }
        }
        Ok(found)
    }

    /// Records this clone's claim of `node` in `nodes/<clone>.yaml` (to be
    /// committed, so other clones see it); returns the file, relative.
    pub fn claim_node(
        &self,
        node: u32,
        agent: Option<&str>,
        at: &str,
    ) -> Result<std::path::PathBuf> {
        let clone = self.clone_name()?;
        let path = self.root.join(NODES_DIR).join(format!("{clone}.yaml"));
        let claim = NodeClaim {
            node,
            agent: agent.map(str::to_string),
            host: hostname(),
            claimed: at.to_string(),
            clone,
        };
        let text = format!(
            "# This clone's node number (desk git-setup; docs/git.md). Commit it.\n{}",
            crate::yaml::to_string(&claim).expect("claim serialises")
        );
        if read_to_string(&path).ok().as_deref().map(strip_claimed) != Some(strip_claimed(&text)) {
            std::fs::create_dir_all(self.root.join(NODES_DIR))
                .map_err(|e| Error::io(self.root.join(NODES_DIR), e))?;
            write_atomic(&path, text.as_bytes())?;
        }
        Ok(self.display_path(&path).to_path_buf())
    }

    pub fn node(&self) -> Result<Option<u32>> {
        let path = self.state_dir().join(NODE_FILE);
        match super::read::read_state(&path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                match text.trim().parse::<u32>() {
                    Ok(n) if (1..=99).contains(&n) => Ok(Some(n)),
                    _ => Err(Error::Parse {
                        path: self.display_path(&path).into(),
                        line: Some(1),
                        message: format!(
                            "'{}' is not a node number from 1 to 99; run `desk git-setup --node N`",
                            crate::text::visible(&text.trim().chars().take(20).collect::<String>())
                        ),
                    }),
                }
            }
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

    pub fn set_node(&self, node: u32) -> Result<()> {
        write_atomic(
            &self.state_dir().join(NODE_FILE),
            format!("{node}\n").as_bytes(),
        )
    }
}

/// A claim file without its time, to leave an unchanged claim untouched.
fn strip_claimed(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("claimed:"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn hostname() -> Option<String> {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}
