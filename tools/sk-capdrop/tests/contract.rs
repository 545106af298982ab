//! The exit-status contract every tool keeps, checked on sk-capdrop.

mod common;

use sk_testkit::{need_program, need_root, run, sk};

fn an_empty_command_is_a_usage_error() {
    run(&mut sk("sk-capdrop"))
        .expect_code(125)
        .one_error_line("usage: sk-capdrop");
    run(sk("sk-capdrop").arg("sys_time"))
        .expect_code(125)
        .one_error_line("missing COMMAND after CAPS (usage: sk-capdrop");
    run(sk("sk-capdrop").args(["--keep", "chown"]))
        .expect_code(125)
        .one_error_line("usage: sk-capdrop");
}

fn an_unknown_option_is_refused() {
    run(sk("sk-capdrop").args(["--bogus", "sys_time", "true"]))
        .expect_code(125)
        .one_error_line("--bogus");
}

fn a_missing_command_exits_127() {
    if !sk_testkit::need_root("a_missing_command_exits_127") {
        return;
    }
    run(sk("sk-capdrop").args(["sys_time", "/nonexistent"]))
        .expect_code(127)
        .one_error_line("cannot execute /nonexistent: No such file or directory");
}

fn a_command_that_cannot_be_executed_exits_126() {
    if !sk_testkit::need_root("a_command_that_cannot_be_executed_exits_126") {
        return;
    }
    let (_dir, f) = sk_testkit::non_executable_file();
    run(sk("sk-capdrop").arg("sys_time").arg(&f))
        .expect_code(126)
        .one_error_line("Permission denied");
}

fn the_commands_own_status_comes_back() {
    if !sk_testkit::need_root("the_commands_own_status_comes_back") {
        return;
    }
    run(sk("sk-capdrop").args(["sys_time", "sh", "-c", "exit 42"])).expect_code(42);
    run(sk("sk-capdrop").args(["--keep", "chown", "sh", "-c", "exit 42"])).expect_code(42);
}

fn options_stop_at_the_caps_operand() {
    if !sk_testkit::need_root("options_stop_at_the_caps_operand") {
        return;
    }
    let out = run(sk("sk-capdrop").args(["sys_time", "echo", "--print", "-v"]));
    out.success();
    assert_eq!(out.stdout, "--print -v\n");
    assert_eq!(out.stderr, "");
    let out = run(sk("sk-capdrop").args(["--keep", "docker-default", "echo", "sys_time"]));
    out.success();
    assert_eq!(out.stdout, "sys_time\n");
}

fn a_failed_drop_exits_125_and_never_runs_the_command() {
    let name = "a_failed_drop_exits_125_and_never_runs_the_command";
    if !need_root(name) || !need_program(name, "setpriv", "util-linux") {
        return;
    }
    // Without CAP_SETPCAP the bounding set cannot shrink.
    let dir = common::open_tempdir();
    let marker = dir.path().join("ran");
    let out = run(common::capdrop_as_nobody()
        .args(["sys_time", "touch"])
        .arg(&marker));
    out.expect_code(125).one_error_line(
        "sk-capdrop: cannot drop cap_sys_time from the bounding set \
         (it needs CAP_SETPCAP; --no-new-privs does without): Operation not permitted",
    );
    assert!(!marker.exists(), "the command ran although the drop failed");
}

fn help_and_version_exit_0_with_an_example() {
    let out = run(sk("sk-capdrop").arg("--help"));
    out.success();
    assert!(out.stdout.contains("Examples:"));
    assert!(out.stdout.contains("sk-capdrop sys_time"));
    assert!(out.stdout.contains("Exit status:"));
    let out = run(sk("sk-capdrop").arg("--version"));
    out.success();
    assert!(out.stdout.starts_with("sk-capdrop "));
}

sk_testkit::tests! {
    an_empty_command_is_a_usage_error,
    an_unknown_option_is_refused,
    a_missing_command_exits_127: userns,
    a_command_that_cannot_be_executed_exits_126: userns,
    the_commands_own_status_comes_back: userns,
    options_stop_at_the_caps_operand: userns,
    a_failed_drop_exits_125_and_never_runs_the_command,
    help_and_version_exit_0_with_an_example,
}
