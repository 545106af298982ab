/* A program written by libseccomp itself: default allow, mkdir and
 * mkdirat fail with EACCES; exported with seccomp_export_bpf() to the
 * file argv[1] (the raw format sk-seccomp --bpf reads). */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) return 1;
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(mkdir), 0) < 0 ||
        seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(mkdirat), 0) < 0)
        return 1;
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || seccomp_export_bpf(ctx, fd) < 0) return 1;
    return close(fd) < 0;
}
