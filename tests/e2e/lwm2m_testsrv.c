/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bw-lwm2m-testsrv: a scripted LwM2M bootstrap and DM server over plain
 * UDP, for tests/e2e/device_agent*.sh.  Test code only: no security, no
 * persistence, just enough protocol to drive bulwark-device end to end
 * and print what happened, one line per event on stdout:
 *
 *   EP: bootstrap request
 *   EP: bootstrap finished
 *   EP: registered /rd/N lt=60 b=U links=</1/1>,</3/0>,...
 *   EP: GET /3/0 -> 2.05 [{"bn":"/3/0/","n":"0","vs":"Bulwark"},...]
 *   EP:   /3/0/0 = "Bulwark"          (each SenML record, decoded)
 *   EP: updated /rd/N
 *   EP: deregistered /rd/N
 *
 * Bootstrap socket: a Bootstrap-Request (POST /bs?ep=EP) is answered 2.04,
 * then the server sends, waiting for each answer: Delete /, Write /0/1
 * (coap://<dm-host>:<dm-port>, NoSec, SSID 1), Write /1/1 (SSID 1,
 * --lifetime, --binding), Finish.  DM socket: Register is answered 2.01
 * with Location /rd/N, Update 2.04, De-register 2.02; after each Register
 * the --op list runs in order (read PATH: GET with Accept SenML JSON;
 * write PATH TEXT: PUT text/plain; exec PATH: POST), one at a time; with
 * --ops-once only after the first Register of each endpoint name.
 *
 * In a write's TEXT, "@DM@" becomes the DM socket's port.
 * --then-op: with --ops-once, the list run at every later Register of
 * an endpoint instead (after an update, say).  wait-state N: read /5/0/3
 * (text/plain) every 500 ms until it is N, then go on.
 *
 * Firmware (--firmware FILE): GET /fw/<anything> on the DM socket is
 * served block-wise (RFC 7959, at most 1024 bytes, Content-Format 42,
 * ETag = the first 8 bytes of SHA-256 of the file, Size2), one line per
 * block: "fw: block N (LEN bytes)".  --fw-delay-ms waits before each
 * answer (so a test can interrupt a download); --bs-port and --dm-port
 * bind fixed ports (a restarted server at the same address).
 *
 * Peers are told apart by address; each has at most one request of ours
 * in flight, retransmitted after 2 s, given up after 4 tries.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "bulwark/coap.h"
#include "bulwark/coap_block.h"
#include "bulwark/lwm2m.h"
#include "bulwark/lwm2m_senml.h"

#define MAX_PEERS 256
#define MAX_OPS   16
#define DGRAM_MAX 1500
#define RETX_MS   2000
#define RETX_MAX  4

enum { SOCK_BS = 0, SOCK_DM = 1 };

/* Bootstrap steps after the request was answered. */
enum { BS_DELETE = 0, BS_SEC, BS_SRV, BS_FINISH, BS_DONE };

typedef struct {
    int used, sock;
    struct sockaddr_storage addr;
    socklen_t alen;
    char ep[65];
    int step;         /* bootstrap: BS_*; DM: index of the next --op */
    int again;        /* DM: running the --then-op list */
    int wait_state;   /* wait-state N in progress: N, else -1 */
    uint64_t wait_at; /* wait-state: when to read /5/0/3 again */
    int rd;           /* DM: location number */
    int inflight;
    uint16_t mid;
    uint8_t token[4];
    uint8_t req[DGRAM_MAX];
    size_t req_len;
    int tries;
    uint64_t retx_at;
    char what[96]; /* the request in flight, for the log */
} peer_t;

