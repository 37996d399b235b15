/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One request, block by block, over a connected transport.
 *
 * lib/coap does the protocol: the endpoint (coap_endpoint.h) gives each
 * CON its message ID, retransmits it and matches the response by token;
 * the Block2 client (GET) and Block1 client (PUT/POST of a body larger
 * than one block) decide what the next request asks for.  This file only
 * moves datagrams between them and the transport, and waits.
 *
 * Waiting is poll(2) on the channel's socket with a timeout that is the
 * earliest of: the endpoint's next retransmission, the transport's next
 * timer (DTLS retransmission of a handshake flight, for instance) and the
 * overall deadline.  Nothing busy-waits: without news or a due timer the
 * process sleeps in poll().
 *
 * The transport carries one peer, so the endpoint sees one constant peer
 * identity.
 *
 *   phase  request carries               ends when
 *   -----  ----------------------------  -------------------------------
 *   GET    Block2 (asks block n)         the last block, or a non-2.xx
 *   BLOCK1 Block1 + one block of body    the final response to the last
 *                                        block, or a non-2.xx
 *   PLAIN  the whole body (if any)       the response
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>

#include "bulwark/coap_block.h"
#include "bulwark/coap_endpoint.h"
#include "client.h"
#include "posix_err.h"

/*
 * Longest datagram sent or received.  A 1024-byte block with its header,
 * token and options stays below 1152 (RFC 7252 section 4.6); a larger
 * datagram from the server is dropped by the transport (BW_ENOSPC).
 */
#define MAX_DATAGRAM 1280

/* Token length of our requests: 8 bytes, so a token cannot be guessed. */
#define TOKEN_LEN 8

/* Longest single wait in poll(2); a bound, not a tick: nothing polls. */
#define MAX_WAIT_MS 60000

enum { PH_GET, PH_BLOCK1, PH_PLAIN };

static const uint8_t the_peer = 1;

typedef struct {
    const cli_channel_t *ch;
    const cli_request_t *req;
    cli_result_t *res;
    uint64_t deadline;
    int phase;
    int done;     /* the final response arrived */
    int answered; /* the request in flight got its response */
    bw_coap_block2_client_t b2;
    bw_coap_block1_client_t b1;
    bw_coap_endpoint_t ep;
    uint8_t arena[BW_COAP_ENDPOINT_ARENA_LEN(MAX_DATAGRAM)];
    uint8_t tx[MAX_DATAGRAM];
    uint8_t rx[MAX_DATAGRAM];
    uint8_t scratch[BW_COAP_BLOCK_MAX_SIZE];
    uint32_t requests; /* sent so far, for -v */
} run_t;

static const char *method_name(uint8_t code)
{
    switch (code) {
    case BW_COAP_GET:
        return "GET";
    case BW_COAP_POST:
        return "POST";
    case BW_COAP_PUT:
        return "PUT";
    case BW_COAP_DELETE:
        return "DELETE";
    default:
        return "?";
    }
}

void cli_code_name(uint8_t code, char *out, size_t cap)
{
    static const struct {
        uint8_t code;
        const char *text;
    } names[] = {
        {BW_COAP_CREATED, "Created"},
        {BW_COAP_DELETED, "Deleted"},
        {BW_COAP_VALID, "Valid"},
        {BW_COAP_CHANGED, "Changed"},
        {BW_COAP_CONTENT, "Content"},
        {BW_COAP_CONTINUE, "Continue"},
        {BW_COAP_BAD_REQUEST, "Bad Request"},
        {BW_COAP_UNAUTHORIZED, "Unauthorized"},
        {BW_COAP_BAD_OPTION, "Bad Option"},
        {BW_COAP_FORBIDDEN, "Forbidden"},
        {BW_COAP_NOT_FOUND, "Not Found"},
        {BW_COAP_METHOD_NOT_ALLOWED, "Method Not Allowed"},
        {BW_COAP_NOT_ACCEPTABLE, "Not Acceptable"},
        {BW_COAP_REQUEST_INCOMPLETE, "Request Entity Incomplete"},
        {BW_COAP_PRECONDITION_FAILED, "Precondition Failed"},
        {BW_COAP_REQUEST_TOO_LARGE, "Request Entity Too Large"},
        {BW_COAP_UNSUPPORTED_FORMAT, "Unsupported Content-Format"},
        {BW_COAP_INTERNAL_ERROR, "Internal Server Error"},
        {BW_COAP_NOT_IMPLEMENTED, "Not Implemented"},
        {BW_COAP_SERVICE_UNAVAILABLE, "Service Unavailable"},
    };
    const char *text = "";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == code)
            text = names[i].text;
    snprintf(out, cap, "%u.%02u%s%s", BW_COAP_CODE_CLASS(code),
             BW_COAP_CODE_DETAIL(code), *text ? " " : "", text);
}

