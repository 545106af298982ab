//! The rule model shared by the command line, the JSON profiles and the
//! presets, and the command-line grammar of rules:
//!
//! ```text
//! RULES := RULE[,RULE]...
//! RULE  := SYSCALL[:COND]...            (conditions are AND-ed)
//! COND  := argN OP VALUE | argN&MASK==VALUE
//! OP    := == | != | < | <= | > | >=
//! ```
//!
//! N is 0 to 5; VALUE and MASK are unsigned 64-bit numbers, decimal, 0x hex
//! or 0o octal. Parsing here is pure: syscall names are resolved by
//! libseccomp when the filter is built.

use nix::errno::Errno;
use std::fmt;

/// What the filter does when a rule (or the default) matches.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Allow,
    KillProcess,
    KillThread,
    Trap,
    Log,
    Errno(u16),
    Trace(u16),
    Notify,
}

impl Action {
    /// Whether the call does not go through as asked (the filter's job).
    pub fn denies(self) -> bool {
        !matches!(self, Action::Allow | Action::Log)
    }

    /// The command-line spelling, as [`parse_action`] reads it.
    pub fn name(self) -> String {
        match self {
            Action::Allow => "allow".into(),
            Action::KillProcess => "kill-process".into(),
            Action::KillThread => "kill-thread".into(),
            Action::Trap => "trap".into(),
            Action::Log => "log".into(),
            Action::Errno(n) => format!("errno:{}", errno_name(n)),
            Action::Trace(n) => format!("trace:{n}"),
            Action::Notify => "notify".into(),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A comparison of one syscall argument.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `arg & mask == value`
    MaskedEq(u64),
}

/// One argument condition: `arg<index> <op> <value>`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cond {
    pub index: u32,
    pub op: Op,
    pub value: u64,
}

impl fmt::Display for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::MaskedEq(mask) => {
                return write!(f, "arg{}&{mask:#x}=={:#x}", self.index, self.value)
            }
        };
        write!(f, "arg{}{op}{:#x}", self.index, self.value)
    }
}

/// One rule: a syscall, by name, with an action and AND-ed conditions.
/// Several rules for one syscall are OR-ed, as in libseccomp.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    pub syscall: String,
    pub action: Action,
    pub conds: Vec<Cond>,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.syscall)?;
        for c in &self.conds {
            write!(f, ":{c}")?;
        }
        Ok(())
    }
}

/// The highest argument index a syscall has.
pub const MAX_ARG: u32 = 5;

