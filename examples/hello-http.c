/*
 * hello-http — a tiny HTTP/1.1 server for berth's health-probe, restart and
 * blue-green deploy tests.
 *
 * Build: cc -O2 -Wall -Wextra -static -o hello-http hello-http.c
 *
 * Options (each also accepted as --name=value):
 *   --host ADDR        address to listen on (IPv4 or IPv6 literal, or
 *                      "localhost"); default $HOST, else 127.0.0.1
 *   --port N           TCP port (0 = any free port); default $PORT, else
 *                      $BERTH_PORT, else 8080
 *   --ready-after MS   /up and /healthz answer 503 "starting" until MS
 *                      milliseconds have passed since start (default 0)
 *   --never-ready      /up and /healthz answer 503 "starting" forever
 *   --fail-health      /up and /healthz answer 500 "unhealthy" forever
 *   --drain-ms MS      on SIGTERM/SIGINT, wait at most MS milliseconds for
 *                      open connections to finish (default 10000)
 *
 * Environment: $BERTH_COLOR (sent as X-Berth-Color and shown on /, default
 * "none"), $NAME (shown on /, default "hello-http").
 *
 * Routes (any method; HEAD gets headers only):
 *   /             200 "hello from <name> color=<color> pid=<pid>"
 *   /up, /healthz 200 "ok" (or 503 / 500, see above)
 *   /slow?ms=N    waits N ms (default 1000, max 3600000), then 200 "slow N"
 *   /status/NNN   responds with status NNN (200..599)
 *   /exit?code=N  responds 200, then the whole server shuts down (as on
 *                 SIGTERM) and exits with code N (default 0)
 *   anything else 404
 * Every response carries Content-Length (except 204), Content-Type:
 * text/plain and X-Berth-Color.
 *
 * Design: the parent accepts and forks one child per connection; SIGCHLD has
 * SA_NOCLDWAIT so children are reaped by the kernel. Each child speaks
 * HTTP/1.1 with keep-alive (HTTP/1.0 and "Connection: close" are honoured),
 * reads request heads of up to 8 KiB and discards Content-Length bodies.
 * Two pipes tie the processes together:
 *   - the control pipe: children hold its write end; /exit writes the exit
 *     code into it (this is how a child signals the parent), and when every
 *     child has exited the parent reads EOF from it: that is how draining
 *     knows all connections are gone.
 *   - the shutdown pipe: the parent holds its write end and closes it when
 *     it stops; idle keep-alive children then see EOF and hang up.
 * On SIGTERM/SIGINT (or /exit) the parent closes the listener, waits for the
 * children (at most --drain-ms) and exits. Children that get SIGTERM
 * themselves finish the request in flight, then close. Children are killed
 * (PR_SET_PDEATHSIG) if the parent goes away before them.
 *
 * Output (stdout, line-buffered): a start line, one line per request
 *   <method> <target> <status> <ms>ms
 * and shutdown lines. Errors go to stderr; bad usage exits 2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define REQ_MAX 8192            /* request line + headers */
#define IDLE_TIMEOUT_MS 60000   /* keep-alive idle / slow client timeout */
#define LINGER_MS 1000          /* graceful close: wait for the client's FIN */

static const char *color = "none";
static const char *name = "hello-http";
static long long ready_after_ms = 0;
static int never_ready = 0, fail_health = 0;
static struct timespec start_ts;
static int ctrl_rd = -1, ctrl_wr = -1;   /* control pipe */
static int shut_rd = -1, shut_wr = -1;   /* shutdown pipe */
static volatile sig_atomic_t term_count = 0;

/* ---------------------------------------------------------------- helpers */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: hello-http [--host ADDR] [--port N] [--ready-after MS] [--never-ready]\n"
        "                  [--fail-health] [--drain-ms MS]\n"
        "env: HOST, PORT, BERTH_PORT, BERTH_COLOR, NAME\n");
}

