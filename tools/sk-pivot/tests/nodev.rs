//! Issue 14, item 4: device nodes from the image or from a bind do not
//! open inside. NEWROOT and every bind are nodev; the minimal /dev keeps
//! its own nodes usable; --dev-bind is the one named way to let a bind's
//! nodes through.

mod common;

use common::{chain_sh, mount_line, rootfs};
use nix::sys::stat::{makedev, mknod, Mode, SFlag};
use std::path::Path;

/// A character node with the numbers of a host device, as an image can ship.
fn node(path: &Path, major: u64, minor: u64) {
    mknod(
        path,
        SFlag::S_IFCHR,
        Mode::from_bits_truncate(0o666),
        makedev(major, minor),
    )
    .unwrap_or_else(|e| panic!("mknod {}: {e}", path.display()));
}

/// A shell line that opens PATH for reading and says whether it could.
fn try_open(path: &str) -> String {
    format!("if true < {path}; then echo OPENED {path}; else echo REFUSED {path}; fi")
}

fn a_node_shipped_in_the_root_does_not_open_and_dev_null_does() {
    let Some(root) = rootfs("a_node_shipped_in_the_root_does_not_open_and_dev_null_does") else {
        return;
    };
    // The numbers of /dev/null (1:3), which would surely open, and of
    // /dev/kmsg (1:11), whose writes reach the host's kernel log.
    node(&root.path().join("evil-null"), 1, 3);
    node(&root.path().join("tmp/kmsg"), 1, 11);
    let line = [
        try_open("/evil-null"),
        try_open("/tmp/kmsg"),
        try_open("/dev/null"),
        try_open("/dev/zero"),
        try_open("/dev/urandom"),
        "echo x > /dev/null && echo WROTE".to_string(),
    ]
    .join("; ");
    let out = chain_sh(root.path(), &[], &line);
    out.success();
    assert_eq!(
        out.stdout,
        "REFUSED /evil-null\nREFUSED /tmp/kmsg\nOPENED /dev/null\nOPENED /dev/zero\n\
         OPENED /dev/urandom\nWROTE\n",
        "{out:?}"
    );
    assert!(out.stderr.contains("Permission denied"), "{out:?}");
}

fn the_new_root_is_mounted_nodev() {
    let Some(root) = rootfs("the_new_root_is_mounted_nodev") else {
        return;
    };
    let out = chain_sh(root.path(), &[], "cat /proc/self/mountinfo");
    out.success();
    let line = mount_line(&out.stdout, "/").expect("no / in mountinfo");
    let options = line.split(' ').nth(5).unwrap();
    assert!(options.split(',').any(|o| o == "nodev"), "{line}");
}

/// Whether the host mounts `dir`'s filesystem nodev (then no bind of it
/// can let a node through, and the --dev-bind half proves nothing).
fn host_nodev(dir: &Path) -> bool {
    nix::sys::statvfs::statvfs(dir)
        .unwrap()
        .flags()
        .contains(nix::sys::statvfs::FsFlags::ST_NODEV)
}

fn binds_are_nodev_and_dev_bind_lets_nodes_through() {
    let name = "binds_are_nodev_and_dev_bind_lets_nodes_through";
    let Some(root) = rootfs(name) else {
        return;
    };
    let host = tempfile::Builder::new()
        .prefix("sk-nodev.")
        .tempdir()
        .unwrap();
    node(&host.path().join("null-copy"), 1, 3);
    let src = host.path().display().to_string();
    for opt in ["--bind", "--ro-bind"] {
        let out = chain_sh(
            root.path(),
            &[opt, &format!("{src}:/mnt")],
            &try_open("/mnt/null-copy"),
        );
        out.success();
        assert_eq!(out.stdout, "REFUSED /mnt/null-copy\n", "{opt}: {out:?}");
    }
    if host_nodev(host.path()) {
        sk_testkit::skip(
            name,
            "the host's temp dir is itself nodev: --dev-bind not tried",
        );
        return;
    }
    let out = chain_sh(
        root.path(),
        &["--dev-bind", &format!("{src}:/mnt")],
        &try_open("/mnt/null-copy"),
    );
    out.success();
    assert_eq!(out.stdout, "OPENED /mnt/null-copy\n", "{out:?}");
}

sk_testkit::tests! {
    a_node_shipped_in_the_root_does_not_open_and_dev_null_does,
    the_new_root_is_mounted_nodev,
    binds_are_nodev_and_dev_bind_lets_nodes_through,
}
