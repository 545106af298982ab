//! When the command is over: the groups this run made are emptied and
//! removed, by `--rm`'s own parent or by a staying parent of the chain
//! they were handed to, and the line that says why the command ended (the
//! OOM killer, pids.max) is printed. The work itself is in
//! [`sk_common::cgroup`], shared with that parent.

use sk_common::cgroup::{self, Events, Part};
use sk_common::reclaim::Sender;
use sk_common::{verbose, Result};

use crate::group::Group;
use crate::limits::Limits;

pub use sk_common::cgroup::{reap_killed, reap_orphans, remove_dir};

impl Group {
    /// Removes every directory this run made, killing what is still in it.
    /// Only a group this run made: a reused one may hold others' work.
    pub fn remove(&self) -> Result<()> {
        cgroup::remove(
            self.parts
                .iter()
                .filter(|p| p.created)
                .map(|p| (&p.handle, p.dir.as_path())),
        )
    }

    /// Prints one line for each limit that ended the command (`code` is
    /// the status about to be relayed), once what the command left in the
    /// group is gone (see [`cgroup::stop`]).
    pub fn tell_why(&self, limits: &Limits, code: i32) {
        cgroup::stop(
            self.parts
                .iter()
                .filter(|p| p.created)
                .map(|p| (&p.handle, p.dir.as_path())),
        );
        let events = Events::read(self.parts.iter().map(|p| &p.handle));
        let (memory, pids) = (limits.shown("memory"), limits.shown("pids"));
        for line in events.lines(memory.as_deref(), pids.as_deref(), code) {
            sk_common::say!("sk-cgroup: {line}");
        }
    }

    /// Hands the directories this run made to a staying parent of the
    /// chain, which removes them when the container ends. The group's own
    /// descriptors stay here and are closed on exec.
    pub fn hand_over(&self, to: &Sender, limits: &Limits) -> Result<()> {
        let mut parts = Vec::new();
        for p in self.parts.iter().filter(|p| p.created) {
            parts.push(Part {
                dir: p.dir.clone(),
                handle: cgroup::Handle {
                    parent: p.handle.parent.try_clone()?,
                    dir: p.handle.dir.try_clone()?,
                },
            });
        }
        if parts.is_empty() {
            return Ok(());
        }
        let (memory, pids) = (limits.shown("memory"), limits.shown("pids"));
        to.send(&parts, memory.as_deref(), pids.as_deref())?;
        for p in &parts {
            verbose!(
                "cgroup {} is removed by the chain's staying parent when the command ends",
                p.dir.display()
            );
        }
        Ok(())
    }
}
