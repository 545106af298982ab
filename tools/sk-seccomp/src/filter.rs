//! Building the filter with libseccomp, and loading it.
//!
//! libseccomp builds the BPF program; the load itself is one seccomp(2)
//! call made here, immediately before execve. seccomp_load() frees the
//! program after loading it, and with an allow list that does not allow
//! munmap or brk that free could kill the process before the command ever
//! runs; here nothing but the seccomp(2) return happens between the load
//! and the execve.

use crate::rules::{Action, Op, Rule};
use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall,
};
use nix::errno::Errno;
use sk_common::{verbose, Cannot, Result};
use std::io::{Read, Seek};
use std::os::fd::{FromRawFd, OwnedFd};
use std::str::FromStr;

/// Everything the filter is made of, names resolved.
#[derive(Clone, Debug)]
pub struct Spec {
    pub default_action: Action,
    /// Architectures besides the native one, as SCMP_ARCH_* names.
    pub arches: Vec<String>,
    pub rules: Vec<Rule>,
    pub optimize: bool,
    /// SECCOMP_FILTER_FLAG_* to load with.
    pub flags: u32,
}

pub fn to_scmp(a: Action) -> ScmpAction {
    match a {
        Action::Allow => ScmpAction::Allow,
        Action::KillProcess => ScmpAction::KillProcess,
        Action::KillThread => ScmpAction::KillThread,
        Action::Trap => ScmpAction::Trap,
        Action::Log => ScmpAction::Log,
        Action::Errno(n) => ScmpAction::Errno(i32::from(n)),
        Action::Trace(n) => ScmpAction::Trace(n),
        Action::Notify => ScmpAction::Notify,
    }
}

fn to_cmp(c: &crate::rules::Cond) -> ScmpArgCompare {
    let op = match c.op {
        Op::Eq => ScmpCompareOp::Equal,
        Op::Ne => ScmpCompareOp::NotEqual,
        Op::Lt => ScmpCompareOp::Less,
        Op::Le => ScmpCompareOp::LessOrEqual,
        Op::Gt => ScmpCompareOp::Greater,
        Op::Ge => ScmpCompareOp::GreaterEqual,
        Op::MaskedEq(mask) => ScmpCompareOp::MaskedEqual(mask),
    };
    ScmpArgCompare::new(c.index, op, c.value)
}

/// The syscall for a name, in the native architecture's table (libseccomp
/// knows names of other architectures too, and adds such rules only where
/// the call exists). None when this libseccomp does not know it.
pub fn resolve(name: &str) -> Option<ScmpSyscall> {
    ScmpSyscall::from_name(name).ok()
}

/// A call in an architecture the filter does not list (a 32-bit int 0x80
/// call from an x86_64 process) must not get through: it gets the default
/// action when that denies, and kills the process otherwise.
pub fn bad_arch_action(default: Action) -> Action {
    match default {
        Action::Errno(_) | Action::KillProcess | Action::KillThread | Action::Trap => default,
        _ => Action::KillProcess,
    }
}

/// Builds the filter.
pub fn build(spec: &Spec) -> Result<ScmpFilterContext> {
    let mut ctx = ScmpFilterContext::new(to_scmp(spec.default_action)).cannot_with(|| {
        format!(
            "create a filter with default action {}",
            spec.default_action
        )
    })?;
    ctx.set_act_badarch(to_scmp(bad_arch_action(spec.default_action)))
        .cannot("set the action for other architectures")?;
    for name in &spec.arches {
        let arch = ScmpArch::from_str(name).cannot_with(|| format!("use architecture {name}"))?;
        if arch == ScmpArch::Native || arch == ScmpArch::native() {
            continue;
        }
        ctx.add_arch(arch)
            .cannot_with(|| format!("add architecture {name}"))?;
    }
    if spec.optimize {
        // Level 2 (a binary tree of syscall numbers) came with libseccomp
        // 2.5.0; an older library builds the linear list, which is slower
        // but the same filter.
        if let Err(e) = ctx.set_ctl_optimize(2) {
            verbose!("the binary-tree filter is not available ({e}); using the linear one");
        }
    }
    for rule in &spec.rules {
        let sys = resolve(&rule.syscall).ok_or_else(|| {
            anyhow::anyhow!(
                "cannot resolve syscall '{}': unknown to libseccomp",
                rule.syscall
            )
        })?;
        let cmps: Vec<ScmpArgCompare> = rule.conds.iter().map(to_cmp).collect();
        ctx.add_rule_conditional(to_scmp(rule.action), sys, &cmps)
            .cannot_with(|| format!("add the rule {} {rule}", rule.action))?;
    }
    Ok(ctx)
}

