//! The contract on sk-landlock: bad input is 125 and one line, and the
//! command never runs; 126/127 and the command's own status come through.

use sk_testkit::{run, sk};
use std::path::Path;

/// Runs sk-landlock with `args`, then `touch MARKER`: the command must
/// not run. Returns the one error line.
fn refused(args: &[&str], needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let out = run(sk("sk-landlock")
        .args(args)
        .arg("touch")
        .arg(&marker)
        .current_dir(dir.path()));
    out.expect_code(125).one_error_line(needle);
    assert!(out.stderr.starts_with("sk-landlock: "), "{}", out.stderr);
    assert!(!marker.exists(), "the command ran after {args:?}");
}

fn unknown_access_names_are_refused() {
    refused(
        &["--allow", "read-file,wrte-file:/", "--exec", "/"],
        "unknown access right 'wrte-file' (known: execute,",
    );
    refused(
        &["--ro", "/", "--scope", "signals"],
        "unknown scope 'signals'",
    );
    refused(&["--preset", "desktop"], "unknown preset 'desktop'");
}

fn a_missing_path_is_refused_unless_optional() {
    refused(
        &[
            "--ro",
            "/",
            "--exec",
            "/",
            "--rw",
            "/nonexistent-sk-landlock",
        ],
        "cannot open /nonexistent-sk-landlock for a rule: No such file or directory",
    );
    let out = run(sk("sk-landlock").args([
        "--ro",
        "/",
        "--exec",
        "/",
        "--rw",
        "/nonexistent-sk-landlock",
        "--optional",
        "/nonexistent-sk-landlock",
        "-v",
        "true",
    ]));
    out.success();
    assert!(
        out.stderr
            .contains("(left out: /nonexistent-sk-landlock (missing))"),
        "{}",
        out.stderr
    );
}

fn a_symlink_loop_is_refused_followed_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let a = a.to_str().unwrap();
    refused(
        &["--ro", "/", "--exec", "/", "--rw", a],
        "a symbolic link is on the path",
    );
    refused(
        &["--follow-symlinks", "--ro", "/", "--exec", "/", "--rw", a],
        "Too many symbolic links encountered",
    );
}

fn an_empty_rule_set_needs_allow_nothing() {
    refused(&[], "no filesystem rule");
    refused(&["--bind-tcp", "80"], "no filesystem rule");
    refused(
        &["--allow-nothing", "--ro", "/"],
        "--allow-nothing with filesystem rules",
    );
    // With it, nothing at all is allowed: not even executing the command.
    let out = run(sk("sk-landlock").args(["--allow-nothing", "/bin/true"]));
    out.expect_code(126)
        .one_error_line("cannot execute /bin/true: Permission denied");
}

fn a_port_out_of_range_is_refused() {
    refused(
        &["--ro", "/", "--bind-tcp", "65536"],
        "port 65536 is out of range (0 to 65535)",
    );
    refused(&["--ro", "/", "--connect-tcp=-1"], "is not a port number");
    refused(&["--ro", "/", "--bind-tcp", "http"], "is not a port number");
}

fn relative_rule_paths_are_refused() {
    refused(&["--ro", "usr"], "rule path 'usr' is not absolute");
}

fn options_stop_at_the_first_operand() {
    let out = run(sk("sk-landlock").args(["--ro", "/", "--exec", "/", "echo", "--rw", "/", "-v"]));
    out.success();
    assert_eq!(out.stdout, "--rw / -v\n");
    assert_eq!(out.stderr, "");
}

fn exit_statuses_come_through() {
    let rules = ["--ro", "/", "--exec", "/"];
    run(sk("sk-landlock").args(rules).args(["sh", "-c", "exit 42"])).expect_code(42);
    run(sk("sk-landlock").args(rules).arg("/nonexistent"))
        .expect_code(127)
        .one_error_line("cannot execute /nonexistent: No such file or directory");
    let (_dir, f) = sk_testkit::non_executable_file();
    run(sk("sk-landlock").args(rules).arg(&f))
        .expect_code(126)
        .one_error_line("Permission denied");
}

fn help_has_real_examples_and_print_shows_the_preset() {
    let out = run(sk("sk-landlock").arg("--help"));
    out.success();
    assert!(out.stdout.contains("sk-landlock --preset container"));
    assert!(Path::new("/bin/true").exists());
    let out = run(sk("sk-landlock").args(["--preset", "container", "--print", "true"]));
    out.success();
    for line in [
        "--ro /usr --exec /usr --optional /usr",
        "--ro /etc --optional /etc",
        "--rw /tmp --optional /tmp",
        "(no --bind-tcp: every one denied)",
    ] {
        assert!(out.stderr.contains(line), "{line}:\n{}", out.stderr);
    }
}

fn nothing_of_the_tool_leaks_into_the_command() {
    // The rule paths' descriptors and the ruleset's are close-on-exec.
    let mut c = sk("sk-landlock");
    sk_testkit::only_own_fds(&mut c);
    let out = run(c.args([
        "--ro",
        "/",
        "--exec",
        "/",
        "--rw",
        "/tmp",
        "--bind-tcp",
        "80",
        "ls",
        "/proc/self/fd",
    ]));
    out.success();
    assert_eq!(out.stdout, "0\n1\n2\n3\n", "{}", out.stderr);
}

fn verbose_says_what_the_domain_allows() {
    let out = run(sk("sk-landlock").args([
        "-v",
        "--ro",
        "/",
        "--exec",
        "/",
        "--bind-tcp",
        "8080",
        "--scope",
        "signal",
        "true",
    ]));
    out.success();
    assert!(
        out.stderr.contains(
            "path rules, TCP bind to port 8080 only, TCP connect to no port, scopes signal; \
             no_new_privs set"
        ),
        "{}",
        out.stderr
    );
}

sk_testkit::tests! {
    unknown_access_names_are_refused,
    a_missing_path_is_refused_unless_optional,
    a_symlink_loop_is_refused_followed_or_not,
    an_empty_rule_set_needs_allow_nothing,
    a_port_out_of_range_is_refused,
    relative_rule_paths_are_refused,
    options_stop_at_the_first_operand,
    exit_statuses_come_through,
    help_has_real_examples_and_print_shows_the_preset,
    nothing_of_the_tool_leaks_into_the_command,
    verbose_says_what_the_domain_allows,
}
