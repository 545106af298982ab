//! sk-seccomp's options and the pure checks of what they ask for. Syscall
//! names are resolved later, by libseccomp, when the filter is built.

use crate::rules::{self, Action, Rule};
use clap::Parser;
use sk_common::cli::Common;
use std::ffi::OsString;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  mkdir kills the shell (SIGSYS, exit status 159):
    sk-seccomp --kill mkdir sh -c 'mkdir /tmp/x'
  chown fails with EPERM, everything else works:
    sk-seccomp --errno EPERM:fchownat chown nobody /tmp/f
  Deny only new user namespaces:
    sk-seccomp --errno 'EPERM:unshare:arg0&0x10000000==0x10000000' unshare -U true
  An allow list: everything else kills the process:
    sk-seccomp --default kill --allow read,write,exit_group,brk,... /bin/busybox echo hi
  Docker's default profile, built in or from its JSON file:
    sk-seccomp --profile docker-default bash
    sk-seccomp --profile /etc/docker/seccomp.json --kill ptrace bash
  Review the filter:
    sk-seccomp --profile docker-default --pfc /dev/stdout true
  Let a supervisor outside a user namespace create /dev/null's device inside it:
    sk-seccomp --notify mknod,mknodat --allow-mknod c:1:3 sk-unshare -U -r -m mknod /tmp/n c 1 3
  Let a user-namespace container mount ext4 from the host's /dev/loop0 (nosuid,nodev):
    sk-seccomp --notify mount --allow-mount ext4:/dev/loop0 \\
      sk-unshare -U -r -m -p sk-pivot --bind /dev/loop0 /tmp/root mount /dev/loop0 /mnt
  Name each denied call on stderr:
    sk-seccomp --notify uname --report uname -a
  Precompile a profile once, load it with sk-seccomp or bubblewrap:
    sk-seccomp --profile /etc/docker/seccomp.json --compile /tmp/docker.bpf
    sk-seccomp --bpf /tmp/docker.bpf bash
    bwrap --dev-bind / / --seccomp 9 bash 9</tmp/docker.bpf
  Refuse a profile that names calls this libseccomp does not know:
    sk-seccomp --strict --profile /usr/share/containers/seccomp.json bash
  Learn a profile, then use it:
    sk-seccomp --learn /tmp/p.json sh -c 'ls / >/dev/null'
    sk-seccomp --profile /tmp/p.json sh -c 'ls / >/dev/null'
  Step by step, kill, argument conditions, trap, Docker's profile, user
  notification: docs/tutorial.md, sections 6 and 7 (seccomp):
    less docs/tutorial.md

Exit status: the command's own; 125 if sk-seccomp fails; 126 if the command
cannot be executed; 127 if it is not found; 128+N if it dies by signal N
(159 when the filter kills it with SIGSYS).";