/// Writes the BPF program (`--dump`) or the pseudo-code (`--pfc`) to `path`.
/// Writes the filter's BPF program or pseudo-code to `file`, opened on
/// the caller's side when the chain was read.
pub fn export_to(ctx: &ScmpFilterContext, file: &std::fs::File, pfc: bool) -> Result<()> {
    let what = if pfc { "pseudo-code" } else { "BPF program" };
    let r = if pfc {
        ctx.export_pfc(file)
    } else {
        ctx.export_bpf(file)
    };
    r.cannot_with(|| format!("write the filter's {what}"))?;
    verbose!("filter's {what} written");
    Ok(())
}

/// The BPF program, as the kernel takes it. libseccomp 2.5 exports only to
/// a file descriptor, so it goes through a memfd.
pub fn program(ctx: &ScmpFilterContext) -> Result<Vec<libc::sock_filter>> {
    let fd =
        nix::sys::memfd::memfd_create(c"sk-seccomp-bpf", nix::sys::memfd::MFdFlags::MFD_CLOEXEC)
            .cannot("create a memfd for the BPF program")?;
    let mut file = std::fs::File::from(fd);
    ctx.export_bpf(&file).cannot("export the BPF program")?;
    file.rewind().cannot("read back the BPF program")?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .cannot("read back the BPF program")?;
    let size = std::mem::size_of::<libc::sock_filter>();
    if bytes.is_empty() || bytes.len() % size != 0 || bytes.len() / size > usize::from(u16::MAX) {
        anyhow::bail!(
            "cannot load the filter: libseccomp made a program of {} bytes",
            bytes.len()
        );
    }
    Ok(bytes
        .chunks_exact(size)
        .map(|c| libc::sock_filter {
            code: u16::from_ne_bytes([c[0], c[1]]),
            jt: c[2],
            jf: c[3],
            k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
        })
        .collect())
}

pub const FLAG_TSYNC: u32 = 1;
pub const FLAG_LOG: u32 = 2;
pub const FLAG_SPEC_ALLOW: u32 = 4;
pub const FLAG_NEW_LISTENER: u32 = 8;

/// seccomp(SECCOMP_SET_MODE_FILTER): from here on the filter applies.
/// Returns the listener with FLAG_NEW_LISTENER. Allocates nothing.
pub fn load(
    prog: &mut [libc::sock_filter],
    flags: u32,
) -> std::result::Result<Option<OwnedFd>, Errno> {
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_mut_ptr(),
    };
    // SAFETY: fprog points at a valid program that outlives the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            flags,
            &fprog as *const libc::sock_fprog,
        )
    };
    if rc < 0 {
        return Err(Errno::last());
    }
    if flags & FLAG_NEW_LISTENER != 0 {
        // SAFETY: the kernel just returned this new fd to us (close-on-exec).
        return Ok(Some(unsafe { OwnedFd::from_raw_fd(rc as i32) }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_architectures_never_pass() {
        assert_eq!(bad_arch_action(Action::Allow), Action::KillProcess);
        assert_eq!(bad_arch_action(Action::Log), Action::KillProcess);
        assert_eq!(bad_arch_action(Action::Errno(1)), Action::Errno(1));
        assert_eq!(bad_arch_action(Action::KillThread), Action::KillThread);
    }

    #[test]
    fn names_resolve_through_libseccomp() {
        assert!(resolve("mkdir").is_some());
        assert!(resolve("not_a_syscall").is_none());
    }

    #[test]
    fn a_filter_builds_and_exports_without_loading() {
        let spec = Spec {
            default_action: Action::KillProcess,
            arches: vec!["SCMP_ARCH_X86".into()],
            rules: vec![
                crate::rules::parse_rule("read", Action::Allow).unwrap(),
                crate::rules::parse_rule("unshare:arg0&0x10000000==0x10000000", Action::Errno(1))
                    .unwrap(),
            ],
            optimize: true,
            flags: 0,
        };
        let ctx = build(&spec).unwrap();
        let prog = program(&ctx).unwrap();
        assert!(prog.len() > 4);
    }
}
