//! `--rm`: removing the group after the command, with whatever it left
//! running in it (a daemon it started, survivors of a fork bomb).
//!
//! rmdir(2) of a cgroup fails with EBUSY while a process is in it. On v2
//! since Linux 5.14 one write to cgroup.kill kills them all at once, forks
//! in flight included. On v1 the group is frozen first (with --rm it is
//! made in the freezer hierarchy too), so that nothing in it can fork
//! while its members are read from cgroup.procs and sent SIGKILL; thawing
//! then lets the signals through. After that, and where there is neither,
//! the members are killed again until the group is empty: a process forked
//! between a read and the kills shows up in the next read. The number of
//! rounds is bounded, so a group that cannot be emptied is reported, not
//! waited on forever.

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use sk_common::{verbose, Cannot, Result};
use std::path::Path;
use std::time::Duration;

use crate::group::{Group, Handle};
use crate::limits::Version;

/// How often an emptied group is retried, and how long between tries:
/// about five seconds in all.
const ROUNDS: u32 = 500;
const PAUSE: Duration = Duration::from_millis(10);

impl Group {
    /// Removes every directory this run made, killing what is still in it.
    pub fn remove(&self) -> Result<()> {
        // Only a group this run made: a reused one may hold others' work.
        let frozen = self.parts.iter().find(|p| {
            p.created && p.version == Version::V1 && p.handle.read("freezer.state").is_ok()
        });
        if let Some(p) = frozen {
            freeze_and_kill(&p.handle, &p.dir);
        }
        for p in self.parts.iter().rev().filter(|p| p.created) {
            remove_dir(&p.handle, &p.dir)?;
            verbose!("removed cgroup {}", p.dir.display());
        }
        Ok(())
    }
}

/// Empties and removes one group directory (`dir` names it in messages).
pub fn remove_dir(h: &Handle, dir: &Path) -> Result<()> {
    let mut last = Errno::EBUSY;
    for _ in 0..ROUNDS {
        match h.remove(dir) {
            Ok(()) | Err(Errno::ENOENT) => return Ok(()),
            Err(Errno::EBUSY) => last = Errno::EBUSY,
            Err(e) => return Err(e).cannot_with(|| format!("remove cgroup {}", dir.display())),
        }
        kill_members(h);
        reap_orphans();
        std::thread::sleep(PAUSE);
    }
    Err(last).cannot_with(|| {
        format!(
            "remove cgroup {} (processes are still in it)",
            dir.display()
        )
    })
}

/// v1: freezes the group, kills every member, thaws it so the kills land.
/// Best effort: what is left is for the rounds of [`remove_dir`].
fn freeze_and_kill(h: &Handle, dir: &Path) {
    if h.read("cgroup.procs").unwrap_or_default().trim().is_empty() {
        return;
    }
    if h.write("freezer.state", "FROZEN").is_err() {
        return;
    }
    // FREEZING until every task has stopped; a task in an uninterruptible
    // sleep can hold it there, so the wait is bounded.
    for _ in 0..ROUNDS {
        match h.read("freezer.state") {
            Ok(s) if s.trim() == "FROZEN" => break,
            Ok(_) => std::thread::sleep(PAUSE),
            Err(_) => break,
        }
    }
    kill_members(h);
    let _ = h.write("freezer.state", "THAWED");
    verbose!("froze {} and killed what was left in it", dir.display());
}

/// Sends SIGKILL to everything in the group.
fn kill_members(h: &Handle) {
    if h.write("cgroup.kill", "1").is_ok() {
        return;
    }
    let Ok(procs) = h.read("cgroup.procs") else {
        return;
    };
    for pid in procs.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
        // ESRCH: it ended meanwhile.
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

/// The parent is the subreaper of what the command leaves behind: reap the
/// killed ones, so no zombie of ours lingers.
pub fn reap_orphans() {
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return,
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(_) => return,
        }
    }
}

/// After the group is gone, what is left of our children was killed with
/// it: wait (a bounded while) until they are all reaped.
pub fn reap_killed() {
    for _ in 0..ROUNDS {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Err(Errno::ECHILD) => return,
            Ok(WaitStatus::StillAlive) => std::thread::sleep(PAUSE),
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_is_removed_through_its_handle_after_its_path_is_gone() {
        let base = tempfile::tempdir().unwrap();
        let top = base.path().join("top");
        let d = top.join("g");
        std::fs::create_dir_all(&d).unwrap();
        let h = Handle::open(&d).unwrap();
        // As after a pivot_root: the path no longer leads to the group.
        let moved = base.path().join("moved");
        std::fs::rename(&top, &moved).unwrap();
        assert!(!d.exists());
        remove_dir(&h, &d).unwrap();
        assert!(!moved.join("g").exists(), "not removed through the handle");
    }

    #[test]
    fn a_plain_empty_directory_is_removed_and_a_missing_one_is_fine() {
        let root = tempfile::tempdir().unwrap();
        let d = root.path().join("g");
        std::fs::create_dir(&d).unwrap();
        let h = Handle::open(&d).unwrap();
        remove_dir(&h, &d).unwrap();
        assert!(!d.exists());
        remove_dir(&h, &d).unwrap();
    }

    #[test]
    fn other_errors_are_reported_at_once_with_the_path() {
        let root = tempfile::tempdir().unwrap();
        let d = root.path().join("g");
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("file"), "").unwrap();
        // A non-empty plain directory: ENOTEMPTY, not EBUSY, so no rounds.
        let e = remove_dir(&Handle::open(&d).unwrap(), &d).unwrap_err();
        let line = sk_common::error::describe(&e);
        assert!(
            line.starts_with("cannot remove cgroup ") && line.contains("/g"),
            "{line}"
        );
    }
}
