//! Emptying and removing a cgroup through descriptors, and telling why its
//! command ended: what a staying parent does when the container is over.
//! Two parents do it: `sk-cgroup --rm` for its own group, and any staying
//! parent of the chain (sk-unshare's) for the groups a later sk-cgroup
//! handed to it (see [`crate::reclaim`]).
//!
//! Everything goes through descriptors opened when the group was made,
//! never through paths: a later step of the chain (sk-pivot) pivots the
//! root of the mount namespace the parent shares and detaches the old
//! one, after which /sys/fs/cgroup leads nowhere.
//!
//! rmdir(2) of a cgroup fails with EBUSY while a process is in it. On v2
//! since Linux 5.14 one write to cgroup.kill kills them all at once, forks
//! in flight included. On v1 the group is frozen first (when it is in the
//! freezer hierarchy too), so that nothing in it can fork while its members
//! are read from cgroup.procs and sent SIGKILL; thawing then lets the
//! signals through. After that, and where there is neither, the members are
//! killed again until the group is empty: a process forked between a read
//! and the kills shows up in the next read. The number of rounds is
//! bounded, so a group that cannot be emptied is reported, not waited on
//! forever.

use crate::error::{Cannot, Result};
use crate::{fd, verbose};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::{kill, Signal};
use nix::sys::stat::Mode;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::io::Write as _;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often an emptied group is retried, and how long between tries:
/// about five seconds in all.
const ROUNDS: u32 = 500;
const PAUSE: Duration = Duration::from_millis(10);

/// Descriptors of a group's directory and of its parent.
#[derive(Debug)]
pub struct Handle {
    pub parent: OwnedFd,
    pub dir: OwnedFd,
}

impl Handle {
    pub fn open(dir: &Path) -> Result<Handle> {
        let open = |p: &Path| {
            fd::open(p, OFlag::O_RDONLY | OFlag::O_DIRECTORY, Mode::empty())
                .cannot_with(|| format!("open cgroup {}", p.display()))
        };
        let parent = dir.parent().unwrap_or(Path::new("/"));
        Ok(Handle {
            parent: open(parent)?,
            dir: open(dir)?,
        })
    }

    /// rmdir of the group (`dir` gives its name).
    pub fn remove(&self, dir: &Path) -> nix::Result<()> {
        let name = dir.file_name().unwrap_or_default();
        nix::unistd::unlinkat(&self.parent, name, nix::unistd::UnlinkatFlags::RemoveDir)
    }

