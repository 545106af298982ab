//! sk-aaexec's options, and the pure checks of what they ask for.
//! No system call happens here: the result is a [`Plan`] that `lib.rs`
//! applies.

use clap::Parser;
use sk_common::cli::Common;
use std::ffi::OsString;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  Run cat confined by the loaded profile nohosts:
    sk-aaexec -p nohosts cat /etc/hosts
  Load the profile first, so the chain needs nothing else:
    sk-aaexec --load /etc/apparmor.d/nohosts -p nohosts -- bash
  The headline chain, confined at the end:
    sk-unshare -mup sk-cgroup cpu=20000 sk-pivot /tmp/myroot sk-capdrop sys_time sk-aaexec -p nohosts /bin/sh
  Under no_new_privs in a confined process, only stacking is allowed:
    sk-aaexec --stack -p nohosts cat /etc/hosts
  A profile of the policy namespace lxc:
    sk-aaexec -n lxc -p container-default /bin/sh
  Step by step, a profile that allows /etc/hosts but not /etc/passwd:
  docs/tutorial.md, section 8 (AppArmor):
    less docs/tutorial.md

Exit status: the command's own; 125 if sk-aaexec fails (the command is then
never run); 126 if the command cannot be executed; 127 if it is not found.";

#[derive(Parser, Debug)]
#[command(
    name = "sk-aaexec",
    version,
    about = "Run a command confined by an AppArmor profile",
    long_about = "Asks AppArmor to switch to PROFILE when this process executes COMMAND \
(writes `exec PROFILE` to /proc/self/attr/apparmor/exec, as aa-exec -p and setpriv \
--apparmor-profile do), then executes it. It refuses, and never runs COMMAND unconfined, when \
AppArmor is not enabled, when the profile is not loaded, or when no_new_privs forbids the \
change.",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,

    /// The AppArmor profile to confine COMMAND with (it must be loaded)
    #[arg(short = 'p', long, value_name = "PROFILE", required = true)]
    pub profile: String,

    /// The policy namespace the profile is in (the label becomes :NAMESPACE:PROFILE)
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Stack PROFILE on the current confinement instead of replacing it
    /// (the only change AppArmor allows a confined process under no_new_privs)
    #[arg(short = 's', long)]
    pub stack: bool,

    /// Switch now, before executing COMMAND: COMMAND is then executed under
    /// PROFILE's own exec rules
    #[arg(short = 'i', long)]
    pub immediate: bool,

    /// Load (or replace) the profiles in FILE with `apparmor_parser -r FILE`
    /// first (repeatable)
    #[arg(long, value_name = "FILE")]
    pub load: Vec<PathBuf>,

    /// The command to run, and its arguments
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

/// Which /proc/self/attr file takes the request.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Attr {
    /// `exec`: the change happens at the next execve.
    Exec,
    /// `current`: the change happens at once.
    Current,
}

impl Attr {
    pub fn name(self) -> &'static str {
        match self {
            Attr::Exec => "exec",
            Attr::Current => "current",
        }
    }
}

/// What the options ask for, checked.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    /// The label as AppArmor names it: `PROFILE` or `:NAMESPACE:PROFILE`.
    pub label: String,
    pub attr: Attr,
    /// The exact text written to the attr file, e.g. `exec nohosts`.
    pub request: String,
    pub stack: bool,
    pub load: Vec<PathBuf>,
}

impl Cli {
    pub fn plan(&self) -> Result<Plan, String> {
        check_name("profile", &self.profile)?;
        let label = match &self.namespace {
            Some(ns) => {
                check_name("namespace", ns)?;
                if ns.contains(':') {
                    return Err(format!("namespace '{ns}' must not contain ':'"));
                }
                if self.profile.starts_with(':') {
                    return Err(format!(
                        "profile '{}' already names a namespace; drop -n or the ':NS:' prefix",
                        self.profile
                    ));
                }
                namespaced(ns, &self.profile)
            }
            None => self.profile.clone(),
        };
        let attr = if self.immediate {
            Attr::Current
        } else {
            Attr::Exec
        };
        Ok(Plan {
            request: request_line(self.stack, attr, &label),
            label,
            attr,
            stack: self.stack,
            load: self.load.clone(),
        })
    }
}

/// The fully qualified label of a profile in a policy namespace. The kernel
/// also accepts `:NS://PROFILE`; `:NS:PROFILE` is the policy language's own
/// spelling and the one aa-exec writes.
pub fn namespaced(namespace: &str, profile: &str) -> String {
    format!(":{namespace}:{profile}")
}

