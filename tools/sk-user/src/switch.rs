//! The switch itself: groups, gids, uids, then capabilities, the
//! parent-death signal and dumpable, and a read-back that fails closed.
//!
//! Capabilities (capabilities(7), "Effect of user ID changes"): when all
//! uids leave 0 the kernel clears the permitted, effective and ambient sets;
//! under SECBIT_KEEP_CAPS it keeps the permitted set; under
//! SECBIT_NO_SETUID_FIXUP it clears nothing. A non-root execve then gives
//! the command P' = E' = the ambient set. So sk-user:
//! 1. notes the ambient set it was given (by `sk-capdrop --ambient`) and
//!    keeps of it all but setuid and setgid: the capabilities to pass on;
//! 2. sets KEEP_CAPS when there is something to pass on;
//! 3. setgroups, setresgid, setresuid (CAP_SETGID, CAP_SETUID);
//! 4. sets the inheritable, permitted and effective sets to exactly what it
//!    passes on (what a non-root exec would give), raises them into the
//!    ambient set again and clears KEEP_CAPS. Whatever the securebits,
//!    nothing else is left.
//!
//! The bounding set: when sk-user holds CAP_SETPCAP (root with its
//! capabilities, no sk-capdrop before), it lowers the bounding set to what
//! it passes on, before the switch, so that no setuid-root program or file
//! capability can give a capability back. Without CAP_SETPCAP (the
//! documented chain keeps only X, setuid and setgid) it cannot, and the
//! bounding set stays as sk-capdrop left it; -v says so, and sk-capdrop
//! --no-new-privs is what keeps an exec from using it.
//!
//! A target uid of 0 leaves the capabilities alone: root's are the business
//! of sk-capdrop, and root gets its bounding set back at exec anyway.

use caps::{CapSet, Capability, CapsHashSet};
use nix::errno::Errno;
use nix::unistd::{getgroups, getresgid, getresuid, Gid, Uid};
use sk_common::{verbose, Cannot, Result};

use crate::resolve::Target;

/// What the process was before the switch, where the switch changes it.
struct Before {
    pdeathsig: Option<nix::sys::signal::Signal>,
    ppid: nix::unistd::Pid,
    dumpable: bool,
}

/// Switches this process to `t`; see the module's notes for the order.
pub fn switch(t: &Target) -> Result<()> {
    let before = Before {
        pdeathsig: nix::sys::prctl::get_pdeathsig().cannot("read the parent-death signal")?,
        ppid: nix::unistd::getppid(),
        dumpable: nix::sys::prctl::get_dumpable().cannot("read the dumpable flag")?,
    };
    let pass_on = if t.uid == 0 {
        None
    } else {
        Some(to_pass_on()?)
    };
    if pass_on.as_ref().is_some_and(|p| !p.is_empty()) {
        nix::sys::prctl::set_keepcaps(true).cannot("set SECBIT_KEEP_CAPS")?;
    }
    let bounding_lowered = match &pass_on {
        Some(keep) => lower_bounding(keep)?,
        None => false,
    };
    if let Some(groups) = &t.groups {
        set_groups(groups)?;
    }
    let gid = Gid::from_raw(t.gid);
    nix::unistd::setresgid(gid, gid, gid).cannot_with(|| format!("set the gids to {}", t.gid))?;
    rearm_pdeathsig(&before)?;
    let uid = Uid::from_raw(t.uid);
    nix::unistd::setresuid(uid, uid, uid).cannot_with(|| format!("set the uids to {}", t.uid))?;
    rearm_pdeathsig(&before)?;
    if let Some(keep) = &pass_on {
        set_caps(keep)?;
    }
    // The uid change made the process non-dumpable (and so its /proc files
    // root's: it could not write its own oom_score_adj). Its capabilities
    // are final now, all of them the command's too: nothing is left that a
    // process of the same user may not see. An exec would do the same.
    if before.dumpable && !nix::sys::prctl::get_dumpable().cannot("read the dumpable flag")? {
        nix::sys::prctl::set_dumpable(true).cannot("make the process dumpable again")?;
    }
    verify(t, pass_on.as_ref(), &before)?;
    if bounding_lowered {
        verify_bounding(pass_on.as_ref().unwrap_or(&CapsHashSet::new()))?;
    }
    Ok(())
}

