//! `desk keys`: sets up the encryption of sealed numbers and hands out its
//! three parts (docs/format.md, "Who holds what"): the recipients (public,
//! in desk.yaml), the lookup key (registers and finds numbers) and the
//! identity (reveals them).

use std::io::Write;
use std::path::PathBuf;

use super::Context;
use crate::app;
use crate::app::RecipientChange;
use crate::error::Result;
use crate::output::message;
use crate::store::{KEY_FILE_VAR, LOOKUP_KEY_FILE_VAR};

#[derive(Debug, clap::Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Set up encryption of ID-card and bank-card numbers: makes (or reuses)
    /// an age key file, the identity, and adds its public key and a new
    /// lookup key to desk.yaml. Prints the public key.
    Init(InitArgs),
    /// What this store's encryption is, who is meant to hold the identity,
    /// and what the key files at hand allow here.
    Status,
    /// Write the lookup key to a new file for those who register and find
    /// numbers without revealing them (needs the identity or the lookup key).
    ExportLookup(ExportLookupArgs),
    /// Encrypt numbers sealed from now on to another public key too (needs
    /// the identity).
    AddRecipient(AddRecipientArgs),
    /// Stop encrypting numbers to a public key (needs the identity); numbers
    /// sealed before stay readable with it.
    RemoveRecipient(RemoveRecipientArgs),
    /// Give the identity a new key: writes a new key file holding it and the
    /// current keys, and encrypts numbers sealed from now on to the new key
    /// only (needs the identity). For when an identity reached others.
    Rotate(RotateArgs),
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The private key file to create (or reuse, if it exists); refused
    /// inside the store (e.g. ~/.config/desk/STORE.key). Hand it only to
    /// those who may reveal numbers (encryption.holders).
    #[arg(long, value_name = "FILE")]
    pub identity: PathBuf,
    /// Another public key (age1...) to encrypt to, e.g. an offline backup key; repeatable.
    #[arg(long = "recipient", value_name = "AGE1...")]
    pub recipients: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct ExportLookupArgs {
    /// The lookup key file to create (mode 0600); refused inside the store
    /// and when it exists (e.g. ~/.config/desk/STORE.lookup).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct AddRecipientArgs {
    /// The public key to add (age1...).
    #[arg(value_name = "AGE1...")]
    pub key: Option<String>,
    /// An age key file to make (or reuse, if it exists), whose public key
    /// is added; refused inside the store.
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RemoveRecipientArgs {
    /// The public key to remove (age1...), as `desk keys status` lists it.
    #[arg(value_name = "AGE1...")]
    pub key: String,
}

#[derive(Debug, clap::Args)]
pub struct RotateArgs {
    /// The new key file to create (mode 0600); refused inside the store and
    /// when it exists. Hand it to the holders in place of the current one.
    #[arg(long, value_name = "FILE")]
    pub identity: PathBuf,
}

pub fn run(ctx: &Context, args: &KeysArgs, out: &mut dyn Write) -> Result<()> {
    match &args.command {
        KeysCommand::Init(a) => init(ctx, a, out),
        KeysCommand::Status => status(ctx, out),
        KeysCommand::ExportLookup(a) => export_lookup(ctx, a),
        KeysCommand::AddRecipient(a) => {
            let change = match (&a.key, &a.identity) {
                (_, Some(path)) => RecipientChange::AddIdentity(path.clone()),
                (Some(key), None) => RecipientChange::Add(key.clone()),
                (None, None) => unreachable!("clap requires one"),
            };
            change_recipients(ctx, &change, out)
        }
        KeysCommand::RemoveRecipient(a) => {
            change_recipients(ctx, &RecipientChange::Remove(a.key.clone()), out)
        }
        KeysCommand::Rotate(a) => {
            change_recipients(ctx, &RecipientChange::Rotate(a.identity.clone()), out)
        }
    }
}

fn init(ctx: &Context, args: &InitArgs, out: &mut dyn Write) -> Result<()> {
    let done = app::keys::set_up_encryption(&ctx.store, &args.identity, &args.recipients)?;
    if let Some(warning) = &done.warning {
        message::warn(warning);
    }
    writeln!(out, "{}", done.public_key)?;
    message::say(&format!(
        "encryption set up; {} {}. It reveals every number: keep it secret, out of the \
         repository, with those desk.yaml's encryption.holders names (export {KEY_FILE_VAR}={}). \
         For the others, who register and find numbers only: `desk keys export-lookup --out FILE`",
        args.identity.display(),
        if done.created {
            "holds the new private key"
        } else {
            "is the private key"
        },
        args.identity.display()
    ));
    Ok(())
}

fn status(ctx: &Context, out: &mut dyn Write) -> Result<()> {
    let Some(enc) = &ctx.store.config.encryption else {
        writeln!(
            out,
            "encryption: not set up (run `desk keys init --identity FILE`)"
        )?;
        return Ok(());
    };
    writeln!(
        out,
        "encryption: age, {} recipient(s)",
        enc.recipients.len()
    )?;
    for r in &enc.recipients {
        writeln!(out, "  {r}")?;
    }
    writeln!(out, "holders: {}", ctx.store.identity_holders())?;
    let ring = ctx.keyring()?;
    let mine = ring.public_keys();
    match ring.cannot_open() {
        None => writeln!(
            out,
            "identity: {KEY_FILE_VAR} opens this store ({}): reveal, register and find numbers",
            mine.join(", ")
        )?,
        Some(why) => writeln!(out, "identity: none here: {why}")?,
    }
    let lookup_file = std::env::var_os(LOOKUP_KEY_FILE_VAR).is_some_and(|v| !v.is_empty());
    match (ring.lookup_key(), ring.cannot_seal()) {
        (Some(key), _) => writeln!(
            out,
            "lookup key: {} (check {}): register and find numbers",
            if lookup_file {
                LOOKUP_KEY_FILE_VAR
            } else {
                "from the identity"
            },
            key.check()
        )?,
        (None, why) => writeln!(out, "lookup key: none here: {}", why.unwrap_or_default())?,
    }
    if enc.lookup_key_check.is_none() {
        writeln!(
            out,
            "note: desk.yaml has no encryption.lookup_key_check (set up before lookup key \
             files); `desk keys export-lookup` by a holder of the identity adds it"
        )?;
    }
    Ok(())
}

fn export_lookup(ctx: &Context, args: &ExportLookupArgs) -> Result<()> {
    let ring = ctx.keyring()?;
    let done = app::keys::export_lookup_key(&ctx.store, &ring, &args.out)?;
    if done.check_added {
        message::say(&format!(
            "desk.yaml: added encryption.lookup_key_check: {}; commit desk.yaml, so that \
             lookup key files can be verified in every clone",
            done.check
        ));
    }
    message::say(&format!(
        "{} holds the lookup key (check {}). It registers and finds ID-card and bank-card \
         numbers but reveals none; hand it to those who take the numbers, who export \
         {LOOKUP_KEY_FILE_VAR}={}. Keep it out of the repository: with a copy of the store \
         it lets anyone test guessed numbers",
        args.out.display(),
        done.check,
        args.out.display()
    ));
    Ok(())
}

fn change_recipients(ctx: &Context, change: &RecipientChange, out: &mut dyn Write) -> Result<()> {
    let ring = ctx.keyring()?;
    let done = app::keys::change_recipients(&ctx.store, &ring, change)?;
    if let Some(warning) = &done.warning {
        message::warn(warning);
    }
    writeln!(out, "{}", done.public_key)?;
    let what =
        match change {
            RecipientChange::Remove(_) => format!(
                "removed: numbers sealed from now on are not encrypted to {}; those sealed before \
             still are (in the files and in git history), until re-entered",
                done.public_key
            ),
            RecipientChange::AddIdentity(path) => {
                format!(
            "added: {} {} whose public key numbers sealed from now on are encrypted to; those \
             sealed before stay readable only by the earlier recipients",
            path.display(),
            if done.created { "is a new key file" } else { "is the key file" },
        )
            }
            RecipientChange::Rotate(path) => format!(
            "rotated: numbers sealed from now on are encrypted to the new key {} instead of {}. \
             {} holds the new key and the earlier ones, so it opens every number: hand it to \
             the holders ({}) in place of the current key file, and export {KEY_FILE_VAR}={}. \
             Whoever kept an earlier key file still opens the numbers sealed before (in the \
             files and in git history), not those sealed from now on",
            done.public_key,
            done.replaced.join(", "),
            path.display(),
            ctx.store.identity_holders(),
            path.display()
        ),
            RecipientChange::Add(_) => format!(
                "added: numbers sealed from now on are encrypted to {} too; those sealed before \
             stay readable only by the earlier recipients",
                done.public_key
            ),
        };
    message::say(&format!(
        "{what}. {} recipient(s) now; commit desk.yaml",
        done.recipients.len()
    ));
    Ok(())
}
