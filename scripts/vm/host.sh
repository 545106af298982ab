# The host side of scripts/vm-test: fetch, build, pack, boot, count.
# Sourced by scripts/vm-test, which sets repo, vm, cache, timeout_s, verbose.

# A suite that cannot run here: SKIP, or a failure when CI forbids skips.
skip() {
    if [ "${SK_REQUIRE_PRIV:-}" = 1 ]; then
        echo "vm-test: cannot run, and SK_REQUIRE_PRIV=1 forbids skipping: $*" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
    echo "SKIP vm-test: $*"
    exit 0
}

# The candidate version of a Debian package, for the cache directory name.
candidate() {
    apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | head -n 1
}

# unpack PACKAGE DIR: apt-get download + dpkg -x, never an installation.
unpack() {
    mkdir -p "$cache/debs"
    rm -f "$cache/debs/$1"_*.deb
    if ! (cd "$cache/debs" && apt-get download -q "$1") >>"$cache/fetch.log" 2>&1; then
        echo "apt-get download $1 failed" >>"$cache/fetch.log"
        return 1
    fi
    rm -rf "$2.tmp"
    mkdir -p "$(dirname "$2")"
    if ! dpkg -x "$cache/debs/$1"_*.deb "$2.tmp" >>"$cache/fetch.log" 2>&1; then
        echo "dpkg -x $1 failed" >>"$cache/fetch.log"
        return 1
    fi
    mv "$2.tmp" "$2"
    rm -f "$cache/debs/$1"_*.deb
}

# unpacked PACKAGE: the directory holding PACKAGE's files, fetched once per
# version; an earlier download serves when apt knows nothing (offline).
unpacked() {
    ver=$(candidate "$1")
    if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
        old=$(ls -1d "$cache/pkg/$1"_* 2>/dev/null | tail -n 1)
        [ -n "$old" ] && { echo "$old"; return 0; }
        echo "apt knows no package $1 (apt-get update?)" >>"$cache/fetch.log"
        return 1
    fi
    dir=$cache/pkg/${1}_$ver
    [ -d "$dir" ] || unpack "$1" "$dir" || return 1
    echo "$dir"
}

# Debian's cloud kernel: the metapackage names the versioned image.
fetch_kernel() {
    : >"$cache/fetch.log"
    image=$(apt-cache depends linux-image-cloud-amd64 2>>"$cache/fetch.log" |
        sed -n 's/^ *|\{0,1\}Depends: *\(linux-image-[^ ]*-cloud-amd64\) *$/\1/p' | head -n 1)
    if [ -z "$image" ]; then
        old=$(ls -1 "$cache"/pkg/linux-image-*-cloud-amd64_*/boot/vmlinuz-* 2>/dev/null | tail -n 1)
        [ -n "$old" ] && { echo "$old"; return 0; }
        echo "apt-cache knows no linux-image-cloud-amd64 (apt-get update?)" >>"$cache/fetch.log"
        return 1
    fi
    dir=$(unpacked "$image") || return 1
    ls -1 "$dir"/boot/vmlinuz-* | head -n 1
}

fetch_apparmor() {
    : >"$cache/fetch.log"
    dir=$(unpacked apparmor) || return 1
    [ -x "$dir/sbin/apparmor_parser" ] || { echo "no sbin/apparmor_parser in $dir" >>"$cache/fetch.log"; return 1; }
    echo "$dir/sbin/apparmor_parser"
}

