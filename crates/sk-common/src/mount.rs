//! Mount steps that more than one tool takes.

use crate::{verbose, Cannot, Result};
use nix::mount::{mount, MsFlags};

/// Makes every mount under / `flag` (MS_PRIVATE, MS_SLAVE or MS_SHARED),
/// recursively: after a new mount namespace is made (sk-unshare), and again
/// before a pivot (sk-pivot), so that nothing mounted inside reaches the
/// host through a shared peer group.
pub fn set_root_propagation(flag: MsFlags) -> Result<()> {
    let name = if flag == MsFlags::MS_SLAVE {
        "slave"
    } else if flag == MsFlags::MS_SHARED {
        "shared"
    } else {
        "private"
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
