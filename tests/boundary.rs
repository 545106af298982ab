//! Nothing crosses into the container uninvited (issue 14, items 1, 2, 3,
//! 5 and 6): the caller's fds, its terminal, its signal state, and the
//! caller's death, through real chains. Terminal tests run the chain on a
//! real pty (tests/progs/pty_drive.py, python3's os.openpty) as a person at
//! a terminal would.

use sk_e2e::{headline, recommended, recommended_rootless, words};
use sk_testkit::{cmd, need_program, need_root, run, workspace, Cleanup, Output, Rootfs};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn chain(args: &[String]) -> Command {
    let mut c = cmd(&args[0]);
    c.args(&args[1..]);
    c
}

/// A busybox root with tests/progs/boundary.c in /boundary, enterable by
/// an unprivileged user.
fn root_with_boundary(test: &str) -> Option<Rootfs> {
    let root = Rootfs::busybox(test)?;
    let prog = sk_testkit::c_program(test, "boundary")?;
    std::fs::copy(prog, root.path().join("boundary")).unwrap();
    sk_testkit::sh(&format!("chmod 755 {}", root.path().display())).success();
    Some(root)
}

/// Runs `script` (a bash line, the "caller") on a new pty through
/// pty_drive.py with `steps`; returns what the terminal showed.
fn on_a_pty(steps: &str, script: &str) -> Output {
    let driver = workspace().join("tests/progs/pty_drive.py");
    run(cmd("python3")
        .arg(driver)
        .arg(steps)
        .args(["bash", "--norc", "--noprofile", "-c", script]))
}

fn shell_words(args: &[String]) -> String {
    args.join(" ")
}

fn pty_tests_can_run(test: &str) -> bool {
    need_root(test)
        && need_program(test, "python3", "python3")
        && need_program(test, "bash", "bash")
}

/// Sets dev.tty.legacy_tiocsti to 1 until the guard is dropped (kernels
/// before 6.2 have no such switch and always allow TIOCSTI).
fn allow_tiocsti() -> Option<Cleanup<impl FnMut()>> {
    let knob = Path::new("/proc/sys/dev/tty/legacy_tiocsti");
    let before = std::fs::read_to_string(knob).ok()?;
    std::fs::write(knob, "1").unwrap();
    Some(Cleanup(move || {
        let _ = std::fs::write(knob, before.trim());
    }))
}

/// The command pushes "INJECTED<newline>" into every terminal it holds;
/// after the chain the caller's shell reads a line from its terminal.
fn tiocsti_script(chain: &[String], extra: &str) -> String {
    format!(
        "{} /boundary tiocsti 'INJECTED\n' {extra}; echo rc=$?; \
         read -t 1 line; echo \"after:[$line]\"",
        shell_words(chain)
    )
}

fn tiocsti_from_the_command_never_reaches_the_callers_terminal() {
    let test = "tiocsti_from_the_command_never_reaches_the_callers_terminal";
    if !pty_tests_can_run(test) {
        return;
    }
    let Some(root) = root_with_boundary(test) else {
        return;
    };
    let _knob = allow_tiocsti();
    let steps = r#"[["expect","after:",20]]"#;
    // The headline chain keeps CAP_SYS_ADMIN; the recommended one does not.
    let mut rootless = words("setpriv --reuid 65534 --regid 65534 --clear-groups");
    rootless.extend(recommended_rootless(root.path()));
    for (name, args) in [
        ("headline", headline(root.path())),
        ("recommended", recommended(root.path())),
        ("rootless", rootless),
    ] {
        for extra in ["", "</dev/null >/dev/null 2>&1", "| cat"] {
            let out = on_a_pty(steps, &tiocsti_script(&args, extra));
            assert!(
                out.stdout.contains("after:[]"),
                "{name} chain {extra:?}: the injection reached the caller:\n{}",
                out.stdout
            );
            assert!(out.stdout.contains("rc=0"), "{name}: {}", out.stdout);
        }
        // On its own pty the command may push what it likes, to itself;
        // under the built-in docker-default (the recommended chains) the
        // filter refuses TIOCSTI outright, a second line of defence.
        let out = on_a_pty(steps, &tiocsti_script(&args, ""));
        let expected = if name == "headline" {
            "fd0: pushed"
        } else {
            "fd0: refused: Operation not permitted"
        };
        assert!(out.stdout.contains(expected), "{name}: {}", out.stdout);
    }
    // The probe is real: with --share-tty (the old behaviour) it gets through.
    let mut shared = headline(root.path());
    shared.insert(1, "--share-tty".into());
    let out = on_a_pty(steps, &tiocsti_script(&shared, ""));
    assert!(
        out.stdout.contains("after:[INJECTED]"),
        "the probe did not inject with --share-tty:\n{}",
        out.stdout
    );
}

