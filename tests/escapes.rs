//! Escape attempts against the recommended chain, rootful and rootless.
//! Each must fail; a test per attempt, named after it. The attempts run
//! the static probe program (tests/progs/probe.c) inside the container:
//! it prints "ok ..." only when an attempt succeeded.

use sk_e2e::{recommended_keeping, root_with_probe, rootless_in_cgroup, DOCKER_CAPS_WITHOUT_MKNOD};
use sk_testkit::{cmd, need_program, need_root, run, unique, Output};

#[derive(Copy, Clone)]
enum Form {
    Rootful,
    Rootless,
}

/// Runs `script` with `sh -c` at the end of the chain of `form`, keeping
/// `keep`; returns what happened, or None after a loud skip.
fn attempt_keeping(test: &str, form: Form, keep: &str, script: &str) -> Option<Output> {
    if !need_root(test) || !need_program(test, "setpriv", "util-linux") {
        return None;
    }
    let root = root_with_probe(test)?;
    let chain = match form {
        Form::Rootful => recommended_keeping(root.path(), keep),
        Form::Rootless => rootless_in_cgroup(root.path(), 65534, keep),
    };
    let mut c = cmd(&chain[0]);
    c.args(&chain[1..]).args(["/bin/sh", "-c", script]);
    let out = run(&mut c);
    assert!(
        !out.stderr.contains("cannot") || out.stdout.contains("denied"),
        "the chain itself failed:\n{}",
        out.stderr
    );
    Some(out)
}

fn attempt(test: &str, form: Form, script: &str) -> Option<Output> {
    attempt_keeping(test, form, DOCKER_CAPS_WITHOUT_MKNOD, script)
}

#[track_caller]
fn assert_denied(out: &Output, why: &str) {
    assert!(
        !out.stdout.lines().any(|l| l.starts_with("ok")),
        "an escape succeeded:\n{}{}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stdout.contains(why) || out.stderr.contains(why),
        "expected {why:?}:\n--- stdout\n{}--- stderr\n{}",
        out.stdout,
        out.stderr
    );
}

/// Both forms of each attempt, as two tests.
macro_rules! both_forms {
    ($rootful:ident, $rootless:ident, $body:expr) => {
        fn $rootful() {
            ($body)(stringify!($rootful), Form::Rootful)
        }
        fn $rootless() {
            ($body)(stringify!($rootless), Form::Rootless)
        }
    };
}

both_forms!(
    chroot_escape_finds_only_the_container,
    chroot_escape_finds_only_the_container_rootless,
    |test, form| {
        if !need_root(test) {
            return;
        }
        // Made at the host's root: the listing names it if it is the host's.
        let host = sk_testkit::HostRootMarker::new();
        let Some(out) = attempt(test, form, "cd /tmp && /probe chroot-escape") else {
            return;
        };
        // chroot is allowed (Docker keeps SYS_CHROOT), but climbing out of
        // it ends at the container's root: the host's is detached.
        assert!(
            out.stdout.starts_with("ok root:") || out.stdout.contains("denied"),
            "{}",
            out.stdout
        );
        if out.stdout.starts_with("ok root:") {
            assert!(
                out.stdout.contains(" probe"),
                "not the container's root: {}",
                out.stdout
            );
            assert!(
                !out.stdout.split_whitespace().any(|e| e == host.name),
                "the host's root: {}",
                out.stdout
            );
        }
    }
);

fn host_root_device() -> (u32, u32) {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let line = info
        .lines()
        .find(|l| l.split(' ').nth(4) == Some("/"))
        .unwrap();
    let mm = line.split(' ').nth(2).unwrap();
    let (a, b) = mm.split_once(':').unwrap();
    (a.parse().unwrap(), b.parse().unwrap())
}

both_forms!(
    mounting_the_host_disk_fails,
    mounting_the_host_disk_fails_rootless,
    |test, form| {
        let (major, minor) = host_root_device();
        let script = format!(
        "mknod /tmp/disk b {major} {minor} 2>&1; /probe read-dev /tmp/disk; /probe mount /tmp/disk /mnt; \
         ls /dev/vda /dev/sda 2>&1"
    );
        let Some(out) = attempt(test, form, &script) else {
            return;
        };
        assert_denied(&out, "denied");
        assert!(!out.stdout.contains("ok mounted"));
    }
);

both_forms!(
    writing_proc_sysrq_trigger_fails,
    writing_proc_sysrq_trigger_fails_rootless,
    |test, form| {
        if !sk_testkit::need_kernel_file(test, "/proc/sysrq-trigger", "CONFIG_MAGIC_SYSRQ") {
            return;
        }
        // 'h' only prints help to the kernel log, should the write ever pass.
        let Some(out) = attempt(
            test,
            form,
            "echo h > /proc/sysrq-trigger && echo ok written",
        ) else {
            return;
        };
        // /proc/sys and sysrq-trigger are read-only inside.
        assert_denied(&out, "Read-only file system");
        assert!(!out.stdout.contains("ok written"));
    }
);

both_forms!(
    reading_proc_kcore_gives_nothing,
    reading_proc_kcore_gives_nothing_rootless,
    |test, form| {
        if !sk_testkit::need_kernel_file(test, "/proc/kcore", "CONFIG_PROC_KCORE") {
            return;
        }
        let Some(out) = attempt(
            test,
            form,
            "echo bytes=$(head -c 16 /proc/kcore 2>/dev/null | wc -c)",
        ) else {
            return;
        };
        assert_eq!(out.stdout.trim(), "bytes=0", "{}", out.stderr);
    }
);

