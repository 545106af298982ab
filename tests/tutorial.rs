//! docs/tutorial.md is a test: every runnable block is run, as root, on the
//! real kernel, in the order of the document, and each command's output
//! must match the lines the tutorial shows under it (see tutorial/doc.rs
//! for the block syntax). `console vm` blocks (AppArmor) are run by the VM
//! suite instead (scripts/vm/t-4-tutorial.sh).
//!
//! The harness gives the commands unique names and a free subnet ($NETNS,
//! $VETH_HOST, $VETH_CT, $HOST_IP, $CT_IP), a scratch directory $T with the
//! root $ROOT inside it, and runs every command inside a cgroup of its own
//! (on cgroup v1 hierarchies) so that a cgroup the tutorial leaves behind
//! is seen. Afterwards nothing may be left: no netns, veth, cgroup, mount
//! under $T or loop device on a file under $T; the harness removes what
//! it finds, and fails.
//!
//! `date -s` must never change the host's clock, even if sk-capdrop
//! regressed: a `date` wrapper first on PATH refuses to run the real date
//! with -s while CAP_SYS_TIME is effective (and the step then fails).

#[path = "tutorial/doc.rs"]
mod doc;
use doc::tests::*;

use doc::{Block, Step};
use sk_testkit::{bin_dir, need_program, need_root, path_env, sh, skip, workspace, Cleanup};
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// How long one command may take before the step fails.
const STEP_LIMIT: Duration = Duration::from_secs(120);

/// What the commands see: the variables, PATH, the cgroups to run in.
struct Env {
    vars: Vec<(String, String)>,
    path: std::ffi::OsString,
    fences: Vec<PathBuf>,
}

impl Env {
    fn var(&self, name: &str) -> &str {
        &self.vars.iter().find(|(k, _)| k == name).unwrap().1
    }
}

/// Runs one step; Err says what differed.
fn run_step(step: &Step, block: &Block, env: &Env) -> Result<(), String> {
    // stderr joins stdout, as on a terminal, in the order written.
    let script = format!("exec 2>&1\n{}", step.command);
    let mut c = if block.has("as=nobody") {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "sh",
            "-c",
            &script,
        ]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", &script]);
        c
    };
    c.current_dir(workspace())
        .env("PATH", &env.path)
        .env("LC_ALL", "C")
        .env_remove("RUST_BACKTRACE");
    for (k, v) in &env.vars {
        c.env(k, v);
    }
    enter_cgroups(&mut c, &env.fences);
    // A reader's shell has only 0, 1 and 2 open; descriptors the test
    // runner inherited (a jobserver pipe) would count against nofile=.
    sk_testkit::only_own_fds(&mut c);
    let out = sk_testkit::run_within(&mut c, STEP_LIMIT, None);
    let got: Vec<&str> = out.stdout.lines().collect();
    let want: Vec<String> = step
        .expected
        .iter()
        .map(|l| doc::substitute(l, &env.vars))
        .collect();
    if doc::output_matches(&want, &got) && out.code() == step.status {
        return Ok(());
    }
    Err(format!(
        "docs/tutorial.md:{}: $ {}\n--- expected (exit status {})\n{}\n--- got (exit status {})\n{}",
        step.line,
        step.command,
        step.status,
        want.join("\n"),
        out.code(),
        out.stdout.trim_end()
    ))
}

