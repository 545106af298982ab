//! The one exit-code scheme shared by every tool (see README, "Exit status").

use nix::sys::wait::WaitStatus;

/// The tool itself failed: bad usage, or a step of the isolation failed.
pub const TOOL_FAILED: i32 = 125;
/// The command was found but could not be executed.
pub const CANNOT_EXECUTE: i32 = 126;
/// The command was not found.
pub const NOT_FOUND: i32 = 127;

/// The shell's convention for a wait status: the exit code, or 128+N for a
/// death by signal N.
pub fn code_of(status: WaitStatus) -> Option<i32> {
    match status {
        WaitStatus::Exited(_, code) => Some(code),
        WaitStatus::Signaled(_, sig, _) => Some(128 + sig as i32),
        _ => None,
    }
}

/// Exits at once, without running Rust destructors or atexit handlers that
/// a forked child must not run twice; stdout is flushed first.
pub fn exit(code: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: _exit has no preconditions.
    unsafe { libc::_exit(code) }
}
