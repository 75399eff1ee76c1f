/*
 * doublefork — leaves an orphaned grandchild behind, for berth's subreaper and
 * "kill the whole cgroup on stop" tests.
 *
 * Build: cc -O2 -Wall -Wextra -static -o doublefork doublefork.c
 *
 * Options (each also accepted as --name=value):
 *   --seconds S          the orphan sleeps S seconds, then exits 0
 *                        (default 3600)
 *   --parent-seconds P   the original process sleeps P seconds, then exits 0
 *                        (default 3600)
 *   --exit               the original process exits 0 right after printing
 *
 * The original process forks a child, the child forks a grandchild and exits
 * at once; the grandchild is re-parented to the nearest subreaper (or pid 1).
 * The grandchild keeps stdout/stderr open, as a daemon that forgot to close
 * them would.
 *
 * Output (stdout): "orphan <pid>" (the grandchild's pid), printed by the
 * original process once the child has exited. Bad usage exits 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: doublefork [--seconds S] [--parent-seconds P] [--exit]\n");
}

static void usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "doublefork: %s%s\n", msg, arg);
    usage(stderr);
    exit(2);
}

static long long parse_num(const char *opt, const char *s, long long min, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "doublefork: %s: invalid value '%s' (expected an integer %lld..%lld)\n",
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

static void sleep_seconds(long long s)
{
    struct timespec ts = {s, 0};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    long long seconds = 3600, parent_seconds = 3600;
    int exit_now = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (opt_value(argc, argv, &i, "--seconds", &v))
            seconds = parse_num("--seconds", v, 0, 1LL << 40);
        else if (opt_value(argc, argv, &i, "--parent-seconds", &v))
            parent_seconds = parse_num("--parent-seconds", v, 0, 1LL << 40);
        else if (strcmp(argv[i], "--exit") == 0)
            exit_now = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else
            usage_error("unknown argument: ", argv[i]);
    }

    int p[2];
    if (pipe(p) < 0) {
        fprintf(stderr, "doublefork: pipe: %s\n", strerror(errno));
        return 1;
    }
    pid_t child = fork();
    if (child < 0) {
        fprintf(stderr, "doublefork: fork: %s\n", strerror(errno));
        return 1;
    }
    if (child == 0) {
        close(p[0]);
        pid_t gc = fork();
        if (gc < 0) {
            fprintf(stderr, "doublefork: fork (grandchild): %s\n", strerror(errno));
            _exit(1);
        }
        if (gc == 0) {
            close(p[1]);
            sleep_seconds(seconds);
            _exit(0);
        }
        /* Child: report the grandchild's pid, then exit at once. */
        ssize_t w = write(p[1], &gc, sizeof gc);
        _exit(w == (ssize_t)sizeof gc ? 0 : 1);
    }

    close(p[1]);
    pid_t gc = 0;
    ssize_t n;
    while ((n = read(p[0], &gc, sizeof gc)) < 0 && errno == EINTR)
        ;
    close(p[0]);
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (n != (ssize_t)sizeof gc) {
        fprintf(stderr, "doublefork: the child did not report a grandchild\n");
        return 1;
    }
    printf("orphan %d\n", (int)gc);

    if (exit_now)
        return 0;
    sleep_seconds(parent_seconds);
    return 0;
}
