/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DTLS server engine in certificate mode against real OpenSSL DTLS
 * 1.2 clients over loopback UDP (tests/dtls_client_fixture.h).
 *
 * The test makes its own small PKI at start, with OpenSSL, in a temporary
 * directory: a P-256 fleet CA, the server's certificate, a CRL revoking
 * one client, and client certificates: valid, revoked, expired, not yet
 * valid, without a CN, from another CA, and from an impostor CA that has
 * the fleet CA's name but not its key.  The server is configured with
 * cert_file, key_file, ca_file and crl_file; clients check the server's
 * certificate against the fleet CA too.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "dtls_client_fixture.h"

typedef struct {
    X509 *cert;
    EVP_PKEY *key;
} cred_t;

static struct {
    char dir[64];
    char cert_file[128], key_file[128], ca_file[128], crl_file[128];
    cred_t ca, other_ca, impostor_ca, server;
    cred_t good, revoked, expired, future, no_cn, foreign, forged;
} pki;

#define DAY (24L * 3600L)

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(cert, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

/*
 * A certificate for a fresh P-256 key, valid from now + not_before to
 * now + not_after (seconds), signed by issuer (NULL: self-signed CA).
 * cn NULL gives a subject with only an organization.
 */
static cred_t make_cred(const char *cn, long serial, const cred_t *issuer,
                        long not_before, long not_after, int ca)
{
    cred_t c;
    c.key = EVP_EC_gen("P-256");
    assert_non_null(c.key);
    c.cert = X509_new();
    assert_non_null(c.cert);
    assert_int_equal(X509_set_version(c.cert, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(c.cert), serial),
                     1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(c.cert), not_before));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(c.cert), not_after));
    assert_int_equal(X509_set_pubkey(c.cert, c.key), 1);
    X509_NAME *name = X509_get_subject_name(c.cert);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   (const unsigned char *)"Bulwark "
                                                          "tests",
                                   -1, -1, 0),
        1);
    if (cn != NULL)
        assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                    (const unsigned char *)cn,
                                                    -1, -1, 0),
                         1);
    X509 *issuer_cert = issuer != NULL ? issuer->cert : c.cert;
    assert_int_equal(
        X509_set_issuer_name(c.cert, X509_get_subject_name(issuer_cert)), 1);
    if (ca) {
        add_ext(c.cert, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(c.cert, issuer_cert, NID_key_usage,
                "critical,keyCertSign,cRLSign");
    } else {
        add_ext(c.cert, issuer_cert, NID_basic_constraints, "CA:FALSE");
        add_ext(c.cert, issuer_cert, NID_key_usage,
                "critical,digitalSignature");
    }
    EVP_PKEY *signer = issuer != NULL ? issuer->key : c.key;
    assert_true(X509_sign(c.cert, signer, EVP_sha256()) > 0);
    return c;
}

static void free_cred(cred_t *c)
{
    X509_free(c->cert);
    EVP_PKEY_free(c->key);
    c->cert = NULL;
    c->key = NULL;
}

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        fail_msg("%s: %s", path, strerror(errno));
    return f;
}

static void write_crl(const char *path, const cred_t *ca, long revoked_serial)
{
    X509_CRL *crl = X509_CRL_new();
    assert_non_null(crl);
    assert_int_equal(X509_CRL_set_version(crl, 1), 1);
    assert_int_equal(
        X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)), 1);
    ASN1_TIME *last = X509_gmtime_adj(NULL, -DAY);
    ASN1_TIME *next = X509_gmtime_adj(NULL, 30 * DAY);
    assert_true(last != NULL && next != NULL);
    assert_int_equal(X509_CRL_set1_lastUpdate(crl, last), 1);
    assert_int_equal(X509_CRL_set1_nextUpdate(crl, next), 1);
    X509_REVOKED *r = X509_REVOKED_new();
    ASN1_INTEGER *serial = ASN1_INTEGER_new();
    assert_true(r != NULL && serial != NULL);
    assert_int_equal(ASN1_INTEGER_set(serial, revoked_serial), 1);
    assert_int_equal(X509_REVOKED_set_serialNumber(r, serial), 1);
    assert_int_equal(X509_REVOKED_set_revocationDate(r, last), 1);
    assert_int_equal(X509_CRL_add0_revoked(crl, r), 1);
    assert_int_equal(X509_CRL_sort(crl), 1);
    assert_true(X509_CRL_sign(crl, ca->key, EVP_sha256()) > 0);
    FILE *f = open_out(path);
    assert_int_equal(PEM_write_X509_CRL(f, crl), 1);
    fclose(f);
    ASN1_INTEGER_free(serial);
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    X509_CRL_free(crl);
}

