/* workload: what a real workload does that the user, rlimit and env links
 * must shape; built static by the tests (sk_testkit::c_program), so it runs
 * inside any root filesystem.
 *
 *   workload bind PORT    bind a TCP socket to PORT: "bound" (exit 0) or
 *                         "denied: <strerror>" (exit 1)
 *   workload openmany     open /dev/null until it fails: "<fds open> <strerror>"
 *   workload forkstorm N  fork N children that wait: "forked K: <strerror>"
 *                         when fork fails first, "forked N" otherwise
 *   workload crash        die by SIGSEGV (a core dump, when allowed)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int bind_port(int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) { printf("denied: socket: %s\n", strerror(errno)); return 1; }
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) {
        printf("denied: %s\n", strerror(errno));
        return 1;
    }
    printf("bound\n");
    return 0;
}

static int open_many(void) {
    int open_fds = 0;
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) >= 0) open_fds++;
    for (;;) {
        if (open("/dev/null", O_RDONLY) < 0) {
            printf("%d %s\n", open_fds, strerror(errno));
            return 0;
        }
        open_fds++;
        if (open_fds > 100000) { printf("no limit\n"); return 1; }
    }
}

static int fork_storm(int n) {
    int pipefd[2];
    if (pipe(pipefd) < 0) return 2;
    int k = 0, err = 0;
    for (; k < n; k++) {
        pid_t p = fork();
        if (p < 0) { err = errno; break; }
        if (p == 0) {
            /* Wait until the parent closes the pipe: all exist at once. */
            char c;
            close(pipefd[1]);
            while (read(pipefd[0], &c, 1) > 0) {}
            _exit(0);
        }
    }
    close(pipefd[1]);
    while (wait(NULL) > 0) {}
    if (err) printf("forked %d: %s\n", k, strerror(err));
    else printf("forked %d\n", k);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 3 && !strcmp(argv[1], "bind")) return bind_port(atoi(argv[2]));
    if (argc == 2 && !strcmp(argv[1], "openmany")) return open_many();
    if (argc == 3 && !strcmp(argv[1], "forkstorm")) return fork_storm(atoi(argv[2]));
    if (argc == 2 && !strcmp(argv[1], "crash")) {
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
        return 3;
    }
    fprintf(stderr, "usage: workload bind PORT | openmany | forkstorm N | crash\n");
    return 2;
}
