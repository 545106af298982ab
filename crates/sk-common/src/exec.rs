//! The last step of every tool: execve the rest of argv.
//!
//! Two moments of the chain are handled here for every link:
//! - [`first_link`]: the chain's first link (no `SK_CHAIN` yet) notes
//!   socket activation and takes the terminal ([`crate::tty::first_link`]),
//!   before any other step. `Common::apply` calls it.
//! - [`prepare_final`]: the process that executes the command (not another
//!   sk-* link) does what the links asked for, in this order: the minimal
//!   init ([`crate::init`]), the inherited fds ([`crate::fds`]), the
//!   terminal ([`crate::tty::attach`]), `SK_CHAIN` removed, and last the
//!   caller's signal dispositions and mask ([`crate::signals`]).
//!   [`exec`] calls it; sk-seccomp calls it before it loads its filter.

use crate::chain::State;
use crate::cli::show_command;
use crate::{exit, fds, log, verbose};
use nix::errno::Errno;
use nix::unistd::{access, AccessFlags};
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// Converts the command's words for execve; a NUL byte cannot be passed.
pub fn to_cstrings(argv: &[OsString]) -> crate::Result<Vec<CString>> {
    argv.iter()
        .map(|a| {
            CString::new(a.as_bytes()).map_err(|_| {
                anyhow::anyhow!(
                    "cannot execute {}: an argument contains a NUL byte",
                    a.to_string_lossy()
                )
            })
        })
        .collect()
}

/// A command that cannot be run (missing: 127, not executable: 126), found
/// before anything irreversible: an error like any other, so that the
/// chain's earlier steps undo themselves, but with its own exit status.
#[derive(Debug)]
pub struct NotRun {
    pub status: i32,
    pub message: String,
}

impl NotRun {
    pub fn new(command: &std::ffi::OsStr, errno: Errno) -> NotRun {
        NotRun {
            status: status_for(errno),
            message: format!(
                "cannot execute {}: {}",
                command.to_string_lossy(),
                errno.desc()
            ),
        }
    }
}

impl std::fmt::Display for NotRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NotRun {}

/// The exit status for a failed exec: 127 when the command does not exist,
/// 126 when it exists but cannot be executed.
pub fn status_for(errno: Errno) -> i32 {
    match errno {
        Errno::ENOENT | Errno::ENOTDIR | Errno::ENAMETOOLONG | Errno::ELOOP => exit::NOT_FOUND,
        _ => exit::CANNOT_EXECUTE,
    }
}

/// Finds `name` as execvp does (the one PATH search of the tools, for
/// when the path is needed before the exec): a name with a slash is used as it is;
/// otherwise the first executable regular file in PATH, and when there is
/// none, EACCES if one was found but not executable, else ENOENT.
pub fn find_in_path(name: &OsStr, path_var: Option<&OsStr>) -> std::result::Result<PathBuf, Errno> {
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name.as_bytes().contains(&b'/') {
        return Ok(PathBuf::from(name));
    }
    let path_var = path_var.unwrap_or(OsStr::new("/usr/local/bin:/bin:/usr/bin"));
    let mut denied = false;
    for dir in std::env::split_paths(path_var) {
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let candidate = dir.join(name);
        match candidate.metadata() {
            Ok(m) if m.is_file() => match access(&candidate, AccessFlags::X_OK) {
                Ok(()) => return Ok(candidate),
                Err(_) => denied = true,
            },
            Ok(_) => denied = true,
            Err(_) => {}
        }
    }
    Err(if denied { Errno::EACCES } else { Errno::ENOENT })
}

/// At the chain's first link, before any other step: notes socket
/// activation meant for the chain and forks the terminal relay when a
/// terminal is involved (returns in the child that goes on). Later links
/// find `SK_CHAIN` set and do nothing.
pub fn first_link(mode: crate::tty::Mode) -> crate::Result<()> {
    let mut state = State::load();
    if state.started {
        return later_link(mode, &state);
    }
    state.started = true;
    fds::first_link(&mut state);
    crate::tty::first_link(mode, &mut state)?;
    state.store();
    Ok(())
}

