//! What the rules do on this kernel (Landlock ABI 7 here), and what an
//! older one gets: debug builds honour SK_LANDLOCK_TEST_ABI, which lowers
//! the ABI the tool assumes (Debian 12's 6.1 kernel has ABI 2).

use sk_testkit::{c_program, need_root, run, sk, Cleanup};
use std::path::Path;
use std::process::Command;

const TEST_ABI: &str = "SK_LANDLOCK_TEST_ABI";

/// A temp dir with `rw/` and `other/`, and a file in each.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for d in ["rw", "other"] {
        std::fs::create_dir(dir.path().join(d)).unwrap();
        std::fs::write(dir.path().join(d).join("file"), "old\n").unwrap();
    }
    dir
}

fn landlock_sh(args: &[&str], script: &str) -> Command {
    let mut c = sk("sk-landlock");
    c.args(args).args(["sh", "-c", script]);
    c
}

/// Stderr says "Permission denied" (EACCES) exactly `times` times.
#[track_caller]
fn denied(out: &sk_testkit::Output, times: usize) {
    let n = out.stderr.matches("Permission denied").count();
    assert_eq!(n, times, "{n} denials instead of {times}:\n{}", out.stderr);
}

fn writes_outside_rw_fail_with_eacces() {
    let t = tree();
    let d = t.path().display();
    let rw = format!("{d}/rw");
    let out = run(&mut landlock_sh(
        &["--ro", "/", "--exec", "/", "--rw", &rw],
        &format!(
            "echo new > {d}/rw/file && echo rw-ok; echo new > {d}/other/file; \
             mkdir {d}/other/sub; rm {d}/other/file; truncate -s 0 {d}/other/file; true"
        ),
    ));
    out.success();
    assert_eq!(out.stdout, "rw-ok\n");
    denied(&out, 4);
    assert_eq!(
        std::fs::read_to_string(t.path().join("other/file")).unwrap(),
        "old\n"
    );
    assert_eq!(
        std::fs::read_to_string(t.path().join("rw/file")).unwrap(),
        "new\n"
    );
    assert!(!t.path().join("other/sub").exists());
}

