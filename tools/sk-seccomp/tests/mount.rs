//! The supervisor mounts an allowed filesystem for an unprivileged
//! container (issue 17): an ext4 image on a loop device, bound into a
//! user-namespace container, mounted by `mount` inside only through
//! `sk-seccomp --allow-mount ext4:/dev/loopN`; every other mount is EPERM
//! and nothing is mounted anywhere; the supervisor answers concurrently.
//!
//! The containers are the course's chain, `sk-seccomp --notify mount ...
//! sk-unshare -U -r -m -p sk-pivot --bind /dev/loopN ROOT sh`: the
//! supervisor outside the user namespace, the filter loaded by the chain's
//! last process (sk-chain), so sk-pivot's own mounts are never judged. One
//! set of tests binds the host's /proc into a container without a new proc
//! or /dev, to show that the supervisor follows no magic link of it.

mod common;
use common::Scratch;
use sk_testkit::{c_program, cmd, need_program, need_root, run, sh, sk, Output, Rootfs};
use std::path::{Path, PathBuf};

/// An ext4 image with a file written on the host side, on a loop device;
/// detached and removed on drop, whatever happens.
struct Disk {
    dev: String,
    _files: Scratch,
}

impl Drop for Disk {
    fn drop(&mut self) {
        // Lazily: a mount still holding it lets go later (autoclear).
        let _ = run(cmd("losetup").args(["-d", &self.dev]));
    }
}

fn disk(test: &str) -> Option<Disk> {
    if !need_root(test)
        || !need_program(test, "mkfs.ext4", "e2fsprogs")
        || !need_program(test, "losetup", "mount")
    {
        return None;
    }
    let files = Scratch::new();
    let content = files.path("content");
    std::fs::create_dir(&content).unwrap();
    std::fs::write(content.join("hello"), "written on the host\n").unwrap();
    // What a hostile image carries: the host's memory as a device node.
    nix::sys::stat::mknod(
        &content.join("mem"),
        nix::sys::stat::SFlag::S_IFCHR,
        nix::sys::stat::Mode::from_bits_truncate(0o666),
        nix::sys::stat::makedev(1, 1),
    )
    .unwrap();
    let img = files.str("ext4.img");
    sh(&format!("truncate -s 8M {img}")).success();
    run(cmd("mkfs.ext4").args(["-q", "-F", "-d", &files.str("content"), &img])).success();
    let out = run(cmd("losetup").args(["-f", "--show", &img]));
    out.success();
    Some(Disk {
        dev: out.stdout.trim().to_string(),
        _files: files,
    })
}

/// A busybox root with the probe in it and an empty /mnt.
fn root(test: &str) -> Option<(Rootfs, PathBuf)> {
    let probe = c_program(test, "mount_probe")?;
    let root = Rootfs::busybox(test)?;
    std::fs::create_dir_all(root.path().join("mnt")).unwrap();
    std::fs::copy(&probe, root.path().join("probe")).unwrap();
    Some((root, probe))
}

/// `script` as root (of a user namespace with `userns`) in `root`, with
/// the disk's node bound on the same path inside; behind a supervisor when
/// `allow` says what it may mount, its filter loaded last.
fn container(root: &Path, disk: &Disk, allow: Option<&str>, userns: bool, script: &str) -> Output {
    let mut c = sk("sk-seccomp");
    match allow {
        Some(allow) => c.args(["--notify", "mount", "--report", "--allow-mount", allow]),
        // The same chain without a supervisor: a filter that does nothing.
        None => c.args(["--errno", "EPERM:kexec_load"]),
    };
    c.args(["sk-unshare", "-m", "-p"]);
    if userns {
        c.args(["-U", "-r"]);
    }
    c.args(["sk-pivot", "--bind", &disk.dev]).arg(root);
    c.args(["/bin/sh", "-c", script]);
    run(common::no_core(&mut c))
}

/// The disk and a root to use it in, or None after a loud skip.
fn setup(test: &str) -> Option<(Disk, Rootfs)> {
    let disk = disk(test)?;
    let (root, _) = root(test)?;
    Some((disk, root))
}

/// `script` in `root` behind a supervisor that may mount ext4 from the disk.
fn allowed(root: &Path, disk: &Disk, userns: bool, script: &str) -> Output {
    container(
        root,
        disk,
        Some(&format!("ext4:{}", disk.dev)),
        userns,
        script,
    )
}

