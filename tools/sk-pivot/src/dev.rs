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
//! /dev/tty is the exception: the terminal is the chain's first link's
//! business, and nothing of the host's tty layer is bound in for it. The
//! node 5:0 is made here, on a tmpfs of its own that allows devices, and
//! only that file is bound onto /dev/tty (the tmpfs is detached at once,
//! and is full: nothing else can be made on it). 5:0 means the opener's
//! controlling terminal, which is the command's own pty or none. A user namespace may make no device node
//! (mknod is EPERM there and its mounts are all nodev); there, and only
//! there, the host's node is bound, the way bubblewrap does, and -v says so.
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
        let node = Path::new(DEV).join(name);
        if name == "tty" && own_tty(root, &node)? {
            continue;
        }
        // The host's node, on the same path inside.
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

/// Makes `node` (/dev/tty) a node 5:0 of sk-pivot's own; false when this
/// process may make no device node (a user namespace), for the caller to
/// bind the host's. The staging tmpfs is in the fresh /dev tmpfs, which
/// nothing of the image can reach yet.
fn own_tty(root: &Root, node: &Path) -> Result<bool> {
    let staging = Path::new("/dev/.sk-pivot-tty");
    let shown = root.show(staging);
    // Devices allowed; room for one node and nothing else.
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC;
    mounts::tmpfs(root, staging, "mode=0755,size=4k,nr_inodes=2", flags)?;
    let made = (|| -> Result<bool> {
        let mounted = root.open(staging).cannot_with(|| format!("open {shown}"))?;
        let perm = Mode::from_bits_truncate(0o666);
        match mknodat(&mounted, "tty", SFlag::S_IFCHR, perm, makedev(5, 0)) {
            Err(Errno::EPERM) => return Ok(false),
            r => r.cannot_with(|| format!("make the node 5:0 in {shown}"))?,
        }
        // mknod's mode is cut by the umask.
        nix::sys::stat::fchmodat(
            &mounted,
            "tty",
            perm,
            nix::sys::stat::FchmodatFlags::NoFollowSymlink,
        )
        .cannot_with(|| format!("chmod {shown}/tty"))?;
        let made = root
            .open(&staging.join("tty"))
            .cannot_with(|| format!("open {shown}/tty"))?;
        let target = root.ensure_file(node)?;
        mount(
            Some(fd_path(&made).as_str()),
            fd_path(&target).as_str(),
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .cannot_with(|| format!("bind {shown}/tty on {}", root.show(node)))?;
        Ok(true)
    })();
    let dev = root
        .open(Path::new(DEV))
        .cannot_with(|| format!("open {}", root.show(Path::new(DEV))))?;
    let mounted = root.open(staging).cannot_with(|| format!("open {shown}"))?;
    umount2(fd_path(&mounted).as_str(), MntFlags::MNT_DETACH)
        .cannot_with(|| format!("unmount {shown}"))?;
    drop(mounted);
    unlinkat(&dev, ".sk-pivot-tty", UnlinkatFlags::RemoveDir)
        .cannot_with(|| format!("remove {shown}"))?;
    let made = made?;
    if made {
        verbose!("made {} a node 5:0 of its own", root.show(node));
    } else {
        verbose!(
            "bound the host's {} (no device node can be made in a user namespace)",
            node.display()
        );
    }
    Ok(made)
}