static struct {
    int fd[2];
    char dm_host[64];
    unsigned lifetime;
    const char *binding;
    const char *ops[MAX_OPS];
    int nops;
    int ops_once; /* --ops-once: ops at an endpoint's first Register */
    const char *then_ops[MAX_OPS];
    int nthen;
    uint8_t *fw; /* --firmware */
    size_t fw_len;
    uint8_t fw_etag[8];
    unsigned fw_delay_ms;
    char done[MAX_PEERS][65]; /* endpoints whose ops ran (--ops-once) */
    int ndone;
    uint16_t mid;
    uint32_t tok;
    int next_rd;
    peer_t peers[MAX_PEERS];
} S;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void out(const peer_t *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void out(const peer_t *p, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    printf("%s: %s\n", p->ep[0] ? p->ep : "?", line);
    fflush(stdout);
}

/* Printable copy of bytes ('.' for anything else). */
static void printable(const uint8_t *b, size_t n, char *dst, size_t cap)
{
    size_t i;
    for (i = 0; i < n && i + 1 < cap; i++)
        dst[i] = (b[i] >= 0x20 && b[i] < 0x7f) ? (char)b[i] : '.';
    dst[i] = '\0';
}

static peer_t *find_peer(int sock, const struct sockaddr_storage *a,
                         socklen_t alen, int create)
{
    peer_t *free_slot = NULL;
    for (int i = 0; i < MAX_PEERS; i++) {
        peer_t *p = &S.peers[i];
        if (!p->used) {
            if (free_slot == NULL)
                free_slot = p;
            continue;
        }
        if (p->sock == sock && p->alen == alen &&
            memcmp(&p->addr, a, alen) == 0)
            return p;
    }
    if (!create || free_slot == NULL)
        return NULL;
    memset(free_slot, 0, sizeof *free_slot);
    free_slot->used = 1;
    free_slot->wait_state = -1;
    free_slot->sock = sock;
    memcpy(&free_slot->addr, a, alen);
    free_slot->alen = alen;
    return free_slot;
}

static void tx(const peer_t *p, const uint8_t *buf, size_t len)
{
    (void)sendto(S.fd[p->sock], buf, len, 0, (const struct sockaddr *)&p->addr,
                 p->alen);
}

/* Piggybacked answer to req. */
static void reply(const peer_t *p, const bw_coap_msg_t *req, uint8_t code,
                  int rd)
{
    uint8_t buf[64];
    size_t len;
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, buf, sizeof buf,
                        req->type == BW_COAP_CON ? BW_COAP_ACK : BW_COAP_NON,
                        code, req->mid, req->token, req->token_len);
    if (rd >= 0) {
        char num[16];
        int n = snprintf(num, sizeof num, "%d", rd);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_LOCATION_PATH, "rd", 2);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_LOCATION_PATH, num, (size_t)n);
    }
    if (bw_coap_writer_finish(&w, &len) == 0)
        tx(p, buf, len);
}

/* Send a CON request of ours: method, path ("/" for none), format (-1:
 * none), accept (-1: none), payload. */
static void request(peer_t *p, uint8_t method, const char *path, int format,
                    int accept, const void *payload, size_t plen,
                    const char *what)
{
    bw_coap_writer_t w;
    p->mid = ++S.mid;
    uint32_t t = ++S.tok;
    memcpy(p->token, &t, sizeof p->token);
    bw_coap_writer_init(&w, p->req, sizeof p->req, BW_COAP_CON, method, p->mid,
                        p->token, sizeof p->token);
    const char *s = path + 1;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, s, n);
        s += n + (e != NULL);
    }
    if (format >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT,
                                (uint32_t)format);
    if (accept >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_ACCEPT, (uint32_t)accept);
    bw_coap_writer_payload(&w, payload, plen);
    if (bw_coap_writer_finish(&w, &p->req_len) != 0) {
        out(p, "cannot build %s", what);
        return;
    }
    snprintf(p->what, sizeof p->what, "%s", what);
    p->inflight = 1;
    p->tries = 1;
    p->retx_at = now_ms() + RETX_MS;
    tx(p, p->req, p->req_len);
}

static void tlv_res(bw_lwm2m_tlv_writer_t *w, uint16_t o, uint16_t r,
                    bw_lwm2m_value_t v)
{
    bw_lwm2m_record_t rec = {BW_LWM2M_PATH_RES(o, 1, r), v};
    bw_lwm2m_tlv_add(w, &rec);
}

