//! sk-env's options and operands, and the pure checks of what they ask
//! for. No system call happens here: the result is a [`Plan`].

use clap::Parser;
use sk_common::cli::{split_leading, Common};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  Nothing of the caller's environment, one variable set:
    sk-env -i A=1 env
  A minimal environment for a container, in its working directory:
    sk-env -i -C /srv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root /bin/sh
  Keep the rest, but not the tokens:
    sk-env -u GITHUB_TOKEN -u SSH_AUTH_SOCK make
  In a chain, after the pivot (DIR is resolved inside the new root):
    sk-unshare -mp sk-pivot /tmp/myroot sk-env -i -C /srv PATH=/bin:/usr/bin sk-capdrop sys_time sh
  Step by step, the caller's variables left outside, -C inside the root:
  docs/tutorial.md, section 13 (a clean environment):
    less docs/tutorial.md

Exit status: the command's own; 125 if sk-env fails (a bad name, a missing
directory); 126 if the command cannot be executed; 127 if it is not found.";

#[derive(Parser, Debug)]
#[command(
    name = "sk-env",
    version,
    about = "Clear, unset and set environment variables, change directory, then run a command",
    long_about = "Starts from the current environment (nothing with -i), removes each NAME of \
-u, sets each NAME=VALUE operand, changes to DIR (resolved inside the current root, never \
through a link out of it), then executes COMMAND.",
    override_usage = "sk-env [OPTIONS] [-i] [-u NAME]... [-C DIR] [NAME=VALUE]... COMMAND [ARGS]...",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,

    /// Start with an empty environment (then set PATH yourself: the
    /// command is looked up in it)
    #[arg(short = 'i', long = "ignore-environment")]
    pub ignore_environment: bool,

    /// Remove NAME from the environment (repeatable)
    #[arg(short = 'u', long = "unset", value_name = "NAME")]
    pub unset: Vec<OsString>,

    /// Change to DIR before running COMMAND; after sk-pivot, DIR is inside
    /// the new root
    #[arg(short = 'C', long = "chdir", value_name = "DIR")]
    pub chdir: Option<PathBuf>,

    /// NAME=VALUE operands to set, then the command to run and its arguments
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

/// What the command line asks for, checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Start from an empty environment.
    pub clear: bool,
    /// Names to remove, in order.
    pub unset: Vec<OsString>,
    /// Names and values to set, in order (a later one wins).
    pub set: Assignments,
    /// Where to change directory, inside the current root.
    pub chdir: Option<PathBuf>,
    pub command: Vec<OsString>,
}

/// A variable's name: not empty, no `=` (the kernel's environment is a
/// list of NAME=VALUE strings: a name with `=` would be another name).
pub fn check_name(name: &OsStr) -> Result<(), String> {
    if name.is_empty() {
        return Err("invalid variable name '': it is empty".into());
    }
    if name.as_bytes().contains(&b'=') {
        return Err(format!(
            "invalid variable name '{}': it contains '='",
            name.to_string_lossy()
        ));
    }
    Ok(())
}

/// The NAME=VALUE operands, in order.
pub type Assignments = Vec<(OsString, OsString)>;

/// Splits the operands: leading NAME=VALUE words (until `--` or the first
/// word without `=`), then the command.
pub fn split_operands(words: &[OsString]) -> Result<(Assignments, Vec<OsString>), String> {
    let (lead, command) = split_leading(words, |w| w.as_bytes().contains(&b'='));
    let mut set = Vec::new();
    for word in lead {
        let bytes = word.as_bytes();
        let eq = bytes.iter().position(|b| *b == b'=').unwrap_or(bytes.len());
        let name = OsStr::from_bytes(&bytes[..eq]);
        check_name(name).map_err(|e| format!("{e} (in '{}')", word.to_string_lossy()))?;
        let value = OsStr::from_bytes(bytes.get(eq + 1..).unwrap_or_default());
        set.push((name.to_owned(), value.to_owned()));
    }
    if command.is_empty() {
        return Err("missing COMMAND after the NAME=VALUE operands".into());
    }
    Ok((set, command.to_vec()))
}

impl Cli {
    pub fn plan(self) -> Result<Plan, String> {
        for name in &self.unset {
            check_name(name)?;
        }
        if let Some(dir) = &self.chdir {
            if dir.as_os_str().is_empty() {
                return Err("invalid directory '': it is empty".into());
            }
        }
        let (set, command) = split_operands(&self.command)?;
        Ok(Plan {
            clear: self.ignore_environment,
            unset: self.unset,
            set,
            chdir: self.chdir,
            command,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Plan, String> {
        let cli = Cli::try_parse_from(std::iter::once("sk-env").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        cli.plan()
    }

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn assignments_then_the_command() {
        let p = plan(&["-i", "A=1", "B=x=y", "C=", "env", "D=2"]).unwrap();
        assert!(p.clear);
        assert_eq!(
            p.set,
            [
                ("A".into(), "1".into()),
                ("B".into(), "x=y".into()),
                ("C".into(), "".into())
            ]
        );
        assert_eq!(p.command, os(&["env", "D=2"]));
    }

    #[test]
    fn options_stop_at_the_first_operand() {
        let p = plan(&["-u", "HOME", "-C", "/srv", "A=1", "pwd", "-C", "/x"]).unwrap();
        assert_eq!(p.unset, os(&["HOME"]));
        assert_eq!(p.chdir, Some(PathBuf::from("/srv")));
        assert_eq!(p.command, os(&["pwd", "-C", "/x"]));
        let p = plan(&["A=1", "-i", "env"]).unwrap();
        assert!(!p.clear);
        assert_eq!(p.command, os(&["-i", "env"]));
    }

    #[test]
    fn double_dash_ends_the_assignments() {
        let p = plan(&["A=1", "--", "weird=name", "x"]).unwrap();
        assert_eq!(p.set.len(), 1);
        assert_eq!(p.command, os(&["weird=name", "x"]));
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(plan(&["=1", "env"]).unwrap_err().contains("it is empty"));
        assert!(plan(&["-u", "A=B", "env"])
            .unwrap_err()
            .contains("contains '='"));
        assert!(plan(&["-u", "", "env"])
            .unwrap_err()
            .contains("it is empty"));
        assert!(plan(&["-C", "", "env"]).is_err());
    }

    #[test]
    fn a_command_is_needed() {
        assert!(plan(&["A=1"]).unwrap_err().contains("missing COMMAND"));
        assert!(plan(&["-i"]).is_err());
    }
}