/// The command AppArmor's procattr interface expects: `exec` and
/// `changeprofile` replace the confinement, `stack` adds to it; the file it
/// is written to decides whether it happens now or at exec.
pub fn request_line(stack: bool, attr: Attr, label: &str) -> String {
    let verb = match (stack, attr) {
        (true, _) => "stack",
        (false, Attr::Exec) => "exec",
        (false, Attr::Current) => "changeprofile",
    };
    format!("{verb} {label}")
}

/// The kernel strips surrounding blanks and ends a request at a newline, so
/// a name that has them would confine with a different profile than asked.
fn check_name(what: &str, name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("the {what} name is empty"));
    }
    if name.trim() != name {
        return Err(format!("{what} '{name}' begins or ends with blanks"));
    }
    if name.chars().any(|c| c.is_control()) {
        return Err(format!("{what} {name:?} contains a control character"));
    }
    Ok(())
}

/// Whether a label read from /proc/PID/attr/current means "not confined".
pub fn is_unconfined(label: &str) -> bool {
    let label = label.trim();
    // A label in another namespace reads `:ns://unconfined`.
    let name = label.rsplit(['/', ':']).next().unwrap_or(label);
    name == "unconfined"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("sk-aaexec").chain(args.iter().copied())).unwrap()
    }

    fn plan(args: &[&str]) -> Result<Plan, String> {
        cli(args).plan()
    }

    #[test]
    fn a_profile_is_switched_to_at_exec() {
        let p = plan(&["-p", "nohosts", "cat", "/etc/hosts"]).unwrap();
        assert_eq!(p.request, "exec nohosts");
        assert_eq!(p.attr, Attr::Exec);
        assert_eq!(p.label, "nohosts");
    }

    #[test]
    fn stack_writes_stack_to_the_exec_file() {
        let p = plan(&["--stack", "-p", "nohosts", "cat"]).unwrap();
        assert_eq!(p.request, "stack nohosts");
        assert_eq!(p.attr, Attr::Exec);
    }

    #[test]
    fn immediate_changes_the_current_profile() {
        let p = plan(&["-i", "-p", "nohosts", "cat"]).unwrap();
        assert_eq!(p.request, "changeprofile nohosts");
        assert_eq!(p.attr, Attr::Current);
        let p = plan(&["-i", "-s", "-p", "nohosts", "cat"]).unwrap();
        assert_eq!(p.request, "stack nohosts");
        assert_eq!(p.attr, Attr::Current);
    }

    #[test]
    fn a_namespace_prefixes_the_label() {
        let p = plan(&["-n", "lxc", "-p", "container-default", "sh"]).unwrap();
        assert_eq!(p.label, ":lxc:container-default");
        assert_eq!(p.request, "exec :lxc:container-default");
        assert!(plan(&["-n", "a:b", "-p", "x", "sh"]).is_err());
        assert!(plan(&["-n", "lxc", "-p", ":other:x", "sh"]).is_err());
    }

    #[test]
    fn a_path_named_profile_is_taken_as_is() {
        let p = plan(&["-p", "/usr/bin/cat", "cat"]).unwrap();
        assert_eq!(p.request, "exec /usr/bin/cat");
    }

    #[test]
    fn names_the_kernel_would_alter_are_refused() {
        for bad in ["", " nohosts", "nohosts ", "no\nhosts", "no\0hosts"] {
            assert!(plan(&["-p", bad, "cat"]).is_err(), "{bad:?}");
        }
        assert!(plan(&["-n", "", "-p", "x", "cat"]).is_err());
    }

    #[test]
    fn options_stop_at_the_command() {
        let c = cli(&["-p", "nohosts", "--load", "/f", "cat", "-p", "--stack"]);
        assert_eq!(c.command, ["cat", "-p", "--stack"]);
        assert!(!c.stack);
        assert_eq!(c.load, [PathBuf::from("/f")]);
    }

    #[test]
    fn the_profile_is_required() {
        assert!(Cli::try_parse_from(["sk-aaexec", "cat"]).is_err());
        assert!(Cli::try_parse_from(["sk-aaexec", "-p", "x"]).is_err());
    }

    #[test]
    fn unconfined_labels_are_recognised() {
        assert!(is_unconfined("unconfined\n"));
        assert!(is_unconfined(":ns://unconfined"));
        assert!(!is_unconfined("nohosts (enforce)\n"));
        assert!(!is_unconfined("outer//&nohosts (enforce)"));
        assert!(!is_unconfined("unconfined-ish (complain)"));
    }
}