static void bootstrap_next(peer_t *p)
{
    uint8_t tlv[512];
    size_t n = 0;
    bw_lwm2m_tlv_writer_t w;
    switch (p->step) {
    case BS_DELETE:
        request(p, BW_COAP_DELETE, "/", -1, -1, NULL, 0, "Delete /");
        return;
    case BS_SEC: {
        char uri[128];
        bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(0, 1);
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        unsigned port = 0;
        if (getsockname(S.fd[SOCK_DM], (struct sockaddr *)&ss, &sl) == 0)
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        snprintf(uri, sizeof uri, "coap://%s:%u", S.dm_host, port);
        bw_lwm2m_tlv_begin(&w, tlv, sizeof tlv, &base);
        tlv_res(&w, 0, 0,
                bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, uri, strlen(uri)));
        tlv_res(&w, 0, 1, bw_lwm2m_value_bool(false));
        tlv_res(&w, 0, 2, bw_lwm2m_value_int(3)); /* NoSec */
        tlv_res(&w, 0, 10, bw_lwm2m_value_int(1));
        if (bw_lwm2m_tlv_finish(&w, &n) == 0)
            request(p, BW_COAP_PUT, "/0/1", BW_COAP_FMT_LWM2M_TLV, -1, tlv, n,
                    "Write /0/1");
        return;
    }
    case BS_SRV: {
        bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(1, 1);
        bw_lwm2m_tlv_begin(&w, tlv, sizeof tlv, &base);
        tlv_res(&w, 1, 0, bw_lwm2m_value_int(1));
        tlv_res(&w, 1, 1, bw_lwm2m_value_int(S.lifetime));
        tlv_res(&w, 1, 6, bw_lwm2m_value_bool(false));
        tlv_res(&w, 1, 7,
                bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, S.binding,
                                     strlen(S.binding)));
        if (bw_lwm2m_tlv_finish(&w, &n) == 0)
            request(p, BW_COAP_PUT, "/1/1", BW_COAP_FMT_LWM2M_TLV, -1, tlv, n,
                    "Write /1/1");
        return;
    }
    case BS_FINISH:
        request(p, BW_COAP_POST, "/bs", -1, -1, NULL, 0, "Finish");
        return;
    default:
        return;
    }
}

static unsigned port_of(int fd);

/* The next --op for a registered peer, if any. */
static void dm_next(peer_t *p)
{
    const char *const *ops = p->again ? S.then_ops : S.ops;
    int nops = p->again ? S.nthen : S.nops;
    while (p->step < nops) {
        char verb[16], path[64], arg[256];
        arg[0] = '\0';
        int n = sscanf(ops[p->step++], "%15s %63s %255[^\n]", verb, path, arg);
        char what[96];
        snprintf(what, sizeof what, "%s %s", verb, path);
        if (n >= 2 && strcmp(verb, "read") == 0) {
            request(p, BW_COAP_GET, path, -1, BW_COAP_FMT_SENML_JSON, NULL, 0,
                    what);
            return;
        }
        if (n >= 2 && strcmp(verb, "write") == 0) {
            /* "@DM@" stands for the DM port (a Package URI on us). */
            char text[300];
            const char *at = strstr(arg, "@DM@");
            if (at != NULL)
                snprintf(text, sizeof text, "%.*s%u%s", (int)(at - arg), arg,
                         port_of(S.fd[SOCK_DM]), at + 4);
            else
                snprintf(text, sizeof text, "%s", arg);
            request(p, BW_COAP_PUT, path, BW_COAP_FMT_TEXT, -1, text,
                    strlen(text), what);
            return;
        }
        if (n >= 2 && strcmp(verb, "exec") == 0) {
            request(p, BW_COAP_POST, path, -1, -1, NULL, 0, what);
            return;
        }
        if (n >= 2 && strcmp(verb, "wait-state") == 0) {
            p->wait_state = atoi(path);
            request(p, BW_COAP_GET, "/5/0/3", -1, BW_COAP_FMT_TEXT, NULL, 0,
                    "read /5/0/3");
            return;
        }
        out(p, "bad --op \"%s\"", ops[p->step - 1]);
    }
}

