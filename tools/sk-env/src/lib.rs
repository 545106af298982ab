//! sk-env: clear, unset and set environment variables and change
//! directory, then exec; `env -i -u -C` as a link of a chain.
//!
//! Order of the steps, and why:
//! 1. parse and check every name (pure): a bad one fails before anything;
//! 2. change directory, resolved inside the current root (after sk-pivot,
//!    the image) without magic links: a missing directory fails closed;
//! 3. clear (-i), unset (-u), set (NAME=VALUE), in that order;
//! 4. exec.

pub mod cli;
pub mod env;

use sk_common::{Next, Result};
use std::convert::Infallible;

/// Hand-written NOTES for the man page (sk-gen adds them after OPTIONS).
pub const MAN_NOTES: &str = "\
Why a link of its own: after sk-pivot, every program before the last link must be a seckun \
tool (one from the image would run with every capability the chain has not dropped yet), so \
env(1) cannot sit in the middle of a chain. sk-env does what env -i -u -C does, as a link.

-i keeps nothing of the caller's environment: a container should not see the caller's \
tokens, agent sockets or paths. The command is then looked up in the PATH that sk-env sets, \
so give one, e.g. PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin (what \
Docker gives); without PATH the C library's default (/bin:/usr/bin) is searched. Later \
seckun links of the chain are not looked up at all (the chain runs as one process): the \
environment is the command's, not the chain's.

-C DIR is resolved inside the current root: after sk-pivot, inside the new root, with \
openat2(2) RESOLVE_IN_ROOT and RESOLVE_NO_MAGICLINKS, so neither an absolute symlink, .. nor \
a /proc magic link of the image can lead out of it. A missing directory or one that is not a \
directory is an error (exit 125): the command never runs somewhere else. sk-pivot --chdir \
uses the same code. A relative DIR is taken from the current directory. When PWD is in the \
environment, it is set to DIR.

A NAME=VALUE operand with an empty name (=VALUE) or a -u NAME that is empty or contains = is \
refused: the environment is a list of NAME=VALUE strings, and such a name would read as \
another one. Operands stop at the first word without =, or at --.";

sk_common::tool_link!(plan_command);

/// The step; then the rest of the chain (whose later links are never
/// looked up: the environment is the command's, not the chain's).
pub fn apply(plan: &cli::Plan, next: Next) -> Result<Infallible> {
    env::apply(plan)?;
    next()
}
