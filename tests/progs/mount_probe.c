/* mount_probe: the calls a container makes against sk-seccomp's mount
 * supervisor (tools/sk-seccomp/tests/mount.rs). Built static by the tests
 * (sk_testkit::c_program) and copied into the root filesystem.
 *
 *   mount SRC TGT TYPE       mount(2), prints "ok" or the errno's name
 *   nodata SRC TGT           ext4 with a data string that has no NUL
 *                            within its page
 *   swap SRC TGT N           N mounts of ext4 while another thread swaps
 *                            the type string with "tmpfs"; prints
 *                            "mounted M other K swapped S" (S must be 0)
 *   fsopen                   fsopen("ext4"), prints "ok" or the errno
 *   slow DIR                 one thread holds DIR's lock (getdents64 into
 *                            a userfaultfd page nobody provides), so the
 *                            supervisor's mknod in DIR for a second thread
 *                            waits; a third thread's notified uname must
 *                            be answered meanwhile
 *   many DIR                 200 mknod calls from 8 threads at once
 *   dead-caller SRC TGT      a child's mount of SRC on TGT waits in the
 *                            supervisor (TGT held locked as in slow), the
 *                            child is killed, the lock let go: prints
 *                            "mounted N" for TGT afterwards (must be 0)
 *   remount TGT              mount(NULL, TGT, NULL, MS_REMOUNT|MS_BIND) without
 *                            nodev and nosuid
 *   setattr TGT              mount_setattr(TGT) clearing nodev and nosuid
 *   repeat-mknod DIR N       N times mknod DIR/n (c 1:3) and unlink it
 *   repeat-mount SRC TGT N   N times mount SRC on TGT (ext4, ro) and umount
 *                            (bench/notify.sh)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e) {
    switch (e) {
    case EPERM: return "EPERM";
    case ENOSYS: return "ENOSYS";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case EFAULT: return "EFAULT";
    case ENOTBLK: return "ENOTBLK";
    default: return strerror(e);
    }
}

static int report(int rc) {
    if (rc == 0) {
        puts("ok");
        return 0;
    }
    puts(ename(errno));
    return 1;
}

/* The type of the mount on TGT in this process's mountinfo, or "". */
static void fstype_on(const char *tgt, char *out, size_t n) {
    FILE *f = fopen("/proc/self/mountinfo", "r");
    char line[4096];
    out[0] = 0;
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        char mp[1024], rest[3072];
        if (sscanf(line, "%*s %*s %*s %*s %1023s %3071[^\n]", mp, rest) != 2) continue;
        if (strcmp(mp, tgt)) continue;
        char *dash = strstr(rest, " - ");
        if (dash) sscanf(dash + 3, "%63s", out);
    }
    fclose(f);
    (void)n;
}

static char fstype[16] = "ext4";
static volatile int stop;

static void *swapper(void *arg) {
    (void)arg;
    while (!stop) {
        memcpy(fstype, "tmpfs", 6);
        memcpy(fstype, "ext4\0", 6);
    }
    return NULL;
}

static int swap(const char *src, const char *tgt, int n) {
    pthread_t t;
    int mounted = 0, other = 0, swapped = 0;
    pthread_create(&t, NULL, swapper, NULL);
    for (int i = 0; i < n; i++) {
        if (mount(src, tgt, fstype, 0, NULL) != 0) {
            if (errno != EPERM) other++;
            continue;
        }
        char seen[64];
        fstype_on(tgt, seen, sizeof seen);
        if (strcmp(seen, "ext4")) swapped++;
        else mounted++;
        umount2(tgt, MNT_DETACH);
    }
    stop = 1;
    pthread_join(t, NULL);
    printf("mounted %d other %d swapped %d\n", mounted, other, swapped);
    return swapped ? 1 : 0;
}

static int nodata(const char *src, const char *tgt) {
    char *data = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(data, 'a', 8192);
    return report(mount(src, tgt, "ext4", 0, data));
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *stall_page;
static const char *slow_dir;
static volatile int slow_done;

/* Holds DIR's inode lock: getdents64 copies the entries into a page that
 * nobody has provided yet, and waits there with the lock held. */
static void *lock_holder(void *arg) {
    (void)arg;
    int fd = open(slow_dir, O_RDONLY | O_DIRECTORY);
    syscall(SYS_getdents64, fd, stall_page, 4096);
    close(fd);
    return NULL;
}

/* A notified mknod in DIR: the supervisor's mknod waits for the lock. */
static void *slow_mknod(void *arg) {
    (void)arg;
    char path[512];
    snprintf(path, sizeof path, "%s/slow-node", slow_dir);
    mknod(path, S_IFCHR | 0600, makedev(1, 3));
    slow_done = 1;
    return NULL;
}

/* Holds TGT's lock until the page is provided; returns the uffd. */
static int hold_locked(const char *dir, pthread_t *holder) {
    slow_dir = dir;
    long page = sysconf(_SC_PAGESIZE);
    int uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    if (uffd < 0) { printf("userfaultfd: %s\n", ename(errno)); exit(2); }
    struct uffdio_api api = { .api = UFFD_API };
    stall_page = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct uffdio_register reg = {
        .range = { .start = (unsigned long)stall_page, .len = page },
        .mode = UFFDIO_REGISTER_MODE_MISSING,
    };
    if (ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg)) { perror("uffd"); exit(2); }
    pthread_create(holder, NULL, lock_holder, NULL);
    struct pollfd p = { .fd = uffd, .events = POLLIN };
    if (poll(&p, 1, 5000) != 1) { puts("getdents never stalled"); exit(2); }
    return uffd;
}

