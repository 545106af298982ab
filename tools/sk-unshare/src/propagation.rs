//! Mount propagation of / in a new mount namespace. A new mount namespace
//! copies the host's shared mounts as shared peers: without this, a mount
//! made inside would appear on the host. Private is the default, as in
//! unshare(1).

use nix::mount::{mount, MsFlags};
use sk_common::{verbose, Cannot, Result};

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