static void usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "hello-http: %s%s\n", msg, arg);
    usage(stderr);
    exit(2);
}

/* Strict decimal parse; what names the option or variable in the message. */
static long long parse_num(const char *what, const char *s, long long min, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "hello-http: %s: invalid value '%s' (expected an integer %lld..%lld)\n",
                what, s, min, max);
        exit(2);
    }
    return v;
}

/* Matches "--name value" and "--name=value"; stores the value in *val. */
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

static long long ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return ((now.tv_sec - t0->tv_sec) * 1000000000LL + (now.tv_nsec - t0->tv_nsec)) / 1000000;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void on_term(int sig)
{
    (void)sig;
    term_count++;
}

/* ------------------------------------------------------------ connection */

struct conn {
    int fd;
    char buf[REQ_MAX];
    size_t len;          /* bytes buffered (start of the next request) */
    int shutting_down;   /* the parent closed the shutdown pipe */
};

/*
 * Waits until the connection is readable. Returns 1 when readable, 0 when the
 * connection should be dropped quietly (idle and the server is stopping, or
 * the idle timeout passed while idle), -1 on timeout mid-request. A request is
 * in flight when part of it is buffered or in_body is set.
 */
static int wait_readable(struct conn *c, int in_body)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        int idle = c->len == 0 && !in_body;
        if (idle && (term_count || c->shutting_down))
            return 0;
        long long left = IDLE_TIMEOUT_MS - ms_since(&t0);
        if (left <= 0)
            return idle ? 0 : -1;
        struct pollfd p[2] = {
            {.fd = c->fd, .events = POLLIN},
            {.fd = c->shutting_down ? -1 : shut_rd, .events = POLLIN},
        };
        int r = poll(p, 2, (int)left);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return 0;
        }
        if (p[1].revents)
            c->shutting_down = 1;
        if (p[0].revents)
            return 1;
    }
}

/* Reads into the buffer; returns bytes read, 0 on EOF, -1 on error. */
static ssize_t fill(struct conn *c)
{
    for (;;) {
        ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0)
            c->len += (size_t)n;
        return n;
    }
}

/* Index just past the blank line ending the head, or 0 if not there yet. */
static size_t head_end(const char *b, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (b[i] != '\n')
            continue;
        if (b[i + 1] == '\n')
            return i + 2;
        if (b[i + 1] == '\r' && i + 2 < n && b[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static const char *reason(int code)
{
    switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 418: return "I'm a teapot";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default:  return "Status";
    }
}

/*
 * Sends one response. keep_alive decides the Connection header; http10 adds
 * "Connection: keep-alive" for HTTP/1.0 clients that asked for it.
 */
static int respond(int fd, int code, const char *body, int head_only, int keep_alive, int http10)
{
    char out[1024];
    size_t blen = (code == 204 || code == 304) ? 0 : strlen(body);
    char clen[64] = "";
    if (code != 204)
        snprintf(clen, sizeof clen, "Content-Length: %zu\r\n", blen);
    const char *conn_hdr = !keep_alive ? "Connection: close\r\n"
                         : http10   ? "Connection: keep-alive\r\n" : "";
    int n = snprintf(out, sizeof out,
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: text/plain\r\n"
                     "%s"
                     "X-Berth-Color: %s\r\n"
                     "%s"
                     "\r\n%s",
                     code, reason(code), clen, color, conn_hdr, head_only ? "" : (blen ? body : ""));
    if (n < 0 || (size_t)n >= sizeof out)
        n = (int)strlen(out);
    return write_all(fd, out, (size_t)n);
}

/* Value of key in a query string ("a=1&b=2"), copied into out; 0 if absent. */
static int query_param(const char *q, const char *key, char *out, size_t outlen)
{
    size_t kl = strlen(key);
    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t seg = amp ? (size_t)(amp - q) : strlen(q);
        if (seg > kl && strncmp(q, key, kl) == 0 && q[kl] == '=') {
            size_t vl = seg - kl - 1;
            if (vl >= outlen)
                vl = outlen - 1;
            memcpy(out, q + kl + 1, vl);
            out[vl] = 0;
            return 1;
        }
        q = amp ? amp + 1 : NULL;
    }
    return 0;
}

static int small_num(const char *s, long long min, long long max, long long *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end || x < min || x > max)
        return 0;
    *v = x;
    return 1;
}

