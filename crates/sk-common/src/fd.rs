//! Everything a tool opens for itself is close-on-exec, so no fd of a tool
//! reaches the command. Rust's std already opens that way; these helpers
//! are for the nix calls that take raw flags.

use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use std::os::fd::OwnedFd;
use std::path::Path;

/// open(2) with O_CLOEXEC always added.
pub fn open(path: &Path, flags: OFlag, mode: Mode) -> nix::Result<OwnedFd> {
    nix::fcntl::open(path, flags | OFlag::O_CLOEXEC, mode)
}

/// openat2(2), asked again while the kernel answers EAGAIN. With `..` or
/// RESOLVE_IN_ROOT/RESOLVE_BENEATH, a walk that raced with any mount or
/// rename anywhere on the system is refused with EAGAIN, to be retried
/// (openat2(2)); on a busy host that is an ordinary event, not an error.
/// After 1000 refusals in a row, EAGAIN is the answer.
pub fn openat2<P: ?Sized + nix::NixPath>(
    dir: impl std::os::fd::AsFd,
    path: &P,
    how: nix::fcntl::OpenHow,
) -> nix::Result<OwnedFd> {
    let dir = dir.as_fd();
    let mut left = 1000;
    loop {
        match nix::fcntl::openat2(dir, path, how) {
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) if left > 0 => left -= 1,
            other => return other,
        }
    }
}

/// Makes every close-on-exec fd of this process, but 0-2 and those in
/// `keep`, a harmless one: an eventfd, which names no file and no
/// directory. Called just before the command's execve.
///
/// The kernel closes close-on-exec fds only once the new program is
/// committed, after it has resolved the command's path, its `#!`
/// interpreter and its ELF interpreter, all of which the root may choose.
/// Through /proc/self/fd/N a path could start from any fd the chain holds
/// (a directory of the host, the caller's /proc) and leave the root.
/// Every close-on-exec fd was opened by the chain itself (the caller's went
/// at the chain's own execve). They are replaced, not closed, because Rust
/// objects still own them and will close them if the chain fails first.
pub fn neutralize_cloexec(keep: &[std::os::fd::RawFd]) -> crate::Result<()> {
    use crate::Cannot;
    // SAFETY: eventfd(2) takes two integers and returns a new fd.
    let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
    if raw < 0 {
        return Err(nix::errno::Errno::last()).cannot("create an eventfd");
    }
    // SAFETY: the kernel just gave us this fd.
    let placeholder = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(raw) };
    let open = match listed_fds() {
        Some(fds) => fds,
        None => probed_fds()?,
    };
    for fd in open {
        if fd <= 2 || fd == raw || keep.contains(&fd) {
            continue;
        }
        // SAFETY: F_GETFD and dup3 on an fd number; a replaced fd keeps its
        // number, so its owner still owns an open fd.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        if flags < 0 || flags & libc::FD_CLOEXEC == 0 {
            continue;
        }
        // SAFETY: as above.
        if unsafe { libc::dup3(raw, fd, libc::O_CLOEXEC) } < 0 {
            // Above RLIMIT_NOFILE (lowered by sk-rlimit since the fd was
            // opened) no fd can be put in its place, nor will one be made
            // there: closing it is as safe.
            // SAFETY: close on an fd number that is close-on-exec anyway.
            if nix::errno::Errno::last() != nix::errno::Errno::EBADF
                || unsafe { libc::close(fd) } < 0
            {
                return Err(nix::errno::Errno::last()).cannot("close the chain's own fds");
            }
        }
    }
    drop(placeholder);
    Ok(())
}

/// The open fds, from /proc/self/fd when /proc of the current root is a
/// procfs that shows this process (the kernel's word: no mount crossed, no
/// magic link followed); None otherwise.
fn listed_fds() -> Option<Vec<std::os::fd::RawFd>> {
    use nix::fcntl::{OpenHow, ResolveFlag};
    let proc = crate::inroot::open(Path::new("/proc"), OFlag::O_PATH | OFlag::O_DIRECTORY).ok()?;
    let fs = nix::sys::statfs::fstatfs(&proc).ok()?;
    if fs.filesystem_type() != nix::sys::statfs::PROC_SUPER_MAGIC {
        return None;
    }
    let how = OpenHow::new()
        .flags(OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC)
        .resolve(
            ResolveFlag::RESOLVE_BENEATH
                | ResolveFlag::RESOLVE_NO_MAGICLINKS
                | ResolveFlag::RESOLVE_NO_XDEV,
        );
    let dir = self::openat2(&proc, "self/fd", how).ok()?;
    let mut dir = nix::dir::Dir::from_fd(dir).ok()?;
    let own = std::os::fd::AsRawFd::as_raw_fd(&dir);
    let fds = dir
        .iter()
        .filter_map(|e| e.ok()?.file_name().to_str().ok()?.parse().ok())
        .filter(|&fd| fd != own)
        .collect();
    Some(fds)
}

/// The open fds, asked one by one up to the fd limit (at most 2^20):
/// without a procfs to list them. (Not poll(2): it takes an O_PATH fd for
/// a closed one.)
fn probed_fds() -> crate::Result<Vec<std::os::fd::RawFd>> {
    use crate::Cannot;
    let limit = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .cannot("read the fd limit")?
        .0
        .min(1 << 20) as i32;
    // SAFETY: F_GETFD on an fd number only reads its flags.
    Ok((0..limit)
        .filter(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn open_fds_are_listed_and_probed_alike() {
        let dir = open(
            Path::new("/"),
            OFlag::O_PATH | OFlag::O_DIRECTORY,
            Mode::empty(),
        )
        .unwrap();
        let listed = listed_fds().expect("/proc is procfs here");
        let probed = probed_fds().unwrap();
        assert!(listed.contains(&dir.as_raw_fd()), "{listed:?}");
        assert!(probed.contains(&dir.as_raw_fd()), "{probed:?}");
        assert!(probed.contains(&0) || !listed.contains(&0));
    }
}
