//! Acceptance 1, 2, 3 and 7: inside, only the new root; the old root is
//! unreachable, even by the chroot escape; no pivot in the host's mount
//! namespace; nothing left on the host afterwards.

mod common;

use common::{chain, chain_sh, mount_line, mount_points, rootfs, Marker};
use sk_testkit::{bin_dir, mount_table, need_root, run, sh, sk, skip, Cleanup};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn mountinfo_inside_shows_only_the_new_root_and_sk_pivots_own_mounts() {
    let Some(root) = rootfs("mountinfo_inside_shows_only_the_new_root_and_sk_pivots_own_mounts")
    else {
        return;
    };
    let out = chain(root.path(), &[], &["cat", "/proc/self/mountinfo"]);
    out.success();
    let points = mount_points(&out.stdout);
    assert_eq!(
        points.iter().filter(|p| *p == "/").count(),
        1,
        "{}",
        out.stdout
    );
    for p in &points {
        assert!(
            p == "/"
                || p == "/proc"
                || p.starts_with("/proc/")
                || p == "/dev"
                || p.starts_with("/dev/"),
            "a mount that sk-pivot did not make: {p}\n{}",
            out.stdout
        );
    }
    // The root is the rootfs directory, bound.
    let line = mount_line(&out.stdout, "/").unwrap();
    let rootfs = root.path().to_str().unwrap();
    assert_eq!(line.split(' ').nth(3), Some(rootfs), "{line}");
    // None of the host's other mount points is there.
    let host = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    for p in mount_points(&host) {
        if !(p == "/"
            || p == "/proc"
            || p.starts_with("/proc/")
            || p == "/dev"
            || p.starts_with("/dev/"))
        {
            assert!(!points.contains(&p), "host mount {p} is inside");
        }
    }
}

fn without_masks_and_dev_the_mounts_are_exactly_root_and_proc() {
    let Some(root) = rootfs("without_masks_and_dev_the_mounts_are_exactly_root_and_proc") else {
        return;
    };
    let out = chain(
        root.path(),
        &["--no-mask", "--no-dev"],
        &["cat", "/proc/self/mountinfo"],
    );
    out.success();
    assert_eq!(mount_points(&out.stdout), ["/", "/proc"], "{}", out.stdout);
}

fn ps_shows_only_the_container() {
    let Some(root) = rootfs("ps_shows_only_the_container") else {
        return;
    };
    // `; true` keeps the shell from exec'ing ps: two processes.
    let out = chain_sh(root.path(), &[], "ps; true");
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    // The header, sk-unshare's minimal init as PID 1, the shell as PID 2,
    // and ps itself.
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    assert!(lines[1].trim_start().starts_with("1 "), "{}", out.stdout);
    assert!(lines[2].trim_start().starts_with("2 "), "{}", out.stdout);
    assert!(lines[3].contains("ps"), "{}", out.stdout);
}

/// The entries of a directory, by name.
fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        // `ls` does not show them.
        .filter(|n| !n.starts_with('.'))
        .collect()
}

/// The chroot-escape example (built by `cargo test`), copied into the root.
fn install_escape(name: &str, root: &Path) -> Option<()> {
    let built = bin_dir().join("examples/chroot-escape");
    if !built.exists() {
        skip(
            name,
            &format!("{} is not built (cargo test builds it)", built.display()),
        );
        return None;
    }
    std::fs::copy(&built, root.join("chroot-escape")).unwrap();
    Some(())
}

fn the_escape_program_does_leave_a_plain_chroot() {
    // The control: without this, the next test could pass with a program
    // that never escapes anything.
    let name = "the_escape_program_does_leave_a_plain_chroot";
    let Some(root) = rootfs(name) else { return };
    let Some(()) = install_escape(name, root.path()) else {
        return;
    };
    let out = run(sk_testkit::cmd("chroot")
        .arg(root.path())
        .arg("/chroot-escape"));
    out.success();
    let seen: BTreeSet<String> = out.stdout.split_whitespace().map(String::from).collect();
    assert_eq!(seen, entries(Path::new("/")), "{}", out.stdout);
}

fn the_chroot_escape_finds_only_the_containers_root() {
    let name = "the_chroot_escape_finds_only_the_containers_root";
    let Some(root) = rootfs(name) else { return };
    let Some(()) = install_escape(name, root.path()) else {
        return;
    };
    let out = chain(root.path(), &[], &["/chroot-escape"]);
    out.success();
    let seen: BTreeSet<String> = out.stdout.split_whitespace().map(String::from).collect();
    assert_eq!(seen, entries(root.path()), "{}", out.stdout);
    let host_only: Vec<String> = entries(Path::new("/"))
        .difference(&entries(root.path()))
        .cloned()
        .collect();
    assert!(!host_only.is_empty());
    for e in host_only {
        assert!(!seen.contains(&e), "the escape reached the host's /{e}");
    }
}

