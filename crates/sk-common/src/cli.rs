//! The argv tail and the options every tool shares.
//!
//! Options stop at the first operand: a tool declares its command as a
//! trailing positional (`trailing_var_arg`), so everything from the first
//! operand on is the command, byte-for-byte, `-` words included. `--` is
//! accepted before it too. Parse errors are one line and exit 125, never
//! clap's default 2, which a caller could not tell from the command's own.

use crate::exit;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser};
use std::ffi::OsString;

/// Options that every tool has.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct Common {
    /// Say on stderr what the step did
    #[arg(short, long)]
    pub verbose: bool,

    /// Give the command a pty of its own when stdin and stdout are a
    /// terminal and the chain is in its foreground (the default; the
    /// chain's first link decides)
    #[arg(long, overrides_with_all = ["no_pty", "share_tty"])]
    pub pty: bool,

    /// Never a pty: each stdio fd that is a terminal becomes a pipe relayed
    /// to it, and the command runs without a controlling terminal
    #[arg(long, overrides_with_all = ["pty", "share_tty"])]
    pub no_pty: bool,

    /// Hand the caller's terminal to the command as it is (UNSAFE: the
    /// command can push input into it with TIOCSTI)
    #[arg(long, overrides_with_all = ["pty", "no_pty"])]
    pub share_tty: bool,
}

impl Common {
    /// -v, then the chain's first-link duties ([`crate::exec::first_link`]):
    /// call right after parsing, before any other step.
    pub fn apply(&self) {
        crate::log::set_verbose(self.verbose);
        if let Err(e) = crate::exec::first_link(self.tty_mode()) {
            crate::fail(&e)
        }
    }

    /// The terminal mode the options ask for.
    pub fn tty_mode(&self) -> crate::tty::Mode {
        if self.share_tty {
            crate::tty::Mode::Share
        } else if self.no_pty {
            crate::tty::Mode::NoPty
        } else {
            crate::tty::Mode::Pty
        }
    }
}

/// Parses the process's own argv; see [`parse_from`].
pub fn parse<P: Parser>() -> P {
    parse_from(std::env::args_os())
}

/// Parses `args`: `--help` and `--version` print on stdout and exit 0; any
/// other error prints one line on stderr and exits 125.
pub fn parse_from<P, I, T>(args: I) -> P
where
    P: Parser,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match try_parse_from(args) {
        Ok(parsed) => parsed,
        Err(err) => crate::fail(&err),
    }
}

/// Parses one link's words: `--help` and `--version` print on stdout and
/// exit 0 (nothing has been done yet when a chain is read); any other error
/// is returned as one line with the usage.
pub fn try_parse_from<P, I, T>(args: I) -> crate::Result<P>
where
    P: Parser,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match P::try_parse_from(args) {
        Ok(parsed) => Ok(parsed),
        Err(err) => match err.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                print!("{err}");
                exit::exit(0)
            }
            _ => Err(anyhow::anyhow!(usage_line::<P>(&err))),
        },
    }
}

/// Reads one link's words with its tool's parser `C`: `common` gives its
/// common options, `plan` the step's plan and the rest of the command line
/// (its error is the one line the chain prints).
pub fn read_link<C: Parser, P>(
    argv: &[OsString],
    common: impl FnOnce(&C) -> Common,
    plan: impl FnOnce(C) -> crate::Result<(P, Vec<OsString>)>,
) -> crate::Result<Parsed<P>> {
    let args: C = try_parse_from(argv)?;
    let common = common(&args);
    let (plan, command) = plan(args)?;
    Ok(Parsed {
        plan,
        common,
        command,
    })
}

/// `command()` (the parser, for man pages and completions) and `link()`
/// (one link's words read, see [`read_link`]) of a tool whose `cli::Cli`
/// has `common` and a pure `plan()`: `plan_command` when the plan holds
/// the command (its errors take the usage line), `cli_command` when the
/// parser does; `ARGV => |cli| ...` with the plan and the command made
/// by the closure from the parsed options (and the words, named ARGV).
#[macro_export]
macro_rules! tool_link {
    (plan_command) => {
        $crate::tool_link!(command);
        /// Reads this link's words.
        pub fn link(argv: &[std::ffi::OsString]) -> $crate::Result<$crate::cli::Parsed<cli::Plan>> {
            $crate::cli::read_link(
                argv,
                |c: &cli::Cli| c.common.clone(),
                |c| {
                    let plan = c.plan().map_err($crate::cli::plan_error::<cli::Cli>)?;
                    let command = plan.command.clone();
                    Ok((plan, command))
                },
            )
        }
    };
    (cli_command) => {
        $crate::tool_link!(command);
        /// Reads this link's words.
        pub fn link(argv: &[std::ffi::OsString]) -> $crate::Result<$crate::cli::Parsed<cli::Plan>> {
            $crate::cli::read_link(
                argv,
                |c: &cli::Cli| c.common.clone(),
                |c| Ok((c.plan().map_err(anyhow::Error::msg)?, c.command)),
            )
        }
    };
    ($argv:ident => $plan:expr) => {
        $crate::tool_link!(command);
        /// Reads this link's words.
        pub fn link(
            $argv: &[std::ffi::OsString],
        ) -> $crate::Result<$crate::cli::Parsed<cli::Plan>> {
            $crate::cli::read_link($argv, |c: &cli::Cli| c.common.clone(), $plan)
        }
    };
    (command) => {
        /// The parser, for man pages and completions.
        pub fn command() -> clap::Command {
            <cli::Cli as clap::CommandFactory>::command()
        }
    };
}

