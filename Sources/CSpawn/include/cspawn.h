/*
 * CSpawn: the only code of berth that runs between fork and exec.
 *
 * The parent (Swift) prepares everything: the resolved program path, argv and envp as C
 * arrays, the cgroup leaf's directory fd, the standard descriptors, the resource limits, and
 * the confinement. The child only makes system calls, in a fixed order, and never
 * allocates: after clone3/fork in a multi-threaded parent, malloc's locks may be held by
 * threads that do not exist in the child.
 */
#ifndef BERTH_CSPAWN_H
#define BERTH_CSPAWN_H

#include <sys/types.h>

/* Where a child failed before (or at) execve; reported to the parent through the exec-report pipe. */
typedef enum {
    CSPAWN_STAGE_PLACEMENT = 1,   /* joining the cgroup leaf (fork fallback only)          */
    CSPAWN_STAGE_SESSION = 2,     /* setsid                                                 */
    CSPAWN_STAGE_SIGNALS = 3,     /* default dispositions, empty mask                       */
    CSPAWN_STAGE_DESCRIPTORS = 4, /* dup2 of 0/1/2, closing the rest                        */
    CSPAWN_STAGE_DIRECTORY = 5,   /* chdir                                                  */
    CSPAWN_STAGE_RLIMITS = 6,     /* setrlimit                                              */
    CSPAWN_STAGE_OOM_SCORE = 7,   /* /proc/self/oom_score_adj                               */
    CSPAWN_STAGE_CONFINEMENT = 8, /* user, capabilities, no_new_privs, seccomp: the report's
                                     error is errno | (cspawn_confinement_step << 16)        */
    CSPAWN_STAGE_EXEC = 9         /* execve                                                 */
} cspawn_stage;

typedef struct {
    int resource;                 /* RLIMIT_NOFILE, ...                                     */
    unsigned long long soft;      /* RLIM_INFINITY for unlimited                            */
    unsigned long long hard;
} cspawn_rlimit;

/* Which step of the confinement failed (the high half of a CONFINEMENT report's error). */
typedef enum {
    CSPAWN_CONFINE_GROUPS = 1,        /* setgroups                                              */
    CSPAWN_CONFINE_GID = 2,           /* setresgid                                              */
    CSPAWN_CONFINE_KEEP_CAPS = 3,     /* prctl(PR_SET_KEEPCAPS)                                 */
    CSPAWN_CONFINE_UID = 4,           /* setresuid                                              */
    CSPAWN_CONFINE_BOUNDING = 5,      /* prctl(PR_CAPBSET_DROP)                                 */
    CSPAWN_CONFINE_CAPABILITIES = 6,  /* capget/capset                                          */
    CSPAWN_CONFINE_AMBIENT = 7,       /* prctl(PR_CAP_AMBIENT)                                  */
    CSPAWN_CONFINE_NO_NEW_PRIVS = 8,  /* prctl(PR_SET_NO_NEW_PRIVS)                             */
    CSPAWN_CONFINE_SECCOMP = 9        /* seccomp(SECCOMP_SET_MODE_FILTER)                       */
} cspawn_confinement_step;

/* The confinement slot: decided in the parent (users resolved, capability masks computed, the
 * seccomp filter compiled), applied by the child after the oom score and before execve, in
 * this order:
 *
 *   setgroups → setresgid → PR_SET_KEEPCAPS, setresuid → bounding set → capset →
 *   ambient raise → PR_SET_NO_NEW_PRIVS → seccomp(SECCOMP_SET_MODE_FILTER) → execve
 *
 * Without no_new_privs, installing a filter needs CAP_SYS_ADMIN, which the steps before it
 * drop: the filter is then installed first, while the child still has berth's capabilities
 * (runc, crun and minijail do the same), so it must allow setgroups, setresgid, setresuid,
 * prctl, capget and capset (berth's built-in profile does). A NULL confinement means none. */
