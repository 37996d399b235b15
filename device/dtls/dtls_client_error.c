/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Why a DTLS connection failed: mbedTLS return codes, the server's alert
 * and the certificate verification flags, turned into one BW_E* code and
 * a short reason for people (bw_dtls_client_reason()).  Rules, first
 * match wins:
 *
 *   1. the datagram layer failed                        BW_ENET
 *   2. close_notify from the peer                       BW_ECLOSED
 *      (BW_EAUTH during a PSK handshake after our Finished, as in 5)
 *   3. a fatal alert: during the handshake by its kind
 *      (alert_rules below), afterwards always           BW_ECLOSED
 *   4. the server certificate failed verification or
 *      did not parse                                    BW_ECERT
 *   5. the handshake timer gave up: in PSK mode after
 *      our Finished had gone out, BW_EAUTH (below);
 *      otherwise                                        BW_ETIMEOUT
 *   6. the server's Finished did not decrypt or verify  BW_EAUTH
 *   7. out of memory                                    BW_ENOMEM
 *   8. the DRBG could not be reseeded                   BW_ECRYPTO
 *   9. anything else: BW_EHANDSHAKE during the handshake, BW_ECLOSED
 *      afterwards (the channel is unusable either way)
 *
 * Rule 5: a server that does not share our PSK cannot decrypt our
 * Finished.  A TLS server answers with bad_record_mac, but a DTLS server
 * may (OpenSSL does) silently drop records that fail to decrypt (RFC 6347
 * section 4.1.2.7), so the client then only sees silence after the
 * server answered every earlier flight.  That server proved no knowledge
 * of our key, which is what BW_EAUTH means (include/bulwark/transport.h).
 * A server that never answered at all is BW_ETIMEOUT.
 *
 * Reasons are fixed strings plus at most a number: never a secret, never
 * a name from the peer's certificate.
 */
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/x509.h>

#include "dtls_client_int.h"

typedef struct {
    uint8_t alert; /* RFC 5246 section 7.2, RFC 4279 section 2 */
    int err;
    const char *reason;
} alert_rule_t;

static const alert_rule_t alert_rules[] = {
    {0, BW_ECLOSED, "server sent close_notify"},
    {20, BW_EAUTH, "server alert bad_record_mac"},
    {51, BW_EAUTH, "server alert decrypt_error"},
    {115, BW_EAUTH, "server alert unknown_psk_identity"},
    {49, BW_EAUTH, "server alert access_denied"},
    {42, BW_ECERT, "server refused our certificate (bad_certificate)"},
    {43, BW_ECERT, "server refused our certificate (unsupported)"},
    {44, BW_ECERT, "server refused our certificate (revoked)"},
    {45, BW_ECERT, "server refused our certificate (expired)"},
    {46, BW_ECERT, "server refused our certificate (unknown)"},
    {48, BW_ECERT, "server refused our certificate (unknown_ca)"},
    {40, BW_EHANDSHAKE, "server alert handshake_failure"},
    {70, BW_EHANDSHAKE, "server alert protocol_version"},
    {71, BW_EHANDSHAKE, "server alert insufficient_security"},
};

/* Verification flags, most fundamental first: an untrusted certificate
 * that also has the wrong name is reported as untrusted. */
typedef struct {
    uint32_t flags;
    const char *reason;
} verify_rule_t;

static const verify_rule_t verify_rules[] = {
    {MBEDTLS_X509_BADCERT_MISSING, "server sent no certificate"},
    {MBEDTLS_X509_BADCERT_NOT_TRUSTED,
     "server certificate not issued by the trust anchor"},
    {MBEDTLS_X509_BADCERT_REVOKED, "server certificate revoked"},
    {MBEDTLS_X509_BADCERT_EXPIRED, "server certificate expired"},
    {MBEDTLS_X509_BADCERT_FUTURE, "server certificate not yet valid"},
    {MBEDTLS_X509_BADCERT_CN_MISMATCH, "server name does not match"},
    {MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE |
         MBEDTLS_X509_BADCERT_NS_CERT_TYPE,
     "server certificate not meant for a TLS server"},
    {MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_PK |
         MBEDTLS_X509_BADCERT_BAD_KEY,
     "server certificate uses a refused algorithm or key"},
};

void bw_devdtls__reason(bw_dtls_client_t *c, const char *text)
{
    size_t n = strlen(text);

    if (n >= sizeof c->reason)
        n = sizeof c->reason - 1u;
    memcpy(c->reason, text, n);
    c->reason[n] = '\0';
}

