/* probe: escape attempts from inside a container, one per subcommand.
 * Built static by the tests (sk_testkit::probe) and copied into the root
 * filesystem, so it needs nothing from the container.
 *
 * Each subcommand prints one line, "ok ..." when the attempt SUCCEEDED
 * (an escape) and "denied: <strerror>" when the kernel refused; the exit
 * status is 0 for success, 1 for refusal, 2 for bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <dirent.h>

static int denied(const char *what) {
    printf("denied: %s: %s\n", what, strerror(errno));
    return 1;
}

/* The classic chroot escape: chroot into a subdirectory without entering
 * it, climb out with "..", chroot to where we ended, list "/". */
static int chroot_escape(void) {
    mkdir("probe-escape.d", 0755);
    if (chroot("probe-escape.d") != 0)
        return denied("chroot");
    for (int i = 0; i < 64; i++)
        if (chdir("..") != 0)
            return denied("chdir ..");
    if (chroot(".") != 0)
        return denied("chroot .");
    DIR *d = opendir("/");
    if (!d)
        return denied("opendir /");
    printf("ok root:");
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            printf(" %s", e->d_name);
    printf("\n");
    return 0;
}

static int raw_socket(void) {
    int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (s < 0)
        return denied("socket(AF_INET, SOCK_RAW)");
    printf("ok raw socket\n");
    return 0;
}

static int abstract_connect(const char *name) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0)
        return denied("socket(AF_UNIX)");
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t n = strlen(name);
    if (n + 1 > sizeof a.sun_path)
        return 2;
    memcpy(a.sun_path + 1, name, n); /* leading NUL: the abstract namespace */
    if (connect(s, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 1 + n) != 0)
        return denied("connect to the abstract socket");
    printf("ok connected to @%s\n", name);
    return 0;
}

static int do_ptrace(pid_t pid) {
    if (ptrace(PTRACE_ATTACH, pid, 0, 0) != 0)
        return denied("ptrace attach");
    printf("ok attached to %d\n", pid);
    ptrace(PTRACE_DETACH, pid, 0, 0);
    return 0;
}

static int do_kill(pid_t pid) {
    if (kill(pid, SIGKILL) != 0)
        return denied("kill");
    printf("ok killed %d\n", pid);
    return 0;
}

static int load_module(void) {
    /* A few bytes that are not a module: a kernel that lets us try says
     * "Exec format error"; a confined process is refused before that. */
    static const char junk[64] = "not a module";
    if (syscall(SYS_init_module, junk, sizeof junk, "") != 0) {
        if (errno == ENOEXEC || errno == EINVAL)
            printf("ok init_module reached the module loader\n");
        else
            return denied("init_module");
        return 0;
    }
    return 0;
}

static int unshare_user(void) {
    if (unshare(CLONE_NEWUSER) != 0)
        return denied("unshare(CLONE_NEWUSER)");
    printf("ok new user namespace\n");
    return 0;
}

static int mount_dev(const char *dev, const char *dir) {
    if (mount(dev, dir, "ext4", MS_RDONLY, NULL) != 0)
        return denied("mount");
    printf("ok mounted %s\n", dev);
    return 0;
}

static int read_dev(const char *dev) {
    char buf[512];
    int fd = open(dev, O_RDONLY);
    if (fd < 0)
        return denied("open");
    if (read(fd, buf, sizeof buf) < 0)
        return denied("read");
    printf("ok read %s\n", dev);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2)
        return 2;
    const char *c = argv[1];
    if (!strcmp(c, "chroot-escape")) return chroot_escape();
    if (!strcmp(c, "raw-socket")) return raw_socket();
    if (!strcmp(c, "abstract") && argc == 3) return abstract_connect(argv[2]);
    if (!strcmp(c, "ptrace") && argc == 3) return do_ptrace(atoi(argv[2]));
    if (!strcmp(c, "kill") && argc == 3) return do_kill(atoi(argv[2]));
    if (!strcmp(c, "load-module")) return load_module();
    if (!strcmp(c, "unshare-user")) return unshare_user();
    if (!strcmp(c, "mount") && argc == 4) return mount_dev(argv[2], argv[3]);
    if (!strcmp(c, "read-dev") && argc == 3) return read_dev(argv[2]);
    fprintf(stderr, "probe: unknown attempt %s\n", c);
    return 2;
}
