/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Handshake objects.  PSK handshakes run in our own engine (dtls_psk.h,
 * glue in dtls_hsown.c); this file decides which side takes a ClientHello,
 * holds what both share (the list of handshakes in progress, timers,
 * accessors, freeing) and runs everything else in OpenSSL's DTLS 1.2
 * server state machine: one SSL object per handshake in progress, talking
 * through a BIO of our own.
 *
 * The BIO hands OpenSSL exactly the one datagram being processed and
 * gathers what OpenSSL writes into datagrams of at most the MTU (several
 * handshake records per datagram, as RFC 6347 4.1.1 allows: a flight of
 * five messages leaves in one or two datagrams instead of five).  It also
 * watches the record headers going out and coming in, because OpenSSL
 * does not say which epoch-1 sequence numbers it used: our record layer
 * must continue above them, never on them (that would reuse a nonce).
 *
 * When OpenSSL reports the handshake complete we derive the record keys
 * from the master secret and both randoms and the session becomes
 * compact; the SSL object stays (done = 1) until the client's first
 * authenticated application record shows it has our Finished.
 */
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "dtls_int.h"

/*
 * Epoch-1 sequence numbers left to OpenSSL after the handshake: our record
 * layer starts this far above the last one OpenSSL used.  While the
 * handshake object is kept, each retransmission of the client's final
 * flight makes OpenSSL resend its Finished with its next number; it is
 * never fed more than it can resend below our first number (see
 * bw_dtls__hs_input), so the two can never seal with the same nonce.
 */
#define HS_SEQ_ROOM 32

/* The four suites, by IANA number (RFC 6655, RFC 5487, RFC 7251, RFC 5289). */
#define SUITE_PSK_CCM8   0xc0a8
#define SUITE_PSK_GCM    0x00a8
#define SUITE_ECDSA_CCM8 0xc0ae
#define SUITE_ECDSA_GCM  0xc02b

/* UDP over IPv6 (40 + 8): the larger of the two header sizes. */
#define UDP_OVERHEAD 48

/* --- the BIO --------------------------------------------------------- */

static void track(uint64_t *epoch0, uint64_t *epoch1, const uint8_t *p,
                  size_t len)
{
    bw_dtls_rec_t rec;
    while (len > 0 && bw_dtls_rec_next(&p, &len, &rec) == 0) {
        uint64_t *next = rec.epoch == 0   ? epoch0
                         : rec.epoch == 1 ? epoch1
                                          : NULL;
        if (next != NULL && rec.seq + 1 > *next)
            *next = rec.seq + 1;
    }
}

static void out_flush(bw_dtls_hs_t *hs)
{
    if (hs->out_len > 0)
        bw_dtls__queue(hs->w, &hs->s->peer, hs->out, hs->out_len);
    hs->out_len = 0;
}

static int bio_write(BIO *b, const char *data, int len)
{
    bw_dtls_hs_t *hs = BIO_get_data(b);
    if (hs == NULL || len < 0)
        return -1;
    const uint8_t *p = (const uint8_t *)data;
    track(&hs->epoch0_out, &hs->epoch1_out, p, (size_t)len);
    if (hs->out_len + (size_t)len > hs->out_max)
        out_flush(hs);
    if ((size_t)len > hs->out_max) {
        bw_dtls__queue(hs->w, &hs->s->peer, p, (size_t)len);
        return len;
    }
    memcpy(hs->out + hs->out_len, p, (size_t)len);
    hs->out_len += (size_t)len;
    return len;
}

