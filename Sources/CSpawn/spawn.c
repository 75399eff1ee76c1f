/*
 * cspawn_start: create a child (clone3 into its cgroup leaf, or fork + cgroup.procs), prepare it
 * with plain system calls, execve.
 *
 * Everything under "child" runs between fork and exec of a multi-threaded parent: other threads'
 * locks (malloc, stdio, the Swift runtime) may be held forever in the child, so the child only
 * uses async-signal-safe system calls on memory the parent prepared, and reports failure as one
 * fixed-size write to the exec-report pipe.
 */
#define _GNU_SOURCE
#include "cspawn.h"
#include "confinement.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Older headers lack these; the numbers are the same on every architecture (unified table). */
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#define CSPAWN_CLONE_INTO_CGROUP 0x200000000ULL /* Linux 5.7 */
#define CSPAWN_CLOSE_RANGE_CLOEXEC (1U << 2)    /* Linux 5.11 */

/* struct clone_args up to the cgroup field (CLONE_ARGS_SIZE_VER2, 88 bytes). Our own copy:
 * <linux/sched.h> may predate the cgroup field and clashes with <sched.h>. */
struct cspawn_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
    uint64_t set_tid, set_tid_size, cgroup;
};

/* The kernel's getdents64 record; glibc's struct dirent64 is the same, but this states it. */
struct cspawn_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* What the child needs besides the request; all descriptors were made by the parent. */
typedef struct {
    int report_write;   /* exec-report pipe, write end (CLOEXEC: exec closes it = success)   */
    int go_read;        /* fork fallback: wait here until placed; -1 when clone3 placed us    */
    int go_write;       /* the parent's end of the go pipe; the child must close its copy     */
    int force_fd_walk;  /* CSPAWN_FORCE_FD_WALK: test the /proc/self/fd path                 */
} child_plan;

/* ---------------------------------------------------------------- child ---------------- */

/* The one way a child fails: tell the parent where and why, then die without running any
 * atexit handler or flushing stdio buffers copied from the parent. */
__attribute__((noreturn)) static void child_fail(const child_plan *plan, int stage, int error)
{
    cspawn_report report = {.stage = stage, .error = error};
    ssize_t n;
    do
        n = write(plan->report_write, &report, sizeof report); /* < PIPE_BUF: atomic */
    while (n < 0 && errno == EINTR);
    _exit(127);
}

/* Fork fallback: we run before being in our cgroup leaf. Block until the parent has written
 * our pid to cgroup.procs (it closes the pipe: EOF) or failed (it writes the errno as a byte). */
static int child_wait_for_placement(const child_plan *plan)
{
    unsigned char byte;
    ssize_t n;
    close(plan->go_write); /* or we would never see EOF */
    do
        n = read(plan->go_read, &byte, 1);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno;
    close(plan->go_read);
    if (n == 0)
        return 0;
    return byte != 0 ? byte : EIO;
}

/* A service must not inherit the supervisor's ignored signals (SIG_IGN survives exec) or its
 * blocked mask. The parent blocked every signal around the clone, so no handler of the parent
 * can run here before the dispositions are back to default; only then unblock.
 *
 * rt_sigaction directly rather than sigaction(3): glibc refuses 32 and 33 (it reserves them for
 * itself), yet they can arrive ignored from whoever started the supervisor and would be passed
 * on. An all-zero kernel sigaction is SIG_DFL, no flags, empty mask on every layout (with or
 * without sa_restorer), so no per-architecture struct is needed. */
static int child_reset_signals(void)
{
    const unsigned long default_action[4] = {0, 0, 0, 0};
    sigset_t empty;
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        /* Only EINVAL is possible, for numbers this kernel does not have: nothing to reset. */
        (void)syscall(SYS_rt_sigaction, sig, default_action, NULL, 64 / 8);
    }
    sigemptyset(&empty);
    if (sigprocmask(SIG_SETMASK, &empty, NULL) < 0)
        return errno;
    return 0;
}

/* Parses a /proc/self/fd entry name; -1 for "." and "..". */
static int parse_fd_name(const char *name)
{
    int fd = 0;
    if (*name == '\0')
        return -1;
    for (; *name != '\0'; name++) {
        if (*name < '0' || *name > '9')
            return -1;
        fd = fd * 10 + (*name - '0');
    }
    return fd;
}

/* Fallback for kernels without close_range(CLOEXEC): mark each open descriptor above 2 by
 * listing /proc/self/fd. getdents64 into a stack buffer: opendir would malloc. */
