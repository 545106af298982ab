//! sk-cgroup: put the rest of the chain in a new cgroup with limits.
//!
//! Order of the steps, and why:
//! 1. parse the limits (pure, before anything is touched);
//! 2. read the layout from /proc/self (or --cgroup-root) and decide, per
//!    limit, the hierarchy whose controller handles it; a limit no
//!    hierarchy offers is an error here, before any directory exists;
//! 3. make the group and write every limit, and only then
//! 4. join it: the command never runs for a moment without its limits;
//! 5. exec, or with --rm fork (into the group with clone3 on v2): the child
//!    execs in the group, the parent stays outside it (or it could not
//!    remove it), waits, and removes it.

pub mod cli;
pub mod devices;
pub mod group;
pub mod hierarchy;
pub mod limits;
pub mod remove;
pub mod spawn;

use nix::unistd::{getpid, ForkResult, Pid};
use sk_common::parent::{FailureWatch, Parent};
use sk_common::reclaim::Sender;
use sk_common::{exit, verbose, Cannot, Next, Result};
use std::convert::Infallible;
use std::path::Path;

use group::Group;

/// Hand-written NOTES for the man page (sk-gen adds them after OPTIONS).
pub const MAN_NOTES: &str = "\
The hierarchies are read from /proc/self/mountinfo and /proc/self/cgroup, never assumed: \
cgroup v1 (one mount per controller or per group of co-mounted controllers), cgroup v2 (one \
unified mount) and the hybrid layout that has both. Each limit goes to the hierarchy that \
holds its controller. On v1 the group is made in every hierarchy a limit needs, and in the \
cpuacct hierarchy too when cpu is mounted apart from it, so that the group's CPU usage is \
counted. A limit that no hierarchy here offers, or that the version at hand cannot express \
(memory-high on v1), is an error naming the limit and the controllers that are available; \
it is never skipped in silence.

The limits are written before sk-cgroup joins the group, so the command never runs without \
them. If a write or the join fails, every directory made by this run is removed again and \
sk-cgroup exits with 125 without running the command.

On cgroup v2 a controller works in a group only when every ancestor enables it in \
cgroup.subtree_control; sk-cgroup enables the missing ones, and leaves them enabled. Two \
rules of v2 can refuse that: a group that holds processes cannot pass controllers down \
(EBUSY, the no-internal-process rule; the root is exempt), so --parent must name a group \
without processes of its own; and a group that is not delegated to the caller cannot be \
changed (EACCES).

The default name is sk-PID, unique among running chains; in a pid namespace other than the \
initial one it is sk-PID-INODE, with the inode of that namespace, since there every chain \
has a small PID such as 1. Over time such names come back (PIDs and namespace inodes are \
reused): a group of the default name that already exists is left from a chain that has \
ended; when it is empty it is removed and made anew with this run's limits, and when it \
still holds processes it is an error, never shared. A group named with --name is reused when it \
exists, and then never removed by sk-cgroup.

Without --rm, sk-cgroup executes the command in place: nothing of it stays behind. When an \
earlier link of the chain stays as a parent (sk-unshare with a pid namespace, -p, or --fork), \
sk-cgroup hands the group to it: that parent made a socketpair before it forked and named \
its end in the SK_CGROUP_RETURN variable; sk-cgroup checks with fstat(2) and getsockopt(2) \
that the fd is such a socket, sends it the descriptors of the group's directories \
(SCM_RIGHTS), closes it and removes the variable, and every exec of something that is not a \
seckun tool, and sk-pivot before it pivots, closes it too, so the command never holds it. \
When the container ends, that parent (outside the pid namespace, out of the command's \
reach) says why if a limit ended the command, then empties and removes the group, as --rm \
does, and exits with the command's status (a group it cannot remove is one line on stderr). \
So the headline chain leaves nothing behind. The group is made in the freezer hierarchy too \
on v1, so that the parent can stop what is left before it kills it. A group named with \
--name is not handed over: it stays, to be found. Where there is no staying parent \
(sk-cgroup first in the chain, or after sk-unshare without -p), the empty group remains \
afterwards in every hierarchy it was made in (-v names each directory); remove it with \
rmdir(1) on those directories once it is empty (for the default name, e.g. rmdir \
/sys/fs/cgroup/*/sk-1234 on v1, rmdir /sys/fs/cgroup/sk-1234 on v2), or use --rm.

