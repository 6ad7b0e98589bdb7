//! `desk keys`: setting up encryption, exporting the lookup key, and
//! changing the recipients, rewriting only desk.yaml's `encryption:`
//! section (docs/format.md, "Encryption").

use crate::crypto::{self, Keyring};
use crate::error::{Error, Result};
use crate::store::{Store, KEY_FILE_VAR};
use std::path::{Path, PathBuf};

/// What `desk keys init` did.
#[derive(Debug, Clone, PartialEq)]
pub struct EncryptionSetUp {
    /// The key file's public key, now a recipient in desk.yaml.
    pub public_key: String,
    /// Whether the key file was made (else an existing one was used).
    pub created: bool,
    /// About an existing key file others can read.
    pub warning: Option<String>,
}

/// What `desk keys export-lookup` did.
#[derive(Debug, Clone, PartialEq)]
pub struct LookupExported {
    /// The lookup key's check (as in desk.yaml).
    pub check: String,
    /// Whether desk.yaml got its `lookup_key_check` now (a store set up
    /// before lookup key files).
    pub check_added: bool,
}

/// A change of `encryption.recipients` (`desk keys add-recipient`,
/// `desk keys remove-recipient`).
#[derive(Debug, Clone, PartialEq)]
pub enum RecipientChange {
    /// A public key (`age1...`).
    Add(String),
    /// An age key file to make (or reuse), whose public key is added.
    AddIdentity(PathBuf),
    Remove(String),
    /// A new identity file to make, holding a new key and the keys of the
    /// identity at hand; the new key's public key replaces theirs.
    Rotate(PathBuf),
}

/// What a change of the recipients did.
#[derive(Debug, Clone, PartialEq)]
pub struct RecipientsChanged {
    /// The public key added or removed (rotating: added).
    pub public_key: String,
    /// Rotating: the public keys replaced.
    pub replaced: Vec<String>,
    /// Whether an identity file was made (`AddIdentity`).
    pub created: bool,
    pub warning: Option<String>,
    /// The recipients now.
    pub recipients: Vec<String>,
}

/// The age key file at `path`: read if it exists, else a new identity's
/// text (not written yet). Returns the text, whether it is new, and a
/// warning when an existing file is open to others.
fn identity_file(path: &Path) -> Result<(String, bool, Option<String>)> {
    if path.exists() {
        let warning = crate::store::key_file_exposed(path);
        return Ok((crate::store::read_to_string(path)?, false, warning));
    }
    let (secret, public) = crypto::generate_identity();
    let text = format!("# desk store key; public key: {public}\n{secret}\n");
    Ok((text, true, None))
}

/// The public key of an identity file's text (its first identity).
fn identity_public_key(path: &Path, text: &str) -> Result<String> {
    let identities = crypto::parse_identities(text)
        .map_err(|e| Error::invalid("--identity", path.display().to_string(), e.to_string()))?;
    Ok(crypto::public_keys(&identities)[0].clone())
}

/// `section` as desk.yaml's `encryption:` block.
fn render_section(section: &crypto::EncryptionConfig) -> String {
    #[derive(serde::Serialize)]
    struct Section<'a> {
        encryption: &'a crypto::EncryptionConfig,
    }
    crate::yaml::to_string(&Section {
        encryption: section,
    })
    .expect("serialises")
}

/// desk.yaml's text with its top-level `encryption:` block (the key line
/// and the indented lines after it) replaced by `section`'s; every other
/// line, comments included, stays as it is. None when there is no such
/// block at the start of a line.
fn replace_section(text: &str, section: &crypto::EncryptionConfig) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("encryption:") || l.starts_with("\"encryption\":"))?;
    let mut end = start + 1;
    let mut last = start + 1;
    while end < lines.len() {
        let line = lines[end];
        if line.trim().is_empty() {
            end += 1;
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            break;
        }
        end += 1;
        last = end;
    }
    let mut out: String = lines[..start].concat();
    out.push_str(&render_section(section));
    out.push_str(&lines[last..].concat());
    Some(out)
}