/// Nothing of the disk is mounted on the host, nor anything on `paths`
/// (the host's whole table changes as other tests run).
fn not_on_the_host(disk: &Disk, paths: &[&Path]) {
    let table = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let ours = |l: &str| {
        l.contains(" ext4 /proc/self/fd/")
            || l.contains(&disk.dev)
            || paths.iter().any(|p| l.contains(p.to_str().unwrap()))
    };
    assert!(!table.lines().any(ours), "{table}");
}

fn mount_inside_works_only_through_the_supervisor() {
    let test = "mount_inside_works_only_through_the_supervisor";
    let Some((disk, root)) = setup(test) else {
        return;
    };
    let dev = &disk.dev;

    let out = container(
        root.path(),
        &disk,
        None,
        true,
        &format!("/probe mount {dev} /mnt ext4"),
    );
    out.expect_code(1);
    assert_eq!(out.stdout, "EPERM\n");

    let script = format!(
        "mount -t ext4 {dev} /mnt && cat /mnt/hello && grep ' /mnt ' /proc/self/mountinfo \
         && umount /mnt && echo unmounted"
    );
    let out = allowed(root.path(), &disk, true, &script);
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "written on the host", "{}", out.stdout);
    nosuid_nodev_on_mnt(lines[1]);
    assert_eq!(lines[2], "unmounted");
    assert!(
        out.stderr.contains("done by the supervisor"),
        "{}",
        out.stderr
    );
    not_on_the_host(&disk, &[root.path()]);
}

/// A mountinfo line for /mnt, with nosuid and nodev.
fn nosuid_nodev_on_mnt(line: &str) {
    let fields: Vec<&str> = line.split(' ').collect();
    assert_eq!(fields[4], "/mnt", "{line}");
    let opts: Vec<&str> = fields[5].split(',').collect();
    assert!(
        opts.contains(&"nosuid") && opts.contains(&"nodev"),
        "{line}"
    );
}

/// A container without a new proc or /dev that sees the host's /proc
/// (whose pid 1 shows the host's mounts); `extra` goes before the command.
fn early(root: &Path, disk: &Disk, extra: &[&str], script: &str) -> std::process::Command {
    let allow = format!("ext4:{}", disk.dev);
    let mut c = sk("sk-seccomp");
    c.args(["--notify", "mount", "--allow-mount", &allow])
        .args(extra);
    c.args(["sk-unshare", "-U", "-r", "-m"]);
    c.args([
        "sk-pivot",
        "--no-proc",
        "--no-dev",
        "--no-mask",
        "--bind",
        "/proc",
        "--bind",
    ]);
    c.arg(&disk.dev).arg(root).args(["/bin/sh", "-c", script]);
    c
}

fn a_supervisor_before_the_whole_chain_mounts_only_in_the_container() {
    let test = "a_supervisor_before_the_whole_chain_mounts_only_in_the_container";
    let Some((disk, root)) = setup(test) else {
        return;
    };
    let dev = &disk.dev;
    let script = format!(
        "mount -t ext4 {dev} /mnt && cat /mnt/hello && grep ' /mnt ' /proc/self/mountinfo \
         && echo host: $(grep -c ' ext4 /proc/self/fd/' /proc/1/mountinfo)"
    );
    let out = run(&mut early(root.path(), &disk, &[], &script));
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "written on the host", "{}", out.stdout);
    nosuid_nodev_on_mnt(lines[1]);
    assert_eq!(lines[2], "host: 0");
    not_on_the_host(&disk, &[root.path()]);
}

/// With the host's /proc inside, /proc/self is the supervisor: its cwd
/// (a magic link) is a directory on the host. The supervisor's own
/// lookups never follow magic links.
fn magic_links_never_lead_to_the_supervisors_own_files() {
    let test = "magic_links_never_lead_to_the_supervisors_own_files";
    let Some((disk, root)) = setup(test) else {
        return;
    };
    let dev = &disk.dev;
    let cwd = Scratch::new();
    // The bind's mount point, made now: sk-pivot's mknod of it would be
    // notified too.
    let point = root.path().join(dev.trim_start_matches('/'));
    std::fs::create_dir_all(point.parent().unwrap()).unwrap();
    std::fs::write(&point, "").unwrap();
    let script = format!(
        "mknod /proc/self/cwd/evil c 1 3 2>/dev/null; echo mknod $?; \
         mknod /proc/thread-self/cwd/evil c 1 3 2>/dev/null; echo mknod $?; \
         /probe mount {dev} /proc/self/cwd ext4; mknod /ok c 1 3 && echo made"
    );
    let extra = ["--notify", "mknod,mknodat", "--allow-mknod", "c:1:3"];
    let out = run(early(root.path(), &disk, &extra, &script).current_dir(&cwd.0));
    assert_eq!(
        out.stdout, "mknod 1\nmknod 1\nEPERM\nmade\n",
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_dir(&cwd.0).unwrap().count(), 0);
    not_on_the_host(&disk, &[root.path(), &cwd.0]);
}

