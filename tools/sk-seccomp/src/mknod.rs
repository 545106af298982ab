//! mknod(2) on behalf of a notified caller, as the caller would see it.
//!
//! The caller's path means something only in its own mount namespace,
//! root and working directory, so a thread of its own (`mount::in_namespace`)
//! joins the caller's mount namespace, takes its root (chroot, so that `..` and symlinks stay
//! inside) and its working directory (or mknodat's directory), and takes
//! its fsuid, fsgid and umask, then makes the node. The handles on the
//! caller are opened first and checked with notify_id_valid before any use:
//! the pid in a notification may have been reused by another process.

use crate::notify::{encode_dev, Mknod};
use libseccomp::notify_id_valid;
use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::{Mode, SFlag};
use sk_common::fd::openat2;
use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::path::Path;

/// Reads the NUL-terminated path at `addr` in process `pid` (see `memory`).
pub fn read_path(pid: u32, addr: u64) -> Result<CString, Errno> {
    crate::memory::Mem::open(pid)?
        .string(addr, crate::memory::PATH_MAX)
        .map_err(|e| {
            if e == Errno::E2BIG {
                Errno::ENAMETOOLONG
            } else {
                e
            }
        })
}

/// The caller's credentials for file creation.
struct Creds {
    fsuid: u32,
    fsgid: u32,
    umask: u32,
    /// Its effective capabilities (in its own user namespace).
    cap_eff: u64,
}

fn creds(pid: u32) -> Result<Creds, Errno> {
    let status = procfs::process::Process::new(pid as i32)
        .and_then(|p| p.status())
        .map_err(|_| Errno::ESRCH)?;
    Ok(Creds {
        fsuid: status.fuid,
        fsgid: status.fgid,
        umask: status.umask.unwrap_or(0o022),
        cap_eff: status.capeff,
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

    crate::mount::in_namespace(&mnt, || in_callers_view(&root, &base, &creds, call, path))
}

/// In a thread of its own, in the caller's mount namespace (its root,
/// directory, umask and fs ids die with it): the caller's root, directory
/// and credentials, then mknod.
fn in_callers_view(
    root: &OwnedFd,
    base: &OwnedFd,
    creds: &Creds,
    call: &Mknod,
    path: &CString,
) -> Result<(), Errno> {
    nix::unistd::fchdir(root)?;
    nix::unistd::chroot(".")?;
    nix::unistd::fchdir(base)?;
    nix::sys::stat::umask(Mode::from_bits_truncate(creds.umask as libc::mode_t));
    // setfsgid/setfsuid report the previous id, never an error; they
    // change this thread's credentials only.
    // SAFETY: plain system calls.
    unsafe {
        libc::setfsgid(creds.fsgid);
        libc::setfsuid(creds.fsuid);
    }
    // The node is the one thing the supervisor grants: the directory's
    // permissions are the caller's to pass. Its own overrides stay only
    // where the caller has them (this thread's sets only).
    use caps::{CapSet, Capability};
    for cap in [
        Capability::CAP_DAC_OVERRIDE,
        Capability::CAP_DAC_READ_SEARCH,
        Capability::CAP_FOWNER,
    ] {
        if creds.cap_eff & cap.bitmask() == 0 {
            caps::drop(None, CapSet::Effective, cap).map_err(|_| Errno::EPERM)?;
        }
    }
    let kind = SFlag::from_bits_truncate(call.mode & libc::S_IFMT);
    let perm = Mode::from_bits_truncate(call.mode & 0o7777);
    let (major, minor) = call.dev;
    let (dir, name) = parent_of(path)?;
    nix::sys::stat::mknodat(&dir, name.as_c_str(), kind, perm, encode_dev(major, minor))
}

/// The directory of `path`, opened as the caller would reach it but
/// without magic links (a /proc/self/fd/N in the caller's /proc could be
/// one of the supervisor's own descriptors), and the last component.
/// The chroot keeps `..` and absolute links inside the caller's root.
fn parent_of(path: &CString) -> Result<(OwnedFd, CString), Errno> {
    let bytes = path.as_bytes();
    let (dir, name) = match bytes.iter().rposition(|b| *b == b'/') {
        None => (&b"."[..], bytes),
        Some(0) => (&b"/"[..], &bytes[1..]),
        Some(i) => (&bytes[..i], &bytes[i + 1..]),
    };
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    let how = OpenHow::new()
        .flags(OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_NO_MAGICLINKS);
    let dir = CString::new(dir).expect("no NUL inside");
    let fd = openat2(nix::fcntl::AT_FDCWD, dir.as_c_str(), how)?;
    Ok((fd, CString::new(name).expect("no NUL inside")))
}