    /// An interface file of the group, read.
    pub fn read(&self, file: &str) -> std::io::Result<String> {
        let f = nix::fcntl::openat(
            &self.dir,
            file,
            OFlag::O_RDONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        std::io::read_to_string(std::fs::File::from(f))
    }

    /// An interface file of the group, written in one write(2).
    pub fn write(&self, file: &str, value: &str) -> std::io::Result<()> {
        let f = nix::fcntl::openat(
            &self.dir,
            file,
            OFlag::O_WRONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        std::fs::File::from(f).write_all(value.as_bytes())
    }
}

/// One directory of a group, as a staying parent holds it: the path it had
/// (for messages, and for its name) and its descriptors.
#[derive(Debug)]
pub struct Part {
    pub dir: PathBuf,
    pub handle: Handle,
}

/// Kills what the command left in the group and waits (a bounded while)
/// until it is gone: called before the line that says why the command
/// ended, so that nothing of the container still writes to the terminal
/// the line goes to, and before the removal. Best effort: what is left is
/// for the rounds of [`remove_dir`].
pub fn stop<'a>(parts: impl Iterator<Item = (&'a Handle, &'a Path)> + Clone) {
    // v1: the freezer directory, when the group has one, stops forks first.
    if let Some((h, dir)) = parts.clone().find(|(h, _)| h.read("freezer.state").is_ok()) {
        freeze_and_kill(h, dir);
    }
    let occupied = |h: &Handle| !h.read("cgroup.procs").unwrap_or_default().trim().is_empty();
    if !parts.clone().any(|(h, _)| occupied(h)) {
        return;
    }
    for (h, _) in parts.clone() {
        kill_members(h);
    }
    for _ in 0..ROUNDS {
        reap_orphans();
        if !parts.clone().any(|(h, _)| occupied(h)) {
            return;
        }
        std::thread::sleep(PAUSE);
    }
}

/// Empties and removes the directories of one group, in reverse order of
/// making. Stops at the first that cannot be removed.
pub fn remove<'a>(
    parts: impl DoubleEndedIterator<Item = (&'a Handle, &'a Path)> + Clone,
) -> Result<()> {
    stop(parts.clone());
    for (h, dir) in parts.rev() {
        remove_dir(h, dir)?;
        verbose!("removed cgroup {}", dir.display());
    }
    Ok(())
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

/// A parent that is a subreaper of what the command leaves behind reaps
/// the killed ones, so no zombie of its own lingers.
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

/// The value of `key` in a flat-keyed interface file (`oom_kill 3`).
pub fn counter(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// The events that ended a group's command, read from its counters before
/// it is removed: OOM kills (memory.events on v2, memory.oom_control on
/// v1) and forks refused at pids.max (pids.events).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Events {
    pub oom_kills: u64,
    pub pids_max: u64,
}

impl Events {
    pub fn read<'a>(handles: impl Iterator<Item = &'a Handle>) -> Events {
        let mut e = Events::default();
        for h in handles {
            let oom = ["memory.events", "memory.oom_control"]
                .iter()
                .find_map(|f| h.read(f).ok().and_then(|t| counter(&t, "oom_kill")));
            e.oom_kills += oom.unwrap_or(0);
            e.pids_max += h
                .read("pids.events")
                .ok()
                .and_then(|t| counter(&t, "max"))
                .unwrap_or(0);
        }
        e
    }

    /// One line for each event that happened, without the tool's prefix.
    /// `memory` and `pids` are the limits as typed (`memory=64M`); `code`
    /// is the status the parent relays (137: killed by SIGKILL).
    pub fn lines(&self, memory: Option<&str>, pids: Option<&str>, code: i32) -> Vec<String> {
        let why = |limit: Option<&str>| limit.map(|l| format!(" ({l})")).unwrap_or_default();
        let mut out = Vec::new();
        if self.oom_kills > 0 {
            out.push(if code == 128 + libc::SIGKILL {
                format!("the command was killed by the OOM killer{}", why(memory))
            } else {
                let n = self.oom_kills;
                let s = if n == 1 { "" } else { "es" };
                format!(
                    "the OOM killer killed {n} process{s} of the command{}",
                    why(memory)
                )
            });
        }
        if self.pids_max > 0 {
            let n = self.pids_max;
            let s = if n == 1 { " was" } else { "s were" };
            out.push(format!(
                "the command ran into pids.max{}: {n} fork{s} refused",
                why(pids)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_is_removed_through_its_handle_after_its_path_is_gone() {
        let base = tempdir();
        let top = base.join("top");
        let d = top.join("g");
        std::fs::create_dir_all(&d).unwrap();
        let h = Handle::open(&d).unwrap();
        // As after a pivot_root: the path no longer leads to the group.
        let moved = base.join("moved");
        std::fs::rename(&top, &moved).unwrap();
        assert!(!d.exists());
        remove_dir(&h, &d).unwrap();
        assert!(!moved.join("g").exists(), "not removed through the handle");
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_plain_empty_directory_is_removed_and_a_missing_one_is_fine() {
        let root = tempdir();
        let d = root.join("g");
        std::fs::create_dir(&d).unwrap();
        let h = Handle::open(&d).unwrap();
        remove_dir(&h, &d).unwrap();
        assert!(!d.exists());
        remove_dir(&h, &d).unwrap();
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn other_errors_are_reported_at_once_with_the_path() {
        let root = tempdir();
        let d = root.join("g");
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("file"), "").unwrap();
        // A non-empty plain directory: ENOTEMPTY, not EBUSY, so no rounds.
        let e = remove_dir(&Handle::open(&d).unwrap(), &d).unwrap_err();
        let line = crate::error::describe(&e);
        assert!(
            line.starts_with("cannot remove cgroup ") && line.contains("/g"),
            "{line}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    fn tempdir() -> PathBuf {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let d = std::env::temp_dir().join(format!(
            "sk-common-cgroup.{}.{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&d).unwrap();
        d
    }

    #[test]
    fn counters_are_read_from_flat_keyed_files() {
        let v2 = "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n";
        assert_eq!(counter(v2, "oom_kill"), Some(1));
        assert_eq!(counter(v2, "max"), Some(12));
        let v1 = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";
        assert_eq!(counter(v1, "oom_kill"), Some(2));
        assert_eq!(counter(v1, "oom"), None);
    }

    #[test]
    fn the_lines_say_why_the_command_ended() {
        let oom = Events {
            oom_kills: 1,
            pids_max: 0,
        };
        assert_eq!(
            oom.lines(Some("memory=64M"), None, 137),
            ["the command was killed by the OOM killer (memory=64M)"]
        );
        assert_eq!(
            oom.lines(Some("memory=64M"), None, 1),
            ["the OOM killer killed 1 process of the command (memory=64M)"]
        );
        let pids = Events {
            oom_kills: 0,
            pids_max: 3,
        };
        assert_eq!(
            pids.lines(None, Some("pids=32"), 2),
            ["the command ran into pids.max (pids=32): 3 forks were refused"]
        );
        assert!(Events::default()
            .lines(Some("memory=1M"), None, 137)
            .is_empty());
    }
}
