//! Command-line rules, loaded for real: SIGSYS, errnos, conditions,
//! allow lists, other architectures, bad input.

mod common;
use common::{build_c, seccomp, Scratch, SIGSYS_STATUS};
use sk_testkit::need_root;

fn kill_mkdir_kills_the_shell_with_sigsys_and_makes_no_directory() {
    let dir = Scratch::new();
    let x = dir.str("x");
    let out = seccomp(&["--kill", "mkdir", "sh", "-c", &format!("mkdir {x}")]);
    out.expect_code(SIGSYS_STATUS);
    assert!(!dir.path("x").exists());
}

fn a_condition_that_matches_kills_too() {
    let dir = Scratch::new();
    let x = dir.str("x");
    seccomp(&["--kill", "mkdir:arg1>=0", "sh", "-c", &format!("mkdir {x}")])
        .expect_code(SIGSYS_STATUS);
    assert!(!dir.path("x").exists());
}

fn a_condition_that_does_not_match_lets_the_call_through() {
    let dir = Scratch::new();
    let x = dir.str("x");
    // mkdir(2)'s mode is 0777 from mkdir(1); the rule wants 0700.
    seccomp(&[
        "--kill",
        "mkdir:arg1==0o700",
        "sh",
        "-c",
        &format!("mkdir {x}"),
    ])
    .success();
    assert!(dir.path("x").is_dir());
}

fn errno_eperm_on_fchownat_fails_chown_only() {
    if !need_root("errno_eperm_on_fchownat_fails_chown_only") {
        return;
    }
    let dir = Scratch::new();
    let f = dir.str("f");
    std::fs::write(&f, "x").unwrap();
    let out = seccomp(&["--errno", "EPERM:fchownat", "chown", "nobody", &f]);
    out.expect_code(1).one_error_line("Operation not permitted");
    // Other calls work: the file is read, written and listed.
    let out = seccomp(&[
        "--errno",
        "EPERM:fchownat",
        "sh",
        "-c",
        &format!("cat {f} && echo y >>{f} && ls {f}"),
    ]);
    out.success();
    assert!(out.stdout.contains(&f));
}

fn an_errno_by_number_is_returned() {
    let dir = Scratch::new();
    let out = seccomp(&["--errno", "13:mkdir,mkdirat", "mkdir", &dir.str("x")]);
    out.expect_code(1);
    assert!(out.stderr.contains("Permission denied"), "{}", out.stderr);
}

/// What busybox sh needs to start and run `echo hi` (getcwd: to check $PWD).
const BUSYBOX_ECHO: &[&str] = &[
    "arch_prctl",
    "brk",
    "exit_group",
    "getcwd",
    "getpid",
    "getppid",
    "getrandom",
    "getuid",
    "mprotect",
    "newfstatat",
    "prctl",
    "prlimit64",
    "readlink",
    "rseq",
    "rt_sigaction",
    "set_robust_list",
    "set_tid_address",
    "uname",
    "write",
];

fn a_default_kill_allow_list_runs_busybox_echo() {
    // Busybox as a user who is not root makes more calls (its suid
    // handling: getgid, /etc/busybox.conf) than the lists below allow.
    if !sk_testkit::need_root("a_default_kill_allow_list_runs_busybox_echo") {
        return;
    }
    let list = BUSYBOX_ECHO.join(",");
    let out = seccomp(&[
        "--default",
        "kill",
        "--allow",
        &list,
        "/bin/busybox",
        "sh",
        "-c",
        "echo hi",
    ]);
    out.success();
    assert_eq!(out.stdout, "hi\n");
}

fn one_call_removed_from_the_allow_list_kills_the_shell() {
    let list: Vec<&str> = BUSYBOX_ECHO
        .iter()
        .copied()
        .filter(|s| *s != "write")
        .collect();
    let out = seccomp(&[
        "--default",
        "kill",
        "--allow",
        &list.join(","),
        "/bin/busybox",
        "sh",
        "-c",
        "echo hi",
    ]);
    out.expect_code(SIGSYS_STATUS);
    assert_eq!(out.stdout, "");
}

