//! The drop itself, one set at a time, in the order the kernel allows:
//!
//! 1. bounding: PR_CAPBSET_DROP needs CAP_SETPCAP in the effective set, so
//!    it goes before the effective set loses anything;
//! 2. ambient: lowered explicitly (the kernel would also lower it when the
//!    permitted or inheritable set loses a capability);
//! 3. inheritable: the kept capabilities are added first when they are to
//!    be raised into the ambient set, which needs them permitted and
//!    inheritable;
//! 4. ambient raise (--ambient);
//! 5. securebits (lib.rs): PR_SET_SECUREBITS needs CAP_SETPCAP too;
//! 6. effective, then permitted: effective must stay a subset of permitted
//!    at every capset(2).

use anyhow::Context;
use caps::CapSet;
use nix::errno::Errno;
use sk_common::verbose;

use crate::cli::Selection;
use crate::names::{self, capabilities, capability, describe, list};
use crate::sets::{bounding_drop_unnamed, caps_error, Sets};

/// Drops `dropping` from the bounding set. Returns false when it was not
/// possible for want of CAP_SETPCAP and `no_new_privs` stands in for it.
pub fn bounding(dropping: u64, before: &Sets, no_new_privs: bool) -> crate::Result<bool> {
    for index in names::indices(dropping & before.bounding) {
        let result = match capability(index) {
            Some(cap) => caps::drop(None, CapSet::Bounding, cap).map_err(caps_error),
            None => bounding_drop_unnamed(index).map_err(anyhow::Error::new),
        };
        match result {
            Ok(()) => {}
            // Without CAP_SETPCAP the bounding set cannot shrink. With
            // no_new_privs it need not: no exec can then raise the
            // permitted set, whatever the bounding set allows.
            Err(e) if no_new_privs && e.downcast_ref::<Errno>() == Some(&Errno::EPERM) => {
                verbose!(
                    "cannot shrink the bounding set without CAP_SETPCAP; \
                     no_new_privs keeps {} out of reach instead",
                    list(dropping & before.bounding)
                );
                return Ok(false);
            }
            Err(e) if e.downcast_ref::<Errno>() == Some(&Errno::EPERM) => {
                return Err(e.context(format!(
                    "cannot drop {} from the bounding set (it needs CAP_SETPCAP; \
                     --no-new-privs does without)",
                    names::name(index)
                )));
            }
            Err(e) => {
                return Err(e.context(format!(
                    "cannot drop {} from the bounding set",
                    names::name(index)
                )))
            }
        }
    }
    Ok(true)
}

/// Lowers `dropping` in the ambient set.
pub fn ambient(dropping: u64, before: &Sets) -> crate::Result<()> {
    // Bits the caps crate cannot name go when the inheritable set is
    // written below: an ambient capability must also be inheritable.
    for index in names::indices(dropping & before.ambient) {
        if let Some(cap) = capability(index) {
            caps::drop(None, CapSet::Ambient, cap)
                .map_err(caps_error)
                .with_context(|| {
                    format!("cannot drop {} from the ambient set", names::name(index))
                })?;
        }
    }
    Ok(())
}

/// Sets the inheritable set to what it held minus `dropping`, plus `raise`.
pub fn inheritable(dropping: u64, raise: u64, before: &Sets) -> crate::Result<()> {
    let new = (before.inheritable & !dropping) | raise;
    if new == before.inheritable && !has_unnamed(dropping) {
        return Ok(());
    }
    caps::set(None, CapSet::Inheritable, &capabilities(new))
        .map_err(caps_error)
        .with_context(|| format!("cannot set the inheritable set to {}", list(new)))
}

/// The capabilities --ambient raises: the kept ones. A capability named in
/// --keep that the process does not have cannot be raised, and that is an
/// error rather than a command that silently lacks it.
pub fn ambient_to_raise(selection: Selection, kernel: u64, before: &Sets) -> crate::Result<u64> {
    match selection {
        Selection::Drop(mask) => Ok(before.permitted & kernel & !mask),
        Selection::Keep(mask) if mask == u64::MAX => Ok(before.permitted & kernel),
        Selection::Keep(mask) => {
            let missing = mask & kernel & !before.permitted;
            if missing != 0 {
                anyhow::bail!(
                    "cannot raise {} into the ambient set: not in the permitted set",
                    list(missing)
                );
            }
            Ok(mask & kernel)
        }
    }
}