/* reason = prefix followed by " -0x" and the hex of -code. */
static void reason_code(bw_dtls_client_t *c, const char *prefix, int code)
{
    static const char hex[] = "0123456789abcdef";
    char num[16];
    unsigned v = code < 0 ? (unsigned)-code : (unsigned)code;
    size_t n = 0;
    size_t used;
    int shift;

    num[n++] = ' ';
    num[n++] = code < 0 ? '-' : '+';
    num[n++] = '0';
    num[n++] = 'x';
    for (shift = 12; shift >= 0; shift -= 4)
        num[n++] = hex[(v >> shift) & 0xfu];
    num[n] = '\0';
    bw_devdtls__reason(c, prefix);
    used = strlen(c->reason);
    if (used + n < sizeof c->reason)
        memcpy(c->reason + used, num, n + 1u);
}

static int alert_error(bw_dtls_client_t *c)
{
    size_t i;

    for (i = 0; i < sizeof alert_rules / sizeof alert_rules[0]; i++) {
        if (c->peer_alert == alert_rules[i].alert) {
            bw_devdtls__reason(c, alert_rules[i].reason);
            return alert_rules[i].err;
        }
    }
    reason_code(c, "server alert", c->peer_alert);
    return BW_EHANDSHAKE;
}

static int cert_error(bw_dtls_client_t *c)
{
    uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
    size_t i;

    for (i = 0; i < sizeof verify_rules / sizeof verify_rules[0]; i++) {
        if ((flags & verify_rules[i].flags) != 0) {
            bw_devdtls__reason(c, verify_rules[i].reason);
            return BW_ECERT;
        }
    }
    bw_devdtls__reason(c, "server certificate rejected");
    return BW_ECERT;
}

/* mbedTLS X.509 errors are the high-level codes -0x2080 .. -0x2f80. */
static int is_x509_error(int ret)
{
    int high = -ret & 0xff80;
    return high >= 0x2080 && high <= 0x2f80;
}

int bw_devdtls__map_error(bw_dtls_client_t *c, int ret, int in_handshake)
{
    if (c->io_err != 0) {
        bw_devdtls__reason(c, "datagram send or receive failed");
        return c->io_err;
    }
    switch (ret) {
    case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
        if (in_handshake && c->mode == BW_DTLS_MODE_PSK &&
            c->sent_encrypted_hs) {
            /* Rule 5 again: a server that gives up on the handshake
             * after our Finished (GnuTLS closes after a few seconds of
             * undecryptable records) could not read it. */
            bw_devdtls__reason(c, "server closed after our Finished: it "
                                  "does not share our PSK");
            return BW_EAUTH;
        }
        bw_devdtls__reason(c, "server sent close_notify");
        return BW_ECLOSED;
    case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
        if (in_handshake && c->peer_alert >= 0)
            return alert_error(c);
        bw_devdtls__reason(c, "server sent a fatal alert");
        return in_handshake ? BW_EHANDSHAKE : BW_ECLOSED;
    case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
        return cert_error(c);
    case MBEDTLS_ERR_SSL_BAD_HS_CERTIFICATE:
        bw_devdtls__reason(c, "server certificate message malformed");
        return BW_ECERT;
    case MBEDTLS_ERR_SSL_TIMEOUT:
        if (c->mode == BW_DTLS_MODE_PSK && c->sent_encrypted_hs) {
            bw_devdtls__reason(
                c, "no answer to our Finished: server does not share our PSK");
            return BW_EAUTH;
        }
        bw_devdtls__reason(c, "no answer from server");
        return BW_ETIMEOUT;
    case MBEDTLS_ERR_SSL_INVALID_MAC:
    case MBEDTLS_ERR_SSL_BAD_HS_FINISHED:
        bw_devdtls__reason(c, "server Finished did not verify");
        return BW_EAUTH;
    case MBEDTLS_ERR_SSL_ALLOC_FAILED:
        bw_devdtls__reason(c, "out of memory");
        return BW_ENOMEM;
    case MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED:
        bw_devdtls__reason(c, "entropy source failed");
        return BW_ECRYPTO;
    default:
        break;
    }
    if (in_handshake && is_x509_error(ret)) {
        reason_code(c, "server certificate unusable:", ret);
        return BW_ECERT;
    }
    reason_code(c,
                in_handshake ? "handshake failed: mbedTLS error"
                             : "connection failed: mbedTLS error",
                ret);
    return in_handshake ? BW_EHANDSHAKE : BW_ECLOSED;
}
