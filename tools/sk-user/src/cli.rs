//! sk-user's options and operands, and the pure checks of what they ask
//! for. No system call and no file read happens here: names are looked up
//! when the step runs, in the root it runs in.

use clap::Parser;
use sk_common::cli::Common;
use std::ffi::OsString;

const EXAMPLES: &str = "\
Examples:
  Run as nobody, with nobody's groups from /etc/group:
    sk-user --init-groups nobody id
  By number; no supplementary groups (the default):
    sk-user 1000:1000 id
  A non-root command that may bind ports below 1024 and nothing else
  (sk-capdrop keeps the capability and setuid/setgid for sk-user, which
  passes only net_bind_service on through the ambient set):
    sk-capdrop --keep net_bind_service,setuid,setgid --ambient sk-user 1000:1000 python3 -m http.server 80
  In a chain: names come from the image's /etc/passwd and /etc/group:
    sk-unshare -mupin --kill-child sk-pivot /tmp/myroot sk-capdrop --keep chown,setuid,setgid --no-new-privs sk-user www-data /bin/sh
  Rootless, where setgroups is denied, keeping the groups as they are:
    sk-unshare -U -r sk-user --keep-groups 0:0 id
  Step by step, a user of the image, its groups, port 80 through the
  ambient set: docs/tutorial.md, section 11 (a user inside):
    less docs/tutorial.md

Exit status: the command's own; 125 if sk-user fails (an unknown name, a
malformed entry, an id that is not mapped, ids that did not change as asked);
126 if the command cannot be executed; 127 if it is not found.";

#[derive(Parser, Debug)]
#[command(
    name = "sk-user",
    version,
    about = "Switch to a user and group, with no capability left, then run a command",
    long_about = "Sets the supplementary groups, the group ids and the user ids (real, \
effective, saved and filesystem) of itself to USER and GROUP, reads them back, lowers the \
capabilities of a non-root USER to the ambient ones it already had (none, unless sk-capdrop \
--ambient raised some), sets HOME, USER and LOGNAME, then executes COMMAND. Names are looked \
up in /etc/passwd and /etc/group of the current root (after sk-pivot, the image's), parsed \
directly, never through NSS.",
    override_usage = "sk-user [OPTIONS] USER[:GROUP] COMMAND [ARGS]...",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,

    /// Set the supplementary groups to these (names or numbers, comma-separated)
    #[arg(long, value_name = "G1,G2", conflicts_with_all = ["init_groups", "keep_groups"])]
    pub groups: Option<String>,

    /// Set the supplementary groups to USER's from /etc/group, and GROUP
    #[arg(long, conflicts_with = "keep_groups")]
    pub init_groups: bool,

    /// Keep the supplementary groups as they are (also where setgroups is
    /// denied: a user namespace made by an unprivileged user)
    #[arg(long)]
    pub keep_groups: bool,

    /// Leave HOME, USER and LOGNAME as they are
    #[arg(long)]
    pub keep_env: bool,

    /// USER[:GROUP], then the command to run and its arguments
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

/// A user or a group as given: a number, or a name to look up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Id {
    Number(u32),
    Name(String),
}

/// What becomes of the supplementary groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Groups {
    /// None at all (the default).
    Clear,
    /// Exactly these.
    List(Vec<Id>),
    /// USER's groups from /etc/group, and the primary group.
    Init,
    /// As they are.
    Keep,
}

/// What the command line asks for, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub user: Id,
    /// None: USER's primary group from /etc/passwd.
    pub group: Option<Id>,
    pub groups: Groups,
    pub keep_env: bool,
    pub command: Vec<OsString>,
}

/// A number when all digits (a name that is all digits is never looked
/// up, as in setpriv and su-exec), else a name.
pub fn parse_id(text: &str, what: &str) -> Result<Id, String> {
    if text.is_empty() {
        return Err(format!("empty {what}"));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<u32>()
            .ok()
            .filter(|n| *n != u32::MAX)
            .map(Id::Number)
            .ok_or_else(|| format!("invalid {what} '{text}': out of range"));
    }
    if text
        .bytes()
        .any(|b| b.is_ascii_control() || b == b':' || b == b',')
    {
        return Err(format!("invalid {what} name '{}'", text.escape_debug()));
    }
    Ok(Id::Name(text.to_string()))
}