static int print_record(void *ctx, const bw_lwm2m_record_t *rec)
{
    const peer_t *p = ctx;
    char path[BW_LWM2M_PATH_STR_MAX + 1], val[256];
    size_t n = 0;
    (void)bw_lwm2m_path_format(&rec->path, path, sizeof path, &n);
    const bw_lwm2m_value_t *v = &rec->value;
    switch (v->type) {
    case BW_LWM2M_TYPE_STRING:
        printable(v->v.bytes.ptr, v->v.bytes.len, val, sizeof val);
        out(p, "  %s = \"%s\"", path, val);
        break;
    case BW_LWM2M_TYPE_INTEGER:
    case BW_LWM2M_TYPE_TIME:
        out(p, "  %s = %lld", path, (long long)v->v.i);
        break;
    case BW_LWM2M_TYPE_UNSIGNED:
        out(p, "  %s = %llu", path, (unsigned long long)v->v.u);
        break;
    case BW_LWM2M_TYPE_FLOAT:
        out(p, "  %s = %g", path, v->v.f);
        break;
    case BW_LWM2M_TYPE_BOOLEAN:
        out(p, "  %s = %s", path, v->v.b ? "true" : "false");
        break;
    case BW_LWM2M_TYPE_NONE:
        out(p, "  %s (no value)", path);
        break;
    default:
        out(p, "  %s (%u bytes)", path, (unsigned)v->v.bytes.len);
        break;
    }
    return 0;
}

/* The answer to our request in flight. */
static void answered(peer_t *p, const bw_coap_msg_t *m)
{
    char body[1200];
    p->inflight = 0;
    printable(m->payload, m->payload_len, body, sizeof body);
    if (p->wait_state >= 0 && p->sock == SOCK_DM) {
        if (BW_COAP_CODE_CLASS(m->code) == 2 && atoi(body) == p->wait_state) {
            out(p, "state %d reached", p->wait_state);
            p->wait_state = -1;
            dm_next(p);
        } else {
            p->wait_at = now_ms() + 500;
        }
        return;
    }
    out(p, "%s -> %u.%02u%s%s", p->what, BW_COAP_CODE_CLASS(m->code),
        BW_COAP_CODE_DETAIL(m->code), m->payload_len ? " " : "", body);
    if (p->sock == SOCK_BS) {
        if (BW_COAP_CODE_CLASS(m->code) != 2) {
            out(p, "bootstrap abandoned");
            p->step = BS_DONE;
            return;
        }
        if (++p->step == BS_DONE)
            out(p, "bootstrap finished");
        else
            bootstrap_next(p);
        return;
    }
    uint32_t cf = 0;
    if (m->payload_len > 0 &&
        bw_coap_msg_uint(m, BW_COAP_OPT_CONTENT_FORMAT, &cf) == 0 &&
        cf == BW_COAP_FMT_SENML_JSON) {
        static uint8_t scratch[1024];
        bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
        bw_lwm2m_sink_t sink = {NULL, print_record, p, scratch, sizeof scratch};
        int err = bw_lwm2m_senml_json_decode(m->payload, m->payload_len, &root,
                                             &sink);
        if (err != 0)
            out(p, "  SenML JSON does not decode: %s", bw_strerror(err));
    }
    dm_next(p);
}

static void query(const bw_coap_msg_t *m, const char *key, char *dst,
                  size_t cap)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    size_t kl = strlen(key);
    dst[0] = '\0';
    bw_coap_opt_iter_init(&it, m);
    while (bw_coap_opt_next(&it, &o))
        if (o.number == BW_COAP_OPT_URI_QUERY && o.len > kl &&
            memcmp(o.value, key, kl) == 0 && o.value[kl] == '=')
            printable(o.value + kl + 1, o.len - kl - 1, dst, cap);
}

/* "/rd/3" style path of m, into dst. */
static void uri_path(const bw_coap_msg_t *m, char *dst, size_t cap)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    size_t n = 0;
    dst[0] = '\0';
    bw_coap_opt_iter_init(&it, m);
    while (bw_coap_opt_next(&it, &o))
        if (o.number == BW_COAP_OPT_URI_PATH && n + o.len + 2 < cap) {
            dst[n++] = '/';
            printable(o.value, o.len, dst + n, cap - n);
            n += o.len;
        }
    dst[n] = '\0';
}

