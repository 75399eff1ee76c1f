/*
 * CSeccompTestSupport (tests only): runs one system call under a seccomp filter in a forked
 * child, and says what happened to it.
 *
 * The child does what berth's spawn child will do with a compiled program:
 * prctl(PR_SET_NO_NEW_PRIVS, 1) and syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog),
 * then makes the probe's system call, reports the result through a pipe and exits.
 */
#ifndef BERTH_CSECCOMP_TEST_SUPPORT_H
#define BERTH_CSECCOMP_TEST_SUPPORT_H

#include <stddef.h>
#include <sys/syscall.h>

/* System-call numbers of this machine, for CSECCOMP_PROBE_RAW. Since 424 (pidfd_send_signal)
 * new system calls have the same number on every architecture but alpha: clone3 is 435,
 * mseal (Linux 6.10, newer than libseccomp 2.5.4's tables) is 462. */
static const long cseccomp_nr_unshare = SYS_unshare;
static const long cseccomp_nr_socket = SYS_socket;
static const long cseccomp_nr_getpid = SYS_getpid;
static const long cseccomp_nr_mkdirat = SYS_mkdirat;
static const long cseccomp_nr_clone3 = 435;
static const long cseccomp_nr_mseal = 462;
/* i386 numbers, for CSECCOMP_PROBE_RAW_I386. */
static const long cseccomp_nr_i386_getpid = 20;
static const long cseccomp_nr_i386_unshare = 310;

typedef enum {
    CSECCOMP_PROBE_MKDIR = 1,          /* mkdir(path, 0700), then rmdir on success                  */
    CSECCOMP_PROBE_UNSHARE_UTS = 2,    /* unshare(CLONE_NEWUTS)                                     */
    CSECCOMP_PROBE_MOUNT_TMPFS = 3,    /* mount("tmpfs", path, "tmpfs"), in a private mount ns when
                                          the child could make one before the filter               */
    CSECCOMP_PROBE_CLONE3 = 4,         /* syscall(SYS_clone3, {.exit_signal = SIGCHLD}): a child that
                                          exits at once, reaped                                     */
    CSECCOMP_PROBE_SOCKET_VSOCK = 5,   /* socket(AF_VSOCK, SOCK_STREAM, 0)                          */
    CSECCOMP_PROBE_SOCKET_ALG = 6,     /* socket(AF_ALG, SOCK_SEQPACKET, 0)                         */
    CSECCOMP_PROBE_GETPID = 7,         /* syscall(SYS_getpid)                                       */
    CSECCOMP_PROBE_KEYCTL = 8,         /* keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) */
    CSECCOMP_PROBE_PTRACE_TRACEME = 9, /* ptrace(PTRACE_TRACEME)                                    */
    CSECCOMP_PROBE_RAW = 10,           /* syscall(number, args[0..5])                               */
    CSECCOMP_PROBE_RAW_I386 = 11       /* x86_64 only: the i386 system call number (int $0x80) with
                                          args[0..2], as a 32-bit program makes it (seccomp sees
                                          AUDIT_ARCH_I386); ENOSYS elsewhere                        */
} cseccomp_probe_call;

typedef enum {
    CSECCOMP_OUTCOME_RETURNED = 1,     /* the call returned: value = 0 on success, else errno       */
    CSECCOMP_OUTCOME_KILLED = 2,       /* the child died of a signal: value = the signal            */
    CSECCOMP_OUTCOME_TRAPPED = 3,      /* a SIGSYS handler ran (SCMP_ACT_TRAP): value = si_syscall  */
    CSECCOMP_OUTCOME_SETUP_FAILED = 4  /* no_new_privs or seccomp(2) failed: value = errno          */
} cseccomp_outcome;

typedef struct {
    int outcome;                       /* a cseccomp_outcome, or -errno when the harness failed     */
    int value;
} cseccomp_probe_result;

typedef struct {
    const void *filter;                /* struct sock_filter[], or NULL: no filter                  */
    size_t instruction_count;
    unsigned int flags;                /* SECCOMP_FILTER_FLAG_*                                     */
    int call;                          /* a cseccomp_probe_call                                     */
    const char *path;                  /* MKDIR, MOUNT_TMPFS                                        */
    long number;                       /* RAW                                                       */
    unsigned long args[6];             /* RAW                                                       */
    int catch_sigsys;                  /* install a SIGSYS handler before the filter                */
} cseccomp_probe;

/* Forks, runs the probe in the child, waits for it. Returns 0 (result filled in) or -errno. */
int cseccomp_run_probe(const cseccomp_probe *probe, cseccomp_probe_result *result);

#endif
