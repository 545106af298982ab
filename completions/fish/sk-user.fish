complete -c sk-user -l groups -d 'Set the supplementary groups to these (names or numbers, comma-separated)' -r
complete -c sk-user -s v -l verbose -d 'Say on stderr what the step did'
complete -c sk-user -l init-groups -d 'Set the supplementary groups to USER\'s from /etc/group, and GROUP'
complete -c sk-user -l keep-groups -d 'Keep the supplementary groups as they are (also where setgroups is denied: a user namespace made by an unprivileged user)'
complete -c sk-user -l keep-env -d 'Leave HOME, USER and LOGNAME as they are'
complete -c sk-user -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sk-user -s V -l version -d 'Print version'
