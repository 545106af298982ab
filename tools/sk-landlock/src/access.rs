//! Names of the filesystem access rights and scopes, the groups the options
//! stand for, and which Landlock ABI mediates each. Pure: no system call.

use landlock::{make_bitflags, Access, AccessFs, BitFlags, Scope, ABI};

/// The newest Landlock ABI this tool knows and is tested against. A newer
/// kernel is used as this ABI: rights added later (e.g. UDP ports) would
/// be denied with no option to allow them, so they are not handled.
pub const NEWEST: u8 = 7;

/// The filesystem rights by the names the kernel documentation and
/// setpriv(1) give them, with the ABI that brought each.
pub const FS_NAMES: [(&str, AccessFs, u8); 16] = [
    ("execute", AccessFs::Execute, 1),
    ("write-file", AccessFs::WriteFile, 1),
    ("read-file", AccessFs::ReadFile, 1),
    ("read-dir", AccessFs::ReadDir, 1),
    ("remove-dir", AccessFs::RemoveDir, 1),
    ("remove-file", AccessFs::RemoveFile, 1),
    ("make-char", AccessFs::MakeChar, 1),
    ("make-dir", AccessFs::MakeDir, 1),
    ("make-reg", AccessFs::MakeReg, 1),
    ("make-sock", AccessFs::MakeSock, 1),
    ("make-fifo", AccessFs::MakeFifo, 1),
    ("make-block", AccessFs::MakeBlock, 1),
    ("make-sym", AccessFs::MakeSym, 1),
    ("refer", AccessFs::Refer, 2),
    ("truncate", AccessFs::Truncate, 3),
    ("ioctl-dev", AccessFs::IoctlDev, 5),
];

/// The scopes by name, all of ABI 6.
pub const SCOPE_NAMES: [(&str, Scope); 2] = [
    ("abstract-unix", Scope::AbstractUnixSocket),
    ("signal", Scope::Signal),
];

/// --ro: read files and list directories.
pub fn ro() -> BitFlags<AccessFs> {
    make_bitflags!(AccessFs::{ReadFile | ReadDir})
}

/// --rw: --ro, and write, create, remove, rename, link and truncate.
pub fn rw() -> BitFlags<AccessFs> {
    AccessFs::from_all(ABI::V3) & !AccessFs::Execute
}

/// The crate's ABI for a number (the kernel's, capped at [`NEWEST`]).
pub fn abi(number: u8) -> ABI {
    ABI::from(i32::from(number.min(NEWEST)))
}

/// Every filesystem right that ABI `number` mediates.
pub fn fs_handled(number: u8) -> BitFlags<AccessFs> {
    AccessFs::from_all(abi(number))
}

/// The ABI that mediates every right of `access`.
pub fn abi_needed(access: BitFlags<AccessFs>) -> u8 {
    FS_NAMES
        .iter()
        .filter(|(_, a, _)| access.contains(*a))
        .map(|(_, _, n)| *n)
        .max()
        .unwrap_or(1)
}

/// `execute,read-file` -> the rights; an unknown name is an error that
/// lists the known ones.
pub fn parse_fs(list: &str) -> Result<BitFlags<AccessFs>, String> {
    let mut access = BitFlags::EMPTY;
    for name in list.split(',') {
        match FS_NAMES.iter().find(|(n, _, _)| *n == name) {
            Some((_, a, _)) => access |= *a,
            None => {
                let known: Vec<&str> = FS_NAMES.iter().map(|(n, _, _)| *n).collect();
                return Err(format!(
                    "unknown access right '{name}' (known: {})",
                    known.join(", ")
                ));
            }
        }
    }
    Ok(access)
}

/// The names of `access`, comma-separated, in the kernel's order.
pub fn fs_names(access: BitFlags<AccessFs>) -> String {
    let names: Vec<&str> = FS_NAMES
        .iter()
        .filter(|(_, a, _)| access.contains(*a))
        .map(|(n, _, _)| *n)
        .collect();
    names.join(",")
}

/// `abstract-unix,signal` -> the scopes; `none` -> no scope.
pub fn parse_scopes(list: &str) -> Result<BitFlags<Scope>, String> {
    if list == "none" {
        return Ok(BitFlags::EMPTY);
    }
    let mut scopes = BitFlags::EMPTY;
    for name in list.split(',') {
        match SCOPE_NAMES.iter().find(|(n, _)| *n == name) {
            Some((_, s)) => scopes |= *s,
            None => {
                return Err(format!(
                    "unknown scope '{name}' (known: abstract-unix, signal, or none)"
                ))
            }
        }
    }
    Ok(scopes)
}

pub fn scope_names(scopes: BitFlags<Scope>) -> String {
    let names: Vec<&str> = SCOPE_NAMES
        .iter()
        .filter(|(_, s)| scopes.contains(*s))
        .map(|(n, _)| *n)
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_what_the_options_promise() {
        assert_eq!(fs_names(ro()), "read-file,read-dir");
        let rw = fs_names(rw());
        for right in ["write-file", "remove-file", "make-reg", "refer", "truncate"] {
            assert!(rw.contains(right), "{rw}");
        }
        assert!(!rw.contains("execute") && !rw.contains("ioctl-dev"), "{rw}");
    }

    #[test]
    fn each_abi_mediates_what_it_brought() {
        assert!(!fs_handled(2).contains(AccessFs::Truncate));
        assert!(fs_handled(3).contains(AccessFs::Truncate));
        assert!(!fs_handled(4).contains(AccessFs::IoctlDev));
        assert!(fs_handled(5).contains(AccessFs::IoctlDev));
        assert!(fs_handled(1).contains(AccessFs::Execute));
        assert!(!fs_handled(1).contains(AccessFs::Refer));
        // A newer kernel is used as the newest ABI this tool knows.
        assert_eq!(fs_handled(99), fs_handled(NEWEST));
        assert!(fs_handled(0).is_empty());
        assert_eq!(abi_needed(rw()), 3);
        assert_eq!(abi_needed(ro()), 1);
        assert_eq!(abi_needed(AccessFs::IoctlDev.into()), 5);
    }

    #[test]
    fn names_parse_and_unknown_ones_are_refused() {
        assert_eq!(
            parse_fs("execute,read-file").unwrap(),
            AccessFs::Execute | AccessFs::ReadFile
        );
        let e = parse_fs("read-file,wrte-file").unwrap_err();
        assert!(e.starts_with("unknown access right 'wrte-file' (known: execute,"));
        assert!(parse_fs("").is_err());
        assert_eq!(
            parse_scopes("signal,abstract-unix").unwrap(),
            Scope::Signal | Scope::AbstractUnixSocket
        );
        assert!(parse_scopes("none").unwrap().is_empty());
        assert!(parse_scopes("signals")
            .unwrap_err()
            .contains("unknown scope 'signals'"));
        assert_eq!(scope_names(BitFlags::EMPTY), "none");
    }
}
