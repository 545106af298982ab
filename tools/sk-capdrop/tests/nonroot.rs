//! Acceptance 7 and the non-root cases: sk-capdrop as root of a user
//! namespace made by an unprivileged user, and as a user without
//! capabilities, where only no_new_privs can stand in for the bounding set.

mod common;

use common::*;
use sk_testkit::{bin, cmd, need_program, need_root, run};

/// `setpriv ... sk-unshare -U -r sk-capdrop ARGS... cat /proc/self/status`:
/// an unprivileged user becomes root of a new user namespace, then drops.
fn in_user_namespace_as_nobody(args: &[&str]) -> sk_testkit::Output {
    run(cmd("setpriv")
        .args(&AS_NOBODY[1..])
        .arg(bin("sk-unshare"))
        .args(["-U", "-r", "sk-capdrop"])
        .args(args))
}

fn need_setpriv(test: &str) -> bool {
    need_root(test) && need_program(test, "setpriv", "util-linux")
}

fn an_unprivileged_user_drops_inside_its_user_namespace() {
    let name = "an_unprivileged_user_drops_inside_its_user_namespace";
    if !need_setpriv(name) {
        return;
    }
    let full = status_of(&in_user_namespace_as_nobody(&[
        "--keep",
        "all",
        "cat",
        "/proc/self/status",
    ]));
    assert_eq!(full.uid, (0, 0));
    assert_ne!(
        full.bnd & SYS_TIME,
        0,
        "a new user namespace starts with every capability"
    );
    let st = status_of(&in_user_namespace_as_nobody(&[
        "sys_time",
        "cat",
        "/proc/self/status",
    ]));
    st.lacks_everywhere(SYS_TIME);
    assert_eq!(st.bnd, full.bnd & !SYS_TIME);
    let st = status_of(&in_user_namespace_as_nobody(&[
        "--keep",
        "net_bind_service",
        "cat",
        "/proc/self/status",
    ]));
    assert_eq!(
        (st.bnd, st.prm, st.eff),
        (NET_BIND_SERVICE, NET_BIND_SERVICE, NET_BIND_SERVICE)
    );
}

fn chroot_fails_inside_a_user_namespace_after_sys_chroot_is_dropped() {
    let name = "chroot_fails_inside_a_user_namespace_after_sys_chroot_is_dropped";
    if !need_setpriv(name) {
        return;
    }
    // Root of the namespace may chroot; the drop is what stops it.
    in_user_namespace_as_nobody(&["sys_time", "chroot", "/", "true"]).success();
    let out = in_user_namespace_as_nobody(&["sys_chroot", "chroot", "/", "true"]);
    assert_ne!(out.code(), 0);
    assert!(out.stderr.contains("Operation not permitted"), "{out:?}");
}

fn without_setpcap_no_new_privs_stands_in_for_the_bounding_set() {
    let name = "without_setpcap_no_new_privs_stands_in_for_the_bounding_set";
    if !need_setpriv(name) || !need_program(name, "setcap", "libcap2-bin") {
        return;
    }
    let dir = open_tempdir();
    let cat = cat_with_file_caps(dir.path(), "cat-p", "cap_sys_time+p");
    // The file capability works for this user without sk-capdrop...
    let out = run(cmd("setpriv")
        .args(&AS_NOBODY[1..])
        .arg(&cat)
        .arg("/proc/self/status"));
    assert_eq!(status_of(&out).prm, SYS_TIME);
    // ... and not after it.
    let out = run(capdrop_as_nobody()
        .args(["-v", "--no-new-privs", "sys_time"])
        .arg(&cat)
        .arg("/proc/self/status"));
    let st = status_of(&out);
    assert!(st.no_new_privs);
    assert_eq!((st.prm, st.eff, st.inh, st.amb), (0, 0, 0, 0));
    assert!(
        out.stderr
            .contains("no_new_privs keeps cap_sys_time out of reach instead"),
        "{}",
        out.stderr
    );
}

fn a_setuid_root_binary_gives_nothing_under_no_new_privs() {
    let name = "a_setuid_root_binary_gives_nothing_under_no_new_privs";
    if !need_setpriv(name) {
        return;
    }
    let dir = open_tempdir();
    let cat = setuid_root_cat(dir.path());
    let out = run(capdrop_as_nobody()
        .args(["--no-new-privs", "all"])
        .arg(&cat)
        .arg("/proc/self/status"));
    let st = status_of(&out);
    assert_eq!(st.uid, (65534, 65534), "the setuid bit was honoured");
    assert_eq!((st.prm, st.eff, st.inh, st.amb), (0, 0, 0, 0));
}

fn a_non_root_command_gets_kept_capabilities_through_ambient() {
    let name = "a_non_root_command_gets_kept_capabilities_through_ambient";
    if !need_setpriv(name) {
        return;
    }
    // A user that was given two capabilities as ambient ones (as a service
    // manager does) keeps one of them for its command.
    let given = "+net_bind_service,+setpcap";
    let out = run(cmd("setpriv")
        .args(&AS_NOBODY[1..])
        .args(["--inh-caps", given, "--ambient-caps", given])
        .arg(bin("sk-capdrop"))
        .args([
            "--keep",
            "net_bind_service",
            "--ambient",
            "cat",
            "/proc/self/status",
        ]));
    let st = status_of(&out);
    assert_eq!(st.uid, (65534, 65534));
    assert_eq!(
        (st.prm, st.eff, st.inh, st.amb, st.bnd),
        (
            NET_BIND_SERVICE,
            NET_BIND_SERVICE,
            NET_BIND_SERVICE,
            NET_BIND_SERVICE,
            NET_BIND_SERVICE
        )
    );
    // Dropping the other one takes it out of the ambient set too.
    let out = run(cmd("setpriv")
        .args(&AS_NOBODY[1..])
        .args(["--inh-caps", given, "--ambient-caps", given])
        .arg(bin("sk-capdrop"))
        .args(["setpcap", "cat", "/proc/self/status"]));
    let st = status_of(&out);
    st.lacks_everywhere(SETPCAP);
    assert_eq!(st.amb, NET_BIND_SERVICE);
}

sk_testkit::tests! {
    an_unprivileged_user_drops_inside_its_user_namespace,
    chroot_fails_inside_a_user_namespace_after_sys_chroot_is_dropped,
    without_setpcap_no_new_privs_stands_in_for_the_bounding_set,
    a_setuid_root_binary_gives_nothing_under_no_new_privs,
    a_non_root_command_gets_kept_capabilities_through_ambient,
}