static int child_mark_cloexec_by_walking(void)
{
    char buffer[2048] __attribute__((aligned(8)));
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return errno;
    for (;;) {
        long n = syscall(SYS_getdents64, dir, buffer, sizeof buffer);
        if (n < 0) {
            int error = errno;
            close(dir);
            return error;
        }
        if (n == 0)
            break;
        for (long offset = 0; offset < n;) {
            const struct cspawn_dirent64 *entry = (const void *)(buffer + offset);
            int fd = parse_fd_name(entry->d_name);
            if (fd > 2 && fd != dir)
                (void)fcntl(fd, F_SETFD, FD_CLOEXEC); /* the only descriptor flag */
            offset += entry->d_reclen;
        }
    }
    close(dir);
    return 0;
}

/* 0/1/2 from the request; everything else the supervisor has open (other services' pipes,
 * listening sockets, cgroup fds) closes at exec, except keep_fd. The report pipe is already
 * CLOEXEC, so exec closing it is what tells the parent "executed". */
static int child_set_descriptors(const cspawn_request *request, const child_plan *plan)
{
    if (dup2(request->stdin_fd, 0) < 0 || dup2(request->stdout_fd, 1) < 0 ||
        dup2(request->stderr_fd, 2) < 0)
        return errno;
    if (plan->force_fd_walk ||
        syscall(SYS_close_range, 3U, ~0U, CSPAWN_CLOSE_RANGE_CLOEXEC) < 0) {
        int error = child_mark_cloexec_by_walking();
        if (error != 0)
            return error;
    }
    if (request->keep_fd >= 0 && fcntl(request->keep_fd, F_SETFD, 0) < 0)
        return errno;
    return 0;
}

static int child_set_rlimits(const cspawn_request *request)
{
    for (int i = 0; i < request->rlimit_count; i++) {
        const cspawn_rlimit *limit = &request->rlimits[i];
        struct rlimit value = {.rlim_cur = limit->soft, .rlim_max = limit->hard};
        if (setrlimit(limit->resource, &value) < 0)
            return errno;
    }
    return 0;
}

/* Decimal text of value into text (at least 12 bytes); returns the length. No snprintf: it may
 * take locale locks. */
