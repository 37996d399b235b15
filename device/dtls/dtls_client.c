/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DTLS client's life cycle and its bw_transport_t operations: set-up
 * of the mbedTLS configuration, the datagram and timer callbacks mbedTLS
 * drives, the state machine drawn in dtls_client.h, and session
 * resumption.  Credentials are loaded by dtls_client_creds.c; failures
 * are classified by dtls_client_error.c.
 *
 * Time: mbedTLS asks for its handshake timer through timer_set() and
 * timer_get(); both read client->now_ms, which every entry point sets
 * from the caller's now_ms before calling into mbedTLS.  So the
 * retransmission schedule (RFC 6347 section 4.2.4: min, doubling, give
 * up past max) runs on the caller's clock and a test can run a minute of
 * it in a millisecond.
 *
 * Datagrams: bio_send() and bio_recv() adapt the bw_dgram_t to mbedTLS's
 * non-blocking callbacks.  A datagram the network layer could not take
 * (BW_EAGAIN) counts as sent and lost: DTLS retransmits handshake flights
 * and the layer above retransmits application data.  On the way through
 * they note, for error classification only, plaintext alerts from the
 * server and whether our encrypted Finished has left (dtls_scan.h).
 */
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl_ciphersuites.h>

#include "dtls_client_int.h"
#include "dtls_scan.h"

/* Suites in order of preference.  CCM_8 first: it is what LwM2M 1.x
 * requires every client and server to support (LwM2M TS, Security). */
static const int psk_suites[] = {
    MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8,
    MBEDTLS_TLS_PSK_WITH_AES_128_GCM_SHA256,
    0,
};

static const int cert_suites[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    0,
};

/* CTR_DRBG personalisation: separates this DRBG's stream from any other
 * seeded from the same source. */
static const unsigned char drbg_pers[] = "bulwark dtls client";

/* Datagrams longer than mbedTLS's receive buffer are dropped by the port;
 * this many are skipped in one call before giving up until the next. */
#define RECV_SKIP_MAX 4

static void set_state(bw_dtls_client_t *c, int state)
{
    c->state = state;
    if (state != BW_DEVDTLS_HANDSHAKE)
        c->timer_fin_ms = 0; /* no handshake timer outside a handshake */
}

static int fail(bw_dtls_client_t *c, int err)
{
    c->err = err;
    set_state(c, BW_DEVDTLS_FAILED);
    return err;
}

/* --- callbacks given to mbedTLS --- */

static int drbg_entropy(void *ctx, unsigned char *buf, size_t len)
{
    bw_dtls_client_t *c = ctx;
    return c->entropy.fill(c->entropy.ctx, buf, len) == 0
               ? 0
               : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    bw_dtls_client_t *c = ctx;
    int rc;

    if (bw_devdtls__scan_encrypted_hs(buf, len))
        c->sent_encrypted_hs = 1;
    rc = c->dgram.ops->send(c->dgram.ctx, buf, len);
    if (rc == 0 || rc == BW_EAGAIN)
        return (int)len;
    c->io_err = BW_ENET;
    return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t cap)
{
    bw_dtls_client_t *c = ctx;
    int i;

    for (i = 0; i < RECV_SKIP_MAX; i++) {
        size_t n = 0;
        int rc = c->dgram.ops->recv(c->dgram.ctx, buf, cap, &n);
        if (rc == BW_ENOSPC)
            continue; /* too long for any record we accept: dropped */
        if (rc == BW_EAGAIN)
            return MBEDTLS_ERR_SSL_WANT_READ;
        if (rc != 0 || n > cap) {
            c->io_err = BW_ENET;
            return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
        }
        if (c->state == BW_DEVDTLS_HANDSHAKE) {
            int alert = bw_devdtls__scan_alert(buf, n);
            if (alert >= 0)
                c->peer_alert = alert;
        }
        return (int)n;
    }
    return MBEDTLS_ERR_SSL_WANT_READ;
}

/*
 * mbedTLS's timer: fin_ms == 0 cancels; otherwise both delays count from
 * now.  Arithmetic is modulo 2^32 so a clock that wraps still works.
 */
