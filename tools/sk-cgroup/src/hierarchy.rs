//! Which cgroup hierarchies this machine has, where they are mounted, where
//! the caller sits in each, and so where a group for the given limits goes.
//!
//! Nothing is assumed about paths: v1 hierarchies, the unified (v2) one and
//! the hybrid mix of both are read from /proc/self/mountinfo and
//! /proc/self/cgroup. A controller lives in at most one of them: a v1 mount
//! holds it, or else the v2 hierarchy offers it in its root's
//! cgroup.controllers.

use procfs::{FromBufRead, ProcessCGroups};
use sk_common::mount::MountInfo;
use sk_common::{Cannot, Result};
use std::path::{Path, PathBuf};

use crate::devices::Rule;
use crate::limits::{Need, Version, Write};

/// One mounted hierarchy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hierarchy {
    pub version: Version,
    pub mount: PathBuf,
    /// v1: the controllers bound to it; v2: the ones its root offers.
    pub controllers: Vec<String>,
    /// The caller's cgroup in it, from the hierarchy's root ("/" at the top).
    pub current: PathBuf,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    pub hierarchies: Vec<Hierarchy>,
}

/// Reads the layout from `proc_self` (normally /proc/self).
pub fn detect(proc_self: &Path) -> Result<Layout> {
    let mounts = sk_common::mount::read_mountinfo(&proc_self.join("mountinfo"))?;
    let cgroup = proc_self.join("cgroup");
    let groups = std::fs::File::open(&cgroup)
        .cannot_with(|| format!("open {}", cgroup.display()))
        .and_then(|f| {
            ProcessCGroups::from_buf_read(std::io::BufReader::new(f))
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", cgroup.display()))
        })?;
    Ok(from_proc(&mounts, &groups, read_controllers))
}

/// The words of a v2 cgroup.controllers file; empty when unreadable.
pub fn read_controllers(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("cgroup.controllers"))
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The layout from parsed mountinfo and /proc/self/cgroup; `offered` reads
/// a v2 root's cgroup.controllers.
pub fn from_proc(
    mounts: &[MountInfo],
    groups: &ProcessCGroups,
    offered: impl Fn(&Path) -> Vec<String>,
) -> Layout {
    let mut hierarchies = Vec::new();
    for g in &groups.0 {
        let v2 = g.hierarchy == 0 && g.controllers.is_empty();
        // name=systemd and other named v1 hierarchies hold no controller.
        let controllers: Vec<String> = g
            .controllers
            .iter()
            .filter(|c| !c.contains('='))
            .cloned()
            .collect();
        if !v2 && controllers.is_empty() {
            continue;
        }
        let candidates = mounts.iter().filter(|m| {
            if v2 {
                m.fs_type == "cgroup2"
            } else {
                m.fs_type == "cgroup" && controllers.iter().all(|c| m.super_options.contains_key(c))
            }
        });
        // A mount of a sub-tree (a container's view) holds the caller's
        // cgroup relative to that mount's root; prefer a mount of the
        // whole hierarchy.
        let mut best: Option<(&MountInfo, PathBuf)> = None;
        for m in candidates {
            let Ok(rel) = Path::new(&g.pathname).strip_prefix(&m.root) else {
                continue;
            };
            let better = match &best {
                None => true,
                Some((b, _)) => b.root != "/" && m.root == "/",
            };
            if better {
                best = Some((m, Path::new("/").join(rel)));
            }
        }
        let Some((m, current)) = best else { continue };
        hierarchies.push(Hierarchy {
            version: if v2 { Version::V2 } else { Version::V1 },
            controllers: if v2 {
                offered(&m.mount_point)
            } else {
                controllers
            },
            mount: m.mount_point.clone(),
            current,
        });
    }
    Layout { hierarchies }
}