static int bio_read(BIO *b, char *buf, int cap)
{
    bw_dtls_hs_t *hs = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (hs == NULL || hs->in == NULL || cap < 0) {
        BIO_set_retry_read(b);
        return -1;
    }
    size_t n = hs->in_len < (size_t)cap ? hs->in_len : (size_t)cap;
    memcpy(buf, hs->in, n);
    hs->in = NULL;
    hs->in_len = 0;
    return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    bw_dtls_hs_t *hs = BIO_get_data(b);
    (void)num;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        if (hs != NULL)
            out_flush(hs);
        return 1;
    case BIO_CTRL_PENDING:
        return hs != NULL && hs->in != NULL ? (long)hs->in_len : 0;
    case BIO_CTRL_WPENDING:
        return 0;
    case BIO_CTRL_DGRAM_GET_PEER:
        if (hs != NULL && ptr != NULL) {
            struct sockaddr_storage ss;
            socklen_t n = bw_dtls__addr_to(&hs->s->peer, &ss);
            memcpy(ptr, &ss, n);
            return n;
        }
        return 0;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
        return UDP_OVERHEAD;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        return hs != NULL ? (long)hs->w->srv->cfg.mtu : 1400;
    default:
        return 0;
    }
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* --- callbacks --------------------------------------------------------- */

void bw_dtls__shown(const uint8_t *id, size_t len, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; i < len && j + 2 < cap; i++)
        out[j++] = id[i] >= 0x20 && id[i] < 0x7f ? (char)id[i] : '?';
    out[j] = '\0';
}

static unsigned psk_cb(SSL *ssl, const char *identity, unsigned char *psk,
                       unsigned max_len)
{
    bw_dtls_hs_t *hs = SSL_get_app_data(ssl);
    bw_dtls_server_t *srv = hs->w->srv;
    char who[64];
    bw_dtls__addr_str(&hs->s->peer, who, sizeof who);
    size_t id_len = identity != NULL ? strlen(identity) : 0;
    if (id_len == 0 || id_len > BW_DTLS_IDENTITY_MAX) {
        bw_dtls__log(hs->w, BW_DTLS_LOG_WARN,
                     "%s: PSK identity of %zu bytes refused", who, id_len);
        return 0;
    }
    size_t len = 0;
    int err = srv->cfg.psk_lookup(srv->cfg.arg, (const uint8_t *)identity,
                                  id_len, psk, max_len, &len);
    if (err != 0 || len == 0 || len > max_len) {
        /* The identity is the peer's claim, not a secret; printed with
         * non-printable bytes escaped. */
        char shown[2 * BW_DTLS_IDENTITY_MAX + 1];
        bw_dtls__shown((const uint8_t *)identity, id_len, shown, sizeof shown);
        bw_dtls__log(hs->w, BW_DTLS_LOG_WARN, "%s: unknown PSK identity '%s'",
                     who, shown);
        OPENSSL_cleanse(psk, max_len);
        return 0;
    }
    memcpy(hs->s->identity, identity, id_len);
    hs->s->identity_len = (uint8_t)id_len;
    hs->s->mode = BW_DTLS_MODE_PSK;
    return (unsigned)len;
}

/*
 * Session tickets.  A ticket proves an old handshake, not that its
 * credential is still valid.  The PSK identity travels in the ticket's
 * application data; when a ticket comes back, the security store is asked
 * again, and a revoked identity's ticket is ignored: the client falls back
 * to a full handshake, which the PSK lookup then refuses with an alert.
 */
static int ticket_gen(SSL *ssl, void *arg)
{
    (void)arg;
    const char *id = SSL_get_psk_identity(ssl);
    SSL_SESSION *sess = SSL_get_session(ssl);
    if (id == NULL || sess == NULL)
        return 1; /* certificate mode: nothing to add */
    return SSL_SESSION_set1_ticket_appdata(sess, id, strlen(id));
}

