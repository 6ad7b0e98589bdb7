use std::io::Write;
use std::path::PathBuf;

use super::Context;
use crate::config::Config;
use crate::crypto;
use crate::error::{Error, Result};
use crate::output::message;
use crate::store::{
    key_file_exposed, read_file, read_to_string, write_atomic, CONFIG_FILE, KEY_FILE_VAR,
};

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
    ctx.store.refuse_key_inside(&args.identity)?;
    let path = ctx.store.root.join(CONFIG_FILE);
    let _lock = ctx.store.lock("config")?;
    let text = read_file(&path, std::path::Path::new(CONFIG_FILE))?;
    let current = Config::parse(&text, &path)?;
    if current.encryption.is_some() {
        return Err(Error::Refused(
            "encryption is already set up in desk.yaml (`desk keys status` tells more)".into(),
        ));
    }
    let (identity_text, created) = if args.identity.exists() {
        if let Some(warning) = key_file_exposed(&args.identity) {
            message::warn(&warning);
        }
        (read_to_string(&args.identity)?, false)
    } else {
        let (secret, public) = crypto::generate_identity();
        let text = format!("# desk store key; public key: {public}\n{secret}\n");
        (text, true)
    };
    let identities = crypto::parse_identities(&identity_text).map_err(|e| {
        Error::invalid(
            "--identity",
            args.identity.display().to_string(),
            e.to_string(),
        )
    })?;
    let own = identities[0].to_public().to_string();
    let mut recipients = vec![own.clone()];
    for r in &args.recipients {
        crypto::parse_recipients(std::slice::from_ref(r))
            .map_err(|e| Error::invalid("--recipient", r, e.to_string()))?;
        if !recipients.contains(r) {
            recipients.push(r.trim().to_string());
        }
    }
    let parsed = crypto::parse_recipients(&recipients)?;
    let section = crypto::EncryptionConfig {
        recipients,
        lookup_key: crypto::new_lookup_key(&parsed)?,
    };
    #[derive(serde::Serialize)]
    struct Section<'a> {
        encryption: &'a crypto::EncryptionConfig,
    }
    let yaml = serde_yaml::to_string(&Section {
        encryption: &section,
    })
    .expect("serialises");
    let mut new_text = text.clone();
    if !new_text.ends_with('\n') {
        new_text.push('\n');
    }
    new_text.push_str(
        "# Encryption at rest of ID-card and bank-card numbers (`desk keys init`, docs/format.md).\n",
    );
    new_text.push_str(&yaml);
    Config::parse(&new_text, &path)?;
    if created {
        write_private(&args.identity, identity_text.as_bytes())?;
    }
    write_atomic(&path, new_text.as_bytes())?;
    writeln!(out, "{own}")?;
    message::say(&format!(
        "encryption set up; {} {}. Keep it secret, out of the repository; to see or store encrypted values: export {KEY_FILE_VAR}={}",
        args.identity.display(),
        if created { "holds the new private key" } else { "is the private key" },
        args.identity.display()
    ));
    Ok(())
}

/// Creates a new file readable by its owner only, from the first byte on
/// (a file made with the default umask and narrowed afterwards would be
/// readable by others for a moment).
fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    // `~/.config/desk/` may not exist yet; directories made for a private
    // key are private too.
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let mut dirs = std::fs::DirBuilder::new();
        dirs.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut dirs, 0o700);
        dirs.create(parent).map_err(|e| Error::io(parent, e))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = options.open(path).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    result.map_err(|e| Error::io(path, e))
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