#[derive(Parser, Debug)]
#[command(
    name = "sk-seccomp",
    version,
    about = "Run a command under a seccomp filter",
    long_about = "Builds a seccomp-bpf filter with libseccomp from rules on the command line \
and/or a Docker/OCI JSON profile, loads it as the last step before executing COMMAND, and \
executes COMMAND. The filter stays for COMMAND and everything it starts. With --notify or \
--learn it forks: the child loads the filter and executes COMMAND, the parent stays as a \
supervisor that answers the notified calls.",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,

    /// Action for calls no rule matches: allow, kill (the process),
    /// kill-thread, trap, log, errno[:NAME|N], trace[:N] [default: allow, or the profile's]
    #[arg(long = "default", value_name = "ACTION", value_parser = rules::parse_action)]
    pub default_action: Option<Action>,

    /// Allow these calls: SYSCALL[:COND]...[,...] (see RULES in NOTES)
    #[arg(long, value_name = "RULES", value_parser = allow_rules)]
    pub allow: Vec<Vec<Rule>>,

    /// Kill the process (SIGSYS) on these calls
    #[arg(long, value_name = "RULES", value_parser = kill_rules)]
    pub kill: Vec<Vec<Rule>>,

    /// Fail these calls with ERRNO (a name or a number; EPERM when left out)
    #[arg(long, value_name = "[ERRNO:]RULES", value_parser = rules::parse_errno_rules)]
    pub errno: Vec<Vec<Rule>>,

    /// Send SIGSYS on these calls (the command may catch it)
    #[arg(long, value_name = "RULES", value_parser = trap_rules)]
    pub trap: Vec<Vec<Rule>>,

    /// Allow these calls and log them to the kernel's audit log
    #[arg(long, value_name = "RULES", value_parser = log_rules)]
    pub log: Vec<Vec<Rule>>,

    /// Architectures to filter besides the native one, e.g. x86,x32 (see
    /// NOTES: a call in another architecture is denied otherwise)
    #[arg(long, value_name = "ARCH[,ARCH]", value_delimiter = ',', value_parser = parse_arch)]
    pub arch: Vec<String>,

    /// A Docker/OCI JSON profile, or a built-in one: docker-default, stdio.
    /// Rules on the command line replace the profile's rules for their calls
    #[arg(long, value_name = "FILE|NAME")]
    pub profile: Option<PathBuf>,

    /// Do not set no_new_privs (needs CAP_SYS_ADMIN; setuid programs then
    /// gain privileges the filter cannot take back)
    #[arg(long)]
    pub no_nnp: bool,

    /// Build the filter as a binary tree of syscall numbers (the default)
    #[arg(long, overrides_with = "no_optimize")]
    pub optimize: bool,

    /// Build the filter as a linear list of syscalls
    #[arg(long, overrides_with = "optimize")]
    pub no_optimize: bool,

    /// Write the filter's BPF program to FILE before loading it
    #[arg(long, value_name = "FILE")]
    pub dump: Option<PathBuf>,

    /// Write the filter as readable pseudo-code to FILE before loading it
    #[arg(long, value_name = "FILE")]
    pub pfc: Option<PathBuf>,

    /// Let a supervisor decide these calls (user notification): sk-seccomp
    /// forks and stays as the supervisor. Denied calls fail with ERRNO
    /// (EPERM when left out)
    #[arg(long, value_name = "[ERRNO:]RULES", value_parser = notify_rules)]
    pub notify: Vec<NotifyRules>,

    /// The supervisor performs mknod/mknodat of exactly these character
    /// devices for the caller (c:MAJOR:MINOR); any other device: EPERM
    #[arg(long, value_name = "c:MAJ:MIN[,...]", value_delimiter = ',', value_parser = parse_device)]
    pub allow_mknod: Vec<(u32, u32)>,

    /// The supervisor mounts FSTYPE for a notified mount(2) whose source is,
    /// inside, a block device with the device number of DEVICE (a path on
    /// the host, pinned when the chain is read); nosuid,nodev forced;
    /// repeatable (needs --notify mount)
    #[arg(long, value_name = "FSTYPE:DEVICE", value_parser = crate::mount::parse_allow)]
    pub allow_mount: Vec<crate::mount::Allow>,

    /// Print one line on stderr for each notified call and the decision
    #[arg(long)]
    pub report: bool,

    /// Let every call through, record the calls of the whole process tree,
    /// and write an allow-list profile to FILE at exit (not a confinement)
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "default_action", "allow", "kill", "errno", "trap", "log", "profile", "notify",
        "allow_mknod", "allow_mount", "report"])]
    pub learn: Option<PathBuf>,

    /// Fail (exit 125) when the profile names calls that libseccomp does
    /// not know, instead of leaving them out with a note
    #[arg(long)]
    pub strict: bool,

    /// Write the filter as a raw BPF program (struct sock_filter[], what
    /// bwrap --seccomp FD and setpriv --seccomp-filter read) to FILE
    /// instead of running a command
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "command", "notify", "learn", "allow_mknod", "report", "bpf", "bpf_fd"])]
    pub compile: Option<PathBuf>,

    /// Load this raw BPF program (as --compile writes it) instead of
    /// building a filter; checked first (see NOTES)
    #[arg(long, value_name = "FILE", conflicts_with_all = BPF_CONFLICTS)]
    pub bpf: Option<PathBuf>,

    /// Load the raw BPF program read from file descriptor N (closed once
    /// read)
    #[arg(long, value_name = "N", conflicts_with_all = BPF_CONFLICTS, conflicts_with = "bpf")]
    pub bpf_fd: Option<i32>,

    /// Load --bpf/--bpf-fd without checking that it starts with an
    /// architecture check
    #[arg(long)]
    pub bpf_unchecked: bool,

    /// Load the filter with these flags: log (the kernel logs what it
    /// denies), spec-allow (no speculative store bypass mitigation), tsync
    #[arg(long, value_name = "FLAG[,FLAG]", value_delimiter = ',', value_parser = parse_flag)]
    pub flag: Vec<u32>,

    /// The command to run, and its arguments
    #[arg(
        value_name = "COMMAND",
        required_unless_present = "compile",
        trailing_var_arg = true
    )]
    pub command: Vec<OsString>,
}