static SSL_TICKET_RETURN ticket_dec(SSL *ssl, SSL_SESSION *sess,
                                    const unsigned char *keyname,
                                    size_t keyname_len,
                                    SSL_TICKET_STATUS status, void *arg)
{
    (void)keyname;
    (void)keyname_len;
    (void)arg;
    if (status != SSL_TICKET_SUCCESS && status != SSL_TICKET_SUCCESS_RENEW)
        return SSL_TICKET_RETURN_IGNORE_RENEW;
    void *id = NULL;
    size_t n = 0;
    if (SSL_SESSION_get0_ticket_appdata(sess, &id, &n) == 1 && n > 0) {
        bw_dtls_hs_t *hs = SSL_get_app_data(ssl);
        const bw_dtls_server_config_t *cfg = &hs->w->srv->cfg;
        uint8_t key[PSK_MAX_PSK_LEN];
        size_t klen;
        int err =
            n > BW_DTLS_IDENTITY_MAX || cfg->psk_lookup == NULL
                ? BW_ENOTFOUND
                : cfg->psk_lookup(cfg->arg, id, n, key, sizeof key, &klen);
        OPENSSL_cleanse(key, sizeof key);
        if (err != 0) {
            char who[64];
            bw_dtls__addr_str(&hs->s->peer, who, sizeof who);
            bw_dtls__log(hs->w, BW_DTLS_LOG_WARN,
                         "%s: session ticket of a revoked PSK identity "
                         "ignored",
                         who);
            return SSL_TICKET_RETURN_IGNORE;
        }
    }
    return status == SSL_TICKET_SUCCESS_RENEW ? SSL_TICKET_RETURN_USE_RENEW
                                              : SSL_TICKET_RETURN_USE;
}

static int cookie_gen(SSL *ssl, unsigned char *cookie, unsigned *len)
{
    bw_dtls_hs_t *hs = SSL_get_app_data(ssl);
    memcpy(cookie, hs->cookie, BW_DTLS_COOKIE_LEN);
    *len = BW_DTLS_COOKIE_LEN;
    return 1;
}

/* The cookie was checked before this object existed (dtls_worker.c);
 * OpenSSL checks it once more against the same bytes. */
static int cookie_verify(SSL *ssl, const unsigned char *cookie, unsigned len)
{
    bw_dtls_hs_t *hs = SSL_get_app_data(ssl);
    return len == BW_DTLS_COOKIE_LEN &&
           CRYPTO_memcmp(cookie, hs->cookie, BW_DTLS_COOKIE_LEN) == 0;
}

/* --- the context --------------------------------------------------------- */

static int verify_cb(int ok, X509_STORE_CTX *store);

static const char *ssl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
    return r != NULL ? r : "unknown reason";
}

int bw_dtls__ctx_new(bw_dtls_server_t *srv, const char **err_msg)
{
    const bw_dtls_server_config_t *cfg = &srv->cfg;
    int certs = cfg->cert_file != NULL;
    static __thread char msg[256];

    srv->bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                   "bulwark dtls");
    if (srv->bio_method == NULL ||
        !BIO_meth_set_write(srv->bio_method, bio_write) ||
        !BIO_meth_set_read(srv->bio_method, bio_read) ||
        !BIO_meth_set_ctrl(srv->bio_method, bio_ctrl) ||
        !BIO_meth_set_create(srv->bio_method, bio_create))
        return BW_ENOMEM;

    SSL_CTX *ctx = SSL_CTX_new(DTLS_server_method());
    if (ctx == NULL)
        return BW_ENOMEM;
    srv->ssl_ctx = ctx;
    SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
    /* No MTU discovery through the BIO (we set it), no renegotiation, no
     * server-side session cache: resumption uses tickets, which cost the
     * server nothing per device. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_cookie_generate_cb(ctx, cookie_gen);
    SSL_CTX_set_cookie_verify_cb(ctx, cookie_verify);
    SSL_CTX_set_session_ticket_cb(ctx, ticket_gen, ticket_dec, NULL);

    char ciphers[160] = "";
    if (cfg->psk_lookup != NULL) {
        strcat(ciphers, "PSK-AES128-CCM8:PSK-AES128-GCM-SHA256");
        SSL_CTX_set_psk_server_callback(ctx, psk_cb);
    }
    if (certs) {
        if (ciphers[0] != '\0')
            strcat(ciphers, ":");
        strcat(ciphers,
               "ECDHE-ECDSA-AES128-CCM8:ECDHE-ECDSA-AES128-GCM-SHA256");
    }
    if (RAND_bytes((uint8_t *)&srv->ticket_key, sizeof srv->ticket_key) != 1) {
        *err_msg = "no randomness for the ticket key";
        return BW_ECRYPTO;
    }
    if (SSL_CTX_set_cipher_list(ctx, ciphers) != 1 ||
        SSL_CTX_set1_groups_list(ctx, "P-256") != 1) {
        *err_msg = "cipher suites not available in this OpenSSL";
        return BW_EINVAL;
    }
    if (!certs)
        return 0;

    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1) {
        snprintf(msg, sizeof msg, "%s: %s", cfg->cert_file, ssl_reason());
        *err_msg = msg;
        return BW_ECERT;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) !=
            1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(msg, sizeof msg, "%s: %s", cfg->key_file, ssl_reason());
        *err_msg = msg;
        return BW_ECERT;
    }
    if (SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL) != 1) {
        snprintf(msg, sizeof msg, "%s: %s", cfg->ca_file, ssl_reason());
        *err_msg = msg;
        return BW_ECERT;
    }
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->ca_file);
    if (names != NULL)
        SSL_CTX_set_client_CA_list(ctx, names);
    if (cfg->crl_file != NULL) {
        X509_STORE *store = SSL_CTX_get_cert_store(ctx);
        if (X509_STORE_load_file(store, cfg->crl_file) != 1) {
            snprintf(msg, sizeof msg, "%s: %s", cfg->crl_file, ssl_reason());
            *err_msg = msg;
            return BW_ECERT;
        }
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    }
    /* Mutual authentication is required in certificate mode. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       verify_cb);
    SSL_CTX_set_verify_depth(ctx, 4);
    return 0;
}

void bw_dtls__ctx_free(bw_dtls_server_t *srv)
{
    SSL_CTX_free(srv->ssl_ctx);
    BIO_meth_free(srv->bio_method);
    OPENSSL_cleanse(&srv->ticket_key, sizeof srv->ticket_key);
    srv->ssl_ctx = NULL;
    srv->bio_method = NULL;
}

/* --- one handshake ------------------------------------------------------- */