/// `desk keys init`: makes (or reuses) the age key file `identity`,
/// which must be outside the store, and adds the `encryption:` section
/// to desk.yaml with its public key and the other `recipients`, a new
/// lookup key (encrypted to them) and its check, and the default
/// holders. Refused when encryption is set up already; desk.yaml is
/// written atomically under its lock, after the key file.
pub fn set_up_encryption(
    store: &Store,
    identity: &Path,
    recipients: &[String],
) -> Result<EncryptionSetUp> {
    store.refuse_key_inside(identity)?;
    let path = store.root.join(crate::store::CONFIG_FILE);
    let _lock = store.lock("config")?;
    let text = crate::store::read_file(&path, Path::new(crate::store::CONFIG_FILE))?;
    let current = crate::config::Config::parse(&text, &path)?;
    if current.encryption.is_some() {
        return Err(Error::Refused(
            "encryption is already set up in desk.yaml (`desk keys status` tells more)".into(),
        ));
    }
    let (identity_text, created, warning) = identity_file(identity)?;
    let own = identity_public_key(identity, &identity_text)?;
    let mut all = vec![own.clone()];
    for r in recipients {
        crypto::parse_recipients(std::slice::from_ref(r))
            .map_err(|e| Error::invalid("--recipient", r, e.to_string()))?;
        if !all.contains(r) {
            all.push(r.trim().to_string());
        }
    }
    let parsed = crypto::parse_recipients(&all)?;
    let key = crypto::LookupKey::generate()?;
    let section = crypto::EncryptionConfig {
        recipients: all,
        lookup_key: key.wrap(&parsed)?,
        lookup_key_check: Some(key.check()),
        holders: crypto::default_holders(),
        extra: Default::default(),
    };
    let mut new_text = text.clone();
    if !new_text.ends_with('\n') {
        new_text.push('\n');
    }
    new_text.push_str(
        "# Encryption at rest of ID-card and bank-card numbers (`desk keys init`, docs/format.md).\n",
    );
    new_text.push_str(&render_section(&section));
    crate::config::Config::parse(&new_text, &path)?;
    if created {
        crate::store::write_private(identity, identity_text.as_bytes())?;
    }
    crate::store::write_atomic(&path, new_text.as_bytes())?;
    Ok(EncryptionSetUp {
        public_key: own,
        created,
        warning,
    })
}

/// desk.yaml's text and its `encryption:` section, read under the
/// config lock the caller holds; refused when encryption is not set up.
fn encryption_section(store: &Store) -> Result<(String, crypto::EncryptionConfig)> {
    let path = store.root.join(crate::store::CONFIG_FILE);
    let text = crate::store::read_file(&path, Path::new(crate::store::CONFIG_FILE))?;
    let current = crate::config::Config::parse(&text, &path)?;
    let section = current.encryption.ok_or_else(|| {
        Error::Refused(
            "this store has no encryption set up; run `desk keys init --identity FILE`".into(),
        )
    })?;
    Ok((text, section))
}

/// Writes desk.yaml with `section` in place of its `encryption:` block,
/// after checking that the new text reads back as exactly that section
/// (the rest of the file is untouched). The caller holds the config lock.
fn write_encryption_section(
    store: &Store,
    text: &str,
    section: &crypto::EncryptionConfig,
) -> Result<()> {
    let path = store.root.join(crate::store::CONFIG_FILE);
    let refused = || {
        Error::Refused(
            "desk.yaml: cannot find where its encryption: section starts and ends (a \
             top-level `encryption:` line followed by indented lines); change it by hand"
                .into(),
        )
    };
    let new_text = replace_section(text, section).ok_or_else(refused)?;
    let reread = crate::config::Config::parse(&new_text, &path)?;
    if reread.encryption.as_ref() != Some(section) {
        return Err(refused());
    }
    crate::store::write_atomic(&path, new_text.as_bytes())
}

/// `desk keys export-lookup`: writes the store's lookup key to a new
/// file `out` (mode 0600, outside the store), for those who register
/// and find numbers without revealing them. The key comes from `ring`
/// (an identity, or a lookup key file). A store set up before lookup
/// key files gets its `lookup_key_check` in desk.yaml now, which only
/// an identity can vouch for.
pub fn export_lookup_key(store: &Store, ring: &Keyring, out: &Path) -> Result<LookupExported> {
    store.refuse_key_inside(out)?;
    let key = ring.lookup_key().ok_or_else(|| {
        Error::Refused(format!(
            "exporting the lookup key needs it at hand: {}",
            ring.cannot_seal().unwrap_or("no key")
        ))
    })?;
    if out.exists() {
        return Err(Error::Refused(format!(
            "{} exists; choose a new file (a lookup key file is never overwritten)",
            out.display()
        )));
    }
    let _lock = store.lock("config")?;
    let (text, mut section) = encryption_section(store)?;
    let check_added = section.lookup_key_check.is_none();
    if check_added {
        if ring.cannot_open().is_some() {
            return Err(Error::Refused(
                "desk.yaml has no encryption.lookup_key_check yet; adding it needs the \
                 identity (DESK_KEY_FILE)"
                    .into(),
            ));
        }
        section.lookup_key_check = Some(key.check());
    }
    if section.lookup_key_check.as_deref() != Some(key.check().as_str()) {
        return Err(Error::Refused(
            "the lookup key at hand is not the one desk.yaml names; pull desk.yaml".into(),
        ));
    }
    let name = store
        .root
        .canonicalize()
        .ok()
        .and_then(|r| r.file_name().map(|n| n.to_string_lossy().to_string()))
        .unwrap_or_else(|| "desk".into());
    crate::store::write_private(out, key.file_text(&name).as_bytes())?;
    if check_added {
        if let Err(e) = write_encryption_section(store, &text, &section) {
            crate::store::remove_private(out);
            return Err(e);
        }
    }
    Ok(LookupExported {
        check: key.check(),
        check_added,
    })
}