/// The layout for `--cgroup-root DIR`: a cgroup2 mount when DIR has
/// cgroup.controllers, otherwise one v1 hierarchy per sub-directory, named
/// by its controllers ("cpu,cpuacct"). The caller counts as sitting at the
/// root of each.
pub fn from_root(dir: &Path) -> Result<Layout> {
    if dir.join("cgroup.controllers").exists() {
        return Ok(Layout {
            hierarchies: vec![Hierarchy {
                version: Version::V2,
                mount: dir.to_path_buf(),
                controllers: read_controllers(dir),
                current: "/".into(),
            }],
        });
    }
    let mut hierarchies = Vec::new();
    let entries = std::fs::read_dir(dir).cannot_with(|| format!("read {}", dir.display()))?;
    for e in entries {
        let e = e.cannot_with(|| format!("read {}", dir.display()))?;
        if !e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            continue; // symlinks like cpu -> cpu,cpuacct name a hierarchy twice
        }
        let name = e.file_name().to_string_lossy().into_owned();
        let controllers: Vec<String> = name
            .split(',')
            .filter(|c| !c.is_empty() && !c.contains('=') && *c != "unified" && *c != "systemd")
            .map(str::to_string)
            .collect();
        if !controllers.is_empty() {
            hierarchies.push(Hierarchy {
                version: Version::V1,
                mount: e.path(),
                controllers,
                current: "/".into(),
            });
        }
    }
    hierarchies.sort_by(|a, b| a.mount.cmp(&b.mount));
    Ok(Layout { hierarchies })
}

impl Layout {
    /// The hierarchy that offers what `need` needs.
    fn find(&self, need: &Need) -> Option<usize> {
        let v1 = need.controller(Version::V1);
        let v2 = need.controller(Version::V2);
        self.hierarchies
            .iter()
            .position(|h| h.version == Version::V1 && h.controllers.iter().any(|c| c == v1))
            .or_else(|| {
                self.hierarchies.iter().position(|h| {
                    // Device rules are a program on v2: any group takes one.
                    h.version == Version::V2
                        && (need.program.is_some() || h.controllers.iter().any(|c| c == v2))
                })
            })
    }

    fn v2(&self) -> Option<usize> {
        self.hierarchies
            .iter()
            .position(|h| h.version == Version::V2)
    }

    /// The controllers there are, for messages: "v1: cpu, memory; v2: hugetlb".
    pub fn available(&self) -> String {
        let list = |v: Version| {
            let mut c: Vec<&str> = self
                .hierarchies
                .iter()
                .filter(|h| h.version == v)
                .flat_map(|h| h.controllers.iter().map(String::as_str))
                .collect();
            c.sort_unstable();
            c.join(" ")
        };
        let (v1, v2) = (list(Version::V1), list(Version::V2));
        let mut parts = Vec::new();
        if self.hierarchies.iter().any(|h| h.version == Version::V1) {
            parts.push(format!("v1: {}", if v1.is_empty() { "none" } else { &v1 }));
        }
        if self.v2().is_some() {
            parts.push(format!("v2: {}", if v2.is_empty() { "none" } else { &v2 }));
        }
        if parts.is_empty() {
            "no cgroup hierarchy is mounted".into()
        } else {
            parts.join("; ")
        }
    }
}

/// The group in one hierarchy: where it goes and what is written there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub version: Version,
    pub mount: PathBuf,
    /// The caller's own cgroup directory (to go back to if joining fails).
    pub home: PathBuf,
    /// The directory the group is made in.
    pub parent: PathBuf,
    /// The group's directory.
    pub dir: PathBuf,
    /// v2: the controllers to enable in the parents' cgroup.subtree_control.
    pub enable: Vec<String>,
    /// (the limit as typed, the write), in order.
    pub writes: Vec<(String, Write)>,
    /// Joined for sk-cgroup's own sake (cpuacct for the usage, freezer for
    /// --rm), not for a limit: skipped when the group cannot be made there.
    pub helper: bool,
    /// v2: the device rules, as a program to attach to the group.
    pub program: Option<Vec<Rule>>,
}

