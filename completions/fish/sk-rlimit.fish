complete -c sk-rlimit -l nice -d 'Set the nice value (-20 to 19; lowering it needs CAP_SYS_NICE)' -r
complete -c sk-rlimit -l oom-score-adj -d 'Write N (-1000 to 1000) to /proc/self/oom_score_adj: higher goes first when memory runs out (lowering it needs CAP_SYS_RESOURCE)' -r
complete -c sk-rlimit -s v -l verbose -d 'Say on stderr what the step did'
complete -c sk-rlimit -l pty -d 'Give the command a pty of its own when stdin and stdout are a terminal and the chain is in its foreground (the default; the chain\'s first link decides)'
complete -c sk-rlimit -l no-pty -d 'Never a pty: each stdio fd that is a terminal becomes a pipe relayed to it, and the command runs without a controlling terminal'
complete -c sk-rlimit -l share-tty -d 'Hand the caller\'s terminal to the command as it is (UNSAFE: the command can push input into it with TIOCSTI)'
complete -c sk-rlimit -l strict -d 'Make nproc= an error where the kernel would not enforce it (uid 0 of the initial user namespace, CAP_SYS_RESOURCE or CAP_SYS_ADMIN)'
complete -c sk-rlimit -l print -d 'Print every limit in force afterwards, on stderr'
complete -c sk-rlimit -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sk-rlimit -s V -l version -d 'Print version'