/// Parses a number: decimal, 0x hex, 0o octal or 0b binary.
pub fn parse_number(s: &str) -> Option<u64> {
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(o) = s.strip_prefix("0o") {
        (o, 8)
    } else if let Some(b) = s.strip_prefix("0b") {
        (b, 2)
    } else {
        (s, 10)
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// Parses one condition, e.g. `arg1>=0` or `arg0&0x10000000==0x10000000`.
pub fn parse_cond(s: &str) -> Result<Cond, String> {
    let bad = |why: String| format!("malformed condition '{s}': {why}");
    let rest = s
        .strip_prefix("arg")
        .ok_or_else(|| bad("it must start with argN (N is 0 to 5)".into()))?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let index: u32 = rest[..digits]
        .parse()
        .map_err(|_| bad("it must start with argN (N is 0 to 5)".into()))?;
    if index > MAX_ARG {
        return Err(bad(format!(
            "arg{index}: a syscall has arguments 0 to {MAX_ARG}"
        )));
    }
    let rest = &rest[digits..];
    let number = |v: &str, what: &str| {
        parse_number(v).ok_or_else(|| bad(format!("'{v}' is not a {what} (decimal, 0x.. or 0o..)")))
    };
    if let Some(masked) = rest.strip_prefix('&') {
        let (mask, value) = masked
            .split_once("==")
            .ok_or_else(|| bad("a mask is written argN&MASK==VALUE".into()))?;
        return Ok(Cond {
            index,
            op: Op::MaskedEq(number(mask, "mask")?),
            value: number(value, "value")?,
        });
    }
    // Two-character operators first, so that "<=" is not read as "<".
    const OPS: [(&str, Op); 6] = [
        ("==", Op::Eq),
        ("!=", Op::Ne),
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("<", Op::Lt),
        (">", Op::Gt),
    ];
    for (text, op) in OPS {
        if let Some(value) = rest.strip_prefix(text) {
            return Ok(Cond {
                index,
                op,
                value: number(value, "number")?,
            });
        }
    }
    Err(bad(format!(
        "'{rest}' does not start with an operator (== != < <= > >= or &MASK==)"
    )))
}

/// Parses `SYSCALL[:COND]...`.
pub fn parse_rule(s: &str, action: Action) -> Result<Rule, String> {
    let mut parts = s.split(':');
    let syscall = parts.next().unwrap_or_default();
    if syscall.is_empty() {
        return Err(format!("no syscall name in '{s}'"));
    }
    if !syscall
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(format!("'{syscall}' is not a syscall name (in '{s}')"));
    }
    let mut conds = Vec::new();
    for c in parts {
        let cond = parse_cond(c)?;
        if conds.iter().any(|o: &Cond| o.index == cond.index) {
            // libseccomp takes one comparison per argument in a rule.
            return Err(format!(
                "two conditions on arg{} in '{s}': write two rules, or one masked comparison",
                cond.index
            ));
        }
        conds.push(cond);
    }
    Ok(Rule {
        syscall: syscall.to_string(),
        action,
        conds,
    })
}

/// Parses a comma-separated list of rules that share one action.
pub fn parse_rules(s: &str, action: Action) -> Result<Vec<Rule>, String> {
    if s.is_empty() {
        return Err("no syscall given".into());
    }
    s.split(',').map(|r| parse_rule(r, action)).collect()
}

/// An errno by name (`EPERM`) or number (`1`). Seccomp returns it in 16 bits.
pub fn parse_errno(s: &str) -> Option<u16> {
    if let Some(n) = parse_number(s) {
        return u16::try_from(n).ok().filter(|n| *n <= 4095);
    }
    if !s.starts_with('E') {
        return None;
    }
    (1..4096).find(|&n| errno_name(n) == s)
}

/// `EPERM` for 1; the number itself when it has no name.
pub fn errno_name(n: u16) -> String {
    let e = Errno::from_raw(i32::from(n));
    if e == Errno::UnknownErrno {
        n.to_string()
    } else {
        format!("{e:?}")
    }
}

/// Parses an action: allow, kill (the whole process), kill-process,
/// kill-thread, trap, log, errno[:NAME|N] (EPERM by default), trace[:N].
pub fn parse_action(s: &str) -> Result<Action, String> {
    let (name, arg) = match s.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (s, None),
    };
    let action = match (name, arg) {
        ("allow", None) => Action::Allow,
        ("kill" | "kill-process", None) => Action::KillProcess,
        ("kill-thread", None) => Action::KillThread,
        ("trap", None) => Action::Trap,
        ("log", None) => Action::Log,
        ("errno", None) => Action::Errno(Errno::EPERM as u16),
        ("errno", Some(e)) => Action::Errno(
            parse_errno(e).ok_or_else(|| format!("unknown errno '{e}' in action '{s}'"))?,
        ),
        ("trace", None) => Action::Trace(0),
        ("trace", Some(n)) => Action::Trace(
            parse_number(n)
                .and_then(|n| u16::try_from(n).ok())
                .ok_or_else(|| format!("'{n}' is not a trace value 0 to 65535 in '{s}'"))?,
        ),
        _ => {
            return Err(format!(
                "unknown action '{s}' (allow, kill, kill-process, kill-thread, trap, log, \
                 errno[:NAME|N], trace[:N])"
            ))
        }
    };
    Ok(action)
}

