//! Acceptance 1 to 6 of sk-capdrop, as root: the real sets of the command,
//! read from its /proc/self/status, and what the kernel then refuses.

mod common;

use common::*;
use sk_testkit::{c_program, need_program, need_root, run, sk, skip};

/// Root with the capability in every set it may come back from: otherwise
/// a test that it is gone would pass without sk-capdrop doing anything.
fn need_cap(test: &str, cap: u64) -> bool {
    if !need_root(test) {
        return false;
    }
    let own = Status::own();
    if own.bnd & own.eff & cap != cap {
        skip(
            test,
            &format!("the test runner lacks capability mask {cap:#x}"),
        );
        return false;
    }
    true
}

fn dropping_sys_time_clears_bit_25_in_all_five_sets_and_nothing_else() {
    let name = "dropping_sys_time_clears_bit_25_in_all_five_sets_and_nothing_else";
    if !need_cap(name, SYS_TIME) {
        return;
    }
    let own = Status::own();
    let st = status_after(&["sys_time"]);
    st.lacks_everywhere(SYS_TIME);
    assert_eq!(st.bnd, own.bnd & !SYS_TIME);
    assert_eq!(
        st.prm,
        own.bnd & !SYS_TIME,
        "root gets the bounding set at exec"
    );
    assert_eq!(st.eff, st.prm);
}

fn date_cannot_set_the_clock_without_sys_time() {
    let name = "date_cannot_set_the_clock_without_sys_time";
    if !need_cap(name, SYS_TIME) {
        return;
    }
    // The current time, so that nothing changes even if the drop failed.
    let out = run(sk("sk-capdrop").args(["sys_time", "sh", "-c", "date -s @$(date +%s)"]));
    assert!(
        out.stderr.contains("Operation not permitted"),
        "date was not refused: {out:?}"
    );
    assert_ne!(out.code(), 0);
    // busybox date exits 0 when the kernel refuses: read its message.
    if std::path::Path::new("/bin/busybox").exists() {
        let out = run(sk("sk-capdrop").args([
            "cap_sys_time",
            "sh",
            "-c",
            "busybox date -s @$(date +%s)",
        ]));
        assert!(out.stderr.contains("Operation not permitted"), "{out:?}");
    }
}

fn chroot_fails_with_eperm_without_sys_chroot() {
    let name = "chroot_fails_with_eperm_without_sys_chroot";
    if !need_cap(name, SYS_CHROOT) {
        return;
    }
    run(sk("sk-capdrop").args(["sys_time", "chroot", "/", "true"])).success();
    let out = run(sk("sk-capdrop").args(["sys_chroot", "chroot", "/", "true"]));
    assert_ne!(out.code(), 0);
    assert!(out.stderr.contains("Operation not permitted"), "{out:?}");
}

fn the_chroot_escape_fails_at_its_first_chroot_without_sys_chroot() {
    let name = "the_chroot_escape_fails_at_its_first_chroot_without_sys_chroot";
    if !need_cap(name, SYS_CHROOT) {
        return;
    }
    let Some(probe) = c_program(name, "probe") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = run(sk("sk-capdrop")
        .arg("sys_chroot")
        .arg(&probe)
        .arg("chroot-escape")
        .current_dir(dir.path()));
    out.expect_code(1);
    assert_eq!(out.stdout, "denied: chroot: Operation not permitted\n");
}

/// Binds TCP `port` on 127.0.0.1 in a new, empty network namespace, after
/// sk-capdrop `caps`; perl-base is Essential in Debian, so it is everywhere.
fn bind_after_drop(caps: &str, port: u16) -> sk_testkit::Output {
    let script = format!(
        "socket(S, PF_INET, SOCK_STREAM, 0) or die qq(socket: $!\\n); \
         bind(S, pack_sockaddr_in({port}, INADDR_LOOPBACK)) or die qq(bind: $!\\n); \
         print qq(bound\\n)"
    );
    run(sk("sk-unshare").args(["-n", "sk-capdrop", caps, "perl", "-MSocket", "-e", &script]))
}

