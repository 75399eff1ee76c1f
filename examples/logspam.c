/*
 * logspam — writes numbered lines as fast as it can, for berth's log capture,
 * rotation (logs.max_size / max_files) and back-pressure tests.
 *
 * Build: cc -O2 -Wall -Wextra -static -o logspam logspam.c
 *
 * Options (each also accepted as --name=value):
 *   --bytes N        total bytes to write, suffixes k, m, g (powers of 1024)
 *                    accepted (default 1m)
 *   --line-bytes L   bytes per line including the final '\n' (default 100)
 *   --stderr         alternate lines between stdout (even sequence numbers)
 *                    and stderr (odd ones); N is the total over both
 *   --hold           sleep forever after writing (default: exit 0)
 *
 * Line format: a zero-padded sequence number starting at 0, a space, then
 * filler letters, then '\n', e.g. (L = 24):
 *   000000 abcdefghijklmnop
 * All lines are L bytes except possibly the last, which is shortened so that
 * exactly N bytes are written. L must be big enough to hold the sequence
 * number and the newline. Output is assembled in 64 KiB batches and written
 * with write(2). If the reader goes away (EPIPE), logspam reports it on
 * stderr and exits 1. Bad usage exits 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define BATCH (64 * 1024)

static void usage(FILE *f)
{
    fprintf(f, "usage: logspam [--bytes N[k|m|g]] [--line-bytes L] [--stderr] [--hold]\n");
}

static void usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "logspam: %s%s\n", msg, arg);
    usage(stderr);
    exit(2);
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

/* "1048576", "64k", "1m", "2G" (optionally followed by "b"/"ib") -> bytes. */
static unsigned long long parse_size(const char *opt, const char *s, unsigned long long min)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned long long mult = 1;
    if (errno || end == s || *s == '-')
        goto bad;
    switch (*end) {
    case 'k': case 'K': mult = 1ULL << 10; end++; break;
    case 'm': case 'M': mult = 1ULL << 20; end++; break;
    case 'g': case 'G': mult = 1ULL << 30; end++; break;
    }
    if (mult > 1 && (strcasecmp(end, "b") == 0 || strcasecmp(end, "ib") == 0))
        end += strlen(end);
    if (*end || v > (1ULL << 50) / mult || v * mult < min)
        goto bad;
    return v * mult;
bad:
    fprintf(stderr, "logspam: %s: invalid size '%s' (examples: 4096, 64k, 1m, 2g; at least %llu)\n",
            opt, s, min);
    exit(2);
}

static int digits(unsigned long long v)
{
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

struct out {
    int fd;
    const char *name;
    char buf[BATCH];
    size_t len;
};

static void flush_out(struct out *o)
{
    size_t off = 0;
    while (off < o->len) {
        ssize_t w = write(o->fd, o->buf + off, o->len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "logspam: write to %s failed: %s\n", o->name, strerror(errno));
            exit(1);
        }
        off += (size_t)w;
    }
    o->len = 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    unsigned long long total = 1ULL << 20, line = 100;
    int use_stderr = 0, hold = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (opt_value(argc, argv, &i, "--bytes", &v))
            total = parse_size("--bytes", v, 0);
        else if (opt_value(argc, argv, &i, "--line-bytes", &v))
            line = parse_size("--line-bytes", v, 2);
        else if (strcmp(argv[i], "--stderr") == 0)
            use_stderr = 1;
        else if (strcmp(argv[i], "--hold") == 0)
            hold = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else
            usage_error("unknown argument: ", argv[i]);
    }
    if (line > BATCH) {
        fprintf(stderr, "logspam: --line-bytes: at most %d\n", BATCH);
        return 2;
    }
    unsigned long long lines = (total + line - 1) / line;
    int width = digits(lines ? lines - 1 : 0);
    if ((unsigned long long)width + 1 > line) {
        fprintf(stderr, "logspam: --line-bytes %llu is too small for %llu lines "
                "(need at least %d bytes for the sequence number and newline)\n",
                line, lines, width + 1);
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);   /* report EPIPE instead of dying silently */
    static struct out outs[2] = {{.fd = 1, .name = "stdout"}, {.fd = 2, .name = "stderr"}};

    /* A template line: filler letters; each line copies it and stamps the
     * sequence number over the front. */
    static char tmpl[BATCH];
    tmpl[width] = ' ';
    for (unsigned long long i = (unsigned long long)width + 1; i < line; i++)
        tmpl[i] = (char)('a' + (i - (unsigned long long)width - 1) % 26);

    unsigned long long written = 0;
    for (unsigned long long seq = 0; seq < lines; seq++) {
        unsigned long long n = total - written < line ? total - written : line;
        struct out *o = &outs[use_stderr ? seq & 1 : 0];
        if (o->len + n > BATCH)
            flush_out(o);
        char *p = o->buf + o->len;
        memcpy(p, tmpl, n);
        /* zero-padded sequence number, as much as fits before the '\n' */
        unsigned long long v = seq;
        for (int d = width - 1; d >= 0; d--, v /= 10)
            if ((unsigned long long)d < n - 1)
                p[d] = (char)('0' + v % 10);
        p[n - 1] = '\n';
        o->len += n;
        written += n;
    }
    flush_out(&outs[0]);
    flush_out(&outs[1]);

    if (hold)
        for (;;)
            pause();
    return 0;
}