/// Makes the command start inside the harness's cgroups: writes "0" (the
/// writing process) to each cgroup.procs in the child before exec.
fn enter_cgroups(c: &mut Command, fences: &[PathBuf]) {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::process::CommandExt;
    let files: Vec<CString> = fences
        .iter()
        .map(|d| CString::new(d.join("cgroup.procs").as_os_str().as_bytes()).unwrap())
        .collect();
    // SAFETY: only open/write/close between fork and exec.
    unsafe {
        c.pre_exec(move || {
            for f in &files {
                let fd = libc::open(f.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                if fd < 0 || libc::write(fd, b"0".as_ptr().cast(), 1) != 1 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::close(fd);
            }
            Ok(())
        })
    };
}

/// Runs every step of `blocks` that this host runs; returns the failures.
fn run_blocks(blocks: &[Block], env: &Env) -> Vec<String> {
    let mut failures = Vec::new();
    for block in blocks.iter().filter(|b| !b.has("vm")) {
        for step in &block.steps {
            if let Err(e) = run_step(step, block, env) {
                failures.push(e);
            }
        }
    }
    failures
}

/// A /24 in 10.0.0.0/8 that no route or address of this host overlaps.
fn free_subnet() -> String {
    let text = sh("ip -4 route show table all; ip -4 addr show").stdout;
    let nets: Vec<(u32, u32)> = text
        .split_whitespace()
        .filter_map(|w| {
            let (a, len) = w.split_once('/').unwrap_or((w, "32"));
            let ip: std::net::Ipv4Addr = a.parse().ok()?;
            Some((u32::from(ip), len.parse().ok()?))
        })
        .collect();
    let mask = |len: u32| if len == 0 { 0 } else { u32::MAX << (32 - len) };
    let start = std::process::id();
    for i in 0..40_000u32 {
        let k = (start.wrapping_mul(7919) + i) % (192 * 256);
        let cand = (10u32 << 24) | ((64 + k / 256) << 16) | ((k % 256) << 8);
        let clash = nets.iter().any(|&(n, len)| {
            let m = mask(len.min(24));
            cand & m == n & m
        });
        if !clash {
            let ip = std::net::Ipv4Addr::from(cand).octets();
            return format!("{}.{}.{}", ip[0], ip[1], ip[2]);
        }
    }
    panic!("no free /24 in 10.64.0.0/10");
}

/// The harness's own cgroup in each cgroup v1 hierarchy, under the
/// runner's current one; sk-cgroup makes its groups under the caller's.
fn make_fences(name: &str) -> Vec<PathBuf> {
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let mut fences = Vec::new();
    for m in mounts.lines() {
        let f: Vec<&str> = m.split(' ').collect();
        let Some(dash) = f.iter().position(|x| *x == "-") else {
            continue;
        };
        if f.get(dash + 1) != Some(&"cgroup") || f[3] != "/" {
            continue;
        }
        let opts: Vec<&str> = f.get(dash + 3).unwrap_or(&"").split(',').collect();
        // The line of /proc/self/cgroup whose controllers this mount has.
        let path = own.lines().find_map(|l| {
            let mut p = l.splitn(3, ':');
            let (_, ctl, path) = (p.next()?, p.next()?, p.next()?);
            (!ctl.is_empty() && ctl.split(',').all(|c| opts.contains(&c))).then_some(path)
        });
        let Some(path) = path else { continue };
        let dir = Path::new(f[4])
            .join(path.trim_start_matches('/'))
            .join(name);
        if std::fs::create_dir(&dir).is_ok() {
            // A v1 cpuset group takes no process (ENOSPC) before it has
            // CPUs and memory nodes: the parent's.
            for f in ["cpuset.cpus", "cpuset.mems"] {
                if let Ok(v) = std::fs::read_to_string(dir.parent().unwrap().join(f)) {
                    let _ = std::fs::write(dir.join(f), v.trim());
                }
            }
            fences.push(dir);
        }
    }
    fences
}

/// What the tutorial left behind, removed; one line per thing.
fn leftovers(env: &Env) -> Vec<String> {
    let mut left = Vec::new();
    let t = env.var("T").to_string();
    let netns = env.var("NETNS");
    if sh(&format!("ip netns list | grep -qw {netns}")).code() == 0 {
        left.push(format!("netns {netns}"));
    }
    for veth in [env.var("VETH_HOST"), env.var("VETH_CT")] {
        if sh(&format!("ip link show {veth}")).code() == 0 {
            left.push(format!("veth {veth}"));
        }
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    for m in mounts.lines() {
        if let Some(point) = m.split(' ').nth(4) {
            if point.starts_with(&t) {
                left.push(format!("mount {point}"));
            }
        }
    }
    let loops = sh("cat /sys/block/loop*/loop/backing_file 2>/dev/null").stdout;
    for l in loops.lines().filter(|l| l.starts_with(&t)) {
        left.push(format!("loop device on {l}"));
    }
    for fence in &env.fences {
        for e in std::fs::read_dir(fence).unwrap().flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                left.push(format!("cgroup {}", e.path().display()));
            }
        }
    }
    left
}

