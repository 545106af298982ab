//! The limits by prlimit(1)'s names, and their values as people write
//! them. Nothing here makes a system call.

use nix::sys::resource::Resource;

/// How a limit is counted: byte limits take K/M/G suffixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Seconds,
    Microseconds,
    Count,
    /// RLIMIT_NICE: 20 - nice value, 0 to 40.
    NiceCeiling,
    Priority,
}

/// One RLIMIT_*: its prlimit name, the resource and what it counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Info {
    pub name: &'static str,
    pub resource: Resource,
    pub unit: Unit,
    pub what: &'static str,
}

/// Every RLIMIT_* of Linux, under the names prlimit(1) gives them.
pub const TABLE: [Info; 16] = [
    info("as", Resource::RLIMIT_AS, Unit::Bytes, "address space"),
    info("core", Resource::RLIMIT_CORE, Unit::Bytes, "core file size"),
    info("cpu", Resource::RLIMIT_CPU, Unit::Seconds, "CPU time"),
    info("data", Resource::RLIMIT_DATA, Unit::Bytes, "data segment"),
    info("fsize", Resource::RLIMIT_FSIZE, Unit::Bytes, "file size"),
    info("locks", Resource::RLIMIT_LOCKS, Unit::Count, "file locks"),
    info(
        "memlock",
        Resource::RLIMIT_MEMLOCK,
        Unit::Bytes,
        "locked memory",
    ),
    info(
        "msgqueue",
        Resource::RLIMIT_MSGQUEUE,
        Unit::Bytes,
        "POSIX message queues",
    ),
    info(
        "nice",
        Resource::RLIMIT_NICE,
        Unit::NiceCeiling,
        "nice ceiling (20 - nice)",
    ),
    info("nofile", Resource::RLIMIT_NOFILE, Unit::Count, "open files"),
    info(
        "nproc",
        Resource::RLIMIT_NPROC,
        Unit::Count,
        "processes of the user",
    ),
    info(
        "rss",
        Resource::RLIMIT_RSS,
        Unit::Bytes,
        "resident set (not enforced)",
    ),
    info(
        "rtprio",
        Resource::RLIMIT_RTPRIO,
        Unit::Priority,
        "real-time priority",
    ),
    info(
        "rttime",
        Resource::RLIMIT_RTTIME,
        Unit::Microseconds,
        "real-time CPU time",
    ),
    info(
        "sigpending",
        Resource::RLIMIT_SIGPENDING,
        Unit::Count,
        "pending signals",
    ),
    info("stack", Resource::RLIMIT_STACK, Unit::Bytes, "stack size"),
];

const fn info(name: &'static str, resource: Resource, unit: Unit, what: &'static str) -> Info {
    Info {
        name,
        resource,
        unit,
        what,
    }
}

/// The limit called `name` (any case, with or without RLIMIT_).
pub fn lookup(name: &str) -> Option<&'static Info> {
    let lower = name.to_ascii_lowercase();
    let bare = lower.strip_prefix("rlimit_").unwrap_or(&lower);
    TABLE.iter().find(|i| i.name == bare)
}

/// One side of a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    Limited(u64),
    Unlimited,
}

impl Value {
    /// As setrlimit(2) takes it.
    pub fn raw(self) -> u64 {
        match self {
            Value::Limited(n) => n,
            Value::Unlimited => libc::RLIM_INFINITY,
        }
    }

    pub fn from_raw(raw: u64) -> Value {
        if raw == libc::RLIM_INFINITY {
            Value::Unlimited
        } else {
            Value::Limited(raw)
        }
    }

    /// `unlimited`, or the number (with the largest exact K/M/G for bytes).
    pub fn show(self, unit: Unit) -> String {
        match self {
            Value::Unlimited => "unlimited".into(),
            Value::Limited(n) if unit == Unit::Bytes && n > 0 => {
                for (suffix, shift) in [("G", 30), ("M", 20), ("K", 10)] {
                    if n % (1 << shift) == 0 {
                        return format!("{}{suffix}", n >> shift);
                    }
                }
                n.to_string()
            }
            Value::Limited(n) => n.to_string(),
        }
    }
}

/// Parses one side: `unlimited` (or `infinity`), a number, and for byte
/// limits a K, M or G suffix (powers of 1024).
pub fn parse_value(text: &str, unit: Unit) -> Result<Value, String> {
    if text == "unlimited" || text == "infinity" {
        return Ok(Value::Unlimited);
    }
    let (digits, shift) = match text.char_indices().last() {
        Some((i, c)) if "kKmMgG".contains(c) => {
            if unit != Unit::Bytes {
                return Err(format!(
                    "'{text}': a K, M or G suffix is only for byte limits"
                ));
            }
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                _ => 30,
            };
            (&text[..i], shift)
        }
        _ => (text, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' is not a number or unlimited"));
    }
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("'{text}' is too large"))?;
    let n = n
        .checked_mul(1 << shift)
        .filter(|n| *n != libc::RLIM_INFINITY)
        .ok_or_else(|| format!("'{text}' is too large (use unlimited)"))?;
    Ok(Value::Limited(n))
}

/// What NAME=VALUE asks for: a side left out (`:HARD`, `SOFT:`) keeps
/// what is in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub info: &'static Info,
    pub soft: Option<Value>,
    pub hard: Option<Value>,
}

