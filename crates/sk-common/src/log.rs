//! `-v`: each tool says on stderr what its step did. Never on stdout, which
//! belongs to the command.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

static TOOL: OnceLock<&'static str> = OnceLock::new();
static VERBOSE: AtomicBool = AtomicBool::new(false);

pub fn set_tool(name: &'static str) {
    let _ = TOOL.set(name);
}

/// The running tool's name, as it prefixes every message.
pub fn tool() -> &'static str {
    TOOL.get().copied().unwrap_or("sk")
}

pub fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

pub fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// Prints `sk-<tool>: <message>` on stderr when `-v` was given.
#[macro_export]
macro_rules! verbose {
    ($($arg:tt)*) => {
        if $crate::log::verbose() {
            eprintln!("{}: {}", $crate::log::tool(), format_args!($($arg)*));
        }
    };
}

/// Prints `sk-<tool>: warning: <message>` on stderr, always.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => {
        eprintln!("{}: warning: {}", $crate::log::tool(), format_args!($($arg)*))
    };
}
