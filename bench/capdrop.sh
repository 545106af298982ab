#!/bin/bash
# sk-capdrop against setpriv(1) and capsh(1), dropping one capability from
# the bounding set and executing /bin/true. Goal: sk-capdrop <= 1.0x setpriv.
# Needs root (dropping from the bounding set needs CAP_SETPCAP).
. "$(dirname "$0")/lib.sh"
need hyperfine setpriv capsh
build_release -p sk-capdrop
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

echo "== drop cap_sys_time, then exec /bin/true"
hf "$tmp/c.csv" \
    "setpriv --bounding-set -sys_time /bin/true" "setpriv --bounding-set -sys_time /bin/true" \
    "sk-capdrop sys_time /bin/true" "$REL/sk-capdrop sys_time /bin/true" \
    "capsh --drop=cap_sys_time -- -c true" "capsh --drop=cap_sys_time -- -c true" \
    "/bin/true" "/bin/true"
table "$tmp/c.csv" "setpriv --bounding-set -sys_time /bin/true"
sk=$(mean_of "$tmp/c.csv" "sk-capdrop sys_time /bin/true")
sp=$(mean_of "$tmp/c.csv" "setpriv --bounding-set -sys_time /bin/true")
awk -v s="$sk" -v p="$sp" 'BEGIN { r = s / p; printf "sk-capdrop / setpriv = %.2fx %s\n", r, (r <= 1.0 ? "(goal met)" : "(goal: <= 1.0x)") }'