/* --ops-once: whether ep had its ops already (and remember it now). */
static int ops_ran(const char *ep)
{
    for (int i = 0; i < S.ndone; i++)
        if (strcmp(S.done[i], ep) == 0)
            return 1;
    if (S.ndone < MAX_PEERS)
        snprintf(S.done[S.ndone++], sizeof S.done[0], "%s", ep);
    return 0;
}

static int fw_read(void *arg, uint32_t offset, uint8_t *buf, size_t len,
                   size_t *got, int *more)
{
    (void)arg;
    if (offset > S.fw_len || len > S.fw_len - offset)
        return -1;
    memcpy(buf, S.fw + offset, len);
    *got = len;
    *more = offset + len < S.fw_len;
    return 0;
}

/* GET /fw/...: one block of --firmware. */
static void serve_fw(peer_t *p, const bw_coap_msg_t *m)
{
    uint8_t buf[DGRAM_MAX], scratch[1024];
    bw_coap_writer_t w;
    bw_coap_block2_server_t srv;
    bw_coap_block_t b;
    size_t len;
    if (S.fw_delay_ms > 0) {
        struct timespec ts = {0, (long)S.fw_delay_ms * 1000000L};
        nanosleep(&ts, NULL);
    }
    snprintf(p->ep, sizeof p->ep, "fw");
    if (bw_coap_block_get(m, BW_COAP_OPT_BLOCK2, &b) != 0)
        memset(&b, 0, sizeof b);
    bw_coap_writer_init(&w, buf, sizeof buf,
                        m->type == BW_COAP_CON ? BW_COAP_ACK : BW_COAP_NON,
                        BW_COAP_CONTENT, m->mid, m->token, m->token_len);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_ETAG, S.fw_etag, sizeof S.fw_etag);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, BW_COAP_FMT_OPAQUE);
    (void)bw_coap_block2_server_init(&srv, BW_COAP_BLOCK_MAX_SZX,
                                     (uint32_t)S.fw_len, fw_read, NULL);
    int err =
        bw_coap_block2_server_respond(&srv, m, &w, scratch, sizeof scratch);
    if (err != 0) {
        out(p, "block %u refused: %s", (unsigned)b.num, bw_strerror(err));
        reply(p, m,
              err == BW_EABORTED ? BW_COAP_INTERNAL_ERROR : BW_COAP_BAD_OPTION,
              -1);
        return;
    }
    if (bw_coap_writer_finish(&w, &len) == 0) {
        out(p, "block %u (%u-byte datagram)", (unsigned)b.num,
            (unsigned)(len > 0 ? len : 0));
        tx(p, buf, len);
    }
}

static void on_request(peer_t *p, const bw_coap_msg_t *m)
{
    char path[128], ep[65], rd[32];
    uri_path(m, path, sizeof path);
    if (p->sock == SOCK_DM && m->code == BW_COAP_GET &&
        strncmp(path, "/fw/", 4) == 0 && S.fw != NULL) {
        serve_fw(p, m);
        return;
    }
    if (p->sock == SOCK_BS) {
        if (m->code == BW_COAP_POST && strcmp(path, "/bs") == 0) {
            query(m, "ep", ep, sizeof ep);
            snprintf(p->ep, sizeof p->ep, "%s", ep);
            out(p, "bootstrap request");
            reply(p, m, BW_COAP_CHANGED, -1);
            p->step = BS_DELETE;
            bootstrap_next(p);
            return;
        }
        reply(p, m, BW_COAP_NOT_FOUND, -1);
        return;
    }
    snprintf(rd, sizeof rd, "/rd/%d", p->rd);
    if (m->code == BW_COAP_POST && strcmp(path, "/rd") == 0) {
        char lt[16], b[8], links[600];
        query(m, "ep", ep, sizeof ep);
        query(m, "lt", lt, sizeof lt);
        query(m, "b", b, sizeof b);
        printable(m->payload, m->payload_len, links, sizeof links);
        snprintf(p->ep, sizeof p->ep, "%s", ep);
        p->rd = ++S.next_rd;
        reply(p, m, BW_COAP_CREATED, p->rd);
        out(p, "registered /rd/%d lt=%s b=%s links=%s", p->rd, lt, b, links);
        p->step = 0;
        p->wait_state = -1;
        p->inflight = 0;
        p->again = S.ops_once && ops_ran(ep);
        dm_next(p);
    } else if (m->code == BW_COAP_POST && p->rd > 0 && strcmp(path, rd) == 0) {
        reply(p, m, BW_COAP_CHANGED, -1);
        out(p, "updated %s", rd);
    } else if (m->code == BW_COAP_DELETE && p->rd > 0 &&
               strcmp(path, rd) == 0) {
        reply(p, m, BW_COAP_DELETED, -1);
        out(p, "deregistered %s", rd);
        p->rd = 0;
    } else {
        reply(p, m, BW_COAP_NOT_FOUND, -1);
        out(p, "unexpected request %u.%02u %s", BW_COAP_CODE_CLASS(m->code),
            BW_COAP_CODE_DETAIL(m->code), path);
    }
}

