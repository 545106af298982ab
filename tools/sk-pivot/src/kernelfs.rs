//! /proc and /sys inside NEWROOT.

use crate::mounts;
use crate::resolve::{fd_path, Root};
use anyhow::anyhow;
use nix::errno::Errno;
use nix::mount::{mount, MsFlags};
use sk_common::{verbose, Cannot, Result};
use std::path::Path;

const KERNEL_FS_FLAGS: MsFlags = MsFlags::MS_NOSUID
    .union(MsFlags::MS_NODEV)
    .union(MsFlags::MS_NOEXEC);

/// A fresh proc: it shows the pid namespace sk-pivot runs in, not the one
/// the caller's /proc was mounted from.
pub fn mount_proc(root: &Root) -> Result<()> {
    let inner = Path::new("/proc");
    let shown = root.show(inner);
    let target = root.ensure_dir(inner)?;
    match mount(
        Some("proc"),
        fd_path(&target).as_str(),
        Some("proc"),
        KERNEL_FS_FLAGS,
        None::<&str>,
    ) {
        Ok(()) => {
            verbose!("mounted a new proc on {shown}");
            Ok(())
        }
        // The kernel refuses a new proc when the visible one has parts
        // covered (mount_too_revealing): Docker and other runtimes mask
        // /proc paths, and a user namespace cannot see through them.
        Err(Errno::EPERM) => Err(anyhow!(
            "cannot mount proc on {shown}: Operation not permitted (is the surrounding /proc \
             masked, as inside Docker? The kernel then refuses a new proc: use --no-proc, or \
             an unmasked /proc. Inside a user namespace, proc also needs a pid namespace of \
             its own: sk-unshare -p)"
        )),
        Err(e) => Err(e).cannot_with(|| format!("mount proc on {shown}")),
    }
}

/// `--sys`: sysfs, read-only. A sysfs shows the network devices of the
/// network namespace it is mounted from, so in a user namespace the kernel
/// allows a new one only with a network namespace of that user namespace.
/// Without one, the caller's /sys is bound instead, read-only with all its
/// submounts (cgroups among them), as the next best thing.
pub fn mount_sys(root: &Root) -> Result<()> {
    let inner = Path::new("/sys");
    let shown = root.show(inner);
    let target = root.ensure_dir(inner)?;
    match mount(
        Some("sysfs"),
        fd_path(&target).as_str(),
        Some("sysfs"),
        KERNEL_FS_FLAGS | MsFlags::MS_RDONLY,
        None::<&str>,
    ) {
        Ok(()) => {
            verbose!("mounted sysfs read-only on {shown}");
            Ok(())
        }
        Err(Errno::EPERM) => {
            verbose!(
                "a new sysfs is not permitted here (no network namespace of our own): binding /sys"
            );
            mounts::bind(
                root,
                inner,
                inner,
                mounts::BindMode {
                    read_only: true,
                    devices: false,
                },
            )
        }
        Err(e) => Err(e).cannot_with(|| format!("mount sysfs on {shown}")),
    }
}
