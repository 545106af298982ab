//! Acceptance 4: the minimal /dev, masked and read-only /proc paths, and
//! the options that change those defaults.

mod common;

use common::{chain, chain_sh, mount_line, rootfs};
use sk_testkit::{run, sk};
use std::path::Path;

fn dev_holds_exactly_the_minimal_set() {
    let Some(root) = rootfs("dev_holds_exactly_the_minimal_set") else {
        return;
    };
    let out = chain(root.path(), &[], &["ls", "-A", "/dev"]);
    out.success();
    let mut seen: Vec<&str> = out.stdout.split_whitespace().collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            "fd", "full", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout",
            "tty", "urandom", "zero"
        ]
    );
}

/// The stat line of each minimal device: major:minor, mode, the file
/// system its mount is (from mountinfo), then whether chmod was refused.
const NODES_SCRIPT: &str = "for d in null zero full random urandom tty; do \
     fs=$(grep \" /dev/$d \" /proc/self/mountinfo | sed 's/.* - \\([^ ]*\\) .*/\\1/'); \
     echo \"$d $(stat -c '%t:%T %a' /dev/$d) $fs\"; done; \
     chmod 600 /dev/null 2>/dev/null && echo chmod-ok || echo chmod-refused; \
     ls -A /dev | grep -c sk-pivot; : > /dev/tty";

fn node_lines(out: &sk_testkit::Output) -> Vec<String> {
    out.stdout.lines().map(str::to_string).collect()
}

fn the_device_nodes_are_its_own_not_the_hosts() {
    let Some(root) = rootfs("the_device_nodes_are_its_own_not_the_hosts") else {
        return;
    };
    let host_null = std::fs::metadata("/dev/null").unwrap();
    // Rootful: every node is sk-pivot's own, on a tmpfs (not a bind of the
    // host's devtmpfs nodes); root inside may chmod its own /dev/null.
    // /dev/tty opens (ENXIO: the command has no controlling terminal
    // here), where a node on a nodev mount would be EACCES. No staging
    // directory is left in /dev.
    let out = chain_sh(root.path(), &[], NODES_SCRIPT);
    assert_eq!(out.code(), 1, "{out:?}");
    assert_eq!(
        node_lines(&out),
        [
            "null 1:3 666 tmpfs",
            "zero 1:5 666 tmpfs",
            "full 1:7 666 tmpfs",
            "random 1:8 666 tmpfs",
            "urandom 1:9 666 tmpfs",
            "tty 5:0 666 tmpfs",
            "chmod-ok",
            "0"
        ]
    );
    assert!(
        out.stderr.contains("No such device or address"),
        "{}",
        out.stderr
    );
    // Where no node can be made (CAP_MKNOD dropped before sk-pivot), the
    // host's are bound read-only: chmod is refused, the devices still work,
    // and the host's /dev/null keeps its mode.
    let out = run(sk("sk-unshare")
        .args(["-mp", "sk-capdrop", "mknod", "sk-pivot"])
        .arg(root.path())
        .args(["sh", "-c", NODES_SCRIPT]));
    assert_eq!(out.code(), 1, "{out:?}");
    let lines = node_lines(&out);
    assert_eq!(lines.len(), 8, "{out:?}");
    assert!(
        lines[..6].iter().all(|l| l.ends_with(" devtmpfs")),
        "{lines:?}"
    );
    assert_eq!(lines[6..], ["chmod-refused", "0"]);
    let after = std::fs::metadata("/dev/null").unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&after.permissions()),
        std::os::unix::fs::PermissionsExt::mode(&host_null.permissions())
    );
    let out = run(sk("sk-unshare")
        .args(["-mp", "sk-capdrop", "mknod", "sk-pivot"])
        .arg(root.path())
        .args([
            "sh",
            "-c",
            "echo x > /dev/null && head -c 4 /dev/zero | wc -c",
        ]));
    out.success();
    assert_eq!(out.stdout, "4\n");
    // The same in a user namespace, where mknod is always refused.
    let out = run(sk("sk-unshare")
        .args(["-U", "-r", "-mp", "sk-pivot"])
        .arg(root.path())
        .args(["sh", "-c", NODES_SCRIPT]));
    assert_eq!(out.code(), 1, "{out:?}");
    let lines = node_lines(&out);
    assert!(
        lines[..6].iter().all(|l| l.ends_with(" devtmpfs")),
        "{lines:?}"
    );
    assert_eq!(lines[6..], ["chmod-refused", "0"]);
}

