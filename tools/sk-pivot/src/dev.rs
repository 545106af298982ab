//! /dev inside NEWROOT.
//!
//! The default is the minimal /dev of bubblewrap and the OCI runtimes: a
//! tmpfs holding only the harmless character devices, bound from the
//! host's nodes (binds work in a user namespace, where mknod does not), a
//! devpts instance of its own and a tmpfs for shared memory. The tmpfs is
//! nodev, as NEWROOT and every other bind are: a device node made inside
//! later, or shipped in the image, does not open; the bound nodes are
//! mounts of their own and keep the flags of the host's /dev.
//!
//! --dev-host and --devtmpfs give the host's whole device tree: disks,
//! /dev/mem, /dev/kmsg, every tty. They exist for the course's by-hand
//! steps and for debugging, not for containing anything.

use crate::cli::Dev;
use crate::mounts;
use crate::resolve::{fd_path, Root};
use nix::mount::{mount, MsFlags};
use nix::unistd::symlinkat;
use sk_common::{verbose, Cannot, Result};
use std::path::Path;

/// The devices of a minimal /dev.
pub const DEVICES: [&str; 6] = ["null", "zero", "full", "random", "urandom", "tty"];

/// The links every program expects in /dev.
const LINKS: [(&str, &str); 5] = [
    ("ptmx", "pts/ptmx"),
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
];

const DEV: &str = "/dev";

/// The device nodes of /dev are bound as devices: every other bind, and
/// NEWROOT itself, is nodev.
const DEVICE_BIND: mounts::BindMode = mounts::BindMode {
    read_only: false,
    devices: true,
};

pub fn apply(root: &Root, dev: Dev) -> Result<()> {
    match dev {
        Dev::Untouched => Ok(()),
        Dev::Minimal => minimal(root),
        Dev::Host => {
            mounts::bind(root, Path::new(DEV), Path::new(DEV), DEVICE_BIND)?;
            sk_common::warn!(
                "the host's whole /dev is inside {}",
                root.show(Path::new(DEV))
            );
            Ok(())
        }
        Dev::Devtmpfs => {
            let shown = root.show(Path::new(DEV));
            let target = root.ensure_dir(Path::new(DEV))?;
            mount(
                Some("devtmpfs"),
                fd_path(&target).as_str(),
                Some("devtmpfs"),
                MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
                Some("mode=0755"),
            )
            .cannot_with(|| format!("mount devtmpfs on {shown}"))?;
            sk_common::warn!("devtmpfs on {shown} holds every device of the host");
            Ok(())
        }
    }
}

fn minimal(root: &Root) -> Result<()> {
    let nodev = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    mounts::tmpfs(root, Path::new(DEV), "mode=0755", nodev)?;
    for name in DEVICES {
        // The host's node, on the same path inside.
        let node = Path::new(DEV).join(name);
        mounts::bind(root, &node, &node, DEVICE_BIND)?;
    }

    let pts = Path::new("/dev/pts");
    let target = root.ensure_dir(pts)?;
    // newinstance: its own pty numbers, not the host's /dev/pts/N; ptmxmode
    // lets every user open pts/ptmx through the /dev/ptmx link.
    mount(
        Some("devpts"),
        fd_path(&target).as_str(),
        Some("devpts"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=620"),
    )
    .cannot_with(|| format!("mount devpts on {}", root.show(pts)))?;

    mounts::tmpfs(root, Path::new("/dev/shm"), "mode=1777", nodev)?;

    // Opened now, so that it is the tmpfs, not the directory under it.
    let dev = root
        .open(Path::new(DEV))
        .cannot_with(|| format!("open {}", root.show(Path::new(DEV))))?;
    for (name, to) in LINKS {
        symlinkat(to, &dev, name)
            .cannot_with(|| format!("link {} to {to}", root.show(&Path::new(DEV).join(name))))?;
    }
    verbose!(
        "made a minimal /dev in {}: {}, pts, shm and links",
        root.show(Path::new(DEV)),
        DEVICES.join(" ")
    );
    Ok(())
}
