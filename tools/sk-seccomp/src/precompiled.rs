//! docker-default's programs, compiled at build time (build.rs) for the
//! capability sets in [`crate::presets::PRECOMPILED_CAPS`], so that loading
//! the built-in costs a copy and one seccomp(2) call instead of ~20 ms of
//! libseccomp. A program applies only when the command's capabilities, as
//! far as the profile looks at them, are exactly the set it was made for,
//! on the architecture it was made for, and on a kernel at least as new as
//! every minKernel of the profile; otherwise the caller compiles one.
//!
//! Why at build time, by measurement (bench/seccomp.sh, 2 CPUs, kernel
//! 6.18, libseccomp 2.5.4): building docker-default with libseccomp costs
//! ~21 ms of CPU per start (the JSON file, compiled at start: 18.7 ms user
//! and 2.5 ms system, against 1.2 and 0.3 ms for sk-capdrop sys_time), nearly
//! all of it libseccomp's program generation for three architectures. The
//! precompiled built-in costs 1.2 and 0.5 ms, the same as sk-capdrop within
//! the noise: reading the capability set (41 prctl calls), a copy of ~12 KB
//! and one seccomp(2). The alternatives: a root-owned cache on the host
//! still costs an open, an fstat (owner and mode checks) and a read before
//! the first step, a compile on every miss, and a directory whose
//! invalidation (libseccomp version, profile, capabilities, kernel) must
//! be right; compiling faster means a second BPF generator next to
//! libseccomp's, which the house rules forbid. Five programs cost 62 KB
//! of binary.

use crate::profile::Host;

mod generated {
    include!(concat!(env!("OUT_DIR"), "/precompiled.rs"));
}
pub use generated::{ARCHES, GO_ARCH, MIN_KERNEL, PROGRAMS, RELEVANT_CAPS, UNKNOWN};

/// A program found for a host.
pub struct Found {
    pub prog: Vec<libc::sock_filter>,
    /// The capability set it was made for, for -v.
    pub key: String,
}

/// The capabilities of `host` that the profile looks at, sorted.
pub fn key(host: &Host) -> Vec<&'static str> {
    RELEVANT_CAPS
        .iter()
        .copied()
        .filter(|c| host.caps.contains(*c))
        .collect()
}

/// The program made for `host`, copied out of the binary.
pub fn lookup(host: &Host) -> Option<Found> {
    if host.go_arch != GO_ARCH || host.kernel < MIN_KERNEL {
        return None;
    }
    let key = key(host);
    let (caps, bytes) = PROGRAMS.iter().find(|(caps, _)| *caps == key.as_slice())?;
    let prog = crate::bpf::parse(bytes, false).ok()?;
    Some(Found {
        prog,
        key: if caps.is_empty() {
            "no capability".into()
        } else {
            caps.join(",")
        },
    })
}
