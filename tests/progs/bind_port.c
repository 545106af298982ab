/* bind_port PORT: bind a TCP socket to PORT on 127.0.0.1 and say whether
 * the kernel allowed it, for docs/tutorial.md. Ports below 1024 need
 * CAP_NET_BIND_SERVICE (or net.ipv4.ip_unprivileged_port_start lowered);
 * a file capability on this program grants it to a user who is not root.
 * Exit status 0 when bound, 1 when refused, 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: bind-port PORT\n");
        return 2;
    }
    int port = atoi(argv[1]);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        fprintf(stderr, "bind-port: cannot create a socket: %s\n", strerror(errno));
        return 1;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(stderr, "bind-port: cannot bind port %d as uid %d: %s\n", port, (int)getuid(),
                strerror(errno));
        return 1;
    }
    printf("bound port %d as uid %d\n", port, (int)getuid());
    return 0;
}