fn an_interactive_shell_on_its_own_pty_has_job_control() {
    let test = "an_interactive_shell_on_its_own_pty_has_job_control";
    if !pty_tests_can_run(test) {
        return;
    }
    let Some(root) = root_with_boundary(test) else {
        return;
    };
    let steps = r##"[
        ["expect", "# ", 20],
        ["send", "tty; stty size\r"], ["expect", "24 80", 5],
        ["send", "echo via-$((6*7)) > /dev/tty\r"], ["expect", "via-42", 5],
        ["resize", 33, 101], ["sleep", 0.3],
        ["send", "stty size\r"], ["expect", "33 101", 5],
        ["send", "sleep 100\r"], ["sleep", 0.5], ["send", "\u0003"],
        ["send", "echo A$?\r"], ["expect", "A130", 5],
        ["send", "sleep 100\r"], ["sleep", 0.5], ["send", "\u001a"],
        ["expect", "[Ss]topped", 5],
        ["send", "fg\r"], ["sleep", 0.5], ["send", "\u0003"],
        ["send", "echo B$?\r"], ["expect", "B130", 5],
        ["send", "exit 3\r"], ["expect", "rc=3", 10]
    ]"##;
    let script = format!(
        "stty -g; {} sh; echo rc=$?; stty -g",
        shell_words(&headline(root.path()))
    );
    let out = on_a_pty(steps, &script);
    assert!(out.stdout.contains("@@EXIT 0"), "{}", out.stdout);
    assert!(!out.stdout.contains("@@NOT SEEN"), "{}", out.stdout);
    assert!(out.stdout.contains("/dev/pts/"), "tty: {}", out.stdout);
    // The caller's terminal settings before and after are the same.
    let settings: Vec<&str> = out
        .stdout
        .lines()
        .map(str::trim)
        .filter(|l| l.split(':').count() > 30)
        .collect();
    assert_eq!(settings.len(), 2, "{}", out.stdout);
    assert_eq!(settings[0], settings[1], "stty -g changed");
}

/// A busybox root and the caller's line: the headline chain to
/// `sleep 100`, then the status it ended with.
fn headline_sleep(test: &str) -> Option<(Rootfs, String)> {
    if !pty_tests_can_run(test) {
        return None;
    }
    let root = Rootfs::busybox(test)?;
    let script = format!(
        "{} sleep 100; echo rc=$?",
        shell_words(&headline(root.path()))
    );
    Some((root, script))
}

fn ctrl_c_on_the_terminal_ends_sleep_in_the_headline_chain() {
    let test = "ctrl_c_on_the_terminal_ends_sleep_in_the_headline_chain";
    let Some((_root, script)) = headline_sleep(test) else {
        return;
    };
    // The pty, relayed pipes, and stdio redirected (only the controlling
    // terminal, given up: the chain stays in the foreground group).
    let redirected = script.replacen("sleep 100;", "sleep 100 </dev/null >/dev/null 2>&1;", 1);
    for (mode, script) in [("", &script), ("--no-pty", &script), ("", &redirected)] {
        let script = script.replacen("sk-unshare", &format!("sk-unshare {mode}"), 1);
        let out = on_a_pty(
            r#"[["sleep", 1.5], ["send", "\u0003"], ["expect", "rc=", 10]]"#,
            &script,
        );
        assert!(out.stdout.contains("rc=130"), "{mode}: {}", out.stdout);
    }
}

/// A command that does not read its input never stops the relay: a paste
/// it leaves unread fills the pty (or the pipe), and Ctrl-C still ends it.
fn unread_input_never_wedges_the_relay() {
    let test = "unread_input_never_wedges_the_relay";
    let Some((_root, script)) = headline_sleep(test) else {
        return;
    };
    // More than the pty takes (about 4 KiB), or more than a pipe holds
    // (64 KiB): the relay keeps the rest and goes on serving signals.
    for (mode, lines) in [("", 700), ("--no-pty", 1300)] {
        let script = script.replacen("sk-unshare", &format!("sk-unshare {mode}"), 1);
        let x = "x".repeat(79);
        let steps = format!(
            r#"[["sleep", 1.5], ["send", "{x}\n", {lines}], ["sleep", 1.0],
                ["send", "\u0003"], ["expect", "rc=", 10]]"#
        );
        let out = on_a_pty(&steps, &script);
        assert!(out.stdout.contains("rc=130"), "{mode}: {}", out.stdout);
    }
}

