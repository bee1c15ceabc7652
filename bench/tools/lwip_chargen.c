/*
 * lwip_chargen.c - the anchor's lwIP endpoint (../shared/anchors/lwip_tun.c: echo 7, discard 9 and
 * 9001-9007, on a TUN device) plus a raw-API chargen server (RFC 864) on port 19, so that bench/run.py
 * can measure lwIP's send direction (endpoint -> kernel) in the same process as everything else.
 *
 * The anchor is not copied: it is compiled here as part of this translation unit (#include
 * "lwip_tun.c", build with -I ../shared/anchors). Its one call tcpip_init(init_done, NULL) is
 * redirected by a macro to chargen_init_done, which runs the anchor's init_done (netif and the anchor's
 * listeners) and then, still on the tcpip thread with the core lock held, listens on port 19.
 * Everything else (TUN I/O, options, the -c config dump, the counters on SIGINT/SIGTERM) is the anchor's.
 *
 *   gcc -O2 -Wall $(pkg-config --cflags lwip) -I../shared/anchors -o lwip_chargen \
 *       bench/tools/lwip_chargen.c $(pkg-config --libs lwip) -lpthread
 *
 * Part of bench/run.py (endpoints lwip and lwip-tuned).
 */
#define _GNU_SOURCE   /* as the anchor does, before any system header */
#include "lwip/tcpip.h"

static void chargen_init_done(void *arg);
static tcpip_init_done_fn anchor_init_done;
static void *anchor_init_arg;
/* The anchor's tcpip_init(init_done, NULL) becomes: remember (init_done, NULL), start with ours.
   The parenthesised name calls the real function, not this macro. */
#define tcpip_init(cb, arg) (anchor_init_done = (cb), anchor_init_arg = (arg), (tcpip_init)(chargen_init_done, NULL))
#include "lwip_tun.c"
#undef tcpip_init

/* ---------------- chargen (port 19), lwIP raw API ----------------
 * Threading: every callback below runs with the tcpip core lock held (from the anchor's input loop,
 * lwIP's timers, or tcpip_init's callback), as the raw API requires. */

#define CHARGEN_PORT 19
#define LINE 72                          /* RFC 864: 72 printable characters, then CR LF */
#define CYCLE (95 * (LINE + 2))          /* the stream repeats after 95 lines */
#define QUEUE_MARGIN 4                   /* a no-copy write adds up to 2 pbufs per segment to snd_queuelen */

/* One cycle of the stream followed by the first TCP_MSS bytes of the next: every write of up to TCP_MSS
   bytes from any offset in [0, CYCLE) is contiguous. Filled once before the first connection, never
   written again, so tcp_write can reference it without copying (PBUF_ROM). */
static char pattern[CYCLE + TCP_MSS];
static volatile unsigned long long cg_accept, cg_acked, cg_close, cg_err;

static void pattern_fill(void)
{
    for (int i = 0; i < (int)sizeof pattern; i++) {
        int line = (i / (LINE + 2)) % 95, col = i % (LINE + 2);
        pattern[i] = col == LINE ? '\r' : col == LINE + 1 ? '\n' : (char)(' ' + (line + col) % 95);
    }
}

/* Per connection the only state is the stream offset of the next byte to queue, kept in the pcb's arg
   (an integer, not an allocation): nothing to free, whichever way the connection ends. */
static void cg_fill(struct tcp_pcb *pcb)
{
    uintptr_t off = (uintptr_t)pcb->callback_arg;
    int queued = 0;
    while (tcp_sndbuf(pcb) > 0 && tcp_sndqueuelen(pcb) < TCP_SND_QUEUELEN - QUEUE_MARGIN) {
        u32_t n = tcp_sndbuf(pcb);
        if (n > tcp_mss(pcb)) n = tcp_mss(pcb);
        if (n > TCP_MSS) n = TCP_MSS;
        if (tcp_write(pcb, pattern + off, (u16_t)n, TCP_WRITE_FLAG_MORE) != ERR_OK)
            break;                       /* ERR_MEM: retried from the sent or poll callback */
        off = (off + n) % CYCLE;
        queued = 1;
    }
    tcp_arg(pcb, (void *)off);
    if (queued) tcp_output(pcb);
}

static err_t cg_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)arg;
    cg_acked += len;
    cg_fill(pcb);
    return ERR_OK;
}

/* Every 2 coarse timer ticks (1 s): refills if a write failed with nothing in flight to call cg_sent. */
static err_t cg_poll(void *arg, struct tcp_pcb *pcb)
{
    (void)arg;
    cg_fill(pcb);
    return ERR_OK;
}

static void cg_error(void *arg, err_t err)
{
    /* The pcb is already freed by lwIP (RST, e.g. the client closing with data unread, or abort).
       There is no state of ours to release. */
    (void)arg;
    (void)err;
    cg_err++;
}

static err_t cg_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    if (p != NULL) {                     /* chargen ignores what the client sends */
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
        return ERR_OK;
    }
    (void)err;                           /* p == NULL: the peer's FIN; stop sending and close */
    cg_close++;
    tcp_arg(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_poll(pcb, NULL, 0);
    tcp_err(pcb, NULL);
    if (tcp_close(pcb) != ERR_OK) {      /* out of memory for the FIN: drop the connection */
        tcp_abort(pcb);
        return ERR_ABRT;                 /* the pcb is gone: lwIP must not touch it again */
    }
    return ERR_OK;
}

static err_t cg_accept_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || pcb == NULL) return ERR_VAL;
    cg_accept++;
    tcp_nagle_disable(pcb);
    tcp_arg(pcb, (void *)(uintptr_t)0);  /* stream offset */
    tcp_sent(pcb, cg_sent);
    tcp_recv(pcb, cg_recv);
    tcp_err(pcb, cg_error);
    tcp_poll(pcb, cg_poll, 2);
    cg_fill(pcb);
    return ERR_OK;
}

/* SIGINT/SIGTERM: our line, then the anchor's handler (its counters, then _exit). */
static void cg_onsig(int s)
{
    char m[256];
    int l = snprintf(m, sizeof m, "lwip_chargen: port %d accepted %llu, acked %llu B, closed on FIN %llu, err %llu\n",
                     CHARGEN_PORT, cg_accept, cg_acked, cg_close, cg_err);
    if (write(2, m, l) < 0) { /* nothing to do */ }
    onsig(s);
}

static void chargen_init_done(void *arg)
{
    (void)arg;
    pattern_fill();
    struct tcp_pcb *pcb = tcp_new();
    if (!pcb || tcp_bind(pcb, IP_ADDR_ANY, CHARGEN_PORT) != ERR_OK) {
        fprintf(stderr, "lwip_chargen: tcp_bind %d failed\n", CHARGEN_PORT);
        exit(1);
    }
    pcb = tcp_listen_with_backlog(pcb, 255);
    if (!pcb) {
        fprintf(stderr, "lwip_chargen: tcp_listen %d failed\n", CHARGEN_PORT);
        exit(1);
    }
    tcp_accept(pcb, cg_accept_cb);
    /* main() installed the anchor's handlers before tcpip_init; ours print the chargen line first. */
    signal(SIGINT, cg_onsig);
    signal(SIGTERM, cg_onsig);
    anchor_init_done(anchor_init_arg);   /* netif, echo, discard; last: it releases the anchor's main() */
}
