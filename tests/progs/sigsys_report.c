/* sigsys_report: catch the SIGSYS of a seccomp "trap" rule and report the
 * call, for docs/tutorial.md. It installs a SIGSYS handler, then calls
 * mkdir("sigsys-report.d") and uname(). Under `sk-seccomp --trap mkdir`
 * the kernel does not run mkdir: it sends SIGSYS, whose siginfo names the
 * system call (si_syscall) and the architecture; the handler reports it
 * and makes the call return EPERM, and the program goes on.
 *
 * Usage: sigsys-report DIR
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <ucontext.h>
#include <unistd.h>

static void on_sigsys(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    char line[128];
    int n = snprintf(line, sizeof line, "SIGSYS: system call %d was trapped\n", si->si_syscall);
    if (write(STDOUT_FILENO, line, n) < 0) {
        /* nothing to do: stdout is gone */
    }
    /* The trapped call returns what the handler leaves in rax. */
    ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RAX] = -EPERM;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: sigsys-report DIR\n");
        return 2;
    }
    struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
    sigaction(SIGSYS, &sa, NULL);
    setvbuf(stdout, NULL, _IONBF, 0);
    /* The raw call: glibc's mkdir() may use mkdirat on some architectures. */
    if (syscall(SYS_mkdir, argv[1], 0755) != 0)
        printf("mkdir: %s\n", strerror(errno));
    else
        printf("mkdir: %s made\n", argv[1]);
    struct utsname u;
    if (uname(&u) == 0)
        printf("uname: %s, the program goes on\n", u.sysname);
    return 0;
}
