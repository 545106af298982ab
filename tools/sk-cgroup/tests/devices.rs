//! Issue 14, item 4: device rules. With them, a disk node made with mknod
//! inside the container does not open, and /dev/null still does: on the
//! v1 devices hierarchy here, and through a v2 device program in the
//! unified hierarchy (a hybrid host checks both; the VM suite has a pure
//! v2 one). Without them the same node opens: the control.
//!
//! The nodes are made where the chain lets device nodes through
//! (sk-pivot --dev-bind of a host temp dir), so that only the cgroup can
//! stop them: a node of a disk of this machine, and a character node with
//! /dev/kmsg's numbers (1:11; opened for reading only, which is harmless).
//! Some hosts (a sandbox with device rules of its own) refuse the disk to
//! everyone: then the control checks the kmsg node alone.

mod common;

use sk_testkit::{need_root, run, sk, skip, Output, Rootfs};
use std::path::{Path, PathBuf};

/// The numbers of a block device of this machine, from /proc/partitions.
fn a_disk() -> Option<(u32, u32)> {
    let text = std::fs::read_to_string("/proc/partitions").ok()?;
    text.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        match f[..] {
            [major, minor, _, _] => Some((major.parse().ok()?, minor.parse().ok()?)),
            _ => None,
        }
    })
}

/// The unified hierarchy's mount, when there is one.
fn cgroup2_mount() -> Option<PathBuf> {
    common::mounts().into_iter().find(|m| m.v2).map(|m| m.dir)
}

struct Setup {
    root: Rootfs,
    disk: (u32, u32),
    group: String,
}

fn setup(test: &str) -> Option<(Setup, sk_testkit::Cleanup<impl FnMut()>)> {
    if !need_root(test) {
        return None;
    }
    let Some(disk) = a_disk() else {
        skip(
            test,
            "no block device in /proc/partitions to make a node of",
        );
        return None;
    };
    let root = Rootfs::busybox(test)?;
    let (group, cleanup) = common::root_group(test)?;
    Some((Setup { root, disk, group }, cleanup))
}

/// `sk-unshare -mp sk-cgroup --rm --name G CGROUP_OPTS sk-pivot --dev-bind
/// TMP:/devdir ROOT sh -c '...'`: makes a node of the disk in /devdir,
/// tries to open it, writes to /dev/null.
fn mknod_and_open(s: &Setup, cgroup_opts: &[&str]) -> Output {
    let host = tempfile::Builder::new()
        .prefix("sk-devdir.")
        .tempdir()
        .unwrap();
    let (major, minor) = s.disk;
    let line = format!(
        "mknod /devdir/disk b {major} {minor} || echo MKNOD-FAILED; \
         mknod /devdir/kmsg c 1 11 || echo MKNOD-FAILED; \
         if true < /devdir/disk; then echo DISK-OPENED; else echo DISK-REFUSED; fi; \
         if true < /devdir/kmsg; then echo KMSG-OPENED; else echo KMSG-REFUSED; fi; \
         echo x > /dev/null && echo NULL-OK"
    );
    run(sk("sk-unshare")
        .args(["-mp", "sk-cgroup", "--rm", "--name", &s.group])
        .args(cgroup_opts)
        .args(["sk-pivot", "--dev-bind"])
        .arg(format!("{}:/devdir", host.path().display()))
        .arg(s.root.path())
        .args(["sh", "-c", &line]))
}

/// Whether a node of the disk, made on the host, opens there.
fn host_opens_disk((major, minor): (u32, u32)) -> bool {
    use nix::sys::stat::{makedev, mknod, Mode, SFlag};
    let d = tempfile::tempdir().unwrap();
    let node = d.path().join("disk");
    mknod(
        &node,
        SFlag::S_IFBLK,
        Mode::from_bits_truncate(0o600),
        makedev(major.into(), minor.into()),
    )
    .unwrap();
    std::fs::File::open(&node).is_ok()
}

/// Whether the host lets nodes in a temp dir open at all.
fn host_temp_is_nodev() -> bool {
    let t = std::env::temp_dir();
    nix::sys::statvfs::statvfs(&t)
        .unwrap()
        .flags()
        .contains(nix::sys::statvfs::FsFlags::ST_NODEV)
}

