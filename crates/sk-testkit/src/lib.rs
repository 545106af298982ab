//! The test harness for seckun: run the built sk-* binaries against the
//! real kernel, with bounded time, and skip visibly.
//!
//! - [`sk`] gives a `Command` for a built tool, with the build directory
//!   first on PATH so chains find the other tools by name.
//! - [`run`] runs a command with a time limit and returns what it printed.
//! - [`skip`], [`need_root`], [`need_program`], [`Rootfs::busybox`],
//!   [`c_program`]: a test that cannot run here leaves with a reason, and
//!   the runner ([`harness`]) reports it as `ignored (<reason>)`; under
//!   `SK_REQUIRE_PRIV=1` (scripts/test, CI) a skip fails the test instead.
//! - [`Rootfs`] is a fresh busybox root filesystem in a temp dir.
//!
//! State the kernel cannot undo (namespaces, seccomp, capabilities) is
//! never changed in the test runner's own threads: tests run the binaries.
//!
//! # Writing a test file
//!
//! Every integration test file (`tools/sk-x/tests/*.rs`, `tests/*.rs`) runs
//! under [`harness::main`] instead of libtest, because libtest cannot report
//! a skip decided at run time ("needs root", "gcc is not installed", "this
//! kernel has no /proc/kcore") as ignored: it would print "ok" for a test
//! that did nothing.
//!
//! 1. Declare the file with `harness = false` in the crate's Cargo.toml
//!    (one entry per file; `tests/Cargo.toml` already has a `[[test]]`
//!    entry per file, add the line there):
//!
//!    ```text
//!    [[test]]
//!    name = "precompiled"        # tests/precompiled.rs
//!    harness = false
//!    ```
//!
//! 2. Write each test as a plain `fn name()` (no `#[test]`: without
//!    libtest that attribute would drop the function). Say what it needs
//!    with the helpers, first thing:
//!
//!    ```text
//!    fn joins_a_netns() {
//!        let name = "joins_a_netns";
//!        if !need_root(name) || !need_program(name, "ip", "iproute2") {
//!            return;
//!        }
//!        let Some(root) = Rootfs::busybox(name) else { return };
//!        ...
//!    }
//!    ```
//!
//!    Under the harness an unmet need never returns: it leaves the test,
//!    which is reported as `ignored (needs root ...)`. (The `return`s are
//!    still needed for the types, and keep old-style files working.)
//!    A file only some kernels have: [`need_kernel_file`]. A check the
//!    helpers do not cover: `return skip(name, "why")`. Host state the
//!    test makes: unique names ([`unique`]), a free subnet
//!    ([`free_subnet`]), the host's root told apart by a marker
//!    ([`HostRootMarker`]), clean-up that runs on failure ([`Cleanup`]).
//!
//! 3. End the file with the list of its tests. Mark `userns` those for
//!    which root of a user namespace is enough (new mount, pid, uts, net
//!    namespaces, pivot_root, seccomp, capabilities within the namespace;
//!    not cgroups, host network devices, mknod, /proc/kcore, setuid-root
//!    files, AppArmor): as a user who is not root, they run under
//!    `sk-unshare -U -r` instead of being skipped.
//!
//!    ```text
//!    sk_testkit::tests! {
//!        hostname_without_a_uts_namespace_is_refused,
//!        mup_makes_the_shell_pid_1_in_new_namespaces: userns,
//!        joins_a_netns,
//!    }
//!    ```
//!
//!    A function missing from the list is dead code (a compiler warning,
//!    an error under clippy `-D warnings`); a listed name that does not
//!    exist is a compile error.
//!
//! To find which tests can be marked `userns`: as a user who is not root,
//! run the file with `SK_TESTKIT_USERNS_ALL=1`; those that pass there can,
//! unless they would pass there whatever the tools did (a denial that a
//! user namespace gets from the kernel anyway, such as setting the clock
//! or binding port 80): leave those unmarked.
//!
//! Converting a file written for libtest (`#[test]`): `scripts/convert-test
//! FILE...` does steps 1 and 3 (without `userns` marks) and deletes each
//! `#[test]` line; bodies do not change. Tests that a macro makes must be
//! added to the list by hand (the build warns that they are never used).
//! Unit tests inside `src/` stay ordinary `#[test]`s: they never skip.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub mod harness;

