//! Device rules: which device nodes the group's processes may open (read,
//! write) or make (mknod), whatever the mounts and their capabilities say.
//!
//! The rules are an allow list over "deny everything", in the syntax of
//! cgroup v1's devices.allow: `TYPE MAJOR:MINOR ACCESS`, TYPE `c`, `b` or
//! `a` (all), MAJOR and MINOR a number or `*`, ACCESS letters of `rwm`; `a`
//! alone allows everything.
//!
//! On v1 they are written to the devices hierarchy: `a` to devices.deny,
//! then each rule to devices.allow. Cgroup v2 has no such files: the kernel
//! asks a BPF program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the
//! group (and every program attached to its ancestors) on each open and
//! mknod of a device node. The program is generated here, a few
//! instructions per rule, and loaded and attached with bpf(2). The parsing
//! and the generation are pure; only [`attach`] makes system calls.

use nix::errno::Errno;
use std::fmt;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// Largest major and minor the kernel's dev_t holds (12 and 20 bits).
const MAX_MAJOR: u32 = (1 << 12) - 1;
const MAX_MINOR: u32 = (1 << 20) - 1;

/// Access bits, as the BPF context's access field has them
/// (BPF_DEVCG_ACC_MKNOD, _READ, _WRITE).
pub const MKNOD: u8 = 1;
pub const READ: u8 = 2;
pub const WRITE: u8 = 4;
const ALL_ACCESS: u8 = MKNOD | READ | WRITE;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    All,
    Char,
    Block,
}

/// One allow rule.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub kind: Kind,
    /// None: any (`*`).
    pub major: Option<u32>,
    pub minor: Option<u32>,
    pub access: u8,
}

impl fmt::Display for Rule {
    /// The devices.allow spelling.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            Kind::All => "a",
            Kind::Char => "c",
            Kind::Block => "b",
        };
        let num = |n: Option<u32>| n.map_or("*".to_string(), |n| n.to_string());
        let mut access = String::new();
        for (bit, c) in [(READ, 'r'), (WRITE, 'w'), (MKNOD, 'm')] {
            if self.access & bit != 0 {
                access.push(c);
            }
        }
        write!(f, "{kind} {}:{} {access}", num(self.major), num(self.minor))
    }
}

/// The named rule sets of --devices.
pub const PRESETS: &str = "default (runc's and Docker's allow list), none (no device at all)";

/// runc's built-in allow list (libcontainer/specconv AllowedDevices), which
/// Docker and Podman containers get: mknod of any node (opening it is
/// another matter), the harmless character devices, ptys, and tun.
pub fn preset(name: &str) -> Result<Vec<Rule>, String> {
    let rules: &[&str] = match name {
        "default" => &[
            "c *:* m",      // mknod of any character node
            "b *:* m",      // and of any block node
            "c 1:3 rwm",    // /dev/null
            "c 1:8 rwm",    // /dev/random
            "c 1:7 rwm",    // /dev/full
            "c 5:0 rwm",    // /dev/tty
            "c 1:5 rwm",    // /dev/zero
            "c 1:9 rwm",    // /dev/urandom
            "c 136:* rwm",  // /dev/pts/*
            "c 5:2 rwm",    // /dev/ptmx
            "c 10:200 rwm", // /dev/net/tun
        ],
        "none" => &[],
        other => {
            return Err(format!(
                "invalid --devices '{other}': not a preset (known: {PRESETS})"
            ))
        }
    };
    Ok(rules
        .iter()
        .map(|r| parse_rule(r).expect("the presets parse"))
        .collect())
}

