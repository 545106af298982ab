//! What a real workload needs from a chain besides isolation: resource
//! limits (sk-rlimit), a clean environment and working directory (sk-env),
//! and the recommended chain's minimal environment. Issue 16's acceptance.

use sk_e2e::{debian_root, recommended, words};
use sk_testkit::{c_program, cmd, need_root, only_own_fds, run, sk, Rootfs};

fn workload(test: &str) -> Option<std::path::PathBuf> {
    c_program(test, "workload")
}

fn nproc_stops_a_fork_storm_in_a_rootless_chain() {
    let test = "nproc_stops_a_fork_storm_in_a_rootless_chain";
    if !need_root(test) {
        return;
    }
    let Some(prog) = workload(test) else { return };
    // An unprivileged user makes the user namespace: real root would be
    // exempt from RLIMIT_NPROC (uid 0 of the initial user namespace).
    let chain = |limit: &[&str]| {
        let mut c = sk("sk-user");
        c.args(["61234:61234", "sk-unshare", "-U", "-r"]);
        if !limit.is_empty() {
            c.arg("sk-rlimit").args(limit);
        }
        c.arg(&prog).args(["forkstorm", "100"]);
        run(&mut c)
    };
    let out = chain(&["nproc=20"]);
    out.success();
    let line = out.stdout.trim();
    let forked: u32 = line
        .strip_prefix("forked ")
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(forked < 20, "{line}");
    assert!(line.contains("Resource temporarily unavailable"), "{line}");
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    // The same storm without the limit runs to the end.
    chain(&[]).success();
    assert_eq!(chain(&[]).stdout.trim(), "forked 100");
}

fn nproc_warns_where_it_is_not_enforced() {
    let test = "nproc_warns_where_it_is_not_enforced";
    if !need_root(test) {
        return;
    }
    let out = run(sk("sk-rlimit").args(["nproc=20", "true"]));
    out.success()
        .one_error_line("nproc will not be enforced: this process runs as uid 0");
    run(sk("sk-rlimit").args(["--strict", "nproc=20", "true"]))
        .expect_code(125)
        .one_error_line("(--strict)");
}

fn nofile_16_makes_the_17th_open_fail_with_emfile() {
    let test = "nofile_16_makes_the_17th_open_fail_with_emfile";
    let Some(prog) = workload(test) else { return };
    let out = run(only_own_fds(
        sk("sk-rlimit").arg("nofile=16").arg(&prog).arg("openmany"),
    ));
    out.success();
    assert_eq!(out.stdout.trim(), "16 Too many open files");
}

fn core_0_leaves_no_core_file() {
    let test = "core_0_leaves_no_core_file";
    let Some(prog) = workload(test) else { return };
    let crash_in = |dir: &std::path::Path, limit: &str| {
        let out = run(sk("sk-rlimit")
            .arg(limit)
            .arg(&prog)
            .arg("crash")
            .current_dir(dir));
        out.expect_code(139);
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("core"))
            .count()
    };
    let none = tempfile::tempdir().unwrap();
    assert_eq!(crash_in(none.path(), "core=0"), 0);
    // The same crash with no limit does dump here, when the host's
    // core_pattern writes to the current directory: the check above is real.
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    if !pattern.starts_with('|') && !pattern.starts_with('/') {
        let some = tempfile::tempdir().unwrap();
        assert_eq!(crash_in(some.path(), "core=unlimited"), 1);
    }
}

fn oom_score_adj_shows_in_proc() {
    let out =
        run(sk("sk-rlimit").args(["--oom-score-adj", "500", "cat", "/proc/self/oom_score_adj"]));
    out.success();
    assert_eq!(out.stdout, "500\n");
    let out = run(sk("sk-rlimit").args([
        "--nice",
        "7",
        "--print",
        "nofile=64:128",
        "sh",
        "-c",
        "ulimit -Sn; ulimit -Hn; nice",
    ]));
    out.success();
    assert_eq!(out.stdout, "64\n128\n7\n");
    assert!(
        out.stderr.contains("nofile              64        128"),
        "{}",
        out.stderr
    );
}

fn sk_env_i_gives_exactly_what_is_set() {
    let out = run(sk("sk-env")
        .args(["-i", "A=1", "env"])
        .env("SECRET_TOKEN", "x"));
    out.success();
    assert_eq!(out.stdout, "A=1\n");
    // Through further links too: their SK_CARRIED never reaches the command.
    let out = run(sk("sk-env").args(["-i", "A=1", "sk-rlimit", "nofile=64", "env"]));
    out.success();
    assert_eq!(out.stdout, "A=1\n");
    let out = run(sk("sk-env").args(["-u", "HOME", "B=2", "sh", "-c", "echo ${HOME-unset} $B"]));
    assert_eq!(out.stdout, "unset 2\n");
}

fn sk_env_chdir_resolves_inside_the_root() {
    let test = "sk_env_chdir_resolves_inside_the_root";
    let Some(root) = debian_root(test) else {
        return;
    };
    let chain = |dir: &str| {
        run(sk("sk-unshare")
            .args(["-mp", "sk-pivot"])
            .arg(&root)
            .args(["sk-env", "-C", dir, "pwd"]))
    };
    let out = chain("/srv");
    out.success();
    assert_eq!(out.stdout, "/srv\n");
    chain("/no/such/dir")
        .expect_code(125)
        .one_error_line("sk-env: cannot chdir to /no/such/dir: No such file or directory");
}

