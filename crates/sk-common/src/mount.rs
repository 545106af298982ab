//! Mount steps that more than one tool takes.

use crate::{verbose, Cannot, Result};
use nix::mount::{mount, MsFlags};
use procfs::FromBufRead;
use std::path::Path;

pub use procfs::process::MountInfo;

/// Parses a mount table in the format of /proc/PID/mountinfo, with
/// procfs's parser: the one mountinfo parser of the tools.
pub fn parse_mountinfo(text: impl std::io::BufRead) -> Result<Vec<MountInfo>> {
    procfs::process::MountInfos::from_buf_read(text)
        .map(|m| m.0)
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Reads and parses the mount table at `path` (/proc/self/mountinfo).
pub fn read_mountinfo(path: &Path) -> Result<Vec<MountInfo>> {
    let file = std::fs::File::open(path).cannot_with(|| format!("open {}", path.display()))?;
    parse_mountinfo(std::io::BufReader::new(file))
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
}

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
