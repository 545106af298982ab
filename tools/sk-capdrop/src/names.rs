//! Capability names as people write them, and the bit masks they stand for.
//!
//! A set of capabilities is a `u64` with bit N for capability N, the form
//! /proc/PID/status shows; the caps crate's `Capability` is used at the
//! edges, where the kernel is asked. Nothing here makes a system call.

use caps::Capability;
use std::sync::OnceLock;

/// The capabilities Docker keeps in a container by default (moby's
/// `oci/caps/defaults.go`).
pub const DOCKER_DEFAULT: [Capability; 14] = [
    Capability::CAP_CHOWN,
    Capability::CAP_DAC_OVERRIDE,
    Capability::CAP_FSETID,
    Capability::CAP_FOWNER,
    Capability::CAP_MKNOD,
    Capability::CAP_NET_RAW,
    Capability::CAP_SETGID,
    Capability::CAP_SETUID,
    Capability::CAP_SETFCAP,
    Capability::CAP_SETPCAP,
    Capability::CAP_NET_BIND_SERVICE,
    Capability::CAP_SYS_CHROOT,
    Capability::CAP_KILL,
    Capability::CAP_AUDIT_WRITE,
];

/// The capabilities of the example spec that `runc spec` writes.
pub const OCI_DEFAULT: [Capability; 3] = [
    Capability::CAP_AUDIT_WRITE,
    Capability::CAP_KILL,
    Capability::CAP_NET_BIND_SERVICE,
];

/// The named groups, as they are written in a list.
pub const PRESETS: [(&str, &[Capability]); 2] = [
    ("docker-default", &DOCKER_DEFAULT),
    ("oci-default", &OCI_DEFAULT),
];

/// The capabilities the caps crate knows, by number.
fn table() -> &'static [Option<Capability>; 64] {
    static TABLE: OnceLock<[Option<Capability>; 64]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [None; 64];
        for cap in caps::all() {
            t[cap.index() as usize] = Some(cap);
        }
        t
    })
}

/// The capability with number `index`, if the caps crate knows it.
pub fn capability(index: u8) -> Option<Capability> {
    table().get(index as usize).copied().flatten()
}

/// Every capability the caps crate knows, as a mask.
pub fn known_mask() -> u64 {
    mask_of(caps::all())
}

pub fn mask_of(caps: impl IntoIterator<Item = Capability>) -> u64 {
    caps.into_iter().fold(0, |m, c| m | c.bitmask())
}

/// The numbers of the bits set in `mask`, lowest first.
pub fn indices(mask: u64) -> impl Iterator<Item = u8> {
    (0..64u8).filter(move |i| mask & (1 << i) != 0)
}

/// The caps crate's capabilities in `mask`; bits it does not know are left out.
pub fn capabilities(mask: u64) -> caps::CapsHashSet {
    indices(mask).filter_map(capability).collect()
}

/// `cap_sys_time`, as capsh and getpcaps write it; `cap_41` for a number
/// the caps crate has no name for.
pub fn name(index: u8) -> String {
    match capability(index) {
        Some(cap) => cap.to_string().to_ascii_lowercase(),
        None => format!("cap_{index}"),
    }
}

/// The names in `mask`, comma-separated, or `none`.
pub fn list(mask: u64) -> String {
    if mask == 0 {
        return "none".into();
    }
    indices(mask).map(name).collect::<Vec<_>>().join(",")
}

/// A set as a person reads it: `all` when it holds every capability of
/// `universe`, `all but x,y` when it holds most of them, else the names.
pub fn describe(mask: u64, universe: u64) -> String {
    let missing = universe & !mask;
    let extra = mask & !universe;
    if missing == 0 && extra == 0 && universe != 0 {
        return "all".into();
    }
    if extra == 0 && mask.count_ones() > universe.count_ones() / 2 {
        return format!("all but {}", list(missing));
    }
    list(mask)
}

/// A list of capabilities as given on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapList {
    /// Bit N for capability N; `all` sets every bit, including numbers no
    /// kernel has yet, so that it also covers what the caps crate cannot name.
    pub mask: u64,
}

impl CapList {
    pub const ALL: u64 = u64::MAX;
}

/// Parses `sys_time,CAP_NET_RAW,25,docker-default` or `all`.
pub fn parse_list(spec: &str) -> Result<CapList, String> {
    if spec.is_empty() {
        return Err("empty capability list".into());
    }
    let mut mask = 0u64;
    for item in spec.split(',') {
        if item.is_empty() {
            return Err(format!(
                "empty name in the capability list '{spec}' (a doubled or trailing comma?)"
            ));
        }
        mask |= parse_item(item)?;
    }
    Ok(CapList { mask })
}

/// The lower-case name without its `cap_` prefix.
fn normalize(item: &str) -> String {
    let lower = item.to_ascii_lowercase();
    match lower.strip_prefix("cap_") {
        Some(rest) => rest.to_string(),
        None => lower,
    }
}