/// `desk keys add-recipient`, `remove-recipient` and `rotate`: changes
/// `encryption.recipients` and encrypts the lookup key in desk.yaml to
/// the new list. Needs an identity of the store (whoever holds one
/// decides who else may read): values sealed from now on are encrypted
/// to the new list; values sealed before stay as they are.
pub fn change_recipients(
    store: &Store,
    ring: &Keyring,
    change: &RecipientChange,
) -> Result<RecipientsChanged> {
    if let Some(why) = ring.cannot_open() {
        return Err(Error::Refused(format!(
            "changing who can read sealed numbers needs an identity of this store: {why}"
        )));
    }
    let key = ring
        .lookup_key()
        .expect("an identity brings the lookup key");
    if let RecipientChange::AddIdentity(path) | RecipientChange::Rotate(path) = change {
        store.refuse_key_inside(path)?;
    }
    if let RecipientChange::Rotate(path) = change {
        if path.exists() {
            return Err(Error::Refused(format!(
                "{} exists; rotating writes a new key file (choose a new name)",
                path.display()
            )));
        }
    }
    let _lock = store.lock("config")?;
    let (text, mut section) = encryption_section(store)?;
    let (mut created, mut warning, mut identity_text) = (false, None, None);
    let public = match change {
        RecipientChange::Add(key) => {
            crypto::parse_recipients(std::slice::from_ref(key))
                .map_err(|e| Error::invalid("recipient", key, e.to_string()))?;
            key.trim().to_string()
        }
        RecipientChange::AddIdentity(path) => {
            let (text, new, warn) = identity_file(path)?;
            (created, warning) = (new, warn);
            let public = identity_public_key(path, &text)?;
            identity_text = Some(text);
            public
        }
        RecipientChange::Remove(key) => key.trim().to_string(),
        RecipientChange::Rotate(_) => {
            let (text, public) = ring.rotated_identity();
            created = true;
            identity_text = Some(text);
            public
        }
    };
    let mut replaced = Vec::new();
    let listed = section.recipients.iter().any(|r| r.trim() == public);
    match change {
        RecipientChange::Remove(_) => {
            if !listed {
                return Err(Error::invalid(
                    "recipient",
                    &public,
                    format!(
                        "not a recipient of this store; the recipients are {}",
                        section.recipients.join(", ")
                    ),
                ));
            }
            if section.recipients.len() == 1 {
                return Err(Error::Refused(
                    "the last recipient cannot be removed: numbers must be encrypted to \
                     someone; add the new recipient first"
                        .into(),
                ));
            }
            section.recipients.retain(|r| r.trim() != public);
            let mine = ring.public_keys();
            if !section
                .recipients
                .iter()
                .any(|r| mine.contains(&r.trim().to_string()))
            {
                return Err(Error::Refused(format!(
                    "{public} is the key of {KEY_FILE_VAR}, which holds no other recipient: \
                     removing it would lock you out of the numbers sealed from now on; to \
                     replace it, use `desk keys rotate --identity FILE`"
                )));
            }
        }
        RecipientChange::Rotate(_) => {
            let mine = ring.public_keys();
            replaced = section
                .recipients
                .iter()
                .filter(|r| mine.contains(&r.trim().to_string()))
                .cloned()
                .collect();
            section
                .recipients
                .retain(|r| !mine.contains(&r.trim().to_string()));
            section.recipients.push(public.clone());
        }
        _ if listed => return Err(Error::Refused(format!("{public} is a recipient already"))),
        _ => section.recipients.push(public.clone()),
    }
    let parsed = crypto::parse_recipients(&section.recipients)?;
    section.lookup_key = key.wrap(&parsed)?;
    section.lookup_key_check = Some(key.check());
    let new_file = match change {
        RecipientChange::AddIdentity(path) | RecipientChange::Rotate(path) if created => Some(path),
        _ => None,
    };
    if let (Some(path), Some(text)) = (new_file, &identity_text) {
        crate::store::write_private(path, text.as_bytes())?;
    }
    if let Err(e) = write_encryption_section(store, &text, &section) {
        if let Some(path) = new_file {
            crate::store::remove_private(path);
        }
        return Err(e);
    }
    Ok(RecipientsChanged {
        public_key: public,
        replaced,
        created,
        warning,
        recipients: section.recipients,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_encryption_section_of_desk_yaml_is_rewritten() {
        let section = crypto::EncryptionConfig {
            recipients: vec!["age1new".into()],
            lookup_key: "ARMOR".into(),
            lookup_key_check: Some("0123456789abcdef".into()),
            holders: vec!["supervisor".into()],
            extra: Default::default(),
        };
        let text = "format: 1\n# who can read\nencryption:\n  recipients:\n  - age1old\n  \
                    lookup_key: |\n    A\n\n    B\n\n# the rules\nrules: []\n";
        let new = replace_section(text, &section).unwrap();
        assert_eq!(
            new,
            format!(
                "format: 1\n# who can read\n{}\n# the rules\nrules: []\n",
                render_section(&section)
            )
        );
        // At the end of the file, and written in flow style.
        let flow = "format: 1\nencryption: {recipients: [age1old],\n  lookup_key: A}\n";
        assert_eq!(
            replace_section(flow, &section).unwrap(),
            format!("format: 1\n{}", render_section(&section))
        );
        assert!(replace_section("format: 1\n", &section).is_none());
    }
}
