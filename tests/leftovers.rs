//! Issue 14, item 7: nothing left behind, and the reason told. A chain
//! with a staying parent (sk-unshare with a pid namespace) removes the
//! cgroups its sk-cgroup made when the container ends, without --rm; when
//! the OOM killer or pids.max ended the command, the parent says so in one
//! line before it relays the status.

use sk_e2e::words;
use sk_testkit::{cmd, need_root, only_own_fds, run, Output, Rootfs};
use std::path::{Path, PathBuf};

fn chain(line: &str, command: &[&str]) -> Output {
    let args = words(line);
    run(only_own_fds(cmd(&args[0]).args(&args[1..]).args(command)))
}

/// The cgroup directories a /proc/self/cgroup text names, under every
/// cgroup mount of this machine (a v1 line names its controllers' mount,
/// the 0:: line the unified one).
/// Lines the test's own /proc/self/cgroup has are not the chain's.
fn group_dirs(proc_cgroup: &str) -> Vec<PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let mut dirs = Vec::new();
    for line in proc_cgroup
        .lines()
        .filter(|l| !own.lines().any(|o| o == *l))
    {
        let mut f = line.splitn(3, ':');
        let (Some(_), Some(ctl), Some(path)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if path == "/" {
            continue;
        }
        for m in info.lines() {
            let (left, right) = m.split_once(" - ").unwrap();
            let point = left.split(' ').nth(4).unwrap();
            let r: Vec<&str> = right.split(' ').collect();
            let ours = if ctl.is_empty() {
                r[0] == "cgroup2"
            } else {
                r[0] == "cgroup"
                    && ctl
                        .split(',')
                        .all(|c| r.get(2).unwrap_or(&"").split(',').any(|o| o == c))
            };
            if ours {
                dirs.push(Path::new(point).join(path.trim_start_matches('/')));
            }
        }
    }
    dirs
}

fn root(test: &str) -> Option<Rootfs> {
    if !need_root(test) {
        return None;
    }
    Rootfs::busybox(test)
}

fn a_hundred_headline_chains_leave_no_cgroup_directory() {
    let test = "a_hundred_headline_chains_leave_no_cgroup_directory";
    let Some(root) = root(test) else {
        return;
    };
    let line = format!(
        "sk-unshare -mup sk-cgroup cpu=20000 sk-pivot {} sk-capdrop sys_time",
        root.path().display()
    );
    let mut seen = Vec::new();
    for i in 0..100 {
        // The command names its groups, so the test knows what to look for;
        // every tenth is the headline's own /bin/true.
        let out = if i % 10 == 0 {
            chain(&line, &["/bin/true"])
        } else {
            chain(&line, &["cat", "/proc/self/cgroup"])
        };
        out.success();
        assert!(out.stderr.is_empty(), "run {i}: {}", out.stderr);
        let dirs = group_dirs(&out.stdout);
        if i % 10 != 0 {
            assert!(
                dirs.len() >= 2,
                "run {i}: no group of its own:\n{}",
                out.stdout
            );
        }
        for d in dirs {
            assert!(!d.exists(), "run {i} left {}", d.display());
            seen.push(d);
        }
    }
    assert!(seen.iter().all(|d| !d.exists()));
}

/// Whether a controller is mounted (v1) or offered by the v2 root.
fn have_controller(c: &str) -> bool {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    info.lines().any(|m| {
        let (left, right) = m.split_once(" - ").unwrap();
        let r: Vec<&str> = right.split(' ').collect();
        match r[0] {
            "cgroup" => r.get(2).unwrap_or(&"").split(',').any(|o| o == c),
            "cgroup2" => {
                let point = left.split(' ').nth(4).unwrap();
                std::fs::read_to_string(Path::new(point).join("cgroup.controllers"))
                    .unwrap_or_default()
                    .split_whitespace()
                    .any(|w| w == c)
            }
            _ => false,
        }
    })
}

