//! The securebits (capabilities(7), "The securebits flags"): they turn off
//! the ways a process regains capabilities by being root, and lock that
//! choice for itself and everything it execs.

use anyhow::Context;
use nix::errno::Errno;

/// The names, as capsh and setpriv write them, and their bits
/// (linux/securebits.h).
pub const NAMES: [(&str, u32); 8] = [
    ("noroot", libc::SECBIT_NOROOT as u32),
    ("noroot-locked", libc::SECBIT_NOROOT_LOCKED as u32),
    ("no-setuid-fixup", libc::SECBIT_NO_SETUID_FIXUP as u32),
    (
        "no-setuid-fixup-locked",
        libc::SECBIT_NO_SETUID_FIXUP_LOCKED as u32,
    ),
    ("keep-caps", libc::SECBIT_KEEP_CAPS as u32),
    ("keep-caps-locked", libc::SECBIT_KEEP_CAPS_LOCKED as u32),
    (
        "no-cap-ambient-raise",
        libc::SECBIT_NO_CAP_AMBIENT_RAISE as u32,
    ),
    (
        "no-cap-ambient-raise-locked",
        libc::SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED as u32,
    ),
];

/// Parses `noroot,noroot-locked,...` (underscores or dashes, any case) or a
/// number (`0x2f`, `47`).
pub fn parse(spec: &str) -> Result<u32, String> {
    let all_bits = NAMES.iter().fold(0, |m, (_, b)| m | b);
    if let Some(number) = parse_number(spec) {
        if number & !all_bits != 0 {
            return Err(format!(
                "unknown securebits in {spec} (known: {all_bits:#x})"
            ));
        }
        return Ok(number);
    }
    if spec.is_empty() {
        return Err("empty securebits list".into());
    }
    let mut bits = 0;
    for item in spec.split(',') {
        let wanted = item.to_ascii_lowercase().replace('_', "-");
        let wanted = wanted.strip_prefix("secbit-").unwrap_or(&wanted);
        match NAMES.iter().find(|(n, _)| *n == wanted) {
            Some((_, b)) => bits |= b,
            None if item.is_empty() => {
                return Err(format!("empty name in the securebits list '{spec}'"))
            }
            None => {
                let names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "unknown securebit '{item}' (known: {})",
                    names.join(", ")
                ));
            }
        }
    }
    Ok(bits)
}

fn parse_number(spec: &str) -> Option<u32> {
    match spec.strip_prefix("0x").or_else(|| spec.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None if !spec.is_empty() && spec.bytes().all(|b| b.is_ascii_digit()) => spec.parse().ok(),
        None => None,
    }
}

/// The names of the bits in `bits`, for --print.
pub fn describe(bits: u32) -> String {
    let names: Vec<&str> = NAMES
        .iter()
        .filter(|(_, b)| bits & b != 0)
        .map(|(n, _)| *n)
        .collect();
    if names.is_empty() {
        format!("{bits:#x}")
    } else {
        format!("{bits:#x} ({})", names.join(","))
    }
}

pub fn get() -> crate::Result<u32> {
    // SAFETY: PR_GET_SECUREBITS takes no pointers.
    let r = unsafe { libc::prctl(libc::PR_GET_SECUREBITS, 0, 0, 0, 0) };
    Errno::result(r)
        .map(|bits| bits as u32)
        .context("cannot read the securebits")
}

/// Adds `bits` to the thread's securebits; the ones already set stay (a
/// locked bit could not be cleared anyway). Needs CAP_SETPCAP.
pub fn add(bits: u32) -> crate::Result<u32> {
    let old = get()?;
    let new = old | bits;
    if new != old {
        // nix has no wrapper for PR_SET_SECUREBITS, nor has the caps crate.
        // SAFETY: PR_SET_SECUREBITS takes an integer, no pointers.
        let r = unsafe { libc::prctl(libc::PR_SET_SECUREBITS, new as libc::c_ulong, 0, 0, 0) };
        Errno::result(r)
            .with_context(|| format!("cannot set the securebits to {}", describe(new)))?;
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_give_the_same_bits() {
        let named =
            parse("noroot,noroot-locked,no-setuid-fixup,no-setuid-fixup-locked,keep-caps-locked")
                .unwrap();
        assert_eq!(named, 0x2f);
        assert_eq!(parse("0x2f").unwrap(), 0x2f);
        assert_eq!(parse("47").unwrap(), 0x2f);
        assert_eq!(parse("SECBIT_NOROOT,No_Cap_Ambient_Raise").unwrap(), 0x41);
    }

    #[test]
    fn unknown_bits_are_refused() {
        assert!(parse("noroot,bogus")
            .unwrap_err()
            .contains("unknown securebit 'bogus'"));
        assert!(parse("0x100").is_err());
        assert!(parse("").is_err());
        assert!(parse("noroot,").unwrap_err().contains("empty name"));
        assert!(parse("0xzz").is_err());
    }

    #[test]
    fn described_by_name() {
        assert_eq!(describe(0), "0x0");
        assert_eq!(describe(0x3), "0x3 (noroot,noroot-locked)");
    }
}
