//! The supervisor mounts an allowed filesystem for an unprivileged
//! container (issue 17): an ext4 image on a loop device, bound into a
//! user-namespace container, mounted by `mount` inside only through
//! `sk-seccomp --allow-mount ext4:/dev/loopN`; every other mount is EPERM
//! and nothing is mounted anywhere; the supervisor answers concurrently.
//!
//! The chain after sk-seccomp is judged by its filter too: sk-pivot's own
//! new mounts (proc, the minimal /dev) would be refused, so the containers
//! here use `--no-proc --no-dev --no-mask` and bind the host's /proc (binds
//! are not notified; see the man page).

mod common;
use common::Scratch;
use sk_testkit::{c_program, cmd, need_program, need_root, run, sh, sk, Cleanup, Output, Rootfs};
use std::path::{Path, PathBuf};

/// An ext4 image with a file written on the host side, on a loop device;
/// detached and removed on drop, whatever happens.
struct Disk {
    dev: String,
    _files: Scratch,
}

impl Drop for Disk {
    fn drop(&mut self) {
        // Lazily: a mount still holding it lets go later (autoclear).
        let _ = run(cmd("losetup").args(["-d", &self.dev]));
    }
}

fn disk(test: &str) -> Option<Disk> {
    if !need_root(test)
        || !need_program(test, "mkfs.ext4", "e2fsprogs")
        || !need_program(test, "losetup", "mount")
    {
        return None;
    }
    let files = Scratch::new();
    let content = files.path("content");
    std::fs::create_dir(&content).unwrap();
    std::fs::write(content.join("hello"), "written on the host\n").unwrap();
    let img = files.str("ext4.img");
    sh(&format!("truncate -s 8M {img}")).success();
    run(cmd("mkfs.ext4").args(["-q", "-F", "-d", &files.str("content"), &img])).success();
    let out = run(cmd("losetup").args(["-f", "--show", &img]));
    out.success();
    Some(Disk {
        dev: out.stdout.trim().to_string(),
        _files: files,
    })
}

/// A busybox root with the probe in it and an empty /mnt.
fn root(test: &str) -> Option<(Rootfs, PathBuf)> {
    let probe = c_program(test, "mount_probe")?;
    let root = Rootfs::busybox(test)?;
    std::fs::create_dir_all(root.path().join("mnt")).unwrap();
    std::fs::copy(&probe, root.path().join("probe")).unwrap();
    Some((root, probe))
}

/// `script` as root of a user namespace in `root`, with the disk's node
/// bound on the same path inside; behind a supervisor when `allow` says
/// what it may mount.
fn container(root: &Path, disk: &Disk, allow: Option<&str>, userns: bool, script: &str) -> Output {
    let mut c = sk("sk-seccomp");
    if let Some(allow) = allow {
        c.args(["--notify", "mount", "--report", "--allow-mount", allow]);
    } else {
        // The same chain without a supervisor: a filter that does nothing.
        c.args(["--errno", "EPERM:kexec_load"]);
    }
    c.args(["sk-unshare", "-m"]);
    if userns {
        c.args(["-U", "-r"]);
    }
    c.args(["sk-pivot", "--no-proc", "--no-dev", "--no-mask", "--bind", "/proc"]);
    c.args(["--bind", &disk.dev]).arg(root);
    c.args(["/bin/sh", "-c", script]);
    run(common::no_core(&mut c))
}

/// Nothing of the disk is mounted on the host.
fn not_on_the_host(disk: &Disk) {
    let table = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        !table.lines().any(|l| l.contains(" ext4 /proc/self/fd/") || l.contains(&disk.dev)),
        "{table}"
    );
}

#[test]
fn mount_inside_works_only_through_the_supervisor() {
    let test = "mount_inside_works_only_through_the_supervisor";
    let Some(disk) = disk(test) else { return };
    let Some((root, _)) = root(test) else { return };
    let dev = &disk.dev;
    let before = sk_testkit::mount_table();

    let out = container(root.path(), &disk, None, true, &format!("/probe mount {dev} /mnt ext4"));
    out.expect_code(1);
    assert_eq!(out.stdout, "EPERM\n");

    let script = format!(
        "mount -t ext4 {dev} /mnt && cat /mnt/hello && grep ' /mnt ' /proc/self/mountinfo \
         && echo host: $(grep -c ' ext4 /proc/self/fd/' /proc/1/mountinfo) \
         && umount /mnt && echo unmounted"
    );
    let out = container(root.path(), &disk, Some(&format!("ext4:{dev}")), true, &script);
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "written on the host", "{}", out.stdout);
    let fields: Vec<&str> = lines[1].split(' ').collect();
    assert_eq!(fields[4], "/mnt", "{}", lines[1]);
    let opts: Vec<&str> = fields[5].split(',').collect();
    assert!(opts.contains(&"nosuid") && opts.contains(&"nodev"), "{}", lines[1]);
    assert_eq!(lines[2], "host: 0");
    assert_eq!(lines[3], "unmounted");
    assert!(out.stderr.contains("done by the supervisor"), "{}", out.stderr);
    not_on_the_host(&disk);
    assert_eq!(sk_testkit::mount_table(), before);
}