/// USER[:GROUP].
pub fn parse_spec(spec: &str) -> Result<(Id, Option<Id>), String> {
    match spec.split_once(':') {
        Some((u, g)) => Ok((parse_id(u, "user")?, Some(parse_id(g, "group")?))),
        None => Ok((parse_id(spec, "user")?, None)),
    }
}

impl Cli {
    pub fn plan(self) -> Result<Plan, String> {
        let mut operands = self.command.into_iter();
        let first = operands.next().unwrap_or_default();
        let spec = first
            .to_str()
            .ok_or_else(|| format!("invalid USER '{}'", first.to_string_lossy()))?;
        let (user, group) = parse_spec(spec)?;
        let command: Vec<OsString> = operands.collect();
        if command.is_empty() {
            return Err("missing COMMAND after USER[:GROUP]".into());
        }
        let groups = match (self.groups, self.init_groups, self.keep_groups) {
            (Some(list), _, _) => Groups::List(
                list.split(',')
                    .filter(|g| !list.is_empty() || !g.is_empty())
                    .map(|g| parse_id(g, "group"))
                    .collect::<Result<_, _>>()?,
            ),
            (None, true, _) => Groups::Init,
            (None, false, true) => Groups::Keep,
            (None, false, false) => Groups::Clear,
        };
        Ok(Plan {
            user,
            group,
            groups,
            keep_env: self.keep_env,
            command,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Plan, String> {
        let cli = Cli::try_parse_from(std::iter::once("sk-user").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        cli.plan()
    }

    #[test]
    fn user_and_group_by_name_or_number() {
        let p = plan(&["nobody", "id", "-u"]).unwrap();
        assert_eq!(p.user, Id::Name("nobody".into()));
        assert_eq!(p.group, None);
        assert_eq!(p.groups, Groups::Clear);
        assert_eq!(p.command, ["id", "-u"]);
        let p = plan(&["1000:100", "id"]).unwrap();
        assert_eq!((p.user, p.group), (Id::Number(1000), Some(Id::Number(100))));
        let p = plan(&["www-data:adm", "id"]).unwrap();
        assert_eq!(p.group, Some(Id::Name("adm".into())));
    }

    #[test]
    fn groups_options() {
        let p = plan(&["--groups", "adm,100", "nobody", "id"]).unwrap();
        assert_eq!(
            p.groups,
            Groups::List(vec![Id::Name("adm".into()), Id::Number(100)])
        );
        assert_eq!(
            plan(&["--groups", "", "0", "id"]).unwrap().groups,
            Groups::List(vec![])
        );
        assert_eq!(
            plan(&["--init-groups", "0", "id"]).unwrap().groups,
            Groups::Init
        );
        assert_eq!(
            plan(&["--keep-groups", "0", "id"]).unwrap().groups,
            Groups::Keep
        );
        assert!(plan(&["--init-groups", "--keep-groups", "0", "id"]).is_err());
        assert!(plan(&["--groups", "1", "--init-groups", "0", "id"]).is_err());
        assert!(plan(&["--groups", "1,,2", "0", "id"]).is_err());
    }

    #[test]
    fn options_stop_at_user() {
        let p = plan(&["--keep-env", "0", "--init-groups", "x"]).unwrap();
        assert!(p.keep_env);
        assert_eq!(p.groups, Groups::Clear);
        assert_eq!(p.command, ["--init-groups", "x"]);
    }

    #[test]
    fn bad_specs() {
        assert!(plan(&["nobody"]).unwrap_err().contains("missing COMMAND"));
        assert!(plan(&["", "id"]).unwrap_err().contains("empty user"));
        assert!(plan(&[":0", "id"]).unwrap_err().contains("empty user"));
        assert!(plan(&["0:", "id"]).unwrap_err().contains("empty group"));
        assert!(plan(&["0:0:0", "id"]).is_err());
        assert!(plan(&["4294967295", "id"])
            .unwrap_err()
            .contains("out of range"));
        assert!(plan(&["99999999999", "id"])
            .unwrap_err()
            .contains("out of range"));
        assert!(plan(&["a\nb", "id"]).is_err());
        assert_eq!(
            plan(&["4294967294", "id"]).unwrap().user,
            Id::Number(4294967294)
        );
    }
}
