//! The step: find the kernel's ABI, decide, open the rule paths as this
//! process sees them now (after sk-pivot: the container's), build the
//! ruleset with the landlock crate and enforce it on this process.

use anyhow::anyhow;
use landlock::{
    AccessFs, CompatLevel, Compatible, NetPort, PathBeneath, Ruleset, RulesetAttr, RulesetCreated,
    RulesetCreatedAttr, RulesetError, RulesetStatus,
};
use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag, AT_FDCWD};
use nix::sys::stat::{fstat, SFlag};
use sk_common::fd::openat2;
use sk_common::{verbose, warn, Cannot, Result};
use std::os::fd::OwnedFd;
use std::path::Path;

use crate::cli::{Plan, Rule};
use crate::compat::{self, Decision};
use crate::{access, report};

/// The variable that lowers the ABI the tool assumes, so that tests on a
/// new kernel can check what an old one gets (Debian 12's 6.1 has ABI 2).
/// Read only by debug builds: a released sk-landlock cannot be talked into
/// a weaker rule set through its environment.
pub const TEST_ABI_VAR: &str = "SK_LANDLOCK_TEST_ABI";

/// The running kernel's Landlock ABI; 0 when it has no Landlock.
///
/// The crate answers this only inside its own calls (on purpose: it wants
/// callers to ask for rights, not versions). sk-landlock must name the ABI
/// it found when it refuses, and decide before it changes anything, so it
/// asks the kernel itself, with the documented version query.
pub fn kernel_abi() -> u8 {
    // SAFETY: a NULL attribute with size 0 and the VERSION flag is the
    // documented query; no memory is passed.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            1u32, // LANDLOCK_CREATE_RULESET_VERSION
        )
    };
    u8::try_from(v.max(0)).unwrap_or(u8::MAX)
}

/// The ABI to use: the kernel's, or lower in a debug build under test.
pub fn assumed_abi() -> u8 {
    let kernel = kernel_abi();
    if cfg!(debug_assertions) {
        if let Some(n) = std::env::var(TEST_ABI_VAR)
            .ok()
            .and_then(|v| v.parse::<u8>().ok())
        {
            return kernel.min(n);
        }
    }
    kernel
}

/// Opens `path` as a place for a rule: O_PATH (nothing is read), and with
/// RESOLVE_NO_SYMLINKS unless `follow`, so that no link anywhere on the
/// path (an image's /srv/data -> /) widens the rule. Even when following,
/// no magic link: an image's /data -> /proc/self/fd/3 would name whatever
/// the chain holds open at fd 3 (its binary, the caller's /proc, a cgroup
/// directory of the host), not a file of the root.
fn open_rule_path(path: &Path, follow: bool) -> nix::Result<OwnedFd> {
    let resolve = if follow {
        ResolveFlag::RESOLVE_NO_MAGICLINKS
    } else {
        ResolveFlag::RESOLVE_NO_SYMLINKS
    };
    let how = OpenHow::new()
        .flags(OFlag::O_PATH | OFlag::O_CLOEXEC)
        .resolve(resolve);
    openat2(AT_FDCWD, path, how)
}

/// A rule path, opened; or why it was left out.
pub enum Opened {
    Fd(OwnedFd, landlock::BitFlags<AccessFs>),
    Skipped(&'static str),
}

fn open_rule(rule: &Rule, grant: landlock::BitFlags<AccessFs>, plan: &Plan) -> Result<Opened> {
    let shown = rule.path.display();
    let fd = match open_rule_path(&rule.path, plan.follow_symlinks) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) if rule.optional => return Ok(Opened::Skipped("missing")),
        Err(Errno::ELOOP) if rule.optional && !plan.follow_symlinks => {
            return Ok(Opened::Skipped("a symbolic link"))
        }
        Err(Errno::ELOOP) if !plan.follow_symlinks => {
            return Err(anyhow!(
                "cannot open {shown} for a rule: a symbolic link is on the path, and rule \
                 paths are not followed through links (--follow-symlinks follows them, \
                 --optional {shown} leaves the rule out)"
            ))
        }
        Err(Errno::ELOOP) => {
            return Err(anyhow!(
                "cannot open {shown} for a rule: {} (a loop of links, or a magic link of \
                 /proc, which is never followed)",
                Errno::ELOOP.desc()
            ))
        }
        Err(Errno::ENOENT) => {
            return Err(anyhow!(
                "cannot open {shown} for a rule: No such file or directory \
                 (--optional {shown} leaves the rule out when it is missing)"
            ))
        }
        Err(e) => return Err(e).cannot_with(|| format!("open {shown} for a rule")),
    };
    let mode = fstat(&fd).cannot_with(|| format!("stat {shown}"))?.st_mode;
    // A file takes only the rights that make sense on a file; the kernel
    // refuses directory rights (read-dir, make-*) on it.
    let grant = if SFlag::from_bits_truncate(mode) & SFlag::S_IFMT == SFlag::S_IFDIR {
        grant
    } else {
        grant & AccessFs::from_file(access::abi(access::NEWEST))
    };
    if grant.is_empty() {
        return Ok(Opened::Skipped("no right the kernel mediates"));
    }
    Ok(Opened::Fd(fd, grant))
}

