//! sk-rlimit: resource limits, nice value and OOM score of itself, then
//! exec; prlimit(1) as a link of a chain.
//!
//! Order of the steps, and why:
//! 1. parse every limit (pure): a bad one fails before anything changes;
//! 2. the nproc check: warn (or with --strict fail) where the kernel would
//!    not enforce RLIMIT_NPROC;
//! 3. nice value and oom_score_adj, then each limit, read back;
//! 4. --print, then exec.

pub mod cli;
pub mod limits;
pub mod names;

use sk_common::{Next, Result};
use std::convert::Infallible;
use std::path::Path;

/// Hand-written NOTES for the man page (sk-gen adds them after OPTIONS).
pub const MAN_NOTES: &str = "\
Why a link of its own: a rootless chain has no cgroup (sk-cgroup needs one that root \
delegated), so resource limits are its only resource control, and prlimit(1) cannot sit in \
the middle of a chain after sk-pivot. Limits are inherited across fork and exec, so every \
process of the command has them; each process has its own counters, except nproc (processes \
of the same real user) and msgqueue and sigpending (per user).

A limit is SOFT:HARD; one value sets both; :HARD or SOFT: changes one side and keeps the \
other as it is in force; unlimited (or infinity) is no limit. Byte limits (as, core, data, \
fsize, memlock, msgqueue, rss, stack) take K, M and G suffixes (powers of 1024). nice is the \
ceiling of the nice value as the kernel counts it (20 - nice, 0 to 40), as in prlimit(1). \
Anyone can lower a limit; raising a hard limit needs CAP_SYS_RESOURCE, and sk-rlimit says so \
in one line (exit 125). Every limit is read back after it is set.

nproc counts the processes of the real user id (in a user namespace: of that user in that \
namespace and every namespace above it). The kernel does not enforce it for uid 0 of the \
initial user namespace, nor for a process with CAP_SYS_RESOURCE or CAP_SYS_ADMIN there; \
real root running sk-unshare -U -r is still that uid 0. Then sk-rlimit warns that nproc= \
will not be enforced, and --strict makes that an error. Put sk-rlimit after sk-user, or \
start the chain as an unprivileged user, or use sk-cgroup pids= where a cgroup is possible.

--oom-score-adj writes /proc/self/oom_score_adj, where /proc must be procfs (after sk-pivot, \
the new /proc; a /proc of the image that is not procfs is refused), and reads it back. \
Raising it is always allowed; lowering it below what it was needs CAP_SYS_RESOURCE. --nice \
sets the nice value with setpriority(2); a lower (stronger) value needs CAP_SYS_NICE or an \
RLIMIT_NICE that allows it. Both are done before the limits. After sk-user switched to \
another user, the process is dumpable again, so it can still write its own oom_score_adj.

--print shows every limit in force afterwards, on stderr (stdout belongs to the command).";

sk_common::tool_link!(plan_command);

/// The step; then the rest of the chain.
pub fn apply(plan: &cli::Plan, next: Next) -> Result<Infallible> {
    limits::apply(plan, Path::new("/proc"))?;
    next()
}
