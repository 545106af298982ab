//! sk-unshare against the real kernel: new namespaces, joined ones, maps,
//! signals, descriptors.

use sk_testkit::{
    cmd, mount_table, need_program, need_root, ns_inode, run, sh, sk, unique, Cleanup,
};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn mup_makes_the_shell_pid_1_in_new_namespaces() {
    if !need_root("mup_makes_the_shell_pid_1_in_new_namespaces") {
        return;
    }
    let out = run(sk("sk-unshare").args([
        "-mup",
        "--as-pid-1",
        "sh",
        "-c",
        "echo $$; readlink /proc/self/ns/mnt /proc/self/ns/uts /proc/self/ns/pid_for_children",
    ]));
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "1");
    for (line, kind) in lines[1..].iter().zip(["mnt", "uts", "pid"]) {
        assert_ne!(
            *line,
            ns_inode("self", kind),
            "{kind} namespace is the host's"
        );
    }
}

fn with_its_own_proc_ps_shows_only_the_container() {
    if !need_root("with_its_own_proc_ps_shows_only_the_container") {
        return;
    }
    let before = mount_table();
    let out = run(sk("sk-unshare").args(["-mup", "--mount-proc", "ps", "-e", "-o", "pid="]));
    out.success();
    let pids: Vec<&str> = out.stdout.split_whitespace().collect();
    // The minimal init and ps.
    assert_eq!(pids, ["1", "2"], "ps saw: {}", out.stdout);
    // The same by hand, as the course does it.
    let out = run(sk("sk-unshare").args([
        "-mup",
        "sh",
        "-c",
        "mount -t proc proc /proc && ps -e -o pid=",
    ]));
    out.success();
    let pids: Vec<&str> = out.stdout.split_whitespace().collect();
    assert_eq!(pids.len(), 3, "ps saw: {}", out.stdout);
    assert_eq!(pids[0], "1");
    assert_eq!(
        mount_table(),
        before,
        "a mount made inside leaked to the host"
    );
}

fn hostname_is_set_inside_and_unchanged_outside() {
    if !need_root("hostname_is_set_inside_and_unchanged_outside") {
        return;
    }
    let host = nix::unistd::gethostname().unwrap();
    let out = run(sk("sk-unshare").args(["-u", "--hostname", "seckun-1.local", "hostname"]));
    out.success();
    assert_eq!(out.stdout.trim(), "seckun-1.local");
    assert_eq!(nix::unistd::gethostname().unwrap(), host);
}

fn hostname_without_a_uts_namespace_is_refused() {
    let out = run(sk("sk-unshare").args(["--hostname", "x", "hostname"]));
    out.expect_code(125)
        .one_error_line("needs a new UTS namespace");
    assert!(out.stdout.is_empty());
}

fn a_new_net_namespace_has_only_lo_and_it_is_up() {
    if !need_root("a_new_net_namespace_has_only_lo_and_it_is_up")
        || !need_program(
            "a_new_net_namespace_has_only_lo_and_it_is_up",
            "ip",
            "iproute2",
        )
    {
        return;
    }
    let out = run(sk("sk-unshare").args(["-n", "ip", "-o", "link"]));
    out.success();
    let links: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(links.len(), 1, "{}", out.stdout);
    assert!(links[0].starts_with("1: lo:"), "{}", links[0]);
    assert!(links[0].contains(",UP"), "lo is down: {}", links[0]);
    run(sk("sk-unshare").args(["-n", "ping", "-c1", "-W2", "127.0.0.1"])).success();
}

fn joining_a_netns_made_by_ip_netns_reaches_the_host_end_of_a_veth() {
    let name = "joining_a_netns_made_by_ip_netns_reaches_the_host_end_of_a_veth";
    if !need_root(name)
        || !need_program(name, "ip", "iproute2")
        || !need_program(name, "ping", "iputils-ping")
    {
        return;
    }
    let ns = unique("seckun-");
    let host_if = unique("skh");
    let guest_if = unique("skg");
    // Unique names and a subnet no route of this host overlaps: a netns
    // or a route someone else made cannot break the test.
    let (host_ip, guest_ip) = sk_testkit::free_subnet();
    let _cleanup = Cleanup(|| {
        sh(&format!(
            "ip link del {host_if} 2>/dev/null; ip netns del {ns} 2>/dev/null"
        ));
    });
    let setup = format!(
        "set -e
         ip netns add {ns}
         ip link add name {host_if} type veth peer name {guest_if}
         ip link set {guest_if} netns {ns}
         ip addr add {host_ip}/24 dev {host_if} && ip link set {host_if} up
         ip netns exec {ns} ip addr add {guest_ip}/24 dev {guest_if}
         ip netns exec {ns} ip link set {guest_if} up"
    );
    sh(&setup).success();
    run(sk("sk-unshare").args([
        "--join",
        &format!("net={ns}"),
        "ping",
        "-c1",
        "-W5",
        &host_ip,
    ]))
    .success();
    // The path form, inside a longer chain.
    run(sk("sk-unshare").args([
        "-mu",
        "--join",
        &format!("net=/var/run/netns/{ns}"),
        "ip",
        "-o",
        "addr",
        "show",
        &guest_if,
    ]))
    .success();
}

