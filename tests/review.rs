//! A hostile review of the one-process chain (issue 13): what a hostile
//! image, a hostile command or a careless caller could get from the engine.
//! Each test is one finding, written before its fix.

use sk_e2e::{cgroup_dirs_named, chain, words, Running};
use sk_testkit::{cmd, need_program, need_root, run, unique, Cleanup, Output, Rootfs};

/// sk-cgroup finds the hierarchies in /proc/self/mountinfo and
/// /proc/self/cgroup. After `sk-pivot --no-proc` those are files of the
/// image, which can name a directory of its own as the memory hierarchy:
/// the limit was written to a plain file, the "join" to another, and the
/// command ran with no limit and exit 0. After a pivot (or a join of a
/// running container's mount namespace) the hierarchies are the root's, so
/// sk-cgroup must stand before: refused up front.
fn a_cgroup_after_the_pivot_is_refused() {
    let test = "a_cgroup_after_the_pivot_is_refused";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let r = root.path();
    std::fs::create_dir_all(r.join("proc/self")).unwrap();
    std::fs::write(
        r.join("proc/self/mountinfo"),
        "30 1 0:26 / /fake rw,relatime - cgroup cgroup rw,memory\n",
    )
    .unwrap();
    std::fs::write(r.join("proc/self/cgroup"), "4:memory:/\n").unwrap();
    std::fs::create_dir_all(r.join("fake/web")).unwrap();
    for f in ["memory.limit_in_bytes", "cgroup.procs", "tasks"] {
        std::fs::write(r.join("fake/web").join(f), "").unwrap();
    }
    let out = run(&mut chain(&words(&format!(
        "sk-unshare -m sk-pivot --no-proc {} sk-cgroup --name web memory=10M /bin/echo ran",
        r.display()
    ))));
    assert!(!out.stdout.contains("ran"), "the command ran: {out:?}");
    out.expect_code(125).one_error_line("sk-cgroup: ");
    let written = std::fs::read_to_string(r.join("fake/web/memory.limit_in_bytes")).unwrap();
    assert_eq!(written, "", "the limit went to the image's file");

    // A mount namespace joined is the running container's: its /proc too.
    let name = unique("sk-review-join-");
    let _cleanup = Cleanup(|| {
        for d in cgroup_dirs_named(&name) {
            let _ = std::fs::remove_dir(d);
        }
    });
    let out = run(&mut chain(&words(&format!(
        "sk-unshare --join mnt=1 sk-cgroup --name {name} pids=10 /bin/echo ran"
    ))));
    assert!(!out.stdout.contains("ran"), "the command ran: {out:?}");
    out.expect_code(125).one_error_line("sk-cgroup: ");
    assert!(cgroup_dirs_named(&name).is_empty(), "a cgroup was made");
}

/// The chain is not dumpable until the command's exec. Rootless,
/// /proc/self/oom_score_adj of a non-dumpable process made before
/// sk-unshare -U belongs to the host's root, so sk-rlimit --oom-score-adj
/// failed fused and worked with SK_FUSE=0; it is now dumpable for that one
/// open, in both.
fn oom_score_adj_is_set_fused_and_unfused_rootless() {
    let test = "oom_score_adj_is_set_fused_and_unfused_rootless";
    if !need_root(test) || !need_program(test, "setpriv", "util-linux") {
        return;
    }
    let args = words(
        "setpriv --reuid=65534 --regid=65534 --clear-groups -- \
         sk-unshare -U -r -p sk-rlimit --oom-score-adj 500 cat /proc/self/oom_score_adj",
    );
    for fuse in ["0", "1"] {
        let out = run(chain(&args).env("SK_FUSE", fuse));
        out.success();
        assert_eq!(out.stdout, "500\n", "SK_FUSE={fuse}");
    }
}

fn sig_ign(out: &Output) -> String {
    out.stdout
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .unwrap_or_else(|| panic!("no SigIgn: {out:?}"))
        .trim()
        .to_string()
}

