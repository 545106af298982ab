//! Acceptance 5 to 7: --rm leaves nothing, bad input leaves nothing and
//! runs nothing, default names never collide.

mod common;

use sk_testkit::{need_root, run, sk, unique, Cleanup};

fn rm_removes_the_group_after_the_command() {
    if !need_root("rm_removes_the_group_after_the_command") {
        return;
    }
    // $PPID is the sk-cgroup parent, whose pid names the group.
    let out = run(sk("sk-cgroup").args([
        "--rm",
        "pids=10",
        "memory=64M",
        "sh",
        "-c",
        "echo $PPID; cat /proc/self/cgroup",
    ]));
    out.success();
    let group = format!("sk-{}", out.stdout.lines().next().unwrap());
    let _c = Cleanup(|| common::remove_group(&group));
    assert!(
        out.stdout.contains(&format!("/{group}\n")),
        "the command was not in {group}:\n{}",
        out.stdout
    );
    assert!(common::groups_named(&group).is_empty(), "--rm left {group}");
}

fn rm_removes_the_group_when_the_command_is_killed_by_sigkill() {
    let Some((group, _c)) =
        common::root_group("rm_removes_the_group_when_the_command_is_killed_by_sigkill")
    else {
        return;
    };
    run(sk("sk-cgroup").args([
        "--rm",
        "--name",
        &group,
        "pids=10",
        "sh",
        "-c",
        "kill -9 $$",
    ]))
    .expect_code(137);
    assert!(common::groups_named(&group).is_empty(), "--rm left {group}");
}

fn rm_kills_what_the_command_left_running_in_the_group() {
    let Some((group, _c)) =
        common::root_group("rm_kills_what_the_command_left_running_in_the_group")
    else {
        return;
    };
    let marker = format!("SK_DAEMON={group}");
    // The "daemon" keeps no pipe open, so the chain's end is not held up.
    let out = run(sk("sk-cgroup").env("SK_DAEMON", &group).args([
        "--rm",
        "--name",
        &group,
        "pids=10",
        "sh",
        "-c",
        "sleep 1000 </dev/null >/dev/null 2>&1 & exit 3",
    ]));
    out.expect_code(3);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert_eq!(
        common::processes_with_env(&marker),
        Vec::<i32>::new(),
        "the daemon survived"
    );
    assert!(common::groups_named(&group).is_empty());
}

fn rm_forwards_sigterm_to_the_command_and_still_removes_the_group() {
    let Some((group, _c)) =
        common::root_group("rm_forwards_sigterm_to_the_command_and_still_removes_the_group")
    else {
        return;
    };
    use std::io::{BufRead, BufReader};
    let mut child = sk("sk-cgroup")
        .args(["--rm", "--name", &group, "pids=10", "sh", "-c"])
        .arg("trap 'exit 7' TERM; echo ready; while :; do sleep 0.05; done")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "ready\n");
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(7));
    assert!(common::groups_named(&group).is_empty());
}

