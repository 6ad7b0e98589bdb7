use std::io::Write;
use std::path::PathBuf;

use super::Context;
use crate::error::Result;
use crate::output::message;
use crate::store::KEY_FILE_VAR;

#[derive(Debug, clap::Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Set up encryption of ID-card and bank-card numbers: makes (or reuses)
    /// an age key file and adds its public key to desk.yaml. Prints the public key.
    Init(InitArgs),
    /// Whether encryption is set up and whether DESK_KEY_FILE opens it.
    Status,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The private key file to create (or reuse, if it exists); refused
    /// inside the store (e.g. ~/.config/desk/STORE.key). Share it only with
    /// those allowed to see the data.
    #[arg(long, value_name = "FILE")]
    pub identity: PathBuf,
    /// Another public key (age1...) to encrypt to, e.g. an offline backup key; repeatable.
    #[arg(long = "recipient", value_name = "AGE1...")]
    pub recipients: Vec<String>,
}

pub fn run(ctx: &Context, args: &KeysArgs, out: &mut dyn Write) -> Result<()> {
    match &args.command {
        KeysCommand::Init(a) => init(ctx, a, out),
        KeysCommand::Status => status(ctx, out),
    }
}

fn init(ctx: &Context, args: &InitArgs, out: &mut dyn Write) -> Result<()> {
    let done = ctx
        .store
        .set_up_encryption(&args.identity, &args.recipients)?;
    if let Some(warning) = &done.warning {
        message::warn(warning);
    }
    writeln!(out, "{}", done.public_key)?;
    message::say(&format!(
        "encryption set up; {} {}. Keep it secret, out of the repository; to see or store encrypted values: export {KEY_FILE_VAR}={}",
        args.identity.display(),
        if done.created { "holds the new private key" } else { "is the private key" },
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
    let ring = ctx.keyring()?;
    match ring.locked_because() {
        None => writeln!(out, "key: {KEY_FILE_VAR} opens this store")?,
        Some(why) => writeln!(out, "key: {why}")?,
    }
    Ok(())
}
