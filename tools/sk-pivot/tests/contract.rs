//! The contract every sk-* tool keeps: usage errors, exit codes, and a
//! failed step that never runs the command.

mod common;

use common::{chain, chain_sh, rootfs, Marker};
use sk_testkit::{run, run_with_input, sk};

fn an_empty_command_is_a_usage_error() {
    let out = run(sk("sk-pivot").arg("/tmp"));
    out.expect_code(125).one_error_line("missing <COMMAND>");
    assert!(out.stderr.contains("usage: sk-pivot"), "{}", out.stderr);
    run(&mut sk("sk-pivot"))
        .expect_code(125)
        .one_error_line("usage: sk-pivot");
}

fn an_unknown_option_is_a_usage_error() {
    run(sk("sk-pivot").args(["--bogus", "/tmp", "true"]))
        .expect_code(125)
        .one_error_line("--bogus");
}

fn help_goes_to_stdout_and_names_the_unsafe_dev_options() {
    let out = run(sk("sk-pivot").arg("--help"));
    out.success();
    assert!(out.stdout.contains("Exit status"), "{}", out.stdout);
    assert!(
        out.stdout.contains("--dev-host") && out.stdout.contains("UNSAFE"),
        "{}",
        out.stdout
    );
}

fn a_missing_command_exits_127() {
    let Some(root) = rootfs("a_missing_command_exits_127") else {
        return;
    };
    chain(root.path(), &[], &["/nonexistent"])
        .expect_code(127)
        .one_error_line("cannot execute /nonexistent");
}

fn a_file_that_is_not_executable_exits_126() {
    let Some(root) = rootfs("a_file_that_is_not_executable_exits_126") else {
        return;
    };
    chain(root.path(), &[], &["/etc/hosts"])
        .expect_code(126)
        .one_error_line("cannot execute /etc/hosts");
}

fn the_commands_exit_status_comes_back() {
    let Some(root) = rootfs("the_commands_exit_status_comes_back") else {
        return;
    };
    chain_sh(root.path(), &[], "exit 42").expect_code(42);
}

fn stdin_and_stdout_flow_through() {
    let Some(root) = rootfs("stdin_and_stdout_flow_through") else {
        return;
    };
    let out = run_with_input(
        sk("sk-unshare")
            .args(["-mp", "sk-pivot"])
            .arg(root.path())
            .arg("cat"),
        b"through the pivot\n",
    );
    out.success();
    assert_eq!(out.stdout, "through the pivot\n");
    assert_eq!(out.stderr, "");
}

fn a_failed_step_exits_125_and_never_runs_the_command() {
    let Some(root) = rootfs("a_failed_step_exits_125_and_never_runs_the_command") else {
        return;
    };
    let marker = Marker::new(root.path());
    // The failure comes after proc and /dev are mounted: a late one.
    let out = run(sk("sk-unshare")
        .args(["-mp", "sk-pivot", "--bind", "/nonexistent-source:/data"])
        .arg(root.path())
        .args(marker.command()));
    out.expect_code(125)
        .one_error_line("cannot bind /nonexistent-source: No such file or directory");
    marker.assert_absent();
}

fn verbose_says_what_was_done_on_stderr_only() {
    let Some(root) = rootfs("verbose_says_what_was_done_on_stderr_only") else {
        return;
    };
    let out = chain(root.path(), &["-v"], &["true"]);
    out.success();
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("sk-pivot: pivoted into"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("sk-pivot: mounted a new proc"),
        "{}",
        out.stderr
    );
}

fn nothing_of_the_tool_leaks_into_the_command() {
    let Some(root) = rootfs("nothing_of_the_tool_leaks_into_the_command") else {
        return;
    };
    // The descriptors the command gets are among the ones the chain was
    // given (the test runner may pass some down; sk-pivot closes them).
    let fds = |out: &sk_testkit::Output| -> Vec<String> {
        out.success();
        out.stdout.split_whitespace().map(String::from).collect()
    };
    let with = fds(&chain(root.path(), &[], &["ls", "/proc/self/fd"]));
    let without = fds(&run(sk("sk-unshare").args([
        "-mp",
        "/bin/busybox",
        "ls",
        "/proc/self/fd",
    ])));
    assert!(
        with.iter().all(|f| without.contains(f)),
        "{with:?} {without:?}"
    );
}

sk_testkit::tests! {
    an_empty_command_is_a_usage_error,
    an_unknown_option_is_a_usage_error,
    help_goes_to_stdout_and_names_the_unsafe_dev_options,
    a_missing_command_exits_127: userns,
    a_file_that_is_not_executable_exits_126: userns,
    the_commands_exit_status_comes_back: userns,
    stdin_and_stdout_flow_through: userns,
    a_failed_step_exits_125_and_never_runs_the_command: userns,
    verbose_says_what_was_done_on_stderr_only: userns,
    nothing_of_the_tool_leaks_into_the_command: userns,
}
