complete -c sk-landlock -l ro -d 'Allow reading files and listing directories beneath PATH' -r -F
complete -c sk-landlock -l rw -d 'Allow reading and writing beneath PATH: also write, create, remove, rename, link and truncate' -r -F
complete -c sk-landlock -l exec -d 'Allow executing files beneath PATH (add --ro or --rw to read them)' -r -F
complete -c sk-landlock -l dev -d 'Allow ioctl on devices beneath PATH (Landlock ABI 5)' -r -F
complete -c sk-landlock -l allow -d 'Allow the named access rights beneath PATH, e.g. read-file,execute:/opt/app' -r
complete -c sk-landlock -l optional -d 'A rule for PATH is left out when PATH is missing or is a symbolic link, instead of failing' -r -F
complete -c sk-landlock -l preset -d 'Start from a preset: container (see --print)' -r
complete -c sk-landlock -l bind-tcp -d 'Allow binding TCP PORT (Landlock ABI 4); every other TCP bind is denied; `any` leaves binds unrestricted' -r
complete -c sk-landlock -l connect-tcp -d 'Allow connecting to TCP PORT (Landlock ABI 4); every other TCP connect is denied; `any` leaves connects unrestricted' -r
complete -c sk-landlock -l scope -d 'Exactly these scopes (Landlock ABI 6): abstract-unix (no connection to an abstract UNIX socket made outside the domain), signal (no signal to a process outside it), or none [default: both, where the kernel has them]' -r
complete -c sk-landlock -s v -l verbose -d 'Say on stderr what the step did'
complete -c sk-landlock -l pty -d 'Give the command a pty of its own when stdin and stdout are a terminal and the chain is in its foreground (the default; the chain\'s first link decides)'
complete -c sk-landlock -l no-pty -d 'Never a pty: each stdio fd that is a terminal becomes a pipe relayed to it, and the command runs without a controlling terminal'
complete -c sk-landlock -l share-tty -d 'Hand the caller\'s terminal to the command as it is (UNSAFE: the command can push input into it with TIOCSTI)'
complete -c sk-landlock -l follow-symlinks -d 'Follow symbolic links in rule paths (by default a link on the path is an error: /srv/data -> / must not grant all of /); magic links of /proc are never followed'
complete -c sk-landlock -l allow-nothing -d 'Allow no filesystem access at all (an empty rule set is otherwise an error)'
complete -c sk-landlock -l best-effort -d 'On a kernel whose Landlock ABI cannot keep every rule, apply what it can and say on stderr what was left out, instead of failing'
complete -c sk-landlock -l print -d 'Print the rules, as options, on stderr before applying them'
complete -c sk-landlock -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sk-landlock -s V -l version -d 'Print version'
