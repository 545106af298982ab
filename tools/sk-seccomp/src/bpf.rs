//! Raw seccomp programs: the `struct sock_filter` arrays that `--compile`
//! writes and `--bpf` reads (the format of `bwrap --seccomp` and
//! `setpriv --seccomp-filter`), their validation, and an interpreter.
//!
//! The interpreter runs a program on one `seccomp_data` as the kernel
//! would. It serves two purposes: `--bpf` checks that a program denies
//! calls of an architecture it does not know (a program without that
//! check can be bypassed with int 0x80), and the tests compare programs
//! decision by decision. Pure: no system calls.

use libc::sock_filter;

/// The kernel's limit (BPF_MAXINSNS).
pub const MAX_INSNS: usize = 4096;
/// `struct seccomp_data`: nr at 0, arch at 4, instruction_pointer at 8,
/// args[6] (64-bit each) from 16.
pub const DATA_LEN: u32 = 64;
pub const OFF_ARCH: u32 = 4;

pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
pub const AUDIT_ARCH_I386: u32 = 0x4000_0003;
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// SECCOMP_RET_ACTION_FULL: what a return value decides, without its data.
pub const RET_ACTION_FULL: u32 = 0xffff_0000;
pub const RET_KILL_PROCESS: u32 = 0x8000_0000;
pub const RET_KILL_THREAD: u32 = 0;
pub const RET_TRAP: u32 = 0x0003_0000;
pub const RET_ERRNO: u32 = 0x0005_0000;
pub const RET_USER_NOTIF: u32 = 0x7fc0_0000;
pub const RET_TRACE: u32 = 0x7ff0_0000;
pub const RET_LOG: u32 = 0x7ffc_0000;
pub const RET_ALLOW: u32 = 0x7fff_0000;

/// One system call as a filter sees it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Data {
    pub nr: i32,
    pub arch: u32,
    pub ip: u64,
    pub args: [u64; 6],
}

impl Data {
    /// The 32-bit word at `off`, as the kernel's BPF_LD|BPF_W|BPF_ABS reads
    /// it (native endianness; args as 64-bit values).
    fn word(&self, off: u32) -> Option<u32> {
        if off & 3 != 0 || off >= DATA_LEN {
            return None;
        }
        let half = |v: u64, i: u32| {
            let (lo, hi) = (v as u32, (v >> 32) as u32);
            if cfg!(target_endian = "little") == (i == 0) {
                lo
            } else {
                hi
            }
        };
        Some(match off {
            0 => self.nr as u32,
            4 => self.arch,
            8 | 12 => half(self.ip, (off - 8) / 4),
            _ => half(self.args[((off - 16) / 8) as usize], (off % 8) / 4),
        })
    }
}

/// Runs `prog` on `data`; the return value (action and data), or why the
/// kernel would have refused the program.
pub fn run(prog: &[sock_filter], data: &Data) -> Result<u32, String> {
    let (mut a, mut x, mut mem) = (0u32, 0u32, [0u32; 16]);
    let mut pc = 0usize;
    // Jumps go forward only, so a program ends within its length.
    for _ in 0..=prog.len() {
        let i = prog
            .get(pc)
            .ok_or_else(|| format!("runs off its end at {pc}"))?;
        let (code, k) = (i.code as u32, i.k);
        pc += 1;
        let src = if code & 0x08 != 0 { x } else { k };
        match code & 0x07 {
            // BPF_LD / BPF_LDX
            0x00 | 0x01 => {
                if code & 0x18 != 0 {
                    return Err(format!("unsupported load size {code:#x}"));
                }
                let v = match code & 0xe0 {
                    0x00 => k,                                      // IMM
                    0x20 => data.word(k).ok_or("bad load offset")?, // ABS
                    0x60 => mem[(k & 15) as usize],                 // MEM
                    0x80 => DATA_LEN,                               // LEN
                    _ => return Err(format!("unsupported load {code:#x}")),
                };
                if code & 0x07 == 0 {
                    a = v
                } else {
                    x = v
                }
            }
            0x02 => mem[(k & 15) as usize] = a, // BPF_ST
            0x03 => mem[(k & 15) as usize] = x, // BPF_STX
            0x04 => {
                a = match code & 0xf0 {
                    0x00 => a.wrapping_add(src),
                    0x10 => a.wrapping_sub(src),
                    0x20 => a.wrapping_mul(src),
                    0x30 => a.checked_div(src).ok_or("division by zero")?,
                    0x40 => a | src,
                    0x50 => a & src,
                    0x60 => a.checked_shl(src).unwrap_or(0),
                    0x70 => a.checked_shr(src).unwrap_or(0),
                    0x80 => a.wrapping_neg(),
                    0x90 => a.checked_rem(src).ok_or("division by zero")?,
                    0xa0 => a ^ src,
                    _ => return Err(format!("unsupported ALU op {code:#x}")),
                }
            }
            0x05 => {
                let taken = match code & 0xf0 {
                    0x00 => {
                        pc += k as usize;
                        continue;
                    }
                    0x10 => a == src,
                    0x20 => a > src,
                    0x30 => a >= src,
                    0x40 => a & src != 0,
                    _ => return Err(format!("unsupported jump {code:#x}")),
                };
                pc += usize::from(if taken { i.jt } else { i.jf });
            }
            0x06 => return Ok(if code & 0x18 == 0x10 { a } else { k }),
            _ => {
                if code & 0xf8 == 0 {
                    x = a; // TAX
                } else {
                    a = x; // TXA
                }
            }
        }
    }
    Err("does not return".into())
}

