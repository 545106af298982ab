//! The limits a user types (`cpu=20000`, `memory=64M`, ...) and the
//! interface files they become on cgroup v1 and on cgroup v2.
//!
//! Everything here is pure: words in, file names and values out. Both
//! renderings are computed up front; which one is used depends on the
//! hierarchy that offers the controller on this machine (see `hierarchy.rs`).

use std::fmt;

use crate::devices::{self, Rule};

/// The CFS period the kernel uses when none is set (100 ms).
pub const DEFAULT_PERIOD_US: u64 = 100_000;
/// The kernel refuses a CFS quota or period below 1 ms ...
const MIN_CFS_US: u64 = 1_000;
/// ... and a period above 1 s.
const MAX_PERIOD_US: u64 = 1_000_000;

/// Which cgroup interface a hierarchy speaks.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

/// A CPU quota as typed: microseconds per period, a share of one CPU
/// (`0.2`, `20%`), or no limit.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum CpuQuota {
    Micros(u64),
    Cpus(f64),
    Max,
}

/// A byte count, or `max` (no limit).
pub type Bytes = Option<u64>;

/// All limits of one command line, each at most once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Limits {
    pub cpu: Option<CpuQuota>,
    pub cpu_period: Option<u64>,
    pub cpu_weight: Option<u64>,
    pub memory: Option<Bytes>,
    pub memory_high: Option<Bytes>,
    pub memory_swap: Option<Bytes>,
    pub pids: Option<Option<u64>>,
    pub cpuset: Option<String>,
    pub mems: Option<String>,
    pub io_weight: Option<u64>,
    /// `file.name=value`: an interface file written as given.
    pub raw: Vec<(String, String)>,
    /// Device rules (--devices, --device-rule): deny every device but
    /// these. None: the devices are left as the parent group has them.
    pub devices: Option<Vec<Rule>>,
    /// The words as typed, by key, for messages.
    typed: Vec<(String, String)>,
}

/// The keys sk-cgroup knows, for the message about an unknown one.
pub const KEYS: &str = "cpu, cpu-period, cpu-weight, memory, memory-high, memory-swap, pids, \
cpuset, mems, io-weight, or an interface file such as memory.oom_control";

/// Whether an operand is a limit rather than the start of the command: a
/// lower-case key, `=`, a value. Commands rarely start that way; `--`
/// ends the limits for those that do.
pub fn looks_like_limit(word: &str) -> bool {
    match word.split_once('=') {
        Some((key, _)) => {
            key.starts_with(|c: char| c.is_ascii_lowercase())
                && key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c))
        }
        None => false,
    }
}

impl Limits {
    /// Adds one `key=value` word.
    pub fn add(&mut self, word: &str) -> Result<(), String> {
        let (key, value) = word
            .split_once('=')
            .ok_or_else(|| format!("'{word}' is not KEY=VALUE"))?;
        if self.typed.iter().any(|(k, _)| k == key) {
            return Err(format!("limit {key} given twice"));
        }
        let bad = |what: &str| format!("invalid {key}={value}: {what}");
        match key {
            "cpu" => self.cpu = Some(parse_cpu(value).map_err(|e| bad(&e))?),
            "cpu-period" => {
                let us = parse_u64(value).map_err(|e| bad(&e))?;
                if !(MIN_CFS_US..=MAX_PERIOD_US).contains(&us) {
                    return Err(bad("the period must be 1000 to 1000000 microseconds"));
                }
                self.cpu_period = Some(us);
            }
            "cpu-weight" => {
                self.cpu_weight = Some(parse_range(value, 1, 10_000).map_err(|e| bad(&e))?)
            }
            "memory" => self.memory = Some(parse_bytes(value).map_err(|e| bad(&e))?),
            "memory-high" => self.memory_high = Some(parse_bytes(value).map_err(|e| bad(&e))?),
            "memory-swap" => self.memory_swap = Some(parse_bytes(value).map_err(|e| bad(&e))?),
            "pids" => {
                self.pids = Some(if value == "max" {
                    None
                } else {
                    Some(parse_u64(value).map_err(|e| bad(&e))?)
                })
            }
            "cpuset" => self.cpuset = Some(parse_list(value).map_err(|e| bad(&e))?),
            "mems" => self.mems = Some(parse_list(value).map_err(|e| bad(&e))?),
            "io-weight" => {
                self.io_weight = Some(parse_range(value, 1, 10_000).map_err(|e| bad(&e))?)
            }
            file if file.contains('.') => {
                check_file_name(file).map_err(|e| bad(&e))?;
                if value.contains('\n') {
                    return Err(bad("a value is one line"));
                }
                self.raw.push((file.to_string(), value.to_string()));
            }
            _ => return Err(format!("unknown limit '{key}' (known: {KEYS})")),
        }
        self.typed.push((key.to_string(), value.to_string()));
        Ok(())
    }

