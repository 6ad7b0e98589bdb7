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
use age::x25519::{Identity, Recipient};
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
pub fn parse_identities(text: &str) -> Result<Vec<Identity>, String> {
    let mut identities = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        identities.push(
            Identity::from_str(line)
                .map_err(|e| format!("line {}: not an age X25519 private key ({e})", n + 1))?,
        );
    }
    if identities.is_empty() {
        return Err("no AGE-SECRET-KEY-1... line found".into());
    }
    Ok(identities)
}

pub fn parse_recipients(keys: &[String]) -> Result<Vec<Recipient>, String> {
    keys.iter()
        .map(|k| {
            Recipient::from_str(k.trim())
                .map_err(|e| format!("recipient '{k}' is not an age public key (age1...): {e}"))
        })
        .collect()
}

/// A new random lookup key, encrypted to the recipients.
pub fn new_lookup_key(recipients: &[Recipient]) -> Result<String, String> {
    let mut key = [0u8; 32];
    getrandom::getrandom(&mut key).map_err(|e| format!("no random numbers: {e}"))?;
    encrypt(recipients, &hex(&key))
}

fn encrypt(recipients: &[Recipient], plain: &str) -> Result<String, String> {
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| format!("cannot encrypt: {e}"))?;
    let mut out = Vec::new();
    let armor = ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor)
        .map_err(|e| format!("cannot encrypt: {e}"))?;
    let mut writer = encryptor
        .wrap_output(armor)
        .map_err(|e| format!("cannot encrypt: {e}"))?;
    writer
        .write_all(plain.as_bytes())
        .and_then(|_| writer.finish())
        .and_then(|armor| armor.finish())
        .map_err(|e| format!("cannot encrypt: {e}"))?;
    Ok(String::from_utf8(out).expect("armor is ASCII"))
}

fn decrypt(identities: &[Identity], armored: &str) -> Result<String, String> {
    let decryptor = age::Decryptor::new(ArmoredReader::new(armored.as_bytes()))
        .map_err(|e| format!("not an age-encrypted value: {e}"))?;
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| i as &dyn age::Identity))
        .map_err(|e| format!("cannot decrypt: {e}"))?;
    let mut plain = String::new();
    reader
        .read_to_string(&mut plain)
        .map_err(|e| format!("cannot decrypt: {e}"))?;
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
pub fn check_armor(armored: &str) -> Result<(), String> {
    const BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
    const END: &str = "-----END AGE ENCRYPTED FILE-----";
    let text = armored.trim();
    if !text.starts_with(BEGIN) || !text.ends_with(END) {
        return Err(format!("expected {BEGIN} ... {END}"));
    }
    age::Decryptor::new(ArmoredReader::new(text.as_bytes()))
        .map(|_| ())
        .map_err(|e| e.to_string())
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
    /// A keyring for a store. `identity` is the key file's text and where it
    /// came from, if the user has one; `missing` says why not otherwise.
    pub fn new(
        config: Option<&EncryptionConfig>,
        identity: Result<(String, String), String>,
    ) -> Result<Keyring, String> {
        let Some(config) = config else {
            return Ok(Keyring::locked(
                "this store has no encryption set up (run `desk keys init`)",
            ));
        };
        let recipients = parse_recipients(&config.recipients)?;
        let (identities, lookup_key, locked_because) = match identity {
            Err(why) => (Vec::new(), None, Some(why)),
            Ok((text, origin)) => {
                let identities = parse_identities(&text).map_err(|e| format!("{origin}: {e}"))?;
                let key = decrypt(&identities, &config.lookup_key).map_err(|e| {
                    format!(
                        "{origin}: the key cannot open this store's lookup key ({e}); \
                         is it one of the recipients in desk.yaml?"
                    )
                })?;
                let key = unhex(&key).ok_or("desk.yaml: encryption.lookup_key is damaged")?;
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
    pub fn lookup(&self, field: &str, plain: &str) -> Result<String, String> {
        let key = self.lookup_key.ok_or_else(|| self.why_locked())?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("any key length");
        mac.update(field.as_bytes());
        mac.update(&[0]);
        mac.update(plain.as_bytes());
        Ok(hex(&mac.finalize().into_bytes()))
    }

    /// Encrypts a (validated) value of `field`.
    pub fn seal(&self, field: &str, plain: &str) -> Result<Sealed, String> {
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

    pub fn open(&self, sealed: &Sealed) -> Result<String, String> {
        if self.identities.is_empty() {
            return Err(self.why_locked());
        }
        decrypt(&self.identities, &sealed.age)
    }

    fn why_locked(&self) -> String {
        self.locked_because
            .clone()
            .unwrap_or_else(|| "no private key".into())
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
        let ring = Keyring::new(Some(&config), Ok((secret, "key".into()))).unwrap();
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

        let locked = Keyring::new(Some(&config), Err("DESK_KEY_FILE is not set".into())).unwrap();
        assert!(locked.open(&a).unwrap_err().contains("DESK_KEY_FILE"));
        let (other, _) = generate_identity();
        let wrong = Keyring::new(Some(&config), Ok((other, "other.key".into())));
        assert!(wrong.err().unwrap().contains("recipients"));

        assert!(is_lookup(&a.lookup) && check_armor(&a.age).is_ok());
        assert!(!is_lookup(&a.lookup.to_uppercase()) && !is_lookup(&a.lookup[1..]));
        assert!(check_armor("garbage").is_err());
        assert!(check_armor(&a.age.replace("-----END", "-----EMD")).is_err());
    }
}
