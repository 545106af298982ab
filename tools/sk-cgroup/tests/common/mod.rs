//! What the sk-cgroup tests need to find groups on any layout (v1, hybrid,
//! v2) the way sk-cgroup does: from /proc/self/mountinfo and
//! /proc/self/cgroup, never from a fixed path.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// One mounted hierarchy: where, which version, the test's own cgroup in it.
#[derive(Clone, Debug)]
pub struct Mount {
    pub v2: bool,
    pub dir: PathBuf,
    pub controllers: Vec<String>,
    pub current: PathBuf,
}

/// Every cgroup hierarchy the test process sees.
pub fn mounts() -> Vec<Mount> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let mut out = Vec::new();
    for line in info.lines() {
        let (left, right) = line.split_once(" - ").unwrap();
        let f: Vec<&str> = left.split(' ').collect();
        let r: Vec<&str> = right.split(' ').collect();
        let (fstype, supers) = (r[0], r.get(2).copied().unwrap_or(""));
        let dir = PathBuf::from(f[4]);
        if fstype == "cgroup2" {
            let current = cgroup
                .lines()
                .find_map(|l| l.strip_prefix("0::"))
                .unwrap_or("/")
                .to_string();
            let controllers = std::fs::read_to_string(dir.join("cgroup.controllers"))
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect();
            out.push(Mount {
                v2: true,
                dir,
                controllers,
                current: current.into(),
            });
        } else if fstype == "cgroup" {
            let controllers: Vec<String> = supers
                .split(',')
                .filter(|o| !o.contains('=') && !["rw", "ro", "xattr"].contains(o))
                .map(str::to_string)
                .collect();
            if controllers.is_empty() {
                continue;
            }
            let current = cgroup
                .lines()
                .find_map(|l| {
                    let mut p = l.splitn(3, ':');
                    let (_, ctl, path) = (p.next()?, p.next()?, p.next()?);
                    let set: Vec<&str> = ctl.split(',').collect();
                    controllers
                        .iter()
                        .all(|c| set.contains(&c.as_str()))
                        .then(|| path.to_string())
                })
                .unwrap_or_else(|| "/".into());
            out.push(Mount {
                v2: false,
                dir,
                controllers,
                current: current.into(),
            });
        }
    }
    out
}

/// The hierarchy that handles `controller` (v1 first, as sk-cgroup does).
pub fn mount_for(controller: &str) -> Option<Mount> {
    let all = mounts();
    all.iter()
        .find(|m| !m.v2 && m.controllers.iter().any(|c| c == controller))
        .or_else(|| {
            all.iter()
                .find(|m| m.v2 && m.controllers.iter().any(|c| c == controller))
        })
        .cloned()
}

impl Mount {
    /// The directory of a group `name` made under the test's own cgroup.
    pub fn group(&self, name: &str) -> PathBuf {
        let rel = self.current.strip_prefix("/").unwrap_or(&self.current);
        self.dir.join(rel).join(name)
    }
}

/// Every directory named `name` under the test's cgroup in any hierarchy.
pub fn groups_named(name: &str) -> Vec<PathBuf> {
    mounts()
        .iter()
        .map(|m| m.group(name))
        .filter(|d| d.is_dir())
        .collect()
}

/// Removes a group a test made (killing what is in it), in every hierarchy.
pub fn remove_group(name: &str) {
    for dir in groups_named(name) {
        for _ in 0..200 {
            if std::fs::remove_dir(&dir).is_ok() || !dir.exists() {
                break;
            }
            if let Ok(procs) = std::fs::read_to_string(dir.join("cgroup.procs")) {
                for pid in procs.lines().filter_map(|p| p.parse::<i32>().ok()) {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(!dir.exists(), "cannot remove test group {}", dir.display());
    }
}

/// CPU time used by the group, in nanoseconds: cpuacct.usage on v1,
/// usage_usec of cpu.stat on v2.
pub fn cpu_usage_ns(name: &str) -> u64 {
    if let Some(m) = mount_for("cpuacct").filter(|m| !m.v2) {
        let s = std::fs::read_to_string(m.group(name).join("cpuacct.usage")).unwrap();
        return s.trim().parse().unwrap();
    }
    let m = mounts()
        .into_iter()
        .find(|m| m.v2)
        .expect("no cgroup2 mount");
    let stat = std::fs::read_to_string(m.group(name).join("cpu.stat")).unwrap();
    let usec: u64 = stat
        .lines()
        .find_map(|l| l.strip_prefix("usage_usec "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    usec * 1000
}

/// Reads an interface file of a group.
pub fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join(file).display()))
        .trim()
        .to_string()
}

/// Whether a live (not zombie) process has `marker` in its environment.
pub fn processes_with_env(marker: &str) -> Vec<i32> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(env) = std::fs::read(e.path().join("environ")) else {
            continue;
        };
        if env.split(|&b| b == 0).any(|kv| kv == marker.as_bytes()) {
            found.push(pid);
        }
    }
    found
}

/// A path for a marker file the command would create, in a fresh temp dir.
pub fn marker() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("ran");
    (d, p)
}

/// For a test that needs root and makes a group: a unique group name, and
/// the clean-up that removes the group however the test ends. None, after
/// a loud skip, without root.
pub fn root_group(test: &str) -> Option<(String, sk_testkit::Cleanup<impl FnMut()>)> {
    if !sk_testkit::need_root(test) {
        return None;
    }
    let group = sk_testkit::unique("skt-");
    let name = group.clone();
    Some((group, sk_testkit::Cleanup(move || remove_group(&name))))
}
