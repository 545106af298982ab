//! sk-user: switch to a user, its group and supplementary groups, keeping
//! only the capabilities passed on through the ambient set, then exec;
//! `setpriv --reuid --regid --init-groups` and gosu as a link of a chain.
//!
//! Order of the steps, and why:
//! 1. parse (pure): numbers and names, nothing looked up yet;
//! 2. read /etc/passwd and /etc/group of the current root (after sk-pivot,
//!    the image's), safely, and resolve names to numbers;
//! 3. check the user namespace's maps and setgroups: fail in one line
//!    before any id changes;
//! 4. setgroups, setresgid, setresuid; capabilities, parent-death signal,
//!    dumpable (switch.rs); read everything back, fail closed;
//! 5. HOME, USER, LOGNAME; exec.

pub mod cli;
pub mod idmap;
pub mod passwd;
pub mod resolve;
pub mod switch;
pub mod user;

use sk_common::{Next, Result};
use std::convert::Infallible;
use std::path::Path;

/// Hand-written NOTES for the man page (sk-gen adds them after OPTIONS).
pub const MAN_NOTES: &str = "\
Names are looked up in /etc/passwd and /etc/group of the current root: after sk-pivot, the \
image's. They are parsed directly, never through NSS (whose modules would be the image's \
code running in this process), opened with openat2(2) RESOLVE_IN_ROOT and \
RESOLVE_NO_MAGICLINKS (a link cannot lead to a host file), read only if they are regular \
files, and at most 16 MiB. A malformed entry for the name asked for, or a name defined twice \
differently, is an error; other malformed lines are skipped. A USER or GROUP of digits only \
is a number and is never looked up as a name. The image decides what its names mean: give \
numbers (UID:GID) when it is not trusted.

Without GROUP, the group is USER's primary group from /etc/passwd; a UID that has no entry \
needs GROUP. The supplementary groups are cleared by default; --groups sets them, \
--init-groups takes USER's from /etc/group (and GROUP), --keep-groups keeps them. The order \
is setgroups(2), setresgid(2), setresuid(2); then the real, effective, saved and filesystem \
ids and the groups are read back, and anything but what was asked is an error (exit 125).

HOME, USER and LOGNAME are set from the passwd entry unless --keep-env. A UID without an \
entry gets HOME=/ and no USER or LOGNAME. A HOME that does not exist is not an error; -v \
says so.

Capabilities. When all uids leave 0 the kernel clears the permitted, effective and ambient \
sets (with SECBIT_KEEP_CAPS only the effective and ambient ones; with \
SECBIT_NO_SETUID_FIXUP nothing), and a non-root execve gives the command its ambient set \
and nothing else. So a capability for a non-root command must come through sk-capdrop \
before sk-user: sk-capdrop --keep X,setuid,setgid --ambient sk-user USER COMMAND gives \
COMMAND exactly X. sk-user notes the ambient set it was given, sets KEEP_CAPS, changes the \
ids, sets the permitted, inheritable and effective sets to that ambient set without setuid \
and setgid (what the exec of a non-root command gives), raises them into the ambient set \
again and clears KEEP_CAPS; then reads all four sets back. Without an ambient set (the default) a non-root COMMAND has \
no capability in its permitted, effective, inheritable or ambient set, whatever the \
securebits. The bounding set: when sk-user holds CAP_SETPCAP (root with its capabilities, \
no sk-capdrop before it) it lowers the bounding set to what it passes on, before the switch, \
so that a setuid-root program or a file capability of the image cannot give anything back; \
`id` then shows no capability in any set. Without CAP_SETPCAP (the chain above keeps only X, \
setuid and setgid) it cannot: the bounding set stays as sk-capdrop left it, setuid and \
setgid included, and -v says so; add sk-capdrop --no-new-privs (the recommended chain has \
it) so that no exec can gain anything from it. For a target uid of 0 the capabilities are \
left as they are: they are sk-capdrop's business.

The kernel clears the parent-death signal when the ids change: sk-user reads it before and \
sets it again after each change, so sk-unshare --kill-child still holds. The change also \
makes the process non-dumpable (its /proc files then belong to root, so it could not write \
its own /proc/self/oom_score_adj, and debuggers of the same user cannot attach): once the \
capabilities are final, sk-user makes it dumpable again if it was before, as the exec of \
COMMAND would; what it then holds is what COMMAND will hold.

In a user namespace made by sk-unshare -U -r only uid and gid 0 are mapped, and setgroups is \
denied. Switching to another user there needs a wider map (sk-unshare --map-users, \
newuidmap); clearing or setting the supplementary groups needs setgroups. sk-user checks \
both before it changes anything and says everything in the way in one line (exit 125): it \
never switches halfway. --keep-groups accepts the groups it cannot change.";

sk_common::tool_link!(plan_command);

/// The step (names resolved in the root at hand, at this link's time);
/// then the rest of the chain.
pub fn apply(plan: &cli::Plan, next: Next) -> Result<Infallible> {
    user::apply(plan, Path::new("/"), Path::new("/proc"))?;
    next()
}
