#!/bin/bash
# The headline chain against what users would run instead: ONE hyperfine
# run, the same busybox root for all (issue 13, "Performance goals"):
#   headline chain  sk-unshare -mup sk-cgroup cpu=20000 sk-pivot ROOT sk-capdrop sys_time /bin/true
#   bwrap           its closest options: new pid, uts and mount namespaces,
#                   ROOT bound as /, a new proc and /dev, CAP_SYS_TIME
#                   dropped (bwrap makes no cgroup)
#   runc run        an OCI bundle of ROOT (runc spec's defaults, /bin/true)
#   raw baseline    bench/raw-baseline.c: the chain's calls in one process
# Goals (medians): headline <= 0.8x bwrap, <= 1.5x raw, <= 0.1x runc.
# The chain's groups stay (no --rm) under one bench parent, removed at
# the end. `strace -f -c` then counts the calls that change state, for the
# chain and the raw baseline side by side: they should match.
# Then the README's recommended chain against bwrap with the same
# namespaces, capabilities and environment and Docker's default seccomp
# program (written by sk-seccomp --compile, or --dump where there is no
# --compile yet) passed by --seccomp 3.
# Needs root.
. "$(dirname "$0")/lib.sh"
need hyperfine bwrap runc strace gcc jq
build_release
tmp=$(mktemp -d)
root=$tmp/root
trap 'remove_groups; rm -rf "$tmp"' EXIT
"$ROOT/scripts/mkrootfs" "$root"
gcc -static -O2 -o "$tmp/raw-baseline" "$BENCH_DIR/raw-baseline.c"
read -r cpu acct < <(cpu_parent)

# An OCI bundle of the same root.
mkdir "$tmp/bundle"
(cd "$tmp/bundle" && runc spec)
jq --arg r "$root" '.process.terminal = false | .process.args = ["/bin/true"] | .root.path = $r' \
    "$tmp/bundle/config.json" > "$tmp/config.json"
mv "$tmp/config.json" "$tmp/bundle/config.json"

headline=$(headline "$root" /bin/true)
raw="$tmp/raw-baseline $root $cpu/$GRP $([ "$acct" = - ] && echo - || echo "$acct/$GRP") /bin/true"
echo "== the headline chain against the alternatives"
echo "   $headline"
hf "$tmp/c.csv" \
    "headline chain" "$REL/$headline" \
    "bwrap" "bwrap --unshare-pid --unshare-uts --bind $root / --proc /proc --dev /dev --cap-drop CAP_SYS_TIME /bin/true" \
    "runc run" "runc run -b $tmp/bundle runc-$GRP" \
    "raw baseline" "$raw"
table "$tmp/c.csv" "headline chain"
goal "$tmp/c.csv" "headline chain" bwrap 0.8
goal "$tmp/c.csv" "headline chain" "raw baseline" 1.5
goal "$tmp/c.csv" "headline chain" "runc run" 0.1

echo
echo "== calls that change state, counted by strace -f -c: headline chain, raw baseline"
strace -f -c -o "$tmp/chain.st" "$REL"/$headline
strace -f -c -o "$tmp/raw.st" $raw
# The *at variants count as their plain calls (mkdirat as mkdir...).
awk 'FNR == 1 { f++ } { c = $NF; sub(/at$/, "", c); sub(/^f/, "", c) }
    c ~ /^(unshare|clone|clone3|mount|umount2|pivot_root|mkdir|rmdir|mknod|symlink|write|capset|prctl|chdir|execve)$/ { n[c, f] += $4; s[c] = 1 }
    END { for (c in s) printf "%-12s %8d %8d\n", c, n[c, 1], n[c, 2] }' "$tmp/chain.st" "$tmp/raw.st" |
    sort | sed '1i call            chain      raw'
echo "(the chain's extra prctl calls are its checks: the bounding set read one capability"
echo " at a time (PR_CAPBSET_READ) at each link and by sk-capdrop before and after its drop;"
echo " extra mkdir and rmdir calls: a stale group of the same name removed and remade)"
echo
echo "== the README's recommended chain against bwrap with the same namespaces,"
echo "   capabilities, environment and docker-default (both started with fd 3 open)"
keep=chown,dac_override,fsetid,fowner,net_raw,setgid,setuid,setfcap,setpcap,net_bind_service,sys_chroot,kill,audit_write
# Docker's rules depend on the capabilities: the program is written under
# the chain's sk-capdrop, by --compile, or else by --dump (the same raw
# struct sock_filter array, written by a run before loading it).
if sk-seccomp --help | grep -q -- --compile; then
    write="sk-seccomp --profile docker-default --compile $tmp/docker.bpf"
else
    write="sk-seccomp --profile docker-default --dump $tmp/docker.bpf /bin/true"
fi
echo "   docker-default written by: sk-capdrop --keep ... --no-new-privs $write"
if ! err=$("$REL"/sk-capdrop --keep $keep --no-new-privs $write 2>&1) || [ ! -s "$tmp/docker.bpf" ]; then
    echo "(not measured: writing the program failed: $err)"
    exit 1
fi
cat > "$tmp/with-fd3.c" <<'C'
/* with-fd3 FILE COMMAND...: COMMAND with FILE open on fd 3 (bwrap --seccomp 3). */
#include <fcntl.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int fd = open(argv[1], O_RDONLY);
    if (argc < 3 || fd < 0 || dup2(fd, 3) < 0) return 125;
    execv(argv[2], argv + 2);
    return 127;
}
C
gcc -static -O2 -o "$tmp/with-fd3" "$tmp/with-fd3.c"
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
bwcaps=
for c in ${keep//,/ }; do bwcaps+=" --cap-add CAP_${c^^}"; done
w="$tmp/with-fd3 $tmp/docker.bpf"
hf "$tmp/r.csv" \
    "recommended chain" "$w $REL/sk-unshare -mupin --kill-child --hostname myroot sk-cgroup --rm memory=256M pids=128 cpu=50% sk-pivot $root sk-env -i PATH=$path HOSTNAME=myroot HOME=/root sk-capdrop --keep $keep --no-new-privs sk-seccomp --profile docker-default /bin/true" \
    "bwrap" "$w $(command -v bwrap) --unshare-pid --unshare-uts --unshare-ipc --unshare-net --die-with-parent --hostname myroot --bind $root / --proc /proc --dev /dev --clearenv --setenv PATH $path --setenv HOSTNAME myroot --setenv HOME /root --cap-drop ALL $bwcaps --seccomp 3 /bin/true" \
    "fd 3 wrapper alone" "$w /bin/true"
table "$tmp/r.csv" "recommended chain"
goal "$tmp/r.csv" "recommended chain" bwrap
