//! The built-in profiles, by name.
//!
//! `docker-default` is Docker's own file (moby/profiles seccomp/default.json,
//! vendored in tests/fixtures with its origin and license), embedded at
//! build time and read by the same parser as `--profile FILE`, plus the
//! short list of [`PATCHES`] below, each with its reason. The man page's
//! NOTES list the same differences; the tests check that the built-in
//! decides like the file everywhere except where a patch says otherwise.

use crate::profile::{Entry, Profile, When};
use crate::rules::{parse_rule, Action, Cond, Op};

/// Docker's default profile, unchanged.
pub const DOCKER_JSON: &str = include_str!("../tests/fixtures/docker-default.json");

/// A deliberate difference from Docker's file.
pub struct Patch {
    pub name: &'static str,
    pub reason: &'static str,
    apply: fn(&mut Profile),
}

pub const PATCHES: &[Patch] = &[
    Patch {
        name: "socket-family-low32",
        reason: "the kernel reads socket()'s family as an int, so Docker's 64-bit \
                 comparisons let (1<<32)|AF_VSOCK through; the same families are \
                 compared on their low 32 bits (masked)",
        apply: socket_family_low32,
    },
    Patch {
        name: "netlink-audit",
        reason: "socket(AF_NETLINK, *, NETLINK_AUDIT) fails with EINVAL unless the command \
                 holds CAP_AUDIT_WRITE, as in podman's default profile: without it the \
                 audit socket is only attack surface, and libaudit takes EINVAL for \
                 \"no audit\"",
        apply: netlink_audit,
    },
    Patch {
        name: "personality-low32",
        reason: "personality()'s argument is an unsigned int: the allowed values are \
                 compared on their low 32 bits (masked), like the socket family",
        apply: personality_low32,
    },
    Patch {
        name: "no-socketcall",
        reason: "i386 socketcall() passes the family behind a pointer, where seccomp \
                 cannot see it, and libseccomp turns every socket rule into an \
                 unconditional socketcall(SYS_SOCKET) rule: socketcall fails with ENOSYS, \
                 as on a kernel without it. i386 programs whose libc makes its socket \
                 calls through socketcall (glibc built for kernels before 4.3, as most \
                 distributions' i386 glibc is, and static binaries made with it) cannot \
                 use sockets; musl and programs that make the direct calls (Linux 4.3 and \
                 later) can, and those stay filtered by family",
        apply: no_socketcall,
    },
    Patch {
        name: "no-tiocsti-tioclinux",
        reason: "ioctl TIOCSTI pushes input into the terminal the command shares with \
                 its caller, and TIOCLINUX can read the console (CVE-2019-10063, \
                 CVE-2023-1523): denied (EPERM) on the low 32 bits of the request, \
                 as bubblewrap and flatpak do",
        apply: no_tiocsti_tioclinux,
    },
];

/// Docker's file as its parser reads it, before any patch.
pub fn docker_unpatched() -> Profile {
    crate::profile::parse(DOCKER_JSON).expect("the embedded Docker profile parses")
}

/// The built-in docker-default: Docker's file with every patch applied.
pub fn docker_default() -> Profile {
    let mut p = docker_unpatched();
    for patch in PATCHES {
        (patch.apply)(&mut p);
    }
    p
}

/// The capability sets (as far as docker-default's includes/excludes look
/// at them) whose programs are compiled at build time, and why: a program
/// for any other set is compiled when the command starts (about 20 ms).
pub const PRECOMPILED_CAPS: &[(&str, &[&str])] = &[
    (
        "root with every capability (also root in a user namespace)",
        &ALL_CAPS,
    ),
    ("no capability (a user who is not root)", &[]),
    (
        "Docker's default set, and the README's recommended chain",
        &["CAP_AUDIT_WRITE", "CAP_SYS_CHROOT"],
    ),
    (
        "sk-capdrop sys_time (the headline chain)",
        &ALL_BUT_SYS_TIME,
    ),
    ("root without CAP_SYS_ADMIN", &ALL_BUT_SYS_ADMIN),
];

