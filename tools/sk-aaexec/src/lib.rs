//! sk-aaexec: run a command confined by an AppArmor profile.
//!
//! Order of the steps, and why:
//! 1. check that AppArmor is enabled, so that a kernel without it gets a
//!    message that says so instead of an errno from /proc;
//! 2. check no_new_privs against the current confinement, since the kernel
//!    would only refuse that at the execve, after the point of no return;
//! 3. `--load`: apparmor_parser -r, failing closed;
//! 4. write the request to /proc/self/attr/apparmor/{exec,current}: the
//!    kernel's answer is final (ENOENT: the profile is not loaded);
//! 5. exec. An `exec` request cannot be skipped: the next execve either
//!    enters the profile or fails, so COMMAND never runs unconfined.

pub mod cli;
pub mod load;
pub mod preflight;
pub mod procattr;

use cli::{Attr, Plan};
use preflight::AppArmor;
use sk_common::{verbose, Cannot, Result};
use std::ffi::OsString;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

/// Hand-written NOTES for the man page (sk-gen adds them after OPTIONS).
pub const MAN_NOTES: &str = "\
sk-aaexec writes `exec PROFILE` to /proc/self/attr/apparmor/exec (/proc/self/attr/exec on \
kernels before 5.1) and then executes COMMAND: the kernel switches to PROFILE at that execve. \
The switch cannot be skipped: the execve either enters the profile or fails, so COMMAND never \
runs unconfined. With --immediate it writes `changeprofile PROFILE` to attr/current instead: \
sk-aaexec itself is confined at once, and COMMAND must be allowed by PROFILE's own exec rules \
(e.g. `/usr/bin/cat ix,`).

Before writing, sk-aaexec checks that AppArmor is built in, enabled \
(/sys/module/apparmor/parameters/enabled) and active (/sys/kernel/security/lsm), and says \
which of these fails. Inside a container root where sysfs or securityfs is not mounted these \
checks cannot be made; sk-aaexec then lets the kernel's answer to the write decide, and -v \
says so.

The profile must be loaded first (apparmor_parser -r FILE, or --load FILE): the kernel answers \
a request for an unknown profile with ENOENT, which sk-aaexec reports naming the profile. \
Profiles are looked up by name here, not by the path of COMMAND, but their file rules match \
paths as the confined process sees them: after sk-pivot, /etc/hosts is the container's.

no_new_privs: a confined process that has set no_new_privs (sk-capdrop --no-new-privs, \
sk-seccomp, setpriv --nnp) may only narrow its confinement. AppArmor then refuses to replace \
the profile (the execve would fail with EPERM) but allows stacking: --stack writes `stack \
PROFILE`, and COMMAND is confined by the current label and PROFILE at once. sk-aaexec refuses \
up front, suggesting --stack, rather than failing at the execve. An unconfined process may \
enter any profile even under no_new_privs, since that only takes permissions away.

-n NAMESPACE names a profile of a policy namespace: the label becomes :NAMESPACE:PROFILE, \
the policy language's spelling (the kernel also reads :NAMESPACE://PROFILE).";

sk_common::tool_link!(cli_command);

/// What the chain does for this link on the caller's side, before its
/// first step: the checks against the host's /sys, `--load` with the host's
/// apparmor_parser, and the host's /proc held open for the request.
pub struct Prepared {
    proc: OwnedFd,
    unverified: Option<String>,
}

/// `key` names this link among the chain's: the checks and loads are done
/// once, by the chain's first process (sk_common::handoff).
pub fn prepare(plan: &Plan, command: &[OsString], proc: OwnedFd, key: &str) -> Result<Prepared> {
    let what = refusal(plan, command);
    let mut unverified = None;
    sk_common::handoff::once(&format!("{key}:checked and loaded"), || {
        match preflight::check_enabled(Path::new("/sys"))
            .map_err(|why| anyhow::anyhow!("{what}: {why}"))?
        {
            AppArmor::Active => {}
            AppArmor::Unverified(why) => {
                verbose!("{why}; the kernel's answer to the request decides");
                unverified = Some(why);
            }
        }
        for file in &plan.load {
            load::load_profiles(file)?;
        }
        Ok(())
    })?;
    Ok(Prepared { proc, unverified })
}

