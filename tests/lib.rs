//! Shared pieces of the end-to-end tests: the chains users run, built as
//! argument lists, and the root filesystem they run in.

use sk_testkit::{sh, Rootfs};
use std::path::Path;

/// The headline chain of the README, up to the command:
/// `sk-unshare -mup sk-cgroup --rm cpu=20000 sk-pivot ROOT sk-capdrop sys_time`.
/// (`--rm` so that a test leaves no cgroup behind.)
pub fn headline(root: &Path) -> Vec<String> {
    words(&format!(
        "sk-unshare -mup sk-cgroup --rm cpu=20000 sk-pivot {} sk-capdrop sys_time",
        root.display()
    ))
}

/// The recommended chain for "run this root like Docker would": every
/// namespace, limits and Docker's device rules, a pivoted root with masks,
/// Docker's capability set (here without MKNOD; the README's chain keeps
/// it, guarded by the device rules), no new privileges, and Docker's
/// seccomp profile, last.
pub fn recommended(root: &Path) -> Vec<String> {
    recommended_keeping(root, DOCKER_CAPS_WITHOUT_MKNOD)
}

/// The recommended chain with another set of kept capabilities.
pub fn recommended_keeping(root: &Path, keep: &str) -> Vec<String> {
    words(&format!(
        "sk-unshare -mupin --kill-child sk-cgroup --devices default memory=256M pids=128 cpu=50% \
         sk-pivot {} {MINIMAL_ENV} sk-capdrop --keep {keep} --no-new-privs \
         sk-seccomp --profile docker-default",
        root.display(),
    ))
}

/// The rootless form of the recommended chain, for a user who is not root:
/// a user namespace maps them to root inside; no cgroup (that needs a
/// delegated cgroup, which root makes: see [`rootless_in_cgroup`]).
pub fn recommended_rootless(root: &Path) -> Vec<String> {
    recommended_rootless_keeping(root, DOCKER_CAPS_WITHOUT_MKNOD)
}

pub fn recommended_rootless_keeping(root: &Path, keep: &str) -> Vec<String> {
    words(&format!(
        "sk-unshare -U -r -mupin --kill-child \
         sk-pivot {} {MINIMAL_ENV} sk-capdrop --keep {keep} --no-new-privs \
         sk-seccomp --profile docker-default",
        root.display(),
    ))
}

/// Root makes the cgroup, then drops to user `uid` (nobody) for the rest.
pub fn rootless_in_cgroup(root: &Path, uid: u32, keep: &str) -> Vec<String> {
    let mut v = words(&format!(
        "sk-cgroup --rm pids=128 setpriv --reuid {uid} --regid {uid} --clear-groups"
    ));
    v.extend(recommended_rootless_keeping(root, keep));
    v
}

/// The recommended chain's environment link: nothing of the caller's, what
/// Docker gives (sk-container adds HOSTNAME, and TERM on a terminal).
pub const MINIMAL_ENV: &str =
    "sk-env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root";

pub const DOCKER_CAPS_WITHOUT_MKNOD: &str = "chown,dac_override,fsetid,fowner,net_raw,setgid,\
setuid,setfcap,setpcap,net_bind_service,sys_chroot,kill,audit_write";

pub fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

/// A busybox root that an unprivileged user can enter, with the escape
/// probe in /probe.
pub fn root_with_probe(test: &str) -> Option<Rootfs> {
    let root = Rootfs::busybox(test)?;
    let probe = sk_testkit::c_program(test, "probe")?;
    std::fs::copy(probe, root.path().join("probe")).unwrap();
    sh(&format!("chmod 755 {}", root.path().display())).success();
    Some(root)
}

/// The cached Debian root, made on first use (see sk_testkit::debian_root).
pub use sk_testkit::debian_root;

/// A `Command` for a chain written as words.
pub fn chain(args: &[String]) -> std::process::Command {
    let mut c = sk_testkit::cmd(&args[0]);
    c.args(&args[1..]);
    c
}

/// Every cgroup directory named `name`, in every hierarchy.
pub fn cgroup_dirs_named(name: &str) -> Vec<std::path::PathBuf> {
    let out = sh(&format!(
        "find /sys/fs/cgroup -maxdepth 3 -type d -name '{name}' 2>/dev/null; true"
    ));
    out.stdout.lines().map(std::path::PathBuf::from).collect()
}

/// A chain kept running (its command a `sleep` of busybox): `pid` is its
/// container's first process as the host sees it, for `--join`. The chain
/// and what it started are killed when this is dropped.
pub struct Running {
    child: std::process::Child,
    pub pid: String,
}

impl Running {
    /// Starts `args` and waits (up to 4 s) until the child of its first
    /// process runs busybox, or at least exists; panics if it never does.
    pub fn start(args: &[String]) -> Running {
        let child = chain(args).spawn().unwrap();
        let outer = child.id();
        let mut running = Running {
            child,
            pid: String::new(),
        };
        for _ in 0..200 {
            running.pid = std::fs::read_to_string(format!("/proc/{outer}/task/{outer}/children"))
                .unwrap_or_default()
                .trim()
                .to_string();
            if !running.pid.is_empty()
                && std::fs::read_link(format!("/proc/{}/exe", running.pid))
                    .map(|p| p.ends_with("busybox"))
                    .unwrap_or(false)
            {
                return running;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(
            !running.pid.is_empty(),
            "the container did not start: {args:?}"
        );
        running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let outer = self.child.id();
        sh(&format!("pkill -KILL -P {outer}; kill -KILL {outer}"));
        let _ = self.child.wait();
    }
}
