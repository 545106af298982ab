//! Docker/moby and OCI runtime-spec seccomp profiles (JSON), and their
//! evaluation against the running host.
//!
//! The fields are checked by hand rather than with serde's
//! `deny_unknown_fields`: moby's files carry fields that decide nothing
//! ("comment") beside ones that decide a lot ("includes"), and an unknown
//! field must be an error that says where it is, never silently ignored.

use crate::rules::{Action, Cond, Op, Rule};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// A profile, before it is evaluated against a host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    pub default_action: Option<Action>,
    /// `architectures`: SCMP_ARCH_* names, all added.
    pub architectures: Vec<String>,
    /// `archMap`: a main SCMP_ARCH_* name and its sub-architectures; only
    /// the entry of the native architecture applies.
    pub arch_map: Vec<(String, Vec<String>)>,
    pub entries: Vec<Entry>,
    /// `flags`: SECCOMP_FILTER_FLAG_* names.
    pub flags: Vec<String>,
}

/// One `syscalls[]` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    pub names: Vec<String>,
    pub action: Option<Action>,
    pub conds: Vec<Cond>,
    pub includes: When,
    pub excludes: When,
}

/// moby's `includes` / `excludes`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct When {
    pub caps: Vec<String>,
    /// Go architecture names: amd64, x86, x32, arm64, ...
    pub arches: Vec<String>,
    pub min_kernel: Option<(u32, u32)>,
}

/// What the entries are evaluated against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    /// The native architecture, as Go names it (amd64).
    pub go_arch: String,
    /// The capabilities the command can hold, as CAP_* names.
    pub caps: BTreeSet<String>,
    /// The running kernel's (major, minor).
    pub kernel: (u32, u32),
}

/// The evaluated profile: what goes into the filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decided {
    pub default_action: Option<Action>,
    pub arches: Vec<String>,
    pub rules: Vec<Rule>,
    pub flags: Vec<String>,
}

impl Profile {
    /// Picks the entries that apply to `host`, as moby does: `includes`
    /// needs every listed cap and the native arch among the arches and a
    /// kernel at least minKernel; `excludes` skips the entry if any listed
    /// cap is held or the native arch is listed.
    pub fn decide(&self, host: &Host, native_scmp: &str) -> Decided {
        let mut rules = Vec::new();
        for e in &self.entries {
            let inc = &e.includes;
            let exc = &e.excludes;
            let included = inc.caps.iter().all(|c| host.caps.contains(c))
                && (inc.arches.is_empty() || inc.arches.contains(&host.go_arch))
                && match inc.min_kernel {
                    Some(k) => host.kernel >= k,
                    None => true,
                };
            let excluded = exc.caps.iter().any(|c| host.caps.contains(c))
                || exc.arches.contains(&host.go_arch)
                || exc.min_kernel.is_some_and(|k| host.kernel >= k);
            if !included || excluded {
                continue;
            }
            let action = e.action.unwrap_or(Action::Allow);
            for name in &e.names {
                rules.push(Rule {
                    syscall: name.clone(),
                    action,
                    conds: e.conds.clone(),
                });
            }
        }
        let mut arches = self.architectures.clone();
        for (main, subs) in &self.arch_map {
            if main == native_scmp {
                arches.push(main.clone());
                arches.extend(subs.iter().cloned());
            }
        }
        arches.dedup();
        Decided {
            default_action: self.default_action,
            arches,
            rules,
            flags: self.flags.clone(),
        }
    }
}