/* Stop the run with err and a one-line reason. */
__attribute__((format(printf, 3, 4))) static int fail(run_t *r, int err,
                                                      const char *fmt, ...)
{
    if (r->res->err != 0)
        return r->res->err; /* the first failure is the one reported */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->res->reason, sizeof r->res->reason, fmt, ap);
    va_end(ap);
    r->res->err = err;
    return err;
}

/* Block1 source over the in-memory body. */
static int body_read(void *arg, uint32_t offset, uint8_t *buf, size_t len,
                     size_t *got, int *more)
{
    const cli_body_t *b = arg;
    if (offset > b->len)
        return -1;
    size_t n = b->len - offset < len ? b->len - offset : len;
    memcpy(buf, b->data + offset, n);
    *got = n;
    *more = offset + n < b->len;
    return 0;
}

static uint32_t now32(uint64_t now)
{
    return (uint32_t)now; /* cli_now_ms() starts at 0 with the process */
}

static int transmit(run_t *r, const uint8_t *buf, size_t len, uint64_t now)
{
    int err = bw_transport_send(r->ch->t, buf, len, now32(now));
    if (err == BW_EAGAIN)
        return 0; /* dropped; the endpoint retransmits */
    if (err != 0)
        return fail(r, err, "send: %s", bw_strerror(err));
    return 0;
}

/* Build the next request of the run into r->tx. */
static int build(run_t *r, size_t *len)
{
    const cli_request_t *q = r->req;
    uint8_t token[TOKEN_LEN];
    bw_coap_writer_t w;
    int err;

    bw_coap_endpoint_token(&r->ep, token, sizeof token);
    bw_coap_writer_init(&w, r->tx, sizeof r->tx, BW_COAP_CON, q->method, 0,
                        token, sizeof token);
    for (unsigned i = 0; i < q->uri->npath; i++)
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH,
                               q->uri->buf + q->uri->path[i].off,
                               q->uri->path[i].len);
    for (unsigned i = 0; i < q->uri->nquery; i++)
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY,
                               q->uri->buf + q->uri->query[i].off,
                               q->uri->query[i].len);
    switch (r->phase) {
    case PH_GET:
        err = bw_coap_block2_client_request(&r->b2, &w);
        if (err != 0)
            return fail(r, err, "block-wise GET: %s", bw_strerror(err));
        break;
    case PH_BLOCK1:
        err = bw_coap_block1_client_request(&r->b1, &w, r->scratch,
                                            BW_COAP_BLOCK_SIZE(q->szx));
        if (err != 0)
            return fail(r, err, "block-wise upload: %s", bw_strerror(err));
        break;
    default:
        if (q->body != NULL)
            bw_coap_writer_payload(&w, q->body->data, q->body->len);
        break;
    }
    err = bw_coap_writer_finish(&w, len);
    if (err != 0)
        return fail(r, err, "building the request: %s", bw_strerror(err));
    return 0;
}

static int send_request(run_t *r)
{
    size_t len;
    uint64_t now = cli_now_ms();
    if (build(r, &len) != 0)
        return r->res->err;
    int err =
        bw_coap_endpoint_send(&r->ep, now, &the_peer, 1, r->tx, len, NULL);
    if (err != 0)
        return fail(r, err, "queueing the request: %s", bw_strerror(err));
    r->answered = 0;
    r->requests++;
    return transmit(r, r->tx, len, now);
}

/* Copy a 4.xx/5.xx diagnostic payload for the report, printable only. */
static void keep_diag(run_t *r, const bw_coap_msg_t *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->payload_len && n + 1 < sizeof r->res->diag; i++) {
        uint8_t c = m->payload[i];
        r->res->diag[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
    }
    r->res->diag[n] = '\0';
}

static void finish(run_t *r, const bw_coap_msg_t *m)
{
    r->done = 1;
    r->res->code = m->code;
    if (BW_COAP_CODE_CLASS(m->code) != 2) {
        keep_diag(r, m);
        return;
    }
    /* GET bodies went to the sink block by block; others' come here. */
    if (r->phase != PH_GET && m->payload_len > 0 &&
        cli_sink_write(r->req->sink, (uint32_t)r->req->sink->written,
                       m->payload, m->payload_len) != 0)
        fail(r, BW_EIO, "writing the response body failed");
}

