//! Acceptance 5: --bind, --ro-bind, --tmpfs, --read-only, and the options
//! around them (--chdir, --resolv, order, symlinked destinations).

mod common;

use common::{chain, chain_sh, mount_line, rootfs};
use sk_testkit::{sh, Cleanup};
use std::path::Path;

fn bind_shares_a_host_directory_both_ways() {
    let Some(root) = rootfs("bind_shares_a_host_directory_both_ways") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("in"), "from the host\n").unwrap();
    let spec = format!("{}:/data", data.path().display());
    let out = chain_sh(
        root.path(),
        &["--bind", &spec],
        "cat /data/in && echo from inside > /data/out",
    );
    out.success();
    assert_eq!(out.stdout, "from the host\n");
    assert_eq!(
        std::fs::read_to_string(data.path().join("out")).unwrap(),
        "from inside\n"
    );
}

fn bind_with_one_path_uses_it_inside_too() {
    let Some(root) = rootfs("bind_with_one_path_uses_it_inside_too") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("note");
    std::fs::write(&file, "same path\n").unwrap();
    let out = chain(
        root.path(),
        &["--bind", file.to_str().unwrap()],
        &["cat", file.to_str().unwrap()],
    );
    out.success();
    assert_eq!(out.stdout, "same path\n");
}

fn ro_bind_refuses_writes_with_erofs_submounts_included() {
    let Some(root) = rootfs("ro_bind_refuses_writes_with_erofs_submounts_included") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let d = data.path().display().to_string();
    std::fs::write(data.path().join("in"), "readable\n").unwrap();
    // A submount on the host: the recursive bind brings it, and it must be
    // read-only too.
    std::fs::create_dir(data.path().join("sub")).unwrap();
    sh(&format!("mount -t tmpfs sk-pivot-sub {d}/sub")).success();
    let _umount = Cleanup(|| {
        sh(&format!("umount {d}/sub"));
    });
    let spec = format!("{d}:/data");
    let out = chain_sh(
        root.path(),
        &["--ro-bind", &spec],
        "cat /data/in; touch /data/new; touch /data/sub/new; echo done",
    );
    out.success();
    assert_eq!(out.stdout, "readable\ndone\n");
    assert_eq!(
        out.stderr.matches("Read-only file system").count(),
        2,
        "{}",
        out.stderr
    );
    assert!(!data.path().join("new").exists());
    assert!(!data.path().join("sub/new").exists());
}

fn tmpfs_is_a_fresh_writable_filesystem_with_its_options() {
    let Some(root) = rootfs("tmpfs_is_a_fresh_writable_filesystem_with_its_options") else {
        return;
    };
    let out = chain_sh(
        root.path(),
        &["--tmpfs", "/scratch:size=1m,mode=0700"],
        "echo hi > /scratch/f && cat /scratch/f && stat -c %a /scratch \
         && grep ' /scratch ' /proc/self/mountinfo",
    );
    out.success();
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some("hi"));
    assert_eq!(lines.next(), Some("700"));
    let line = lines.next().unwrap();
    assert!(
        line.contains(" - tmpfs ") && line.contains("size=1024k"),
        "{line}"
    );
    assert!(line.contains("nosuid,nodev"), "{line}");
    // Nothing was written in the root filesystem itself.
    assert!(!root.path().join("scratch/f").exists());
    // The size holds.
    let out = chain_sh(
        root.path(),
        &["--tmpfs", "/scratch:size=1m"],
        "head -c 2000000 /dev/zero > /scratch/big; wc -c < /scratch/big",
    );
    out.success();
    assert_eq!(out.stdout, "1048576\n", "{}", out.stderr);
}

fn read_only_root_refuses_writes_but_dev_shm_and_tmpfs_still_work() {
    let Some(root) = rootfs("read_only_root_refuses_writes_but_dev_shm_and_tmpfs_still_work")
    else {
        return;
    };
    let out = chain_sh(
        root.path(),
        &["--read-only", "--tmpfs", "/tmp"],
        "touch /etc/new; touch /dev/shm/x && touch /tmp/x && echo writable",
    );
    out.success();
    assert_eq!(out.stdout, "writable\n");
    out.one_error_line("Read-only file system");
    assert!(!root.path().join("etc/new").exists());
    let out = chain(
        root.path(),
        &["--read-only"],
        &["cat", "/proc/self/mountinfo"],
    );
    assert!(
        mount_line(&out.stdout, "/").unwrap().contains(" ro,"),
        "{}",
        out.stdout
    );
}

fn mounts_apply_in_the_order_given() {
    let Some(root) = rootfs("mounts_apply_in_the_order_given") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("f"), "inner\n").unwrap();
    let spec = format!("{}:/outer/inner", data.path().display());
    // The tmpfs first, then a bind inside it (its mount point made on the tmpfs).
    let out = chain(
        root.path(),
        &["--tmpfs", "/outer", "--ro-bind", &spec],
        &["cat", "/outer/inner/f"],
    );
    out.success();
    assert_eq!(out.stdout, "inner\n");
    assert!(
        !root.path().join("outer/inner").exists(),
        "the mount point was made on the tmpfs"
    );
}