    /// Parses all limit words.
    pub fn parse<'a>(words: impl IntoIterator<Item = &'a str>) -> Result<Limits, String> {
        let mut limits = Limits::default();
        for w in words {
            limits.add(w)?;
        }
        Ok(limits)
    }

    pub fn is_empty(&self) -> bool {
        self.typed.is_empty()
    }

    /// A limit as typed (`memory=64M`), if it was given.
    pub fn shown(&self, key: &str) -> Option<String> {
        self.typed
            .iter()
            .any(|(k, _)| k == key)
            .then(|| self.typed(key))
    }

    fn typed(&self, key: &str) -> String {
        let value = self
            .typed
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        format!("{key}={value}")
    }

    /// What each group of limits needs: a controller, and the files to write
    /// on v1 and on v2, in the order they must be written.
    pub fn needs(&self) -> Vec<Need> {
        let mut needs = self.cpu_needs();
        needs.extend(self.memory_needs());
        needs.extend(self.other_needs());
        needs
    }

    /// cpu= or cpu-period=, and cpu-weight=.
    fn cpu_needs(&self) -> Vec<Need> {
        let mut needs = Vec::new();
        if self.cpu.is_some() || self.cpu_period.is_some() {
            let key = if self.cpu.is_some() {
                "cpu"
            } else {
                "cpu-period"
            };
            needs.push(Need::same(
                self.typed(key),
                "cpu",
                self.cpu_v1(),
                self.cpu_v2(),
            ));
        }
        if let Some(w) = self.cpu_weight {
            // systemd's mapping: weight 100 (v2 default) is 1024 shares (v1 default).
            let shares = (w * 1024 / 100).max(2);
            needs.push(Need::same(
                self.typed("cpu-weight"),
                "cpu",
                Ok(vec![Write::new("cpu.shares", shares)]),
                Ok(vec![Write::new("cpu.weight", w)]),
            ));
        }
        needs
    }

    /// memory=, memory-high= and memory-swap=.
    fn memory_needs(&self) -> Vec<Need> {
        let mut needs = Vec::new();
        if let Some(m) = self.memory {
            needs.push(Need::same(
                self.typed("memory"),
                "memory",
                Ok(vec![Write::new("memory.limit_in_bytes", v1_bytes(m))]),
                Ok(vec![Write::new("memory.max", v2_bytes(m))]),
            ));
        }
        if let Some(m) = self.memory_high {
            needs.push(Need::same(
                self.typed("memory-high"),
                "memory",
                Err(
                    "memory.high exists on cgroup v2 only; the nearest v1 file is \
                     memory.soft_limit_in_bytes=SIZE"
                        .into(),
                ),
                Ok(vec![Write::new("memory.high", v2_bytes(m))]),
            ));
        }
        if let Some(swap) = self.memory_swap {
            // v1 limits memory plus swap together, v2 swap alone.
            let v1 = match (self.memory, swap) {
                (_, None) | (Some(None), _) => {
                    Ok(vec![Write::new("memory.memsw.limit_in_bytes", "-1")])
                }
                (Some(Some(mem)), Some(s)) => Ok(vec![Write::new(
                    "memory.memsw.limit_in_bytes",
                    mem.saturating_add(s),
                )]),
                (None, Some(_)) => Err("on cgroup v1 memory-swap needs memory= too \
                     (memory.memsw.limit_in_bytes is memory plus swap)"
                    .into()),
            };
            needs.push(Need::same(
                self.typed("memory-swap"),
                "memory",
                v1,
                Ok(vec![Write::new("memory.swap.max", v2_bytes(swap))]),
            ));
        }
        needs
    }

    /// pids=, cpuset=, mems=, io-weight= and the raw FILE=VALUE writes.
    fn other_needs(&self) -> Vec<Need> {
        let mut needs = Vec::new();
        if let Some(p) = self.pids {
            let v = p.map_or("max".to_string(), |n| n.to_string());
            let w = vec![Write::new("pids.max", &v)];
            needs.push(Need::same(self.typed("pids"), "pids", Ok(w.clone()), Ok(w)));
        }
        for (key, file, value) in [
            ("cpuset", "cpuset.cpus", &self.cpuset),
            ("mems", "cpuset.mems", &self.mems),
        ] {
            if let Some(v) = value {
                let w = vec![Write::new(file, v)];
                needs.push(Need::same(self.typed(key), "cpuset", Ok(w.clone()), Ok(w)));
            }
        }
        if let Some(w) = self.io_weight {
            let v1 = if w <= 1000 {
                // CFQ had blkio.weight; BFQ, its successor, blkio.bfq.weight.
                Ok(vec![Write::choice(
                    &["blkio.bfq.weight", "blkio.weight"],
                    w,
                )])
            } else {
                Err("blkio weights on cgroup v1 go from 1 to 1000".into())
            };
            needs.push(Need {
                key: self.typed("io-weight"),
                controller_v1: "blkio".into(),
                controller_v2: "io".into(),
                v1,
                v2: Ok(vec![Write::new("io.weight", w)]),
                program: None,
            });
        }
        if let Some(rules) = &self.devices {
            let v1 = devices::v1_writes(rules)
                .into_iter()
                .map(|(file, value)| Write::new(file, value))
                .collect();
            needs.push(Need {
                key: "device rules".into(),
                controller_v1: "devices".into(),
                controller_v2: "devices".into(),
                v1: Ok(v1),
                // v2 has no devices files: a BPF program does it.
                v2: Ok(Vec::new()),
                program: Some(rules.clone()),
            });
        }
        for (file, value) in &self.raw {
            let controller = file.split('.').next().unwrap_or_default();
            let w = vec![Write::new(file, value)];
            needs.push(Need::same(
                format!("{file}={value}"),
                controller,
                Ok(w.clone()),
                Ok(w),
            ));
        }
        needs
    }

    fn quota_us(&self) -> Option<u64> {
        let period = self.cpu_period.unwrap_or(DEFAULT_PERIOD_US);
        match self.cpu? {
            CpuQuota::Micros(us) => Some(us),
            CpuQuota::Cpus(c) => Some((c * period as f64).round() as u64),
            CpuQuota::Max => None,
        }
    }

    fn cpu_check(&self) -> Result<(), String> {
        match self.quota_us() {
            Some(q) if q < MIN_CFS_US => Err(format!(
                "a quota of {q} us per period is below the kernel's minimum of {MIN_CFS_US} us"
            )),
            _ => Ok(()),
        }
    }

    fn cpu_v1(&self) -> Result<Vec<Write>, String> {
        self.cpu_check()?;
        let mut w = Vec::new();
        if let Some(p) = self.cpu_period {
            w.push(Write::new("cpu.cfs_period_us", p));
        }
        if self.cpu.is_some() {
            let q = self.quota_us().map_or("-1".to_string(), |q| q.to_string());
            w.push(Write::new("cpu.cfs_quota_us", q));
        }
        Ok(w)
    }

    fn cpu_v2(&self) -> Result<Vec<Write>, String> {
        self.cpu_check()?;
        let q = self.quota_us().map_or("max".to_string(), |q| q.to_string());
        let p = self.cpu_period.unwrap_or(DEFAULT_PERIOD_US);
        Ok(vec![Write::new("cpu.max", format!("{q} {p}"))])
    }
}

