complete -c sk-aaexec -s p -l profile -d 'The AppArmor profile to confine COMMAND with (it must be loaded)' -r
complete -c sk-aaexec -s n -l namespace -d 'The policy namespace the profile is in (the label becomes :NAMESPACE:PROFILE)' -r
complete -c sk-aaexec -l load -d 'Load (or replace) the profiles in FILE with `apparmor_parser -r FILE` first (repeatable)' -r -F
complete -c sk-aaexec -s v -l verbose -d 'Say on stderr what the step did'
complete -c sk-aaexec -l pty -d 'Give the command a pty of its own when stdin and stdout are a terminal and the chain is in its foreground (the default; the chain\'s first link decides)'
complete -c sk-aaexec -l no-pty -d 'Never a pty: each stdio fd that is a terminal becomes a pipe relayed to it, and the command runs without a controlling terminal'
complete -c sk-aaexec -l share-tty -d 'Hand the caller\'s terminal to the command as it is (UNSAFE: the command can push input into it with TIOCSTI)'
complete -c sk-aaexec -s s -l stack -d 'Stack PROFILE on the current confinement instead of replacing it (the only change AppArmor allows a confined process under no_new_privs)'
complete -c sk-aaexec -s i -l immediate -d 'Switch now, before executing COMMAND: COMMAND is then executed under PROFILE\'s own exec rules'
complete -c sk-aaexec -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sk-aaexec -s V -l version -d 'Print version'