void bw_dtls__hs_list_add(bw_dtls_worker_t *w, bw_dtls_hs_t *hs)
{
    hs->list_pos = w->nhs;
    w->hs_list[w->nhs++] = hs;
}

void bw_dtls__hs_list_del(bw_dtls_worker_t *w, bw_dtls_hs_t *hs)
{
    bw_dtls_hs_t *last = w->hs_list[--w->nhs];
    w->hs_list[hs->list_pos] = last;
    last->list_pos = hs->list_pos;
}

void bw_dtls__hs_free(bw_dtls_worker_t *w, bw_dtls_session_t *s)
{
    bw_dtls_hs_t *hs = s->hs;
    if (hs == NULL)
        return;
    bw_dtls__hs_list_del(w, hs);
    if (hs->own) {
        /* Its secrets are the engine's keys and master secret; the rest
         * (transcript, ticket as sent, our records) went over the wire. */
        bw_dtls_psk_wipe(&hs->psk);
    } else {
        SSL_free(hs->ssl); /* frees the BIO; OpenSSL wipes its keys */
        OPENSSL_cleanse(hs, sizeof *hs);
    }
    free(hs);
    s->hs = NULL;
}

int bw_dtls__hs_done(const bw_dtls_hs_t *hs)
{
    return hs->done;
}

uint64_t bw_dtls__hs_deadline(const bw_dtls_hs_t *hs)
{
    return hs->deadline_ms;
}

uint64_t bw_dtls__hs_next_timer(const bw_dtls_hs_t *hs)
{
    return hs->timer_ms < hs->deadline_ms ? hs->timer_ms : hs->deadline_ms;
}

bw_dtls_session_t *bw_dtls__hs_session(const bw_dtls_hs_t *hs)
{
    return hs->s;
}

void bw_dtls__hs_set_timer(bw_dtls_hs_t *hs)
{
    struct timeval tv;
    if (hs->own)
        hs->timer_ms = hs->done ? UINT64_MAX : hs->psk.timer_ms;
    else if (!hs->done && DTLSv1_get_timeout(hs->ssl, &tv) == 1)
        hs->timer_ms = hs->w->now_ms + (uint64_t)tv.tv_sec * 1000u +
                       (uint64_t)tv.tv_usec / 1000u;
    else
        hs->timer_ms = UINT64_MAX;
    uint64_t next = bw_dtls__hs_next_timer(hs);
    if (next < hs->w->hs_next_ms)
        hs->w->hs_next_ms = next;
}

