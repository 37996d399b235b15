/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-coap-demo: an example CoAP server on lib/coap and POSIX UDP.
 *
 * It shows how an application drives the portable core: this file owns
 * the socket, the clock and the files; lib/coap owns every byte on the
 * wire (codec, message layer, block-wise, observe, link-format).  It is
 * also the peer that the interop tests drive with libcoap's client.
 *
 * Resources:
 *   /.well-known/core   GET, link-format (RFC 6690)
 *   /big                GET, a file (--file) or 64 KiB of pattern, Block2
 *   /upload             PUT with Block1 into --upload (or memory); GET back
 *   /counter            GET and Observe (RFC 7641); ticks every --interval-ms
 *
 * One datagram at a time, one thread, poll() for the socket and the next
 * timer.  With credentials (--psk-file, or --cert/--key/--ca) it serves
 * coaps:// instead, through the DTLS server engine (dtls.c).
 * Diagnostics go to stderr; nothing secret passes through here.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bulwark/coap.h"
#include "bulwark/coap_block.h"
#include "bulwark/coap_endpoint.h"
#include "bulwark/coap_link.h"
#include "demo.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

uint64_t demo_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void demo_log(demo_t *d, const char *fmt, ...)
{
    if (d->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[%8.3f] ", (double)(demo_now_ms() - d->t0) / 1000.0);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void demo_transmit(demo_t *d, const bw_coap_peer_t *peer, const uint8_t *buf,
                   size_t len)
{
    if (d->dtls != NULL) {
        demo_dtls_transmit(d, peer, buf, len);
        return;
    }
    if (sendto(d->fd, buf, len, 0, (const struct sockaddr *)peer->addr,
               (socklen_t)peer->len) < 0)
        demo_log(d, "sendto: %s", strerror(errno));
}

/* Peer identity: the socket address bytes, unused parts zeroed. */
static void peer_from(bw_coap_peer_t *p, const struct sockaddr_storage *ss,
                      socklen_t len)
{
    memset(p, 0, sizeof *p);
    if (len > sizeof p->addr)
        len = sizeof p->addr;
    memcpy(p->addr, ss, len);
    p->len = (uint8_t)len;
}

static int open_socket(demo_t *d, const char *bind_addr, const char *port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_DGRAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res;
    int rc = getaddrinfo(bind_addr, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "bulwark-coap-demo: %s port %s: %s\n", bind_addr,
                port, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
        fprintf(stderr, "bulwark-coap-demo: bind %s:%s: %s\n", bind_addr, port,
                strerror(errno));
        freeaddrinfo(res);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    freeaddrinfo(res);
    d->fd = fd;
    return 0;
}

int demo_write_ready(demo_t *d, unsigned port)
{
    if (d->ready_path == NULL)
        return 0;
    /* Write then rename, so a reader never sees a half-written port. */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", d->ready_path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 ||
        rename(tmp, d->ready_path) != 0) {
        fprintf(stderr, "bulwark-coap-demo: %s: %s\n", d->ready_path,
                strerror(errno));
        return -1;
    }
    return 0;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char port[16];
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
        getnameinfo((struct sockaddr *)&ss, len, NULL, 0, port, sizeof port,
                    NI_NUMERICSERV) != 0)
        return -1;
    return atoi(port);
}

void demo_handle_datagram(demo_t *d, const bw_coap_peer_t *peer,
                          const uint8_t *buf, size_t len)
{
    bw_coap_endpoint_event_t ev;
    uint64_t now = demo_now_ms();
    if (bw_coap_endpoint_input(&d->ep, now, peer->addr, peer->len, buf, len,
                               &ev) != 0)
        return;
    if (ev.tx_len > 0)
        demo_transmit(d, &ev.peer, ev.tx, ev.tx_len);
    switch (ev.kind) {
    case BW_COAP_ENDPOINT_EV_REQUEST:
        demo_handle_request(d, &ev, now);
        break;
    case BW_COAP_ENDPOINT_EV_REJECTED:
        demo_log(d, "rejected datagram of %zu bytes: %s", len,
                 bw_strerror(ev.err));
        demo_observe_reset(d, peer, buf, len);
        break;
    case BW_COAP_ENDPOINT_EV_FAILED:
        demo_log(d, "message %u failed: %s", ev.mid, bw_strerror(ev.err));
        demo_observe_failed(d, &ev);
        break;
    default:
        break;
    }
}

