//! The contract every sk-* tool keeps, for sk-seccomp.

mod common;
use common::{seccomp, Scratch};

fn an_empty_command_is_a_usage_error() {
    seccomp(&["--kill", "mkdir"])
        .expect_code(125)
        .one_error_line("usage: sk-seccomp");
}

fn an_unknown_option_is_a_usage_error() {
    seccomp(&["--kill", "mkdir", "--bogus", "true"])
        .expect_code(125)
        .one_error_line("--bogus");
}

fn a_missing_command_exits_127() {
    seccomp(&["--kill", "mkdir", "/nonexistent"])
        .expect_code(127)
        .one_error_line("/nonexistent");
}

fn a_missing_command_under_an_allow_list_still_exits_127() {
    // The PATH search happens before the load, where errors can be told.
    seccomp(&[
        "--default",
        "kill",
        "--allow",
        "exit_group",
        "no-such-command-x",
    ])
    .expect_code(127)
    .one_error_line("no-such-command-x");
}

fn a_file_that_is_not_executable_exits_126() {
    let dir = Scratch::new();
    std::fs::write(dir.path("f"), "data").unwrap();
    seccomp(&["--kill", "mkdir", &dir.str("f")])
        .expect_code(126)
        .one_error_line("Permission denied");
}

fn the_commands_exit_status_comes_back() {
    seccomp(&["--kill", "mkdir", "sh", "-c", "exit 42"]).expect_code(42);
}

fn a_failed_step_exits_125_and_does_not_run_the_command() {
    let dir = Scratch::new();
    let marker = dir.str("ran");
    seccomp(&[
        "--profile",
        &dir.str("no-such-profile.json"),
        "touch",
        &marker,
    ])
    .expect_code(125)
    .one_error_line("cannot read the profile");
    assert!(!dir.path("ran").exists());
}

fn stdout_belongs_to_the_command_even_with_v() {
    let out = seccomp(&["-v", "--kill", "mkdir", "echo", "hi"]);
    out.success();
    assert_eq!(out.stdout, "hi\n");
    assert!(out.stderr.contains("sk-seccomp: filter:"), "{}", out.stderr);
}

fn no_fd_of_the_tool_reaches_the_command() {
    // Compared with the same command run directly: the test runner's own
    // inherited fds are in both.
    let plain = sk_testkit::run(sk_testkit::cmd("ls").arg("/proc/self/fd"));
    let out = seccomp(&["--profile", "docker-default", "ls", "/proc/self/fd"]);
    out.success();
    assert_eq!(out.stdout, plain.stdout);
}

sk_testkit::tests! {
    an_empty_command_is_a_usage_error,
    an_unknown_option_is_a_usage_error,
    a_missing_command_exits_127,
    a_missing_command_under_an_allow_list_still_exits_127,
    a_file_that_is_not_executable_exits_126,
    the_commands_exit_status_comes_back,
    a_failed_step_exits_125_and_does_not_run_the_command,
    stdout_belongs_to_the_command_even_with_v,
    no_fd_of_the_tool_reaches_the_command,
}
