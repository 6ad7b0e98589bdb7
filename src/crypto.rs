//! Encryption at rest of sealed numbers: ID-card and bank-card numbers
//! (seed 002: 加密后存储), and any other field a caller seals by name.
//!
//! Access is graded in three parts, each of which can be handed out alone
//! (docs/format.md, "Who holds what"):
//! - the **recipients**, age (X25519) public keys listed in `desk.yaml`:
//!   every value is encrypted to all of them, so sealing needs no secret;
//! - the **lookup key**, 32 random bytes: beside each value go its last four
//!   characters (for masked display) and an HMAC-SHA256 of the value under
//!   this key, so duplicates are found and numbers looked up without
//!   decrypting. It is a secret of its own (a plain hash of an 18-digit ID
//!   number could be brute-forced), kept in a lookup key file;
//! - the **identity**, an age private key, which opens sealed values.
//!   desk.yaml also holds the lookup key age-encrypted to the recipients, so
//!   whoever holds an identity can do everything the lookup key does.
//!
//! Registering a number thus needs the recipients and the lookup key only;
//! revealing one needs the identity. Nothing here reads a file: callers
//! pass key files' text.

use std::io::{Read, Write};
use std::str::FromStr;

use age::armor::{ArmoredReader, ArmoredWriter, Format};
use age::secrecy::ExposeSecret;
use age::x25519::Identity;
pub use age::x25519::Recipient;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// An encrypted value (ID-card or bank-card number): the last four
/// characters for masked display, a keyed hash for finding duplicates without
/// decrypting, and the age-encrypted value itself (ASCII armor).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sealed {
    pub last4: String,
    pub lookup: String,
    pub age: String,
}

/// The `encryption:` section of `desk.yaml`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EncryptionConfig {
    /// age public keys (`age1...`); every value is encrypted to all of them.
    pub recipients: Vec<String>,
    /// The lookup key, age-encrypted to the recipients (ASCII armor), so
    /// that every holder of an identity can find and register numbers too.
    pub lookup_key: String,
    /// [`LookupKey::check`] of the lookup key: tells a lookup key file of
    /// this store from another's without revealing the key. Absent in
    /// stores set up before lookup key files (`desk keys export-lookup`
    /// adds it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup_key_check: Option<String>,
    /// Who is meant to hold an identity: role keys and agent IDs. A reveal
    /// of a sealed number by anyone else is reported by `desk check`.
    #[serde(default = "default_holders")]
    pub holders: Vec<String>,
    /// Keys added by hand or by a later version, kept as they are.
    #[serde(flatten)]
    pub extra: std::collections::BTreeMap<String, crate::yaml::Value>,
}

/// The holders of a store that does not name them: its supervisors.
pub fn default_holders() -> Vec<String> {
    vec!["supervisor".into()]
}

/// What a command can do with sealed values. Sealing needs the recipients
/// and the lookup key; lookups need the lookup key; opening needs an
/// identity (which brings the lookup key with it, from desk.yaml).
pub struct Keyring {
    recipients: Vec<Recipient>,
    identities: Vec<Identity>,
    lookup_key: Option<LookupKey>,
    /// Why values cannot be opened here, for the error message.
    no_identity: Option<String>,
    /// Why values cannot be sealed or looked up here.
    no_lookup_key: Option<String>,
}

