/*
 * probe — attempts system calls and privileged actions, and prints what happened as one line
 * of JSON, for berth's confinement tests (seccomp filters, capabilities, no_new_privs, users).
 *
 * Build: cc -O2 -Wall -Wextra -static -o probe probe.c
 *
 * Usage: probe [--serve] [--tmp DIR] ACTION...
 *
 * Actions, run in the order given (the results are keyed by the action as written):
 *   unshare      unshare(CLONE_NEWUTS) (only the probe's own namespace)
 *   mount        mount("tmpfs") on DIR/berth-probe-mnt-<pid>, inside a mount namespace of the
 *                probe's own when unshare(CLONE_NEWNS) works (so nothing shows outside);
 *                otherwise on a path that does not exist, so the call can reach the kernel
 *                but never change anything
 *   clone3       clone3({.exit_signal = SIGCHLD}): a child that exits at once, reaped
 *   mkdir        mkdir(DIR/berth-probe-<pid>, 0700), then rmdir
 *   keyctl       keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)
 *   socket-alg   socket(AF_ALG, SOCK_SEQPACKET, 0)
 *   getpid       getpid() (a baseline every filter allows)
 *   bind[:PORT]  socket(AF_INET, SOCK_STREAM) bound to 127.0.0.1:PORT (default 80); with
 *                --serve the socket stays open and listening
 *   setuid0      setuid(0)
 *   chown        chown(DIR/berth-probe-chown-<pid>, 1, 1) of a file the probe creates (giving
 *                it away to uid 1 needs CAP_CHOWN)
 *   ids          {"uid","euid","gid","egid","groups":[...]}
 *   status       the Cap*, NoNewPrivs and Seccomp lines of /proc/self/status
 *
 * Each system call's result is {"ok":true} or {"ok":false,"errno":"EPERM","code":1}.
 * DIR is --tmp, else $TMPDIR, else /tmp.
 *
 * Output (stdout): one line, `{"probe":{"pid":P,"results":{"ACTION":RESULT,...}}}`.
 * Then the probe exits 0, or with --serve waits until SIGTERM/SIGINT (then exits 0).
 * A seccomp filter that kills the process (SCMP_ACT_KILL_PROCESS) ends it before the line is
 * printed: results are printed at the end, together. Bad usage exits 2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif
#define PROBE_KEYCTL_GET_KEYRING_ID 0
#define PROBE_KEY_SPEC_SESSION_KEYRING (-3)

static const struct { int code; const char *name; } errnos[] = {
    {EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {ESRCH, "ESRCH"}, {EINTR, "EINTR"}, {EIO, "EIO"},
    {E2BIG, "E2BIG"}, {ENOEXEC, "ENOEXEC"}, {EBADF, "EBADF"}, {ECHILD, "ECHILD"},
    {EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"}, {EACCES, "EACCES"}, {EFAULT, "EFAULT"},
    {EBUSY, "EBUSY"}, {EEXIST, "EEXIST"}, {ENOTDIR, "ENOTDIR"}, {EINVAL, "EINVAL"},
    {EMFILE, "EMFILE"}, {ENOSPC, "ENOSPC"}, {EROFS, "EROFS"}, {ENAMETOOLONG, "ENAMETOOLONG"},
    {ENOSYS, "ENOSYS"}, {ELOOP, "ELOOP"}, {ENOKEY, "ENOKEY"}, {EKEYREVOKED, "EKEYREVOKED"},
    {EOPNOTSUPP, "EOPNOTSUPP"}, {EAFNOSUPPORT, "EAFNOSUPPORT"}, {EADDRINUSE, "EADDRINUSE"},
    {EADDRNOTAVAIL, "EADDRNOTAVAIL"}, {ENETDOWN, "ENETDOWN"}, {ECONNREFUSED, "ECONNREFUSED"},
    {EPROTONOSUPPORT, "EPROTONOSUPPORT"}, {EDQUOT, "EDQUOT"}, {EXDEV, "EXDEV"},
};

static char output[65536];
static size_t used;
static int first_result = 1;

static void append(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void append(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vsnprintf(output + used, sizeof output - used, format, args);
    va_end(args);
    if (n > 0)
        used = used + (size_t)n < sizeof output ? used + (size_t)n : sizeof output - 1;
}

static void key(const char *action)
{
    append("%s\"", first_result ? "" : ",");
    first_result = 0;
    for (const char *c = action; *c; c++)
        append(*c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
    append("\":");
}

static void result(const char *action, int returned, int error)
{
    key(action);
    if (returned >= 0) {
        append("{\"ok\":true}");
        return;
    }
    const char *name = NULL;
    for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
        if (errnos[i].code == error)
            name = errnos[i].name;
    if (name)
        append("{\"ok\":false,\"errno\":\"%s\",\"code\":%d}", name, error);
    else
        append("{\"ok\":false,\"errno\":\"E%d\",\"code\":%d}", error, error);
}

/* Runs `expression` (a system call returning -1 and errno on failure) and records it. */
#define RECORD(action, expression)                                                       \
    do {                                                                                 \
        errno = 0;                                                                       \
        long returned_ = (long)(expression);                                             \
        result((action), returned_ < 0 ? -1 : 0, errno);                                \
    } while (0)

