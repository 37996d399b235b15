/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device DTLS client (device/dtls) against a real OpenSSL 3 DTLS 1.2
 * server, in one thread over loopback UDP: the client's socket is a
 * bw_posix_udp_t connected to the server's, the server's is connected
 * back, and drive() alternates between them.
 *
 * Time: the client runs on a fake clock (fx_t.now).  Whenever neither
 * socket has anything to read, drive() moves the clock to the client's
 * next deadline, so retransmission schedules of a minute run in
 * milliseconds and no test sleeps.  The OpenSSL server runs on real time
 * and never needs its timers on lossless loopback.
 *
 * Certificates (P-256, made at start with OpenSSL): a server CA and the
 * server certificate "bulwark.test", a device CA and the device
 * certificate, an expired server certificate and one from a CA the
 * device does not trust.  They reach the client only through a key-store
 * directory, as on a device.
 */
#define _GNU_SOURCE
#include "testutil.h"

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "dtls_client.h"
#include "posix_keystore.h"
#include "posix_udp.h"

#define PSK_IDENTITY "urn:dev:ops:bulwark-001"
#define SERVER_NAME  "bulwark.test"

/* IANA suite numbers (RFC 6655, RFC 5487, RFC 7251, RFC 5289). */
#define SUITE_PSK_CCM8         0xC0A8
#define SUITE_PSK_GCM          0x00A8
#define SUITE_ECDHE_ECDSA_CCM8 0xC0AE
#define SUITE_ECDHE_ECDSA_GCM  0xC02B

/* --- test PKI, made once --- */

static struct {
    EVP_PKEY *srv_ca_key, *srv_key, *dev_ca_key, *dev_key, *rogue_key;
    X509 *srv_ca, *srv_cert, *srv_expired, *dev_ca, *dev_cert, *rogue_ca,
        *rogue_srv;
} pki;

static void add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v3, nid, value);
    assert_non_null(e);
    assert_int_equal(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

/* A certificate for key, named cn, valid from_days..to_days around now,
 * signed by issuer (NULL: self-signed CA). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
                       EVP_PKEY *issuer_key, long from_days, long to_days)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509V3_CTX v3;
    X509_NAME *name;

    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), from_days * 86400L);
    X509_gmtime_adj(X509_getm_notAfter(x), to_days * 86400L);
    X509_set_pubkey(x, key);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    if (issuer == NULL) {
        add_ext(x, &v3, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, &v3, NID_basic_constraints, "CA:FALSE");
        add_ext(x, &v3, NID_key_usage, "critical,digitalSignature");
        if (strcmp(cn, SERVER_NAME) == 0)
            add_ext(x, &v3, NID_subject_alt_name, "DNS:" SERVER_NAME);
    }
    assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

static int pki_setup(void **state)
{
    EVP_PKEY **keys[] = {&pki.srv_ca_key, &pki.srv_key, &pki.dev_ca_key,
                         &pki.dev_key, &pki.rogue_key};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        *keys[i] = EVP_EC_gen("P-256");
        assert_non_null(*keys[i]);
    }
    pki.srv_ca = make_cert(pki.srv_ca_key, "Server CA", NULL, NULL, -1, 30);
    pki.srv_cert =
        make_cert(pki.srv_key, SERVER_NAME, pki.srv_ca, pki.srv_ca_key, -1, 30);
    pki.srv_expired = make_cert(pki.srv_key, SERVER_NAME, pki.srv_ca,
                                pki.srv_ca_key, -10, -1);
    pki.dev_ca = make_cert(pki.dev_ca_key, "Device CA", NULL, NULL, -1, 30);
    pki.dev_cert = make_cert(pki.dev_key, "device-001", pki.dev_ca,
                             pki.dev_ca_key, -1, 30);
    pki.rogue_ca = make_cert(pki.rogue_key, "Server CA", NULL, NULL, -1, 30);
    pki.rogue_srv = make_cert(pki.srv_key, SERVER_NAME, pki.rogue_ca,
                              pki.rogue_key, -1, 30);
    return 0;
}

/* Process exit releases the PKI; nothing in it outlives the run. */

/* --- fixture: sockets, key store, server, client --- */

typedef struct {
    char root[64];
    bw_posix_keystore_t ks;
    bw_posix_udp_t udp;
    int srv_fd;
    struct sockaddr_storage cli_addr;
    SSL_CTX *sctx;
    SSL *sssl;
    int srv_state; /* 0 handshaking, 1 done, -1 failed */
    uint8_t srv_psk[16];
    char srv_identity[64];
    int cookies_checked;
    bw_dtls_client_t cli;
    bw_transport_t *t;
    uint32_t now;
} fx_t;

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void ks_put(fx_t *f, const char *name, const void *data, size_t len)
{
    bw_keystore_t k = bw_posix_keystore(&f->ks);
    assert_int_equal(k.ops->put(k.ctx, name, data, len), 0);
}

static void ks_put_cert(fx_t *f, const char *name, X509 *x)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    assert_true(n > 0);
    ks_put(f, name, der, (size_t)n);
    OPENSSL_free(der);
}

