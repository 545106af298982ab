//! The scenarios of SCENARIOS.md (S1-S10), through real chains. S8
//! (AppArmor) and S5 on pure cgroup v2 run in the VM suite
//! (scripts/vm-test), since this host's kernel has neither.

use sk_e2e::{headline, root_with_probe, words};
use sk_testkit::{cmd, need_program, need_root, run, run_with_input, sh, unique, Cleanup, Rootfs};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn chain(args: &[String]) -> std::process::Command {
    let mut c = cmd(&args[0]);
    c.args(&args[1..]);
    c
}

/// Removes every cgroup directory called `name` (a test's own group), at
/// any depth: sk-cgroup makes it under the caller's own group, wherever
/// this host's service manager put that.
fn remove_cgroup_named(name: &str) {
    sh(&format!(
        "find /sys/fs/cgroup -depth -type d -name '{name}' -exec rmdir {{}} + 2>/dev/null; true"
    ));
}

fn s1_the_headline_chain() {
    let test = "s1_the_headline_chain";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let name = unique("sk-e2e-s1-");
    let _cleanup = Cleanup(|| remove_cgroup_named(&name));
    let args = words(&format!(
        "sk-unshare -mup sk-cgroup --name {name} cpu=20000 sk-pivot {} sk-capdrop sys_time /bin/sh -c",
        root.path().display()
    ));
    let script = "echo pid=$$; ps -o pid= | wc -l; cut -d' ' -f2 /proc/self/mounts; \
                  cat /proc/self/cgroup; date -s @$(date +%s) 2>&1; exit 7";
    let out = run(chain(&args).arg(script));
    // The shell's own status is the chain's.
    out.expect_code(7);
    let text = &out.stdout;
    // PID 2: the minimal init of sk-unshare is PID 1.
    assert!(text.contains("pid=2\n"), "{text}");
    // ps sees the init, the shell and itself (and the pipeline's wc):
    // nothing of the host.
    let procs: usize = text.lines().nth(1).unwrap().trim().parse().unwrap();
    assert!(procs <= 4, "ps saw {procs} processes:\n{text}");
    // Only the new root and what sk-pivot mounted: no host paths.
    for mount_point in text.lines().skip(2).take_while(|l| l.starts_with('/')) {
        assert!(
            mount_point == "/"
                || ["/proc", "/dev", "/sys"]
                    .iter()
                    .any(|p| mount_point.starts_with(p)),
            "host mount visible inside: {mount_point}\n{text}"
        );
    }
    assert!(
        text.contains(&format!("/{name}")),
        "not in the new cgroup:\n{text}"
    );
    assert!(
        text.contains("Operation not permitted"),
        "date -s was not refused:\n{text}"
    );
    // The group's cpu file, in whichever hierarchy (v1 cpu or v2) and
    // under whichever parent the host gave the test.
    let quota = sh(&format!(
        "find /sys/fs/cgroup -type d -name '{name}' | while read -r d; do \
         cat \"$d/cpu.cfs_quota_us\" \"$d/cpu.max\" 2>/dev/null; done"
    ));
    assert!(quota.stdout.starts_with("20000"), "quota: {}", quota.stdout);
}

fn s2_a_hostname_of_its_own() {
    if !need_root("s2_a_hostname_of_its_own") {
        return;
    }
    let host = nix::unistd::gethostname().unwrap();
    let out = run(cmd("sk-unshare").args(["-u", "--hostname", "seckun-1.local", "hostname"]));
    out.success();
    assert_eq!(out.stdout, "seckun-1.local\n");
    assert_eq!(nix::unistd::gethostname().unwrap(), host);
}