static int suite_alg(uint16_t suite)
{
    switch (suite) {
    case SUITE_PSK_CCM8:
    case SUITE_ECDSA_CCM8:
        return BW_DTLS_AES128_CCM8;
    case SUITE_PSK_GCM:
    case SUITE_ECDSA_GCM:
        return BW_DTLS_AES128_GCM;
    default:
        return 0;
    }
}

/* The subject CN of a certificate: 0 and its length, or BW_ECERT. */
static int cert_cn(X509 *cert, char cn[BW_DTLS_IDENTITY_MAX + 1])
{
    if (cert == NULL)
        return BW_ECERT;
    int n =
        X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName,
                                  cn, BW_DTLS_IDENTITY_MAX + 1);
    if (n <= 0 || n > BW_DTLS_IDENTITY_MAX || (int)strlen(cn) != n)
        return BW_ECERT; /* none, too long, or with a NUL inside */
    return n;
}

/*
 * Chain checks are OpenSSL's; this adds one of ours at the client's own
 * certificate: it must carry a CN we can use as its identity.  Refusing
 * here, before our Finished, gives the client a fatal alert; refusing
 * after the handshake would leave it believing it is connected.
 */
static int verify_cb(int ok, X509_STORE_CTX *store)
{
    if (!ok || X509_STORE_CTX_get_error_depth(store) != 0)
        return ok;
    SSL *ssl =
        X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    bw_dtls_hs_t *hs = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
    char cn[BW_DTLS_IDENTITY_MAX + 1];
    if (cert_cn(X509_STORE_CTX_get_current_cert(store), cn) < 0) {
        if (hs != NULL)
            hs->why = "client certificate has no CN usable as identity";
        X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    return 1;
}

/* The client certificate's subject CN: the identity in certificate mode. */
static int cert_identity(bw_dtls_session_t *s, SSL *ssl)
{
    char cn[BW_DTLS_IDENTITY_MAX + 1];
    int n = cert_cn(SSL_get0_peer_certificate(ssl), cn);
    if (n < 0)
        return BW_ECERT;
    memcpy(s->identity, cn, (size_t)n);
    s->identity_len = (uint8_t)n;
    s->mode = BW_DTLS_MODE_CERT;
    return 0;
}

/* OpenSSL finished: derive the keys and make the session usable. */
static int complete(bw_dtls_worker_t *w, bw_dtls_session_t *s)
{
    bw_dtls_hs_t *hs = s->hs;
    SSL *ssl = hs->ssl;
    char who[64];
    bw_dtls__addr_str(&s->peer, who, sizeof who);

    const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
    uint16_t suite = c != NULL ? SSL_CIPHER_get_protocol_id(c) : 0;
    int alg = suite_alg(suite);
    if (alg == 0) {
        bw_dtls__log(w, BW_DTLS_LOG_ERROR, "%s: unexpected suite 0x%04x", who,
                     suite);
        return BW_EHANDSHAKE;
    }
    int psk = suite == SUITE_PSK_CCM8 || suite == SUITE_PSK_GCM;
    if (psk) {
        const char *id = SSL_get_psk_identity(ssl);
        size_t n = id != NULL ? strlen(id) : 0;
        if (n == 0 || n > BW_DTLS_IDENTITY_MAX)
            return BW_EAUTH;
        if (SSL_session_reused(ssl)) {
            /* A ticket proves an old handshake, not that the identity is
             * still valid: ask the security store again, so a revoked
             * credential cannot live on through resumption. */
            uint8_t key[64];
            size_t klen;
            int err =
                w->srv->cfg.psk_lookup(w->srv->cfg.arg, (const uint8_t *)id, n,
                                       key, sizeof key, &klen);
            OPENSSL_cleanse(key, sizeof key);
            if (err != 0) {
                bw_dtls__log(w, BW_DTLS_LOG_WARN,
                             "%s: resumed session of a revoked identity", who);
                return BW_EAUTH;
            }
        }
        memcpy(s->identity, id, n);
        s->identity_len = (uint8_t)n;
        s->mode = BW_DTLS_MODE_PSK;
    } else if (cert_identity(s, ssl) != 0) {
        bw_dtls__log(w, BW_DTLS_LOG_WARN, "%s: client certificate has no CN",
                     who);
        return BW_ECERT;
    }

    uint8_t master[BW_DTLS_MASTER_LEN], cr[BW_DTLS_RANDOM_LEN],
        sr[BW_DTLS_RANDOM_LEN];
    size_t ml =
        SSL_SESSION_get_master_key(SSL_get_session(ssl), master, sizeof master);
    if (ml != sizeof master ||
        SSL_get_client_random(ssl, cr, sizeof cr) != sizeof cr ||
        SSL_get_server_random(ssl, sr, sizeof sr) != sizeof sr) {
        OPENSSL_cleanse(master, sizeof master);
        return BW_ECRYPTO;
    }
    int err = bw_dtls_crypto_keys(w->crypto, master, cr, sr, &s->rx, &s->tx);
    OPENSSL_cleanse(master, sizeof master);
    if (err != 0)
        return err;
    s->alg = (uint8_t)alg;
    s->epoch = 1;
    s->write_seq = hs->epoch1_out + HS_SEQ_ROOM;
    hs->app_seq0 = s->write_seq;
    s->write_limit = s->write_seq + BW_DTLS_SEQ_GAP;
    /* Everything the client sent in epoch 1 so far was handshake: mark it
     * seen, so none of it can be replayed as application data. */
    s->replay.top = hs->epoch1_in;
    s->replay.bitmap = hs->epoch1_in > 0 ? ~UINT64_C(0) : 0;
    s->last_rx_s = w->now_s;
    hs->done = 1;
    hs->timer_ms = UINT64_MAX;
    BW_DTLS_STAT(w, handshakes_done);
    bw_dtls__log(w, BW_DTLS_LOG_INFO, "%s: %s handshake done, %s, %s '%.*s'",
                 who, SSL_session_reused(ssl) ? "abbreviated" : "full",
                 SSL_CIPHER_get_name(c), psk ? "identity" : "certificate CN",
                 (int)s->identity_len, (const char *)s->identity);
    return 0;
}

/* Why OpenSSL gave up, as a code and a log line (never a secret). */
static int failure(bw_dtls_worker_t *w, bw_dtls_session_t *s)
{
    char who[64];
    bw_dtls__addr_str(&s->peer, who, sizeof who);
    unsigned long e = ERR_peek_last_error();
    int reason = ERR_GET_REASON(e);
    int err = BW_EHANDSHAKE;
    const char *what = ssl_reason();
    if (reason == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC ||
        reason == SSL_R_DIGEST_CHECK_FAILED ||
        reason == SSL_R_PSK_IDENTITY_NOT_FOUND) {
        err = BW_EAUTH;
        what = reason == SSL_R_PSK_IDENTITY_NOT_FOUND
                   ? "unknown PSK identity"
                   : "client Finished did not verify (wrong PSK?)";
    } else if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        err = BW_ECERT;
        what = s->hs->why != NULL ? s->hs->why
                                  : X509_verify_cert_error_string(
                                        SSL_get_verify_result(s->hs->ssl));
    } else if (s->hs->why != NULL) {
        err = BW_EAUTH;
        what = s->hs->why;
    } else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
        err = BW_ECERT;
        what = "client sent no certificate";
    }
    bw_dtls__log(w, BW_DTLS_LOG_WARN, "%s: handshake failed: %s", who, what);
    ERR_clear_error();
    BW_DTLS_STAT(w, handshakes_failed);
    return err;
}

