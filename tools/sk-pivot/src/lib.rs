//! sk-pivot: pivot_root(2) into a root filesystem with secure defaults,
//! then exec.
//!
//! Order of the steps, and why:
//! 1. refuse unless in a mount namespace of its own (it would move the
//!    host's root otherwise);
//! 2. / private (or slave), so nothing mounted below reaches the host;
//! 3. NEWROOT bound on itself: a mount point, and a mount of our own;
//! 4. /proc, /dev, /sys, then the user's mounts in the order given, then
//!    --resolv: all before the pivot, while SRC paths still name the host's
//!    files; every DST resolved inside NEWROOT (resolve.rs);
//! 5. read-only paths and masks, which need the new /proc; the read-only
//!    root last, when nothing is left to create in it;
//! 6. pivot_root, detach the old root, chdir; exec.
//!
//! Any failure stops before the pivot or right after it, and the command
//! is never executed.

pub mod cli;
pub mod dev;
pub mod kernelfs;
pub mod mask;
pub mod mounts;
pub mod namespace;
pub mod pivot;
pub mod resolve;

use sk_common::{verbose, Cannot, Next, Result};
use std::convert::Infallible;

/// Hand-written NOTES for the man page (sk-gen adds them after OPTIONS).
pub const MAN_NOTES: &str = "\
sk-pivot refuses to run unless its mount namespace differs from that of PID 1 (as the \
caller's /proc shows it): in the host's namespace, pivot_root(2) would move the root of the \
whole machine. Run it after sk-unshare -m. When /proc/1/ns/mnt cannot be read (inside a user \
namespace), it runs only in a mount namespace owned by a user namespace other than the \
initial one. Nor does it run in a mount namespace joined with sk-unshare --join mnt=...: \
pivot_root would re-root the processes already in it (a running container's), and they \
would see every mount on the way; sk-unshare --join mnt=PID sk-unshare -m sk-pivot ... \
pivots in a private copy of it.

Why pivot_root and not chroot: a chroot changes only the process's idea of /, and a process \
with CAP_SYS_CHROOT can leave it (chroot into a subdirectory, chdir .. repeatedly, chroot .). \
sk-pivot moves the mount namespace's root and then detaches the old one (umount2 with \
MNT_DETACH): there is no host directory left to climb back to. Drop sys_chroot as well \
(sk-capdrop) so that the command cannot play chroot games at all.

Before any mount, / is made recursively private (--propagation slave lets host mounts still \
come in), so that nothing sk-pivot mounts appears on the host, even after sk-unshare \
--propagation unchanged. When the chain ends, the namespace and every mount in it are gone.

Every path inside NEWROOT (DST of --bind, --ro-bind and --tmpfs, --mask, --ro, and the \
places of /proc and /dev) is resolved with openat2(2) RESOLVE_IN_ROOT: a symlink in NEWROOT \
is followed as the container will see it, so an absolute link or .. cannot lead a mount \
out of NEWROOT. Missing mount points are created in NEWROOT (directories 0755, empty files \
0644) and stay there. SRC of --bind is a path on the host, followed as usual.

NEWROOT and every --bind, --ro-bind and --resolv mount are nodev, submounts included \
(mount_setattr(2) MOUNT_ATTR_NODEV; an older kernel gets the top mount only): the image is \
hostile, and a device node it ships, such as a character node with the numbers of /dev/kmsg \
or a block node of the host's disk, does not open inside, whatever capabilities the command \
keeps. Dropping mknod does not give that: the node can come ready-made. --dev-bind is the \
one named exception: device nodes under its SRC open inside. Its risk: a node there (made \
by the caller, by the image, or by a root command with CAP_MKNOD when SRC is writable) gives \
raw access to the device it names, a disk read or written past every file permission, \
/dev/mem, the kernel log; use it only for the nodes you mean to hand in, preferably with \
sk-cgroup's device rules (--devices default) in the chain, which the kernel checks on every \
open whatever the mount says.

The default /dev is a tmpfs (nosuid, nodev, noexec) with null, zero, full, random, urandom \
and tty (see below), a devpts instance of its own (pts, and ptmx linked to \
pts/ptmx), a tmpfs on shm, and the links fd, stdin, stdout and stderr. --dev-host binds the \
host's /dev and --devtmpfs mounts a devtmpfs: both put every device of the host inside, \
disks, /dev/mem, /dev/kmsg and all, and anyone root inside can read or write them. \
devtmpfs is not a fresh, empty filesystem: it is the kernel's one device tree, the same on \
every mount. Use them only to follow a course's by-hand steps or to debug.

Masked by default, as OCI runtimes do: /proc/acpi, /proc/asound, /proc/interrupts, \
/proc/kcore, /proc/keys, /proc/latency_stats, /proc/timer_list, /proc/timer_stats, \
/proc/sched_debug, /proc/scsi, /sys/firmware and /sys/devices/virtual/powercap (a file is \
covered with /dev/null, a directory with an empty read-only tmpfs). Read-only: /proc/bus, \
/proc/fs, /proc/irq, /proc/sys and /proc/sysrq-trigger. Paths that do not exist are skipped. \
A remount keeps the nosuid, nodev and noexec flags a mount had: the kernel refuses to drop \
them inside a user namespace.

