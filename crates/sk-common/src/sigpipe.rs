//! SIGPIPE as the caller left it.
//!
//! Rust's runtime sets SIGPIPE to "ignore" before `main`, and an execve
//! keeps ignored signals: without this, every command of a chain would
//! start with SIGPIPE ignored (`sk-env yes | head -1` would never end by
//! SIGPIPE), which an exec of the command from the caller never gives. The
//! disposition is recorded by a constructor, which the C library runs
//! before Rust's runtime starts, and given back just before each execve:
//! the command's, and a real exec of the engine between two links (whose
//! own constructor must see what the caller left, not the runtime's).

use crate::{Cannot, Result};
use std::sync::atomic::{AtomicBool, Ordering};

static IGNORED_AT_START: AtomicBool = AtomicBool::new(false);

extern "C" fn record() {
    // SAFETY: a query only (no new action); `old` is a valid out-pointer.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    if unsafe { libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old) } == 0 {
        IGNORED_AT_START.store(old.sa_sigaction == libc::SIG_IGN, Ordering::Relaxed);
    }
}

// Run by the C library before `main`, so before Rust's runtime ignores
// SIGPIPE. (#[used] keeps it through the link of every sk-* binary.)
#[used]
#[link_section = ".init_array"]
static RECORD: extern "C" fn() = record;

/// Gives SIGPIPE back the disposition the process started with: the
/// default, or "ignore" when the caller ignored it.
pub fn restore() -> Result<()> {
    let handler = if IGNORED_AT_START.load(Ordering::Relaxed) {
        nix::sys::signal::SigHandler::SigIgn
    } else {
        nix::sys::signal::SigHandler::SigDfl
    };
    // SAFETY: SIG_DFL and SIG_IGN are not handlers that run code.
    unsafe { nix::sys::signal::signal(nix::sys::signal::Signal::SIGPIPE, handler) }
        .map(drop)
        .cannot("give SIGPIPE back its disposition")
}
