//! sk-cgroup's options and operands, and the pure checks of what they ask
//! for. No system call and no /proc read happens here.

use clap::Parser;
use sk_common::cli::Common;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use crate::devices::{self, Rule};
use crate::limits::{looks_like_limit, Limits};

const EXAMPLES: &str = "\
Limits (KEY=VALUE operands before COMMAND; `--` ends them):
  cpu=20000 | cpu=20% | cpu=0.2 | cpu=max   CPU quota per period (us, or share of one CPU)
  cpu-period=US                             CFS period (default 100000)
  cpu-weight=1..10000                       cpu.weight (v1: cpu.shares = weight*1024/100)
  memory=SIZE | memory-high=SIZE            SIZE: bytes, K, M, G, T or max
  memory-swap=SIZE                          swap (v1: written as memory plus swap)
  pids=N | pids=max                         pids.max
  cpuset=0-1 | mems=0                       cpuset.cpus, cpuset.mems
  io-weight=N                               io.weight (v1: blkio.bfq.weight or blkio.weight)
  controller.file=VALUE                     any interface file, written as given

Examples:
  20% of one CPU, as in the course (20000 us per 100000 us period):
    sk-cgroup cpu=20000 sh -c 'cat /proc/self/cgroup'
  The headline chain:
    sk-unshare -mup sk-cgroup cpu=20000 sk-pivot /tmp/myroot sk-capdrop sys_time /bin/sh
  Memory and a fork-bomb guard; the group is removed afterwards:
    sk-cgroup --rm memory=64M pids=32 make -j
  Docker's device rules (runc's allow list), then one more device:
    sk-cgroup --devices default --device-rule 'c 10:229 rwm' sh
  A named group under a given parent, reused if it exists:
    sk-cgroup --parent /sk --name build-1 cpu=50% make
  Step by step, 20% of a CPU measured, a fork bomb, a memory limit:
  docs/tutorial.md, section 4 (cgroups):
    less docs/tutorial.md

Exit status: the command's own; 125 if sk-cgroup fails (also when --rm cannot
remove the group); 126 if the command cannot be executed; 127 if it is not
found; 128+N if it dies by signal N (137: killed, e.g. by the OOM killer).";

#[derive(Parser, Debug)]
#[command(
    name = "sk-cgroup",
    version,
    about = "Run a command in a new cgroup with cpu, memory, pids and other limits",
    long_about = "Creates a cgroup (cgroup v1, hybrid or v2, as /proc/self/mountinfo says), \
writes the limits given as KEY=VALUE operands, moves itself into it and executes COMMAND: \
cgcreate, cgset and cgexec in one chainable step. With --rm it stays as a small parent that \
forwards signals, relays the exit status and removes the group afterwards.",
    override_usage = "sk-cgroup [OPTIONS] [KEY=VALUE]... COMMAND [ARGS]...",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,

    /// The group's name (default sk-PID); an existing group of that name is reused
    #[arg(long, value_name = "NAME")]
    pub name: Option<OsString>,

    /// Create the group under PATH instead of the caller's current cgroup:
    /// absolute from the hierarchy's root, or relative to the current cgroup
    #[arg(long, value_name = "PATH")]
    pub parent: Option<PathBuf>,

    /// The cgroup mount to use instead of the ones /proc/self/mountinfo lists:
    /// a cgroup2 mount, or a directory of v1 hierarchies named by their controllers
    /// (the default parent is then its root)
    #[arg(long, value_name = "DIR")]
    pub cgroup_root: Option<PathBuf>,

    /// Stay as a parent, wait for COMMAND, then remove the group, killing
    /// whatever is left in it
    #[arg(long)]
    pub rm: bool,

    /// Deny every device node but a preset's: default (runc's and Docker's
    /// allow list: null, zero, full, random, urandom, tty, ptys, tun, and
    /// mknod of any node) or none
    #[arg(long, value_name = "PRESET")]
    pub devices: Option<String>,

    /// Deny every device node but those allowed by RULE, in devices.allow's
    /// syntax: TYPE MAJOR:MINOR ACCESS, e.g. 'c 1:3 rwm', 'b 8:* r', or 'a'
    /// (repeatable; adds to --devices)
    #[arg(long, value_name = "RULE")]
    pub device_rule: Vec<String>,

    /// With --rm: when the caller (sk-cgroup's parent) dies, kill the
    /// command and everything in the group, and remove it
    #[arg(long, requires = "rm")]
    pub die_with_parent: bool,

    /// The limits, then the command to run and its arguments
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub struct Plan {
    pub limits: Limits,
    /// The group's name; None for the default sk-PID.
    pub name: Option<String>,
    pub parent: Option<PathBuf>,
    pub cgroup_root: Option<PathBuf>,
    pub rm: bool,
    pub die_with_parent: bool,
    pub command: Vec<OsString>,
}

