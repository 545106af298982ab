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

/// The cached Debian root of tests/debian_root.rs (debootstrap, kept in
/// .cache/rootfs-debian between runs), made on first use; None after a
/// loud skip. The same root and cache as that file's own helper.
pub fn debian_root(test: &str) -> Option<std::path::PathBuf> {
    use sk_testkit::{cmd, need_program, need_root, run_within, workspace};
    use std::sync::OnceLock;
    static ROOT: OnceLock<Result<std::path::PathBuf, String>> = OnceLock::new();
    if !need_root(test) || !need_program(test, "debootstrap", "debootstrap") {
        return None;
    }
    let made = ROOT.get_or_init(|| {
        let dir = workspace().join(".cache/rootfs-debian");
        if dir.join("etc/debian_version").exists() {
            return Ok(dir);
        }
        let tmp = workspace().join(format!(".cache/rootfs-debian.{}", std::process::id()));
        let out = run_within(
            cmd(workspace().join("scripts/mkrootfs"))
                .arg("--debian")
                .arg(&tmp),
            std::time::Duration::from_secs(900),
            None,
        );
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(format!(
                "mkrootfs --debian failed: {}",
                out.stderr.lines().last().unwrap_or("")
            ));
        }
        std::fs::rename(&tmp, &dir).map_err(|e| e.to_string())?;
        Ok(dir)
    });
    match made {
        Ok(dir) => Some(dir.clone()),
        Err(why) => panic!("{test}: {why}"),
    }
}
