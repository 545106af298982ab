# sk-cgroup on a pure cgroup v2 hierarchy (scenario S5, issue 4 acceptance 4,
# issue 8 acceptance 5): cgroup2 is the only hierarchy mounted in the VM, at
# /sys/fs/cgroup, and its root starts with an empty subtree_control.

test_cgroup2_is_the_only_hierarchy_with_every_controller() {
    n=$(grep -c ' - cgroup ' /proc/self/mountinfo)
    [ "$n" = 0 ] || why "$n cgroup v1 mounts" || return
    for c in cpu memory pids; do
        grep -qw $c /sys/fs/cgroup/cgroup.controllers || why "no $c in cgroup.controllers" || return
    done
}

test_cgroup_cpu_20000_writes_cpu_max_and_delegates_cpu() {
    need_tool sk-cgroup || return
    run sk-cgroup cpu=20000 cat /proc/self/cgroup
    want_code 0 || return
    cg=$(printf '%s\n' "$OUT" | sed -n 's/^0::\(.*\)$/\1/p')
    [ -n "$cg" ] && [ "$cg" != / ] || why "not in a cgroup of its own: $OUT" || return
    [ "$(cat /sys/fs/cgroup$cg/cpu.max)" = "20000 100000" ] ||
        why "cpu.max of $cg reads $(cat /sys/fs/cgroup$cg/cpu.max)" || return
    grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control ||
        why "cpu is not enabled in the root's subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
}

# CPU time a 2 s busy loop accumulates in a cgroup made by `sk-cgroup LIMIT`,
# read from the group's cpu.stat before and after the loop (so the start-up
# of the chain, slow under emulation, does not count).
busy_usage_usec() {
    sk-cgroup "$1" sh -c 'stat=/sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup)/cpu.stat
        a=$(sed -n "s/^usage_usec //p" $stat)
        timeout 2 sh -c "while :; do :; done"
        b=$(sed -n "s/^usage_usec //p" $stat)
        echo $((b - a))' </dev/null 2>/tmp/busy-err ||
        { why "sk-cgroup $1 failed: $(cat /tmp/busy-err)"; return 1; }
}

test_cgroup_cpu_20000_holds_a_busy_loop_to_20_percent() {
    need_tool sk-cgroup || return
    # CPU time used, read from the group's cpu.stat: accounting, not wall time.
    limited=$(busy_usage_usec cpu=20000) || return
    [ "$limited" -le 500000 ] || why "the busy loop used ${limited}us of 2s under cpu=20000" || return
    free=$(busy_usage_usec pids=1000) || return
    [ "$free" -ge 1000000 ] || why "without a cpu limit the busy loop used only ${free}us of 2s"
}

test_cgroup_memory_64m_kills_a_128m_allocation() {
    need_tool sk-cgroup || return
    # busy box dd allocates and fills a block of bs bytes.
    run sk-cgroup memory=64M sh -c 'sed -n "s/^0:://p" /proc/self/cgroup >/tmp/mem-cg;
        exec dd if=/dev/zero of=/dev/null bs=128M count=1'
    want_code 137 || return
    cg=/sys/fs/cgroup$(cat /tmp/mem-cg)
    [ "$(cat $cg/memory.max)" = 67108864 ] || why "memory.max reads $(cat $cg/memory.max)" || return
    kills=$(sed -n 's/^oom_kill //p' $cg/memory.events)
    [ "${kills:-0}" -ge 1 ] || why "memory.events has no oom_kill: $(cat $cg/memory.events)" || return
    # The host (here the VM) is fine: it still allocates as much.
    dd if=/dev/zero of=/dev/null bs=128M count=1 2>/dev/null || why "the VM cannot allocate 128M any more"
}

test_cgroup_pids_32_contains_a_fork_bomb() {
    need_tool sk-cgroup || return
    # Forks until the limit: busybox sh gives up at the first failed fork.
    run sk-cgroup pids=32 sh -c 'sed -n "s/^0:://p" /proc/self/cgroup >/tmp/pids-cg;
        i=0; while [ $i -lt 200 ]; do sleep 1 & i=$((i + 1)); done; exit 0'
    [ "$CODE" != 0 ] && want_err "can't fork: Resource temporarily unavailable" || return
    cg=/sys/fs/cgroup$(cat /tmp/pids-cg)
    [ "$(cat $cg/pids.max)" = 32 ] || why "pids.max reads $(cat $cg/pids.max)" || return
    hits=$(sed -n 's/^max //p' $cg/pids.events)
    [ "${hits:-0}" -ge 1 ] || why "pids.events: $(cat $cg/pids.events)" || return
    # The sleeps left behind end within a second; give them ten.
    n=0
    while [ -n "$(cat $cg/cgroup.procs)" ] && [ $n -lt 50 ]; do sleep 0.2; n=$((n + 1)); done
    [ -z "$(cat $cg/cgroup.procs)" ] || why "processes remain: $(cat $cg/cgroup.procs)"
}