fn the_staying_parent_says_the_oom_killer_ended_the_command() {
    let test = "the_staying_parent_says_the_oom_killer_ended_the_command";
    let Some(root) = root(test) else {
        return;
    };
    assert!(have_controller("memory"), "no memory controller");
    let line = format!(
        "sk-unshare -mup sk-cgroup memory=64M sk-pivot {} sk-capdrop sys_time",
        root.path().display()
    );
    // dd allocates its block size: 128M in one buffer, touched as it reads.
    let out = chain(
        &line,
        &["dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=1"],
    );
    out.expect_code(137);
    assert_eq!(
        out.stderr,
        "sk-cgroup: the command was killed by the OOM killer (memory=64M)\n"
    );
    // sk-cgroup --rm, its own staying parent, says the same.
    let out = run(cmd("sk-cgroup").args([
        "--rm",
        "memory=64M",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=128M",
        "count=1",
    ]));
    out.expect_code(137);
    assert_eq!(
        out.stderr,
        "sk-cgroup: the command was killed by the OOM killer (memory=64M)\n"
    );
}

/// Issue 14, item 5: after sk-unshare -p, `sk-cgroup --rm` stays no parent
/// of its own inside the pid namespace (a command keeping CAP_SYS_PTRACE
/// could ptrace it): the group goes to sk-unshare's parent outside, which
/// still says why the command ended and removes the group.
fn sk_cgroup_rm_after_sk_unshare_p_leaves_nothing_inside_the_pid_namespace() {
    let test = "sk_cgroup_rm_after_sk_unshare_p_leaves_nothing_inside_the_pid_namespace";
    let Some(root) = root(test) else {
        return;
    };
    let line = format!(
        "sk-unshare -mup sk-cgroup --rm memory=64M pids=16 sk-pivot {} sh -c",
        root.path().display()
    );
    // PID 1 is the minimal init (a staying sk-cgroup would be PID 1, with
    // the chain's name), and no other process is there but the command and
    // its own children.
    let out = chain(
        &line,
        &[
            "cat /proc/1/comm; for p in /proc/[0-9]*; do [ $p = /proc/$$ ] || \
           [ $p = /proc/1 ] || echo $p; done; cat /proc/self/cgroup",
        ],
    );
    out.success();
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some("sk-init"), "{out:?}");
    let others: Vec<&str> = lines
        .clone()
        .take_while(|l| l.starts_with("/proc/"))
        .collect();
    // Only the cat that prints /proc/self/cgroup may have shown up.
    assert!(
        others.len() <= 1,
        "processes of the chain inside: {others:?}"
    );
    let dirs = group_dirs(&out.stdout);
    assert!(!dirs.is_empty(), "{out:?}");
    for d in &dirs {
        assert!(!d.exists(), "{} is left", d.display());
    }
    // A second sk-cgroup --rm hands its group over too: still nothing of
    // the chain inside.
    let two = format!(
        "sk-unshare -mup sk-cgroup --rm pids=16 sk-cgroup --rm --name {} memory=64M sk-pivot {} sh -c",
        sk_testkit::unique("sk-second-"),
        root.path().display()
    );
    let out = chain(&two, &["cat /proc/1/comm; cat /proc/self/cgroup"]);
    out.success();
    assert_eq!(out.stdout.lines().next(), Some("sk-init"), "{out:?}");
    let dirs = group_dirs(&out.stdout);
    assert!(dirs.len() >= 2, "{out:?}");
    for d in &dirs {
        assert!(!d.exists(), "{} is left", d.display());
    }
    // Where sk-unshare cannot watch the caller (-f: no pid namespace),
    // sk-cgroup --rm --die-with-parent keeps a parent and a watch of its
    // own, and removes its group.
    let out = chain(
        "sk-unshare -f sk-cgroup --rm --die-with-parent pids=16 sh -c",
        &["cat /proc/self/cgroup"],
    );
    out.success();
    for d in group_dirs(&out.stdout) {
        assert!(!d.exists(), "{} is left", d.display());
    }
    // The OOM line is still said, by sk-unshare's parent.
    let out = chain(&line, &["dd if=/dev/zero of=/dev/null bs=128M count=1"]);
    out.expect_code(137);
    assert_eq!(
        out.stderr,
        "sk-cgroup: the command was killed by the OOM killer (memory=64M)\n"
    );
}

