//! uid_map, gid_map and setgroups of a new user namespace.
//!
//! A process may write its own maps only for the simplest case: one line
//! that maps its own effective id, and (for gid_map) with setgroups denied.
//! Anything else must be written from the parent user namespace: by a
//! helper forked before the unshare, directly when it is root, otherwise
//! through the setuid newuidmap/newgidmap programs, as util-linux does.

use anyhow::anyhow;
use nix::unistd::{ForkResult, Pid};
use sk_common::{exit, verbose, Cannot, Result};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::fd::OwnedFd;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct IdRange {
    pub inner: u32,
    pub outer: u32,
    pub count: u32,
}

impl IdRange {
    fn single(inner: u32, outer: u32) -> IdRange {
        IdRange {
            inner,
            outer,
            count: 1,
        }
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct IdMap {
    pub uid: Vec<IdRange>,
    pub gid: Vec<IdRange>,
    pub setgroups: Option<SetGroups>,
    euid: u32,
    egid: u32,
}

fn map_text(ranges: &[IdRange]) -> String {
    ranges
        .iter()
        .map(|r| format!("{} {} {}\n", r.inner, r.outer, r.count))
        .collect()
}

/// Allow or deny setgroups(2) in the new user namespace.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SetGroups {
    Allow,
    Deny,
}

/// What the map options ask for, as plain values: `-r`, `-c`,
/// `--map-user`, `--map-group`, `--map-users`, `--map-groups`,
/// `--setgroups`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapRequest {
    pub root: bool,
    pub current: bool,
    pub user: Option<u32>,
    pub group: Option<u32>,
    pub users: Vec<IdRange>,
    pub groups: Vec<IdRange>,
    pub setgroups: Option<SetGroups>,
}

/// Refuses more ranges than the kernel takes, and ranges that overlap
/// inside or outside.
fn check_ranges(what: &str, ranges: &[IdRange]) -> std::result::Result<(), String> {
    if ranges.len() > 340 {
        return Err(format!("too many {what} ranges (the kernel takes 340)"));
    }
    for (i, a) in ranges.iter().enumerate() {
        for b in &ranges[i + 1..] {
            let overlap = |x0: u32, y0: u32| {
                (x0 as u64) < y0 as u64 + b.count as u64 && (y0 as u64) < x0 as u64 + a.count as u64
            };
            if overlap(a.inner, b.inner) || overlap(a.outer, b.outer) {
                return Err(format!("{what} ranges overlap"));
            }
        }
    }
    Ok(())
}

impl IdMap {
    /// The maps `req` asks for, for a caller with effective ids
    /// `euid`/`egid`.
    pub fn new(req: &MapRequest, euid: u32, egid: u32) -> std::result::Result<IdMap, String> {
        let mut m = IdMap {
            euid,
            egid,
            ..IdMap::default()
        };
        if req.root {
            m.uid.push(IdRange::single(0, euid));
            m.gid.push(IdRange::single(0, egid));
        }
        if req.current {
            m.uid.push(IdRange::single(euid, euid));
            m.gid.push(IdRange::single(egid, egid));
        }
        if let Some(u) = req.user {
            m.uid.push(IdRange::single(u, euid));
        }
        if let Some(g) = req.group {
            m.gid.push(IdRange::single(g, egid));
        }
        m.uid.extend(&req.users);
        m.gid.extend(&req.groups);
        check_ranges("user", &m.uid)?;
        check_ranges("group", &m.gid)?;
        m.setgroups = req.setgroups;
        if m.setgroups.is_none() && (req.root || req.current) {
            m.setgroups = Some(SetGroups::Deny);
        }
        Ok(m)
    }

    pub fn is_empty(&self) -> bool {
        self.uid.is_empty() && self.gid.is_empty() && self.setgroups.is_none()
    }

    /// Whether the process can write its maps itself after the unshare.
    pub fn self_writable(&self) -> bool {
        let own = |r: &[IdRange], id: u32| {
            r.is_empty() || (r.len() == 1 && r[0].outer == id && r[0].count == 1)
        };
        own(&self.uid, self.euid)
            && own(&self.gid, self.egid)
            && (self.gid.is_empty() || self.setgroups == Some(SetGroups::Deny))
    }

    /// Writes the maps of `pid`'s user namespace through /proc/`pid`.
    fn write_direct(&self, pid: &str) -> Result<()> {
        if let Some(sg) = self.setgroups {
            let v = match sg {
                SetGroups::Allow => "allow",
                SetGroups::Deny => "deny",
            };
            write_proc(pid, "setgroups", v)?;
        }
        if !self.uid.is_empty() {
            write_proc(pid, "uid_map", &map_text(&self.uid))?;
        }
        if !self.gid.is_empty() {
            write_proc(pid, "gid_map", &map_text(&self.gid))?;
        }
        verbose!(
            "wrote user namespace maps: uid [{}] gid [{}]",
            map_text(&self.uid).trim().replace('\n', ", "),
            map_text(&self.gid).trim().replace('\n', ", ")
        );
        Ok(())
    }

