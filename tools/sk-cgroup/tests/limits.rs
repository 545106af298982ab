//! Acceptance 1 to 3: real groups, real limits, on whatever layout this
//! machine has (v1, hybrid or v2: the helpers find the groups the way
//! sk-cgroup does). In the VM suite the same tests run on pure cgroup v2.

mod common;

use sk_testkit::{need_root, run, sk, Cleanup};

fn cpu_20000_puts_the_command_in_a_new_cpu_group_with_that_quota() {
    let name = "cpu_20000_puts_the_command_in_a_new_cpu_group_with_that_quota";
    let Some((group, _c)) = common::root_group(name) else {
        return;
    };
    let out = run(sk("sk-cgroup").args([
        "--name",
        &group,
        "cpu=20000",
        "sh",
        "-c",
        "cat /proc/self/cgroup",
    ]));
    out.success();
    let m = common::mount_for("cpu").expect("no hierarchy offers cpu");
    let line = out
        .stdout
        .lines()
        .find(|l| {
            let mut p = l.splitn(3, ':');
            let (_, ctl, _) = (p.next(), p.next().unwrap_or(""), p.next());
            if m.v2 {
                ctl.is_empty()
            } else {
                ctl.split(',').any(|c| c == "cpu")
            }
        })
        .unwrap_or_else(|| panic!("no cpu line in\n{}", out.stdout));
    assert!(
        line.ends_with(&format!("/{group}")),
        "not in the new group: {line}"
    );
    let dir = m.group(&group);
    if m.v2 {
        assert_eq!(common::read(&dir, "cpu.max"), "20000 100000");
    } else {
        assert_eq!(common::read(&dir, "cpu.cfs_quota_us"), "20000");
        assert_eq!(common::read(&dir, "cpu.cfs_period_us"), "100000");
    }
}

fn the_default_name_is_sk_and_the_pid() {
    let name = "the_default_name_is_sk_and_the_pid";
    if !need_root(name) {
        return;
    }
    // The command is sk-cgroup itself after exec: same pid, so $$ names it.
    let out = run(sk("sk-cgroup").args(["pids=100", "sh", "-c", "echo $$; cat /proc/self/cgroup"]));
    out.success();
    let pid = out.stdout.lines().next().unwrap().to_string();
    let group = format!("sk-{pid}");
    let _c = Cleanup(|| common::remove_group(&group));
    assert!(
        out.stdout.contains(&format!("/{group}\n")),
        "{}",
        out.stdout
    );
    let m = common::mount_for("pids").unwrap();
    assert_eq!(common::read(&m.group(&group), "pids.max"), "100");
}

fn memory_64m_gets_a_128m_allocation_killed_with_status_137() {
    let name = "memory_64m_gets_a_128m_allocation_killed_with_status_137";
    let Some((group, _c)) = common::root_group(name) else {
        return;
    };
    // dd allocates its 128M block and touches all of it reading /dev/zero.
    // memory-swap=0 keeps a host with swap from paging instead (v2; on v1
    // it writes memory.memsw.limit_in_bytes, which needs swap accounting:
    // only asked for where that file exists).
    let m = common::mount_for("memory").expect("no hierarchy offers memory");
    let swap_file = if m.v2 {
        "memory.swap.max"
    } else {
        "memory.memsw.limit_in_bytes"
    };
    let mut args = vec!["--name".to_string(), group.clone(), "memory=64M".into()];
    if m.dir
        .join(m.current.strip_prefix("/").unwrap())
        .join(swap_file)
        .exists()
    {
        args.push("memory-swap=0".into());
    }
    args.extend(["dd", "bs=128M", "count=1", "if=/dev/zero", "of=/dev/null"].map(String::from));
    let out = run(sk("sk-cgroup").args(&args));
    out.expect_code(137);
    let dir = m.group(&group);
    // The group's own count of OOM kills says who killed it.
    let (limit, events) = if m.v2 {
        ("memory.max", "memory.events")
    } else {
        ("memory.limit_in_bytes", "memory.oom_control")
    };
    assert_eq!(common::read(&dir, limit), (64u64 << 20).to_string());
    let events = common::read(&dir, events);
    assert!(
        events
            .lines()
            .any(|l| l.starts_with("oom_kill ") && l != "oom_kill 0"),
        "{events}"
    );
    // The host is fine: the same allocation outside the group works.
    sk_testkit::assert_host_can_allocate(128);
}