impl Cli {
    pub fn plan(&self) -> Result<Plan, String> {
        let (mut limits, command) = split_operands(&self.command)?;
        limits.devices = self.device_rules()?;
        let name = self.name.as_deref().map(check_name).transpose()?;
        if let Some(p) = &self.parent {
            check_parent(p)?;
        }
        Ok(Plan {
            limits,
            name,
            parent: self.parent.clone(),
            cgroup_root: self.cgroup_root.clone(),
            rm: self.rm,
            die_with_parent: self.die_with_parent,
            command,
        })
    }
}

impl Cli {
    /// The device rules: a preset's, then each --device-rule; None when
    /// neither is given.
    fn device_rules(&self) -> Result<Option<Vec<Rule>>, String> {
        if self.devices.is_none() && self.device_rule.is_empty() {
            return Ok(None);
        }
        let mut rules = match &self.devices {
            Some(p) => devices::preset(p)?,
            None => Vec::new(),
        };
        for r in &self.device_rule {
            rules.push(devices::parse_rule(r)?);
        }
        Ok(Some(rules))
    }
}

/// Splits the operands into the leading limits and the command.
pub fn split_operands(words: &[OsString]) -> Result<(Limits, Vec<OsString>), String> {
    let mut limits = Limits::default();
    let mut i = 0;
    while i < words.len() {
        if words[i] == "--" {
            i += 1;
            break;
        }
        match words[i].to_str() {
            Some(w) if looks_like_limit(w) => limits.add(w)?,
            _ => break,
        }
        i += 1;
    }
    let command = words[i..].to_vec();
    if command.is_empty() {
        return Err("missing COMMAND after the limits \
                    (usage: sk-cgroup [OPTIONS] [KEY=VALUE]... COMMAND [ARGS]...)"
            .into());
    }
    Ok((limits, command))
}

/// A group name is one directory name: no `/`, no `..`, no NUL.
pub fn check_name(name: &std::ffi::OsStr) -> Result<String, String> {
    let shown = name.to_string_lossy();
    let bytes = name.as_bytes();
    let why = if bytes.is_empty() {
        "it is empty"
    } else if bytes.contains(&0) {
        "it contains a NUL byte"
    } else if bytes.starts_with(b"/") {
        "a leading / would leave the parent group (use --parent for the place)"
    } else if bytes.contains(&b'/') {
        "it contains a / (use --parent for the place)"
    } else if bytes == b"." || bytes == b".." {
        "it is . or .."
    } else if bytes.len() > 255 {
        "it is longer than 255 bytes"
    } else {
        return name
            .to_str()
            .map(str::to_string)
            .ok_or_else(|| format!("invalid --name '{shown}': it is not UTF-8"));
    };
    Err(format!("invalid --name '{shown}': {why}"))
}

