complete -c sk-cgroup -s v -l verbose -d 'Say on stderr what the step did'
complete -c sk-cgroup -s h -l help -d 'Print help'
complete -c sk-cgroup -s V -l version -d 'Print version'