static size_t format_decimal(int value, char *text)
{
    char reversed[12];
    size_t length = 0, count = 0;
    unsigned int magnitude = value < 0 ? 0U - (unsigned int)value : (unsigned int)value;
    do {
        reversed[count++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    if (value < 0)
        text[length++] = '-';
    while (count > 0)
        text[length++] = reversed[--count];
    return length;
}

/* Set here rather than from the parent through /proc/<pid>: no window in which the service
 * runs with the supervisor's score, and the value is inherited by the service's children. */
static int child_set_oom_score_adj(int value)
{
    char text[12];
    size_t length = format_decimal(value, text);
    int error = 0;
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    ssize_t n = write(fd, text, length);
    if (n < 0)
        error = errno;
    else if ((size_t)n != length)
        error = EIO;
    close(fd);
    return error;
}

/* The fixed order of the contract; never returns. */
__attribute__((noreturn)) static void child_run(const cspawn_request *request,
                                                const child_plan *plan)
{
    int error;
    if (plan->go_read >= 0 && (error = child_wait_for_placement(plan)) != 0)
        child_fail(plan, CSPAWN_STAGE_PLACEMENT, error);
    if (setsid() < 0) /* own session and process group: signals to the group reach only us */
        child_fail(plan, CSPAWN_STAGE_SESSION, errno);
    if ((error = child_reset_signals()) != 0)
        child_fail(plan, CSPAWN_STAGE_SIGNALS, error);
    if ((error = child_set_descriptors(request, plan)) != 0)
        child_fail(plan, CSPAWN_STAGE_DESCRIPTORS, error);
    if (request->working_directory != NULL && chdir(request->working_directory) < 0)
        child_fail(plan, CSPAWN_STAGE_DIRECTORY, errno);
    if ((error = child_set_rlimits(request)) != 0)
        child_fail(plan, CSPAWN_STAGE_RLIMITS, error);
    if (request->set_oom_score_adj && (error = child_set_oom_score_adj(request->oom_score_adj)) != 0)
        child_fail(plan, CSPAWN_STAGE_OOM_SCORE, error);
    if ((error = cspawn_apply_confinement(request->confinement)) < 0)
        child_fail(plan, CSPAWN_STAGE_CONFINEMENT, -error);
    execve(request->path, request->argv, request->envp);
    child_fail(plan, CSPAWN_STAGE_EXEC, errno);
}

/* ---------------------------------------------------------------- parent --------------- */

/* A CLOEXEC pipe whose ends are above 2: if the supervisor runs with 0/1/2 closed, a pipe end
 * could land there and the child's dup2 onto 0/1/2 would overwrite it. On failure both ends
 * are -1 and nothing is left open. */
static int make_pipe(int fds[2])
{
    fds[0] = fds[1] = -1;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return errno;
    for (int i = 0; i < 2; i++) {
        if (fds[i] > 2)
            continue;
        int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
        int error = errno;
        close(fds[i]);
        fds[i] = moved;
        if (moved < 0) {
            close(fds[1 - i]); /* the other end: still open, whichever number it has */
            fds[0] = fds[1] = -1;
            return error;
        }
    }
    return 0;
}

static void close_pipe(int fds[2])
{
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    fds[0] = fds[1] = -1;
}

static int env_flag(const char *name)
{
    const char *value = getenv(name);
    return value != NULL && strcmp(value, "1") == 0;
}

/* The child is born inside its leaf: no moment in the supervisor's cgroup, no race with the
 * service forking before placement. Returns the pid, 0 in the child, -1 with errno. */
static pid_t clone_into_cgroup(int cgroup_fd)
{
    struct cspawn_clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CSPAWN_CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = (uint64_t)cgroup_fd;
    return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

#if defined(__x86_64__)
/*
 * clone3 with CLONE_VM | CLONE_VFORK, the way posix_spawn creates its child: the child borrows
 * the parent's memory instead of copying its page tables, and the parent sleeps until the
 * child has executed (or exited). For a supervisor with a few hundred MiB mapped this is most
 * of the cost of a spawn (~0.4 ms of ~0.5 ms here).
 *
 * It needs a few instructions of assembly: the child starts on the stack given in args, so it
 * must not return through C frames; it calls fn(arg) there and exits if fn ever returns. The
 * system call preserves every register but rax, rcx and r11, so fn and arg cross it in r8/r9.
 * Returns the pid in the parent, or -errno.
 */
long cspawn_clone3_shared(struct cspawn_clone_args *args, size_t size, void (*fn)(void *), void *arg);
__asm__(".text\n"
        ".globl cspawn_clone3_shared\n"
        ".hidden cspawn_clone3_shared\n"
        ".type cspawn_clone3_shared,@function\n"
        "cspawn_clone3_shared:\n"
        "    movq %rdx, %r8\n"
        "    movq %rcx, %r9\n"
        "    movl $435, %eax\n" /* SYS_clone3 */
        "    syscall\n"
        "    testq %rax, %rax\n"
        "    jz 1f\n"
        "    ret\n"
        "1:  xorl %ebp, %ebp\n"
        "    movq %r9, %rdi\n"
        "    callq *%r8\n"
        "    movl $127, %edi\n"
        "    movl $60, %eax\n" /* SYS_exit */
        "    syscall\n"
        "    hlt\n"
        ".size cspawn_clone3_shared, .-cspawn_clone3_shared\n");

typedef struct {
    const cspawn_request *request;
    const child_plan *plan;
} child_start;

static void child_entry(void *context)
{
    const child_start *start = context;
    child_run(start->request, start->plan);
}

/* The child's stack: a private mapping of its own, unmapped once the parent wakes up (the
 * child has executed or exited by then). The child's own code needs a few KiB. */
#define CSPAWN_CHILD_STACK (256 * 1024)

/* Into the leaf when there is one (as clone_into_cgroup), sharing memory until exec. Returns
 * the pid, or -1 with errno; the caller falls back to a copying clone3 or fork on any error. */
static pid_t clone_shared(const cspawn_request *request, const child_plan *plan)
{
    void *stack = mmap(NULL, CSPAWN_CHILD_STACK, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return -1;
    child_start start = {.request = request, .plan = plan};
    struct cspawn_clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_VM | CLONE_VFORK | (request->cgroup_fd >= 0 ? CSPAWN_CLONE_INTO_CGROUP : 0);
    args.exit_signal = SIGCHLD;
    args.stack = (uint64_t)(uintptr_t)stack;
    args.stack_size = CSPAWN_CHILD_STACK;
    args.cgroup = request->cgroup_fd >= 0 ? (uint64_t)request->cgroup_fd : 0;
    long pid = cspawn_clone3_shared(&args, sizeof args, child_entry, &start);
    munmap(stack, CSPAWN_CHILD_STACK);
    if (pid < 0) {
        errno = (int)-pid;
        return -1;
    }
    return (pid_t)pid;
}
#endif

/* Fork fallback placement, done by the parent while the child waits on the go pipe. The leaf
 * fd may be O_PATH, which cannot be written but works as the dirfd of openat. */
static int place_by_pid(int cgroup_fd, pid_t pid)
{
    char text[12];
    size_t length = format_decimal(pid, text);
    int error = 0;
    int fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    if (write(fd, text, length) < 0)
        error = errno;
    close(fd);
    return error;
}

/* Lets the child go on (EOF), or makes it fail with error (one byte; errno values are < 256). */
static void release_child(int go_write, int error)
{
    if (error != 0) {
        unsigned char byte = (unsigned char)(error < 256 ? error : EIO);
        ssize_t n;
        do
            n = write(go_write, &byte, 1);
        while (n < 0 && errno == EINTR);
    }
    close(go_write);
}

/* The child exits right after it reads the failure byte; reap it so no zombie is left for a
 * caller that never learned its pid. ECHILD (someone else reaped it) is fine. */
static void reap(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
}

/* clone3 into the leaf when there is one (and CSPAWN_FORCE_FORK is not set), else fork; a
 * forked child with a leaf waits on the go pipe for its placement. Returns the pid, or -1 with
 * errno. Only the parent returns. */
static pid_t create_child(const cspawn_request *request, child_plan *plan, const int go[2],
                          int *placed_by_clone3)
{
    pid_t pid;
#if defined(__x86_64__)
    /* CSPAWN_COPY_MEMORY=1 (tests, benchmarks): the copying clone3 below, as on other machines. */
    if (!env_flag("CSPAWN_FORCE_FORK") && !env_flag("CSPAWN_COPY_MEMORY")) {
        pid = clone_shared(request, plan);
        if (pid > 0) {
            *placed_by_clone3 = request->cgroup_fd >= 0;
            return pid;
        }
    }
#endif
    if (request->cgroup_fd >= 0 && !env_flag("CSPAWN_FORCE_FORK")) {
        pid = clone_into_cgroup(request->cgroup_fd);
        if (pid == 0)
            child_run(request, plan);
        if (pid > 0) {
            *placed_by_clone3 = 1;
            return pid;
        }
        /* Any error (ENOSYS, E2BIG, EINVAL, EPERM, EBUSY, EACCES, EBADF...): fall back. */
    }
    plan->go_read = go[0];
    plan->go_write = go[1];
    pid = fork();
    if (pid == 0)
        child_run(request, plan);
    return pid;
}

int cspawn_start_detailed(const cspawn_request *request, cspawn_result *result, int *failed_step)
{
    int report[2] = {-1, -1}, go[2] = {-1, -1};
    int error, step_unused, placed_by_clone3 = 0;
    int *step = failed_step != NULL ? failed_step : &step_unused;
    sigset_t all, saved;
    *step = 0;
    result->pid = -1;
    result->report_fd = -1;
    result->placed_by_clone3 = 0;

    /* The go pipe is made up front (unused when clone3 works) so that nothing can fail between
     * blocking and restoring the signal mask. */
    if ((error = make_pipe(report)) != 0 ||
        (request->cgroup_fd >= 0 && (error = make_pipe(go)) != 0)) {
        close_pipe(report);
        *step = CSPAWN_PARENT_PIPE;
        return -error;
    }
    child_plan plan = {.report_write = report[1], .go_read = -1, .go_write = -1,
                       .force_fd_walk = env_flag("CSPAWN_FORCE_FD_WALK")};

    /* Until the child has reset its dispositions, a signal would run one of our handlers in it. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    pid_t pid = create_child(request, &plan, go, &placed_by_clone3);
    error = errno;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);

    /* Only the child may hold the write end: EOF then means its exec closed it. */
    close(report[1]);
    report[1] = -1;
    if (pid < 0 || placed_by_clone3)
        close_pipe(go);
    if (pid < 0) {
        close_pipe(report);
        *step = CSPAWN_PARENT_CREATE;
        return -error;
    }
    if (go[0] >= 0) {
        close(go[0]);
        error = place_by_pid(request->cgroup_fd, pid);
        release_child(go[1], error);
        if (error != 0) {
            reap(pid);
            close_pipe(report);
            *step = CSPAWN_PARENT_PLACEMENT;
            return -error;
        }
    }
    /* The caller polls this from its event loop instead of blocking until exec. */
    fcntl(report[0], F_SETFL, fcntl(report[0], F_GETFL) | O_NONBLOCK);

    result->pid = pid;
    result->report_fd = report[0];
    result->placed_by_clone3 = placed_by_clone3;
    return 0;
}

int cspawn_start(const cspawn_request *request, cspawn_result *result)
{
    return cspawn_start_detailed(request, result, NULL);
}
