//! The man pages and the README describe every option that exists, and
//! nothing that doesn't.

use sk_testkit::{run, sk, workspace};
use std::collections::BTreeSet;

const TOOLS: [&str; 6] = [
    "sk-unshare",
    "sk-pivot",
    "sk-cgroup",
    "sk-capdrop",
    "sk-seccomp",
    "sk-aaexec",
];

/// Long options named in a text: `--word` tokens.
fn long_options(text: &str) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(pos) = text[i..].find("--") {
        let start = i + pos;
        let mut end = start + 2;
        while end < bytes.len()
            && (bytes[end].is_ascii_lowercase()
                || bytes[end].is_ascii_digit()
                || bytes[end] == b'-')
        {
            end += 1;
        }
        let before_ok = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        if end > start + 2 && before_ok {
            set.insert(text[start..end].trim_end_matches('-').to_string());
        }
        i = end.max(start + 2);
    }
    set
}

fn man_options(tool: &str) -> BTreeSet<String> {
    let page = std::fs::read_to_string(workspace().join("man").join(format!("{tool}.1"))).unwrap();
    // Only the OPTIONS section lists options; roff writes '-' as '\-'.
    let page = page.replace("\\-", "-");
    let opts = page.split(".SH OPTIONS").nth(1).unwrap_or("");
    let opts = opts.split("\n.SH ").next().unwrap();
    opts.lines()
        .filter(|l| l.starts_with(".TP") || l.starts_with("\\fB") || l.starts_with("-"))
        .flat_map(|l| long_options(l))
        .collect()
}

fn help_options(tool: &str) -> BTreeSet<String> {
    let out = run(sk(tool).arg("--help"));
    out.success();
    let opts = out
        .stdout
        .split("Options:")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap()
        .to_string();
    opts.lines()
        .filter(|l| l.trim_start().starts_with('-'))
        .flat_map(|l| long_options(l.split("  ").find(|s| !s.is_empty()).unwrap_or("")))
        .collect()
}

#[test]
fn man_pages_list_exactly_the_options_of_help() {
    for tool in TOOLS {
        let (man, help) = (man_options(tool), help_options(tool));
        assert!(!help.is_empty(), "{tool} --help lists no options");
        assert_eq!(
            man, help,
            "{tool}: man page and --help differ (run `cargo run -p sk-gen`)"
        );
    }
}

#[test]
fn man_pages_are_generated_from_the_current_parsers() {
    let gen = sk_testkit::bin("sk-gen");
    let out = run(std::process::Command::new(gen)
        .arg("--check")
        .arg(workspace()));
    assert!(out.status.success(), "{}", out.stderr);
}

#[test]
fn the_readme_names_no_option_that_does_not_exist() {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let mut all: BTreeSet<String> = BTreeSet::new();
    for tool in TOOLS {
        all.extend(help_options(tool));
    }
    // Options of other programs the README compares with.
    let foreign = [
        "--fork",
        "--mount-proc",
        "--drop",
        "--bounding-set",
        "--unshare-pid",
        "--unshare-all",
        "--bind",
        "--ro-bind",
        "--proc",
        "--dev",
        "--scope",
        "--no-new-privs",
        "--inh-caps",
        "--ambient-caps",
        "--apparmor-profile",
        "--workspace",
        "--release",
        "--check",
        "--cap-drop",
        "--init",
        "--no-fail-fast",
        "--target",
        "--dev-bind",
        "--help",
        "--version",
        "--net",
        "--pid",
        "--reuid",
        "--regid",
        "--clear-groups",
        "--map-root-user",
        "--uts",
        "--ipc",
        "--mount",
        "--user",
        "--keep",
        "--debian",
        "--seccomp",
        "--security-opt",
        "--cap-add",
        "--privileged",
        "--rm",
        "--pids-limit",
        "--memory",
        "--cpus",
        "--user",
    ];
    for opt in long_options(&readme) {
        assert!(
            all.contains(&opt) || foreign.contains(&opt.as_str()),
            "README mentions {opt}, which no sk-* tool has"
        );
    }
}