fn every_other_mount_is_refused_and_nothing_is_mounted() {
    let test = "every_other_mount_is_refused_and_nothing_is_mounted";
    let Some((disk, root)) = setup(test) else {
        return;
    };
    let dev = &disk.dev;
    // A directory on the host that a link inside points at.
    let outside = Scratch::new();
    let out_dir = outside.str("");
    let script = format!(
        "ln -s {out_dir} /out; ln -s /proc/1/root{out_dir} /magic; echo x > /file; \
         for c in 'mount {dev} /mnt xfs' 'mount none /mnt tmpfs' 'mount {dev} /out ext4' \
                  'mount {dev} /magic ext4' 'mount /file /mnt ext4' 'mount /bin/busybox /mnt ext4' \
                  'nodata {dev} /mnt' 'fsopen'; do /probe $c; done; \
         /probe swap {dev} /mnt 100; \
         echo mounted: $(grep -c -e ' /mnt ' -e ' /out ' -e ' /magic ' /proc/self/mountinfo)"
    );
    let out = allowed(root.path(), &disk, true, &script);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[..8],
        ["EPERM", "EPERM", "EPERM", "EPERM", "EPERM", "EPERM", "EPERM", "ENOSYS"],
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    // The swapped type is never mounted; the ext4 ones are, and undone.
    assert!(lines[8].ends_with("swapped 0"), "{}", out.stdout);
    assert!(lines[8].starts_with("mounted ") && !lines[8].starts_with("mounted 0 "));
    assert_eq!(lines[9], "mounted: 0");
    assert!(
        out.stderr.contains("mount(\"none\", \"/mnt\", \"tmpfs\""),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_dir(outside.path("")).unwrap().count(), 0);
    not_on_the_host(&disk, &[root.path(), &outside.0]);
}

fn nodev_and_nosuid_cannot_be_taken_off() {
    let test = "nodev_and_nosuid_cannot_be_taken_off";
    let Some((disk, root)) = setup(test) else {
        return;
    };
    let dev = &disk.dev;
    let script = format!(
        "mount -t ext4 {dev} /mnt || exit 9; head -c 1 /mnt/mem >/dev/null 2>&1; echo mem $?; \
         /probe remount /mnt; /probe setattr /mnt; mount -o remount,dev,suid /mnt 2>/dev/null; \
         echo remount $?; mkdir /b && mount --bind /mnt /b && /probe remount /b; \
         grep -e ' /mnt ' -e ' /b ' /proc/self/mountinfo"
    );
    let out = allowed(root.path(), &disk, true, &script);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[..5],
        ["mem 1", "EPERM", "ENOSYS", "remount 1", "EPERM"],
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert_eq!(lines.len(), 7, "{}", out.stdout);
    for line in &lines[5..] {
        let opts: Vec<&str> = line.split(' ').nth(5).unwrap().split(',').collect();
        assert!(
            opts.contains(&"nosuid") && opts.contains(&"nodev"),
            "{line}"
        );
    }
    not_on_the_host(&disk, &[root.path()]);
}

fn relative_paths_and_links_inside_resolve_as_for_the_caller() {
    let test = "relative_paths_and_links_inside_resolve_as_for_the_caller";
    let Some((disk, root)) = setup(test) else {
        return;
    };
    let dev = &disk.dev;
    let node = dev.trim_start_matches("/dev/");
    let script = format!(
        "cd /dev && /probe mount ./{node} ../mnt ext4 && umount /mnt; \
         cd / && ln -s {dev} /disk && ln -s mnt /m && /probe mount disk m ext4 && cat /mnt/hello"
    );
    let out = allowed(root.path(), &disk, true, &script);
    out.success();
    assert_eq!(
        out.stdout, "ok\nok\nwritten on the host\n",
        "{}",
        out.stderr
    );
}

fn a_node_the_container_made_for_another_device_is_refused() {
    let test = "a_node_the_container_made_for_another_device_is_refused";
    let Some((disk, root)) = setup(test) else {
        return;
    };
    let dev = &disk.dev;
    // Real root (no user namespace) may make any node; the loop device
    // next to the allowed one is another disk.
    let minor: u32 = dev.trim_start_matches("/dev/loop").parse().unwrap();
    let script = format!(
        "mknod /other b 7 {} && /probe mount /other /mnt ext4; \
         mknod /same b 7 {minor} && /probe mount /same /mnt ext4 && umount /mnt",
        minor + 1
    );
    let out = allowed(root.path(), &disk, false, &script);
    out.success();
    // A node of its own for the allowed device is fine: the host's node is
    // what gets mounted.
    assert_eq!(out.stdout, "EPERM\nok\n", "{}", out.stderr);
    not_on_the_host(&disk, &[root.path()]);
}

