//! Masked and read-only paths, as OCI runtimes set them: /proc shows
//! host-wide kernel state (kcore is the machine's memory, sysrq-trigger
//! reboots it, /proc/sys sets kernel parameters) that a pid namespace
//! does not scope. A path that does not exist is skipped when the kernel
//! has no such file either (it then has nothing to hide); a path that the
//! kernel's own /proc or /sys shows but the new root's does not is an error,
//! as it means the file system there is not the one sk-pivot mounted.

use crate::mounts::remount_read_only;
use crate::resolve::{fd_path, is_dir, Root};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::mount::{mount, MsFlags};
use nix::sys::stat::Mode;
use sk_common::{fd, verbose, Cannot, Result};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

/// Opens `inner`, or None when it does not exist, neither in NEWROOT nor
/// in the caller's (the kernel's) file system of that name, when sk-pivot
/// mounted one on it (`kernel_mounts`).
fn open_existing(root: &Root, inner: &Path, kernel_mounts: &[&Path]) -> Result<Option<OwnedFd>> {
    match root.open(inner) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::ENOENT) => {
            let ours = kernel_mounts.iter().any(|m| inner.starts_with(m));
            if ours && inner.symlink_metadata().is_ok() {
                anyhow::bail!(
                    "cannot mask {}: the kernel has {} but the new root's does not show it",
                    root.show(inner),
                    inner.display()
                );
            }
            Ok(None)
        }
        Err(e) => Err(root.open_error(e, inner)),
    }
}

/// Makes each of `paths` read-only: a bind of the path on itself (so that
/// the rest of its filesystem stays as it is), remounted read-only.
pub fn read_only(root: &Root, paths: &[PathBuf], kernel_mounts: &[&Path]) -> Result<()> {
    for inner in paths {
        let shown = root.show(inner);
        let Some(target) = open_existing(root, inner, kernel_mounts)? else {
            verbose!("{shown} does not exist: not made read-only");
            continue;
        };
        let at = fd_path(&target);
        mount(
            Some(at.as_str()),
            at.as_str(),
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )
        .cannot_with(|| format!("bind {shown} on itself"))?;
        let mounted = root.open(inner).cannot_with(|| format!("open {shown}"))?;
        remount_read_only(&mounted, &shown)?;
        verbose!("made {shown} read-only");
    }
    Ok(())
}

/// Covers each of `paths`: a file with the host's /dev/null, a directory
/// with an empty read-only tmpfs.
pub fn mask(root: &Root, paths: &[PathBuf], kernel_mounts: &[&Path]) -> Result<()> {
    if paths.is_empty() {
        return Ok(());
    }
    let null =
        fd::open(Path::new("/dev/null"), OFlag::O_PATH, Mode::empty()).cannot("open /dev/null")?;
    for inner in paths {
        let shown = root.show(inner);
        let Some(target) = open_existing(root, inner, kernel_mounts)? else {
            verbose!("{shown} does not exist: not masked");
            continue;
        };
        let dir = is_dir(&target).cannot_with(|| format!("stat {shown}"))?;
        let at = fd_path(&target);
        if dir {
            mount(
                Some("tmpfs"),
                at.as_str(),
                Some("tmpfs"),
                MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
                Some("size=0,mode=0555"),
            )
        } else {
            mount(
                Some(fd_path(&null).as_str()),
                at.as_str(),
                None::<&str>,
                MsFlags::MS_BIND,
                None::<&str>,
            )
        }
        .cannot_with(|| format!("mask {shown}"))?;
        verbose!("masked {shown}");
    }
    Ok(())
}
