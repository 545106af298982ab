//! /etc/passwd and /etc/group, parsed directly: never through NSS, whose
//! modules would be the image's code running in this process.
//!
//! The files come from the image and are hostile. Parsing is over bytes,
//! never panics, and is strict where it matters:
//! - a line that is too long, has too few fields, a number that is not one,
//!   or a NUL byte is malformed: skipped, unless it is the entry asked for,
//!   which is then an error (never a later, other entry by that name);
//! - a name defined twice with different contents is ambiguous: an error;
//! - comments, empty lines and NIS `+`/`-` lines are skipped.
//!
//! Nothing here makes a system call.

/// The longest line considered; glibc's own limit is larger, but no real
/// entry comes near this.
pub const MAX_LINE: usize = 64 * 1024;

/// One /etc/passwd entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: Vec<u8>,
    pub uid: u32,
    pub gid: u32,
    pub home: Vec<u8>,
}

/// One /etc/group entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub name: Vec<u8>,
    pub gid: u32,
    pub members: Vec<Vec<u8>>,
}

/// An id as the files write it: decimal, and never -1 (which the
/// set*id calls read as "unchanged").
pub fn parse_id(field: &[u8]) -> Option<u32> {
    if field.is_empty() || field.len() > 10 || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(field)
        .ok()?
        .parse::<u32>()
        .ok()
        .filter(|id| *id != u32::MAX)
}

/// The lines worth reading, with the fields of each; None for a malformed
/// one (with its first field, to tell whether it was the one asked for).
fn records(data: &[u8]) -> impl Iterator<Item = (&[u8], Option<Vec<&[u8]>>)> {
    data.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty() && !matches!(l[0], b'#' | b'+' | b'-'))
        .map(|line| {
            let first = line.split(|b| *b == b':').next().unwrap_or_default();
            if line.len() > MAX_LINE || line.contains(&0) {
                return (first, None);
            }
            let fields: Vec<&[u8]> = line.split(|b| *b == b':').collect();
            (first, Some(fields))
        })
}

fn user_of(fields: &[&[u8]]) -> Option<User> {
    if fields.len() < 4 || fields[0].is_empty() {
        return None;
    }
    Some(User {
        name: fields[0].to_vec(),
        uid: parse_id(fields[2])?,
        gid: parse_id(fields[3])?,
        home: fields.get(5).map(|h| h.to_vec()).unwrap_or_default(),
    })
}

fn group_of(fields: &[&[u8]]) -> Option<Group> {
    if fields.len() < 3 || fields[0].is_empty() {
        return None;
    }
    let members = fields
        .get(3)
        .map(|m| {
            m.split(|b| *b == b',')
                .filter(|n| !n.is_empty())
                .map(<[u8]>::to_vec)
                .collect()
        })
        .unwrap_or_default();
    Some(Group {
        name: fields[0].to_vec(),
        gid: parse_id(fields[2])?,
        members,
    })
}

