//! Mount steps that more than one tool takes.

use crate::{verbose, Cannot, Result};
use nix::mount::{mount, MsFlags};

/// Mount propagation of / (`--propagation` of sk-unshare, which takes
/// them all, and of sk-pivot, which takes private and slave).
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Propagation {
    /// nothing goes in or out
    Private,
    /// host mounts still come in; nothing goes out
    Slave,
    /// mounts go both ways
    Shared,
    /// as it was
    Unchanged,
}

impl Propagation {
    fn flag(self) -> Option<(MsFlags, &'static str)> {
        match self {
            Propagation::Private => Some((MsFlags::MS_PRIVATE, "private")),
            Propagation::Slave => Some((MsFlags::MS_SLAVE, "slave")),
            Propagation::Shared => Some((MsFlags::MS_SHARED, "shared")),
            Propagation::Unchanged => None,
        }
    }
}

/// Makes every mount under / private, slave or shared, recursively (or
/// leaves it, for `Unchanged`): after a new mount namespace is made
/// (sk-unshare), and again before a pivot (sk-pivot), so that nothing
/// mounted inside reaches the host through a shared peer group.
pub fn set_root_propagation(p: Propagation) -> Result<()> {
    let Some((flag, name)) = p.flag() else {
        return Ok(());
    };
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | flag,
        None::<&str>,
    )
    .cannot_with(|| format!("make / {name}"))?;
    verbose!("made / {name} (recursively)");
    Ok(())
}