fn sigterm_to_the_outer_sk_unshare_reaches_the_command() {
    if !need_root("sigterm_to_the_outer_sk_unshare_reaches_the_command") {
        return;
    }
    // PID 1 receives only the signals it handles: the command traps TERM.
    let script = "trap 'exit 7' TERM; echo ready; while :; do sleep 0.05; done";
    assert_eq!(signal_after_ready(&["-p", "sh", "-c", script], "TERM"), 7);
    // With --init the command is PID 2 and dies by the default action.
    let script = "echo ready; exec sleep 100";
    assert_eq!(
        signal_after_ready(&["-p", "--init", "sh", "-c", script], "TERM"),
        143
    );
    assert_eq!(
        signal_after_ready(&["-p", "--init", "sh", "-c", script], "INT"),
        130
    );
}

/// Starts sk-unshare, waits for the command's "ready", sends `sig` to
/// sk-unshare itself, and returns the exit code.
fn signal_after_ready(args: &[&str], sig: &str) -> i32 {
    let mut child = sk("sk-unshare")
        .args(args)
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    let sig: nix::sys::signal::Signal = format!("SIG{sig}").parse().unwrap();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), sig).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            use std::os::unix::process::ExitStatusExt;
            return st.code().unwrap_or_else(|| 128 + st.signal().unwrap());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("sk-unshare {args:?} did not end after SIG{sig:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn init_reaps_orphans_and_relays_the_status() {
    if !need_root("init_reaps_orphans_and_relays_the_status") {
        return;
    }
    // The inner sh exits at once: its background sleep is orphaned to PID 1.
    let script = "sh -c 'sleep 0.2 &'; sleep 0.6; ps -e -o stat=,comm= | grep -c '^Z' ; exit 3";
    let out = run(sk("sk-unshare").args(["-mp", "--mount-proc", "--init", "sh", "-c", script]));
    out.expect_code(3);
    assert_eq!(out.stdout.trim(), "0", "zombies remain: {}", out.stdout);
}

fn a_command_killed_by_sigkill_gives_137() {
    if !need_root("a_command_killed_by_sigkill_gives_137") {
        return;
    }
    run(sk("sk-unshare").args(["-p", "--init", "sh", "-c", "kill -9 $$"])).expect_code(137);
    run(sk("sk-unshare").args(["-f", "sh", "-c", "kill -9 $$"])).expect_code(137);
}

fn kill_child_leaves_a_living_parents_command_alone() {
    if !need_root("kill_child_leaves_a_living_parents_command_alone") {
        return;
    }
    // In a new pid namespace getppid() is 0: the parent's lifeline, not
    // its pid, says whether it is alive.
    run(sk("sk-unshare").args(["-p", "--kill-child", "sh", "-c", "exit 3"])).expect_code(3);
    run(sk("sk-unshare").args(["-f", "--kill-child=TERM", "sh", "-c", "exit 4"])).expect_code(4);
}

fn kill_child_ends_the_namespace_when_sk_unshare_dies() {
    if !need_root("kill_child_ends_the_namespace_when_sk_unshare_dies") {
        return;
    }
    let mut child = sk("sk-unshare")
        .args([
            "-p",
            "--kill-child",
            "sh",
            "-c",
            "trap '' TERM; echo ready; exec sleep 100",
        ])
        .stdout(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let pgid = child.id() as i32;
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready", "the command did not start");
    child.kill().unwrap();
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pgid), None).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the contained command outlived sk-unshare"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn map_root_user_as_an_unprivileged_user() {
    let name = "map_root_user_as_an_unprivileged_user";
    if !need_root(name) || !need_program(name, "setpriv", "util-linux") {
        return;
    }
    let out = run(cmd("setpriv")
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .arg(sk_testkit::bin("sk-unshare"))
        .args([
            "-U",
            "-r",
            "sh",
            "-c",
            "id -u; id -g; cat /proc/self/uid_map",
        ]));
    if out.code() == 125 {
        // The kernel may forbid unprivileged user namespaces: then the
        // error must say so, in one line; the map itself was not tried.
        out.one_error_line("cannot create user namespace");
        return sk_testkit::skip(name, "this kernel refuses unprivileged user namespaces");
    }
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(&lines[..2], ["0", "0"]);
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        ["0", "65534", "1"]
    );
}

