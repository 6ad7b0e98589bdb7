//! Encryption at rest of ID-card and bank-card numbers (seed 002: 加密后存储).
//!
//! Each value is encrypted with age (X25519) to every recipient listed in
//! `desk.yaml`, so a clone of the repository without a private key holds
//! only ciphertext. Beside it go the last four characters (for masked
//! display) and an HMAC-SHA256 of the value under the store's lookup key, so
//! duplicates can be found without decrypting. The lookup key is 32 random
//! bytes, itself age-encrypted to the recipients in `desk.yaml`; whoever
//! holds a private key can recompute lookups, nobody else can (a plain hash
//! of an 18-digit ID number could be brute-forced). See docs/format.md.

use std::io::{Read, Write};
use std::str::FromStr;

use age::armor::{ArmoredReader, ArmoredWriter, Format};
use age::secrecy::ExposeSecret;
use age::x25519::Identity;
pub use age::x25519::Recipient;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::model::Sealed;

/// The `encryption:` section of `desk.yaml`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EncryptionConfig {
    /// age public keys (`age1...`); every value is encrypted to all of them.
    pub recipients: Vec<String>,
    /// The lookup key, age-encrypted to the recipients (ASCII armor).
    pub lookup_key: String,
}

/// What a command can do with encrypted values: seal needs the recipients and
/// the lookup key, open needs a private key.
pub struct Keyring {
    recipients: Vec<Recipient>,
    identities: Vec<Identity>,
    lookup_key: Option<[u8; 32]>,
    /// Why values cannot be opened, for the error message.
    locked_because: Option<String>,
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
}

const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
const ARMOR_END: &str = "-----END AGE ENCRYPTED FILE-----";

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

/// A new random lookup key, encrypted to the recipients.
pub fn new_lookup_key(recipients: &[Recipient]) -> Result<String, CryptoError> {
    let mut key = [0u8; 32];
    getrandom::getrandom(&mut key).map_err(|e| CryptoError::NoRandom(e.to_string()))?;
    encrypt(recipients, &hex(&key))
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 {
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
    /// parsed from it (once, when desk.yaml was read). `identity` is the key
    /// file's text and where it came from, if the user has one, or why not.
    pub fn new(
        config: Option<&EncryptionConfig>,
        recipients: &[Recipient],
        identity: Result<(String, String), String>,
    ) -> Result<Keyring, CryptoError> {
        let Some(config) = config else {
            return Ok(Keyring::locked(
                "this store has no encryption set up (run `desk keys init`)",
            ));
        };
        let recipients = recipients.to_vec();
        let (identities, lookup_key, locked_because) = match identity {
            Err(why) => (Vec::new(), None, Some(why)),
            Ok((text, origin)) => {
                let identities = parse_identities(&text).map_err(|e| CryptoError::KeyFile {
                    origin: origin.clone(),
                    source: Box::new(e),
                })?;
                let key = decrypt(&identities, &config.lookup_key).map_err(|e| {
                    CryptoError::WrongKey {
                        origin: origin.clone(),
                        reason: Box::new(e),
                    }
                })?;
                let key = unhex(&key).ok_or(CryptoError::DamagedLookupKey)?;
                (identities, Some(key), None)
            }
        };
        Ok(Keyring {
            recipients,
            identities,
            lookup_key,
            locked_because,
        })
    }

    /// A keyring that opens nothing: for revealing what is stored in clear
    /// (names, phones) where no sealed number is shown.
    pub fn locked(why: &str) -> Keyring {
        Keyring {
            recipients: Vec::new(),
            identities: Vec::new(),
            lookup_key: None,
            locked_because: Some(why.into()),
        }
    }

    /// Why values cannot be opened here, or None when they can.
    pub fn locked_because(&self) -> Option<&str> {
        self.locked_because.as_deref()
    }

    /// The keyed hash of a field's value, for duplicate detection.
    pub fn lookup(&self, field: &str, plain: &str) -> Result<String, CryptoError> {
        let key = self.lookup_key.ok_or_else(|| self.why_locked())?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("any key length");
        mac.update(field.as_bytes());
        mac.update(&[0]);
        mac.update(plain.as_bytes());
        Ok(hex(&mac.finalize().into_bytes()))
    }

    /// Encrypts a (validated) value of `field`.
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

    pub fn open(&self, sealed: &Sealed) -> Result<String, CryptoError> {
        if self.identities.is_empty() {
            return Err(self.why_locked());
        }
        decrypt(&self.identities, &sealed.age)
    }

    fn why_locked(&self) -> CryptoError {
        CryptoError::Locked(
            self.locked_because
                .clone()
                .unwrap_or_else(|| "no private key".into()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_opens_and_finds_duplicates() {
        let (secret, public) = generate_identity();
        let recipients = parse_recipients(std::slice::from_ref(&public)).unwrap();
        let config = EncryptionConfig {
            recipients: vec![public],
            lookup_key: new_lookup_key(&recipients).unwrap(),
        };
        let ring = Keyring::new(Some(&config), &recipients, Ok((secret, "key".into()))).unwrap();
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
            Err("DESK_KEY_FILE is not set".into()),
        )
        .unwrap();
        assert!(locked
            .open(&a)
            .unwrap_err()
            .to_string()
            .contains("DESK_KEY_FILE"));
        let (other, _) = generate_identity();
        let wrong = Keyring::new(Some(&config), &recipients, Ok((other, "other.key".into())));
        assert!(wrong.err().unwrap().to_string().contains("recipients"));

        assert!(is_lookup(&a.lookup) && check_armor(&a.age).is_ok());
        assert!(!is_lookup(&a.lookup.to_uppercase()) && !is_lookup(&a.lookup[1..]));
        assert!(check_armor("garbage").is_err());
        assert!(check_armor(&a.age.replace("-----END", "-----EMD")).is_err());
    }
}