static void on_datagram(int sock)
{
    uint8_t buf[DGRAM_MAX];
    struct sockaddr_storage a;
    socklen_t alen = sizeof a;
    ssize_t n =
        recvfrom(S.fd[sock], buf, sizeof buf, 0, (struct sockaddr *)&a, &alen);
    bw_coap_msg_t m;
    if (n <= 0 || bw_coap_parse(&m, buf, (size_t)n) != 0)
        return;
    int is_req = m.code >= BW_COAP_GET && m.code <= BW_COAP_IPATCH;
    peer_t *p = find_peer(sock, &a, alen, is_req);
    if (p == NULL)
        return;
    if (is_req) {
        on_request(p, &m);
        return;
    }
    if (!p->inflight)
        return;
    if (m.type == BW_COAP_ACK && m.code == BW_COAP_EMPTY && m.mid == p->mid) {
        p->retx_at = UINT64_MAX; /* a separate response will follow */
        return;
    }
    if (m.token_len != sizeof p->token ||
        memcmp(m.token, p->token, sizeof p->token) != 0)
        return;
    if (m.type == BW_COAP_CON) {
        uint8_t ack[4] = {0x60, 0, (uint8_t)(m.mid >> 8), (uint8_t)m.mid};
        tx(p, ack, sizeof ack);
    }
    answered(p, &m);
}

/* Read --firmware into memory (test code: files of a few MiB). */
static int load_fw(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n = -1;
    if (f != NULL && fseek(f, 0, SEEK_END) == 0)
        n = ftell(f);
    if (f == NULL || n <= 0 || fseek(f, 0, SEEK_SET) != 0 ||
        (S.fw = malloc((size_t)n)) == NULL ||
        fread(S.fw, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "bw-lwm2m-testsrv: cannot read %s\n", path);
        if (f != NULL)
            fclose(f);
        return -1;
    }
    fclose(f);
    S.fw_len = (size_t)n;
    uint8_t md[SHA256_DIGEST_LENGTH];
    SHA256(S.fw, S.fw_len, md);
    memcpy(S.fw_etag, md, sizeof S.fw_etag);
    return 0;
}

static int open_socket(const char *host, unsigned port, int *fd)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
        return -1;
    *fd = socket(AF_INET, SOCK_DGRAM, 0);
    int one = 1;
    if (*fd >= 0)
        (void)setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (*fd < 0 || bind(*fd, (struct sockaddr *)&sin, sizeof sin) != 0)
        return -1;
    return 0;
}

