//! Orderings that cannot work, refused before the first step, each with its
//! reason. The README lists them ("Rules of a chain").

use crate::{Chain, Step};
use sk_common::Result;
use sk_unshare::namespaces::NsType;

/// Checks every rule; the first broken one is the error, named by the link
/// that breaks it.
pub fn check(chain: &Chain) -> Result<()> {
    for (i, link) in chain.links.iter().enumerate() {
        let before = &chain.links[..i];
        let after = &chain.links[i + 1..];
        let broken = match &link.step {
            Step::Landlock(_) => landlock_binds_what_follows(after),
            Step::Cgroup(p) => cgroup_after_cgroup_namespace(before)
                .or_else(|| cgroup_after_the_root_changed(before))
                .or_else(|| cgroup_watch_after_a_staying_parent(p, before)),
            Step::Seccomp(p) if p.supervise.is_some() => {
                one_supervisor(before).or_else(|| supervisor_outside_the_pid_namespace(before))
            }
            Step::Pivot(_) => pivot_needs_a_mount_namespace(before)
                .or_else(|| pivot_not_in_a_joined_mount_namespace(before)),
            Step::User(_) => ids_change_before_setuid_is_dropped(before),
            _ => None,
        };
        if let Some(why) = broken {
            sk_common::log::set_tool(link.tool);
            anyhow::bail!("{why}");
        }
    }
    Ok(())
}

fn unshares(before: &[crate::Link]) -> impl Iterator<Item = &sk_unshare::cli::Plan> {
    before.iter().filter_map(|l| match &l.step {
        Step::Unshare(p) => Some(p),
        _ => None,
    })
}

/// Inside a new cgroup namespace the process's own cgroup is the root it
/// sees, and sk-cgroup would make its group below a path that does not
/// exist in the hierarchy it reads: the limits belong outside.
fn cgroup_after_cgroup_namespace(before: &[crate::Link]) -> Option<String> {
    unshares(before)
        .any(|p| p.create.contains(&NsType::Cgroup))
        .then(|| {
            "cannot make a cgroup after sk-unshare -C: put sk-cgroup before the link that \
             makes the cgroup namespace"
                .to_string()
        })
}

/// sk-cgroup finds the hierarchies in /proc/self/mountinfo and
/// /proc/self/cgroup. After sk-pivot (with --no-proc, the image's own
/// /proc) or a join of a running container's mount namespace, those files
/// and the hierarchies they name belong to the root: an image could name a
/// directory of its own as the memory hierarchy, and the limits would be
/// written to plain files.
fn cgroup_after_the_root_changed(before: &[crate::Link]) -> Option<String> {
    let changed = before.iter().any(|l| match &l.step {
        Step::Pivot(_) => true,
        Step::Unshare(p) => p.join.iter().any(|j| j.ns == NsType::Mnt),
        _ => false,
    });
    changed.then(|| {
        "cannot make a cgroup after sk-pivot or a join of a mount namespace: the hierarchies \
         there are the root's; put sk-cgroup before them"
            .to_string()
    })
}

/// After `sk-unshare -p`, `sk-cgroup --rm` hands its group to sk-unshare's
/// parent, which stands outside the pid namespace, instead of staying as a
/// parent of its own inside it (where a command keeping CAP_SYS_PTRACE
/// could ptrace it). `--die-with-parent` would keep sk-cgroup's own parent
/// there; sk-unshare's does the same from outside (killing the namespace's
/// init). After -f, -T or `--join pid=`, where sk-unshare cannot watch,
/// sk-cgroup's watch stays its own.
fn cgroup_watch_after_a_staying_parent(
    plan: &sk_cgroup::cli::Plan,
    before: &[crate::Link],
) -> Option<String> {
    (plan.die_with_parent && unshares(before).any(|p| p.create.contains(&NsType::Pid))).then(|| {
        "cannot watch the caller from sk-cgroup after sk-unshare -p: give --die-with-parent to \
         sk-unshare, whose parent stands outside the pid namespace and removes the group"
            .to_string()
    })
}

/// A notify filter's listener is refused (EBUSY) once an earlier filter of
/// the process has one: a second supervisor could never get its own.
fn one_supervisor(before: &[crate::Link]) -> Option<String> {
    before
        .iter()
        .any(|l| matches!(&l.step, Step::Seccomp(p) if p.supervise.is_some()))
        .then(|| {
            "cannot stand a second seccomp supervisor (--notify, --learn): the kernel gives one \
             listener per process; merge the rules into one sk-seccomp link"
                .to_string()
        })
}