both_forms!(
    loading_a_kernel_module_fails,
    loading_a_kernel_module_fails_rootless,
    |test, form| {
        let Some(out) = attempt(test, form, "/probe load-module") else {
            return;
        };
        assert_denied(&out, "Operation not permitted");
    }
);

/// A host process for the container to aim at; killed on drop.
struct HostTarget(std::process::Child);

impl HostTarget {
    fn start() -> HostTarget {
        HostTarget(cmd("sleep").arg("120").spawn().unwrap())
    }
    fn pid(&self) -> u32 {
        self.0.id()
    }
    fn alive(&mut self) -> bool {
        self.0.try_wait().unwrap().is_none()
    }
}

impl Drop for HostTarget {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

both_forms!(
    ptrace_of_a_host_process_fails,
    ptrace_of_a_host_process_fails_rootless,
    |test, form| {
        let mut target = HostTarget::start();
        let Some(out) = attempt(test, form, &format!("/probe ptrace {}", target.pid())) else {
            return;
        };
        assert_denied(&out, "denied");
        assert!(target.alive());
    }
);

both_forms!(
    killing_a_host_process_fails,
    killing_a_host_process_fails_rootless,
    |test, form| {
        let mut target = HostTarget::start();
        let Some(out) = attempt(
            test,
            form,
            &format!(
                "/probe kill {}; kill -9 {} 2>&1",
                target.pid(),
                target.pid()
            ),
        ) else {
            return;
        };
        assert_denied(&out, "No such process");
        assert!(target.alive(), "the host process was killed");
    }
);

both_forms!(
    unshare_user_to_regain_capabilities_fails,
    unshare_user_to_regain_capabilities_fails_rootless,
    |test, form| {
        let Some(out) = attempt(
            test,
            form,
            "/probe unshare-user; unshare -U -r date -s @$(date +%s) 2>&1",
        ) else {
            return;
        };
        assert_denied(&out, "Operation not permitted");
    }
);

both_forms!(
    changing_the_time_fails,
    changing_the_time_fails_rootless,
    |test, form| {
        // The current time: should it ever pass, nothing changes.
        let Some(out) = attempt(test, form, "date -s @$(date +%s) 2>&1") else {
            return;
        };
        assert!(
            out.stdout.contains("Operation not permitted"),
            "{}{}",
            out.stdout,
            out.stderr
        );
    }
);

both_forms!(
    raw_sockets_fail_when_net_raw_is_dropped,
    raw_sockets_fail_when_net_raw_is_dropped_rootless,
    |test, form| {
        let keep = DOCKER_CAPS_WITHOUT_MKNOD.replace("net_raw,", "");
        let Some(out) = attempt_keeping(test, form, &keep, "/probe raw-socket") else {
            return;
        };
        assert_denied(&out, "Operation not permitted");
    }
);

both_forms!(
    host_abstract_unix_sockets_are_out_of_reach,
    host_abstract_unix_sockets_are_out_of_reach_rootless,
    |test, form| {
        use std::os::linux::net::SocketAddrExt;
        let name = unique("sk-e2e-abstract-");
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let _listener = std::os::unix::net::UnixListener::bind_addr(&addr).unwrap();
        // The same probe on the host reaches it: the attempt is meaningful.
        let probe = sk_testkit::c_program(test, "probe").unwrap();
        run(cmd(&probe).args(["abstract", &name])).success();
        let Some(out) = attempt(test, form, &format!("/probe abstract {name}")) else {
            return;
        };
        assert_denied(&out, "Connection refused");
    }
);

fn the_probe_does_escape_without_the_chain() {
    // A control: on the bare host the same probes succeed, so their
    // failures above are the chain's doing.
    let test = "the_probe_does_escape_without_the_chain";
    if !need_root(test) {
        return;
    }
    let Some(probe) = sk_testkit::c_program(test, "probe") else {
        return;
    };
    run(cmd(&probe).arg("raw-socket")).success();
    let host = sk_testkit::HostRootMarker::new();
    let dir = tempfile::tempdir().unwrap();
    let out = run(cmd(&probe).arg("chroot-escape").current_dir(dir.path()));
    // A plain chroot is escaped: the listing is the host's root.
    assert!(
        out.stdout.split_whitespace().any(|e| e == host.name),
        "{}",
        out.stdout
    );
}

sk_testkit::tests! {
    the_probe_does_escape_without_the_chain,
    chroot_escape_finds_only_the_container,
    chroot_escape_finds_only_the_container_rootless,
    mounting_the_host_disk_fails,
    mounting_the_host_disk_fails_rootless,
    writing_proc_sysrq_trigger_fails,
    writing_proc_sysrq_trigger_fails_rootless,
    reading_proc_kcore_gives_nothing,
    reading_proc_kcore_gives_nothing_rootless,
    loading_a_kernel_module_fails,
    loading_a_kernel_module_fails_rootless,
    ptrace_of_a_host_process_fails,
    ptrace_of_a_host_process_fails_rootless,
    killing_a_host_process_fails,
    killing_a_host_process_fails_rootless,
    unshare_user_to_regain_capabilities_fails,
    unshare_user_to_regain_capabilities_fails_rootless,
    changing_the_time_fails,
    changing_the_time_fails_rootless,
    raw_sockets_fail_when_net_raw_is_dropped,
    raw_sockets_fail_when_net_raw_is_dropped_rootless,
    host_abstract_unix_sockets_are_out_of_reach,
    host_abstract_unix_sockets_are_out_of_reach_rootless,
}
