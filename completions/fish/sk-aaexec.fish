complete -c sk-aaexec -s v -l verbose -d 'Say on stderr what the step did'
complete -c sk-aaexec -s h -l help -d 'Print help'
complete -c sk-aaexec -s V -l version -d 'Print version'
