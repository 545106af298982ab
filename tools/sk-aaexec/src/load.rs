//! `--load FILE`: `apparmor_parser -r FILE` before the switch, so that one
//! chain line is enough on a machine where the profile is not loaded yet.
//!
//! The profile compiler is AppArmor's own; loading goes through it rather
//! than through a hand-written policy blob writer.

use sk_common::verbose;
use std::io::ErrorKind;
use std::path::Path;
use std::process::{Command, Stdio};

/// Where apparmor_parser lives when PATH does not say (a service's PATH
/// often lacks the sbin directories).
const FALLBACKS: [&str; 2] = ["/usr/sbin/apparmor_parser", "/sbin/apparmor_parser"];

/// Loads or replaces the profiles in `file`. Its diagnostics end up in the
/// one error line; nothing of it reaches the command's stdout.
pub fn load_profiles(file: &Path) -> anyhow::Result<()> {
    let run = |program: &str| {
        Command::new(program)
            .arg("-r")
            .arg(file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
    };
    let mut out = run("apparmor_parser");
    for fallback in FALLBACKS {
        match &out {
            Err(e) if e.kind() == ErrorKind::NotFound => out = run(fallback),
            _ => break,
        }
    }
    let out = out.map_err(|e| {
        let hint = if e.kind() == ErrorKind::NotFound {
            " (install Debian package apparmor)"
        } else {
            ""
        };
        anyhow::anyhow!(
            "cannot load AppArmor profiles from {}: cannot run apparmor_parser: {}{hint}",
            file.display(),
            sk_common::error::describe(&anyhow::Error::new(e))
        )
    })?;
    let said = first_lines(&out.stderr, &out.stdout);
    if !out.status.success() {
        let status = match out.status.code() {
            Some(c) => format!("exited with status {c}"),
            None => "was killed by a signal".to_string(),
        };
        anyhow::bail!(
            "cannot load AppArmor profiles from {}: apparmor_parser {status}{}",
            file.display(),
            if said.is_empty() {
                String::new()
            } else {
                format!(": {said}")
            }
        );
    }
    verbose!("loaded the AppArmor profiles in {}", file.display());
    if !said.is_empty() {
        verbose!("apparmor_parser said: {said}");
    }
    Ok(())
}

/// apparmor_parser's messages, joined on one line.
fn first_lines(stderr: &[u8], stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = if text.trim().is_empty() {
        String::from_utf8_lossy(stdout)
    } else {
        text
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(3)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parsers_messages_fit_on_one_line() {
        let s = first_lines(
            b"AppArmor parser error for x in x at line 2: syntax error\n\n",
            b"",
        );
        assert_eq!(
            s,
            "AppArmor parser error for x in x at line 2: syntax error"
        );
        assert_eq!(first_lines(b"", b"a\nb\nc\nd\n"), "a; b; c");
    }
}