typedef struct cspawn_confinement {
    int set_identity;               /* 1: setgroups, setresgid, setresuid to the ids below     */
    unsigned int uid;
    unsigned int gid;
    const unsigned int *groups;     /* supplementary groups (gid_t); none: count 0            */
    int group_count;
    int drop_bounding;              /* 1: PR_CAPBSET_DROP every capability not in bounding   */
    int last_capability;            /* /proc/sys/kernel/cap_last_cap, read by the parent      */
    unsigned long long bounding;    /* capability masks: bit N = capability N                */
    unsigned long long permitted;
    unsigned long long effective;
    unsigned long long inheritable;
    unsigned long long ambient;     /* raised with PR_CAP_AMBIENT after capset               */
    int no_new_privileges;          /* 1: PR_SET_NO_NEW_PRIVS                                */
    const void *filter;             /* struct sock_filter[] (8 bytes each), or NULL: none    */
    unsigned short filter_length;   /* instructions                                         */
    unsigned int filter_flags;      /* SECCOMP_FILTER_FLAG_*; EINVAL retries with 0 (crun)   */
} cspawn_confinement;

typedef struct {
    const char *path;               /* absolute path of the program                         */
    char *const *argv;              /* NULL-terminated                                      */
    char *const *envp;              /* NULL-terminated                                      */
    const char *working_directory;
    int cgroup_fd;                  /* O_PATH|O_DIRECTORY fd of the cgroup v2 leaf, or -1   */
    int stdin_fd;                   /* descriptors that become 0, 1, 2 in the child;         */
    int stdout_fd;                  /* each must be > 2 (the caller ensures it)              */
    int stderr_fd;
    int keep_fd;                    /* one more descriptor kept open across exec, or -1     */
    const cspawn_rlimit *rlimits;
    int rlimit_count;
    int set_oom_score_adj;          /* non-zero: write oom_score_adj                        */
    int oom_score_adj;
    const cspawn_confinement *confinement;
} cspawn_request;

typedef struct {
    pid_t pid;
    /* Read end of the exec-report pipe (O_CLOEXEC|O_NONBLOCK). End of file: the program was
     * executed. Otherwise one cspawn_report arrives, then end of file: the child failed and
     * exits 127. The caller owns the descriptor. */
    int report_fd;
    int placed_by_clone3;           /* 1: CLONE_INTO_CGROUP placed the child; 0: fork + cgroup.procs */
} cspawn_result;

typedef struct {
    int stage;                      /* a cspawn_stage                                        */
    int error;                      /* errno                                                 */
} cspawn_report;

/* Starts a child. Returns 0, or a negative errno when no child could be created (the parent
 * side failed: pipe, clone3 and fork both failed, placement failed in the fork fallback). */
int cspawn_start(const cspawn_request *request, cspawn_result *result);

/* ---- Additions (helper-spawn); everything above is the contract, unchanged. ---- */

/* Which parent-side step failed when cspawn_start_detailed returns a negative errno. */
typedef enum {
    CSPAWN_PARENT_PIPE = 1,       /* pipe2 of the exec-report pipe or the placement "go" pipe */
    CSPAWN_PARENT_CREATE = 2,     /* clone3 and fork both failed                          */
    CSPAWN_PARENT_PLACEMENT = 3   /* fork fallback: writing the pid to cgroup.procs failed;
                                     the child was told, exited 127 and has been reaped      */
} cspawn_parent_step;

/* cspawn_start, plus *failed_step (a cspawn_parent_step, or 0 on success) so the caller can
 * tell the user which step failed. cspawn_start(r, res) == cspawn_start_detailed(r, res, NULL).
 *
 * Test and diagnostic switches, read from the parent's environment on every call:
 *   CSPAWN_FORCE_FORK=1     skip clone3 and use fork + cgroup.procs (placement fallback path)
 *   CSPAWN_FORCE_FD_WALK=1  skip close_range and walk /proc/self/fd (descriptor fallback path) */
int cspawn_start_detailed(const cspawn_request *request, cspawn_result *result, int *failed_step);

#endif