fn without_rm_the_group_remains_and_v_names_it() {
    let Some((group, _c)) = common::root_group("without_rm_the_group_remains_and_v_names_it")
    else {
        return;
    };
    let out = run(sk("sk-cgroup").args(["-v", "--name", &group, "pids=10", "true"]));
    out.success();
    let dir = common::mount_for("pids").unwrap().group(&group);
    assert!(dir.is_dir());
    let line = format!(
        "sk-cgroup: cgroup {} stays after the command (no --rm)",
        dir.display()
    );
    assert!(
        out.stderr.lines().any(|l| l == line),
        "-v does not name it:\n{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "-v wrote on stdout: {}", out.stdout);
    assert_eq!(
        common::read(&dir, "cgroup.procs"),
        "",
        "the group is not empty afterwards"
    );
}

fn a_named_group_that_exists_is_reused_and_not_removed() {
    let Some((group, _c)) =
        common::root_group("a_named_group_that_exists_is_reused_and_not_removed")
    else {
        return;
    };
    run(sk("sk-cgroup").args(["--name", &group, "pids=10", "true"])).success();
    run(sk("sk-cgroup").args(["--rm", "--name", &group, "pids=20", "true"])).success();
    let dir = common::mount_for("pids").unwrap().group(&group);
    assert_eq!(common::read(&dir, "pids.max"), "20");
}

/// Runs a chain that must fail in the step: 125, one line naming `needle`,
/// the command not run, no group named `group` left.
fn refused(args: &[&str], group: &str, needle: &str) {
    let (_dir, marker) = common::marker();
    let out = run(sk("sk-cgroup").args(args).arg("touch").arg(&marker));
    out.expect_code(125).one_error_line(needle);
    assert!(out.stderr.starts_with("sk-cgroup: "), "{}", out.stderr);
    assert!(!marker.exists(), "{args:?}: the command ran");
    assert!(
        common::groups_named(group).is_empty(),
        "{args:?}: left a group behind"
    );
}

fn bad_limits_and_names_exit_125_without_running_anything() {
    let group = unique("skt-b");
    for (word, needle) in [
        ("cpu=abc", "invalid cpu=abc"),
        ("cpu=-1", "invalid cpu=-1"),
        ("memory=12Q", "invalid memory=12Q"),
        ("pids=-5", "invalid pids=-5"),
        ("unknown=1", "unknown limit 'unknown'"),
    ] {
        refused(&["--name", &group, word], &group, needle);
    }
    refused(
        &["--name", "../../x", "pids=1"],
        &group,
        "invalid --name '../../x'",
    );
    refused(
        &["--parent", "/../..", "pids=1"],
        &group,
        "invalid --parent",
    );
}

fn a_missing_controller_is_named_with_the_available_ones() {
    let Some((group, _c)) =
        common::root_group("a_missing_controller_is_named_with_the_available_ones")
    else {
        return;
    };
    refused(
        &["--name", &group, "pids=10", "nosuchctl.max=1"],
        &group,
        "nosuchctl.max=1: no cgroup hierarchy here offers the nosuchctl controller (available: ",
    );
}

fn a_write_the_kernel_refuses_removes_every_group_made_before_it() {
    let Some((group, _c)) =
        common::root_group("a_write_the_kernel_refuses_removes_every_group_made_before_it")
    else {
        return;
    };
    // memory is made and written first, then the kernel refuses -5 for
    // pids.max: both groups must be gone again.
    refused(
        &["--name", &group, "memory=64M", "pids.max=-5"],
        &group,
        "cannot set pids.max=-5 (write -5 to ",
    );
}

fn a_read_only_cgroup_mount_exits_125_without_running_anything() {
    let name = "a_read_only_cgroup_mount_exits_125_without_running_anything";
    let Some((group, _c)) = common::root_group(name) else {
        return;
    };
    let pids = common::mount_for("pids").unwrap();
    let (_dir, marker) = common::marker();
    // Read-only in a mount namespace of its own: the host's mount stays rw.
    let out = run(sk("sk-unshare")
        .args(["-m", "sh", "-c"])
        .arg("mount -o remount,bind,ro \"$1\" && exec sk-cgroup --name \"$2\" pids=10 touch \"$3\"")
        .arg("sh")
        .arg(&pids.dir)
        .arg(&group)
        .arg(&marker));
    out.expect_code(125)
        .one_error_line("cannot create cgroup ")
        .one_error_line("Read-only file system");
    assert!(!marker.exists());
    assert!(common::groups_named(&group).is_empty());
}

fn two_chains_started_together_with_default_names_never_collide() {
    if !need_root("two_chains_started_together_with_default_names_never_collide") {
        return;
    }
    let chain = || {
        std::thread::spawn(|| {
            // Each holds its group while the other starts.
            run(sk("sk-cgroup").args([
                "pids=10",
                "sh",
                "-c",
                "echo $$; cat /proc/self/cgroup; sleep 1",
            ]))
        })
    };
    let (a, b) = (chain(), chain());
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    let groups: Vec<String> = [&a, &b]
        .iter()
        .map(|o| format!("sk-{}", o.stdout.lines().next().unwrap_or("?")))
        .collect();
    let _c = Cleanup(|| groups.iter().for_each(|g| common::remove_group(g)));
    a.success();
    b.success();
    assert_ne!(groups[0], groups[1]);
    for (o, g) in [(&a, &groups[0]), (&b, &groups[1])] {
        assert!(o.stdout.contains(&format!("/{g}\n")), "{}", o.stdout);
    }
}

fn two_chains_in_pid_namespaces_of_their_own_never_collide() {
    if !need_root("two_chains_in_pid_namespaces_of_their_own_never_collide") {
        return;
    }
    // There both sk-cgroup processes are PID 1: sk-1 would be made twice.
    let chain = || {
        std::thread::spawn(|| {
            run(sk("sk-unshare")
                .args(["-p", "sk-cgroup", "--rm", "pids=10", "sh", "-c"])
                .arg("grep -E '^[0-9]+:(pids:|:)' /proc/self/cgroup | grep /sk-; sleep 1"))
        })
    };
    let (a, b) = (chain(), chain());
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    a.success();
    b.success();
    assert!(a.stdout.contains("/sk-1-"), "{}", a.stdout);
    assert_ne!(a.stdout, b.stdout);
}

fn rm_works_under_a_parent_that_exists_only_where_the_limits_are() {
    let name = "rm_works_under_a_parent_that_exists_only_where_the_limits_are";
    let Some((parent, _c)) = common::root_group(name) else {
        return;
    };
    // As cgcreate -g pids:PARENT makes it: in the pids hierarchy alone, not
    // in freezer or cpuacct, which sk-cgroup joins for its own sake.
    let pids = common::mount_for("pids").unwrap();
    let top = pids.dir.join(&parent);
    std::fs::create_dir(&top).unwrap();
    let _t = Cleanup(|| {
        let _ = std::fs::remove_dir(&top);
    });
    let out = run(sk("sk-cgroup")
        .args(["--rm", "--parent", &format!("/{parent}"), "--name", "job"])
        .args(["pids=10", "sh", "-c", "cat /proc/self/cgroup"]));
    out.success();
    assert!(
        out.stdout.contains(&format!("/{parent}/job\n")),
        "{}",
        out.stdout
    );
    assert!(!top.join("job").exists(), "--rm left the group");
}

/// Runs sk-cgroup from a shell that first makes the group its default name
/// will have (the shell's $$ is sk-cgroup's PID after exec), with `setup`
/// run inside that group directory; the output, and the group's name.
fn over_a_leftover(
    parent: &std::path::Path,
    setup: &str,
    marker: &std::path::Path,
) -> (sk_testkit::Output, String) {
    let out = run(sk_testkit::cmd("sh").args(["-c"]).arg(format!(
        "echo $$; cd \"$1\" && mkdir sk-$$ && (cd sk-$$ && {setup}) && exec sk-cgroup -v pids=10 touch \"$2\""
    )).arg("sh").arg(parent).arg(marker));
    let group = format!("sk-{}", out.stdout.lines().next().unwrap_or("?"));
    (out, group)
}

fn an_empty_leftover_of_the_default_name_is_made_anew() {
    let Some((_, _c)) = common::root_group("an_empty_leftover_of_the_default_name_is_made_anew")
    else {
        return;
    };
    let parent = common::mount_for("pids").unwrap().group("");
    let (_dir, marker) = common::marker();
    let (out, group) = over_a_leftover(&parent, "echo 7 > pids.max", &marker);
    let _g = Cleanup(|| common::remove_group(&group));
    out.success();
    assert!(marker.exists());
    assert!(
        out.stderr.contains("left by an earlier run"),
        "{}",
        out.stderr
    );
    assert_eq!(common::read(&parent.join(&group), "pids.max"), "10");
}

fn a_leftover_of_the_default_name_still_in_use_is_refused_and_kept() {
    let name = "a_leftover_of_the_default_name_still_in_use_is_refused_and_kept";
    let Some((_, _c)) = common::root_group(name) else {
        return;
    };
    let parent = common::mount_for("pids").unwrap().group("");
    let (_dir, marker) = common::marker();
    let mut sleeper = std::process::Command::new("sleep")
        .arg("1000")
        .spawn()
        .unwrap();
    let sleeper_pid = sleeper.id();
    let _s = Cleanup(move || {
        let _ = sleeper.kill();
        let _ = sleeper.wait();
    });
    let (out, group) = over_a_leftover(
        &parent,
        &format!("echo {sleeper_pid} > cgroup.procs"),
        &marker,
    );
    let _g = Cleanup(|| common::remove_group(&group));
    out.expect_code(125).one_error_line("still in use");
    assert!(!marker.exists(), "the command ran");
    assert_eq!(
        common::read(&parent.join(&group), "cgroup.procs"),
        sleeper_pid.to_string()
    );
}

fn the_headline_chain_runs_twice_in_a_row_without_rm() {
    let name = "the_headline_chain_runs_twice_in_a_row_without_rm";
    let Some((_, _c)) = common::root_group(name) else {
        return;
    };
    // Each sk-cgroup is PID 1 of a pid namespace, and the kernel is apt to
    // give the second namespace the first one's inode: the same default
    // name, whose group the first run left behind.
    let chain = || {
        let out = run(sk("sk-unshare").args(["-p", "sk-cgroup", "cpu=20000", "sh", "-c"]).arg(
            "sed -n 's/^[0-9]*:cpu[^:]*:.*\\/\\(sk-[0-9-]*\\)$/\\1/p;s/^0::.*\\/\\(sk-[0-9-]*\\)$/\\1/p' /proc/self/cgroup | head -n 1",
        ));
        let group = out.stdout.trim().to_string();
        (out, group)
    };
    let (first, g1) = chain();
    let _g1 = Cleanup(|| common::remove_group(&g1));
    first.success();
    let (second, g2) = chain();
    let _g2 = Cleanup(|| common::remove_group(&g2));
    second.success();
    assert!(
        g1.starts_with("sk-1-") && g2.starts_with("sk-1-"),
        "{g1} {g2}"
    );
}

fn rm_removes_the_group_after_a_later_step_pivots_the_root_away() {
    let name = "rm_removes_the_group_after_a_later_step_pivots_the_root_away";
    let Some((group, _c)) = common::root_group(name) else {
        return;
    };
    let Some(rootfs) = sk_testkit::Rootfs::busybox(name) else {
        return;
    };
    // sk-pivot pivots the root of the mount namespace that the staying
    // sk-cgroup parent shares, and detaches the old one: /sys/fs/cgroup is
    // then out of the parent's reach, and only its descriptors remain.
    let out = run(sk("sk-unshare")
        .args([
            "-m",
            "sk-cgroup",
            "--rm",
            "--name",
            &group,
            "pids=10",
            "sk-pivot",
        ])
        .arg(rootfs.path())
        .args(["/bin/sh", "-c", "cat /proc/self/cgroup"]));
    out.success();
    assert!(
        out.stdout.contains(&format!("/{group}\n")),
        "{}",
        out.stdout
    );
    assert!(
        common::groups_named(&group).is_empty(),
        "--rm left the group after the pivot"
    );
}

fn without_limits_the_command_still_gets_a_group_of_its_own() {
    if !need_root("without_limits_the_command_still_gets_a_group_of_its_own") {
        return;
    }
    // The v2 hierarchy where there is one (hybrid too), every v1 one else.
    let out = run(sk("sk-cgroup").args(["--rm", "sh", "-c", "echo $PPID; cat /proc/self/cgroup"]));
    out.success();
    let group = format!("sk-{}", out.stdout.lines().next().unwrap());
    let _c = Cleanup(|| common::remove_group(&group));
    assert!(
        out.stdout.contains(&format!("/{group}\n")),
        "{}",
        out.stdout
    );
    assert!(common::groups_named(&group).is_empty());
}

sk_testkit::tests! {
    rm_removes_the_group_after_the_command,
    rm_removes_the_group_when_the_command_is_killed_by_sigkill,
    rm_kills_what_the_command_left_running_in_the_group,
    rm_forwards_sigterm_to_the_command_and_still_removes_the_group,
    without_rm_the_group_remains_and_v_names_it,
    a_named_group_that_exists_is_reused_and_not_removed,
    bad_limits_and_names_exit_125_without_running_anything,
    a_missing_controller_is_named_with_the_available_ones: userns,
    a_write_the_kernel_refuses_removes_every_group_made_before_it,
    a_read_only_cgroup_mount_exits_125_without_running_anything: userns,
    two_chains_started_together_with_default_names_never_collide,
    two_chains_in_pid_namespaces_of_their_own_never_collide,
    rm_works_under_a_parent_that_exists_only_where_the_limits_are,
    an_empty_leftover_of_the_default_name_is_made_anew,
    a_leftover_of_the_default_name_still_in_use_is_refused_and_kept,
    the_headline_chain_runs_twice_in_a_row_without_rm,
    rm_removes_the_group_after_a_later_step_pivots_the_root_away,
    without_limits_the_command_still_gets_a_group_of_its_own,
}
