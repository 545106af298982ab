//! sk-gen: writes each tool's man page (man/sk-*.1) and shell completions
//! (completions/) from the tool's own clap parser, so the documentation
//! cannot drift from the options. `sk-gen --check` fails when the checked-in
//! files differ from what the parsers produce (CI runs it).

use clap_complete::Shell;
use std::io::Write;
use std::path::{Path, PathBuf};

struct Tool {
    name: &'static str,
    command: fn() -> clap::Command,
    notes: &'static str,
    see_also: &'static str,
}

const TOOLS: [Tool; 10] = [
    Tool {
        name: "sk-unshare",
        command: sk_unshare::command,
        notes: sk_unshare::MAN_NOTES,
        see_also: "unshare(1), nsenter(1), namespaces(7), user_namespaces(7), pid_namespaces(7)",
    },
    Tool {
        name: "sk-pivot",
        command: sk_pivot::command,
        notes: sk_pivot::MAN_NOTES,
        see_also: "pivot_root(2), pivot_root(8), switch_root(8), bwrap(1), mount_namespaces(7)",
    },
    Tool {
        name: "sk-cgroup",
        command: sk_cgroup::command,
        notes: sk_cgroup::MAN_NOTES,
        see_also: "cgexec(1), systemd-run(1), cgroups(7)",
    },
    Tool {
        name: "sk-capdrop",
        command: sk_capdrop::command,
        notes: sk_capdrop::MAN_NOTES,
        see_also: "capsh(1), setpriv(1), capabilities(7)",
    },
    Tool {
        name: "sk-seccomp",
        command: sk_seccomp::command,
        notes: sk_seccomp::MAN_NOTES,
        see_also: "seccomp(2), seccomp_rule_add(3), seccomp_unotify(2), minijail0(1)",
    },
    Tool {
        name: "sk-aaexec",
        command: sk_aaexec::command,
        notes: sk_aaexec::MAN_NOTES,
        see_also: "aa-exec(8), apparmor(7), apparmor_parser(8), setpriv(1)",
    },
    Tool {
        name: "sk-user",
        command: sk_user::command,
        notes: sk_user::MAN_NOTES,
        see_also: "setpriv(1), gosu(1), su-exec(1), capsh(1), passwd(5), group(5), capabilities(7), user_namespaces(7)",
    },
    Tool {
        name: "sk-rlimit",
        command: sk_rlimit::command,
        notes: sk_rlimit::MAN_NOTES,
        see_also: "prlimit(1), setrlimit(2), setpriority(2), proc(5), sk-cgroup(1)",
    },
    Tool {
        name: "sk-env",
        command: sk_env::command,
        notes: sk_env::MAN_NOTES,
        see_also: "env(1), bwrap(1), environ(7), openat2(2)",
    },
    Tool {
        name: "sk-landlock",
        command: sk_landlock::command,
        notes: sk_landlock::MAN_NOTES,
        see_also: "landlock(7), landlock_create_ruleset(2), setpriv(1), minijail0(1)",
    },
];

const EXIT_STATUS: &str = "\
The exit status of COMMAND when it runs. Otherwise:
125  the tool itself failed: bad usage, or a step of the isolation failed; COMMAND was not run
126  COMMAND was found but could not be executed
127  COMMAND was not found
A tool that stays as the parent of COMMAND (a new pid namespace, cgroup removal, a seccomp \
supervisor) exits with COMMAND's status, or 128+N when COMMAND died by signal N.
An internal error (a bug: a panic) prints one line, \"sk-...: internal error: ...\", and \
exits with 125: before COMMAND started, COMMAND is not run; in a staying parent after \
COMMAND started, the parent kills COMMAND (SIGKILL; as PID 1 of a new pid namespace, with \
everything in it) first.";

