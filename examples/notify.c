/*
 * notify — an sd_notify client, for berth's readiness (type: notify) and
 * watchdog tests.
 *
 * Build: cc -O2 -Wall -Wextra -static -o notify notify.c
 *
 * Environment:
 *   NOTIFY_SOCKET   where to send: a socket path ("/run/berth/x.sock") or an
 *                   abstract name ("@berth-x"); required (else exit 2)
 *   WATCHDOG_USEC   watchdog timeout in microseconds; required by --watchdog
 *
 * Options (each also accepted as --name=value):
 *   --status TEXT            send "STATUS=TEXT" at start
 *   --ready-after MS         send "READY=1" MS milliseconds after start
 *                            (default 0)
 *   --never-ready            never send READY=1
 *   --watchdog               send "WATCHDOG=1" every WATCHDOG_USEC/2
 *                            microseconds, starting half a period after start
 *   --watchdog-stop-after MS stop pinging MS milliseconds after start, but
 *                            keep running (default: ping forever)
 *
 * Each message is one datagram on an AF_UNIX SOCK_DGRAM socket. A failed send
 * is reported on stderr and notify keeps going. It runs until SIGTERM, then
 * exits 0.
 *
 * Output (stdout): "notify: sent <MESSAGE>" for each datagram, plus
 * "notify: watchdog pings stopped" and "notify: got SIGTERM, exiting".
 * Bad usage (or a missing/invalid NOTIFY_SOCKET) exits 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_term = 0;
static int sock = -1;
static struct sockaddr_un addr;
static socklen_t addr_len;
static const char *notify_socket;

static void on_term(int sig)
{
    (void)sig;
    got_term = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: notify [--status TEXT] [--ready-after MS] [--never-ready] [--watchdog]\n"
               "              [--watchdog-stop-after MS]\n"
               "env: NOTIFY_SOCKET (required), WATCHDOG_USEC (for --watchdog)\n");
}

static void usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "notify: %s%s\n", msg, arg);
    usage(stderr);
    exit(2);
}

static long long parse_num(const char *what, const char *s, long long min, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "notify: %s: invalid value '%s' (expected an integer %lld..%lld)\n",
                what, s, min, max);
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
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void send_msg(const char *msg)
{
    if (sendto(sock, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len) < 0)
        fprintf(stderr, "notify: cannot send %s to %s: %s\n", msg, notify_socket, strerror(errno));
    else
        printf("notify: sent %s\n", msg);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *status = NULL;
    long long ready_after = 0, wd_stop_after = -1;
    int never_ready = 0, watchdog = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (opt_value(argc, argv, &i, "--status", &v))
            status = v;
        else if (opt_value(argc, argv, &i, "--ready-after", &v))
            ready_after = parse_num("--ready-after", v, 0, 1LL << 40);
        else if (opt_value(argc, argv, &i, "--watchdog-stop-after", &v))
            wd_stop_after = parse_num("--watchdog-stop-after", v, 0, 1LL << 40);
        else if (strcmp(argv[i], "--never-ready") == 0)
            never_ready = 1;
        else if (strcmp(argv[i], "--watchdog") == 0)
            watchdog = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else
            usage_error("unknown argument: ", argv[i]);
    }

    notify_socket = getenv("NOTIFY_SOCKET");
    if (!notify_socket || !*notify_socket) {
        fprintf(stderr, "notify: NOTIFY_SOCKET is not set (expected a socket path or @abstract name)\n");
        return 2;
    }
    size_t len = strlen(notify_socket);
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (notify_socket[0] != '/' && notify_socket[0] != '@') {
        fprintf(stderr, "notify: NOTIFY_SOCKET '%s' is neither an absolute path nor @abstract\n",
                notify_socket);
        return 2;
    }
    if (len >= sizeof addr.sun_path) {
        fprintf(stderr, "notify: NOTIFY_SOCKET '%s' is too long (max %zu bytes)\n",
                notify_socket, sizeof addr.sun_path - 1);
        return 2;
    }
    memcpy(addr.sun_path, notify_socket, len);
    if (notify_socket[0] == '@') {
        addr.sun_path[0] = 0;   /* abstract namespace: no trailing NUL counted */
        addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    } else {
        addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    }

    long long wd_period_ns = 0;
    if (watchdog) {
        const char *w = getenv("WATCHDOG_USEC");
        if (!w || !*w) {
            fprintf(stderr, "notify: --watchdog needs WATCHDOG_USEC to be set\n");
            return 2;
        }
        wd_period_ns = parse_num("$WATCHDOG_USEC", w, 2, 1LL << 50) / 2 * 1000;
    }

    sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        fprintf(stderr, "notify: socket: %s\n", strerror(errno));
        return 1;
    }

    /* SIGTERM is blocked except while waiting in ppoll(). */
    struct sigaction sa = {0};
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigset_t block, unblocked;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &unblocked);
    sigdelset(&unblocked, SIGTERM);

    long long t0 = now_ns();
    long long ready_at = never_ready ? -1 : t0 + ready_after * 1000000LL;
    long long wd_next = watchdog ? t0 + wd_period_ns : -1;
    long long wd_stop = (watchdog && wd_stop_after >= 0) ? t0 + wd_stop_after * 1000000LL : -1;

    if (status) {
        char msg[4096];
        snprintf(msg, sizeof msg, "STATUS=%s", status);
        send_msg(msg);
    }

    while (!got_term) {
        long long now = now_ns();
        if (ready_at >= 0 && now >= ready_at) {
            send_msg("READY=1");
            ready_at = -1;
        }
        if (wd_stop >= 0 && now >= wd_stop) {
            printf("notify: watchdog pings stopped\n");
            wd_stop = -1;
            wd_next = -1;
        }
        if (wd_next >= 0 && now >= wd_next) {
            send_msg("WATCHDOG=1");
            wd_next += wd_period_ns;
            if (wd_next <= now)   /* fell behind: don't burst */
                wd_next = now + wd_period_ns;
        }

        /* Sleep until the next event (or forever), waking on SIGTERM. */
        long long next = -1;
        long long events[3] = {ready_at, wd_stop, wd_next};
        for (int i = 0; i < 3; i++)
            if (events[i] >= 0 && (next < 0 || events[i] < next))
                next = events[i];
        struct timespec ts, *tsp = NULL;
        if (next >= 0) {
            long long d = next - now_ns();
            if (d < 0)
                d = 0;
            ts.tv_sec = d / 1000000000LL;
            ts.tv_nsec = d % 1000000000LL;
            tsp = &ts;
        }
        ppoll(NULL, 0, tsp, &unblocked);
    }
    printf("notify: got SIGTERM, exiting\n");
    return 0;
}