/// A terminal option on a later link cannot take effect: the first link
/// has already decided. Say so rather than ignore it.
fn later_link(mode: crate::tty::Mode, state: &State) -> crate::Result<()> {
    use crate::chain::Tty;
    use crate::tty::Mode;
    let conflict = match mode {
        Mode::Share => matches!(state.tty, Tty::Pty { .. } | Tty::Detach),
        Mode::NoPty => matches!(state.tty, Tty::Pty { .. } | Tty::Share),
        Mode::Pty => false,
    };
    if conflict {
        anyhow::bail!(
            "cannot apply --{}: the chain's first link decides about the terminal \
             (give the option to the first sk-* tool of the chain)",
            if mode == Mode::Share {
                "share-tty"
            } else {
                "no-pty"
            }
        );
    }
    Ok(())
}

/// Whether `argv0` names another link of the chain (a seckun tool) rather
/// than the command.
pub fn is_link(argv0: &OsStr) -> bool {
    crate::tools::tool_named(argv0).is_some()
}

/// Everything the links asked of the process that executes the command,
/// to be called right before its execve (and before a seccomp filter,
/// which might deny the calls made here). May fork (the init): returns in
/// the process that is to execute the command.
pub fn prepare_final() -> crate::Result<()> {
    let state = State::load();
    State::clear();
    crate::init::fork_if_pid1(&state)?;
    fds::before_exec(&state)?;
    crate::tty::attach(&state)?;
    crate::signals::restore()
}

/// Executes `argv` with a PATH search, replacing this process. Returns only
/// through exit: 127 not found, 126 not executable, 125 bad argv.
pub fn exec(argv: &[OsString]) -> ! {
    let cargs = match to_cstrings(argv) {
        Ok(c) if !c.is_empty() => c,
        Ok(_) => crate::fail(&anyhow::anyhow!("no command given")),
        Err(e) => crate::fail(&e),
    };
    let prepared = if is_link(&argv[0]) {
        // The next link records the caller's signals as this one got them.
        crate::signals::restore()
    } else {
        prepare_final()
    };
    if let Err(e) = prepared {
        crate::fail(&e);
    }
    verbose!("executing {}", show_command(argv));
    let errno = match nix::unistd::execvp(&cargs[0], &cargs) {
        Ok(never) => match never {},
        Err(e) => e,
    };
    fail_exec(argv, errno)
}

fn fail_exec(argv: &[OsString], errno: Errno) -> ! {
    crate::say!(
        "{}: cannot execute {}: {}",
        log::tool(),
        argv[0].to_string_lossy(),
        errno.desc()
    );
    exit::exit(status_for(errno))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_search_follows_execvp() {
        let path = OsStr::new("/nonexistent:/bin:/usr/bin");
        assert!(find_in_path(OsStr::new("sh"), Some(path))
            .unwrap()
            .ends_with("sh"));
        assert_eq!(
            find_in_path(OsStr::new("no-such-cmd-x"), Some(path)),
            Err(Errno::ENOENT)
        );
        assert_eq!(
            find_in_path(OsStr::new("./x/y"), Some(path)).unwrap(),
            PathBuf::from("./x/y")
        );
        // A directory of that name is not the command: EACCES, as execvp says.
        assert_eq!(
            find_in_path(OsStr::new("usr"), Some(OsStr::new("/"))),
            Err(Errno::EACCES)
        );
    }

    #[test]
    fn missing_and_unexecutable_are_told_apart() {
        assert_eq!(status_for(Errno::ENOENT), 127);
        assert_eq!(status_for(Errno::EACCES), 126);
        assert_eq!(status_for(Errno::ENOEXEC), 126);
    }

    #[test]
    fn nul_bytes_are_refused() {
        let argv = vec![OsString::from("echo"), OsString::from("a\0b")];
        assert!(to_cstrings(&argv).is_err());
    }
}
