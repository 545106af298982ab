complete -c sk-cgroup -l name -d 'The group\'s name (default sk-PID); an existing group of that name is reused' -r
complete -c sk-cgroup -l parent -d 'Create the group under PATH instead of the caller\'s current cgroup: absolute from the hierarchy\'s root, or relative to the current cgroup' -r -F
complete -c sk-cgroup -l cgroup-root -d 'The cgroup mount to use instead of the ones /proc/self/mountinfo lists: a cgroup2 mount, or a directory of v1 hierarchies named by their controllers (the default parent is then its root)' -r -F
complete -c sk-cgroup -l devices -d 'Deny every device node but a preset\'s: default (runc\'s and Docker\'s allow list: null, zero, full, random, urandom, tty, ptys, tun, and mknod of any node) or none' -r
complete -c sk-cgroup -l device-rule -d 'Deny every device node but those allowed by RULE, in devices.allow\'s syntax: TYPE MAJOR:MINOR ACCESS, e.g. \'c 1:3 rwm\', \'b 8:* r\', or \'a\' (repeatable; adds to --devices)' -r
complete -c sk-cgroup -s v -l verbose -d 'Say on stderr what the step did'
complete -c sk-cgroup -l pty -d 'Give the command a pty of its own when stdin and stdout are a terminal and the chain is in its foreground (the default; the chain\'s first link decides)'
complete -c sk-cgroup -l no-pty -d 'Never a pty: each stdio fd that is a terminal becomes a pipe relayed to it, and the command runs without a controlling terminal'
complete -c sk-cgroup -l share-tty -d 'Hand the caller\'s terminal to the command as it is (UNSAFE: the command can push input into it with TIOCSTI)'
complete -c sk-cgroup -l rm -d 'Stay as a parent, wait for COMMAND, then remove the group, killing whatever is left in it'
complete -c sk-cgroup -l die-with-parent -d 'With --rm: when the caller (sk-cgroup\'s parent) dies, kill the command and everything in the group, and remove it'
complete -c sk-cgroup -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sk-cgroup -s V -l version -d 'Print version'