/// A cached Debian root of `suite` in .cache, made when missing (bookworm
/// by scripts/mkrootfs --debian, shared with tests/debian_root.rs; another
/// suite by debootstrap's minbase); None after a loud skip.
fn debian_root(test: &str, suite: &str) -> Option<PathBuf> {
    let name = match suite {
        "bookworm" => "rootfs-debian".to_string(),
        other => format!("rootfs-{other}"),
    };
    let dir = sk_testkit::workspace().join(".cache").join(name);
    if dir.join("etc/debian_version").exists() {
        return Some(dir);
    }
    if !need_program(test, "debootstrap", "debootstrap") {
        return None;
    }
    // Made under another name and renamed: a half-made root is never used.
    let tmp = dir.with_extension(sk_testkit::unique("new"));
    let mut make = if suite == "bookworm" {
        let mut c = cmd(sk_testkit::workspace().join("scripts/mkrootfs"));
        c.arg("--debian").arg(&tmp);
        c
    } else {
        let mut c = cmd("debootstrap");
        c.args(["--variant=minbase", suite]).arg(&tmp);
        c.arg("http://deb.debian.org/debian");
        c
    };
    let out = sk_testkit::run_within(&mut make, std::time::Duration::from_secs(900), None);
    assert!(out.status.success(), "debootstrap {suite}: {}", out.stderr);
    if std::fs::rename(&tmp, &dir).is_err() {
        // Another test made it meanwhile.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Some(dir)
}

/// `mount -o ro,noatime` and `umount` of the Debian `suite` inside; returns
/// the supervisor's report.
fn debian_mount(test: &str, suite: &str) -> Option<String> {
    let disk = disk(test)?;
    let debian = debian_root(test, suite)?;
    let dev = &disk.dev;
    let script = format!(
        "/usr/bin/mount -t ext4 -o ro,noatime {dev} /mnt && cat /mnt/hello \
         && grep -c ' /mnt ro,nosuid,nodev,noatime ' /proc/self/mountinfo \
         && /usr/bin/umount /mnt && echo ok"
    );
    let out = allowed(&debian, &disk, true, &script);
    out.success();
    assert_eq!(out.stdout, "written on the host\n1\nok\n", "{}", out.stderr);
    not_on_the_host(&disk, &[&debian]);
    Some(out.stderr)
}

/// Debian 12's util-linux (2.38) mounts with mount(2).
fn debian_12s_mount_and_umount_work_inside() {
    debian_mount("debian_12s_mount_and_umount_work_inside", "bookworm");
}

/// Debian 13's util-linux (2.41) tries the new mount API first: fsopen
/// gets ENOSYS, and libmount falls back to mount(2).
fn debian_13s_mount_falls_back_from_fsopen_to_mount_2() {
    let test = "debian_13s_mount_falls_back_from_fsopen_to_mount_2";
    let Some(report) = debian_mount(test, "trixie") else {
        return;
    };
    let fsopen = report.find("fsopen(").expect(&report);
    assert!(report[fsopen..].contains("denied (ENOSYS)"), "{report}");
    let mount = report.find("mount(\"/dev/loop").expect(&report);
    assert!(fsopen < mount, "{report}");
}

/// `mount_probe MODE DIR` behind a supervisor of `calls` that may make
/// c:1:3, DIR a new scratch directory; None after a loud skip.
fn probe_making_nodes(test: &str, calls: &str, mode: &str) -> Option<(Scratch, Output)> {
    if !need_root(test) {
        return None;
    }
    let probe = c_program(test, "mount_probe")?;
    let dir = Scratch::new();
    let out = common::seccomp(&[
        "--notify",
        calls,
        "--allow-mknod",
        "c:1:3",
        probe.to_str().unwrap(),
        mode,
        &dir.str(""),
    ]);
    Some((dir, out))
}

fn a_slow_request_does_not_stall_a_fast_one() {
    let test = "a_slow_request_does_not_stall_a_fast_one";
    let Some((dir, out)) = probe_making_nodes(test, "mknod,mknodat,uname", "slow") else {
        return;
    };
    out.success();
    assert!(out.stdout.starts_with("fast EPERM in "), "{}", out.stdout);
    assert!(out.stdout.ends_with("while the slow one was pending\n"));
    assert!(dir.path("slow-node").exists());
}

/// A caller killed while the supervisor mounts for it (held up by /mnt's
/// lock, which the container's other thread holds) gets no answer: the
/// mount is taken down again. Real root in the container (no user
/// namespace), which may use userfaultfd on kernel accesses.
fn a_mount_for_a_caller_that_died_is_taken_down() {
    let test = "a_mount_for_a_caller_that_died_is_taken_down";
    let Some((disk, root)) = setup(test) else {
        return;
    };
    let script = format!("/probe dead-caller {} /mnt", disk.dev);
    let out = allowed(root.path(), &disk, false, &script);
    assert_eq!(out.stdout, "mounted 0\n", "{}", out.stderr);
    assert!(
        out.stderr.contains("done by the supervisor"),
        "{}",
        out.stderr
    );
    not_on_the_host(&disk, &[root.path()]);
}

fn two_hundred_parallel_calls_from_eight_threads_are_all_answered() {
    let test = "two_hundred_parallel_calls_from_eight_threads_are_all_answered";
    let Some((dir, out)) = probe_making_nodes(test, "mknod,mknodat", "many") else {
        return;
    };
    out.success();
    assert_eq!(out.stdout, "made 200\n");
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 200);
}