/// One interface-file write; the first of `files` that exists is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    pub files: Vec<String>,
    pub value: String,
}

impl Write {
    fn new(file: &str, value: impl fmt::Display) -> Write {
        Write {
            files: vec![file.to_string()],
            value: value.to_string(),
        }
    }

    fn choice(files: &[&str], value: impl fmt::Display) -> Write {
        Write {
            files: files.iter().map(|f| f.to_string()).collect(),
            value: value.to_string(),
        }
    }
}

/// What one limit needs: its controller (named differently on v1 and v2 for
/// io), and its writes on each version, or why that version cannot do it.
#[derive(Clone, Debug, PartialEq)]
pub struct Need {
    /// The limit as typed, e.g. `cpu=20%`.
    pub key: String,
    pub controller_v1: String,
    pub controller_v2: String,
    pub v1: Result<Vec<Write>, String>,
    pub v2: Result<Vec<Write>, String>,
    /// Device rules: on v2 a program attached to the group, which needs
    /// no controller of cgroup.controllers.
    pub program: Option<Vec<Rule>>,
}

impl Need {
    fn same(
        key: String,
        controller: &str,
        v1: Result<Vec<Write>, String>,
        v2: Result<Vec<Write>, String>,
    ) -> Need {
        Need {
            key,
            controller_v1: controller.into(),
            controller_v2: controller.into(),
            v1,
            v2,
            program: None,
        }
    }