/// The Rust runtime ignores SIGPIPE before main; an execve keeps ignored
/// signals, so every command of a chain started with SIGPIPE ignored
/// (`sk-env yes | head -1` never ends by SIGPIPE). The command must get
/// SIGPIPE as the caller left it: default, or ignored if the caller
/// ignored it. Fused and with a real exec between the links.
fn sigpipe_reaches_the_command_as_the_caller_left_it() {
    let test = "sigpipe_reaches_the_command_as_the_caller_left_it";
    let probe = "grep SigIgn /proc/self/status";
    let direct = run(cmd("sh").args(["-c", probe]));
    let ignoring = run(cmd("sh").args(["-c", &format!("trap '' PIPE; sh -c '{probe}'")]));
    assert_ne!(sig_ign(&direct), sig_ign(&ignoring), "{test}: trap '' PIPE");
    for fuse in ["1", "0"] {
        let out = run(cmd("sk-env")
            .args(["sk-rlimit", "nofile=1024", "sh", "-c", probe])
            .env("SK_FUSE", fuse));
        assert_eq!(sig_ign(&out), sig_ign(&direct), "SK_FUSE={fuse}");
        let out = run(cmd("sh")
            .args([
                "-c",
                &format!("trap '' PIPE; exec sk-env sk-rlimit nofile=1024 sh -c '{probe}'"),
            ])
            .env("SK_FUSE", fuse));
        assert_eq!(sig_ign(&out), sig_ign(&ignoring), "SK_FUSE={fuse}, ignored");
    }
}

/// Two notify supervisors cannot both take a listener (the kernel says
/// EBUSY to the second): the chain failed late, after its namespaces, with
/// two error lines (the chain's and the supervisor's). An ordering that
/// cannot work fails up front, one line.
fn two_supervisors_are_refused_up_front() {
    let test = "two_supervisors_are_refused_up_front";
    if !need_root(test) {
        return;
    }
    let out = run(&mut chain(&words(
        "sk-seccomp --notify mkdir sk-unshare -m sk-seccomp --notify mknod /bin/echo ran",
    )));
    assert!(!out.stdout.contains("ran"), "the command ran: {out:?}");
    out.expect_code(125).one_error_line("sk-seccomp: ");
}

/// An error found inside the root after a link that forks (a pid
/// namespace's parent stays) must still undo an earlier sk-cgroup's group:
/// the parent relayed the child's 125 and exited, and the group stayed.
fn an_error_below_a_fork_leaves_no_cgroup() {
    let test = "an_error_below_a_fork_leaves_no_cgroup";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let name = unique("sk-review-fork-");
    let _cleanup = Cleanup(|| {
        for d in cgroup_dirs_named(&name) {
            let _ = std::fs::remove_dir(d);
        }
    });
    let out = run(&mut chain(&words(&format!(
        "sk-cgroup --name {name} pids=10 sk-unshare -mp sk-pivot --chdir /not/here {} /bin/true",
        root.path().display()
    ))));
    out.expect_code(125).one_error_line("/not/here");
    assert!(cgroup_dirs_named(&name).is_empty(), "the cgroup stayed");
}

/// SK_FUSE=0 is read from the environment, and `sk-env -i` (in the
/// README's recommended chain, right after sk-pivot) clears it: every link
/// after the second one was fused again, so the fused/unfused comparison
/// compared fused with fused for most of those chains.
fn sk_fuse_0_holds_after_sk_env_clears_the_environment() {
    let out = run(cmd("sk-env")
        .args([
            "-i",
            "sk-capdrop",
            "sys_time",
            "sk-rlimit",
            "-v",
            "nofile=100",
        ])
        .args(["sk-env", "-v", "/bin/sh", "-c", "echo ${SK_FUSE:-unset}"])
        .env("SK_FUSE", "0"));
    out.success();
    assert!(
        out.stderr.contains("link 3 of 4, by exec (SK_FUSE=0)")
            && out.stderr.contains("link 4 of 4, by exec (SK_FUSE=0)"),
        "{}",
        out.stderr
    );
    // The engine's own switch never reaches the command.
    assert_eq!(out.stdout, "unset\n");
}

