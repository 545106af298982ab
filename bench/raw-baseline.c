/* raw-baseline ROOT CGROUP_PARENT NAME COMMAND: the headline chain's system calls
 * in one process, as a lower bound for bench/chain.sh: new mount, uts and
 * pid namespaces, fork, a cgroup with a CPU quota, pivot_root with a fresh
 * /proc, CAP_SYS_TIME dropped, exec. No parsing, no checks, no messages. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) { perror(what); _exit(125); }

static void put(const char *dir, const char *file, const char *text) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, strlen(text)) < 0) die(path);
    close(fd);
}

int main(int argc, char **argv) {
    if (argc < 5) return 125;
    const char *root = argv[1], *name = argv[3];
    char cg[4096];
    snprintf(cg, sizeof cg, "%s/%s", argv[2], name);
    /* pivot_root moves the root of every process of the mount namespace,
     * this parent's too: remove the group through a descriptor. */
    int parent_dir = open(argv[2], O_DIRECTORY | O_CLOEXEC);
    if (parent_dir < 0) die("open cgroup parent");
    if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID)) die("unshare");
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid > 0) {
        int st;
        waitpid(pid, &st, 0);
        if (unlinkat(parent_dir, name, AT_REMOVEDIR)) perror("rmdir cgroup");
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("make / private");
    if (mkdir(cg, 0755)) die("mkdir cgroup");
    put(cg, "cpu.cfs_quota_us", "20000");
    put(cg, "cgroup.procs", "0");
    if (mount(root, root, NULL, MS_BIND | MS_REC, NULL)) die("bind root");
    char proc[4096];
    snprintf(proc, sizeof proc, "%s/proc", root);
    if (mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) die("mount proc");
    if (chdir(root)) die("chdir");
    if (syscall(SYS_pivot_root, ".", ".")) die("pivot_root");
    if (umount2(".", MNT_DETACH)) die("umount old root");
    if (chdir("/")) die("chdir /");
    if (prctl(PR_CAPBSET_DROP, CAP_SYS_TIME, 0, 0, 0)) die("drop bounding");
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d)) die("capget");
    d[0].effective &= ~(1u << CAP_SYS_TIME);
    d[0].permitted &= ~(1u << CAP_SYS_TIME);
    d[0].inheritable &= ~(1u << CAP_SYS_TIME);
    if (syscall(SYS_capset, &h, d)) die("capset");
    execv(argv[4], argv + 4);
    die("execv");
}