/// Whether a return value lets the call run (with or without a log, a
/// tracer or a supervisor deciding it).
pub fn lets_through(ret: u32) -> bool {
    matches!(
        ret & RET_ACTION_FULL,
        RET_ALLOW | RET_LOG | RET_TRACE | RET_USER_NOTIF
    )
}

/// Reads a raw program: whole 8-byte instructions in native byte order,
/// 1 to 4096 of them. With `checked`, it must also start by loading the
/// architecture and deny the calls of an architecture it does not name.
pub fn parse(bytes: &[u8], checked: bool) -> Result<Vec<sock_filter>, String> {
    let size = std::mem::size_of::<sock_filter>();
    if bytes.is_empty() {
        return Err("it is empty".into());
    }
    if !bytes.chunks_exact(size).remainder().is_empty() {
        return Err(format!(
            "it is {} bytes, not a whole number of {size}-byte instructions (truncated?)",
            bytes.len()
        ));
    }
    let n = bytes.len() / size;
    if n > MAX_INSNS {
        return Err(format!(
            "it is longer than the kernel's {MAX_INSNS} instructions"
        ));
    }
    let prog: Vec<sock_filter> = bytes
        .chunks_exact(size)
        .map(|c| sock_filter {
            code: u16::from_ne_bytes([c[0], c[1]]),
            jt: c[2],
            jf: c[3],
            k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
        })
        .collect();
    if checked {
        check_arch(&prog)?;
    }
    Ok(prog)
}

/// Architectures no program is made for: a call tagged with one of them
/// must not get through.
const FOREIGN_ARCHES: [u32; 3] = [0, 0x1234_5678, 0xffff_ffff];

fn check_arch(prog: &[sock_filter]) -> Result<(), String> {
    let first = prog[0];
    // BPF_LD | BPF_W | BPF_ABS of seccomp_data.arch
    if first.code != 0x20 || first.k != OFF_ARCH {
        return Err("its first instruction does not load the architecture \
                    (seccomp_data.arch); --bpf-unchecked loads it anyway"
            .into());
    }
    for arch in FOREIGN_ARCHES {
        for nr in [0, 1, 2, 59, 231, 0x4000_0000 | 59] {
            let data = Data {
                nr,
                arch,
                ..Data::default()
            };
            let ret = run(prog, &data).map_err(|e| format!("it is not a valid program: {e}"))?;
            if lets_through(ret) {
                return Err(format!(
                    "it lets calls of an unknown architecture ({arch:#x}) through; \
                     --bpf-unchecked loads it anyway"
                ));
            }
        }
    }
    Ok(())
}

/// The program as bytes, as `--compile` writes it.
pub fn to_bytes(prog: &[sock_filter]) -> Vec<u8> {
    prog.iter()
        .flat_map(|i| {
            let mut b = Vec::with_capacity(8);
            b.extend_from_slice(&i.code.to_ne_bytes());
            b.push(i.jt);
            b.push(i.jf);
            b.extend_from_slice(&i.k.to_ne_bytes());
            b
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ins(code: u16, jt: u8, jf: u8, k: u32) -> sock_filter {
        sock_filter { code, jt, jf, k }
    }

    /// x86_64 only; getpid allowed, everything else EPERM.
    fn small() -> Vec<sock_filter> {
        vec![
            ins(0x20, 0, 0, OFF_ARCH),
            ins(0x15, 1, 0, AUDIT_ARCH_X86_64),
            ins(0x06, 0, 0, RET_KILL_PROCESS),
            ins(0x20, 0, 0, 0),
            ins(0x15, 0, 1, 39),
            ins(0x06, 0, 0, RET_ALLOW),
            ins(0x06, 0, 0, RET_ERRNO | 1),
        ]
    }

    #[test]
    fn the_interpreter_decides_as_the_program_says() {
        let p = small();
        let call = |nr, arch| {
            run(
                &p,
                &Data {
                    nr,
                    arch,
                    ..Data::default()
                },
            )
            .unwrap()
        };
        assert_eq!(call(39, AUDIT_ARCH_X86_64), RET_ALLOW);
        assert_eq!(call(40, AUDIT_ARCH_X86_64), RET_ERRNO | 1);
        assert_eq!(call(39, AUDIT_ARCH_I386), RET_KILL_PROCESS);
    }

    #[test]
    fn arguments_are_read_by_halves() {
        let d = Data {
            args: [0x1_0000_0028, 0, 0, 0, 0, 0],
            ..Data::default()
        };
        assert_eq!(d.word(16), Some(0x28));
        assert_eq!(d.word(20), Some(1));
        assert_eq!(d.word(64), None);
    }

    #[test]
    fn programs_round_trip_and_bad_ones_are_named() {
        let p = small();
        let bytes = to_bytes(&p);
        assert_eq!(parse(&bytes, true).unwrap().len(), p.len());
        assert!(parse(&[], true).unwrap_err().contains("empty"));
        assert!(parse(&bytes[..13], true).unwrap_err().contains("truncated"));
        let big = to_bytes(&vec![ins(0x06, 0, 0, RET_ALLOW); MAX_INSNS + 1]);
        assert!(parse(&big, true).unwrap_err().contains("longer than"));
        let no_check = to_bytes(&p[3..]);
        assert!(parse(&no_check, true).unwrap_err().contains("architecture"));
        assert!(parse(&no_check, false).is_ok());
        // Loads the arch, but lets any architecture through.
        let lax = to_bytes(&[ins(0x20, 0, 0, OFF_ARCH), ins(0x06, 0, 0, RET_ALLOW)]);
        assert!(parse(&lax, true)
            .unwrap_err()
            .contains("unknown architecture"));
    }
}