    pub fn controller(&self, v: Version) -> &str {
        match v {
            Version::V1 => &self.controller_v1,
            Version::V2 => &self.controller_v2,
        }
    }

    pub fn writes(&self, v: Version) -> Result<&[Write], String> {
        match v {
            Version::V1 => self.v1.as_deref().map_err(|e| format!("{}: {e}", self.key)),
            Version::V2 => self.v2.as_deref().map_err(|e| format!("{}: {e}", self.key)),
        }
    }
}

fn v1_bytes(b: Bytes) -> String {
    b.map_or("-1".to_string(), |n| n.to_string())
}

fn v2_bytes(b: Bytes) -> String {
    b.map_or("max".to_string(), |n| n.to_string())
}

fn parse_u64(s: &str) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err("not a whole number".into());
    }
    s.parse::<u64>().map_err(|_| "number too large".into())
}

fn parse_range(s: &str, lo: u64, hi: u64) -> Result<u64, String> {
    let n = parse_u64(s)?;
    if !(lo..=hi).contains(&n) {
        return Err(format!("must be {lo} to {hi}"));
    }
    Ok(n)
}

/// `20000` (microseconds per period), `20%` or `0.2` (of one CPU), `max`.
pub fn parse_cpu(s: &str) -> Result<CpuQuota, String> {
    if s == "max" {
        return Ok(CpuQuota::Max);
    }
    let cpus = |x: &str, scale: f64| -> Result<CpuQuota, String> {
        let ok = !x.is_empty()
            && x.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && x.bytes().filter(|&b| b == b'.').count() <= 1;
        let f: f64 = if ok {
            x.parse().map_err(|_| String::new())?
        } else {
            -1.0
        };
        if !ok || !f.is_finite() || f <= 0.0 {
            return Err("expected microseconds (20000), a share of a CPU (0.2, 20%) or max".into());
        }
        Ok(CpuQuota::Cpus(f / scale))
    };
    if let Some(pct) = s.strip_suffix('%') {
        return cpus(pct, 100.0);
    }
    if s.contains('.') {
        return cpus(s, 1.0);
    }
    match parse_u64(s) {
        Ok(0) => Err("a quota of 0 would stop the command; use max for no limit".into()),
        Ok(us) => Ok(CpuQuota::Micros(us)),
        Err(_) => Err("expected microseconds (20000), a share of a CPU (0.2, 20%) or max".into()),
    }
}

/// Bytes with an optional K, M, G or T suffix (powers of 1024), or `max`.
pub fn parse_bytes(s: &str) -> Result<Bytes, String> {
    if s == "max" {
        return Ok(None);
    }
    let (digits, shift) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return Err(format!("unknown unit '{c}' (K, M, G or T)")),
            };
            (&s[..i], shift)
        }
        _ => (s, 0),
    };
    let n = parse_u64(digits).map_err(|_| "expected bytes, e.g. 64M, 1G, 512K or max")?;
    n.checked_mul(1u64 << shift)
        .map(Some)
        .ok_or_else(|| "size too large".into())
}

/// A cpu or memory-node list: `0-1,3`.
fn parse_list(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.split(',').all(|part| {
            let mut ends = part.splitn(2, '-');
            let a = ends.next().unwrap_or("");
            let b = ends.next();
            let num = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
            num(a)
                && match b {
                    None => true,
                    Some(b) => num(b) && b.parse::<u64>().ok() >= a.parse::<u64>().ok(),
                }
        });
    if ok {
        Ok(s.to_string())
    } else {
        Err("expected a list such as 0-1,3".into())
    }
}

