//! The chain as one trusted process (crates/sk-chain): what a hostile root
//! image tries against it, links that are fused or executed for real,
//! bad input in any link, and the order of deferred steps.

use sk_e2e::{cgroup_dirs_named, chain, recommended, recommended_rootless, words, Running};
use sk_testkit::{
    c_program, cmd, mount_table, need_program, need_root, run, sh, unique, Cleanup, Output, Rootfs,
};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// A busybox root that an unprivileged user can enter, with fake seckun
/// tools and an apparmor_parser of its own at every place a lookup could
/// find them. Each fake writes its name into /marker (a directory of the
/// host bound there), then exits 0.
struct Hostile {
    root: Rootfs,
    marker: tempfile::TempDir,
}

const FAKES: [&str; 10] = [
    "bin/sk-capdrop",
    "usr/bin/sk-capdrop",
    "usr/local/bin/sk-capdrop",
    "bin/sk-seccomp",
    "usr/bin/sk-seccomp",
    "bin/sk-aaexec",
    "bin/sk-pivot",
    "sbin/apparmor_parser",
    "usr/sbin/apparmor_parser",
    "no/such/dir/sk-capdrop",
];

impl Hostile {
    fn new(test: &str) -> Option<Hostile> {
        let root = Rootfs::busybox(test)?;
        let marker = tempfile::Builder::new()
            .prefix("sk-chain-marker.")
            .tempdir()
            .unwrap();
        std::fs::set_permissions(marker.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        for fake in FAKES {
            let p = root.path().join(fake);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            let name = fake.replace('/', "_");
            std::fs::write(&p, format!("#!/bin/sh\necho ran >/marker/{name}\nexit 0\n")).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::create_dir_all(root.path().join("marker")).unwrap();
        sh(&format!("chmod 755 {}", root.path().display())).success();
        Some(Hostile { root, marker })
    }

    fn path(&self) -> &Path {
        self.root.path()
    }

    /// `--bind MARKER:/marker`, for sk-pivot.
    fn bind(&self) -> String {
        format!("--bind={}:/marker", self.marker.path().display())
    }

    #[track_caller]
    fn assert_nothing_ran(&self, out: &Output) {
        let ran: Vec<_> = std::fs::read_dir(self.marker.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(
            ran.is_empty(),
            "the image's own programs ran: {ran:?}\n--- stdout\n{}--- stderr\n{}",
            out.stdout,
            out.stderr
        );
    }
}

/// Inserts `extra` words right after the first word of `chain` that names
/// `tool`.
fn with_after(chain: &[String], tool: &str, extra: &[&str]) -> Vec<String> {
    let at = chain.iter().position(|w| w == tool).unwrap() + 1;
    let mut v = chain[..at].to_vec();
    v.extend(extra.iter().map(|s| s.to_string()));
    v.extend_from_slice(&chain[at..]);
    v
}

/// The recommended chain of the README with the marker bound in, rootful,
/// or rootless as user nobody (the README's rootless form).
fn readme_chain(h: &Hostile, rootless: bool) -> Vec<String> {
    let base = if rootless {
        recommended_rootless(h.path())
    } else {
        recommended(h.path())
    };
    with_after(&base, "sk-pivot", &[&h.bind()])
}

fn run_as(chain_words: &[String], rootless: bool, script: &str) -> Output {
    let mut c = if rootless {
        let mut c = cmd("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        c.args(chain_words);
        c
    } else {
        chain(chain_words)
    };
    c.args(["/bin/sh", "-c", script]);
    run(&mut c)
}

fn image_tools_never_run(test: &str, rootless: bool) {
    if !need_root(test) || !need_program(test, "setpriv", "util-linux") {
        return;
    }
    let Some(h) = Hostile::new(test) else {
        return;
    };
    // Every later link written as users write it: bare, and by the path of
    // a tool that is not on this host but is in the image.
    let mut words = readme_chain(&h, rootless);
    let at = words.iter().position(|w| w == "sk-capdrop").unwrap();
    words[at] = "/no/such/dir/sk-capdrop".into();
    let out = run_as(&words, rootless, "grep CapBnd /proc/self/status; echo done");
    out.success();
    h.assert_nothing_ran(&out);
    assert!(out.stdout.contains("done"), "{}", out.stdout);
    // CAP_SYS_ADMIN (bit 21) is gone: the host's sk-capdrop step ran.
    let bnd = out
        .stdout
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap();
    let bnd = u64::from_str_radix(bnd, 16).unwrap();
    assert_eq!(
        bnd & (1 << 21),
        0,
        "CAP_SYS_ADMIN is still in the bounding set"
    );
}

fn an_image_s_own_sk_tools_never_run() {
    image_tools_never_run("an_image_s_own_sk_tools_never_run", false);
}

fn an_image_s_own_sk_tools_never_run_rootless() {
    image_tools_never_run("an_image_s_own_sk_tools_never_run_rootless", true);
}

/// A profile path the user names is read on the caller's side: the image's
/// allow-all file at the same path inside is never read.
fn profile_from_the_caller(test: &str, rootless: bool) {
    if !need_root(test) || !need_program(test, "setpriv", "util-linux") {
        return;
    }
    let Some(h) = Hostile::new(test) else {
        return;
    };
    let dir = tempfile::Builder::new()
        .prefix("sk-chain-profile.")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let profile = dir.path().join("deny-mkdir.json");
    std::fs::write(
        &profile,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}"#,
    )
    .unwrap();
    std::fs::set_permissions(&profile, std::fs::Permissions::from_mode(0o644)).unwrap();
    let inside = h.path().join(profile.strip_prefix("/").unwrap());
    std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
    std::fs::write(&inside, r#"{"defaultAction":"SCMP_ACT_ALLOW"}"#).unwrap();

    let mut words = readme_chain(&h, rootless);
    let at = words.iter().position(|w| w == "docker-default").unwrap();
    words[at] = profile.display().to_string();
    let out = run_as(&words, rootless, "mkdir /tmp/x && echo made; echo done");
    out.success();
    assert!(
        !out.stdout.contains("made"),
        "the image's profile was used:\n{}",
        out.stdout
    );
    assert!(out.stdout.contains("done"));
    h.assert_nothing_ran(&out);
}

fn a_profile_is_read_on_the_caller_s_side() {
    profile_from_the_caller("a_profile_is_read_on_the_caller_s_side", false);
}

fn a_profile_is_read_on_the_caller_s_side_rootless() {
    profile_from_the_caller("a_profile_is_read_on_the_caller_s_side_rootless", true);
}

/// `sk-aaexec --load` runs AppArmor's parser before the first step, on the
/// caller's side: never the image's. (This host's kernel has no AppArmor,
/// so the chain stops there, before anything is made; the VM suite runs it
/// where the load succeeds.)
fn the_image_s_apparmor_parser_never_runs() {
    let test = "the_image_s_apparmor_parser_never_runs";
    if !need_root(test) {
        return;
    }
    let Some(h) = Hostile::new(test) else {
        return;
    };
    let before = mount_table();
    let args = words(&format!(
        "sk-unshare -m sk-pivot {} {} sk-aaexec --load /etc/profile.aa -p nohosts /bin/true",
        h.bind(),
        h.path().display()
    ));
    let out = run(&mut chain(&args));
    out.expect_code(125).one_error_line("sk-aaexec");
    h.assert_nothing_ran(&out);
    assert_eq!(mount_table(), before);
}

/// Symlinks of the image where sk-pivot mounts its own file systems: each
/// would move a mount elsewhere (and cover it) or let a mask miss. Refused,
/// with one line, and nothing stays mounted.
fn symlinked_kernel_mount_points_are_refused() {
    let test = "symlinked_kernel_mount_points_are_refused";
    if !need_root(test) {
        return;
    }
    for (name, target, extra) in [
        ("proc", "/dev/shm", ""),
        ("proc", "/", ""),
        ("proc", "dev/x/../../p", ""),
        ("dev", "/proc", ""),
        ("sys", "/", "--sys"),
    ] {
        let Some(root) = Rootfs::busybox(test) else {
            return;
        };
        let place = root.path().join(name);
        if place.is_dir() {
            std::fs::remove_dir_all(&place).unwrap();
        }
        std::os::unix::fs::symlink(target, &place).unwrap();
        let before = mount_table();
        let args = words(&format!(
            "sk-unshare -mp sk-pivot {extra} {} /bin/true",
            root.path().display()
        ));
        let out = run(&mut chain(&args));
        assert_eq!(out.code(), 125, "{name} -> {target}: {}", out.stderr);
        out.one_error_line("symbolic link");
        assert_eq!(mount_table(), before, "{name} -> {target}");
    }
}

/// `docker exec`: joining a running container's namespaces runs none of
/// the container's own tools; the steps are the caller's.
fn joining_a_running_container_runs_none_of_its_tools() {
    let test = "joining_a_running_container_runs_none_of_its_tools";
    if !need_root(test) {
        return;
    }
    let Some(h) = Hostile::new(test) else {
        return;
    };
    let args = words(&format!(
        "sk-unshare -mp sk-pivot {} {} /bin/sleep 60",
        h.bind(),
        h.path().display()
    ));
    let container = Running::start(&args);
    let pid = &container.pid;
    let args = words(&format!(
        "sk-unshare --join mnt={pid} --join pid={pid} sk-capdrop sys_time \
         sk-seccomp --errno EPERM:mkdir,mkdirat /bin/sh -c"
    ));
    let out = run(chain(&args).arg("mkdir /x && echo made; grep CapBnd /proc/self/status"));
    out.success();
    assert!(!out.stdout.contains("made"), "{}", out.stdout);
    h.assert_nothing_ran(&out);
    drop(container);
}

/// The chain ends at its first program that is not a seckun tool; after a
/// pivot that program is the root's, and what it runs is its business.
/// -v says so.
fn the_chain_ends_at_the_first_foreign_program() {
    let test = "the_chain_ends_at_the_first_foreign_program";
    if !need_root(test) {
        return;
    }
    let Some(h) = Hostile::new(test) else {
        return;
    };
    let args = words(&format!(
        "sk-unshare -mp sk-pivot -v {} {} env sk-capdrop sys_time /bin/true",
        h.bind(),
        h.path().display()
    ));
    let out = run(&mut chain(&args));
    out.success();
    assert!(
        out.stderr.contains("not a link of this chain"),
        "no warning:\n{}",
        out.stderr
    );
    // env ran the image's own sk-capdrop: exactly what the warning says.
    let ran = std::fs::read_dir(h.marker.path()).unwrap().count();
    assert_eq!(ran, 1, "env did not run the image's sk-capdrop");
}

/// A bad option in any link of a six-link chain: 125, one line naming that
/// link's tool, and nothing made (no cgroup, no mount).
fn a_bad_option_in_any_link_makes_nothing() {
    let test = "a_bad_option_in_any_link_makes_nothing";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let name = unique("sk-chain-bad-");
    let _cleanup = Cleanup(|| {
        for d in cgroup_dirs_named(&name) {
            let _ = std::fs::remove_dir(d);
        }
    });
    let good = words(&format!(
        "sk-unshare -mun sk-cgroup --name {name} pids=64 sk-pivot {} sk-capdrop sys_time \
         sk-seccomp --errno EPERM:mkdir sk-capdrop --no-new-privs sys_chroot /bin/true",
        root.path().display()
    ));
    run(&mut chain(&good)).success();
    for d in cgroup_dirs_named(&name) {
        let _ = std::fs::remove_dir(d);
    }
    let tools: Vec<usize> = (0..good.len())
        .filter(|&i| good[i].starts_with("sk-") && !good[i].starts_with("sk-chain"))
        .collect();
    assert_eq!(tools.len(), 6);
    let before = mount_table();
    for &at in &tools {
        let mut bad = good.clone();
        bad.insert(at + 1, "--no-such-option".into());
        let out = run(&mut chain(&bad));
        out.expect_code(125)
            .one_error_line(&format!("{}: ", good[at]));
        assert!(out.stderr.contains("--no-such-option"), "{}", out.stderr);
        assert!(cgroup_dirs_named(&name).is_empty(), "a cgroup was made");
        assert_eq!(mount_table(), before);
    }
    // A bad value, not only a bad option: the last link's capability.
    let mut bad = good.clone();
    let last = bad.len() - 2;
    bad[last] = "sys_nothing".into();
    run(&mut chain(&bad))
        .expect_code(125)
        .one_error_line("sys_nothing");
    assert!(cgroup_dirs_named(&name).is_empty());
}

/// Orderings that cannot work fail before anything is made, the rule in
/// the message.
fn ordering_rules_are_checked_up_front() {
    let test = "ordering_rules_are_checked_up_front";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let name = unique("sk-chain-order-");
    let out = run(&mut chain(&words(&format!(
        "sk-unshare -C sk-cgroup --name {name} pids=10 /bin/true"
    ))));
    out.expect_code(125).one_error_line("sk-unshare -C");
    assert!(cgroup_dirs_named(&name).is_empty());
    let before = mount_table();
    // The rule applies in PID 1's mount namespace. The suite may run in a
    // private one (scripts/standalone), where sk-pivot is allowed and would
    // move the suite's own root: there the chain is not run at all.
    let host_ns = std::fs::read_to_string("/proc/1/mountinfo").ok()
        == std::fs::read_to_string("/proc/self/mountinfo").ok();
    if host_ns {
        let out = run(&mut chain(&words(&format!(
            "sk-cgroup --name {name} pids=10 sk-pivot {} /bin/true",
            root.path().display()
        ))));
        out.expect_code(125).one_error_line("sk-unshare -m");
    } else {
        eprintln!("note: not in PID 1's mount namespace: the sk-pivot rule is not tried here");
    }
    assert!(cgroup_dirs_named(&name).is_empty());
    assert_eq!(mount_table(), before);
    let r = root.path().display();
    for (line, rule) in [
        (
            format!("sk-unshare -m sk-cgroup --name {name} pids=10 sk-capdrop setuid sk-user 1 /bin/true"),
            "after sk-capdrop dropped setuid",
        ),
        (
            format!("sk-unshare -m sk-cgroup --name {name} pids=10 sk-landlock --preset container sk-pivot {r} /bin/true"),
            "before sk-pivot",
        ),
        (
            format!("sk-unshare -m sk-cgroup --name {name} pids=10 sk-pivot {r} sk-landlock --preset container sk-user 1 /bin/true"),
            "before sk-user",
        ),
        (
            format!("sk-cgroup --name {name} pids=10 sk-landlock --allow-nothing sk-seccomp --notify mkdir /bin/true"),
            "seccomp supervisor",
        ),
        // What enforces something stands outside the pid namespace.
        (
            format!("sk-cgroup --name {name} pids=10 sk-unshare -mp sk-pivot {r} sk-seccomp --notify mkdir /bin/true"),
            "put sk-seccomp before sk-unshare -p",
        ),
        (
            format!("sk-cgroup --name {name} pids=10 sk-unshare -p --fork sk-seccomp --learn /dev/null /bin/true"),
            "put sk-seccomp before sk-unshare -p",
        ),
        (
            format!("sk-unshare -p sk-cgroup --rm --die-with-parent --name {name} pids=10 /bin/true"),
            "give --die-with-parent to sk-unshare",
        ),
    ] {
        let out = run(&mut chain(&words(&line)));
        out.expect_code(125).one_error_line(rule);
        assert!(cgroup_dirs_named(&name).is_empty(), "{line}");
        assert_eq!(mount_table(), before, "{line}");
    }
    // sk-pivot in a joined mount namespace (here a throwaway one, held by a
    // sleep) would re-root its processes: refused; a private copy made by
    // a later sk-unshare -m is fine.
    let mut holder = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sleep", "60"])
        .spawn()
        .unwrap();
    let ns = format!("/proc/{}/ns/mnt", holder.id());
    let _stop = Cleanup(|| {
        let _ = holder.kill();
        let _ = holder.wait();
    });
    let host_mnt = std::fs::read_link("/proc/self/ns/mnt").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::fs::read_link(&ns).ok().as_ref() == Some(&host_mnt) {
        assert!(
            std::time::Instant::now() < deadline,
            "the holder never unshared"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let out = run(&mut chain(&words(&format!(
        "sk-unshare --join mnt={ns} sk-pivot {r} /bin/true"
    ))));
    out.expect_code(125)
        .one_error_line("cannot pivot in a joined mount namespace");
    let out = run(&mut chain(&words(&format!(
        "sk-unshare --join mnt={ns} sk-unshare -mp sk-pivot {r} /bin/true"
    ))));
    out.success();
    assert_eq!(mount_table(), before);
}

/// An error that only the new root can show (a --chdir that is not there)
/// comes after earlier steps were made: they are undone.
fn an_error_inside_the_root_leaves_nothing() {
    let test = "an_error_inside_the_root_leaves_nothing";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let name = unique("sk-chain-inside-");
    let _cleanup = Cleanup(|| {
        for d in cgroup_dirs_named(&name) {
            let _ = std::fs::remove_dir(d);
        }
    });
    let before = mount_table();
    let out = run(&mut chain(&words(&format!(
        "sk-unshare -m sk-cgroup --name {name} pids=10 sk-pivot --chdir /not/here {} /bin/true",
        root.path().display()
    ))));
    out.expect_code(125).one_error_line("/not/here");
    assert!(cgroup_dirs_named(&name).is_empty(), "the cgroup stayed");
    assert_eq!(mount_table(), before);
}

/// The filter is loaded last, wherever sk-seccomp stands: placed before
/// sk-pivot it does not stop the pivot (it denies pivot_root here), and the
/// command runs under it.
fn seccomp_before_pivot_still_pivots() {
    let test = "seccomp_before_pivot_still_pivots";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    std::fs::write(root.path().join("only-inside"), "").unwrap();
    let args = words(&format!(
        "sk-unshare -mp sk-seccomp --errno EPERM:pivot_root,mkdir,mkdirat,mount \
         sk-pivot {} /bin/sh -c",
        root.path().display()
    ));
    let out =
        run(chain(&args)
            .arg("ls /only-inside; mkdir /x && echo made; grep Seccomp: /proc/self/status"));
    out.success();
    assert!(out.stdout.contains("/only-inside"), "{}", out.stdout);
    assert!(!out.stdout.contains("made"), "{}", out.stdout);
    assert!(out.stdout.contains("Seccomp:\t2"), "{}", out.stdout);
}

/// Before `sk-unshare -U` too: a filter that kills unshare does not stop
/// the chain's own unshare, and judges the command.
fn seccomp_before_a_user_namespace_still_makes_it() {
    let test = "seccomp_before_a_user_namespace_still_makes_it";
    if !need_root(test) || !need_program(test, "setpriv", "util-linux") {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    sh(&format!("chmod 755 {}", root.path().display())).success();
    let args = words(&format!(
        "setpriv --reuid=65534 --regid=65534 --clear-groups -- \
         sk-seccomp --errno EPERM:unshare,mkdir,mkdirat \
         sk-unshare -U -r -mp sk-pivot {} /bin/sh -c",
        root.path().display()
    ));
    let out = run(chain(&args)
        .arg("id -u; mkdir /tmp/x && echo made; unshare -U true && echo unshared; true"));
    out.success();
    assert!(out.stdout.starts_with("0\n"), "{}", out.stdout);
    assert!(!out.stdout.contains("made"), "{}", out.stdout);
    assert!(!out.stdout.contains("unshared"), "{}", out.stdout);
}

/// The chains of the scenarios, run fused and with a real exec between
/// every two links (SK_FUSE=0): the command finds the same process state.
fn fused_and_unfused_chains_leave_the_same_process() {
    let test = "fused_and_unfused_chains_leave_the_same_process";
    if !need_root(test) || !need_program(test, "setpriv", "util-linux") {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let Some(state) = c_program(test, "state") else {
        return;
    };
    std::fs::copy(state, root.path().join("bin/chain-state")).unwrap();
    sh(&format!("chmod 755 {}", root.path().display())).success();
    let r = root.path().display().to_string();
    let host_ns: Vec<String> = ["mnt", "pid", "net", "uts", "ipc", "user", "cgroup", "time"]
        .iter()
        .map(|k| {
            let t = std::fs::read_link(format!("/proc/self/ns/{k}")).unwrap();
            let t = t.to_string_lossy();
            let ino = t.split('[').nth(1).unwrap_or("").trim_end_matches(']');
            format!("{k}={ino}")
        })
        .collect();
    let chains = [
        format!("sk-unshare -mup sk-cgroup --rm cpu=20000 sk-pivot {r} sk-capdrop sys_time"),
        recommended(root.path()).join(" "),
        format!(
            "setpriv --reuid=65534 --regid=65534 --clear-groups -- {}",
            recommended_rootless(root.path()).join(" ")
        ),
        format!("sk-unshare -mupin --init sk-pivot --ro-bind /etc:/mnt {r} sk-capdrop --keep net_bind_service,kill --ambient"),
        format!("sk-seccomp --notify mkdir sk-unshare -mp sk-pivot {r} sk-capdrop --no-new-privs sys_admin"),
        format!("sk-unshare -m sk-capdrop --secbits keep-caps sys_time sk-pivot {r} sk-seccomp --errno EPERM:mkdir"),
        format!("sk-unshare -mun --hostname seckun-1 sk-pivot {r} sk-capdrop --keep chown,kill"),
        format!(
            "sk-unshare -mp sk-pivot {r} sk-rlimit --oom-score-adj 300 nofile=64 core=0 \
             sk-capdrop --keep net_bind_service,setuid,setgid --ambient sk-user 1000:1000 \
             sk-env -i -C /tmp PATH=/bin A=1 sk-landlock --preset container"
        ),
        format!(
            "setpriv --reuid=65534 --regid=65534 --clear-groups -- sk-unshare -U -r -mp \
             sk-pivot {r} sk-rlimit nproc=64 sk-env -u HOME sk-capdrop all"
        ),
    ];
    for line in chains {
        let args = words(&line);
        let runs: Vec<Output> = ["1", "0"]
            .iter()
            .map(|fuse| {
                let mut c = chain(&args);
                c.env("SK_FUSE", fuse)
                    .arg("/bin/chain-state")
                    .args(&host_ns);
                let out = run(&mut c);
                out.success();
                out
            })
            .collect();
        assert_eq!(
            runs[0].stdout, runs[1].stdout,
            "fused and unfused differ for: {line}"
        );
    }
}

/// The fd table one process of a chain hands the next (SK_CHAIN_FDS) is
/// checked before anything is done: malformed, a descriptor that is not
/// open, or one that is not what was recorded: 125, one line, nothing run.
fn a_bad_chain_fd_table_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    for (value, needle) in [
        ("garbage", "SK_CHAIN_FDS"),
        ("start=x", "SK_CHAIN_FDS"),
        ("start=0 657865:987:1:2", "not open"),
        // fd 9 is open (the shell opens it), but is not the file recorded.
        ("start=0 657865:9:1:2", "it changed"),
    ] {
        let mut c = cmd("sh");
        c.env("SK_CHAIN_FDS", value)
            .args([
                "-c",
                "exec 9</bin/sh; exec sk-capdrop sys_time touch \"$0\"",
            ])
            .arg(&marker);
        let out = run(&mut c);
        out.expect_code(125).one_error_line(needle);
        assert!(
            !marker.exists(),
            "the command ran with SK_CHAIN_FDS={value}"
        );
    }
}

sk_testkit::tests! {
    a_bad_chain_fd_table_runs_nothing,
    an_image_s_own_sk_tools_never_run,
    an_image_s_own_sk_tools_never_run_rootless,
    a_profile_is_read_on_the_caller_s_side,
    a_profile_is_read_on_the_caller_s_side_rootless,
    the_image_s_apparmor_parser_never_runs,
    symlinked_kernel_mount_points_are_refused,
    joining_a_running_container_runs_none_of_its_tools,
    the_chain_ends_at_the_first_foreign_program,
    a_bad_option_in_any_link_makes_nothing,
    ordering_rules_are_checked_up_front,
    an_error_inside_the_root_leaves_nothing,
    seccomp_before_pivot_still_pivots,
    seccomp_before_a_user_namespace_still_makes_it,
    fused_and_unfused_chains_leave_the_same_process,
}