test_cgroup_pids_32_stops_a_real_fork_bomb() {
    need_tool sk-cgroup || return
    # The classic bomb, in the background; it never ends by itself.
    sk-cgroup pids=32 sh -c 'sed -n "s/^0:://p" /proc/self/cgroup >/tmp/bomb-cg;
        bomb() { bomb | bomb & }; bomb' </dev/null >/dev/null 2>&1 &
    n=0
    while [ ! -s /tmp/bomb-cg ] && [ $n -lt 50 ]; do sleep 0.2; n=$((n + 1)); done
    [ -s /tmp/bomb-cg ] || why "the bomb did not start" || return
    cg=/sys/fs/cgroup$(cat /tmp/bomb-cg)
    # It hits the limit...
    n=0
    while [ "$(sed -n 's/^max //p' $cg/pids.events)" = 0 ] && [ $n -lt 50 ]; do sleep 0.2; n=$((n + 1)); done
    [ "$(sed -n 's/^max //p' $cg/pids.events)" != 0 ] || why "the bomb never hit pids.max" || return
    [ "$(cat $cg/pids.current)" -le 32 ] || why "pids.current is $(cat $cg/pids.current)" || return
    # ...the VM stays usable (a fork outside the group works)...
    [ "$(sh -c 'echo usable')" = usable ] || why "cannot fork outside the group" || return
    # ...and the whole group goes at once with cgroup.kill.
    echo 1 >$cg/cgroup.kill
    n=0
    while [ -n "$(cat $cg/cgroup.procs)" ] && [ $n -lt 50 ]; do sleep 0.2; n=$((n + 1)); done
    [ -z "$(cat $cg/cgroup.procs)" ] || why "processes remain after cgroup.kill: $(cat $cg/cgroup.procs)"
    wait
}

test_cgroup_delegates_controllers_down_a_nested_parent() {
    need_tool sk-cgroup || return
    mkdir -p /sys/fs/cgroup/deleg/sub
    run sk-cgroup --parent /deleg/sub pids=16 cat /proc/self/cgroup
    want_code 0 && want_out_has "0::/deleg/sub/" || return
    cg=$(printf '%s\n' "$OUT" | sed -n 's/^0::\(.*\)$/\1/p')
    [ "$(cat /sys/fs/cgroup$cg/pids.max)" = 16 ] || why "pids.max reads $(cat /sys/fs/cgroup$cg/pids.max)" || return
    for p in "" /deleg /deleg/sub; do
        grep -qw pids /sys/fs/cgroup$p/cgroup.subtree_control ||
            why "pids not delegated in ${p:-/}: $(cat /sys/fs/cgroup$p/cgroup.subtree_control)" || return
    done
}

test_cgroup_inside_a_cgroup_nests_or_fails_closed() {
    need_tool sk-cgroup || return
    # The outer group holds a process (the inner sk-cgroup), so v2's
    # no-internal-process rule may forbid enabling controllers in it: then
    # the inner step must fail (125, the command not run), never run loose.
    run sk-cgroup pids=64 sk-cgroup pids=16 sh -c 'touch /tmp/nested-ran; cat /proc/self/cgroup'
    case $CODE in
        0)
            cg=$(printf '%s\n' "$OUT" | sed -n 's/^0::\(.*\)$/\1/p')
            [ "$(cat /sys/fs/cgroup$cg/pids.max)" = 16 ] || why "nested pids.max reads $(cat /sys/fs/cgroup$cg/pids.max)" ;;
        125)
            want_no_file /tmp/nested-ran && want_one_err_line "sk-cgroup: cannot" ;;
        *) why "exit status $CODE; stderr: $ERR" ;;
    esac
}

# Issue 14, item 4: device rules are a BPF_PROG_TYPE_CGROUP_DEVICE program on
# pure v2. The nodes are made on the VM's root (not nodev), so that only the
# program can stop them; the control run without rules opens them.
test_cgroup_v2_device_rules_refuse_a_mknoded_node_and_keep_dev_null() {
    need_tool sk-cgroup || return
    d=/devrules-$$
    mkdir -p $d || { why "cannot make $d"; return 1; }
    blk=$(awk 'NR > 2 && NF == 4 { print $1 " " $2; exit }' /proc/partitions)
    probe="mknod $d/kmsg c 1 11 || echo MKNOD-FAILED
        if true < $d/kmsg; then echo KMSG-OPENED; else echo KMSG-REFUSED; fi
        if [ -n \"$blk\" ]; then mknod $d/disk b $blk; true < $d/disk && echo DISK-OPENED; fi
        echo x > /dev/null && echo NULL-OK"
    run sk-cgroup sh -c "$probe"
    rm -f $d/kmsg $d/disk
    want_code 0 && want_out_has KMSG-OPENED || return
    run sk-cgroup --devices default sh -c "$probe"
    rm -rf $d
    want_code 0 || return
    case $OUT in *KMSG-OPENED*|*DISK-OPENED*) why "a node opened under the device rules: $OUT"; return 1 ;; esac
    want_out_has KMSG-REFUSED && want_out_has NULL-OK && want_err "Operation not permitted"
}

test_cgroup_v2_a_bad_device_rule_is_125_and_makes_nothing() {
    need_tool sk-cgroup || return
    run sk-cgroup --name badrule --device-rule 'c 1:3 rwx' touch /tmp/badrule-ran
    want_code 125 && want_one_err_line "invalid device rule" && want_no_file /tmp/badrule-ran || return
    [ ! -e /sys/fs/cgroup/badrule ] || why "the group was made"
}

# Issue 14, item 7: sk-unshare's staying parent removes the group the chain's
# sk-cgroup made, and says when the OOM killer ended the command.
test_cgroup_the_staying_parent_removes_the_group_and_tells_the_oom_kill() {
    need_tool sk-unshare && need_tool sk-cgroup || return
    run sk-unshare -mp sk-cgroup pids=16 cat /proc/self/cgroup
    want_code 0 || return
    cg=$(printf '%s\n' "$OUT" | sed -n 's/^0::\(.*\)$/\1/p')
    [ -n "$cg" ] && [ "$cg" != / ] || why "not in a group of its own: $OUT" || return
    [ ! -e "/sys/fs/cgroup$cg" ] || why "/sys/fs/cgroup$cg is left" || return
    run sk-unshare -mp sk-cgroup memory=64M dd if=/dev/zero of=/dev/null bs=128M count=1
    want_code 137 && want_err "sk-cgroup: the command was killed by the OOM killer (memory=64M)"
}