/// A supervisor answers for the command from outside its filter. Inside
/// the container's pid namespace a command that keeps CAP_SYS_PTRACE could
/// ptrace it (non-dumpable or not) and make its calls unfiltered: it must
/// stand before the link that makes or joins the pid namespace. It sees
/// the command's calls, paths and mount namespace from there just the same.
fn supervisor_outside_the_pid_namespace(before: &[crate::Link]) -> Option<String> {
    unshares(before)
        .any(|p| p.create.contains(&NsType::Pid) || p.join.iter().any(|j| j.ns == NsType::Pid))
        .then(|| {
            "cannot stand a seccomp supervisor (--notify, --learn) inside the container's pid \
             namespace, where the command could ptrace it: put sk-seccomp before sk-unshare -p"
                .to_string()
        })
}

/// pivot_root in the host's mount namespace would move the root of the
/// whole machine: a chain that does not make or join a mount namespace
/// before sk-pivot must already run in one of its own.
fn pivot_needs_a_mount_namespace(before: &[crate::Link]) -> Option<String> {
    let made = unshares(before)
        .any(|p| p.create.contains(&NsType::Mnt) || p.join.iter().any(|j| j.ns == NsType::Mnt));
    if made {
        return None;
    }
    sk_pivot::namespace::require_own_mount_namespace()
        .err()
        .map(|e| {
            format!(
                "{} (put sk-unshare -m before sk-pivot)",
                sk_common::error::describe(&e)
            )
        })
}

/// pivot_root re-roots every process of the mount namespace whose root is
/// the old root: in a joined namespace (a running container's), those are
/// its processes, and every mount sk-pivot makes on the way is theirs to
/// see and race. A later `sk-unshare -m` gives sk-pivot a private copy.
fn pivot_not_in_a_joined_mount_namespace(before: &[crate::Link]) -> Option<String> {
    let mut joined = false;
    for p in unshares(before) {
        if p.join.iter().any(|j| j.ns == NsType::Mnt) {
            joined = true;
        }
        if p.create.contains(&NsType::Mnt) {
            joined = false;
        }
    }
    joined.then(|| {
        "cannot pivot in a joined mount namespace: pivot_root would re-root every process of it; \
         make a private copy first (sk-unshare --join mnt=... sk-unshare -m sk-pivot ...)"
            .to_string()
    })
}

/// Changing the uid and gid needs CAP_SETUID and CAP_SETGID: after an
/// sk-capdrop that dropped them, sk-user could only fail (or, when the ids
/// are already those asked for, do nothing). sk-user drops them itself.
fn ids_change_before_setuid_is_dropped(before: &[crate::Link]) -> Option<String> {
    const SETGID_SETUID: u64 = (1 << 6) | (1 << 7);
    let dropped = before.iter().any(|l| match &l.step {
        Step::Capdrop(p) => p.selection.to_drop(u64::MAX) & SETGID_SETUID != 0,
        _ => false,
    });
    dropped.then(|| {
        "cannot change the user after sk-capdrop dropped setuid or setgid: keep them there \
         (sk-capdrop --keep ...,setuid,setgid) and sk-user drops them once it has switched"
            .to_string()
    })
}

/// A Landlock domain binds every later link as well as the command: a
/// pivot or mount inside it is denied, the paths of its rules would be the
/// host's instead of the container's, sk-user could not read the image's
/// account files, and a seccomp supervisor would stand inside the domain
/// it should answer from outside.
fn landlock_binds_what_follows(after: &[crate::Link]) -> Option<String> {
    after.iter().find_map(|l| match &l.step {
        Step::Pivot(_) | Step::User(_) => Some(format!(
            "cannot restrict with Landlock before {}: put sk-landlock after sk-pivot and sk-user",
            l.tool
        )),
        Step::Unshare(p) if p.create.contains(&NsType::Mnt) || !p.join.is_empty() => Some(
            "cannot restrict with Landlock before sk-unshare: put sk-landlock after it".to_string(),
        ),
        Step::Seccomp(p) if p.supervise.is_some() => Some(
            "cannot restrict with Landlock before a seccomp supervisor: it must stand outside the \
             domain (put sk-seccomp --notify/--learn before sk-landlock)"
                .to_string(),
        ),
        _ => None,
    })
}