/// The request, made just before the command's exec (so the transition is
/// the command's, and no step of the chain runs confined).
pub fn confine_at_exec(plan: &Plan, prepared: &Prepared, command: &[OsString]) -> Result<()> {
    let what = refusal(plan, command);
    let nnp = nix::sys::prctl::get_no_new_privs().cannot("read the no_new_privs flag")?;
    let current = if nnp {
        procattr::read_label_at(prepared.proc.as_fd(), Attr::Current)
    } else {
        None
    };
    preflight::check_no_new_privs(nnp, plan.stack, current.as_deref())
        .map_err(|why| anyhow::anyhow!("{what}: {why}"))?;
    match procattr::write_request_at(prepared.proc.as_fd(), plan.attr, &plan.request)
        .map_err(|e| e.context(what.clone()))?
    {
        Ok(path) => verbose!("wrote '{}' to {}", plan.request, path.display()),
        Err(refused) => {
            return Err(anyhow::anyhow!(
                "{what}: {}",
                procattr::explain(&refused, &plan.label, prepared.unverified.as_deref())
            ))
        }
    }
    if sk_common::log::verbose() {
        let when = match plan.attr {
            Attr::Exec => "at exec the label becomes",
            Attr::Current => "the label is now",
        };
        match procattr::read_label_at(prepared.proc.as_fd(), plan.attr) {
            Some(label) => verbose!("{when} {label}"),
            None => verbose!("{when} unknown"),
        }
    }
    Ok(())
}

fn refusal(plan: &Plan, command: &[OsString]) -> String {
    format!(
        "cannot confine {} with AppArmor profile {}",
        command[0].to_string_lossy(),
        plan.label
    )
}

/// Everything before the exec: checks, `--load`, the request. `sys` and
/// `proc` are the mount points to read and write.
pub fn confine(plan: &Plan, command: &[OsString], sys: &Path, proc: &Path) -> Result<()> {
    let what = format!(
        "cannot confine {} with AppArmor profile {}",
        command[0].to_string_lossy(),
        plan.label
    );
    let refuse = |why: String| anyhow::anyhow!("{what}: {why}");

    let unverified = match preflight::check_enabled(sys).map_err(refuse)? {
        AppArmor::Active => None,
        AppArmor::Unverified(why) => {
            verbose!("{why}; the kernel's answer to the request decides");
            Some(why)
        }
    };

    let nnp = nix::sys::prctl::get_no_new_privs().cannot("read the no_new_privs flag")?;
    let current = if nnp {
        procattr::read_label(proc, Attr::Current).ok()
    } else {
        None
    };
    preflight::check_no_new_privs(nnp, plan.stack, current.as_deref()).map_err(refuse)?;

    for file in &plan.load {
        load::load_profiles(file)?;
    }

    match procattr::write_request(proc, plan.attr, &plan.request)
        .map_err(|e| e.context(what.clone()))?
    {
        Ok(path) => verbose!("wrote '{}' to {}", plan.request, path.display()),
        Err(refused) => {
            return Err(refuse(procattr::explain(
                &refused,
                &plan.label,
                unverified.as_deref(),
            )))
        }
    }

    if sk_common::log::verbose() {
        let when = match plan.attr {
            Attr::Exec => "at exec the label becomes",
            Attr::Current => "the label is now",
        };
        match procattr::read_label(proc, plan.attr) {
            Ok(label) => verbose!("{when} {label}"),
            Err(e) => verbose!("{when} unknown: {}", sk_common::error::describe(&e)),
        }
    }
    Ok(())
}
