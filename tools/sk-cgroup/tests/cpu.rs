//! Acceptance 1, the CPU time half: a busy loop under cpu=20000 gets at
//! most a quarter of the wall time it spins for, without the quota nearly
//! all of it. The time is the group's own count (cpuacct.usage on v1,
//! usage_usec in cpu.stat on v2), not the wall clock. In a test binary of
//! its own, so no other test of this crate competes for the CPUs.

mod common;

use sk_testkit::{need_root, run, sk, unique, Cleanup};

const SPIN_SECONDS: u64 = 2;

/// Spins for SPIN_SECONDS of wall time in a group with `cpu`; its CPU time.
/// Both runs get the highest weight, so that a busy host (parallel builds
/// on a shared machine) does not starve the loop: the quota is then the
/// only difference between them.
fn spin(group: &str, cpu: &str) -> f64 {
    let out = run(sk("sk-cgroup")
        .args(["--name", group, cpu, "cpu-weight=10000", "timeout"])
        .args([&SPIN_SECONDS.to_string(), "sh", "-c", "while :; do :; done"]));
    // timeout's own status when it had to stop the loop.
    out.expect_code(124);
    common::cpu_usage_ns(group) as f64 / 1e9
}

fn a_busy_loop_under_cpu_20000_gets_at_most_a_quarter_of_a_cpu() {
    let name = "a_busy_loop_under_cpu_20000_gets_at_most_a_quarter_of_a_cpu";
    if !need_root(name) {
        return;
    }
    let limited = unique("skt-cpu");
    let _c = Cleanup(|| common::remove_group(&limited));
    let wall = SPIN_SECONDS as f64;
    let used = spin(&limited, "cpu=20000");
    assert!(
        used <= 0.25 * wall,
        "used {used:.3} s of CPU in {wall} s under cpu=20000"
    );
    assert!(
        used > 0.05 * wall,
        "used only {used:.3} s: is the usage counted in the group?"
    );
    let free = unique("skt-cpu");
    let _c = Cleanup(|| common::remove_group(&free));
    let used = spin(&free, "cpu=max");
    assert!(
        used > 0.8 * wall,
        "used {used:.3} s of CPU in {wall} s with no quota"
    );
}

sk_testkit::tests! {
    a_busy_loop_under_cpu_20000_gets_at_most_a_quarter_of_a_cpu,
}