/// Why a key, a recipient or an encrypted value is unusable.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("line {line}: not an age X25519 private key ({reason})")]
    KeyLine { line: usize, reason: String },
    #[error("no AGE-SECRET-KEY-1... line found")]
    NoKey,
    #[error("recipient '{key}' is not an age public key (age1...): {reason}")]
    Recipient { key: String, reason: String },
    #[error("no random numbers: {0}")]
    NoRandom(String),
    #[error("cannot encrypt: {0}")]
    Encrypt(String),
    #[error("not an age-encrypted value: {0}")]
    NotEncrypted(String),
    #[error("cannot decrypt: {0}")]
    Decrypt(String),
    #[error("expected {ARMOR_BEGIN} ... {ARMOR_END}")]
    NoArmor,
    /// The armor is there but the age header inside it does not parse.
    #[error("{0}")]
    BadHeader(String),
    /// Why values cannot be opened or sealed here.
    #[error("{0}")]
    Locked(String),
    /// The key file (named by `origin`) is not a key file.
    #[error("{origin}: {source}")]
    KeyFile {
        origin: String,
        source: Box<CryptoError>,
    },
    #[error("{origin}: the key cannot open this store's lookup key ({reason}); is it one of the recipients in desk.yaml?")]
    WrongKey {
        origin: String,
        reason: Box<CryptoError>,
    },
    #[error("desk.yaml: encryption.lookup_key is damaged")]
    DamagedLookupKey,
    #[error("desk.yaml: encryption.lookup_key_check is not the check of encryption.lookup_key; desk.yaml was edited by hand or damaged")]
    LookupCheckMismatch,
    #[error("line {line}: not a desk lookup key (expected {LOOKUP_KEY_PREFIX} and 64 hex digits)")]
    LookupKeyLine { line: usize },
    #[error("no {LOOKUP_KEY_PREFIX}... line found")]
    NoLookupKey,
    #[error("more than one lookup key (lines {first} and {second}); a lookup key file holds one")]
    TwoLookupKeys { first: usize, second: usize },
    #[error("{origin}: this lookup key is not this store's (its check is {found}, desk.yaml's encryption.lookup_key_check is {expected})")]
    WrongLookupKey {
        origin: String,
        found: String,
        expected: String,
    },
    #[error("{origin}: the lookup key cannot be verified, because desk.yaml has no encryption.lookup_key_check; a holder of the identity runs `desk keys export-lookup` once, which adds it, and commits desk.yaml")]
    UncheckedLookupKey { origin: String },
}

const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
const ARMOR_END: &str = "-----END AGE ENCRYPTED FILE-----";

/// How a lookup key line starts in a lookup key file (then 64 hex digits).
pub const LOOKUP_KEY_PREFIX: &str = "DESK-LOOKUP-KEY-";

/// How a secret key looks written out: a prefix, then a body of a fixed
/// number of characters of one class, in any case. The one definition
/// that `desk check`'s scan of the store and the refusal of pasted keys
/// both use.
pub struct KeyShape {
    pub prefix: &'static str,
    pub body: usize,
    pub body_char: fn(&u8) -> bool,
}

/// An age X25519 private key: the prefix and 58 Bech32 characters.
pub const AGE_KEY_SHAPE: KeyShape = KeyShape {
    prefix: "AGE-SECRET-KEY-1",
    body: 58,
    body_char: u8::is_ascii_alphanumeric,
};

/// A desk lookup key: the prefix and 64 hex digits.
pub const LOOKUP_KEY_SHAPE: KeyShape = KeyShape {
    prefix: LOOKUP_KEY_PREFIX,
    body: 64,
    body_char: u8::is_ascii_hexdigit,
};

impl KeyShape {
    /// The length of a whole key.
    #[allow(clippy::len_without_is_empty)] // a key is never empty
    pub const fn len(&self) -> usize {
        self.prefix.len() + self.body
    }

    /// Whether `bytes` hold a key of this shape anywhere, in any case.
    pub fn found_in(&self, bytes: &[u8]) -> bool {
        let prefix = self.prefix.as_bytes();
        let last = bytes.len().saturating_sub(self.len() - 1);
        // Only the first letter can start a key: the rest is compared there alone.
        (0..last).any(|i| {
            bytes[i].eq_ignore_ascii_case(&prefix[0])
                && bytes[i..i + prefix.len()].eq_ignore_ascii_case(prefix)
                && bytes[i + prefix.len()..i + self.len()]
                    .iter()
                    .all(self.body_char)
        })
    }
}

/// The secret key of the keyed hashes (`lookup`) of sealed values. Its
/// bytes never leave this module but as a key file's text or age-encrypted.
#[derive(Clone, PartialEq, Eq)]
pub struct LookupKey([u8; 32]);

impl std::fmt::Debug for LookupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LookupKey(check {})", self.check())
    }
}