fn check(test: &str, cgroup_opts: &[&str]) {
    let Some((s, _cleanup)) = setup(test) else {
        return;
    };
    if host_temp_is_nodev() {
        skip(
            test,
            "the host's temp dir is nodev: no node could open there anyway",
        );
        return;
    }
    // The control: without device rules the nodes open.
    let out = mknod_and_open(&s, &cgroup_opts[..cgroup_opts.len() - 2]);
    out.success();
    let disk = if host_opens_disk(s.disk) {
        "DISK-OPENED"
    } else {
        eprintln!(
            "NOTE {test}: this host refuses its disk to everyone; the control opens kmsg only"
        );
        "DISK-REFUSED"
    };
    assert_eq!(
        out.stdout,
        format!("{disk}\nKMSG-OPENED\nNULL-OK\n"),
        "control: {out:?}"
    );
    let out = mknod_and_open(&s, cgroup_opts);
    out.success();
    assert_eq!(
        out.stdout, "DISK-REFUSED\nKMSG-REFUSED\nNULL-OK\n",
        "{out:?}"
    );
    assert!(out.stderr.contains("Operation not permitted"), "{out:?}");
    assert!(common::groups_named(&s.group).is_empty());
}

/// On this machine's own layout: the v1 devices hierarchy where there is
/// one (here), a program in the unified hierarchy on a pure v2 host.
fn device_rules_refuse_a_mknoded_disk_and_keep_dev_null() {
    let test = "device_rules_refuse_a_mknoded_disk_and_keep_dev_null";
    if let Some(m) = common::mount_for("devices") {
        eprintln!("{test}: the rules go to {}", m.dir.display());
    }
    check(test, &["--devices", "default"]);
}

fn a_v2_device_program_refuses_a_mknoded_disk_and_keeps_dev_null() {
    let test = "a_v2_device_program_refuses_a_mknoded_disk_and_keeps_dev_null";
    let Some(v2) = cgroup2_mount() else {
        skip(test, "no cgroup2 hierarchy is mounted");
        return;
    };
    let v2 = v2.display().to_string();
    // --cgroup-root: the group in the unified hierarchy alone, so that the
    // program is all that stands between the command and the disk.
    check(test, &["--cgroup-root", &v2, "--devices", "default"]);
}

fn devices_none_refuses_even_mknod() {
    let test = "devices_none_refuses_even_mknod";
    let Some((s, _cleanup)) = setup(test) else {
        return;
    };
    let out = mknod_and_open(&s, &["--devices", "none"]);
    // /dev/null is refused too: the redirection fails, NULL-OK is not said.
    assert_eq!(
        out.stdout, "MKNOD-FAILED\nMKNOD-FAILED\nDISK-REFUSED\nKMSG-REFUSED\n",
        "{out:?}"
    );
    assert_ne!(out.code(), 0);
}

fn every_bad_device_rule_is_125_one_line_and_makes_nothing() {
    let test = "every_bad_device_rule_is_125_one_line_and_makes_nothing";
    let Some((group, _cleanup)) = common::root_group(test) else {
        return;
    };
    let (_d, marker) = common::marker();
    let touch = marker.display().to_string();
    let bad: [&[&str]; 9] = [
        &["--device-rule", "c 1:3"],
        &["--device-rule", "x 1:3 rwm"],
        &["--device-rule", "c 1:3 rwx"],
        &["--device-rule", "c 1:3 rr"],
        &["--device-rule", "c one:3 r"],
        &["--device-rule", "c 1:99999999 r"],
        &["--device-rule", ""],
        &["--device-rule", "a 1:3 r"],
        &["--devices", "docker"],
    ];
    for opts in bad {
        let out = run(sk("sk-cgroup")
            .args(["--name", &group])
            .args(opts)
            .args(["touch", &touch]));
        out.expect_code(125).one_error_line("invalid");
        assert!(out.stderr.starts_with("sk-cgroup: "), "{out:?}");
        assert!(!Path::new(&touch).exists(), "{opts:?}: the command ran");
        assert!(
            common::groups_named(&group).is_empty(),
            "{opts:?}: a group was made"
        );
    }
}

sk_testkit::tests! {
    device_rules_refuse_a_mknoded_disk_and_keep_dev_null,
    a_v2_device_program_refuses_a_mknoded_disk_and_keeps_dev_null,
    devices_none_refuses_even_mknod,
    every_bad_device_rule_is_125_one_line_and_makes_nothing,
}