/// Parses one rule as devices.allow takes it: `c 1:3 rwm`, `b 8:* r`,
/// `c *:* m`, `a`.
pub fn parse_rule(text: &str) -> Result<Rule, String> {
    let bad = |why: &str| format!("invalid device rule '{text}': {why}");
    let words: Vec<&str> = text.split_whitespace().collect();
    let kind = match words.first().copied() {
        Some("a") => Kind::All,
        Some("c") => Kind::Char,
        Some("b") => Kind::Block,
        Some(_) => return Err(bad("the type is c (character), b (block) or a (all)")),
        None => {
            return Err(bad(
                "it is empty (expected TYPE MAJOR:MINOR ACCESS, e.g. c 1:3 rwm)",
            ))
        }
    };
    if words.len() == 1 && kind == Kind::All {
        // v1's `a`: every device, every access.
        return Ok(Rule {
            kind,
            major: None,
            minor: None,
            access: ALL_ACCESS,
        });
    }
    let [_, numbers, access] = words[..] else {
        return Err(bad("expected TYPE MAJOR:MINOR ACCESS, e.g. c 1:3 rwm"));
    };
    if kind == Kind::All && (numbers, access) != ("*:*", "rwm") {
        // v1 reads `a` as every device whatever follows; so must v2.
        return Err(bad(
            "type a is every device with every access: write a alone",
        ));
    }
    let (major, minor) = numbers
        .split_once(':')
        .ok_or_else(|| bad("expected MAJOR:MINOR, each a number or *"))?;
    let number = |s: &str, max: u32, what: &str| -> Result<Option<u32>, String> {
        if s == "*" {
            return Ok(None);
        }
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(&format!("the {what} is a number or *")));
        }
        match s.parse::<u32>() {
            Ok(n) if n <= max => Ok(Some(n)),
            _ => Err(bad(&format!("the {what} is at most {max}"))),
        }
    };
    let major = number(major, MAX_MAJOR, "major")?;
    let minor = number(minor, MAX_MINOR, "minor")?;
    let mut bits = 0u8;
    for c in access.chars() {
        let bit = match c {
            'r' => READ,
            'w' => WRITE,
            'm' => MKNOD,
            _ => return Err(bad("the access is letters of rwm")),
        };
        if bits & bit != 0 {
            return Err(bad(&format!("'{c}' is given twice")));
        }
        bits |= bit;
    }
    Ok(Rule {
        kind,
        major,
        minor,
        access: bits,
    })
}

/// What v1 is written: `a` to devices.deny, then each rule to devices.allow.
pub fn v1_writes(rules: &[Rule]) -> Vec<(&'static str, String)> {
    let mut w = vec![("devices.deny", "a".to_string())];
    w.extend(rules.iter().map(|r| ("devices.allow", r.to_string())));
    w
}

/// One eBPF instruction (struct bpf_insn).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Insn {
    pub code: u8,
    pub dst: u8,
    pub src: u8,
    pub off: i16,
    pub imm: i32,
}

// Opcodes, from <linux/bpf_common.h> and <linux/bpf.h>.
const LDX_MEM_W: u8 = 0x61; // BPF_LDX | BPF_MEM | BPF_W
const ALU32_AND_K: u8 = 0x54; // BPF_ALU | BPF_AND | BPF_K
const ALU32_RSH_K: u8 = 0x74; // BPF_ALU | BPF_RSH | BPF_K
const ALU32_MOV_X: u8 = 0xbc; // BPF_ALU | BPF_MOV | BPF_X
const ALU64_MOV_K: u8 = 0xb7; // BPF_ALU64 | BPF_MOV | BPF_K
const JMP_JNE_K: u8 = 0x55; // BPF_JMP | BPF_JNE | BPF_K
const JMP_JNE_X: u8 = 0x5d; // BPF_JMP | BPF_JNE | BPF_X
const JMP_EXIT: u8 = 0x95; // BPF_JMP | BPF_EXIT

// Registers: r1 holds the context on entry; r0 is the verdict.
const R0: u8 = 0;
const R1: u8 = 1;
const TYPE: u8 = 2;
const ACCESS: u8 = 3;
const MAJOR: u8 = 4;
const MINOR: u8 = 5;

// BPF_DEVCG_DEV_BLOCK and _CHAR.
const DEV_BLOCK: i32 = 1;
const DEV_CHAR: i32 = 2;

const fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        dst,
        src,
        off,
        imm,
    }
}

/// Loads the context's fields into the registers the rules test.
const PROLOGUE: [Insn; 6] = [
    insn(LDX_MEM_W, TYPE, R1, 0, 0),
    insn(ALU32_AND_K, TYPE, 0, 0, 0xffff),
    insn(LDX_MEM_W, ACCESS, R1, 0, 0),
    insn(ALU32_RSH_K, ACCESS, 0, 0, 16),
    insn(LDX_MEM_W, MAJOR, R1, 4, 0),
    insn(LDX_MEM_W, MINOR, R1, 8, 0),
];