/// Every capability the patched docker-default names.
pub const ALL_CAPS: [&str; 15] = [
    "CAP_AUDIT_WRITE",
    "CAP_BPF",
    "CAP_DAC_READ_SEARCH",
    "CAP_PERFMON",
    "CAP_SYSLOG",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_CHROOT",
    "CAP_SYS_MODULE",
    "CAP_SYS_NICE",
    "CAP_SYS_PACCT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
];
const ALL_BUT_SYS_TIME: [&str; 14] = all_but("CAP_SYS_TIME");
const ALL_BUT_SYS_ADMIN: [&str; 14] = all_but("CAP_SYS_ADMIN");

const fn all_but(cap: &str) -> [&'static str; 14] {
    let mut out = [""; 14];
    let (mut i, mut j) = (0, 0);
    while i < ALL_CAPS.len() {
        if !const_eq(ALL_CAPS[i], cap) {
            out[j] = ALL_CAPS[i];
            j += 1;
        }
        i += 1;
    }
    out
}

const fn const_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const LOW32: u64 = 0xffff_ffff;
const AF_NETLINK: u64 = 16;
const NETLINK_AUDIT: u64 = 9;
const TIOCSTI: u64 = 0x5412;
const TIOCLINUX: u64 = 0x541c;

/// The 32-bit values from `lo` to `hi` (inclusive) as aligned blocks: each
/// `(mask, value)` matches the x with `x & mask == value`, and only the low
/// 32 bits of x count.
pub fn low32_blocks(lo: u64, hi: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut lo = lo;
    while lo <= hi && lo <= LOW32 {
        let mut size = 1u64;
        while lo & (size * 2 - 1) == 0 && lo + size * 2 - 1 <= hi.min(LOW32) {
            size *= 2;
        }
        out.push((LOW32 & !(size - 1), lo));
        lo += size;
    }
    out
}

/// The complement of `points` among the 32-bit values, as blocks.
fn low32_except(points: &[u64]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut from = 0;
    for &p in points {
        if p > from {
            out.extend(low32_blocks(from, p - 1));
        }
        from = p + 1;
    }
    out.extend(low32_blocks(from, LOW32));
    out
}

fn masked(index: u32, (mask, value): (u64, u64)) -> Cond {
    Cond {
        index,
        op: Op::MaskedEq(mask),
        value,
    }
}

/// One allow entry per block of argument `index`, with `extra` conditions.
fn allow_blocks(
    name: &str,
    index: u32,
    blocks: &[(u64, u64)],
    extra: &[Cond],
    like: &Entry,
) -> Vec<Entry> {
    blocks
        .iter()
        .map(|b| {
            let mut conds = vec![masked(index, *b)];
            conds.extend_from_slice(extra);
            Entry {
                names: vec![name.to_string()],
                action: Some(Action::Allow),
                conds,
                ..like.clone()
            }
        })
        .collect()
}

/// The 32-bit range an allowing condition on a family or a flag accepts.
fn range_of(c: &Cond) -> Option<(u64, u64)> {
    if c.value > LOW32 {
        return None;
    }
    Some(match c.op {
        Op::Eq => (c.value, c.value),
        Op::Lt => (0, c.value.checked_sub(1)?),
        Op::Le => (0, c.value),
        Op::Gt => (c.value + 1, LOW32),
        Op::Ge => (c.value, LOW32),
        _ => return None,
    })
}

/// Replaces the entries of `name` that allow by one comparison of
/// argument `index` with masked 32-bit comparisons accepting the same
/// 32-bit values.
fn to_low32(p: &mut Profile, name: &str, index: u32) {
    let mut out = Vec::new();
    for e in std::mem::take(&mut p.entries) {
        let single = e.names == [name] && e.action == Some(Action::Allow) && e.conds.len() == 1;
        match single
            .then(|| e.conds[0])
            .filter(|c| c.index == index)
            .and_then(|c| range_of(&c))
        {
            Some((lo, hi)) => out.extend(allow_blocks(name, index, &low32_blocks(lo, hi), &[], &e)),
            None => {
                assert!(
                    !e.names.iter().any(|n| n == name)
                        || e.conds.is_empty() && e.action != Some(Action::Allow),
                    "docker-default: an entry for {name} the patch does not know: {e:?}"
                );
                out.push(e);
            }
        }
    }
    p.entries = out;
}

fn socket_family_low32(p: &mut Profile) {
    to_low32(p, "socket", 0);
}

