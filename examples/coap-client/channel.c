/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The channel: a connected UDP socket from the POSIX port
 * (device/port/posix/posix_udp.h) and the transport on it, plain UDP for
 * coap:// or the device's DTLS client (device/dtls/dtls_client.h) for
 * coaps://.  The rest of the program sees only bw_transport_t and the
 * socket to poll(2) on.
 *
 * Credentials come from creds.c and are gone from this process's own
 * buffers once bw_dtls_client_init() has returned; what mbedTLS holds is
 * wiped by bw_dtls_client_free().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ssl.h>

#include "client.h"
#include "creds.h"
#include "dtls_client.h"
#include "posix_err.h"
#include "posix_udp.h"

typedef struct {
    int secure;
    int verbose;
    uint64_t t_connect; /* when connect() was called, for -v */
    bw_posix_udp_t udp;
    bw_posix_plain_t plain;
    cli_creds_t creds;
    bw_dtls_client_t dtls; /* must not move once initialised: heap */
} chan_t;

static const char *init_error(int err, int cert_mode)
{
    switch (err) {
    case BW_ENOTFOUND:
        return cert_mode ? "missing from the key store (device/cert.der, "
                           "device/key.der, ca/cert.der)"
                         : "missing from the key store (dm/psk-identity, "
                           "dm/psk)";
    case BW_EOVERFLOW:
        return "an item is empty or too long";
    case BW_EMALFORMED:
        return "a certificate or key does not parse (DER, EC key)";
    case BW_EIO:
        return "the key store could not be read";
    default:
        return bw_strerror(err);
    }
}

/*
 * Largest handshake retransmission interval that lets the DTLS client
 * give up on its own within the overall timeout.  Its timer starts at
 * BW_DTLS_HS_TIMEOUT_MIN_MS and doubles until it passes the maximum, so
 * with maximum M it waits in all 2M - min.  Giving up inside the client
 * matters: it then knows why (silence after our Finished in PSK mode
 * means the server does not share our key, BW_EAUTH), where a deadline
 * of our own could only say "timed out".
 */
static uint32_t hs_timeout_max(uint32_t overall_ms)
{
    uint32_t lo = BW_DTLS_HS_TIMEOUT_MIN_MS, max = lo;
    while (max * 2 <= BW_DTLS_HS_TIMEOUT_MAX_MS && 4 * max - lo < overall_ms)
        max *= 2;
    return max;
}

static int open_dtls(chan_t *c, const cli_uri_t *uri, const cli_security_t *sec,
                     char *err, size_t cap)
{
    bw_dtls_client_config_t cfg = {
        .mode = sec->cert_mode ? BW_DTLS_MODE_CERT : BW_DTLS_MODE_PSK,
        .server = BW_DTLS_SERVER_DM,
        /* The name the certificate must carry: the URI's host unless
         * told otherwise (an IP address rarely is in a certificate). */
        .server_name = sec->server_name ? sec->server_name : uri->host,
        .hs_timeout_max_ms = hs_timeout_max(sec->timeout_ms),
    };
    bw_dtls_entropy_t rng = {bw_posix_entropy, NULL};

    if (!sec->cert_mode && sec->server_name == NULL)
        cfg.server_name = NULL; /* PSK: no SNI unless asked for */
    if (cli_creds_init(&c->creds, sec, err, cap) != 0)
        return -1;
    int e = bw_dtls_client_init(&c->dtls, &cfg, bw_posix_udp_dgram(&c->udp),
                                cli_creds_keystore(&c->creds), rng);
    cli_creds_wipe(&c->creds); /* mbedTLS has its own copy now */
    if (e != 0)
        return bw_posix_errf(err, cap, "credentials: %s",
                             init_error(e, sec->cert_mode));
    return 0;
}

int cli_channel_open(cli_channel_t *ch, const cli_uri_t *uri,
                     const cli_security_t *sec, char *err, size_t cap)
{
    memset(ch, 0, sizeof *ch);
    chan_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return bw_posix_errf(err, cap, "out of memory");
    c->udp.fd = -1;
    c->secure = uri->secure;
    c->verbose = sec->verbose;
    int e = bw_posix_udp_open(&c->udp, uri->host, uri->port);
    if (e != 0) {
        free(c);
        return bw_posix_errf(err, cap, "%s port %s: %s", uri->host, uri->port,
                             e == BW_ENOTFOUND ? "name does not resolve"
                                               : bw_strerror(e));
    }
    if (c->secure) {
        if (open_dtls(c, uri, sec, err, cap) != 0) {
            bw_dtls_client_free(&c->dtls);
            bw_posix_udp_close(&c->udp);
            free(c);
            return -1;
        }
        ch->t = bw_dtls_client_transport(&c->dtls);
    } else {
        ch->t = bw_posix_plain_init(&c->plain, bw_posix_udp_dgram(&c->udp));
    }
    ch->fd = bw_posix_udp_fd(&c->udp);
    ch->impl = c;
    if (c->verbose)
        fprintf(stderr, "%s: %s to %s port %s%s\n", CLI_NAME,
                c->secure ? "DTLS 1.2" : "plain UDP", uri->host, uri->port,
                !c->secure       ? ""
                : sec->cert_mode ? ", certificate mode"
                                 : ", PSK mode");
    return 0;
}

void cli_channel_free(cli_channel_t *ch)
{
    chan_t *c = ch->impl;
    if (c == NULL)
        return;
    bw_transport_close(ch->t);
    if (c->secure)
        bw_dtls_client_free(&c->dtls);
    bw_posix_udp_close(&c->udp);
    free(c);
    memset(ch, 0, sizeof *ch);
}

int cli_channel_resumed(const cli_channel_t *ch)
{
    const chan_t *c = ch->impl;
    return c->secure ? bw_dtls_client_resumed(&c->dtls) : -1;
}

void cli_channel_log(const cli_channel_t *ch)
{
    const chan_t *c = ch->impl;
    if (!c->verbose || !c->secure)
        return;
    uint16_t suite = bw_dtls_client_suite(&c->dtls);
    const char *name = mbedtls_ssl_get_ciphersuite_name(suite);
    fprintf(stderr, "%s: handshake complete (%s), cipher suite 0x%04X %s\n",
            CLI_NAME,
            bw_dtls_client_resumed(&c->dtls) ? "session resumed"
                                             : "full handshake",
            suite, name ? name : "");
}

void cli_channel_describe(const cli_channel_t *ch, int err, char *out,
                          size_t cap)
{
    const chan_t *c = ch->impl;
    const char *detail = c->secure ? bw_dtls_client_reason(&c->dtls) : "";
    const char *what;
    switch (err) {
    case BW_EAUTH:
        what = "authentication failed";
        break;
    case BW_ECERT:
        what = "certificate rejected";
        break;
    case BW_ETIMEOUT:
        what = "timed out";
        break;
    case BW_ECLOSED:
        what = "closed by the server";
        break;
    case BW_ENET:
        what = "network error";
        break;
    default:
        what = bw_strerror(err);
        break;
    }
    snprintf(out, cap, "%s%s%s%s",
             c->secure ? "handshake failed: " : "connect failed: ", what,
             *detail ? ": " : "", detail);
}