    /// Writes the maps of `pid` with the setuid helpers (non-root callers).
    fn write_with_helpers(&self, pid: Pid) -> Result<()> {
        if self.setgroups == Some(SetGroups::Deny) {
            write_proc(&pid.to_string(), "setgroups", "deny")?;
        }
        for (prog, ranges) in [("newuidmap", &self.uid), ("newgidmap", &self.gid)] {
            if ranges.is_empty() {
                continue;
            }
            let mut cmd = std::process::Command::new(prog);
            cmd.arg(pid.to_string());
            for r in ranges {
                cmd.args([
                    r.inner.to_string(),
                    r.outer.to_string(),
                    r.count.to_string(),
                ]);
            }
            let status = cmd
                .status()
                .cannot_with(|| format!("run {prog} (package uidmap)"))?;
            if !status.success() {
                return Err(anyhow!(
                    "cannot write the map of process {pid}: {prog} failed ({status})"
                ));
            }
            verbose!("{prog} wrote the map of process {pid}");
        }
        Ok(())
    }
}

fn write_proc(pid: &str, file: &str, text: &str) -> Result<()> {
    let path = format!("/proc/{pid}/{file}");
    OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .cannot_with(|| format!("write {path}"))
}

/// How the maps get written: by the process itself after the unshare, or
/// by a helper forked before it that waits for the word.
pub enum Writer {
    Nothing,
    Itself,
    Helper { pid: Pid, go: OwnedFd },
}

/// Call before unshare(2). Forks the helper when one is needed.
pub fn prepare(map: &IdMap) -> Result<Writer> {
    if map.is_empty() {
        return Ok(Writer::Nothing);
    }
    if map.self_writable() {
        return Ok(Writer::Itself);
    }
    let target = nix::unistd::getpid();
    let (rx, tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).cannot("create a pipe")?;
    // SAFETY: single-threaded; the child only reads, writes files and exits.
    match unsafe { nix::unistd::fork() }.cannot("fork the id-map helper")? {
        ForkResult::Child => {
            drop(tx);
            let mut buf = [0u8; 1];
            // EOF without the byte: the unshare failed, the parent gives up.
            match nix::unistd::read(&rx, &mut buf) {
                Ok(1) => {}
                _ => exit::exit(exit::TOOL_FAILED),
            }
            let written = if nix::unistd::geteuid().is_root() {
                map.write_direct(&target.to_string())
            } else {
                map.write_with_helpers(target)
            };
            match written {
                Ok(()) => exit::exit(0),
                Err(e) => sk_common::fail(&e),
            }
        }
        ForkResult::Parent { child } => {
            drop(rx);
            Ok(Writer::Helper { pid: child, go: tx })
        }
    }
}

/// Call after unshare(2).
pub fn write(writer: Writer, map: &IdMap) -> Result<()> {
    match writer {
        Writer::Nothing => Ok(()),
        Writer::Itself => map.write_direct("self"),
        Writer::Helper { pid, go } => {
            nix::unistd::write(&go, b"1").cannot("signal the id-map helper")?;
            drop(go);
            match nix::sys::wait::waitpid(pid, None).cannot("wait for the id-map helper")? {
                nix::sys::wait::WaitStatus::Exited(_, 0) => Ok(()),
                // The helper has said what failed, in one line.
                _ => exit::exit(exit::TOOL_FAILED),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(inner: u32, outer: u32, count: u32) -> IdRange {
        IdRange {
            inner,
            outer,
            count,
        }
    }

    #[test]
    fn map_root_user_is_self_writable() {
        let req = MapRequest {
            root: true,
            ..MapRequest::default()
        };
        let m = IdMap::new(&req, 1000, 1000).unwrap();
        assert_eq!(map_text(&m.uid), "0 1000 1\n");
        assert_eq!(m.setgroups, Some(SetGroups::Deny));
        assert!(m.self_writable());
    }

    #[test]
    fn ranges_or_setgroups_allow_need_a_helper() {
        let ranges = MapRequest {
            users: vec![range(0, 100000, 65536)],
            ..MapRequest::default()
        };
        assert!(!IdMap::new(&ranges, 0, 0).unwrap().self_writable());
        let allow = MapRequest {
            root: true,
            setgroups: Some(SetGroups::Allow),
            ..MapRequest::default()
        };
        assert!(!IdMap::new(&allow, 0, 0).unwrap().self_writable());
    }

    #[test]
    fn overlapping_ranges_are_refused() {
        let req = MapRequest {
            users: vec![range(0, 1000, 10), range(5, 5000, 10)],
            ..MapRequest::default()
        };
        assert!(IdMap::new(&req, 0, 0).is_err());
        let outside = MapRequest {
            users: vec![range(0, 1000, 10), range(100, 1005, 10)],
            ..MapRequest::default()
        };
        assert!(IdMap::new(&outside, 0, 0).is_err());
        let apart = MapRequest {
            users: vec![range(0, 1000, 10), range(10, 1010, 10)],
            ..MapRequest::default()
        };
        assert!(IdMap::new(&apart, 0, 0).is_ok());
    }
}
