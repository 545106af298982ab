//! A panic anywhere in a tool is an internal error: one line
//! `sk-x: internal error: ...` and exit 125, never Rust's 101 or the
//! release profile's abort (134). A staying parent kills the command it
//! started first. The panics are provoked through SK_TEST_PANIC, which only
//! debug builds (what `cargo test` runs) honour: see sk_common::test_hook.

use sk_common::tools::TOOLS;
use sk_testkit::{need_root, run, sk, Output};
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn a_panic_before_the_command_is_one_line_and_exit_125_in_every_tool() {
    let dir = tempfile::tempdir().unwrap();
    for tool in TOOLS {
        let marker = dir.path().join(tool);
        let out = run(sk(tool)
            .env("SK_TEST_PANIC", "before")
            .arg("touch")
            .arg(&marker));
        out.expect_code(125).one_error_line(&format!(
            "{tool}: internal error: provoked by SK_TEST_PANIC"
        ));
        assert!(!marker.exists(), "{tool} ran the command after a panic");
    }
}

/// Waits (10 s at most) for `path` to exist.
fn wait_for_file(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether process `pid` is gone (or a zombie waiting for its reaper).
fn dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // pid (comm) STATE ...: comm may hold spaces, the state follows ')'.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// Starts `c` (a tool that stays as parent of `sh -c 'touch M; exec sleep
/// 60'`) with SK_TEST_PANIC=parent, waits for the command to run, makes the
/// parent panic with a signal to forward, and checks that it killed the
/// command, said one line, and exited 125.
fn panic_in_the_staying_parent(tool: &str, c: &mut Command) {
    let dir = tempfile::tempdir().unwrap();
    let started = dir.path().join("started");
    let script = format!("touch {}; exec sleep 60", started.display());
    let mut child: Child = c
        .args(["sh", "-c", &script])
        .env("SK_TEST_PANIC", "parent")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let parent = child.id();
    let _kill = sk_testkit::Cleanup(|| {
        let pid = nix::unistd::Pid::from_raw(parent as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
    });
    wait_for_file(&started);
    let children =
        std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")).unwrap();
    let command: u32 = children
        .split_whitespace()
        .next()
        .expect("the staying parent has no child")
        .parse()
        .unwrap();
    assert!(!dead(command), "the command is not running");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(parent as i32),
        nix::sys::signal::Signal::SIGUSR1,
    )
    .unwrap();
    let status = child.wait().unwrap();
    // Before reading stderr: a surviving command holds it open.
    let start = Instant::now();
    while !dead(command) {
        if start.elapsed() > Duration::from_secs(5) {
            let pid = nix::unistd::Pid::from_raw(command as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            panic!("the command (pid {command}) outlived its parent's panic");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let out = Output {
        status,
        stdout: String::new(),
        stderr,
    };
    out.expect_code(125).one_error_line(&format!(
        "{tool}: internal error: provoked by SK_TEST_PANIC"
    ));
}

fn a_panic_in_sk_unshares_staying_parent_kills_the_container_then_exits_125() {
    let name = "a_panic_in_sk_unshares_staying_parent_kills_the_container_then_exits_125";
    if !need_root(name) {
        return;
    }
    panic_in_the_staying_parent("sk-unshare", sk("sk-unshare").arg("-p"));
}

fn a_panic_in_sk_cgroups_staying_parent_kills_the_command_then_exits_125() {
    let name = "a_panic_in_sk_cgroups_staying_parent_kills_the_command_then_exits_125";
    if !need_root(name) {
        return;
    }
    let group = sk_testkit::unique("skt-panic-");
    // The parent dies before its own clean-up: the group is left, empty.
    let _rmdir = sk_testkit::Cleanup(|| {
        sk_testkit::sh(&format!(
            "find /sys/fs/cgroup -depth -type d -name '{group}' -exec rmdir {{}} + 2>/dev/null"
        ));
    });
    let mut c = sk("sk-cgroup");
    c.args(["--rm", "--name", &group, "pids=16"]);
    panic_in_the_staying_parent("sk-cgroup", &mut c);
}

sk_testkit::tests! {
    a_panic_before_the_command_is_one_line_and_exit_125_in_every_tool,
    a_panic_in_sk_unshares_staying_parent_kills_the_container_then_exits_125: userns,
    a_panic_in_sk_cgroups_staying_parent_kills_the_command_then_exits_125,
}
