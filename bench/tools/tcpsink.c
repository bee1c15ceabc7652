/*
 * tcpsink.c - the harness's endpoint -> kernel bulk tool (the other direction from tcpbench bulk).
 *
 *   tcpsink sink    -a ADDR [-p 19] [-t 10]   connect, read everything for t seconds, close;
 *                                             prints "RESULT sink <Gbit/s> Gbit/s bytes=N secs=S"
 *   tcpsink chargen [-p 19] [-t 600] [-C cc]  a kernel-socket chargen-like source: accept, write zeros
 *                                             until the peer goes away (the kernel endpoint's side);
 *                                             exits by itself after t seconds; -C sets the accepted
 *                                             sockets' congestion control (TCP_CONGESTION, e.g. cubic)
 *
 * Every mode is bounded in time. Part of bench/run.py; not a copy of the anchors' tools.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF (256 * 1024)

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
    perror(what);
    return 1;
}

static int sink(const char *addr, int port, int secs)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "bad address %s\n", addr);
        return 2;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return fail("socket");
    struct timeval tv = {.tv_sec = 1};   /* a stalled sender cannot hold us past the deadline */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) return fail("connect");
    char *buf = malloc(BUF);
    unsigned long long bytes = 0;
    double t0 = mono(), end = t0 + secs, t = t0;
    unsigned long reads = 0;
    while ((t = mono()) < end) {
        ssize_t n = read(fd, buf, BUF);
        if (n > 0) {
            bytes += n;
            reads++;
            continue;
        }
        if (n == 0) break;                      /* the endpoint closed early */
        if (errno == EINTR || errno == EAGAIN) continue;
        return fail("read");
    }
    t = mono();
    close(fd);
    printf("RESULT sink %.3f Gbit/s bytes=%llu secs=%.3f reads=%lu\n", bytes * 8 / (t - t0) / 1e9, bytes, t - t0, reads);
    return bytes ? 0 : 1;
}

static int chargen(int port, int secs, const char *cc)
{
    signal(SIGPIPE, SIG_IGN);
    alarm(secs);                                /* bounded: SIGALRM ends the process */
    int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (bind(l, (struct sockaddr *)&sa, sizeof sa) < 0) return fail("bind");
    if (listen(l, 16) < 0) return fail("listen");
    char *buf = calloc(1, BUF);
    for (;;) {                                  /* one client at a time, as the harness uses it */
        int c = accept(l, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR) continue;
            return fail("accept");
        }
        if (cc && setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, cc, strlen(cc)) < 0) return fail("TCP_CONGESTION");
        while (write(c, buf, BUF) > 0)
            ;
        close(c);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s sink -a ADDR [-p 19] [-t secs] | chargen [-p 19] [-t secs] [-C cc]\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1], *addr = "198.18.0.2", *cc = NULL;
    int port = 19, secs = 0, o;
    optind = 2;
    while ((o = getopt(argc, argv, "a:p:t:C:")) != -1) {
        switch (o) {
        case 'a': addr = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 't': secs = atoi(optarg); break;
        case 'C': cc = optarg; break;
        default: return 2;
        }
    }
    if (!strcmp(mode, "sink")) return sink(addr, port, secs >= 1 && secs <= 120 ? secs : 10);
    if (!strcmp(mode, "chargen")) return chargen(port, secs >= 1 && secs <= 3600 ? secs : 600, cc);
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
