//! The built-in profiles, by name.

use crate::profile::{Entry, Profile};
use crate::rules::{parse_rule, Action};

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
        "docker-default" => Some(crate::docker_default::profile()),
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
    #[test]
    fn every_builtin_exists() {
        for name in crate::cli::BUILTINS {
            assert!(super::builtin(name).is_some(), "{name}");
        }
    }
}
