//! Everything a tool opens for itself is close-on-exec, so no fd of a tool
//! reaches the command. Rust's std already opens that way; these helpers
//! are for the nix calls that take raw flags.

use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use std::os::fd::OwnedFd;
use std::path::Path;

/// open(2) with O_CLOEXEC always added.
pub fn open(path: &Path, flags: OFlag, mode: Mode) -> nix::Result<OwnedFd> {
    nix::fcntl::open(path, flags | OFlag::O_CLOEXEC, mode)
}
