complete -c sk-pivot -s v -l verbose -d 'Say on stderr what the step did'
complete -c sk-pivot -s h -l help -d 'Print help'
complete -c sk-pivot -s V -l version -d 'Print version'