type Chosen = (usize, Vec<(String, Write)>, Vec<String>);

/// Decides, for each limit, the hierarchy that offers its controller, and
/// gathers one target per hierarchy used. `freezer`: on v1 also take part
/// in the freezer hierarchy, so that --rm can stop a fork bomb before
/// killing it. Pure: `layout` was read before.
pub fn targets(
    layout: &Layout,
    needs: &[Need],
    name: &str,
    parent: Option<&Path>,
    freezer: bool,
) -> std::result::Result<Vec<Target>, String> {
    let (mut chosen, everywhere) = assign(layout, needs)?;
    // Hierarchies joined for sk-cgroup's own sake (usage, freezing), not
    // for a limit: best effort.
    let mut helpers = Vec::new();
    // With cpu on its own v1 hierarchy, the cpuacct one is where usage is
    // counted: join it too, so `cpuacct.usage` of the group means something.
    let uses_v1_cpu = chosen.iter().any(|(i, _, c)| {
        layout.hierarchies[*i].version == Version::V1 && c.iter().any(|c| c == "cpu")
    });
    if uses_v1_cpu {
        join_v1_helper(layout, "cpuacct", &mut chosen, &mut helpers);
    }
    let uses_v1 = chosen
        .iter()
        .any(|(i, _, _)| layout.hierarchies[*i].version == Version::V1);
    if freezer && uses_v1 {
        join_v1_helper(layout, "freezer", &mut chosen, &mut helpers);
    }
    if chosen.is_empty() {
        chosen = holding_only(layout)?;
    }
    let mut out = Vec::new();
    for (i, mut writes, enable) in chosen {
        let h = &layout.hierarchies[i];
        for need in &everywhere {
            writes.extend(
                need.writes(h.version)?
                    .iter()
                    .map(|w| (need.key.clone(), w.clone())),
            );
        }
        out.push(target(
            layout,
            i,
            needs,
            name,
            parent,
            enable,
            writes,
            helpers.contains(&i),
        ));
    }
    Ok(out)
}

/// The hierarchy of each need that has a controller, with its writes and
/// the controllers they need; and the needs of cgroup.* files, which
/// belong to every hierarchy.
fn assign<'a>(
    layout: &Layout,
    needs: &'a [Need],
) -> std::result::Result<(Vec<Chosen>, Vec<&'a Need>), String> {
    // (hierarchy index, its writes, the controllers they need)
    let mut chosen: Vec<Chosen> = Vec::new();
    let mut everywhere = Vec::new();
    for need in needs {
        if need.controller(Version::V1) == "cgroup" {
            everywhere.push(need);
            continue;
        }
        let Some(i) = layout.find(need) else {
            return Err(no_hierarchy_for(layout, need));
        };
        let h = &layout.hierarchies[i];
        let writes = need.writes(h.version)?;
        let slot = match chosen.iter().position(|(j, _, _)| *j == i) {
            Some(s) => s,
            None => {
                chosen.push((i, Vec::new(), Vec::new()));
                chosen.len() - 1
            }
        };
        let c = need.controller(h.version).to_string();
        let program_only = h.version == Version::V2 && need.program.is_some();
        if !program_only && !chosen[slot].2.contains(&c) {
            chosen[slot].2.push(c);
        }
        chosen[slot]
            .1
            .extend(writes.iter().map(|w| (need.key.clone(), w.clone())));
    }
    Ok((chosen, everywhere))
}

/// The error for a need whose controller no hierarchy offers.
fn no_hierarchy_for(layout: &Layout, need: &Need) -> String {
    let c = need.controller(Version::V1);
    let c2 = need.controller(Version::V2);
    let named = if c == c2 {
        c.to_string()
    } else {
        format!("{c2} (v1: {c})")
    };
    format!(
        "{}: no cgroup hierarchy here offers the {named} controller (available: {})",
        need.key,
        layout.available()
    )
}