/// A link of a chain as its parser read it: the step's plan, its common
/// options, and the rest of the command line (the next link, or the command).
#[derive(Debug, Clone)]
pub struct Parsed<P> {
    pub plan: P,
    /// The options every tool has (-v, the terminal's).
    pub common: Common,
    pub command: Vec<OsString>,
}

/// One line for a parse error: what is wrong, then the usage.
pub fn usage_line<P: CommandFactory>(err: &clap::Error) -> String {
    let mut cmd = P::command();
    let usage = cmd
        .render_usage()
        .to_string()
        .trim()
        .trim_start_matches("Usage: ")
        .to_string();
    let what = match err.kind() {
        ErrorKind::MissingRequiredArgument
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            match err.get(ContextKind::InvalidArg) {
                Some(ContextValue::Strings(missing)) => {
                    format!("missing {}", missing.join(", "))
                }
                _ => "missing operand".to_string(),
            }
        }
        _ => {
            let text = err.render().to_string();
            let first = text.lines().next().unwrap_or("invalid usage");
            first.trim_start_matches("error: ").to_string()
        }
    };
    format!("{what} (usage: {usage})")
}

/// The error for a plan that the parser accepted but `Cli::plan` refused:
/// one line with the usage, like a parse error.
pub fn plan_error<P: CommandFactory>(message: String) -> anyhow::Error {
    let err = P::command().error(ErrorKind::InvalidValue, message);
    anyhow::anyhow!(usage_line::<P>(&err))
}

/// Splits a tool's operands into the leading ones that `take` accepts
/// (KEY=VALUE limits, NAME=VALUE assignments) and the command; a `--`
/// ends the leading ones and is dropped.
pub fn split_leading(
    words: &[OsString],
    take: impl Fn(&std::ffi::OsStr) -> bool,
) -> (&[OsString], &[OsString]) {
    let n = words.iter().take_while(|w| *w != "--" && take(w)).count();
    let rest = match words.get(n) {
        Some(w) if w == "--" => &words[n + 1..],
        _ => &words[n..],
    };
    (&words[..n], rest)
}

/// Turns the command's words into a printable line for `-v` messages.
pub fn show_command(argv: &[OsString]) -> String {
    argv.iter()
        .map(|a| {
            let s = a.to_string_lossy();
            if s.is_empty() || s.contains(|c: char| c.is_whitespace() || "'\"\\$`".contains(c)) {
                format!("'{}'", s.replace('\'', "'\\''"))
            } else {
                s.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    #[derive(Parser, Debug)]
    #[command(name = "sk-test")]
    struct Demo {
        #[command(flatten)]
        common: Common,
        #[arg(short)]
        m: bool,
        #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true)]
        command: Vec<OsString>,
    }

    fn parse(args: &[&str]) -> Result<Demo, clap::Error> {
        Demo::try_parse_from(args)
    }

    #[test]
    fn options_stop_at_the_first_operand() {
        let d = parse(&["sk-test", "-m", "sh", "-c", "echo -v", "-m"]).unwrap();
        assert!(d.m);
        assert!(!d.common.verbose);
        assert_eq!(d.command, ["sh", "-c", "echo -v", "-m"]);
    }

    #[test]
    fn double_dash_is_accepted() {
        let d = parse(&["sk-test", "-v", "--", "-weird-name", "x"]).unwrap();
        assert!(d.common.verbose);
        assert_eq!(d.command, ["-weird-name", "x"]);
    }

    #[test]
    fn the_command_passes_byte_for_byte() {
        let raw = OsString::from_vec(vec![0xff, b'a', 0xfe]);
        let d =
            Demo::try_parse_from([OsString::from("sk-test"), "echo".into(), raw.clone()]).unwrap();
        assert_eq!(d.command[1], raw);
    }

    #[test]
    fn empty_command_is_a_usage_error_with_the_usage() {
        let err = parse(&["sk-test", "-m"]).unwrap_err();
        let line = usage_line::<Demo>(&err);
        assert!(line.starts_with("missing <COMMAND>"), "{line}");
        assert!(line.contains("sk-test"), "{line}");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn unknown_option_is_one_line() {
        let err = parse(&["sk-test", "--bogus", "true"]).unwrap_err();
        let line = usage_line::<Demo>(&err);
        assert!(line.contains("--bogus"), "{line}");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn leading_operands_stop_at_the_first_other_word_or_double_dash() {
        let w: Vec<OsString> = ["a=1", "b=2", "cmd", "c=3"]
            .iter()
            .map(OsString::from)
            .collect();
        let has_eq = |s: &std::ffi::OsStr| s.to_string_lossy().contains('=');
        let (lead, rest) = split_leading(&w, has_eq);
        assert_eq!((lead.len(), rest), (2, &w[2..]));
        let w: Vec<OsString> = ["a=1", "--", "x=y"].iter().map(OsString::from).collect();
        let (lead, rest) = split_leading(&w, has_eq);
        assert_eq!((lead.len(), rest), (1, &w[2..]));
    }

    #[test]
    fn show_command_quotes_what_a_shell_would_split() {
        let argv: Vec<OsString> = ["sh", "-c", "exit 42"].iter().map(OsString::from).collect();
        assert_eq!(show_command(&argv), "sh -c 'exit 42'");
    }
}
