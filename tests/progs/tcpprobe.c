/* tcpprobe b:PORT c:PORT ...: for each argument, bind a TCP socket to
 * PORT on every address (b) or connect to 127.0.0.1:PORT (c), and print
 * one line: "b:8080 ok" or "b:8081 EACCES". Used by sk-landlock's tests of
 * --bind-tcp and --connect-tcp; Landlock refuses with EACCES before the
 * address or the route is looked at. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *name(int e) {
    switch (e) {
    case EACCES: return "EACCES";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ENETUNREACH: return "ENETUNREACH";
    case EADDRINUSE: return "EADDRINUSE";
    default: return strerror(e);
    }
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        int port = atoi(argv[i] + 2);
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
        int r;
        if (argv[i][0] == 'b') {
            a.sin_addr.s_addr = htonl(INADDR_ANY);
            r = bind(s, (struct sockaddr *)&a, sizeof a);
        } else {
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            r = connect(s, (struct sockaddr *)&a, sizeof a);
        }
        printf("%s %s\n", argv[i], r == 0 ? "ok" : name(errno));
        close(s);
    }
    return 0;
}