static void on_response(run_t *r, const bw_coap_msg_t *m)
{
    static const uint16_t known[] = {BW_COAP_OPT_BLOCK2, BW_COAP_OPT_BLOCK1};
    uint16_t bad = 0;
    int done = 1, err = 0;

    r->answered = 1;
    if (r->req->verbose) {
        char name[48];
        cli_code_name(m->code, name, sizeof name);
        fprintf(stderr, "%s: response %s, %zu bytes\n", CLI_NAME, name,
                m->payload_len);
    }
    if (bw_coap_check_critical(m, known, 2, &bad) != 0) {
        fail(r, BW_ECRITICAL, "response with unknown critical option %u", bad);
        return;
    }
    if (r->phase == PH_GET) {
        err = bw_coap_block2_client_response(&r->b2, m, &done);
        if (err == BW_ESTALE)
            return; /* the same block again: ask for the next one again */
        if (err == BW_EABORTED && r->req->sink->failed) {
            fail(r, BW_EIO, "writing the response body failed");
            return;
        }
        if (err != 0) {
            fail(r, err, "block-wise GET: %s", bw_strerror(err));
            return;
        }
    } else if (r->phase == PH_BLOCK1) {
        err = bw_coap_block1_client_response(&r->b1, m, &done);
        if (err != 0) {
            char name[48];
            cli_code_name(m->code, name, sizeof name);
            fail(r, err, "block-wise upload (response %s): %s", name,
                 bw_strerror(err));
            return;
        }
    }
    if (done)
        finish(r, m);
}

/* Feed one received datagram to the endpoint and act on the event. */
static void on_datagram(run_t *r, size_t len, uint64_t now)
{
    bw_coap_endpoint_event_t ev;
    const uint8_t *tx;
    size_t tx_len;

    if (bw_coap_endpoint_input(&r->ep, now, &the_peer, 1, r->rx, len, &ev) != 0)
        return;
    if (ev.tx_len > 0 && transmit(r, ev.tx, ev.tx_len, now) != 0)
        return;
    switch (ev.kind) {
    case BW_COAP_ENDPOINT_EV_RESPONSE:
        on_response(r, &ev.msg);
        break;
    case BW_COAP_ENDPOINT_EV_FAILED:
        fail(r, ev.err, "request failed: %s", bw_strerror(ev.err));
        break;
    case BW_COAP_ENDPOINT_EV_REQUEST:
    case BW_COAP_ENDPOINT_EV_UNMATCHED:
        /* A client serves nothing and observes nothing: refuse. */
        if (bw_coap_endpoint_reject(&r->ep, now, &ev, &tx, &tx_len) == 0 &&
            tx_len > 0)
            transmit(r, tx, tx_len, now);
        break;
    case BW_COAP_ENDPOINT_EV_REJECTED:
        if (r->req->verbose)
            fprintf(stderr, "%s: dropped a datagram: %s\n", CLI_NAME,
                    bw_strerror(ev.err));
        break;
    default:
        break;
    }
}

/* Drain the transport, then run the endpoint's timers. */
static void pump(run_t *r)
{
    uint64_t now = cli_now_ms();
    uint32_t next;
    int err = bw_transport_poll(r->ch->t, now32(now), &next);
    if (err != 0 && err != BW_EAGAIN) {
        fail(r, err, "channel failed: %s", bw_strerror(err));
        return;
    }
    while (r->res->err == 0 && !r->answered) {
        size_t n = 0;
        err = bw_transport_recv(r->ch->t, r->rx, sizeof r->rx, &n, now32(now));
        if (err == BW_EAGAIN)
            break;
        if (err == BW_ENOSPC)
            continue; /* oversized, dropped by the transport */
        if (err != 0) {
            fail(r, err, "channel failed: %s", bw_strerror(err));
            return;
        }
        on_datagram(r, n, now);
    }
    bw_coap_endpoint_event_t ev;
    while (r->res->err == 0 && bw_coap_endpoint_poll(&r->ep, now, &ev) == 1) {
        if (ev.tx_len > 0)
            transmit(r, ev.tx, ev.tx_len, now);
        if (ev.kind == BW_COAP_ENDPOINT_EV_RETRANSMIT && r->req->verbose)
            fprintf(stderr, "%s: retransmitting message %u\n", CLI_NAME,
                    ev.mid);
        if (ev.kind == BW_COAP_ENDPOINT_EV_FAILED)
            fail(r, ev.err, "no response: %s", bw_strerror(ev.err));
    }
}

