/*
 * crasher — exits (or dies by a signal) after a delay, for berth's restart
 * policy, backoff and exit-status tests.
 *
 * Build: cc -O2 -Wall -Wextra -static -o crasher crasher.c
 *
 * Options (each also accepted as --name=value):
 *   --after MS        wait MS milliseconds first (default 0)
 *   --code N          exit with status N, 0..255 (default 1)
 *   --signal SIG      instead of exiting, raise SIG: a name (SEGV, SIGKILL,
 *                     term, ...) or a number (9). The signal's default action
 *                     is restored first. If SIG does not terminate the process
 *                     (e.g. CHLD, or STOP followed by CONT), crasher falls back
 *                     to exiting with --code.
 *
 * Output (stdout):
 *   crasher: pid <pid> started, exiting with <what> after <ms>ms
 *   crasher: pid <pid> exiting with code <n>      or
 *   crasher: pid <pid> exiting with signal <NAME> (<num>)
 * Bad usage exits 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const struct { const char *name; int num; } signals[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},   {"ABRT", SIGABRT},     {"IOT", SIGIOT},     {"BUS", SIGBUS},
    {"FPE", SIGFPE},     {"KILL", SIGKILL},     {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},   {"URG", SIGURG},
    {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH}, {"IO", SIGIO},         {"POLL", SIGPOLL},   {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: crasher [--after MS] [--code N] [--signal NAME|NUM]\n");
}

static void usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "crasher: %s%s\n", msg, arg);
    usage(stderr);
    exit(2);
}

static long long parse_num(const char *opt, const char *s, long long min, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "crasher: %s: invalid value '%s' (expected an integer %lld..%lld)\n",
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

/* "SEGV", "SIGSEGV", "segv", "11", "RTMIN+2" -> signal number, or -1. */
static int parse_signal(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end != s && *end == 0)
        return (v >= 1 && v <= SIGRTMAX) ? (int)v : -1;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
        if (strcasecmp(s, signals[i].name) == 0)
            return signals[i].num;
    if (strncasecmp(s, "RTMIN", 5) == 0) {
        long off = 0;
        if (s[5] == '+') {
            off = strtol(s + 6, &end, 10);
            if (end == s + 6 || *end)
                return -1;
        } else if (s[5] != 0) {
            return -1;
        }
        return (off >= 0 && SIGRTMIN + off <= SIGRTMAX) ? (int)(SIGRTMIN + off) : -1;
    }
    return -1;
}

static const char *signal_name(int sig, char *buf, size_t n)
{
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
        if (signals[i].num == sig) {
            snprintf(buf, n, "SIG%s", signals[i].name);
            return buf;
        }
    snprintf(buf, n, "SIGRTMIN+%d", sig - SIGRTMIN);
    return buf;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    long long after = 0, code = 1;
    int sig = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (opt_value(argc, argv, &i, "--after", &v))
            after = parse_num("--after", v, 0, 1LL << 40);
        else if (opt_value(argc, argv, &i, "--code", &v))
            code = parse_num("--code", v, 0, 255);
        else if (opt_value(argc, argv, &i, "--signal", &v)) {
            sig = parse_signal(v);
            if (sig < 0) {
                fprintf(stderr, "crasher: --signal: unknown signal '%s' (examples: SEGV, SIGKILL, 9)\n", v);
                return 2;
            }
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else
            usage_error("unknown argument: ", argv[i]);
    }

    char what[64], sname[32];
    if (sig)
        snprintf(what, sizeof what, "signal %s (%d)", signal_name(sig, sname, sizeof sname), sig);
    else
        snprintf(what, sizeof what, "code %lld", code);
    printf("crasher: pid %d started, exiting with %s after %lldms\n", (int)getpid(), what, after);

    struct timespec ts = {after / 1000, (after % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;

    printf("crasher: pid %d exiting with %s\n", (int)getpid(), what);
    fflush(stdout);
    if (sig) {
        struct sigaction sa = {0};
        sa.sa_handler = SIG_DFL;
        sigaction(sig, &sa, NULL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(sig);
        printf("crasher: signal %s did not terminate the process; exiting with code %lld\n",
               sname, code);
    }
    return (int)code;
}
