/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device's DTLS 1.2 client: a bw_transport_t (include/bulwark/
 * transport.h) on top of a bw_dgram_t, built on mbedTLS (2.28; written
 * against calls that 3.6 keeps).
 *
 * What it is for: the secure channel from a device to its LwM2M bootstrap
 * or device-management server, in one of two modes:
 *
 *   PSK   TLS_PSK_WITH_AES_128_CCM_8 (offered first, the LwM2M mandatory
 *         suite), TLS_PSK_WITH_AES_128_GCM_SHA256.  Identity and key are
 *         the key-store items "<prefix>/psk-identity" and "<prefix>/psk",
 *         prefix "bs" or "dm" (bw_dtls_server_t).
 *   CERT  TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, ..._AES_128_GCM_SHA256.
 *         Mutual authentication: the device presents "device/cert.der"
 *         and "device/key.der"; the server's chain must end at
 *         "ca/cert.der" and its certificate must carry server_name.
 *
 * Every record, including the very first ClientHello, says DTLS 1.2
 * (0xfefd) on the wire; nothing older is offered.  A session that ended
 * well is kept and offered on the next connect() (abbreviated handshake);
 * bw_dtls_client_resumed() says whether the server took it.
 *
 * What it owns: one caller-allocated bw_dtls_client_t holding the mbedTLS
 * contexts, the parsed certificates and key (cert mode) and the saved
 * session.  mbedTLS allocates its record buffers and handshake state
 * through its platform calloc/free: on Linux the C heap; on a
 * microcontroller, configure MBEDTLS_PLATFORM_MEMORY with a static pool
 * (mbedtls_memory_buffer_alloc_init()) sized for one handshake (about
 * 2 x MBEDTLS_SSL_IN_CONTENT_LEN plus 6 KiB for ECDHE-ECDSA).
 *
 * What it must never do: make an OS call, read a clock (time is passed
 * in; mbedTLS's handshake timers are driven from it), read entropy except
 * through the port's callback, log, or keep key material in a buffer of
 * its own longer than one call: credentials are read from the key store,
 * handed to mbedTLS (which copies the PSK) and wiped.  Failure reasons
 * (bw_dtls_client_reason()) name what failed, never a secret.
 *
 * Clock note: mbedTLS checks certificate validity dates against its own
 * wall clock (mbedtls_time(), MBEDTLS_HAVE_TIME_DATE).  A device without
 * a calendar clock builds mbedTLS without it and accepts any date.
 *
 * States (one setter, in dtls_client.c):
 *
 *       init          connect()          handshake done (poll)
 *   ------------> IDLE ---------> HANDSHAKE ------------------> CONNECTED
 *                  ^ ^                |                            |
 *                  | |         poll() fails (sticky)     recv/send fails
 *                  | |                v                            |
 *                  | +--close()--- FAILED <------------------------+
 *                  +-----------------------------------close()-----+
 *
 * connect() from any state first closes what is open.  A failure is
 * sticky: every call but connect() and close() repeats it.
 *
 * Usage (POSIX port; a microcontroller supplies its own dgram, key store
 * and entropy):
 *
 *   bw_posix_udp_t udp;
 *   bw_posix_keystore_t ksdir;
 *   static bw_dtls_client_t dtls;        (large: keep it off the stack)
 *   bw_transport_t *t;
 *   bw_dtls_client_config_t cfg = {
 *       .mode = BW_DTLS_MODE_PSK, .server = BW_DTLS_SERVER_DM,
 *   };
 *   bw_dtls_entropy_t rng = { bw_posix_entropy, NULL };
 *   uint32_t next;
 *   int rc;
 *
 *   bw_posix_udp_open(&udp, "lwm2m.example.net", "5684");
 *   bw_posix_keystore_init(&ksdir, "/var/lib/bulwark/keys");
 *   rc = bw_dtls_client_init(&dtls, &cfg, bw_posix_udp_dgram(&udp),
 *                            bw_posix_keystore(&ksdir), rng);
 *   t = bw_dtls_client_transport(&dtls);
 *   rc = bw_transport_connect(t, bw_posix_now_ms());
 *   while (rc == BW_EAGAIN) {
 *       rc = bw_transport_poll(t, bw_posix_now_ms(), &next);
 *       if (rc == BW_EAGAIN)
 *           wait for bw_posix_udp_fd(&udp) readable or until next
 *   }
 *   if (rc != 0)
 *       fprintf(stderr, "dtls: %s (%s)\n", bw_strerror(rc),
 *               bw_dtls_client_reason(&dtls));
 *   rc = bw_transport_send(t, req, req_len, bw_posix_now_ms());
 *   ... bw_transport_recv(t, buf, sizeof buf, &len, bw_posix_now_ms()) ...
 *   bw_transport_close(t);        (the session is kept for next connect)
 *   bw_dtls_client_free(&dtls);
 */
#ifndef BW_DTLS_CLIENT_H
#define BW_DTLS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "bulwark/error.h"
#include "bulwark/keystore.h"
#include "bulwark/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Handshake retransmission timer bounds (RFC 6347 section 4.2.4.1: start
 * at 1 s, double, give up after about a minute).  A config value of 0
 * takes these. */
