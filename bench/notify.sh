#!/bin/bash
# sk-seccomp's supervisor performing calls for the command (issue 17):
# (a) one notified mknod(2) of /dev/null's device, made by the supervisor
#     in the caller's view (a worker thread that joins its mount
#     namespace), against the same mknod made by root without a filter;
# (b) one notified mount(2) of an ext4 image on a loop device, made by the
#     supervisor (read and check the arguments, fsopen/fsconfig/fsmount on
#     the host side, move_mount in the caller's namespace), against the
#     same mount(2) made by root itself; each followed by umount(2).
# Per call = (N calls - 0 calls) / N, so start-up is taken off.
. "$(dirname "$0")/lib.sh"
need hyperfine gcc mkfs.ext4 losetup
build_release -p sk-seccomp -p sk-unshare
tmp=$(mktemp -d)
dev=""
nodes=""
cleanup() {
    [ -n "$dev" ] && losetup -d "$dev"
    rm -rf "$tmp" "$nodes"
}
trap cleanup EXIT
gcc -O2 -static -o "$tmp/probe" "$ROOT/tests/progs/mount_probe.c" -lpthread
truncate -s 8M "$tmp/img"
mkfs.ext4 -q -F "$tmp/img"
dev=$(losetup -f --show "$tmp/img")
mkdir "$tmp/mnt"
nodes=$(mktemp -d -p /dev/shm)
mkdir "$nodes/n"
N=${N:-200}
M=${M:-50}
sup_mknod="$REL/sk-seccomp --notify mknod,mknodat --allow-mknod c:1:3"
sup_mount="$REL/sk-seccomp --notify mount --allow-mount ext4:$dev"

echo "== (a) $N mknod(2) of c 1:3 (and unlink)"
RUNS=${LOOP_RUNS:-20} WARMUP=3 hf "$tmp/a.csv" \
    "root without a filter" "$tmp/probe repeat-mknod $nodes/n $N" \
    "through the supervisor" "$sup_mknod $tmp/probe repeat-mknod $nodes/n $N" \
    "through the supervisor with 0 calls" "$sup_mknod $tmp/probe repeat-mknod $nodes/n 0"
table "$tmp/a.csv" "root without a filter"
echo
echo "== (b) $M mount(2) of ext4 from $dev read-only (and umount), in a mount namespace of its own"
RUNS=${LOOP_RUNS:-10} WARMUP=2 hf "$tmp/b.csv" \
    "root without a filter" "$REL/sk-unshare -m $tmp/probe repeat-mount $dev $tmp/mnt $M" \
    "through the supervisor" "$sup_mount sk-unshare -m $tmp/probe repeat-mount $dev $tmp/mnt $M" \
    "through the supervisor with 0 calls" "$sup_mount sk-unshare -m $tmp/probe repeat-mount $dev $tmp/mnt 0"
table "$tmp/b.csv" "root without a filter"
# Medians (ms) of whole runs; the start-up (the 0-call run) is taken off.
awk -v a1="$(median_of "$tmp/a.csv" "root without a filter")" \
    -v a2="$(median_of "$tmp/a.csv" "through the supervisor")" \
    -v a0="$(median_of "$tmp/a.csv" "through the supervisor with 0 calls")" \
    -v b1="$(median_of "$tmp/b.csv" "root without a filter")" \
    -v b2="$(median_of "$tmp/b.csv" "through the supervisor")" \
    -v b0="$(median_of "$tmp/b.csv" "through the supervisor with 0 calls")" \
    -v n="$N" -v m="$M" 'BEGIN {
    printf "per mknod: %.1f us through the supervisor, %.1f us by root itself\n",
        (a2 - a0) * 1000 / n, a1 * 1000 / n
    printf "per mount+umount: %.2f ms through the supervisor, %.2f ms by root itself\n",
        (b2 - b0) / m, b1 / m }'