fn unshare_is_denied_only_for_a_new_user_namespace() {
    if !need_root("unshare_is_denied_only_for_a_new_user_namespace") {
        return;
    }
    let rule = "EPERM:unshare:arg0&0x10000000==0x10000000";
    let out = seccomp(&["--errno", rule, "unshare", "-U", "true"]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("Operation not permitted"),
        "{}",
        out.stderr
    );
    seccomp(&["--errno", rule, "unshare", "-u", "true"]).success();
}

const INT80_MKDIR: &str = r#"
/* mkdir(argv[1]) as a 32-bit call: int 0x80 with i386's number 39. The
   path is copied to static memory, below 4 GiB in this non-PIE binary. */
static char path[4096];
int main(int argc, char **argv) {
    long ret;
    for (int i = 0; argv[1][i] && i < 4095; i++) path[i] = argv[1][i];
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(39), "b"(path), "c"(0755) : "memory");
    return ret == 0 ? 0 : 1;
}
"#;

fn a_32_bit_mkdir_cannot_bypass_a_deny_rule() {
    let name = "a_32_bit_mkdir_cannot_bypass_a_deny_rule";
    let dir = Scratch::new();
    let Some(prog) = build_c(name, &dir.0, "int80mkdir", INT80_MKDIR) else {
        return;
    };
    let prog = prog.to_string_lossy().into_owned();
    // Without a filter the 32-bit call works (the kernel has IA-32 emulation).
    let plain = sk_testkit::run(common::no_core(&mut sk_testkit::cmd(&prog)).arg(dir.str("plain")));
    if !dir.path("plain").is_dir() {
        return sk_testkit::skip(
            name,
            &format!("no IA-32 emulation: int 0x80 gave {}", plain.code()),
        );
    }
    // Native arch only: the i386 call is from another architecture: killed.
    seccomp(&["--kill", "mkdir", &prog, &dir.str("a")]).expect_code(SIGSYS_STATUS);
    assert!(!dir.path("a").exists());
    // With --arch x86 the rule itself covers it.
    seccomp(&["--arch", "x86", "--kill", "mkdir", &prog, &dir.str("b")]).expect_code(SIGSYS_STATUS);
    assert!(!dir.path("b").exists());
    // ... and other 32-bit calls pass.
    seccomp(&["--arch", "x86", "--kill", "rmdir", &prog, &dir.str("c")]).success();
    assert!(dir.path("c").is_dir());
}

fn bad_input_exits_125_names_the_position_and_runs_nothing() {
    let dir = Scratch::new();
    let marker = dir.str("ran");
    let touch = ["touch", marker.as_str()];
    let bad_action = dir.str("bad-action.json");
    std::fs::write(
        &bad_action,
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_EXPLODE"}]}"#,
    )
    .unwrap();
    let bad_op = dir.str("bad-op.json");
    std::fs::write(
        &bad_op,
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
           "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_SOMETIMES"}]}]}"#,
    )
    .unwrap();
    let bad_json = dir.str("bad.json");
    std::fs::write(
        &bad_json,
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [}",
    )
    .unwrap();
    let unknown_field = dir.str("field.json");
    std::fs::write(
        &unknown_field,
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "defaultActoin": 1}"#,
    )
    .unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--kill", "no_such_call"], "'no_such_call'"),
        (vec!["--default", "explode"], "unknown action 'explode'"),
        (vec!["--kill", "mkdir:arg9>0"], "'arg9>0'"),
        (vec!["--kill", "mkdir:arg1>>0"], "'arg1>>0'"),
        (vec!["--profile", &bad_json], "line 2 column"),
        (
            vec!["--profile", &bad_action],
            "syscalls[0].action: unknown action \"SCMP_ACT_EXPLODE\"",
        ),
        (
            vec!["--profile", &bad_op],
            "syscalls[0].args[0].op: unknown operator",
        ),
        (
            vec!["--profile", &unknown_field],
            "unknown field \"defaultActoin\"",
        ),
    ];
    for (args, needle) in cases {
        let all: Vec<&str> = args.iter().chain(touch.iter()).copied().collect();
        seccomp(&all).expect_code(125).one_error_line(needle);
        assert!(!dir.path("ran").exists(), "{args:?} ran the command");
    }
}

