/* boundary: what a hostile command tries at the container's boundary.
 * Built static by the tests (sk_testkit::c_program) and copied into the
 * root filesystem.
 *
 *   boundary tiocsti TEXT   push TEXT into the input of every terminal it
 *                           holds: fds 0, 1, 2 and /dev/tty (TIOCSTI);
 *                           prints one line per try
 *   boundary orphan         clears its parent-death signal, double-forks a
 *                           grandchild that does the same in a session of
 *                           its own, prints "ready", and sleeps forever
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void push(int fd, const char *name, const char *text) {
    int pushed = 0;
    for (const char *c = text; *c; c++) {
        if (ioctl(fd, TIOCSTI, c) == 0)
            pushed++;
        else
            break;
    }
    if (pushed)
        printf("%s: pushed %d\n", name, pushed);
    else
        printf("%s: refused: %s\n", name, strerror(errno));
}

static int tiocsti(const char *text) {
    push(0, "fd0", text);
    push(1, "fd1", text);
    push(2, "fd2", text);
    int tty = open("/dev/tty", O_RDWR | O_NOCTTY);
    if (tty < 0)
        printf("/dev/tty: cannot open: %s\n", strerror(errno));
    else
        push(tty, "/dev/tty", text);
    fflush(stdout);
    return 0;
}

static int orphan(void) {
    prctl(PR_SET_PDEATHSIG, 0);
    pid_t child = fork();
    if (child < 0)
        return 2;
    if (child == 0) {
        if (fork() == 0) {
            setsid();
            prctl(PR_SET_PDEATHSIG, 0);
            signal(SIGHUP, SIG_IGN);
            signal(SIGTERM, SIG_IGN);
            printf("ready %d\n", getpid());
            fflush(stdout);
            for (;;)
                pause();
        }
        _exit(0);
    }
    waitpid(child, NULL, 0);
    signal(SIGHUP, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    for (;;)
        pause();
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "tiocsti") == 0)
        return tiocsti(argv[2]);
    if (argc == 2 && strcmp(argv[1], "orphan") == 0)
        return orphan();
    fprintf(stderr, "usage: boundary tiocsti TEXT | boundary orphan\n");
    return 2;
}
