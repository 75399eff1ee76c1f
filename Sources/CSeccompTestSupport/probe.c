/* See cseccomp_test_support.h. The child only makes system calls: no allocation, no stdio. */
#define _GNU_SOURCE
#include "cseccomp_test_support.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif

static int report_fd = -1;

static void report(int outcome, int value)
{
    cseccomp_probe_result result = { outcome, value };
    ssize_t written = write(report_fd, &result, sizeof result);
    (void)written;
}

static void on_sigsys(int signal, siginfo_t *info, void *context)
{
    (void)signal;
    (void)context;
    report(CSECCOMP_OUTCOME_TRAPPED, info->si_syscall);
    _exit(0);
}

/* 0 when the call succeeded, else errno. */
static int call(const cseccomp_probe *probe)
{
    long rc;
    switch (probe->call) {
    case CSECCOMP_PROBE_MKDIR:
        rc = mkdir(probe->path, 0700);
        if (rc == 0)
            rmdir(probe->path);
        break;
    case CSECCOMP_PROBE_UNSHARE_UTS:
        rc = unshare(CLONE_NEWUTS);
        break;
    case CSECCOMP_PROBE_MOUNT_TMPFS:
        rc = mount("tmpfs", probe->path, "tmpfs", 0, "size=64k");
        if (rc == 0)
            umount2(probe->path, MNT_DETACH);
        break;
    case CSECCOMP_PROBE_CLONE3: {
        struct clone_args args;
        memset(&args, 0, sizeof args);
        args.exit_signal = SIGCHLD;
        rc = syscall(SYS_clone3, &args, sizeof args);
        if (rc == 0)
            _exit(0); /* the clone */
        if (rc > 0) {
            int status;
            waitpid((pid_t)rc, &status, 0);
            rc = 0;
        }
        break;
    }
    case CSECCOMP_PROBE_SOCKET_VSOCK:
        rc = socket(AF_VSOCK, SOCK_STREAM, 0);
        if (rc >= 0) {
            close((int)rc);
            rc = 0;
        }
        break;
    case CSECCOMP_PROBE_SOCKET_ALG:
        rc = socket(AF_ALG, SOCK_SEQPACKET, 0);
        if (rc >= 0) {
            close((int)rc);
            rc = 0;
        }
        break;
    case CSECCOMP_PROBE_GETPID:
        rc = syscall(SYS_getpid);
        if (rc > 0)
            rc = 0;
        break;
    case CSECCOMP_PROBE_KEYCTL:
        rc = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
        if (rc >= 0)
            rc = 0;
        break;
    case CSECCOMP_PROBE_PTRACE_TRACEME:
        rc = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        break;
    case CSECCOMP_PROBE_RAW:
        rc = syscall(probe->number, probe->args[0], probe->args[1], probe->args[2], probe->args[3],
                     probe->args[4], probe->args[5]);
        if (rc >= 0)
            rc = 0;
        break;
    case CSECCOMP_PROBE_RAW_I386:
#if defined(__x86_64__)
        rc = probe->number;
        __asm__ volatile("int $0x80"
                         : "+a"(rc)
                         : "b"(probe->args[0]), "c"(probe->args[1]), "d"(probe->args[2])
                         : "memory", "r8", "r9", "r10", "r11");
        if (rc < 0 && rc > -4096) {
            errno = (int)-rc;
            rc = -1;
        } else {
            rc = 0;
        }
#else
        errno = ENOSYS;
        rc = -1;
#endif
        break;
    default:
        errno = EINVAL;
        rc = -1;
    }
    return rc == 0 ? 0 : errno;
}

static void child(const cseccomp_probe *probe)
{
    /* SIGSYS dumps core by default: no core files from the tests. */
    struct rlimit none = { 0, 0 };
    setrlimit(RLIMIT_CORE, &none);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    /* A mount the filter lets through must not reach the host's mount table. */
    if (probe->call == CSECCOMP_PROBE_MOUNT_TMPFS) {
        if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
            /* Not privileged: the kernel refuses the mount anyway. */
        }
    }
    if (probe->catch_sigsys) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_sigaction = on_sigsys;
        action.sa_flags = SA_SIGINFO;
        sigaction(SIGSYS, &action, NULL);
    }
    if (probe->filter != NULL) {
        struct sock_fprog program = {
            .len = (unsigned short)probe->instruction_count,
            .filter = (struct sock_filter *)(uintptr_t)probe->filter,
        };
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
            report(CSECCOMP_OUTCOME_SETUP_FAILED, errno);
            _exit(1);
        }
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, probe->flags, &program) != 0) {
            report(CSECCOMP_OUTCOME_SETUP_FAILED, errno);
            _exit(1);
        }
    }
    report(CSECCOMP_OUTCOME_RETURNED, call(probe));
    _exit(0);
}

int cseccomp_run_probe(const cseccomp_probe *probe, cseccomp_probe_result *result)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int error = errno;
        close(fds[0]);
        close(fds[1]);
        return -error;
    }
    if (pid == 0) {
        close(fds[0]);
        report_fd = fds[1];
        child(probe);
    }
    close(fds[1]);

    cseccomp_probe_result reported = { 0, 0 };
    size_t got = 0;
    while (got < sizeof reported) {
        ssize_t n = read(fds[0], (char *)&reported + got, sizeof reported - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fds[0]);

    int status;
    for (;;) {
        pid_t waited = waitpid(pid, &status, 0);
        if (waited == pid && WIFSTOPPED(status)) {
            /* Traced by us after PTRACE_TRACEME and stopped by a signal: let it go on. */
            ptrace(PTRACE_DETACH, pid, NULL, (void *)(uintptr_t)0);
            continue;
        }
        if (waited == pid)
            break;
        if (errno != EINTR)
            return -errno;
    }
    if (WIFSIGNALED(status)) {
        result->outcome = CSECCOMP_OUTCOME_KILLED;
        result->value = WTERMSIG(status);
    } else if (got == sizeof reported) {
        *result = reported;
    } else {
        result->outcome = -EPROTO; /* exited without a report */
        result->value = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    return 0;
}