With --rm sk-cgroup stays as a small parent outside the group: it forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH, \
exits with the command's status, and removes the group first, also when the command was \
killed. Processes the command left in the group are killed: with cgroup.kill on v2; on v1 \
the group is also made in the freezer hierarchy, frozen so that nothing in it can fork, \
and each member is sent SIGKILL, until the group is empty. The parent is their subreaper \
and reaps them. A group reused through --name is neither emptied nor removed. If the \
group still cannot be removed after about five seconds, sk-cgroup says so and exits with 125. \
When the group lives in a v2 hierarchy alone, the child is started in it by \
clone3(CLONE_INTO_CGROUP) (Linux 5.7), which saves the migration; elsewhere it is forked and \
joins by writing its pid to cgroup.procs. What --rm costs: a fork, a process that stays \
for the command's lifetime, and the removal; about 0.4 ms per run over a plain sk-cgroup \
(bench/cgroup.sh, in bench/RESULTS.md).

When the command was killed by the OOM killer, or ran into pids.max, the staying parent \
(--rm's, or the chain's one that the group was handed to) says so in one line before it \
exits with the relayed status, e.g. \"sk-cgroup: the command was killed by the OOM killer \
(memory=64M)\" and \"sk-cgroup: the command ran into pids.max (pids=32): 5 forks were \
refused\". It reads the group's counters before removing it: oom_kill of memory.events on \
v2 or of memory.oom_control on v1, max of pids.events.

Device rules (--devices, --device-rule) deny every device node but the ones allowed, on \
every open and mknod by a process of the group, whatever the mounts and the capabilities \
say: a disk node made with mknod, or shipped in an image, does not open. A rule is written \
as in cgroup v1's devices.allow: TYPE MAJOR:MINOR ACCESS, TYPE c (character), b (block) or \
a (all), MAJOR and MINOR a number or * (any), ACCESS letters of r (read), w (write) and m \
(mknod); a alone allows everything. --devices default is runc's built-in allow list, which \
Docker and Podman containers get: c *:* m and b *:* m (mknod of any node; opening it is \
another matter), /dev/null (1:3), zero (1:5), full (1:7), random (1:8), urandom (1:9), tty \
(5:0), ptmx (5:2), the ptys (136:*) and /dev/net/tun (10:200). --devices none allows no \
device at all. --device-rule adds to the preset. A rule that does not parse is an error \
before anything is made. On cgroup v1 the rules go to the devices hierarchy: a to \
devices.deny, then each rule to devices.allow. Cgroup v2 has no such files: sk-cgroup \
generates a small BPF program of type BPF_PROG_TYPE_CGROUP_DEVICE from the rules, loads it \
and attaches it to the group (bpf(2), BPF_F_ALLOW_MULTI, so the programs of the parent \
groups keep applying; loading needs CAP_BPF or CAP_SYS_ADMIN, so not in a user \
namespace). Where the v1 devices hierarchy exists it is used; where only v2 is mounted, the \
program; on a hybrid host --cgroup-root naming the cgroup2 mount puts the group, and the \
program, in the unified hierarchy, where the kernel checks it as well as the v1 rules. A \
group can never allow more than its parent.

What the command can do to the parent of --rm when it stands on its own: it is non-dumpable, \
so a command running as the same user cannot ptrace it or open its fds through /proc, but a \
command that is root in the same pid namespace (or has CAP_KILL) can SIGKILL it, and then the \
group stays, and the command and whatever it started run on unsupervised; a command that \
keeps CAP_SYS_PTRACE can ptrace it. The chain that avoids both: put sk-unshare -p before \
sk-cgroup --rm (as in the recommended chain). After a staying sk-unshare (-p, -f, -T, --join \
pid=), --rm stays no parent of its own: it hands the group to sk-unshare's parent, as without \
--rm, which relays the status, says why a limit ended the command and removes the group, as \
--rm's own parent would (-v says so). With -p or --join pid= that parent stands outside the \
command's pid namespace, where the command can neither signal nor ptrace it; with -f or -T it \
shares the command's, as --rm's own parent would. A SIGKILL of that parent itself (not of the \
caller) ends its duties: the container runs on (unless sk-unshare has --kill-child) and the \
group stays, empty once the container has ended (see above for how to clear it). With \
--die-with-parent, sk-cgroup keeps a parent and a watch of its own; after sk-unshare -p the \
chain refuses that: give --die-with-parent to sk-unshare, whose parent watches from outside. On its own, --die-with-parent ties the group to the caller: when sk-cgroup's own \
parent dies, the command is killed, and with it everything in the group, which is then \
removed.