--sys mounts a new sysfs, read-only. Inside a user namespace the kernel allows that only \
with a network namespace of the same user namespace (sk-unshare -n); without one, sk-pivot \
binds the caller's /sys instead, read-only with all its submounts.

--ro-bind makes the bound tree read-only with mount_setattr(2) (Linux 5.12), submounts \
included; an older kernel gets only the top mount read-only. --read-only remounts NEWROOT's \
own mount only: /proc, /dev, /dev/shm and the --bind and --tmpfs mounts keep their own \
modes.

Inherited fds do not cross into NEWROOT: every fd above 2 that the caller left open is \
closed before the command (close_range(2)), so that no directory fd leads back to the host's \
files (runc's CVE-2024-21626). --keep-fd N lets one through (repeatable); socket activation \
passes by itself (LISTEN_FDS, when LISTEN_PID named the chain; LISTEN_PID is set to the \
command's pid). A kept fd that is a directory outside NEWROOT is refused (exit 125) unless \
--unsafe-keep-dir-fd is given. Outside means: not reachable from the new / on the new mounts. \
Every directory the caller opened is outside, even one whose path is under NEWROOT: it is on \
the caller's mount of those files, and its .. leads up the host's tree. Pass files, sockets \
and pipes; let the command open its directories inside.

The device nodes of the minimal /dev are sk-pivot's own, as runc makes them, not the \
host's: they are made on a tmpfs of their own that allows devices, each file is bound onto \
/dev/NAME, and that tmpfs is detached at once (full: nothing else fits on it). So root inside \
cannot chmod or chown the host's /dev/null, and the host's /dev/tty is not bound in: /dev/tty \
(5:0) means the opener's controlling terminal, the command's own pty or none (see TERMINAL, \
FDS AND SIGNALS below: the chain's first link owns the caller's terminal, and no link after it \
holds it). Where no device node can be made (in a user namespace mknod is refused and every \
mount is nodev; or CAP_MKNOD was dropped, or a device rule denies it, before sk-pivot), the \
host's nodes are bound instead, read-only, so their owner and mode cannot be changed from \
inside (reading and writing the devices works); -v says which.

Without a pid namespace of its own (sk-unshare -p), the new /proc shows every process of the \
host. If the surrounding /proc has masked parts (inside Docker), the kernel refuses a new proc \
unless it is for a pid namespace of its own; sk-pivot says so.";

// The matches give the order of the mount options.
sk_common::tool_link!(argv => |c: cli::Cli| {
    let matches = command()
        .try_get_matches_from(argv)
        .cannot("parse the options")?;
    Ok((c.plan(Some(&matches)).map_err(anyhow::Error::msg)?, c.command))
});

/// The step: the new root's mounts, the pivot, the working directory; then
/// the rest of the chain.
pub fn apply(plan: &cli::Plan, next: Next) -> Result<Infallible> {
    namespace::require_own_mount_namespace()?;
    let newroot = pivot::check_newroot(&plan.newroot)?;
    sk_common::mount::set_root_propagation(plan.propagation)?;
    let root = pivot::bind_newroot(&newroot)?;
    // sk-pivot's own mount points and the masks: no symlink of the image
    // is followed (see resolve::Root).
    let exact = root.exact()?;

    if plan.proc {
        kernelfs::mount_proc(&exact)?;
    }
    dev::apply(&exact, plan.dev)?;
    if plan.sys {
        kernelfs::mount_sys(&exact)?;
    }
    mounts::apply(&root, &plan.mounts)?;
    if plan.resolv {
        mounts::resolv_conf(&root)?;
    }
    let mut kernel_mounts = Vec::new();
    if plan.proc {
        kernel_mounts.push(std::path::Path::new("/proc"));
    }
    if plan.sys {
        kernel_mounts.push(std::path::Path::new("/sys"));
    }
    mask::read_only(&exact, &plan.read_only_paths, &kernel_mounts)?;
    mask::mask(&exact, &plan.masks, &kernel_mounts)?;
    if plan.read_only {
        mounts::remount_read_only(root.fd(), &root.show(std::path::Path::new("/")))?;
        verbose!("made {} read-only", newroot.display());
    }

    // Nothing that runs inside the new root talks to a staying parent.
    sk_common::reclaim::drop_inherited();
    pivot::pivot(root)?;
    if let Some(dir) = &plan.chdir {
        // The same code as sk-env -C: resolved inside the new root.
        sk_common::inroot::chdir(dir)?;
    }
    // Inherited fds end here, but the kept ones, checked against the new root.
    sk_common::fds::crossed(&plan.keep)?;
    next()
}
