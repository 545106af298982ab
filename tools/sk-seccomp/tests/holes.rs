//! The holes of Docker's published rules, tried with a static probe
//! (tests/progs/holes.c) under the built-in docker-default, which must
//! refuse them, and under Docker's own file, where they were found.
//! Answers: `ok` or an errno; 1 (EPERM) is the filter's default answer.

mod common;
use common::{build_c, docker_json, no_core, seccomp, Scratch};
use sk_testkit::{need_program, need_root, run};

const HOLES_C: &str = include_str!("progs/holes.c");

/// The probe's answer to one attempt under `profile`.
fn attempt(probe: &str, profile: &str, args: &[&str]) -> String {
    let mut argv = vec!["--profile", profile, probe];
    argv.extend_from_slice(args);
    let out = seccomp(&argv);
    out.success();
    let line = out.stdout.trim_end().to_string();
    line.rsplit(' ').next().unwrap().to_string()
}

fn probe(test: &str, dir: &Scratch) -> Option<String> {
    let exe = build_c(test, &dir.0, "holes", HOLES_C)?;
    Some(exe.to_string_lossy().into_owned())
}

fn high_bit_families_are_refused_on_x86_64() {
    let test = "high_bit_families_are_refused_on_x86_64";
    let dir = Scratch::new();
    let Some(p) = probe(test, &dir) else { return };
    let json = docker_json(test).unwrap().to_string_lossy().into_owned();
    // AF_VSOCK (40) and AF_ALG (38), plain and with bit 32 set.
    for fam in [
        "40",
        "0x100000028",
        "38",
        "0x100000026",
        "0xffffffff00000028",
    ] {
        assert_eq!(
            attempt(&p, "docker-default", &["socket", fam, "1", "0"]),
            "1",
            "{fam}"
        );
    }
    // The hole, as Docker's file has it: the high-bit family passes the
    // filter (the kernel then makes the socket or says why not).
    assert_ne!(
        attempt(&p, &json, &["socket", "0x100000028", "1", "0"]),
        "1"
    );
    assert_eq!(attempt(&p, &json, &["socket", "40", "1", "0"]), "1");
    // Compiled to a raw program and loaded with --bpf, it decides alike.
    let bpf = dir.str("docker.bpf");
    seccomp(&["--profile", "docker-default", "--compile", &bpf]).success();
    let out = seccomp(&["--bpf", &bpf, &p, "socket", "0x100000028", "1", "0"]);
    out.success();
    assert_eq!(out.stdout, "socket 0x100000028 1 0 1\n");
    // Ordinary families still work, with or without high bits.
    for fam in ["1", "2", "10", "0x100000001"] {
        assert_eq!(
            attempt(&p, "docker-default", &["socket", fam, "1", "0"]),
            "ok",
            "{fam}"
        );
    }
}

fn i386_socketcall_and_direct_socket_are_refused() {
    let test = "i386_socketcall_and_direct_socket_are_refused";
    if !need_root(test) {
        return;
    }
    let dir = Scratch::new();
    let Some(p) = probe(test, &dir) else { return };
    // The probe's int 0x80 must reach the kernel here, or this proves nothing.
    let plain = run(sk_testkit::cmd(&p).arg("i386getpid"));
    if plain.stdout.trim_end() != "i386getpid ok" {
        sk_testkit::skip(test, "this kernel has no IA32 emulation (int 0x80)");
        return;
    }
    let json = docker_json(test).unwrap().to_string_lossy().into_owned();
    // socketcall hides the family behind a pointer: Docker's file lets
    // every family through it; the built-in refuses socketcall itself,
    // with ENOSYS (38), as a kernel without it would.
    assert_ne!(attempt(&p, &json, &["socketcall", "40", "1", "0"]), "1");
    assert_ne!(attempt(&p, &json, &["socketcall", "40", "1", "0"]), "38");
    for fam in ["40", "38", "16", "1", "2"] {
        assert_eq!(
            attempt(&p, "docker-default", &["socketcall", fam, "1", "0"]),
            "38",
            "{fam}"
        );
    }
    // The direct i386 socket(2) is filtered by family, on 32 bits.
    assert_eq!(
        attempt(&p, "docker-default", &["i386socket", "40", "1", "0"]),
        "1"
    );
    assert_eq!(
        attempt(&p, "docker-default", &["i386socket", "38", "5", "0"]),
        "1"
    );
    assert_eq!(
        attempt(&p, "docker-default", &["i386socket", "1", "1", "0"]),
        "ok"
    );
    assert_eq!(attempt(&p, "docker-default", &["i386getpid"]), "ok");
}

