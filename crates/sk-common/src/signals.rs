//! The command starts with the signal dispositions and the signal mask
//! that the caller gave the chain, not the ones the tools ran with.
//!
//! Rust's runtime sets SIGPIPE to "ignored" before `main`, and exec(2)
//! keeps an ignored signal ignored: without this module every command of a
//! chain would run with SIGPIPE ignored (`yes | head -1` prints "Broken
//! pipe" errors, Python a BrokenPipeError traceback). So an `.init_array`
//! entry of this crate records, before the runtime's own set-up runs (it
//! runs from `main`, after every `.init_array` entry), which signals the
//! caller left ignored and which it blocked. Handlers do not survive exec
//! anyway, so "ignored" or "default" is all there is to give back.
//!
//! What the engine must call, and when:
//! - [`restore`] in the process that executes the command, right before the
//!   final execve (after every fork, after the last `sigprocmask` of a
//!   staying parent): it sets every disposition and the mask back to what
//!   the first link received. [`crate::exec::prepare_final`] calls it.
//! - [`original`] for anything that wants to know what the caller gave
//!   (the minimal init forwards nothing the caller ignored...).
//!
//! Across today's exec chain each tool records what the previous one
//! restored before its exec, so the caller's state travels link by link.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static IGNORED: AtomicU64 = AtomicU64::new(0);
static BLOCKED: AtomicU64 = AtomicU64::new(0);
static CAPTURED: AtomicBool = AtomicBool::new(false);

/// The highest signal number recorded (SIGRTMAX on Linux).
const MAX: i32 = 64;

/// Signals that no process can catch, ignore or block, and the two that
/// glibc keeps for itself (SIGCANCEL and SIGSETXID): left alone.
fn untouchable(sig: i32) -> bool {
    sig == libc::SIGKILL || sig == libc::SIGSTOP || sig == 32 || sig == 33
}

fn bit(sig: i32) -> u64 {
    1u64 << (sig - 1)
}

/// Runs before `main`, so before Rust's runtime ignores SIGPIPE.
extern "C" fn capture() {
    let mut ignored = 0u64;
    for sig in 1..=MAX {
        if untouchable(sig) {
            continue;
        }
        // SAFETY: a query (null new action) into a zeroed struct we own.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut old) == 0
                && old.sa_sigaction == libc::SIG_IGN
            {
                ignored |= bit(sig);
            }
        }
    }
    let mut blocked = 0u64;
    // SAFETY: as above, a query of the current mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        if libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut set) == 0 {
            for sig in 1..=MAX {
                if libc::sigismember(&set, sig) == 1 {
                    blocked |= bit(sig);
                }
            }
        }
    }
    IGNORED.store(ignored, Ordering::Relaxed);
    BLOCKED.store(blocked, Ordering::Relaxed);
    CAPTURED.store(true, Ordering::Relaxed);
}

// `#[used]` keeps it through optimisation and linking (rustc links used
// statics of rlibs in since 1.62).
#[used]
#[link_section = ".init_array"]
static CAPTURE: extern "C" fn() = capture;

/// What the caller gave the process: ignored signals and blocked signals,
/// bit N-1 for signal N.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Original {
    pub ignored: u64,
    pub blocked: u64,
}

impl Original {
    pub fn is_ignored(&self, sig: i32) -> bool {
        (1..=MAX).contains(&sig) && self.ignored & bit(sig) != 0
    }
    pub fn is_blocked(&self, sig: i32) -> bool {
        (1..=MAX).contains(&sig) && self.blocked & bit(sig) != 0
    }
}

/// The caller's dispositions and mask, as recorded before `main`; None if
/// the hook did not run (a binary that does not link it).
pub fn original() -> Option<Original> {
    CAPTURED.load(Ordering::Relaxed).then(|| Original {
        ignored: IGNORED.load(Ordering::Relaxed),
        blocked: BLOCKED.load(Ordering::Relaxed),
    })
}

/// Gives back the caller's dispositions (ignored or default) and signal
/// mask. Call last before the final execve. Without a record (cannot
/// happen in the tools) SIGPIPE is set to default and the mask emptied,
/// which is what nearly every caller gives.
pub fn restore() -> crate::Result<()> {
    let orig = original().unwrap_or(Original {
        ignored: 0,
        blocked: 0,
    });
    for sig in 1..=MAX {
        if untouchable(sig) {
            continue;
        }
        let handler = if orig.is_ignored(sig) {
            libc::SIG_IGN
        } else {
            libc::SIG_DFL
        };
        // SAFETY: installs SIG_IGN or SIG_DFL, no handler code involved.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = handler;
            libc::sigemptyset(&mut act.sa_mask);
            // EINVAL for numbers this kernel does not have: nothing to do.
            libc::sigaction(sig, &act, std::ptr::null_mut());
        }
    }
    // SAFETY: builds a sigset we own and installs it as the mask.
    let rc = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in 1..=MAX {
            if !untouchable(sig) && orig.is_blocked(sig) {
                libc::sigaddset(&mut set, sig);
            }
        }
        libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut())
    };
    if rc != 0 {
        return Err(anyhow::Error::new(nix::errno::Errno::from_raw(rc))
            .context("cannot restore the caller's signal mask"));
    }
    Ok(())
}

/// Ignores SIGPIPE again, as Rust's runtime had it, in a process that
/// stays after [`restore`] (the minimal init, a supervisor): a write to a
/// closed pipe is then an error it handles, not its death.
pub fn ignore_sigpipe() {
    // SAFETY: installs SIG_IGN, no handler code involved.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hook_ran_before_the_runtime_ignored_sigpipe() {
        let orig = original().expect("the .init_array hook did not run");
        // The test harness was started by cargo with SIGPIPE at default;
        // Rust's runtime has since set it to ignored in this process.
        let mut now: libc::sigaction = unsafe { std::mem::zeroed() };
        unsafe { libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut now) };
        assert_eq!(now.sa_sigaction, libc::SIG_IGN, "the runtime's own SIGPIPE");
        assert!(
            !orig.is_ignored(libc::SIGPIPE),
            "recorded after the runtime's init"
        );
    }

    #[test]
    fn bits_are_per_signal() {
        let o = Original {
            ignored: bit(libc::SIGHUP),
            blocked: bit(libc::SIGUSR2),
        };
        assert!(o.is_ignored(libc::SIGHUP) && !o.is_ignored(libc::SIGINT));
        assert!(o.is_blocked(libc::SIGUSR2) && !o.is_blocked(0) && !o.is_blocked(65));
    }
}
