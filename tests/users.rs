//! sk-user end to end: identity in a Debian root, capabilities passed on
//! through the ambient set, hostile passwd and group files of an image, and
//! rootless chains. Issue 16's acceptance.

use sk_e2e::debian_root;
use sk_testkit::{c_program, need_root, run, sk, Output, Rootfs};
use std::path::Path;

/// The Cap* lines of /proc/self/status, as `name mask` pairs.
fn caps(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter(|l| l.starts_with("Cap"))
        .filter_map(|l| l.split_once(":\t"))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn nobody_with_init_groups_in_a_debian_root_has_no_capability() {
    let test = "nobody_with_init_groups_in_a_debian_root_has_no_capability";
    let Some(root) = debian_root(test) else {
        return;
    };
    let out = run(sk("sk-unshare")
        .args(["-mp", "sk-pivot"])
        .arg(&root)
        .args(["sk-user", "--init-groups", "nobody", "sh", "-c"])
        .arg("id; grep ^Cap /proc/self/status; echo $HOME $USER $LOGNAME"));
    out.success();
    let mut lines = out.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)"),
        "{}",
        out.stdout
    );
    let sets = caps(&out.stdout);
    assert_eq!(sets.len(), 5, "{}", out.stdout);
    for (set, mask) in sets {
        assert_eq!(mask, "0000000000000000", "{set}");
    }
    assert!(
        out.stdout.ends_with("/nonexistent nobody nobody\n"),
        "{}",
        out.stdout
    );
}

/// `sk-unshare -n sk-capdrop --keep KEEP [--ambient] sk-user 1000:1000
/// workload bind 80`, after printing the capability sets.
fn bind_80_as_1000(test: &str, keep: &str, ambient: bool) -> Option<Output> {
    let prog = c_program(test, "workload")?;
    let mut c = sk("sk-unshare");
    c.args(["-n", "sk-capdrop", "--keep", keep]);
    if ambient {
        c.arg("--ambient");
    }
    c.args(["sk-user", "1000:1000", "sh", "-c"]).arg(format!(
        "grep ^Cap /proc/self/status; id -u; {} bind 80",
        prog.display()
    ));
    Some(run(&mut c))
}

fn uid_1000_holds_exactly_net_bind_service_through_the_documented_chain() {
    let test = "uid_1000_holds_exactly_net_bind_service_through_the_documented_chain";
    if !need_root(test) {
        return;
    }
    let Some(out) = bind_80_as_1000(test, "net_bind_service,setuid,setgid", true) else {
        return;
    };
    out.success();
    for (set, mask) in caps(&out.stdout) {
        // Bit 10 is cap_net_bind_service; the bounding set still holds
        // setuid and setgid (sk-user has no CAP_SETPCAP to lower it).
        let want = if set == "CapBnd" {
            "00000000000004c0"
        } else {
            "0000000000000400"
        };
        assert_eq!(mask, want, "{set}\n{}", out.stdout);
    }
    assert!(out.stdout.ends_with("1000\nbound\n"), "{}", out.stdout);
}

fn uid_1000_without_asking_holds_nothing_and_cannot_bind_80() {
    let test = "uid_1000_without_asking_holds_nothing_and_cannot_bind_80";
    if !need_root(test) {
        return;
    }
    for (keep, ambient) in [
        ("net_bind_service,setuid,setgid", false),
        ("setuid,setgid", true),
    ] {
        let Some(out) = bind_80_as_1000(test, keep, ambient) else {
            return;
        };
        out.expect_code(1);
        for (set, mask) in caps(&out.stdout) {
            if set != "CapBnd" {
                assert_eq!(mask, "0000000000000000", "{set}\n{}", out.stdout);
            }
        }
        assert!(
            out.stdout.ends_with("1000\ndenied: Permission denied\n"),
            "{}",
            out.stdout
        );
    }
}

fn the_parent_death_signal_survives_the_switch() {
    let test = "the_parent_death_signal_survives_the_switch";
    if !need_root(test) {
        return;
    }
    // --kill-child sets SIGKILL as the child's parent-death signal; the uid
    // change clears it and sk-user must set it again (setpriv --dump shows
    // it; after `setpriv --reuid` alone it shows "[none]").
    if !sk_testkit::have("setpriv") {
        sk_testkit::skip(test, "setpriv is not installed (util-linux)");
        return;
    }
    let out = run(sk("sk-unshare").args([
        "-f",
        "--kill-child",
        "sk-user",
        "61234:61234",
        "setpriv",
        "--dump",
    ]));
    out.success();
    assert!(
        out.stdout.contains("Parent death signal: 9")
            || out.stdout.contains("Parent death signal: KILL"),
        "{}",
        out.stdout
    );
}

