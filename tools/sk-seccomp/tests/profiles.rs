//! Docker/OCI profiles: the published Docker default file, loaded
//! unchanged, and the built-in docker-default preset, which must decide
//! the same.

mod common;
use common::{build_c, docker_json, no_core, seccomp, Scratch, PROBE_C};
use sk_seccomp::profile::{Decided, Host};
use sk_seccomp::rules::Rule;
use sk_testkit::{need_program, need_root, run};
use std::collections::BTreeSet;

/// The two ways to say "Docker's default profile".
fn both(test: &str) -> Option<[String; 2]> {
    let json = docker_json(test)?;
    Some([json.to_string_lossy().into_owned(), "docker-default".into()])
}

fn a_busybox_shell_and_a_debian_command_work_under_docker_default() {
    let Some(profiles) = both("a_busybox_shell_and_a_debian_command_work_under_docker_default")
    else {
        return;
    };
    for p in &profiles {
        let out = seccomp(&[
            "--profile",
            p,
            "/bin/busybox",
            "sh",
            "-c",
            "echo hi; ls / >/dev/null",
        ]);
        out.success();
        assert_eq!(out.stdout, "hi\n", "{p}");
        let out = seccomp(&["--profile", p, "ls", "-l", "/etc/os-release"]);
        out.success();
        assert!(out.stdout.contains("os-release"), "{p}: {}", out.stdout);
        seccomp(&[
            "--profile",
            p,
            "sh",
            "-c",
            "cat /etc/os-release | grep -q ID= && date >/dev/null",
        ])
        .success();
    }
}

/// `setpriv --bounding-set=-sys_admin sk-seccomp ARGS`: root without
/// CAP_SYS_ADMIN among the capabilities its programs can hold.
fn without_sys_admin(args: &[&str]) -> sk_testkit::Output {
    let mut c = sk_testkit::cmd("setpriv");
    c.args(["--bounding-set=-sys_admin", "--"])
        .arg(sk_testkit::bin("sk-seccomp"))
        .args(args);
    run(no_core(&mut c))
}

fn unshare_keyctl_and_mount_are_denied_without_cap_sys_admin() {
    let name = "unshare_keyctl_and_mount_are_denied_without_cap_sys_admin";
    if !need_root(name) || !need_program(name, "setpriv", "util-linux") {
        return;
    }
    let Some(profiles) = both(name) else { return };
    let dir = Scratch::new();
    let Some(probe) = build_c(name, &dir.0, "probe", PROBE_C) else {
        return;
    };
    let probe = probe.to_string_lossy().into_owned();
    let keyctl = format!("{}:0,0xfffffffffffffffd", libc::SYS_keyctl);
    let mount = format!("{}:0,0,0,0,0", libc::SYS_mount);
    // Without a filter, all three go through to the kernel.
    let plain = run(sk_testkit::cmd(&probe).args([&keyctl, &mount]));
    assert_eq!(plain.stdout, format!("{keyctl} ok\n{mount} 14\n"));
    sk_testkit::cmd("unshare")
        .args(["-U", "true"])
        .status()
        .unwrap()
        .success()
        .then_some(())
        .unwrap();
    for p in &profiles {
        let out = without_sys_admin(&["--profile", p, "unshare", "-U", "true"]);
        out.expect_code(1);
        assert!(
            out.stderr.contains("Operation not permitted"),
            "{p}: {}",
            out.stderr
        );
        let out = without_sys_admin(&["--profile", p, &probe, &keyctl, &mount]);
        out.success();
        assert_eq!(out.stdout, format!("{keyctl} 1\n{mount} 1\n"), "{p}");
        let out =
            without_sys_admin(&["--profile", p, "mount", "-t", "tmpfs", "none", &dir.str("")]);
        assert_ne!(out.code(), 0, "{p}: mount worked");
        // With CAP_SYS_ADMIN, Docker allows unshare; keyctl stays denied.
        seccomp(&["--profile", p, "unshare", "-U", "true"]).success();
        let out = seccomp(&["--profile", p, &probe, &keyctl]);
        assert_eq!(out.stdout, format!("{keyctl} 1\n"), "{p}");
    }
}

