//! sk-landlock in chains: after sk-pivot its paths are the container's,
//! and root inside, with the recommended chain's capabilities, is held by
//! it like anyone else.

use sk_e2e::{debian_root, recommended, words};
use sk_testkit::{cmd, need_root, run, Output, Rootfs};
use std::path::Path;

/// The recommended chain with `landlock` (sk-landlock's options) before
/// sk-seccomp, which stays last.
fn recommended_with_landlock(root: &Path, landlock: &str) -> Vec<String> {
    let mut chain = recommended(root);
    let seccomp = chain.iter().position(|w| w == "sk-seccomp").unwrap();
    let mut link = words("sk-landlock");
    link.extend(words(landlock));
    chain.splice(seccomp..seccomp, link);
    chain
}

/// Stderr says "Permission denied" (EACCES) exactly `times` times.
#[track_caller]
fn denied(out: &sk_testkit::Output, times: usize) {
    let n = out.stderr.matches("Permission denied").count();
    assert_eq!(n, times, "{n} denials instead of {times}:\n{}", out.stderr);
}

fn root_with_the_recommended_capabilities_cannot_write_outside_rw() {
    let test = "root_with_the_recommended_capabilities_cannot_write_outside_rw";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let chain = recommended_with_landlock(root.path(), "--ro / --exec / --rw /tmp");
    let out = run(cmd(&chain[0]).args(&chain[1..]).args([
        "/bin/sh",
        "-c",
        "id -u; grep CapEff /proc/self/status; echo x > /tmp/x && echo tmp-ok; \
         echo x > /etc/x; mkdir /root/x; rm /etc/passwd; touch /x; true",
    ]));
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "0", "{}", out.stdout);
    // dac_override and fowner are there, and do not help.
    assert!(!lines[1].ends_with("0000000000000000"), "{}", out.stdout);
    assert_eq!(lines[2], "tmp-ok");
    denied(&out, 4);
    assert!(root.path().join("etc/passwd").exists());
    assert!(!root.path().join("etc/x").exists());
}

fn the_container_preset_runs_a_busybox_shell() {
    let test = "the_container_preset_runs_a_busybox_shell";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let out = preset_container(
        root.path(),
        "echo hi > /tmp/x && cat /tmp/x; ls /bin >/dev/null && echo ls-ok; \
             cat /etc/seckun-rootfs; echo x > /dev/null && echo null-ok; \
             echo no > /root/x; echo no > /etc/x; ls /sys; true",
    );
    out.success();
    assert_eq!(
        out.stdout,
        "hi\nls-ok\nthis file is inside the container root\nnull-ok\n"
    );
    denied(&out, 3);
    assert!(
        out.stderr
            .contains("sk-landlock: restricted with Landlock ABI"),
        "{}",
        out.stderr
    );
}

fn the_container_preset_runs_debians_apt_get() {
    let test = "the_container_preset_runs_debians_apt_get";
    let Some(root) = debian_root(test) else {
        return;
    };
    let out = run(cmd("sk-unshare")
        .args(["-mup", "sk-pivot"])
        .arg(&root)
        .args(["sk-landlock", "--preset", "container", "--print"])
        .args(["/usr/bin/apt-get", "--version"]));
    out.success();
    assert!(out.stdout.starts_with("apt "), "{}", out.stdout);
    // Debian's /bin and /lib are links into /usr: left out, covered by /usr.
    assert!(
        out.stderr
            .contains("--ro /bin --exec /bin --optional /bin  (left out: a symbolic link)"),
        "{}",
        out.stderr
    );
    // And the rest of Debian's root stays out of reach.
    let out = run(cmd("sk-unshare")
        .args(["-mup", "sk-pivot"])
        .arg(&root)
        .args(["sk-landlock", "--preset", "container", "/bin/bash", "-c"])
        .arg("ls /var/lib/dpkg >/dev/null; echo x > /var/tmp/x; exit 0"));
    out.success();
    denied(&out, 2);
}

/// `sh -c SCRIPT` in `root` under `sk-landlock -v --preset container`,
/// after the headline chain's namespaces and pivot.
fn preset_container(root: &Path, script: &str) -> Output {
    run(cmd("sk-unshare")
        .args(["-mup", "sk-pivot"])
        .arg(root)
        .args([
            "sk-landlock",
            "-v",
            "--preset",
            "container",
            "/bin/sh",
            "-c",
            script,
        ]))
}

fn an_image_whose_tmp_links_to_its_root_gets_no_write_access_from_the_preset() {
    let test = "an_image_whose_tmp_links_to_its_root_gets_no_write_access_from_the_preset";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    // The hostile image: /tmp -> /, so following it would make all of the
    // container's root writable.
    std::fs::remove_dir(root.path().join("tmp")).unwrap();
    std::os::unix::fs::symlink("/", root.path().join("tmp")).unwrap();
    let out = preset_container(
        root.path(),
        "echo x > /tmp/x; echo x > /etc/x; echo x > /x; cat /etc/seckun-rootfs",
    );
    out.success();
    assert_eq!(out.stdout, "this file is inside the container root\n");
    denied(&out, 3);
    assert!(
        out.stderr.contains("/tmp (a symbolic link)"),
        "{}",
        out.stderr
    );
    assert!(!root.path().join("x").exists() && !root.path().join("etc/x").exists());
}

sk_testkit::tests! {
    root_with_the_recommended_capabilities_cannot_write_outside_rw,
    the_container_preset_runs_a_busybox_shell,
    the_container_preset_runs_debians_apt_get,
    an_image_whose_tmp_links_to_its_root_gets_no_write_access_from_the_preset,
}