fn after_sk_capdrop_sys_chroot_the_chroot_call_fails_with_eperm() {
    let name = "after_sk_capdrop_sys_chroot_the_chroot_call_fails_with_eperm";
    let Some(root) = rootfs(name) else { return };
    let capdrop = bin_dir().join("sk-capdrop");
    if !capdrop.exists() {
        return skip(name, "sk-capdrop is not built (cargo build -p sk-capdrop)");
    }
    let probe = run(sk("sk-capdrop").args(["sys_chroot", "true"]));
    if probe.code() == 125 && probe.stderr.contains("not implemented") {
        return skip(
            name,
            "sk-capdrop is not implemented yet (it exits 125: not implemented)",
        );
    }
    let Some(()) = install_escape(name, root.path()) else {
        return;
    };
    // The tools are static: the chain goes on inside the new root.
    std::fs::copy(&capdrop, root.path().join("bin/sk-capdrop")).unwrap();
    let out = chain(
        root.path(),
        &[],
        &["sk-capdrop", "sys_chroot", "/chroot-escape"],
    );
    out.expect_code(1)
        .one_error_line("chroot-escape: chroot: Operation not permitted");
    assert_eq!(out.stdout, "");
}

fn without_a_mount_namespace_of_its_own_sk_pivot_refuses_and_the_host_is_untouched() {
    let Some(root) =
        rootfs("without_a_mount_namespace_of_its_own_sk_pivot_refuses_and_the_host_is_untouched")
    else {
        return;
    };
    let marker = Marker::new(root.path());
    let before = mount_table();
    let root_before = nix::sys::stat::stat("/").unwrap();
    for chain in [
        &[][..],
        &["sk-unshare", "-p"][..],
        &["sk-unshare", "-u"][..],
    ] {
        let mut c = match chain.split_first() {
            Some((first, rest)) => {
                let mut c = sk(first);
                c.args(rest);
                c.arg(sk_testkit::bin("sk-pivot"));
                c
            }
            None => sk("sk-pivot"),
        };
        let out = run(c.arg(root.path()).args(marker.command()));
        out.expect_code(125)
            .one_error_line("mount namespace of its own");
        marker.assert_absent();
    }
    assert_eq!(mount_table(), before);
    let root_after = nix::sys::stat::stat("/").unwrap();
    assert_eq!(
        (root_before.st_dev, root_before.st_ino),
        (root_after.st_dev, root_after.st_ino)
    );
    // The host's root is still the host's: its own files are there.
    assert!(Path::new("/proc/self/mountinfo").exists());
    assert!(!Path::new("/etc/seckun-rootfs").exists());
}

fn the_host_has_no_leftover_mounts_after_the_chain_exits() {
    let Some(root) = rootfs("the_host_has_no_leftover_mounts_after_the_chain_exits") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let d = data.path().to_str().unwrap();
    let before = mount_table();
    let runs: Vec<Vec<String>> = vec![
        vec![],
        vec!["--sys".into(), "--resolv".into(), "--read-only".into()],
        vec![
            "--propagation".into(),
            "slave".into(),
            "--tmpfs".into(),
            "/scratch".into(),
        ],
        vec![
            "--bind".into(),
            format!("{d}:/data"),
            "--ro-bind".into(),
            format!("{d}:/ro"),
        ],
        vec!["--dev-host".into()],
        // Fails half-way, after proc and /dev are mounted.
        vec!["--bind".into(), "/no/such/source:/x".into()],
    ];
    for opts in &runs {
        if opts.iter().any(|o| o == "--resolv") && !Path::new("/etc/resolv.conf").exists() {
            continue;
        }
        let opts: Vec<&str> = opts.iter().map(String::as_str).collect();
        let out = chain(root.path(), &opts, &["true"]);
        assert!(out.code() == 0 || out.code() == 125, "{opts:?}: {out:?}");
        assert_eq!(mount_table(), before, "mounts left after {opts:?}");
    }
    // sk-unshare left / as it was; sk-pivot's own propagation step must
    // keep its mounts off the host.
    let out = run(sk("sk-unshare")
        .args(["-mp", "--propagation", "unchanged", "sk-pivot"])
        .arg(root.path())
        .arg("true"));
    out.success();
    assert_eq!(mount_table(), before);
}

