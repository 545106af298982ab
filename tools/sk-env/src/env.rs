//! The step: the working directory and the environment of this process.

use sk_common::{inroot, verbose, Result};
use std::ffi::OsString;

use crate::cli::Plan;

/// Changes directory (first: a missing directory fails before anything
/// else changes), then clears, unsets and sets variables.
pub fn apply(plan: &Plan) -> Result<()> {
    if let Some(dir) = &plan.chdir {
        inroot::chdir(dir)?;
        verbose!("changed directory to {}", dir.display());
    }
    if plan.clear {
        let names: Vec<OsString> = std::env::vars_os().map(|(k, _)| k).collect();
        for name in &names {
            std::env::remove_var(name);
        }
        verbose!("cleared the environment ({} variables)", names.len());
    }
    for name in &plan.unset {
        std::env::remove_var(name);
        verbose!("unset {}", name.to_string_lossy());
    }
    for (name, value) in &plan.set {
        std::env::set_var(name, value);
        // The name only: a value may be a secret, and -v goes to logs.
        verbose!("set {}", name.to_string_lossy());
    }
    // A PWD that names the old directory misleads shells and programs that
    // trust it; one that is still there follows the change.
    if let Some(dir) = plan.chdir.as_ref().filter(|d| d.is_absolute()) {
        let set_by_user = plan.set.iter().any(|(k, _)| k == "PWD");
        if std::env::var_os("PWD").is_some() && !set_by_user {
            std::env::set_var("PWD", dir);
        }
    }
    Ok(())
}