/// A busybox root whose /etc/passwd (and /etc/group) is `passwd`.
fn hostile_root(test: &str, passwd: &[u8], group: Option<&[u8]>) -> Option<Rootfs> {
    let root = Rootfs::busybox(test)?;
    let etc = root.path().join("etc");
    std::fs::remove_file(etc.join("passwd")).unwrap();
    std::fs::write(etc.join("passwd"), passwd).unwrap();
    if let Some(g) = group {
        std::fs::write(etc.join("group"), g).unwrap();
    }
    Some(root)
}

fn sk_user_in(root: &Path, args: &[&str]) -> Output {
    run(sk("sk-unshare")
        .args(["-m", "sk-pivot"])
        .arg(root)
        .arg("sk-user")
        .args(args))
}

fn hostile_passwd_and_group_files_give_one_line_and_125() {
    let test = "hostile_passwd_and_group_files_give_one_line_and_125";
    if !need_root(test) {
        return;
    }
    let mut huge_line = b"nobody:x:65534:65534::/".to_vec();
    huge_line.extend(vec![b'a'; 1 << 20]);
    let mut huge_file = Vec::new();
    while huge_file.len() <= 17 << 20 {
        huge_file.extend_from_slice(b"filler:x:1:1::/:/bin/sh\n");
    }
    // What, /etc/passwd, /etc/group, sk-user's arguments, the error.
    type Case<'a> = (&'a str, Vec<u8>, Option<&'a [u8]>, &'a [&'a str], &'a str);
    let cases: Vec<Case> = vec![
        (
            "a huge line",
            huge_line,
            None,
            &["nobody", "id"],
            "malformed",
        ),
        (
            "a huge file",
            huge_file,
            None,
            &["nobody", "id"],
            "larger than",
        ),
        (
            "no fields",
            b"nobody\n".to_vec(),
            None,
            &["nobody", "id"],
            "malformed",
        ),
        (
            "few fields",
            b"nobody:x:65534\n".to_vec(),
            None,
            &["nobody", "id"],
            "malformed",
        ),
        (
            "a NUL byte",
            b"nobody:x:65534:65534::/\0:/bin/sh\n".to_vec(),
            None,
            &["nobody", "id"],
            "malformed",
        ),
        (
            "duplicates",
            b"nobody:x:65534:65534::/:/bin/false\nnobody:x:0:0::/:/bin/sh\n".to_vec(),
            None,
            &["nobody", "id"],
            "defined twice",
        ),
        (
            "a bad uid",
            b"nobody:x:-1:65534::/:/bin/false\n".to_vec(),
            None,
            &["nobody", "id"],
            "malformed",
        ),
        (
            "duplicate groups",
            b"nobody:x:65534:65534::/:/bin/false\n".to_vec(),
            Some(b"staff:x:50:\nstaff:x:0:\n"),
            &["nobody:staff", "id"],
            "defined twice",
        ),
        (
            "no such user",
            b"root:x:0:0::/:/bin/sh\n".to_vec(),
            None,
            &["nobody", "id"],
            "no user nobody",
        ),
    ];
    for (what, passwd, group, args, needle) in cases {
        let Some(root) = hostile_root(test, &passwd, group) else {
            return;
        };
        let out = sk_user_in(root.path(), args);
        assert_eq!(out.code(), 125, "{what}: {}", out.stderr);
        out.one_error_line(needle);
        assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
    }
}

fn numeric_names_are_numbers_never_names() {
    let test = "numeric_names_are_numbers_never_names";
    if !need_root(test) {
        return;
    }
    // An entry NAMED 1000 with uid 0: `sk-user 1000` means uid 1000.
    let passwd = b"1000:x:0:0:evil:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n";
    let Some(root) = hostile_root(test, passwd, None) else {
        return;
    };
    let out = sk_user_in(root.path(), &["1000:1000", "id", "-u"]);
    out.success();
    assert_eq!(out.stdout, "1000\n");
    // Without a group, uid 1000 has no entry to take one from.
    sk_user_in(root.path(), &["1000", "id", "-u"])
        .expect_code(125)
        .one_error_line("uid 1000 has no entry in /etc/passwd");
}

