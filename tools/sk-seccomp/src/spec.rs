//! From an evaluated profile and the command-line rules to the filter's
//! [`Spec`]. The same code makes the programs that build.rs precompiles
//! and the ones compiled when the command starts, so both are one
//! filter for the same rules.

use crate::filter::{self, Spec};
use crate::profile::Decided;
use crate::rules::{Action, Rule};
use sk_common::{verbose, Result};
use std::collections::BTreeSet;

/// What the command line adds to a profile.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    pub default_action: Option<Action>,
    pub rules: &'a [Rule],
    pub arches: &'a [String],
    pub optimize: bool,
    /// A supervisor stays to answer SCMP_ACT_NOTIFY rules.
    pub supervised: bool,
    /// SECCOMP_FILTER_FLAG_* given as options.
    pub flags: u32,
}

impl Options<'_> {
    /// A profile alone, as `--profile NAME` with nothing else.
    pub const PROFILE_ALONE: Options<'static> = Options {
        default_action: None,
        rules: &[],
        arches: &[],
        optimize: true,
        supervised: false,
        flags: 0,
    };
}

/// The filter, and the profile's syscall names that libseccomp does not
/// know (they are not in the filter: the caller says so or refuses).
pub struct Assembled {
    pub spec: Spec,
    pub unknown: BTreeSet<String>,
}

pub const FLAG_WAIT_KILLABLE_RECV: u32 = 32;

/// The profile's flags as SECCOMP_FILTER_FLAG_* bits.
pub fn flag_bits(names: &[String], supervised: bool) -> Result<u32> {
    let mut flags = 0;
    for f in names {
        flags |= match f.as_str() {
            // One thread: TSYNC has nothing to synchronize.
            "SECCOMP_FILTER_FLAG_TSYNC" => 0,
            "SECCOMP_FILTER_FLAG_LOG" => filter::FLAG_LOG,
            "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => filter::FLAG_SPEC_ALLOW,
            "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" if supervised => FLAG_WAIT_KILLABLE_RECV,
            "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" => anyhow::bail!(
                "cannot load the profile: flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV \
                 needs a listener (a supervisor: --notify)"
            ),
            other => anyhow::bail!("cannot load the profile: flags: unknown flag \"{other}\""),
        };
    }
    Ok(flags)
}

/// The profile's rules with the command line's on top (a call named on
/// the command line takes its rules from there only).
pub fn assemble(decided: Decided, opts: &Options, native_scmp: &str) -> Result<Assembled> {
    let default_action = opts
        .default_action
        .or(decided.default_action)
        .unwrap_or(Action::Allow);
    let mut unknown = BTreeSet::new();
    let mut rules: Vec<Rule> = Vec::new();
    let named: BTreeSet<&str> = opts.rules.iter().map(|r| r.syscall.as_str()).collect();
    for r in decided.rules {
        if named.contains(r.syscall.as_str()) {
            continue;
        }
        if filter::resolve(&r.syscall).is_none() {
            unknown.insert(r.syscall);
            continue;
        }
        rules.push(r);
    }
    for r in opts.rules {
        if filter::resolve(&r.syscall).is_none() {
            anyhow::bail!("unknown syscall '{}' in rule {} {r}", r.syscall, r.action);
        }
        rules.push(r.clone());
    }
    if !opts.supervised && rules.iter().any(|r| r.action == Action::Notify) {
        anyhow::bail!(
            "cannot load the profile: its SCMP_ACT_NOTIFY rules need a supervisor \
             (--notify or --report)"
        );
    }
    // A rule with the default's action changes nothing, and libseccomp
    // refuses it.
    rules.retain(|r| r.action != default_action);
    allow_own_execve(&mut rules, default_action)?;

    let mut arches: Vec<String> = decided.arches;
    arches.extend(opts.arches.iter().cloned());
    arches.retain(|a| a != native_scmp && a != "SCMP_ARCH_NATIVE");
    let mut seen = BTreeSet::new();
    arches.retain(|a| seen.insert(a.clone()));

    let flags = flag_bits(&decided.flags, opts.supervised)? | opts.flags;
    Ok(Assembled {
        spec: Spec {
            default_action,
            arches,
            rules,
            optimize: opts.optimize,
            flags,
        },
        unknown,
    })
}

/// Lets the command's own execve through a denying default (see NOTES).
fn allow_own_execve(rules: &mut Vec<Rule>, default_action: Action) -> Result<()> {
    let execve: Vec<&Rule> = rules.iter().filter(|r| r.syscall == "execve").collect();
    if execve
        .iter()
        .any(|r| r.conds.is_empty() && r.action.denies())
    {
        anyhow::bail!(
            "cannot deny execve without conditions: the command itself could not be executed"
        );
    }
    // A notifying default (--learn) asks the supervisor, which answers.
    if default_action.denies() && default_action != Action::Notify && execve.is_empty() {
        verbose!("execve allowed, so that the command can start");
        rules.push(Rule {
            syscall: "execve".into(),
            action: Action::Allow,
            conds: Vec::new(),
        });
    }
    Ok(())
}
