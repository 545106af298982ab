complete -c sk-env -s u -l unset -d 'Remove NAME from the environment (repeatable)' -r
complete -c sk-env -s C -l chdir -d 'Change to DIR before running COMMAND; after sk-pivot, DIR is inside the new root' -r -F
complete -c sk-env -s v -l verbose -d 'Say on stderr what the step did'
complete -c sk-env -l pty -d 'Give the command a pty of its own when stdin and stdout are a terminal and the chain is in its foreground (the default; the chain\'s first link decides)'
complete -c sk-env -l no-pty -d 'Never a pty: each stdio fd that is a terminal becomes a pipe relayed to it, and the command runs without a controlling terminal'
complete -c sk-env -l share-tty -d 'Hand the caller\'s terminal to the command as it is (UNSAFE: the command can push input into it with TIOCSTI)'
complete -c sk-env -s i -l ignore-environment -d 'Start with an empty environment (then set PATH yourself: the command is looked up in it)'
complete -c sk-env -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sk-env -s V -l version -d 'Print version'