/// Joins the v1 hierarchy of `controller`, if there is one and it is not
/// chosen yet, as a helper (for sk-cgroup's own sake).
fn join_v1_helper(
    layout: &Layout,
    controller: &str,
    chosen: &mut Vec<Chosen>,
    helpers: &mut Vec<usize>,
) {
    let found = layout
        .hierarchies
        .iter()
        .position(|h| h.version == Version::V1 && h.controllers.iter().any(|c| c == controller));
    if let Some(i) = found {
        if !chosen.iter().any(|(j, _, _)| *j == i) {
            chosen.push((i, Vec::new(), Vec::new()));
            helpers.push(i);
        }
    }
}

/// No controller asked for: a group to hold and track the processes; the
/// v2 hierarchy does that alone, on v1 every hierarchy takes part.
fn holding_only(layout: &Layout) -> std::result::Result<Vec<Chosen>, String> {
    let chosen: Vec<Chosen> = match layout.v2() {
        Some(i) => vec![(i, Vec::new(), Vec::new())],
        None => (layout.hierarchies.iter().enumerate())
            .filter(|(_, h)| h.version == Version::V1)
            .map(|(i, _)| (i, Vec::new(), Vec::new()))
            .collect(),
    };
    if chosen.is_empty() {
        return Err(format!(
            "no cgroup hierarchy to make a group in ({})",
            layout.available()
        ));
    }
    Ok(chosen)
}

/// The target in hierarchy `h` (index `i`): group `name` under `parent`
/// (absolute from the hierarchy's root, or relative to the caller's group),
/// with the device program of a need that the v2 hierarchy holds.
#[allow(clippy::too_many_arguments)]
fn target(
    layout: &Layout,
    i: usize,
    needs: &[Need],
    name: &str,
    parent: Option<&Path>,
    enable: Vec<String>,
    writes: Vec<(String, Write)>,
    helper: bool,
) -> Target {
    let h = &layout.hierarchies[i];
    let inside = match parent {
        Some(p) if p.is_absolute() => p.to_path_buf(),
        Some(p) => h.current.join(p),
        None => h.current.clone(),
    };
    let parent_dir = under(&h.mount, &inside);
    Target {
        version: h.version,
        mount: h.mount.clone(),
        home: under(&h.mount, &h.current),
        dir: parent_dir.join(name),
        parent: parent_dir,
        enable: if h.version == Version::V2 {
            enable
        } else {
            Vec::new()
        },
        writes,
        helper,
        program: needs
            .iter()
            .find(|n| h.version == Version::V2 && n.program.is_some() && layout.find(n) == Some(i))
            .and_then(|n| n.program.clone()),
    }
}

