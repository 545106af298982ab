complete -c sk-seccomp -l default -d 'Action for calls no rule matches: allow, kill (the process), kill-thread, trap, log, errno[:NAME|N], trace[:N] [default: allow, or the profile\'s]' -r
complete -c sk-seccomp -l allow -d 'Allow these calls: SYSCALL[:COND]...[,...] (see RULES in NOTES)' -r
complete -c sk-seccomp -l kill -d 'Kill the process (SIGSYS) on these calls' -r
complete -c sk-seccomp -l errno -d 'Fail these calls with ERRNO (a name or a number; EPERM when left out)' -r
complete -c sk-seccomp -l trap -d 'Send SIGSYS on these calls (the command may catch it)' -r
complete -c sk-seccomp -l log -d 'Allow these calls and log them to the kernel\'s audit log' -r
complete -c sk-seccomp -l arch -d 'Architectures to filter besides the native one, e.g. x86,x32 (see NOTES: a call in another architecture is denied otherwise)' -r
complete -c sk-seccomp -l profile -d 'A Docker/OCI JSON profile, or a built-in one: docker-default, stdio. Rules on the command line replace the profile\'s rules for their calls' -r -F
complete -c sk-seccomp -l dump -d 'Write the filter\'s BPF program to FILE before loading it' -r -F
complete -c sk-seccomp -l pfc -d 'Write the filter as readable pseudo-code to FILE before loading it' -r -F
complete -c sk-seccomp -l notify -d 'Let a supervisor decide these calls (user notification): sk-seccomp forks and stays as the supervisor. Denied calls fail with ERRNO (EPERM when left out)' -r
complete -c sk-seccomp -l allow-mknod -d 'The supervisor performs mknod/mknodat of exactly these character devices for the caller (c:MAJOR:MINOR); any other device: EPERM' -r
complete -c sk-seccomp -l allow-mount -d 'The supervisor mounts FSTYPE for a notified mount(2) whose source is, inside, a block device with the device number of DEVICE (a path on the host, pinned when the chain is read); nosuid,nodev forced; repeatable (needs --notify mount)' -r
complete -c sk-seccomp -l learn -d 'Let every call through, record the calls of the whole process tree, and write an allow-list profile to FILE at exit (not a confinement)' -r -F
complete -c sk-seccomp -l compile -d 'Write the filter as a raw BPF program (struct sock_filter[], what bwrap --seccomp FD and setpriv --seccomp-filter read) to FILE instead of running a command' -r -F
complete -c sk-seccomp -l bpf -d 'Load this raw BPF program (as --compile writes it) instead of building a filter; checked first (see NOTES)' -r -F
complete -c sk-seccomp -l bpf-fd -d 'Load the raw BPF program read from file descriptor N (closed once read)' -r
complete -c sk-seccomp -l flag -d 'Load the filter with these flags: log (the kernel logs what it denies), spec-allow (no speculative store bypass mitigation), tsync' -r
complete -c sk-seccomp -s v -l verbose -d 'Say on stderr what the step did'
complete -c sk-seccomp -l pty -d 'Give the command a pty of its own when stdin and stdout are a terminal and the chain is in its foreground (the default; the chain\'s first link decides)'
complete -c sk-seccomp -l no-pty -d 'Never a pty: each stdio fd that is a terminal becomes a pipe relayed to it, and the command runs without a controlling terminal'
complete -c sk-seccomp -l share-tty -d 'Hand the caller\'s terminal to the command as it is (UNSAFE: the command can push input into it with TIOCSTI)'
complete -c sk-seccomp -l no-nnp -d 'Do not set no_new_privs (needs CAP_SYS_ADMIN; setuid programs then gain privileges the filter cannot take back)'
complete -c sk-seccomp -l optimize -d 'Build the filter as a binary tree of syscall numbers (the default)'
complete -c sk-seccomp -l no-optimize -d 'Build the filter as a linear list of syscalls'
complete -c sk-seccomp -l report -d 'Print one line on stderr for each notified call and the decision'
complete -c sk-seccomp -l strict -d 'Fail (exit 125) when the profile names calls that libseccomp does not know, instead of leaving them out with a note'
complete -c sk-seccomp -l bpf-unchecked -d 'Load --bpf/--bpf-fd without checking that it starts with an architecture check'
complete -c sk-seccomp -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sk-seccomp -s V -l version -d 'Print version'
