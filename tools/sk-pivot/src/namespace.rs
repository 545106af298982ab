//! The guard: sk-pivot moves the root of the mount namespace it runs in,
//! so run in the host's it would pivot the host's root and detach every
//! mount of the machine. It refuses unless its mount namespace is not PID
//! 1's.
//!
//! PID 1 here is the init of the pid namespace that the caller's /proc
//! shows. Inside `sk-unshare -mp` that /proc is still the host's, so PID 1
//! is the host's init: the right comparison.
//!
//! The namespace links of PID 1 can be read only with ptrace access to it,
//! which even root lacks when it holds fewer capabilities than PID 1 (a
//! sandboxed root, a user namespace). Then the mount tables decide:
//! /proc/1/mountinfo is readable by all, and mount ids are unique on the
//! machine. A mount namespace made by unshare(2) copies every mount under
//! a new id, so the mount under our / is listed in PID 1's table only if we
//! share PID 1's namespace. Anything that cannot be read fails closed.

use anyhow::bail;
use nix::errno::Errno;
use nix::sys::stat::stat;
use sk_common::mount::{read_mountinfo, MountInfo};
use sk_common::{verbose, Cannot, Result};
use std::path::Path;

const REFUSAL: &str = "sk-pivot must run in a mount namespace of its own, or it would pivot \
the host's root (run it as: sk-unshare -m sk-pivot ...)";

pub fn require_own_mount_namespace() -> Result<()> {
    let own = stat("/proc/self/ns/mnt").cannot("read /proc/self/ns/mnt (is /proc mounted?)")?;
    match stat("/proc/1/ns/mnt") {
        Ok(init) => {
            if (own.st_dev, own.st_ino) == (init.st_dev, init.st_ino) {
                bail!("cannot pivot_root in the mount namespace of PID 1: {REFUSAL}");
            }
            verbose!("mount namespace {} is not PID 1's", own.st_ino);
            Ok(())
        }
        Err(Errno::EACCES | Errno::EPERM) => compare_mount_tables(),
        Err(e) => Err(e).cannot("read /proc/1/ns/mnt"),
    }
}

fn compare_mount_tables() -> Result<()> {
    let own = read_mountinfo(Path::new("/proc/self/mountinfo"))?;
    let init = read_mountinfo(Path::new("/proc/1/mountinfo"))?;
    let Some(root) = root_mount_id(&own) else {
        bail!("cannot find the mount of / in /proc/self/mountinfo: {REFUSAL}");
    };
    if init.iter().any(|m| m.mnt_id == root) {
        bail!("cannot pivot_root in the mount namespace of PID 1 (its mount table lists our / as mount {root}): {REFUSAL}");
    }
    verbose!("mount {root} under / is not in PID 1's mount table: a mount namespace of our own");
    Ok(())
}

/// The id of the mount that / is on: the last mount on `/`, since a later
/// mount on / covers the earlier ones.
fn root_mount_id(mounts: &[MountInfo]) -> Option<i32> {
    mounts
        .iter()
        .rev()
        .find(|m| m.mount_point == Path::new("/"))
        .map(|m| m.mnt_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
31 27 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
90 27 0:50 / / rw - tmpfs tmpfs rw
";

    fn table(text: &str) -> Vec<MountInfo> {
        sk_common::mount::parse_mountinfo(text.as_bytes()).unwrap()
    }

    #[test]
    fn the_last_mount_on_slash_is_the_root() {
        assert_eq!(root_mount_id(&table(TABLE)), Some(90));
        assert_eq!(
            root_mount_id(&table("22 27 0:21 / /proc rw - proc proc rw\n")),
            None
        );
    }
}
