//! /dev inside NEWROOT.
//!
//! The default is the minimal /dev of bubblewrap and the OCI runtimes: a
//! tmpfs holding only the harmless character devices, a devpts instance of
//! its own and a tmpfs for shared memory. The tmpfs is nodev, as NEWROOT
//! and every other bind are: a device node made inside later, or shipped
//! in the image, does not open.
//!
//! The devices themselves (null, zero, full, random, urandom, tty) are
//! nodes sk-pivot makes, as runc does, not the host's: a bind of a host
//! node would let root inside chmod or chown the host's /dev/null, and
//! would bind the host's /dev/tty. They are made on a small tmpfs of their
//! own that allows devices, each file is bound onto /dev/NAME, and that
//! tmpfs is detached at once (it is full: nothing else fits on it). Where
//! no node can be made (a user namespace, where mknod is refused and every
//! mount is nodev; or CAP_MKNOD dropped, or a device rule, before sk-pivot)
//! the host's nodes are bound instead, read-only, so their owner and mode
//! cannot be changed from inside; -v says which.
//!
//! --dev-host and --devtmpfs give the host's whole device tree: disks,
//! /dev/mem, /dev/kmsg, every tty. They exist for the course's by-hand
//! steps and for debugging, not for containing anything.

use crate::cli::Dev;
use crate::mounts;
use crate::resolve::{fd_path, Root};
use nix::errno::Errno;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sys::stat::{makedev, mknodat, Mode, SFlag};
use nix::unistd::{symlinkat, unlinkat, UnlinkatFlags};
use sk_common::{verbose, Cannot, Result};
use std::path::Path;

/// The devices of a minimal /dev, with their numbers (mode 0666 each).
pub const DEVICES: [(&str, u64, u64); 6] = [
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
];

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

/// The host's nodes, where sk-pivot can make none: read-only, so that
/// root inside cannot chmod or chown them (I/O on a device is not a write
/// to the file system; it works).
const HOST_NODE_BIND: mounts::BindMode = mounts::BindMode {
    read_only: true,
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
    if !own_nodes(root)? {
        for (name, _, _) in DEVICES {
            // The host's node, on the same path inside.
            let node = Path::new(DEV).join(name);
            mounts::bind(root, &node, &node, HOST_NODE_BIND)?;
        }
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
        DEVICES.map(|d| d.0).join(" ")
    );
    Ok(())
}

/// Makes the nodes of [`DEVICES`] and binds each onto /dev/NAME; false
/// when this process may make no device node (EPERM), for the caller to
/// bind the host's. The staging tmpfs is in the fresh /dev tmpfs, which
/// nothing of the image can reach yet.
fn own_nodes(root: &Root) -> Result<bool> {
    let staging = Path::new("/dev/.sk-pivot-nodes");
    let shown = root.show(staging);
    // Devices allowed; room for the nodes and nothing else.
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC;
    let room = format!("mode=0755,size=4k,nr_inodes={}", DEVICES.len() + 1);
    mounts::tmpfs(root, staging, &room, flags)?;
    let made = (|| -> Result<bool> {
        let mounted = root.open(staging).cannot_with(|| format!("open {shown}"))?;
        let perm = Mode::from_bits_truncate(0o666);
        for (name, major, minor) in DEVICES {
            let made = sk_common::test_hook::fail_if("dev-nodes").and_then(|()| {
                mknodat(&mounted, name, SFlag::S_IFCHR, perm, makedev(major, minor))
            });
            match made {
                Err(Errno::EPERM) => {
                    verbose!("cannot make device nodes here (mknod: EPERM)");
                    return Ok(false);
                }
                r => r.cannot_with(|| format!("make the node {major}:{minor} in {shown}"))?,
            }
            // mknod's mode is cut by the umask.
            nix::sys::stat::fchmodat(
                &mounted,
                name,
                perm,
                nix::sys::stat::FchmodatFlags::NoFollowSymlink,
            )
            .cannot_with(|| format!("chmod {shown}/{name}"))?;
        }
        for (name, _, _) in DEVICES {
            let node = Path::new(DEV).join(name);
            let made = root
                .open(&staging.join(name))
                .cannot_with(|| format!("open {shown}/{name}"))?;
            let target = root.ensure_file(&node)?;
            mount(
                Some(fd_path(&made).as_str()),
                fd_path(&target).as_str(),
                None::<&str>,
                MsFlags::MS_BIND,
                None::<&str>,
            )
            .cannot_with(|| format!("bind {shown}/{name} on {}", root.show(&node)))?;
        }
        Ok(true)
    })();
    let dev = root
        .open(Path::new(DEV))
        .cannot_with(|| format!("open {}", root.show(Path::new(DEV))))?;
    let mounted = root.open(staging).cannot_with(|| format!("open {shown}"))?;
    umount2(fd_path(&mounted).as_str(), MntFlags::MNT_DETACH)
        .cannot_with(|| format!("unmount {shown}"))?;
    drop(mounted);
    unlinkat(&dev, ".sk-pivot-nodes", UnlinkatFlags::RemoveDir)
        .cannot_with(|| format!("remove {shown}"))?;
    let made = made?;
    if made {
        verbose!(
            "made the device nodes of {} itself",
            root.show(Path::new(DEV))
        );
    } else {
        verbose!("binding the host's device nodes instead, read-only");
    }
    Ok(made)
}