/*
 * The client sent its Finished (epoch 1) and OpenSSL did not complete.
 * In DTLS a record that fails its MAC is dropped without a word, so with a
 * wrong PSK OpenSSL would just wait for the deadline.  Open the record
 * ourselves with the keys of this handshake: if it does not authenticate,
 * the peer does not hold our key.  Fail now, with the reason, and tell
 * the client with a fatal alert instead of letting it time out.
 */
static int check_finished(bw_dtls_worker_t *w, bw_dtls_session_t *s,
                          const uint8_t *dgram, size_t len)
{
    bw_dtls_hs_t *hs = s->hs;
    SSL_SESSION *sess = SSL_get_session(hs->ssl);
    const SSL_CIPHER *c = sess != NULL ? SSL_SESSION_get0_cipher(sess) : NULL;
    int alg = c != NULL ? suite_alg(SSL_CIPHER_get_protocol_id(c)) : 0;
    uint8_t master[BW_DTLS_MASTER_LEN], cr[BW_DTLS_RANDOM_LEN],
        sr[BW_DTLS_RANDOM_LEN];
    bw_dtls_keys_t rx, tx;
    if (alg == 0 ||
        SSL_SESSION_get_master_key(sess, master, sizeof master) !=
            sizeof master ||
        SSL_get_client_random(hs->ssl, cr, sizeof cr) != sizeof cr ||
        SSL_get_server_random(hs->ssl, sr, sizeof sr) != sizeof sr ||
        bw_dtls_crypto_keys(w->crypto, master, cr, sr, &rx, &tx) != 0) {
        OPENSSL_cleanse(master, sizeof master);
        return 0; /* not far enough along to tell */
    }
    OPENSSL_cleanse(master, sizeof master);
    int err = 0;
    bw_dtls_rec_t rec;
    while (err == 0 && len > 0 && bw_dtls_rec_next(&dgram, &len, &rec) == 0) {
        uint8_t plain[256];
        size_t n;
        if (rec.epoch == 1 && rec.type == BW_DTLS_CT_HANDSHAKE &&
            bw_dtls_open(w->aead, (bw_dtls_aead_t)alg, &rx, &rec, plain,
                         sizeof plain, &n) == BW_EAUTH)
            err = BW_EAUTH;
        OPENSSL_cleanse(plain, sizeof plain);
    }
    OPENSSL_cleanse(&rx, sizeof rx);
    OPENSSL_cleanse(&tx, sizeof tx);
    if (err == 0)
        return 0;
    char who[64];
    bw_dtls__addr_str(&s->peer, who, sizeof who);
    bw_dtls__log(w, BW_DTLS_LOG_WARN,
                 "%s: handshake failed: client Finished does not "
                 "authenticate (wrong PSK for identity '%.*s'?)",
                 who, (int)s->identity_len, (const char *)s->identity);
    BW_DTLS_STAT(w, handshakes_failed);
    uint8_t alert[BW_DTLS_HDR_LEN + 2];
    bw_dtls_rec_header(alert, BW_DTLS_CT_ALERT, BW_DTLS_VERSION_12, 0,
                       hs->epoch0_out, 2);
    alert[BW_DTLS_HDR_LEN] = BW_DTLS_ALERT_FATAL;
    alert[BW_DTLS_HDR_LEN + 1] = BW_DTLS_ALERT_BAD_RECORD_MAC;
    bw_dtls__queue(w, &s->peer, alert, sizeof alert);
    return err;
}

