//! The built-in docker-default, decision by decision:
//! - it decides like Docker's own file (tests/fixtures/docker-default.json)
//!   on every syscall number of x86_64, x86 and x32 and on the argument
//!   cases of both profiles, except exactly where a listed patch says so,
//!   and every listed patch makes a difference;
//! - the precompiled programs are the ones libseccomp makes at run time for
//!   the same rules and capability set, byte for byte and decision by
//!   decision.
//!
//! Programs are run by the BPF interpreter of `sk_seccomp::bpf`, on the
//! `seccomp_data` the kernel would pass.

mod common;
use common::{docker_json, seccomp};
use libseccomp::{ScmpArch, ScmpSyscall};
use sk_seccomp::bpf::{self, Data, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT};
use sk_seccomp::profile::{Host, Profile};
use sk_seccomp::rules::Op;
use sk_seccomp::{filter, precompiled, presets, spec};
use sk_testkit::{need_program, need_root, run};
use std::collections::{BTreeMap, BTreeSet};

const NATIVE: &str = "SCMP_ARCH_X86_64";
const ALLOW: u32 = bpf::RET_ALLOW;
const EPERM: u32 = bpf::RET_ERRNO | libc::EPERM as u32;
const LOW32: u64 = 0xffff_ffff;

fn host(caps: &[&str]) -> Host {
    Host {
        go_arch: "amd64".into(),
        caps: caps.iter().map(|c| c.to_string()).collect(),
        kernel: (6, 18),
    }
}

/// The program libseccomp makes at run time for `profile` and `caps`.
fn runtime_program(profile: &Profile, caps: &[&str]) -> Vec<libc::sock_filter> {
    let decided = profile.decide(&host(caps), NATIVE);
    let a = spec::assemble(decided, &spec::Options::PROFILE_ALONE, NATIVE).unwrap();
    filter::program(&filter::build(&a.spec).unwrap()).unwrap()
}

