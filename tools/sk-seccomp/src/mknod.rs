//! mknod(2) on behalf of a notified caller, as the caller would see it.
//!
//! The caller's path means something only in its own mount namespace,
//! root and working directory, so a helper process joins the caller's
//! mount namespace, takes its root (chroot, so that `..` and symlinks stay
//! inside) and its working directory (or mknodat's directory), and takes
//! its fsuid, fsgid and umask, then makes the node. The handles on the
//! caller are opened first and checked with notify_id_valid before any use:
//! the pid in a notification may have been reused by another process.

use crate::notify::{encode_dev, Mknod};
use libseccomp::notify_id_valid;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sched::CloneFlags;
use nix::sys::stat::{Mode, SFlag};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::ForkResult;
use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The longest path read from the caller.
const PATH_MAX: usize = 4096;

/// Reads a NUL-terminated string at `addr` in process `pid`.
pub fn read_path(pid: u32, addr: u64) -> Result<CString, Errno> {
    let mem = std::fs::File::open(format!("/proc/{pid}/mem")).map_err(io_errno)?;
    let mut out = Vec::new();
    let mut at = addr;
    while out.len() < PATH_MAX {
        // Up to the end of the page, so that a string near the end of the
        // caller's mapping can be read.
        let chunk = (4096 - (at % 4096)) as usize;
        let mut buf = vec![0u8; chunk.min(PATH_MAX - out.len())];
        let n = mem.read_at(&mut buf, at).map_err(io_errno)?;
        if n == 0 {
            return Err(Errno::EFAULT);
        }
        if let Some(end) = buf[..n].iter().position(|b| *b == 0) {
            out.extend_from_slice(&buf[..end]);
            return CString::new(out).map_err(|_| Errno::EINVAL);
        }
        out.extend_from_slice(&buf[..n]);
        at += n as u64;
    }
    Err(Errno::ENAMETOOLONG)
}

fn io_errno(e: std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}

/// The caller's credentials for file creation.
struct Creds {
    fsuid: u32,
    fsgid: u32,
    umask: u32,
}

fn creds(pid: u32) -> Result<Creds, Errno> {
    let status = procfs::process::Process::new(pid as i32)
        .and_then(|p| p.status())
        .map_err(|_| Errno::ESRCH)?;
    Ok(Creds {
        fsuid: status.fuid,
        fsgid: status.fgid,
        umask: status.umask.unwrap_or(0o022),
    })
}

fn open_path(path: &str) -> Result<OwnedFd, Errno> {
    sk_common::fd::open(
        Path::new(path),
        OFlag::O_PATH | OFlag::O_DIRECTORY,
        Mode::empty(),
    )
}

/// Makes the node `path` for the caller `pid` of notification `id`.
pub fn make_node(
    listener: i32,
    id: u64,
    pid: u32,
    call: &Mknod,
    path: &CString,
) -> Result<(), Errno> {
    let mnt = sk_common::fd::open(
        Path::new(&format!("/proc/{pid}/ns/mnt")),
        OFlag::O_RDONLY,
        Mode::empty(),
    )?;
    let root = open_path(&format!("/proc/{pid}/root"))?;
    let base = match call.dirfd {
        None => open_path(&format!("/proc/{pid}/cwd"))?,
        Some(fd) => open_path(&format!("/proc/{pid}/fd/{fd}"))?,
    };
    let creds = creds(pid)?;
    // From here on the handles are known to be the caller's.
    notify_id_valid(listener, id).map_err(|_| Errno::ESRCH)?;

    // SAFETY: the supervisor is single-threaded; the helper only makes
    // system calls and exits.
    match unsafe { nix::unistd::fork() }? {
        ForkResult::Child => {
            let code = match in_callers_view(&mnt, &root, &base, &creds, call, path) {
                Ok(()) => 0,
                Err(e) => e as i32,
            };
            sk_common::exit::exit(code)
        }
        ForkResult::Parent { child } => loop {
            match waitpid(child, None) {
                Ok(WaitStatus::Exited(_, 0)) => return Ok(()),
                Ok(WaitStatus::Exited(_, code)) => return Err(Errno::from_raw(code)),
                Ok(_) => return Err(Errno::EPERM),
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
            }
        },
    }
}

/// In the helper: the caller's mount namespace, root, directory and
/// credentials, then mknod.
fn in_callers_view(
    mnt: &OwnedFd,
    root: &OwnedFd,
    base: &OwnedFd,
    creds: &Creds,
    call: &Mknod,
    path: &CString,
) -> Result<(), Errno> {
    nix::sched::setns(mnt, CloneFlags::CLONE_NEWNS)?;
    nix::unistd::fchdir(root)?;
    nix::unistd::chroot(".")?;
    nix::unistd::fchdir(base)?;
    nix::sys::stat::umask(Mode::from_bits_truncate(creds.umask as libc::mode_t));
    // setfsgid/setfsuid report the previous id, never an error.
    // SAFETY: plain system calls.
    unsafe {
        libc::setfsgid(creds.fsgid);
        libc::setfsuid(creds.fsuid);
    }
    let kind = SFlag::from_bits_truncate(call.mode & libc::S_IFMT);
    let perm = Mode::from_bits_truncate(call.mode & 0o7777);
    let (major, minor) = call.dev;
    nix::sys::stat::mknod(path.as_c_str(), kind, perm, encode_dev(major, minor))
}