fn s3_a_container_joins_a_netns_and_pings_the_host() {
    let test = "s3_a_container_joins_a_netns_and_pings_the_host";
    if !need_root(test) || !need_program(test, "ip", "iproute2") {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let ns = unique("seckun-");
    let (host_if, guest_if) = (unique("ske"), unique("skf"));
    let (host_ip, guest_ip) = sk_testkit::free_subnet();
    let _cleanup = Cleanup(|| {
        sh(&format!(
            "ip link del {host_if} 2>/dev/null; ip netns del {ns} 2>/dev/null"
        ));
    });
    sh(&format!(
        "set -e; ip netns add {ns}
         ip link add name {host_if} type veth peer name {guest_if}
         ip link set {guest_if} netns {ns}
         ip addr add {host_ip}/24 dev {host_if} && ip link set {host_if} up
         ip netns exec {ns} ip addr add {guest_ip}/24 dev {guest_if}
         ip netns exec {ns} ip link set {guest_if} up"
    ))
    .success();
    let args = words(&format!(
        "sk-unshare -mup --join net={ns} sk-pivot {} sk-capdrop sys_time ping -c1 -W5 {host_ip}",
        root.path().display()
    ));
    run(&mut chain(&args)).success();
}

fn s4_pivot_root_is_not_chroot() {
    let test = "s4_pivot_root_is_not_chroot";
    if !need_root(test) {
        return;
    }
    let Some(root) = root_with_probe(test) else {
        return;
    };
    let host = sk_testkit::HostRootMarker::new();
    let base = format!("sk-unshare -mp sk-pivot {}", root.path().display());
    let out = run(chain(&words(&format!("{base} sh -c"))).arg("cd /tmp && /probe chroot-escape"));
    out.success();
    let seen: Vec<&str> = out.stdout.split_whitespace().collect();
    assert!(
        seen.contains(&"probe") && !seen.contains(&host.name.as_str()),
        "{}",
        out.stdout
    );
    let out = run(
        chain(&words(&format!("{base} sk-capdrop sys_chroot sh -c")))
            .arg("cd /tmp && /probe chroot-escape"),
    );
    assert!(
        out.stdout
            .contains("denied: chroot: Operation not permitted"),
        "{}",
        out.stdout
    );
}

fn s5_memory_limit_kills_a_hog_and_the_host_is_fine() {
    let test = "s5_memory_limit_kills_a_hog_and_the_host_is_fine";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let args = words(&format!(
        "sk-unshare -mup sk-cgroup --rm memory=64M sk-pivot {} sk-capdrop sys_time",
        root.path().display()
    ));
    // dd allocates its block size: 128M in one buffer, touched as it reads.
    let out = run(chain(&args).args(["dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=1"]));
    out.expect_code(137);
    // The limit was the group's: the host allocates the same at once.
    sk_testkit::assert_host_can_allocate(128);
}

fn s5_a_fork_bomb_hits_the_pids_limit() {
    let test = "s5_a_fork_bomb_hits_the_pids_limit";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let args = words(&format!(
        "sk-unshare -mup --init sk-cgroup --rm pids=32 sk-pivot {} sk-capdrop sys_time sh -c",
        root.path().display()
    ));
    // A bounded bomb: each shell forks two more until fork fails, for 3 s.
    let bomb =
        "end=$(( $(date +%s) + 3 )); b() { [ $(date +%s) -ge $end ] && return; b & b & wait; }; \
                b 2>/dev/null; echo survived";
    let out = sk_testkit::run_within(chain(&args).arg(bomb), Duration::from_secs(60), None);
    assert!(
        out.stdout.contains("survived"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    // The limit was the group's: the host starts more processes at once.
    sk_testkit::assert_host_can_fork(64);
}

fn s6_a_dropped_capability_stays_dropped() {
    let test = "s6_a_dropped_capability_stays_dropped";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let out = run(chain(&headline(root.path())).args([
        "sh",
        "-c",
        "date -s @$(date +%s) 2>&1; grep -E '^Cap(Bnd|Prm|Eff)' /proc/self/status",
    ]));
    out.success();
    assert!(
        out.stdout.contains("Operation not permitted"),
        "{}",
        out.stdout
    );
    for line in out.stdout.lines().filter(|l| l.starts_with("Cap")) {
        let bits = u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap();
        assert_eq!(bits & (1 << 25), 0, "sys_time still set: {line}");
    }
}

fn s7_seccomp_kill_through_the_chain_is_159() {
    let test = "s7_seccomp_kill_through_the_chain_is_159";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let mut args = headline(root.path());
    args.extend(words("sk-seccomp --kill mkdir sh -c"));
    let out = run(chain(&args).arg("exec mkdir /tmp/x"));
    out.expect_code(159);
}

fn s9_rootless_chain_as_nobody() {
    let test = "s9_rootless_chain_as_nobody";
    if !need_root(test) || !need_program(test, "setpriv", "util-linux") {
        return;
    }
    let Some(root) = root_with_probe(test) else {
        return;
    };
    let args = words(&format!(
        "setpriv --reuid 65534 --regid 65534 --clear-groups \
         sk-unshare -U -r -mup sk-pivot {} sk-capdrop sys_time sh -c",
        root.path().display()
    ));
    let out = run(chain(&args).arg("id -u; echo pid=$$; date -s @$(date +%s) 2>&1"));
    if out.code() == 125 && out.stderr.contains("cannot create user") {
        // The kernel refuses unprivileged user namespaces: a clear error is
        // the promise then; the rootless chain itself was not tried.
        out.one_error_line("user namespace");
        return sk_testkit::skip(test, "this kernel refuses unprivileged user namespaces");
    }
    out.success();
    assert!(out.stdout.starts_with("0\npid=2\n"), "{}", out.stdout);
    assert!(out.stdout.contains("Operation not permitted"));
    // A cgroup needs root's delegation: without it, one clear line.
    let out = run(&mut chain(&words(
        "setpriv --reuid 65534 --regid 65534 --clear-groups sk-cgroup pids=10 true",
    )));
    out.expect_code(125);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

fn s10_a_chain_in_a_pipeline() {
    let test = "s10_a_chain_in_a_pipeline";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let mut args = headline(root.path());
    args.extend(words("sk-seccomp --profile docker-default sort -r"));
    let out = run_with_input(&mut chain(&args), b"a\nb\n");
    out.success();
    assert_eq!(out.stdout, "b\na\n");
}

fn s10_a_chain_as_a_systemd_execstart_line() {
    let test = "s10_a_chain_as_a_systemd_execstart_line";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("seckun-demo.service");
    std::fs::write(&unit, format!(
        "[Unit]\nDescription=a seckun container\n\n[Service]\nType=exec\n\
         ExecStart=sk-unshare -mupi --kill-child sk-cgroup --rm pids=64 sk-pivot {} sk-capdrop sys_time /bin/sh -c 'echo started as $$$$; exit 3'\n",
        root.path().display()
    )).unwrap();
    // What systemd does with the line, as far as it matters here: split the
    // words after ExecStart= with their quotes, turn $$ into $, exec them
    // without a shell.
    let runner = format!(
        "line=$(sed -n 's/^ExecStart=//p' {} | sed 's/[$][$]/$/g'); eval \"set -- $line\"; exec \"$@\"",
        unit.display()
    );
    let out = run(cmd("sh").args(["-c", &runner]));
    out.expect_code(3);
    // PID 2: sk-cgroup --rm stays as PID 1 of the namespace to remove the
    // group afterwards (and reaps orphans meanwhile).
    assert_eq!(out.stdout, "started as 2\n");
}

fn s10_a_chain_in_an_execline_script() {
    let test = "s10_a_chain_in_an_execline_script";
    if !need_root(test) || !need_program(test, "execlineb", "execline") {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("run");
    std::fs::write(&script, format!(
        "#!/usr/bin/env execlineb\nsk-unshare -mup\nsk-pivot {}\nsk-capdrop sys_time\n/bin/sh -c \"echo $$; exit 5\"\n",
        root.path().display()
    )).unwrap();
    let out = run(cmd("execlineb").arg(&script));
    out.expect_code(5);
    // PID 1 is the minimal init.
    assert_eq!(out.stdout, "2\n");
}

fn s10_sigterm_reaches_the_program_through_all_five_links() {
    let test = "s10_sigterm_reaches_the_program_through_all_five_links";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let mut args = headline(root.path());
    args.extend(words("sk-seccomp --profile docker-default sh -c"));
    let mut c = chain(&args);
    c.arg("trap 'echo got TERM; exit 9' TERM; echo ready; while :; do sleep 0.05; done")
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .process_group(0);
    let mut child = c.spawn().unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "the chain ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(10));
    };
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "got TERM\n");
    assert_eq!(status.code(), Some(9));
}

fn the_chains_tools_come_from_the_host_not_from_the_image() {
    let test = "the_chains_tools_come_from_the_host_not_from_the_image";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    // An untrusted image that ships its own "sk-capdrop", which would keep
    // every capability and run a shell.
    let fake = root.path().join("bin/sk-capdrop");
    std::fs::write(&fake, "#!/bin/sh\necho FAKE sk-capdrop ran\nexit 99\n").unwrap();
    sh(&format!("chmod 755 {}", fake.display())).success();
    let out = run(chain(&headline(root.path())).args(["sh", "-c", "date -s @$(date +%s) 2>&1"]));
    out.success();
    assert!(!out.stdout.contains("FAKE"), "{}", out.stdout);
    assert!(
        out.stdout.contains("Operation not permitted"),
        "{}",
        out.stdout
    );
}

fn no_fd_or_variable_of_the_chain_reaches_the_command() {
    let test = "no_fd_or_variable_of_the_chain_reaches_the_command";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let mut args = headline(root.path());
    args.extend(words("sk-seccomp --profile docker-default sh -c"));
    let mut c = chain(&args);
    c.arg("ls /proc/self/fd | tr '\\n' ' '; echo; env | grep -c '^SK_CARRIED' || true");
    sk_testkit::only_own_fds(&mut c);
    let out = run(&mut c);
    out.success();
    let mut lines = out.stdout.lines();
    assert_eq!(
        lines.next().unwrap().trim(),
        "0 1 2 3",
        "fds reached the command"
    );
    assert_eq!(
        lines.next().unwrap().trim(),
        "0",
        "SK_CARRIED reached the command"
    );
}

fn sk_container_runs_the_recommended_chain_and_shows_it() {
    let test = "sk_container_runs_the_recommended_chain_and_shows_it";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let out = run(cmd(sk_testkit::workspace().join("scripts/sk-container"))
        .args(["-v", "--hostname", "box-1"])
        .arg(root.path())
        .args([
            "sh",
            "-c",
            "hostname; grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; exit 4",
        ]));
    out.expect_code(4);
    assert!(out.stdout.starts_with("box-1\n"), "{}", out.stdout);
    assert!(
        out.stdout.contains("NoNewPrivs:\t1") && out.stdout.contains("Seccomp:\t2"),
        "{}",
        out.stdout
    );
    let shown = out.stderr.lines().next().unwrap();
    assert!(
        shown.starts_with("sk-container: sk-unshare ") && shown.contains("sk-seccomp"),
        "{shown}"
    );
    // An empty command is a usage error, never a shell behind the caller's back.
    run(cmd(sk_testkit::workspace().join("scripts/sk-container")).arg(root.path()))
        .expect_code(125);
}

sk_testkit::tests! {
    s1_the_headline_chain,
    s2_a_hostname_of_its_own: userns,
    s3_a_container_joins_a_netns_and_pings_the_host,
    s4_pivot_root_is_not_chroot,
    s5_memory_limit_kills_a_hog_and_the_host_is_fine,
    s5_a_fork_bomb_hits_the_pids_limit,
    s6_a_dropped_capability_stays_dropped,
    s7_seccomp_kill_through_the_chain_is_159,
    s9_rootless_chain_as_nobody,
    s10_a_chain_in_a_pipeline,
    s10_a_chain_as_a_systemd_execstart_line,
    s10_a_chain_in_an_execline_script: userns,
    s10_sigterm_reaches_the_program_through_all_five_links,
    the_chains_tools_come_from_the_host_not_from_the_image,
    no_fd_or_variable_of_the_chain_reaches_the_command,
    sk_container_runs_the_recommended_chain_and_shows_it,
}
