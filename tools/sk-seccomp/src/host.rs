//! What a profile's includes/excludes are evaluated against: this
//! process's capabilities, architecture and kernel.

use crate::profile::{parse_kernel, Host};
use caps::CapSet;
use libseccomp::ScmpArch;
use sk_common::{Cannot, Result};
use std::collections::BTreeSet;

/// The architecture as moby names it (`arches`: amd64, x86, arm64), and as libseccomp
/// does (`archMap`).
pub fn native_arch() -> (&'static str, &'static str) {
    match ScmpArch::native() {
        ScmpArch::X8664 => ("amd64", "SCMP_ARCH_X86_64"),
        ScmpArch::X86 => ("x86", "SCMP_ARCH_X86"),
        ScmpArch::X32 => ("x32", "SCMP_ARCH_X32"),
        ScmpArch::Aarch64 => ("arm64", "SCMP_ARCH_AARCH64"),
        ScmpArch::Arm => ("arm", "SCMP_ARCH_ARM"),
        ScmpArch::Riscv64 => ("riscv64", "SCMP_ARCH_RISCV64"),
        ScmpArch::S390X => ("s390x", "SCMP_ARCH_S390X"),
        ScmpArch::Ppc64Le => ("ppc64le", "SCMP_ARCH_PPC64LE"),
        _ => ("unknown", "SCMP_ARCH_NATIVE"),
    }
}

/// The capabilities the command can hold after exec: for root, the
/// bounding set (execve gives root every capability in it back); for
/// others, the permitted set within the bounding set.
pub fn capabilities() -> Result<BTreeSet<String>> {
    let bounding = caps::read(None, CapSet::Bounding).cannot("read the bounding capability set")?;
    let held = if nix::unistd::geteuid().is_root() {
        bounding
    } else {
        let permitted =
            caps::read(None, CapSet::Permitted).cannot("read the permitted capabilities")?;
        permitted.intersection(&bounding).copied().collect()
    };
    Ok(held.iter().map(|c| c.to_string()).collect())
}

pub fn host() -> Result<Host> {
    let uts = nix::sys::utsname::uname().cannot("read the kernel version")?;
    let release = uts.release().to_string_lossy().into_owned();
    let kernel = parse_kernel(&release)
        .ok_or_else(|| anyhow::anyhow!("cannot read the kernel version from '{release}'"))?;
    Ok(Host {
        go_arch: native_arch().0.to_string(),
        caps: capabilities()?,
        kernel,
    })
}