static unsigned port_of(int fd)
{
    struct sockaddr_in sin;
    socklen_t l = sizeof sin;
    if (getsockname(fd, (struct sockaddr *)&sin, &l) != 0)
        return 0;
    return ntohs(sin.sin_port);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"bind", required_argument, NULL, 'b'},
        {"ready-file", required_argument, NULL, 'r'},
        {"lifetime", required_argument, NULL, 'l'},
        {"binding", required_argument, NULL, 'B'},
        {"op", required_argument, NULL, 'o'},
        {"ops-once", no_argument, NULL, '1'},
        {"then-op", required_argument, NULL, 't'},
        {"firmware", required_argument, NULL, 'f'},
        {"fw-delay-ms", required_argument, NULL, 'd'},
        {"bs-port", required_argument, NULL, 'P'},
        {"dm-port", required_argument, NULL, 'Q'},
        {NULL, 0, NULL, 0},
    };
    const char *bind_addr = "127.0.0.1", *ready = NULL;
    unsigned ports[2] = {0, 0};
    S.lifetime = 60;
    S.binding = "U";
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            bind_addr = optarg;
            break;
        case 'r':
            ready = optarg;
            break;
        case 'l':
            S.lifetime = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'B':
            S.binding = optarg;
            break;
        case '1':
            S.ops_once = 1;
            break;
        case 't':
            if (S.nthen == MAX_OPS) {
                fprintf(stderr, "too many --then-op\n");
                return 2;
            }
            S.then_ops[S.nthen++] = optarg;
            break;
        case 'f':
            if (load_fw(optarg) != 0)
                return 1;
            break;
        case 'd':
            S.fw_delay_ms = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'P':
            ports[SOCK_BS] = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'Q':
            ports[SOCK_DM] = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'o':
            if (S.nops == MAX_OPS) {
                fprintf(stderr, "too many --op\n");
                return 2;
            }
            S.ops[S.nops++] = optarg;
            break;
        default:
            fprintf(stderr, "usage: bw-lwm2m-testsrv [--bind A] "
                            "[--ready-file F] [--lifetime S] [--binding B] "
                            "[--op \"read|write|exec PATH [TEXT]\"]... "
                            "[--op \"wait-state N\"] [--ops-once] "
                            "[--then-op OP]... [--firmware FILE] "
                            "[--fw-delay-ms MS] [--bs-port P] "
                            "[--dm-port P]\n");
            return 2;
        }
    }
    snprintf(S.dm_host, sizeof S.dm_host, "%s", bind_addr);
    if (open_socket(bind_addr, ports[SOCK_BS], &S.fd[SOCK_BS]) != 0 ||
        open_socket(bind_addr, ports[SOCK_DM], &S.fd[SOCK_DM]) != 0) {
        fprintf(stderr, "bw-lwm2m-testsrv: cannot bind %s: %s\n", bind_addr,
                strerror(errno));
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    if (ready != NULL) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", ready);
        FILE *f = fopen(tmp, "w");
        if (f == NULL ||
            fprintf(f, "%u %u\n", port_of(S.fd[SOCK_BS]),
                    port_of(S.fd[SOCK_DM])) < 0 ||
            fclose(f) != 0 || rename(tmp, ready) != 0) {
            fprintf(stderr, "bw-lwm2m-testsrv: %s: %s\n", ready,
                    strerror(errno));
            return 1;
        }
    }
    while (!stop) {
        uint64_t now = now_ms(), wake = now + 1000;
        for (int i = 0; i < MAX_PEERS; i++) {
            peer_t *p = &S.peers[i];
            if (p->used && !p->inflight && p->wait_state >= 0 &&
                p->wait_at != 0) {
                if (now >= p->wait_at) {
                    p->wait_at = 0;
                    request(p, BW_COAP_GET, "/5/0/3", -1, BW_COAP_FMT_TEXT,
                            NULL, 0, "read /5/0/3");
                } else if (p->wait_at < wake) {
                    wake = p->wait_at;
                }
            }
            if (!p->used || !p->inflight)
                continue;
            if (now >= p->retx_at) {
                if (p->tries == RETX_MAX) {
                    out(p, "%s: no answer, given up", p->what);
                    p->inflight = 0;
                    continue;
                }
                p->tries++;
                p->retx_at = now + RETX_MS;
                tx(p, p->req, p->req_len);
            }
            if (p->retx_at < wake)
                wake = p->retx_at;
        }
        struct pollfd pfd[2] = {{S.fd[0], POLLIN, 0}, {S.fd[1], POLLIN, 0}};
        int n = poll(pfd, 2, (int)(wake - now));
        for (int s = 0; n > 0 && s < 2; s++)
            if (pfd[s].revents & POLLIN)
                on_datagram(s);
    }
    close(S.fd[0]);
    close(S.fd[1]);
    return 0;
}