/// The capabilities of the bounding set, as a mask: read with
/// PR_CAPBSET_READ up to the last one the kernel knows (also those newer
/// than the caps crate).
fn bounding_mask() -> u64 {
    let mut mask = 0;
    for index in 0..64u64 {
        // SAFETY: PR_CAPBSET_READ takes an integer, no pointers.
        match unsafe { libc::prctl(libc::PR_CAPBSET_READ, index as libc::c_ulong, 0, 0, 0) } {
            1 => mask |= 1 << index,
            0 => {}
            _ => break,
        }
    }
    mask
}

fn mask_of(set: &CapsHashSet) -> u64 {
    set.iter().fold(0, |m, c| m | c.bitmask())
}

/// Lowers the bounding set to `keep` when CAP_SETPCAP allows; says whether
/// it did.
fn lower_bounding(keep: &CapsHashSet) -> Result<bool> {
    let setpcap = caps::has_cap(None, CapSet::Effective, Capability::CAP_SETPCAP)
        .map_err(caps_error)
        .cannot("read the effective set")?;
    let extra = bounding_mask() & !mask_of(keep);
    if extra == 0 {
        return Ok(true);
    }
    if !setpcap {
        verbose!(
            "the bounding set stays as it is ({extra:#x} beyond what is passed on): lowering it needs CAP_SETPCAP"
        );
        return Ok(false);
    }
    for index in (0..64u64).filter(|i| extra & (1 << i) != 0) {
        // SAFETY: PR_CAPBSET_DROP takes an integer, no pointers.
        let r = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, index as libc::c_ulong, 0, 0, 0) };
        Errno::result(r)
            .cannot_with(|| format!("drop capability {index} from the bounding set"))?;
    }
    Ok(true)
}

fn verify_bounding(keep: &CapsHashSet) -> Result<()> {
    let left = bounding_mask() & !mask_of(keep);
    if left != 0 {
        anyhow::bail!("cannot lower the bounding set: it still holds {left:#x}");
    }
    Ok(())
}

/// The ambient capabilities minus setuid and setgid.
fn to_pass_on() -> Result<CapsHashSet> {
    let mut ambient = caps::read(None, CapSet::Ambient)
        .map_err(caps_error)
        .cannot("read the ambient set")?;
    ambient.remove(&Capability::CAP_SETUID);
    ambient.remove(&Capability::CAP_SETGID);
    Ok(ambient)
}

fn set_groups(groups: &[u32]) -> Result<()> {
    let current = sorted(getgroups().cannot("read the supplementary groups")?);
    let wanted: Vec<Gid> = groups.iter().map(|g| Gid::from_raw(*g)).collect();
    // Where nothing changes, nothing is asked: also where setgroups is
    // denied (a user namespace of an unprivileged user).
    if sorted(wanted.clone()) == current {
        return Ok(());
    }
    nix::unistd::setgroups(&wanted)
        .cannot_with(|| format!("set the supplementary groups to {}", show_gids(groups)))
}

/// The kernel clears the parent-death signal when the effective or fs ids
/// change; `--kill-child` and `--die-with-parent` set it before, and must
/// still hold. If the parent died meanwhile, the signal is already missed.
fn rearm_pdeathsig(before: &Before) -> Result<()> {
    let Some(sig) = before.pdeathsig else {
        return Ok(());
    };
    nix::sys::prctl::set_pdeathsig(sig).cannot("set the parent-death signal again")?;
    if nix::unistd::getppid() != before.ppid {
        anyhow::bail!("cannot keep the parent-death signal: the parent died during the switch");
    }
    Ok(())
}

fn set_caps(keep: &CapsHashSet) -> Result<()> {
    let empty = CapsHashSet::new();
    caps::set(None, CapSet::Effective, &empty)
        .map_err(caps_error)
        .cannot("clear the effective set")?;
    caps::set(None, CapSet::Inheritable, keep)
        .map_err(caps_error)
        .cannot_with(|| format!("set the inheritable set to {}", show_caps(keep)))?;
    caps::set(None, CapSet::Permitted, keep)
        .map_err(caps_error)
        .cannot_with(|| format!("set the permitted set to {}", show_caps(keep)))?;
    // As the exec of a non-root command would make it (E' = A'): a fused
    // chain, whose next link runs without an exec, holds the same.
    caps::set(None, CapSet::Effective, keep)
        .map_err(caps_error)
        .cannot_with(|| format!("set the effective set to {}", show_caps(keep)))?;
    caps::clear(None, CapSet::Ambient)
        .map_err(caps_error)
        .cannot("clear the ambient set")?;
    for cap in keep {
        caps::raise(None, CapSet::Ambient, *cap)
            .map_err(caps_error)
            .cannot_with(|| {
                format!(
                    "raise {} into the ambient set",
                    cap.to_string().to_lowercase()
                )
            })?;
    }
    nix::sys::prctl::set_keepcaps(false).cannot("clear SECBIT_KEEP_CAPS")?;
    if !keep.is_empty() {
        verbose!("passing on {} through the ambient set", show_caps(keep));
    }
    Ok(())
}