/// Raw calls whose answer shows the filter's decision: `ok` or a kernel
/// errno when allowed, 1 (EPERM) or 38 (ENOSYS) when denied. None of them
/// changes anything outside the probe process.
fn probes() -> Vec<String> {
    let l = |nr: libc::c_long, args: &str| format!("{nr}:{args}");
    vec![
        l(libc::SYS_getpid, ""),
        l(libc::SYS_keyctl, "0,0xfffffffffffffffd"),
        l(libc::SYS_add_key, "0,0,0,0,0"),
        l(libc::SYS_unshare, "0"),
        l(libc::SYS_unshare, "0x10000000"),
        l(libc::SYS_mount, "0,0,0,0,0"),
        l(libc::SYS_clone3, "0,0"),
        l(libc::SYS_personality, "0xffffffff"),
        l(libc::SYS_personality, "0x40000"),
        l(libc::SYS_socket, "1,1,0"),
        l(libc::SYS_socket, "38,5,0"),
        l(libc::SYS_socket, "40,1,0"),
        l(libc::SYS_setns, "0xffffffffffffffff,0"),
        l(libc::SYS_chroot, "0"),
        l(libc::SYS_ptrace, "0xffff,0,0,0"),
        l(libc::SYS_bpf, "0xffff,0,0"),
        l(libc::SYS_open_by_handle_at, "0xffffffffffffffff,0,0"),
        l(libc::SYS_kcmp, "0,0,99,0,0"),
        l(libc::SYS_syslog, "10,0,0"),
        l(libc::SYS_io_uring_setup, "0,0"),
        l(libc::SYS_mkdirat, "0xffffffffffffffff,0,0"),
    ]
}

fn the_preset_and_the_file_decide_the_same_on_probe_syscalls() {
    let name = "the_preset_and_the_file_decide_the_same_on_probe_syscalls";
    if !need_root(name) || !need_program(name, "setpriv", "util-linux") {
        return;
    }
    let Some([json, preset]) = both(name) else {
        return;
    };
    let dir = Scratch::new();
    let Some(probe) = build_c(name, &dir.0, "probe", PROBE_C) else {
        return;
    };
    let probe = probe.to_string_lossy().into_owned();
    let probes = probes();
    let with_probes = |profile: &str| {
        let mut args = vec!["--profile", profile, probe.as_str()];
        args.extend(probes.iter().map(String::as_str));
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    for admin in [true, false] {
        let run_it = |profile: &str| {
            let args = with_probes(profile);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = if admin {
                seccomp(&args)
            } else {
                without_sys_admin(&args)
            };
            out.success();
            out.stdout
        };
        let (from_file, from_preset) = (run_it(&json), run_it(&preset));
        assert_eq!(from_file, from_preset, "CAP_SYS_ADMIN held: {admin}");
        let answer = |nr: libc::c_long, args: &str| {
            let key = format!("{nr}:{args} ");
            from_file
                .lines()
                .find_map(|l| l.strip_prefix(&key))
                .unwrap()
                .to_string()
        };
        assert_eq!(answer(libc::SYS_keyctl, "0,0xfffffffffffffffd"), "1");
        assert_eq!(answer(libc::SYS_socket, "40,1,0"), "1");
        assert_eq!(answer(libc::SYS_getpid, ""), "ok");
        if admin {
            assert_eq!(answer(libc::SYS_unshare, "0x10000000"), "ok");
            assert_eq!(answer(libc::SYS_clone3, "0,0"), "22");
        } else {
            assert_eq!(answer(libc::SYS_unshare, "0x10000000"), "1");
            assert_eq!(answer(libc::SYS_clone3, "0,0"), "38");
            assert_eq!(answer(libc::SYS_mount, "0,0,0,0,0"), "1");
        }
    }
}

/// The decided rules as a set: the order of a profile's entries decides
/// nothing.
fn rule_set(d: &Decided) -> BTreeSet<String> {
    d.rules
        .iter()
        .map(|r: &Rule| format!("{} {r}", r.action))
        .collect()
}

fn the_preset_matches_the_file_entry_for_entry_on_every_capability_set() {
    let Some(json) =
        docker_json("the_preset_matches_the_file_entry_for_entry_on_every_capability_set")
    else {
        return;
    };
    let file = sk_seccomp::profile::parse(&std::fs::read_to_string(json).unwrap()).unwrap();
    // The built-in is this file plus named patches (tests/builtin.rs checks
    // those); unpatched, it is the file itself.
    let preset = sk_seccomp::presets::docker_unpatched();
    let all_caps: Vec<&str> = vec![
        "CAP_SYS_ADMIN",
        "CAP_DAC_READ_SEARCH",
        "CAP_SYS_BOOT",
        "CAP_SYS_CHROOT",
        "CAP_SYS_MODULE",
        "CAP_SYS_PACCT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_SYS_NICE",
        "CAP_SYSLOG",
        "CAP_BPF",
        "CAP_PERFMON",
    ];
    let mut cap_sets: Vec<Vec<&str>> = vec![vec![], all_caps.clone()];
    for i in 0..all_caps.len() {
        cap_sets.push(vec![all_caps[i]]);
        cap_sets.push(
            all_caps
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| *c)
                .collect(),
        );
    }
    for arch in [
        ("amd64", "SCMP_ARCH_X86_64"),
        ("arm64", "SCMP_ARCH_AARCH64"),
        ("s390x", "SCMP_ARCH_S390X"),
    ] {
        for caps in &cap_sets {
            for kernel in [(4, 4), (6, 1)] {
                let host = Host {
                    go_arch: arch.0.into(),
                    caps: caps.iter().map(|c| c.to_string()).collect(),
                    kernel,
                };
                let (a, b) = (file.decide(&host, arch.1), preset.decide(&host, arch.1));
                assert_eq!(a.default_action, b.default_action);
                assert_eq!(a.arches, b.arches, "{arch:?}");
                assert_eq!(rule_set(&a), rule_set(&b), "{arch:?} {caps:?} {kernel:?}");
            }
        }
    }
}

