//! docker-default's programs, compiled at build time (build.rs) for the
//! capability sets in [`crate::presets::PRECOMPILED_CAPS`], so that loading
//! the built-in costs a copy and one seccomp(2) call instead of ~20 ms of
//! libseccomp. A program applies only when the command's capabilities, as
//! far as the profile looks at them, are exactly the set it was made for,
//! on the architecture it was made for, and on a kernel at least as new as
//! every minKernel of the profile; otherwise the caller compiles one.

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
