complete -c sk-pivot -l mask -d 'Also mask PATH (inside NEWROOT): /dev/null on a file, an empty read-only tmpfs on a directory (repeatable)' -r -F
complete -c sk-pivot -l ro -d 'Also make PATH (inside NEWROOT) read-only (repeatable)' -r -F
complete -c sk-pivot -l bind -d 'Bind-mount the host\'s SRC on DST inside NEWROOT (SRC alone: the same path inside); repeatable, applied in the order given' -r
complete -c sk-pivot -l ro-bind -d 'As --bind, read-only (recursively)' -r
complete -c sk-pivot -l dev-bind -d 'As --bind, with device nodes under SRC usable inside (UNSAFE: every other bind is nodev; see NOTES)' -r
complete -c sk-pivot -l tmpfs -d 'Mount a tmpfs on DST inside NEWROOT; OPTIONS: size=N[k|m|g|%], mode=OCTAL, nr_inodes=N (repeatable)' -r
complete -c sk-pivot -l chdir -d 'Change to DIR (inside NEWROOT) instead of /' -r -F
complete -c sk-pivot -l keep-fd -d 'Let fd N reach the command (repeatable). Every other inherited fd above 2 is closed; socket activation\'s LISTEN_FDS pass by themselves' -r
complete -c sk-pivot -l propagation -d 'Mount propagation of / before anything is mounted: private (nothing goes in or out) or slave (host mounts still come in)' -r -f -a "private\t''
slave\t''"
complete -c sk-pivot -s v -l verbose -d 'Say on stderr what the step did'
complete -c sk-pivot -l pty -d 'Give the command a pty of its own when stdin and stdout are a terminal and the chain is in its foreground (the default; the chain\'s first link decides)'
complete -c sk-pivot -l no-pty -d 'Never a pty: each stdio fd that is a terminal becomes a pipe relayed to it, and the command runs without a controlling terminal'
complete -c sk-pivot -l share-tty -d 'Hand the caller\'s terminal to the command as it is (UNSAFE: the command can push input into it with TIOCSTI)'
complete -c sk-pivot -l no-proc -d 'Do not mount a fresh /proc'
complete -c sk-pivot -l no-dev -d 'Do not build a /dev (leave NEWROOT\'s own /dev as it is; nodev, as all of NEWROOT: its nodes do not open)'
complete -c sk-pivot -l dev-host -d 'Bind the host\'s whole /dev instead of a minimal one (UNSAFE: every host device, disks and /dev/mem included, is reachable inside)'
complete -c sk-pivot -l devtmpfs -d 'Mount a devtmpfs on /dev instead of a minimal one (UNSAFE: devtmpfs is the host\'s one device tree, with every device the kernel knows)'
complete -c sk-pivot -l sys -d 'Mount /sys, read-only'
complete -c sk-pivot -l no-mask -d 'Do not mask or make read-only the default paths (--mask and --ro still apply)'
complete -c sk-pivot -l read-only -d 'Remount NEWROOT read-only, after every other mount'
complete -c sk-pivot -l resolv -d 'Bind the host\'s /etc/resolv.conf read-only on NEWROOT\'s'
complete -c sk-pivot -l unsafe-keep-dir-fd -d 'Allow a kept fd that is a directory outside the new root (UNSAFE: it leads the command to the host\'s files)'
complete -c sk-pivot -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sk-pivot -s V -l version -d 'Print version'