fn port_80_cannot_be_bound_without_net_bind_service_but_8080_can() {
    let name = "port_80_cannot_be_bound_without_net_bind_service_but_8080_can";
    if !need_cap(name, NET_BIND_SERVICE) || !need_program(name, "perl", "perl-base") {
        return;
    }
    // The namespace is new, so nothing else listens on either port.
    let out = bind_after_drop("sys_time", 80);
    out.success();
    assert_eq!(out.stdout, "bound\n");
    let out = bind_after_drop("net_bind_service", 80);
    assert_ne!(out.code(), 0);
    assert_eq!(out.stderr, "bind: Permission denied\n");
    let out = bind_after_drop("net_bind_service", 8080);
    out.success();
    assert_eq!(out.stdout, "bound\n");
}

fn keep_leaves_exactly_the_kept_bits() {
    let name = "keep_leaves_exactly_the_kept_bits";
    let kept = NET_BIND_SERVICE | SETUID | SETGID;
    if !need_cap(name, kept) {
        return;
    }
    let st = status_after(&["--keep", "net_bind_service,setuid,setgid"]);
    assert_eq!(st.bnd, kept);
    assert_eq!(st.prm, kept);
    assert_eq!(st.eff, kept);
    assert_eq!(st.inh, 0);
    assert_eq!(st.amb, 0);
}

fn presets_work_in_both_forms() {
    let name = "presets_work_in_both_forms";
    if !need_root(name) {
        return;
    }
    let own = Status::own();
    let docker: u64 = [0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31]
        .iter()
        .fold(0, |m, b| m | 1 << b);
    let oci: u64 = 1 << 29 | 1 << 5 | 1 << 10;
    let out = run(sk("sk-capdrop").args([
        "--keep",
        "docker-default",
        "sh",
        "-c",
        "cat /proc/self/status",
    ]));
    assert_eq!(status_of(&out).bnd, own.bnd & docker);
    assert_eq!(status_after(&["--keep", "oci-default"]).bnd, own.bnd & oci);
    let st = status_after(&["docker-default"]);
    st.lacks_everywhere(docker);
    assert_eq!(st.bnd, own.bnd & !docker);
    assert_eq!(
        status_after(&["oci-default,sys_time"]).bnd,
        own.bnd & !oci & !SYS_TIME
    );
}

fn a_file_capability_cannot_bring_a_dropped_capability_back() {
    let name = "a_file_capability_cannot_bring_a_dropped_capability_back";
    if !need_cap(name, SYS_TIME | SETUID | SETGID)
        || !need_program(name, "setcap", "libcap2-bin")
        || !need_program(name, "setpriv", "util-linux")
    {
        return;
    }
    let dir = open_tempdir();
    let cat_p = cat_with_file_caps(dir.path(), "cat-p", "cap_sys_time+p");
    let cat_ep = cat_with_file_caps(dir.path(), "cat-ep", "cap_sys_time+ep");
    let nobody_runs = |keep: Option<&str>, cat: &std::path::Path| {
        let mut c = match keep {
            Some(caps) => {
                let mut c = sk("sk-capdrop");
                c.args(["--keep", caps]);
                c
            }
            None => sk_testkit::cmd("env"),
        };
        run(c.args(AS_NOBODY).arg(cat).arg("/proc/self/status"))
    };
    // Without sk-capdrop the file capability works: the test can tell.
    let st = status_of(&nobody_runs(None, &cat_p));
    assert_eq!(st.prm, SYS_TIME, "setcap did not take effect");
    // After the drop it gives nothing back to a non-root user...
    let st = status_of(&nobody_runs(Some("setuid,setgid"), &cat_p));
    assert_eq!(st.uid, (65534, 65534));
    st.lacks_everywhere(SYS_TIME);
    // ... and a binary that needs it to be effective is not run at all.
    let out = nobody_runs(Some("setuid,setgid"), &cat_ep);
    assert_ne!(out.code(), 0);
    assert!(!out.stdout.contains("CapPrm"), "{out:?}");
    assert!(out.stderr.contains("Operation not permitted"), "{out:?}");
    // Nor to root.
    let out = run(sk("sk-capdrop")
        .args(["sys_time"])
        .arg(&cat_p)
        .arg("/proc/self/status"));
    status_of(&out).lacks_everywhere(SYS_TIME);
}