fn personality_low32(p: &mut Profile) {
    to_low32(p, "personality", 0);
}

/// Splits the socket block that holds AF_NETLINK, then allows AF_NETLINK
/// with any protocol but NETLINK_AUDIT, and with NETLINK_AUDIT only when
/// CAP_AUDIT_WRITE is held.
fn netlink_audit(p: &mut Profile) {
    let holds = |e: &Entry| {
        e.names == ["socket"]
            && matches!(e.conds[..], [Cond { index: 0, op: Op::MaskedEq(m), value }]
                if AF_NETLINK & m == value)
    };
    let at = p
        .entries
        .iter()
        .position(holds)
        .expect("docker-default allows AF_NETLINK");
    let e = p.entries.remove(at);
    let Op::MaskedEq(mask) = e.conds[0].op else {
        unreachable!()
    };
    let (lo, hi) = (e.conds[0].value, e.conds[0].value | (!mask & LOW32));
    let mut new = Vec::new();
    if lo < AF_NETLINK {
        new.extend(allow_blocks(
            "socket",
            0,
            &low32_blocks(lo, AF_NETLINK - 1),
            &[],
            &e,
        ));
    }
    new.extend(allow_blocks(
        "socket",
        0,
        &low32_blocks(AF_NETLINK + 1, hi),
        &[],
        &e,
    ));
    let netlink = masked(0, (LOW32, AF_NETLINK));
    new.extend(allow_blocks(
        "socket",
        2,
        &low32_except(&[NETLINK_AUDIT]),
        &[netlink],
        &e,
    ));
    let mut audit = allow_blocks("socket", 0, &[(LOW32, AF_NETLINK)], &[], &e);
    let cap = vec!["CAP_AUDIT_WRITE".to_string()];
    audit[0].includes.caps.clone_from(&cap);
    new.extend(audit);
    new.push(Entry {
        names: vec!["socket".into()],
        action: Some(Action::Errno(libc::EINVAL as u16)),
        conds: vec![netlink, masked(2, (LOW32, NETLINK_AUDIT))],
        excludes: When {
            caps: cap,
            ..e.excludes.clone()
        },
        ..e.clone()
    });
    p.entries.splice(at..at, new);
}

/// Takes `name` out of every entry that allows it unconditionally.
fn unlist(p: &mut Profile, name: &str) -> Entry {
    let mut found = None;
    for e in &mut p.entries {
        if e.action == Some(Action::Allow)
            && e.conds.is_empty()
            && e.names.iter().any(|n| n == name)
        {
            e.names.retain(|n| n != name);
            found = Some(e.clone());
        }
    }
    p.entries.retain(|e| !e.names.is_empty());
    found.unwrap_or_else(|| panic!("docker-default allows {name}"))
}

fn no_socketcall(p: &mut Profile) {
    let like = unlist(p, "socketcall");
    // Unconditional, so it overrides the socketcall(SYS_SOCKET, ...) rules
    // libseccomp derives from the socket rules; EPERM cannot be a rule, as
    // it is the default.
    p.entries.push(Entry {
        names: vec!["socketcall".into()],
        action: Some(Action::Errno(libc::ENOSYS as u16)),
        ..like
    });
}

fn no_tiocsti_tioclinux(p: &mut Profile) {
    let like = unlist(p, "ioctl");
    p.entries.extend(allow_blocks(
        "ioctl",
        1,
        &low32_except(&[TIOCSTI, TIOCLINUX]),
        &[],
        &like,
    ));
}

/// `stdio`, in the spirit of seccomp's strict mode (mode 1: read, write,
/// exit, sigreturn): the command computes on the file descriptors it
/// inherited and can open nothing. What is added is what a static program
/// needs to start and to manage its memory and signals, and fstat and the
/// terminal query isatty() makes on those fds. Everything else kills it.
const STDIO: &[&str] = &[
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "lseek",
    "close",
    "sendfile",
    "exit",
    "exit_group",
    "rt_sigreturn",
    "rt_sigaction",
    "rt_sigprocmask",
    "sigaltstack",
    "brk",
    "mmap",
    "munmap",
    "mremap",
    "mprotect",
    "madvise",
    "futex",
    "arch_prctl",
    "set_tid_address",
    "set_robust_list",
    "rseq",
    "prlimit64",
    "getrandom",
    "getpid",
    "gettid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "clock_gettime",
    "fstat",
    // fstat() as glibc makes it: newfstatat(fd, "", buf, AT_EMPTY_PATH).
    "newfstatat:arg3&0x1000==0x1000",
    // isatty(): TCGETS only, never TIOCSTI and the like.
    "ioctl:arg1==0x5401",
    // PR_GET_NAME: the process's own name.
    "prctl:arg0==16",
];