fn reads_outside_ro_and_rw_fail() {
    let t = tree();
    let d = t.path().display();
    // The system's programs and libraries, wherever this host keeps them.
    let mut args: Vec<String> = Vec::new();
    for dir in ["/usr", "/bin", "/lib", "/lib64"] {
        args.extend(["--ro", dir, "--exec", dir, "--optional", dir].map(String::from));
    }
    args.extend(["--rw".to_string(), format!("{d}/rw")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&mut landlock_sh(
        &args,
        &format!("cat {d}/rw/file; cat {d}/other/file; ls {d}/other; cat /etc/hostname; true"),
    ));
    out.success();
    assert_eq!(out.stdout, "old\n");
    denied(&out, 3);
}

fn exec_outside_exec_fails() {
    let t = tree();
    let d = t.path().display();
    let out = run(&mut landlock_sh(
        &[
            "--ro",
            "/",
            "--exec",
            "/usr",
            "--exec",
            "/bin",
            "--optional",
            "/bin",
            "--rw",
            &format!("{d}/rw"),
        ],
        &format!("cp /bin/true {d}/rw/true && {d}/rw/true && echo ran; echo $?"),
    ));
    out.success();
    assert_eq!(out.stdout, "126\n", "{}", out.stderr);
    assert!(out.stderr.contains("Permission denied"), "{}", out.stderr);
}

fn bind_tcp_allows_its_port_and_refuses_the_others() {
    let name = "bind_tcp_allows_its_port_and_refuses_the_others";
    let Some(probe) = c_program(name, "tcpprobe") else {
        return;
    };
    if !need_root(name) {
        return;
    }
    // A network namespace of its own: no port of the host (or of another
    // test) is in the way.
    let out = run(sk("sk-unshare")
        .args(["-n", "sk-landlock", "--ro", "/", "--exec", "/"])
        .args(["--bind-tcp", "8080", "--connect-tcp", "8080"])
        .arg(&probe)
        .args(["b:8080", "b:8081", "b:0", "c:8080", "c:8081"]));
    out.success();
    assert_eq!(
        out.stdout,
        "b:8080 ok\nb:8081 EACCES\nb:0 EACCES\nc:8080 ECONNREFUSED\nc:8081 EACCES\n"
    );
    // `any` leaves one kind unrestricted.
    let out = run(sk("sk-unshare")
        .args(["-n", "sk-landlock", "--ro", "/", "--exec", "/"])
        .args(["--bind-tcp", "any"])
        .arg(&probe)
        .args(["b:8081", "c:8081"]));
    assert_eq!(out.stdout, "b:8081 ok\nc:8081 EACCES\n");
}

fn a_signal_out_of_the_domain_fails_under_scope_signal() {
    let mut outside = Command::new("sleep").arg("60").spawn().unwrap();
    let pid = outside.id();
    let _reap = Cleanup(move || {
        let _ = outside.kill();
        let _ = outside.wait();
    });
    let script = format!(
        "kill -TERM {pid} && echo killed-outside; sleep 60 & kill -TERM $! && echo killed-inside"
    );
    let out = run(&mut landlock_sh(
        &["--ro", "/", "--exec", "/", "--scope", "signal"],
        &script,
    ));
    out.success();
    assert_eq!(out.stdout, "killed-inside\n", "{}", out.stderr);
    assert!(
        out.stderr.contains("Operation not permitted"),
        "{}",
        out.stderr
    );
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    // Without a scope the same kill goes through (signal 0: the sleeper
    // must stay for the check above).
    let out = run(&mut landlock_sh(
        &["--ro", "/", "--exec", "/", "--scope", "none"],
        &format!("kill -0 {pid} && echo may-signal"),
    ));
    assert_eq!(out.stdout, "may-signal\n", "{}", out.stderr);
}

fn a_rule_path_through_a_symlink_is_not_followed() {
    // The image's /srv/data -> / must not become write access to /.
    let t = tree();
    let link = t.path().join("data");
    std::os::unix::fs::symlink("/", &link).unwrap();
    let link = link.to_str().unwrap();
    let out = run(&mut landlock_sh(
        &["--ro", "/", "--exec", "/", "--rw", link],
        "true",
    ));
    out.expect_code(125)
        .one_error_line("a symbolic link is on the path");
    // --optional leaves it out; /other stays read-only.
    let d = t.path().display();
    let out = run(&mut landlock_sh(
        &["--ro", "/", "--exec", "/", "--rw", link, "--optional", link],
        &format!("echo x > {d}/other/file"),
    ));
    out.expect_code(2);
    assert!(out.stderr.contains("Permission denied"), "{}", out.stderr);
    // A link in the middle of the path counts too.
    let mid = format!("{link}/tmp");
    let out = run(&mut landlock_sh(
        &["--ro", "/", "--exec", "/", "--rw", &mid],
        "true",
    ));
    out.expect_code(125)
        .one_error_line("a symbolic link is on the path");
}

fn abi_2_strict_with_a_network_rule_fails_naming_both_abis() {
    let t = tree();
    let marker = t.path().join("rw/ran");
    let out = run(sk("sk-landlock")
        .env(TEST_ABI, "2")
        .args(["--ro", "/", "--exec", "/", "--bind-tcp", "8080", "touch"])
        .arg(&marker));
    out.expect_code(125).one_error_line(
        "sk-landlock: cannot keep the rules with this kernel's Landlock ABI 2: truncate needs \
         ABI 3",
    );
    assert!(out.stderr.contains("--bind-tcp needs ABI 4 (TCP ports)"));
    assert!(!marker.exists());
    // Without the network rule, --ro alone still cannot be kept.
    let out = run(sk("sk-landlock")
        .env(TEST_ABI, "2")
        .args(["--ro", "/", "--exec", "/", "true"]));
    out.expect_code(125).one_error_line("truncate needs ABI 3");
}

fn abi_2_best_effort_applies_the_filesystem_rules_and_says_what_it_left_out() {
    let t = tree();
    let d = t.path().display();
    let out = run(sk("sk-landlock")
        .env(TEST_ABI, "2")
        .args(["--best-effort", "--ro", "/", "--exec", "/"])
        .args(["--rw", &format!("{d}/rw"), "--bind-tcp", "8080", "sh", "-c"])
        .arg(format!(
            "echo new > {d}/rw/file && echo rw-ok; echo new > {d}/other/file; \
             cat {d}/other/file"
        )));
    out.success();
    let warning = out.stderr.lines().next().unwrap();
    assert!(
        warning.starts_with("sk-landlock: warning: left out with this kernel's Landlock ABI 2:")
            && warning.contains("truncate needs ABI 3")
            && warning.contains("--bind-tcp needs ABI 4"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("Permission denied"), "{}", out.stderr);
    assert_eq!(out.stdout, "rw-ok\nold\n");
}

fn abi_7_ro_stops_truncate() {
    let t = tree();
    let d = t.path().display();
    let out = run(&mut landlock_sh(
        &["--ro", "/", "--exec", "/"],
        &format!("truncate -s 0 {d}/other/file || echo refused"),
    ));
    out.success();
    assert_eq!(out.stdout, "refused\n", "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(t.path().join("other/file")).unwrap(),
        "old\n"
    );
}

fn each_feature_fails_closed_below_its_abi() {
    for (abi, option, needs) in [
        (
            "3",
            ["--bind-tcp", "80"],
            "--bind-tcp needs ABI 4 (TCP ports)",
        ),
        ("3", ["--connect-tcp", "443"], "--connect-tcp needs ABI 4"),
        (
            "4",
            ["--dev", "/dev"],
            "--dev needs ABI 5 (ioctl on devices)",
        ),
        ("5", ["--scope", "signal"], "--scope needs ABI 6 (scopes)"),
    ] {
        let out = run(sk("sk-landlock")
            .env(TEST_ABI, abi)
            .args(["--ro", "/", "--exec", "/"])
            .args(option)
            .args(["sh", "-c", "echo ran"]));
        out.expect_code(125).one_error_line(&format!(
            "cannot keep the rules with this kernel's Landlock ABI {abi}: {needs}"
        ));
        assert_eq!(out.stdout, "");
    }
    // The container preset asks for nothing newer than ABI 3.
    let out = run(sk("sk-landlock").env(TEST_ABI, "3").args([
        "--preset",
        "container",
        "--print",
        "true",
    ]));
    out.success();
    assert!(
        out.stderr.contains("--rw /dev/pts --optional /dev/pts"),
        "{}",
        out.stderr
    );
}

sk_testkit::tests! {
    writes_outside_rw_fail_with_eacces,
    reads_outside_ro_and_rw_fail,
    exec_outside_exec_fails,
    bind_tcp_allows_its_port_and_refuses_the_others,
    a_signal_out_of_the_domain_fails_under_scope_signal,
    a_rule_path_through_a_symlink_is_not_followed,
    abi_2_strict_with_a_network_rule_fails_naming_both_abis,
    abi_2_best_effort_applies_the_filesystem_rules_and_says_what_it_left_out,
    abi_7_ro_stops_truncate,
    each_feature_fails_closed_below_its_abi,
}
