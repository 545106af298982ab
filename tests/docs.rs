//! The man pages and the README describe every option that exists, and
//! nothing that doesn't.

use sk_testkit::{run, sk, workspace};
use std::collections::BTreeSet;

use sk_common::tools::TOOLS;

/// Long options named in a text: `--word` tokens (a letter first).
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
        let before_ok =
            start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'-');
        let word = text[start..end].trim_end_matches('-');
        if before_ok && word.len() > 2 && bytes[start + 2].is_ascii_lowercase() {
            set.insert(word.to_string());
        }
        i = end.max(start + 2);
    }
    set
}

/// The long options of a man page's OPTIONS section.
fn man_options(tool: &str) -> BTreeSet<String> {
    let page = std::fs::read_to_string(workspace().join("man").join(format!("{tool}.1"))).unwrap();
    // roff writes '-' as '\-' and switches fonts with \fB, \fI, \fR.
    let page = page
        .replace("\\-", "-")
        .replace("\\fB", "")
        .replace("\\fI", "")
        .replace("\\fR", "");
    let opts = page.split(".SH OPTIONS").nth(1).unwrap_or("");
    let opts = opts.split("\n.SH ").next().unwrap();
    // Each option's own line follows a .TP.
    let lines: Vec<&str> = opts.lines().collect();
    lines
        .windows(2)
        .filter(|w| w[0] == ".TP")
        .flat_map(|w| {
            long_options(
                w[1].split(' ')
                    .take_while(|t| {
                        t.starts_with('-')
                            || t.ends_with(',')
                            || t.starts_with('<')
                            || t.starts_with('[')
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
                    .as_str(),
            )
        })
        .collect()
}

/// The long options `--help` lists: the lines that define an option (two to
/// six spaces in), not the descriptions below them.
fn help_options(tool: &str) -> BTreeSet<String> {
    let out = run(sk(tool).arg("--help"));
    out.success();
    let opts = out.stdout.split("Options:").nth(1).unwrap();
    let opts = opts.split("\nExamples:").next().unwrap();
    opts.lines()
        .filter(|l| {
            let indent = l.len() - l.trim_start().len();
            (2..=6).contains(&indent) && l.trim_start().starts_with('-')
        })
        .flat_map(|l| long_options(l.trim_start().split("  ").next().unwrap()))
        .collect()
}

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

fn man_pages_are_generated_from_the_current_parsers() {
    let gen = sk_testkit::bin("sk-gen");
    let out = run(std::process::Command::new(gen)
        .arg("--check")
        .arg(workspace()));
    assert!(out.status.success(), "{}", out.stderr);
}

fn the_readme_names_no_option_that_does_not_exist() {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    // Shell continuations make one command of several lines.
    let readme = readme.replace("\\\n", " ");
    let known: Vec<(&str, BTreeSet<String>)> =
        TOOLS.iter().map(|t| (*t, help_options(t))).collect();
    let mut checked = 0;
    for line in readme.lines() {
        // Each tool's words run to the next tool, or the end of a code span
        // or table cell.
        let mut rest = line;
        while let Some((tool, opts)) = known
            .iter()
            .filter_map(|(t, o)| rest.find(&format!("{t} ")).map(|i| (i, t, o)))
            .min_by_key(|(i, _, _)| *i)
            .map(|(i, t, o)| {
                rest = &rest[i + t.len()..];
                (t, o)
            })
        {
            let end = rest
                .find(['`', '|'])
                .into_iter()
                .chain(TOOLS.iter().filter_map(|t| rest.find(t)))
                .min()
                .unwrap_or(rest.len());
            for opt in long_options(&rest[..end]) {
                assert!(
                    opts.contains(&opt),
                    "README gives {tool} the option {opt}, which it does not have"
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked > 10,
        "the README check found only {checked} options"
    );
}

sk_testkit::tests! {
    man_pages_list_exactly_the_options_of_help,
    man_pages_are_generated_from_the_current_parsers,
    the_readme_names_no_option_that_does_not_exist,
}