fn docker_file() -> Profile {
    let path = docker_json("builtin").unwrap();
    sk_seccomp::profile::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// (audit arch, number offset, libseccomp's arch for names)
const ARCHES: [(u32, i32, ScmpArch); 3] = [
    (AUDIT_ARCH_X86_64, 0, ScmpArch::X8664),
    (AUDIT_ARCH_I386, 0, ScmpArch::X86),
    (AUDIT_ARCH_X86_64, X32_SYSCALL_BIT as i32, ScmpArch::X32),
];

/// Argument values worth trying: every value and mask the profiles
/// compare with, their neighbours, and the same with high bits set (the
/// kernel reads ints on the low 32 bits only).
fn values(profiles: &[&Profile]) -> Vec<u64> {
    let mut base: BTreeSet<u64> = [0, 1, 8, 9, 16, 38, 39, 40, 41, 0x5401, 0x5412, 0x541c]
        .into_iter()
        .chain([0x2_0000, 0x2_0008, LOW32, u64::MAX])
        .collect();
    for p in profiles {
        for e in &p.entries {
            for c in &e.conds {
                base.insert(c.value);
                if let Op::MaskedEq(m) = c.op {
                    base.insert(m);
                    base.extend((0..64).map(|b| 1u64 << b).filter(|b| m & b != 0));
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    for v in base {
        for w in [v, v.wrapping_sub(1), v.wrapping_add(1)] {
            out.extend([w, w | 1 << 32, w | 0xffff_ffff_0000_0000]);
        }
    }
    out.into_iter().collect()
}

/// The calls to try for one syscall: no arguments, each argument that a
/// profile compares set to each value, and family x protocol for socket.
fn cases(name: Option<&str>, compared: &BTreeSet<String>, vals: &[u64]) -> Vec<[u64; 6]> {
    let mut out = vec![[0; 6], [0x7fff_1234_5678, 3, 0x9999, 7, 1 << 40, u64::MAX]];
    let Some(name) = name.filter(|n| compared.contains(*n)) else {
        return out;
    };
    for i in 0..6 {
        for v in vals {
            let mut a = [0; 6];
            a[i] = *v;
            out.push(a);
        }
    }
    if name == "socket" {
        for fam in [16, 16 | 1 << 32, 2, 40] {
            for proto in [0, 9, 9 | 1 << 32, 8, 10, LOW32] {
                out.push([fam, 3, proto, 0, 0, 0]);
            }
        }
    }
    out
}

/// Runs `f` on every call of every architecture (and of one it does not
/// know): number, name, arguments.
fn every_call(profiles: &[&Profile], mut f: impl FnMut(&Data, Option<&str>)) {
    let vals = values(profiles);
    let compared: BTreeSet<String> = profiles
        .iter()
        .flat_map(|p| p.entries.iter())
        .filter(|e| !e.conds.is_empty())
        .flat_map(|e| e.names.iter().cloned())
        .collect();
    for (audit, offset, arch) in ARCHES {
        for n in (0..1024).chain([-1, 0x3fff_ffff]) {
            let nr = n | offset;
            let name = ScmpSyscall::from(nr).get_name_by_arch(arch).ok();
            for args in cases(name.as_deref(), &compared, &vals) {
                let data = Data {
                    nr,
                    arch: audit,
                    ip: 0x40_1000,
                    args,
                };
                f(&data, name.as_deref());
            }
        }
    }
    for args in [[0; 6], [1; 6]] {
        f(
            &Data {
                nr: 59,
                arch: bpf::AUDIT_ARCH_X86_64 ^ 1,
                ip: 0,
                args,
            },
            None,
        );
    }
}

/// What the built-in answers where a patch decides, and the patch's name.
fn patched(d: &Data, name: Option<&str>, audit_write: bool) -> Option<(u32, &'static str)> {
    let low = |i: usize| d.args[i] & LOW32;
    let errno = |e: i32| bpf::RET_ERRNO | e as u32;
    Some(match name? {
        "socket" if low(0) == 38 || low(0) == 40 => (EPERM, "socket-family-low32"),
        "socket" if low(0) == 16 && low(2) == 9 && !audit_write => {
            (errno(libc::EINVAL), "netlink-audit")
        }
        "socket" => (ALLOW, "socket-family-low32"),
        "personality" if [0, 8, 0x2_0000, 0x2_0008, LOW32].contains(&low(0)) => {
            (ALLOW, "personality-low32")
        }
        "socketcall" => (errno(libc::ENOSYS), "no-socketcall"),
        "ioctl" if low(1) == 0x5412 || low(1) == 0x541c => (EPERM, "no-tiocsti-tioclinux"),
        _ => return None,
    })
}

/// Capability sets: none, all, Docker's, and each one missing or alone.
fn cap_sets() -> Vec<Vec<&'static str>> {
    let all = presets::ALL_CAPS;
    let mut sets = vec![
        vec![],
        all.to_vec(),
        vec!["CAP_AUDIT_WRITE", "CAP_SYS_CHROOT"],
    ];
    for c in all {
        sets.push(vec![c]);
        sets.push(all.iter().copied().filter(|x| *x != c).collect());
    }
    sets
}

fn the_builtin_decides_like_dockers_file_except_the_listed_patches() {
    let (file, builtin) = (docker_file(), presets::docker_default());
    let mut made: BTreeMap<&str, usize> = BTreeMap::new();
    for caps in cap_sets() {
        let (theirs, ours) = (
            runtime_program(&file, &caps),
            runtime_program(&builtin, &caps),
        );
        let audit_write = caps.contains(&"CAP_AUDIT_WRITE");
        every_call(&[&file, &builtin], |d, name| {
            let docker = bpf::run(&theirs, d).unwrap();
            let got = bpf::run(&ours, d).unwrap();
            let want = match patched(d, name, audit_write) {
                Some((ret, patch)) => {
                    if ret != docker {
                        *made.entry(patch).or_default() += 1;
                    }
                    ret
                }
                None => docker,
            };
            assert_eq!(
                got, want,
                "{name:?} {d:x?} with {caps:?}: built-in {got:#x}, Docker {docker:#x}"
            );
        });
    }
    eprintln!("calls on which the built-in differs from Docker's file, by patch: {made:?}");
    let listed: BTreeSet<&str> = presets::PATCHES.iter().map(|p| p.name).collect();
    let seen: BTreeSet<&str> = made.keys().copied().collect();
    assert_eq!(seen, listed, "differences made: {made:?}");
}

fn syscall_names_are_read_per_architecture() {
    let name = |nr: i32, arch| ScmpSyscall::from(nr).get_name_by_arch(arch).unwrap();
    assert_eq!(name(41, ScmpArch::X8664), "socket");
    assert_eq!(name(359, ScmpArch::X86), "socket");
    assert_eq!(name(102, ScmpArch::X86), "socketcall");
    assert_eq!(name(0x4000_0029, ScmpArch::X32), "socket");
}

fn precompiled_programs_are_the_runtime_programs() {
    let builtin = presets::docker_default();
    assert_eq!(precompiled::PROGRAMS.len(), presets::PRECOMPILED_CAPS.len());
    for (why, caps) in presets::PRECOMPILED_CAPS {
        let found = precompiled::lookup(&host(caps)).unwrap_or_else(|| panic!("{why}"));
        let runtime = runtime_program(&builtin, caps);
        assert_eq!(bpf::to_bytes(&found.prog), bpf::to_bytes(&runtime), "{why}");
        every_call(&[&builtin], |d, name| {
            assert_eq!(
                bpf::run(&found.prog, d).unwrap(),
                bpf::run(&runtime, d).unwrap(),
                "{why}: {name:?} {d:x?}"
            );
        });
    }
}

fn precompiled_programs_are_only_used_where_they_apply() {
    // A set nobody compiled for, an old kernel, another architecture.
    assert!(precompiled::lookup(&host(&["CAP_SYS_BOOT"])).is_none());
    let mut old = host(&presets::ALL_CAPS);
    old.kernel = (4, 4);
    assert!(precompiled::lookup(&old).is_none());
    let mut arm = host(&presets::ALL_CAPS);
    arm.go_arch = "arm64".into();
    assert!(precompiled::lookup(&arm).is_none());
    // Capabilities the profile does not look at do not matter.
    let mut more = presets::ALL_CAPS.to_vec();
    more.extend(["CAP_CHOWN", "CAP_NET_ADMIN"]);
    assert!(precompiled::lookup(&host(&more)).is_some());
    let names: BTreeSet<&str> = precompiled::RELEVANT_CAPS.iter().copied().collect();
    assert_eq!(names, presets::ALL_CAPS.into_iter().collect());
}

fn the_builtin_loads_precompiled_or_compiles_for_other_capability_sets() {
    let test = "the_builtin_loads_precompiled_or_compiles_for_other_capability_sets";
    if !need_root(test) || !need_program(test, "setpriv", "util-linux") {
        return;
    }
    let out = seccomp(&["-v", "--profile", "docker-default", "true"]);
    out.success();
    assert!(out.stderr.contains("precompiled for"), "{}", out.stderr);
    let mut c = sk_testkit::cmd("setpriv");
    c.args(["--bounding-set=-sys_boot", "--"])
        .arg(sk_testkit::bin("sk-seccomp"))
        .args(["-v", "--profile", "docker-default", "true"]);
    let out = run(&mut c);
    out.success();
    assert!(out.stderr.contains("compiling one"), "{}", out.stderr);
    // A user who is not root, and Docker's capability set.
    for setpriv in [
        &["--reuid=65534", "--regid=65534", "--clear-groups"][..],
        &["--bounding-set=-all,+audit_write,+sys_chroot,+chown,+setuid,+net_raw"][..],
    ] {
        let mut c = sk_testkit::cmd("setpriv");
        c.args(setpriv)
            .arg("--")
            .arg(sk_testkit::bin("sk-seccomp"))
            .args(["-v", "--profile", "docker-default", "true"]);
        let out = run(&mut c);
        out.success();
        let want = if setpriv.len() == 3 {
            "precompiled for no capability"
        } else {
            "precompiled for CAP_AUDIT_WRITE,CAP_SYS_CHROOT"
        };
        assert!(out.stderr.contains(want), "{setpriv:?}: {}", out.stderr);
    }
    // Anything added on the command line is compiled with the profile.
    let out = seccomp(&[
        "-v",
        "--profile",
        "docker-default",
        "--kill",
        "mkdir",
        "true",
    ]);
    out.success();
    assert!(!out.stderr.contains("precompiled"), "{}", out.stderr);
}

fn profile_file_of_dockers_json_is_exactly_dockers_rules() {
    let test = "profile_file_of_dockers_json_is_exactly_dockers_rules";
    let dir = common::Scratch::new();
    let json = docker_json(test).unwrap().to_string_lossy().into_owned();
    // What the tool loads, written by --dump, for this process's capabilities.
    let dumped = |profile: &str| {
        let f = dir.str("dump.bpf");
        seccomp(&["--profile", profile, "--dump", &f, "true"]).success();
        bpf::parse(&std::fs::read(&f).unwrap(), true).unwrap()
    };
    let here = sk_seccomp::host::host().unwrap();
    let expected = |p: &Profile| {
        let a = spec::assemble(
            p.decide(&here, NATIVE),
            &spec::Options::PROFILE_ALONE,
            NATIVE,
        )
        .unwrap();
        bpf::to_bytes(&filter::program(&filter::build(&a.spec).unwrap()).unwrap())
    };
    // The file: Docker's rules, no patch.
    assert_eq!(bpf::to_bytes(&dumped(&json)), expected(&docker_file()));
    assert_eq!(docker_file(), presets::docker_unpatched());
    // The built-in: the patched rules (precompiled or not, the same bytes).
    assert_eq!(
        bpf::to_bytes(&dumped("docker-default")),
        expected(&presets::docker_default())
    );
}

sk_testkit::tests! {
    the_builtin_decides_like_dockers_file_except_the_listed_patches,
    syscall_names_are_read_per_architecture,
    precompiled_programs_are_the_runtime_programs,
    precompiled_programs_are_only_used_where_they_apply,
    the_builtin_loads_precompiled_or_compiles_for_other_capability_sets,
    profile_file_of_dockers_json_is_exactly_dockers_rules,
}