/// The program: allow (1) when a rule matches, deny (0) otherwise.
///
/// The context is struct bpf_cgroup_dev_ctx: `access_type` (the type in
/// the low 16 bits, the access in the high 16), `major`, `minor`. Each rule
/// is a block of tests, each jumping to the next block on a mismatch, and
/// ending in "return 1"; the last block returns 0. An access test passes
/// when every requested bit is one the rule allows.
pub fn program(rules: &[Rule]) -> Vec<Insn> {
    let mut p = PROLOGUE.to_vec();
    for rule in rules {
        // The tests, with their jumps still to be aimed past the block.
        let mut block = Vec::new();
        match rule.kind {
            Kind::All => {}
            Kind::Char => block.push(insn(JMP_JNE_K, TYPE, 0, 0, DEV_CHAR)),
            Kind::Block => block.push(insn(JMP_JNE_K, TYPE, 0, 0, DEV_BLOCK)),
        }
        if rule.access & ALL_ACCESS != ALL_ACCESS {
            // r1 = access & allowed; a requested bit outside it differs.
            block.push(insn(ALU32_MOV_X, R1, ACCESS, 0, 0));
            block.push(insn(ALU32_AND_K, R1, 0, 0, i32::from(rule.access)));
            block.push(insn(JMP_JNE_X, R1, ACCESS, 0, 0));
        }
        if let Some(major) = rule.major {
            block.push(insn(JMP_JNE_K, MAJOR, 0, 0, major as i32));
        }
        if let Some(minor) = rule.minor {
            block.push(insn(JMP_JNE_K, MINOR, 0, 0, minor as i32));
        }
        block.push(insn(ALU64_MOV_K, R0, 0, 0, 1));
        block.push(insn(JMP_EXIT, 0, 0, 0, 0));
        let len = block.len();
        for (i, ins) in block.iter_mut().enumerate() {
            if ins.code == JMP_JNE_K || ins.code == JMP_JNE_X {
                // Relative to the next instruction: past this block's end.
                ins.off = (len - i - 1) as i16;
            }
        }
        p.extend(block);
    }
    p.push(insn(ALU64_MOV_K, R0, 0, 0, 0));
    p.push(insn(JMP_EXIT, 0, 0, 0, 0));
    p
}

/// The instructions as the kernel reads them (8 bytes each, registers in
/// one byte: dst in the low nibble on little-endian machines).
pub fn encode(p: &[Insn]) -> Vec<u64> {
    p.iter()
        .map(|i| {
            let regs = if cfg!(target_endian = "little") {
                (i.src << 4) | (i.dst & 0xf)
            } else {
                (i.dst << 4) | (i.src & 0xf)
            };
            let mut b = [0u8; 8];
            b[0] = i.code;
            b[1] = regs;
            b[2..4].copy_from_slice(&i.off.to_ne_bytes());
            b[4..8].copy_from_slice(&i.imm.to_ne_bytes());
            u64::from_ne_bytes(b)
        })
        .collect()
}

const BPF_PROG_LOAD: libc::c_int = 5;
const BPF_PROG_ATTACH: libc::c_int = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
const BPF_CGROUP_DEVICE: u32 = 6;
/// Programs of the ancestors keep running beside this one, so a group
/// under a parent with device rules (systemd's, another runtime's) can
/// only narrow them.
const BPF_F_ALLOW_MULTI: u32 = 2;

/// The BPF_PROG_LOAD part of union bpf_attr, up to expected_attach_type;
/// the kernel takes a shorter attr and zero-fills the rest.
#[repr(C)]
#[derive(Default)]
struct ProgLoad {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
    prog_ifindex: u32,
    expected_attach_type: u32,
}

/// The BPF_PROG_ATTACH part of union bpf_attr.
#[repr(C)]
#[derive(Default)]
struct ProgAttach {
    target_fd: u32,
    attach_bpf_fd: u32,
    attach_type: u32,
    attach_flags: u32,
    replace_bpf_fd: u32,
}

fn bpf<T>(cmd: libc::c_int, attr: &T) -> Result<libc::c_long, Errno> {
    // SAFETY: attr is a live, fully initialised repr(C) prefix of union
    // bpf_attr, and its size is passed.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr as *const T,
            std::mem::size_of::<T>(),
        )
    };
    Errno::result(rc)
}