static void timer_set(void *ctx, uint32_t int_ms, uint32_t fin_ms)
{
    bw_dtls_client_t *c = ctx;
    c->timer_start_ms = c->now_ms;
    c->timer_int_ms = int_ms;
    c->timer_fin_ms = fin_ms;
}

/* -1: cancelled; 0: running; 1: intermediate delay passed; 2: final. */
static int timer_get(void *ctx)
{
    const bw_dtls_client_t *c = ctx;
    uint32_t elapsed;

    if (c->timer_fin_ms == 0)
        return -1;
    elapsed = c->now_ms - c->timer_start_ms;
    if (elapsed >= c->timer_fin_ms)
        return 2;
    if (elapsed >= c->timer_int_ms)
        return 1;
    return 0;
}

/* --- handshake --- */

static int equal_ct(const unsigned char *a, const unsigned char *b, size_t len)
{
    unsigned char diff = 0;
    size_t i;

    for (i = 0; i < len; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

/*
 * The handshake finished: keep its session for the next connect() and
 * find out whether it resumed the one we offered.  A resumed session
 * carries the offered master secret over; a full handshake derives a new
 * one from fresh randoms, so comparing the two is exact.
 */
static void keep_session(bw_dtls_client_t *c)
{
    mbedtls_ssl_session s;

    mbedtls_ssl_session_init(&s);
    c->resumed = 0;
    if (mbedtls_ssl_get_session(&c->ssl, &s) != 0) {
        /* Out of memory: no resumption next time, nothing else lost. */
        mbedtls_ssl_session_free(&s);
        mbedtls_ssl_session_free(&c->saved);
        mbedtls_ssl_session_init(&c->saved);
        c->have_saved = 0;
        return;
    }
    if (c->have_saved)
        c->resumed = equal_ct(BW_DEVDTLS_SESSION_MASTER(&s),
                              BW_DEVDTLS_SESSION_MASTER(&c->saved),
                              sizeof BW_DEVDTLS_SESSION_MASTER(&s));
    mbedtls_ssl_session_free(&c->saved);
    c->saved = s; /* ownership of s's allocations moves to c->saved */
    mbedtls_platform_zeroize(&s, sizeof s);
    c->have_saved = 1;
}

static int drive_handshake(bw_dtls_client_t *c)
{
    /* mbedTLS restarts its retransmission timer whenever the server
     * retransmits, so a server that keeps resending its flight while it
     * drops our Finished (a wrong PSK) would hold the handshake open
     * forever.  The whole handshake has a deadline of its own; reaching
     * it counts as mbedTLS's timeout (see dtls_client_error.c, rule 5). */
    if (c->now_ms - c->hs_start_ms >= c->hs_limit_ms)
        return fail(c, bw_devdtls__map_error(c, MBEDTLS_ERR_SSL_TIMEOUT, 1));
    int ret = mbedtls_ssl_handshake(&c->ssl);

    if (ret == 0) {
        keep_session(c);
        set_state(c, BW_DEVDTLS_CONNECTED);
        return 0;
    }
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
        return c->io_err != 0 ? fail(c, c->io_err) : BW_EAGAIN;
    return fail(c, bw_devdtls__map_error(c, ret, 1));
}

/* Leave the current connection: close_notify if it is up. */
static void end_connection(bw_dtls_client_t *c)
{
    if (c->state == BW_DEVDTLS_CONNECTED)
        (void)mbedtls_ssl_close_notify(&c->ssl); /* best effort */
    set_state(c, BW_DEVDTLS_IDLE);
}

/* --- transport operations --- */

static int op_connect(bw_transport_t *t, uint32_t now_ms)
{
    bw_dtls_client_t *c = (bw_dtls_client_t *)t;
    int ret;

    if (c->mode == 0)
        return BW_ESTATE; /* init failed, or the client was freed */
    c->now_ms = now_ms;
    end_connection(c);
    c->err = 0;
    c->io_err = 0;
    c->resumed = 0;
    c->peer_alert = -1;
    c->sent_encrypted_hs = 0;
    c->hs_start_ms = now_ms;
    c->reason[0] = '\0';

    ret = mbedtls_ssl_session_reset(&c->ssl);
    if (ret != 0)
        return fail(c, bw_devdtls__map_error(c, ret, 1));
    /* A session mbedTLS will not take (e.g. out of memory) just means a
     * full handshake. */
    if (c->have_saved)
        (void)mbedtls_ssl_set_session(&c->ssl, &c->saved);
    set_state(c, BW_DEVDTLS_HANDSHAKE);
    return drive_handshake(c);
}

static int op_poll(bw_transport_t *t, uint32_t now_ms, uint32_t *next_ms)
{
    bw_dtls_client_t *c = (bw_dtls_client_t *)t;
    int rc;

    c->now_ms = now_ms;
    if (next_ms != NULL)
        *next_ms = BW_TRANSPORT_NEVER;
    switch (c->state) {
    case BW_DEVDTLS_HANDSHAKE:
        rc = drive_handshake(c);
        break;
    case BW_DEVDTLS_CONNECTED:
        return 0;
    case BW_DEVDTLS_FAILED:
        return c->err;
    default:
        return BW_ESTATE;
    }
    if (rc == BW_EAGAIN && next_ms != NULL) {
        uint32_t deadline = c->hs_start_ms + c->hs_limit_ms;
        *next_ms = deadline;
        if (c->timer_fin_ms != 0 &&
            c->timer_fin_ms < c->hs_start_ms + c->hs_limit_ms - c->timer_start_ms)
            *next_ms = c->timer_start_ms + c->timer_fin_ms;
    }
    return rc;
}

static int op_send(bw_transport_t *t, const uint8_t *buf, size_t len,
                   uint32_t now_ms)
{
    bw_dtls_client_t *c = (bw_dtls_client_t *)t;
    int max;
    int ret;

    c->now_ms = now_ms;
    if (c->state == BW_DEVDTLS_FAILED)
        return c->err;
    if (c->state != BW_DEVDTLS_CONNECTED)
        return BW_ESTATE;
    if (buf == NULL && len > 0)
        return BW_EINVAL;
    max = mbedtls_ssl_get_max_out_record_payload(&c->ssl);
    if (max < 0 || len > (size_t)max)
        return BW_EINVAL;
    ret = mbedtls_ssl_write(&c->ssl, buf, len);
    if (ret >= 0 || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
        return c->io_err != 0 ? fail(c, c->io_err) : 0;
    return fail(c, bw_devdtls__map_error(c, ret, 0));
}

/* The rest of a record longer than the caller's buffer: read and drop. */
static void drop_rest(bw_dtls_client_t *c)
{
    unsigned char scratch[64];

    while (mbedtls_ssl_get_bytes_avail(&c->ssl) > 0) {
        if (mbedtls_ssl_read(&c->ssl, scratch, sizeof scratch) <= 0)
            break;
    }
    mbedtls_platform_zeroize(scratch, sizeof scratch);
}

static int op_recv(bw_transport_t *t, uint8_t *buf, size_t cap, size_t *len,
                   uint32_t now_ms)
{
    bw_dtls_client_t *c = (bw_dtls_client_t *)t;
    int ret;

    c->now_ms = now_ms;
    if (len != NULL)
        *len = 0;
    if (len == NULL || (buf == NULL && cap > 0))
        return BW_EINVAL;
    switch (c->state) {
    case BW_DEVDTLS_CONNECTED:
        break;
    case BW_DEVDTLS_HANDSHAKE:
        return BW_EAGAIN;
    case BW_DEVDTLS_FAILED:
        return c->err;
    default:
        return BW_ESTATE;
    }
    ret = mbedtls_ssl_read(&c->ssl, buf, cap);
    if (ret > 0) {
        if (mbedtls_ssl_get_bytes_avail(&c->ssl) > 0) {
            drop_rest(c);
            mbedtls_platform_zeroize(buf, cap);
            return BW_ENOSPC;
        }
        *len = (size_t)ret;
        return 0;
    }
    if (c->io_err != 0)
        return fail(c, c->io_err);
    if (ret == 0 || ret == MBEDTLS_ERR_SSL_WANT_READ ||
        ret == MBEDTLS_ERR_SSL_WANT_WRITE)
        return BW_EAGAIN;
    return fail(c, bw_devdtls__map_error(c, ret, 0));
}

static void op_close(bw_transport_t *t)
{
    bw_dtls_client_t *c = (bw_dtls_client_t *)t;
    end_connection(c);
    c->err = 0;
}

static const bw_transport_ops_t dtls_ops = {
    .connect = op_connect,
    .poll = op_poll,
    .send = op_send,
    .recv = op_recv,
    .close = op_close,
};

/* --- set-up --- */

static int check_config(const bw_dtls_client_config_t *cfg, bw_dgram_t dgram,
                        bw_keystore_t ks, bw_dtls_entropy_t entropy)
{
    uint32_t lo;
    uint32_t hi;

    if (cfg == NULL || dgram.ops == NULL || dgram.ops->send == NULL ||
        dgram.ops->recv == NULL || ks.ops == NULL || ks.ops->get == NULL ||
        entropy.fill == NULL)
        return BW_EINVAL;
    if (cfg->mode == BW_DTLS_MODE_PSK) {
        if (cfg->server != BW_DTLS_SERVER_BS &&
            cfg->server != BW_DTLS_SERVER_DM)
            return BW_EINVAL;
    } else if (cfg->mode == BW_DTLS_MODE_CERT) {
        if (cfg->server_name == NULL || cfg->server_name[0] == '\0')
            return BW_EINVAL;
    } else {
        return BW_EINVAL;
    }
    if (cfg->server_name != NULL) {
        size_t n = 0;
        while (n <= BW_DTLS_SERVER_NAME_MAX && cfg->server_name[n] != '\0')
            n++;
        if (n > BW_DTLS_SERVER_NAME_MAX)
            return BW_EINVAL;
    }
    lo = cfg->hs_timeout_min_ms ? cfg->hs_timeout_min_ms
                                : BW_DTLS_HS_TIMEOUT_MIN_MS;
    hi = cfg->hs_timeout_max_ms ? cfg->hs_timeout_max_ms
                                : BW_DTLS_HS_TIMEOUT_MAX_MS;
    return lo <= hi ? 0 : BW_EINVAL;
}

static int setup_conf(bw_dtls_client_t *c, const bw_dtls_client_config_t *cfg)
{
    int ret = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT,
                                          MBEDTLS_SSL_TRANSPORT_DATAGRAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0)
        return ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ? BW_ENOMEM : BW_ECRYPTO;

    mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->drbg);
    /* DTLS 1.2 only, and said so from the first ClientHello on: mbedTLS
     * writes the configured minimum into the record header until the
     * server has answered, and a DTLS 1.0 (0xfeff) ClientHello is refused
     * by servers that only speak 1.2. */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    mbedtls_ssl_conf_min_tls_version(&c->conf, MBEDTLS_SSL_VERSION_TLS1_2);
    mbedtls_ssl_conf_max_tls_version(&c->conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
    mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
#endif
    mbedtls_ssl_conf_handshake_timeout(
        &c->conf,
        cfg->hs_timeout_min_ms ? cfg->hs_timeout_min_ms
                               : BW_DTLS_HS_TIMEOUT_MIN_MS,
        cfg->hs_timeout_max_ms ? cfg->hs_timeout_max_ms
                               : BW_DTLS_HS_TIMEOUT_MAX_MS);
    if (cfg->mode == BW_DTLS_MODE_PSK) {
        mbedtls_ssl_conf_ciphersuites(&c->conf, psk_suites);
        mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_NONE);
    } else {
        mbedtls_ssl_conf_ciphersuites(&c->conf, cert_suites);
        mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    }
    return 0;
}

int bw_dtls_client_init(bw_dtls_client_t *c, const bw_dtls_client_config_t *cfg,
                        bw_dgram_t dgram, bw_keystore_t ks,
                        bw_dtls_entropy_t entropy)
{
    int rc;
    int ret;

    if (c == NULL)
        return BW_EINVAL;
    memset(c, 0, sizeof *c);
    c->transport.ops = &dtls_ops;
    c->peer_alert = -1;
    mbedtls_ctr_drbg_init(&c->drbg);
    mbedtls_ssl_config_init(&c->conf);
    mbedtls_ssl_init(&c->ssl);
    mbedtls_ssl_session_init(&c->saved);
    mbedtls_x509_crt_init(&c->ca);
    mbedtls_x509_crt_init(&c->own_cert);
    mbedtls_pk_init(&c->own_key);
    set_state(c, BW_DEVDTLS_IDLE);

    rc = check_config(cfg, dgram, ks, entropy);
    if (rc != 0)
        goto out;
    c->mode = cfg->mode;
    /* mbedTLS doubles its timer from min until it passes max: about
     * 2 * max in all.  The handshake deadline is that schedule. */
    c->hs_limit_ms = 2u * (cfg->hs_timeout_max_ms ? cfg->hs_timeout_max_ms
                                                  : BW_DTLS_HS_TIMEOUT_MAX_MS);
    c->dgram = dgram;
    c->entropy = entropy;

    ret = mbedtls_ctr_drbg_seed(&c->drbg, drbg_entropy, c, drbg_pers,
                                sizeof drbg_pers - 1u);
    if (ret != 0) {
        rc = BW_ECRYPTO;
        goto out;
    }
    rc = setup_conf(c, cfg);
    if (rc == 0)
        rc = bw_devdtls__load_creds(c, cfg, ks);
    if (rc != 0)
        goto out;

    ret = mbedtls_ssl_setup(&c->ssl, &c->conf);
    if (ret == 0 && cfg->server_name != NULL)
        ret = mbedtls_ssl_set_hostname(&c->ssl, cfg->server_name);
    if (ret != 0) {
        rc = ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ? BW_ENOMEM : BW_EINVAL;
        goto out;
    }
    mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
    mbedtls_ssl_set_timer_cb(&c->ssl, c, timer_set, timer_get);
    mbedtls_ssl_set_mtu(&c->ssl, cfg->mtu ? cfg->mtu : BW_DTLS_MTU_DEFAULT);
    return 0;

out:
    bw_dtls_client_free(c);
    return rc;
}

bw_transport_t *bw_dtls_client_transport(bw_dtls_client_t *c)
{
    return c != NULL ? &c->transport : NULL;
}

void bw_dtls_client_free(bw_dtls_client_t *c)
{
    if (c == NULL)
        return;
    mbedtls_ssl_free(&c->ssl);
    mbedtls_ssl_config_free(&c->conf);
    mbedtls_ssl_session_free(&c->saved);
    mbedtls_x509_crt_free(&c->ca);
    mbedtls_x509_crt_free(&c->own_cert);
    mbedtls_pk_free(&c->own_key);
    mbedtls_ctr_drbg_free(&c->drbg);
    mbedtls_platform_zeroize(c, sizeof *c);
    /* Every operation now answers BW_ESTATE. */
    c->transport.ops = &dtls_ops;
    c->peer_alert = -1;
}

int bw_dtls_client_resumed(const bw_dtls_client_t *c)
{
    return c != NULL && c->resumed;
}

uint16_t bw_dtls_client_suite(const bw_dtls_client_t *c)
{
    const char *name;
    int id;

    if (c == NULL || c->state != BW_DEVDTLS_CONNECTED)
        return 0;
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    id = mbedtls_ssl_get_ciphersuite_id_from_ssl(&c->ssl);
    (void)name;
#else
    name = mbedtls_ssl_get_ciphersuite(&c->ssl);
    id = name != NULL ? mbedtls_ssl_get_ciphersuite_id(name) : 0;
#endif
    return (id > 0 && id <= 0xffff) ? (uint16_t)id : 0;
}

const char *bw_dtls_client_reason(const bw_dtls_client_t *c)
{
    if (c == NULL)
        return "";
    return c->reason;
}
