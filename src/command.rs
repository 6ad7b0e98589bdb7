//! The commands desk.yaml names (a rule's `run` hook, `mail.sendmail`):
//! which program runs, and the environment it gets. desk.yaml travels
//! through git, so where a command is allowed to run at all is decided
//! elsewhere (`desk.hooks`, docs/automation.md "Trust model"); this keeps an
//! allowed command what its line says: a bare name is a program of PATH's
//! absolute folders, never a file of the store reached through an empty or
//! relative PATH entry (`PATH=/usr/bin:` or `.`), and nothing of desk's own
//! environment (the mail password, the key files) is passed on.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The variables of desk's environment a command it runs gets; nothing
/// else (no mail password, no key file).
pub const INHERITS: [&str; 3] = ["PATH", "HOME", "LANG"];

/// The program a command names: with a `/`, the file itself (relative to
/// `base` when relative: the store's root for hooks); a bare name, the
/// first executable file of that name in PATH's absolute folders (`None`:
/// there is none). Empty and relative entries of PATH are skipped: the
/// working directory of a hook is the store, whose files anyone who can
/// push writes.
pub fn program(command: &str, base: &Path) -> Option<PathBuf> {
    if command.contains('/') {
        return Some(base.join(command));
    }
    if command.is_empty() || command == "." || command == ".." {
        return None;
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/bin:/bin"));
    std::env::split_paths(&path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(command))
        .find(|file| executable(file))
}

/// A command for `program` with the environment of [`INHERITS`] alone.
pub fn clean(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    for var in INHERITS {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value);
        }
    }
    cmd
}

fn executable(file: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(file) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    meta.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_a_slash_is_the_file_itself() {
        let base = Path::new("/srv/helpdesk");
        assert_eq!(
            program("hooks/x.sh", base),
            Some(PathBuf::from("/srv/helpdesk/hooks/x.sh"))
        );
        assert_eq!(
            program("/usr/local/bin/x", base),
            Some(PathBuf::from("/usr/local/bin/x"))
        );
        assert_eq!(program("", base), None);
    }
}