/// `sk-landlock --follow-symlinks` followed magic links too: an image's
/// `/data -> /proc/self/fd/3` made a rule on whatever the engine held open
/// at fd 3 (its own binary, the caller's /proc, a cgroup directory of the
/// host), not on a file of the root. Links are followed inside the root,
/// magic links never.
fn landlock_follows_no_magic_link_of_the_image() {
    let test = "landlock_follows_no_magic_link_of_the_image";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    std::os::unix::fs::symlink("/proc/self/fd/3", root.path().join("data")).unwrap();
    let out = run(&mut chain(&words(&format!(
        "sk-unshare -mp sk-pivot {} sk-landlock --follow-symlinks --ro /data --ro / /bin/echo ran",
        root.path().display()
    ))));
    assert!(!out.stdout.contains("ran"), "the command ran: {out:?}");
    out.expect_code(125).one_error_line("/data");
}

/// Each sk-seccomp link built its filter (a memfd for the BPF program, the
/// --dump file, no_new_privs) just before loading it, after the filters of
/// the earlier links were loaded: an earlier filter judged a later link's
/// own work, and a filter that denies memfd_create or prctl to the command
/// broke the chain (125). Every filter is built before the first is loaded.
fn an_earlier_filter_never_judges_a_later_link_s_build() {
    let test = "an_earlier_filter_never_judges_a_later_link_s_build";
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("dump");
    for first in ["EPERM:memfd_create", "EPERM:prctl"] {
        let out = run(cmd("sk-seccomp")
            .args(["--errno", first, "sk-seccomp", "--dump"])
            .arg(&dump)
            .args(["--errno", "EPERM:mkdir,mkdirat", "/bin/sh", "-c"])
            .arg(format!(
                "mkdir {}/made || echo denied",
                dir.path().display()
            )));
        out.success();
        assert_eq!(out.stdout, "denied\n", "{test}: {first}");
        assert!(std::fs::metadata(&dump).unwrap().len() > 0, "no dump");
    }
}

/// The fds the chain opened for itself are close-on-exec, so the command
/// never holds them; but the kernel closes them only once the new program
/// is committed, after it has resolved the command's path. An image whose
/// command is a link to /proc/self/fd/N/../.. walked from a directory of
/// the chain (here the host's cgroup directory that sk-cgroup keeps open
/// to undo itself, in the host's mount namespace) and executed a program of
/// the host inside the joined container. Every fd of the chain is closed
/// (or made harmless) before the command's execve.
fn the_command_s_path_never_walks_from_an_engine_fd() {
    let test = "the_command_s_path_never_walks_from_an_engine_fd";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let args = words(&format!(
        "sk-unshare -mp sk-pivot {} /bin/sleep 60",
        root.path().display()
    ));
    let container = Running::start(&args);
    let pid = &container.pid;
    let name = unique("sk-review-fd-");
    let _cleanup = Cleanup(|| {
        for d in cgroup_dirs_named(&name) {
            let _ = std::fs::remove_dir(d);
        }
    });
    // A static program of the host that the image does not have.
    let host = sk_testkit::bin("sk-env");
    let up = "../".repeat(30);
    for n in 3..16 {
        let link = root.path().join("bin/x");
        let _ = std::fs::remove_file(&link);
        let target = format!("/proc/self/fd/{n}/{up}{}", host.display());
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let out = run(&mut chain(&words(&format!(
            "sk-cgroup --name {name} pids=50 sk-unshare --join mnt={pid} --join pid={pid} \
             /bin/x --version"
        ))));
        assert!(
            !out.stdout.contains("sk-env"),
            "the host's program ran in the container through fd {n}: {out:?}"
        );
    }
    drop(container);
}

/// A command missing in the new root (127) is an error found inside the
/// root like a missing --chdir: what the chain made before is undone, also
/// below a staying parent, and the status stays 127.
fn a_command_missing_in_the_root_leaves_no_cgroup() {
    let test = "a_command_missing_in_the_root_leaves_no_cgroup";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let name = unique("sk-review-127-");
    let _cleanup = Cleanup(|| {
        for d in cgroup_dirs_named(&name) {
            let _ = std::fs::remove_dir(d);
        }
    });
    for chain_line in [
        format!("sk-unshare -m sk-cgroup --name {name} pids=10 sk-pivot"),
        format!("sk-cgroup --name {name} pids=10 sk-unshare -mp sk-pivot"),
    ] {
        let out = run(&mut chain(&words(&format!(
            "{chain_line} {} /no/such/command",
            root.path().display()
        ))));
        out.expect_code(127).one_error_line("/no/such/command");
        assert!(
            cgroup_dirs_named(&name).is_empty(),
            "the cgroup stayed: {chain_line}"
        );
    }
}

