//! When a link may run in the same process as the one before it, and when
//! it must be entered by a real exec of the engine's binary.
//!
//! A fused link must find the process as an execve of the next tool would
//! have left it. Most of that state an exec keeps (namespaces, ids, the
//! bounding set, no_new_privs, rlimits, the signal mask, ignored signals,
//! the cwd and root) or the engine can give exactly: SECBIT_KEEP_CAPS is
//! cleared (exec clears it). The dumpable flag is not: every process of
//! the chain is non-dumpable until the command's exec (sk_chain::main), as
//! it would be after the real exec of a link.
//! What it cannot give is a permitted set that an exec would make *grow*:
//! root's exec gives it the bounding and inheritable sets, and capset(2)
//! can never add to the permitted set. So the sets an exec would compute
//! are compared with the sets at hand, and where they differ the next link
//! is entered by a real exec, through the binary opened before the first
//! step (never a lookup).

use caps::CapSet;
use sk_capdrop::names::mask_of;
use sk_common::{Cannot, Result};

const SECBIT_NOROOT: u64 = 1 << 0;

/// Whether an execve of a plain file (no setuid bit, no file capabilities)
/// would leave the capability sets as they are now.
///
/// Asked at every link, so only what the answer needs is read: root's exec
/// takes the bounding set (41 prctl calls), anyone else's the ambient set,
/// which can only hold what is both permitted and inheritable (usually
/// nothing: no call at all).
pub fn exec_keeps_capabilities() -> Result<bool> {
    let read = |set| {
        caps::read(None, set)
            .map(mask_of)
            .cannot("read the capability sets")
    };
    let (p, e, i) = (
        read(CapSet::Permitted)?,
        read(CapSet::Effective)?,
        read(CapSet::Inheritable)?,
    );
    let (ruid, euid, suid) = ids();
    let gids = nix::unistd::getresgid().cannot("read the group ids")?;
    if suid != euid || gids.saved != gids.effective {
        // Every exec sets the saved (and fs) ids to the effective ones. No
        // link leaves them apart today (sk-user sets all three), but one
        // that did would need a real exec to give the next link what it
        // would find.
        return Ok(false);
    }
    // SAFETY: PR_GET_SECUREBITS takes no pointer.
    let secbits = unsafe { libc::prctl(libc::PR_GET_SECUREBITS) } as u64;
    let nnp = nix::sys::prctl::get_no_new_privs().cannot("read no_new_privs")?;
    let root = (ruid == 0 || euid == 0) && secbits & SECBIT_NOROOT == 0;
    let ambient = || sk_capdrop::sets::read_ambient(p & i);
    let mut p_new = if root {
        i | read(CapSet::Bounding)?
    } else {
        ambient()?
    };
    if nnp {
        p_new &= p;
    }
    let e_new = if root && euid == 0 { p_new } else { ambient()? };
    Ok(p_new == p && e_new == e)
}

fn ids() -> (u32, u32, u32) {
    let r = nix::unistd::getresuid().expect("getresuid cannot fail");
    (r.real.as_raw(), r.effective.as_raw(), r.saved.as_raw())
}

/// Makes the process as an exec would leave it, where the engine can;
/// false where only a real exec can.
pub fn as_after_exec() -> Result<bool> {
    // SAFETY: PR_GET_KEEPCAPS and PR_SET_KEEPCAPS take integers.
    if unsafe { libc::prctl(libc::PR_GET_KEEPCAPS, 0, 0, 0, 0) } == 1
        && unsafe { libc::prctl(libc::PR_SET_KEEPCAPS, 0, 0, 0, 0) } != 0
    {
        // Locked: only an exec clears it.
        return Ok(false);
    }
    exec_keeps_capabilities()
}
