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

use crate::group::{write_file, Group};
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
            p.created && p.version == Version::V1 && p.dir.join("freezer.state").exists()
        });
        if let Some(p) = frozen {
            freeze_and_kill(&p.dir);
        }
        for p in self.parts.iter().rev().filter(|p| p.created) {
            remove_dir(&p.dir)?;
            verbose!("removed cgroup {}", p.dir.display());
        }
        Ok(())
    }
}

/// Empties and removes one group directory.
pub fn remove_dir(dir: &Path) -> Result<()> {
    let mut last = Errno::EBUSY;
    for _ in 0..ROUNDS {
        match std::fs::remove_dir(dir).map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0))) {
            Ok(()) | Err(Errno::ENOENT) => return Ok(()),
            Err(Errno::EBUSY) => last = Errno::EBUSY,
            Err(e) => return Err(e).cannot_with(|| format!("remove cgroup {}", dir.display())),
        }
        kill_members(dir);
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
fn freeze_and_kill(dir: &Path) {
    let members = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
    if members.trim().is_empty() {
        return;
    }
    let state = dir.join("freezer.state");
    if write_file(&state, "FROZEN").is_err() {
        return;
    }
    // FREEZING until every task has stopped; a task in an uninterruptible
    // sleep can hold it there, so the wait is bounded.
    for _ in 0..ROUNDS {
        match std::fs::read_to_string(&state) {
            Ok(s) if s.trim() == "FROZEN" => break,
            Ok(_) => std::thread::sleep(PAUSE),
            Err(_) => break,
        }
    }
    kill_members(dir);
    let _ = write_file(&state, "THAWED");
    verbose!("froze {} and killed what was left in it", dir.display());
}

/// Sends SIGKILL to everything in the group.
fn kill_members(dir: &Path) {
    let all_at_once = dir.join("cgroup.kill");
    if all_at_once.exists() && write_file(&all_at_once, "1").is_ok() {
        return;
    }
    let Ok(procs) = std::fs::read_to_string(dir.join("cgroup.procs")) else {
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
    fn a_plain_empty_directory_is_removed_and_a_missing_one_is_fine() {
        let root = tempfile::tempdir().unwrap();
        let d = root.path().join("g");
        std::fs::create_dir(&d).unwrap();
        remove_dir(&d).unwrap();
        assert!(!d.exists());
        remove_dir(&d).unwrap();
    }

    #[test]
    fn other_errors_are_reported_at_once_with_the_path() {
        let root = tempfile::tempdir().unwrap();
        let d = root.path().join("g");
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("file"), "").unwrap();
        // A non-empty plain directory: ENOTEMPTY, not EBUSY, so no rounds.
        let e = remove_dir(&d).unwrap_err();
        let line = sk_common::error::describe(&e);
        assert!(
            line.starts_with("cannot remove cgroup ") && line.contains("/g"),
            "{line}"
        );
    }
}