fn pids_32_contains_a_fork_bomb_and_rm_leaves_nothing_of_it() {
    let name = "pids_32_contains_a_fork_bomb_and_rm_leaves_nothing_of_it";
    let Some((group, _c)) = common::root_group(name) else {
        return;
    };
    if !std::path::Path::new("/bin/busybox").exists() {
        return sk_testkit::skip(name, "/bin/busybox is not installed (busybox-static)");
    }
    let marker = format!("SK_BOMB={group}");
    // The bomb forks without end in the background; the foreground forks
    // sleepers that each hold a slot, so one of its forks soon fails, which
    // makes busybox sh exit (status 2) and ends the chain with the bomb
    // still running in the group. (A foreground whose children exit at once
    // can keep winning freed slots for a long time on a loaded machine.) busybox names
    // the errno, so EAGAIN is visible.
    let out = run(sk("sk-cgroup")
        .env("SK_BOMB", &group)
        .args([
            "--rm",
            "--name",
            &group,
            "pids=32",
            "/bin/busybox",
            "sh",
            "-c",
        ])
        .arg("bomb() { while :; do bomb & done; }; bomb & while :; do sleep 5 & done"));
    assert_eq!(out.code(), 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("can't fork: Resource temporarily unavailable"),
        "no EAGAIN from fork:\n{}",
        out.stderr
    );
    // sk-cgroup's one line is the one that says why it ended (issue 14).
    assert!(
        out.stderr
            .lines()
            .filter(|l| l.contains("sk-cgroup:"))
            .all(|l| l.starts_with("sk-cgroup: the command ran into pids.max (pids=32)")),
        "{}",
        out.stderr
    );
    assert_eq!(
        common::processes_with_env(&marker),
        Vec::<i32>::new(),
        "bomb processes survived"
    );
    assert!(
        common::groups_named(&group).is_empty(),
        "--rm left the group"
    );
    // The limit was the group's: the host starts more processes at once.
    sk_testkit::assert_host_can_fork(64);
}

fn cpuset_pins_the_command_and_a_new_v1_cpuset_group_inherits_the_rest() {
    let name = "cpuset_pins_the_command_and_a_new_v1_cpuset_group_inherits_the_rest";
    if !need_root(name) {
        return;
    }
    if common::mount_for("cpuset").is_none() {
        return sk_testkit::skip(
            name,
            "no cgroup hierarchy here offers the cpuset controller",
        );
    }
    let status = |args: &[&str]| {
        let out = run(sk("sk-cgroup")
            .args(["--rm"])
            .args(args)
            .args(["cat", "/proc/self/status"]));
        out.success();
        let field = |k: &str| {
            out.stdout
                .lines()
                .find_map(|l| l.strip_prefix(k))
                .unwrap_or("?")
                .trim()
                .to_string()
        };
        (field("Cpus_allowed_list:"), field("Mems_allowed_list:"))
    };
    let (cpus, mems) = status(&["cpuset=0"]);
    assert_eq!(cpus, "0");
    // On v1 a fresh cpuset group has no memory node until one is written:
    // the parent's are copied, or the join would fail with ENOSPC.
    assert!(!mems.is_empty() && mems != "?", "{mems}");
    let (_, mems) = status(&["mems=0"]);
    assert_eq!(mems, "0");
}

sk_testkit::tests! {
    cpu_20000_puts_the_command_in_a_new_cpu_group_with_that_quota,
    the_default_name_is_sk_and_the_pid,
    memory_64m_gets_a_128m_allocation_killed_with_status_137,
    pids_32_contains_a_fork_bomb_and_rm_leaves_nothing_of_it,
    cpuset_pins_the_command_and_a_new_v1_cpuset_group_inherits_the_rest,
}
