//! Creating new namespaces (unshare(2)) and joining existing ones (setns(2)).

use anyhow::anyhow;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sched::CloneFlags;
use nix::sys::stat::Mode;
use sk_common::{fd, verbose, Cannot, Result};
use std::os::fd::OwnedFd;
use std::path::PathBuf;

/// An existing namespace to join.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Join {
    pub ns: NsType,
    pub path: PathBuf,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NsType {
    Mnt,
    Uts,
    Ipc,
    Net,
    Pid,
    User,
    Cgroup,
    Time,
}

impl NsType {
    pub fn from_name(name: &str) -> Option<NsType> {
        Some(match name {
            "mnt" | "mount" => NsType::Mnt,
            "uts" => NsType::Uts,
            "ipc" => NsType::Ipc,
            "net" | "network" => NsType::Net,
            "pid" => NsType::Pid,
            "user" => NsType::User,
            "cgroup" => NsType::Cgroup,
            "time" => NsType::Time,
            _ => return None,
        })
    }

    /// The name users know it by.
    pub fn name(self) -> &'static str {
        match self {
            NsType::Mnt => "mount",
            NsType::Uts => "uts",
            NsType::Ipc => "ipc",
            NsType::Net => "net",
            NsType::Pid => "pid",
            NsType::User => "user",
            NsType::Cgroup => "cgroup",
            NsType::Time => "time",
        }
    }

    /// Its file under /proc/PID/ns.
    pub fn proc_name(self) -> &'static str {
        match self {
            NsType::Mnt => "mnt",
            other => other.name(),
        }
    }

    pub fn flag(self) -> CloneFlags {
        match self {
            NsType::Mnt => CloneFlags::CLONE_NEWNS,
            NsType::Uts => CloneFlags::CLONE_NEWUTS,
            NsType::Ipc => CloneFlags::CLONE_NEWIPC,
            NsType::Net => CloneFlags::CLONE_NEWNET,
            NsType::Pid => CloneFlags::CLONE_NEWPID,
            NsType::User => CloneFlags::CLONE_NEWUSER,
            NsType::Cgroup => CloneFlags::CLONE_NEWCGROUP,
            NsType::Time => CloneFlags::from_bits_retain(libc::CLONE_NEWTIME),
        }
    }
}

/// Joining order: the user namespace first, so that the others are joined
/// with the capabilities it gives; mount last but one, as nsenter does.
const JOIN_ORDER: [NsType; 8] = [
    NsType::User,
    NsType::Cgroup,
    NsType::Ipc,
    NsType::Uts,
    NsType::Net,
    NsType::Pid,
    NsType::Mnt,
    NsType::Time,
];

/// Namespaces to join, opened up front: a later setns (mount) must not
/// change what a path names.
pub struct Opened(Vec<(Join, OwnedFd)>);

pub fn open_joins(joins: &[Join]) -> Result<Opened> {
    let mut opened = Vec::new();
    for ns in JOIN_ORDER {
        for j in joins.iter().filter(|j| j.ns == ns) {
            let f = fd::open(&j.path, OFlag::O_RDONLY, Mode::empty())
                .cannot_with(|| format!("open {} namespace {}", j.ns.name(), j.path.display()))?;
            opened.push((j.clone(), f));
        }
    }
    Ok(Opened(opened))
}

pub fn join(opened: Opened) -> Result<()> {
    for (j, f) in opened.0 {
        match nix::sched::setns(&f, j.ns.flag()) {
            Ok(()) => verbose!("joined {} namespace {}", j.ns.name(), j.path.display()),
            Err(Errno::EINVAL) => {
                return Err(anyhow!(
                    "cannot join {} namespace {}: not a {} namespace",
                    j.ns.name(),
                    j.path.display(),
                    j.ns.name()
                ))
            }
            Err(e) => {
                return Err(e)
                    .cannot_with(|| format!("join {} namespace {}", j.ns.name(), j.path.display()))
            }
        }
    }
    Ok(())
}

/// unshare(2) of all of `types` in one call: the kernel creates the user
/// namespace first, so the others belong to it.
pub fn create(types: &[NsType], privileged: bool) -> Result<()> {
    if types.is_empty() {
        return Ok(());
    }
    let flags = types.iter().fold(CloneFlags::empty(), |f, t| f | t.flag());
    let names: Vec<&str> = types.iter().map(|t| t.name()).collect();
    if let Err(e) = nix::sched::unshare(flags) {
        let hint = hint_for(e, types, privileged);
        return Err(anyhow!(
            "cannot create {} namespace{}: {}{hint}",
            names.join(", "),
            if names.len() > 1 { "s" } else { "" },
            e.desc()
        ));
    }
    verbose!(
        "created {} namespace{}",
        names.join(", "),
        if names.len() > 1 { "s" } else { "" }
    );
    Ok(())
}

/// What usually causes a refusal, told after the operation.
fn hint_for(e: Errno, types: &[NsType], privileged: bool) -> String {
    let user = types.contains(&NsType::User);
    match e {
        Errno::EPERM if !user && !privileged => {
            " (needs CAP_SYS_ADMIN: run as root, or add -U -r for a user namespace)".into()
        }
        Errno::EPERM | Errno::EACCES if user => {
            " (unprivileged user namespaces may be disabled: see the sysctls \
             kernel.unprivileged_userns_clone, user.max_user_namespaces and \
             kernel.apparmor_restrict_unprivileged_userns)"
                .into()
        }
        Errno::ENOSPC if user => " (user.max_user_namespaces reached)".into(),
        Errno::EINVAL if user => {
            " (a user namespace cannot be made by a threaded or chrooted process)".into()
        }
        Errno::EINVAL if types.contains(&NsType::Time) => {
            " (time namespaces need Linux 5.6 or later)".into()
        }
        _ => String::new(),
    }
}