/// Reads a profile from JSON text; errors name the field, e.g.
/// `syscalls[3].action: unknown action "SCMP_ACT_EXPLODE"`.
pub fn parse(text: &str) -> Result<Profile, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let top = object(&value, "the profile")?;
    let mut p = Profile::default();
    let default_errno = errno_fields(top, "defaultErrnoRet", "defaultErrno", "")?;
    for (key, v) in top {
        match key.as_str() {
            "defaultAction" => {
                p.default_action = Some(action(v, default_errno, "defaultAction")?);
            }
            "defaultErrnoRet" | "defaultErrno" => {
                let a = top.get("defaultAction").and_then(Value::as_str);
                if !matches!(a, Some("SCMP_ACT_ERRNO" | "SCMP_ACT_TRACE")) {
                    return Err(format!(
                        "{key}: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno"
                    ));
                }
            }
            "architectures" => p.architectures = strings(v, "architectures")?,
            "archMap" => p.arch_map = arch_map(v)?,
            "syscalls" => {
                if !v.is_null() {
                    for (i, s) in array(v, "syscalls")?.iter().enumerate() {
                        p.entries.push(entry(s, &format!("syscalls[{i}]"))?);
                    }
                }
            }
            "flags" => p.flags = flags(v)?,
            "listenerPath" | "listenerMetadata" => {
                return Err(format!(
                    "{key}: handing the listener to another process is not supported \
                     (sk-seccomp --notify supervises it itself)"
                ))
            }
            _ => return Err(unknown("the profile", key)),
        }
    }
    if p.default_action.is_none() {
        return Err("defaultAction: missing".into());
    }
    Ok(p)
}

/// The filter flags of the OCI runtime spec; each is honoured (see
/// NOTES), none ignored.
pub const FLAGS: [&str; 4] = [
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
];

fn flags(v: &Value) -> Result<Vec<String>, String> {
    let list = strings(v, "flags")?;
    for (i, f) in list.iter().enumerate() {
        if !FLAGS.contains(&f.as_str()) {
            return Err(format!("flags[{i}]: unknown flag \"{f}\""));
        }
    }
    Ok(list)
}

fn arch_map(v: &Value) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut out = Vec::new();
    for (i, m) in array(v, "archMap")?.iter().enumerate() {
        let at = format!("archMap[{i}]");
        let m = object(m, &at)?;
        let mut main = None;
        let mut subs = Vec::new();
        for (k, v) in m {
            match k.as_str() {
                "architecture" => main = Some(string(v, &format!("{at}.architecture"))?),
                "subArchitectures" => subs = strings(v, &format!("{at}.subArchitectures"))?,
                _ => return Err(unknown(&at, k)),
            }
        }
        let main = main.ok_or_else(|| format!("{at}: no \"architecture\""))?;
        out.push((main, subs));
    }
    Ok(out)
}

/// The errno of an entry (or of the default): `errnoRet` (a number, OCI
/// and moby) and/or `errno` (a name, containers/common); when both are
/// given they must agree.
fn errno_fields(
    m: &Map<String, Value>,
    num_key: &str,
    name_key: &str,
    at: &str,
) -> Result<Option<u16>, String> {
    let here = |k: &str| {
        if at.is_empty() {
            k.to_string()
        } else {
            format!("{at}.{k}")
        }
    };
    let num = match m.get(num_key) {
        Some(v) => Some(errno_ret(v, &here(num_key))?),
        None => None,
    };
    let named = match m.get(name_key) {
        Some(v) => {
            let s = string(v, &here(name_key))?;
            Some(
                crate::rules::parse_errno(&s)
                    .ok_or_else(|| format!("{}: unknown errno \"{s}\"", here(name_key)))?,
            )
        }
        None => None,
    };
    match (num, named) {
        (Some(n), Some(e)) if n != e => Err(format!(
            "{}: {} disagrees with {} {n}",
            here(name_key),
            crate::rules::errno_name(e),
            num_key
        )),
        _ => Ok(num.or(named)),
    }
}