#define BW_DTLS_HS_TIMEOUT_MIN_MS 1000u
#define BW_DTLS_HS_TIMEOUT_MAX_MS 60000u

/* Largest datagram the client sends during a handshake: the IPv6 minimum
 * link MTU (1280) less the IPv6 (40) and UDP (8) headers, so handshake
 * flights are fragmented to pass any path without IP fragmentation. */
#define BW_DTLS_MTU_DEFAULT 1232u

/* Longest PSK identity read from the key store (RFC 4279 allows 64 KiB;
 * LwM2M identities are endpoint names, well below this). */
#define BW_DTLS_PSK_ID_MAX 128u

/* Longest PSK: mbedTLS refuses longer keys (MBEDTLS_PSK_MAX_LEN). */
#define BW_DTLS_PSK_MAX 32u

/* Longest certificate or private key item (DER).  A P-256 certificate is
 * under 1 KiB; 4 KiB leaves room for long names and extensions while
 * bounding the temporary copy mbedTLS's pool must hold. */
#define BW_DTLS_CRED_MAX 4096u

/* Longest expected server name (a DNS name is at most 253 characters). */
#define BW_DTLS_SERVER_NAME_MAX 253u

/* Bytes of the failure reason, terminator included. */
#define BW_DTLS_REASON_MAX 96u

typedef enum {
    BW_DTLS_MODE_PSK = 1,
    BW_DTLS_MODE_CERT = 2,
} bw_dtls_mode_t;

/* Which server the PSK items belong to: "bs/..." or "dm/..." */
typedef enum {
    BW_DTLS_SERVER_BS = 1,
    BW_DTLS_SERVER_DM = 2,
} bw_dtls_server_t;

typedef struct {
    bw_dtls_mode_t mode;
    bw_dtls_server_t server; /* PSK mode: the key-store prefix */
    /* CERT mode: the name the server certificate MUST carry (subjectAltName
     * dNSName, or CN without one); also sent as SNI.  Required in CERT
     * mode, optional (SNI only) in PSK mode.  Copied at init. */
    const char *server_name;
    uint32_t hs_timeout_min_ms; /* 0: BW_DTLS_HS_TIMEOUT_MIN_MS */
    uint32_t hs_timeout_max_ms; /* 0: BW_DTLS_HS_TIMEOUT_MAX_MS */
    uint16_t mtu;               /* 0: BW_DTLS_MTU_DEFAULT */
} bw_dtls_client_config_t;

/*
 * The port's entropy source, used only to seed (and reseed) the client's
 * CTR_DRBG.  fill() writes len random bytes and returns 0, or a negative
 * BW_E* code (the handshake then fails with BW_ECRYPTO).  POSIX:
 * bw_posix_entropy (getrandom(2)).
 */