# The host's busybox when it is the static one, else Debian's busybox-static.
find_busybox() {
    : >"$cache/fetch.log"
    if [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; then
        echo /bin/busybox
        return 0
    fi
    dir=$(unpacked busybox-static) || return 1
    echo "$dir/bin/busybox"
}

# Builds the release tools; a tool that does not build (work in progress)
# is left out, and its tests say so, instead of the whole suite failing.
build_tools() {
    tools="sk-unshare sk-pivot sk-cgroup sk-capdrop sk-seccomp sk-aaexec sk-user sk-rlimit sk-env sk-landlock"
    : >"$cache/built-tools"
    set --
    for t in $tools; do set -- "$@" -p "$t"; done
    if cargo build --release -q "$@" >&2; then
        echo "$tools" >"$cache/built-tools"
    else
        echo "vm-test: building all tools failed; building them one by one" >&2
        for t in $tools; do
            if cargo build --release -q -p "$t" >&2; then
                echo "$t" >>"$cache/built-tools"
            else
                echo "vm-test: $t does not build; its tests will fail" >&2
            fi
        done
    fi
    echo "$repo/target/x86_64-unknown-linux-gnu/release"
}

# copy_with_libs BINARY STAGE DEST: the binary and the shared libraries and
# loader it needs, at the paths ldd names.
copy_with_libs() {
    mkdir -p "$2$(dirname "$3")"
    cp "$1" "$2$3"
    ldd "$1" 2>/dev/null | sed -n 's/.*=> *\(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p' |
        while read -r lib; do
            mkdir -p "$2$(dirname "$lib")"
            cp -L "$lib" "$2$lib"
        done
}

# make_initramfs SUITE OUT PARSER BUSYBOX BINDIR
make_initramfs() {
    st=$cache/stage-$1
    rm -rf "$st"
    mkdir -p "$st"/bin "$st"/sbin "$st"/usr/bin "$st"/usr/sbin "$st"/usr/local/bin \
        "$st"/etc "$st"/sk "$st"/proc "$st"/sys "$st"/dev "$st"/tmp "$st"/newroot
    cp "$4" "$st/bin/busybox"
    # Scenario S8's profile lets the command execute cat and nothing else.
    # With every applet a link to busybox, allowing cat would allow all of
    # them: cat is a file of its own here, as /usr/bin/cat is on Debian.
    cp "$4" "$st/usr/bin/cat"
    for applet in $("$4" --list-full); do
        [ -e "$st/$applet" ] || [ -L "$st/$applet" ] || ln -s /bin/busybox "$st/$applet"
    done
    for t in $(cat "$cache/built-tools"); do
        cp "$5/$t" "$st/usr/local/bin/$t"
    done
    aa=${3%/sbin/apparmor_parser}
    copy_with_libs "$3" "$st" /sbin/apparmor_parser
    if [ -d "$aa/usr/share/apparmor-features" ]; then
        mkdir -p "$st/usr/share"
        cp -r "$aa/usr/share/apparmor-features" "$st/usr/share/"
    fi
    mkdir -p "$st/etc/apparmor"
    [ -f "$aa/etc/apparmor/parser.conf" ] && cp "$aa/etc/apparmor/parser.conf" "$st/etc/apparmor/"
    cp "$vm/init" "$st/init"
    cp "$vm"/stage2 "$vm"/lib.sh "$vm"/t-*.sh "$vm"/d-*.sh "$st/sk/"
    cp -r "$vm/profiles" "$st/sk/profiles"
    # The tutorial's AppArmor section runs here (t-4-tutorial.sh).
    cp "$vm/tutorial-run" "$st/sk/tutorial-run"
    cp "$repo/docs/tutorial.md" "$st/sk/tutorial.md"
    cp "$repo/scripts/mkrootfs" "$st/sk/mkrootfs"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$st/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$st/etc/group"
    printf '127.0.0.1 localhost\n10.11.12.13 vm-host-etc-hosts\n' >"$st/etc/hosts"
    (cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$2"
    rm -rf "$st"
}

# boot KERNEL INITRD APPEND LOG: one VM run, the console in LOG.
boot() {
    set +e
    timeout "$timeout_s" qemu-system-x86_64 -accel tcg -m 1024 -nographic -no-reboot \
        -kernel "$1" -initrd "$2" \
        -append "console=ttyS0 rdinit=/init panic=-1 quiet loglevel=3 $3" \
        </dev/null >"$4" 2>&1
    rc=$?
    set -e
    if [ $rc -eq 124 ]; then
        echo "SKHOST TIMEOUT $timeout_s" >>"$4"
    fi
}

# The tests a suite must report: every test_NAME() in its files.
expected_tests() {
    case $1 in
        main) files="$vm/t-*.sh" ;;
        noaa) files="$vm/d-*.sh" ;;
    esac
    # shellcheck disable=SC2086
    sed -n 's/^test_\([a-z0-9_]*\)() *{.*$/\1/p' $files
}

# tally SUITE LOG: one line per test, and the running totals.
tally() {
    results=$(tr -d '\r' <"$2" | grep -o 'SKTEST [A-Z]* .*' || true)
    [ "$verbose" = yes ] && { echo "--- console of the $1 boot"; tr -d '\r' <"$2"; echo "---"; }
    for name in $(expected_tests "$1"); do
        line=$(printf '%s\n' "$results" | grep -m 1 -E "^SKTEST (PASS|FAIL) $name(:|\$)" || true)
        case $line in
            "SKTEST PASS $name")
                total_pass=$((total_pass + 1))
                echo "PASS $1/$name" ;;
            "SKTEST FAIL "*)
                total_fail=$((total_fail + 1))
                echo "FAIL $1/${line#SKTEST FAIL }" ;;
            *)
                total_fail=$((total_fail + 1))
                echo "FAIL $1/$name: no result (the VM stopped before it; see $2)" ;;
        esac
    done
    # A failure the suite reports outside any test (e.g. an unknown suite).
    expected=" $(expected_tests "$1" | tr '\n' ' ') "
    extra=$(printf '%s\n' "$results" | sed -n 's/^SKTEST FAIL //p' | while IFS= read -r rest; do
        case $expected in *" ${rest%%:*} "*) ;; *) echo "$rest" ;; esac
    done)
    if [ -n "$extra" ]; then
        printf '%s\n' "$extra" | sed "s|^|FAIL $1/|"
        total_fail=$((total_fail + $(printf '%s\n' "$extra" | wc -l)))
    fi
    if grep -q '^SKHOST TIMEOUT' "$2"; then
        total_fail=$((total_fail + 1))
        echo "FAIL $1: the VM did not power off within ${timeout_s}s"
    elif ! printf '%s\n' "$results" | grep -q '^SKTEST DONE'; then
        total_fail=$((total_fail + 1))
        echo "FAIL $1: the VM stopped before the end of the suite (see $2)"
    fi
}