fn entry(v: &Value, at: &str) -> Result<Entry, String> {
    let m = object(v, at)?;
    let errno = errno_fields(m, "errnoRet", "errno", at)?;
    let mut e = Entry::default();
    for (k, v) in m {
        let here = format!("{at}.{k}");
        match k.as_str() {
            "names" => e.names.extend(strings(v, &here)?),
            "name" => e.names.push(string(v, &here)?),
            "action" => e.action = Some(action(v, errno, &here)?),
            "errnoRet" | "errno" => {
                let a = m.get("action").and_then(Value::as_str);
                if !matches!(a, Some("SCMP_ACT_ERRNO" | "SCMP_ACT_TRACE")) {
                    return Err(format!(
                        "{here}: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno"
                    ));
                }
            }
            "args" => {
                if !v.is_null() {
                    for (j, a) in array(v, &here)?.iter().enumerate() {
                        e.conds.push(arg(a, &format!("{here}[{j}]"))?);
                    }
                }
            }
            "includes" => e.includes = when(v, &here)?,
            "excludes" => e.excludes = when(v, &here)?,
            // Words for people; they decide nothing.
            "comment" => {
                string(v, &here)?;
            }
            _ => return Err(unknown(at, k)),
        }
    }
    if e.action.is_none() {
        return Err(format!("{at}: no \"action\""));
    }
    Ok(e)
}

fn arg(v: &Value, at: &str) -> Result<Cond, String> {
    let m = object(v, at)?;
    let (mut index, mut value, mut value_two, mut op) = (None, 0u64, 0u64, None);
    for (k, v) in m {
        let here = format!("{at}.{k}");
        match k.as_str() {
            "index" => index = Some(number(v, &here)?),
            "value" => value = number(v, &here)?,
            "valueTwo" => value_two = number(v, &here)?,
            "op" => op = Some(string(v, &here)?),
            _ => return Err(unknown(at, k)),
        }
    }
    let index = index.ok_or_else(|| format!("{at}: no \"index\""))?;
    if index > u64::from(crate::rules::MAX_ARG) {
        return Err(format!(
            "{at}.index: {index} is not an argument index (0 to 5)"
        ));
    }
    let op = op.ok_or_else(|| format!("{at}: no \"op\""))?;
    if value_two != 0 && op != "SCMP_CMP_MASKED_EQ" {
        return Err(format!(
            "{at}.valueTwo: only SCMP_CMP_MASKED_EQ takes a second value ({op} compares with value)"
        ));
    }
    let (op, value) = match op.as_str() {
        "SCMP_CMP_EQ" => (Op::Eq, value),
        "SCMP_CMP_NE" => (Op::Ne, value),
        "SCMP_CMP_LT" => (Op::Lt, value),
        "SCMP_CMP_LE" => (Op::Le, value),
        "SCMP_CMP_GT" => (Op::Gt, value),
        "SCMP_CMP_GE" => (Op::Ge, value),
        // The OCI spec's order: value is the mask, valueTwo the datum.
        "SCMP_CMP_MASKED_EQ" => (Op::MaskedEq(value), value_two),
        other => return Err(format!("{at}.op: unknown operator \"{other}\"")),
    };
    Ok(Cond {
        index: index as u32,
        op,
        value,
    })
}

fn when(v: &Value, at: &str) -> Result<When, String> {
    if v.is_null() {
        return Ok(When::default());
    }
    let m = object(v, at)?;
    let mut w = When::default();
    for (k, v) in m {
        let here = format!("{at}.{k}");
        match k.as_str() {
            "caps" => w.caps = strings(v, &here)?,
            "arches" => w.arches = strings(v, &here)?,
            "minKernel" => {
                let s = string(v, &here)?;
                w.min_kernel = Some(
                    parse_kernel(&s)
                        .ok_or_else(|| format!("{here}: \"{s}\" is not a kernel version"))?,
                );
            }
            _ => return Err(unknown(at, k)),
        }
    }
    Ok(w)
}

