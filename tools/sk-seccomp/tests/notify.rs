//! User notification: the supervisor that performs mknod, reports, and
//! learns; never a deadlock; the listener stays with the supervisor.

mod common;
use common::{seccomp, Scratch};
use sk_testkit::{need_root, run, sk};

/// `script` as root in a new user and mount namespace, with a supervisor
/// outside (first in the chain) that makes the `devices`.
fn mknod_in_a_user_namespace(devices: &str, script: &str) -> sk_testkit::Output {
    seccomp(
        &[
            "--notify",
            "mknod,mknodat",
            "--allow-mknod",
            devices,
            "sk-unshare",
            "-U",
            "-r",
            "-m",
        ]
        .into_iter()
        .chain(["sh", "-c", script])
        .collect::<Vec<_>>(),
    )
}

fn mknod_in_a_user_namespace_works_only_through_the_supervisor() {
    if !need_root("mknod_in_a_user_namespace_works_only_through_the_supervisor") {
        return;
    }
    let dir = Scratch::new();
    let (n, d) = (dir.str("n"), dir.str("d"));
    // Root in a user namespace may not make devices.
    let out = run(sk("sk-unshare").args(["-U", "-r", "-m", "mknod", &n, "c", "1", "3"]));
    out.expect_code(1);
    assert!(
        out.stderr.contains("Operation not permitted"),
        "{}",
        out.stderr
    );
    assert!(!dir.path("n").exists());
    let script = format!("mknod {n} c 1 3 && stat -c '%F %t:%T' {n} && mknod {d} b 8 0");
    let out = mknod_in_a_user_namespace("c:1:3", &script);
    out.expect_code(1);
    assert_eq!(out.stdout, "character special file 1:3\n");
    assert!(
        out.stderr.contains("Operation not permitted"),
        "{}",
        out.stderr
    );
    assert!(!dir.path("d").exists());
}

fn the_supervisor_makes_the_node_in_the_callers_mount_namespace() {
    if !need_root("the_supervisor_makes_the_node_in_the_callers_mount_namespace") {
        return;
    }
    let dir = Scratch::new();
    let m = dir.path("m");
    std::fs::create_dir(&m).unwrap();
    let m = m.to_string_lossy().into_owned();
    // A tmpfs that only the caller's namespace has, and a relative path.
    let script = format!("mount -t tmpfs none {m} && cd {m} && mknod null c 1 3 && ls {m}");
    let out = mknod_in_a_user_namespace("c:1:3,c:1:5", &script);
    out.success();
    assert_eq!(out.stdout, "null\n");
    assert_eq!(
        std::fs::read_dir(&m).unwrap().count(),
        0,
        "the node is on the host"
    );
}

fn report_names_the_denied_call_and_the_status_comes_back() {
    let out = seccomp(&[
        "--notify",
        "uname",
        "--report",
        "sh",
        "-c",
        "uname -a 2>/dev/null; echo $?; exit 7",
    ]);
    out.expect_code(7);
    assert_eq!(out.stdout, "1\n");
    out.one_error_line("uname(");
    assert!(out.stderr.contains("denied (EPERM)"), "{}", out.stderr);
}

fn a_notify_rule_answers_with_its_errno() {
    let out = seccomp(&["--notify", "EACCES:uname", "uname"]);
    out.expect_code(1);
    assert!(out.stderr.contains("Permission denied"), "{}", out.stderr);
}

fn learn_writes_a_profile_that_runs_the_command_and_denies_the_rest() {
    let dir = Scratch::new();
    let p = dir.str("p.json");
    let zz = dir.str("zz");
    seccomp(&["--learn", &p, "--", "sh", "-c", "ls / >/dev/null"]).success();
    let text = std::fs::read_to_string(&p).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["defaultAction"], "SCMP_ACT_ERRNO");
    let names = json["syscalls"][0]["names"].as_array().unwrap();
    assert!(
        names.iter().any(|n| n == "execve") && names.iter().any(|n| n == "getdents64"),
        "{text}"
    );
    assert!(
        !names.iter().any(|n| n == "mkdir" || n == "mkdirat"),
        "{text}"
    );
    seccomp(&["--profile", &p, "--", "sh", "-c", "ls / >/dev/null"]).success();
    let out = seccomp(&["--profile", &p, "--", "sh", "-c", &format!("mkdir {zz}")]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("Operation not permitted"),
        "{}",
        out.stderr
    );
    assert!(!dir.path("zz").exists());
}

