# The headline chain (scenario S1) with sk-aaexec at the end (issue 8
# acceptance 4), in a busybox root made by scripts/mkrootfs inside the VM.
# AppArmor matches paths as the confined process sees them: after the pivot,
# /etc/hosts is the container's, so the same nohosts profile applies.

# The container root, made once. It holds no sk-* tool: sk-pivot carries
# the rest of the chain's tools across the pivot.
container_root() {
    root=/tmp/myroot
    if [ ! -e $root/etc/seckun-rootfs ]; then
        /sk/mkrootfs $root >/tmp/mkrootfs.log 2>&1 || { why "mkrootfs: $(tail -n 1 /tmp/mkrootfs.log)"; return 1; }
        cp /usr/bin/cat $root/usr/bin/cat
        printf '10.20.30.40 inside-the-container\n' >$root/etc/hosts
    fi
    echo $root
}

chain() {
    sk-unshare -mup sk-cgroup cpu=20000 sk-pivot "$ROOT" sk-capdrop sys_time sk-aaexec -p nohosts "$@"
}

need_chain_tools() {
    for t in sk-unshare sk-cgroup sk-pivot sk-capdrop sk-aaexec; do need_tool $t || return; done
    ROOT=$(container_root) || return
}

test_headline_chain_ending_in_nohosts_reads_the_containers_hosts() {
    need_chain_tools || return
    run chain cat /etc/hosts
    want_code 0 && want_out "10.20.30.40 inside-the-container"
}

test_headline_chain_ending_in_nohosts_denies_etc_passwd() {
    need_chain_tools || return
    run chain cat /etc/passwd
    want_code 1 && want_out "" && want_err "Permission denied"
}

test_headline_chain_command_is_confined_by_nohosts() {
    need_chain_tools || return
    run chain /usr/bin/cat /proc/self/attr/current
    want_code 0 && want_out "nohosts (enforce)"
}

test_headline_chain_keeps_every_links_step_under_apparmor() {
    need_chain_tools || return
    # outer allows nearly everything, so the other links show through: pid
    # 2 of its own namespace (the minimal init is 1), its own cgroup, no
    # CAP_SYS_TIME.
    run sk-unshare -mup sk-cgroup cpu=20000 sk-pivot "$ROOT" sk-capdrop sys_time sk-aaexec -p outer \
        sh -c 'echo "pid $$"; cat /proc/self/attr/current; sed -n "s/^0:://p" /proc/self/cgroup;
            date -s @$(date +%s) 2>&1 >/dev/null; cat /etc/seckun-rootfs'
    want_code 0 || return
    want_out_has "pid 2" && want_out_has "outer (enforce)" && want_out_has "/sk-1" &&
        want_out_has "Operation not permitted" && want_out_has "inside the container root"
}

test_headline_chain_status_comes_back_through_all_links() {
    need_chain_tools || return
    run sk-unshare -mup sk-cgroup cpu=20000 sk-pivot "$ROOT" sk-capdrop sys_time sk-aaexec -p outer sh -c 'exit 42'
    want_code 42
}

test_headline_chain_runs_twice_in_a_row() {
    need_chain_tools || return
    # S1 as a user tries it: the chain, then the same chain again. Without
    # --rm sk-cgroup leaves its empty group behind, named after the pid (1
    # in every chain's pid namespace) and the namespace's inode, which the
    # kernel hands out again.
    run chain cat /etc/hosts
    want_code 0 || return
    run chain cat /etc/hosts
    want_code 0 && want_out "10.20.30.40 inside-the-container"
}
