//! The step: resolve USER[:GROUP] in the current root, switch this
//! process, set HOME, USER and LOGNAME.

use sk_common::{inroot, verbose, Result};
use std::path::Path;

use crate::cli::Plan;
use crate::resolve::{self, Target};
use crate::{idmap, switch};

/// Resolves `plan` in the root `root` (/ normally: after sk-pivot, the
/// image), switches this process, sets the environment. `proc` is where
/// procfs is, for the user namespace's maps.
pub fn apply(plan: &Plan, root: &Path, proc: &Path) -> Result<()> {
    let target = resolve(plan, root)?;
    idmap::check(&target, proc)?;
    switch::switch(&target)?;
    verbose!(
        "switched to uid {} gid {}, groups {}",
        target.uid,
        target.gid,
        target
            .groups
            .as_deref()
            .map(switch::show_gids)
            .unwrap_or_else(|| "kept".into())
    );
    if !plan.keep_env {
        set_env(&target);
    }
    Ok(())
}

/// HOME, USER and LOGNAME from the passwd entry.
fn set_env(t: &Target) {
    match &t.name {
        Some(name) => {
            std::env::set_var("USER", name);
            std::env::set_var("LOGNAME", name);
        }
        None => {
            std::env::remove_var("USER");
            std::env::remove_var("LOGNAME");
        }
    }
    let home = t.home.clone().unwrap_or_else(|| "/".into());
    if inroot::open(Path::new(&home), nix::fcntl::OFlag::O_PATH).is_err() {
        verbose!("HOME {} does not exist", Path::new(&home).display());
    }
    std::env::set_var("HOME", home);
}

/// The target's numbers, for callers that resolve without switching.
pub fn resolve(plan: &Plan, root: &Path) -> Result<Target> {
    let files = resolve::read_files(plan, root)?;
    resolve::target(plan, &files).map_err(|e| anyhow::anyhow!("{e}"))
}