/// With a real exec between two links (SK_FUSE=0, or where an exec would
/// change the capability sets) the step that made the cgroup has no frame
/// left to undo it when a later link fails: the group stayed. It is now
/// written down for the processes after the exec.
fn an_error_after_a_real_exec_leaves_no_cgroup() {
    let test = "an_error_after_a_real_exec_leaves_no_cgroup";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let name = unique("sk-review-exec-");
    let _cleanup = Cleanup(|| {
        for d in cgroup_dirs_named(&name) {
            let _ = std::fs::remove_dir(d);
        }
    });
    let r = root.path().display();
    for (line, code, needle) in [
        (
            format!("sk-unshare -m sk-cgroup --name {name} pids=10 sk-pivot --chdir /not/here {r} /bin/true"),
            125,
            "/not/here",
        ),
        (
            format!("sk-unshare -m sk-cgroup --name {name} pids=10 sk-pivot {r} /no/such/command"),
            127,
            "/no/such/command",
        ),
    ] {
        let out = run(chain(&words(&line)).env("SK_FUSE", "0"));
        out.expect_code(code).one_error_line(needle);
        assert!(cgroup_dirs_named(&name).is_empty(), "the cgroup stayed: {line}");
    }
}

/// Each fused link is a few stack frames deeper, and reading a chain
/// copies the rest of the words for each link: a chain of 20000 links
/// (sk-env sk-env ...) took minutes to read (debug build), then overflowed
/// the stack and aborted with two lines and status 134. A chain has a
/// bounded number of links (far more than any chain needs): 125, one line.
fn a_chain_of_too_many_links_fails_in_one_line() {
    let mut c = cmd("sk-env");
    c.args(std::iter::repeat_n("sk-env", 2000))
        .args(["/bin/echo", "ran"]);
    let out = run(&mut c);
    assert!(!out.stdout.contains("ran"), "the command ran");
    out.expect_code(125).one_error_line("links");
}

/// The last process loads the supervised filter, then waits for the
/// supervisor's byte (it holds the listener) before its execve; a failed
/// read was taken as that byte. When an earlier link's filter refuses
/// read, the execve could come before the supervisor took the listener:
/// the listener went with the exec, and the notified calls failed with
/// ENOSYS instead of the supervisor's answer (about 1 run in 4 here), while
/// the supervisor went on looking for a listener at that fd number in the
/// command. The hand-over waits for the byte whatever the read says.
fn the_listener_is_handed_over_when_an_earlier_filter_refuses_read() {
    let test = "the_listener_is_handed_over_when_an_earlier_filter_refuses_read";
    if !std::path::Path::new("/bin/busybox").exists() {
        sk_testkit::skip(test, "/bin/busybox is not installed (busybox-static)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("made");
    for _ in 0..30 {
        let out = run(cmd("sk-seccomp")
            .args([
                "--errno",
                "EPERM:read",
                "sk-seccomp",
                "--notify",
                "mkdir,mkdirat",
            ])
            .args(["/bin/busybox", "mkdir"])
            .arg(&target));
        assert!(
            out.stderr.contains("Operation not permitted"),
            "not the supervisor's answer: {out:?}"
        );
        assert!(!target.exists());
    }
}

sk_testkit::tests! {
    a_cgroup_after_the_pivot_is_refused,
    oom_score_adj_is_set_fused_and_unfused_rootless,
    sigpipe_reaches_the_command_as_the_caller_left_it,
    two_supervisors_are_refused_up_front,
    an_error_below_a_fork_leaves_no_cgroup,
    sk_fuse_0_holds_after_sk_env_clears_the_environment,
    landlock_follows_no_magic_link_of_the_image,
    an_earlier_filter_never_judges_a_later_link_s_build,
    the_command_s_path_never_walks_from_an_engine_fd,
    a_command_missing_in_the_root_leaves_no_cgroup,
    an_error_after_a_real_exec_leaves_no_cgroup,
    a_chain_of_too_many_links_fails_in_one_line,
    the_listener_is_handed_over_when_an_earlier_filter_refuses_read,
}
