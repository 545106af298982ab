//! What a chain's first process opened for the whole chain, handed down
//! across a real exec between two links.
//!
//! A chain normally runs as one process, and this is a plain table of the
//! fds its links opened on the caller's side (inputs, outputs, the caller's
//! /proc, the engine's own binary). Where a link must be entered by a real
//! exec (`SK_FUSE=0`, or a step whose effect only an exec gives), the table
//! goes along: the fds lose close-on-exec and are listed, each with its
//! device and inode, in one variable, [`VAR`]. The process that execs reads
//! them back, checks each with fstat(2) (never through /proc, which may be
//! the image's by then), makes them close-on-exec again and removes the
//! variable, so neither the fds nor the variable reach the command.
//!
//! A later process never opens an input itself: a key that is not in the
//! table is an error, as it would mean reading a path in the new root.

use crate::{Cannot, Result};
use nix::fcntl::{fcntl, FcntlArg, FdFlag};
use std::collections::BTreeMap;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;

/// The variable that carries the table over an exec.
pub const VAR: &str = "SK_CHAIN_FDS";

struct Table {
    /// Whether this process was entered by an exec from an earlier link.
    inherited: bool,
    fds: BTreeMap<String, OwnedFd>,
    done: Vec<String>,
    start: usize,
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    inherited: false,
    fds: BTreeMap::new(),
    done: Vec::new(),
    start: 0,
});

fn table() -> std::sync::MutexGuard<'static, Table> {
    TABLE.lock().unwrap_or_else(|e| e.into_inner())
}

fn hex(s: &str) -> String {
    hex_bytes(s.as_bytes())
}

fn hex_bytes(s: &[u8]) -> String {
    s.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<String> {
    String::from_utf8(unhex_bytes(s)?).ok()
}

fn identity(fd: BorrowedFd<'_>) -> Result<(u64, u64)> {
    let st = nix::sys::stat::fstat(fd).cannot("check a descriptor handed down by the chain")?;
    Ok((st.st_dev, st.st_ino))
}

/// Reads the table an earlier link handed down, if any. Returns the index
/// of the link this process starts at (0 for a chain's first process).
pub fn take_inherited() -> Result<usize> {
    let Some(text) = std::env::var_os(VAR) else {
        return Ok(0);
    };
    std::env::remove_var(VAR);
    let text = text
        .into_string()
        .map_err(|_| anyhow::anyhow!("cannot read {VAR}: not text"))?;
    let mut t = table();
    t.inherited = true;
    for entry in text.split_whitespace() {
        let bad = || anyhow::anyhow!("cannot read {VAR}: malformed entry {entry:?}");
        if let Some(n) = entry.strip_prefix("start=") {
            t.start = n.parse().map_err(|_| bad())?;
            continue;
        }
        if let Some(k) = entry.strip_prefix("done=") {
            t.done.push(unhex(k).ok_or_else(bad)?);
            continue;
        }
        let parts: Vec<&str> = entry.split(':').collect();
        let [key, fd, dev, ino] = parts[..] else {
            return Err(bad());
        };
        let key = unhex(key).ok_or_else(bad)?;
        let fd: RawFd = fd.parse().map_err(|_| bad())?;
        let want: (u64, u64) = (
            dev.parse().map_err(|_| bad())?,
            ino.parse().map_err(|_| bad())?,
        );
        if fd < 3 || fcntl(unsafe { BorrowedFd::borrow_raw(fd) }, FcntlArg::F_GETFD).is_err() {
            anyhow::bail!("cannot use the descriptor {fd} handed down by the chain: not open");
        }
        // SAFETY: checked open above; the table owns it from now on.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        if identity(owned.as_fd())? != want {
            anyhow::bail!("cannot use the descriptor {fd} handed down by the chain: it changed");
        }
        fcntl(&owned, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))
            .cannot("make a handed-down descriptor close-on-exec")?;
        t.fds.insert(key, owned);
    }
    Ok(t.start)
}

/// Whether this process was entered from an earlier link by an exec.
pub fn inherited() -> bool {
    table().inherited
}

/// The fd registered under `key`: opened by `open` in a chain's first
/// process, taken from the table in a later one. Returns a duplicate, for
/// the caller to own.
pub fn open(key: &str, open: impl FnOnce() -> Result<OwnedFd>) -> Result<OwnedFd> {
    let mut t = table();
    if let Some(fd) = t.fds.get(key) {
        return fd.try_clone().cannot("duplicate a descriptor");
    }
    if t.inherited {
        anyhow::bail!("cannot open {key}: it was not opened before the chain's first step");
    }
    let fd = open()?;
    let dup = fd.try_clone().cannot("duplicate a descriptor")?;
    t.fds.insert(key.to_string(), fd);
    Ok(dup)
}