fn parse_item(item: &str) -> Result<u64, String> {
    if item.bytes().all(|b| b.is_ascii_digit()) {
        let highest = known_mask().ilog2();
        return match item.parse::<u8>().ok().and_then(capability) {
            Some(cap) => Ok(cap.bitmask()),
            None => Err(format!(
                "unknown capability number {item} (0 to {highest} are known)"
            )),
        };
    }
    let lower = item.to_ascii_lowercase();
    if lower == "all" {
        return Ok(CapList::ALL);
    }
    if let Some((_, caps)) = PRESETS.iter().find(|(n, _)| *n == lower) {
        return Ok(mask_of(caps.iter().copied()));
    }
    let wanted = normalize(item);
    if let Some(cap) = caps::all()
        .into_iter()
        .find(|c| normalize(&c.to_string()) == wanted)
    {
        return Ok(cap.bitmask());
    }
    Err(format!(
        "unknown capability '{item}' (did you mean {}?)",
        nearest(&wanted)
    ))
}

/// The valid name closest to `wanted`: what a typo most likely meant.
fn nearest(wanted: &str) -> String {
    let mut candidates: Vec<String> = caps::all()
        .into_iter()
        .map(|c| normalize(&c.to_string()))
        .collect();
    candidates.extend(PRESETS.iter().map(|(n, _)| n.to_string()));
    candidates.push("all".into());
    // Sorted first, so that a tie picks the same name every run.
    candidates.sort();
    candidates
        .into_iter()
        .min_by_key(|c| edit_distance(wanted, c))
        .unwrap_or_default()
}

/// Levenshtein distance: insertions, deletions and substitutions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYS_TIME: u64 = 1 << 25;

    #[test]
    fn a_name_is_the_same_in_every_spelling() {
        for spelling in [
            "SYS_TIME",
            "cap_sys_time",
            "sys_time",
            "CAP_SYS_TIME",
            "Sys_Time",
            "25",
        ] {
            assert_eq!(parse_list(spelling).unwrap().mask, SYS_TIME, "{spelling}");
        }
    }

    #[test]
    fn a_list_is_the_union_of_its_names() {
        let l = parse_list("sys_time,CAP_CHOWN,12,sys_time").unwrap();
        assert_eq!(l.mask, SYS_TIME | 1 | 1 << 12);
    }

    #[test]
    fn all_covers_every_number() {
        assert_eq!(parse_list("all").unwrap().mask, u64::MAX);
        assert_eq!(parse_list("ALL,sys_time").unwrap().mask, u64::MAX);
    }

    #[test]
    fn presets_name_their_capabilities() {
        let d = parse_list("docker-default").unwrap().mask;
        assert_eq!(d.count_ones(), 14);
        assert_eq!(list(d), "cap_chown,cap_dac_override,cap_fowner,cap_fsetid,cap_kill,cap_setgid,cap_setuid,cap_setpcap,cap_net_bind_service,cap_net_raw,cap_sys_chroot,cap_mknod,cap_audit_write,cap_setfcap");
        let o = parse_list("OCI-DEFAULT").unwrap().mask;
        assert_eq!(list(o), "cap_kill,cap_net_bind_service,cap_audit_write");
        assert_eq!(
            parse_list("oci-default,sys_time").unwrap().mask,
            o | SYS_TIME
        );
    }

    #[test]
    fn a_typo_is_answered_with_the_nearest_name() {
        let e = parse_list("sys_tme").unwrap_err();
        assert_eq!(e, "unknown capability 'sys_tme' (did you mean sys_time?)");
        assert!(parse_list("CAP_NET_BIND_SERVIC")
            .unwrap_err()
            .contains("net_bind_service?"));
        assert!(parse_list("docker-defaults")
            .unwrap_err()
            .contains("docker-default?"));
        assert!(parse_list("al").unwrap_err().contains("all?"));
    }

    #[test]
    fn empty_lists_and_empty_items_are_refused() {
        assert_eq!(parse_list("").unwrap_err(), "empty capability list");
        for bad in ["sys_time,,chown", "all,", ",sys_time", ","] {
            assert!(parse_list(bad).unwrap_err().contains("empty name"), "{bad}");
        }
    }

    #[test]
    fn junk_is_refused() {
        for bad in [
            "sys_time ",
            " sys_time",
            "sys_time;chown",
            "cap_",
            "-1",
            "99",
            "256",
            "0x19",
        ] {
            assert!(parse_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_read_like_capsh() {
        assert_eq!(name(25), "cap_sys_time");
        assert_eq!(name(63), "cap_63");
        assert_eq!(list(0), "none");
        assert_eq!(list(SYS_TIME | 1), "cap_chown,cap_sys_time");
    }

    #[test]
    fn a_nearly_full_set_is_described_by_what_it_lacks() {
        let universe = (1u64 << 41) - 1;
        assert_eq!(describe(universe, universe), "all");
        assert_eq!(
            describe(universe & !SYS_TIME, universe),
            "all but cap_sys_time"
        );
        assert_eq!(describe(SYS_TIME, universe), "cap_sys_time");
        assert_eq!(describe(0, universe), "none");
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("sys_tme", "sys_time"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