fn command_line_rules_replace_the_profiles_rules_for_their_calls() {
    let dir = Scratch::new();
    // docker-default allows mkdir; the command line kills it.
    let out = seccomp(&[
        "--profile",
        "docker-default",
        "--kill",
        "mkdir",
        "mkdir",
        &dir.str("x"),
    ]);
    out.expect_code(common::SIGSYS_STATUS);
    assert!(!dir.path("x").exists());
    // Another action for a call the profile allows.
    let out = seccomp(&[
        "--profile",
        "docker-default",
        "--errno",
        "EACCES:mkdir",
        "mkdir",
        &dir.str("y"),
    ]);
    out.expect_code(1);
    assert!(out.stderr.contains("Permission denied"), "{}", out.stderr);
}

fn unknown_names_in_a_profile_are_skipped_with_a_note() {
    let Some(json) = docker_json("unknown_names_in_a_profile_are_skipped_with_a_note") else {
        return;
    };
    let out = seccomp(&["-v", "--profile", &json.to_string_lossy(), "true"]);
    out.success();
    // mseal came after libseccomp 2.5.4; a newer library knows it.
    if sk_seccomp::filter::resolve("mseal").is_none() {
        assert!(
            out.stderr.contains("unknown to this libseccomp") && out.stderr.contains("mseal"),
            "{}",
            out.stderr
        );
    }
}

sk_testkit::tests! {
    a_busybox_shell_and_a_debian_command_work_under_docker_default,
    unshare_keyctl_and_mount_are_denied_without_cap_sys_admin,
    the_preset_and_the_file_decide_the_same_on_probe_syscalls,
    the_preset_matches_the_file_entry_for_entry_on_every_capability_set,
    command_line_rules_replace_the_profiles_rules_for_their_calls,
    unknown_names_in_a_profile_are_skipped_with_a_note,
}
