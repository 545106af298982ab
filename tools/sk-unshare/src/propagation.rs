//! Mount propagation of / in a new mount namespace. A new mount namespace
//! copies the host's shared mounts as shared peers: without this, a mount
//! made inside would appear on the host. Private is the default, as in
//! unshare(1).

use crate::cli::Propagation;
use nix::mount::{mount, MsFlags};
use sk_common::{verbose, Cannot, Result};

pub fn set_root_propagation(p: Propagation) -> Result<()> {
    sk_common::mount::set_root_propagation(match p {
        Propagation::Private => MsFlags::MS_PRIVATE,
        Propagation::Slave => MsFlags::MS_SLAVE,
        Propagation::Shared => MsFlags::MS_SHARED,
        Propagation::Unchanged => return Ok(()),
    })
}

/// A /proc of the new pid namespace, for `--mount-proc`.
pub fn mount_proc() -> Result<()> {
    // Private first: the host's /proc may be a shared mount.
    mount(
        None::<&str>,
        "/proc",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .cannot("make /proc private")?;
    mount(
        Some("proc"),
        "/proc",
        Some("proc"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )
    .cannot("mount proc on /proc")?;
    verbose!("mounted a new proc on /proc");
    Ok(())
}