/// What a finished program (--bpf) cannot be combined with.
const BPF_CONFLICTS: [&str; 14] = [
    "default_action",
    "allow",
    "kill",
    "errno",
    "trap",
    "log",
    "arch",
    "profile",
    "notify",
    "learn",
    "allow_mknod",
    "report",
    "pfc",
    "strict",
];

/// `--flag NAME`: a SECCOMP_FILTER_FLAG_* a filter is loaded with.
pub fn parse_flag(s: &str) -> Result<u32, String> {
    match s {
        "log" => Ok(crate::filter::FLAG_LOG),
        "spec-allow" => Ok(crate::filter::FLAG_SPEC_ALLOW),
        // One thread: nothing to synchronize.
        "tsync" => Ok(0),
        _ => Err(format!(
            "unknown filter flag '{s}' (log, spec-allow, tsync)"
        )),
    }
}

/// Where `--bpf` / `--bpf-fd` reads the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BpfSource {
    File(PathBuf),
    Fd(i32),
}

/// `--notify [ERRNO:]RULES`: the rules, and the errno a denial returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyRules {
    pub rules: Vec<Rule>,
    pub errno: u16,
}

fn notify_rules(s: &str) -> Result<NotifyRules, String> {
    let rules = rules::parse_errno_rules(s)?;
    let errno = match rules.first().map(|r| r.action) {
        Some(Action::Errno(e)) => e,
        _ => libc::EPERM as u16,
    };
    let rules = rules
        .into_iter()
        .map(|r| Rule {
            action: Action::Notify,
            ..r
        })
        .collect();
    Ok(NotifyRules { rules, errno })
}

/// `c:MAJOR:MINOR`: only character devices; a block device is a disk.
pub fn parse_device(s: &str) -> Result<(u32, u32), String> {
    let parts: Vec<&str> = s.split(':').collect();
    let ["c", major, minor] = parts[..] else {
        return Err(format!(
            "'{s}' is not c:MAJOR:MINOR (only character devices can be allowed)"
        ));
    };
    let num = |v: &str| {
        v.parse::<u32>()
            .map_err(|_| format!("'{v}' is not a device number in '{s}'"))
    };
    let (major, minor) = (num(major)?, num(minor)?);
    if major > 0xfff || minor > 0xfffff {
        return Err(format!("'{s}': device numbers go up to 4095:1048575"));
    }
    Ok((major, minor))
}

fn allow_rules(s: &str) -> Result<Vec<Rule>, String> {
    rules::parse_rules(s, Action::Allow)
}

fn kill_rules(s: &str) -> Result<Vec<Rule>, String> {
    rules::parse_rules(s, Action::KillProcess)
}

fn trap_rules(s: &str) -> Result<Vec<Rule>, String> {
    rules::parse_rules(s, Action::Trap)
}

fn log_rules(s: &str) -> Result<Vec<Rule>, String> {
    rules::parse_rules(s, Action::Log)
}

/// An architecture name as people write it, as libseccomp's SCMP_ARCH_* name.
pub fn parse_arch(s: &str) -> Result<String, String> {
    let name = match s.to_ascii_lowercase().as_str() {
        "x86" | "i386" | "i686" | "386" => "X86",
        "x86_64" | "x86-64" | "amd64" => "X86_64",
        "x32" => "X32",
        "arm" => "ARM",
        "aarch64" | "arm64" => "AARCH64",
        "native" => "NATIVE",
        _ => {
            return Err(format!(
                "unknown architecture '{s}' (x86, x86_64, x32, arm, aarch64)"
            ))
        }
    };
    Ok(format!("SCMP_ARCH_{name}"))
}

/// Where a profile comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Builtin(&'static str),
    File(PathBuf),
}

/// The built-in profiles. A name with a slash is always a file.
pub const BUILTINS: [&str; 2] = ["docker-default", "stdio"];