/// Raises `raise` into the ambient set; they are permitted and inheritable
/// by now.
pub fn raise_ambient(raise: u64) -> crate::Result<()> {
    for index in names::indices(raise) {
        if let Some(cap) = capability(index) {
            caps::raise(None, CapSet::Ambient, cap)
                .map_err(caps_error)
                .with_context(|| {
                    format!("cannot raise {} into the ambient set", names::name(index))
                })?;
        }
    }
    Ok(())
}

/// Drops `dropping` from the effective set, then from the permitted set.
pub fn permitted_and_effective(dropping: u64, before: &Sets) -> crate::Result<()> {
    let unnamed = has_unnamed(dropping);
    let effective = before.effective & !dropping;
    if effective != before.effective || unnamed {
        caps::set(None, CapSet::Effective, &capabilities(effective))
            .map_err(caps_error)
            .with_context(|| format!("cannot set the effective set to {}", list(effective)))?;
    }
    let permitted = before.permitted & !dropping;
    if permitted != before.permitted || unnamed {
        caps::set(None, CapSet::Permitted, &capabilities(permitted))
            .map_err(caps_error)
            .with_context(|| format!("cannot set the permitted set to {}", list(permitted)))?;
    }
    Ok(())
}

/// Fails when a dropped capability is still anywhere: the command must
/// never run with more than was asked.
pub fn verify(after: &Sets, dropping: u64, bounding_dropped: bool) -> crate::Result<()> {
    if let Some((set, left)) = after.leftovers(dropping, !bounding_dropped).first() {
        anyhow::bail!(
            "cannot drop {}: still in the {set} set after the drop",
            list(*left)
        );
    }
    Ok(())
}

/// What -v says about the drop.
pub fn summary(dropping: u64, kernel: u64) -> String {
    if dropping == 0 {
        return "nothing to drop".into();
    }
    format!("dropping {}", describe(dropping, kernel))
}

/// Whether `mask` has bits the caps crate cannot name (a newer kernel).
fn has_unnamed(mask: u64) -> bool {
    mask & !names::known_mask() != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYS_TIME: u64 = 1 << 25;
    const CHOWN: u64 = 1;
    const KERNEL: u64 = (1 << 41) - 1;

    fn root() -> Sets {
        Sets {
            bounding: KERNEL,
            permitted: KERNEL,
            effective: KERNEL,
            inheritable: 0,
            ambient: 0,
        }
    }

    #[test]
    fn ambient_raises_the_kept_capabilities() {
        let r = ambient_to_raise(Selection::Keep(SYS_TIME | CHOWN), KERNEL, &root()).unwrap();
        assert_eq!(r, SYS_TIME | CHOWN);
        let r = ambient_to_raise(Selection::Drop(SYS_TIME), KERNEL, &root()).unwrap();
        assert_eq!(r, KERNEL & !SYS_TIME);
        let r = ambient_to_raise(Selection::Keep(u64::MAX), KERNEL, &root()).unwrap();
        assert_eq!(r, KERNEL);
    }

    #[test]
    fn ambient_cannot_raise_what_is_not_permitted() {
        let mut sets = root();
        sets.permitted = CHOWN;
        let err = ambient_to_raise(Selection::Keep(SYS_TIME | CHOWN), KERNEL, &sets).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot raise cap_sys_time into the ambient set: not in the permitted set"
        );
        // In the drop form only what is permitted is kept.
        assert_eq!(
            ambient_to_raise(Selection::Drop(0), KERNEL, &sets).unwrap(),
            CHOWN
        );
    }

    #[test]
    fn verify_names_what_is_left() {
        let mut after = root();
        after.bounding &= !SYS_TIME;
        after.effective &= !SYS_TIME;
        let err = verify(&after, SYS_TIME, true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot drop cap_sys_time: still in the permitted set after the drop"
        );
        after.permitted &= !SYS_TIME;
        verify(&after, SYS_TIME, true).unwrap();
        after.bounding |= SYS_TIME;
        assert!(verify(&after, SYS_TIME, true).is_err());
        verify(&after, SYS_TIME, false).unwrap();
    }

    #[test]
    fn the_summary_reads_well() {
        assert_eq!(summary(SYS_TIME, KERNEL), "dropping cap_sys_time");
        assert_eq!(
            summary(KERNEL & !CHOWN, KERNEL),
            "dropping all but cap_chown"
        );
        assert_eq!(summary(0, KERNEL), "nothing to drop");
    }
}