uint64_t demo_run_timers(demo_t *d)
{
    bw_coap_endpoint_event_t ev;
    uint64_t now = demo_now_ms();
    while (bw_coap_endpoint_poll(&d->ep, now, &ev) == 1) {
        if (ev.tx_len > 0)
            demo_transmit(d, &ev.peer, ev.tx, ev.tx_len);
        if (ev.kind == BW_COAP_ENDPOINT_EV_FAILED) {
            demo_log(d, "message %u failed: %s", ev.mid, bw_strerror(ev.err));
            demo_observe_failed(d, &ev);
        }
    }
    if (now >= d->next_tick) {
        d->counter++;
        d->next_tick = now + d->interval_ms;
        demo_observe_notify(d, now);
    }
    uint64_t due = bw_coap_endpoint_next_timeout(&d->ep);
    return d->next_tick < due ? d->next_tick : due;
}

static int serve(demo_t *d)
{
    uint8_t buf[DEMO_MAX_DATAGRAM + 1];
    while (!stop_requested) {
        uint64_t now = demo_now_ms();
        uint64_t due = bw_coap_endpoint_next_timeout(&d->ep);
        if (d->next_tick < due)
            due = d->next_tick;
        int wait = due <= now ? 0 : (int)(due - now > 60000 ? 60000 : due - now);
        struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
        int n = poll(&pfd, 1, wait);
        if (n < 0 && errno != EINTR) {
            perror("poll");
            return 1;
        }
        if (n > 0 && (pfd.revents & POLLIN)) {
            struct sockaddr_storage ss;
            socklen_t slen = sizeof ss;
            memset(&ss, 0, sizeof ss);
            ssize_t got = recvfrom(d->fd, buf, sizeof buf, 0,
                                   (struct sockaddr *)&ss, &slen);
            if (got > (ssize_t)DEMO_MAX_DATAGRAM) {
                demo_log(d, "dropped a datagram longer than %d bytes",
                         DEMO_MAX_DATAGRAM);
            } else if (got >= 0) {
                bw_coap_peer_t peer;
                peer_from(&peer, &ss, slen);
                demo_handle_datagram(d, &peer, buf, (size_t)got);
            }
        }
        demo_run_timers(d);
    }
    return 0;
}

