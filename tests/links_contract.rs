//! The contract every link keeps, for sk-user, sk-rlimit and sk-env: exit
//! statuses, one line per failure, the command's words byte for byte, no
//! descriptor of the tool's own in the command, --help with examples, -v.

use sk_testkit::{need_root, non_executable_file, only_own_fds, run, sk};

/// Each tool, the arguments that make it do its step before COMMAND, an
/// example its --help gives, and what its -v says.
const LINKS: [(&str, &[&str], &str, &str); 3] = [
    (
        "sk-user",
        &["--keep-groups", "0:0"],
        "sk-user --init-groups nobody id",
        "switched to uid 0 gid 0",
    ),
    (
        "sk-rlimit",
        &["nofile=64"],
        "sk-rlimit nofile=1024 nproc=64 core=0 as=1G make -j",
        "nofile 64:64",
    ),
    ("sk-env", &["A=1"], "sk-env -i A=1 env", "set A"),
];

fn each(test: &str, check: impl Fn(&str, &dyn Fn() -> std::process::Command, &str, &str)) {
    // sk-user 0:0 needs CAP_SETGID and CAP_SETUID.
    if !need_root(test) {
        return;
    }
    for (tool, args, example, said) in LINKS {
        let make = || {
            let mut c = sk(tool);
            c.args(args);
            c
        };
        check(tool, &make, example, said);
    }
}

fn exit_statuses() {
    each("exit_statuses", |tool, make, _, _| {
        run(make().args(["sh", "-c", "exit 42"])).expect_code(42);
        run(make().arg("/no/such/command"))
            .expect_code(127)
            .one_error_line("cannot execute /no/such/command");
        let (_dir, file) = non_executable_file();
        run(make().arg(&file)).expect_code(126);
        run(sk(tool).arg("--bogus"))
            .expect_code(125)
            .one_error_line("--bogus");
    });
}

fn the_command_passes_byte_for_byte() {
    use std::os::unix::ffi::OsStrExt;
    each("the_command_passes_byte_for_byte", |tool, make, _, _| {
        let raw = std::ffi::OsStr::from_bytes(b"\xff-v --help");
        let out = run(make().args(["printf", "%s|"]).arg(raw).arg("-v"));
        out.success();
        assert_eq!(out.stdout, "\u{fffd}-v --help|-v|", "{tool}");
    });
}

fn no_descriptor_of_the_tool_reaches_the_command() {
    each(
        "no_descriptor_of_the_tool_reaches_the_command",
        |tool, make, _, _| {
            let out = run(only_own_fds(make().args(["ls", "/proc/self/fd"])));
            out.success();
            // 0, 1, 2 and the one ls opens to read the directory.
            assert_eq!(out.stdout.lines().count(), 4, "{tool}: {}", out.stdout);
        },
    );
}

fn help_has_examples_and_verbose_says_what_was_done() {
    each(
        "help_has_examples_and_verbose_says_what_was_done",
        |tool, make, example, said| {
            let out = run(sk(tool).arg("--help"));
            out.success();
            assert!(
                out.stdout.contains("Examples:") && out.stdout.contains(example),
                "{tool}"
            );
            let mut verbose = sk(tool);
            verbose.arg("-v");
            verbose.args(make().get_args());
            let out = run(verbose.arg("true"));
            out.success();
            assert!(
                out.stderr.contains(&format!("{tool}: {said}")),
                "{}",
                out.stderr
            );
        },
    );
}

sk_testkit::tests! {
    exit_statuses,
    the_command_passes_byte_for_byte,
    no_descriptor_of_the_tool_reaches_the_command,
    help_has_examples_and_verbose_says_what_was_done,
}
