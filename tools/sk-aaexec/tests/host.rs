//! sk-aaexec on the host, which has no AppArmor: every attempt is refused
//! with 125 and the command never runs. (Confinement itself is tested in
//! the VM suite, scripts/vm-test, on a kernel with AppArmor.)

use sk_testkit::{run, sk, unique};
use std::path::{Path, PathBuf};

/// Whether this kernel has AppArmor enabled; the tests below then expect
/// "not loaded" for their made-up profile instead of "not enabled".
fn apparmor_enabled() -> bool {
    std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
        .map(|v| v.starts_with('Y'))
        .unwrap_or(false)
}

/// What the refusal must say on this host, for profile `profile`.
fn refusal(profile: &str) -> String {
    if apparmor_enabled() {
        format!("profile {profile} is not loaded")
    } else {
        "AppArmor is not enabled".to_string()
    }
}

/// A path in /tmp that nothing has created.
fn marker() -> PathBuf {
    let p = Path::new("/tmp").join(unique("sk-aaexec-marker."));
    assert!(!p.exists());
    p
}

fn without_apparmor_the_command_is_refused_and_never_runs() {
    let m = marker();
    let out = run(sk("sk-aaexec").args(["-p", "nohosts", "touch"]).arg(&m));
    out.expect_code(125).one_error_line(&refusal("nohosts"));
    assert!(
        out.stderr
            .starts_with("sk-aaexec: cannot confine touch with AppArmor profile nohosts: "),
        "{}",
        out.stderr
    );
    assert!(!m.exists(), "the command ran unconfined");
}

fn a_kernel_without_apparmor_is_named_in_the_message() {
    if apparmor_enabled() {
        return sk_testkit::skip(
            "a_kernel_without_apparmor_is_named_in_the_message",
            "this kernel has AppArmor enabled (the VM suite tests a kernel that has it)",
        );
    }
    let out = run(sk("sk-aaexec").args(["-p", "nohosts", "true"]));
    out.expect_code(125)
        .one_error_line("this kernel has no AppArmor (/sys/module/apparmor does not exist)");
}

fn every_way_of_asking_is_refused_the_same() {
    for opts in [
        &["--stack"][..],
        &["--immediate"],
        &["-n", "lxc"],
        &["-v"],
        &["--stack", "--immediate", "-n", "lxc"],
    ] {
        let m = marker();
        let out = run(sk("sk-aaexec")
            .args(opts)
            .args(["-p", "nohosts", "touch"])
            .arg(&m));
        out.expect_code(125);
        assert!(
            out.stderr.contains(&refusal("nohosts")) || apparmor_enabled(),
            "{opts:?}: {}",
            out.stderr
        );
        assert!(!m.exists(), "{opts:?}: the command ran");
    }
}

fn load_fails_closed_before_running_anything() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("nohosts");
    std::fs::write(&profile, "profile nohosts {\n  /etc/hosts r,\n}\n").unwrap();
    let m = marker();
    let out = run(sk("sk-aaexec")
        .arg("--load")
        .arg(&profile)
        .args(["-p", "nohosts", "touch"])
        .arg(&m));
    out.expect_code(125);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(!m.exists());
}

fn a_command_that_does_not_exist_is_still_a_refusal_not_127() {
    // The confinement step comes first; it fails, so the command is never looked up.
    run(sk("sk-aaexec").args(["-p", "nohosts", "/nonexistent"]))
        .expect_code(125)
        .one_error_line("cannot confine /nonexistent with AppArmor profile nohosts");
}

sk_testkit::tests! {
    without_apparmor_the_command_is_refused_and_never_runs,
    a_kernel_without_apparmor_is_named_in_the_message,
    every_way_of_asking_is_refused_the_same,
    load_fails_closed_before_running_anything,
    a_command_that_does_not_exist_is_still_a_refusal_not_127,
}