typedef struct {
    int (*fill)(void *ctx, uint8_t *buf, size_t len);
    void *ctx;
} bw_dtls_entropy_t;

/*
 * The client.  Fields are private.  mbedTLS contexts point at each other
 * inside it, so once initialised it MUST NOT be copied or moved.
 */
typedef struct {
    bw_transport_t transport; /* first member: (bw_transport_t *)client */
    int state;
    int err;               /* sticky failure while FAILED */
    int io_err;            /* BW_ENET seen by the datagram callbacks */
    int mode;              /* bw_dtls_mode_t */
    int have_saved;        /* saved holds a session from a finished handshake */
    int resumed;           /* the last handshake was abbreviated */
    int peer_alert;        /* last plaintext alert description seen, or -1 */
    int sent_encrypted_hs; /* our Finished went out in this handshake */
    uint32_t hs_start_ms;  /* when connect() began this handshake */
    uint32_t hs_limit_ms;  /* the whole handshake may take this long */
    uint32_t now_ms;
    uint32_t timer_start_ms;
    uint32_t timer_int_ms;
    uint32_t timer_fin_ms; /* 0: no timer running */
    bw_dgram_t dgram;
    bw_dtls_entropy_t entropy;
    char reason[BW_DTLS_REASON_MAX];
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_session saved;
    mbedtls_x509_crt ca;
    mbedtls_x509_crt own_cert;
    mbedtls_pk_context own_key;
} bw_dtls_client_t;

/*
 * Set up client: copy cfg, seed the DRBG from entropy, read the
 * credentials named by cfg from ks, hand them to mbedTLS and wipe the
 * copies.  No datagram is sent; the client is IDLE.  dgram, ks and the
 * entropy context MUST outlive the client (ks is used only here).
 *
 * Returns 0, or
 *   BW_EINVAL     NULL argument, unknown mode or server, timeouts with
 *                 min > max, CERT mode without server_name, a name
 *                 longer than BW_DTLS_SERVER_NAME_MAX
 *   BW_ENOTFOUND  a credential item is missing
 *   BW_EIO        the key store failed
 *   BW_EOVERFLOW  a credential item is longer than its limit above
 *                 (or the PSK or its identity is empty)
 *   BW_EMALFORMED a stored certificate or key does not parse, or the key
 *                 is not an EC key
 *   BW_ECRYPTO    seeding the DRBG failed (entropy source failed)
 *   BW_ENOMEM     mbedTLS could not allocate
 * On failure everything is released; bw_dtls_client_free() is harmless.
 */
int bw_dtls_client_init(bw_dtls_client_t *client,
                        const bw_dtls_client_config_t *cfg, bw_dgram_t dgram,
                        bw_keystore_t ks, bw_dtls_entropy_t entropy);

/* The transport of an initialised client (never NULL for non-NULL client). */
bw_transport_t *bw_dtls_client_transport(bw_dtls_client_t *client);

/*
 * Release everything, wiping keys, the saved session and the DRBG state.
 * Sends nothing (call bw_transport_close() first for a close_notify).
 * Safe on a client whose init failed, and twice.
 */
void bw_dtls_client_free(bw_dtls_client_t *client);

/*
 * 1 when the last completed handshake resumed the saved session
 * (abbreviated handshake), else 0.
 */
int bw_dtls_client_resumed(const bw_dtls_client_t *client);

/*
 * IANA number of the negotiated cipher suite while CONNECTED (0xC0A8 for
 * TLS_PSK_WITH_AES_128_CCM_8, ...), else 0.
 */
uint16_t bw_dtls_client_suite(const bw_dtls_client_t *client);

/*
 * A short reason for the last failure ("server name does not match",
 * "peer alert 115"), or "" when the client has not failed.  Never NULL,
 * never contains key material.  Valid until the next call on client.
 */
const char *bw_dtls_client_reason(const bw_dtls_client_t *client);

#ifdef __cplusplus
}
#endif

#endif /* BW_DTLS_CLIENT_H */
