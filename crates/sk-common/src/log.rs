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

/// Writes `line` and a newline on stderr in one write(2): a line of the
/// chain's cannot be torn by what other processes (the command's) write to
/// the same stderr meanwhile, as one made of pieces could.
pub fn say_line(line: &str) {
    use std::io::Write;
    let mut buf = String::with_capacity(line.len() + 1);
    buf.push_str(line);
    buf.push('\n');
    let _ = std::io::stderr().lock().write_all(buf.as_bytes());
}

/// `eprintln!`, in one write(2) ([`say_line`]).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::log::say_line(&format!($($arg)*))
    };
}

/// Prints `sk-<tool>: <message>` on stderr when `-v` was given.
#[macro_export]
macro_rules! verbose {
    ($($arg:tt)*) => {
        if $crate::log::verbose() {
            $crate::say!("{}: {}", $crate::log::tool(), format_args!($($arg)*));
        }
    };
}

/// Prints `sk-<tool>: warning: <message>` on stderr, always.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => {
        $crate::say!("{}: warning: {}", $crate::log::tool(), format_args!($($arg)*))
    };
}
