//! The five capability sets of this thread: reading them, and what is still
//! there after a drop.
//!
//! The caps crate does the work for every capability it has a name for
//! (0 to 40 in caps 0.5). A kernel newer than the crate may know more; for
//! those the bounding set is read and changed with prctl(2) directly, and
//! the other sets lose them whenever they are written (capset(2) writes
//! whole masks, and the crate's masks have no bits for them).

use anyhow::Context;
use caps::CapSet;
use nix::errno::Errno;

use crate::names::{self, known_mask};

/// Bit N for capability N, per set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sets {
    pub bounding: u64,
    pub permitted: u64,
    pub effective: u64,
    pub inheritable: u64,
    pub ambient: u64,
}

impl Sets {
    /// Reads the sets of the calling thread; `kernel` are the capabilities
    /// the running kernel knows.
    pub fn read(kernel: u64) -> crate::Result<Sets> {
        let mut bounding = read_set(CapSet::Bounding, "bounding")?;
        for index in names::indices(kernel & !known_mask()) {
            if bounding_has_unnamed(index).with_context(|| {
                format!("cannot read {} in the bounding set", names::name(index))
            })? {
                bounding |= 1 << index;
            }
        }
        let permitted = read_set(CapSet::Permitted, "permitted")?;
        let inheritable = read_set(CapSet::Inheritable, "inheritable")?;
        Ok(Sets {
            bounding,
            permitted,
            effective: read_set(CapSet::Effective, "effective")?,
            inheritable,
            ambient: read_ambient(permitted & inheritable)?,
        })
    }

    /// The sets with their names, in the order /proc/PID/status lists them.
    pub fn named(&self) -> [(&'static str, u64); 5] {
        [
            ("inheritable", self.inheritable),
            ("permitted", self.permitted),
            ("effective", self.effective),
            ("bounding", self.bounding),
            ("ambient", self.ambient),
        ]
    }

    /// The capabilities of `dropped` still present, and the set that holds
    /// each; the bounding set is left out when `skip_bounding`.
    pub fn leftovers(&self, dropped: u64, skip_bounding: bool) -> Vec<(&'static str, u64)> {
        self.named()
            .into_iter()
            .filter(|(set, _)| !(skip_bounding && *set == "bounding"))
            .map(|(set, mask)| (set, mask & dropped))
            .filter(|(_, left)| *left != 0)
            .collect()
    }
}

fn read_set(set: CapSet, what: &str) -> crate::Result<u64> {
    caps::read(None, set)
        .map(names::mask_of)
        .map_err(caps_error)
        .with_context(|| format!("cannot read the {what} set"))
}

/// The ambient set, asked only for the capabilities in `candidates`
/// (permitted and inheritable): the kernel keeps every other one out of
/// it (capabilities(7): "no capability can ever be ambient if it is not
/// both permitted and inheritable"). Usually none is, and nothing is asked;
/// the whole set is 82 prctl calls.
pub fn read_ambient(candidates: u64) -> crate::Result<u64> {
    let mut ambient = 0;
    for cap in names::indices(candidates).filter_map(names::capability) {
        if caps::has_cap(None, CapSet::Ambient, cap)
            .map_err(caps_error)
            .context("cannot read the ambient set")?
        {
            ambient |= cap.bitmask();
        }
    }
    Ok(ambient)
}

/// The capabilities the running kernel knows: 0 to cap_last_cap. Asked
/// with prctl(PR_CAPBSET_READ), which refuses numbers above it, rather than
/// read from /proc/sys/kernel/cap_last_cap: a chain may run in a new root
/// without /proc.
pub fn kernel_caps() -> u64 {
    // Numbers have no holes: a kernel that knows the crate's highest
    // capability knows them all, and one call says so instead of 41.
    let highest = names::capability(known_mask().ilog2() as u8);
    let mut mask = match highest.map(|cap| caps::has_cap(None, CapSet::Bounding, cap)) {
        Some(Ok(_)) => known_mask(),
        _ => names::mask_of(caps::runtime::thread_all_supported()),
    };
    let first_unnamed = 64 - known_mask().leading_zeros();
    for index in first_unnamed..64 {
        match bounding_has_unnamed(index as u8) {
            Ok(_) => mask |= 1 << index,
            Err(_) => break,
        }
    }
    mask
}

/// PR_CAPBSET_READ for a capability the caps crate has no name for.
fn bounding_has_unnamed(index: u8) -> nix::Result<bool> {
    // SAFETY: PR_CAPBSET_READ takes an integer, no pointers.
    let r = unsafe { libc::prctl(libc::PR_CAPBSET_READ, libc::c_ulong::from(index), 0, 0, 0) };
    Errno::result(r).map(|has| has == 1)
}

/// PR_CAPBSET_DROP for a capability the caps crate has no name for.
pub fn bounding_drop_unnamed(index: u8) -> nix::Result<()> {
    // SAFETY: PR_CAPBSET_DROP takes an integer, no pointers.
    let r = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, libc::c_ulong::from(index), 0, 0, 0) };
    Errno::result(r).map(|_| ())
}

/// The caps crate reports a failure as text that ends in the errno
/// ("capset failure: Operation not permitted (os error 1)"). Taking the
/// errno back out lets the message read like every other tool's.
pub fn caps_error(err: caps::errors::CapsError) -> anyhow::Error {
    let text = err.to_string();
    let errno = text
        .rsplit_once("(os error ")
        .and_then(|(_, tail)| tail.strip_suffix(')'))
        .and_then(|n| n.parse::<i32>().ok());
    match errno {
        Some(n) => anyhow::Error::new(Errno::from_raw(n)),
        None => anyhow::anyhow!(text.trim_start_matches("caps error: ").to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYS_TIME: u64 = 1 << 25;

    #[test]
    fn leftovers_name_the_set_that_still_holds_a_dropped_capability() {
        let sets = Sets {
            bounding: SYS_TIME | 1,
            permitted: 1,
            effective: 1,
            inheritable: 0,
            ambient: SYS_TIME,
        };
        assert_eq!(
            sets.leftovers(SYS_TIME, false),
            [("bounding", SYS_TIME), ("ambient", SYS_TIME)]
        );
        assert_eq!(sets.leftovers(SYS_TIME, true), [("ambient", SYS_TIME)]);
        assert!(sets.leftovers(1 << 12, false).is_empty());
    }

    #[test]
    fn caps_errors_give_their_errno_back() {
        let made_up =
            caps::errors::CapsError::from("capset failure: Operation not permitted (os error 1)");
        let e = caps_error(made_up);
        assert_eq!(e.downcast_ref::<Errno>(), Some(&Errno::EPERM));
        let other = caps_error(caps::errors::CapsError::from("not a base set"));
        assert_eq!(other.to_string(), "not a base set");
    }

    #[test]
    fn the_kernel_knows_at_least_the_classic_capabilities() {
        // Reading is harmless: no set changes.
        let kernel = kernel_caps();
        assert_eq!(kernel & 0xffff_ffff, 0xffff_ffff);
        assert_eq!(kernel.count_ones(), 64 - kernel.leading_zeros(), "no holes");
    }
}
