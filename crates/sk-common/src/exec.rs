//! The last step of every tool: execve the rest of argv.

use crate::cli::show_command;
use crate::{exit, log, verbose};
use nix::errno::Errno;
use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;

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

/// Executes `argv` with a PATH search, replacing this process. Returns only
/// through exit: 127 not found, 126 not executable, 125 bad argv.
pub fn exec(argv: &[OsString]) -> ! {
    let cargs = match to_cstrings(argv) {
        Ok(c) if !c.is_empty() => c,
        Ok(_) => crate::fail(&anyhow::anyhow!("no command given")),
        Err(e) => crate::fail(&e),
    };
    if let Err(e) = crate::sigpipe::restore() {
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