/// What the options ask for.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    /// Set when a supervisor stays (--notify, --learn).
    pub supervise: Option<Supervise>,
    pub default_action: Option<Action>,
    /// Command-line rules, in the order allow, kill, errno, trap, log.
    pub rules: Vec<Rule>,
    pub arches: Vec<String>,
    pub profile: Option<Source>,
    pub nnp: bool,
    pub optimize: bool,
    pub dump: Option<PathBuf>,
    pub pfc: Option<PathBuf>,
    /// --strict: unknown names in a profile are an error.
    pub strict: bool,
    /// --compile FILE: write the program there instead of running COMMAND.
    pub compile: Option<PathBuf>,
    pub bpf: Option<BpfSource>,
    /// Check --bpf's program for an architecture check (not --bpf-unchecked).
    pub bpf_checked: bool,
    /// SECCOMP_FILTER_FLAG_* from --flag.
    pub flags: u32,
    pub command: Vec<OsString>,
}

/// What the supervisor does with the notified calls.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Supervise {
    /// The errno a denied call gets, by syscall name (EPERM otherwise).
    pub errnos: Vec<(String, u16)>,
    pub mknod: Vec<(u32, u32)>,
    /// --allow-mount, as typed (pinned by mount::prepare).
    pub mounts: Vec<crate::mount::Allow>,
    pub report: bool,
    pub learn: Option<PathBuf>,
}

impl Cli {
    pub fn plan(&self) -> Result<Plan, String> {
        let notified = self.notify.iter().flat_map(|n| n.rules.iter());
        let mut rules: Vec<Rule> = [&self.allow, &self.kill, &self.errno, &self.trap, &self.log]
            .into_iter()
            .flatten()
            .flatten()
            .chain(notified)
            .cloned()
            .collect();
        let supervise = self.supervise()?;
        if !self.allow_mount.is_empty() {
            // libmount's new-API calls, answered ENOSYS (see mount::NEW_API);
            // binds, moves and propagation changes are not notified.
            rules.extend(crate::mount::new_api_rules());
            crate::mount::narrow_mount_rules(&mut rules);
        }
        let profile = self.profile.as_ref().map(|p| {
            let text = p.to_string_lossy();
            match BUILTINS.iter().find(|b| **b == text) {
                Some(name) => Source::Builtin(name),
                None => Source::File(p.clone()),
            }
        });
        let bpf = match (&self.bpf, self.bpf_fd) {
            (Some(p), _) => Some(BpfSource::File(p.clone())),
            (None, Some(fd)) => Some(BpfSource::Fd(fd)),
            (None, None) => None,
        };
        if self.bpf_unchecked && bpf.is_none() {
            return Err("--bpf-unchecked needs --bpf or --bpf-fd".into());
        }
        if profile.is_none()
            && rules.is_empty()
            && self.default_action.is_none()
            && self.learn.is_none()
            && bpf.is_none()
        {
            return Err(
                "no rules: give --profile, --default or rules such as --kill SYSCALL".into(),
            );
        }
        Ok(Plan {
            supervise,
            default_action: if self.learn.is_some() {
                Some(Action::Notify)
            } else {
                self.default_action
            },
            rules,
            arches: self.arch.clone(),
            profile,
            nnp: !self.no_nnp,
            optimize: !self.no_optimize,
            dump: self.dump.clone(),
            pfc: self.pfc.clone(),
            strict: self.strict,
            compile: self.compile.clone(),
            bpf,
            bpf_checked: !self.bpf_unchecked,
            flags: self.flag.iter().fold(0, |a, f| a | f),
            command: self.command.clone(),
        })
    }
}