static int drive(bw_dtls_worker_t *w, bw_dtls_session_t *s)
{
    bw_dtls_hs_t *hs = s->hs;
    ERR_clear_error();
    if (hs->done) {
        /* A retransmitted final flight: reading it makes OpenSSL resend
         * our ChangeCipherSpec and Finished. */
        uint8_t sink[64];
        (void)SSL_read(hs->ssl, sink, sizeof sink);
        ERR_clear_error();
        out_flush(hs);
        return 0;
    }
    int r = SSL_do_handshake(hs->ssl);
    int err = 0;
    if (r == 1) {
        err = complete(w, s);
    } else {
        int e = SSL_get_error(hs->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            err = failure(w, s);
    }
    out_flush(hs);
    if (err == 0)
        bw_dtls__hs_set_timer(hs);
    return err;
}

int bw_dtls__hs_start(bw_dtls_worker_t *w, bw_dtls_session_t *s,
                      const bw_dtls_hello_t *hello, const uint8_t *dgram,
                      size_t len)
{
    bw_dtls_server_t *srv = w->srv;
    uint16_t suite;
    if (srv->cfg.psk_lookup != NULL && bw_dtls_psk_eligible(hello, &suite))
        return bw_dtls__own_start(w, s, hello, dgram, len);
    const uint8_t *cookie = hello->cookie;
    bw_dtls_hs_t *hs = calloc(1, sizeof *hs);
    if (hs == NULL)
        return BW_ENOMEM;
    hs->ssl = SSL_new(srv->ssl_ctx);
    BIO *bio = hs->ssl != NULL ? BIO_new(srv->bio_method) : NULL;
    BIO_ADDR *client = BIO_ADDR_new();
    if (bio == NULL || client == NULL) {
        BIO_ADDR_free(client);
        SSL_free(hs->ssl);
        free(hs);
        return BW_ENOMEM;
    }
    BIO_set_data(bio, hs);
    SSL_set_bio(hs->ssl, bio, bio);
    SSL_set_app_data(hs->ssl, hs);
    DTLS_set_link_mtu(hs->ssl, srv->cfg.mtu);
    hs->w = w;
    hs->s = s;
    hs->out_max = srv->cfg.mtu - UDP_OVERHEAD;
    hs->deadline_ms = w->now_ms + srv->cfg.handshake_timeout_ms;
    hs->timer_ms = UINT64_MAX;
    memcpy(hs->cookie, cookie, BW_DTLS_COOKIE_LEN);
    s->hs = hs;
    bw_dtls__hs_list_add(w, hs);
    BW_DTLS_STAT(w, handshakes_started);

    /* DTLSv1_listen takes the ClientHello we already checked, puts the
     * SSL object into the state after the cookie exchange and keeps the
     * hello for SSL_do_handshake. */
    hs->in = dgram;
    hs->in_len = len;
    ERR_clear_error();
    int r = DTLSv1_listen(hs->ssl, client);
    BIO_ADDR_free(client);
    if (r != 1) {
        int err = failure(w, s);
        bw_dtls__hs_free(w, s);
        return err;
    }
    int err = drive(w, s);
    if (err != 0)
        bw_dtls__hs_free(w, s);
    return err;
}

int bw_dtls__hs_input(bw_dtls_worker_t *w, bw_dtls_session_t *s,
                      const uint8_t *dgram, size_t len)
{
    bw_dtls_hs_t *hs = s->hs;
    if (hs->own)
        return bw_dtls__own_input(w, s, dgram, len);
    uint64_t epoch0_in = 0, epoch1_before = hs->epoch1_in;
    /* Done, and OpenSSL has used up the numbers left to it: it may not
     * resend again (its next record would collide with ours). */
    if (hs->done && hs->epoch1_out + 2 >= hs->app_seq0)
        return 0;
    track(&epoch0_in, &hs->epoch1_in, dgram, len);
    hs->in = dgram;
    hs->in_len = len;
    int err = drive(w, s);
    hs->in = NULL;
    if (err == 0 && !hs->done && hs->epoch1_in > epoch1_before)
        err = check_finished(w, s, dgram, len);
    if (err != 0)
        bw_dtls__hs_free(w, s);
    return err;
}

int bw_dtls__hs_timer(bw_dtls_worker_t *w, bw_dtls_session_t *s)
{
    bw_dtls_hs_t *hs = s->hs;
    if (w->now_ms >= hs->deadline_ms)
        return BW_ETIMEOUT;
    if (hs->done || w->now_ms < hs->timer_ms)
        return 0;
    if (hs->own)
        return bw_dtls__own_timer(w, s);
    ERR_clear_error();
    if (DTLSv1_handle_timeout(hs->ssl) < 0) {
        ERR_clear_error();
        return BW_ETIMEOUT;
    }
    out_flush(hs);
    bw_dtls__hs_set_timer(hs);
    return 0;
}
