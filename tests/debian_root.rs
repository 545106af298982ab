//! The realistic case of SCENARIOS.md: a Debian root made by debootstrap
//! (`scripts/mkrootfs --debian`), cached in .cache/rootfs-debian between
//! runs, with the headline and the recommended chains and Debian's own
//! userland (bash, GNU coreutils, procps, libcap2-bin).

use sk_e2e::{debian_root, headline, recommended, words};
use sk_testkit::{cmd, run};

fn the_headline_chain_in_a_debian_root() {
    let test = "the_headline_chain_in_a_debian_root";
    let Some(root) = debian_root(test) else {
        return;
    };
    let out = run(cmd(&headline(&root)[0]).args(&headline(&root)[1..]).args([
        "/bin/bash",
        "-c",
        "ps -e -o pid=,comm=; date -s @$(date +%s) 2>&1; cat /etc/debian_version; exit 7",
    ]));
    out.expect_code(7);
    let lines: Vec<&str> = out.stdout.lines().collect();
    // sk-cgroup --rm stays as PID 1; bash and ps are all the rest.
    assert!(lines.len() >= 4, "{}", out.stdout);
    assert!(
        out.stdout.contains(" bash\n") && out.stdout.contains(" ps\n"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("systemd") && !out.stdout.contains("cargo"),
        "host processes visible:\n{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Operation not permitted"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .trim_end()
            .ends_with(|c: char| c.is_ascii_digit()),
        "{}",
        out.stdout
    );
}

fn the_recommended_chain_runs_debian_userland() {
    let test = "the_recommended_chain_runs_debian_userland";
    let Some(root) = debian_root(test) else {
        return;
    };
    let chain = recommended(&root);
    let out = run(cmd(&chain[0]).args(&chain[1..]).args(words(
        "/bin/bash -c",
    )).arg(
        "id -u; ls / >/dev/null && echo ls-ok; grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; \
         capsh --has-p=cap_sys_admin 2>/dev/null && echo has-sys-admin || echo lacks-sys-admin; mount -t tmpfs none /mnt 2>&1 | head -n1",
    ));
    out.success();
    let text = &out.stdout;
    assert!(text.starts_with("0\nls-ok\n"), "{text}");
    assert!(
        text.contains("Seccomp:\t2") && text.contains("NoNewPrivs:\t1"),
        "{text}"
    );
    assert!(text.contains("lacks-sys-admin"), "{text}");
    assert!(text.contains("mount"), "mount was not refused: {text}");
}

sk_testkit::tests! {
    the_headline_chain_in_a_debian_root,
    the_recommended_chain_runs_debian_userland,
}
