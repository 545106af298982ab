//! Preparing NEWROOT as a mount, and the pivot itself.

use crate::mounts::TreeFlag;
use crate::resolve::Root;
use anyhow::anyhow;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sys::stat::Mode;
use nix::unistd::{chdir, fchdir, pivot_root};
use sk_common::{fd, verbose, Cannot, Result};
use std::path::{Path, PathBuf};

/// NEWROOT as an absolute path to an existing directory, other than /.
pub fn check_newroot(newroot: &Path) -> Result<PathBuf> {
    let abs = newroot
        .canonicalize()
        .cannot_with(|| format!("use {} as the new root", newroot.display()))?;
    if !abs.is_dir() {
        return Err(Errno::ENOTDIR)
            .cannot_with(|| format!("use {} as the new root", newroot.display()));
    }
    if abs == Path::new("/") {
        return Err(anyhow!(
            "cannot use {} as the new root: it is the current root",
            newroot.display()
        ));
    }
    Ok(abs)
}

/// Binds NEWROOT on itself, recursively: pivot_root(2) needs a mount point,
/// and the bind gives sk-pivot a mount of its own that it can make
/// read-only without touching the filesystem NEWROOT lives on. The bind
/// and every mount below it are made nodev: the image is hostile, and a
/// device node it ships (a disk, /dev/mem, a kmsg) must not open inside;
/// the devices the command needs come from the minimal /dev.
pub fn bind_newroot(newroot: &Path) -> Result<Root> {
    mount(
        Some(newroot),
        newroot,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .cannot_with(|| format!("bind {} on itself", newroot.display()))?;
    // Opened after the bind, so the descriptor is on the new mount.
    let fd = fd::open(newroot, OFlag::O_PATH | OFlag::O_DIRECTORY, Mode::empty())
        .cannot_with(|| format!("open {}", newroot.display()))?;
    crate::mounts::set_tree_flag(&fd, &newroot.display().to_string(), TreeFlag::NoDev)?;
    verbose!("bound {} on itself, nodev", newroot.display());
    Ok(Root::new(fd, newroot.to_path_buf()))
}

/// pivot_root(".", "."), as runc does: the old root ends up stacked on the
/// new one, where a lazy unmount detaches it, with no put_old directory to
/// make in NEWROOT and remove again. Afterwards no path leads to the host's
/// files: the old root is gone from the namespace, and `..` of / is /.
pub fn pivot(root: Root) -> Result<()> {
    let shown = root.show(Path::new("/"));
    let old = fd::open(
        Path::new("/"),
        OFlag::O_DIRECTORY | OFlag::O_RDONLY,
        Mode::empty(),
    )
    .cannot("open the old root")?;
    fchdir(root.fd()).cannot_with(|| format!("chdir to {shown}"))?;
    match pivot_root(".", ".") {
        Ok(()) => {}
        Err(Errno::EINVAL) => {
            return Err(anyhow!(
                "cannot pivot_root into {shown}: Invalid argument (is / an initramfs? \
                 pivot_root cannot move one: switch_root to a real root first)"
            ))
        }
        Err(e) => return Err(e).cannot_with(|| format!("pivot_root into {shown}")),
    }
    // The kernel does not promise what "." is after pivot_root: go to the
    // old root explicitly before detaching it.
    fchdir(&old).cannot("chdir to the old root")?;
    // Slave, not private, as runc: the unmount must not propagate to the
    // host, and a private mount can race with the host still using it.
    mount(
        None::<&str>,
        ".",
        None::<&str>,
        MsFlags::MS_SLAVE | MsFlags::MS_REC,
        None::<&str>,
    )
    .cannot("make the old root a slave")?;
    umount2(".", MntFlags::MNT_DETACH).cannot("detach the old root")?;
    drop(old);
    chdir("/").cannot("chdir to the new /")?;
    verbose!("pivoted into {shown} and detached the old root");
    Ok(())
}