/* Sleeps ms milliseconds even if signals arrive meanwhile. */
static void sleep_ms_uninterrupted(long long ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
        ;
}

/* Half-closes and waits briefly for the client's FIN, so no RST eats the reply. */
static void graceful_close(int fd)
{
    char junk[4096];
    struct timespec t0;
    shutdown(fd, SHUT_WR);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        long long left = LINGER_MS - ms_since(&t0);
        if (left <= 0)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        ssize_t n = read(fd, junk, sizeof junk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
    }
    close(fd);
}

/* Serves requests on one connection until it closes. Runs in the child. */
static void serve(int fd)
{
    static struct conn c;
    c.fd = fd;
    c.len = 0;
    c.shutting_down = 0;

    for (;;) {
        /* 1. Read the request head. */
        size_t hend;
        while ((hend = head_end(c.buf, c.len)) == 0) {
            if (c.len == sizeof c.buf) {
                respond(fd, 431, "request head too large\n", 0, 0, 0);
                printf("- - 431 0ms\n");
                graceful_close(fd);
                return;
            }
            int w = wait_readable(&c, 0);
            if (w == 0)
                goto out;
            if (w < 0) {
                respond(fd, 408, "request timeout\n", 0, 0, 0);
                goto out;
            }
            if (fill(&c) <= 0) {
                close(fd);
                return;
            }
        }
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);

        /* 2. Parse request line and headers (in a NUL-terminated copy). */
        char head[REQ_MAX + 1];
        memcpy(head, c.buf, hend);
        head[hend] = 0;
        char *save = NULL;
        char *line = strtok_r(head, "\n", &save);
        char *method = NULL, *target = NULL, *version = NULL;
        int bad = 0, keep_alive = 1, http10 = 0, chunked = 0;
        long long clen = 0;
        if (line) {
            line[strcspn(line, "\r")] = 0;
            char *s2 = NULL;
            method = strtok_r(line, " ", &s2);
            target = strtok_r(NULL, " ", &s2);
            version = strtok_r(NULL, " ", &s2);
            if (strtok_r(NULL, " ", &s2))
                bad = 1;
        }
        if (!method || !target || !version || bad) {
            respond(fd, 400, "bad request line\n", 0, 0, 0);
            printf("%s %s 400 %lldms\n", method ? method : "-", target ? target : "-", ms_since(&t0));
            graceful_close(fd);
            return;
        }
        if (strcmp(version, "HTTP/1.0") == 0) {
            http10 = 1;
            keep_alive = 0;
        } else if (strncmp(version, "HTTP/1.", 7) != 0) {
            int code = strncmp(version, "HTTP/", 5) == 0 ? 505 : 400;
            respond(fd, code, code == 505 ? "only HTTP/1.x is supported\n" : "bad request line\n", 0, 0, 0);
            printf("%s %s %d %lldms\n", method, target, code, ms_since(&t0));
            graceful_close(fd);
            return;
        }
        for (char *h = strtok_r(NULL, "\n", &save); h; h = strtok_r(NULL, "\n", &save)) {
            h[strcspn(h, "\r")] = 0;
            char *colon = strchr(h, ':');
            if (!colon)
                continue;
            *colon = 0;
            char *v = colon + 1;
            v += strspn(v, " \t");
            char *e = v + strlen(v);
            while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
                *--e = 0;
            if (strcasecmp(h, "Connection") == 0) {
                /* comma-separated tokens */
                char *s3 = NULL;
                for (char *tok = strtok_r(v, ", \t", &s3); tok; tok = strtok_r(NULL, ", \t", &s3)) {
                    if (strcasecmp(tok, "close") == 0)
                        keep_alive = 0;
                    else if (strcasecmp(tok, "keep-alive") == 0 && http10)
                        keep_alive = 1;
                }
            } else if (strcasecmp(h, "Content-Length") == 0) {
                if (!small_num(v, 0, (long long)1 << 50, &clen))
                    bad = 1;
            } else if (strcasecmp(h, "Transfer-Encoding") == 0) {
                chunked = 1;
            }
        }
        if (bad) {
            respond(fd, 400, "bad Content-Length\n", 0, 0, 0);
            printf("%s %s 400 %lldms\n", method, target, ms_since(&t0));
            graceful_close(fd);
            return;
        }
        if (chunked) {
            respond(fd, 501, "Transfer-Encoding is not supported\n", 0, 0, 0);
            printf("%s %s 501 %lldms\n", method, target, ms_since(&t0));
            graceful_close(fd);
            return;
        }

        /* 3. Consume the head and discard the body. */
        memmove(c.buf, c.buf + hend, c.len - hend);
        c.len -= hend;
        while (clen > 0) {
            if (c.len == 0 && (wait_readable(&c, 1) <= 0 || fill(&c) <= 0)) {
                close(fd);
                return;
            }
            size_t take = c.len < (unsigned long long)clen ? c.len : (size_t)clen;
            memmove(c.buf, c.buf + take, c.len - take);
            c.len -= take;
            clen -= (long long)take;
        }

        /* 4. Route. */
        int head_only = strcmp(method, "HEAD") == 0;
        char path[REQ_MAX], body[512];
        long long exit_code = -1, v = 0;
        int code = 200;
        snprintf(path, sizeof path, "%s", target);
        char *query = strchr(path, '?');
        if (query)
            *query++ = 0;
        char qv[64];

        if (strcmp(path, "/") == 0) {
            snprintf(body, sizeof body, "hello from %s color=%s pid=%d\n", name, color, (int)getpid());
        } else if (strcmp(path, "/up") == 0 || strcmp(path, "/healthz") == 0) {
            if (fail_health) {
                code = 500;
                snprintf(body, sizeof body, "unhealthy\n");
            } else if (never_ready || ms_since(&start_ts) < ready_after_ms) {
                code = 503;
                snprintf(body, sizeof body, "starting\n");
            } else {
                snprintf(body, sizeof body, "ok\n");
            }
        } else if (strcmp(path, "/slow") == 0) {
            v = 1000;
            if (query_param(query, "ms", qv, sizeof qv) && !small_num(qv, 0, 3600000, &v)) {
                code = 400;
                snprintf(body, sizeof body, "bad ms (expected 0..3600000)\n");
            } else {
                sleep_ms_uninterrupted(v);
                snprintf(body, sizeof body, "slow %lld\n", v);
            }
        } else if (strncmp(path, "/status/", 8) == 0) {
            if (small_num(path + 8, 200, 599, &v)) {
                code = (int)v;
                snprintf(body, sizeof body, "status %d\n", code);
            } else {
                code = 400;
                snprintf(body, sizeof body, "bad status (expected 200..599)\n");
            }
        } else if (strcmp(path, "/exit") == 0) {
            v = 0;
            if (query_param(query, "code", qv, sizeof qv) && !small_num(qv, 0, 255, &v)) {
                code = 400;
                snprintf(body, sizeof body, "bad code (expected 0..255)\n");
            } else {
                exit_code = v;
                keep_alive = 0;
                snprintf(body, sizeof body, "exiting %lld\n", v);
            }
        } else {
            code = 404;
            snprintf(body, sizeof body, "not found\n");
        }

        /* 5. Respond, log, and either loop (keep-alive) or close. */
        if (term_count || c.shutting_down)
            keep_alive = 0;
        int werr = respond(fd, code, body, head_only, keep_alive, http10);
        printf("%s %s %d %lldms\n", method, target, code, ms_since(&t0));
        if (exit_code >= 0) {
            unsigned char b = (unsigned char)exit_code;
            if (write(ctrl_wr, &b, 1) != 1)
                fprintf(stderr, "hello-http: cannot signal the parent: %s\n", strerror(errno));
        }
        if (werr < 0) {
            close(fd);
            return;
        }
        if (!keep_alive)
            goto out;
    }
