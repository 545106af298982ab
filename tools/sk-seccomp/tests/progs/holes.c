/* The ways around a socket-family or ioctl filter, tried one by one.
 *   holes OP FAMILY TYPE PROTOCOL ...   (numbers: decimal or 0x hex, 64-bit)
 * OP:
 *   socket      socket(2), x86_64, the family as a full 64-bit register
 *   x32socket   socket(2) through the x32 ABI (nr | 0x40000000)
 *   i386socket  socket(2) through int 0x80 (i386 number 359)
 *   socketcall  i386 socketcall(SYS_SOCKET, {family, type, protocol}), int 0x80
 *   x32getpid   getpid through the x32 ABI (does this kernel have it?)
 *   i386getpid  getpid through int 0x80 (does this kernel have IA32?)
 *   ioctl       ioctl(0, REQUEST (FAMILY field), &c) on stdin
 * Prints "OP ARGS ok" (the call succeeded) or "OP ARGS ERRNO".
 * Built static and without PIE, so that its data is below 4 GiB, where a
 * 32-bit call can point. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static unsigned int socketcall_args[3];
static char ch = 'x';

static long int80(long nr, long a, long b, long c) {
    long ret;
    __asm__ volatile("int $0x80"
                     : "=a"(ret)
                     : "a"(nr), "b"(a), "c"(b), "d"(c)
                     : "memory", "r8", "r9", "r10", "r11");
    return ret;
}

static long raw(long r) { return r < 0 ? -errno : r; }

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *op = argv[1];
    unsigned long long a[3] = {0, 0, 0};
    for (int i = 0; i < 3 && i + 2 < argc; i++) a[i] = strtoull(argv[i + 2], NULL, 0);
    long r;
    if (!strcmp(op, "socket")) {
        r = raw(syscall(SYS_socket, a[0], a[1], a[2]));
    } else if (!strcmp(op, "x32socket")) {
        r = raw(syscall(0x40000000 | SYS_socket, a[0], a[1], a[2]));
    } else if (!strcmp(op, "x32getpid")) {
        r = raw(syscall(0x40000000 | SYS_getpid));
    } else if (!strcmp(op, "i386socket")) {
        r = int80(359, (long)a[0], (long)a[1], (long)a[2]);
    } else if (!strcmp(op, "i386getpid")) {
        r = int80(20, 0, 0, 0);
    } else if (!strcmp(op, "socketcall")) {
        socketcall_args[0] = a[0];
        socketcall_args[1] = a[1];
        socketcall_args[2] = a[2];
        r = int80(102, 1 /* SYS_SOCKET */, (long)(unsigned long)socketcall_args, 0);
    } else if (!strcmp(op, "ioctl")) {
        r = raw(syscall(SYS_ioctl, 0, a[0], &ch));
    } else {
        return 2;
    }
    printf("%s", op);
    for (int i = 2; i < argc; i++) printf(" %s", argv[i]);
    if (r >= 0) printf(" ok\n");
    else printf(" %ld\n", -r);
    return 0;
}