fn a_hundred_concurrent_notified_calls_all_get_answered() {
    let script = "for i in $(seq 100); do uname >/dev/null 2>&1 & done; wait; echo done";
    let out = seccomp(&["--notify", "uname", "--report", "sh", "-c", script]);
    out.success();
    assert_eq!(out.stdout, "done\n");
    assert_eq!(
        out.stderr.lines().filter(|l| l.contains("uname(")).count(),
        100,
        "{}",
        out.stderr
    );
}

fn the_listener_is_not_among_the_commands_fds() {
    let plain = run(sk_testkit::cmd("ls").args(["-l", "/proc/self/fd"]));
    let out = seccomp(&["--notify", "uname", "ls", "-l", "/proc/self/fd"]);
    out.success();
    assert!(!out.stdout.contains("seccomp"), "{}", out.stdout);
    let fds = |s: &str| -> Vec<String> {
        s.lines()
            .skip(1)
            .filter_map(|l| l.split_whitespace().nth(8).map(String::from))
            .collect()
    };
    assert_eq!(fds(&out.stdout), fds(&plain.stdout));
}

fn a_death_by_signal_comes_back_as_128_plus_n() {
    seccomp(&["--notify", "uname", "sh", "-c", "kill -TERM $$"]).expect_code(128 + libc::SIGTERM);
}

fn a_command_that_is_missing_exits_127_under_a_supervisor() {
    seccomp(&["--notify", "uname", "/nonexistent"])
        .expect_code(127)
        .one_error_line("/nonexistent");
}

/// The supervisor grants the node, not the directory: a caller without
/// CAP_DAC_OVERRIDE (root with every capability dropped) cannot make it
/// where it may not write, and can where it may.
fn the_node_is_granted_not_the_directory() {
    if !need_root("the_node_is_granted_not_the_directory") {
        return;
    }
    let dir = Scratch::new();
    let (locked, open) = (dir.path("locked"), dir.path("open"));
    for (d, mode) in [(&locked, 0o700), (&open, 0o777)] {
        std::fs::create_dir(d).unwrap();
        std::os::unix::fs::chown(d, Some(65534), Some(65534)).unwrap();
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
    }
    let script = format!(
        "mknod {0}/null c 1 3; echo locked $?; mknod {1}/null c 1 3; echo open $?",
        locked.display(),
        open.display()
    );
    let out = seccomp(&[
        "--notify",
        "mknod,mknodat",
        "--allow-mknod",
        "c:1:3",
        "sk-capdrop",
        "all",
        "sh",
        "-c",
        &script,
    ]);
    out.success();
    assert_eq!(out.stdout, "locked 1\nopen 0\n", "{}", out.stderr);
    assert!(!locked.join("null").exists());
    assert!(open.join("null").exists());
}

fn block_devices_cannot_be_allowed() {
    seccomp(&["--notify", "mknod", "--allow-mknod", "b:8:0", "true"])
        .expect_code(125)
        .one_error_line("character");
}

fn learn_sees_the_whole_process_tree() {
    let dir = Scratch::new();
    let p = dir.str("p.json");
    // uname runs in a child of the shell, which waits for it.
    seccomp(&["--learn", &p, "sh", "-c", "uname >/dev/null; true"]).success();
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(
        text.contains("\"uname\"") && text.contains("\"wait4\""),
        "{text}"
    );
}

fn learn_into_a_file_that_cannot_be_written_runs_nothing() {
    let dir = Scratch::new();
    let marker = dir.str("ran");
    seccomp(&["--learn", &dir.str("no/such/dir/p.json"), "touch", &marker])
        .expect_code(125)
        .one_error_line("cannot create the learned profile");
    assert!(!dir.path("ran").exists());
}

sk_testkit::tests! {
    mknod_in_a_user_namespace_works_only_through_the_supervisor,
    the_supervisor_makes_the_node_in_the_callers_mount_namespace,
    report_names_the_denied_call_and_the_status_comes_back,
    a_notify_rule_answers_with_its_errno,
    learn_writes_a_profile_that_runs_the_command_and_denies_the_rest,
    a_hundred_concurrent_notified_calls_all_get_answered,
    the_listener_is_not_among_the_commands_fds,
    a_death_by_signal_comes_back_as_128_plus_n,
    a_command_that_is_missing_exits_127_under_a_supervisor,
    block_devices_cannot_be_allowed,
    the_node_is_granted_not_the_directory,
    learn_sees_the_whole_process_tree,
    learn_into_a_file_that_cannot_be_written_runs_nothing,
}