/// The workspace's root directory.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The directory holding the built sk-* binaries: SK_BIN_DIR, or the build
/// directory this test executable sits in (`target/<triple>/<profile>`).
pub fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SK_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap();
    // target/<triple>/<profile>/deps/<test>-<hash>
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// The path of a built tool; panics with a clear message when it was not built.
pub fn bin(name: &str) -> PathBuf {
    let p = bin_dir().join(name);
    assert!(
        p.exists(),
        "{} is not built (run `cargo build --workspace` first, or set SK_BIN_DIR)",
        p.display()
    );
    p
}

/// PATH with the build directory first, so `sk-unshare -m sk-pivot ...`
/// finds the freshly built tools.
pub fn path_env() -> std::ffi::OsString {
    let mut dirs = vec![bin_dir()];
    if let Some(p) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    for d in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
        if !dirs.iter().any(|x| x == Path::new(d)) {
            dirs.push(d.into());
        }
    }
    std::env::join_paths(dirs).unwrap()
}

/// A `Command` for the built tool `name` (e.g. "sk-unshare").
pub fn sk(name: &str) -> Command {
    let mut c = Command::new(bin(name));
    c.env("PATH", path_env()).env_remove("RUST_BACKTRACE");
    c
}

/// A `Command` for any program, with the same PATH as [`sk`].
pub fn cmd(program: impl AsRef<OsStr>) -> Command {
    let mut c = Command::new(program);
    c.env("PATH", path_env()).env_remove("RUST_BACKTRACE");
    c
}

/// What a command did.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The exit code, or 128+N for a death by signal N, as a shell reports it.
    pub fn code(&self) -> i32 {
        use std::os::unix::process::ExitStatusExt;
        self.status
            .code()
            .unwrap_or_else(|| 128 + self.status.signal().unwrap_or(0))
    }

    /// Panics with everything the command printed unless it exited with `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            code,
            "exit status {} instead of {code}\n--- stdout\n{}--- stderr\n{}",
            self.code(),
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn success(&self) -> &Self {
        self.expect_code(0)
    }

    /// Stderr has exactly one line, and it contains `needle`.
    #[track_caller]
    pub fn one_error_line(&self, needle: &str) -> &Self {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "expected one stderr line, got:\n{}",
            self.stderr
        );
        assert!(
            lines[0].contains(needle),
            "stderr line does not contain {needle:?}: {}",
            lines[0]
        );
        self
    }
}

/// The default time limit of [`run`]: a hung chain fails its test instead
/// of stalling CI.
pub const LIMIT: Duration = Duration::from_secs(60);

/// Runs `c` with stdin from /dev/null and a time limit of [`LIMIT`].
pub fn run(c: &mut Command) -> Output {
    run_within(c, LIMIT, None)
}

/// Runs `c` with `input` on stdin.
pub fn run_with_input(c: &mut Command, input: &[u8]) -> Output {
    run_within(c, LIMIT, Some(input))
}

/// Runs `c` with a time limit; kills its process group and panics when the
/// limit passes.
pub fn run_within(c: &mut Command, limit: Duration, input: Option<&[u8]>) -> Output {
    use std::os::unix::process::CommandExt;
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    // Its own process group, so that a timeout can kill everything it started.
    c.process_group(0);
    let mut child = c
        .spawn()
        .unwrap_or_else(|e| panic!("cannot spawn {c:?}: {e}"));
    if let Some(data) = input {
        let mut stdin = child.stdin.take().unwrap();
        let data = data.to_vec();
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&data);
        });
    }
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > limit {
            let pgid = nix::unistd::Pid::from_raw(-(child.id() as i32));
            let _ = nix::sys::signal::kill(pgid, nix::sys::signal::Signal::SIGKILL);
            let _ = child.wait();
            panic!("{c:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: String::from_utf8_lossy(&t_out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&t_err.join().unwrap()).into_owned(),
    }
}