impl LookupKey {
    /// A new random lookup key.
    pub fn generate() -> Result<LookupKey, CryptoError> {
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key).map_err(|e| CryptoError::NoRandom(e.to_string()))?;
        Ok(LookupKey(key))
    }

    /// The key age-encrypted to `recipients`, for desk.yaml's `lookup_key`.
    pub fn wrap(&self, recipients: &[Recipient]) -> Result<String, CryptoError> {
        encrypt(recipients, &hex(&self.0))
    }

    /// desk.yaml's `lookup_key` opened with `identities`.
    pub fn unwrap(identities: &[Identity], armored: &str) -> Result<LookupKey, CryptoError> {
        let text = decrypt(identities, armored)?;
        unhex(&text)
            .map(LookupKey)
            .ok_or(CryptoError::DamagedLookupKey)
    }

    /// 16 hex digits that tell this key from another without revealing it
    /// (a keyed hash of a fixed text; the key is 256 random bits).
    pub fn check(&self) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("any key length");
        mac.update(b"desk lookup key check");
        hex(&mac.finalize().into_bytes())[..16].to_string()
    }

    /// The text of a lookup key file: comments and one key line.
    pub fn file_text(&self, store: &str) -> String {
        format!(
            "# desk lookup key of the store {store} (check {}).\n\
             # Registers and finds ID-card and bank-card numbers; it opens none.\n\
             # Keep it outside the store; point DESK_LOOKUP_KEY_FILE at this file.\n\
             {LOOKUP_KEY_PREFIX}{}\n",
            self.check(),
            hex(&self.0)
        )
    }

    /// Parses a lookup key file: `#` comments, blank lines and one
    /// `DESK-LOOKUP-KEY-<64 hex digits>` line (any case).
    pub fn parse_file(text: &str) -> Result<LookupKey, CryptoError> {
        let mut found: Option<(usize, LookupKey)> = None;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key = line
                .get(..LOOKUP_KEY_PREFIX.len())
                .filter(|p| p.eq_ignore_ascii_case(LOOKUP_KEY_PREFIX))
                .and_then(|_| unhex(&line[LOOKUP_KEY_PREFIX.len()..].to_ascii_lowercase()))
                .ok_or(CryptoError::LookupKeyLine { line: n + 1 })?;
            match &found {
                Some((first, k)) if *k != LookupKey(key) => {
                    return Err(CryptoError::TwoLookupKeys {
                        first: *first,
                        second: n + 1,
                    })
                }
                Some(_) => {}
                None => found = Some((n + 1, LookupKey(key))),
            }
        }
        found.map(|(_, k)| k).ok_or(CryptoError::NoLookupKey)
    }

    /// The keyed hash of a value of `field`.
    fn mac(&self, field: &str, plain: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("any key length");
        mac.update(field.as_bytes());
        mac.update(&[0]);
        mac.update(plain.as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

/// A key file's text and where it came from (for messages), or why the user
/// has none (the message says how to get one).
pub type KeyText = Result<(String, String), String>;

/// A fresh identity: (private key text for the key file, public key).
pub fn generate_identity() -> (String, String) {
    let identity = Identity::generate();
    (
        identity.to_string().expose_secret().to_string(),
        identity.to_public().to_string(),
    )
}

/// Parses the identities of an age key file (`# comments` and
/// `AGE-SECRET-KEY-1...` lines).
pub fn parse_identities(text: &str) -> Result<Vec<Identity>, CryptoError> {
    let mut identities = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        identities.push(Identity::from_str(line).map_err(|e| CryptoError::KeyLine {
            line: n + 1,
            reason: e.to_string(),
        })?);
    }
    if identities.is_empty() {
        return Err(CryptoError::NoKey);
    }
    Ok(identities)
}

/// The public keys (recipients) of an age key file's identities.
pub fn public_keys(identities: &[Identity]) -> Vec<String> {
    identities
        .iter()
        .map(|i| i.to_public().to_string())
        .collect()
}

pub fn parse_recipients(keys: &[String]) -> Result<Vec<Recipient>, CryptoError> {
    keys.iter()
        .map(|k| {
            Recipient::from_str(k.trim()).map_err(|e| CryptoError::Recipient {
                key: k.clone(),
                reason: e.to_string(),
            })
        })
        .collect()
}

fn encrypt(recipients: &[Recipient], plain: &str) -> Result<String, CryptoError> {
    let failed = |e: &dyn std::fmt::Display| CryptoError::Encrypt(e.to_string());
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| failed(&e))?;
    let mut out = Vec::new();
    let armor = ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor).map_err(|e| failed(&e))?;
    let mut writer = encryptor.wrap_output(armor).map_err(|e| failed(&e))?;
    writer
        .write_all(plain.as_bytes())
        .and_then(|_| writer.finish())
        .and_then(|armor| armor.finish())
        .map_err(|e| failed(&e))?;
    Ok(String::from_utf8(out).expect("armor is ASCII"))
}

