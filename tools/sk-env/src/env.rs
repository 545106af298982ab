//! The step: the working directory and the environment of this process.

use sk_common::{carry, inroot, verbose, Result};
use std::ffi::OsString;
use std::path::PathBuf;

use crate::cli::Plan;

/// Changes directory (first: a missing directory fails before anything
/// else changes), then clears, unsets and sets variables.
///
/// `-i` keeps one variable: the chain's own SK_CARRIED (see
/// sk_common::carry), which lists the seckun tools carried across the pivot
/// for the next links and is removed before any other command is executed,
/// so the command never sees it.
pub fn apply(plan: &Plan) -> Result<()> {
    if let Some(dir) = &plan.chdir {
        inroot::chdir(dir)?;
        verbose!("changed directory to {}", dir.display());
    }
    if plan.clear {
        let names: Vec<OsString> = std::env::vars_os().map(|(k, _)| k).collect();
        for name in names.iter().filter(|n| *n != carry::VAR) {
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

/// The next link of an unfused chain is found with the PATH that was in
/// force before sk-env changed it: `sk-env -i A=1 sk-capdrop ...` runs the
/// same sk-capdrop as a chain without sk-env. The environment is for the
/// command, not for the chain's own tools. A tool carried across the pivot
/// is found by its word (sk_common::carry) and needs nothing here.
pub fn next_link(command: &[OsString]) -> Option<PathBuf> {
    let word = command.first()?;
    if !carry::is_tool_word(word)
        || std::path::Path::new(word).components().count() != 1
        || carry::fd_for(word).is_some()
    {
        return None;
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(word))
        .find(|p| p.is_file())
}