fn ranges_are_mapped_by_root_through_the_helper() {
    if !need_root("ranges_are_mapped_by_root_through_the_helper") {
        return;
    }
    let out = run(sk("sk-unshare").args([
        "-U",
        "--map-users",
        "0:100000:65536",
        "--map-groups",
        "0:100000:65536",
        "--setgroups",
        "allow",
        "sh",
        "-c",
        "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups",
    ]));
    out.success();
    let words: Vec<&str> = out.stdout.split_whitespace().collect();
    assert_eq!(
        words,
        ["0", "100000", "65536", "0", "100000", "65536", "allow"]
    );
}

fn only_the_standard_fds_reach_the_command() {
    if !need_root("only_the_standard_fds_reach_the_command") {
        return;
    }
    let mut c = sk("sk-unshare");
    c.args(["-mup", "ls", "/proc/self/fd"]);
    sk_testkit::only_own_fds(&mut c);
    let out = run(&mut c);
    out.success();
    let fds: Vec<&str> = out.stdout.split_whitespace().collect();
    // 0, 1, 2, and the directory ls itself opened.
    assert_eq!(fds, ["0", "1", "2", "3"], "leaked fds: {}", out.stdout);
}

fn a_time_namespace_offsets_the_boot_clock() {
    if !need_root("a_time_namespace_offsets_the_boot_clock") {
        return;
    }
    let host: f64 = std::fs::read_to_string("/proc/uptime")
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let out = run(sk("sk-unshare").args(["-T", "--boottime", "86400", "cat", "/proc/uptime"]));
    out.success();
    let inside: f64 = out
        .stdout
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        inside > host + 86000.0,
        "uptime inside {inside}, host {host}"
    );
}

fn a_mount_inside_does_not_reach_the_host() {
    if !need_root("a_mount_inside_does_not_reach_the_host") {
        return;
    }
    let before = mount_table();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    run(sk("sk-unshare").args([
        "-m",
        "sh",
        "-c",
        &format!("mount -t tmpfs sk-test {d} && touch {d}/x"),
    ]))
    .success();
    assert_eq!(mount_table(), before);
    assert!(!dir.path().join("x").exists());
}

fn kernel_refusals_are_one_clear_line() {
    let name = "kernel_refusals_are_one_clear_line";
    if !need_root(name) || !need_program(name, "setpriv", "util-linux") {
        return;
    }
    // Without privilege and without -U, a mount namespace is refused.
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let out = run(cmd("setpriv")
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .arg(sk_testkit::bin("sk-unshare"))
        .args(["-m", "touch"])
        .arg(&marker));
    out.expect_code(125).one_error_line(
        "cannot create mount namespace: Operation not permitted (needs CAP_SYS_ADMIN",
    );
    assert!(!marker.exists());
}

fn the_staying_parent_cannot_be_reached_through_proc() {
    let name = "the_staying_parent_cannot_be_reached_through_proc";
    if !need_root(name) || !need_program(name, "setpriv", "util-linux") {
        return;
    }
    // Parent and command have the same capabilities, without CAP_SYS_PTRACE:
    // only the parent's non-dumpable flag keeps its cwd and fds out of reach
    // (util-linux's unshare, as a control, lets the command read them).
    let script = "readlink /proc/$PPID/cwd || echo denied";
    let out = run(cmd("setpriv")
        .args(["--bounding-set", "-sys_ptrace"])
        .arg(sk_testkit::bin("sk-unshare"))
        .args(["-f", "sh", "-c", script]));
    out.success();
    assert_eq!(out.stdout, "denied\n");
    let control = run(cmd("setpriv").args([
        "--bounding-set",
        "-sys_ptrace",
        "unshare",
        "-f",
        "sh",
        "-c",
        script,
    ]));
    assert_ne!(control.stdout, "denied\n");
}

sk_testkit::tests! {
    mup_makes_the_shell_pid_1_in_new_namespaces: userns,
    with_its_own_proc_ps_shows_only_the_container: userns,
    hostname_is_set_inside_and_unchanged_outside: userns,
    hostname_without_a_uts_namespace_is_refused,
    a_new_net_namespace_has_only_lo_and_it_is_up: userns,
    joining_a_netns_made_by_ip_netns_reaches_the_host_end_of_a_veth,
    sigterm_to_the_outer_sk_unshare_reaches_the_command: userns,
    init_reaps_orphans_and_relays_the_status: userns,
    a_command_killed_by_sigkill_gives_137: userns,
    kill_child_leaves_a_living_parents_command_alone: userns,
    kill_child_ends_the_namespace_when_sk_unshare_dies: userns,
    map_root_user_as_an_unprivileged_user,
    ranges_are_mapped_by_root_through_the_helper,
    only_the_standard_fds_reach_the_command: userns,
    a_time_namespace_offsets_the_boot_clock: userns,
    a_mount_inside_does_not_reach_the_host: userns,
    kernel_refusals_are_one_clear_line,
    the_staying_parent_cannot_be_reached_through_proc: userns,
}
