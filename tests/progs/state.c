/* state: prints, normalised, what a chain left the process: capabilities,
 * ids, no_new_privs, seccomp, signal dispositions and mask, securebits,
 * dumpable, the parent-death signal, mounts, cgroups, namespaces (as "host"
 * or "new" against the inodes given as arguments: mnt=N pid=N ...), fds,
 * environment, cwd and rlimits. Two runs of one chain, fused and unfused
 * (SK_FUSE=0), must print the same text.
 * Built static by the tests and copied into the root filesystem.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static void status(void) {
    static const char *keep[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
                                 "NoNewPrivs", "Seccomp:", "Seccomp_filters", "Uid",
                                 "Gid", "Groups", "SigBlk", "SigIgn", "SigCgt", NULL};
    FILE *f = fopen("/proc/self/status", "r");
    char line[512];
    if (!f) { printf("status: cannot open\n"); return; }
    while (fgets(line, sizeof line, f))
        for (int i = 0; keep[i]; i++)
            if (strncmp(line, keep[i], strlen(keep[i])) == 0) fputs(line, stdout);
    fclose(f);
}

/* sk-123, sk-1-4026531836: the default group names carry pids. */
static void normalise_digits(char *s) {
    char *w = s;
    for (char *r = s; *r; r++) {
        if (isdigit((unsigned char)*r)) {
            if (w == s || w[-1] != '#') *w++ = '#';
        } else {
            *w++ = *r;
        }
    }
    *w = 0;
}

static void file_lines(const char *path, int digits) {
    FILE *f = fopen(path, "r");
    char line[1024];
    if (!f) { printf("%s: cannot open\n", path); return; }
    while (fgets(line, sizeof line, f)) {
        if (digits) normalise_digits(line);
        printf("%s: %s", path, line);
    }
    fclose(f);
}

/* mountinfo without the ids: mount point, options, type, source, super options */
static void mounts(void) {
    FILE *f = fopen("/proc/self/mountinfo", "r");
    char line[2048];
    if (!f) { printf("mountinfo: cannot open\n"); return; }
    while (fgets(line, sizeof line, f)) {
        char *field[16] = {0};
        int n = 0;
        for (char *t = strtok(line, " \n"); t && n < 16; t = strtok(NULL, " \n")) field[n++] = t;
        int dash = 6;
        while (dash < n && strcmp(field[dash], "-") != 0) dash++;
        if (dash + 3 >= n + 1 && dash + 2 >= n) { printf("mount: short line\n"); continue; }
        printf("mount: %s %s %s %s\n", field[4], field[5], field[dash + 1],
               dash + 3 < n ? field[dash + 3] : "");
    }
    fclose(f);
}

static void namespaces(int argc, char **argv) {
    static const char *kinds[] = {"mnt", "pid", "net", "uts", "ipc", "user", "cgroup", "time", NULL};
    for (int i = 0; kinds[i]; i++) {
        char path[64], target[64] = "";
        snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[i]);
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len < 0) { printf("ns %s: none\n", kinds[i]); continue; }
        target[len] = 0;
        const char *verdict = "new";
        for (int a = 1; a < argc; a++) {
            size_t k = strlen(kinds[i]);
            if (strncmp(argv[a], kinds[i], k) == 0 && argv[a][k] == '=' &&
                strstr(target, argv[a] + k + 1))
                verdict = "host";
        }
        printf("ns %s: %s\n", kinds[i], verdict);
    }
}

static void fds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int own = d ? dirfd(d) : -1;
    if (!d) { printf("fds: cannot open\n"); return; }
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == own) continue;
        char path[64], target[256] = "";
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len >= 0) target[len] = 0;
        normalise_digits(target);
        printf("fd %s: %s\n", e->d_name, target);
    }
    closedir(d);
}

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void environment(void) {
    int n = 0;
    while (environ[n]) n++;
    char **v = malloc(sizeof(char *) * (n + 1));
    for (int i = 0; i < n; i++) v[i] = environ[i];
    qsort(v, n, sizeof(char *), cmp);
    for (int i = 0; i < n; i++) printf("env: %s\n", v[i]);
}

int main(int argc, char **argv) {
    char cwd[512];
    status();
    printf("securebits: %#x\n", prctl(PR_GET_SECUREBITS));
    printf("keepcaps: %d\n", prctl(PR_GET_KEEPCAPS));
    printf("dumpable: %d\n", prctl(PR_GET_DUMPABLE));
    int sig = 0;
    prctl(PR_GET_PDEATHSIG, &sig);
    printf("pdeathsig: %d\n", sig);
    printf("cwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
    for (int r = 0; r < RLIM_NLIMITS; r++) {
        struct rlimit l;
        getrlimit(r, &l);
        printf("rlimit %d: %llu %llu\n", r, (unsigned long long)l.rlim_cur,
               (unsigned long long)l.rlim_max);
    }
    mounts();
    file_lines("/proc/self/cgroup", 1);
    namespaces(argc, argv);
    fds();
    environment();
    return 0;
}
