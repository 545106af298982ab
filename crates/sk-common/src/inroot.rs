//! Paths that the user meant for inside the container (`sk-env -C DIR`,
//! `sk-pivot --chdir`, the image's /etc/passwd and /etc/group), looked up in
//! the CURRENT root: after sk-pivot, the image.
//!
//! The image is hostile. An ordinary path walk can never climb above the
//! process's root (`..` and absolute symlinks stop there), but a magic link
//! can: `/etc/passwd -> /proc/1/root/etc/shadow` or a `/proc/self/fd/N` of a
//! descriptor opened before the pivot leads to the host's files. Every such
//! path is therefore opened with openat2(2) RESOLVE_IN_ROOT and
//! RESOLVE_NO_MAGICLINKS from a descriptor of `/` (or of the current
//! directory for a relative path), and files are read with a size bound
//! from a descriptor that was checked to be a regular file (a FIFO would
//! block, a device would never end).

use crate::error::{Cannot, Result};
use crate::fd::openat2;
use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::{fstat, Mode, SFlag};
use nix::sys::statfs::{fstatfs, PROC_SUPER_MAGIC};
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

/// The resolve flags for every path inside the current root.
pub fn resolve_flags() -> ResolveFlag {
    ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS
}

/// Opens `path` inside the directory `root` (an fd of `/` normally), as the
/// process inside would see it but without magic links. A relative path is
/// taken from the current directory, with the same flags.
pub fn open_at(root: BorrowedFd<'_>, path: &Path, flags: OFlag) -> nix::Result<OwnedFd> {
    // openat2 refuses O_PATH with any flag but O_DIRECTORY, O_NOFOLLOW and
    // O_CLOEXEC; a device opened for reading must not become our terminal.
    let flags = if flags.contains(OFlag::O_PATH) {
        flags | OFlag::O_CLOEXEC
    } else {
        flags | OFlag::O_CLOEXEC | OFlag::O_NOCTTY
    };
    let how = OpenHow::new().flags(flags).resolve(resolve_flags());
    if path.is_absolute() {
        let rel = path.strip_prefix("/").unwrap_or(path);
        let rel = if rel.as_os_str().is_empty() {
            Path::new(".")
        } else {
            rel
        };
        openat2(root, rel, how)
    } else {
        // RESOLVE_IN_ROOT from the cwd would make the cwd a root for `..`;
        // a relative path keeps its ordinary meaning, minus magic links.
        let how = OpenHow::new()
            .flags(flags)
            .resolve(ResolveFlag::RESOLVE_NO_MAGICLINKS);
        openat2(nix::fcntl::AT_FDCWD, path, how)
    }
}

/// Opens `/` of this process (O_PATH), the start of every walk.
pub fn open_root(root: &Path) -> nix::Result<OwnedFd> {
    crate::fd::open(root, OFlag::O_PATH | OFlag::O_DIRECTORY, Mode::empty())
}

/// Opens `path` in the current root; see [`open_at`].
pub fn open(path: &Path, flags: OFlag) -> nix::Result<OwnedFd> {
    let root = open_root(Path::new("/"))?;
    open_at(root.as_fd(), path, flags)
}

/// Changes the working directory to `dir`, resolved inside the current root
/// (one implementation for `sk-env -C` and `sk-pivot --chdir`). A missing
/// directory, a link out of the root or a non-directory is an error.
pub fn chdir(dir: &Path) -> Result<()> {
    let fd = open(dir, OFlag::O_PATH | OFlag::O_DIRECTORY)
        .cannot_with(|| format!("chdir to {}", dir.display()))?;
    // fchdir checks search permission on the directory itself.
    nix::unistd::fchdir(&fd).cannot_with(|| format!("chdir to {}", dir.display()))
}