/// Whether the environment demands that nothing be skipped (CI).
pub fn skips_forbidden() -> bool {
    std::env::var("SK_REQUIRE_PRIV")
        .map(|v| v == "1")
        .unwrap_or(false)
}

/// Reports a test that cannot run here. Under [`harness::main`] it never
/// returns: the test ends and is reported as `ignored, <reason>`. Under
/// plain libtest it prints `SKIP <name>: <reason>` and returns. Either way
/// it fails the test when [`skips_forbidden`]. Use as `return skip(...)`.
#[track_caller]
pub fn skip(name: &str, reason: &str) {
    if skips_forbidden() {
        panic!("{name} cannot run here and SK_REQUIRE_PRIV=1 forbids skipping: {reason}");
    }
    skip_allowed(name, reason)
}

/// A skip that SK_REQUIRE_PRIV=1 allows: for what no machine of this kind
/// can ever provide (see [`need_kernel_file`]).
fn skip_allowed(name: &str, reason: &str) {
    if harness::active() {
        harness::skip_now(reason.to_string());
    }
    eprintln!("SKIP {name}: {reason}");
}

/// Skips (loudly) unless running as root. Returns true when the test may go on.
#[track_caller]
pub fn need_root(name: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    skip(name, "needs root (namespaces, mounts, cgroups)");
    false
}

/// Whether `program` is on PATH.
pub fn have(program: &str) -> bool {
    std::env::split_paths(&path_env()).any(|d| d.join(program).is_file())
}

/// Skips (loudly) unless `program` is installed.
#[track_caller]
pub fn need_program(name: &str, program: &str, package: &str) -> bool {
    if have(program) {
        return true;
    }
    skip(
        name,
        &format!("{program} is not installed (Debian package {package})"),
    );
    false
}

/// The inode of one of this process's namespaces, e.g. `ns_inode("self", "pid")`.
pub fn ns_inode(pid: &str, kind: &str) -> String {
    std::fs::read_link(format!("/proc/{pid}/ns/{kind}"))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// The host's mount table, minus the per-mount ids, for before/after checks.
pub fn mount_table() -> Vec<String> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let mut v: Vec<String> = text
        .lines()
        .map(|l| l.split(' ').skip(3).take(2).collect::<Vec<_>>().join(" "))
        .collect();
    v.sort();
    v
}

/// A fresh minimal root filesystem (static busybox) in a temp dir, made by
/// `scripts/mkrootfs`; removed on drop.
pub struct Rootfs {
    dir: tempfile::TempDir,
}

