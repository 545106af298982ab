//! sk-capdrop: drop capabilities for good, then exec.
//!
//! Order of the steps, and why (details in drop.rs):
//! 1. read the sets and what the kernel knows (nothing changes yet);
//! 2. bounding set first: it is what keeps root, setuid-root binaries and
//!    file capabilities from giving a capability back at the next exec, and
//!    shrinking it needs CAP_SETPCAP, which the later steps remove;
//! 3. ambient, inheritable, ambient raise (--ambient);
//! 4. securebits, while CAP_SETPCAP is still effective;
//! 5. effective and permitted;
//! 6. no_new_privs (needs no privilege, so it can come last);
//! 7. read the sets back and fail closed if a dropped capability is
//!    still anywhere; then exec.

pub mod cli;
pub mod drop;
pub mod names;
pub mod report;
pub mod secbits;
pub mod sets;

use sk_common::{verbose, Cannot, Next, Result};
use std::convert::Infallible;

use sets::Sets;

/// Hand-written NOTES for the man page (sk-gen adds them after OPTIONS).
pub const MAN_NOTES: &str = "\
Why the bounding set: when root (or a setuid-root binary) executes a program, the kernel \
gives it every capability of the bounding set, and a file with file capabilities gets \
those that the bounding set allows. Dropping a capability only from the permitted and \
effective sets would therefore last until the next exec. sk-capdrop drops it from the \
bounding set first, which needs CAP_SETPCAP, then from the ambient, inheritable, effective \
and permitted sets, and reads all five back: if a dropped capability is still anywhere it \
fails (exit 125) and the command does not run.

--keep CAPS drops every capability except CAPS. A command that runs as root gets CAPS back \
at exec through the bounding set. A command that does not run as root, or runs as root \
under the noroot securebit, loses all its capabilities at exec except those in the ambient \
set: add --ambient, which raises the kept capabilities into the inheritable and ambient \
sets. For that sk-capdrop itself must hold them: as root, or as a user that was given them \
(setpriv --ambient-caps, a service manager's AmbientCapabilities). A change of uid from root \
to another user clears the ambient set (the kernel does that on purpose); sk-user raises it \
again: sk-capdrop --keep X,setuid,setgid --ambient sk-user USER COMMAND gives a non-root \
COMMAND exactly X (see sk-user(1)).

Without CAP_SETPCAP (a process that is not root, outside a user namespace of its own) the \
bounding set cannot shrink, and sk-capdrop refuses, unless --no-new-privs is given: with \
no_new_privs set, no exec can raise the permitted set (setuid bits and file capabilities \
are ignored), so the bounding set is not needed to keep the capabilities away.

--secbits sets securebits before the drop, while CAP_SETPCAP is still there. noroot stops \
root from getting capabilities at exec at all (then a command that runs as root keeps only \
what is in the ambient set); no-setuid-fixup stops the kernel from adjusting the sets when \
the uids change; each -locked bit makes its flag permanent for this process and everything \
it executes. The bits are added to those already set.

Capabilities that the running kernel does not know (numbers above \
/proc/sys/kernel/cap_last_cap, from a newer kernel than this one) cannot be in any set; \
dropping them does nothing, and -v says so. all and --keep cover every capability the \
kernel knows, also those newer than sk-capdrop.

The names of docker-default are the 14 capabilities Docker keeps by default: chown, \
dac_override, fsetid, fowner, mknod, net_raw, setgid, setuid, setfcap, setpcap, \
net_bind_service, sys_chroot, kill, audit_write. oci-default is the 3 of the example \
spec written by runc spec: audit_write, kill, net_bind_service.";

sk_common::tool_link!(plan_command);

/// The step: the five sets, securebits, no_new_privs, read back; then the
/// rest of the chain.
pub fn apply(plan: &cli::Plan, next: Next) -> Result<Infallible> {
    let kernel = sets::kernel_caps();
    let unknown = plan.selection.unknown_to(kernel);
    if unknown != 0 {
        verbose!(
            "{} unknown to this kernel (cap_last_cap {}): nothing to drop",
            names::list(unknown),
            63 - kernel.leading_zeros()
        );
    }
    let dropping = plan.selection.to_drop(kernel);
    let before = Sets::read(kernel)?;
    let raise = if plan.ambient {
        drop::ambient_to_raise(plan.selection, kernel, &before)?
    } else {
        0
    };
    verbose!("{}", drop::summary(dropping, kernel));

    let bounding_dropped = drop::bounding(dropping, &before, plan.no_new_privs)?;
    drop::ambient(dropping, &before)?;
    drop::inheritable(dropping, raise, &before)?;
    drop::raise_ambient(raise)?;
    if let Some(bits) = plan.secbits {
        secbits::add(bits)?;
    }
    drop::permitted_and_effective(dropping, &before)?;
    if plan.no_new_privs {
        nix::sys::prctl::set_no_new_privs().cannot("set no_new_privs")?;
    }

    let after = Sets::read(kernel)?;
    let securebits = secbits::get()?;
    let no_new_privs = nix::sys::prctl::get_no_new_privs().cannot("read no_new_privs")?;
    if plan.print {
        report::print(&after, kernel, securebits, no_new_privs);
    }
    drop::verify(&after, dropping, bounding_dropped)?;
    if let Some(bits) = plan.secbits {
        if securebits & bits != bits {
            anyhow::bail!("cannot set the securebits {}", secbits::describe(bits));
        }
    }
    if plan.no_new_privs && !no_new_privs {
        anyhow::bail!("cannot set no_new_privs: still unset");
    }
    next()
}