/// An interface file is one name in the group's directory: `controller.rest`.
fn check_file_name(f: &str) -> Result<(), String> {
    let ok = !f.starts_with('.')
        && !f.ends_with('.')
        && !f.contains("..")
        && f.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if ok {
        Ok(())
    } else {
        Err("not an interface file name such as memory.oom_control".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(word: &str) -> Result<Limits, String> {
        Limits::parse([word])
    }

    fn v1(words: &[&str]) -> Vec<(String, String)> {
        flat(words, Version::V1)
    }

    fn v2(words: &[&str]) -> Vec<(String, String)> {
        flat(words, Version::V2)
    }

    fn flat(words: &[&str], v: Version) -> Vec<(String, String)> {
        let l = Limits::parse(words.iter().copied()).unwrap();
        l.needs()
            .iter()
            .flat_map(|n| n.writes(v).unwrap().to_vec())
            .map(|w| (w.files.join("|"), w.value))
            .collect()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn cpu_quota_in_microseconds_as_in_the_course() {
        assert_eq!(v1(&["cpu=20000"]), pairs(&[("cpu.cfs_quota_us", "20000")]));
        assert_eq!(v2(&["cpu=20000"]), pairs(&[("cpu.max", "20000 100000")]));
    }

    #[test]
    fn cpu_as_a_percentage_or_a_fraction_of_one_cpu() {
        assert_eq!(v2(&["cpu=20%"]), pairs(&[("cpu.max", "20000 100000")]));
        assert_eq!(v2(&["cpu=0.2"]), pairs(&[("cpu.max", "20000 100000")]));
        assert_eq!(v2(&["cpu=150%"]), pairs(&[("cpu.max", "150000 100000")]));
        assert_eq!(v1(&["cpu=max"]), pairs(&[("cpu.cfs_quota_us", "-1")]));
        assert_eq!(v2(&["cpu=max"]), pairs(&[("cpu.max", "max 100000")]));
    }

    #[test]
    fn cpu_period_scales_the_share_and_is_written_first_on_v1() {
        assert_eq!(
            v1(&["cpu=50%", "cpu-period=10000"]),
            pairs(&[("cpu.cfs_period_us", "10000"), ("cpu.cfs_quota_us", "5000")])
        );
        assert_eq!(
            v2(&["cpu-period=10000", "cpu=0.5"]),
            pairs(&[("cpu.max", "5000 10000")])
        );
        assert_eq!(
            v2(&["cpu-period=50000"]),
            pairs(&[("cpu.max", "max 50000")])
        );
        assert!(one("cpu-period=999").is_err());
        assert!(one("cpu-period=1000001").is_err());
    }

    #[test]
    fn cpu_weight_is_shares_on_v1() {
        assert_eq!(v2(&["cpu-weight=100"]), pairs(&[("cpu.weight", "100")]));
        assert_eq!(v1(&["cpu-weight=100"]), pairs(&[("cpu.shares", "1024")]));
        assert_eq!(v1(&["cpu-weight=1"]), pairs(&[("cpu.shares", "10")]));
        assert!(one("cpu-weight=0").is_err());
        assert!(one("cpu-weight=10001").is_err());
    }

    #[test]
    fn bad_cpu_values_are_refused_with_the_word() {
        for bad in [
            "cpu=abc",
            "cpu=-1",
            "cpu=",
            "cpu=0",
            "cpu=1.2.3",
            "cpu=-5%",
            "cpu=0.0",
            "cpu=x%",
        ] {
            let e = one(bad).unwrap_err();
            assert!(e.contains(bad), "{bad}: {e}");
        }
        let e = Limits::parse(["cpu=1"]).unwrap().needs()[0]
            .writes(Version::V2)
            .unwrap_err();
        assert!(e.contains("minimum of 1000"), "{e}");
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_bytes("64M"), Ok(Some(64 << 20)));
        assert_eq!(parse_bytes("1G"), Ok(Some(1 << 30)));
        assert_eq!(parse_bytes("512K"), Ok(Some(512 << 10)));
        assert_eq!(parse_bytes("512k"), Ok(Some(512 << 10)));
        assert_eq!(parse_bytes("1T"), Ok(Some(1 << 40)));
        assert_eq!(parse_bytes("1048576"), Ok(Some(1048576)));
        assert_eq!(parse_bytes("max"), Ok(None));
        assert_eq!(
            v1(&["memory=64M"]),
            pairs(&[("memory.limit_in_bytes", "67108864")])
        );
        assert_eq!(v2(&["memory=64M"]), pairs(&[("memory.max", "67108864")]));
        assert_eq!(
            v1(&["memory=max"]),
            pairs(&[("memory.limit_in_bytes", "-1")])
        );
    }

    #[test]
    fn bad_memory_sizes_are_refused() {
        for bad in [
            "memory=12Q",
            "memory=",
            "memory=M",
            "memory=-1",
            "memory=1.5G",
            "memory=99999999999T",
        ] {
            let e = one(bad).unwrap_err();
            assert!(e.contains(bad), "{bad}: {e}");
        }
        assert!(one("memory=12Q").unwrap_err().contains("unit 'Q'"));
    }

    #[test]
    fn memory_high_is_v2_only_and_says_what_v1_has() {
        assert_eq!(
            v2(&["memory-high=32M"]),
            pairs(&[("memory.high", "33554432")])
        );
        let l = Limits::parse(["memory-high=32M"]).unwrap();
        let e = l.needs()[0].writes(Version::V1).unwrap_err();
        assert!(
            e.starts_with("memory-high=32M: ") && e.contains("soft_limit"),
            "{e}"
        );
    }

    #[test]
    fn memory_swap_is_swap_alone_on_v2_and_memory_plus_swap_on_v1() {
        assert_eq!(
            v2(&["memory=64M", "memory-swap=0"]),
            pairs(&[("memory.max", "67108864"), ("memory.swap.max", "0")])
        );
        assert_eq!(
            v1(&["memory-swap=1M", "memory=1M"]),
            pairs(&[
                ("memory.limit_in_bytes", "1048576"),
                ("memory.memsw.limit_in_bytes", "2097152")
            ])
        );
        let l = Limits::parse(["memory-swap=1M"]).unwrap();
        assert!(l.needs()[0]
            .writes(Version::V1)
            .unwrap_err()
            .contains("needs memory="));
    }

    #[test]
    fn pids_is_a_number_or_max() {
        assert_eq!(v1(&["pids=32"]), pairs(&[("pids.max", "32")]));
        assert_eq!(v2(&["pids=max"]), pairs(&[("pids.max", "max")]));
        assert_eq!(v2(&["pids=0"]), pairs(&[("pids.max", "0")]));
        for bad in ["pids=-5", "pids=", "pids=lots", "pids=3.5"] {
            assert!(one(bad).unwrap_err().contains(bad), "{bad}");
        }
    }

    #[test]
    fn cpuset_and_mems_are_lists() {
        assert_eq!(
            v2(&["cpuset=0-1", "mems=0"]),
            pairs(&[("cpuset.cpus", "0-1"), ("cpuset.mems", "0")])
        );
        assert_eq!(v1(&["cpuset=0,2-3"]), pairs(&[("cpuset.cpus", "0,2-3")]));
        for bad in [
            "cpuset=",
            "cpuset=a",
            "cpuset=3-1",
            "cpuset=1-",
            "mems=-1",
            "cpuset=0,,1",
        ] {
            assert!(one(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn io_weight_is_blkio_on_v1() {
        let l = Limits::parse(["io-weight=200"]).unwrap();
        let n = &l.needs()[0];
        assert_eq!(
            (n.controller(Version::V1), n.controller(Version::V2)),
            ("blkio", "io")
        );
        assert_eq!(v2(&["io-weight=200"]), pairs(&[("io.weight", "200")]));
        assert_eq!(
            v1(&["io-weight=200"]),
            pairs(&[("blkio.bfq.weight|blkio.weight", "200")])
        );
        let l = Limits::parse(["io-weight=5000"]).unwrap();
        assert!(l.needs()[0].writes(Version::V1).is_err());
        assert!(one("io-weight=0").is_err());
    }

    #[test]
    fn raw_interface_files_pass_through() {
        let l = Limits::parse(["memory.oom_control=1", "cpu.rt_runtime_us=0"]).unwrap();
        let n = l.needs();
        assert_eq!(n[0].controller(Version::V1), "memory");
        assert_eq!(n[1].controller(Version::V2), "cpu");
        assert_eq!(
            v2(&["io.max=8:0 rbps=1048576"]),
            pairs(&[("io.max", "8:0 rbps=1048576")])
        );
        for bad in ["../x.y=1", "memory..x=1", ".memory=1", "memory.=1"] {
            assert!(Limits::parse([bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_keys_and_repeats_are_refused() {
        let e = one("unknown=1").unwrap_err();
        assert!(
            e.contains("unknown limit 'unknown'") && e.contains("pids"),
            "{e}"
        );
        assert!(Limits::parse(["cpu=1000", "cpu=2000"])
            .unwrap_err()
            .contains("twice"));
    }

    #[test]
    fn what_counts_as_a_limit_word() {
        for yes in [
            "cpu=1",
            "memory.oom_control=1",
            "io-weight=3",
            "a=",
            "x=y=z",
        ] {
            assert!(looks_like_limit(yes), "{yes}");
        }
        for no in [
            "sh", "/bin/x=1", "./a=b", "Cpu=1", "X=1", "=1", "-v", "a b=1",
        ] {
            assert!(!looks_like_limit(no), "{no}");
        }
    }
}