static void usage(FILE *to)
{
    fputs(
        "usage: bulwark-coap-demo [options]\n"
        "\n"
        "An example CoAP server built on Bulwark's lib/coap, for demos and\n"
        "interop tests.  Serves /.well-known/core, /big (Block2), /upload\n"
        "(Block1 PUT, GET back) and /counter (Observe).\n"
        "\n"
        "  -b, --bind ADDR        address to listen on (default 127.0.0.1)\n"
        "  -p, --port PORT        UDP port; 0 picks a free one (default 5683)\n"
        "  -f, --file PATH        serve this file as /big (default: 64 KiB\n"
        "                         of a fixed pattern)\n"
        "  -u, --upload PATH      write bodies PUT to /upload into this file\n"
        "                         (default: keep them in memory)\n"
        "  -i, --interval-ms N    /counter tick period (default 1000)\n"
        "  -r, --ready-file PATH  write the bound port here once listening\n"
        "\n"
        "coaps:// (DTLS 1.2; the default port becomes 5684):\n"
        "      --psk-file PATH    PSKs, one 'identity hex-key' per line\n"
        "      --cert PATH        server certificate chain (PEM); with --key\n"
        "      --key PATH         and --ca: certificate mode, client\n"
        "      --ca PATH          certificates must chain to --ca\n"
        "      --crl PATH         refuse client certificates revoked here\n"
        "      --state-file PATH  keep sessions across a restart (SIGTERM)\n"
        "      --handshakes-per-addr N   new handshakes per IP per second\n"
        "      --handshake-timeout-ms N  give up on a stalled handshake\n"
        "      --debug            also log every datagram dropped, and why\n"
        "  -q, --quiet            no log on stderr\n"
        "  -h, --help             this text\n",
        to);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"bind", required_argument, NULL, 'b'},
        {"port", required_argument, NULL, 'p'},
        {"file", required_argument, NULL, 'f'},
        {"upload", required_argument, NULL, 'u'},
        {"interval-ms", required_argument, NULL, 'i'},
        {"ready-file", required_argument, NULL, 'r'},
        {"psk-file", required_argument, NULL, 1},
        {"cert", required_argument, NULL, 2},
        {"key", required_argument, NULL, 3},
        {"ca", required_argument, NULL, 4},
        {"crl", required_argument, NULL, 5},
        {"state-file", required_argument, NULL, 6},
        {"handshakes-per-addr", required_argument, NULL, 7},
        {"handshake-timeout-ms", required_argument, NULL, 8},
        {"debug", no_argument, NULL, 9},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static demo_t d;
    const char *bind_addr = "127.0.0.1", *port = NULL, *file = NULL;
    demo_dtls_opts_t dopt = {0};
    const char *ready = NULL;
    int c;

    d.interval_ms = 1000;
    while ((c = getopt_long(argc, argv, "b:p:f:u:i:r:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'b': bind_addr = optarg; break;
        case 'p': port = optarg; break;
        case 'f': file = optarg; break;
        case 'u': d.upload_path = optarg; break;
        case 'r': ready = optarg; break;
        case 'q': d.quiet = 1; break;
        case 1: dopt.psk_file = optarg; break;
        case 2: dopt.cert = optarg; break;
        case 3: dopt.key = optarg; break;
        case 4: dopt.ca = optarg; break;
        case 5: dopt.crl = optarg; break;
        case 6: dopt.state_file = optarg; break;
        case 9: dopt.debug = 1; break;
        case 7:
        case 8: {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end != '\0' || v == 0 || v > 3600000) {
                fprintf(stderr, "bulwark-coap-demo: %s wants a positive number, got '%s'\n",
                        c == 7 ? "--handshakes-per-addr" : "--handshake-timeout-ms", optarg);
                return 2;
            }
            if (c == 7)
                dopt.handshakes_per_addr = (unsigned)v;
            else
                dopt.handshake_timeout_ms = (unsigned)v;
            break;
        }
        case 'i': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end != '\0' || v < 10 || v > 3600000) {
                fprintf(stderr, "bulwark-coap-demo: --interval-ms wants 10..3600000, got '%s'\n", optarg);
                return 2;
            }
            d.interval_ms = (uint64_t)v;
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "bulwark-coap-demo: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    int secure = dopt.psk_file != NULL || dopt.cert != NULL;
    if (port == NULL)
        port = secure ? "5684" : "5683";
    d.t0 = demo_now_ms();
    if (demo_resources_init(&d, file) != 0)
        return 1;
    demo_observe_init(&d);
    if (!secure && open_socket(&d, bind_addr, port) != 0)
        return 1;

    uint64_t seed = d.t0 ^ ((uint64_t)getpid() << 32);
    FILE *ur = fopen("/dev/urandom", "rb");
    if (ur != NULL) {
        if (fread(&seed, sizeof seed, 1, ur) != 1)
            seed ^= (uint64_t)time(NULL);
        fclose(ur);
    }
    int err = bw_coap_endpoint_init(&d.ep, NULL, seed, d.arena, sizeof d.arena,
                                    DEMO_MAX_DATAGRAM);
    if (err != 0) {
        fprintf(stderr, "bulwark-coap-demo: endpoint: %s\n", bw_strerror(err));
        return 1;
    }

    if (secure) {
        char *end;
        unsigned long p = strtoul(port, &end, 10);
        if (*end != '\0' || p > 65535) {
            fprintf(stderr, "bulwark-coap-demo: bad port '%s'\n", port);
            return 2;
        }
        dopt.bind_addr = bind_addr;
        dopt.port = (uint16_t)p;
        d.ready_path = ready;
        d.next_tick = demo_now_ms() + d.interval_ms;
        int rc = demo_dtls_serve(&d, &dopt);
        demo_resources_free(&d);
        return rc;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int bound = bound_port(d.fd);
    demo_log(&d, "listening on %s:%d", bind_addr, bound);
    d.ready_path = ready;
    if (demo_write_ready(&d, (unsigned)bound) != 0)
        return 1;
    d.next_tick = demo_now_ms() + d.interval_ms;
    int rc = serve(&d);
    demo_log(&d, "stopping");
    demo_resources_free(&d);
    close(d.fd);
    return rc;
}
