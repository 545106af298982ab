//! sk-capdrop's options, and the pure checks of what they ask for.
//! No system call happens here: the result is a [`Plan`] that `lib.rs`
//! applies.

use clap::Parser;
use sk_common::cli::Common;
use std::ffi::OsString;

use crate::names::{self, CapList};

const EXAMPLES: &str = "\
Examples:
  No setting of the clock, by the command or anything it runs:
    sk-capdrop sys_time sh -c 'date -s @$(date +%s)'
  The headline chain:
    sk-unshare -mup sk-cgroup cpu=20000 sk-pivot /tmp/myroot sk-capdrop sys_time /bin/sh
  Keep what Docker keeps, drop the rest:
    sk-capdrop --keep docker-default sh
  Root gets no capabilities at exec (noroot); one reaches the command as ambient:
    sk-capdrop --keep net_bind_service --ambient --secbits noroot,noroot-locked sh
  Drop everything; setuid binaries and root give nothing back:
    sk-capdrop --no-new-privs --secbits noroot,noroot-locked,no-setuid-fixup,no-setuid-fixup-locked all sh
  Show the sets after the drop:
    sk-capdrop --print sys_time,sys_chroot true
  Step by step, date -s and chroot refused, a file capability for port 80:
  docs/tutorial.md, section 5 (capabilities):
    less docs/tutorial.md

CAPS: a comma list of names (sys_time, CAP_SYS_TIME, cap_sys_time), numbers
(25), docker-default (14), oci-default (3), or all.

Exit status: the command's own; 125 if sk-capdrop fails; 126 if the command
cannot be executed; 127 if it is not found.";

#[derive(Parser, Debug)]
#[command(
    name = "sk-capdrop",
    version,
    about = "Drop capabilities for good, then run a command",
    long_about = "Removes the capabilities CAPS from the bounding, ambient, inheritable, \
permitted and effective sets of itself, so that neither COMMAND nor anything it executes can \
get them back (not through root, a setuid-root binary or file capabilities), checks that they \
are gone, then executes COMMAND. With --keep, removes every capability except CAPS.",
    override_usage = "sk-capdrop [OPTIONS] {CAPS | --keep CAPS} COMMAND [ARGS]...",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,

    /// Drop every capability except CAPS (then no CAPS operand is given)
    #[arg(long, value_name = "CAPS", value_parser = names::parse_list)]
    pub keep: Option<CapList>,

    /// Also raise the kept capabilities into the ambient set, so that a
    /// non-root command gets them
    #[arg(long)]
    pub ambient: bool,

    /// Set no_new_privs: no exec can grant privileges (setuid, file capabilities)
    #[arg(long)]
    pub no_new_privs: bool,

    /// Set securebits, a comma list: noroot, no-setuid-fixup, keep-caps,
    /// no-cap-ambient-raise, and NAME-locked to lock each; or a number (0x2f)
    #[arg(long, value_name = "BITS", value_parser = crate::secbits::parse)]
    pub secbits: Option<u32>,

    /// Print the five capability sets after the drop, on stderr
    #[arg(long)]
    pub print: bool,

    /// CAPS (without --keep), then the command to run and its arguments
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

/// Which capabilities go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// These go; the others stay as they are.
    Drop(u64),
    /// All but these go.
    Keep(u64),
}

impl Selection {
    /// The capabilities to drop, out of those in `universe` (the ones the
    /// running kernel knows).
    pub fn to_drop(self, universe: u64) -> u64 {
        match self {
            Selection::Drop(mask) => mask & universe,
            Selection::Keep(mask) => universe & !mask,
        }
    }

    /// What was named that `universe` lacks: names of a newer kernel than
    /// the running one.
    pub fn unknown_to(self, universe: u64) -> u64 {
        let named = match self {
            Selection::Drop(m) | Selection::Keep(m) => m,
        };
        named & names::known_mask() & !universe
    }
}

/// What the options ask for, checked.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    pub selection: Selection,
    pub ambient: bool,
    pub no_new_privs: bool,
    pub secbits: Option<u32>,
    pub print: bool,
    pub command: Vec<OsString>,
}