fn trap_makes_uname_die_by_sigsys_and_v_names_it() {
    let out = seccomp(&["-v", "--trap", "uname", "uname"]);
    out.expect_code(SIGSYS_STATUS);
    assert!(
        out.stderr.contains("trap (SIGSYS): uname"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
}

fn dump_and_pfc_write_the_filter_for_review() {
    let dir = Scratch::new();
    let (bpf, pfc) = (dir.str("f.bpf"), dir.str("f.pfc"));
    seccomp(&["--kill", "mkdir", "--dump", &bpf, "--pfc", &pfc, "true"]).success();
    let len = std::fs::metadata(&bpf).unwrap().len();
    assert!(len > 0 && len % 8 == 0, "{len} bytes is not a BPF program");
    let text = std::fs::read_to_string(&pfc).unwrap();
    assert!(
        text.contains("mkdir") && text.contains("KILL_PROCESS"),
        "{text}"
    );
}

fn the_stdio_preset_allows_inherited_fds_only() {
    // Busybox as a user who is not root makes more calls (its suid
    // handling: getgid, /etc/busybox.conf) than the lists below allow.
    if !sk_testkit::need_root("the_stdio_preset_allows_inherited_fds_only") {
        return;
    }
    let out = sk_testkit::run_with_input(
        common::no_core(sk_testkit::sk("sk-seccomp").args([
            "--profile",
            "stdio",
            "/bin/busybox",
            "cat",
        ])),
        b"hello\n",
    );
    out.success();
    assert_eq!(out.stdout, "hello\n");
    seccomp(&["--profile", "stdio", "/bin/busybox", "cat", "/etc/hostname"])
        .expect_code(SIGSYS_STATUS);
}

fn no_nnp_without_cap_sys_admin_is_refused() {
    let name = "no_nnp_without_cap_sys_admin_is_refused";
    if !need_root(name) || !sk_testkit::need_program(name, "setpriv", "util-linux") {
        return;
    }
    let dir = Scratch::new();
    std::fs::set_permissions(&dir.0, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let marker = dir.str("ran");
    // As nobody, without capabilities.
    let out = sk_testkit::run(common::no_core(
        sk_testkit::cmd("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(sk_testkit::bin("sk-seccomp"))
            .args(["--no-nnp", "--kill", "mkdir", "touch", &marker]),
    ));
    out.expect_code(125)
        .one_error_line("--no-nnp needs CAP_SYS_ADMIN");
    assert!(!dir.path("ran").exists());
}

fn the_filter_is_a_binary_tree_unless_no_optimize() {
    let dir = Scratch::new();
    let (tree, linear) = (dir.str("tree.pfc"), dir.str("linear.pfc"));
    seccomp(&["--profile", "docker-default", "--pfc", &tree, "true"]).success();
    seccomp(&[
        "--profile",
        "docker-default",
        "--no-optimize",
        "--pfc",
        &linear,
        "true",
    ])
    .success();
    let branches = |p: &str| {
        std::fs::read_to_string(p)
            .unwrap()
            .matches("if ($syscall > ")
            .count()
    };
    assert!(branches(&tree) > 8, "no binary tree in {tree}");
    assert_eq!(branches(&linear), 0);
}

sk_testkit::tests! {
    kill_mkdir_kills_the_shell_with_sigsys_and_makes_no_directory,
    a_condition_that_matches_kills_too,
    a_condition_that_does_not_match_lets_the_call_through,
    errno_eperm_on_fchownat_fails_chown_only: userns,
    an_errno_by_number_is_returned,
    a_default_kill_allow_list_runs_busybox_echo: userns,
    one_call_removed_from_the_allow_list_kills_the_shell,
    unshare_is_denied_only_for_a_new_user_namespace: userns,
    a_32_bit_mkdir_cannot_bypass_a_deny_rule,
    bad_input_exits_125_names_the_position_and_runs_nothing,
    trap_makes_uname_die_by_sigsys_and_v_names_it,
    dump_and_pfc_write_the_filter_for_review,
    the_stdio_preset_allows_inherited_fds_only: userns,
    no_nnp_without_cap_sys_admin_is_refused,
    the_filter_is_a_binary_tree_unless_no_optimize,
}