fn passwd_links_to_host_files_and_fifos_are_refused() {
    let test = "passwd_links_to_host_files_and_fifos_are_refused";
    if !need_root(test) {
        return;
    }
    let Some(root) = Rootfs::busybox(test) else {
        return;
    };
    let passwd = root.path().join("etc/passwd");
    std::fs::remove_file(&passwd).unwrap();
    // Without a pid namespace /proc/1/root is the host's /: a magic link.
    std::os::unix::fs::symlink("/proc/1/root/etc/passwd", &passwd).unwrap();
    // (Refused as a magic link, or earlier when pid 1 may not be ptraced.)
    sk_user_in(root.path(), &["nobody", "id"])
        .expect_code(125)
        .one_error_line("sk-user: cannot open /etc/passwd: ");
    // Any magic link is refused, even one that leads back inside.
    std::fs::write(
        root.path().join("etc/inside"),
        "nobody:x:4242:4242::/:/bin/false\n",
    )
    .unwrap();
    std::fs::remove_file(&passwd).unwrap();
    std::os::unix::fs::symlink("/proc/self/root/etc/inside", &passwd).unwrap();
    sk_user_in(root.path(), &["nobody", "id"])
        .expect_code(125)
        .one_error_line("cannot open /etc/passwd: Too many symbolic links");
    // An absolute link resolves inside the root, never on the host.
    std::fs::remove_file(&passwd).unwrap();
    std::os::unix::fs::symlink("/../../../etc/inside", &passwd).unwrap();
    let out = sk_user_in(root.path(), &["nobody", "id", "-u"]);
    out.success();
    assert_eq!(out.stdout, "4242\n");
    // A FIFO would block a reader for ever; a directory is no file.
    std::fs::remove_file(&passwd).unwrap();
    nix::unistd::mkfifo(&passwd, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    let refused = || {
        sk_user_in(root.path(), &["nobody", "id"])
            .expect_code(125)
            .one_error_line("not a regular file");
    };
    refused();
    std::fs::remove_file(&passwd).unwrap();
    std::fs::create_dir(&passwd).unwrap();
    refused();
}

fn rootless_switch_to_an_unmapped_user_is_one_line_and_no_half_switch() {
    let test = "rootless_switch_to_an_unmapped_user_is_one_line_and_no_half_switch";
    if !need_root(test) {
        return;
    }
    // An unprivileged user makes the namespace: setgroups is then denied.
    let out = run(sk("sk-user").args([
        "61234:61234",
        "sk-unshare",
        "-U",
        "-r",
        "sk-user",
        "65534:65534",
        "id",
    ]));
    out.expect_code(125).one_error_line(
        "sk-user: cannot switch to uid 65534 gid 65534: uid 65534 and gid 65534 not mapped",
    );
    // Root inside, groups as they are: that works, and says nothing.
    let out = run(sk("sk-user").args([
        "61234:61234",
        "sk-unshare",
        "-U",
        "-r",
        "sk-user",
        "--keep-groups",
        "0:0",
        "id",
        "-u",
    ]));
    out.success();
    assert_eq!(out.stdout, "0\n");
}

fn groups_by_name_and_the_environment_in_a_debian_root() {
    let test = "groups_by_name_and_the_environment_in_a_debian_root";
    let Some(root) = debian_root(test) else {
        return;
    };
    let chain = |args: &[&str]| {
        run(sk("sk-unshare")
            .args(["-mp", "sk-pivot"])
            .arg(&root)
            .arg("sk-user")
            .args(args)
            .args(["sh", "-c", "id -u; id -g; id -G; echo $HOME ${USER-none}"])
            .env("USER", "caller")
            .env("HOME", "/caller"))
    };
    let out = chain(&["--groups", "adm,100", "nobody:staff"]);
    out.success();
    assert_eq!(out.stdout, "65534\n50\n50 4 100\n/nonexistent nobody\n");
    let out = chain(&["--keep-env", "_apt"]);
    out.success();
    assert_eq!(out.stdout, "42\n65534\n65534\n/caller caller\n");
    chain(&["--groups", "adm,nosuchgroup", "nobody"])
        .expect_code(125)
        .one_error_line("sk-user: no group nosuchgroup in /etc/group");
}

sk_testkit::tests! {
    nobody_with_init_groups_in_a_debian_root_has_no_capability,
    uid_1000_holds_exactly_net_bind_service_through_the_documented_chain,
    uid_1000_without_asking_holds_nothing_and_cannot_bind_80,
    the_parent_death_signal_survives_the_switch,
    hostile_passwd_and_group_files_give_one_line_and_125,
    numeric_names_are_numbers_never_names,
    passwd_links_to_host_files_and_fifos_are_refused,
    rootless_switch_to_an_unmapped_user_is_one_line_and_no_half_switch,
    groups_by_name_and_the_environment_in_a_debian_root,
}