static void let_go(int uffd, pthread_t holder) {
    struct uffdio_zeropage zero = { .range = { .start = (unsigned long)stall_page,
                                               .len = sysconf(_SC_PAGESIZE) } };
    ioctl(uffd, UFFDIO_ZEROPAGE, &zero);
    pthread_join(holder, NULL);
}

static int dead_caller(const char *src, const char *tgt) {
    pthread_t holder;
    int uffd = hold_locked(tgt, &holder);
    pid_t child = fork();
    if (child == 0) {
        mount(src, tgt, "ext4", 0, NULL);
        _exit(0);
    }
    usleep(500 * 1000);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    let_go(uffd, holder);
    usleep(500 * 1000);
    char seen[64];
    fstype_on(tgt, seen, sizeof seen);
    printf("mounted %d\n", seen[0] != 0);
    return seen[0] != 0;
}

static int slow(const char *dir) {
    pthread_t holder, slowt;
    int uffd = hold_locked(dir, &holder);
    pthread_create(&slowt, NULL, slow_mknod, NULL);
    usleep(300 * 1000);
    int pending_before = !slow_done;
    double t0 = now_ms();
    struct utsname u;
    int rc = uname(&u);
    int e = errno;
    double ms = now_ms() - t0;
    int pending_after = !slow_done;
    let_go(uffd, holder);
    pthread_join(slowt, NULL);
    printf("fast %s in %.1f ms while the slow one was %s\n", rc ? ename(e) : "ok", ms,
           pending_before && pending_after ? "pending" : "done");
    return pending_before && pending_after ? 0 : 1;
}

#define THREADS 8
#define CALLS 25
static const char *many_dir;
static int answered[THREADS];

static void *many_thread(void *arg) {
    long t = (long)arg;
    for (int i = 0; i < CALLS; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/n-%ld-%d", many_dir, t, i);
        if (mknod(path, S_IFCHR | 0600, makedev(1, 3)) == 0) answered[t]++;
    }
    return NULL;
}

static int many(const char *dir) {
    pthread_t t[THREADS];
    many_dir = dir;
    for (long i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, many_thread, (void *)i);
    int total = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        total += answered[i];
    }
    printf("made %d\n", total);
    return total == THREADS * CALLS ? 0 : 1;
}

struct mount_attr_v0 {
    unsigned long long attr_set, attr_clr, propagation, userns_fd;
};

static int setattr(const char *tgt) {
    struct mount_attr_v0 a = { .attr_clr = 0x2 | 0x4 }; /* MOUNT_ATTR_NOSUID | NODEV */
    return report(syscall(SYS_mount_setattr, AT_FDCWD, tgt, 0, &a, sizeof a) < 0 ? -1 : 0);
}

static int repeat_mknod(const char *dir, int n) {
    char path[512];
    snprintf(path, sizeof path, "%s/n", dir);
    for (int i = 0; i < n; i++) {
        if (mknod(path, S_IFCHR | 0600, makedev(1, 3))) return report(-1);
        unlink(path);
    }
    return 0;
}

static int repeat_mount(const char *src, const char *tgt, int n) {
    for (int i = 0; i < n; i++) {
        if (mount(src, tgt, "ext4", MS_RDONLY, NULL)) return report(-1);
        umount2(tgt, 0);
    }
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strncmp(argv[1], "repeat-", 7)) alarm(30);
    if (argc == 5 && !strcmp(argv[1], "mount")) return report(mount(argv[2], argv[3], argv[4], 0, NULL));
    if (argc == 4 && !strcmp(argv[1], "nodata")) return nodata(argv[2], argv[3]);
    if (argc == 5 && !strcmp(argv[1], "swap")) return swap(argv[2], argv[3], atoi(argv[4]));
    if (argc == 2 && !strcmp(argv[1], "fsopen")) return report(syscall(SYS_fsopen, "ext4", 0) < 0 ? -1 : 0);
    if (argc == 3 && !strcmp(argv[1], "slow")) return slow(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "many")) return many(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "dead-caller")) return dead_caller(argv[2], argv[3]);
    if (argc == 3 && !strcmp(argv[1], "remount"))
        return report(mount(NULL, argv[2], NULL, MS_REMOUNT | MS_BIND, NULL));
    if (argc == 3 && !strcmp(argv[1], "setattr")) return setattr(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "repeat-mknod")) return repeat_mknod(argv[2], atoi(argv[3]));
    if (argc == 5 && !strcmp(argv[1], "repeat-mount")) return repeat_mount(argv[2], argv[3], atoi(argv[4]));
    fprintf(stderr, "usage: mount_probe mount|nodata|swap|fsopen|slow|many ...\n");
    return 2;
}