fn sk_env_chdir_follows_no_link_out_of_the_root() {
    let test = "sk_env_chdir_follows_no_link_out_of_the_root";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let r = root.path();
    std::os::unix::fs::symlink("../../../../..", r.join("up")).unwrap();
    // /proc/1/root is the host's / without a pid namespace: a magic link.
    std::os::unix::fs::symlink("/proc/1/root/etc", r.join("hostetc")).unwrap();
    let chain = |dir: &str| {
        run(sk("sk-unshare")
            .args(["-m", "sk-pivot"])
            .arg(r)
            .args(["sk-env", "-C", dir, "pwd"]))
    };
    assert_eq!(chain("/up").stdout, "/\n");
    chain("/hostetc")
        .expect_code(125)
        .one_error_line("cannot chdir to /hostetc");
    // sk-pivot --chdir is the same code.
    run(sk("sk-unshare")
        .args(["-m", "sk-pivot", "--chdir", "/hostetc"])
        .arg(r)
        .arg("pwd"))
    .expect_code(125)
    .one_error_line("cannot chdir to /hostetc");
}

fn bad_input_is_one_line_and_125() {
    for (tool, args) in [
        ("sk-env", &["=1", "env"][..]),
        ("sk-env", &["-u", "A=B", "env"]),
        ("sk-env", &["-u", "", "env"]),
        ("sk-env", &["A=1"]),
        ("sk-rlimit", &["nofle=1", "true"]),
        ("sk-rlimit", &["nofile=2:1", "true"]),
        ("sk-rlimit", &["nofile=x", "true"]),
        ("sk-rlimit", &["cpu=1K", "true"]),
        ("sk-rlimit", &["--oom-score-adj", "2000", "true"]),
        ("sk-rlimit", &["nofile=16"]),
        ("sk-user", &["nobody"]),
        ("sk-user", &["4294967295", "true"]),
        ("sk-user", &["a:b:c", "true"]),
        ("sk-user", &["--init-groups", "--keep-groups", "0", "true"]),
    ] {
        let out = run(sk(tool).args(args));
        assert_eq!(out.code(), 125, "{tool} {args:?}: {}", out.stderr);
        assert_eq!(
            out.stderr.lines().count(),
            1,
            "{tool} {args:?}: {}",
            out.stderr
        );
    }
}

fn raising_a_hard_limit_without_cap_sys_resource_is_one_line() {
    let test = "raising_a_hard_limit_without_cap_sys_resource_is_one_line";
    if !need_root(test) {
        return;
    }
    let out = run(sk("sk-user").args(["61234:61234", "sk-rlimit", "nofile=:999999", "true"]));
    out.expect_code(125)
        .one_error_line("cannot raise the hard nofile limit from");
    assert!(
        out.stderr.contains("it needs CAP_SYS_RESOURCE"),
        "{}",
        out.stderr
    );
}

fn the_recommended_chain_holds_no_caller_variable() {
    let test = "the_recommended_chain_holds_no_caller_variable";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let allowed = ["PATH", "HOSTNAME", "HOME", "TERM"];
    let names = |stdout: &str| -> Vec<String> {
        stdout
            .lines()
            .filter_map(|l| l.split('=').next())
            .map(String::from)
            .collect()
    };
    let chain = recommended(root.path());
    let out = run(cmd(&chain[0])
        .args(&chain[1..])
        .arg("env")
        .env("SECRET_TOKEN", "x"));
    out.success();
    for name in names(&out.stdout) {
        assert!(
            allowed.contains(&name.as_str()),
            "{name} reached the command:\n{}",
            out.stdout
        );
    }
    let script = sk_testkit::workspace().join("scripts/sk-container");
    let out = run(cmd(&script)
        .args(["--hostname", "box-2"])
        .arg(root.path())
        .arg("env")
        .env("SECRET_TOKEN", "x"));
    out.success();
    let mut got = names(&out.stdout);
    got.sort();
    assert_eq!(got, ["HOME", "HOSTNAME", "PATH"], "{}", out.stdout);
    assert!(out.stdout.contains("HOSTNAME=box-2\n"), "{}", out.stdout);
}

fn sk_container_adds_the_user_env_rlimit_and_chdir_links() {
    let test = "sk_container_adds_the_user_env_rlimit_and_chdir_links";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let script = sk_testkit::workspace().join("scripts/sk-container");
    let out = run(cmd(&script)
        .args(["-v", "--user", "nobody", "--env", "GREETING=hello world", "--chdir", "/tmp"])
        .args(["--rlimit", "nofile=64", "--rlimit", "core=0"])
        .arg(root.path())
        .args(words("sh -c")).arg(
            "id -u; echo \"$GREETING\"; pwd; ulimit -n; ulimit -c; echo $HOME; grep CapEff /proc/self/status",
        ));
    out.success();
    assert_eq!(
        out.stdout, "65534\nhello world\n/tmp\n64\n0\n/nonexistent\nCapEff:\t0000000000000000\n",
        "{}",
        out.stderr
    );
    let shown = out.stderr.lines().next().unwrap();
    assert!(
        shown.contains(" sk-user -v nobody ") && shown.contains("sk-rlimit"),
        "{shown}"
    );
}

sk_testkit::tests! {
    nproc_stops_a_fork_storm_in_a_rootless_chain,
    nproc_warns_where_it_is_not_enforced,
    nofile_16_makes_the_17th_open_fail_with_emfile,
    core_0_leaves_no_core_file,
    oom_score_adj_shows_in_proc,
    sk_env_i_gives_exactly_what_is_set,
    sk_env_chdir_resolves_inside_the_root,
    sk_env_chdir_follows_no_link_out_of_the_root,
    bad_input_is_one_line_and_125,
    raising_a_hard_limit_without_cap_sys_resource_is_one_line,
    the_recommended_chain_holds_no_caller_variable,
    sk_container_adds_the_user_env_rlimit_and_chdir_links,
}
