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
use crate::{carry, exit, fds, log, verbose};
use nix::errno::Errno;
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

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

/// The exit status for a failed exec: 127 when the command does not exist,
/// 126 when it exists but cannot be executed.
pub fn status_for(errno: Errno) -> i32 {
    match errno {
        Errno::ENOENT | Errno::ENOTDIR | Errno::ENAMETOOLONG | Errno::ELOOP => exit::NOT_FOUND,
        _ => exit::CANNOT_EXECUTE,
    }
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
    carry::is_tool_word(argv0)
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
    if let Some(fd) = carry::fd_for(&argv[0]) {
        // A seckun tool that travels with the chain: the host's copy, never
        // one that the new root may hold under the same name.
        verbose!("executing {} (the chain's own copy)", show_command(argv));
        let env: Vec<CString> = std::env::vars_os()
            .filter_map(|(k, v)| {
                let mut kv = k.into_vec();
                kv.push(b'=');
                kv.extend(v.into_vec());
                CString::new(kv).ok()
            })
            .collect();
        // SAFETY: the fd was checked to be one of our memfds by fd_for.
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        let errno = match nix::unistd::fexecve(fd, &cargs, &env) {
            Ok(never) => match never {},
            Err(e) => e,
        };
        fail_exec(argv, errno)
    }
    carry::drop_all();
    verbose!("executing {}", show_command(argv));
    let errno = match nix::unistd::execvp(&cargs[0], &cargs) {
        Ok(never) => match never {},
        Err(e) => e,
    };
    fail_exec(argv, errno)
}

fn fail_exec(argv: &[OsString], errno: Errno) -> ! {
    eprintln!(
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