/// The crate's error as `cannot WHAT: <strerror>` when a system call
/// failed, else with the crate's own words.
fn landlock_error(what: String) -> impl FnOnce(RulesetError) -> anyhow::Error {
    move |err| {
        let errno = std::iter::successors(Some(&err as &(dyn std::error::Error + 'static)), |e| {
            e.source()
        })
        .find_map(|e| e.downcast_ref::<std::io::Error>()?.raw_os_error());
        match errno {
            Some(n) => anyhow::Error::new(Errno::from_raw(n)).context(format!("cannot {what}")),
            None => anyhow!("cannot {what}: {err}"),
        }
    }
}

fn ruleset(d: &Decision) -> Result<RulesetCreated> {
    // HardRequirement: sk-landlock asks only for what the ABI it found
    // has, so the crate must never quietly drop anything.
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(d.fs)
        .map_err(landlock_error("handle the filesystem rights".into()))?;
    if !d.net.is_empty() {
        ruleset = ruleset
            .handle_access(d.net)
            .map_err(landlock_error("handle the TCP rights".into()))?;
    }
    if !d.scopes.is_empty() {
        ruleset = ruleset
            .scope(d.scopes)
            .map_err(landlock_error("set the scopes".into()))?;
    }
    ruleset
        .create()
        .map_err(landlock_error("create a Landlock ruleset".into()))
}

fn enforce(plan: &Plan, d: &Decision, opened: Vec<Opened>) -> Result<()> {
    let mut created = ruleset(d)?;
    for (rule, o) in plan.rules.iter().zip(opened) {
        if let Opened::Fd(fd, grant) = o {
            created = created
                .add_rule(PathBeneath::new(fd, grant))
                .map_err(landlock_error(format!(
                    "add the rule for {}",
                    rule.path.display()
                )))?;
        }
    }
    for (port, rights) in &d.ports {
        created = created
            .add_rule(NetPort::new(*port, *rights))
            .map_err(landlock_error(format!("add the rule for TCP port {port}")))?;
    }
    // The crate sets no_new_privs first (Landlock requires it without
    // CAP_SYS_ADMIN), then restricts this thread: the tool has no other.
    let status = created
        .restrict_self()
        .map_err(landlock_error("enforce the Landlock ruleset".into()))?;
    if status.ruleset != RulesetStatus::FullyEnforced || !status.no_new_privs {
        anyhow::bail!(
            "cannot enforce the Landlock ruleset: the kernel reports it {:?} (no_new_privs {})",
            status.ruleset,
            status.no_new_privs
        );
    }
    Ok(())
}

/// Restricts this process as `plan` says. Never execs.
pub fn apply(plan: &Plan) -> Result<()> {
    let abi = assumed_abi();
    let d = compat::decide(plan, abi);
    if !d.left_out.is_empty() {
        let list = compat::list(&d.left_out);
        if !plan.best_effort {
            anyhow::bail!(
                "cannot keep the rules with this kernel's Landlock ABI {abi}: {list} \
                 (--best-effort applies the rest)"
            );
        }
        warn!("left out with this kernel's Landlock ABI {abi}: {list}");
    }
    if abi == 0 {
        return Ok(());
    }
    let opened = plan
        .rules
        .iter()
        .zip(&d.rules)
        .map(|(rule, grant)| open_rule(rule, *grant, plan))
        .collect::<Result<Vec<_>>>()?;
    if plan.print {
        report::print(plan, &d, &opened);
    }
    let summary = report::summary(plan, &d, &opened);
    enforce(plan, &d, opened)?;
    verbose!("{summary}");
    Ok(())
}