/// Registers an fd made while the chain runs (a supervisor's socket), for a
/// later real exec to hand down.
pub fn register(key: &str, fd: &OwnedFd) -> Result<()> {
    let dup = fd.try_clone().cannot("duplicate a descriptor")?;
    table().fds.insert(key.to_string(), dup);
    Ok(())
}

/// The fd registered under `key`, if any (a duplicate).
pub fn get(key: &str) -> Option<OwnedFd> {
    table().fds.get(key).and_then(|fd| fd.try_clone().ok())
}

/// Runs `action` once per chain: in a later process it was done already
/// (or the chain would not have got there), and it is not done again.
pub fn once(key: &str, action: impl FnOnce() -> Result<()>) -> Result<()> {
    let t = table();
    if t.done.iter().any(|k| k == key) {
        return Ok(());
    }
    if t.inherited {
        anyhow::bail!("cannot {key}: not done before the chain's first step");
    }
    drop(t);
    action()?;
    table().done.push(key.to_string());
    Ok(())
}

/// Makes the table inheritable and returns the variable's value for an exec
/// that enters link `start`. The fds stay open in this process, which is
/// about to be replaced.
pub fn export(start: usize) -> Result<String> {
    let t = table();
    let mut out = format!("start={start}");
    for k in &t.done {
        out.push_str(&format!(" done={}", hex(k)));
    }
    for (key, fd) in &t.fds {
        fcntl(fd, FcntlArg::F_SETFD(FdFlag::empty()))
            .cannot("hand a descriptor down to the next link")?;
        let (dev, ino) = identity(fd.as_fd())?;
        out.push_str(&format!(" {}:{}:{dev}:{ino}", hex(key), fd.as_raw_fd()));
    }
    Ok(out)
}

/// What a step that stays in this process (sk-cgroup without --rm) undoes
/// when a later link fails: its own code does it when the failure comes
/// back to it, but after a real exec between links nothing comes back. So
/// it is also written down here, as fds of the table, and the process
/// entered by the exec undoes it ([`undo`]). Doing it twice is harmless.
pub enum Undo<'a> {
    /// Write this process's pid to `cgroup.procs` of this cgroup directory.
    Leave(&'a OwnedFd),
    /// Remove the directory `name` of this directory.
    Rmdir(&'a OwnedFd, &'a std::ffi::OsStr),
}

pub fn on_failure(what: Undo<'_>) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let n = table()
        .fds
        .keys()
        .filter(|k| k.starts_with("undo:"))
        .count();
    let (key, fd) = match what {
        Undo::Leave(fd) => (format!("undo:{n:04}:leave"), fd),
        Undo::Rmdir(fd, name) => (
            format!("undo:{n:04}:rmdir:{}", hex_bytes(name.as_bytes())),
            fd,
        ),
    };
    register(&key, fd)
}

/// In a process entered by a real exec, when the chain fails: what the
/// earlier processes' steps wrote down with [`on_failure`]; the leaves
/// first, then the directories, the last made first. Errors are ignored
/// (this is the clean-up after another error).
pub fn undo() {
    use std::io::Write;
    let t = table();
    if !t.inherited {
        return;
    }
    let pid = std::process::id().to_string();
    for fd in t
        .fds
        .iter()
        .filter(|(k, _)| k.ends_with(":leave"))
        .map(|(_, fd)| fd)
    {
        if let Ok(f) = nix::fcntl::openat(
            fd,
            "cgroup.procs",
            nix::fcntl::OFlag::O_WRONLY | nix::fcntl::OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        ) {
            let _ = std::fs::File::from(f).write_all(pid.as_bytes());
        }
    }
    for (key, fd) in t.fds.iter().rev() {
        let Some(name) = key
            .strip_prefix("undo:")
            .and_then(|k| k.split_once(":rmdir:"))
            .and_then(|(_, hexname)| unhex_bytes(hexname))
        else {
            continue;
        };
        let name: std::ffi::OsString = std::os::unix::ffi::OsStringExt::from_vec(name);
        let _ = nix::unistd::unlinkat(fd, name.as_os_str(), nix::unistd::UnlinkatFlags::RemoveDir);
    }
}

fn unhex_bytes(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Closes every fd of the table: the command gets none of them.
pub fn close_all() {
    table().fds.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_survive_the_variable() {
        for k in ["/tmp/a b", "seccomp-ctl:2", "", "é"] {
            assert_eq!(unhex(&hex(k)).as_deref(), Some(k));
        }
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("abc"), None);
    }
}
