//! `desk completions SHELL` and `desk man`: shell completion scripts and
//! manual pages generated from the same definitions as `--help`.

use std::io::Write;
use std::path::PathBuf;

use clap::CommandFactory;

use super::Cli;
use crate::error::{Error, Result};
use crate::store::write_atomic;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete in; for bash, `source <(desk completions bash)`
    /// in ~/.bashrc.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write desk.1 and one page per subcommand (desk-new.1, ...) into DIR
    /// instead of printing desk.1.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// The command tree as documented: value lists are those `desk init`
/// writes, so the output does not depend on the store it is run in.
fn command() -> clap::Command {
    super::help::with_value_lists(Cli::command(), None)
}

pub fn completions(args: &CompletionsArgs, out: &mut dyn Write) -> Result<()> {
    let mut cmd = command();
    // clap_complete panics on a write error; generated into memory first,
    // a closed pipe (`| head`) is an ordinary error that exits quietly.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "desk", &mut script);
    out.write_all(&script)?;
    Ok(())
}

pub fn man(args: &ManArgs, out: &mut dyn Write) -> Result<()> {
    // `desk help X` is the page of X: no pages of the help subcommands.
    let mut cmd = command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = &args.out else {
        return render(cmd, out);
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut pages = Vec::new();
    collect(cmd, &mut pages);
    for page in pages {
        let path = dir.join(page.get_filename());
        let mut bytes = Vec::new();
        page.render(&mut bytes)?;
        write_atomic(&path, &bytes)?;
        writeln!(out, "{}", path.display())?;
    }
    Ok(())
}

fn render(cmd: clap::Command, out: &mut dyn Write) -> Result<()> {
    clap_mangen::Man::new(cmd).render(out)?;
    Ok(())
}

/// The page of `cmd` and of every visible subcommand below it.
fn collect(cmd: clap::Command, pages: &mut Vec<clap_mangen::Man>) {
    let listed = |s: &&clap::Command| !s.is_hide_set() && s.get_name() != "help";
    for sub in cmd.get_subcommands().filter(listed) {
        collect(sub.clone(), pages);
    }
    pages.push(clap_mangen::Man::new(cmd));
}