/// `mount` joined with a path from the hierarchy's root.
fn under(mount: &Path, inside: &Path) -> PathBuf {
    let rel = inside.strip_prefix("/").unwrap_or(inside);
    if rel.as_os_str().is_empty() {
        mount.to_path_buf()
    } else {
        mount.join(rel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    /// This machine's layout: v1 with cpu and cpuacct apart, an empty
    /// unified hierarchy, the caller in a memory sub-group.
    const HYBRID_MOUNTS: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";
    const HYBRID_CGROUP: &str = "\
9:name=systemd:/
8:pids:/
4:memory:/process_api/abc
2:cpuacct:/
1:cpu:/
0::/
";
    const V2_MOUNTS: &str = "\
25 1 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate
";
    const V2_CGROUP: &str = "0::/user.slice/session-1.scope\n";

    fn layout(mounts: &str, cgroup: &str, offered: &[&str]) -> Layout {
        let m = sk_common::mount::parse_mountinfo(mounts.as_bytes()).unwrap();
        let g = ProcessCGroups::from_buf_read(cgroup.as_bytes()).unwrap();
        let offered: Vec<String> = offered.iter().map(|s| s.to_string()).collect();
        from_proc(&m, &g, |_| offered.clone())
    }

    fn hybrid() -> Layout {
        layout(HYBRID_MOUNTS, HYBRID_CGROUP, &["hugetlb"])
    }

    fn needs(words: &[&str]) -> Vec<Need> {
        Limits::parse(words.iter().copied()).unwrap().needs()
    }

    #[test]
    fn the_proc_directory_is_a_parameter_and_its_absence_is_named() {
        let e = detect(Path::new("/nonexistent/self")).unwrap_err();
        let line = sk_common::error::describe(&e);
        assert_eq!(
            line,
            "cannot open /nonexistent/self/mountinfo: No such file or directory"
        );
        // This machine's own layout parses, whatever it is.
        detect(Path::new("/proc/self")).unwrap();
    }

    #[test]
    fn hybrid_layout_is_read_from_mountinfo() {
        let l = hybrid();
        let mounts: Vec<_> = l
            .hierarchies
            .iter()
            .map(|h| h.mount.to_str().unwrap())
            .collect();
        assert_eq!(
            mounts,
            [
                "/sys/fs/cgroup/pids",
                "/sys/fs/cgroup/memory",
                "/sys/fs/cgroup/cpuacct",
                "/sys/fs/cgroup/cpu",
                "/sys/fs/cgroup/unified"
            ]
        );
        assert_eq!(l.hierarchies[1].current, Path::new("/process_api/abc"));
        assert_eq!(l.hierarchies[4].version, Version::V2);
        assert_eq!(l.available(), "v1: cpu cpuacct memory pids; v2: hugetlb");
    }

    #[test]
    fn comounted_controllers_share_one_hierarchy() {
        let l = layout(
            "1 0 0:1 / /cg/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n",
            "3:cpu,cpuacct:/a\n",
            &[],
        );
        let t = targets(&l, &needs(&["cpu=20000"]), "sk-1", None, false).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].dir, Path::new("/cg/cpu,cpuacct/a/sk-1"));
    }

    #[test]
    fn cpu_on_v1_also_joins_a_separate_cpuacct_hierarchy() {
        let t = targets(&hybrid(), &needs(&["cpu=20000"]), "sk-7", None, false).unwrap();
        let dirs: Vec<_> = t.iter().map(|t| t.dir.to_str().unwrap()).collect();
        assert_eq!(
            dirs,
            ["/sys/fs/cgroup/cpu/sk-7", "/sys/fs/cgroup/cpuacct/sk-7"]
        );
        assert_eq!(t[0].writes[0].1.files, ["cpu.cfs_quota_us"]);
        assert!(t[1].writes.is_empty());
    }

    #[test]
    fn each_limit_goes_to_its_controllers_hierarchy_under_the_current_group() {
        let t = targets(
            &hybrid(),
            &needs(&["memory=64M", "pids=32"]),
            "g",
            None,
            false,
        )
        .unwrap();
        assert_eq!(
            t[0].dir,
            Path::new("/sys/fs/cgroup/memory/process_api/abc/g")
        );
        assert_eq!(
            t[0].home,
            Path::new("/sys/fs/cgroup/memory/process_api/abc")
        );
        assert_eq!(t[1].dir, Path::new("/sys/fs/cgroup/pids/g"));
        assert_eq!(t[1].writes[0].0, "pids=32");
    }

    #[test]
    fn parent_is_absolute_from_the_root_or_relative_to_the_current_group() {
        let l = hybrid();
        let t = targets(
            &l,
            &needs(&["memory=1M"]),
            "g",
            Some(Path::new("/sk")),
            false,
        )
        .unwrap();
        assert_eq!(t[0].dir, Path::new("/sys/fs/cgroup/memory/sk/g"));
        let t = targets(
            &l,
            &needs(&["memory=1M"]),
            "g",
            Some(Path::new("sub")),
            false,
        )
        .unwrap();
        assert_eq!(
            t[0].dir,
            Path::new("/sys/fs/cgroup/memory/process_api/abc/sub/g")
        );
    }

    #[test]
    fn a_missing_controller_is_named_with_the_available_ones() {
        let e = targets(&hybrid(), &needs(&["io-weight=100"]), "g", None, false).unwrap_err();
        assert!(
            e.starts_with("io-weight=100: no cgroup hierarchy here offers the io (v1: blkio)"),
            "{e}"
        );
        assert!(
            e.contains("v1: cpu cpuacct memory pids; v2: hugetlb"),
            "{e}"
        );
        let e = targets(&hybrid(), &needs(&["rdma.max=x"]), "g", None, false).unwrap_err();
        assert!(e.contains("rdma controller"), "{e}");
    }

    #[test]
    fn a_key_the_version_cannot_do_is_an_error_not_a_skip() {
        let e = targets(&hybrid(), &needs(&["memory-high=1M"]), "g", None, false).unwrap_err();
        assert!(e.contains("memory-high=1M") && e.contains("v2 only"), "{e}");
    }

    #[test]
    fn v2_enables_the_controllers_it_writes() {
        let l = layout(V2_MOUNTS, V2_CGROUP, &["cpu", "memory", "pids", "io"]);
        let n = needs(&[
            "cpu=20%",
            "memory=64M",
            "memory-swap=0",
            "pids=32",
            "io-weight=50",
        ]);
        let t = targets(&l, &n, "sk-9", None, false).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(
            t[0].dir,
            Path::new("/sys/fs/cgroup/user.slice/session-1.scope/sk-9")
        );
        assert_eq!(t[0].enable, ["cpu", "memory", "pids", "io"]);
        let files: Vec<_> = t[0]
            .writes
            .iter()
            .map(|(_, w)| w.files[0].as_str())
            .collect();
        assert_eq!(
            files,
            [
                "cpu.max",
                "memory.max",
                "memory.swap.max",
                "pids.max",
                "io.weight"
            ]
        );
    }

    #[test]
    fn no_limits_make_a_tracking_group_in_v2_or_every_v1_hierarchy() {
        let t = targets(&hybrid(), &[], "g", None, false).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].dir, Path::new("/sys/fs/cgroup/unified/g"));
        let v1only = layout(
            "1 0 0:1 / /c/pids rw - cgroup cgroup rw,pids\n2 0 0:2 / /c/memory rw - cgroup cgroup rw,memory\n",
            "2:pids:/\n1:memory:/\n0::/\n",
            &[],
        );
        assert_eq!(targets(&v1only, &[], "g", None, false).unwrap().len(), 2);
        assert!(targets(&Layout::default(), &[], "g", None, false).is_err());
    }

    #[test]
    fn rm_on_v1_also_joins_the_freezer_hierarchy_to_stop_what_is_left() {
        let l = layout(
            "1 0 0:1 / /c/pids rw - cgroup cgroup rw,pids\n2 0 0:2 / /c/freezer rw - cgroup cgroup rw,freezer\n3 0 0:3 / /c/u rw - cgroup2 cgroup2 rw\n",
            "2:pids:/\n1:freezer:/\n0::/\n",
            &[],
        );
        let t = targets(&l, &needs(&["pids=5"]), "g", None, true).unwrap();
        let dirs: Vec<_> = t.iter().map(|t| t.dir.to_str().unwrap()).collect();
        assert_eq!(dirs, ["/c/pids/g", "/c/freezer/g"]);
        assert!(t[1].helper);
        assert_eq!(
            targets(&l, &needs(&["pids=5"]), "g", None, false)
                .unwrap()
                .len(),
            1
        );
        // A group in v2 alone needs no freezer: cgroup.kill does it.
        assert_eq!(targets(&l, &[], "g", None, true).unwrap().len(), 1);
    }

    fn with_devices(words: &[&str], rules: &[&str]) -> Vec<Need> {
        let mut l = Limits::parse(words.iter().copied()).unwrap();
        l.devices = Some(
            rules
                .iter()
                .map(|r| crate::devices::parse_rule(r).unwrap())
                .collect(),
        );
        l.needs()
    }

    #[test]
    fn device_rules_go_to_v1_devices_or_become_a_v2_program() {
        let v1 = layout(
            "1 0 0:1 / /c/devices rw - cgroup cgroup rw,devices\n2 0 0:2 / /c/u rw - cgroup2 cgroup2 rw\n",
            "2:devices:/\n0::/\n",
            &[],
        );
        let t = targets(&v1, &with_devices(&[], &["c 1:3 rwm"]), "g", None, false).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].dir, Path::new("/c/devices/g"));
        let w: Vec<_> = t[0]
            .writes
            .iter()
            .map(|(_, w)| (w.files[0].as_str(), w.value.as_str()))
            .collect();
        assert_eq!(w, [("devices.deny", "a"), ("devices.allow", "c 1:3 rwm")]);
        assert!(t[0].program.is_none());

        // The hybrid layout of this machine's tests has no v1 devices: the
        // rules go to the (empty) unified hierarchy, as a program, with no
        // controller to enable.
        let t = targets(
            &hybrid(),
            &with_devices(&["pids=5"], &["a"]),
            "g",
            None,
            false,
        )
        .unwrap();
        let v2 = t.iter().find(|t| t.version == Version::V2).unwrap();
        assert_eq!(v2.dir, Path::new("/sys/fs/cgroup/unified/g"));
        assert!(v2.enable.is_empty() && v2.writes.is_empty());
        assert_eq!(v2.program.as_ref().unwrap().len(), 1);
        let l = layout(V2_MOUNTS, V2_CGROUP, &["memory"]);
        let t = targets(&l, &with_devices(&["memory=1M"], &[]), "g", None, false).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].enable, ["memory"]);
        assert_eq!(t[0].program, Some(Vec::new()));

        let none = layout(
            "1 0 0:1 / /c/pids rw - cgroup cgroup rw,pids\n",
            "1:pids:/\n",
            &[],
        );
        let e = targets(&none, &with_devices(&[], &[]), "g", None, false).unwrap_err();
        assert!(
            e.starts_with("device rules: no cgroup hierarchy here offers the devices"),
            "{e}"
        );
    }

    #[test]
    fn cgroup_files_go_to_every_hierarchy_used() {
        let t = targets(
            &hybrid(),
            &needs(&["pids=5", "cgroup.clone_children=1"]),
            "g",
            None,
            false,
        )
        .unwrap();
        assert_eq!(t[0].writes.len(), 2);
    }

    #[test]
    fn a_container_mount_of_a_subtree_is_used_relative_to_its_root() {
        let l = layout(
            "1 0 0:1 /docker/x /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n",
            "5:pids:/docker/x/inner\n",
            &[],
        );
        assert_eq!(l.hierarchies[0].current, Path::new("/inner"));
    }

    #[test]
    fn cgroup_root_reads_a_v2_mount_or_a_directory_of_v1_hierarchies() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("cgroup.controllers"), "cpu memory pids\n").unwrap();
        let l = from_root(d.path()).unwrap();
        assert_eq!(l.hierarchies[0].version, Version::V2);
        assert_eq!(l.hierarchies[0].controllers, ["cpu", "memory", "pids"]);

        let d = tempfile::tempdir().unwrap();
        for sub in ["cpu,cpuacct", "memory", "systemd"] {
            std::fs::create_dir(d.path().join(sub)).unwrap();
        }
        let l = from_root(d.path()).unwrap();
        assert_eq!(l.available(), "v1: cpu cpuacct memory");
    }
}
