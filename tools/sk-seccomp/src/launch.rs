//! The command's execve, prepared before the filter is loaded.
//!
//! Once the filter is in place the process may be allowed little more than
//! execve itself, so everything that allocates or writes is done before:
//! the PATH search (with execvp's rules), the argv array, the -v line.
//! Failing to find or execute the command is reported before the load, with
//! the usual 127/126.

use nix::errno::Errno;
use nix::unistd::{access, AccessFlags};
use sk_common::exec::{find_in_path, status_for, to_cstrings};
use sk_common::{exit, log, Result};
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub struct Launch {
    path: CString,
    argv: Vec<CString>,
    ptrs: Vec<*const libc::c_char>,
    shown: String,
}

/// Whether `path` can be executed, as far as can be told without trying.
fn check(path: &Path) -> std::result::Result<(), Errno> {
    let m = path
        .metadata()
        .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::ENOENT)))?;
    if !m.is_file() {
        return Err(Errno::EACCES);
    }
    access(path, AccessFlags::X_OK)
}

/// Reports a command that cannot be executed, and exits 127 or 126.
fn cannot_execute(name: &OsStr, errno: Errno) -> ! {
    sk_common::say!(
        "{}: cannot execute {}: {}",
        log::tool(),
        name.to_string_lossy(),
        errno.desc()
    );
    exit::exit(status_for(errno))
}

impl Launch {
    /// Finds the command; a [`sk_common::exec::NotRun`] (127/126) when it
    /// cannot be run, so that the earlier steps undo themselves first.
    pub fn prepare(command: &[OsString]) -> Result<Launch> {
        let argv = to_cstrings(command)?;
        let path_var = std::env::var_os("PATH");
        let path = match find_in_path(&command[0], path_var.as_deref())
            .and_then(|p| check(&p).map(|_| p))
        {
            Ok(p) => p,
            Err(e) => return Err(sk_common::exec::NotRun::new(&command[0], e).into()),
        };
        let path = CString::new(path.as_os_str().as_bytes())?;
        let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        Ok(Launch {
            path,
            argv,
            ptrs,
            shown: sk_common::cli::show_command(command),
        })
    }

    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// execv(2) with the environment as it is. Makes no allocation before
    /// the call; after a failure (the filter may forbid even the message)
    /// it reports and exits 126/127.
    pub fn exec(&self) -> ! {
        // SAFETY: path and the NULL-terminated ptrs point into self.argv
        // and self.path, which live until execv replaces the process.
        unsafe { libc::execv(self.path.as_ptr(), self.ptrs.as_ptr()) };
        let errno = Errno::last();
        let _ = &self.argv;
        cannot_execute(OsStr::from_bytes(self.argv[0].as_bytes()), errno)
    }
}
