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
const MOUNT_ATTR_NODEV: u64 = 0x4;

/// A flag to set on a whole mount tree.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TreeFlag {
    ReadOnly,
    NoDev,
}

impl TreeFlag {
    fn attr(self) -> u64 {
        match self {
            TreeFlag::ReadOnly => MOUNT_ATTR_RDONLY,
            TreeFlag::NoDev => MOUNT_ATTR_NODEV,
        }
    }

    fn ms(self) -> MsFlags {
        match self {
            TreeFlag::ReadOnly => MsFlags::MS_RDONLY,
            TreeFlag::NoDev => MsFlags::MS_NODEV,
        }
    }

    fn what(self) -> &'static str {
        match self {
            TreeFlag::ReadOnly => "read-only",
            TreeFlag::NoDev => "nodev",
        }
    }
}

/// Sets `flag` on the mount on top of `fd` and on every mount below it:
/// a remount reaches only one mount, and a recursive bind brings its
/// submounts along. mount_setattr(2) (Linux 5.12) does the whole tree in
/// one call; an older kernel gets the top mount only.
pub fn set_tree_flag(fd: &OwnedFd, shown: &str, flag: TreeFlag) -> Result<()> {
    let attr = MountAttr {
        attr_set: flag.attr(),
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
            verbose!(
                "no mount_setattr(2): only the top mount of {shown} is {}",
                flag.what()
            );
            remount_with(fd, shown, flag)
        }
        Err(e) => Err(e).cannot_with(|| format!("make {shown} {}", flag.what())),
    }
}

/// Remounts the mount on top of `fd` with `flag` added to its own.
fn remount_with(fd: &OwnedFd, shown: &str, flag: TreeFlag) -> Result<()> {
    let keep = kept_flags(fd).cannot_with(|| format!("read the mount flags of {shown}"))?;
    let ro = if fstatvfs(fd)
        .map(|s| s.flags().contains(FsFlags::ST_RDONLY))
        .unwrap_or(false)
    {
        MsFlags::MS_RDONLY
    } else {
        MsFlags::empty()
    };
    mount(
        None::<&str>,
        fd_path(fd).as_str(),
        None::<&str>,
        MsFlags::MS_REMOUNT | MsFlags::MS_BIND | keep | ro | flag.ms(),
        None::<&str>,
    )
    .cannot_with(|| format!("remount {shown} {}", flag.what()))
}

/// How a bind treats what it brings in.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct BindMode {
    pub read_only: bool,
    /// Device nodes under it open (no nodev): --dev-bind, the nodes of
    /// the minimal /dev, --dev-host.
    pub devices: bool,
}

/// Bind-mounts the host's `src` (recursively) on `dst` inside NEWROOT,
/// nodev unless `mode.devices`: a node on the host's filesystem (a disk,
/// /dev/mem, a kmsg made by an image) must not open inside.
pub fn bind(root: &Root, src: &Path, dst: &Path, mode: BindMode) -> Result<()> {
    let read_only = mode.read_only;
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
    if read_only || !mode.devices {
        // Reopened: the old descriptor is on the mount point, not the mount.
        let mounted = root.open(dst).cannot_with(|| format!("open {shown}"))?;
        if !mode.devices {
            set_tree_flag(&mounted, &shown, TreeFlag::NoDev)?;
        }
        if read_only {
            set_tree_flag(&mounted, &shown, TreeFlag::ReadOnly)?;
        }
    }
    verbose!(
        "bound {} on {shown}{}{}",
        src.display(),
        if read_only { ", read-only" } else { "" },
        if mode.devices {
            ", device nodes usable"
        } else {
            ", nodev"
        }
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
                devices,
            } => {
                let mode = BindMode {
                    read_only: *read_only,
                    devices: *devices,
                };
                bind(root, src, dst, mode)?
            }
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
        BindMode {
            read_only: true,
            devices: false,
        },
    )
}