fn x32_socket_is_filtered_on_the_low_32_bits() {
    let test = "x32_socket_is_filtered_on_the_low_32_bits";
    let dir = Scratch::new();
    let Some(p) = probe(test, &dir) else { return };
    // seccomp judges an x32 call before the kernel looks for the x32 ABI:
    // without it (this kernel: CONFIG_X86_X32_ABI off or syscall.x32=n) a
    // call the filter lets through ends in ENOSYS (38), one it refuses in
    // EPERM (1), so the filter's decision shows either way.
    let plain = run(sk_testkit::cmd(&p).arg("x32getpid"));
    let has_x32 = plain.stdout.trim_end() == "x32getpid ok";
    eprintln!("{test}: the kernel has the x32 ABI: {has_x32}");
    for fam in ["40", "0x100000028", "38"] {
        assert_eq!(
            attempt(&p, "docker-default", &["x32socket", fam, "1", "0"]),
            "1",
            "{fam}"
        );
    }
    let passed = if has_x32 { "ok" } else { "38" };
    assert_eq!(
        attempt(&p, "docker-default", &["x32socket", "1", "1", "0"]),
        passed
    );
    assert_eq!(attempt(&p, "docker-default", &["x32getpid"]), passed);
}

/// `setpriv --bounding-set=-audit_write sk-seccomp ARGS`: root that cannot
/// hold CAP_AUDIT_WRITE.
fn without_audit_write(args: &[&str]) -> sk_testkit::Output {
    let mut c = sk_testkit::cmd("setpriv");
    c.args(["--bounding-set=-audit_write", "--"])
        .arg(sk_testkit::bin("sk-seccomp"))
        .args(args);
    run(no_core(&mut c))
}

fn netlink_audit_needs_cap_audit_write() {
    let test = "netlink_audit_needs_cap_audit_write";
    if !need_root(test) || !need_program(test, "setpriv", "util-linux") {
        return;
    }
    let dir = Scratch::new();
    let Some(p) = probe(test, &dir) else { return };
    let ask = |args: &[&str]| {
        let mut argv = vec!["--profile", "docker-default", p.as_str()];
        argv.extend_from_slice(args);
        let out = without_audit_write(&argv);
        out.success();
        out.stdout
            .trim_end()
            .rsplit(' ')
            .next()
            .unwrap()
            .to_string()
    };
    // AF_NETLINK (16), SOCK_RAW (3), NETLINK_AUDIT (9): EINVAL, which
    // libaudit reads as "no audit in this kernel".
    assert_eq!(ask(&["socket", "16", "3", "9"]), "22");
    assert_eq!(ask(&["socket", "0x100000010", "3", "0x100000009"]), "22");
    // The same through x32 (refused by the filter whether or not the
    // kernel has x32) and through i386 socket(2) and socketcall.
    assert_eq!(ask(&["x32socket", "16", "3", "9"]), "22");
    let ia32 = run(sk_testkit::cmd(&p).arg("i386getpid"));
    if ia32.stdout.trim_end() == "i386getpid ok" {
        assert_eq!(ask(&["i386socket", "16", "3", "9"]), "22");
        assert_eq!(ask(&["socketcall", "16", "3", "9"]), "38");
    }
    // Other netlink protocols (NETLINK_ROUTE) stay open.
    assert_eq!(ask(&["socket", "16", "3", "0"]), "ok");
    // With CAP_AUDIT_WRITE (root's full set), Docker's decision: allowed.
    assert_eq!(
        attempt(&p, "docker-default", &["socket", "16", "3", "9"]),
        "ok"
    );
}

fn tiocsti_and_tioclinux_are_refused_on_the_low_32_bits() {
    let test = "tiocsti_and_tioclinux_are_refused_on_the_low_32_bits";
    let dir = Scratch::new();
    let Some(p) = probe(test, &dir) else { return };
    let json = docker_json(test).unwrap().to_string_lossy().into_owned();
    // stdin is not a terminal here: a request that passes the filter gets
    // ENOTTY (25) from the kernel; a refused one EPERM (1).
    for req in ["0x5412", "0x100005412", "0x541c", "0xffffffff0000541c"] {
        assert_eq!(attempt(&p, "docker-default", &["ioctl", req]), "1", "{req}");
        assert_ne!(attempt(&p, &json, &["ioctl", req]), "1", "{req}");
    }
    // TCGETS (isatty) goes through.
    assert_eq!(attempt(&p, "docker-default", &["ioctl", "0x5401"]), "25");
}

sk_testkit::tests! {
    high_bit_families_are_refused_on_x86_64,
    i386_socketcall_and_direct_socket_are_refused,
    x32_socket_is_filtered_on_the_low_32_bits,
    netlink_audit_needs_cap_audit_write,
    tiocsti_and_tioclinux_are_refused_on_the_low_32_bits,
}
