/*
 * forkbomb — a polite fork bomb, for berth's pids limit tests (pids.max,
 * deploy.resources.limits.pids).
 *
 * Build: cc -O2 -Wall -Wextra -static -o forkbomb forkbomb.c
 *
 * Options (each also accepted as --name=value):
 *   --max N        create at most N children (default 10000)
 *   --seconds S    give up after S seconds (default 10)
 *
 * The parent forks children that only pause(); children never fork. When a
 * fork fails, the failure is counted (and reported on stderr the first time
 * each errno is seen), and the parent retries 10 ms later, until --max
 * children were created, --seconds passed, or SIGTERM/SIGINT arrives. Dead
 * children are reaped as they die, so the number alive can go down.
 *
 * Then it prints one JSON line on stdout
 *   {"created":N,"failed":F,"eagain":E,"peak":P}
 * (created: successful forks; failed: failed forks; eagain: failures with
 * EAGAIN, which is what pids.max causes; peak: most children alive at once),
 * kills its children (SIGTERM to its own process group, which it ignores
 * itself), reaps them and exits 0.
 *
 * forkbomb makes itself a process-group leader at start, and children die
 * with the parent (PR_SET_PDEATHSIG), so no child outlives it. Bad usage
 * exits 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void on_term(int sig)
{
    (void)sig;   /* the signal stays visible through sigpending()/ppoll() */
}

static void usage(FILE *f)
{
    fprintf(f, "usage: forkbomb [--max N] [--seconds S]\n");
}

static void usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "forkbomb: %s%s\n", msg, arg);
    usage(stderr);
    exit(2);
}

static long long parse_num(const char *opt, const char *s, long long min, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "forkbomb: %s: invalid value '%s' (expected an integer %lld..%lld)\n",
                opt, s, min, max);
        exit(2);
    }
    return v;
}

static int opt_value(int argc, char **argv, int *i, const char *opt, const char **val)
{
    size_t n = strlen(opt);
    if (strcmp(argv[*i], opt) == 0) {
        if (*i + 1 >= argc)
            usage_error("option needs a value: ", opt);
        *val = argv[++*i];
        return 1;
    }
    if (strncmp(argv[*i], opt, n) == 0 && argv[*i][n] == '=') {
        *val = argv[*i] + n + 1;
        return 1;
    }
    return 0;
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static long long alive = 0;

/* Reaps dead children; flags 0 = wait until there are none left. */
static void reap(int flags)
{
    while (waitpid(-1, NULL, flags) > 0)
        alive--;
}

/* Sleeps up to ms, waking early (returning 1) on SIGTERM/SIGINT. */
static int sleep_or_signal(long long ms, const sigset_t *unblocked)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    return ppoll(NULL, 0, &ts, unblocked) < 0 && errno == EINTR;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    long long max = 10000, seconds = 10;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (opt_value(argc, argv, &i, "--max", &v))
            max = parse_num("--max", v, 0, 10000000);
        else if (opt_value(argc, argv, &i, "--seconds", &v))
            seconds = parse_num("--seconds", v, 0, 1LL << 30);
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else
            usage_error("unknown argument: ", argv[i]);
    }

    /* Own process group, so the cleanup below can't hit anyone else
     * (fails harmlessly if we already lead a session, hence a group). */
    setpgid(0, 0);
    pid_t self = getpid();

    /* TERM/INT are blocked all along: checked with sigpending() between
     * forks, and delivered only while sleeping in ppoll(). */
    struct sigaction sa = {0};
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigset_t block, unblocked;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &unblocked);

    long long deadline = now_ms() + seconds * 1000;
    long long created = 0, failed = 0, eagain = 0, peak = 0;
    int seen_errno[256] = {0};

    for (;;) {
        sigset_t pending;
        sigpending(&pending);
        if (sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT))
            break;
        long long left = deadline - now_ms();
        if (left <= 0)
            break;
        reap(WNOHANG);
        if (created >= max) {
            /* Done forking; wait for the deadline or a signal. */
            if (sleep_or_signal(left, &unblocked))
                break;
            continue;
        }
        pid_t pid = fork();
        if (pid == 0) {
            /* Child: never forks, just waits to be killed. */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != self)
                _exit(0);
            signal(SIGTERM, SIG_DFL);
            signal(SIGINT, SIG_DFL);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            for (;;)
                pause();
        }
        if (pid > 0) {
            created++;
            if (++alive > peak)
                peak = alive;
            continue;
        }
        int e = errno;
        failed++;
        if (e == EAGAIN)
            eagain++;
        if (e >= 0 && e < 256 && !seen_errno[e]) {
            seen_errno[e] = 1;
            fprintf(stderr, "forkbomb: fork failed with %lld children alive: %s (errno %d)\n",
                    alive, strerror(e), e);
        }
        if (sleep_or_signal(10, &unblocked))
            break;
    }

    printf("{\"created\":%lld,\"failed\":%lld,\"eagain\":%lld,\"peak\":%lld}\n",
           created, failed, eagain, peak);

    /* Kill the children: SIGTERM to our whole process group, which we ignore
     * ourselves (children reset it to the default action). Then reap them. */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    if (getpgrp() == self) {
        kill(-self, SIGTERM);
        reap(0);
    } else {
        fprintf(stderr, "forkbomb: not a process-group leader; children die with the parent\n");
    }
    return 0;
}