impl Cli {
    fn supervise(&self) -> Result<Option<Supervise>, String> {
        if self.notify.is_empty() && self.learn.is_none() {
            if !self.allow_mknod.is_empty() || !self.allow_mount.is_empty() || self.report {
                return Err("--allow-mknod, --allow-mount and --report need --notify".into());
            }
            return Ok(None);
        }
        let notified = |name: &str| {
            self.notify
                .iter()
                .any(|n| n.rules.iter().any(|r| r.syscall == name))
        };
        if !self.allow_mknod.is_empty() && !notified("mknod") && !notified("mknodat") {
            return Err("--allow-mknod needs --notify mknod,mknodat".into());
        }
        if !self.allow_mount.is_empty() && !notified("mount") {
            return Err("--allow-mount needs --notify mount".into());
        }
        let mut errnos: Vec<(String, u16)> = self
            .notify
            .iter()
            .flat_map(|n| n.rules.iter().map(|r| (r.syscall.clone(), n.errno)))
            .collect();
        if !self.allow_mount.is_empty() {
            let enosys = libc::ENOSYS as u16;
            errnos.extend(
                crate::mount::NEW_API
                    .iter()
                    .map(|n| (n.to_string(), enosys)),
            );
        }
        Ok(Some(Supervise {
            errnos,
            mknod: self.allow_mknod.clone(),
            mounts: self.allow_mount.clone(),
            report: self.report,
            learn: self.learn.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Cond, Op};

    fn cli(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("sk-seccomp").chain(args.iter().copied()))
    }

    fn plan(args: &[&str]) -> Result<Plan, String> {
        cli(args).unwrap().plan()
    }

    #[test]
    fn deny_list_rules_with_conditions() {
        let p = plan(&["--kill", "mkdir:arg1>=0", "sh", "-c", "mkdir /tmp/x"]).unwrap();
        assert_eq!(p.default_action, None);
        assert_eq!(p.rules[0].action, Action::KillProcess);
        assert_eq!(
            p.rules[0].conds,
            [Cond {
                index: 1,
                op: Op::Ge,
                value: 0
            }]
        );
        assert!(p.nnp && p.optimize);
    }

    #[test]
    fn repeated_and_comma_separated_rules_add_up() {
        let p = plan(&[
            "--default",
            "kill",
            "--allow",
            "read,write",
            "--allow",
            "exit_group",
            "--errno",
            "EPERM:fchownat",
            "--trap",
            "uname",
            "--log",
            "openat",
            "true",
        ])
        .unwrap();
        assert_eq!(p.default_action, Some(Action::KillProcess));
        let names: Vec<_> = p.rules.iter().map(|r| r.syscall.as_str()).collect();
        assert_eq!(
            names,
            ["read", "write", "exit_group", "fchownat", "uname", "openat"]
        );
    }

    #[test]
    fn options_stop_at_the_command() {
        let c = cli(&["--kill", "mkdir", "sh", "--kill", "x"]).unwrap();
        assert_eq!(c.command, ["sh", "--kill", "x"]);
    }

    #[test]
    fn bad_rules_are_usage_errors_naming_the_rule() {
        for (args, needle) in [
            (&["--kill", "mkdir:arg9>0", "true"][..], "arg9>0"),
            (&["--kill", "mkdir:arg1>>0", "true"][..], "arg1>>0"),
            (&["--default", "explode", "true"][..], "explode"),
            (&["--errno", "EWHAT:mkdir", "true"][..], "EWHAT"),
            (&["--arch", "vax", "--kill", "mkdir", "true"][..], "vax"),
        ] {
            let err = cli(args).unwrap_err().to_string();
            assert!(err.contains(needle), "{args:?}: {err}");
        }
    }

    #[test]
    fn profiles_builtin_or_file() {
        assert_eq!(
            plan(&["--profile", "docker-default", "true"])
                .unwrap()
                .profile,
            Some(Source::Builtin("docker-default"))
        );
        assert_eq!(
            plan(&["--profile", "./docker-default", "true"])
                .unwrap()
                .profile,
            Some(Source::File("./docker-default".into()))
        );
    }

    #[test]
    fn nothing_to_filter_is_refused() {
        assert!(plan(&["true"]).unwrap_err().contains("no rules"));
    }

    #[test]
    fn notify_rules_carry_their_errno_to_the_supervisor() {
        let p = plan(&[
            "--notify",
            "EACCES:uname",
            "--notify",
            "mknod,mknodat",
            "true",
        ])
        .unwrap();
        assert!(p.rules.iter().all(|r| r.action == Action::Notify));
        let s = p.supervise.unwrap();
        assert_eq!(
            s.errnos,
            [
                ("uname".into(), 13),
                ("mknod".into(), 1),
                ("mknodat".into(), 1)
            ]
        );
    }

    #[test]
    fn mknod_devices_are_character_devices() {
        assert_eq!(parse_device("c:1:3"), Ok((1, 3)));
        assert!(parse_device("b:8:0").unwrap_err().contains("character"));
        assert!(parse_device("c:1").is_err());
        assert!(parse_device("c:x:3").is_err());
        let c = cli(&[
            "--notify",
            "mknodat",
            "--allow-mknod",
            "c:1:3,c:1:5",
            "true",
        ])
        .unwrap();
        assert_eq!(c.allow_mknod, [(1, 3), (1, 5)]);
    }

    #[test]
    fn supervisor_options_need_a_supervisor() {
        assert!(plan(&["--report", "--kill", "x", "true"]).is_err());
        assert!(
            plan(&["--notify", "uname", "--allow-mknod", "c:1:3", "true"])
                .unwrap_err()
                .contains("mknod")
        );
        assert!(cli(&["--learn", "/tmp/p.json", "--kill", "mkdir", "true"]).is_err());
        let p = plan(&["--learn", "/tmp/p.json", "true"]).unwrap();
        assert_eq!(p.default_action, Some(Action::Notify));
        assert_eq!(
            p.supervise.unwrap().learn,
            Some(PathBuf::from("/tmp/p.json"))
        );
    }

    #[test]
    fn allow_mount() {
        let p = plan(&[
            "--notify",
            "mount",
            "--allow-mount",
            "ext4:/dev/loop3",
            "sh",
        ])
        .unwrap();
        let s = p.supervise.unwrap();
        assert_eq!(s.mounts[0].device, PathBuf::from("/dev/loop3"));
        assert!(s.errnos.contains(&("fsopen".into(), libc::ENOSYS as u16)));
        // mount is notified only for new superblocks and remounts.
        let mounts: Vec<&Rule> = p.rules.iter().filter(|r| r.syscall == "mount").collect();
        assert_eq!(mounts.len(), 2);
        assert!(mounts.iter().all(|r| r.conds.len() == 1));
        assert!(plan(&[
            "--notify",
            "uname",
            "--allow-mount",
            "ext4:/dev/sda",
            "true"
        ])
        .is_err());
        assert!(plan(&["--allow-mount", "ext4:/dev/sda", "--kill", "x", "true"]).is_err());
    }

    #[test]
    fn arches_and_switches() {
        let p = plan(&[
            "--arch",
            "x86,x32",
            "--no-optimize",
            "--no-nnp",
            "--kill",
            "mkdir",
            "true",
        ])
        .unwrap();
        assert_eq!(p.arches, ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
        assert!(!p.optimize && !p.nnp);
        assert!(
            plan(&["--no-optimize", "--optimize", "--kill", "x", "true"])
                .unwrap()
                .optimize
        );
    }

    #[test]
    fn raw_programs_and_strict() {
        let p = plan(&["--profile", "x.json", "--compile", "/tmp/x.bpf"]).unwrap();
        assert_eq!(p.compile, Some(PathBuf::from("/tmp/x.bpf")));
        assert!(p.command.is_empty());
        assert!(cli(&["--kill", "mkdir", "--compile", "f", "true"]).is_err());
        assert!(cli(&["--notify", "uname", "--compile", "f"]).is_err());
        let p = plan(&["--bpf", "p.bpf", "--flag", "log,spec-allow", "true"]).unwrap();
        assert_eq!(p.bpf, Some(BpfSource::File("p.bpf".into())));
        assert_eq!(
            p.flags,
            crate::filter::FLAG_LOG | crate::filter::FLAG_SPEC_ALLOW
        );
        assert!(p.bpf_checked);
        let p = plan(&["--bpf-fd", "9", "--bpf-unchecked", "true"]).unwrap();
        assert_eq!(p.bpf, Some(BpfSource::Fd(9)));
        assert!(!p.bpf_checked);
        for bad in [
            &["--bpf", "p", "--kill", "mkdir", "true"][..],
            &["--bpf", "p", "--bpf-fd", "3", "true"][..],
            &["--bpf-fd", "3", "--profile", "docker-default", "true"][..],
            &["--flag", "new-listener", "--kill", "x", "true"][..],
        ] {
            assert!(cli(bad).is_err(), "{bad:?}");
        }
        assert!(plan(&["--bpf-unchecked", "--kill", "x", "true"])
            .unwrap_err()
            .contains("--bpf"));
        assert!(
            plan(&["--strict", "--profile", "p.json", "true"])
                .unwrap()
                .strict
        );
    }
}
