complete -c sk-seccomp -s v -l verbose -d 'Say on stderr what the step did'
complete -c sk-seccomp -s h -l help -d 'Print help'
complete -c sk-seccomp -s V -l version -d 'Print version'
