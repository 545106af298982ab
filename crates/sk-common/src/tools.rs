//! The seckun tools, by the names a chain uses. A word of a command line
//! whose last path component is one of these names is a link of the chain,
//! run by the chain's own engine: never looked up, never executed from a
//! root filesystem.

use std::ffi::OsStr;
use std::path::Path;

pub const TOOLS: [&str; 10] = [
    "sk-unshare",
    "sk-pivot",
    "sk-cgroup",
    "sk-capdrop",
    "sk-seccomp",
    "sk-aaexec",
    "sk-user",
    "sk-rlimit",
    "sk-env",
    "sk-landlock",
];

/// The tool a command word names (`sk-capdrop`, `/usr/bin/sk-capdrop`), if any.
pub fn tool_named(word: &OsStr) -> Option<&'static str> {
    let base = Path::new(word).file_name()?;
    TOOLS.iter().copied().find(|t| OsStr::new(t) == base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_are_recognised_bare_or_with_a_path() {
        assert_eq!(tool_named(OsStr::new("sk-pivot")), Some("sk-pivot"));
        assert_eq!(
            tool_named(OsStr::new("/x/y/sk-capdrop")),
            Some("sk-capdrop")
        );
        assert_eq!(tool_named(OsStr::new("./sk-capdrop")), Some("sk-capdrop"));
        assert_eq!(tool_named(OsStr::new("sk-capdropx")), None);
        assert_eq!(tool_named(OsStr::new("sk-capdrop/")), Some("sk-capdrop"));
        assert_eq!(tool_named(OsStr::new("")), None);
    }
}
