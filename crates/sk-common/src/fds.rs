//! Inherited fds do not cross a filesystem boundary.
//!
//! An fd the caller left open (`7</` in a shell, a socket of a service
//! manager) would reach the command; a directory fd leads to the host's
//! files outside the new root (`cd /proc/self/fd/7`: runc's CVE-2024-21626
//! is this bug). So a chain that crosses a filesystem boundary (sk-pivot, a
//! mount-namespace join of sk-unshare) closes every inherited fd above 2
//! before the command, except the ones the user names (`--keep-fd N`) and
//! socket activation's (LISTEN_FDS, when LISTEN_PID named the chain), whose
//! LISTEN_PID is then set to the command's pid, as runc and systemd do. A
//! kept fd that is a directory outside the new root is refused unless
//! `--unsafe-keep-dir-fd` says otherwise.
//!
//! What the engine must call, and when:
//! - [`first_link`] once, at the start of the chain, before any fork: it
//!   notes whether LISTEN_PID names the chain (the pid changes with forks).
//! - [`cross_boundary`] in the link that crosses, right after the crossing
//!   (after pivot_root and the chdir, after setns(CLONE_NEWNS)): it checks
//!   the kept fds against the new root and records the request.
//! - [`before_exec`] in the process that executes the command, before the
//!   final execve (called by [`crate::exec::prepare_final`]): marks every
//!   other fd above 2 close-on-exec (close_range(2), Linux 5.11, else one
//!   fcntl per open fd) and fixes LISTEN_PID.
//! - [`close_all_now_except`] in a process that stays inside without exec (the
//!   minimal init), which close-on-exec would not help.

use crate::chain::State;
use crate::error::{Cannot, Result};
use crate::verbose;
use anyhow::bail;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::{fstat, Mode, SFlag};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

/// `--keep-fd` and its unsafe companion, for the links that cross a
/// filesystem boundary.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct KeepArgs {
    /// Let fd N reach the command (repeatable). Every other inherited fd
    /// above 2 is closed; socket activation's LISTEN_FDS pass by themselves
    #[arg(long = "keep-fd", value_name = "N", value_parser = parse_fd)]
    pub keep_fd: Vec<RawFd>,

    /// Allow a kept fd that is a directory outside the new root (UNSAFE: it
    /// leads the command to the host's files)
    #[arg(long)]
    pub unsafe_keep_dir_fd: bool,
}

fn parse_fd(s: &str) -> std::result::Result<RawFd, String> {
    match s.parse::<RawFd>() {
        Ok(n) if n > 2 => Ok(n),
        Ok(_) => Err(format!("fd {s}: 0, 1 and 2 always reach the command")),
        Err(_) => Err(format!("'{s}' is not an fd number")),
    }
}

/// At the chain's first link: socket activation meant for us.
pub fn first_link(state: &mut State) {
    let ours = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|p| p.parse::<i32>().ok())
        == Some(nix::unistd::getpid().as_raw());
    if ours {
        state.listen = std::env::var("LISTEN_FDS")
            .ok()
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| *n > 0 && *n < 4096);
    }
}

/// The link has crossed a filesystem boundary: checks every kept fd and
/// records that the rest are to be closed before the command.
pub fn cross_boundary(state: &mut State, keep: &KeepArgs) -> Result<()> {
    for &fd in &keep.keep_fd {
        // SAFETY: only fstat and openat relative to it; a closed fd fails.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let st = fstat(borrowed).cannot_with(|| format!("keep fd {fd}"))?;
        if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT != SFlag::S_IFDIR {
            continue;
        }
        if !outside_root(borrowed).cannot_with(|| format!("check kept fd {fd}"))? {
            continue;
        }
        if !keep.unsafe_keep_dir_fd {
            bail!(
                "cannot keep fd {fd}: it is a directory outside the new root, a way out to \
                 the host's files (--unsafe-keep-dir-fd allows it)"
            );
        }
        crate::warn!("fd {fd} is a directory outside the new root, kept as asked");
    }
    state.cross(&keep.keep_fd);
    verbose!(
        "every inherited fd above 2 will be closed before the command{}",
        if state.keep.is_empty() {
            String::new()
        } else {
            format!(", except {:?}", state.keep)
        }
    );
    Ok(())
}

/// [`cross_boundary`] on the chain's state as the links hand it on.
pub fn crossed(keep: &KeepArgs) -> Result<()> {
    let mut state = State::load();
    cross_boundary(&mut state, keep)?;
    state.store();
    Ok(())
}

/// Where a directory is: its mount (the same filesystem can be mounted in
/// two namespaces, with the same device and inode) and its inode.
fn place(dir: BorrowedFd) -> nix::Result<(u64, u64, u64)> {
    // SAFETY: statx of the fd itself (AT_EMPTY_PATH) into a zeroed struct.
    unsafe {
        let mut stx: libc::statx = std::mem::zeroed();
        let rc = libc::statx(
            dir.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            libc::STATX_INO | libc::STATX_MNT_ID,
            &mut stx,
        );
        Errno::result(rc)?;
        let dev = libc::makedev(stx.stx_dev_major, stx.stx_dev_minor);
        Ok((dev, stx.stx_ino, stx.stx_mnt_id))
    }
}