fn action(v: &Value, errno: Option<u16>, at: &str) -> Result<Action, String> {
    let s = string(v, at)?;
    Ok(match s.as_str() {
        "SCMP_ACT_ALLOW" => Action::Allow,
        // SCMP_ACT_KILL is the thread, as in libseccomp and runc.
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => Action::KillThread,
        "SCMP_ACT_KILL_PROCESS" => Action::KillProcess,
        "SCMP_ACT_TRAP" => Action::Trap,
        "SCMP_ACT_LOG" => Action::Log,
        "SCMP_ACT_ERRNO" => Action::Errno(errno.unwrap_or(libc::EPERM as u16)),
        "SCMP_ACT_TRACE" => Action::Trace(errno.unwrap_or(libc::EPERM as u16)),
        "SCMP_ACT_NOTIFY" => Action::Notify,
        other => return Err(format!("{at}: unknown action \"{other}\"")),
    })
}

/// "4.8" or "5.10.3" as (major, minor); also a uname release such as
/// "6.1.0-18-amd64".
pub fn parse_kernel(s: &str) -> Option<(u32, u32)> {
    let mut parts = s.split(['.', '-', '+']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    Some((major, minor))
}

fn unknown(at: &str, key: &str) -> String {
    format!("{at}: unknown field \"{key}\"")
}

fn object<'a>(v: &'a Value, at: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{at}: expected an object"))
}

fn array<'a>(v: &'a Value, at: &str) -> Result<&'a Vec<Value>, String> {
    v.as_array()
        .ok_or_else(|| format!("{at}: expected an array"))
}

fn string(v: &Value, at: &str) -> Result<String, String> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{at}: expected a string"))
}

/// An array of strings; null reads as empty, as Go writes nil slices.
fn strings(v: &Value, at: &str) -> Result<Vec<String>, String> {
    if v.is_null() {
        return Ok(Vec::new());
    }
    array(v, at)?
        .iter()
        .enumerate()
        .map(|(i, s)| string(s, &format!("{at}[{i}]")))
        .collect()
}

fn number(v: &Value, at: &str) -> Result<u64, String> {
    v.as_u64()
        .ok_or_else(|| format!("{at}: expected an unsigned integer"))
}

