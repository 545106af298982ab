//! The step: nice value, OOM score adjustment and resource limits of this
//! process; the command inherits all three.

use anyhow::Context;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::resource::{getrlimit, setrlimit};
use sk_common::{inroot, verbose, warn, Cannot, Result};
use std::io::Write;
use std::path::Path;

use crate::cli::Plan;
use crate::names::{Info, Limit, Value, TABLE};

/// Applies `plan`. `proc` is where procfs is mounted in the current root
/// (/proc), for /proc/self/oom_score_adj and /proc/self/uid_map.
///
/// Order: the nproc check first (with --strict nothing changes when it
/// fails), then nice and oom_score_adj (they may need privileges that a
/// limit set here could take away: RLIMIT_NICE), then the limits.
pub fn apply(plan: &Plan, proc: &Path) -> Result<()> {
    if plan.limits.iter().any(|l| l.info.name == "nproc") {
        if let Some(why) = nproc_exemption(proc) {
            if plan.strict {
                anyhow::bail!("nproc will not be enforced: {why} (--strict)");
            }
            warn!("nproc will not be enforced: {why}");
        }
    }
    if let Some(n) = plan.nice {
        set_nice(n)?;
    }
    if let Some(n) = plan.oom_score_adj {
        set_oom_score_adj(proc, n)?;
    }
    for limit in &plan.limits {
        set_limit(limit)?;
    }
    if plan.print {
        for line in report()? {
            sk_common::say!("{}: {line}", sk_common::log::tool());
        }
    }
    Ok(())
}

/// The kernel does not count processes against RLIMIT_NPROC for the
/// initial user namespace's root user, nor for a process with
/// CAP_SYS_RESOURCE or CAP_SYS_ADMIN there (kernel/fork.c). Says why, or
/// None when the limit holds as far as this process can tell.
pub fn nproc_exemption(proc: &Path) -> Option<String> {
    let uid = nix::unistd::getuid().as_raw();
    let map = match inroot::read_proc(proc, "self/uid_map") {
        Ok(text) => text,
        Err(_) if uid == 0 => {
            return Some(format!(
                "uid 0, and {}/self/uid_map cannot be read to tell whether this is the \
                 initial user namespace",
                proc.display()
            ))
        }
        Err(_) => return None,
    };
    let (initial, outer) = outer_uid(&map, uid);
    let has = |cap| caps::has_cap(None, caps::CapSet::Effective, cap).unwrap_or(false);
    match outer {
        Some(0) if initial => {
            Some("this process runs as uid 0 of the initial user namespace".into())
        }
        Some(0) => {
            Some("this process runs as a user that is uid 0 of the parent user namespace".into())
        }
        _ if initial && has(caps::Capability::CAP_SYS_RESOURCE) => {
            Some("this process has CAP_SYS_RESOURCE".into())
        }
        _ if initial && has(caps::Capability::CAP_SYS_ADMIN) => {
            Some("this process has CAP_SYS_ADMIN".into())
        }
        _ => None,
    }
}

/// From the text of /proc/self/uid_map: whether it is the initial user
/// namespace's (the whole range mapped onto itself), and what `uid` is
/// outside.
pub fn outer_uid(map: &str, uid: u32) -> (bool, Option<u32>) {
    let mut lines = Vec::new();
    for line in map.lines() {
        let f: Vec<u64> = line
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        if let [inside, outside, count] = f[..] {
            lines.push((inside, outside, count));
        }
    }
    let initial = lines == [(0, 0, u64::from(u32::MAX))];
    let outer = lines.iter().find_map(|&(inside, outside, count)| {
        let u = u64::from(uid);
        (u >= inside && u - inside < count).then(|| (outside + (u - inside)) as u32)
    });
    (initial, outer)
}

fn set_nice(n: i32) -> Result<()> {
    // nix has no setpriority.
    // SAFETY: setpriority takes integers only.
    let r = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, n) };
    Errno::result(r).map_err(|e| {
        let hint = if matches!(e, Errno::EACCES | Errno::EPERM) {
            " (a lower nice value needs CAP_SYS_NICE or a nice limit that allows it)"
        } else {
            ""
        };
        anyhow::Error::new(e).context(format!("cannot set the nice value to {n}{hint}"))
    })?;
    verbose!("nice value {n}");
    Ok(())
}

