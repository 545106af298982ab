//! sk-unshare: new namespaces, or joined ones, then exec.
//!
//! Order of the steps, and why:
//! 1. open the namespaces to join (before any setns changes what paths mean);
//! 2. fork the id-map helper when the maps must be written from outside;
//! 3. setns into the joined namespaces, user first;
//! 4. unshare(2) the new ones in one call (the user namespace is made first);
//! 5. write the id maps, then the time offsets (before anyone enters);
//! 6. hostname, mount propagation, lo: these need the capabilities the new
//!    user namespace gives, and must act on the new namespaces;
//! 7. fork when a pid or time namespace needs it, and exec.

pub mod cli;
pub mod idmap;
pub mod loopback;
pub mod namespaces;
pub mod propagation;
pub mod timens;

use nix::unistd::{getegid, geteuid};
use sk_common::parent::{fork_and_wait_watching, Lifeline, OnCallerDeath};
use sk_common::{verbose, Cannot, Next, Result};
use std::convert::Infallible;

use namespaces::NsType;

/// Hand-written NOTES for the man page (sk-gen adds them after OPTIONS).
pub const MAN_NOTES: &str = "\
A pid namespace needs a fork: only children of the process that made it enter it. sk-unshare \
therefore stays outside as a small parent, forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, \
SIGUSR2 and SIGWINCH to the child and exits with the child's status (128+N if it died by \
signal N). The same holds for a time namespace, and for --fork. That parent also removes \
the cgroups a later sk-cgroup of the chain made: sk-cgroup hands it their directories over a \
socketpair named in SK_CGROUP_RETURN, and after the child has ended the parent says whether \
the OOM killer or pids.max ended the command, then empties and removes them (see \
sk-cgroup(1)).

The kernel delivers to PID 1 of a pid namespace only the signals it has a handler for: a \
shell that is PID 1 ignores SIGTERM and Ctrl-C. So with a new pid namespace a minimal init is \
PID 1 by default (as in bwrap; --init says so explicitly): it runs the command as PID 2, \
forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to it, reaps \
orphans, and exits with its status, so Ctrl-C and SIGTERM end a command without handlers \
(130, 143). The init is forked at the end of the chain, by the process that executes the \
command, after every other link: it is in the same cgroup, root, capability sets and \
profiles as the command, and keeps no fd but its signalfd, so it holds nothing the command \
lacks. (Two exceptions: a seccomp filter of sk-seccomp is loaded after the fork, and an \
AppArmor profile of sk-aaexec takes effect at the command's exec, so neither applies to the \
init; a command would need CAP_SYS_PTRACE to make use of that.) \
--as-pid-1 makes the command PID 1 itself, as before.

--die-with-parent: the parent that stays outside the pid namespace asks the kernel for a \
signal when its own parent (the caller) dies (PR_SET_PDEATHSIG on itself, where the command \
cannot reach it) and then kills the namespace's PID 1, which takes every process of the \
namespace with it, whatever they did to their own parent-death signal. The container is gone \
as soon as the kernel has delivered the kills, rootful and rootless alike. --kill-child \
covers the other death, that of sk-unshare's own parent process: its child (the init, \
or the command with --as-pid-1) gets the signal; the init, PID 1, takes the namespace with \
it. Without a new pid namespace (-f, -T), or with --as-pid-1, the signal goes to the command \
itself, which can clear it: use -p.

--join mnt=... crosses a filesystem boundary like sk-pivot: every inherited fd above 2 is \
closed before the command except those named by --keep-fd (and socket activation's \
LISTEN_FDS), and a kept directory outside the joined namespace's root is refused unless \
--unsafe-keep-dir-fd.

In a new mount namespace / is made recursively private first (--propagation), so that no \
mount made inside appears on the host, and no later host mount appears inside.

User namespace maps: a process may write its own maps only for one line that maps its own \
user (and group, with setgroups denied). -r and -c are written that way. Ranges, and \
--setgroups allow, are written from outside the new namespace by a helper process: directly \
when sk-unshare runs as root, otherwise by newuidmap(1) and newgidmap(1) from /etc/subuid \
and /etc/subgid.";

sk_common::tool_link!(argv => |c: cli::Cli| {
    let (euid, egid) = (geteuid().as_raw(), getegid().as_raw());
    Ok((c.plan(euid, egid).map_err(anyhow::Error::msg)?, c.command))
});

/// The step: namespaces, maps, hostname, propagation; then the rest of the
/// chain, in a forked child when a pid or time namespace needs one.
pub fn apply(plan: &cli::Plan, next: Next) -> Result<Infallible> {
    let euid = geteuid();
    let joined = namespaces::open_joins(&plan.join)?;
    // The maps name the ids this process has now, which an earlier link of
    // the chain (sk-user) may have changed since the chain was read.
    let idmap = idmap::IdMap::new(&plan.map_request, euid.as_raw(), getegid().as_raw())
        .map_err(anyhow::Error::msg)?;
    let writer = idmap::prepare(&idmap)?;
    namespaces::join(joined)?;
    if let Some(keep) = &plan.keep {
        // setns(CLONE_NEWNS) moved our root: a filesystem boundary.
        sk_common::fds::crossed(keep)?;
    }
    // The chain is not dumpable (sk_chain::main); a process writes its own
    // uid_map, gid_map and setgroups only while it is, since those files
    // belong to root otherwise. The new user namespace holds nothing but
    // this process meanwhile.
    let own_maps = plan.create.contains(&NsType::User);
    if own_maps {
        nix::sys::prctl::set_dumpable(true).cannot("make the process dumpable for its maps")?;
    }
    namespaces::create(&plan.create, euid.is_root())?;
    idmap::write(writer, &idmap)?;
    if own_maps {
        nix::sys::prctl::set_dumpable(false).cannot("make the process non-dumpable")?;
    }
    if let Some((monotonic, boottime)) = plan.time_offsets {
        timens::write_offsets(monotonic, boottime)?;
    }
    if let Some(name) = &plan.hostname {
        nix::unistd::sethostname(name).map_err(|e| {
            anyhow::Error::new(e).context(format!("cannot set the hostname to {name}"))
        })?;
        verbose!("hostname set to {name}");
    }
    if plan.create.contains(&NsType::Mnt) {
        sk_common::mount::set_root_propagation(plan.propagation)?;
    }
    if plan.create.contains(&NsType::Net) {
        loopback::bring_up_lo()?;
    }

    if plan.init {
        sk_common::init::request();
    }
    if !plan.fork {
        return next();
    }
    let lifeline = Lifeline::new()?;
    let (kill_child, mount_proc) = (plan.kill_child, plan.mount_proc);
    let watch = plan.die_with_parent.then_some(OnCallerDeath::KillChild);
    fork_and_wait_watching(watch, move |parent| {
        if let Some(sig) = kill_child {
            lifeline.die_with_parent(sig)?;
        } else {
            drop(lifeline);
        }
        if mount_proc {
            propagation::mount_proc()?;
        }
        parent.restore_in_child()?;
        next()
    })
}