fn a_setuid_root_binary_cannot_bring_a_dropped_capability_back() {
    let name = "a_setuid_root_binary_cannot_bring_a_dropped_capability_back";
    let kept = NET_BIND_SERVICE | SETUID | SETGID;
    if !need_cap(name, SYS_TIME | kept) || !need_program(name, "setpriv", "util-linux") {
        return;
    }
    let own = Status::own();
    let dir = open_tempdir();
    let cat = setuid_root_cat(dir.path());
    let as_nobody = |before: &[&str]| {
        let out = run(sk_testkit::cmd("env")
            .args(before)
            .args(AS_NOBODY)
            .arg(&cat)
            .arg("/proc/self/status"));
        status_of(&out)
    };
    // Without sk-capdrop the setuid bit makes cat root with every capability.
    let st = as_nobody(&[]);
    assert_eq!(st.uid, (65534, 0), "the setuid bit did not take effect");
    assert_eq!(st.prm, own.bnd);
    let capdrop = sk_testkit::bin("sk-capdrop");
    let capdrop = capdrop.to_str().unwrap();
    let st = as_nobody(&[capdrop, "sys_time"]);
    assert_eq!(st.uid, (65534, 0));
    st.lacks_everywhere(SYS_TIME);
    assert_eq!(st.prm, own.bnd & !SYS_TIME);
    let st = as_nobody(&[capdrop, "--keep", "net_bind_service,setuid,setgid"]);
    assert_eq!(st.uid, (65534, 0));
    assert_eq!((st.prm, st.eff, st.bnd), (kept, kept, kept));
}

fn every_spelling_of_a_name_drops_the_same() {
    let name = "every_spelling_of_a_name_drops_the_same";
    if !need_cap(name, SYS_TIME) {
        return;
    }
    let expected = status_after(&["sys_time"]);
    for spelling in ["SYS_TIME", "cap_sys_time", "CAP_SYS_TIME", "25"] {
        assert_eq!(status_after(&[spelling]), expected, "{spelling}");
    }
}

fn all_drops_everything() {
    if !need_root("all_drops_everything") {
        return;
    }
    let st = status_after(&["all"]);
    st.lacks_everywhere(u64::MAX);
}

fn bad_input_exits_125_and_never_runs_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let marker = marker.to_str().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (
            &["sys_tme"],
            "unknown capability 'sys_tme' (did you mean sys_time?)",
        ),
        (&[""], "empty capability list"),
        (
            &["sys_time,,chown"],
            "empty name in the capability list 'sys_time,,chown'",
        ),
        (&["sys_time,"], "empty name"),
        (
            &["--keep", "all,"],
            "empty name in the capability list 'all,'",
        ),
        (&["--keep", "all,junk"], "unknown capability 'junk'"),
        (&["99"], "unknown capability number 99"),
    ];
    for (args, message) in cases {
        let out = run(sk("sk-capdrop").args(args).args(["touch", marker]));
        out.expect_code(125).one_error_line(message);
        assert!(
            !std::path::Path::new(marker).exists(),
            "{args:?} ran the command"
        );
    }
}

fn print_shows_the_five_sets_on_stderr_and_leaves_stdout_to_the_command() {
    if !need_root("print_shows_the_five_sets_on_stderr_and_leaves_stdout_to_the_command") {
        return;
    }
    let out = run(sk("sk-capdrop").args(["--print", "--keep", "chown", "echo", "hi"]));
    out.success();
    assert_eq!(out.stdout, "hi\n");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        lines,
        [
            "sk-capdrop: CapInh: 0000000000000000 = none",
            "sk-capdrop: CapPrm: 0000000000000001 = cap_chown",
            "sk-capdrop: CapEff: 0000000000000001 = cap_chown",
            "sk-capdrop: CapBnd: 0000000000000001 = cap_chown",
            "sk-capdrop: CapAmb: 0000000000000000 = none",
            "sk-capdrop: Securebits: 0x0; NoNewPrivs: 0",
        ]
    );
    let out = run(sk("sk-capdrop").args(["-v", "sys_time", "true"]));
    out.success();
    assert!(
        out.stderr.contains("sk-capdrop: dropping cap_sys_time\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("sk-capdrop: CapBnd: "),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("sk-capdrop: executing true\n"),
        "{}",
        out.stderr
    );
}

