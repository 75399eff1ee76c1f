/*
 * spin — burns CPU on N threads, for berth's CPU quota / weight tests
 * (cpu.max, cpus: "0.5", ...).
 *
 * Build: cc -O2 -Wall -Wextra -static -pthread -o spin spin.c
 *
 * Options (each also accepted as --name=value):
 *   --threads N     number of busy threads (default 1)
 *   --seconds S     stop and exit 0 after S seconds (default: run forever)
 *
 * Output (stdout): one start line
 *   spin: pid <pid> spinning on <N> threads for <S> seconds|forever
 * and nothing else. Bad usage exits 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: spin [--threads N] [--seconds S]\n");
}

static void usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "spin: %s%s\n", msg, arg);
    usage(stderr);
    exit(2);
}

static long long parse_num(const char *opt, const char *s, long long min, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "spin: %s: invalid value '%s' (expected an integer %lld..%lld)\n",
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

static void *burn(void *arg)
{
    volatile unsigned long x = (unsigned long)arg;
    for (;;)
        x = x * 6364136223846793005UL + 1442695040888963407UL;
    return NULL;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    long long threads = 1, seconds = -1;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (opt_value(argc, argv, &i, "--threads", &v))
            threads = parse_num("--threads", v, 1, 4096);
        else if (opt_value(argc, argv, &i, "--seconds", &v))
            seconds = parse_num("--seconds", v, 0, 1LL << 40);
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else
            usage_error("unknown argument: ", argv[i]);
    }

    if (seconds >= 0)
        printf("spin: pid %d spinning on %lld threads for %lld seconds\n", (int)getpid(), threads, seconds);
    else
        printf("spin: pid %d spinning on %lld threads forever\n", (int)getpid(), threads);

    for (long long t = 0; t < threads; t++) {
        pthread_t th;
        int err = pthread_create(&th, NULL, burn, (void *)(unsigned long)t);
        if (err) {
            fprintf(stderr, "spin: cannot create thread %lld: %s\n", t + 1, strerror(err));
            return 1;
        }
        pthread_detach(th);
    }

    if (seconds < 0)
        for (;;)
            pause();
    struct timespec ts = {seconds, 0};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    return 0;
}
