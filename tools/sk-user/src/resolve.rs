//! From USER[:GROUP] and the groups options to numbers: the target of the
//! switch. The lookup in the files is pure ([`target`]); reading them from
//! the current root is [`read_files`].

use nix::errno::Errno;
use sk_common::{inroot, Result};
use std::ffi::OsString;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;

use crate::cli::{Groups, Id, Plan};
use crate::passwd::{self, User};

/// The largest /etc/passwd or /etc/group read: bigger than any real one.
pub const MAX_FILE: u64 = 16 << 20;

/// The most supplementary groups the kernel takes (NGROUPS_MAX).
pub const MAX_GROUPS: usize = 65536;

/// What the switch makes of this process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub uid: u32,
    pub gid: u32,
    /// None: keep the supplementary groups as they are.
    pub groups: Option<Vec<u32>>,
    /// The passwd entry's name and home, for USER, LOGNAME and HOME.
    pub name: Option<OsString>,
    pub home: Option<OsString>,
}

/// The files, as read from the root: None when a file does not exist.
#[derive(Clone, Debug, Default)]
pub struct Files {
    pub passwd: Option<Vec<u8>>,
    pub group: Option<Vec<u8>>,
}

/// Which files the plan needs: /etc/passwd for a user name, a missing
/// primary group, --init-groups or the environment; /etc/group for group
/// names and --init-groups.
pub fn needs(plan: &Plan) -> (bool, bool) {
    let group_names = matches!(plan.group, Some(Id::Name(_)))
        || matches!(&plan.groups, Groups::List(l) if l.iter().any(|g| matches!(g, Id::Name(_))));
    let init = plan.groups == Groups::Init;
    let passwd = matches!(plan.user, Id::Name(_)) || plan.group.is_none() || init || !plan.keep_env;
    (passwd, group_names || init)
}

