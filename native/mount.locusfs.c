/*
 * mount.locusfs: the helper mount(8) runs for "mount -t locusfs STORE MOUNTPOINT -o OPTIONS" and
 * for an /etc/fstab line of type locusfs. It translates the mount options the way mount.fuse3
 * does and runs "locusfs mount", which returns once the mount is ready (the daemon stays in the
 * background, logging to STORE/locusfs.log).
 *
 *   usage: mount.locusfs STORE MOUNTPOINT [-sfnv] [-N NAMESPACE] [-o OPTIONS] [-t TYPE]
 *
 * The options it takes, passes on and ignores are those of its manual page,
 * packaging/man/mount.locusfs.8.adoc (mount.locusfs(8)); the lists below are their one home in code.
 *
 * The locusfs launcher is /usr/bin/locusfs (the package's), else /usr/local/bin/locusfs ('make
 * install'), or $LOCUSFS_BIN when the caller is not running a set-user-ID program (a test runs
 * the launcher of its own checkout that way).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *launchers[] = {"/usr/bin/locusfs", "/usr/local/bin/locusfs", NULL};

#define MAX_ARGS 64

static const char *passed[] = {"ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "noatime", "atime",
                               "relatime", "sync", "async", "dirsync", "nonempty", NULL};
static const char *passed_with_value[] = {"entry_timeout=", "attr_timeout=", NULL};
static const char *ignored[] = {"defaults", "auto", "noauto", "user", "nouser", "users", "owner", "group", "_netdev",
                                "nofail", NULL};
static const char *ignored_prefixes[] = {"x-", "comment=", NULL};

static int in_list(const char *option, const char **list) {
    for (int i = 0; list[i]; i++) {
        if (strcmp(option, list[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int has_prefix(const char *option, const char **prefixes) {
    for (int i = 0; prefixes[i]; i++) {
        if (strncmp(option, prefixes[i], strlen(prefixes[i])) == 0) {
            return 1;
        }
    }
    return 0;
}

static void usage(void) {
    fprintf(stderr, "usage: mount.locusfs STORE MOUNTPOINT [-sfnv] [-o OPTIONS]\n"
                    "  (run by mount(8): mount -t locusfs STORE MOUNTPOINT -o policy=FILE,ro)\n");
}

int main(int argc, char **argv) {
    const char *store = NULL;
    const char *mountpoint = NULL;
    char *options = NULL;
    int fake = 0;
    int verbose = 0;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-o") == 0 && i + 1 < argc) {
            options = strdup(argv[++i]);
        } else if (strncmp(arg, "-o", 2) == 0 && arg[2] != '\0') {
            options = strdup(arg + 2);
        } else if ((strcmp(arg, "-t") == 0 || strcmp(arg, "-N") == 0) && i + 1 < argc) {
            i++; /* the type is ours; a namespace is not supported, and mount(8) rarely passes one */
        } else if (arg[0] == '-' && arg[1] != '\0' && strspn(arg + 1, "sfnvrw") == strlen(arg + 1)) {
            fake |= strchr(arg, 'f') != NULL;
            verbose |= strchr(arg, 'v') != NULL;
            /* -s (sloppy) and -n (no mtab) need nothing: mtab is /proc/self/mounts */
        } else if (arg[0] == '-') {
            fprintf(stderr, "mount.locusfs: unknown argument '%s'\n", arg);
            usage();
            return 1;
        } else if (!store) {
            store = arg;
        } else if (!mountpoint) {
            mountpoint = arg;
        } else {
            fprintf(stderr, "mount.locusfs: unexpected argument '%s'\n", arg);
            usage();
            return 1;
        }
    }
    if (!store || !mountpoint) {
        usage();
        return 1;
    }

    const char *bin = launchers[0];
    for (int i = 0; launchers[i]; i++) {
        if (access(launchers[i], X_OK) == 0) {
            bin = launchers[i];
            break;
        }
    }
    const char *override = getenv("LOCUSFS_BIN");
    if (override && *override && getuid() == geteuid() && getgid() == getegid()) {
        bin = override;
    }

    char *args[MAX_ARGS];
    int n = 0;
    args[n++] = (char *) bin;
    args[n++] = "mount";
    char fuse_options[4096] = "";
    int bad = 0;
    if (options) {
        for (char *save = NULL, *option = strtok_r(options, ",", &save); option; option = strtok_r(NULL, ",", &save)) {
            if (*option == '\0' || in_list(option, ignored) || has_prefix(option, ignored_prefixes)) {
                continue;
            }
            const char *flag = NULL;
            if (strncmp(option, "policy=", 7) == 0) {
                flag = "--policy";
            } else if (strncmp(option, "audit=", 6) == 0) {
                flag = "--audit";
            } else if (strncmp(option, "replicate=", 10) == 0) {
                flag = "--replicate";
            }
            if (flag) {
                const char *value = strchr(option, '=') + 1;
                if (*value == '\0') {
                    fprintf(stderr, "mount.locusfs: option '%s' needs a file after '='\n", option);
                    bad = 1;
                } else if (n + 2 < MAX_ARGS - 6) {
                    args[n++] = (char *) flag;
                    args[n++] = (char *) value;
                }
            } else if (in_list(option, passed) || has_prefix(option, passed_with_value)) {
                if (strcmp(option, "rw") == 0) {
                    continue; /* the default */
                }
                if (strlen(fuse_options) + strlen(option) + 2 >= sizeof fuse_options) {
                    fprintf(stderr, "mount.locusfs: too many options\n");
                    return 1;
                }
                if (*fuse_options) {
                    strcat(fuse_options, ",");
                }
                strcat(fuse_options, option);
            } else {
                fprintf(stderr, "mount.locusfs: unknown mount option '%s' (LocusFS takes policy=FILE, audit=FILE, "
                                "replicate=FILE, ro, nosuid, nodev, noexec, noatime, entry_timeout=S, attr_timeout=S; "
                                "see mount.locusfs(8))\n", option);
                bad = 1;
            }
        }
    }
    if (bad) {
        return 1;
    }
    if (*fuse_options) {
        args[n++] = "-o";
        args[n++] = fuse_options;
    }
    args[n++] = (char *) store;
    args[n++] = (char *) mountpoint;
    args[n] = NULL;

    if (verbose || fake) {
        for (int i = 0; i < n; i++) {
            fprintf(stderr, "%s%s", i ? " " : "", args[i]);
        }
        fputc('\n', stderr);
    }
    if (fake) {
        return 0;
    }
    execv(bin, args);
    fprintf(stderr, "mount.locusfs: cannot run %s: %s\n", bin, strerror(errno));
    return 1;
}
