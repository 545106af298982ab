//! The repository stands alone: nothing it builds, tests, runs or measures
//! reads a file beside it (the seccomp tests once read Docker's profile from
//! a shared/ folder next to the checkout, and passed only where CI had it).
//! Two checks:
//!
//! - every tracked file except Markdown is free of relative paths to that
//!   folder and of absolute paths into the directories above the
//!   repository;
//! - scripts/test runs the whole suite through scripts/standalone, in a copy
//!   of the tracked files alone in its directory: any test that still reads
//!   a sibling fails there. The second test checks that the suite really
//!   ran so.

use sk_testkit::{run, skip, workspace};
use std::path::{Path, PathBuf};

/// The tracked files (git ls-files), or every file outside target/, .git/
/// and .cache/ when this is not a git checkout (a release tarball).
fn tracked_files(root: &Path) -> Vec<PathBuf> {
    let out = run(sk_testkit::cmd("git")
        .args(["ls-files", "-z"])
        .current_dir(root));
    if out.status.success() {
        return out
            .stdout
            .split('\0')
            .filter(|f| !f.is_empty())
            .map(|f| root.join(f))
            .collect();
    }
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if [".git", "target", ".cache"].iter().any(|n| name == *n) {
                continue;
            }
            match entry.file_type() {
                Ok(t) if t.is_dir() => dirs.push(path),
                Ok(t) if t.is_file() => files.push(path),
                _ => {}
            }
        }
    }
    files
}

/// What a tracked file must not contain: the path to the shared/ folder
/// beside the repository, or an absolute path into the directories above
/// it: its parent, unless that is a top-level directory such as /root, and
/// the top-level directory where this project's machines keep checkouts and
/// shared/.
fn forbidden(root: &Path) -> Vec<String> {
    // Spelled in pieces, so that this file does not match itself.
    let mut needles = vec![format!("..{}shared", '/'), format!("/{}/", "work")];
    let parent = root.parent().unwrap_or(Path::new("/"));
    if parent.components().count() > 2 {
        needles.push(format!("{}/", parent.display()));
    }
    needles
}

fn tracked_files_name_nothing_outside_the_repository() {
    let root = workspace();
    let needles = forbidden(&root);
    let mut found = Vec::new();
    for file in tracked_files(&root) {
        if file.extension().is_some_and(|e| e == "md") {
            continue;
        }
        // Binary files cannot name a path the tools would read as text.
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            for needle in &needles {
                if line.contains(needle.as_str()) {
                    let rel = file.strip_prefix(&root).unwrap_or(&file);
                    found.push(format!(
                        "{}:{}: {needle}: {}",
                        rel.display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "paths outside the repository:\n{}",
        found.join("\n")
    );
}

fn the_suite_runs_where_the_repository_has_nothing_beside_it() {
    let name = "the_suite_runs_where_the_repository_has_nothing_beside_it";
    if std::env::var("SK_STANDALONE").as_deref() != Ok("1") {
        return skip(
            name,
            "runs under scripts/standalone only (scripts/test runs the suite there)",
        );
    }
    let root = workspace();
    let parent = root.parent().unwrap();
    let mut beside = Vec::new();
    for entry in std::fs::read_dir(parent).unwrap().flatten() {
        if entry.path() != root {
            beside.push(entry.path().display().to_string());
        }
    }
    assert!(
        beside.is_empty(),
        "the repository is not alone: {beside:?} beside it"
    );
}

sk_testkit::tests! {
    tracked_files_name_nothing_outside_the_repository,
    the_suite_runs_where_the_repository_has_nothing_beside_it,
}