/// A failure while sk-pivot makes its device nodes (provoked: nothing
/// else fails mknod for root) fails the step: one line, 125, the command
/// not run, and no staging directory or mount left.
fn a_failure_making_the_device_nodes_runs_nothing() {
    let Some(root) = rootfs("a_failure_making_the_device_nodes_runs_nothing") else {
        return;
    };
    let before = sk_testkit::mount_table();
    let out = run(sk("sk-unshare")
        .env("SK_TEST_FAIL", "dev-nodes")
        .args(["-mp", "sk-pivot"])
        .arg(root.path())
        .args(["/bin/sh", "-c", "echo ran"]));
    out.expect_code(125)
        .one_error_line("sk-pivot: cannot make the node 1:3 in ");
    assert!(!out.stdout.contains("ran"));
    assert_eq!(sk_testkit::mount_table(), before);
    let left: Vec<_> = std::fs::read_dir(root.path().join("dev"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

fn host_devices_are_absent() {
    let Some(root) = rootfs("host_devices_are_absent") else {
        return;
    };
    for dev in [
        "/dev/sda",
        "/dev/vda",
        "/dev/nvme0n1",
        "/dev/mem",
        "/dev/kmsg",
        "/dev/port",
    ] {
        let out = chain(root.path(), &[], &["test", "-e", dev]);
        assert_eq!(out.code(), 1, "{dev} is inside: {out:?}");
    }
}

fn the_devices_work_and_the_links_point_into_proc() {
    let Some(root) = rootfs("the_devices_work_and_the_links_point_into_proc") else {
        return;
    };
    let out = chain_sh(
        root.path(),
        &[],
        "echo gone > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c \
         && readlink /dev/ptmx && readlink /dev/fd && readlink /dev/stdin && test -c /dev/pts/ptmx \
         && touch /dev/shm/x && echo ok",
    );
    out.success();
    assert_eq!(
        out.stdout,
        "4\n4\npts/ptmx\n/proc/self/fd\n/proc/self/fd/0\nok\n"
    );
}

fn dev_is_a_nosuid_nodev_noexec_tmpfs_with_a_devpts_of_its_own() {
    let Some(root) = rootfs("dev_is_a_nosuid_nodev_noexec_tmpfs_with_a_devpts_of_its_own") else {
        return;
    };
    let out = chain(root.path(), &[], &["cat", "/proc/self/mountinfo"]);
    out.success();
    let dev = mount_line(&out.stdout, "/dev").unwrap();
    assert!(
        dev.contains(" - tmpfs ") && dev.contains("nosuid,nodev,noexec"),
        "{dev}"
    );
    let pts = mount_line(&out.stdout, "/dev/pts").unwrap();
    assert!(
        pts.contains(" - devpts ") && pts.contains("ptmxmode=666"),
        "{pts}"
    );
    assert!(mount_line(&out.stdout, "/dev/shm")
        .unwrap()
        .contains(" - tmpfs "));
}

fn proc_kcore_cannot_be_read() {
    let name = "proc_kcore_cannot_be_read";
    if !sk_testkit::need_kernel_file(name, "/proc/kcore", "CONFIG_PROC_KCORE") {
        return;
    }
    let Some(root) = rootfs(name) else {
        return;
    };
    // Masked with /dev/null: present, and empty.
    let out = chain_sh(root.path(), &[], "head -c 16 /proc/kcore | wc -c");
    out.success();
    assert_eq!(out.stdout, "0\n");
}

fn masked_paths_are_covered() {
    let Some(root) = rootfs("masked_paths_are_covered") else {
        return;
    };
    let out = chain_sh(
        root.path(),
        &[],
        "wc -c < /proc/interrupts; wc -c < /proc/keys; ls -A /proc/acpi",
    );
    out.success();
    let mut want = String::new();
    for f in ["/proc/interrupts", "/proc/keys"] {
        if Path::new(f).exists() {
            want.push_str("0\n");
        }
    }
    assert!(out.stdout.starts_with(&want), "{}", out.stdout);
    assert!(
        out.stdout.lines().all(|l| l == "0"),
        "something shows through: {}",
        out.stdout
    );
}

/// `: > FILE` inside fails as read-only. (`: >` opens for writing and
/// writes nothing: harmless if it wrongly succeeded.)
fn assert_read_only_inside(root: &Path, file: &str) {
    let out = chain_sh(root, &[], &format!(": > {file}"));
    assert_ne!(out.code(), 0, "{file} is writable");
    assert!(
        out.stderr.contains("Read-only file system"),
        "{file}: {}",
        out.stderr
    );
}

fn writing_to_sysrq_trigger_fails() {
    let name = "writing_to_sysrq_trigger_fails";
    if !sk_testkit::need_kernel_file(name, "/proc/sysrq-trigger", "CONFIG_MAGIC_SYSRQ") {
        return;
    }
    let Some(root) = rootfs(name) else {
        return;
    };
    assert_read_only_inside(root.path(), "/proc/sysrq-trigger");
}

fn writing_to_kernel_hostname_fails() {
    let Some(root) = rootfs("writing_to_kernel_hostname_fails") else {
        return;
    };
    assert_read_only_inside(root.path(), "/proc/sys/kernel/hostname");
    let out = chain(root.path(), &[], &["cat", "/proc/self/mountinfo"]);
    assert!(
        mount_line(&out.stdout, "/proc/sys")
            .unwrap()
            .contains(" ro,"),
        "{}",
        out.stdout
    );
}

fn user_masks_and_read_only_paths_are_added() {
    let Some(root) = rootfs("user_masks_and_read_only_paths_are_added") else {
        return;
    };
    let out = chain_sh(
        root.path(),
        &[
            "--mask",
            "/etc/hosts",
            "--mask",
            "/home",
            "--ro",
            "/tmp",
            "--mask",
            "/no/such/path",
        ],
        "wc -c < /etc/hosts; ls -A /home; touch /home/x; touch /tmp/x",
    );
    assert_ne!(out.code(), 0);
    assert_eq!(out.stdout, "0\n");
    assert_eq!(
        out.stderr.matches("Read-only file system").count(),
        2,
        "{}",
        out.stderr
    );
}

fn no_mask_leaves_proc_as_the_kernel_shows_it() {
    let Some(root) = rootfs("no_mask_leaves_proc_as_the_kernel_shows_it") else {
        return;
    };
    let out = chain(
        root.path(),
        &["--no-mask"],
        &["cat", "/proc/self/mountinfo"],
    );
    out.success();
    assert!(
        mount_line(&out.stdout, "/proc/sys").is_none(),
        "{}",
        out.stdout
    );
    assert!(
        mount_line(&out.stdout, "/proc/keys").is_none(),
        "{}",
        out.stdout
    );
}

fn no_proc_leaves_proc_empty() {
    let Some(root) = rootfs("no_proc_leaves_proc_empty") else {
        return;
    };
    let out = chain(root.path(), &["--no-proc"], &["ls", "-A", "/proc"]);
    out.success();
    assert_eq!(out.stdout, "");
}

fn sys_is_read_only_when_asked() {
    let Some(root) = rootfs("sys_is_read_only_when_asked") else {
        return;
    };
    let out = chain_sh(root.path(), &[], "ls -A /sys | wc -l");
    out.success();
    assert_eq!(out.stdout, "0\n", "no /sys unless asked");
    let out = chain_sh(
        root.path(),
        &["--sys"],
        "ls /sys/kernel >/dev/null && : > /sys/kernel/x",
    );
    assert_ne!(out.code(), 0);
    assert!(
        out.stderr.contains("Read-only file system"),
        "{}",
        out.stderr
    );
    if Path::new("/sys/firmware").exists() {
        let out = chain(root.path(), &["--sys"], &["ls", "-A", "/sys/firmware"]);
        out.success();
        assert_eq!(out.stdout, "", "/sys/firmware is masked");
    }
}

fn dev_host_brings_the_hosts_devices_and_warns() {
    let Some(root) = rootfs("dev_host_brings_the_hosts_devices_and_warns") else {
        return;
    };
    let out = chain(root.path(), &["--dev-host"], &["test", "-e", "/dev/kmsg"]);
    out.expect_code(if Path::new("/dev/kmsg").exists() {
        0
    } else {
        1
    });
    assert!(
        out.stderr.contains("warning: the host's whole /dev"),
        "{}",
        out.stderr
    );
}

fn devtmpfs_brings_every_device_and_warns() {
    let Some(root) = rootfs("devtmpfs_brings_every_device_and_warns") else {
        return;
    };
    let out = chain(root.path(), &["--devtmpfs"], &["test", "-c", "/dev/mem"]);
    out.expect_code(if Path::new("/dev/mem").exists() { 0 } else { 1 });
    assert!(out.stderr.contains("warning: devtmpfs"), "{}", out.stderr);
}

fn no_dev_leaves_the_roots_own_dev() {
    let Some(root) = rootfs("no_dev_leaves_the_roots_own_dev") else {
        return;
    };
    std::fs::write(root.path().join("dev/own-file"), "").unwrap();
    let out = chain(root.path(), &["--no-dev"], &["ls", "-A", "/dev"]);
    out.success();
    assert_eq!(out.stdout, "own-file\n");
}

fn sys_in_a_user_namespace_without_a_network_namespace_is_bound_read_only() {
    let name = "sys_in_a_user_namespace_without_a_network_namespace_is_bound_read_only";
    let Some(root) = rootfs(name) else { return };
    let probe = sk_testkit::run(sk_testkit::sk("sk-unshare").args(["-U", "-r", "true"]));
    if probe.code() != 0 {
        return sk_testkit::skip(
            name,
            &format!("no user namespaces here: {}", probe.stderr.trim()),
        );
    }
    let out = sk_testkit::run(
        sk_testkit::sk("sk-unshare")
            .args(["-U", "-r", "-mp", "sk-pivot", "--sys"])
            .arg(root.path())
            .args([
                "sh",
                "-c",
                "ls /sys/kernel >/dev/null && grep ' /sys' /proc/self/mountinfo",
            ]),
    );
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(!lines.is_empty());
    for l in &lines {
        // Every mount under /sys, submounts included, is read-only.
        assert!(
            l.split(' ').nth(5).unwrap().starts_with("ro"),
            "writable: {l}"
        );
    }
}

sk_testkit::tests! {
    dev_holds_exactly_the_minimal_set: userns,
    the_device_nodes_are_its_own_not_the_hosts,
    a_failure_making_the_device_nodes_runs_nothing,
    host_devices_are_absent: userns,
    the_devices_work_and_the_links_point_into_proc: userns,
    dev_is_a_nosuid_nodev_noexec_tmpfs_with_a_devpts_of_its_own: userns,
    proc_kcore_cannot_be_read,
    masked_paths_are_covered: userns,
    writing_to_sysrq_trigger_fails,
    writing_to_kernel_hostname_fails: userns,
    user_masks_and_read_only_paths_are_added: userns,
    no_mask_leaves_proc_as_the_kernel_shows_it: userns,
    no_proc_leaves_proc_empty: userns,
    sys_is_read_only_when_asked: userns,
    dev_host_brings_the_hosts_devices_and_warns: userns,
    devtmpfs_brings_every_device_and_warns,
    no_dev_leaves_the_roots_own_dev: userns,
    sys_in_a_user_namespace_without_a_network_namespace_is_bound_read_only: userns,
}