fn decrypt(identities: &[Identity], armored: &str) -> Result<String, CryptoError> {
    let decryptor = age::Decryptor::new(ArmoredReader::new(armored.as_bytes()))
        .map_err(|e| CryptoError::NotEncrypted(e.to_string()))?;
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| i as &dyn age::Identity))
        .map_err(|e| CryptoError::Decrypt(e.to_string()))?;
    let mut plain = String::new();
    reader
        .read_to_string(&mut plain)
        .map_err(|e| CryptoError::Decrypt(e.to_string()))?;
    Ok(plain)
}

/// The length of a lookup: HMAC-SHA256 in hex.
pub const LOOKUP_LEN: usize = 64;

/// Whether `text` has the shape of a lookup (lowercase hex, as sealing writes it).
pub fn is_lookup(text: &str) -> bool {
    text.len() == LOOKUP_LEN && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether `armored` is an ASCII-armored age message whose header parses
/// (what can be checked without a key; the body is authenticated only on
/// decryption).
pub fn check_armor(armored: &str) -> Result<(), CryptoError> {
    let text = armored.trim();
    if !text.starts_with(ARMOR_BEGIN) || !text.ends_with(ARMOR_END) {
        return Err(CryptoError::NoArmor);
    }
    age::Decryptor::new(ArmoredReader::new(text.as_bytes()))
        .map(|_| ())
        .map_err(|e| CryptoError::BadHeader(e.to_string()))
}

/// Bytes as lower-case hexadecimal (digests in files and messages).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

impl Keyring {
    /// A keyring for a store: its `encryption:` section with the recipients
    /// parsed from it (once, when desk.yaml was read). `identity` is the
    /// text of the user's age key file, `lookup` that of their lookup key
    /// file, each with where it came from, or why the user has none.
    ///
    /// An identity must open desk.yaml's lookup key; a lookup key file must
    /// be this store's (by `lookup_key_check`, or else by the identity's
    /// lookup key): a wrong key is an error, never a silent mismatch of
    /// lookups that would let duplicates in.
    pub fn new(
        config: Option<&EncryptionConfig>,
        recipients: &[Recipient],
        identity: KeyText,
        lookup: KeyText,
    ) -> Result<Keyring, CryptoError> {
        let Some(config) = config else {
            return Ok(Keyring::locked(
                "this store has no encryption set up (run `desk keys init`)",
            ));
        };
        let (identities, from_identity, no_identity) = match identity {
            Err(why) => (Vec::new(), None, Some(why)),
            Ok((text, origin)) => {
                let identities = parse_identities(&text).map_err(|e| CryptoError::KeyFile {
                    origin: origin.clone(),
                    source: Box::new(e),
                })?;
                let key =
                    LookupKey::unwrap(&identities, &config.lookup_key).map_err(|e| match e {
                        CryptoError::DamagedLookupKey => e,
                        e => CryptoError::WrongKey {
                            origin: origin.clone(),
                            reason: Box::new(e),
                        },
                    })?;
                if config
                    .lookup_key_check
                    .as_ref()
                    .is_some_and(|c| *c != key.check())
                {
                    return Err(CryptoError::LookupCheckMismatch);
                }
                (identities, Some(key), None)
            }
        };
        let (from_file, no_file) = match lookup {
            Err(why) => (None, Some(why)),
            Ok((text, origin)) => {
                let key = LookupKey::parse_file(&text).map_err(|e| CryptoError::KeyFile {
                    origin: origin.clone(),
                    source: Box::new(e),
                })?;
                let expected = config
                    .lookup_key_check
                    .clone()
                    .or_else(|| from_identity.as_ref().map(LookupKey::check))
                    .ok_or_else(|| CryptoError::UncheckedLookupKey {
                        origin: origin.clone(),
                    })?;
                if key.check() != expected {
                    return Err(CryptoError::WrongLookupKey {
                        origin,
                        found: key.check(),
                        expected,
                    });
                }
                (Some(key), None)
            }
        };
        let lookup_key = from_identity.or(from_file);
        let no_lookup_key = if lookup_key.is_some() { None } else { no_file };
        Ok(Keyring {
            recipients: recipients.to_vec(),
            identities,
            lookup_key,
            no_identity,
            no_lookup_key,
        })
    }

    /// A keyring that seals and opens nothing: for revealing what is
    /// stored in clear (names, phones) where no sealed number is shown.
    pub fn locked(why: &str) -> Keyring {
        Keyring {
            recipients: Vec::new(),
            identities: Vec::new(),
            lookup_key: None,
            no_identity: Some(why.into()),
            no_lookup_key: Some(why.into()),
        }
    }

    /// Why values cannot be opened here (no identity), or None when they can.
    pub fn cannot_open(&self) -> Option<&str> {
        self.no_identity.as_deref()
    }

    /// Why values cannot be sealed or looked up here (no lookup key), or
    /// None when they can.
    pub fn cannot_seal(&self) -> Option<&str> {
        self.no_lookup_key.as_deref()
    }

    /// The lookup key, when this keyring has it.
    pub fn lookup_key(&self) -> Option<&LookupKey> {
        self.lookup_key.as_ref()
    }

    /// The public keys of the identities this keyring holds.
    pub fn public_keys(&self) -> Vec<String> {
        public_keys(&self.identities)
    }

    /// A new identity for rotating this keyring's: the text of a key file
    /// holding the new key first and then this keyring's keys (so that it
    /// opens values sealed before as well), and the new public key.
    pub fn rotated_identity(&self) -> (String, String) {
        let (secret, public) = generate_identity();
        let mut text = format!("# desk store key; public key: {public}\n{secret}\n");
        text.push_str("# earlier keys of this store: they open the numbers sealed before\n");
        for identity in &self.identities {
            text.push_str(&format!(
                "# public key: {}\n{}\n",
                identity.to_public(),
                identity.to_string().expose_secret()
            ));
        }
        (text, public)
    }

    /// The keyed hash of a field's value, for duplicate detection.
    pub fn lookup(&self, field: &str, plain: &str) -> Result<String, CryptoError> {
        let key = self
            .lookup_key
            .as_ref()
            .ok_or_else(|| CryptoError::Locked(self.no_lookup_key.clone().unwrap_or_default()))?;
        Ok(key.mac(field, plain))
    }

    /// Encrypts a (validated) value of `field`: needs the lookup key and the
    /// recipients, no identity.
    pub fn seal(&self, field: &str, plain: &str) -> Result<Sealed, CryptoError> {
        let lookup = self.lookup(field, plain)?;
        let last4: String = {
            let chars: Vec<char> = plain.chars().collect();
            chars[chars.len().saturating_sub(4)..].iter().collect()
        };
        Ok(Sealed {
            last4,
            lookup,
            age: encrypt(&self.recipients, plain)?,
        })
    }

    /// Decrypts a sealed value: needs an identity.
    pub fn open(&self, sealed: &Sealed) -> Result<String, CryptoError> {
        if self.identities.is_empty() {
            return Err(CryptoError::Locked(
                self.no_identity
                    .clone()
                    .unwrap_or_else(|| "no private key".into()),
            ));
        }
        decrypt(&self.identities, &sealed.age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store's section for one new identity, with the identity's text.
    fn store() -> (EncryptionConfig, Vec<Recipient>, String, LookupKey) {
        let (secret, public) = generate_identity();
        let recipients = parse_recipients(std::slice::from_ref(&public)).unwrap();
        let key = LookupKey::generate().unwrap();
        let config = EncryptionConfig {
            recipients: vec![public],
            lookup_key: key.wrap(&recipients).unwrap(),
            lookup_key_check: Some(key.check()),
            holders: default_holders(),
            extra: Default::default(),
        };
        (config, recipients, secret, key)
    }

    fn not_set(var: &str) -> KeyText {
        Err(format!("{var} is not set"))
    }

    #[test]
    fn seals_opens_and_finds_duplicates() {
        let (config, recipients, secret, _) = store();
        let ring = Keyring::new(
            Some(&config),
            &recipients,
            Ok((secret, "key".into())),
            not_set("DESK_LOOKUP_KEY_FILE"),
        )
        .unwrap();
        let a = ring.seal("id_card", "11010519491231002X").unwrap();
        let b = ring.seal("id_card", "11010519491231002X").unwrap();
        assert_ne!(a.age, b.age, "each encryption is fresh");
        assert_eq!(a.lookup, b.lookup);
        assert_eq!(a.last4, "002X");
        assert_eq!(ring.open(&a).unwrap(), "11010519491231002X");
        assert_ne!(
            ring.lookup("bank_card", "11010519491231002X").unwrap(),
            a.lookup
        );

        let locked = Keyring::new(
            Some(&config),
            &recipients,
            not_set("DESK_KEY_FILE"),
            not_set("DESK_LOOKUP_KEY_FILE"),
        )
        .unwrap();
        assert!(locked
            .open(&a)
            .unwrap_err()
            .to_string()
            .contains("DESK_KEY_FILE"));
        assert!(locked
            .seal("id_card", "11010519491231002X")
            .unwrap_err()
            .to_string()
            .contains("DESK_LOOKUP_KEY_FILE"));
        let (other, _) = generate_identity();
        let wrong = Keyring::new(
            Some(&config),
            &recipients,
            Ok((other, "other.key".into())),
            not_set("DESK_LOOKUP_KEY_FILE"),
        );
        assert!(wrong.err().unwrap().to_string().contains("recipients"));

        assert!(is_lookup(&a.lookup) && check_armor(&a.age).is_ok());
        assert!(!is_lookup(&a.lookup.to_uppercase()) && !is_lookup(&a.lookup[1..]));
        assert!(check_armor("garbage").is_err());
        assert!(check_armor(&a.age.replace("-----END", "-----EMD")).is_err());
    }

    #[test]
    fn the_lookup_key_alone_seals_and_finds_but_opens_nothing() {
        let (config, recipients, secret, key) = store();
        let file = key.file_text("helpdesk");
        assert!(!file.contains("AGE-SECRET-KEY"));
        let agent = Keyring::new(
            Some(&config),
            &recipients,
            not_set("DESK_KEY_FILE"),
            Ok((file.clone(), "agent.lookup".into())),
        )
        .unwrap();
        assert!(agent.cannot_seal().is_none());
        assert_eq!(agent.cannot_open(), Some("DESK_KEY_FILE is not set"));
        let sealed = agent.seal("id_card", "11010519491231002X").unwrap();
        let err = agent.open(&sealed).unwrap_err().to_string();
        assert!(err.contains("DESK_KEY_FILE is not set"), "{err}");
        // The identity opens what the agent sealed, and computes the same lookup.
        let supervisor = Keyring::new(
            Some(&config),
            &recipients,
            Ok((secret.clone(), "key".into())),
            not_set("DESK_LOOKUP_KEY_FILE"),
        )
        .unwrap();
        assert_eq!(supervisor.open(&sealed).unwrap(), "11010519491231002X");
        assert_eq!(
            supervisor.lookup("id_card", "11010519491231002X").unwrap(),
            sealed.lookup
        );
        assert_eq!(supervisor.lookup_key(), Some(&key));

        // Another store's lookup key is refused, naming the file.
        let (_, _, _, theirs) = store();
        let err = Keyring::new(
            Some(&config),
            &recipients,
            not_set("DESK_KEY_FILE"),
            Ok((theirs.file_text("other"), "their.lookup".into())),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("their.lookup") && err.contains("not this store's"),
            "{err}"
        );
        // A store set up before lookup key files has no check: the file
        // cannot be verified alone, but with the identity it can.
        let old = EncryptionConfig {
            lookup_key_check: None,
            ..config.clone()
        };
        let err = Keyring::new(
            Some(&old),
            &recipients,
            not_set("DESK_KEY_FILE"),
            Ok((file.clone(), "agent.lookup".into())),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("desk keys export-lookup"), "{err}");
        Keyring::new(
            Some(&old),
            &recipients,
            Ok((secret, "key".into())),
            Ok((file, "agent.lookup".into())),
        )
        .unwrap();
    }

    #[test]
    fn lookup_key_files_parse_strictly() {
        let key = LookupKey::generate().unwrap();
        let text = key.file_text("s");
        assert_eq!(LookupKey::parse_file(&text).unwrap(), key);
        assert_eq!(
            LookupKey::parse_file(&text.to_uppercase().replace("# ", "#")).unwrap(),
            key
        );
        assert!(format!("{key:?}").contains(&key.check()));
        assert!(!format!("{key:?}").contains(&hex(&key.0)));
        for bad in [
            "",
            "# only a comment\n",
            "DESK-LOOKUP-KEY-12\n",
            "AGE-SECRET-KEY-1QQ\n",
        ] {
            assert!(LookupKey::parse_file(bad).is_err(), "{bad:?}");
        }
        let two = format!("{text}{}", LookupKey::generate().unwrap().file_text("s"));
        assert!(matches!(
            LookupKey::parse_file(&two),
            Err(CryptoError::TwoLookupKeys { .. })
        ));
        // A non-ASCII line of the right byte length is refused, not a panic.
        let wide = format!("{LOOKUP_KEY_PREFIX}{}é", "a".repeat(62));
        assert!(LookupKey::parse_file(&wide).is_err());
    }
}