fn a_chain_in_a_pipeline_gains_no_pty_and_no_carriage_returns() {
    let test = "a_chain_in_a_pipeline_gains_no_pty_and_no_carriage_returns";
    if !pty_tests_can_run(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.txt");
    let script = format!(
        "{} sh -c 'tty; echo two' > {}; echo rc=$?",
        shell_words(&headline(root.path())),
        file.display()
    );
    let out = on_a_pty(r#"[["expect", "rc=", 20]]"#, &script);
    assert!(out.stdout.contains("rc=0"), "{}", out.stdout);
    let written = std::fs::read(&file).unwrap();
    assert_eq!(written, b"not a tty\ntwo\n");
}

/// Spawns the chain with a directory fd (7, the host's /), a file fd (8)
/// and a socket (9) of the caller's; returns what `ls /proc/self/fd` and
/// the exit status said.
fn fds_seen(args: &[String], keep: &[&str]) -> Output {
    fds_seen_with(args, keep, Path::new("/"))
}

/// [`fds_seen`] with fd 7 on directory `dir` of the host.
fn fds_seen_with(args: &[String], keep: &[&str], dir: &Path) -> Output {
    let mut all = args.to_vec();
    let pivot = all.iter().position(|w| w == "sk-pivot").unwrap();
    for k in keep.iter().rev() {
        all.insert(pivot + 1, k.to_string());
    }
    fds_seen_plain(&all, dir)
}

fn the_callers_fds_do_not_reach_the_command_unless_kept() {
    let test = "the_callers_fds_do_not_reach_the_command_unless_kept";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let args = headline(root.path());
    let out = fds_seen(&args, &[]);
    out.success();
    let fds: Vec<&str> = out.stdout.split_whitespace().collect();
    assert_eq!(
        fds,
        ["0", "1", "2", "3"],
        "inherited fds reached the command"
    );

    let out = fds_seen(&args, &["--keep-fd", "8", "--keep-fd", "9"]);
    out.success();
    let fds: Vec<&str> = out.stdout.split_whitespace().collect();
    assert_eq!(fds, ["0", "1", "2", "3", "8", "9"], "kept fds are missing");

    // The host's / is a way out: refused, and nothing runs.
    let out = fds_seen(&args, &["--keep-fd", "7"]);
    out.expect_code(125)
        .one_error_line("cannot keep fd 7: it is a directory outside the new root");
    assert!(out.stdout.is_empty());
    // So is the new root's own directory opened on the host before the
    // pivot: its `..` leads up the host's tree.
    let inside = root.path().join("tmp");
    let out = fds_seen_with(&args, &["--keep-fd", "7"], &inside);
    out.expect_code(125)
        .one_error_line("cannot keep fd 7: it is a directory outside the new root");
    let out = fds_seen(&args, &["--keep-fd", "7", "--unsafe-keep-dir-fd"]);
    out.success();
    assert!(out.stdout.split_whitespace().any(|f| f == "7"));
}

fn socket_activation_passes_with_listen_pid_set_to_the_command() {
    let test = "socket_activation_passes_with_listen_pid_set_to_the_command";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let line = format!(
        "exec 3</etc/hostname 5</etc/hostname; LISTEN_PID=$$ LISTEN_FDS=1 exec {} \
         sh -c 'echo $LISTEN_PID $LISTEN_FDS; ls /proc/self/fd | tr \"\\n\" \" \"'",
        shell_words(&headline(root.path()))
    );
    let mut c = cmd("sh");
    c.args(["-c", &line]);
    sk_testkit::only_own_fds(&mut c);
    let out = run(&mut c);
    out.success();
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some("2 1"), "{}", out.stdout);
    let fds: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert!(fds.contains(&"3"), "the activated socket is gone: {fds:?}");
    assert!(!fds.contains(&"5"), "fd 5 was not activation's: {fds:?}");
}

fn sigpipe_is_the_callers_yes_head_prints_y_and_no_error() {
    let test = "sigpipe_is_the_callers_yes_head_prints_y_and_no_error";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    for args in [headline(root.path()), recommended(root.path())] {
        let out = run(chain(&args).args(["sh", "-c", "yes | head -1"]));
        out.success();
        assert_eq!(out.stdout, "y\n");
        assert_eq!(out.stderr, "", "yes complained");
    }
}

/// SigIgn and SigBlk of /proc/self/status.
fn signal_lines(c: &mut Command) -> String {
    // SAFETY: sigaction and sigprocmask are async-signal-safe.
    unsafe {
        c.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            libc::signal(libc::SIGUSR1, libc::SIG_IGN);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGUSR2);
            libc::sigaddset(&mut set, libc::SIGALRM);
            libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
    let out = run(c);
    out.success();
    out.stdout
        .lines()
        .filter(|l| l.starts_with("SigIgn") || l.starts_with("SigBlk"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn the_command_gets_the_callers_ignored_and_blocked_signals() {
    let test = "the_command_gets_the_callers_ignored_and_blocked_signals";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let caller = signal_lines(cmd("cat").arg("/proc/self/status"));
    // SIGHUP and SIGUSR1 ignored, SIGUSR2 and SIGALRM blocked (and
    // whatever the test runner had already).
    let mask = |key: &str| {
        let line = caller.lines().find(|l| l.starts_with(key)).unwrap();
        u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap()
    };
    assert_eq!(mask("SigIgn") & 0x201, 0x201, "{caller}");
    assert_eq!(mask("SigBlk") & 0x2800, 0x2800, "{caller}");
    for args in [headline(root.path()), recommended(root.path())] {
        let inside = signal_lines(chain(&args).args(["cat", "/proc/self/status"]));
        assert_eq!(inside, caller, "{}", args.join(" "));
    }
}

/// Starts the chain, sends `sig` after a second, and returns its status.
fn status_after_signal(args: &[String], sig: nix::sys::signal::Signal) -> i32 {
    let mut c = chain(args);
    c.args(["sleep", "100"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .process_group(0);
    let mut child = c.spawn().unwrap();
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let _guard = Cleanup(move || {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(-pid.as_raw()),
            nix::sys::signal::Signal::SIGKILL,
        );
    });
    std::thread::sleep(Duration::from_secs(1));
    nix::sys::signal::kill(pid, sig).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            use std::os::unix::process::ExitStatusExt;
            return st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0));
        }
        assert!(Instant::now() < deadline, "{sig} did not end the chain");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn sigint_and_sigterm_end_sleep_in_the_headline_chain() {
    let test = "sigint_and_sigterm_end_sleep_in_the_headline_chain";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    use nix::sys::signal::Signal;
    let args = headline(root.path());
    assert_eq!(status_after_signal(&args, Signal::SIGINT), 130);
    assert_eq!(status_after_signal(&args, Signal::SIGTERM), 143);
}

/// The pid namespaces of `pid` and all its descendants.
fn descendants(pid: i32) -> Vec<i32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let parent = all[i];
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Some(p) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<i32>().ok())
            else {
                continue;
            };
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
            let ppid: i32 = after
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            if ppid == parent && !all.contains(&p) {
                all.push(p);
            }
        }
        i += 1;
    }
    all
}