/// Removes whatever the tutorial may have left (also after a panic).
fn clean(vars: &[(String, String)], fences: &[PathBuf]) {
    let get = |n: &str| vars.iter().find(|(k, _)| k == n).unwrap().1.clone();
    let t = get("T");
    sh(&format!(
        "ip link del {} 2>/dev/null; ip netns del {} 2>/dev/null; \
         grep -o ' {t}[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l; \
         for f in /sys/block/loop*/loop/backing_file; do \
           case $(cat $f 2>/dev/null) in {t}*) d=${{f%/loop/backing_file}}; losetup -d /dev/${{d##*/}};; esac; done",
        get("VETH_HOST"),
        get("NETNS"),
    ));
    for fence in fences {
        // Children first, each emptied of processes (killed) first.
        let _ = sh(&format!(
            "find {0} -mindepth 1 -depth -type d | while read -r d; do \
               for p in $(cat $d/cgroup.procs); do kill -9 $p; done; sleep 0.1; rmdir $d; done; \
             for p in $(cat {0}/cgroup.procs); do kill -9 $p; done; sleep 0.1; rmdir {0}",
            fence.display()
        ));
    }
}

/// The `date` first on PATH: runs the real one, except `date -s` while
/// CAP_SYS_TIME is effective, which would set the host's clock.
const DATE_GUARD: &str = r#"#!/bin/sh
case " $* " in
*" -s "* | *" --set"*)
    eff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/$$/status)
    if [ $(( (0x$eff >> 25) & 1 )) = 1 ]; then
        echo "tutorial harness: not running date $* with CAP_SYS_TIME effective (it would set the host's clock)"
        exit 99
    fi ;;
esac
# The real one, under its own name (it prints that in its messages).
export PATH=/usr/bin:/bin
exec date "$@"
"#;

fn tutorial_text() -> String {
    std::fs::read_to_string(workspace().join("docs/tutorial.md")).unwrap()
}