/*
 * Sleep in poll(2) until the socket is readable or the earliest deadline
 * of (endpoint, transport, overall) passes.
 */
static int wait_io(int fd, uint64_t due, uint64_t deadline)
{
    if (deadline < due)
        due = deadline;
    uint64_t now = cli_now_ms();
    int wait = due <= now
                   ? 0
                   : (int)(due - now > MAX_WAIT_MS ? MAX_WAIT_MS : due - now);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, wait) < 0 && errno != EINTR)
        return BW_ENET;
    return 0;
}

static uint64_t transport_due(const cli_channel_t *ch)
{
    uint32_t next = BW_TRANSPORT_NEVER;
    /* poll() is cheap and idempotent: it reports the next timer. */
    int err = bw_transport_poll(ch->t, now32(cli_now_ms()), &next);
    if (err != 0 && err != BW_EAGAIN)
        return 0; /* a failure: come back at once to report it */
    return next == BW_TRANSPORT_NEVER ? UINT64_MAX : (uint64_t)next;
}

int cli_channel_connect(const cli_channel_t *ch, uint64_t deadline_ms)
{
    int err = bw_transport_connect(ch->t, now32(cli_now_ms()));
    while (err == BW_EAGAIN) {
        uint32_t next = BW_TRANSPORT_NEVER;
        err = bw_transport_poll(ch->t, now32(cli_now_ms()), &next);
        if (err != BW_EAGAIN)
            break;
        if (cli_now_ms() >= deadline_ms)
            return BW_ETIMEOUT;
        uint64_t due = next == BW_TRANSPORT_NEVER ? UINT64_MAX : next;
        if (wait_io(ch->fd, due, deadline_ms) != 0)
            return BW_ENET;
    }
    return err;
}

int cli_exchange_run(const cli_channel_t *ch, const cli_request_t *req,
                     uint64_t seed, uint64_t deadline_ms, cli_result_t *res)
{
    static run_t r; /* ~20 KiB of buffers: off the stack */
    int err;

    memset(&r, 0, sizeof r);
    memset(res, 0, sizeof *res);
    r.ch = ch;
    r.req = req;
    r.res = res;
    r.deadline = deadline_ms;
    err = bw_coap_endpoint_init(&r.ep, NULL, seed, r.arena, sizeof r.arena,
                                MAX_DATAGRAM);
    if (err != 0)
        return fail(&r, err, "endpoint: %s", bw_strerror(err));

    size_t block = BW_COAP_BLOCK_SIZE(req->szx);
    if (req->method == BW_COAP_GET) {
        r.phase = PH_GET;
        err = bw_coap_block2_client_init(&r.b2, req->szx, 0, cli_sink_write,
                                         req->sink);
    } else if (req->body != NULL && req->body->len > block) {
        r.phase = PH_BLOCK1;
        err = bw_coap_block1_client_init(&r.b1, req->szx,
                                         (uint32_t)req->body->len, body_read,
                                         (void *)(uintptr_t)req->body);
    } else {
        r.phase = PH_PLAIN;
    }
    if (err != 0)
        return fail(&r, err, "block-wise setup: %s", bw_strerror(err));
    if (req->verbose)
        fprintf(stderr, "%s: %s%s\n", CLI_NAME, method_name(req->method),
                r.phase == PH_BLOCK1 ? " (Block1)" : "");

    while (res->err == 0 && !r.done) {
        if (send_request(&r) != 0)
            break;
        while (res->err == 0 && !r.answered) {
            if (cli_now_ms() >= r.deadline) {
                fail(&r, BW_ETIMEOUT, "timed out waiting for the response");
                break;
            }
            uint64_t due = bw_coap_endpoint_next_timeout(&r.ep);
            uint64_t tdue = transport_due(ch);
            if (tdue < due)
                due = tdue;
            if (wait_io(ch->fd, due, r.deadline) != 0) {
                fail(&r, BW_ENET, "poll: %s", strerror(errno));
                break;
            }
            pump(&r);
        }
    }
    if (req->verbose && res->err == 0)
        fprintf(stderr, "%s: %u request(s)\n", CLI_NAME, r.requests);
    return res->err;
}
