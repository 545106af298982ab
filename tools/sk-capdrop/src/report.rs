//! --print: the five sets after the drop, like `capsh --print`, on stderr
//! (stdout belongs to the command).

use crate::names::describe;
use crate::secbits;
use crate::sets::Sets;

/// One line per set, named as /proc/PID/status names them, with the mask
/// and its names; then the securebits and no_new_privs.
pub fn lines(sets: &Sets, kernel: u64, securebits: u32, no_new_privs: bool) -> Vec<String> {
    let mut out: Vec<String> = [
        ("CapInh", sets.inheritable),
        ("CapPrm", sets.permitted),
        ("CapEff", sets.effective),
        ("CapBnd", sets.bounding),
        ("CapAmb", sets.ambient),
    ]
    .into_iter()
    .map(|(label, mask)| format!("{label}: {mask:016x} = {}", describe(mask, kernel)))
    .collect();
    out.push(format!(
        "Securebits: {}; NoNewPrivs: {}",
        secbits::describe(securebits),
        u8::from(no_new_privs)
    ));
    out
}

pub fn print(sets: &Sets, kernel: u64, securebits: u32, no_new_privs: bool) {
    for line in lines(sets, kernel, securebits, no_new_privs) {
        sk_common::say!("{}: {line}", sk_common::log::tool());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_set_with_mask_and_names() {
        let kernel = (1u64 << 41) - 1;
        let sets = Sets {
            bounding: kernel & !(1 << 25),
            permitted: kernel & !(1 << 25),
            effective: kernel & !(1 << 25),
            inheritable: 0,
            ambient: 1 << 10,
        };
        let l = lines(&sets, kernel, 0x3, true);
        assert_eq!(l[0], "CapInh: 0000000000000000 = none");
        assert_eq!(l[1], "CapPrm: 000001fffdffffff = all but cap_sys_time");
        assert_eq!(l[3], "CapBnd: 000001fffdffffff = all but cap_sys_time");
        assert_eq!(l[4], "CapAmb: 0000000000000400 = cap_net_bind_service");
        assert_eq!(
            l[5],
            "Securebits: 0x3 (noroot,noroot-locked); NoNewPrivs: 1"
        );
    }
}