fn the_staying_parent_says_the_command_ran_into_pids_max() {
    let test = "the_staying_parent_says_the_command_ran_into_pids_max";
    let Some(root) = root(test) else {
        return;
    };
    let line = format!(
        "sk-unshare -mup sk-cgroup pids=4 sk-pivot {} sh -c",
        root.path().display()
    );
    let out = chain(
        &line,
        &["for i in 1 2 3 4 5 6; do sleep 1 & done 2>/dev/null; wait; exit 3"],
    );
    let last = out.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("sk-cgroup: the command ran into pids.max (pids=4): ")
            && last.ends_with("refused"),
        "{out:?}"
    );
}

fn the_socket_to_the_parent_never_reaches_the_command() {
    let test = "the_socket_to_the_parent_never_reaches_the_command";
    let Some(root) = root(test) else {
        return;
    };
    let probe = "env | grep -c SK_CGROUP_RETURN; ls /proc/self/fd | wc -l";
    // sk-cgroup takes it; without sk-cgroup the exec of the command drops
    // it; sk-pivot drops it before it pivots.
    for line in [
        format!(
            "sk-unshare -mup sk-cgroup pids=100 sk-pivot {} sk-capdrop sys_time sh -c",
            root.path().display()
        ),
        "sk-unshare -mp sk-capdrop sys_time sh -c".to_string(),
        // sk-seccomp executes the command its own way.
        "sk-unshare -mp sk-seccomp --profile docker-default sh -c".to_string(),
        format!("sk-unshare -mp sk-pivot {} sh -c", root.path().display()),
    ] {
        let out = chain(&line, &[probe]);
        out.success();
        // No variable; fds 0, 1, 2 and the one ls reads /proc/self/fd by.
        assert_eq!(out.stdout, "0\n4\n", "{line}: {out:?}");
    }
}

/// The device the host's root filesystem is on.
fn host_root_device() -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let dev = std::fs::metadata("/").unwrap().dev();
    (nix::sys::stat::major(dev), nix::sys::stat::minor(dev))
}

fn the_recommended_chain_keeps_mknod_refuses_the_node_and_leaves_nothing() {
    let test = "the_recommended_chain_keeps_mknod_refuses_the_node_and_leaves_nothing";
    let Some(root) = root(test) else {
        return;
    };
    let (major, minor) = host_root_device();
    let script = format!(
        "cat /proc/self/cgroup; grep CapEff /proc/self/status; \
         mknod /tmp/disk b {major} {minor} && echo MKNOD-OK; \
         if true < /tmp/disk; then echo DISK-OPENED; else echo DISK-REFUSED; fi; \
         echo x > /dev/null && echo NULL-OK"
    );
    let out = run(only_own_fds(
        cmd(sk_testkit::workspace().join("scripts/sk-container"))
            .arg(root.path())
            .args(["sh", "-c", &script]),
    ));
    out.success();
    let tail: Vec<&str> = out.stdout.lines().rev().take(3).collect();
    assert_eq!(tail, ["NULL-OK", "DISK-REFUSED", "MKNOD-OK"], "{out:?}");
    // CAP_MKNOD is bit 27.
    let capeff = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .unwrap();
    let caps = u64::from_str_radix(capeff.trim(), 16).unwrap();
    assert_ne!(caps & (1 << 27), 0, "mknod is not kept: {capeff}");
    let dirs = group_dirs(&out.stdout);
    assert!(!dirs.is_empty(), "no group of its own: {out:?}");
    for d in dirs {
        assert!(!d.exists(), "{} is left", d.display());
    }
}

sk_testkit::tests! {
    a_hundred_headline_chains_leave_no_cgroup_directory,
    the_staying_parent_says_the_oom_killer_ended_the_command,
    the_staying_parent_says_the_command_ran_into_pids_max,
    sk_cgroup_rm_after_sk_unshare_p_leaves_nothing_inside_the_pid_namespace,
    the_socket_to_the_parent_never_reaches_the_command,
    the_recommended_chain_keeps_mknod_refuses_the_node_and_leaves_nothing,
}
