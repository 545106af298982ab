complete -c sk-unshare -s j -l join -d 'Join an existing namespace: TYPE=PATH, TYPE=PID (that process\'s), or net=NAME (/var/run/netns/NAME). TYPE: mnt uts ipc net pid user cgroup time' -r
complete -c sk-unshare -l hostname -d 'Set the hostname in the new UTS namespace (needs -u)' -r
complete -c sk-unshare -l propagation -d 'Mount propagation of / in the new mount namespace' -r -f -a "private\t'nothing goes in or out'
slave\t'host mounts still come in; nothing goes out'
shared\t'mounts go both ways'
unchanged\t'as it was'"
complete -c sk-unshare -l keep-fd -d 'Let fd N reach the command (repeatable). Every other inherited fd above 2 is closed; socket activation\'s LISTEN_FDS pass by themselves' -r
complete -c sk-unshare -l kill-child -d 'When the outer sk-unshare dies, send SIGNAL (default KILL) to the child' -r
complete -c sk-unshare -l map-user -d 'Map the current user to UID inside the new user namespace' -r
complete -c sk-unshare -l map-group -d 'Map the current group to GID inside the new user namespace' -r
complete -c sk-unshare -l map-users -d 'Map a range of users: INNER:OUTER:COUNT, as in /proc/PID/uid_map (written by root, or through newuidmap)' -r
complete -c sk-unshare -l map-groups -d 'Map a range of groups: INNER:OUTER:COUNT (root, or newgidmap)' -r
complete -c sk-unshare -l setgroups -d 'Allow or deny setgroups(2) in the new user namespace' -r -f -a "allow\t''
deny\t''"
complete -c sk-unshare -l monotonic -d 'Offset of CLOCK_MONOTONIC in the new time namespace, in seconds' -r
complete -c sk-unshare -l boottime -d 'Offset of CLOCK_BOOTTIME in the new time namespace, in seconds' -r
complete -c sk-unshare -s v -l verbose -d 'Say on stderr what the step did'
complete -c sk-unshare -l pty -d 'Give the command a pty of its own when stdin and stdout are a terminal and the chain is in its foreground (the default; the chain\'s first link decides)'
complete -c sk-unshare -l no-pty -d 'Never a pty: each stdio fd that is a terminal becomes a pipe relayed to it, and the command runs without a controlling terminal'
complete -c sk-unshare -l share-tty -d 'Hand the caller\'s terminal to the command as it is (UNSAFE: the command can push input into it with TIOCSTI)'
complete -c sk-unshare -s m -l mount -d 'New mount namespace (/ is made private, see --propagation)'
complete -c sk-unshare -s u -l uts -d 'New UTS namespace (hostname, domainname)'
complete -c sk-unshare -s i -l ipc -d 'New IPC namespace'
complete -c sk-unshare -s n -l net -d 'New network namespace, with only `lo`, brought up'
complete -c sk-unshare -s p -l pid -d 'New pid namespace (forks: a minimal init is PID 1, COMMAND PID 2)'
complete -c sk-unshare -s U -l user -d 'New user namespace'
complete -c sk-unshare -s C -l cgroup -d 'New cgroup namespace'
complete -c sk-unshare -s T -l time -d 'New time namespace (forks; see --monotonic, --boottime)'
complete -c sk-unshare -s f -l fork -d 'Fork even without a pid or time namespace, and stay as the parent'
complete -c sk-unshare -l init -d 'PID 1 is a minimal init that runs COMMAND as PID 2, reaps orphans and forwards signals: the default with -p, accepted for clarity'
complete -c sk-unshare -l as-pid-1 -d 'COMMAND itself is PID 1 of the new pid namespace (no init; it then receives only the signals it has a handler for)'
complete -c sk-unshare -l die-with-parent -d 'When the caller (sk-unshare\'s parent) dies, kill the namespace\'s init from outside, and with it every process of the container (needs -p)'
complete -c sk-unshare -l unsafe-keep-dir-fd -d 'Allow a kept fd that is a directory outside the new root (UNSAFE: it leads the command to the host\'s files)'
complete -c sk-unshare -l mount-proc -d 'Mount a fresh /proc for the new pid namespace (needs -m)'
complete -c sk-unshare -s r -l map-root-user -d 'Map the current user and group to root in the new user namespace (implies --setgroups deny)'
complete -c sk-unshare -s c -l map-current-user -d 'Map the current user and group to themselves in the new user namespace'
complete -c sk-unshare -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sk-unshare -s V -l version -d 'Print version'