/// `--errno [ERRNO:]RULES`: the errno comes first when the first field is one
/// (errno names are upper case, syscall names lower case).
pub fn parse_errno_rules(s: &str) -> Result<Vec<Rule>, String> {
    let (errno, rules) = match s.split_once(':') {
        Some((first, rest)) if first.starts_with('E') || parse_number(first).is_some() => {
            let n =
                parse_errno(first).ok_or_else(|| format!("unknown errno '{first}' in '{s}'"))?;
            (n, rest)
        }
        _ => (Errno::EPERM as u16, s),
    };
    parse_rules(rules, Action::Errno(errno))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_six_comparisons_parse() {
        for (text, op) in [
            ("arg1==2", Op::Eq),
            ("arg1!=2", Op::Ne),
            ("arg1<2", Op::Lt),
            ("arg1<=2", Op::Le),
            ("arg1>2", Op::Gt),
            ("arg1>=2", Op::Ge),
        ] {
            assert_eq!(
                parse_cond(text).unwrap(),
                Cond {
                    index: 1,
                    op,
                    value: 2
                },
                "{text}"
            );
        }
    }

    #[test]
    fn masked_equal_takes_a_mask_and_a_value() {
        let c = parse_cond("arg0&0x10000000==0x10000000").unwrap();
        assert_eq!(
            c,
            Cond {
                index: 0,
                op: Op::MaskedEq(0x1000_0000),
                value: 0x1000_0000
            }
        );
        assert_eq!(c.to_string(), "arg0&0x10000000==0x10000000");
    }

    #[test]
    fn numbers_in_three_bases() {
        assert_eq!(parse_number("0o755"), Some(0o755));
        assert_eq!(parse_number("0xff"), Some(255));
        assert_eq!(parse_number("18446744073709551615"), Some(u64::MAX));
        for bad in ["", "-1", "0x", "12a", "+3"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn malformed_conditions_name_the_condition() {
        for bad in [
            "arg9>0", "arg1>>0", "arg>0", "x1>0", "arg1", "arg1=0", "arg0&1=1", "arg1>=-1",
        ] {
            let err = parse_cond(bad).unwrap_err();
            assert!(err.contains(bad), "{bad}: {err}");
        }
        assert!(parse_cond("arg9>0").unwrap_err().contains("0 to 5"));
    }

    #[test]
    fn rules_and_conditions() {
        let r = parse_rule("mkdir:arg1>=0", Action::KillProcess).unwrap();
        assert_eq!(r.syscall, "mkdir");
        assert_eq!(
            r.conds,
            [Cond {
                index: 1,
                op: Op::Ge,
                value: 0
            }]
        );
        let rs = parse_rules("read,write,exit_group", Action::Allow).unwrap();
        assert_eq!(rs.len(), 3);
        assert!(parse_rules("read,,write", Action::Allow).is_err());
        assert!(parse_rule("mk-dir", Action::Allow).is_err());
        assert!(parse_rule("mkdir:arg1>0:arg1<9", Action::Allow).is_err());
        let two = parse_rule("mmap:arg2==3:arg3>0", Action::Allow).unwrap();
        assert_eq!(two.conds.len(), 2);
    }

    #[test]
    fn errno_rules_take_a_name_or_a_number_first() {
        let r = parse_errno_rules("EPERM:fchownat").unwrap();
        assert_eq!(r[0].action, Action::Errno(1));
        assert_eq!(r[0].syscall, "fchownat");
        let r = parse_errno_rules("38:clone3,keyctl").unwrap();
        assert_eq!(r[1].action, Action::Errno(38));
        let r = parse_errno_rules("EPERM:unshare:arg0&0x10000000==0x10000000").unwrap();
        assert_eq!(r[0].conds.len(), 1);
        let r = parse_errno_rules("fchownat").unwrap();
        assert_eq!(r[0].action, Action::Errno(1));
        assert!(parse_errno_rules("ENOTANERRNO:x")
            .unwrap_err()
            .contains("ENOTANERRNO"));
    }

    #[test]
    fn errno_names_round_trip() {
        assert_eq!(parse_errno("EPERM"), Some(1));
        assert_eq!(parse_errno("ENOSYS"), Some(38));
        assert_eq!(errno_name(38), "ENOSYS");
        assert_eq!(parse_errno("EWHAT"), None);
        assert_eq!(parse_errno("70000"), None);
    }

    #[test]
    fn actions() {
        assert_eq!(parse_action("kill").unwrap(), Action::KillProcess);
        assert_eq!(parse_action("kill-thread").unwrap(), Action::KillThread);
        assert_eq!(parse_action("errno").unwrap(), Action::Errno(1));
        assert_eq!(parse_action("errno:EACCES").unwrap(), Action::Errno(13));
        assert_eq!(parse_action("trace:7").unwrap(), Action::Trace(7));
        assert!(parse_action("explode").unwrap_err().contains("explode"));
        assert!(parse_action("allow:1").is_err());
        assert_eq!(
            parse_action(&Action::Errno(13).name()).unwrap(),
            Action::Errno(13)
        );
    }
}