fn sk_pivot_keeps_its_mounts_off_a_shared_host_mount() {
    let name = "sk_pivot_keeps_its_mounts_off_a_shared_host_mount";
    if !need_root(name) {
        return;
    }
    // NEWROOT inside a shared mount of the host: after sk-unshare
    // --propagation unchanged, the copy in the new namespace is the host
    // mount's peer, so without sk-pivot's own step every mount it makes
    // there would appear on the host.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap().to_string();
    sh(&format!(
        "mount -t tmpfs sk-pivot-test {d} && mount --make-shared {d}"
    ))
    .success();
    let _umount = Cleanup(|| {
        sh(&format!("umount -l {d}"));
    });
    let root = PathBuf::from(&d).join("root");
    run(sk_testkit::cmd(sk_testkit::workspace().join("scripts/mkrootfs")).arg(&root)).success();
    let before = mount_table();
    let out = run(sk("sk-unshare")
        .args([
            "-mp",
            "--propagation",
            "unchanged",
            "sk-pivot",
            "--tmpfs",
            "/scratch",
        ])
        .arg(&root)
        .arg("true"));
    out.success();
    assert_eq!(mount_table(), before);
}

/// Whether user namespaces can be made here; skips loudly when not.
fn user_namespaces(name: &str) -> bool {
    let probe = run(sk("sk-unshare").args(["-U", "-r", "true"]));
    if probe.code() != 0 {
        skip(
            name,
            &format!("no user namespaces here: {}", probe.stderr.trim()),
        );
        return false;
    }
    true
}

fn in_a_user_namespace_it_pivots_with_its_own_mount_namespace_and_refuses_without() {
    let name = "in_a_user_namespace_it_pivots_with_its_own_mount_namespace_and_refuses_without";
    let Some(root) = rootfs(name) else { return };
    if !user_namespaces(name) {
        return;
    }
    let out = run(sk("sk-unshare")
        .args(["-U", "-r", "-mp", "sk-pivot"])
        .arg(root.path())
        .args(["cat", "/etc/seckun-rootfs"]));
    out.success();
    assert_eq!(out.stdout, "this file is inside the container root\n");
    let marker = Marker::new(root.path());
    let before = mount_table();
    let out = run(sk("sk-unshare")
        .args(["-U", "-r", "sk-pivot"])
        .arg(root.path())
        .args(marker.command()));
    out.expect_code(125)
        .one_error_line("mount namespace of its own");
    marker.assert_absent();
    assert_eq!(mount_table(), before);
}

fn a_masked_surrounding_proc_is_named_in_the_error() {
    let name = "a_masked_surrounding_proc_is_named_in_the_error";
    let Some(root) = rootfs(name) else { return };
    if !user_namespaces(name) {
        return;
    }
    // As inside Docker: a /proc with a covered file, inherited (locked) by
    // a user namespace, where the kernel refuses a new proc.
    let marker = Marker::new(root.path());
    let line = format!(
        "mount --bind /dev/null /proc/uptime && exec sk-unshare -U -r -mp sk-pivot {} {}",
        root.path().display(),
        marker.command().join(" ")
    );
    let out = run(sk("sk-unshare").args(["-m", "sh", "-c", &line]));
    out.expect_code(125)
        .one_error_line("cannot mount proc on ")
        .one_error_line("is the surrounding /proc masked, as inside Docker?");
    marker.assert_absent();
}

fn without_a_readable_proc_sk_pivot_fails_closed() {
    let Some(root) = rootfs("without_a_readable_proc_sk_pivot_fails_closed") else {
        return;
    };
    let marker = Marker::new(root.path());
    // /proc is unmounted in a private mount namespace: the host keeps its own.
    let line = format!(
        "umount -l /proc && exec sk-pivot {} {}",
        root.path().display(),
        marker.command().join(" ")
    );
    let out = run(sk("sk-unshare").args(["-m", "sh", "-c", &line]));
    out.expect_code(125)
        .one_error_line("cannot read /proc/self/ns/mnt (is /proc mounted?)");
    marker.assert_absent();
    assert!(Path::new("/proc/self/mountinfo").exists());
}

sk_testkit::tests! {
    mountinfo_inside_shows_only_the_new_root_and_sk_pivots_own_mounts: userns,
    without_masks_and_dev_the_mounts_are_exactly_root_and_proc: userns,
    ps_shows_only_the_container: userns,
    the_escape_program_does_leave_a_plain_chroot: userns,
    the_chroot_escape_finds_only_the_containers_root: userns,
    after_sk_capdrop_sys_chroot_the_chroot_call_fails_with_eperm: userns,
    without_a_mount_namespace_of_its_own_sk_pivot_refuses_and_the_host_is_untouched: userns,
    the_host_has_no_leftover_mounts_after_the_chain_exits: userns,
    sk_pivot_keeps_its_mounts_off_a_shared_host_mount,
    in_a_user_namespace_it_pivots_with_its_own_mount_namespace_and_refuses_without: userns,
    a_masked_surrounding_proc_is_named_in_the_error: userns,
    without_a_readable_proc_sk_pivot_fails_closed,
}