fn show(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// The one entry named `name`: a malformed or ambiguous one is an error.
fn by_name<T: PartialEq>(
    data: &[u8],
    name: &[u8],
    file: &str,
    parse: impl Fn(&[&[u8]]) -> Option<T>,
) -> Result<Option<T>, String> {
    let mut found: Option<T> = None;
    for (first, fields) in records(data) {
        if first != name {
            continue;
        }
        let entry = fields
            .as_deref()
            .and_then(&parse)
            .ok_or_else(|| format!("the entry of {} in {file} is malformed", show(name)))?;
        match &found {
            Some(f) if *f != entry => {
                return Err(format!(
                    "{} is defined twice, differently, in {file}",
                    show(name)
                ))
            }
            _ => found = Some(entry),
        }
    }
    Ok(found)
}

/// The user named `name`.
pub fn user_by_name(passwd: &[u8], name: &[u8]) -> Result<Option<User>, String> {
    by_name(passwd, name, "/etc/passwd", user_of)
}

/// The first well-formed entry with uid `uid`, as getpwuid(3) gives it
/// (several names for one uid are usual: root and toor).
pub fn user_by_uid(passwd: &[u8], uid: u32) -> Option<User> {
    records(passwd)
        .filter_map(|(_, f)| f.as_deref().and_then(user_of))
        .find(|u| u.uid == uid)
}

/// The group named `name`.
pub fn group_by_name(group: &[u8], name: &[u8]) -> Result<Option<Group>, String> {
    by_name(group, name, "/etc/group", group_of)
}

/// The gids of every well-formed group that lists `user` as a member, in
/// file order, without repeats.
pub fn groups_of(group: &[u8], user: &[u8]) -> Vec<u32> {
    let mut gids = Vec::new();
    for g in records(group).filter_map(|(_, f)| f.as_deref().and_then(group_of)) {
        if g.members.iter().any(|m| m == user) && !gids.contains(&g.gid) {
            gids.push(g.gid);
        }
    }
    gids
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &[u8] = b"root:x:0:0:root:/root:/bin/bash\n\
# a comment\n\
\n\
+nis\n\
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
toor:x:0:0::/root2:/bin/sh\n\
short:x:5\n\
1000:x:1001:1001::/home/numeric:/bin/sh\n\
dup:x:7:7::/a:/bin/sh\n\
dup:x:8:8::/b:/bin/sh\n\
same:x:9:9::/s:/bin/sh\n\
same:x:9:9::/s:/bin/sh\n\
minimal:x:10:10\n";

    const GROUP: &[u8] = b"root:x:0:\n\
adm:x:4:syslog,alice\n\
users:x:100:alice,bob\n\
nogroup:x:65534:\n\
broken:x:notanumber:alice\n\
again:x:100:alice\n\
g2:x:2\n";

    #[test]
    fn users_by_name_and_by_uid() {
        let root = user_by_name(PASSWD, b"root").unwrap().unwrap();
        assert_eq!((root.uid, root.gid, &root.home[..]), (0, 0, &b"/root"[..]));
        let nobody = user_by_name(PASSWD, b"nobody").unwrap().unwrap();
        assert_eq!((nobody.uid, nobody.gid), (65534, 65534));
        assert_eq!(user_by_name(PASSWD, b"nosuch").unwrap(), None);
        assert_eq!(user_by_uid(PASSWD, 0).unwrap().name, b"root");
        assert_eq!(user_by_uid(PASSWD, 4242), None);
        let m = user_by_name(PASSWD, b"minimal").unwrap().unwrap();
        assert_eq!((m.uid, &m.home[..]), (10, &b""[..]));
    }

    #[test]
    fn malformed_and_ambiguous_entries_are_errors_when_asked_for() {
        assert!(user_by_name(PASSWD, b"short")
            .unwrap_err()
            .contains("malformed"));
        assert!(user_by_name(PASSWD, b"dup")
            .unwrap_err()
            .contains("defined twice"));
        assert_eq!(user_by_name(PASSWD, b"same").unwrap().unwrap().uid, 9);
        assert!(group_by_name(GROUP, b"broken")
            .unwrap_err()
            .contains("malformed"));
    }

    #[test]
    fn hostile_files_do_not_break_the_parser() {
        let mut huge = vec![b'a'; MAX_LINE + 10];
        huge.extend_from_slice(b":x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n");
        assert_eq!(user_by_name(&huge, b"nobody").unwrap().unwrap().uid, 65534);
        let mut named_huge = b"evil:x:0:0::/".to_vec();
        named_huge.extend(vec![b'a'; MAX_LINE]);
        assert!(user_by_name(&named_huge, b"evil").is_err());
        for junk in [
            &b""[..],
            b"\n\n\n",
            b":::::::",
            b"x",
            b"nobody",
            b"nobody:",
            b"nobody:x:-1:0",
            b"nobody:x:4294967295:0",
            b"nobody:x:99999999999:0",
            b"nobody:x:1:1\x00:/:/",
            b"\xff\xfe:x:1:1",
        ] {
            let r = user_by_name(junk, b"nobody");
            assert!(matches!(r, Ok(None) | Err(_)), "{junk:?}");
            if junk.starts_with(b"nobody:") {
                assert!(r.is_err(), "{junk:?}");
            }
            let _ = groups_of(junk, b"nobody");
            let _ = user_by_uid(junk, 1);
        }
    }

    #[test]
    fn groups_by_name_and_membership() {
        assert_eq!(group_by_name(GROUP, b"users").unwrap().unwrap().gid, 100);
        assert_eq!(group_by_name(GROUP, b"nope").unwrap(), None);
        // broken is skipped; again repeats gid 100.
        assert_eq!(groups_of(GROUP, b"alice"), [4, 100]);
        assert_eq!(groups_of(GROUP, b"bob"), [100]);
        assert!(groups_of(GROUP, b"nobody").is_empty());
        assert!(groups_of(GROUP, b"").is_empty());
    }

    #[test]
    fn ids_are_decimal_and_never_minus_one() {
        assert_eq!(parse_id(b"0"), Some(0));
        assert_eq!(parse_id(b"4294967294"), Some(4294967294));
        for bad in [
            &b""[..],
            b"-1",
            b"4294967295",
            b"4294967296",
            b" 1",
            b"0x10",
            b"1a",
        ] {
            assert_eq!(parse_id(bad), None, "{bad:?}");
        }
    }
}