Sizes take K, M, G and T suffixes (powers of 1024). cpu=N is a quota in microseconds per \
period, as cpu.cfs_quota_us; cpu=0.5 and cpu=50% are half of one CPU. memory-swap is the \
swap alone (v2 memory.swap.max); on v1 it is written as memory plus swap to \
memory.memsw.limit_in_bytes, and needs memory=.";

sk_common::tool_link!(argv => |c: cli::Cli| {
    let plan = c.plan().map_err(anyhow::Error::msg)?;
    let command = plan.command.clone();
    Ok((plan, command))
});

/// The step: the group with its limits, joined; then the rest of the chain,
/// in a child when the group is removed afterwards (--rm).
pub fn apply(plan: &cli::Plan, next: Next) -> Result<Infallible> {
    let layout = match &plan.cgroup_root {
        Some(dir) => hierarchy::from_root(dir)?,
        None => hierarchy::detect(Path::new("/proc/self"))?,
    };
    let pid = getpid();
    let name = match &plan.name {
        Some(n) => n.clone(),
        None => default_name(pid.as_raw(), pid_namespace()),
    };
    // A staying parent of the chain that removes the group later; not for
    // a group with a --name, which stays to be found (unless --rm). With
    // --rm too: that parent (sk-unshare -p's) stands outside the pid
    // namespace, where a command keeping CAP_SYS_PTRACE cannot reach it, and
    // does all that --rm's own parent would (the relay, the OOM line, the
    // removal), so --rm stays no parent of its own inside.
    // --die-with-parent is a watch of --rm's own parent: with it, the group
    // stays its own (the chain refuses it after sk-unshare -p, whose parent
    // watches instead).
    let heir = if (plan.name.is_some() && !plan.rm) || plan.die_with_parent {
        None
    } else {
        Sender::from_env()
    };
    if plan.rm && heir.is_some() {
        verbose!("--rm: the chain's staying parent removes the group; no parent of its own");
    }
    let targets = hierarchy::targets(
        &layout,
        &plan.limits.needs(),
        &name,
        plan.parent.as_deref(),
        // The freezer lets whoever removes the group on v1 stop it first.
        plan.rm || heir.is_some(),
    )
    .map_err(anyhow::Error::msg)?;
    let group = group::create(&targets, plan.name.is_some())?;

    if !plan.rm || heir.is_some() {
        let homes = open_homes(&group)?;
        let handed_over = heir.is_some();
        join_in_place(&group, plan, heir)?;
        if !handed_over {
            undo_after_an_exec(&group, &homes)?;
        }
        let Err(e) = next();
        // A later link failed in this process (a --chdir missing in the new
        // root, say): the command never ran, and nothing of this step stays.
        // (A group handed over is the staying parent's to remove.)
        if !handed_over {
            leave(&homes, pid.as_raw());
            group.remove_created();
        }
        return Err(e);
    }
    match start(&group, next, plan.die_with_parent) {
        Ok((parent, child, watch)) => {
            let code = parent.wait(child);
            group.tell_why(&plan.limits, code);
            group.remove()?;
            remove::reap_killed();
            if watch.failed() {
                // A later link failed in the child, which said so: the
                // steps before this one undo themselves too.
                return Err(sk_common::parent::AlreadyReported(code).into());
            }
            exit::exit(code)
        }
        Err(e) => {
            group.remove_created();
            Err(e)
        }
    }
}

/// The inode of the initial pid namespace (PROC_PID_INIT_INO), fixed by
/// the kernel.
const INIT_PID_NS: u64 = 0xEFFF_FFFC;

/// This process's pid namespace; the initial one when it cannot be read.
fn pid_namespace() -> u64 {
    nix::sys::stat::stat("/proc/self/ns/pid").map_or(INIT_PID_NS, |st| st.st_ino)
}

