//! Making the group: enable controllers (v2), mkdir, write the limits,
//! join. Each function takes the directories it works on, so the same code
//! runs against /sys/fs/cgroup and against a temp dir in the tests.
//!
//! Nothing is left half-made: when a write or a join fails, every directory
//! this run created is removed again before the error is reported.

use anyhow::anyhow;
use nix::errno::Errno;
use sk_common::{error::errno_of, verbose, Cannot, Result};
use std::io::Write as _;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use crate::devices;
use crate::hierarchy::Target;
use crate::limits::Version;

/// A group that exists in one or more hierarchies.
#[derive(Debug, Default)]
pub struct Group {
    pub parts: Vec<Part>,
}

#[derive(Debug)]
pub struct Part {
    pub dir: PathBuf,
    pub home: PathBuf,
    pub version: Version,
    /// Made by this run (and so removed by it), or an existing one reused.
    pub created: bool,
    pub handle: Handle,
}

/// Descriptors of a group's directory and of its parent, opened when the
/// group is made. The staying parent (--rm, or one of the chain's that the
/// group is handed to) empties and removes the group through them, not
/// through paths: a later step of the chain (sk-pivot) pivots the root of
/// the mount namespace the parent shares, and detaches the old one, after
/// which /sys/fs/cgroup leads nowhere. (Close-on-exec, and the staying
/// parent is not dumpable: the command cannot reach them.)
pub use sk_common::cgroup::Handle;

/// Writes `value` to an interface file in one write(2), as cgroupfs wants;
/// never creates the file.
pub fn write_file(path: &Path, value: &str) -> std::io::Result<()> {
    // O_TRUNC as a shell redirection does: cgroupfs ignores it, plain files
    // (the tests' fake trees) need it.
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)?;
    f.write_all(value.as_bytes())
}

/// Creates the group in every target and writes its limits. `reuse`: an
/// existing directory of that name is taken as it is (a name given with
/// --name); otherwise it is an error, so that two runs never share a group.
pub fn create(targets: &[Target], reuse: bool) -> Result<Group> {
    let mut group = Group::default();
    match make_all(targets, reuse, &mut group) {
        Ok(()) => Ok(group),
        Err(e) => {
            group.remove_created();
            Err(e)
        }
    }
}

fn make_all(targets: &[Target], reuse: bool, group: &mut Group) -> Result<()> {
    for t in targets {
        if t.version == Version::V2 {
            enable_controllers(&t.mount, &t.parent, &t.enable)?;
        }
        let created = match make_dir(&t.dir, reuse) {
            Ok(c) => c,
            Err(e) if t.helper => {
                verbose!(
                    "not using {}: {}",
                    t.dir.display(),
                    sk_common::error::describe(&e)
                );
                continue;
            }
            Err(e) => return Err(e),
        };
        let handle = match Handle::open(&t.dir) {
            Ok(h) => h,
            Err(e) => {
                if created {
                    let _ = std::fs::remove_dir(&t.dir);
                }
                return Err(e);
            }
        };
        group.parts.push(Part {
            dir: t.dir.clone(),
            home: t.home.clone(),
            version: t.version,
            created,
            handle,
        });
        verbose!(
            "{} cgroup {}",
            if created { "created" } else { "reusing" },
            t.dir.display()
        );
        if t.version == Version::V1 && created && t.dir.join("cpuset.cpus").exists() {
            inherit_cpuset(&t.parent, &t.dir)?;
        }
        for (key, w) in &t.writes {
            let Some(file) = w.files.iter().map(|f| t.dir.join(f)).find(|p| p.exists()) else {
                return Err(anyhow!(
                    "cannot set {key}: {} has no {} (this kernel does not offer it)",
                    t.dir.display(),
                    w.files.join(" nor ")
                ));
            };
            write_file(&file, &w.value)
                .cannot_with(|| format!("set {key} (write {} to {})", w.value, file.display()))?;
            verbose!("wrote {} to {}", w.value, file.display());
        }
        if let (Some(rules), Some(part)) = (&t.program, group.parts.last()) {
            attach_program(part, rules)?;
        }
    }
    Ok(())
}