static void ks_put_key(fx_t *f, EVP_PKEY *key)
{
    unsigned char *der = NULL;
    int n = i2d_PrivateKey(key, &der);
    assert_true(n > 0);
    ks_put(f, BW_KEY_DEVICE_KEY, der, (size_t)n);
    OPENSSL_clear_free(der, (size_t)n);
}

/* Server socket on 127.0.0.1, the client connected to it, the server
 * connected back; PSK and certificate items in the key store. */
static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof a;
    socklen_t clen = sizeof f->cli_addr;
    char port[8];

    assert_non_null(f);
    strcpy(f->root, "/tmp/bw-dtls-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    assert_int_equal(bw_posix_keystore_init(&f->ks, f->root), 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->srv_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(f->srv_fd >= 0);
    assert_int_equal(bind(f->srv_fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(f->srv_fd, (struct sockaddr *)&a, &alen), 0);
    snprintf(port, sizeof port, "%u", (unsigned)ntohs(a.sin_port));
    assert_int_equal(bw_posix_udp_open(&f->udp, "127.0.0.1", port), 0);
    assert_int_equal(getsockname(bw_posix_udp_fd(&f->udp),
                                 (struct sockaddr *)&f->cli_addr, &clen),
                     0);
    assert_int_equal(connect(f->srv_fd, (struct sockaddr *)&f->cli_addr, clen),
                     0);

    assert_int_equal(RAND_bytes(f->srv_psk, sizeof f->srv_psk), 1);
    strcpy(f->srv_identity, PSK_IDENTITY);
    ks_put(f, BW_KEY_DM_PSK_ID, PSK_IDENTITY, strlen(PSK_IDENTITY));
    ks_put(f, BW_KEY_DM_PSK, f->srv_psk, sizeof f->srv_psk);
    ks_put(f, BW_KEY_BS_PSK_ID, PSK_IDENTITY, strlen(PSK_IDENTITY));
    ks_put(f, BW_KEY_BS_PSK, f->srv_psk, sizeof f->srv_psk);
    ks_put_cert(f, BW_KEY_TRUST_ANCHOR, pki.srv_ca);
    ks_put_cert(f, BW_KEY_DEVICE_CERT, pki.dev_cert);
    ks_put_key(f, pki.dev_key);
    f->now = 1000;
    *state = f;
    return 0;
}

static void srv_end(fx_t *f)
{
    if (f->sssl != NULL) {
        /* Keep the session resumable without sending anything. */
        SSL_set_shutdown(f->sssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        SSL_free(f->sssl);
        f->sssl = NULL;
    }
}

static int teardown(void **state)
{
    fx_t *f = *state;
    bw_dtls_client_free(&f->cli);
    srv_end(f);
    SSL_CTX_free(f->sctx);
    close(f->srv_fd);
    bw_posix_udp_close(&f->udp);
    nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static fx_t *fx_of(SSL *ssl)
{
    return SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
}

static unsigned int srv_psk_cb(SSL *ssl, const char *identity,
                               unsigned char *psk, unsigned int max)
{
    fx_t *f = fx_of(ssl);
    if (identity == NULL || strcmp(identity, f->srv_identity) != 0 ||
        max < sizeof f->srv_psk)
        return 0;
    memcpy(psk, f->srv_psk, sizeof f->srv_psk);
    return sizeof f->srv_psk;
}

static int cookie_gen(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
    (void)ssl;
    memcpy(cookie, "bw-cookie", 9);
    *len = 9;
    return 1;
}

static int cookie_verify(SSL *ssl, const unsigned char *cookie,
                         unsigned int len)
{
    int ok = len == 9 && memcmp(cookie, "bw-cookie", 9) == 0;
    fx_of(ssl)->cookies_checked += ok;
    return ok;
}

/* A DTLS 1.2 server context: PSK when cert is NULL, else ECDHE-ECDSA with
 * cert and a required client certificate from client_ca. */
static SSL_CTX *srv_ctx(fx_t *f, const char *ciphers, X509 *cert,
                        X509 *client_ca)
{
    SSL_CTX *ctx = SSL_CTX_new(DTLS_server_method());

    assert_non_null(ctx);
    SSL_CTX_set_app_data(ctx, f);
    SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
    /* OpenSSL 3 puts CCM_8 (64-bit tag) at security level 0. */
    assert_int_equal(SSL_CTX_set_cipher_list(ctx, ciphers), 1);
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"bw", 2);
    SSL_CTX_set_cookie_generate_cb(ctx, cookie_gen);
    SSL_CTX_set_cookie_verify_cb(ctx, cookie_verify);
    if (cert == NULL) {
        SSL_CTX_set_psk_server_callback(ctx, srv_psk_cb);
    } else {
        assert_int_equal(SSL_CTX_use_certificate(ctx, cert), 1);
        assert_int_equal(SSL_CTX_use_PrivateKey(ctx, pki.srv_key), 1);
        assert_int_equal(SSL_CTX_set1_groups_list(ctx, "P-256"), 1);
        assert_int_equal(
            X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), client_ca), 1);
        SSL_CTX_set_verify(
            ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return ctx;
}

static void srv_start(fx_t *f, SSL_CTX *ctx)
{
    BIO *bio = BIO_new_dgram(f->srv_fd, BIO_NOCLOSE);

    assert_non_null(bio);
    if (f->sctx != ctx) {
        SSL_CTX_free(f->sctx);
        f->sctx = ctx;
    }
    BIO_ctrl_set_connected(bio, &f->cli_addr);
    f->sssl = SSL_new(ctx);
    assert_non_null(f->sssl);
    SSL_set_bio(f->sssl, bio, bio);
    SSL_set_accept_state(f->sssl);
    f->srv_state = 0;
}

static void srv_step(fx_t *f)
{
    int r;

    if (f->sssl == NULL || f->srv_state != 0)
        return;
    r = SSL_do_handshake(f->sssl);
    if (r == 1) {
        f->srv_state = 1;
        return;
    }
    r = SSL_get_error(f->sssl, r);
    if (r != SSL_ERROR_WANT_READ && r != SSL_ERROR_WANT_WRITE)
        f->srv_state = -1;
    ERR_clear_error();
}

/* 1 when the client or the server socket has input within ms. */
static int wait_input(fx_t *f, int ms)
{
    struct pollfd p[2] = {
        {.fd = bw_posix_udp_fd(&f->udp), .events = POLLIN},
        {.fd = f->srv_fd, .events = POLLIN},
    };
    return poll(p, 2, ms) > 0;
}

static bw_transport_t *client(fx_t *f, bw_dtls_mode_t mode,
                              bw_dtls_server_t server, const char *name)
{
    bw_dtls_client_config_t cfg = {
        .mode = mode, .server = server, .server_name = name};
    bw_dtls_entropy_t rng = {bw_posix_entropy, NULL};

    assert_int_equal(bw_dtls_client_init(&f->cli, &cfg,
                                         bw_posix_udp_dgram(&f->udp),
                                         bw_posix_keystore(&f->ks), rng),
                     0);
    f->t = bw_dtls_client_transport(&f->cli);
    return f->t;
}

/*
 * connect() and run both sides until the client's handshake ends and,
 * if it succeeded, the server's too.  Returns the client's result.
 */
static int drive(fx_t *f)
{
    int rc = bw_transport_connect(f->t, f->now);
    int i;

    for (i = 0; i < 2000; i++) {
        uint32_t next = BW_TRANSPORT_NEVER;
        if (rc == BW_EAGAIN)
            rc = bw_transport_poll(f->t, f->now, &next);
        srv_step(f);
        if (rc != BW_EAGAIN &&
            (rc != 0 || f->sssl == NULL || f->srv_state != 0))
            return rc;
        if (!wait_input(f, 20) && next != BW_TRANSPORT_NEVER)
            f->now = next;
    }
    fail_msg("handshake did not settle");
    return rc;
}

static int srv_read(fx_t *f, void *buf, int cap)
{
    int i;
    for (i = 0; i < 100; i++) {
        int n = SSL_read(f->sssl, buf, cap);
        if (n > 0)
            return n;
        if (SSL_get_error(f->sssl, n) != SSL_ERROR_WANT_READ)
            return n;
        ERR_clear_error();
        wait_input(f, 10);
    }
    return -1;
}

static int cli_recv(fx_t *f, uint8_t *buf, size_t cap, size_t *len)
{
    int i;
    for (i = 0; i < 100; i++) {
        int rc = bw_transport_recv(f->t, buf, cap, len, f->now);
        if (rc != BW_EAGAIN)
            return rc;
        wait_input(f, 10);
    }
    return BW_EAGAIN;
}

/* One datagram each way, compared byte for byte. */
static void exchange(fx_t *f)
{
    static const char up[] = "POST /rd?ep=bulwark-001";
    static const char down[] = "2.01 Created";
    char sbuf[64];
    uint8_t cbuf[64];
    size_t len = 0;

    assert_int_equal(
        bw_transport_send(f->t, (const uint8_t *)up, sizeof up, f->now), 0);
    assert_int_equal(srv_read(f, sbuf, sizeof sbuf), (int)sizeof up);
    assert_memory_equal(sbuf, up, sizeof up);
    assert_int_equal(SSL_write(f->sssl, down, sizeof down), (int)sizeof down);
    assert_int_equal(cli_recv(f, cbuf, sizeof cbuf, &len), 0);
    assert_int_equal(len, sizeof down);
    assert_memory_equal(cbuf, down, sizeof down);
}

static uint16_t srv_suite(fx_t *f)
{
    return (uint16_t)SSL_CIPHER_get_protocol_id(
        SSL_get_current_cipher(f->sssl));
}

/* --- PSK --- */

/* The server prefers GCM and demands a cookie (HelloVerifyRequest); the
 * client offers CCM_8 first.  Must hold: both ends agree on
 * TLS_PSK_WITH_AES_128_CCM_8 (OpenSSL honours the client's order), the
 * cookie was checked, a datagram crosses each way intact, and a first
 * handshake is not reported as resumed. */
static void test_psk_ccm8(void **state)
{
    fx_t *f = *state;

    client(f, BW_DTLS_MODE_PSK, BW_DTLS_SERVER_DM, NULL);
    srv_start(f, srv_ctx(f,
                         "PSK-AES128-GCM-SHA256:PSK-AES128-CCM8:"
                         "@SECLEVEL=0",
                         NULL, NULL));
    SSL_set_options(f->sssl, SSL_OP_COOKIE_EXCHANGE);
    assert_int_equal(drive(f), 0);
    assert_int_equal(f->srv_state, 1);
    assert_true(f->cookies_checked >= 1);
    assert_int_equal(bw_dtls_client_suite(&f->cli), SUITE_PSK_CCM8);
    assert_int_equal(srv_suite(f), SUITE_PSK_CCM8);
    assert_int_equal(bw_dtls_client_resumed(&f->cli), 0);
    assert_string_equal(bw_dtls_client_reason(&f->cli), "");
    exchange(f);
}

/* A server that only has GCM, and the bootstrap ("bs/") credentials:
 * TLS_PSK_WITH_AES_128_GCM_SHA256 on both ends, data flows. */
static void test_psk_gcm_only(void **state)
{
    fx_t *f = *state;

    client(f, BW_DTLS_MODE_PSK, BW_DTLS_SERVER_BS, NULL);
    srv_start(f, srv_ctx(f, "PSK-AES128-GCM-SHA256", NULL, NULL));
    assert_int_equal(drive(f), 0);
    assert_int_equal(bw_dtls_client_suite(&f->cli), SUITE_PSK_GCM);
    assert_int_equal(srv_suite(f), SUITE_PSK_GCM);
    exchange(f);
}

/* The server knows our identity with a different key.  It cannot decrypt
 * our Finished and (OpenSSL, as RFC 6347 allows) drops it silently, so the
 * client sees silence after the server answered every earlier flight:
 * must be BW_EAUTH (not BW_ETIMEOUT), the server never completes, the
 * failure is sticky for send, and nothing reaches the server. */
static void test_psk_wrong_key(void **state)
{
    fx_t *f = *state;
    char buf[16];

    client(f, BW_DTLS_MODE_PSK, BW_DTLS_SERVER_DM, NULL);
    f->srv_psk[0] ^= 0x01;
    srv_start(f, srv_ctx(f, "PSK-AES128-CCM8:@SECLEVEL=0", NULL, NULL));
    bw_assert_err(drive(f), BW_EAUTH);
    assert_non_null(strstr(bw_dtls_client_reason(&f->cli), "PSK"));
    assert_int_not_equal(f->srv_state, 1);
    bw_assert_err(bw_transport_send(f->t, (const uint8_t *)"x", 1, f->now),
                  BW_EAUTH);
    assert_true(SSL_read(f->sssl, buf, sizeof buf) <= 0);
}

/* The server does not know our identity: it answers with the alert
 * unknown_psk_identity, which must surface as BW_EAUTH naming the alert. */
static void test_psk_unknown_identity(void **state)
{
    fx_t *f = *state;

    client(f, BW_DTLS_MODE_PSK, BW_DTLS_SERVER_DM, NULL);
    strcpy(f->srv_identity, "urn:dev:ops:someone-else");
    srv_start(f, srv_ctx(f, "PSK-AES128-CCM8:@SECLEVEL=0", NULL, NULL));
    bw_assert_err(drive(f), BW_EAUTH);
    assert_string_equal(bw_dtls_client_reason(&f->cli),
                        "server alert unknown_psk_identity");
    assert_int_not_equal(f->srv_state, 1);
}

/* --- certificates --- */

/* Mutual authentication: the client checks the server's chain and name,
 * the server requires and checks the client's certificate against the
 * device CA.  Must hold: ECDHE-ECDSA CCM_8 on both ends, the server saw
 * a verified client certificate named device-001, data flows. */
static void test_cert_mutual(void **state)
{
    fx_t *f = *state;
    X509 *peer;
    char cn[64] = "";

    client(f, BW_DTLS_MODE_CERT, BW_DTLS_SERVER_DM, SERVER_NAME);
    srv_start(f, srv_ctx(f,
                         "ECDHE-ECDSA-AES128-GCM-SHA256:"
                         "ECDHE-ECDSA-AES128-CCM8:@SECLEVEL=0",
                         pki.srv_cert, pki.dev_ca));
    assert_int_equal(drive(f), 0);
    assert_int_equal(bw_dtls_client_suite(&f->cli), SUITE_ECDHE_ECDSA_CCM8);
    assert_int_equal(srv_suite(f), SUITE_ECDHE_ECDSA_CCM8);
    assert_int_equal(SSL_get_verify_result(f->sssl), X509_V_OK);
    peer = SSL_get0_peer_certificate(f->sssl);
    assert_non_null(peer);
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn,
                              sizeof cn);
    assert_string_equal(cn, "device-001");
    exchange(f);
}

/* A server with only ECDHE-ECDSA GCM: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_
 * SHA256 on both ends. */
static void test_cert_gcm(void **state)
{
    fx_t *f = *state;

    client(f, BW_DTLS_MODE_CERT, BW_DTLS_SERVER_DM, SERVER_NAME);
    srv_start(f, srv_ctx(f, "ECDHE-ECDSA-AES128-GCM-SHA256", pki.srv_cert,
                         pki.dev_ca));
    assert_int_equal(drive(f), 0);
    assert_int_equal(bw_dtls_client_suite(&f->cli), SUITE_ECDHE_ECDSA_GCM);
    assert_int_equal(srv_suite(f), SUITE_ECDHE_ECDSA_GCM);
}

typedef struct {
    X509 *srv_cert;   /* what the server presents */
    X509 *client_ca;  /* whom the server trusts for client certificates */
    const char *name; /* what the client expects */
    int err;
    const char *reason;
} cert_case_t;

/* Each refusal: the expected BW_E* code, the exact reason, and a server
 * that did not complete. */
static void test_cert_refusals(void **state)
{
    fx_t *f = *state;
    const cert_case_t cases[] = {
        /* valid chain, but the client expects another name */
        {pki.srv_cert, pki.dev_ca, "other.test", BW_ECERT,
         "server name does not match"},
        /* right name, issued by a CA the device does not trust */
        {pki.rogue_srv, pki.dev_ca, SERVER_NAME, BW_ECERT,
         "server certificate not issued by the trust anchor"},
        /* right name and CA, validity ended yesterday */
        {pki.srv_expired, pki.dev_ca, SERVER_NAME, BW_ECERT,
         "server certificate expired"},
        /* the server does not trust the device CA: it refuses us */
        {pki.srv_cert, pki.srv_ca, SERVER_NAME, BW_ECERT,
         "server refused our certificate (unknown_ca)"},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        client(f, BW_DTLS_MODE_CERT, BW_DTLS_SERVER_DM, cases[i].name);
        srv_start(f, srv_ctx(f, "ECDHE-ECDSA-AES128-CCM8:@SECLEVEL=0",
                             cases[i].srv_cert, cases[i].client_ca));
        bw_assert_err(drive(f), cases[i].err);
        assert_string_equal(bw_dtls_client_reason(&f->cli), cases[i].reason);
        assert_int_not_equal(f->srv_state, 1);
        srv_end(f);
        bw_dtls_client_free(&f->cli);
        /* Drain what the failed exchange left in flight. */
        while (wait_input(f, 20)) {
            char junk[2048];
            (void)recv(f->srv_fd, junk, sizeof junk, 0);
            (void)recv(bw_posix_udp_fd(&f->udp), junk, sizeof junk, 0);
        }
    }
}

/* --- resumption --- */

/* Connect, close, connect again to the same server context: the second
 * handshake must resume (client says so, OpenSSL's SSL_session_reused()
 * confirms the abbreviated handshake) and carry data.  A third connect to
 * a server that has never seen the session must fall back to a full
 * handshake and say so. */
static void resume_case(fx_t *f, bw_dtls_mode_t mode, const char *ciphers,
                        X509 *cert)
{
    SSL_CTX *ctx;
    char buf[8];

    client(f, mode, BW_DTLS_SERVER_DM,
           mode == BW_DTLS_MODE_CERT ? SERVER_NAME : NULL);
    ctx = srv_ctx(f, ciphers, cert, pki.dev_ca);
    srv_start(f, ctx);
    assert_int_equal(drive(f), 0);
    assert_int_equal(bw_dtls_client_resumed(&f->cli), 0);
    assert_int_equal(SSL_session_reused(f->sssl), 0);

    bw_transport_close(f->t);
    assert_int_equal(srv_read(f, buf, sizeof buf), 0); /* close_notify */
    assert_int_equal(SSL_get_error(f->sssl, 0), SSL_ERROR_ZERO_RETURN);
    srv_end(f);

    srv_start(f, ctx);
    assert_int_equal(drive(f), 0);
    assert_int_equal(f->srv_state, 1);
    assert_int_equal(bw_dtls_client_resumed(&f->cli), 1);
    assert_int_equal(SSL_session_reused(f->sssl), 1);
    exchange(f);

    bw_transport_close(f->t);
    assert_int_equal(srv_read(f, buf, sizeof buf), 0);
    srv_end(f);
    srv_start(f, srv_ctx(f, ciphers, cert, pki.dev_ca));
    assert_int_equal(drive(f), 0);
    assert_int_equal(bw_dtls_client_resumed(&f->cli), 0);
    assert_int_equal(SSL_session_reused(f->sssl), 0);
}

static void test_resume_psk(void **state)
{
    resume_case(*state, BW_DTLS_MODE_PSK, "PSK-AES128-CCM8:@SECLEVEL=0", NULL);
}

static void test_resume_cert(void **state)
{
    resume_case(*state, BW_DTLS_MODE_CERT,
                "ECDHE-ECDSA-AES128-CCM8:@SECLEVEL=0", pki.srv_cert);
}

/* --- timers and the wire --- */

/* Read one datagram the client sent to the (silent) server socket. */
static ssize_t srv_grab(fx_t *f, uint8_t *buf, size_t cap)
{
    return recv(f->srv_fd, buf, cap, MSG_DONTWAIT);
}

/* The very first datagram must be a ClientHello whose record header says
 * DTLS 1.2 (bytes 1..2 fe fd; mbedTLS's default minimum would put DTLS
 * 1.0, fe ff, there), and whose client_version says DTLS 1.2 too. */
static void test_first_clienthello_is_dtls12(void **state)
{
    fx_t *f = *state;
    uint8_t dg[2048];
    ssize_t n;

    client(f, BW_DTLS_MODE_PSK, BW_DTLS_SERVER_DM, NULL);
    bw_assert_err(bw_transport_connect(f->t, f->now), BW_EAGAIN);
    assert_true(wait_input(f, 1000));
    n = srv_grab(f, dg, sizeof dg);
    assert_true(n >= 13 + 12 + 2);
    assert_int_equal(dg[0], 22); /* handshake */
    assert_int_equal(dg[1], 0xfe);
    assert_int_equal(dg[2], 0xfd);
    assert_int_equal(dg[13], 1); /* ClientHello */
    assert_int_equal(dg[25], 0xfe);
    assert_int_equal(dg[26], 0xfd);
}

/* A server that never answers, handshake timer 1 s .. 8 s, a clock that
 * wraps past 2^32 on the way.  Polling before the deadline sends nothing;
 * at each deadline one ClientHello is retransmitted; the client gives up
 * with BW_ETIMEOUT no earlier than the configured maximum after connect
 * (and within the doubling schedule's total, 1+2+4+8 s, plus slack). */
static void test_timeout_silent_server(void **state)
{
    fx_t *f = *state;
    bw_dtls_client_config_t cfg = {.mode = BW_DTLS_MODE_PSK,
                                   .server = BW_DTLS_SERVER_DM,
                                   .hs_timeout_min_ms = 1000,
                                   .hs_timeout_max_ms = 8000};
    bw_dtls_entropy_t rng = {bw_posix_entropy, NULL};
    uint32_t start = UINT32_MAX - 2500u;
    uint32_t next = 0;
    uint8_t dg[2048];
    int hellos = 0;
    int rc;
    int i;

    assert_int_equal(bw_dtls_client_init(&f->cli, &cfg,
                                         bw_posix_udp_dgram(&f->udp),
                                         bw_posix_keystore(&f->ks), rng),
                     0);
    f->t = bw_dtls_client_transport(&f->cli);
    f->now = start;
    rc = bw_transport_connect(f->t, f->now);
    for (i = 0; i < 50 && rc == BW_EAGAIN; i++) {
        rc = bw_transport_poll(f->t, f->now, &next);
        while (srv_grab(f, dg, sizeof dg) > 0) {
            assert_int_equal(dg[13], 1); /* each one a ClientHello */
            hellos++;
        }
        if (rc != BW_EAGAIN)
            break;
        assert_int_not_equal(next, BW_TRANSPORT_NEVER);
        /* Just before the deadline: still waiting, nothing sent. */
        bw_assert_err(bw_transport_poll(f->t, next - 1u, &next), BW_EAGAIN);
        assert_int_equal(srv_grab(f, dg, sizeof dg), -1);
        f->now = next;
    }
    bw_assert_err(rc, BW_ETIMEOUT);
    assert_string_equal(bw_dtls_client_reason(&f->cli),
                        "no answer from server");
    assert_true((uint32_t)(f->now - start) >= 8000u);
    assert_true((uint32_t)(f->now - start) <= 15000u + 1000u);
    assert_true(hellos >= 3);
    /* Sticky: a later poll says the same. */
    bw_assert_err(bw_transport_poll(f->t, f->now + 5u, &next), BW_ETIMEOUT);
}

/* --- the established channel --- */

/* A 200-byte datagram into a 16-byte buffer is BW_ENOSPC and dropped
 * whole: the next recv returns the following datagram intact.  A send
 * longer than a record carries is BW_EINVAL.  Then the server sends
 * close_notify: BW_ECLOSED, and sends are refused. */
static void test_channel_limits_and_close(void **state)
{
    fx_t *f = *state;
    uint8_t big[200];
    uint8_t buf[16];
    uint8_t *huge;
    size_t len = 0;

    client(f, BW_DTLS_MODE_PSK, BW_DTLS_SERVER_DM, NULL);
    bw_assert_err(bw_transport_send(f->t, (const uint8_t *)"x", 1, f->now),
                  BW_ESTATE);
    srv_start(f, srv_ctx(f, "PSK-AES128-CCM8:@SECLEVEL=0", NULL, NULL));
    assert_int_equal(drive(f), 0);

    memset(big, 0xa5, sizeof big);
    assert_int_equal(SSL_write(f->sssl, big, sizeof big), (int)sizeof big);
    assert_int_equal(SSL_write(f->sssl, "after", 5), 5);
    bw_assert_err(cli_recv(f, buf, sizeof buf, &len), BW_ENOSPC);
    assert_int_equal(len, 0);
    assert_int_equal(cli_recv(f, buf, sizeof buf, &len), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(buf, "after", 5);

    huge = calloc(1, 20000);
    assert_non_null(huge);
    bw_assert_err(bw_transport_send(f->t, huge, 20000, f->now), BW_EINVAL);
    free(huge);

    assert_true(SSL_shutdown(f->sssl) >= 0);
    bw_assert_err(cli_recv(f, buf, sizeof buf, &len), BW_ECLOSED);
    bw_assert_err(bw_transport_send(f->t, (const uint8_t *)"x", 1, f->now),
                  BW_ECLOSED);
}

/* --- set-up errors --- */

static int failing_entropy(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return BW_ECRYPTO;
}

static int init_with(fx_t *f, bw_dtls_mode_t mode, const char *name)
{
    bw_dtls_client_config_t cfg = {
        .mode = mode, .server = BW_DTLS_SERVER_DM, .server_name = name};
    bw_dtls_entropy_t rng = {bw_posix_entropy, NULL};
    return bw_dtls_client_init(&f->cli, &cfg, bw_posix_udp_dgram(&f->udp),
                               bw_posix_keystore(&f->ks), rng);
}

/* Each bad configuration or credential gives its documented code, and the
 * failed client refuses connect() with BW_ESTATE. */
static void test_init_errors(void **state)
{
    fx_t *f = *state;
    bw_dtls_client_config_t cfg = {.mode = BW_DTLS_MODE_PSK,
                                   .server = BW_DTLS_SERVER_DM,
                                   .hs_timeout_min_ms = 5000,
                                   .hs_timeout_max_ms = 1000};
    bw_dtls_entropy_t bad_rng = {failing_entropy, NULL};
    bw_keystore_t k = bw_posix_keystore(&f->ks);
    uint8_t long_psk[BW_DTLS_PSK_MAX + 1] = {0};
    uint8_t junk[40];

    /* min above max */
    bw_assert_err(
        bw_dtls_client_init(&f->cli, &cfg, bw_posix_udp_dgram(&f->udp), k,
                            (bw_dtls_entropy_t){bw_posix_entropy, NULL}),
        BW_EINVAL);
    bw_assert_err(bw_transport_connect(bw_dtls_client_transport(&f->cli), 0),
                  BW_ESTATE);
    /* certificate mode needs the expected server name */
    bw_assert_err(init_with(f, BW_DTLS_MODE_CERT, NULL), BW_EINVAL);
    /* entropy source down */
    cfg.hs_timeout_min_ms = 0;
    bw_assert_err(bw_dtls_client_init(&f->cli, &cfg,
                                      bw_posix_udp_dgram(&f->udp), k, bad_rng),
                  BW_ECRYPTO);
    /* a PSK longer than mbedTLS accepts */
    ks_put(f, BW_KEY_DM_PSK, long_psk, sizeof long_psk);
    bw_assert_err(init_with(f, BW_DTLS_MODE_PSK, NULL), BW_EOVERFLOW);
    /* PSK missing */
    assert_int_equal(k.ops->erase(k.ctx, BW_KEY_DM_PSK), 0);
    bw_assert_err(init_with(f, BW_DTLS_MODE_PSK, NULL), BW_ENOTFOUND);
    /* a trust anchor that is not DER */
    memset(junk, 0x30, sizeof junk);
    ks_put(f, BW_KEY_TRUST_ANCHOR, junk, sizeof junk);
    bw_assert_err(init_with(f, BW_DTLS_MODE_CERT, SERVER_NAME), BW_EMALFORMED);
    /* a device key that does not belong to the device certificate */
    ks_put_cert(f, BW_KEY_TRUST_ANCHOR, pki.srv_ca);
    ks_put_key(f, pki.rogue_key);
    bw_assert_err(init_with(f, BW_DTLS_MODE_CERT, SERVER_NAME), BW_EMALFORMED);
    /* and with the right key it works */
    ks_put_key(f, pki.dev_key);
    assert_int_equal(init_with(f, BW_DTLS_MODE_CERT, SERVER_NAME), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_psk_ccm8),
        T(test_psk_gcm_only),
        T(test_psk_wrong_key),
        T(test_psk_unknown_identity),
        T(test_cert_mutual),
        T(test_cert_gcm),
        T(test_cert_refusals),
        T(test_resume_psk),
        T(test_resume_cert),
        T(test_first_clienthello_is_dtls12),
        T(test_timeout_silent_server),
        T(test_channel_limits_and_close),
        T(test_init_errors),
    };
#undef T
    return cmocka_run_group_tests(tests, pki_setup, NULL);
}