/// Reads what the plan needs from `root` (normally /, which after sk-pivot
/// is the image): resolved inside it without magic links, regular files
/// only, size-bounded.
pub fn read_files(plan: &Plan, root: &Path) -> Result<Files> {
    let dir = inroot::open_root(root)
        .map_err(|e| anyhow::Error::new(e).context(format!("cannot open {}", root.display())))?;
    let read = |path: &str| -> Result<Option<Vec<u8>>> {
        match inroot::read_bounded(dir.as_fd(), Path::new(path), MAX_FILE) {
            Ok(data) => Ok(Some(data)),
            Err(e) if sk_common::error::errno_of(&e) == Some(Errno::ENOENT) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let (passwd, group) = needs(plan);
    Ok(Files {
        passwd: if passwd { read("/etc/passwd")? } else { None },
        group: if group { read("/etc/group")? } else { None },
    })
}

fn gid_of(id: &Id, group: Option<&[u8]>) -> std::result::Result<u32, String> {
    match id {
        Id::Number(n) => Ok(*n),
        Id::Name(name) => {
            let data = group.ok_or_else(|| format!("no group {name}: there is no /etc/group"))?;
            passwd::group_by_name(data, name.as_bytes())?
                .map(|g| g.gid)
                .ok_or_else(|| format!("no group {name} in /etc/group"))
        }
    }
}

fn user_entry(plan: &Plan, data: Option<&[u8]>) -> std::result::Result<Option<User>, String> {
    match &plan.user {
        Id::Name(name) => {
            let data = data.ok_or_else(|| format!("no user {name}: there is no /etc/passwd"))?;
            passwd::user_by_name(data, name.as_bytes())?
                .map(Some)
                .ok_or_else(|| format!("no user {name} in /etc/passwd"))
        }
        Id::Number(uid) => Ok(data.and_then(|d| passwd::user_by_uid(d, *uid))),
    }
}

/// The target, from the plan and the files' contents.
pub fn target(plan: &Plan, files: &Files) -> std::result::Result<Target, String> {
    let group_data = files.group.as_deref();
    let entry = user_entry(plan, files.passwd.as_deref())?;
    let uid = match (&plan.user, &entry) {
        (Id::Number(n), _) => *n,
        (Id::Name(_), Some(u)) => u.uid,
        (Id::Name(name), None) => return Err(format!("no user {name}")),
    };
    let gid = match (&plan.group, &entry) {
        (Some(g), _) => gid_of(g, group_data)?,
        (None, Some(u)) => u.gid,
        (None, None) => {
            return Err(format!(
                "uid {uid} has no entry in /etc/passwd to take a group from: give one ({uid}:GID)"
            ))
        }
    };
    let groups = match &plan.groups {
        Groups::Clear => Some(vec![]),
        Groups::Keep => None,
        Groups::List(list) => Some(
            list.iter()
                .map(|g| gid_of(g, group_data))
                .collect::<std::result::Result<Vec<u32>, String>>()?,
        ),
        Groups::Init => {
            let name = entry
                .as_ref()
                .map(|u| u.name.clone())
                .ok_or_else(|| format!("--init-groups: uid {uid} has no name in /etc/passwd"))?;
            let mut gids = vec![gid];
            let members = passwd::groups_of(group_data.unwrap_or_default(), &name);
            gids.extend(members.into_iter().filter(|g| *g != gid));
            Some(gids)
        }
    };
    if groups.as_ref().is_some_and(|g| g.len() > MAX_GROUPS) {
        return Err(format!("more than {MAX_GROUPS} supplementary groups"));
    }
    Ok(Target {
        uid,
        gid,
        groups,
        name: entry.as_ref().map(|u| OsString::from_vec(u.name.clone())),
        home: entry
            .as_ref()
            .filter(|u| !u.home.is_empty())
            .map(|u| OsString::from_vec(u.home.clone())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(user: Id, group: Option<Id>, groups: Groups) -> Plan {
        Plan {
            user,
            group,
            groups,
            keep_env: false,
            command: vec!["id".into()],
        }
    }

    fn files() -> Files {
        Files {
            passwd: Some(b"root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh\n".to_vec()),
            group: Some(b"root:x:0:\nadm:x:4:alice\nusers:x:100:alice,nobody\nnogroup:x:65534:\nalice:x:1000:\n".to_vec()),
        }
    }

    #[test]
    fn names_give_numbers_and_init_groups() {
        let t = target(
            &plan(Id::Name("nobody".into()), None, Groups::Init),
            &files(),
        )
        .unwrap();
        assert_eq!((t.uid, t.gid), (65534, 65534));
        assert_eq!(t.groups, Some(vec![65534, 100]));
        assert_eq!(t.home, Some("/nonexistent".into()));
        assert_eq!(t.name, Some("nobody".into()));
        let t = target(&plan(Id::Number(1000), None, Groups::Init), &files()).unwrap();
        assert_eq!(t.groups, Some(vec![1000, 4, 100]));
        assert_eq!(t.name, Some("alice".into()));
    }

    #[test]
    fn numbers_need_no_entry_but_a_group() {
        let t = target(
            &plan(Id::Number(4242), Some(Id::Number(4242)), Groups::Clear),
            &files(),
        )
        .unwrap();
        assert_eq!(
            (t.uid, t.gid, t.groups, t.name),
            (4242, 4242, Some(vec![]), None)
        );
        let e = target(&plan(Id::Number(4242), None, Groups::Clear), &files()).unwrap_err();
        assert!(e.contains("give one (4242:GID)"), "{e}");
        let t = target(
            &plan(Id::Number(0), Some(Id::Name("users".into())), Groups::Keep),
            &files(),
        )
        .unwrap();
        assert_eq!((t.gid, t.groups), (100, None));
    }

    #[test]
    fn unknown_names_are_errors() {
        let e = target(&plan(Id::Name("bob".into()), None, Groups::Clear), &files()).unwrap_err();
        assert_eq!(e, "no user bob in /etc/passwd");
        let p = plan(Id::Number(0), Some(Id::Name("wheel".into())), Groups::Clear);
        assert_eq!(
            target(&p, &files()).unwrap_err(),
            "no group wheel in /etc/group"
        );
        let p = plan(
            Id::Number(0),
            Some(Id::Number(0)),
            Groups::List(vec![Id::Name("adm".into()), Id::Name("x".into())]),
        );
        assert!(target(&p, &files()).is_err());
        let none = Files::default();
        let p = plan(Id::Name("root".into()), None, Groups::Clear);
        assert!(target(&p, &none)
            .unwrap_err()
            .contains("there is no /etc/passwd"));
    }

    #[test]
    fn only_the_files_needed_are_read() {
        let mut p = plan(Id::Number(1), Some(Id::Number(1)), Groups::Clear);
        assert_eq!(needs(&p), (true, false));
        p.keep_env = true;
        assert_eq!(needs(&p), (false, false));
        p.groups = Groups::List(vec![Id::Name("adm".into())]);
        assert_eq!(needs(&p), (false, true));
    }
}