static int pki_setup(void **state)
{
    if (fix_group_setup(state) != 0)
        return -1;
    snprintf(pki.dir, sizeof pki.dir, "/tmp/bw-dtls-cert-XXXXXX");
    assert_non_null(mkdtemp(pki.dir));
    snprintf(pki.cert_file, sizeof pki.cert_file, "%s/server.pem", pki.dir);
    snprintf(pki.key_file, sizeof pki.key_file, "%s/server.key", pki.dir);
    snprintf(pki.ca_file, sizeof pki.ca_file, "%s/ca.pem", pki.dir);
    snprintf(pki.crl_file, sizeof pki.crl_file, "%s/ca.crl", pki.dir);

    pki.ca = make_cred("Bulwark Fleet CA", 1, NULL, -DAY, 365 * DAY, 1);
    pki.other_ca = make_cred("Other Fleet CA", 1, NULL, -DAY, 365 * DAY, 1);
    /* Same name as the fleet CA, another key. */
    pki.impostor_ca =
        make_cred("Bulwark Fleet CA", 1, NULL, -DAY, 365 * DAY, 1);
    pki.server = make_cred("bulwark-server", 2, &pki.ca, -DAY, 30 * DAY, 0);
    pki.good = make_cred("device-good", 10, &pki.ca, -DAY, 30 * DAY, 0);
    pki.revoked = make_cred("device-revoked", 11, &pki.ca, -DAY, 30 * DAY, 0);
    pki.expired = make_cred("device-expired", 12, &pki.ca, -30 * DAY, -DAY, 0);
    pki.future = make_cred("device-future", 13, &pki.ca, 10 * DAY, 30 * DAY, 0);
    pki.no_cn = make_cred(NULL, 14, &pki.ca, -DAY, 30 * DAY, 0);
    pki.foreign =
        make_cred("device-foreign", 10, &pki.other_ca, -DAY, 30 * DAY, 0);
    pki.forged =
        make_cred("device-forged", 15, &pki.impostor_ca, -DAY, 30 * DAY, 0);

    FILE *f = open_out(pki.cert_file);
    assert_int_equal(PEM_write_X509(f, pki.server.cert), 1);
    fclose(f);
    f = open_out(pki.key_file);
    assert_int_equal(
        PEM_write_PrivateKey(f, pki.server.key, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    f = open_out(pki.ca_file);
    assert_int_equal(PEM_write_X509(f, pki.ca.cert), 1);
    fclose(f);
    write_crl(pki.crl_file, &pki.ca, 11);
    return 0;
}

static int pki_teardown(void **state)
{
    cred_t *all[] = {&pki.ca,    &pki.other_ca, &pki.impostor_ca, &pki.server,
                     &pki.good,  &pki.revoked,  &pki.expired,     &pki.future,
                     &pki.no_cn, &pki.foreign,  &pki.forged};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free_cred(all[i]);
    const char *files[] = {pki.cert_file, pki.key_file, pki.ca_file,
                           pki.crl_file};
    for (size_t i = 0; i < 4; i++)
        (void)unlink(files[i]);
    (void)rmdir(pki.dir);
    return fix_group_teardown(state);
}

static fix_server_t *cert_server(void)
{
    fix_server_t *h = fix_server_new();
    h->cfg.psk_lookup = NULL;
    h->cfg.cert_file = pki.cert_file;
    h->cfg.key_file = pki.key_file;
    h->cfg.ca_file = pki.ca_file;
    h->cfg.crl_file = pki.crl_file;
    fix_server_start(h);
    return h;
}

/* A client offering one ECDHE-ECDSA suite on P-256, presenting cred (NULL:
 * no certificate) and checking the server against the fleet CA. */
static fix_client_t *cert_client(uint16_t port, const char *suite,
                                 const cred_t *cred)
{
    fix_client_t *c = fix_client_new(port);
    assert_int_equal(SSL_CTX_set_cipher_list(c->ctx, suite), 1);
    assert_int_equal(SSL_CTX_set1_groups_list(c->ctx, "P-256"), 1);
    assert_int_equal(
        X509_STORE_add_cert(SSL_CTX_get_cert_store(c->ctx), pki.ca.cert), 1);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    if (cred != NULL) {
        assert_int_equal(SSL_CTX_use_certificate(c->ctx, cred->cert), 1);
        assert_int_equal(SSL_CTX_use_PrivateKey(c->ctx, cred->key), 1);
    }
    return c;
}

/* The valid client completes a handshake and gets its echoes back; the
 * identity delivered is its CN, in certificate mode. */
static void valid_client(fix_server_t *h, const char *suite, const char *msg)
{
    unsigned before = fix_rx_count(h);
    fix_client_t *c = cert_client(fix_port(h), suite, &pki.good);
    assert_int_equal(fix_client_handshake(c, FIX_WAIT_MS), FIX_OK);
    assert_string_equal(SSL_CIPHER_get_name(SSL_get_current_cipher(c->ssl)),
                        suite);
    fix_echo(c, msg);
    fix_echo(c, "and once more");
    assert_int_equal(fix_rx_count(h), before + 2);
    for (unsigned i = before; i < before + 2; i++) {
        fix_rx_t r = fix_rx_get(h, i);
        assert_string_equal(r.identity, "device-good");
        assert_int_equal(r.mode, BW_DTLS_MODE_CERT);
        assert_int_equal(r.port, c->port);
    }
    fix_client_free(c);
}

/*
 * Tried: a client with a valid certificate from the fleet CA, once per
 * ECDHE-ECDSA suite.
 * Must hold: handshake done with that suite, echoes come back, on_data
 * sees identity "device-good" (the CN) in certificate mode, and the log
 * line of the handshake names the CN.
 */
static void test_valid_certificate(void **state)
{
    (void)state;
    fix_server_t *h = cert_server();
    valid_client(h, "ECDHE-ECDSA-AES128-GCM-SHA256", "hello over GCM");
    valid_client(h, "ECDHE-ECDSA-AES128-CCM8", "hello over CCM8");
    bw_dtls_stats_t st = fix_stats(h);
    assert_int_equal(st.handshakes_done, 2);
    assert_int_equal(st.handshakes_failed, 0);
    assert_int_equal(st.records_in, 4);
    fix_assert_log(h, "handshake done", "'device-good'");
    fix_server_free(h);
}

typedef struct {
    const char *what;
    const cred_t *cred; /* NULL: the client sends no certificate */
    const char *reason; /* what the log line must say */
} refusal_t;

/*
 * Tried, each against the same server and each followed by a valid
 * client: no certificate; a certificate from another CA; one signed by an
 * impostor CA with the fleet CA's name; an expired one; one not yet
 * valid; a revoked one (serial in the configured CRL).
 * Must hold: each refused client's handshake fails on a fatal alert (not
 * a timeout); handshakes_failed counts each one; a log line gives the
 * reason with the client's address; nothing of theirs is delivered and no
 * handshake is left behind; the valid client after each is served.
 */
static void test_refused_certificates(void **state)
{
    (void)state;
    const refusal_t cases[] = {
        {"no certificate", NULL, "client sent no certificate"},
        {"another CA", &pki.foreign, "unable to get local issuer certificate"},
        {"impostor CA", &pki.forged, "certificate signature failure"},
        {"expired", &pki.expired, "certificate has expired"},
        {"not yet valid", &pki.future, "certificate is not yet valid"},
        {"revoked", &pki.revoked, "certificate revoked"},
    };
    fix_server_t *h = cert_server();
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const refusal_t *t = &cases[i];
        print_message("  refusing a client with %s\n", t->what);
        fix_client_t *c =
            cert_client(fix_port(h), "ECDHE-ECDSA-AES128-CCM8", t->cred);
        int r = fix_client_handshake(c, FIX_WAIT_MS);
        if (r != FIX_FAILED)
            fail_msg("client with %s: handshake %s", t->what,
                     r == FIX_OK ? "succeeded" : "timed out");
        assert_true(fix_client_got_alert(c));
        char who[32];
        snprintf(who, sizeof who, "127.0.0.1:%u:", c->port);
        fix_client_free(c);
        bw_dtls_stats_t st = FIX_WAIT(h, handshakes_failed, i + 1);
        assert_int_equal(st.handshakes_failed, i + 1);
        fix_assert_log(h, who, t->reason);
        FIX_WAIT_EQ(h, handshakes, 0);
        valid_client(h, "ECDHE-ECDSA-AES128-GCM-SHA256", t->what);
    }
    bw_dtls_stats_t st = fix_stats(h);
    unsigned n = sizeof cases / sizeof cases[0];
    assert_int_equal(st.handshakes_done, n);
    assert_int_equal(st.sessions, n);
    assert_int_equal(fix_rx_count(h), 2 * n);
    fix_server_free(h);
}

/*
 * Tried: server mtu = 256 (the smallest allowed) and a client whose link
 * MTU is 256 too, in a certificate handshake: the server's certificate
 * alone does not fit in one datagram of that size.
 * Must hold: the handshake completes (both sides fragment their
 * flights), no datagram the client reads is larger than 256 bytes less
 * the IPv4 and UDP headers (28), and the echo comes back.
 */
static void test_small_mtu(void **state)
{
    (void)state;
    fix_server_t *h = fix_server_new();
    h->cfg.psk_lookup = NULL;
    h->cfg.cert_file = pki.cert_file;
    h->cfg.key_file = pki.key_file;
    h->cfg.ca_file = pki.ca_file;
    h->cfg.mtu = 256;
    fix_server_start(h);
    fix_client_t *c =
        cert_client(fix_port(h), "ECDHE-ECDSA-AES128-CCM8", &pki.good);
    fix_client_ssl(c);
    assert_int_equal(DTLS_set_link_mtu(c->ssl, 256), 1);
    assert_int_equal(fix_client_handshake(c, FIX_WAIT_MS), FIX_OK);
    assert_true(i2d_X509(pki.server.cert, NULL) > 256);
    if (c->cap.in_max > 256 - 28)
        fail_msg("a handshake datagram of %zu bytes with mtu 256",
                 c->cap.in_max);
    fix_echo(c, "small datagrams");
    assert_string_equal(fix_rx_get(h, 0).identity, "device-good");
    fix_client_free(c);
    fix_server_free(h);
}

/*
 * Tried: a client whose certificate chains to the fleet CA but whose
 * subject has no CN, so there is no identity to give the application.
 * Must hold: the client is refused: its handshake fails on a fatal alert
 * (the server must not send its Finished and then drop everything the
 * client sends); the reason is logged; the refusal counts as a failed
 * handshake, not a done one; nothing is delivered, no session is kept.
 */
static void test_certificate_without_cn(void **state)
{
    (void)state;
    fix_server_t *h = cert_server();
    fix_client_t *c =
        cert_client(fix_port(h), "ECDHE-ECDSA-AES128-CCM8", &pki.no_cn);
    int r = fix_client_handshake(c, FIX_WAIT_MS);
    if (r == FIX_OK) {
        /* Show what the client would live through before failing. */
        fix_client_write(c, "anyone there?", 13);
        fix_expect_silence(c, 300);
    }
    fix_assert_log(h, "client certificate has no CN", NULL);
    bw_dtls_stats_t st = FIX_WAIT_EQ(h, handshakes, 0);
    assert_int_equal(st.sessions, 0);
    assert_int_equal(fix_rx_count(h), 0);
    if (r != FIX_FAILED)
        fail_msg("the client without a CN was told its handshake %s",
                 r == FIX_OK ? "succeeded" : "is still going on");
    assert_true(fix_client_got_alert(c));
    assert_int_equal(st.handshakes_failed, 1);
    assert_int_equal(st.handshakes_done, 0);
    fix_client_free(c);
    valid_client(h, "ECDHE-ECDSA-AES128-GCM-SHA256", "after no CN");
    fix_server_free(h);
}

/*
 * Tried: certificate-mode configurations that cannot work: a CRL path
 * that does not exist, a key file holding a certificate, a server
 * certificate that is not PEM, and only two of the three files.
 * Must hold: bw_dtls_server_new() refuses each with the exact code
 * (BW_ECERT for unusable files, BW_EINVAL for an incomplete set), names
 * the file in its reason, and leaves no server behind.
 */
static void test_bad_configuration(void **state)
{
    (void)state;
    char missing[160], garbage[160];
    snprintf(missing, sizeof missing, "%s/missing.crl", pki.dir);
    snprintf(garbage, sizeof garbage, "%s/garbage.pem", pki.dir);
    FILE *f = open_out(garbage);
    fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
          "-----END CERTIFICATE-----\n",
          f);
    fclose(f);

    struct {
        const char *cert, *key, *ca, *crl;
        int err;
        const char *named;
    } cases[] = {
        {pki.cert_file, pki.key_file, pki.ca_file, missing, BW_ECERT, missing},
        {pki.cert_file, pki.cert_file, pki.ca_file, NULL, BW_ECERT,
         pki.cert_file},
        {garbage, pki.key_file, pki.ca_file, NULL, BW_ECERT, garbage},
        {pki.cert_file, pki.key_file, NULL, NULL, BW_EINVAL, NULL},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bw_dtls_server_config_t cfg = {
            .bind_addr = "127.0.0.1",
            .workers = 1,
            .cert_file = cases[i].cert,
            .key_file = cases[i].key,
            .ca_file = cases[i].ca,
            .crl_file = cases[i].crl,
            .on_data = fix_on_data,
        };
        static char sentinel;
        /* Not NULL before the call: a failed new() must reset it. */
        bw_dtls_server_t *srv = (bw_dtls_server_t *)(void *)&sentinel;
        const char *why = NULL;
        bw_assert_err(bw_dtls_server_new(&cfg, &srv, &why), cases[i].err);
        assert_null(srv);
        assert_non_null(why);
        if (cases[i].named != NULL && strstr(why, cases[i].named) == NULL)
            fail_msg("case %u: reason \"%s\" does not name %s", i, why,
                     cases[i].named);
    }
    (void)unlink(garbage);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_certificate),
        cmocka_unit_test(test_refused_certificates),
        cmocka_unit_test(test_small_mtu),
        cmocka_unit_test(test_certificate_without_cn),
        cmocka_unit_test(test_bad_configuration),
    };
    return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