/// Parses `name=SOFT:HARD`, `name=V`, `name=:HARD` or `name=SOFT:`.
pub fn parse_limit(word: &str) -> Result<Limit, String> {
    let (name, spec) = word
        .split_once('=')
        .ok_or_else(|| format!("'{word}' is not NAME=VALUE"))?;
    let info = lookup(name).ok_or_else(|| {
        let names: Vec<&str> = TABLE.iter().map(|i| i.name).collect();
        format!("unknown limit '{name}' (known: {})", names.join(", "))
    })?;
    let side = |s: &str| -> Result<Option<Value>, String> {
        if s.is_empty() {
            Ok(None)
        } else {
            parse_value(s, info.unit)
                .map(Some)
                .map_err(|e| format!("invalid {name}: {e}"))
        }
    };
    let (soft, hard) = match spec.split_once(':') {
        Some((s, h)) => (side(s)?, side(h)?),
        None if spec.is_empty() => (None, None),
        None => {
            let v = side(spec)?;
            (v, v)
        }
    };
    if soft.is_none() && hard.is_none() {
        return Err(format!(
            "invalid {name}: no value (SOFT:HARD, one value for both, :HARD or SOFT:)"
        ));
    }
    if let (Some(s), Some(h)) = (soft, hard) {
        if s > h {
            return Err(format!(
                "invalid {name}: the soft limit {} is above the hard limit {}",
                s.show(info.unit),
                h.show(info.unit)
            ));
        }
    }
    Ok(Limit { info, soft, hard })
}

/// Whether an operand is meant as a limit: a lowercase name and `=`. A
/// misspelt name is then an error, not a command to run.
pub fn looks_like_limit(word: &str) -> bool {
    match word.split_once('=') {
        Some((key, _)) => {
            !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prlimit_name_is_known() {
        for name in [
            "as",
            "core",
            "cpu",
            "data",
            "fsize",
            "locks",
            "memlock",
            "msgqueue",
            "nice",
            "nofile",
            "nproc",
            "rss",
            "rtprio",
            "rttime",
            "sigpending",
            "stack",
        ] {
            assert_eq!(lookup(name).unwrap().name, name);
        }
        assert_eq!(lookup("RLIMIT_NOFILE").unwrap().name, "nofile");
        assert!(lookup("nofiles").is_none());
    }

    #[test]
    fn values_and_suffixes() {
        assert_eq!(parse_value("1024", Unit::Count), Ok(Value::Limited(1024)));
        assert_eq!(parse_value("unlimited", Unit::Count), Ok(Value::Unlimited));
        assert_eq!(parse_value("infinity", Unit::Bytes), Ok(Value::Unlimited));
        assert_eq!(parse_value("1G", Unit::Bytes), Ok(Value::Limited(1 << 30)));
        assert_eq!(
            parse_value("64k", Unit::Bytes),
            Ok(Value::Limited(64 << 10))
        );
        assert_eq!(parse_value("8M", Unit::Bytes), Ok(Value::Limited(8 << 20)));
        assert!(parse_value("1K", Unit::Count)
            .unwrap_err()
            .contains("only for byte"));
        for bad in ["", "-1", "1.5", "K", "0x10", " 1", "18446744073709551615"] {
            assert!(parse_value(bad, Unit::Bytes).is_err(), "{bad}");
        }
        assert!(parse_value("99999999999999999999G", Unit::Bytes).is_err());
        assert!(parse_value("17179869184G", Unit::Bytes).is_err());
    }

    #[test]
    fn soft_hard_and_one_side() {
        let l = parse_limit("nofile=512:1024").unwrap();
        assert_eq!(
            (l.soft, l.hard),
            (Some(Value::Limited(512)), Some(Value::Limited(1024)))
        );
        let l = parse_limit("core=0").unwrap();
        assert_eq!(
            (l.soft, l.hard),
            (Some(Value::Limited(0)), Some(Value::Limited(0)))
        );
        let l = parse_limit("nofile=:4096").unwrap();
        assert_eq!((l.soft, l.hard), (None, Some(Value::Limited(4096))));
        let l = parse_limit("stack=8M:").unwrap();
        assert_eq!((l.soft, l.hard), (Some(Value::Limited(8 << 20)), None));
        let l = parse_limit("as=1G:unlimited").unwrap();
        assert_eq!(l.hard, Some(Value::Unlimited));
    }

    #[test]
    fn bad_limits_are_one_clear_message() {
        assert!(parse_limit("nofle=10")
            .unwrap_err()
            .contains("unknown limit 'nofle'"));
        assert!(parse_limit("nofile=").unwrap_err().contains("no value"));
        assert!(parse_limit("nofile=:").unwrap_err().contains("no value"));
        assert!(parse_limit("nofile=20:10")
            .unwrap_err()
            .contains("above the hard"));
        assert!(parse_limit("nofile=unlimited:10").is_err());
        assert!(parse_limit("nofile=1:2:3").is_err());
        assert!(parse_limit("cpu=10K")
            .unwrap_err()
            .contains("only for byte"));
    }

    #[test]
    fn shown_as_written() {
        assert_eq!(Value::Limited(1 << 30).show(Unit::Bytes), "1G");
        assert_eq!(Value::Limited(1536).show(Unit::Bytes), "1536");
        assert_eq!(Value::Limited(0).show(Unit::Bytes), "0");
        assert_eq!(Value::Limited(2048).show(Unit::Count), "2048");
        assert_eq!(Value::Unlimited.show(Unit::Count), "unlimited");
        assert_eq!(Value::from_raw(libc::RLIM_INFINITY), Value::Unlimited);
    }

    #[test]
    fn operands_that_are_limits() {
        assert!(looks_like_limit("nofile=1"));
        assert!(looks_like_limit("nofle=1"));
        assert!(!looks_like_limit("sh"));
        assert!(!looks_like_limit("/bin/x=1"));
        assert!(!looks_like_limit("=1"));
    }
}
