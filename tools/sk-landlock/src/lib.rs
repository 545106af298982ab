//! sk-landlock: restrict what the command may touch with Landlock, then
//! exec.
//!
//! parse (cli.rs, pure) -> plan -> apply (restrict.rs: the kernel's ABI,
//! the decision of compat.rs, the rule paths opened at the link's own
//! time, the ruleset built and enforced with the landlock crate) -> exec.
//! There is no prepare step: the paths are meant for inside the
//! container and are opened in apply.

pub mod access;
pub mod cli;
pub mod compat;
pub mod report;
pub mod restrict;

use sk_common::{Next, Result};
use std::convert::Infallible;

pub use cli::Plan;

/// Hand-written NOTES for the man page (sk-gen adds them after OPTIONS).
pub const MAN_NOTES: &str = "\
Landlock (landlock(7)) lets a process restrict itself, without privilege, and the \
restriction holds for everything it executes and cannot be lifted. It is not bypassed by \
root or by capabilities such as CAP_DAC_OVERRIDE: a container's root inside the recommended \
chain gets EACCES outside the --rw paths like anyone else. A process in the domain cannot \
ptrace one outside it, and under the signal scope (on by default from ABI 6) cannot signal \
one either: the staying parents of a chain (sk-unshare, sk-cgroup --rm) are out of its reach.

Strict by default. sk-landlock restricts everything the kernel's Landlock ABI can restrict \
except what the rules allow: all filesystem rights of the ABI, TCP bind and connect (ABI 4; \
--bind-tcp/--connect-tcp any leaves one unrestricted), and both scopes (ABI 6; --scope names \
exactly the ones wanted, none for no scope). A rule that needs a newer ABI than the kernel's \
(--bind-tcp, --connect-tcp: 4; --dev: 5; --scope: 6) is an error that names the feature and \
both ABIs, and so is a promise the ABI cannot keep: below ABI 3 truncate is not mediated, so \
neither --ro nor the paths outside --rw are safe from truncate(2); on Debian 12 (Linux 6.1, ABI \
2) every rule set fails this way. --best-effort applies what the kernel can and always says on \
stderr what it left out. A kernel newer than ABI 7 is used as ABI 7, the newest sk-landlock \
knows: rights added later would be denied with no option to allow them.

Paths are opened when the link runs: after sk-pivot they are the container's paths. A rule \
path that does not exist is an error unless --optional PATH is given. A rule path is not \
followed through a symbolic link anywhere on it (openat2(2) RESOLVE_NO_SYMLINKS): an image \
with /srv/data -> / must not turn --rw /srv/data into write access to everything. \
--follow-symlinks follows them; --optional PATH leaves out the rule of a path that is a link. \
A rule on a file grants only the rights that apply to files.

The container preset (--preset container, printed by --print): read-only /usr, /bin, /lib, \
/lib32, /lib64, /libx32, /etc and /proc; read-write /tmp, /dev/shm, /dev/null and the \
terminal (/dev/tty, /dev/pts, with ioctl where the kernel mediates it, ABI 5); execution from \
/usr and /bin. Each of its paths is optional: on merged-/usr Debian, /bin and /lib are links \
into /usr, whose own rule covers them. Rules given with it are added to it.

no_new_privs: Landlock requires it of a process without CAP_SYS_ADMIN in its user \
namespace, and sk-landlock always sets it (the landlock crate does, before it restricts). \
What it costs: nothing executed after this link gains privileges from setuid or setgid bits \
or file capabilities (su, sudo, ping with file capabilities stop working as such), and an \
AppArmor profile change after it must stack (sk-aaexec --stack).

Position in a chain: after sk-pivot (so that the paths are the container's) and after \
sk-user (sk-seccomp's filter is loaded just before the command's execve, wherever it \
stands). The ruleset binds the links after it too (e.g. \
sk-env's -C directory must be allowed). A seccomp notify supervisor must stand before it, \
outside the domain: inside, it would be restricted like the command.

Limits. Descriptors opened before the ruleset keep their access: an fd inherited from the \
caller reaches what it was opened on whatever the rules say, which is why a chain closes the \
caller's descriptors at its boundary. Landlock does not restrict a process that can change \
the kernel itself: root with CAP_SYS_MODULE (modules), CAP_SYS_RAWIO (raw I/O), CAP_BPF or \
CAP_SYS_ADMIN (bpf programs) or CAP_SYS_BOOT (kexec) is beyond its reach; the recommended \
chain drops those capabilities. Some operations are always denied or never mediated by \
Landlock, whatever the rules: see landlock(7) (e.g. mounts are denied in a domain; reading \
file metadata, chmod and chown are not mediated).";

/// For the chain's ordering check: the links that, when a chain has them,
/// must come before sk-landlock (its paths are the container's, and the
/// user change needs what the rules may deny). A seccomp notify
/// supervisor must also stand before it, outside the domain; sk-seccomp
/// itself (the filter) comes after it, last.
pub const COMES_AFTER: [&str; 2] = ["sk-pivot", "sk-user"];

sk_common::tool_link!(plan_command);

/// The step (rule paths resolved in the root at hand, at this link's
/// time); then the rest of the chain, which the ruleset binds too.
pub fn apply(plan: &cli::Plan, next: Next) -> Result<Infallible> {
    restrict::apply(plan)?;
    next()
}
