//! What the sk-pivot tests share: a busybox root and the chain that runs
//! sk-pivot in new mount and pid namespaces.
#![allow(dead_code)]

use sk_testkit::{need_root, run, sk, Output, Rootfs};
use std::path::{Path, PathBuf};

/// A busybox root, or None after a loud skip (not root, no busybox).
pub fn rootfs(name: &str) -> Option<Rootfs> {
    if !need_root(name) {
        return None;
    }
    Rootfs::busybox(name)
}

/// `sk-unshare -mp sk-pivot OPTS... ROOT COMMAND...`
pub fn chain(root: &Path, opts: &[&str], command: &[&str]) -> Output {
    run(sk("sk-unshare")
        .args(["-mp", "sk-pivot"])
        .args(opts)
        .arg(root)
        .args(command))
}

/// `chain` with `sh -c LINE` as the command.
pub fn chain_sh(root: &Path, opts: &[&str], line: &str) -> Output {
    chain(root, opts, &["sh", "-c", line])
}

/// A marker file that a command would create if it ran: its path inside
/// the root is /tmp/NAME, and the same path on the host, for a command run
/// without the pivot.
pub struct Marker {
    pub inner: String,
    in_root: PathBuf,
}

impl Marker {
    pub fn new(root: &Path) -> Marker {
        let inner = format!("/tmp/{}", sk_testkit::unique("sk-pivot-marker-"));
        let in_root = root.join(inner.trim_start_matches('/'));
        Marker { inner, in_root }
    }

    /// The command that would make the marker.
    pub fn command(&self) -> Vec<&str> {
        vec!["touch", &self.inner]
    }

    #[track_caller]
    pub fn assert_absent(&self) {
        assert!(
            !self.in_root.exists(),
            "the command ran: {} exists",
            self.in_root.display()
        );
        assert!(
            !Path::new(&self.inner).exists(),
            "the command ran on the host: {} exists",
            self.inner
        );
    }
}

impl Drop for Marker {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.in_root);
        let _ = std::fs::remove_file(&self.inner);
    }
}

/// The mount points in a mountinfo text (fifth field).
pub fn mount_points(mountinfo: &str) -> Vec<String> {
    mountinfo
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(String::from)
        .collect()
}

/// The mountinfo line whose mount point is `point`.
pub fn mount_line<'a>(mountinfo: &'a str, point: &str) -> Option<&'a str> {
    mountinfo
        .lines()
        .find(|l| l.split(' ').nth(4) == Some(point))
}