out:
    graceful_close(fd);
}

/* Child side of fork(): set up signals and pipes, serve, exit. */
static void child_main(int lfd, int fd, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(0);
    close(lfd);
    close(ctrl_rd);
    close(shut_wr);

    struct sigaction sa = {0};
    sa.sa_handler = on_term;            /* no SA_RESTART: poll wakes up */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    serve(fd);
    fflush(stdout);
    _exit(0);
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    clock_gettime(CLOCK_MONOTONIC, &start_ts);

    const char *host = getenv("HOST");
    if (!host || !*host)
        host = "127.0.0.1";
    long long port = -1, drain_ms = 10000;
    const char *e;
    if ((e = getenv("BERTH_COLOR")) && *e)
        color = e;
    if ((e = getenv("NAME")) && *e)
        name = e;

    for (int i = 1; i < argc; i++) {
        const char *v;
        if (opt_value(argc, argv, &i, "--host", &v))
            host = v;
        else if (opt_value(argc, argv, &i, "--port", &v))
            port = parse_num("--port", v, 0, 65535);
        else if (opt_value(argc, argv, &i, "--ready-after", &v))
            ready_after_ms = parse_num("--ready-after", v, 0, 1LL << 40);
        else if (opt_value(argc, argv, &i, "--drain-ms", &v))
            drain_ms = parse_num("--drain-ms", v, 0, 1LL << 40);
        else if (strcmp(argv[i], "--never-ready") == 0)
            never_ready = 1;
        else if (strcmp(argv[i], "--fail-health") == 0)
            fail_health = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else
            usage_error("unknown argument: ", argv[i]);
    }
    if (port < 0) {
        if ((e = getenv("PORT")) && *e)
            port = parse_num("$PORT", e, 0, 65535);
        else if ((e = getenv("BERTH_PORT")) && *e)
            port = parse_num("$BERTH_PORT", e, 0, 65535);
        else
            port = 8080;
    }
    if (strchr(color, '\r') || strchr(color, '\n')) {
        fprintf(stderr, "hello-http: $BERTH_COLOR must not contain line breaks\n");
        return 2;
    }

    /* Address: IPv4 or IPv6 literal (brackets allowed), or "localhost". */
    struct sockaddr_storage ss;
    socklen_t sslen;
    memset(&ss, 0, sizeof ss);
    char hbuf[128];
    snprintf(hbuf, sizeof hbuf, "%s", host);
    if (hbuf[0] == '[' && hbuf[strlen(hbuf) - 1] == ']') {
        hbuf[strlen(hbuf) - 1] = 0;
        memmove(hbuf, hbuf + 1, strlen(hbuf));
    }
    if (strcmp(hbuf, "localhost") == 0)
        strcpy(hbuf, "127.0.0.1");
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, hbuf, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((unsigned short)port);
        sslen = sizeof *s4;
    } else if (inet_pton(AF_INET6, hbuf, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((unsigned short)port);
        sslen = sizeof *s6;
    } else {
        fprintf(stderr, "hello-http: --host: '%s' is not an IPv4/IPv6 address or 'localhost'\n", host);
        return 2;
    }

    int lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0) {
        fprintf(stderr, "hello-http: socket: %s\n", strerror(errno));
        return 1;
    }
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *)&ss, sslen) < 0) {
        fprintf(stderr, "hello-http: cannot bind %s port %lld: %s\n", host, port, strerror(errno));
        return 1;
    }
    if (listen(lfd, 128) < 0) {
        fprintf(stderr, "hello-http: listen: %s\n", strerror(errno));
        return 1;
    }
    sslen = sizeof ss;
    getsockname(lfd, (struct sockaddr *)&ss, &sslen);
    unsigned actual_port = ntohs(ss.ss_family == AF_INET ? s4->sin_port : s6->sin6_port);

    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        fprintf(stderr, "hello-http: pipe: %s\n", strerror(errno));
        return 1;
    }
    ctrl_rd = p[0];
    ctrl_wr = p[1];
    fcntl(ctrl_rd, F_SETFL, O_NONBLOCK);
    if (pipe2(p, O_CLOEXEC) < 0) {
        fprintf(stderr, "hello-http: pipe: %s\n", strerror(errno));
        return 1;
    }
    shut_rd = p[0];
    shut_wr = p[1];

    /* Signals: TERM/INT are blocked except inside ppoll(); children are
     * reaped automatically; a vanished client must not kill anyone. */
    struct sigaction sa = {0};
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDWAIT;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t block, unblocked;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &unblocked);
    sigdelset(&unblocked, SIGTERM);
    sigdelset(&unblocked, SIGINT);

    pid_t self = getpid();
    printf("hello-http: listening on %s port %u pid %d color %s\n", hbuf, actual_port, (int)self, color);

    int exit_code = 0;
    const char *why = NULL;
    char whybuf[64];
    while (!why) {
        struct pollfd pf[2] = {{.fd = lfd, .events = POLLIN}, {.fd = ctrl_rd, .events = POLLIN}};
        int r = ppoll(pf, 2, NULL, &unblocked);
        if (term_count) {
            why = "signal";
            break;
        }
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "hello-http: poll: %s\n", strerror(errno));
            return 1;
        }
        if (pf[1].revents & POLLIN) {
            unsigned char b;
            if (read(ctrl_rd, &b, 1) == 1) {
                exit_code = b;
                snprintf(whybuf, sizeof whybuf, "/exit?code=%d", exit_code);
                why = whybuf;
                break;
            }
        }
        if (pf[0].revents & POLLIN) {
            int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
                    fprintf(stderr, "hello-http: accept: %s\n", strerror(errno));
                    usleep(100000);   /* e.g. EMFILE: don't spin */
                }
                continue;
            }
            pid_t pid = fork();
            if (pid == 0)
                child_main(lfd, fd, self);
            if (pid < 0)
                fprintf(stderr, "hello-http: fork: %s\n", strerror(errno));
            close(fd);
        }
    }

    /* Drain: stop accepting, tell idle children to hang up, wait for EOF on
     * the control pipe (= every child has exited). */
    close(lfd);
    close(shut_wr);
    close(ctrl_wr);
    printf("hello-http: stopping (%s), draining connections for up to %lldms\n", why, drain_ms);
    struct timespec d0;
    clock_gettime(CLOCK_MONOTONIC, &d0);
    int terms_at_start = term_count;
    for (;;) {
        long long left = drain_ms - ms_since(&d0);
        if (left <= 0) {
            printf("hello-http: drain timeout, abandoning open connections\n");
            break;
        }
        struct pollfd pf = {.fd = ctrl_rd, .events = POLLIN};
        struct timespec to = {left / 1000, (left % 1000) * 1000000L};
        int r = ppoll(&pf, 1, &to, &unblocked);
        if (term_count != terms_at_start) {
            printf("hello-http: another signal, not waiting any longer\n");
            break;
        }
        if (r <= 0)
            continue;
        unsigned char b[64];
        ssize_t n = read(ctrl_rd, b, sizeof b);
        if (n == 0)
            break;   /* every child has exited */
    }
    printf("hello-http: exiting with code %d\n", exit_code);
    return exit_code;
}