/// A parent path stays inside the hierarchy: no `..` and no NUL.
pub fn check_parent(p: &Path) -> Result<(), String> {
    if p.as_os_str().as_bytes().contains(&0) {
        return Err("invalid --parent: it contains a NUL byte".into());
    }
    if p.as_os_str().is_empty() {
        return Err("invalid --parent: it is empty".into());
    }
    if p.components().any(|c| c == Component::ParentDir) {
        return Err(format!(
            "invalid --parent '{}': .. would leave the hierarchy",
            p.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("sk-cgroup").chain(args.iter().copied())).unwrap()
    }

    fn plan(args: &[&str]) -> Result<Plan, String> {
        cli(args).plan()
    }

    #[test]
    fn limits_lead_and_the_command_follows() {
        let p = plan(&["cpu=20000", "memory=64M", "sk-pivot", "/tmp/r", "x=1"]).unwrap();
        assert_eq!(p.limits.memory, Some(Some(64 << 20)));
        assert_eq!(p.command, ["sk-pivot", "/tmp/r", "x=1"]);
        assert_eq!(p.name, None);
        assert!(!p.rm);
    }

    #[test]
    fn double_dash_ends_the_limits() {
        let p = plan(&["pids=10", "--", "a=b", "c"]).unwrap();
        assert_eq!(p.command, ["a=b", "c"]);
        assert_eq!(p.limits.pids, Some(Some(10)));
        let p = plan(&["--rm", "--", "pids=10", "--", "a=b"]).unwrap();
        assert!(p.rm);
        assert_eq!(p.command, ["a=b"]);
    }

    #[test]
    fn options_stop_at_the_first_operand() {
        let p = plan(&["--rm", "cpu=1000", "sh", "--rm", "-v"]).unwrap();
        assert_eq!(p.command, ["sh", "--rm", "-v"]);
        assert!(!cli(&["sh", "-v"]).common.verbose);
    }

    #[test]
    fn no_command_after_the_limits_is_a_usage_error() {
        assert!(plan(&["cpu=20000"])
            .unwrap_err()
            .contains("missing COMMAND"));
        assert!(plan(&["cpu=20000", "--"])
            .unwrap_err()
            .contains("missing COMMAND"));
        assert!(Cli::try_parse_from(["sk-cgroup", "--rm"]).is_err());
    }

    #[test]
    fn bad_limits_are_usage_errors() {
        for bad in ["cpu=abc", "cpu=-1", "memory=12Q", "pids=-5", "unknown=1"] {
            let e = plan(&[bad, "true"]).unwrap_err();
            assert!(e.contains(bad.split('=').next().unwrap()), "{bad}: {e}");
        }
    }

    #[test]
    fn names_stay_one_directory() {
        assert_eq!(
            plan(&["--name", "build-1", "true"])
                .unwrap()
                .name
                .as_deref(),
            Some("build-1")
        );
        for bad in ["../../x", "..", ".", "/x", "a/b", ""] {
            let e = plan(&["--name", bad, "true"]).unwrap_err();
            assert!(e.starts_with("invalid --name"), "{bad}: {e}");
        }
        let nul = OsString::from_vec(b"a\0b".to_vec());
        assert!(check_name(&nul).unwrap_err().contains("NUL"));
        assert!(check_name(std::ffi::OsStr::new(&"x".repeat(256))).is_err());
    }

    #[test]
    fn parents_stay_inside_the_hierarchy() {
        assert!(plan(&["--parent", "/sk/a", "true"]).is_ok());
        assert!(plan(&["--parent", "sub", "true"]).is_ok());
        assert!(plan(&["--parent", "/a/../../b", "true"])
            .unwrap_err()
            .contains(".."));
        assert!(plan(&["--parent", "../b", "true"]).is_err());
    }

    #[test]
    fn device_rules_are_a_preset_plus_each_rule_and_bad_ones_are_refused() {
        assert_eq!(plan(&["true"]).unwrap().limits.devices, None);
        let p = plan(&["--devices", "none", "true"]).unwrap();
        assert_eq!(p.limits.devices, Some(Vec::new()));
        let p = plan(&[
            "--devices",
            "default",
            "--device-rule",
            "c 10:229 rwm",
            "--device-rule",
            "b 8:* r",
            "true",
        ])
        .unwrap();
        let rules = p.limits.devices.unwrap();
        assert_eq!(rules.len(), 13);
        assert_eq!(rules[11].to_string(), "c 10:229 rwm");
        let p = plan(&["--device-rule", "a", "true"]).unwrap();
        assert_eq!(p.limits.devices.unwrap()[0].to_string(), "a *:* rwm");
        for bad in ["c 1:3", "z 1:3 r", "c 1:3 rwx", "c x:3 r", ""] {
            let e = plan(&["--device-rule", bad, "true"]).unwrap_err();
            assert!(e.starts_with("invalid device rule"), "{bad}: {e}");
        }
        assert!(plan(&["--devices", "all", "true"])
            .unwrap_err()
            .starts_with("invalid --devices 'all'"));
    }

    #[test]
    fn the_command_passes_byte_for_byte() {
        let raw = OsString::from_vec(vec![b'a', 0xff, b'=', b'1']);
        let c = Cli::try_parse_from([OsString::from("sk-cgroup"), "pids=1".into(), raw.clone()])
            .unwrap();
        assert_eq!(c.plan().unwrap().command, [raw]);
    }
}