fn under_noroot_kept_capabilities_reach_the_command_only_through_ambient() {
    let name = "under_noroot_kept_capabilities_reach_the_command_only_through_ambient";
    if !need_cap(name, NET_BIND_SERVICE) {
        return;
    }
    let secbits = ["--secbits", "noroot,noroot-locked"];
    let st = status_after(&[&secbits[..], &["--keep", "net_bind_service"]].concat());
    assert_eq!(
        (st.prm, st.eff, st.amb),
        (0, 0, 0),
        "root got capabilities at exec"
    );
    assert_eq!(st.bnd, NET_BIND_SERVICE);
    let st = status_after(&[&secbits[..], &["--keep", "net_bind_service", "--ambient"]].concat());
    assert_eq!(st.amb, NET_BIND_SERVICE);
    assert_eq!(st.prm, NET_BIND_SERVICE);
    assert_eq!(st.eff, NET_BIND_SERVICE);
    assert_eq!(st.inh, NET_BIND_SERVICE);
    assert_eq!(st.bnd, NET_BIND_SERVICE);
}

fn securebits_and_no_new_privs_reach_the_command() {
    let name = "securebits_and_no_new_privs_reach_the_command";
    if !need_root(name) || !need_program(name, "capsh", "libcap2-bin") {
        return;
    }
    let out = run(sk("sk-capdrop").args([
        "--no-new-privs",
        "--secbits",
        "noroot,noroot-locked,no-setuid-fixup,no-setuid-fixup-locked,keep-caps-locked",
        "all",
        "capsh",
        "--print",
    ]));
    out.success();
    assert!(
        out.stdout.contains("Securebits: 057/0x2f/"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("no-new-privs=1"), "{}", out.stdout);
    let st = status_after(&["--no-new-privs", "sys_time"]);
    assert!(st.no_new_privs);
    st.lacks_everywhere(SYS_TIME);
    run(sk("sk-capdrop").args(["--secbits", "bogus", "all", "true"]))
        .expect_code(125)
        .one_error_line("unknown securebit 'bogus'");
}

fn ambient_refuses_to_raise_what_the_tool_does_not_hold() {
    let name = "ambient_refuses_to_raise_what_the_tool_does_not_hold";
    if !need_root(name) {
        return;
    }
    let own = Status::own();
    let Some(missing) = (0..41).find(|b| own.prm & (1u64 << b) == 0) else {
        return skip(name, "the test runner holds every capability");
    };
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let out = run(sk("sk-capdrop")
        .args(["--ambient", "--keep", &missing.to_string(), "touch"])
        .arg(&marker));
    out.expect_code(125)
        .one_error_line("into the ambient set: not in the permitted set");
    assert!(!marker.exists());
}

sk_testkit::tests! {
    dropping_sys_time_clears_bit_25_in_all_five_sets_and_nothing_else: userns,
    date_cannot_set_the_clock_without_sys_time,
    chroot_fails_with_eperm_without_sys_chroot: userns,
    the_chroot_escape_fails_at_its_first_chroot_without_sys_chroot: userns,
    port_80_cannot_be_bound_without_net_bind_service_but_8080_can,
    keep_leaves_exactly_the_kept_bits: userns,
    presets_work_in_both_forms: userns,
    a_file_capability_cannot_bring_a_dropped_capability_back,
    a_setuid_root_binary_cannot_bring_a_dropped_capability_back,
    every_spelling_of_a_name_drops_the_same: userns,
    all_drops_everything: userns,
    bad_input_exits_125_and_never_runs_the_command,
    print_shows_the_five_sets_on_stderr_and_leaves_stdout_to_the_command: userns,
    under_noroot_kept_capabilities_reach_the_command_only_through_ambient: userns,
    securebits_and_no_new_privs_reach_the_command: userns,
    ambient_refuses_to_raise_what_the_tool_does_not_hold,
}
