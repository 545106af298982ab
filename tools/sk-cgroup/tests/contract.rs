//! The contract every sk-* tool keeps, for sk-cgroup.

mod common;

use sk_testkit::{need_root, run, sk};

fn an_empty_command_is_a_usage_error() {
    let out = run(&mut sk("sk-cgroup"));
    out.expect_code(125).one_error_line("usage:");
    let out = run(sk("sk-cgroup").args(["pids=10"]));
    out.expect_code(125).one_error_line("missing COMMAND");
}

fn an_unknown_option_is_a_usage_error() {
    run(sk("sk-cgroup").args(["--bogus", "true"]))
        .expect_code(125)
        .one_error_line("--bogus");
}

fn help_lists_the_limits_and_exit_status() {
    let out = run(sk("sk-cgroup").arg("--help"));
    out.success();
    for word in ["cpu=20000", "memory=SIZE", "pids=N", "--rm", "Exit status"] {
        assert!(
            out.stdout.contains(word),
            "--help lacks {word}:\n{}",
            out.stdout
        );
    }
}

fn a_missing_command_exits_127_and_leaves_no_group() {
    let Some((name, _c)) = common::root_group("a_missing_command_exits_127_and_leaves_no_group")
    else {
        return;
    };
    let out = run(sk("sk-cgroup").args(["--rm", "--name", &name, "pids=10", "/nonexistent"]));
    out.expect_code(127).one_error_line("/nonexistent");
    assert!(common::groups_named(&name).is_empty());
}

fn a_file_that_cannot_be_executed_exits_126() {
    let Some((name, _c)) = common::root_group("a_file_that_cannot_be_executed_exits_126") else {
        return;
    };
    let (dir, file) = common::marker();
    std::fs::write(&file, "not a program").unwrap();
    let out = run(sk("sk-cgroup")
        .args(["--rm", "--name", &name, "pids=10"])
        .arg(&file));
    out.expect_code(126).one_error_line("Permission denied");
    drop(dir);
}

fn the_commands_exit_status_comes_back_with_and_without_rm() {
    let Some((name, _c)) =
        common::root_group("the_commands_exit_status_comes_back_with_and_without_rm")
    else {
        return;
    };
    run(sk("sk-cgroup").args(["--rm", "pids=10", "sh", "-c", "exit 42"])).expect_code(42);
    run(sk("sk-cgroup").args(["--name", &name, "pids=10", "sh", "-c", "exit 42"])).expect_code(42);
}

fn stdin_and_stdout_flow_through() {
    if !need_root("stdin_and_stdout_flow_through") {
        return;
    }
    let out =
        sk_testkit::run_with_input(sk("sk-cgroup").args(["--rm", "pids=10", "cat"]), b"hello\n");
    out.success();
    assert_eq!(out.stdout, "hello\n");
}

fn a_failed_step_exits_125_and_never_runs_the_command() {
    let Some((name, _c)) = common::root_group("a_failed_step_exits_125_and_never_runs_the_command")
    else {
        return;
    };
    let (_dir, marker) = common::marker();
    // The parent group does not exist: mkdir fails with ENOENT.
    let out = run(sk("sk-cgroup")
        .args([
            "--parent",
            "/sk-no-such-parent",
            "--name",
            &name,
            "pids=10",
            "touch",
        ])
        .arg(&marker));
    out.expect_code(125)
        .one_error_line("cannot create cgroup ")
        .one_error_line("No such file or directory");
    assert!(!marker.exists(), "the command ran although the step failed");
    assert!(common::groups_named(&name).is_empty());
}

sk_testkit::tests! {
    an_empty_command_is_a_usage_error,
    an_unknown_option_is_a_usage_error,
    help_lists_the_limits_and_exit_status,
    a_missing_command_exits_127_and_leaves_no_group,
    a_file_that_cannot_be_executed_exits_126,
    the_commands_exit_status_comes_back_with_and_without_rm,
    stdin_and_stdout_flow_through,
    a_failed_step_exits_125_and_never_runs_the_command: userns,
}