/// Reads everything back: the command runs only as exactly what was asked.
fn verify(t: &Target, pass_on: Option<&CapsHashSet>, before: &Before) -> Result<()> {
    let r = getresuid().cannot("read the uids")?;
    let g = getresgid().cannot("read the gids")?;
    // setfs[ug]id with an invalid id changes nothing and returns the
    // current one: the only way to read it without /proc.
    // SAFETY: plain system calls on integers.
    let (fsuid, fsgid) = unsafe { (libc::setfsuid(u32::MAX), libc::setfsgid(u32::MAX)) };
    let uids = [
        r.real.as_raw(),
        r.effective.as_raw(),
        r.saved.as_raw(),
        fsuid as u32,
    ];
    let gids = [
        g.real.as_raw(),
        g.effective.as_raw(),
        g.saved.as_raw(),
        fsgid as u32,
    ];
    if uids != [t.uid; 4] || gids != [t.gid; 4] {
        anyhow::bail!(
            "cannot switch to uid {} gid {}: the ids read back as uid {uids:?} gid {gids:?}",
            t.uid,
            t.gid
        );
    }
    if let Some(groups) = &t.groups {
        let now = sorted(getgroups().cannot("read the supplementary groups")?);
        let want = sorted(groups.iter().map(|g| Gid::from_raw(*g)).collect());
        if now != want {
            anyhow::bail!(
                "cannot set the supplementary groups to {}: they read back as {}",
                show_gids(groups),
                show_gids(&now.iter().map(|g| g.as_raw()).collect::<Vec<_>>())
            );
        }
    }
    if let Some(keep) = pass_on {
        verify_caps(keep)?;
    }
    let sig = nix::sys::prctl::get_pdeathsig().cannot("read the parent-death signal")?;
    if sig != before.pdeathsig {
        anyhow::bail!("cannot keep the parent-death signal: it reads {sig:?}");
    }
    Ok(())
}

fn verify_caps(keep: &CapsHashSet) -> Result<()> {
    for (set, name, want) in [
        (CapSet::Permitted, "permitted", keep.clone()),
        (CapSet::Effective, "effective", keep.clone()),
        (CapSet::Inheritable, "inheritable", keep.clone()),
        (CapSet::Ambient, "ambient", keep.clone()),
    ] {
        let now = caps::read(None, set)
            .map_err(caps_error)
            .cannot_with(|| format!("read the {name} set"))?;
        if now != want {
            anyhow::bail!(
                "cannot lower the {name} set to {}: it holds {}",
                show_caps(&want),
                show_caps(&now)
            );
        }
    }
    Ok(())
}

fn sorted(mut v: Vec<Gid>) -> Vec<Gid> {
    v.sort_by_key(|g| g.as_raw());
    v.dedup();
    v
}

pub fn show_gids(gids: &[u32]) -> String {
    if gids.is_empty() {
        return "none".into();
    }
    gids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

pub fn show_caps(set: &CapsHashSet) -> String {
    let mut names: Vec<String> = set.iter().map(|c| c.to_string().to_lowercase()).collect();
    names.sort();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(",")
    }
}

/// The caps crate's errors end in "(os error N)": the errno, taken back.
fn caps_error(err: caps::errors::CapsError) -> Errno {
    let text = err.to_string();
    text.rsplit_once("(os error ")
        .and_then(|(_, tail)| tail.strip_suffix(')'))
        .and_then(|n| n.parse::<i32>().ok())
        .map(Errno::from_raw)
        .unwrap_or(Errno::EINVAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_as_lists() {
        assert_eq!(show_gids(&[]), "none");
        assert_eq!(show_gids(&[4, 100]), "4,100");
        let mut s = CapsHashSet::new();
        assert_eq!(show_caps(&s), "none");
        s.insert(Capability::CAP_NET_BIND_SERVICE);
        s.insert(Capability::CAP_CHOWN);
        assert_eq!(show_caps(&s), "cap_chown,cap_net_bind_service");
    }
}
