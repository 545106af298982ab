#!/bin/bash
# sk-capdrop against setpriv(1) and capsh(1), dropping one capability from
# the bounding set and executing /bin/true, in one hyperfine run. capsh
# runs /bin/true itself (--shell=/bin/true --), not through bash.
# Goal: sk-capdrop <= 1.0x setpriv (medians). Needs root (dropping from the
# bounding set needs CAP_SETPCAP).
. "$(dirname "$0")/lib.sh"
need hyperfine setpriv capsh jq
build_release
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

echo "== drop cap_sys_time, then exec /bin/true"
hf "$tmp/c.csv" \
    "setpriv --bounding-set -sys_time /bin/true" "setpriv --bounding-set -sys_time /bin/true" \
    "sk-capdrop sys_time /bin/true" "$REL/sk-capdrop sys_time /bin/true" \
    "capsh --drop=cap_sys_time --shell=/bin/true --" "capsh --drop=cap_sys_time --shell=/bin/true --" \
    "/bin/true" "/bin/true"
table "$tmp/c.csv" "setpriv --bounding-set -sys_time /bin/true"
goal "$tmp/c.csv" "sk-capdrop sys_time /bin/true" "setpriv --bounding-set -sys_time /bin/true" 1.0
