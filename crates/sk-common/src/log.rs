//! `-v`: each tool says on stderr what its step did. Never on stdout, which
//! belongs to the command.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;

// In a chain that runs as one process the running link changes: each
// message names the link whose step it is about.
static TOOL: RwLock<&'static str> = RwLock::new("sk");
static VERBOSE: AtomicBool = AtomicBool::new(false);

pub fn set_tool(name: &'static str) {
    *TOOL.write().unwrap_or_else(|e| e.into_inner()) = name;
}

/// The running tool's name, as it prefixes every message.
pub fn tool() -> &'static str {
    *TOOL.read().unwrap_or_else(|e| e.into_inner())
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
