/* raw-baseline ROOT CPU_PARENT ACCT_PARENT COMMAND...: the headline chain
 *   sk-unshare -mup sk-cgroup cpu=20000 sk-pivot ROOT sk-capdrop sys_time COMMAND
 * as one static process making the same changes to the kernel's state, with
 * no parsing, no checks and no messages: the lower bound for bench/chain.sh.
 * The group, raw-PID, is made under CPU_PARENT, a directory of the
 * hierarchy with the cpu controller (v1 or v2), and under ACCT_PARENT, a
 * directory of the v1 cpuacct hierarchy when cpu has one of its own ("-"
 * otherwise), as sk-cgroup does; the groups stay, as the chain's.
 *
 * The calls, in the chain's order (checked against `strace -f -c` of the
 * chain, see bench/chain.sh, and against tools/sk-unshare, sk-cgroup,
 * sk-pivot, sk-capdrop):
 *   sk-unshare -mup: unshare(NEWNS|NEWUTS|NEWPID); / made private (MS_REC);
 *     one fork (the pid namespace's first process; the parent stays and
 *     waits), and at the end the minimal init's fork: PID 1 waits, the
 *     command runs as PID 2;
 *   sk-cgroup cpu=20000 (no --rm: no fork, the group stays): mkdir, the
 *     quota written (cpu.cfs_quota_us, or cpu.max on v2), the process
 *     written to cgroup.procs; the same in cpuacct without the quota;
 *   sk-pivot ROOT, its defaults: / private again; ROOT bound on itself
 *     (MS_REC); proc; /dev: a tmpfs, the nodes null zero full random
 *     urandom tty made (mknod, chmod) on a staging tmpfs in it and bound
 *     on empty files made in /dev (mknod S_IFREG), the staging tmpfs
 *     detached and removed, devpts
 *     (newinstance) on a new pts, a tmpfs on a new shm, the links ptmx fd
 *     stdin stdout stderr; the read-only paths (each bound on itself, then
 *     remounted read-only); the masks (a tmpfs on a directory, /dev/null on a file),
 *     each where it exists, as sk-pivot skips the others; pivot_root(".",
 *     "."), the old root (entered by an fd opened before) made a slave and
 *     detached; chdir("/");
 *   sk-capdrop sys_time: PR_CAPBSET_DROP, then capset(2) without it in
 *     the effective set, then in the permitted set (root's inheritable set
 *     is empty: the chain writes it only when it changes);
 *   execve of COMMAND.
 * On the project's VM (Linux 6.18) that is 19 mounts (26 mount calls),
 * and the mount table inside is the chain's, line for line; the count
 * follows the /proc paths the kernel has.
 * Left out, as the chain's own overhead: its reads and checks (openat2
 * lookups inside ROOT, mountinfo and /proc/self/cgroup, the namespace
 * check, capget, the bounding set read cap by cap with PR_CAPBSET_READ,
 * the verification after the drop), the staying parent's signal
 * forwarding (signalfd, sigprocmask), and sk-cgroup's removal of a stale
 * empty group of the same name (sk-1-<pid namespace inode>: runs in a row
 * often get a reused inode, and then an rmdir and a second mkdir). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOSUID_NODEV_NOEXEC (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static const char *devices[] = {"null", "zero", "full", "random", "urandom", "tty"};
static const unsigned numbers[][2] = {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}};
static const char *links[][2] = {{"ptmx", "pts/ptmx"}, {"fd", "/proc/self/fd"},
    {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}};
/* tools/sk-pivot/src/cli.rs: DEFAULT_READ_ONLY and DEFAULT_MASKS. /sys is
 * left out: sk-pivot mounts no sysfs by default, and the image's empty
 * /sys has no such paths. */
static const char *read_only[] = {"proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger"};
static const char *masks[] = {"proc/acpi", "proc/asound", "proc/interrupts", "proc/kcore",
    "proc/keys", "proc/latency_stats", "proc/timer_list", "proc/timer_stats",
    "proc/sched_debug", "proc/scsi"};
#define N(a) (sizeof a / sizeof a[0])

static void die(const char *what) { perror(what); _exit(125); }

/* DIR/NAME, in one of 8 buffers used in turn: a result lives for 7 more calls. */
static char *at(const char *dir, const char *name) {
    static char path[8][4096];
    static int i;
    char *p = path[i++ % 8];
    snprintf(p, 4096, "%s/%s", dir, name);
    return p;
}

static void put(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, strlen(text)) < 0) die(path);
    close(fd);
}

/* The parent's pid, outside the new pid namespace: unique among the runs. */
static int outer_pid;