/// sk-PID, unique among the running chains of one pid namespace. Chains in
/// pid namespaces of their own (`sk-unshare -p sk-cgroup ...`) all have
/// small pids, 1 or 2: the namespace's inode, unique while it lives, keeps
/// their groups apart.
pub fn default_name(pid: i32, pid_ns: u64) -> String {
    if pid_ns == INIT_PID_NS {
        format!("sk-{pid}")
    } else {
        format!("sk-{pid}-{pid_ns}")
    }
}

/// The groups this process is in now, opened before it joins the new one:
/// after a later pivot their paths lead nowhere.
fn open_homes(group: &Group) -> Result<Vec<std::os::fd::OwnedFd>> {
    group
        .parts
        .iter()
        .map(|p| {
            sk_common::fd::open(
                &p.home,
                nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_DIRECTORY,
                nix::sys::stat::Mode::empty(),
            )
            .cannot_with(|| format!("open cgroup {}", p.home.display()))
        })
        .collect()
}

/// What `apply` undoes when a later link fails, written down for a later
/// process entered by a real exec (sk_common::handoff::undo): it has no
/// frame of this step to come back to.
fn undo_after_an_exec(group: &Group, homes: &[std::os::fd::OwnedFd]) -> Result<()> {
    use sk_common::handoff::{on_failure, Undo};
    for home in homes {
        on_failure(Undo::Leave(home))?;
    }
    for p in group.parts.iter().filter(|p| p.created) {
        let name = p.dir.file_name().unwrap_or_default();
        on_failure(Undo::Rmdir(&p.handle.parent, name))?;
    }
    Ok(())
}

/// Moves `pid` back into the groups it came from (errors ignored: this is
/// the clean-up after another error).
fn leave(homes: &[std::os::fd::OwnedFd], pid: i32) {
    use std::io::Write;
    for home in homes {
        if let Ok(f) = nix::fcntl::openat(
            home,
            "cgroup.procs",
            nix::fcntl::OFlag::O_WRONLY | nix::fcntl::OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        ) {
            let _ = std::fs::File::from(f).write_all(pid.to_string().as_bytes());
        }
    }
}

/// Forks the child that joins the group and execs; the parent stays out.
fn start(group: &Group, next: Next, die_with_parent: bool) -> Result<(Parent, Pid, FailureWatch)> {
    let me = getpid();
    let mut parent = Parent::prepare()?;
    if die_with_parent {
        // The child is killed; the removal then kills the rest of the group.
        parent.watch_caller(sk_common::parent::OnCallerDeath::KillChild)?;
    }
    let watch = FailureWatch::new()?;
    // Orphans of the command are reparented to us, not to init: we kill
    // them with the group, and reap them.
    nix::sys::prctl::set_child_subreaper(true).cannot("become a subreaper")?;
    match spawn::fork_into(group) {
        Ok(ForkResult::Child) => {
            let Err(e) = watch
                .in_child()
                .and_then(|()| parent.restore_in_child())
                .and_then(|()| next());
            sk_common::fail(&e)
        }
        Ok(ForkResult::Parent { child }) => Ok((parent, child, watch)),
        // In the child, which could not join: exit 125; the parent removes
        // the group.
        Err(e) if getpid() != me => sk_common::fail(&e),
        Err(e) => Err(e),
    }
}

/// Without --rm: hands the group to the chain's staying parent, if there
/// is one, then joins it; the command is executed in place. A chain fused
/// into one process passes the [`Sender`] its staying parent made
/// ([`sk_common::reclaim::Reclaim::into_sender`]); a chain of execs finds
/// it with [`Sender::from_env`].
pub fn join_in_place(group: &Group, plan: &cli::Plan, heir: Option<Sender>) -> Result<()> {
    let handed_over = heir.is_some();
    if let Some(heir) = heir {
        if let Err(e) = group
            .hand_over(&heir, &plan.limits)
            .and_then(|()| heir.pass_on())
        {
            group.remove_created();
            return Err(e);
        }
    }
    group.join(getpid().as_raw())?;
    if !handed_over {
        for p in &group.parts {
            verbose!(
                "cgroup {} stays after the command (no --rm)",
                p.dir.display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_carry_the_pid_namespace_outside_the_initial_one() {
        assert_eq!(default_name(4242, INIT_PID_NS), "sk-4242");
        assert_eq!(default_name(1, 4026532999), "sk-1-4026532999");
        assert_ne!(default_name(1, 4026532999), default_name(1, 4026533000));
    }
}