/// Loads the program for `rules` and attaches it to the group whose
/// directory is `group`. The attachment lives as long as the group; the
/// program's own fd is closed on return.
pub fn attach(group: BorrowedFd<'_>, rules: &[Rule]) -> Result<(), (&'static str, Errno)> {
    let insns = encode(&program(rules));
    let license = c"Apache-2.0";
    let mut name = [0u8; 16];
    name[..9].copy_from_slice(b"sk_device");
    let load = ProgLoad {
        prog_type: BPF_PROG_TYPE_CGROUP_DEVICE,
        insn_cnt: insns.len() as u32,
        insns: insns.as_ptr() as u64,
        license: license.as_ptr() as u64,
        prog_name: name,
        expected_attach_type: BPF_CGROUP_DEVICE,
        ..Default::default()
    };
    let fd = bpf(BPF_PROG_LOAD, &load).map_err(|e| ("load the device program", e))?;
    // SAFETY: BPF_PROG_LOAD returned a new fd that nothing else owns.
    let prog = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let at = ProgAttach {
        target_fd: group.as_raw_fd() as u32,
        attach_bpf_fd: prog.as_raw_fd() as u32,
        attach_type: BPF_CGROUP_DEVICE,
        attach_flags: BPF_F_ALLOW_MULTI,
        replace_bpf_fd: 0,
    };
    bpf(BPF_PROG_ATTACH, &at).map_err(|e| ("attach the device program", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(s: &str) -> Rule {
        parse_rule(s).unwrap()
    }

    /// Runs the program as the kernel would, on one access.
    fn run(p: &[Insn], kind: i32, access: u8, major: u32, minor: u32) -> u64 {
        let ctx = [(u32::from(access) << 16) | kind as u32, major, minor];
        let mut r = [0u64; 11];
        let mut pc = 0usize;
        loop {
            let i = p[pc];
            pc += 1;
            let (d, s) = (i.dst as usize, i.src as usize);
            match i.code {
                LDX_MEM_W => {
                    assert_eq!(s, 1, "loads come from the context");
                    r[d] = u64::from(ctx[i.off as usize / 4]);
                }
                ALU32_AND_K => r[d] = u64::from(r[d] as u32 & i.imm as u32),
                ALU32_RSH_K => r[d] = u64::from((r[d] as u32) >> i.imm),
                ALU32_MOV_X => r[d] = u64::from(r[s] as u32),
                ALU64_MOV_K => r[d] = i.imm as i64 as u64,
                JMP_JNE_K if r[d] != i.imm as i64 as u64 => pc += i.off as usize,
                JMP_JNE_X if r[d] != r[s] => pc += i.off as usize,
                JMP_JNE_K | JMP_JNE_X => {}
                JMP_EXIT => return r[0],
                other => panic!("unexpected opcode {other:#x}"),
            }
        }
    }

    #[test]
    fn rules_parse_as_devices_allow_spells_them() {
        assert_eq!(
            rule("c 1:3 rwm"),
            Rule {
                kind: Kind::Char,
                major: Some(1),
                minor: Some(3),
                access: ALL_ACCESS
            }
        );
        assert_eq!(rule("b 8:* r").minor, None);
        assert_eq!(rule("c *:* m").access, MKNOD);
        assert_eq!(rule("a"), rule("a *:* rwm"));
        assert_eq!(rule("  c  136:*  rw ").to_string(), "c 136:* rw");
        assert_eq!(rule("c 1:3 mwr").to_string(), "c 1:3 rwm");
    }

    #[test]
    fn bad_rules_name_the_rule_and_the_fault() {
        for (bad, why) in [
            ("", "empty"),
            ("x 1:3 rwm", "type"),
            ("c 1:3", "TYPE MAJOR:MINOR ACCESS"),
            ("c 1-3 rwm", "MAJOR:MINOR"),
            ("c 1:3 rwx", "rwm"),
            ("c 1:3 rr", "twice"),
            ("c 1:3 ", "TYPE MAJOR:MINOR ACCESS"),
            ("c a:3 r", "number or *"),
            ("c -1:3 r", "number or *"),
            ("c 4096:0 r", "at most 4095"),
            ("c 1:1048576 r", "at most 1048575"),
            ("c 1:3 rwm extra", "TYPE MAJOR:MINOR ACCESS"),
            ("c", "TYPE MAJOR:MINOR ACCESS"),
            ("a 1:3 r", "a alone"),
        ] {
            let e = parse_rule(bad).unwrap_err();
            assert!(
                e.starts_with(&format!("invalid device rule '{bad}'")) && e.contains(why),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn the_default_preset_is_runcs_allow_list() {
        let d: Vec<String> = preset("default")
            .unwrap()
            .iter()
            .map(Rule::to_string)
            .collect();
        assert_eq!(
            d,
            [
                "c *:* m",
                "b *:* m",
                "c 1:3 rwm",
                "c 1:8 rwm",
                "c 1:7 rwm",
                "c 5:0 rwm",
                "c 1:5 rwm",
                "c 1:9 rwm",
                "c 136:* rwm",
                "c 5:2 rwm",
                "c 10:200 rwm"
            ]
        );
        assert!(preset("none").unwrap().is_empty());
        assert!(preset("docker").unwrap_err().contains("default"));
    }

    #[test]
    fn v1_denies_all_then_allows_each_rule() {
        let w = v1_writes(&[rule("c 1:3 rwm"), rule("a")]);
        assert_eq!(
            w,
            [
                ("devices.deny", "a".to_string()),
                ("devices.allow", "c 1:3 rwm".to_string()),
                ("devices.allow", "a *:* rwm".to_string())
            ]
        );
    }

    #[test]
    fn the_generated_instructions() {
        let p = program(&[rule("c 1:3 rw")]);
        // The prologue's loads: the interpreter test checks what they mean.
        assert_eq!(p[..6], PROLOGUE);
        let expect = [
            // c 1:3 rw
            insn(JMP_JNE_K, TYPE, 0, 7, DEV_CHAR),
            insn(ALU32_MOV_X, R1, ACCESS, 0, 0),
            insn(ALU32_AND_K, R1, 0, 0, i32::from(READ | WRITE)),
            insn(JMP_JNE_X, R1, ACCESS, 4, 0),
            insn(JMP_JNE_K, MAJOR, 0, 3, 1),
            insn(JMP_JNE_K, MINOR, 0, 2, 3),
            insn(ALU64_MOV_K, R0, 0, 0, 1),
            insn(JMP_EXIT, 0, 0, 0, 0),
            // nothing matched
            insn(ALU64_MOV_K, R0, 0, 0, 0),
            insn(JMP_EXIT, 0, 0, 0, 0),
        ];
        assert_eq!(p[6..], expect);
        // "a" tests nothing: allow at once.
        assert_eq!(program(&[rule("a")]).len(), 6 + 2 + 2);
        // Every jump lands inside the program.
        let p = program(&preset("default").unwrap());
        for (i, ins) in p.iter().enumerate() {
            if ins.code == JMP_JNE_K || ins.code == JMP_JNE_X {
                assert!(i + 1 + (ins.off as usize) < p.len(), "{i}: {ins:?}");
            }
        }
    }

    #[test]
    fn the_encoding_is_struct_bpf_insn() {
        let e = encode(&[insn(JMP_JNE_K, MAJOR, 0, 3, 136)]);
        let b = e[0].to_ne_bytes();
        assert_eq!(b[0], 0x55);
        assert_eq!(b[1], 0x04); // dst r4, src r0
        assert_eq!(i16::from_ne_bytes([b[2], b[3]]), 3);
        assert_eq!(i32::from_ne_bytes([b[4], b[5], b[6], b[7]]), 136);
        let e = encode(&[insn(JMP_JNE_X, R1, ACCESS, 0, 0)]);
        assert_eq!(e[0].to_ne_bytes()[1], 0x31);
    }

    #[test]
    fn the_program_decides_as_the_rules_say() {
        let (c, b) = (DEV_CHAR, DEV_BLOCK);
        let p = program(&preset("default").unwrap());
        assert_eq!(run(&p, c, READ, 1, 3), 1, "/dev/null read");
        assert_eq!(run(&p, c, WRITE, 1, 3), 1, "/dev/null write");
        assert_eq!(run(&p, c, READ, 136, 7), 1, "a pty");
        assert_eq!(run(&p, c, READ, 1, 11), 0, "/dev/kmsg");
        assert_eq!(run(&p, c, WRITE, 1, 1), 0, "/dev/mem");
        assert_eq!(run(&p, b, READ, 8, 0), 0, "a disk, read");
        assert_eq!(run(&p, b, MKNOD, 8, 0), 1, "a disk, mknod");
        assert_eq!(run(&p, c, MKNOD, 1, 11), 1, "any char, mknod");
        let p = program(&[rule("b 8:* r")]);
        assert_eq!(run(&p, b, READ, 8, 16), 1);
        assert_eq!(run(&p, b, WRITE, 8, 16), 0);
        assert_eq!(run(&p, b, READ | WRITE, 8, 16), 0);
        assert_eq!(run(&p, c, READ, 8, 16), 0);
        assert_eq!(run(&p, b, READ, 9, 16), 0);
        assert_eq!(run(&program(&[]), c, READ, 1, 3), 0);
        assert_eq!(run(&program(&[rule("a")]), b, WRITE, 8, 0), 1);
        assert_eq!(run(&program(&[rule("a *:* rwm")]), b, WRITE, 8, 0), 1);
    }
}
