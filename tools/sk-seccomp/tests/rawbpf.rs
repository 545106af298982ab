//! Raw programs: `--compile` writes what bwrap --seccomp loads; `--bpf`
//! and `--bpf-fd` load what libseccomp's seccomp_export_bpf writes; bad
//! programs are refused (125, one line, the command not run).

mod common;
use common::{seccomp, Scratch};
use sk_seccomp::bpf;
use sk_testkit::{need_program, run, Output};
use std::process::Command;

/// `sh -c SCRIPT sh ARGS...`, for the fd redirections.
fn sh(script: &str, args: &[&str]) -> Output {
    let mut c = Command::new("sh");
    c.args(["-c", script, "sh"]).args(args);
    run(common::no_core(&mut c))
}

/// A program for "mkdir fails with EACCES", made by --compile.
fn compile_mkdir_denial(dir: &Scratch) -> String {
    let f = dir.str("mkdir.bpf");
    let out = seccomp(&[
        "--default",
        "allow",
        "--errno",
        "EACCES:mkdir,mkdirat",
        "--compile",
        &f,
    ]);
    out.success();
    assert_eq!(out.stderr, "");
    f
}

fn a_compiled_program_loads_with_bwrap_seccomp() {
    let test = "a_compiled_program_loads_with_bwrap_seccomp";
    if !sk_testkit::need_root(test) || !need_program(test, "bwrap", "bubblewrap") {
        return;
    }
    let dir = Scratch::new();
    let f = compile_mkdir_denial(&dir);
    let bwrap = r#"exec bwrap --dev-bind / / --seccomp 9 mkdir "$1" 9<"$2""#;
    let out = sh(bwrap, &[&dir.str("x"), &f]);
    assert_ne!(out.code(), 0);
    assert!(out.stderr.contains("Permission denied"), "{}", out.stderr);
    assert!(!dir.path("x").exists());
    // Without the filter the same bwrap line makes the directory.
    let out = sh(r#"exec bwrap --dev-bind / / mkdir "$1""#, &[&dir.str("y")]);
    out.success();
    assert!(dir.path("y").is_dir());
    // The built-in, compiled, keeps its decisions under bwrap.
    let dd = dir.str("docker.bpf");
    seccomp(&["--profile", "docker-default", "--compile", &dd]).success();
    let out = sh(
        r#"exec bwrap --dev-bind / / --seccomp 9 unshare -U true 9<"$1""#,
        &[&dd],
    );
    // As root with every capability Docker allows unshare: it works.
    out.success();
    let size = std::fs::metadata(&dd).unwrap().len() as usize;
    assert_eq!(size % 8, 0);
    assert!(size / 8 > 1000 && size / 8 <= bpf::MAX_INSNS);
}

fn a_libseccomp_export_loads_with_bpf_and_bpf_fd() {
    let test = "a_libseccomp_export_loads_with_bpf_and_bpf_fd";
    if !need_program(test, "gcc", "gcc") {
        return;
    }
    let dir = Scratch::new();
    let exe = dir.path("export_bpf");
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/progs/export_bpf.c");
    let out = run(Command::new("gcc")
        .args(["-static", "-O1", "-o"])
        .arg(&exe)
        .arg(src)
        .arg("-lseccomp"));
    assert!(out.status.success(), "gcc: {}", out.stderr);
    let f = dir.str("libseccomp.bpf");
    run(Command::new(&exe).arg(&f)).success();
    let out = seccomp(&["--bpf", &f, "mkdir", &dir.str("a")]);
    assert_ne!(out.code(), 0);
    assert!(out.stderr.contains("Permission denied"), "{}", out.stderr);
    assert!(!dir.path("a").exists());
    // Through a descriptor, which the command does not inherit.
    let check = r#"exec "$1" --bpf-fd 9 --flag log sh -c '
        mkdir "$2" 2>/dev/null && echo made || echo refused
        [ -e /proc/self/fd/9 ] && echo fd-leaked || echo fd-closed' sh "$2" 9<"$3""#;
    let out = sh(
        check,
        &[
            &sk_testkit::bin("sk-seccomp").to_string_lossy(),
            &dir.str("b"),
            &f,
        ],
    );
    out.success();
    assert_eq!(out.stdout, "refused\nfd-closed\n");
}

/// Bad programs: each one is refused before the command runs.
fn bad_programs_are_refused_with_one_line() {
    let dir = Scratch::new();
    let good = std::fs::read(compile_mkdir_denial(&dir)).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(dir.path(name), bytes).unwrap();
        dir.str(name)
    };
    let allow_all = bpf::to_bytes(&[libc::sock_filter {
        code: 0x06,
        jt: 0,
        jf: 0,
        k: bpf::RET_ALLOW,
    }]);
    let mut long = good.clone();
    while long.len() <= bpf::MAX_INSNS * 8 {
        long.extend_from_slice(&good);
    }
    std::fs::create_dir(dir.path("a-directory")).unwrap();
    let marker = dir.str("ran");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--bpf".into(), write("truncated", &good[..good.len() - 3])],
            "truncated",
        ),
        (
            vec!["--bpf".into(), write("long", &long)],
            "longer than the kernel's 4096",
        ),
        (
            vec!["--bpf".into(), write("no-arch", &allow_all)],
            "architecture",
        ),
        (vec!["--bpf".into(), write("empty", &[])], "empty"),
        (
            vec!["--bpf".into(), dir.str("a-directory")],
            "Is a directory",
        ),
        (vec!["--bpf".into(), dir.str("missing")], "No such file"),
        (
            vec!["--bpf-fd".into(), "57".into()],
            "cannot read the BPF program from fd 57",
        ),
    ];
    for (opts, needle) in cases {
        let mut args: Vec<&str> = opts.iter().map(String::as_str).collect();
        args.extend(["touch", &marker]);
        seccomp(&args).expect_code(125).one_error_line(needle);
        assert!(!dir.path("ran").exists(), "{opts:?}: the command ran");
    }
    // --bpf-unchecked is the way to load a program without the check.
    let no_arch = dir.str("no-arch");
    seccomp(&["--bpf", &no_arch, "--bpf-unchecked", "touch", &marker]).success();
    assert!(dir.path("ran").exists());
}