fn every_runnable_block_of_the_tutorial_gives_the_output_it_shows() {
    let test = "every_runnable_block_of_the_tutorial_gives_the_output_it_shows";
    if !need_root(test) {
        return;
    }
    for (p, pkg) in [
        ("gcc", "gcc"),
        ("ip", "iproute2"),
        ("setpriv", "util-linux"),
        ("setcap", "libcap2-bin"),
        ("strace", "strace"),
    ] {
        if !need_program(test, p, pkg) {
            return;
        }
    }
    if !Path::new("/bin/busybox").exists() {
        return skip(test, "/bin/busybox is not installed (busybox-static)");
    }
    let blocks = doc::blocks(&tutorial_text()).unwrap();
    for b in &blocks {
        for a in &b.attrs {
            assert!(
                a == "vm" || a == "as=nobody",
                "docs/tutorial.md:{}: unknown block attribute {a}",
                b.line
            );
        }
    }
    assert!(
        blocks.iter().any(|b| b.has("vm")),
        "no block for the VM suite"
    );
    assert!(
        blocks.iter().any(|b| b.has("as=nobody")),
        "no rootless block"
    );

    let scratch = tempfile::Builder::new()
        .prefix("sk-tutorial.")
        .tempdir()
        .unwrap();
    let t = scratch.path().to_path_buf();
    let guard = t.join(".harness");
    std::fs::create_dir(&guard).unwrap();
    std::fs::write(guard.join("date"), DATE_GUARD).unwrap();
    // nobody must reach the root and the programs of the rootless section.
    sh(&format!(
        "chmod 755 {0} {1} && chmod 700 {1}/date",
        t.display(),
        guard.display()
    ))
    .success();

    let net = free_subnet();
    let vars: Vec<(String, String)> = vec![
        ("T".into(), t.display().to_string()),
        ("ROOT".into(), t.join("root").display().to_string()),
        ("NETNS".into(), sk_testkit::unique("sktut")),
        ("VETH_HOST".into(), sk_testkit::unique("skth")),
        ("VETH_CT".into(), sk_testkit::unique("sktc")),
        ("HOST_IP".into(), format!("{net}.1")),
        ("CT_IP".into(), format!("{net}.2")),
    ];
    let fences = make_fences(&sk_testkit::unique("sk-tutorial-"));
    let mut path = guard.into_os_string();
    path.push(":");
    path.push(path_env());
    let env = Env {
        vars: vars.clone(),
        path,
        fences: fences.clone(),
    };
    let _clean = Cleanup(move || clean(&vars, &fences));
    eprintln!(
        "tutorial: tools from {}, scratch {}",
        bin_dir().display(),
        t.display()
    );

    let mut failures = run_blocks(&blocks, &env);
    for l in leftovers(&env) {
        failures.push(format!("left behind: {l}"));
    }
    assert!(
        failures.is_empty(),
        "{} failure(s) in docs/tutorial.md:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The harness itself: a small inline document is run for real, and a
/// deliberately wrong expected line (or exit status) fails it.
fn a_wrong_expected_line_fails_the_harness() {
    let doc = "\
```console
$ echo hello; echo error >&2
hello
error
$ printf 'pid %s\\n' $$
pid ...
$ exit 3
[exit 3]
```
";
    let env = Env {
        vars: vec![("T".into(), "/nonexistent".into())],
        path: path_env(),
        fences: Vec::new(),
    };
    let good = doc::blocks(doc).unwrap();
    assert_eq!(run_blocks(&good, &env), Vec::<String>::new());

    let wrong = doc::blocks(&doc.replace("hello\nerror", "hello\nno error")).unwrap();
    let failures = run_blocks(&wrong, &env);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].contains("docs/tutorial.md:2: $ echo hello"),
        "{}",
        failures[0]
    );
    assert!(failures[0].contains("no error"), "{}", failures[0]);

    let missing = doc::blocks(&doc.replace("hello\nerror\n", "hello\n")).unwrap();
    assert_eq!(run_blocks(&missing, &env).len(), 1);

    let status = doc::blocks(&doc.replace("[exit 3]", "[exit 4]")).unwrap();
    assert_eq!(run_blocks(&status, &env).len(), 1);

    let unexpected_failure = doc::blocks("```console\n$ false\n```\n").unwrap();
    assert_eq!(run_blocks(&unexpected_failure, &env).len(), 1);
}

/// The date guard lets `date` through but refuses `date -s` while
/// CAP_SYS_TIME is effective, without touching the clock.
fn the_date_guard_never_sets_the_clock() {
    let test = "the_date_guard_never_sets_the_clock";
    if !need_root(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let guard = dir.path().join("date");
    std::fs::write(&guard, DATE_GUARD).unwrap();
    sh(&format!("chmod 755 {}", guard.display())).success();
    let out = sh(&format!("{} +%Y", guard.display()));
    out.success();
    assert!(out.stdout.trim().parse::<u32>().is_ok(), "{}", out.stdout);
    // Under a filter that fails every clock-setting call with EDOM: even a
    // broken guard could not change the clock here, and the test would see
    // date's EDOM message instead of the guard's refusal.
    let out = sk_testkit::run(sk_testkit::sk("sk-seccomp").args([
        "--no-nnp",
        "--errno",
        "EDOM:clock_settime,settimeofday,clock_adjtime,adjtimex",
        "sh",
        "-c",
        &format!("{} -s @0", guard.display()),
    ]));
    out.expect_code(99);
    assert!(
        out.stdout.contains("not running date -s @0"),
        "{}",
        out.stdout
    );
}

/// The VM suite's runner of the `console vm` blocks (scripts/vm/tutorial-run,
/// busybox sh and awk), tried here with the host's busybox: a document that
/// matches passes, a wrong expected line or exit status fails it.
fn the_vm_runner_fails_a_wrong_expected_line() {
    let test = "the_vm_runner_fails_a_wrong_expected_line";
    if !Path::new("/bin/busybox").exists() {
        return skip(test, "/bin/busybox is not installed (busybox-static)");
    }
    let doc = "\
```console vm
$ echo hello; echo error >&2
hello
error
$ cat > $T/f <<'EOF'
> a.b [x] (y)
> EOF
$ cat $T/f; ls $T/none
a.b [x] (y)
ls: ...$T/none...
[exit 1]
$ seq 1 5
1
...
5
```
```console
$ this block is not for the VM
```
";
    let dir = tempfile::tempdir().unwrap();
    let try_doc = |text: &str| {
        let f = dir.path().join("doc.md");
        std::fs::write(&f, text).unwrap();
        sk_testkit::run(
            sk_testkit::cmd("/bin/busybox")
                .arg("sh")
                .arg(workspace().join("scripts/vm/tutorial-run"))
                .arg(&f)
                .arg("vm"),
        )
    };
    try_doc(doc).success();
    for wrong in [
        doc.replace("hello\nerror", "hello\nno error"),
        doc.replace("a.b [x] (y)\nls", "a.c [x] (y)\nls"),
        doc.replace("[exit 1]", "[exit 0]"),
        doc.replace("\n5\n```", "\n6\n```"),
    ] {
        let out = try_doc(&wrong);
        out.expect_code(1);
        assert!(out.stdout.contains("tutorial line"), "{}", out.stdout);
    }
    try_doc("```console\n$ true\n```\n").expect_code(2);
}

/// Each tool's EXAMPLES (its --help, and the man page generated from it)
/// point to the tutorial's section for that tool; the sections they name
/// exist under the titles they give, so a renumbering cannot leave a
/// pointer to the wrong step.
fn every_tool_points_to_its_tutorial_section() {
    let text = tutorial_text();
    let headings: Vec<(u32, String)> = text
        .lines()
        .filter_map(|l| {
            let (n, title) = l.strip_prefix("## ")?.split_once(". ")?;
            Some((n.parse().ok()?, title.to_lowercase()))
        })
        .collect();
    for tool in sk_common::tools::TOOLS {
        let help = sk_testkit::run(sk_testkit::sk(tool).arg("--help")).stdout;
        let start = help
            .find("docs/tutorial.md")
            .unwrap_or_else(|| panic!("{tool} --help names no section of docs/tutorial.md"));
        let end = help.find("less docs/tutorial.md").unwrap();
        let pointer = &help[start..end];
        let mut rest = pointer;
        let mut named = 0;
        while let Some(i) = rest.find(|c: char| c.is_ascii_digit()) {
            let digits = rest[i..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(&rest[i..], |e| &rest[i..i + e]);
            let n: u32 = digits.parse().unwrap();
            rest = &rest[i + digits.len()..];
            let title = &headings
                .iter()
                .find(|(h, _)| *h == n)
                .unwrap_or_else(|| panic!("{tool} --help names section {n}, which is not there"))
                .1;
            // "N (first word ...)": the first word is in the section's title.
            if let Some(words) = rest.strip_prefix(" (") {
                let word = words
                    .split(|c: char| c == ',' || c == ')' || c.is_whitespace())
                    .find(|w| !w.is_empty() && *w != "a")
                    .unwrap()
                    .to_lowercase();
                assert!(
                    title.contains(&word),
                    "{tool} --help calls section {n} \"{word}...\"; its title is \"{title}\""
                );
            }
            named += 1;
        }
        assert!(named > 0, "{tool}: {pointer}");
    }
}

sk_testkit::tests! {
    every_runnable_block_of_the_tutorial_gives_the_output_it_shows,
    a_wrong_expected_line_fails_the_harness,
    the_date_guard_never_sets_the_clock,
    the_vm_runner_fails_a_wrong_expected_line,
    every_tool_points_to_its_tutorial_section,
    blocks_and_steps_are_read_with_their_lines,
    continuation_lines_join_the_command,
    an_unclosed_block_or_output_before_a_command_is_an_error,
    exact_lines_match_and_a_wrong_or_missing_line_does_not,
    dots_match_text_in_a_line_and_any_lines_alone,
    bounds_check_the_number_in_their_place,
    variables_are_substituted_by_whole_name,
}
