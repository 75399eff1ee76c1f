/*
 * memhog — allocates memory step by step and touches every page, for berth's
 * memory limit (memory.max / memory.high) and OOM-kill tests.
 *
 * Build: cc -O2 -Wall -Wextra -static -o memhog memhog.c
 *
 * Options (each also accepted as --name=value):
 *   --mb N            total MiB to allocate (default 64)
 *   --step-mb S       MiB per step (default 8); the last step may be smaller
 *   --interval-ms I   pause between steps (default 100)
 *   --hold            after the last step, keep the memory and sleep forever
 *                     (default: exit 0)
 *
 * Each step is an anonymous mmap() filled with memset(), so the pages are
 * really resident (not just reserved). If mmap fails, memhog reports it on
 * stderr and exits 1; if the kernel OOM-kills it, it simply dies.
 *
 * Output (stdout): "memhog: <n> MiB" after each step, where n is the total so
 * far. Bad usage exits 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: memhog [--mb N] [--step-mb S] [--interval-ms I] [--hold]\n");
}

static void usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "memhog: %s%s\n", msg, arg);
    usage(stderr);
    exit(2);
}

static long long parse_num(const char *opt, const char *s, long long min, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "memhog: %s: invalid value '%s' (expected an integer %lld..%lld)\n",
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

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    long long mb = 64, step = 8, interval = 100;
    int hold = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (opt_value(argc, argv, &i, "--mb", &v))
            mb = parse_num("--mb", v, 0, 1LL << 30);
        else if (opt_value(argc, argv, &i, "--step-mb", &v))
            step = parse_num("--step-mb", v, 1, 1LL << 30);
        else if (opt_value(argc, argv, &i, "--interval-ms", &v))
            interval = parse_num("--interval-ms", v, 0, 1LL << 40);
        else if (strcmp(argv[i], "--hold") == 0)
            hold = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else
            usage_error("unknown argument: ", argv[i]);
    }

    long long done = 0;
    while (done < mb) {
        long long n = mb - done < step ? mb - done : step;
        size_t bytes = (size_t)n << 20;
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            fprintf(stderr, "memhog: mmap of %lld MiB failed after %lld MiB: %s\n",
                    n, done, strerror(errno));
            return 1;
        }
        memset(p, 0xa5, bytes);   /* non-zero: every page gets written */
        done += n;
        printf("memhog: %lld MiB\n", done);
        if (done < mb && interval > 0) {
            struct timespec ts = {interval / 1000, (interval % 1000) * 1000000L};
            while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
        }
    }
    if (hold)
        for (;;)
            pause();
    return 0;
}