impl Cli {
    /// Splits the operands: without --keep the first one is CAPS.
    pub fn plan(self) -> Result<Plan, String> {
        let mut operands = self.command.into_iter();
        let selection = match self.keep {
            Some(list) => Selection::Keep(list.mask),
            None => {
                let first = operands.next().unwrap_or_default();
                let spec = first.to_str().ok_or_else(|| {
                    format!("invalid capability list '{}'", first.to_string_lossy())
                })?;
                Selection::Drop(names::parse_list(spec)?.mask)
            }
        };
        let command: Vec<OsString> = operands.collect();
        if command.is_empty() {
            return Err("missing COMMAND after CAPS".into());
        }
        Ok(Plan {
            selection,
            ambient: self.ambient,
            no_new_privs: self.no_new_privs,
            secbits: self.secbits,
            print: self.print || self.common.verbose,
            command,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYS_TIME: u64 = 1 << 25;

    fn plan(args: &[&str]) -> Result<Plan, String> {
        let cli = Cli::try_parse_from(std::iter::once("sk-capdrop").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        cli.plan()
    }

    #[test]
    fn the_first_operand_is_caps_and_the_rest_the_command() {
        let p = plan(&["sys_time", "sh", "-c", "grep Cap /proc/self/status", "-v"]).unwrap();
        assert_eq!(p.selection, Selection::Drop(SYS_TIME));
        assert_eq!(p.command, ["sh", "-c", "grep Cap /proc/self/status", "-v"]);
        assert!(!p.print);
    }

    #[test]
    fn with_keep_the_first_operand_is_the_command() {
        let p = plan(&["--keep", "docker-default", "sh", "-c", "true"]).unwrap();
        assert_eq!(
            p.selection,
            Selection::Keep(names::parse_list("docker-default").unwrap().mask)
        );
        assert_eq!(p.command, ["sh", "-c", "true"]);
        let p = plan(&["--keep=net_bind_service,setuid,setgid", "--ambient", "id"]).unwrap();
        assert!(p.ambient);
        assert_eq!(p.command, ["id"]);
    }

    #[test]
    fn options_stop_at_caps() {
        let p = plan(&["--no-new-privs", "sys_time", "--print", "echo"]).unwrap();
        assert!(p.no_new_privs);
        assert!(!p.print);
        assert_eq!(p.command, ["--print", "echo"]);
        let p = plan(&["-v", "--", "all", "true"]).unwrap();
        assert!(p.print, "-v shows the sets too");
        assert_eq!(p.selection, Selection::Drop(u64::MAX));
    }

    #[test]
    fn caps_without_a_command_is_a_usage_error() {
        assert_eq!(
            plan(&["sys_time"]).unwrap_err(),
            "missing COMMAND after CAPS"
        );
        assert!(plan(&[]).is_err());
        assert!(plan(&["--keep", "chown"]).is_err());
    }

    #[test]
    fn bad_lists_are_refused_in_both_forms() {
        assert!(plan(&["sys_tme", "true"])
            .unwrap_err()
            .contains("did you mean sys_time?"));
        assert!(plan(&["--keep", "sys_tme", "true"])
            .unwrap_err()
            .contains("did you mean sys_time?"));
        assert!(plan(&["", "true"])
            .unwrap_err()
            .contains("empty capability list"));
        assert!(plan(&["sys_time,,chown", "true"])
            .unwrap_err()
            .contains("empty name"));
        assert!(plan(&["--keep", "all,", "true"])
            .unwrap_err()
            .contains("empty name"));
    }

    #[test]
    fn secbits_are_parsed() {
        let p = plan(&["--secbits", "noroot,noroot-locked", "all", "true"]).unwrap();
        assert_eq!(p.secbits, Some(0x3));
        assert!(plan(&["--secbits", "nope", "all", "true"]).is_err());
    }

    #[test]
    fn drop_and_keep_pick_from_what_the_kernel_knows() {
        let kernel = (1u64 << 41) - 1;
        assert_eq!(Selection::Drop(SYS_TIME).to_drop(kernel), SYS_TIME);
        assert_eq!(Selection::Drop(u64::MAX).to_drop(kernel), kernel);
        assert_eq!(
            Selection::Keep(SYS_TIME).to_drop(kernel),
            kernel & !SYS_TIME
        );
        assert_eq!(Selection::Keep(u64::MAX).to_drop(kernel), 0);
        // A kernel that stops at 39 has no cap_checkpoint_restore (40).
        let old = (1u64 << 40) - 1;
        assert_eq!(Selection::Drop(1 << 40 | SYS_TIME).to_drop(old), SYS_TIME);
        assert_eq!(Selection::Drop(1 << 40 | SYS_TIME).unknown_to(old), 1 << 40);
        assert_eq!(Selection::Drop(u64::MAX).unknown_to(old), 1 << 40);
        assert_eq!(Selection::Drop(SYS_TIME).unknown_to(kernel), 0);
    }
}