static const char *tmp_dir(const char *option)
{
    if (option)
        return option;
    const char *env = getenv("TMPDIR");
    return env && *env ? env : "/tmp";
}

static int listening = -1;

static void probe_bind(const char *action, int port, int serve)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        result(action, -1, errno);
        return;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int returned = bind(fd, (struct sockaddr *)&address, sizeof address);
    int error = errno;
    result(action, returned, error);
    if (returned == 0 && serve && listen(fd, 16) == 0 && listening < 0)
        listening = fd;
    else
        close(fd);
}

static void probe_mount(const char *action, const char *dir)
{
    char target[4096];
    if (unshare(CLONE_NEWNS) == 0) {
        /* Our own mount namespace: make it private so nothing propagates back out. */
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
        snprintf(target, sizeof target, "%s/berth-probe-mnt-%d", dir, (int)getpid());
        mkdir(target, 0700);
        RECORD(action, mount("tmpfs", target, "tmpfs", 0, "size=64k"));
        umount2(target, MNT_DETACH);
        rmdir(target);
    } else {
        snprintf(target, sizeof target, "/nonexistent/berth-probe-mnt-%d", (int)getpid());
        RECORD(action, mount("tmpfs", target, "tmpfs", 0, "size=64k"));
    }
}

static void probe_clone3(const char *action)
{
    uint64_t args[11] = {0}; /* struct clone_args, CLONE_ARGS_SIZE_VER0 = 64 bytes */
    args[4] = SIGCHLD;       /* exit_signal */
    errno = 0;
    long pid = syscall(SYS_clone3, args, (size_t)64);
    if (pid == 0)
        _exit(0);
    int error = errno;
    if (pid > 0)
        waitpid((pid_t)pid, NULL, 0);
    result(action, pid < 0 ? -1 : 0, error);
}

static void probe_mkdir(const char *action, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/berth-probe-%d", dir, (int)getpid());
    RECORD(action, mkdir(path, 0700));
    rmdir(path);
}

static void probe_chown(const char *action, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/berth-probe-chown-%d", dir, (int)getpid());
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
        result(action, -1, errno);
        return;
    }
    close(fd);
    RECORD(action, chown(path, 1, 1));
    unlink(path);
}

static void probe_ids(const char *action)
{
    gid_t groups[256];
    int count = getgroups(256, groups);
    key(action);
    append("{\"uid\":%u,\"euid\":%u,\"gid\":%u,\"egid\":%u,\"groups\":[", (unsigned)getuid(), (unsigned)geteuid(),
           (unsigned)getgid(), (unsigned)getegid());
    for (int i = 0; i < count; i++)
        append("%s%u", i ? "," : "", (unsigned)groups[i]);
    append("]}");
}