/// Whether directory `dir` is outside this process's root: walking `..`
/// from inside the root stops at the root; from outside it, at the top of
/// a tree the root is not (the detached old root after sk-pivot, the
/// caller's mount namespace after a join).
fn outside_root(dir: BorrowedFd) -> nix::Result<bool> {
    let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let slash = nix::fcntl::open("/", flags, Mode::empty())?;
    let root = place(slash.as_fd())?;
    let mut cur: OwnedFd = nix::fcntl::openat(dir, ".", flags, Mode::empty())?;
    for _ in 0..4096 {
        let here = place(cur.as_fd())?;
        if here == root {
            return Ok(false);
        }
        let up = nix::fcntl::openat(cur.as_fd(), "..", flags, Mode::empty())?;
        if place(up.as_fd())? == here {
            return Ok(true);
        }
        cur = up;
    }
    Err(Errno::ELOOP)
}

/// The fds that pass: the kept ones and socket activation's.
pub fn passing(state: &State) -> Vec<RawFd> {
    let mut fds = state.keep.clone();
    if let Some(n) = state.listen {
        fds.extend((0..n as RawFd).map(|i| 3 + i));
    }
    fds.sort_unstable();
    fds.dedup();
    fds
}

/// Before the final execve: every fd above 2 that does not pass becomes
/// close-on-exec (when a boundary was crossed), and LISTEN_PID names the
/// process that executes the command.
pub fn before_exec(state: &State) -> Result<()> {
    if state.close_fds {
        let pass = passing(state);
        mark_cloexec_except(&pass)?;
        verbose!("closing every inherited fd above 2 except {pass:?}");
    }
    if let Some(n) = state.listen {
        std::env::set_var("LISTEN_PID", nix::unistd::getpid().to_string());
        std::env::set_var("LISTEN_FDS", n.to_string());
    }
    Ok(())
}

/// close_range(first, last, flags), or ENOSYS.
fn close_range(first: u32, last: u32, flags: u32) -> nix::Result<()> {
    // SAFETY: a plain system call on fd numbers.
    let rc = unsafe { libc::syscall(libc::SYS_close_range, first, last, flags) };
    Errno::result(rc).map(drop)
}

/// Every fd above 2 except `keep` (sorted) gets FD_CLOEXEC.
fn mark_cloexec_except(keep: &[RawFd]) -> Result<()> {
    let mut from: u32 = 3;
    let mut gaps = Vec::new();
    for &k in keep.iter().filter(|k| **k >= 3) {
        if k as u32 > from {
            gaps.push((from, k as u32 - 1));
        }
        from = k as u32 + 1;
    }
    gaps.push((from, u32::MAX));
    for (a, b) in gaps {
        match close_range(a, b, libc::CLOSE_RANGE_CLOEXEC) {
            Ok(()) => {}
            Err(Errno::ENOSYS | Errno::EINVAL) => return cloexec_one_by_one(keep),
            Err(e) => return Err(e).cannot("mark inherited fds close-on-exec"),
        }
    }
    Ok(())
}

/// Without close_range: each open fd, as /proc/self/fd lists them.
fn cloexec_one_by_one(keep: &[RawFd]) -> Result<()> {
    let fds: Vec<RawFd> = std::fs::read_dir("/proc/self/fd")
        .cannot("list /proc/self/fd")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    for fd in fds.into_iter().filter(|f| *f > 2 && !keep.contains(f)) {
        // SAFETY: sets a flag on an fd number; EBADF for the listing's own.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok(())
}

/// Closes every fd above 2 but `keep` now, for a process that will not
/// exec (the minimal init), where close-on-exec would not help.
pub fn close_all_now_except(keep: RawFd) {
    let ranges = [(3, keep - 1), (keep + 1, RawFd::MAX)];
    for (a, b) in ranges.into_iter().filter(|(a, b)| a <= b) {
        if close_range(a as u32, b as u32, 0).is_err() {
            for fd in a..b.min(4096) {
                // SAFETY: closing fd numbers this process no longer needs.
                unsafe { libc::close(fd) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fd_numbers() {
        assert_eq!(parse_fd("7"), Ok(7));
        assert!(parse_fd("2").is_err());
        assert!(parse_fd("x").is_err());
    }

    #[test]
    fn listen_fds_pass_with_the_kept_ones() {
        let s = State {
            keep: vec![9, 4],
            listen: Some(2),
            ..Default::default()
        };
        assert_eq!(passing(&s), [3, 4, 9]);
    }

    #[test]
    fn a_directory_inside_the_root_is_not_outside() {
        let d = std::fs::File::open("/tmp").unwrap();
        assert!(!outside_root(d.as_fd()).unwrap());
    }
}