/// Escapes text for roff: backslashes, and a leading dot or quote.
fn roff_text(line: &str) -> String {
    let s = line.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

fn section(out: &mut Vec<u8>, title: &str, body: &str, literal: bool) {
    writeln!(out, ".SH {title}").unwrap();
    if literal {
        writeln!(out, ".nf").unwrap();
        for line in body.lines() {
            writeln!(out, "{}", roff_text(line)).unwrap();
        }
        writeln!(out, ".fi").unwrap();
        return;
    }
    for para in body.split("\n\n").filter(|p| !p.trim().is_empty()) {
        writeln!(out, ".PP").unwrap();
        for line in para.lines() {
            writeln!(out, "{}", roff_text(line)).unwrap();
        }
    }
}

/// The man page: clap_mangen's title, name, synopsis, description and
/// options, then our own EXAMPLES, EXIT STATUS, NOTES and SEE ALSO.
fn man_page(tool: &Tool) -> Vec<u8> {
    let cmd = (tool.command)();
    let man = clap_mangen::Man::new(cmd.clone())
        .date("")
        .source("seckun")
        .manual("seckun");
    let mut out = Vec::new();
    man.render_title(&mut out).unwrap();
    man.render_name_section(&mut out).unwrap();
    match cmd.get_overridden_usage() {
        // A tool whose operands clap cannot describe says its usage itself.
        Some(usage) => section(&mut out, "SYNOPSIS", &usage.to_string(), true),
        None => man.render_synopsis_section(&mut out).unwrap(),
    }
    man.render_description_section(&mut out).unwrap();
    man.render_options_section(&mut out).unwrap();
    let after = cmd
        .get_after_help()
        .map(|s| s.to_string())
        .unwrap_or_default();
    // The help's "Examples:" block, without the exit-status line that
    // EXIT STATUS says in full.
    let examples: String = after
        .split("\n\n")
        .filter(|p| !p.starts_with("Exit status"))
        .collect::<Vec<_>>()
        .join("\n\n");
    let examples = examples.trim_start_matches("Examples:\n");
    if !examples.trim().is_empty() {
        section(&mut out, "EXAMPLES", examples, true);
    }
    section(&mut out, "EXIT STATUS", EXIT_STATUS, false);
    if !tool.notes.trim().is_empty() {
        section(&mut out, "NOTES", tool.notes, false);
    }
    // Every tool can be a chain's first link: the same words in each page.
    section(
        &mut out,
        "TERMINAL, FDS AND SIGNALS",
        sk_common::tty::MAN_NOTES,
        false,
    );
    let others: Vec<String> = TOOLS
        .iter()
        .filter(|t| t.name != tool.name)
        .map(|t| format!("{}(1)", t.name))
        .collect();
    section(
        &mut out,
        "SEE ALSO",
        &format!("{}, {}", others.join(", "), tool.see_also),
        false,
    );
    man.render_version_section(&mut out).unwrap();
    out
}

fn completions(tool: &Tool) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for (shell, file) in [
        (Shell::Bash, format!("bash/{}", tool.name)),
        (Shell::Zsh, format!("zsh/_{}", tool.name)),
        (Shell::Fish, format!("fish/{}.fish", tool.name)),
    ] {
        let mut cmd = (tool.command)();
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd, tool.name, &mut buf);
        v.push((file, buf));
    }
    v
}

fn outputs(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for tool in &TOOLS {
        files.push((
            root.join("man").join(format!("{}.1", tool.name)),
            man_page(tool),
        ));
        for (rel, data) in completions(tool) {
            files.push((root.join("completions").join(rel), data));
        }
    }
    files
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    let root = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."));
    let mut stale = Vec::new();
    for (path, data) in outputs(&root) {
        if check {
            if std::fs::read(&path).ok().as_deref() != Some(&data[..]) {
                stale.push(path);
            }
        } else {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, data).unwrap();
        }
    }
    if !stale.is_empty() {
        for p in &stale {
            eprintln!("sk-gen: {} is out of date", p.display());
        }
        eprintln!("sk-gen: run `cargo run -p sk-gen` and commit the result");
        std::process::exit(1);
    }
}