#[test]
fn every_other_mount_is_refused_and_nothing_is_mounted() {
    let test = "every_other_mount_is_refused_and_nothing_is_mounted";
    let Some(disk) = disk(test) else { return };
    let Some((root, _)) = root(test) else { return };
    let dev = &disk.dev;
    // A directory on the host that a link inside points at.
    let outside = Scratch::new();
    let out_dir = outside.str("");
    let before = sk_testkit::mount_table();
    let script = format!(
        "ln -s {out_dir} /out; ln -s /proc/1/root{out_dir} /magic; echo x > /file; \
         for c in 'mount {dev} /mnt xfs' 'mount none /mnt tmpfs' 'mount {dev} /out ext4' \
                  'mount {dev} /magic ext4' 'mount /file /mnt ext4' 'mount /bin/busybox /mnt ext4' \
                  'nodata {dev} /mnt' 'fsopen'; do /probe $c; done; \
         /probe swap {dev} /mnt 300; \
         echo mounted: $(grep -c -e ' /mnt ' -e ' /out ' -e ' /magic ' /proc/self/mountinfo)"
    );
    let out = container(root.path(), &disk, Some(&format!("ext4:{dev}")), true, &script);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[..8],
        ["EPERM", "EPERM", "EPERM", "EPERM", "EPERM", "EPERM", "EPERM", "ENOSYS"],
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    // The swapped type is never mounted; the ext4 ones are, and undone.
    assert!(lines[8].ends_with("swapped 0"), "{}", out.stdout);
    assert!(lines[8].starts_with("mounted ") && !lines[8].starts_with("mounted 0 "));
    assert_eq!(lines[9], "mounted: 0");
    assert!(out.stderr.contains("mount(\"none\", \"/mnt\", \"tmpfs\""), "{}", out.stderr);
    assert_eq!(std::fs::read_dir(outside.path("")).unwrap().count(), 0);
    not_on_the_host(&disk);
    assert_eq!(sk_testkit::mount_table(), before);
}

#[test]
fn a_node_the_container_made_for_another_device_is_refused() {
    let test = "a_node_the_container_made_for_another_device_is_refused";
    let Some(disk) = disk(test) else { return };
    let Some((root, _)) = root(test) else { return };
    let dev = &disk.dev;
    // Real root (no user namespace) may make any node; the loop device
    // next to the allowed one is another disk.
    let minor: u32 = dev.trim_start_matches("/dev/loop").parse().unwrap();
    let script = format!(
        "mknod /other b 7 {} && /probe mount /other /mnt ext4; \
         mknod /same b 7 {minor} && /probe mount /same /mnt ext4 && umount /mnt",
        minor + 1
    );
    let out = container(root.path(), &disk, Some(&format!("ext4:{dev}")), false, &script);
    out.success();
    // A node of its own for the allowed device is fine: the host's node is
    // what gets mounted.
    assert_eq!(out.stdout, "EPERM\nok\n", "{}", out.stderr);
    not_on_the_host(&disk);
}

#[test]
fn debian_mount_falls_back_to_mount_2_and_works() {
    let test = "debian_mount_falls_back_to_mount_2_and_works";
    let debian = sk_testkit::workspace().join(".cache/rootfs-debian");
    if !debian.join("usr/bin/mount").exists() {
        return sk_testkit::skip(
            test,
            "no Debian root in .cache/rootfs-debian (made by tests/debian_root.rs)",
        );
    }
    let Some(disk) = disk(test) else { return };
    let dev = &disk.dev;
    // sk-pivot --bind makes the node's mount point in the root: take it
    // away again.
    let node = debian.join(dev.trim_start_matches('/'));
    let made = !node.exists();
    let _gone = Cleanup(|| {
        if made {
            let _ = std::fs::remove_file(&node);
        }
    });
    let script = format!(
        "/usr/bin/mount -t ext4 {dev} /mnt && cat /mnt/hello && /usr/bin/umount /mnt && echo ok"
    );
    let out = container(&debian, &disk, Some(&format!("ext4:{dev}")), true, &script);
    out.success();
    assert_eq!(out.stdout, "written on the host\nok\n", "{}", out.stderr);
    not_on_the_host(&disk);
}

#[test]
fn a_slow_request_does_not_stall_a_fast_one() {
    let test = "a_slow_request_does_not_stall_a_fast_one";
    if !need_root(test) {
        return;
    }
    let Some(probe) = c_program(test, "mount_probe") else {
        return;
    };
    let dir = Scratch::new();
    let out = common::seccomp(&[
        "--notify",
        "mknod,mknodat,uname",
        "--allow-mknod",
        "c:1:3",
        probe.to_str().unwrap(),
        "slow",
        &dir.str(""),
    ]);
    out.success();
    assert!(out.stdout.starts_with("fast EPERM in "), "{}", out.stdout);
    assert!(out.stdout.ends_with("while the slow one was pending\n"));
    assert!(dir.path("slow-node").exists());
}

#[test]
fn two_hundred_parallel_calls_from_eight_threads_are_all_answered() {
    let test = "two_hundred_parallel_calls_from_eight_threads_are_all_answered";
    if !need_root(test) {
        return;
    }
    let Some(probe) = c_program(test, "mount_probe") else {
        return;
    };
    let dir = Scratch::new();
    let out = common::seccomp(&[
        "--notify",
        "mknod,mknodat",
        "--allow-mknod",
        "c:1:3",
        probe.to_str().unwrap(),
        "many",
        &dir.str(""),
    ]);
    out.success();
    assert_eq!(out.stdout, "made 200\n");
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 200);
}

#[test]
fn allow_mount_needs_a_block_device_and_notify_mount() {
    let out = common::seccomp(&["--notify", "mount", "--allow-mount", "ext4:/dev/null", "true"]);
    out.expect_code(125);
    out.one_error_line("cannot use /dev/null for --allow-mount: Block device required");
    let out = common::seccomp(&["--notify", "uname", "--allow-mount", "ext4:/dev/loop0", "true"]);
    out.expect_code(125);
    assert!(out.stderr.contains("--notify mount"), "{}", out.stderr);
}
