#!/bin/bash
# The whole chain against what users would run instead, in one hyperfine
# run, with the same busybox root:
#   - the headline chain to /bin/true;
#   - bwrap with comparable options (it has no cgroups);
#   - unshare -mup --fork --mount-proc chroot;
#   - cgexec + unshare + setpriv + chroot;
#   - runc run on an OCI bundle of the same root (crun where the hierarchy
#     allows it: not on a v1/hybrid host);
#   - a raw baseline: bench/raw-baseline.c, the same system calls in one
#     process, no checks.
# Then per-tool overhead over exec of the command, peak RSS per tool,
# stripped sizes, and 100 chains started at once.
# Goals: <= 1.0x bwrap, <= 0.15x runc, <= 1.3x the raw baseline.
. "$(dirname "$0")/lib.sh"
need hyperfine bwrap runc unshare setpriv cgexec cgcreate cgdelete gcc
RUNS=${RUNS:-100}
build_release --workspace
tmp=$(mktemp -d)
root=$tmp/root
cleanup() {
    cgdelete -g cpu:skbench-cgexec 2>/dev/null || true
    rmdir /sys/fs/cgroup/cpu/skbench-raw /sys/fs/cgroup/skbench-raw 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
"$ROOT/scripts/mkrootfs" "$root"
gcc -static -O2 -o "$tmp/raw-baseline" "$BENCH_DIR/raw-baseline.c"

# The cgroup hierarchy that has the cpu controller (v1 or v2).
cpu_parent=$(awk '$9 == "cgroup" && $NF ~ /(^|,)cpu(,|$)/ { print $5; exit } $9 == "cgroup2" { v2 = $5 } END { if (v2 != "") print v2 }' /proc/self/mountinfo | head -n1)
cgcreate -g cpu:skbench-cgexec
cgset -r cpu.cfs_quota_us=20000 skbench-cgexec 2>/dev/null || cgset -r cpu.max="20000 100000" skbench-cgexec

# An OCI bundle of the same root for runc.
mkdir -p "$tmp/bundle"
(cd "$tmp/bundle" && runc spec)
sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"\/bin\/true"/; s|"path": "rootfs"|"path": "'"$root"'"|' "$tmp/bundle/config.json"

headline="sk-unshare -mup sk-cgroup --rm cpu=20000 sk-pivot $root sk-capdrop sys_time /bin/true"
echo "== the headline chain vs the alternatives ($RUNS runs each)"
hf "$tmp/c.csv" \
    "headline chain" "$REL/$headline" \
    "headline chain without dev and masks" "$REL/sk-unshare -mup sk-cgroup --rm cpu=20000 sk-pivot --no-dev --no-mask $root sk-capdrop sys_time /bin/true" \
    "bwrap" "bwrap --unshare-pid --unshare-uts --unshare-ipc --bind $root / --proc /proc --dev /dev --cap-drop CAP_SYS_TIME /bin/true" \
    "unshare+chroot" "unshare -mup --fork --mount-proc chroot $root /bin/true" \
    "cgexec+unshare+setpriv+chroot" "cgexec -g cpu:skbench-cgexec unshare -mup --fork setpriv --bounding-set -sys_time chroot $root /bin/true" \
    "runc run" "runc run -b $tmp/bundle skbench" \
    "raw baseline" "$tmp/raw-baseline $root $cpu_parent skbench-raw /bin/true"
table "$tmp/c.csv" "headline chain"
if crun run -b "$tmp/bundle" skbench-crun >/dev/null 2>&1; then
    hf "$tmp/crun.csv" "headline chain" "$REL/$headline" "crun run" "crun run -b $tmp/bundle skbench-crun"
    table "$tmp/crun.csv" "headline chain"
else
    echo "(crun: not measured: $(crun run -b "$tmp/bundle" skbench-crun 2>&1 | head -n1))"
fi
h=$(mean_of "$tmp/c.csv" "headline chain")
for other in bwrap "runc run" "raw baseline"; do
    awk -v a="$h" -v b="$(mean_of "$tmp/c.csv" "$other")" -v n="$other" \
        'BEGIN { printf "headline chain / %-14s = %.2fx\n", n, a / b }'
done

echo
echo "== each tool's own cost over exec of the command"
hf "$tmp/t.csv" \
    "/bin/true" "/bin/true" \
    "sk-unshare -m" "$REL/sk-unshare -m /bin/true" \
    "sk-unshare -mup" "$REL/sk-unshare -mup /bin/true" \
    "sk-unshare -m sk-pivot" "$REL/sk-unshare -m sk-pivot $root /bin/true" \
    "sk-cgroup --rm pids=100" "$REL/sk-cgroup --rm pids=100 /bin/true" \
    "sk-capdrop sys_time" "$REL/sk-capdrop sys_time /bin/true" \
    "sk-seccomp --profile docker-default" "$REL/sk-seccomp --profile docker-default /bin/true"
table "$tmp/t.csv" /bin/true

echo
echo "== peak RSS (max resident set, kB) and stripped size of each tool"
if command -v /usr/bin/time >/dev/null; then
    for c in "sk-unshare -mup /bin/true" "sk-cgroup --rm pids=100 /bin/true" \
             "sk-unshare -m sk-pivot $root /bin/true" "sk-capdrop sys_time /bin/true" \
             "sk-seccomp --profile docker-default /bin/true"; do
        rss=$(/usr/bin/time -f %M "$REL"/$c 2>&1 >/dev/null | tail -n1)
        printf "%-52s %8s kB\n" "${c%% /*}" "$rss"
    done
else
    echo "(/usr/bin/time not installed: apt-get install time)"
fi
for t in sk-unshare sk-pivot sk-cgroup sk-capdrop sk-seccomp sk-aaexec; do
    printf "%-12s %8d bytes\n" "$t" "$(stat -c %s "$REL/$t")"
done

echo
echo "== 100 headline chains started at once"
start=$(date +%s%N)
pids=()
for i in $(seq 100); do
    "$REL/sk-unshare" -mup "$REL/sk-cgroup" --rm cpu=20000 "$REL/sk-pivot" "$root" \
        "$REL/sk-capdrop" sys_time /bin/true >/dev/null 2>"$tmp/err.$i" &
    pids+=($!)
done
ok=0
for pid in "${pids[@]}"; do wait "$pid" && ok=$((ok + 1)); done
end=$(date +%s%N)
echo "$ok of 100 succeeded, wall time $(( (end - start) / 1000000 )) ms"
[ "$ok" = 100 ] || { cat "$tmp"/err.* | sort | uniq -c | head; exit 1; }
