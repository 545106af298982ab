//! Acceptance 6: bad input exits 125 with one line that names the path,
//! and the command is never run.

mod common;

use common::{rootfs, Marker};
use sk_testkit::{run, sk, unique, Output};

/// `sk-unshare -mp sk-pivot OPTS NEWROOT touch MARKER`.
fn attempt(opts: &[&str], newroot: &str, marker: &Marker) -> Output {
    run(sk("sk-unshare")
        .args(["-mp", "sk-pivot"])
        .args(opts)
        .arg(newroot)
        .args(marker.command()))
}

fn a_missing_newroot_is_refused_by_name() {
    let Some(root) = rootfs("a_missing_newroot_is_refused_by_name") else {
        return;
    };
    let marker = Marker::new(root.path());
    let missing = format!("/tmp/{}", unique("no-such-root-"));
    attempt(&[], &missing, &marker)
        .expect_code(125)
        .one_error_line(&format!(
            "cannot use {missing} as the new root: No such file or directory"
        ));
    marker.assert_absent();
}

fn a_newroot_that_is_a_file_is_refused_by_name() {
    let Some(root) = rootfs("a_newroot_that_is_a_file_is_refused_by_name") else {
        return;
    };
    let marker = Marker::new(root.path());
    let file = root.path().join("etc/hosts");
    let file = file.to_str().unwrap();
    attempt(&[], file, &marker)
        .expect_code(125)
        .one_error_line(&format!(
            "cannot use {file} as the new root: Not a directory"
        ));
    marker.assert_absent();
}

fn a_relative_newroot_that_does_not_exist_is_refused_by_name() {
    let Some(root) = rootfs("a_relative_newroot_that_does_not_exist_is_refused_by_name") else {
        return;
    };
    let marker = Marker::new(root.path());
    attempt(&[], "no/such/root", &marker)
        .expect_code(125)
        .one_error_line("cannot use no/such/root as the new root: No such file or directory");
    marker.assert_absent();
}

fn a_relative_newroot_that_exists_works() {
    let Some(root) = rootfs("a_relative_newroot_that_exists_works") else {
        return;
    };
    let parent = root.path().parent().unwrap();
    let name = root.path().file_name().unwrap();
    let out = run(sk("sk-unshare")
        .args(["-mp", "sk-pivot"])
        .arg(name)
        .args(["cat", "/etc/seckun-rootfs"])
        .current_dir(parent));
    out.success();
    assert_eq!(out.stdout, "this file is inside the container root\n");
}

fn the_current_root_is_refused_as_newroot() {
    let Some(root) = rootfs("the_current_root_is_refused_as_newroot") else {
        return;
    };
    let marker = Marker::new(root.path());
    attempt(&[], "/", &marker)
        .expect_code(125)
        .one_error_line("cannot use / as the new root: it is the current root");
    marker.assert_absent();
}

fn a_bind_with_a_missing_source_is_refused_by_name() {
    let Some(root) = rootfs("a_bind_with_a_missing_source_is_refused_by_name") else {
        return;
    };
    let marker = Marker::new(root.path());
    for opt in ["--bind", "--ro-bind"] {
        attempt(
            &[opt, "/no/such/source:/data"],
            root.path().to_str().unwrap(),
            &marker,
        )
        .expect_code(125)
        .one_error_line("cannot bind /no/such/source: No such file or directory");
        marker.assert_absent();
    }
}

fn malformed_mount_specs_are_usage_errors() {
    let Some(root) = rootfs("malformed_mount_specs_are_usage_errors") else {
        return;
    };
    let marker = Marker::new(root.path());
    let newroot = root.path().to_str().unwrap();
    for (opt, spec) in [
        ("--bind", "/a:/b:/c"),
        ("--bind", "/a:relative"),
        ("--bind", ":/b"),
        ("--bind", "/a:"),
        ("--ro-bind", "/a:/"),
        ("--tmpfs", "/t:size=lots"),
        ("--tmpfs", "/t:uid=0"),
        ("--mask", "proc/kcore"),
    ] {
        let out = attempt(&[opt, spec], newroot, &marker);
        out.expect_code(125).one_error_line(spec);
        assert!(out.stderr.starts_with("sk-pivot: "), "{}", out.stderr);
        marker.assert_absent();
    }
}

fn a_missing_chdir_target_is_refused_after_the_pivot_without_running_the_command() {
    let Some(root) =
        rootfs("a_missing_chdir_target_is_refused_after_the_pivot_without_running_the_command")
    else {
        return;
    };
    let marker = Marker::new(root.path());
    attempt(
        &["--chdir", "/no/such/dir"],
        root.path().to_str().unwrap(),
        &marker,
    )
    .expect_code(125)
    .one_error_line("cannot chdir to /no/such/dir: No such file or directory");
    marker.assert_absent();
}

fn a_file_bound_on_a_directory_is_refused_by_name() {
    let Some(root) = rootfs("a_file_bound_on_a_directory_is_refused_by_name") else {
        return;
    };
    let marker = Marker::new(root.path());
    let out = attempt(
        &["--bind", "/etc/hostname:/etc"],
        root.path().to_str().unwrap(),
        &marker,
    );
    out.expect_code(125)
        .one_error_line(&format!("{}/etc", root.path().display()));
    marker.assert_absent();
}

sk_testkit::tests! {
    a_missing_newroot_is_refused_by_name: userns,
    a_newroot_that_is_a_file_is_refused_by_name: userns,
    a_relative_newroot_that_does_not_exist_is_refused_by_name: userns,
    a_relative_newroot_that_exists_works: userns,
    the_current_root_is_refused_as_newroot: userns,
    a_bind_with_a_missing_source_is_refused_by_name: userns,
    malformed_mount_specs_are_usage_errors: userns,
    a_missing_chdir_target_is_refused_after_the_pivot_without_running_the_command: userns,
    a_file_bound_on_a_directory_is_refused_by_name: userns,
}
