complete -c sk-capdrop -l keep -d 'Drop every capability except CAPS (then no CAPS operand is given)' -r
complete -c sk-capdrop -l secbits -d 'Set securebits, a comma list: noroot, no-setuid-fixup, keep-caps, no-cap-ambient-raise, and NAME-locked to lock each; or a number (0x2f)' -r
complete -c sk-capdrop -s v -l verbose -d 'Say on stderr what the step did'
complete -c sk-capdrop -l pty -d 'Give the command a pty of its own when stdin and stdout are a terminal and the chain is in its foreground (the default; the chain\'s first link decides)'
complete -c sk-capdrop -l no-pty -d 'Never a pty: each stdio fd that is a terminal becomes a pipe relayed to it, and the command runs without a controlling terminal'
complete -c sk-capdrop -l share-tty -d 'Hand the caller\'s terminal to the command as it is (UNSAFE: the command can push input into it with TIOCSTI)'
complete -c sk-capdrop -l ambient -d 'Also raise the kept capabilities into the ambient set, so that a non-root command gets them'
complete -c sk-capdrop -l no-new-privs -d 'Set no_new_privs: no exec can grant privileges (setuid, file capabilities)'
complete -c sk-capdrop -l print -d 'Print the five capability sets after the drop, on stderr'
complete -c sk-capdrop -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sk-capdrop -s V -l version -d 'Print version'
