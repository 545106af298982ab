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
  Let a supervisor create /dev/null's device in a user namespace:
    sk-unshare -U -r -m sk-seccomp --notify mknod,mknodat --allow-mknod c:1:3 mknod /tmp/n c 1 3
  Name each denied call on stderr:
    sk-seccomp --notify uname --report uname -a
  Learn a profile, then use it:
    sk-seccomp --learn /tmp/p.json sh -c 'ls / >/dev/null'
    sk-seccomp --profile /tmp/p.json sh -c 'ls / >/dev/null'

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
    /// NOTES: a call in another architecture is killed otherwise)
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

    /// The command to run, and its arguments
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true)]
    pub command: Vec<OsString>,
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
    pub default_action: Option<Action>,
    /// Command-line rules, in the order allow, kill, errno, trap, log.
    pub rules: Vec<Rule>,
    pub arches: Vec<String>,
    pub profile: Option<Source>,
    pub nnp: bool,
    pub optimize: bool,
    pub dump: Option<PathBuf>,
    pub pfc: Option<PathBuf>,
}

impl Cli {
    pub fn plan(&self) -> Result<Plan, String> {
        let rules: Vec<Rule> = [&self.allow, &self.kill, &self.errno, &self.trap, &self.log]
            .into_iter()
            .flatten()
            .flatten()
            .cloned()
            .collect();
        let profile = self.profile.as_ref().map(|p| {
            let text = p.to_string_lossy();
            match BUILTINS.iter().find(|b| **b == text) {
                Some(name) => Source::Builtin(name),
                None => Source::File(p.clone()),
            }
        });
        if profile.is_none() && rules.is_empty() && self.default_action.is_none() {
            return Err(
                "no rules: give --profile, --default or rules such as --kill SYSCALL".into(),
            );
        }
        Ok(Plan {
            default_action: self.default_action,
            rules,
            arches: self.arch.clone(),
            profile,
            nnp: !self.no_nnp,
            optimize: !self.no_optimize,
            dump: self.dump.clone(),
            pfc: self.pfc.clone(),
        })
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
}