fn a_symlinked_destination_cannot_lead_out_of_the_root() {
    let Some(root) = rootfs("a_symlinked_destination_cannot_lead_out_of_the_root") else {
        return;
    };
    let host = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    // Links in the root that would reach the host's directory if followed
    // from the host's /.
    std::os::unix::fs::symlink(host.path(), root.path().join("abs")).unwrap();
    std::os::unix::fs::symlink("../../../../../../..", root.path().join("up")).unwrap();
    let same_inside = root.path().join(host.path().strip_prefix("/").unwrap());
    std::fs::create_dir_all(&same_inside).unwrap();
    let d = data.path().display();
    let host_tmp = host.path().strip_prefix("/").unwrap().display().to_string();
    let out = chain(
        root.path(),
        &[
            "--bind",
            &format!("{d}:/abs/made"),
            "--tmpfs",
            &format!("/up/{host_tmp}/t"),
        ],
        &["true"],
    );
    out.success();
    // Nothing was made or mounted in the host's directory; the mount
    // points were made inside the root.
    assert!(std::fs::read_dir(host.path()).unwrap().next().is_none());
    assert!(same_inside.join("made").is_dir() && same_inside.join("t").is_dir());
    // A link that leads nowhere inside the root is refused by name.
    std::os::unix::fs::symlink("/no-such-place-anywhere", root.path().join("dangling")).unwrap();
    let out = chain(root.path(), &["--tmpfs", "/dangling/t"], &["true"]);
    out.expect_code(125)
        .one_error_line(&format!("{}/dangling", root.path().display()));
    assert!(!Path::new("/no-such-place-anywhere").exists());
}

fn paths_resolve_while_the_host_mounts_elsewhere() {
    let Some(root) = rootfs("paths_resolve_while_the_host_mounts_elsewhere") else {
        return;
    };
    // Any mount or umount on the system while a walk with `..` is under way
    // makes openat2 answer EAGAIN (to be retried); a busy host, or tests
    // run in parallel, must not make sk-pivot fail. A thread in a mount
    // namespace of its own mounts and unmounts without pause meanwhile.
    let churn_dir = tempfile::tempdir().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let (stop, dir) = (stop.clone(), churn_dir.path().to_owned());
        std::thread::spawn(move || {
            use nix::mount::{mount, umount, MsFlags};
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS).unwrap();
            let none: Option<&str> = None;
            mount(none, "/", none, MsFlags::MS_REC | MsFlags::MS_PRIVATE, none).unwrap();
            let mut rounds = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                mount(
                    Some("sk-churn"),
                    &dir,
                    Some("tmpfs"),
                    MsFlags::empty(),
                    none,
                )
                .unwrap();
                umount(&dir).unwrap();
                rounds += 1;
            }
            rounds
        })
    };
    let _stop = Cleanup(|| stop.store(true, std::sync::atomic::Ordering::Relaxed));
    // A long walk: a link of a thousand `..`, each one a check.
    std::os::unix::fs::symlink("../".repeat(1000), root.path().join("up")).unwrap();
    for i in 0..20 {
        let out = chain(
            root.path(),
            &["--tmpfs", &format!("/up/t{i}"), "--chdir", "/up/etc"],
            &["true"],
        );
        out.success();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(
        churn.join().unwrap() > 0,
        "the other namespace mounted meanwhile"
    );
}

fn chdir_starts_the_command_there() {
    let Some(root) = rootfs("chdir_starts_the_command_there") else {
        return;
    };
    let out = chain(root.path(), &["--chdir", "/etc"], &["pwd"]);
    out.success();
    assert_eq!(out.stdout, "/etc\n");
    let out = chain(root.path(), &[], &["pwd"]);
    assert_eq!(out.stdout, "/\n");
}

fn resolv_brings_the_hosts_resolv_conf_read_only() {
    let name = "resolv_brings_the_hosts_resolv_conf_read_only";
    let Some(root) = rootfs(name) else { return };
    let Ok(host) = std::fs::read_to_string("/etc/resolv.conf") else {
        return sk_testkit::skip(name, "the host has no /etc/resolv.conf");
    };
    let out = chain(root.path(), &[], &["test", "-e", "/etc/resolv.conf"]);
    out.expect_code(1);
    let out = chain_sh(
        root.path(),
        &["--resolv"],
        "cat /etc/resolv.conf; : > /etc/resolv.conf",
    );
    assert_ne!(out.code(), 0);
    assert_eq!(out.stdout, host);
    assert!(
        out.stderr.contains("Read-only file system"),
        "{}",
        out.stderr
    );
}

fn slave_propagation_works_too() {
    let Some(root) = rootfs("slave_propagation_works_too") else {
        return;
    };
    let out = chain(
        root.path(),
        &["--propagation", "slave"],
        &["cat", "/etc/seckun-rootfs"],
    );
    out.success();
    assert_eq!(out.stdout, "this file is inside the container root\n");
}

sk_testkit::tests! {
    bind_shares_a_host_directory_both_ways: userns,
    bind_with_one_path_uses_it_inside_too: userns,
    ro_bind_refuses_writes_with_erofs_submounts_included,
    tmpfs_is_a_fresh_writable_filesystem_with_its_options: userns,
    read_only_root_refuses_writes_but_dev_shm_and_tmpfs_still_work: userns,
    mounts_apply_in_the_order_given: userns,
    a_symlinked_destination_cannot_lead_out_of_the_root: userns,
    paths_resolve_while_the_host_mounts_elsewhere: userns,
    chdir_starts_the_command_there: userns,
    resolv_brings_the_hosts_resolv_conf_read_only: userns,
    slave_propagation_works_too: userns,
}
