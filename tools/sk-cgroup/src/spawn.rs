//! The fork of `--rm`: the child must end up in the group, the parent must
//! stay outside it (a group cannot be removed by a member).
//!
//! On cgroup v2, clone3(2) with CLONE_INTO_CGROUP (Linux 5.7) starts the
//! child directly in the group: no migration, whose cost on a busy host is
//! an RCU grace period, and no moment in which the child runs in the
//! parent's group. Where that is not available (an older kernel, seccomp
//! filters that deny clone3 with ENOSYS, a v1 hierarchy) the child is a
//! plain fork that joins by writing its pid to cgroup.procs.

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use nix::unistd::{getpid, ForkResult, Pid};
use sk_common::{fd, verbose, Cannot, Result};
use std::os::fd::{AsRawFd, OwnedFd};

use crate::group::Group;
use crate::limits::Version;

/// struct clone_args of <linux/sched.h>, up to `cgroup` (CLONE_ARGS_SIZE_VER2).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// Forks a child that is in the group when this returns in it.
pub fn fork_into(group: &Group) -> Result<ForkResult> {
    if let [part] = &group.parts[..] {
        if part.version == Version::V2 {
            let dir = fd::open(
                &part.dir,
                OFlag::O_RDONLY | OFlag::O_DIRECTORY,
                Mode::empty(),
            )
            .cannot_with(|| format!("open cgroup {}", part.dir.display()))?;
            match clone_into(&dir) {
                Ok(r) => {
                    if let ForkResult::Parent { .. } = r {
                        verbose!("started the child in {} (clone3)", part.dir.display());
                    }
                    return Ok(r);
                }
                // Not this kernel, or not allowed here: fork and join.
                Err(Errno::ENOSYS | Errno::E2BIG | Errno::EINVAL | Errno::EPERM) => {}
                Err(e) => {
                    return Err(e).cannot_with(|| {
                        format!("start the command in cgroup {}", part.dir.display())
                    })
                }
            }
        }
    }
    // SAFETY: sk-cgroup is single-threaded.
    let r = unsafe { nix::unistd::fork() }.cannot("fork")?;
    if let ForkResult::Child = r {
        group.join(getpid().as_raw())?;
    }
    Ok(r)
}

fn clone_into(dir: &OwnedFd) -> nix::Result<ForkResult> {
    let args = CloneArgs {
        flags: CLONE_INTO_CGROUP,
        exit_signal: libc::SIGCHLD as u64,
        cgroup: dir.as_raw_fd() as u64,
        ..Default::default()
    };
    // SAFETY: without CLONE_VM and with no stack given this is fork(2) with
    // an extra flag: the child gets a copy of this (single-threaded)
    // process and returns here with 0.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    match ret {
        -1 => Err(Errno::last()),
        0 => Ok(ForkResult::Child),
        pid => Ok(ForkResult::Parent {
            child: Pid::from_raw(pid as i32),
        }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn clone_args_has_the_size_of_version_2_of_the_struct() {
        // CLONE_ARGS_SIZE_VER2: the first size that has the cgroup field.
        assert_eq!(std::mem::size_of::<super::CloneArgs>(), 88);
    }
}
