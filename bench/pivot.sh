#!/bin/bash
# sk-pivot against bubblewrap: a new mount and pid namespace, a root
# filesystem with a fresh /proc and a /dev, then /bin/true.
#   sk-unshare -mp sk-pivot ROOT /bin/true
#   bwrap --unshare-pid --bind ROOT / --proc /proc --dev /dev /bin/true
# Goal: sk <= 1.0x bwrap (medians). sk-pivot also masks and write-protects /proc
# paths by default, which bwrap does not; the --no-mask line shows that cost.
# Needs root (sk-pivot needs CAP_SYS_ADMIN; bwrap runs set up the same way).
. "$(dirname "$0")/lib.sh"
need hyperfine bwrap busybox jq
build_release
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$ROOT/scripts/mkrootfs" "$tmp/root"
r="$tmp/root"

echo "== pivot into a busybox root with /proc and /dev, then exec /bin/true"
hf "$tmp/p.csv" \
    "bwrap" "bwrap --unshare-pid --bind $r / --proc /proc --dev /dev /bin/true" \
    "sk-unshare -mp sk-pivot" "$REL/sk-unshare -mp sk-pivot $r /bin/true" \
    "sk-unshare -mp sk-pivot --no-mask" "$REL/sk-unshare -mp sk-pivot --no-mask $r /bin/true" \
    "sk-unshare -mp (no pivot)" "$REL/sk-unshare -mp /bin/true"
table "$tmp/p.csv" "bwrap"
goal "$tmp/p.csv" "sk-unshare -mp sk-pivot" bwrap 1.0
