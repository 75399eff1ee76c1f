/*
 * stamp — records when it started and when it exits, for measuring how long a supervisor
 * takes to restart a program (berth's `make bench-run`, next to supervisord and s6).
 *
 * Build: cc -O2 -Wall -Wextra -static -o stamp stamp.c
 *
 * Options (each also accepted as --name=value):
 *   --file PATH     the file to append to (default: $STAMP_FILE; one of the two is required)
 *   --run-ms MS     how long to run between the two lines (default 1200: longer than s6's
 *                   1 s pause and supervisord's startsecs=1, so no start counts as failed)
 *
 * One argument that is not an option is accepted and ignored, so that stamp can be an s6
 * service's `run` itself (a symlink): s6-supervise runs `./run NAME`.
 *
 * Appends to the file, each line with one write(2) on an O_APPEND descriptor:
 *   start <CLOCK_MONOTONIC ns> <pid>     first thing in main()
 *   exit <CLOCK_MONOTONIC ns> <pid>      after --run-ms, just before exiting 0
 * Nothing on stdout. SIGTERM/SIGINT end it at once, without the `exit` line (a supervisor
 * stopping it is not a restart). Bad usage exits 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: stamp [--file PATH] [--run-ms MS] [NAME]   (PATH defaults to $STAMP_FILE)\n");
}

static void usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "stamp: %s%s\n", msg, arg);
    usage(stderr);
    exit(2);
}

static long long parse_num(const char *opt, const char *s, long long min, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "stamp: %s: invalid value '%s' (expected an integer %lld..%lld)\n",
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

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One line, one write: lines of concurrent writers never interleave. */
static void stamp(int fd, const char *what, long long ns)
{
    char line[96];
    int n = snprintf(line, sizeof line, "%s %lld %d\n", what, ns, (int)getpid());
    ssize_t w;
    do
        w = write(fd, line, (size_t)n);
    while (w < 0 && errno == EINTR);
    if (w != n) {
        fprintf(stderr, "stamp: write: %s\n", w < 0 ? strerror(errno) : "short write");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    long long started = now_ns(); /* before anything else: the restart ends here */
    const char *file = getenv("STAMP_FILE");
    long long run_ms = 1200;
    int positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (opt_value(argc, argv, &i, "--file", &v))
            file = v;
        else if (opt_value(argc, argv, &i, "--run-ms", &v))
            run_ms = parse_num("--run-ms", v, 0, 1LL << 40);
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] != '-' && !positional)
            positional = 1; /* s6-supervise's service name */
        else
            usage_error("unknown argument: ", argv[i]);
    }
    if (file == NULL || *file == '\0')
        usage_error("no file: give --file PATH or set ", "STAMP_FILE");

    int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "stamp: %s: %s\n", file, strerror(errno));
        return 1;
    }
    stamp(fd, "start", started);

    struct timespec ts = {run_ms / 1000, (run_ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;

    stamp(fd, "exit", now_ns()); /* the restart starts here */
    _exit(0);                     /* nothing is buffered: skip exit handlers */
}
