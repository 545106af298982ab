//! What the links need from the caller's side, read, opened or run before
//! the chain's first step: input and output files are named by paths the
//! caller sees, and after a pivot or a mount-namespace join the same paths
//! would name files of a root that may be hostile.

use crate::{Chain, Step};
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use sk_common::{log, Cannot, Result};
use std::os::fd::OwnedFd;

/// Per link, what it prepared (None for a link that needs nothing).
pub struct Prepared {
    pub links: Vec<Option<Item>>,
}

pub enum Item {
    Seccomp(Box<sk_seccomp::Prepared>),
    Aaexec(sk_aaexec::Prepared),
}

pub fn prepare(chain: &Chain) -> Result<Prepared> {
    let mut links = Vec::with_capacity(chain.links.len());
    for (i, link) in chain.links.iter().enumerate() {
        log::set_tool(link.tool);
        log::set_verbose(link.verbose);
        let key = format!("link{i}");
        links.push(match &link.step {
            Step::Seccomp(plan) => Some(Item::Seccomp(Box::new(sk_seccomp::prepare(plan, &key)?))),
            Step::Aaexec(plan) => Some(Item::Aaexec(sk_aaexec::prepare(
                plan,
                &chain.command,
                sk_common::handoff::open("/proc", host_proc)?,
                &key,
            )?)),
            _ => None,
        });
    }
    Ok(Prepared { links })
}

/// The caller's /proc, for the writes that must reach this process's own
/// attributes after a pivot. Checked to be a procfs, not a directory that
/// looks like one.
fn host_proc() -> Result<OwnedFd> {
    let fd = nix::fcntl::open(
        "/proc",
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .cannot("open /proc")?;
    let fs = nix::sys::statfs::fstatfs(&fd).cannot("read the file system of /proc")?;
    if fs.filesystem_type() != nix::sys::statfs::PROC_SUPER_MAGIC {
        anyhow::bail!("cannot use /proc: it is not a proc file system");
    }
    Ok(fd)
}