static void probe_status(const char *action)
{
    static const char *const wanted[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
                                         "NoNewPrivs", "Seccomp", NULL};
    key(action);
    append("{");
    FILE *file = fopen("/proc/self/status", "re");
    char line[512];
    int first = 1;
    while (file && fgets(line, sizeof line, file)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        for (int i = 0; wanted[i]; i++) {
            if (strcmp(line, wanted[i]) != 0)
                continue;
            char *value = colon + 1;
            value += strspn(value, " \t");
            value[strcspn(value, " \t\n")] = '\0';
            append("%s\"%s\":\"%s\"", first ? "" : ",", line, value);
            first = 0;
        }
    }
    if (file)
        fclose(file);
    append("}");
}

static volatile sig_atomic_t stop;
static void on_signal(int signal)
{
    (void)signal;
    stop = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: probe [--serve] [--tmp DIR] ACTION...\n"
               "actions: unshare mount clone3 mkdir keyctl socket-alg getpid bind[:PORT] setuid0 chown ids status\n");
}

int main(int argc, char **argv)
{
    int serve = 0;
    const char *tmp_option = NULL;
    int first_action = 1;
    for (; first_action < argc && strncmp(argv[first_action], "--", 2) == 0; first_action++) {
        const char *option = argv[first_action];
        if (strcmp(option, "--serve") == 0) {
            serve = 1;
        } else if (strcmp(option, "--tmp") == 0 && first_action + 1 < argc) {
            tmp_option = argv[++first_action];
        } else if (strncmp(option, "--tmp=", 6) == 0) {
            tmp_option = option + 6;
        } else if (strcmp(option, "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "probe: unknown option %s\n", option);
            usage(stderr);
            return 2;
        }
    }
    if (first_action >= argc) {
        usage(stderr);
        return 2;
    }
    const char *dir = tmp_dir(tmp_option);
    append("{\"probe\":{\"pid\":%d,\"results\":{", (int)getpid());
    for (int i = first_action; i < argc; i++) {
        const char *action = argv[i];
        if (strcmp(action, "unshare") == 0) {
            RECORD(action, unshare(CLONE_NEWUTS));
        } else if (strcmp(action, "mount") == 0) {
            probe_mount(action, dir);
        } else if (strcmp(action, "clone3") == 0) {
            probe_clone3(action);
        } else if (strcmp(action, "mkdir") == 0) {
            probe_mkdir(action, dir);
        } else if (strcmp(action, "keyctl") == 0) {
            RECORD(action, syscall(SYS_keyctl, PROBE_KEYCTL_GET_KEYRING_ID, PROBE_KEY_SPEC_SESSION_KEYRING, 0));
        } else if (strcmp(action, "socket-alg") == 0) {
            errno = 0;
            int fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
            result(action, fd, errno);
            if (fd >= 0)
                close(fd);
        } else if (strcmp(action, "getpid") == 0) {
            RECORD(action, syscall(SYS_getpid));
        } else if (strcmp(action, "bind") == 0 || strncmp(action, "bind:", 5) == 0) {
            int port = action[4] == ':' ? atoi(action + 5) : 80;
            if (port < 1 || port > 65535) {
                fprintf(stderr, "probe: bad port in %s\n", action);
                return 2;
            }
            probe_bind(action, port, serve);
        } else if (strcmp(action, "setuid0") == 0) {
            RECORD(action, syscall(SYS_setuid, 0));
        } else if (strcmp(action, "chown") == 0) {
            probe_chown(action, dir);
        } else if (strcmp(action, "ids") == 0) {
            probe_ids(action);
        } else if (strcmp(action, "status") == 0) {
            probe_status(action);
        } else {
            fprintf(stderr, "probe: unknown action %s\n", action);
            usage(stderr);
            return 2;
        }
    }
    append("}}}\n");
    fputs(output, stdout);
    fflush(stdout);
    if (!serve)
        return 0;
    struct sigaction action = {.sa_handler = on_signal};
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    while (!stop)
        pause();
    if (listening >= 0)
        close(listening);
    return 0;
}