/// v2: the device rules, as a program attached to the group.
fn attach_program(part: &Part, rules: &[devices::Rule]) -> Result<()> {
    devices::attach(part.handle.dir.as_fd(), rules).map_err(|(what, e)| {
        anyhow::Error::new(e).context(format!(
            "cannot {what} for cgroup {}{}",
            part.dir.display(),
            bpf_hint(what, e)
        ))
    })?;
    verbose!(
        "attached a device program to {} ({} allow rules over deny-all)",
        part.dir.display(),
        rules.len()
    );
    Ok(())
}

/// Why bpf(2) usually refuses, told after the error.
fn bpf_hint(what: &str, e: Errno) -> &'static str {
    match e {
        Errno::EPERM if what.starts_with("attach") => {
            " (a parent group has a device program that allows no other: one attached \
             without BPF_F_ALLOW_MULTI)"
        }
        Errno::EPERM => {
            " (loading a BPF program needs CAP_BPF or CAP_SYS_ADMIN in the initial user \
             namespace)"
        }
        Errno::ENOSYS => " (this kernel has no bpf(2))",
        Errno::EINVAL => " (this kernel has no cgroup device programs: CONFIG_CGROUP_BPF)",
        _ => "",
    }
}

/// Makes the group's directory; true when this run made it.
///
/// A default name (sk-PID) is unique among live chains, but not over time:
/// PIDs are reused, and in a pid namespace every chain is PID 1 or 2 of a
/// namespace whose inode number the kernel hands out again once it is
/// gone. So a group of that name is left over from a chain that has ended
/// (one run without --rm): if it is empty, it is removed and made anew,
/// with only this run's limits; if it still holds processes or groups, the
/// kernel refuses the rmdir and this is an error, never a shared group.
fn make_dir(dir: &Path, reuse: bool) -> Result<bool> {
    let exists = match std::fs::create_dir(dir) {
        Ok(()) => return Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::EEXIST) => e,
        Err(e) => return Err(e).cannot_with(|| format!("create cgroup {}", dir.display())),
    };
    if reuse && dir.is_dir() {
        return Ok(false);
    }
    if std::fs::remove_dir(dir).is_err() {
        return Err(anyhow::Error::new(exists).context(format!(
            "cannot create cgroup {} (a group of that name is still in use; pass --name to \
             choose another, or to share it)",
            dir.display()
        )));
    }
    verbose!("removed the empty {} left by an earlier run", dir.display());
    std::fs::create_dir(dir).cannot_with(|| format!("create cgroup {}", dir.display()))?;
    Ok(true)
}

/// A new v1 cpuset group starts with no CPUs and no memory nodes, and no
/// process can join it; it gets its parent's unless a limit says otherwise.
fn inherit_cpuset(parent: &Path, dir: &Path) -> Result<()> {
    for file in ["cpuset.cpus", "cpuset.mems"] {
        let from = parent.join(file);
        let value =
            std::fs::read_to_string(&from).cannot_with(|| format!("read {}", from.display()))?;
        let value = value.trim();
        if !value.is_empty() {
            let to = dir.join(file);
            write_file(&to, value).cannot_with(|| format!("write {value} to {}", to.display()))?;
        }
    }
    Ok(())
}

/// On v2 a controller works in a group only when every ancestor lists it in
/// cgroup.subtree_control: walk from the root down to `parent` and add the
/// missing ones. Already enabled ones are left alone, and nothing is
/// disabled afterwards: a sibling group may rely on it.
pub fn enable_controllers(mount: &Path, parent: &Path, controllers: &[String]) -> Result<()> {
    if controllers.is_empty() {
        return Ok(());
    }
    let rel = parent.strip_prefix(mount).map_err(|_| {
        anyhow!(
            "cannot use {}: it is not under {}",
            parent.display(),
            mount.display()
        )
    })?;
    let mut dir = mount.to_path_buf();
    let mut dirs = vec![dir.clone()];
    for c in rel.components() {
        dir.push(c);
        dirs.push(dir.clone());
    }
    for d in dirs {
        let file = d.join("cgroup.subtree_control");
        let now =
            std::fs::read_to_string(&file).cannot_with(|| format!("read {}", file.display()))?;
        let missing: Vec<&String> = controllers
            .iter()
            .filter(|c| !now.split_whitespace().any(|w| w == c.as_str()))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let line = missing
            .iter()
            .map(|c| format!("+{c}"))
            .collect::<Vec<_>>()
            .join(" ");
        if let Err(e) = write_file(&file, &line) {
            let err = anyhow::Error::new(e);
            let why = match errno_of(&err) {
                Some(Errno::EBUSY) => {
                    " (cgroup v2 no-internal-process rule: this group has processes of its \
                     own, so it cannot pass controllers down; choose a --parent that holds \
                     no process, such as --parent / for root)"
                }
                Some(Errno::EACCES) | Some(Errno::EPERM) => {
                    " (the group is not delegated to this user; ask the service manager for \
                     a delegated one, e.g. systemd-run --user -p Delegate=yes)"
                }
                Some(Errno::ENOENT) | Some(Errno::EINVAL) => {
                    " (the controller is not offered here: see cgroup.controllers)"
                }
                _ => "",
            };
            return Err(err.context(format!("cannot enable {line} in {}{why}", file.display())));
        }
        verbose!("enabled {line} in {}", file.display());
    }
    Ok(())
}

