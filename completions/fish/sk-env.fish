complete -c sk-env -s u -l unset -d 'Remove NAME from the environment (repeatable)' -r
complete -c sk-env -s C -l chdir -d 'Change to DIR before running COMMAND; after sk-pivot, DIR is inside the new root' -r -F
complete -c sk-env -s v -l verbose -d 'Say on stderr what the step did'
complete -c sk-env -s i -l ignore-environment -d 'Start with an empty environment (then set PATH yourself: the command is looked up in it)'
complete -c sk-env -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sk-env -s V -l version -d 'Print version'
