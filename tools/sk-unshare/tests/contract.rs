//! The exit-status contract every tool keeps, checked on sk-unshare.

use sk_testkit::{run, sk};

fn an_empty_command_is_a_usage_error() {
    run(sk("sk-unshare").arg("-m"))
        .expect_code(125)
        .one_error_line("usage: sk-unshare");
}

fn an_unknown_option_is_refused() {
    run(sk("sk-unshare").args(["--bogus", "true"]))
        .expect_code(125)
        .one_error_line("--bogus");
}

fn a_missing_command_exits_127() {
    if !sk_testkit::need_root("a_missing_command_exits_127") {
        return;
    }
    run(sk("sk-unshare").args(["-m", "/nonexistent"]))
        .expect_code(127)
        .one_error_line("cannot execute /nonexistent: No such file or directory");
}

fn a_command_that_cannot_be_executed_exits_126() {
    if !sk_testkit::need_root("a_command_that_cannot_be_executed_exits_126") {
        return;
    }
    let (_dir, f) = sk_testkit::non_executable_file();
    run(sk("sk-unshare").arg("-m").arg(&f))
        .expect_code(126)
        .one_error_line("Permission denied");
}

fn the_commands_own_status_comes_back() {
    if !sk_testkit::need_root("the_commands_own_status_comes_back") {
        return;
    }
    run(sk("sk-unshare").args(["-m", "sh", "-c", "exit 42"])).expect_code(42);
    run(sk("sk-unshare").args(["-p", "sh", "-c", "exit 42"])).expect_code(42);
    run(sk("sk-unshare").args(["-p", "--init", "sh", "-c", "exit 42"])).expect_code(42);
}

fn options_stop_at_the_first_operand() {
    if !sk_testkit::need_root("options_stop_at_the_first_operand") {
        return;
    }
    let out = run(sk("sk-unshare").args(["-u", "echo", "-m", "--hostname", "x"]));
    out.success();
    assert_eq!(out.stdout, "-m --hostname x\n");
}

fn help_and_version_exit_0_with_an_example() {
    let out = run(sk("sk-unshare").arg("--help"));
    out.success();
    assert!(out.stdout.contains("Examples:"));
    assert!(out.stdout.contains("sk-unshare -mup"));
    let out = run(sk("sk-unshare").arg("--version"));
    out.success();
    assert!(out.stdout.starts_with("sk-unshare "));
}

fn a_failed_step_never_runs_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let out = run(sk("sk-unshare")
        .args(["--join", "net=/etc/passwd", "touch"])
        .arg(&marker));
    out.expect_code(125)
        .one_error_line("cannot join net namespace /etc/passwd: not a net namespace");
    assert!(!marker.exists());
}

sk_testkit::tests! {
    an_empty_command_is_a_usage_error,
    an_unknown_option_is_refused,
    a_missing_command_exits_127: userns,
    a_command_that_cannot_be_executed_exits_126: userns,
    the_commands_own_status_comes_back: userns,
    options_stop_at_the_first_operand: userns,
    help_and_version_exit_0_with_an_example,
    a_failed_step_never_runs_the_command,
}
