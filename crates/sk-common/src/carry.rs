//! The chain's own tools travel with it across `sk-pivot`.
//!
//! After `sk-pivot ROOT sk-capdrop ... /bin/sh`, the next link would be
//! looked up in ROOT: the tools are usually not there, and if an untrusted
//! image shipped its own `sk-capdrop`, the chain would run *that*, as root
//! with every capability. So before the pivot, sk-pivot copies each seckun
//! tool named in the rest of the chain into a sealed memfd (a read-only,
//! pathless copy: no way back to the host's filesystem through it) and
//! lists them in `SK_CARRIED`. Every tool's exec prefers a carried tool to
//! a PATH search, and before it executes anything that is not a carried
//! tool it closes the memfds and removes the variable, so neither reaches
//! the command.

use crate::error::{Cannot, Result};
use crate::verbose;
use nix::fcntl::{fcntl, FcntlArg, SealFlag};
use nix::sys::memfd::{memfd_create, MFdFlags};
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The environment variable that lists carried tools: one `FD WORD` a line.
pub const VAR: &str = "SK_CARRIED";

/// The seckun tools, by the names a chain uses.
pub const TOOLS: [&str; 6] = [
    "sk-unshare",
    "sk-pivot",
    "sk-cgroup",
    "sk-capdrop",
    "sk-seccomp",
    "sk-aaexec",
];

/// Whether `word` names a seckun tool (by its file name).
pub fn is_tool_word(word: &OsStr) -> bool {
    let base = Path::new(word).file_name().unwrap_or(word);
    TOOLS.iter().any(|t| OsStr::new(t) == base)
}

/// The carried tools inherited from the previous link: word -> fd.
fn inherited() -> BTreeMap<OsString, RawFd> {
    let mut map = BTreeMap::new();
    let Some(text) = std::env::var_os(VAR) else {
        return map;
    };
    for line in text.as_bytes().split(|b| *b == b'\n') {
        let Some(space) = line.iter().position(|b| *b == b' ') else {
            continue;
        };
        let Some(fd) = std::str::from_utf8(&line[..space])
            .ok()
            .and_then(|s| s.parse::<RawFd>().ok())
        else {
            continue;
        };
        // Only a descriptor that really is one of our memfds counts.
        let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap_or_default();
        if link.as_os_str().as_bytes().starts_with(b"/memfd:sk-") {
            map.insert(OsStr::from_bytes(&line[space + 1..]).to_owned(), fd);
        }
    }
    map
}

fn encode(map: &BTreeMap<OsString, RawFd>) -> OsString {
    let mut out = Vec::new();
    for (word, fd) in map {
        if !out.is_empty() {
            out.push(b'\n');
        }
        out.extend_from_slice(fd.to_string().as_bytes());
        out.push(b' ');
        out.extend_from_slice(word.as_bytes());
    }
    OsString::from(std::ffi::OsStr::from_bytes(&out))
}

/// Where a tool word points on the host: a path as given, else the
/// directory of the running tool, else PATH.
fn host_binary(word: &OsStr) -> Option<PathBuf> {
    if word.as_bytes().contains(&b'/') {
        return Some(PathBuf::from(word)).filter(|p| p.is_file());
    }
    if let Ok(me) = std::fs::read_link("/proc/self/exe") {
        let sibling = me.with_file_name(word);
        if sibling.is_file() {
            return Some(sibling);
        }
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(word))
        .find(|p| p.is_file())
}

/// Copies `path` into a sealed memfd that survives exec.
fn sealed_copy(word: &OsStr, path: &Path) -> Result<OwnedFd> {
    let name = Path::new(word).file_name().unwrap_or(word).to_owned();
    // Deliberately without MFD_CLOEXEC: it must reach the next tool.
    let fd = memfd_create(name.as_os_str(), MFdFlags::MFD_ALLOW_SEALING)
        .cannot_with(|| format!("create a memfd for {}", path.display()))?;
    let mut dst = std::fs::File::from(fd);
    let mut src = std::fs::File::open(path).cannot_with(|| format!("open {}", path.display()))?;
    std::io::copy(&mut src, &mut dst).cannot_with(|| format!("copy {}", path.display()))?;
    let seals = SealFlag::F_SEAL_WRITE
        | SealFlag::F_SEAL_GROW
        | SealFlag::F_SEAL_SHRINK
        | SealFlag::F_SEAL_SEAL;
    fcntl(&dst, FcntlArg::F_ADD_SEALS(seals))
        .cannot_with(|| format!("seal the copy of {}", path.display()))?;
    Ok(OwnedFd::from(dst))
}

/// Called by sk-pivot before the pivot: carries every seckun tool that the
/// rest of the chain names and that is not carried yet.
pub fn carry_tools(tail: &[OsString]) -> Result<()> {
    let mut map = inherited();
    for word in tail.iter().filter(|w| is_tool_word(w)) {
        if map.contains_key(word) {
            continue;
        }
        let Some(path) = host_binary(word) else {
            continue;
        };
        let fd = sealed_copy(word, &path)?;
        verbose!(
            "carrying {} ({}) across the pivot",
            word.to_string_lossy(),
            path.display()
        );
        map.insert(word.clone(), fd.into_raw_fd());
    }
    if !map.is_empty() {
        std::env::set_var(VAR, encode(&map));
    }
    Ok(())
}

/// The carried copy of `argv0`, if the chain carries it.
pub fn fd_for(argv0: &OsStr) -> Option<RawFd> {
    inherited().get(argv0).copied()
}

/// Before executing anything that is not a carried tool: close the copies
/// and forget the variable, so neither reaches the command.
pub fn drop_all() {
    for (_, fd) in inherited() {
        // SAFETY: the fd was listed by us and verified to be our memfd; it
        // is not otherwise owned in this process.
        drop(unsafe { OwnedFd::from_raw_fd(fd) });
    }
    std::env::remove_var(VAR);
}