/// The supervisor lifts only the kernel's refusal of ext4 in a user
/// namespace: a caller that could not mount anything itself (container
/// root that dropped sys_admin, a user who is not root on the host) gets
/// no mount from it either, and nothing is mounted anywhere.
fn only_a_caller_that_may_mount_gets_a_mount() {
    let test = "only_a_caller_that_may_mount_gets_a_mount";
    let Some(disk) = disk(test) else {
        return;
    };
    let Some((root, probe)) = root(test) else {
        return;
    };
    let dev = &disk.dev;
    let allow = format!("ext4:{dev}");
    let out = run(common::no_core(
        sk("sk-seccomp")
            .args(["--notify", "mount", "--allow-mount", &allow])
            .args([
                "sk-unshare",
                "-m",
                "-p",
                "-U",
                "-r",
                "sk-pivot",
                "--bind",
                dev,
            ])
            .arg(root.path())
            .args([
                "sk-capdrop",
                "sys_admin",
                "/probe",
                "mount",
                dev,
                "/mnt",
                "ext4",
            ]),
    ));
    assert_eq!(
        (out.code(), out.stdout.as_str()),
        (1, "EPERM\n"),
        "{}",
        out.stderr
    );
    // On the host, as nobody: no capability at all.
    let target = Scratch::new();
    std::fs::set_permissions(
        target.path(""),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let out = run(common::no_core(
        sk("sk-seccomp")
            .args(["--notify", "mount", "--allow-mount", &allow])
            .args(["sk-user", "65534:65534"])
            .arg(&probe)
            .args(["mount", dev, &target.str(""), "ext4"]),
    ));
    assert_eq!(
        (out.code(), out.stdout.as_str()),
        (1, "EPERM\n"),
        "{}",
        out.stderr
    );
    not_on_the_host(&disk, &[root.path(), &target.path("")]);
}

fn allow_mount_needs_a_block_device_and_notify_mount() {
    let out = common::seccomp(&[
        "--notify",
        "mount",
        "--allow-mount",
        "ext4:/dev/null",
        "true",
    ]);
    out.expect_code(125);
    out.one_error_line("cannot use /dev/null for --allow-mount: Block device required");
    let out = common::seccomp(&[
        "--notify",
        "uname",
        "--allow-mount",
        "ext4:/dev/loop0",
        "true",
    ]);
    out.expect_code(125);
    assert!(out.stderr.contains("--notify mount"), "{}", out.stderr);
}

sk_testkit::tests! {
    mount_inside_works_only_through_the_supervisor,
    a_supervisor_before_the_whole_chain_mounts_only_in_the_container,
    magic_links_never_lead_to_the_supervisors_own_files,
    every_other_mount_is_refused_and_nothing_is_mounted,
    nodev_and_nosuid_cannot_be_taken_off,
    relative_paths_and_links_inside_resolve_as_for_the_caller,
    a_node_the_container_made_for_another_device_is_refused,
    debian_12s_mount_and_umount_work_inside,
    debian_13s_mount_falls_back_from_fsopen_to_mount_2,
    a_slow_request_does_not_stall_a_fast_one,
    a_mount_for_a_caller_that_died_is_taken_down,
    two_hundred_parallel_calls_from_eight_threads_are_all_answered,
    allow_mount_needs_a_block_device_and_notify_mount,
    only_a_caller_that_may_mount_gets_a_mount,
}
