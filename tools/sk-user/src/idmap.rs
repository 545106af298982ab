//! Before any id changes: can the switch work in this user namespace? In
//! one made by `sk-unshare -U -r` only uid and gid 0 are mapped, and
//! setgroups is denied. The kernel would refuse the calls one by one,
//! after the groups had perhaps changed; this says everything that is in
//! the way in one line, and nothing changes.

use nix::unistd::getgroups;
use sk_common::{inroot, Cannot, Result};
use std::path::Path;

use crate::resolve::Target;
use crate::switch::show_gids;

/// Whether `id` is inside one of the ranges of a uid_map or gid_map text.
pub fn mapped(map: &str, id: u32) -> bool {
    map.lines().any(|line| {
        let f: Vec<u64> = line
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        matches!(f[..], [inside, _, count] if u64::from(id) >= inside && u64::from(id) - inside < count)
    })
}

/// What stands in the way, from the maps, /proc/self/setgroups and the
/// current groups; empty when nothing does.
pub fn obstacles(
    t: &Target,
    uid_map: &str,
    gid_map: &str,
    setgroups: &str,
    current: &[u32],
) -> Vec<String> {
    let mut why = Vec::new();
    let mut unmapped = Vec::new();
    if !mapped(uid_map, t.uid) {
        unmapped.push(format!("uid {}", t.uid));
    }
    let mut gids = vec![t.gid];
    gids.extend(t.groups.iter().flatten().copied());
    gids.dedup();
    let missing: Vec<u32> = gids.into_iter().filter(|g| !mapped(gid_map, *g)).collect();
    if !missing.is_empty() {
        unmapped.push(format!("gid {}", show_gids(&missing)));
    }
    if !unmapped.is_empty() {
        why.push(format!(
            "{} not mapped in this user namespace (map more with sk-unshare --map-users \
             or newuidmap/newgidmap)",
            unmapped.join(" and ")
        ));
    }
    if let Some(groups) = &t.groups {
        let (mut want, mut now) = (groups.clone(), current.to_vec());
        want.sort_unstable();
        want.dedup();
        now.sort_unstable();
        now.dedup();
        if setgroups.trim() == "deny" && want != now {
            why.push(format!(
                "setgroups is denied here, so the supplementary groups stay {} \
                 (--keep-groups accepts that)",
                show_gids(current)
            ));
        }
    }
    why
}

/// Fails with one line when the switch cannot work; when `proc` cannot be
/// read the kernel's own refusal will say it.
pub fn check(t: &Target, proc: &Path) -> Result<()> {
    let (Ok(uid_map), Ok(gid_map)) = (
        inroot::read_proc(proc, "self/uid_map"),
        inroot::read_proc(proc, "self/gid_map"),
    ) else {
        return Ok(());
    };
    let setgroups = inroot::read_proc(proc, "self/setgroups").unwrap_or_default();
    let current: Vec<u32> = getgroups()
        .cannot("read the supplementary groups")?
        .iter()
        .map(|g| g.as_raw())
        .collect();
    let why = obstacles(t, &uid_map, &gid_map, &setgroups, &current);
    if why.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "cannot switch to uid {} gid {}: {}",
        t.uid,
        t.gid,
        why.join("; and ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(uid: u32, gid: u32, groups: Option<Vec<u32>>) -> Target {
        Target {
            uid,
            gid,
            groups,
            name: None,
            home: None,
        }
    }

    const FULL: &str = "         0          0 4294967295\n";
    const ROOT_ONLY: &str = "         0       1000          1\n";

    #[test]
    fn maps() {
        assert!(mapped(FULL, 65534));
        assert!(mapped(ROOT_ONLY, 0));
        assert!(!mapped(ROOT_ONLY, 1));
        assert!(mapped("0 1000 1\n1 100000 65536\n", 65536));
        assert!(!mapped("", 0));
    }

    #[test]
    fn the_host_has_no_obstacles() {
        let t = target(65534, 65534, Some(vec![]));
        assert!(obstacles(&t, FULL, FULL, "allow\n", &[0]).is_empty());
    }

    #[test]
    fn rootless_says_everything_in_one_line() {
        let t = target(65534, 65534, Some(vec![]));
        let why = obstacles(&t, ROOT_ONLY, ROOT_ONLY, "deny\n", &[65534]);
        assert_eq!(why.len(), 2, "{why:?}");
        assert!(
            why[0].starts_with("uid 65534 and gid 65534 not mapped"),
            "{why:?}"
        );
        assert!(why[1].contains("setgroups is denied"), "{why:?}");
        // Root inside, keeping the groups: nothing in the way.
        let t = target(0, 0, None);
        assert!(obstacles(&t, ROOT_ONLY, ROOT_ONLY, "deny\n", &[65534]).is_empty());
        // Clearing groups that are already clear asks nothing of setgroups.
        let t = target(0, 0, Some(vec![]));
        assert!(obstacles(&t, ROOT_ONLY, ROOT_ONLY, "deny\n", &[]).is_empty());
        assert_eq!(
            obstacles(&t, ROOT_ONLY, ROOT_ONLY, "deny\n", &[65534]).len(),
            1
        );
    }
}