fn compile_refuses_what_a_raw_program_cannot_carry() {
    let dir = Scratch::new();
    let f = dir.str("p.bpf");
    // Notify and learn need a listener and a supervisor.
    for args in [
        &["--notify", "uname", "--compile", &f][..],
        &["--compile", &f, "--learn", &dir.str("l.json")][..],
        &["--compile", &f, "--kill", "mkdir", "true"][..],
        &["--bpf", &f, "--notify", "uname", "true"][..],
        &["--bpf", &f, "--profile", "docker-default", "true"][..],
    ] {
        seccomp(args)
            .expect_code(125)
            .one_error_line("cannot be used with");
    }
    let notify = dir.path("notify.json");
    std::fs::write(
        &notify,
        r#"{"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["uname"], "action": "SCMP_ACT_NOTIFY"}]}"#,
    )
    .unwrap();
    seccomp(&["--profile", &notify.to_string_lossy(), "--compile", &f])
        .expect_code(125)
        .one_error_line("need a supervisor");
    // Flags are named: the program is written, and the loader must ask again.
    let logged = dir.path("log.json");
    std::fs::write(
        &logged,
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG"],
            "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}"#,
    )
    .unwrap();
    seccomp(&["--profile", &logged.to_string_lossy(), "--compile", &f])
        .success()
        .one_error_line("cannot carry SECCOMP_FILTER_FLAG_LOG: load it with sk-seccomp --bpf");
    seccomp(&["--bpf", &f, "--flag", "log", "true"]).success();
    seccomp(&["--bpf", &f, "--flag", "new-listener", "true"])
        .expect_code(125)
        .one_error_line("new-listener");
}

fn notify_keeps_working_with_the_builtin() {
    // A supervisor needs a program built with its notify rules: the
    // built-in is compiled with them rather than loaded precompiled.
    let out = seccomp(&[
        "--profile",
        "docker-default",
        "--notify",
        "uname",
        "--report",
        "uname",
    ]);
    assert_ne!(out.code(), 0);
    assert!(
        out.stderr.contains("uname(") && out.stderr.contains("denied (EPERM)"),
        "{}",
        out.stderr
    );
}

sk_testkit::tests! {
    a_compiled_program_loads_with_bwrap_seccomp,
    a_libseccomp_export_loads_with_bpf_and_bpf_fd,
    bad_programs_are_refused_with_one_line,
    compile_refuses_what_a_raw_program_cannot_carry,
    notify_keeps_working_with_the_builtin,
}
