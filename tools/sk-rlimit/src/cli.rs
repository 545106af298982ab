//! sk-rlimit's options and operands, and the pure checks of what they ask
//! for. No system call happens here: the result is a [`Plan`].

use clap::Parser;
use sk_common::cli::{split_leading, Common};
use std::ffi::OsString;

use crate::names::{looks_like_limit, parse_limit, Limit};

const EXAMPLES: &str = "\
Limits (NAME=VALUE operands before COMMAND; `--` ends them), prlimit(1)'s names:
  as core data fsize memlock msgqueue rss stack   bytes; K, M, G suffixes (1024s)
  cpu (seconds)  rttime (microseconds)  nofile nproc locks sigpending (counts)
  nice (20 - nice value)  rtprio (priority)
VALUE: SOFT:HARD, one value for both, unlimited, :HARD or SOFT: (the other side stays)

Examples:
  At most 1024 open files, 64 processes, no core file, 1G of address space:
    sk-rlimit nofile=1024 nproc=64 core=0 as=1G make -j
  A fork-bomb guard where sk-cgroup cannot work (a rootless chain):
    sk-unshare -U -r -mp sk-pivot /tmp/myroot sk-rlimit nproc=64 nofile=1024 /bin/sh
  Lower only the soft limit; the hard one stays:
    sk-rlimit nofile=256: sh -c 'ulimit -Sn; ulimit -Hn'
  Nicer, and first to go when memory runs out; show the limits in force:
    sk-rlimit --nice 10 --oom-score-adj 500 --print sh
  Step by step, nofile, core, nproc in a rootless chain, and rlimits against
  cgroups: docs/tutorial.md, section 12 (resource limits):
    less docs/tutorial.md

Exit status: the command's own; 125 if sk-rlimit fails (a bad limit, a hard
limit that cannot be raised); 126 if the command cannot be executed; 127 if
it is not found.";

#[derive(Parser, Debug)]
#[command(
    name = "sk-rlimit",
    version,
    about = "Set resource limits, the nice value and the OOM score, then run a command",
    long_about = "Sets the resource limits given as NAME=VALUE operands (setrlimit(2), every \
RLIMIT_* under prlimit(1)'s names), the nice value and /proc/self/oom_score_adj of itself, \
checks them, then executes COMMAND, which inherits them.",
    override_usage = "sk-rlimit [OPTIONS] [NAME=VALUE]... COMMAND [ARGS]...",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,

    /// Set the nice value (-20 to 19; lowering it needs CAP_SYS_NICE)
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = clap::value_parser!(i32).range(-20..=19))]
    pub nice: Option<i32>,

    /// Write N (-1000 to 1000) to /proc/self/oom_score_adj: higher goes
    /// first when memory runs out (lowering it needs CAP_SYS_RESOURCE)
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = clap::value_parser!(i32).range(-1000..=1000))]
    pub oom_score_adj: Option<i32>,

    /// Make nproc= an error where the kernel would not enforce it (uid 0 of
    /// the initial user namespace, CAP_SYS_RESOURCE or CAP_SYS_ADMIN)
    #[arg(long)]
    pub strict: bool,

    /// Print every limit in force afterwards, on stderr
    #[arg(long)]
    pub print: bool,

    /// The limits, then the command to run and its arguments
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

/// What the command line asks for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// In the order given; one per resource.
    pub limits: Vec<Limit>,
    pub nice: Option<i32>,
    pub oom_score_adj: Option<i32>,
    pub strict: bool,
    pub print: bool,
    pub command: Vec<OsString>,
}

/// Splits the operands into the leading limits and the command.
pub fn split_operands(words: &[OsString]) -> Result<(Vec<Limit>, Vec<OsString>), String> {
    let (lead, command) = split_leading(words, |w| w.to_str().is_some_and(looks_like_limit));
    let mut limits: Vec<Limit> = Vec::new();
    for word in lead {
        let limit = parse_limit(&word.to_string_lossy())?;
        if limits.iter().any(|l| l.info == limit.info) {
            return Err(format!("limit {} given twice", limit.info.name));
        }
        limits.push(limit);
    }
    if command.is_empty() {
        return Err("missing COMMAND after the limits".into());
    }
    Ok((limits, command.to_vec()))
}

impl Cli {
    pub fn plan(self) -> Result<Plan, String> {
        let (limits, command) = split_operands(&self.command)?;
        Ok(Plan {
            limits,
            nice: self.nice,
            oom_score_adj: self.oom_score_adj,
            strict: self.strict,
            print: self.print,
            command,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::Value;

    fn plan(args: &[&str]) -> Result<Plan, String> {
        let cli = Cli::try_parse_from(std::iter::once("sk-rlimit").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        cli.plan()
    }

    #[test]
    fn limits_then_the_command() {
        let p = plan(&["nofile=16", "core=0", "sh", "-c", "ulimit -n", "nproc=3"]).unwrap();
        assert_eq!(p.limits.len(), 2);
        assert_eq!(p.limits[0].info.name, "nofile");
        assert_eq!(p.limits[1].hard, Some(Value::Limited(0)));
        assert_eq!(p.command, ["sh", "-c", "ulimit -n", "nproc=3"]);
    }

    #[test]
    fn options_and_their_ranges() {
        let p = plan(&[
            "--nice",
            "-5",
            "--oom-score-adj",
            "500",
            "--strict",
            "--print",
            "true",
        ])
        .unwrap();
        assert_eq!((p.nice, p.oom_score_adj), (Some(-5), Some(500)));
        assert!(p.strict && p.print);
        assert!(plan(&["--nice", "20", "true"]).is_err());
        assert!(plan(&["--oom-score-adj", "1001", "true"]).is_err());
        assert!(plan(&["--oom-score-adj", "x", "true"]).is_err());
    }

    #[test]
    fn bad_operands_are_errors_not_commands() {
        assert!(plan(&["nofle=10", "true"])
            .unwrap_err()
            .contains("unknown limit"));
        assert!(plan(&["nofile=1", "nofile=2", "true"])
            .unwrap_err()
            .contains("twice"));
        assert!(plan(&["nofile=1"]).unwrap_err().contains("missing COMMAND"));
        let p = plan(&["nofile=1", "--", "odd=name", "x"]).unwrap();
        assert_eq!(p.command, ["odd=name", "x"]);
    }
}