fn errno_ret(v: &Value, at: &str) -> Result<u16, String> {
    let n = number(v, at)?;
    u16::try_from(n)
        .ok()
        .filter(|n| *n <= 4095)
        .ok_or_else(|| format!("{at}: {n} is not an errno"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(caps: &[&str]) -> Host {
        Host {
            go_arch: "amd64".into(),
            caps: caps.iter().map(|s| s.to_string()).collect(),
            kernel: (6, 1),
        }
    }

    const SMALL: &str = r#"{
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": null}],
        "syscalls": [
          {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "io"},
          {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
           "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
           "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
          {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
          {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
           "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
          {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
          {"names": ["futex_waitv"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "7.1"}},
          {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
          {"names": ["set_tls"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm"]}}
        ]}"#;

    #[test]
    fn a_moby_profile_is_read_with_its_conditions() {
        let p = parse(SMALL).unwrap();
        assert_eq!(p.default_action, Some(Action::Errno(1)));
        assert_eq!(p.entries.len(), 8);
        assert_eq!(
            p.entries[1].conds,
            [Cond {
                index: 0,
                op: Op::MaskedEq(2114060288),
                value: 0
            }]
        );
        assert_eq!(p.entries[3].action, Some(Action::Errno(38)));
    }

    #[test]
    fn capabilities_decide_the_entries_as_moby_does() {
        let p = parse(SMALL).unwrap();
        let names = |d: Decided| {
            d.rules
                .iter()
                .map(|r| r.syscall.clone())
                .collect::<Vec<_>>()
        };
        let without = p.decide(&host(&[]), "SCMP_ARCH_X86_64");
        assert_eq!(without.arches, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]);
        assert_eq!(
            names(without),
            ["read", "write", "clone", "clone3", "ptrace", "arch_prctl"]
        );
        let with = p.decide(&host(&["CAP_SYS_ADMIN"]), "SCMP_ARCH_X86_64");
        assert_eq!(
            names(with),
            ["read", "write", "mount", "ptrace", "arch_prctl"]
        );
    }

    #[test]
    fn unknown_fields_and_actions_are_named_with_their_place() {
        let cases = [
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "bogus": 1}"#,
                "the profile: unknown field \"bogus\"",
            ),
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_EXPLODE"}]}"#,
                "syscalls[0].action: unknown action \"SCMP_ACT_EXPLODE\"",
            ),
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_SOMETIMES"}]}]}"#,
                "syscalls[0].args[0].op: unknown operator \"SCMP_CMP_SOMETIMES\"",
            ),
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"moon": "full"}}]}"#,
                "syscalls[0].includes: unknown field \"moon\"",
            ),
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#,
                "syscalls[0].args[0].index",
            ),
            (r#"{"syscalls": []}"#, "defaultAction: missing"),
            (r#"{"defaultAction": "SCMP_ACT_ALLOW", "#, "invalid JSON"),
        ];
        for (text, want) in cases {
            let err = parse(text).unwrap_err();
            assert!(err.contains(want), "{err} does not contain {want}");
        }
    }

    #[test]
    fn every_field_of_the_format_is_honoured_or_refused_by_name() {
        // containers/common writes errno names beside the numbers, nulls
        // for empty lists and empty includes.
        let p = parse(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "defaultErrno": "ENOSYS",
                "flags": ["SECCOMP_FILTER_FLAG_LOG"],
                "syscalls": [{"names": ["sysfs"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                              "errno": "EPERM", "args": null, "comment": "", "includes": {},
                              "excludes": null},
                             {"name": "read", "action": "SCMP_ACT_ALLOW",
                              "args": [{"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
                             {"names": ["uname"], "action": "SCMP_ACT_ERRNO", "errno": "EACCES"}]}"#,
        )
        .unwrap();
        assert_eq!(p.default_action, Some(Action::Errno(38)));
        assert_eq!(p.flags, ["SECCOMP_FILTER_FLAG_LOG"]);
        assert_eq!(p.entries[0].action, Some(Action::Errno(1)));
        assert_eq!(p.entries[1].names, ["read"]);
        assert_eq!(p.entries[2].action, Some(Action::Errno(13)));
        let refused = [
            (
                r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "defaultErrno": "ENOSYS"}"#,
                "defaultErrno: ENOSYS disagrees with defaultErrnoRet 1",
            ),
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1}"#,
                "defaultErrnoRet: only SCMP_ACT_ERRNO",
            ),
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/x.sock"}"#,
                "listenerPath: handing the listener",
            ),
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "x"}"#,
                "listenerMetadata",
            ),
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_MAGIC"]}"#,
                "flags[0]: unknown flag",
            ),
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}]}"#,
                "syscalls[0].errnoRet: only SCMP_ACT_ERRNO",
            ),
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errno": "EWHAT"}]}"#,
                "syscalls[0].errno: unknown errno",
            ),
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 1, "valueTwo": 2, "op": "SCMP_CMP_EQ"}]}]}"#,
                "syscalls[0].args[0].valueTwo: only SCMP_CMP_MASKED_EQ",
            ),
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL", "comment": 5}]}"#,
                "syscalls[0].comment: expected a string",
            ),
        ];
        for (text, want) in refused {
            let err = parse(text).unwrap_err();
            assert!(err.contains(want), "{err} does not contain {want}");
        }
    }

    #[test]
    fn kernel_versions() {
        assert_eq!(parse_kernel("4.8"), Some((4, 8)));
        assert_eq!(parse_kernel("6.1.0-18-amd64"), Some((6, 1)));
        assert_eq!(parse_kernel("6.18.44-fc-v782"), Some((6, 18)));
        assert_eq!(parse_kernel("five"), None);
    }
}
