complete -c sk-capdrop -s v -l verbose -d 'Say on stderr what the step did'
complete -c sk-capdrop -s h -l help -d 'Print help'
complete -c sk-capdrop -s V -l version -d 'Print version'
