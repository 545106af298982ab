//! The file writing of both interfaces, run through the built binary
//! against fake trees in a temp dir (--cgroup-root): plain files stand in
//! for the kernel's interface files of an existing group (--name reuses
//! it). Needs no root and no cgroup support: the v2 half of acceptance 4
//! as far as files go; the VM suite runs the real v2 kernel.

use sk_testkit::{run, sk};
use std::path::Path;

fn touch(dir: &Path, files: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    for f in files {
        std::fs::write(dir.join(f), "").unwrap();
    }
}

fn read(p: impl AsRef<Path>) -> String {
    std::fs::read_to_string(p).unwrap()
}

const V2_FILES: &[&str] = &[
    "cpu.max",
    "cpu.weight",
    "memory.max",
    "memory.high",
    "memory.swap.max",
    "pids.max",
    "io.weight",
    "cpuset.cpus",
    "cpuset.mems",
    "cgroup.procs",
];

fn every_v2_limit_is_written_to_its_file_and_the_controllers_are_delegated() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::write(r.join("cgroup.controllers"), "cpuset cpu io memory pids\n").unwrap();
    std::fs::write(r.join("cgroup.subtree_control"), "memory\n").unwrap();
    touch(&r.join("sk"), &["cgroup.subtree_control"]);
    let g = r.join("sk/job");
    touch(&g, V2_FILES);
    let out = run(sk("sk-cgroup")
        .arg("--cgroup-root")
        .arg(r)
        .args(["--parent", "/sk", "--name", "job"])
        .args([
            "cpu=20%",
            "cpu-weight=50",
            "memory=64M",
            "memory-high=48M",
            "memory-swap=0",
        ])
        .args([
            "pids=32",
            "io-weight=200",
            "cpuset=0-1",
            "mems=0",
            "sh",
            "-c",
            "echo $$",
        ]));
    out.success();
    let pid = out.stdout.trim();
    for (file, want) in [
        ("cpu.max", "20000 100000"),
        ("cpu.weight", "50"),
        ("memory.max", "67108864"),
        ("memory.high", "50331648"),
        ("memory.swap.max", "0"),
        ("pids.max", "32"),
        ("io.weight", "200"),
        ("cpuset.cpus", "0-1"),
        ("cpuset.mems", "0"),
        ("cgroup.procs", pid),
    ] {
        assert_eq!(read(g.join(file)), want, "{file}");
    }
    // Enabled from the root down to the parent, only what was missing.
    assert_eq!(
        read(r.join("cgroup.subtree_control")),
        "+cpu +pids +cpuset +io"
    );
    assert_eq!(
        read(r.join("sk/cgroup.subtree_control")),
        "+cpu +memory +pids +cpuset +io"
    );
}

fn cpu_max_keeps_a_given_period() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::write(r.join("cgroup.controllers"), "cpu\n").unwrap();
    std::fs::write(r.join("cgroup.subtree_control"), "").unwrap();
    touch(&r.join("g"), &["cpu.max", "cgroup.procs"]);
    run(sk("sk-cgroup").arg("--cgroup-root").arg(r).args([
        "--name",
        "g",
        "cpu-period=50000",
        "cpu=0.5",
        "true",
    ]))
    .success();
    assert_eq!(read(r.join("g/cpu.max")), "25000 50000");
}

fn a_controller_the_v2_root_does_not_offer_is_refused_by_name() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::write(r.join("cgroup.controllers"), "cpu pids\n").unwrap();
    std::fs::write(r.join("cgroup.subtree_control"), "").unwrap();
    touch(&r.join("g"), V2_FILES);
    let marker = r.join("ran");
    let out = run(sk("sk-cgroup")
        .arg("--cgroup-root")
        .arg(r)
        .args(["--name", "g", "pids=1", "memory=64M", "touch"])
        .arg(&marker));
    out.expect_code(125).one_error_line(
        "memory=64M: no cgroup hierarchy here offers the memory controller (available: v2: cpu pids)",
    );
    assert!(!marker.exists());
    assert_eq!(
        read(r.join("g/pids.max")),
        "",
        "a limit was written before the refusal"
    );
    assert_eq!(read(r.join("cgroup.subtree_control")), "");
}

fn v1_limits_go_to_each_controllers_hierarchy_and_the_process_joins_all() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    touch(
        &r.join("cpu,cpuacct/g"),
        &["cpu.cfs_quota_us", "cpu.shares", "cgroup.procs"],
    );
    touch(
        &r.join("memory/g"),
        &[
            "memory.limit_in_bytes",
            "memory.memsw.limit_in_bytes",
            "cgroup.procs",
        ],
    );
    touch(&r.join("pids/g"), &["pids.max", "cgroup.procs"]);
    let out = run(sk("sk-cgroup")
        .arg("--cgroup-root")
        .arg(r)
        .args([
            "--name",
            "g",
            "cpu=0.2",
            "cpu-weight=200",
            "memory=1G",
            "memory-swap=512M",
        ])
        .args(["pids=max", "sh", "-c", "echo $$"]));
    out.success();
    let pid = out.stdout.trim();
    assert_eq!(read(r.join("cpu,cpuacct/g/cpu.cfs_quota_us")), "20000");
    assert_eq!(read(r.join("cpu,cpuacct/g/cpu.shares")), "2048");
    assert_eq!(read(r.join("memory/g/memory.limit_in_bytes")), "1073741824");
    assert_eq!(
        read(r.join("memory/g/memory.memsw.limit_in_bytes")),
        "1610612736"
    );
    assert_eq!(read(r.join("pids/g/pids.max")), "max");
    for h in ["cpu,cpuacct", "memory", "pids"] {
        assert_eq!(read(r.join(h).join("g/cgroup.procs")), pid, "{h}");
    }
}

fn memory_high_on_v1_is_an_error_not_a_silent_skip() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    touch(
        &r.join("memory/g"),
        &[
            "memory.limit_in_bytes",
            "memory.soft_limit_in_bytes",
            "cgroup.procs",
        ],
    );
    let out = run(sk("sk-cgroup").arg("--cgroup-root").arg(r).args([
        "--name",
        "g",
        "memory-high=1M",
        "true",
    ]));
    out.expect_code(125)
        .one_error_line("memory-high=1M: memory.high exists on cgroup v2 only");
}

sk_testkit::tests! {
    every_v2_limit_is_written_to_its_file_and_the_controllers_are_delegated,
    cpu_max_keeps_a_given_period,
    a_controller_the_v2_root_does_not_offer_is_refused_by_name,
    v1_limits_go_to_each_controllers_hierarchy_and_the_process_joins_all,
    memory_high_on_v1_is_an_error_not_a_silent_skip,
}