/// The living (not zombie) processes in pid namespace `ns`.
fn alive_in(ns: &str) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|p| {
            let link = std::fs::read_link(format!("/proc/{p}/ns/pid")).unwrap_or_default();
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            let state = stat
                .rsplit_once(')')
                .map(|(_, r)| r.trim_start())
                .unwrap_or("");
            link.to_string_lossy() == ns && !state.starts_with('Z')
        })
        .collect()
}

/// Runs `chain /boundary orphan` under a caller shell in a session of its
/// own, SIGKILLs `victim(caller, descendants)` once the grandchild is
/// ready, and returns what is alive of the container a second later.
/// Runs `WORDS orphan > OUT 2>&1; true` under a caller shell in a session
/// of its own (no controlling terminal) and waits until the orphan says
/// "ready" in OUT; returns the caller (and the directory of OUT, to keep).
fn caller_of_orphan(words: &str) -> (std::process::Child, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let line = format!("{words} orphan > {} 2>&1; true", out.display());
    let mut c = cmd("sh");
    c.args(["-c", &line]).stdin(Stdio::null());
    // SAFETY: setsid is async-signal-safe: no controlling terminal.
    unsafe {
        c.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let caller = c.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&out)
        .unwrap_or_default()
        .contains("ready")
    {
        assert!(
            Instant::now() < deadline,
            "not ready: {:?}",
            std::fs::read_to_string(&out)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (caller, dir)
}

fn left_after_killing(args: &[String], victim: impl Fn(i32, &[i32]) -> i32) -> Vec<i32> {
    let (mut caller, _dir) = caller_of_orphan(&format!("{} /boundary", shell_words(args)));
    let caller_pid = caller.id() as i32;
    let tree = descendants(caller_pid);
    let own = sk_testkit::ns_inode("self", "pid");
    let ns = tree
        .iter()
        .map(|p| std::fs::read_link(format!("/proc/{p}/ns/pid")).unwrap_or_default())
        .map(|l| l.to_string_lossy().into_owned())
        .find(|l| !l.is_empty() && *l != own)
        .expect("no process in a pid namespace of its own");
    let _guard = Cleanup(|| {
        for p in alive_in(&ns) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(p),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    });
    assert!(
        alive_in(&ns).len() >= 3,
        "init, command and grandchild: {:?} tree {:?} ns {ns}",
        alive_in(&ns),
        tree
    );
    let victim = victim(caller_pid, &tree);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(victim),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let left = alive_in(&ns);
    let _ = caller.wait();
    left
}

fn die_with_parent(args: &[String]) -> Vec<String> {
    let mut v = args.to_vec();
    v.insert(1, "--die-with-parent".into());
    v
}

fn the_container_dies_with_its_caller_rootful() {
    let test = "the_container_dies_with_its_caller_rootful";
    if !need_root(test) {
        return;
    }
    let Some(root) = root_with_boundary(test) else {
        return;
    };
    for args in [headline(root.path()), recommended(root.path())] {
        let left = left_after_killing(&die_with_parent(&args), |caller, _| caller);
        assert!(
            left.is_empty(),
            "alive a second after the caller: {left:?} ({})",
            args.join(" ")
        );
    }
}

fn the_container_dies_with_its_caller_rootless() {
    let test = "the_container_dies_with_its_caller_rootless";
    if !need_root(test) || !need_program(test, "setpriv", "util-linux") {
        return;
    }
    let Some(root) = root_with_boundary(test) else {
        return;
    };
    let mut args = words("setpriv --reuid 65534 --regid 65534 --clear-groups");
    args.extend(die_with_parent(&recommended_rootless(root.path())));
    // setpriv execs: the caller of sk-unshare is the shell.
    let left = left_after_killing(&args, |caller, _| caller);
    assert!(left.is_empty(), "alive a second after the caller: {left:?}");
}

fn kill_child_does_not_depend_on_the_command() {
    let test = "kill_child_does_not_depend_on_the_command";
    if !need_root(test) {
        return;
    }
    let Some(root) = root_with_boundary(test) else {
        return;
    };
    // sk-unshare's own staying parent dies; the command cleared its
    // parent-death signal: the init (PID 1) has it and takes the rest.
    let args = words(&format!(
        "sk-unshare -mup --kill-child sk-pivot {} sk-capdrop sys_time",
        root.path().display()
    ));
    let left = left_after_killing(&args, |_, tree| tree[1]);
    assert!(left.is_empty(), "alive after sk-unshare died: {left:?}");
}

fn sk_cgroup_rm_dies_with_its_caller_and_takes_the_group() {
    let test = "sk_cgroup_rm_dies_with_its_caller_and_takes_the_group";
    if !need_root(test) {
        return;
    }
    let prog = match sk_testkit::c_program(test, "boundary") {
        Some(p) => p,
        None => return,
    };
    let (mut caller, _dir) = caller_of_orphan(&format!(
        "sk-cgroup --rm --die-with-parent pids=64 {}",
        prog.display()
    ));
    let tree = descendants(caller.id() as i32);
    // caller, sk-cgroup, the command, and the grandchild (reparented to
    // sk-cgroup, the subreaper).
    assert!(tree.len() >= 4, "{tree:?}");
    let group = format!("sk-{}", tree[1]);
    let _guard = Cleanup(|| {
        for p in &tree[1..] {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(*p),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(tree[0]),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let _ = caller.wait();
    std::thread::sleep(Duration::from_secs(1));
    let alive: Vec<i32> = tree[1..]
        .iter()
        .copied()
        .filter(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            let state = stat
                .rsplit_once(')')
                .map(|(_, r)| r.trim_start())
                .unwrap_or("Z");
            !state.is_empty() && !state.starts_with('Z')
        })
        .collect();
    assert!(alive.is_empty(), "alive after the caller died: {alive:?}");
    let left = sk_testkit::sh(&format!(
        "find /sys/fs/cgroup -maxdepth 4 -type d -name '{group}'"
    ));
    assert_eq!(left.stdout, "", "the group is left");
}

fn a_mount_namespace_join_is_a_boundary_for_fds_too() {
    let test = "a_mount_namespace_join_is_a_boundary_for_fds_too";
    if !need_root(test) || !need_program(test, "unshare", "util-linux") {
        return;
    }
    let mut holder = cmd("unshare")
        .args(["-m", "--propagation", "private", "sleep", "60"])
        .spawn()
        .unwrap();
    let holder_pid = holder.id();
    let _h = Cleanup(move || {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(holder_pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
    });
    // Until unshare(1) has made the namespace and exec'd sleep.
    let deadline = Instant::now() + Duration::from_secs(10);
    while sk_testkit::ns_inode(&holder_pid.to_string(), "mnt")
        == sk_testkit::ns_inode("self", "mnt")
    {
        assert!(Instant::now() < deadline, "unshare -m did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    let join = [
        "sk-unshare".to_string(),
        "--join".into(),
        format!("mnt={holder_pid}"),
    ];
    let run_with = |keep: &[&str], dir: &Path| {
        let mut all = join.to_vec();
        all.extend(keep.iter().map(|k| k.to_string()));
        fds_seen_plain(&all, dir)
    };
    let out = run_with(&[], Path::new("/"));
    out.success();
    let fds: Vec<&str> = out.stdout.split_whitespace().collect();
    assert_eq!(fds, ["0", "1", "2", "3"], "inherited fds crossed the join");
    let out = run_with(&["--keep-fd", "8"], Path::new("/"));
    out.success();
    assert!(
        out.stdout.split_whitespace().any(|f| f == "8"),
        "{}",
        out.stdout
    );
    // The caller's / belongs to the caller's mount namespace.
    run_with(&["--keep-fd", "7"], Path::new("/"))
        .expect_code(125)
        .one_error_line("cannot keep fd 7");
    let _ = holder.kill();
    let _ = holder.wait();
}

/// The chain `args` then `sh -c 'ls /proc/self/fd'`, with fds 7 (`dir`),
/// 8 (a file) and 9 (a socket) of the caller's.
fn fds_seen_plain(args: &[String], dir: &Path) -> Output {
    let dir = std::fs::File::open(dir).unwrap();
    let file = std::fs::File::open("/etc/hostname").unwrap();
    let (sock, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
    let pairs: Vec<(RawFd, RawFd)> = vec![
        (dir.as_raw_fd(), 7),
        (file.as_raw_fd(), 8),
        (sock.as_raw_fd(), 9),
    ];
    let mut all = args.to_vec();
    all.extend(words("sh -c"));
    let mut c = chain(&all);
    c.arg("ls /proc/self/fd | tr '\\n' ' '");
    sk_testkit::only_own_fds(&mut c);
    // SAFETY: dup2 is async-signal-safe; the fds live until spawn returns.
    unsafe {
        c.pre_exec(move || {
            for (from, to) in &pairs {
                if libc::dup2(*from, *to) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    run(&mut c)
}

sk_testkit::tests! {
    tiocsti_from_the_command_never_reaches_the_callers_terminal,
    an_interactive_shell_on_its_own_pty_has_job_control,
    ctrl_c_on_the_terminal_ends_sleep_in_the_headline_chain,
    unread_input_never_wedges_the_relay,
    a_chain_in_a_pipeline_gains_no_pty_and_no_carriage_returns,
    the_callers_fds_do_not_reach_the_command_unless_kept,
    socket_activation_passes_with_listen_pid_set_to_the_command,
    sigpipe_is_the_callers_yes_head_prints_y_and_no_error,
    the_command_gets_the_callers_ignored_and_blocked_signals,
    sigint_and_sigterm_end_sleep_in_the_headline_chain,
    the_container_dies_with_its_caller_rootful,
    the_container_dies_with_its_caller_rootless,
    kill_child_does_not_depend_on_the_command,
    sk_cgroup_rm_dies_with_its_caller_and_takes_the_group,
    a_mount_namespace_join_is_a_boundary_for_fds_too,
}
