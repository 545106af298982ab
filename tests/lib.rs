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
         sk-pivot {} sk-capdrop --keep {keep} --no-new-privs \
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
         sk-pivot {} sk-capdrop --keep {keep} --no-new-privs \
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
