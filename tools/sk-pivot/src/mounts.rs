//! The mounts the user asks for (--bind, --ro-bind, --tmpfs, --resolv) and
//! the read-only remount they and the other steps share. All of them act
//! before the pivot, while SRC still names a host path; DST is resolved
//! inside NEWROOT (see resolve.rs).

use crate::cli::UserMount;
use crate::resolve::{fd_path, is_dir, Root};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::mount::{mount, MsFlags};
use nix::sys::stat::Mode;
use nix::sys::statvfs::{fstatvfs, FsFlags};
use sk_common::{fd, verbose, Cannot, Result};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;

/// The flags of the mount `fd` is on that a remount must repeat: in a user
/// namespace the kernel refuses a remount that would drop nosuid, nodev or
/// noexec (they are locked), and elsewhere dropping them would be a quiet
/// loosening.
fn kept_flags(fd: &OwnedFd) -> nix::Result<MsFlags> {
    let have = fstatvfs(fd)?.flags();
    let mut keep = MsFlags::empty();
    for (st, ms) in [
        (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
        (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
    ] {
        if have.contains(st) {
            keep |= ms;
        }
    }
    Ok(keep)
}

/// Remounts the mount on top of `fd` read-only, keeping its other flags.
/// `fd` must have been opened after that mount was made.
pub fn remount_read_only(fd: &OwnedFd, shown: &str) -> Result<()> {
    let keep = kept_flags(fd).cannot_with(|| format!("read the mount flags of {shown}"))?;
    mount(
        None::<&str>,
        fd_path(fd).as_str(),
        None::<&str>,
        MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY | keep,
        None::<&str>,
    )
    .cannot_with(|| format!("remount {shown} read-only"))
}

/// struct mount_attr of mount_setattr(2), which libc does not define.
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}
const MOUNT_ATTR_RDONLY: u64 = 0x1;

/// Makes the mount on top of `fd` and every mount below it read-only:
/// a remount reaches only one mount, and a recursive bind brings its
/// submounts along. mount_setattr(2) (Linux 5.12) does the whole tree in
/// one call; an older kernel gets the top mount only.
fn make_tree_read_only(fd: &OwnedFd, shown: &str) -> Result<()> {
    let attr = MountAttr {
        attr_set: MOUNT_ATTR_RDONLY,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: the path is a valid C string, attr lives across the call and
    // its size is passed.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            fd.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH | libc::AT_RECURSIVE,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    match Errno::result(rc) {
        Ok(_) => Ok(()),
        Err(Errno::ENOSYS) => {
            verbose!("no mount_setattr(2): only the top mount of {shown} is read-only");
            remount_read_only(fd, shown)
        }
        Err(e) => Err(e).cannot_with(|| format!("make {shown} read-only")),
    }
}

/// Bind-mounts the host's `src` (recursively) on `dst` inside NEWROOT.
pub fn bind(root: &Root, src: &Path, dst: &Path, read_only: bool) -> Result<()> {
    let shown = root.show(dst);
    let source = fd::open(src, OFlag::O_PATH, Mode::empty())
        .cannot_with(|| format!("bind {}", src.display()))?;
    let target = if is_dir(&source).cannot_with(|| format!("stat {}", src.display()))? {
        root.ensure_dir(dst)?
    } else {
        root.ensure_file(dst)?
    };
    mount(
        Some(fd_path(&source).as_str()),
        fd_path(&target).as_str(),
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .cannot_with(|| format!("bind {} on {shown}", src.display()))?;
    if read_only {
        // Reopened: the old descriptor is on the mount point, not the mount.
        let mounted = root.open(dst).cannot_with(|| format!("open {shown}"))?;
        make_tree_read_only(&mounted, &shown)?;
    }
    verbose!(
        "bound {} on {shown}{}",
        src.display(),
        if read_only { ", read-only" } else { "" }
    );
    Ok(())
}

/// Mounts a tmpfs on `dst` inside NEWROOT.
pub fn tmpfs(root: &Root, dst: &Path, options: &str, flags: MsFlags) -> Result<()> {
    let shown = root.show(dst);
    let target = root.ensure_dir(dst)?;
    mount(
        Some("tmpfs"),
        fd_path(&target).as_str(),
        Some("tmpfs"),
        flags,
        Some(options),
    )
    .cannot_with(|| format!("mount tmpfs on {shown}"))?;
    verbose!("mounted tmpfs ({options}) on {shown}");
    Ok(())
}

pub fn apply(root: &Root, mounts: &[UserMount]) -> Result<()> {
    for m in mounts {
        match m {
            UserMount::Bind {
                src,
                dst,
                read_only,
            } => bind(root, src, dst, *read_only)?,
            UserMount::Tmpfs { dst, options } => {
                tmpfs(root, dst, options, MsFlags::MS_NOSUID | MsFlags::MS_NODEV)?
            }
        }
    }
    Ok(())
}

/// `--resolv`: the host's name servers, read-only.
pub fn resolv_conf(root: &Root) -> Result<()> {
    bind(
        root,
        Path::new("/etc/resolv.conf"),
        Path::new("/etc/resolv.conf"),
        true,
    )
}