/// Asked at start-up by programs that do without the answer (busybox
/// looks for /proc/self/exe): EPERM, rather than death.
const STDIO_REFUSED: &[&str] = &["readlink", "readlinkat"];

pub fn builtin(name: &str) -> Option<Profile> {
    match name {
        "docker-default" => Some(docker_default()),
        "stdio" => Some(stdio()),
        _ => None,
    }
}

fn stdio() -> Profile {
    let refused = STDIO_REFUSED
        .iter()
        .map(|s| (s, Action::Errno(libc::EPERM as u16)));
    let entries = STDIO
        .iter()
        .map(|s| (s, Action::Allow))
        .chain(refused)
        .map(|(spec, action)| {
            let rule = parse_rule(spec, action).expect("the stdio preset parses");
            Entry {
                names: vec![rule.syscall],
                action: Some(action),
                conds: rule.conds,
                ..Entry::default()
            }
        })
        .collect();
    Profile {
        default_action: Some(Action::KillProcess),
        entries,
        ..Profile::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_exists() {
        for name in crate::cli::BUILTINS {
            assert!(builtin(name).is_some(), "{name}");
        }
    }

    #[test]
    fn the_man_page_lists_every_difference_from_dockers_file() {
        for patch in PATCHES {
            assert!(crate::MAN_NOTES.contains(patch.name), "{}", patch.name);
        }
        for name in crate::precompiled::UNKNOWN {
            assert!(crate::MAN_NOTES.contains(&format!(" {name}")), "{name}");
        }
        let version = libseccomp::ScmpVersion::current().unwrap();
        let v = format!(
            "libseccomp {}.{}.{}",
            version.major, version.minor, version.micro
        );
        assert!(crate::MAN_NOTES.contains(&v), "{v}");
    }

    #[test]
    fn blocks_cover_exactly_their_range() {
        assert_eq!(
            low32_blocks(0, 37),
            [(0xffff_ffe0, 0), (0xffff_fffc, 32), (0xffff_fffe, 36)]
        );
        assert_eq!(low32_blocks(0, LOW32), [(0, 0)]);
        assert_eq!(
            low32_blocks(41, LOW32).last(),
            Some(&(0x8000_0000, 0x8000_0000))
        );
        let except = low32_except(&[TIOCSTI, TIOCLINUX]);
        for x in [
            0u64,
            0x5411,
            0x5412,
            0x5413,
            0x541b,
            0x541c,
            0x541d,
            0xffff_ffff,
            0x1_0000_5412,
        ] {
            let hits = except.iter().filter(|(m, v)| x & m == *v).count();
            let want = usize::from(![TIOCSTI, TIOCLINUX].contains(&(x & LOW32)));
            assert_eq!(hits, want, "{x:#x}");
        }
    }

    #[test]
    fn the_patches_apply_to_the_embedded_file() {
        let p = docker_default();
        let names = |n: &str| {
            p.entries
                .iter()
                .filter(|e| e.names.iter().any(|x| x == n))
                .count()
        };
        let socketcall: Vec<&Entry> = p
            .entries
            .iter()
            .filter(|e| e.names == ["socketcall"])
            .collect();
        assert_eq!(socketcall.len(), 1);
        assert_eq!(
            socketcall[0].action,
            Some(Action::Errno(libc::ENOSYS as u16))
        );
        assert!(names("ioctl") > 2 && names("socket") > 2);
        for e in &p.entries {
            assert!(e.names.iter().all(|n| n != "socketcall") || e.names == ["socketcall"]);
            if e.names == ["socket"] || e.names == ["personality"] || e.names == ["ioctl"] {
                assert!(
                    e.conds
                        .iter()
                        .all(|c| matches!(c.op, Op::MaskedEq(m) if m <= LOW32)),
                    "{e:?}"
                );
            }
        }
    }
}