/// Opens FILE (e.g. `self/uid_map`) below `proc`, which must be procfs:
/// after sk-pivot, a /proc of the image that is a plain directory is
/// refused. The walk below it stays beneath it and follows no magic link.
pub fn open_proc(proc: &Path, file: &str, flags: OFlag) -> Result<std::fs::File> {
    let shown = format!("{}/{file}", proc.display());
    let dir = open(proc, OFlag::O_PATH | OFlag::O_DIRECTORY)
        .cannot_with(|| format!("open {}", proc.display()))?;
    let fs = fstatfs(&dir).cannot_with(|| format!("stat {}", proc.display()))?;
    if fs.filesystem_type() != PROC_SUPER_MAGIC {
        return Err(Errno::EINVAL)
            .cannot_with(|| format!("open {shown}: {} is not procfs", proc.display()));
    }
    let how = OpenHow::new()
        .flags(flags | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    let fd = openat2(&dir, file, how).cannot_with(|| format!("open {shown}"))?;
    Ok(std::fs::File::from(fd))
}

/// Reads a small file of procfs (at most 64 KiB); see [`open_proc`].
pub fn read_proc(proc: &Path, file: &str) -> Result<String> {
    let mut text = String::new();
    open_proc(proc, file, OFlag::O_RDONLY)?
        .take(64 * 1024)
        .read_to_string(&mut text)
        .cannot_with(|| format!("read {}/{file}", proc.display()))?;
    Ok(text)
}

/// Reads the regular file `path` of the root `root`, at most `limit` bytes:
/// anything larger is an error, never a truncated read.
pub fn read_bounded(root: BorrowedFd<'_>, path: &Path, limit: u64) -> Result<Vec<u8>> {
    let shown = path.display().to_string();
    // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
    let fd = open_at(root, path, OFlag::O_RDONLY | OFlag::O_NONBLOCK)
        .cannot_with(|| format!("open {shown}"))?;
    let st = fstat(&fd).cannot_with(|| format!("stat {shown}"))?;
    if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT != SFlag::S_IFREG {
        return Err(Errno::EINVAL)
            .cannot_with(|| format!("read {shown}: it is not a regular file"));
    }
    let mut data = Vec::new();
    std::fs::File::from(fd)
        .take(limit + 1)
        .read_to_end(&mut data)
        .cannot_with(|| format!("read {shown}"))?;
    if data.len() as u64 > limit {
        return Err(Errno::EFBIG)
            .cannot_with(|| format!("read {shown}: it is larger than {limit} bytes"));
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn temp() -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix("sk-common-inroot.")
            .tempdir()
            .unwrap()
    }

    #[test]
    fn reads_are_bounded_and_regular_files_only() {
        let t = temp();
        let root = open_root(t.path()).unwrap();
        std::fs::create_dir(t.path().join("etc")).unwrap();
        std::fs::write(t.path().join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
        let data = read_bounded(root.as_fd(), Path::new("/etc/passwd"), 100).unwrap();
        assert!(data.starts_with(b"root:"));
        let err = read_bounded(root.as_fd(), Path::new("/etc/passwd"), 10).unwrap_err();
        assert!(crate::error::describe(&err).contains("larger than 10 bytes"));
        nix::unistd::mkfifo(&t.path().join("etc/fifo"), Mode::from_bits_truncate(0o600)).unwrap();
        let err = read_bounded(root.as_fd(), Path::new("/etc/fifo"), 10).unwrap_err();
        assert!(crate::error::describe(&err).contains("not a regular file"));
        let err = read_bounded(root.as_fd(), Path::new("/etc"), 10).unwrap_err();
        assert!(crate::error::describe(&err).contains("not a regular file"));
    }

    #[test]
    fn links_stay_inside_and_magic_links_are_refused() {
        let t = temp();
        let root = open_root(t.path()).unwrap();
        std::fs::create_dir(t.path().join("etc")).unwrap();
        std::fs::write(t.path().join("inside"), "in").unwrap();
        // An absolute link resolves in the root, not on the host.
        symlink("/inside", t.path().join("etc/abs")).unwrap();
        symlink("../../../../../../inside", t.path().join("etc/up")).unwrap();
        assert_eq!(
            read_bounded(root.as_fd(), Path::new("/etc/abs"), 10).unwrap(),
            b"in"
        );
        assert_eq!(
            read_bounded(root.as_fd(), Path::new("/etc/up"), 10).unwrap(),
            b"in"
        );
        // From the real /, /proc/self/root is a magic link: refused.
        let slash = open_root(Path::new("/")).unwrap();
        let err = open_at(
            slash.as_fd(),
            Path::new("/proc/self/root/proc/self/status"),
            OFlag::O_RDONLY,
        )
        .unwrap_err();
        assert_eq!(err, Errno::ELOOP);
    }

    #[test]
    fn proc_files_only_from_procfs() {
        assert!(read_proc(Path::new("/proc"), "self/status")
            .unwrap()
            .contains("Uid:"));
        let t = temp();
        std::fs::create_dir_all(t.path().join("self")).unwrap();
        std::fs::write(t.path().join("self/uid_map"), "0 0 4294967295\n").unwrap();
        let err = read_proc(t.path(), "self/uid_map").unwrap_err();
        assert!(crate::error::describe(&err).contains("is not procfs"));
    }

    #[test]
    fn chdir_of_a_missing_directory_fails() {
        let err = chdir(Path::new("/no-such-directory-sk-common")).unwrap_err();
        assert_eq!(
            crate::error::describe(&err),
            "cannot chdir to /no-such-directory-sk-common: No such file or directory"
        );
    }
}
