/*
 * ignoreterm — ignores SIGTERM and sleeps forever, for berth's
 * stop_grace_period / escalation-to-SIGKILL tests.
 *
 * Build: cc -O2 -Wall -Wextra -static -o ignoreterm ignoreterm.c
 *
 * Options:
 *   --ignore-int   ignore SIGINT too (by default SIGINT kills it)
 *
 * Output (stdout): a start line "ignoreterm: pid <pid> started", then
 * "ignoring SIGTERM" (or "ignoring SIGINT") each time such a signal arrives.
 * Only SIGKILL (or another signal) ends it; without --ignore-int, SIGINT is
 * reset to its default action (kill), even if it was inherited as ignored.
 * Bad usage exits 2.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got_term = 0, got_int = 0;

static void on_signal(int sig)
{
    if (sig == SIGTERM)
        got_term++;
    else
        got_int++;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ignoreterm [--ignore-int]\n");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int ignore_int = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ignore-int") == 0)
            ignore_int = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "ignoreterm: unknown argument: %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    /* The handlers only count; the main loop prints. The signals are blocked
     * except inside sigsuspend(), so none is missed between checks. */
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigset_t block, wait_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    if (ignore_int) {
        sigaction(SIGINT, &sa, NULL);
        sigaddset(&block, SIGINT);
    } else {
        signal(SIGINT, SIG_DFL);   /* even if the parent left it ignored */
    }
    sigprocmask(SIG_BLOCK, &block, &wait_mask);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);

    printf("ignoreterm: pid %d started%s\n", (int)getpid(),
           ignore_int ? " (ignoring SIGTERM and SIGINT)" : " (ignoring SIGTERM)");
    int seen_term = 0, seen_int = 0;
    for (;;) {
        sigsuspend(&wait_mask);
        while (seen_term < got_term) {
            seen_term++;
            printf("ignoring SIGTERM\n");
        }
        while (seen_int < got_int) {
            seen_int++;
            printf("ignoring SIGINT\n");
        }
    }
}
