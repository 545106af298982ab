#!/bin/bash
# sk-cgroup against cgexec(1) (cgroup-tools), running /bin/true in a group
# with pids.max=100, and where the time goes:
#   fake tree   sk-cgroup writing to plain files (--cgroup-root in a temp
#               dir): the binary's own start, parse and exec, no cgroupfs
#   reuse       a group made once by cgcreate: write pids.max, attach
#   new group   a fresh sk-PID group per run (mkdir), left in place
#   --rm        fresh group, fork, wait, rmdir
# "attach" = reuse - fake tree: the kernel's part (limit write + migration).
# Needs root. Leaves no cgroup behind (the groups live under one bench
# parent, removed recursively at the end).
. "$(dirname "$0")/lib.sh"
need hyperfine cgcreate cgset cgexec cgdelete jq
build_release
grp=skbench-$$
# On tmpfs: on a disk file system the O_TRUNC of each write waits for the journal.
tmp=$(mktemp -d -p /dev/shm)
cleanup() { cgdelete -r "pids:$grp" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

cgcreate -g "pids:$grp"
cgset -r pids.max=100 "$grp"
# The fake v2 tree: plain files where cgroupfs has interface files.
mkdir -p "$tmp/root/g"
echo pids > "$tmp/root/cgroup.controllers"
echo pids > "$tmp/root/cgroup.subtree_control"
: > "$tmp/root/g/pids.max"; : > "$tmp/root/g/cgroup.procs"

echo "== /bin/true in a group with pids.max=100 ($(uname -r), $(nproc) CPUs)"
hf "$tmp/c.csv" \
    "cgexec -g pids:$grp /bin/true" "cgexec -g pids:$grp /bin/true" \
    "/bin/true" "/bin/true" \
    "sk-cgroup fake tree" "$REL/sk-cgroup --cgroup-root $tmp/root --name g pids=100 /bin/true" \
    "sk-cgroup reuse" "$REL/sk-cgroup --parent / --name $grp pids=100 /bin/true" \
    "sk-cgroup new group" "$REL/sk-cgroup --parent /$grp pids=100 /bin/true" \
    "sk-cgroup --rm" "$REL/sk-cgroup --rm --parent /$grp pids=100 /bin/true"
table "$tmp/c.csv" "cgexec -g pids:$grp /bin/true"
for stat in median; do
    fake=$(${stat}_of "$tmp/c.csv" "sk-cgroup fake tree")
    reuse=$(${stat}_of "$tmp/c.csv" "sk-cgroup reuse")
    new=$(${stat}_of "$tmp/c.csv" "sk-cgroup new group")
    rm=$(${stat}_of "$tmp/c.csv" "sk-cgroup --rm")
    cg=$(${stat}_of "$tmp/c.csv" "cgexec -g pids:$grp /bin/true")
    awk -v s="$stat" -v f="$fake" -v r="$reuse" -v n="$new" -v m="$rm" -v c="$cg" 'BEGIN {
        printf "by %s: sk-cgroup (new group) / cgexec = %.2fx, reuse / cgexec = %.2fx\n", s, n / c, r / c
        printf "  attach (limit write + migration) = reuse - fake tree = %.3f ms\n", r - f
        printf "  mkdir of a new group             = new - reuse       = %.3f ms\n", n - r
        printf "  fork, wait and rmdir (--rm)      = --rm - new        = %.3f ms\n", m - n
    }'
done
left=$(find "$(awk '$9 == "cgroup" && $NF ~ /(^|,)pids(,|$)/ { print $5 }' /proc/self/mountinfo | head -1)/$grp" -mindepth 1 -type d | wc -l)
echo "groups made by the new-group runs (removed now with the bench parent): $left"