static void cgroup(const char *parent, int quota) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/raw-%d", parent, outer_pid);
    if (mkdir(dir, 0755)) die(dir);
    if (quota && access(at(dir, "cpu.cfs_quota_us"), F_OK) == 0)
        put(at(dir, "cpu.cfs_quota_us"), "20000");
    else if (quota)
        put(at(dir, "cpu.max"), "20000 100000");
    put(at(dir, "cgroup.procs"), "0");
}

static void dev(const char *root) {
    char d[2048];
    snprintf(d, sizeof d, "%s/dev", root);
    if (mount("tmpfs", d, "tmpfs", NOSUID_NODEV_NOEXEC, "mode=0755")) die("mount /dev");
    /* The nodes, made on a staging tmpfs that allows devices, each bound
     * onto an empty file in /dev; the staging tmpfs is then detached. */
    char staging[2100];
    snprintf(staging, sizeof staging, "%s/.sk-pivot-nodes", d);
    if (mkdir(staging, 0755) ||
        mount("tmpfs", staging, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=4k,nr_inodes=7"))
        die("staging");
    for (size_t i = 0; i < N(devices); i++) {
        char *made = at(staging, devices[i]);
        if (mknod(made, S_IFCHR | 0666, makedev(numbers[i][0], numbers[i][1])) || chmod(made, 0666))
            die(made);
    }
    for (size_t i = 0; i < N(devices); i++) {
        char *node = at(d, devices[i]);
        if (mknod(node, S_IFREG | 0644, 0)) die(node);
        if (mount(at(staging, devices[i]), node, NULL, MS_BIND, NULL)) die(node);
    }
    if (umount2(staging, MNT_DETACH) || rmdir(staging)) die("staging");
    if (mkdir(at(d, "pts"), 0755) ||
        mount("devpts", at(d, "pts"), "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620"))
        die("devpts");
    if (mkdir(at(d, "shm"), 0755) || mount("tmpfs", at(d, "shm"), "tmpfs", NOSUID_NODEV_NOEXEC, "mode=1777"))
        die("shm");
    for (size_t i = 0; i < N(links); i++)
        if (symlink(links[i][1], at(d, links[i][0]))) die(links[i][0]);
}

static void masks_and_read_only(const char *root) {
    struct stat st;
    for (size_t i = 0; i < N(read_only); i++) {
        char *p = at(root, read_only[i]);
        if (lstat(p, &st)) continue;
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) ||
            mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | NOSUID_NODEV_NOEXEC | MS_RELATIME, NULL))
            die(p);
    }
    for (size_t i = 0; i < N(masks); i++) {
        char *p = at(root, masks[i]);
        if (lstat(p, &st)) continue;
        if (S_ISDIR(st.st_mode) ? mount("tmpfs", p, "tmpfs", MS_RDONLY | NOSUID_NODEV_NOEXEC, "size=0,mode=0555")
                                : mount("/dev/null", p, NULL, MS_BIND, NULL))
            die(p);
    }
}

static void pivot(const char *root) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("make / private");
    if (mount(root, root, NULL, MS_BIND | MS_REC, NULL)) die("bind root");
    if (mount("proc", at(root, "proc"), "proc", NOSUID_NODEV_NOEXEC, NULL)) die("mount proc");
    dev(root);
    masks_and_read_only(root);
    int old = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (old < 0 || chdir(root)) die("chdir");
    if (syscall(SYS_pivot_root, ".", ".")) die("pivot_root");
    if (fchdir(old)) die("fchdir old root");
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL)) die("old root slave");
    if (umount2(".", MNT_DETACH)) die("umount old root");
    if (chdir("/")) die("chdir /");
}

static void capdrop(void) {
    if (prctl(PR_CAPBSET_DROP, CAP_SYS_TIME, 0, 0, 0)) die("drop bounding");
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d)) die("capget");
    d[0].effective &= ~(1u << CAP_SYS_TIME);
    if (syscall(SYS_capset, &h, d)) die("capset effective");
    d[0].permitted &= ~(1u << CAP_SYS_TIME);
    if (syscall(SYS_capset, &h, d)) die("capset permitted");
}

int main(int argc, char **argv) {
    if (argc < 5) return 125;
    outer_pid = getpid();
    if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID)) die("unshare");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("make / private");
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid > 0) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    cgroup(argv[2], 1);
    if (strcmp(argv[3], "-")) cgroup(argv[3], 0);
    pivot(argv[1]);
    capdrop();
    /* The minimal init (the chain's default with a pid namespace): PID 1
     * forks the command as PID 2 and waits for it. */
    pid_t command = fork();
    if (command < 0) die("fork the command");
    if (command > 0) {
        int st;
        while (waitpid(command, &st, 0) < 0 && errno == EINTR) {}
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    execv(argv[4], argv + 4);
    die("execv");
}