fn set_oom_score_adj(proc: &Path, n: i32) -> Result<()> {
    let shown = format!("{}/self/oom_score_adj", proc.display());
    // The chain is not dumpable until the command's exec; the files of a
    // non-dumpable process belong to the root of the user namespace its
    // memory was made in, the host's after sk-unshare -U in one process.
    // Dumpable for this one open (nothing else runs in the chain meanwhile).
    let was = nix::sys::prctl::get_dumpable().unwrap_or(true);
    let _ = nix::sys::prctl::set_dumpable(true);
    let opened = inroot::open_proc(proc, "self/oom_score_adj", OFlag::O_WRONLY);
    let _ = nix::sys::prctl::set_dumpable(was);
    let mut f = opened?;
    f.write_all(n.to_string().as_bytes()).map_err(|e| {
        let hint = if e.raw_os_error() == Some(libc::EACCES) {
            " (a lower value needs CAP_SYS_RESOURCE)"
        } else {
            ""
        };
        anyhow::Error::new(e).context(format!("cannot write {n} to {shown}{hint}"))
    })?;
    let back = inroot::read_proc(proc, "self/oom_score_adj")?;
    if back.trim() != n.to_string() {
        anyhow::bail!("cannot set {shown} to {n}: it reads {}", back.trim());
    }
    verbose!("oom_score_adj {n}");
    Ok(())
}

/// Sets one limit; a side not given keeps the value in force.
fn set_limit(limit: &Limit) -> Result<()> {
    let info = limit.info;
    let (cur_soft, cur_hard) =
        getrlimit(info.resource).with_context(|| format!("cannot read the {} limit", info.name))?;
    let (cur_soft, cur_hard) = (Value::from_raw(cur_soft), Value::from_raw(cur_hard));
    let soft = limit.soft.unwrap_or(cur_soft);
    let hard = limit.hard.unwrap_or(cur_hard);
    let show = |v: Value| v.show(info.unit);
    if soft > hard {
        anyhow::bail!(
            "cannot set the {} limit: the soft limit {} would be above the hard limit {} \
             (give both, SOFT:HARD)",
            info.name,
            show(soft),
            show(hard)
        );
    }
    match setrlimit(info.resource, soft.raw(), hard.raw()) {
        Ok(()) => {}
        Err(Errno::EPERM) if hard > cur_hard => anyhow::bail!(
            "cannot raise the hard {} limit from {} to {}: it needs CAP_SYS_RESOURCE",
            info.name,
            show(cur_hard),
            show(hard)
        ),
        Err(e) => {
            return Err(e).cannot_with(|| {
                format!(
                    "set the {} limit to {}:{}",
                    info.name,
                    show(soft),
                    show(hard)
                )
            })
        }
    }
    let (s, h) =
        getrlimit(info.resource).with_context(|| format!("cannot read the {} limit", info.name))?;
    if (Value::from_raw(s), Value::from_raw(h)) != (soft, hard) {
        anyhow::bail!("cannot set the {} limit: it did not take", info.name);
    }
    verbose!("{} {}:{}", info.name, show(soft), show(hard));
    Ok(())
}

/// --print: every limit in force, as prlimit(1) shows them.
pub fn report() -> Result<Vec<String>> {
    let mut out = vec![format!(
        "{:<11} {:>10} {:>10}  {}",
        "RESOURCE", "SOFT", "HARD", "DESCRIPTION"
    )];
    for info in &TABLE {
        out.push(line(info)?);
    }
    Ok(out)
}

fn line(info: &Info) -> Result<String> {
    let (s, h) =
        getrlimit(info.resource).with_context(|| format!("cannot read the {} limit", info.name))?;
    Ok(format!(
        "{:<11} {:>10} {:>10}  {}",
        info.name,
        Value::from_raw(s).show(info.unit),
        Value::from_raw(h).show(info.unit),
        info.what
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_maps_tell_the_initial_namespace_and_the_outer_uid() {
        assert_eq!(
            outer_uid("         0          0 4294967295\n", 0),
            (true, Some(0))
        );
        assert_eq!(
            outer_uid("         0       1000          1\n", 0),
            (false, Some(1000))
        );
        assert_eq!(outer_uid("0 0 1\n", 0), (false, Some(0)));
        assert_eq!(
            outer_uid("0 1000 1\n1 100000 65536\n", 1000),
            (false, Some(100999))
        );
        assert_eq!(outer_uid("0 1000 1\n", 5), (false, None));
        assert_eq!(outer_uid("garbage", 0), (false, None));
    }

    #[test]
    fn the_report_has_every_limit() {
        let r = report().unwrap();
        assert_eq!(r.len(), 17);
        assert!(r.iter().any(|l| l.starts_with("nofile ")));
    }
}