impl Group {
    /// Moves process `pid` into every part of the group. On failure it goes
    /// back where it was and the directories this run made are removed.
    pub fn join(&self, pid: i32) -> Result<()> {
        for (i, p) in self.parts.iter().enumerate() {
            let procs = p.dir.join("cgroup.procs");
            if let Err(e) = write_file(&procs, &pid.to_string()) {
                for back in &self.parts[..i] {
                    let _ = write_file(&back.home.join("cgroup.procs"), &pid.to_string());
                }
                self.remove_created();
                return Err(e).cannot_with(|| format!("join cgroup {}", p.dir.display()));
            }
            verbose!("joined {}", p.dir.display());
        }
        Ok(())
    }

    /// Removes the directories this run made, deepest last made first;
    /// errors are ignored (this is the clean-up after another error).
    pub fn remove_created(&self) {
        for p in self.parts.iter().rev().filter(|p| p.created) {
            let _ = p.handle.remove(&p.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Write;

    /// A fake v2 tree: interface files are plain files the test made.
    fn fake_v2(root: &Path, group: &str, files: &[&str]) -> PathBuf {
        std::fs::write(root.join("cgroup.controllers"), "cpu memory pids io\n").unwrap();
        std::fs::write(root.join("cgroup.subtree_control"), "").unwrap();
        let dir = root.join(group);
        std::fs::create_dir(&dir).unwrap();
        for f in files {
            std::fs::write(dir.join(f), "").unwrap();
        }
        dir
    }

    fn target(root: &Path, dir: &Path, enable: &[&str], writes: &[(&str, &str)]) -> Target {
        Target {
            version: Version::V2,
            mount: root.to_path_buf(),
            home: root.to_path_buf(),
            parent: dir.parent().unwrap().to_path_buf(),
            dir: dir.to_path_buf(),
            enable: enable.iter().map(|s| s.to_string()).collect(),
            writes: writes
                .iter()
                .map(|(f, v)| {
                    (
                        "k=v".to_string(),
                        Write {
                            files: vec![f.to_string()],
                            value: v.to_string(),
                        },
                    )
                })
                .collect(),
            helper: false,
            program: None,
        }
    }

    #[test]
    fn v2_files_are_written_in_an_existing_group_and_controllers_enabled() {
        let root = tempfile::tempdir().unwrap();
        let dir = fake_v2(
            root.path(),
            "g",
            &["cpu.max", "memory.max", "pids.max", "cgroup.procs"],
        );
        let t = target(
            root.path(),
            &dir,
            &["cpu", "memory", "pids"],
            &[
                ("cpu.max", "20000 100000"),
                ("memory.max", "67108864"),
                ("pids.max", "32"),
            ],
        );
        let g = create(&[t], true).unwrap();
        assert!(!g.parts[0].created);
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
        assert_eq!(read("cpu.max"), "20000 100000");
        assert_eq!(read("memory.max"), "67108864");
        assert_eq!(read("pids.max"), "32");
        let sub = std::fs::read_to_string(root.path().join("cgroup.subtree_control")).unwrap();
        assert_eq!(sub, "+cpu +memory +pids");
        g.join(4242).unwrap();
        assert_eq!(read("cgroup.procs"), "4242");
    }

    #[test]
    fn enabled_controllers_are_not_enabled_twice() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("cgroup.subtree_control"), "cpu memory\n").unwrap();
        let mid = root.path().join("mid");
        std::fs::create_dir(&mid).unwrap();
        std::fs::write(mid.join("cgroup.subtree_control"), "cpu\n").unwrap();
        let want = ["cpu".to_string(), "memory".to_string(), "pids".to_string()];
        enable_controllers(root.path(), &mid, &want).unwrap();
        let top = std::fs::read_to_string(root.path().join("cgroup.subtree_control")).unwrap();
        assert_eq!(top, "+pids");
        assert_eq!(
            std::fs::read_to_string(mid.join("cgroup.subtree_control")).unwrap(),
            "+memory +pids"
        );
    }

    #[test]
    fn a_parent_outside_the_mount_is_refused() {
        let e = enable_controllers(Path::new("/a"), Path::new("/b"), &["cpu".into()]).unwrap_err();
        assert!(e.to_string().contains("not under"));
    }

    #[test]
    fn a_new_group_is_made_and_removed_again_when_a_write_fails() {
        let root = tempfile::tempdir().unwrap();
        fake_v2(root.path(), "other", &[]);
        let dir = root.path().join("sk-1");
        // The fresh directory has no interface files: the write must fail.
        let t = target(root.path(), &dir, &[], &[("pids.max", "32")]);
        let e = create(&[t], false).unwrap_err();
        assert!(
            sk_common::error::describe(&e).contains("cannot set k=v"),
            "{e:#}"
        );
        assert!(!dir.exists(), "the half-made group was left behind");
    }

    #[test]
    fn a_default_name_left_empty_is_made_anew_and_one_in_use_is_an_error() {
        let root = tempfile::tempdir().unwrap();
        let dir = fake_v2(root.path(), "sk-2", &[]);
        let g = create(&[target(root.path(), &dir, &[], &[])], false).unwrap();
        assert!(g.parts[0].created && dir.is_dir());
        // A member (here: any entry) makes rmdir fail, as processes do.
        std::fs::write(dir.join("cgroup.procs"), "42\n").unwrap();
        let e = create(&[target(root.path(), &dir, &[], &[])], false).unwrap_err();
        let line = sk_common::error::describe(&e);
        assert!(
            line.contains("still in use") && line.ends_with("File exists"),
            "{line}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("cgroup.procs")).unwrap(),
            "42\n"
        );
    }

    #[test]
    fn the_first_file_that_exists_of_a_choice_is_written() {
        let root = tempfile::tempdir().unwrap();
        let dir = fake_v2(root.path(), "g", &["blkio.weight"]);
        let mut t = target(root.path(), &dir, &[], &[]);
        t.writes.push((
            "io-weight=200".into(),
            Write {
                files: vec!["blkio.bfq.weight".into(), "blkio.weight".into()],
                value: "200".into(),
            },
        ));
        create(&[t.clone()], true).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("blkio.weight")).unwrap(),
            "200"
        );
        std::fs::remove_file(dir.join("blkio.weight")).unwrap();
        let e = create(&[t], true).unwrap_err();
        assert!(
            e.to_string().contains("blkio.bfq.weight nor blkio.weight"),
            "{e}"
        );
    }

    #[test]
    fn a_helper_hierarchy_that_refuses_the_group_is_left_out() {
        let root = tempfile::tempdir().unwrap();
        fake_v2(root.path(), "x", &[]);
        let mut helper = target(root.path(), &root.path().join("no/such/parent/g"), &[], &[]);
        helper.helper = true;
        let g = create(&[helper.clone()], false).unwrap();
        assert!(g.parts.is_empty());
        helper.helper = false;
        assert!(create(&[helper], false).is_err());
    }

    #[test]
    fn a_failed_join_removes_what_was_made() {
        let root = tempfile::tempdir().unwrap();
        fake_v2(root.path(), "x", &[]);
        let a = root.path().join("a");
        let t = target(root.path(), &a, &[], &[]);
        let g = create(&[t], false).unwrap();
        assert!(a.is_dir());
        // No cgroup.procs in a plain directory: joining fails.
        assert!(g.join(1).is_err());
        assert!(!a.exists());
    }
}
