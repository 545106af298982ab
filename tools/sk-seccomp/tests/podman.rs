//! A profile nobody here wrote: podman's default (containers/common's
//! seccomp.json, from the Debian package golang-github-containers-common,
//! which scripts/test installs). It loads unchanged (every field of its
//! format is read: defaultErrno, errno, errnoRet, comment, includes,
//! excludes, null args), decides as it says, and runs a busybox shell and
//! Debian's own programs.

mod common;
use common::{build_c, seccomp, Scratch, PROBE_C};
use sk_testkit::{cmd, need_root, run, skip, Rootfs};
use std::path::Path;

const PODMAN: &str = "/usr/share/containers/seccomp.json";

fn podman(test: &str) -> Option<&'static str> {
    if Path::new(PODMAN).exists() {
        return Some(PODMAN);
    }
    skip(
        test,
        &format!("{PODMAN} is missing (Debian package golang-github-containers-common)"),
    );
    None
}

fn podmans_profile_loads_unchanged_and_decides_as_it_says() {
    let test = "podmans_profile_loads_unchanged_and_decides_as_it_says";
    let Some(profile) = podman(test) else { return };
    // Every name in it is known here: nothing is left out.
    let out = seccomp(&["--strict", "--profile", profile, "true"]);
    out.success();
    assert_eq!(out.stderr, "");
    let text = std::fs::read_to_string(profile).unwrap();
    let p = sk_seccomp::profile::parse(&text).unwrap();
    assert_eq!(
        p.default_action,
        Some(sk_seccomp::rules::Action::Errno(libc::ENOSYS as u16))
    );
    let dir = Scratch::new();
    let Some(probe) = build_c(test, &dir.0, "probe", PROBE_C) else {
        return;
    };
    let probe = probe.to_string_lossy().into_owned();
    let add_key = format!("{}:0,0,0,0,0", libc::SYS_add_key);
    let sysfs = format!("{}:9,0,0", libc::SYS_sysfs);
    let getpid = format!("{}:", libc::SYS_getpid);
    let out = seccomp(&["--profile", profile, &probe, &add_key, &sysfs, &getpid]);
    out.success();
    // Not listed: the default, ENOSYS (38); sysfs: its own entry, EPERM.
    assert_eq!(
        out.stdout,
        format!("{add_key} 38\n{sysfs} 1\n{getpid} ok\n")
    );
}

fn podmans_profile_runs_a_busybox_shell() {
    let test = "podmans_profile_runs_a_busybox_shell";
    if !need_root(test) {
        return;
    }
    let Some(profile) = podman(test) else { return };
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    // chroot(2) is allowed by the profile to root (CAP_SYS_CHROOT).
    let out = seccomp(&[
        "--profile",
        profile,
        "chroot",
        &root.path().to_string_lossy(),
        "/bin/sh",
        "-c",
        "echo hi; ls /bin | grep -c . >/dev/null && echo listed; exit 3",
    ]);
    out.expect_code(3);
    assert_eq!(out.stdout, "hi\nlisted\n");
}

use sk_testkit::debian_root;

fn podmans_profile_runs_debian_programs_in_a_debian_root() {
    let test = "podmans_profile_runs_debian_programs_in_a_debian_root";
    let Some(profile) = podman(test) else { return };
    let Some(root) = debian_root(test) else {
        return;
    };
    let root = root.to_string_lossy().into_owned();
    let script = "cat /etc/debian_version >/dev/null && echo debian; \
                  ls /usr/bin | wc -l | tr -d ' ' | grep -q '^[0-9]' && echo coreutils; \
                  id -u";
    // The profile, read on the host, then chroot into the root.
    let out = seccomp(&[
        "--profile",
        profile,
        "chroot",
        &root,
        "/bin/bash",
        "-c",
        script,
    ]);
    out.success();
    assert_eq!(out.stdout, "debian\ncoreutils\n0\n");
    // As a chain: compiled once on the host, handed through a descriptor
    // to the last link, after sk-pivot (nothing is read inside the root).
    let dir = Scratch::new();
    let bpf = dir.str("podman.bpf");
    seccomp(&["--profile", profile, "--compile", &bpf]).success();
    let chain = format!(
        "exec sk-unshare -m sk-pivot {root} sk-seccomp --bpf-fd 9 /bin/bash -c \"$1\" 9<{bpf}"
    );
    let script =
        "grep -E '^Seccomp:' /proc/self/status; cat /etc/debian_version >/dev/null && echo debian";
    let mut c = cmd("sh");
    c.args(["-c", &chain, "sh", script]);
    let out = run(&mut c);
    out.success();
    assert_eq!(out.stdout, "Seccomp:\t2\ndebian\n");
}

fn unknown_names_are_noted_always_and_refused_with_strict() {
    let dir = Scratch::new();
    let typo = dir.path("typo.json");
    // A deny list with a typo: the rule cannot be in the filter.
    std::fs::write(
        &typo,
        r#"{"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdri", "rmdir "], "action": "SCMP_ACT_ERRNO"}]}"#,
    )
    .unwrap();
    let typo = typo.to_string_lossy().into_owned();
    let out = seccomp(&["--profile", &typo, "true"]);
    out.success()
        .one_error_line("note: the profile")
        .one_error_line("mkdri rmdir ");
    let marker = dir.str("ran");
    seccomp(&["--strict", "--profile", &typo, "touch", &marker])
        .expect_code(125)
        .one_error_line("does not know mkdri rmdir  (--strict)");
    assert!(!dir.path("ran").exists());
    // Docker's file names calls newer than this libseccomp; the built-in
    // (the same file) lists them in the man page and says so with -v.
    if sk_seccomp::filter::resolve("mseal").is_none() {
        let json = common::docker_json("unknown").unwrap();
        let out = seccomp(&["--profile", &json.to_string_lossy(), "true"]);
        out.success().one_error_line("mseal");
        seccomp(&["--strict", "--profile", &json.to_string_lossy(), "true"])
            .expect_code(125)
            .one_error_line("mseal");
        let out = seccomp(&["--profile", "docker-default", "true"]);
        out.success();
        assert_eq!(out.stderr, "");
        seccomp(&["--strict", "--profile", "docker-default", "true"])
            .expect_code(125)
            .one_error_line("mseal");
    }
}

sk_testkit::tests! {
    podmans_profile_loads_unchanged_and_decides_as_it_says,
    podmans_profile_runs_a_busybox_shell,
    podmans_profile_runs_debian_programs_in_a_debian_root,
    unknown_names_are_noted_always_and_refused_with_strict,
}