impl Rootfs {
    /// Builds one, or returns None after a loud skip when busybox-static is
    /// missing.
    pub fn busybox(name: &str) -> Option<Rootfs> {
        if !Path::new("/bin/busybox").exists() {
            skip(
                name,
                "/bin/busybox is not installed (Debian package busybox-static)",
            );
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("sk-rootfs.")
            .tempdir()
            .unwrap();
        let out = run(Command::new(workspace().join("scripts/mkrootfs")).arg(dir.path()));
        assert!(out.status.success(), "mkrootfs failed: {}", out.stderr);
        Some(Rootfs { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A unique short name for things a test creates on the host (netns,
/// cgroups, veths): `prefix` plus this process's pid and a counter.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}x{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs a shell line on the host (set-up and clean-up in tests).
pub fn sh(line: &str) -> Output {
    run(cmd("sh").args(["-c", line]))
}

/// Runs `cleanup` when dropped, even when the test panics.
pub struct Cleanup<F: FnMut()>(pub F);

impl<F: FnMut()> Drop for Cleanup<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

/// A small static C program from `tests/progs/<name>.c`, built once with
/// `gcc -static` into target/sk-progs (static, so it runs inside any root
/// filesystem). Skips loudly (None) when gcc is missing.
pub fn c_program(test: &str, name: &str) -> Option<PathBuf> {
    if !have("gcc") {
        skip(test, "gcc is not installed (Debian package gcc, libc6-dev)");
        return None;
    }
    let src = workspace().join("tests/progs").join(format!("{name}.c"));
    let dir = workspace().join("target/sk-progs");
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join(name);
    let fresh = |p: &Path| {
        let (Ok(a), Ok(b)) = (std::fs::metadata(p), std::fs::metadata(&src)) else {
            return false;
        };
        a.modified().unwrap() >= b.modified().unwrap()
    };
    if !fresh(&exe) {
        // Build under a private name, then rename: tests run in parallel.
        let tmp = dir.join(format!("{name}.{}.{}", std::process::id(), unique("")));
        let out = run(cmd("gcc")
            .args(["-static", "-O2", "-Wall", "-o"])
            .arg(&tmp)
            .arg(&src));
        assert!(
            out.status.success(),
            "gcc {}: {}",
            src.display(),
            out.stderr
        );
        std::fs::rename(&tmp, &exe).unwrap();
    }
    Some(exe)
}

/// Makes every fd above 2 that the test runner would pass on to `c`
/// close-on-exec, so that a check of the command's fds measures only what
/// the tools themselves leak.
pub fn only_own_fds(c: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: close_range is async-signal-safe.
    unsafe {
        c.pre_exec(|| {
            libc::syscall(
                libc::SYS_close_range,
                3u32,
                u32::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            );
            Ok(())
        })
    }
}

/// A script without the execute bit, in a temp dir kept alive by the
/// returned guard: the command that exists but cannot be executed (126).
pub fn non_executable_file() -> (tempfile::TempDir, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("not-executable");
    std::fs::write(&f, "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    (dir, f)
}

/// Skips (visibly) unless the kernel has `path`, a file that only kernels
/// built with `config` have (`/proc/kcore`: CONFIG_PROC_KCORE). The skip is
/// allowed even under SK_REQUIRE_PRIV=1 only when this kernel can never
/// have the file: its configuration (/proc/config.gz) says `config` is not
/// set, and README.md names the file among the kernel files some kernels
/// lack. Anything else (no configuration to read, an undocumented file)
/// is an ordinary skip.
#[track_caller]
pub fn need_kernel_file(name: &str, path: &str, config: &str) -> bool {
    if Path::new(path).exists() {
        return true;
    }
    let reason = format!("this kernel has no {path}");
    let config_text = run(cmd("zcat").arg("/proc/config.gz"));
    let built_without = config_text.status.success()
        && config_text
            .stdout
            .contains(&format!("# {config} is not set"));
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap_or_default();
    let documented = readme.contains(&format!("`{path}`")) && readme.contains(config);
    if built_without && documented {
        skip_allowed(
            name,
            &format!("{reason}: built without {config} (README, \"Kernels without some files\")"),
        );
    } else {
        skip(name, &format!("{reason} ({config})"));
    }
    false
}

/// An empty directory with a unique name at the host's root, removed on
/// drop: a test that lists "/" from somewhere can tell the host's root by
/// it, on any machine. Needs real root (check [`need_root`] first; root of
/// a user namespace cannot write the host's /).
pub struct HostRootMarker {
    pub name: String,
}

impl HostRootMarker {
    pub fn new() -> HostRootMarker {
        let name = unique("sk-host-root-marker.");
        std::fs::create_dir(Path::new("/").join(&name))
            .unwrap_or_else(|e| panic!("cannot create /{name}: {e}"));
        HostRootMarker { name }
    }
}

impl Default for HostRootMarker {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for HostRootMarker {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(Path::new("/").join(&self.name));
    }
}

/// Panics unless the host can start `n` processes at once: after a test
/// that hit a pids limit in a group, proof that the limit stayed there.
#[track_caller]
pub fn assert_host_can_fork(n: u32) {
    let out = sh(&format!(
        "i=0; pids=; while [ $i -lt {n} ]; do sleep 1 & pids=\"$pids $!\"; i=$((i+1)); done; \
         set -- $pids; echo $#; wait"
    ));
    out.success();
    assert_eq!(out.stdout.trim(), n.to_string(), "{}", out.stderr);
}

/// Panics unless the host can allocate and touch `mib` MiB in one buffer:
/// after a test that hit a memory limit in a group.
#[track_caller]
pub fn assert_host_can_allocate(mib: u32) {
    let out = run(cmd("dd").args([
        &format!("bs={mib}M"),
        "count=1",
        "if=/dev/zero",
        "of=/dev/null",
    ]));
    out.success();
    assert!(
        out.stderr
            .contains(&format!("{} bytes", u64::from(mib) << 20)),
        "{}",
        out.stderr
    );
}

/// An IPv4 /24 in 10.0.0.0/8 that no route (any table) or address of this
/// host overlaps, as (host address, guest address) for a veth pair:
/// ("10.A.B.1", "10.A.B.2"). Where the search starts depends on this
/// process's pid and a counter, so that tests running at once, in this
/// process or another, pick different ones. Panics without iproute2.
pub fn free_subnet() -> (String, String) {
    let mut taken: Vec<(u32, u32)> = Vec::new();
    for args in [
        &["-4", "-o", "route", "show", "table", "all"][..],
        &["-4", "-o", "addr", "show"][..],
    ] {
        let out = run(cmd("ip").args(args));
        out.success();
        for word in out.stdout.split_whitespace() {
            if let Some(p) = parse_prefix(word) {
                taken.push(p);
            }
        }
    }
    let overlaps = |net: u32, len: u32, (other, olen): (u32, u32)| {
        let l = len.min(olen);
        let mask = if l == 0 { 0 } else { u32::MAX << (32 - l) };
        olen > 0 && net & mask == other & mask
    };
    const COUNT: u32 = 200 * 256; // 10.50.0.0 to 10.249.255.0
    let seed = unique("").replace('x', "");
    let seed: u64 = seed.parse().unwrap_or(0);
    let start = (seed.wrapping_mul(2_654_435_761) % u64::from(COUNT)) as u32;
    for i in 0..COUNT {
        let idx = (start + i) % COUNT;
        let net = (10 << 24) | ((50 + idx / 256) << 16) | ((idx % 256) << 8);
        if !taken.iter().any(|&t| overlaps(net, 24, t)) {
            let ip = |host: u32| std::net::Ipv4Addr::from(net | host).to_string();
            return (ip(1), ip(2));
        }
    }
    panic!("no free /24 in 10.50.0.0-10.249.255.0");
}

/// "10.1.2.0/24" or "10.1.2.3" (a /32) as (network, length).
fn parse_prefix(word: &str) -> Option<(u32, u32)> {
    let (addr, len) = match word.split_once('/') {
        Some((a, l)) => (a, l.parse().ok()?),
        None => (word, 32),
    };
    let addr: std::net::Ipv4Addr = addr.parse().ok()?;
    (len <= 32).then(|| (u32::from(addr), len))
}

/// The cached Debian root (`scripts/mkrootfs --debian`, debootstrap, kept in
/// .cache/rootfs-debian between runs), made on first use under another name
/// and renamed, so that a half-made root is never used; None after a loud
/// skip.
pub fn debian_root(test: &str) -> Option<std::path::PathBuf> {
    use std::sync::OnceLock;
    static ROOT: OnceLock<Result<std::path::PathBuf, String>> = OnceLock::new();
    if !need_root(test) || !need_program(test, "debootstrap", "debootstrap") {
        return None;
    }
    let made = ROOT.get_or_init(|| {
        let dir = workspace().join(".cache/rootfs-debian");
        if dir.join("etc/debian_version").exists() {
            return Ok(dir);
        }
        let tmp = workspace().join(format!(".cache/rootfs-debian.{}", std::process::id()));
        let out = run_within(
            cmd(workspace().join("scripts/mkrootfs"))
                .arg("--debian")
                .arg(&tmp),
            std::time::Duration::from_secs(900),
            None,
        );
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(format!(
                "mkrootfs --debian failed: {}",
                out.stderr.lines().last().unwrap_or("")
            ));
        }
        std::fs::rename(&tmp, &dir).map_err(|e| e.to_string())?;
        Ok(dir)
    });
    match made {
        Ok(dir) => Some(dir.clone()),
        Err(why) => panic!("{test}: {why}"),
    }
}
