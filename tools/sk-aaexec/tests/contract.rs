//! The exit-status contract, as far as it can be checked on a host without
//! AppArmor: usage errors are 125 with one line. The 126/127/own-status
//! cases need a confinement that succeeds, so they run in the VM suite.

use sk_testkit::{run, sk};

fn an_empty_command_is_a_usage_error() {
    run(sk("sk-aaexec").args(["-p", "nohosts"]))
        .expect_code(125)
        .one_error_line("usage: sk-aaexec");
}

fn a_missing_profile_option_is_a_usage_error() {
    run(sk("sk-aaexec").arg("true"))
        .expect_code(125)
        .one_error_line("--profile");
}

fn an_unknown_option_is_refused() {
    run(sk("sk-aaexec").args(["--bogus", "-p", "x", "true"]))
        .expect_code(125)
        .one_error_line("--bogus");
}

fn a_profile_name_the_kernel_would_alter_is_refused() {
    run(sk("sk-aaexec").args(["-p", "nohosts ", "true"]))
        .expect_code(125)
        .one_error_line("profile 'nohosts ' begins or ends with blanks");
    run(sk("sk-aaexec").args(["-n", "a:b", "-p", "x", "true"]))
        .expect_code(125)
        .one_error_line("must not contain ':'");
}

fn options_stop_at_the_first_operand() {
    // `-p` after the command is the command's: the profile is still missing.
    run(sk("sk-aaexec").args(["cat", "-p", "nohosts"]))
        .expect_code(125)
        .one_error_line("--profile");
}

fn help_and_version_exit_0_with_an_example() {
    let out = run(sk("sk-aaexec").arg("--help"));
    out.success();
    assert!(out.stdout.contains("Examples:"));
    assert!(out.stdout.contains("sk-aaexec -p nohosts cat /etc/hosts"));
    assert!(out.stdout.contains("Exit status:"));
    let out = run(sk("sk-aaexec").arg("--version"));
    out.success();
    assert!(out.stdout.starts_with("sk-aaexec "));
}

sk_testkit::tests! {
    an_empty_command_is_a_usage_error,
    a_missing_profile_option_is_a_usage_error,
    an_unknown_option_is_refused,
    a_profile_name_the_kernel_would_alter_is_refused,
    options_stop_at_the_first_operand,
    help_and_version_exit_0_with_an_example,
}
