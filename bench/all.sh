#!/bin/bash
# all.sh OUT: every bench script in turn, in one session on this machine;
# their whole output (stdout and stderr, hyperfine's own lines included)
# goes to OUT and to the terminal. A script that fails is reported and the
# others still run; the exit status says whether all succeeded.
set -u -o pipefail
[ $# -eq 1 ] || { echo "usage: bench/all.sh OUT" >&2; exit 2; }
dir=$(cd "$(dirname "$0")" && pwd)
out=$1
: > "$out" || exit 1
# Built once here; the scripts' own builds then find nothing to do.
(cd "$dir/.." && cargo build --release -q --workspace) 2>&1 | tee -a "$out" || exit 1
failed=
for s in startup chain landlock pivot capdrop cgroup seccomp notify; do
    echo >> "$out"
    if ! "$dir/$s.sh" 2>&1 | tee -a "$out"; then failed="$failed $s"; fi
done
echo "#### all.sh finished $(date -u '+%Y-%m-%d %H:%M:%S UTC'); failed:${failed:- none}" | tee -a "$out"
[ -z "$failed" ]
