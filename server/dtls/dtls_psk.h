/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Our own DTLS 1.2 server handshake for the PSK suites (RFC 6347, RFC 5246,
 * RFC 4279, RFC 6655, RFC 7627, RFC 5746, RFC 5077).
 *
 * Why.  A full PSK handshake needs no public-key operation: a few HMACs,
 * one SHA-256 over the messages and two AEAD records.  Running it through
 * an OpenSSL SSL object cost more than all of that together (the object's
 * creation and destruction, its allocations, its generic state machine,
 * the session copy for a ticket).  This engine does the same exchange in
 * one fixed-size object.
 *
 * What it handles, after the stateless cookie exchange (dtls_hello.h):
 *   full         ClientHello -> ServerHello, [ServerHelloDone]
 *                ClientKeyExchange, ChangeCipherSpec, Finished ->
 *                [NewSessionTicket], ChangeCipherSpec, Finished
 *   abbreviated  ClientHello with one of our tickets -> ServerHello,
 *                ChangeCipherSpec, Finished; the client's ChangeCipherSpec
 *                and Finished complete it.
 * Suites PSK-AES128-CCM8 (0xc0a8) and PSK-AES128-GCM-SHA256 (0x00a8),
 * chosen in that order, as the OpenSSL path did.  Extensions answered:
 * renegotiation_info (RFC 5746, always empty: no renegotiation),
 * extended_master_secret (RFC 7627) and session_ticket (RFC 5077) when
 * the client offers them.  No identity hint, hence no ServerKeyExchange.
 * Anything else (certificate suites, DTLS 1.0 only, no null compression)
 * is not eligible and stays with OpenSSL (dtls_hs.c).
 *
 * DTLS details: message_seq is checked per message; a message may arrive
 * in fragments (reassembled up to BW_DTLS_PSK_MSG_MAX bytes); the
 * transcript holds every message from the cookie-carrying ClientHello on,
 * with its 12-byte header as if unfragmented (RFC 6347 4.2.6); our last
 * flight is sent again when the client's previous flight comes again or
 * the retransmission timer fires (1 s doubling to 60 s, RFC 6347 4.2.4).
 *
 * Tickets are ours: the session (suite, EMS flag, issue time, master
 * secret, identity) sealed with AES-128-GCM under a key drawn when the
 * server starts.  A ticket that does not open, is too old, names a suite
 * the client no longer offers, disagrees on EMS, or whose identity the
 * PSK lookup no longer knows is ignored: the client gets a full
 * handshake (and the lookup decides again).
 *
 * Never: allocates, logs, reads a clock or touches a socket.  Output goes
 * through env->send; the time comes in env->now_ms.  Secrets (PSK,
 * premaster, master secret, key block) are wiped after use; the client
 * Finished is compared in constant time.
 */
#ifndef BW_DTLS_PSK_H
#define BW_DTLS_PSK_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"
#include "dtls_hello.h"
#include "dtls_record.h"
#include "dtls_server.h"

/* --- Crypto context: one per worker (dtls_crypto.c) ---------------------- */

typedef struct bw_dtls_crypto bw_dtls_crypto_t;
/* NULL when out of memory or the algorithms are missing. */
bw_dtls_crypto_t *bw_dtls_crypto_new(void);
void bw_dtls_crypto_free(bw_dtls_crypto_t *c);
/* Returns 0, or BW_ECRYPTO (out zeroed). */
int bw_dtls_crypto_sha256(bw_dtls_crypto_t *c, const uint8_t *data, size_t len,
                          uint8_t out[32]);
/* The TLS 1.2 PRF (as bw_dtls_prf_sha256).  Returns 0, or BW_EINVAL
 * (label + seed over BW_DTLS_PRF_SEED_MAX), BW_ECRYPTO; out zeroed then. */
int bw_dtls_crypto_prf(bw_dtls_crypto_t *c, const uint8_t *secret,
                       size_t secret_len, const char *label,
                       const uint8_t *seed, size_t seed_len, uint8_t *out,
                       size_t out_len);
/* As bw_dtls_derive_keys.  Returns 0, or BW_ECRYPTO. */
int bw_dtls_crypto_keys(bw_dtls_crypto_t *c,
                        const uint8_t master[BW_DTLS_MASTER_LEN],
                        const uint8_t client_random[BW_DTLS_RANDOM_LEN],
                        const uint8_t server_random[BW_DTLS_RANDOM_LEN],
                        bw_dtls_keys_t *client_write,
                        bw_dtls_keys_t *server_write);

/* --- The engine ---------------------------------------------------------- */

/* Largest client message reassembled (ClientKeyExchange: 2 + identity;
 * identities over BW_DTLS_IDENTITY_MAX are refused by name, not by size). */
#define BW_DTLS_PSK_MSG_MAX 512
/* Transcript: a ClientHello filling a datagram (its room is checked
 * against two of our largest messages, about 320 bytes each with a ticket,
 * the largest ClientKeyExchange and two Finished: 1,216 bytes). */
#define BW_DTLS_PSK_TRANSCRIPT_MAX (BW_DTLS_DATAGRAM_MAX + 1280)
/* Largest PSK asked of the lookup (OpenSSL's PSK_MAX_PSK_LEN). */
#define BW_DTLS_PSK_KEY_MAX 512
/* Seconds a ticket stays usable (and the lifetime hint sent). */
#define BW_DTLS_TICKET_LIFETIME_S 7200
/* Epoch-1 sequence numbers kept for our Finished and its resends; the
 * record layer starts above them (a number used twice reuses a nonce). */
#define BW_DTLS_PSK_SEQ_ROOM 32

#define BW_DTLS_SUITE_PSK_CCM8 0xc0a8
#define BW_DTLS_SUITE_PSK_GCM  0x00a8

/* Ticket sealing key: server-wide, random per start. */
typedef struct {
    bw_dtls_keys_t keys;
} bw_dtls_ticket_key_t;

/* Server randoms drawn ahead, one RAND_bytes() per 32 handshakes (a
 * server random is public; only its unpredictability matters). */
#define BW_DTLS_RAND_POOL 1024
typedef struct {
    uint8_t buf[BW_DTLS_RAND_POOL];
    size_t left;
} bw_dtls_rand_pool_t;

typedef struct {
    bw_dtls_aead_ctx_t *aead;
    bw_dtls_crypto_t *crypto;
    bw_dtls_rand_pool_t *rand; /* NULL: RAND_bytes() per handshake */
    /* as bw_dtls_server_config_t.psk_lookup */
    int (*psk_lookup)(void *arg, const uint8_t *identity, size_t identity_len,
                      uint8_t *psk, size_t cap, size_t *psk_len);
    void *psk_arg;
    const bw_dtls_ticket_key_t *ticket_key; /* NULL: no tickets */
    uint64_t *ticket_counter; /* unique nonce part, caller's; may be NULL
                                 only when ticket_key is */
    uint64_t now_ms;
    uint32_t now_s;
    void (*send)(void *arg, const uint8_t *dgram, size_t len);
    void *send_arg;
} bw_dtls_psk_env_t;

typedef enum {
    BW_DTLS_PSK_WAIT_CKE = 1,  /* full: sent ServerHello..ServerHelloDone */
    BW_DTLS_PSK_WAIT_FIN,      /* full: keys known, awaiting CCS, Finished */
    BW_DTLS_PSK_ABBR_WAIT_FIN, /* abbreviated: our Finished sent */
    BW_DTLS_PSK_DONE,
    BW_DTLS_PSK_FAILED,
} bw_dtls_psk_state_t;

/* One handshake; plain data, fields private by agreement. */
typedef struct {
    uint8_t state; /* bw_dtls_psk_state_t */
    uint8_t alg;   /* bw_dtls_aead_t */
    uint16_t suite;
    uint8_t ems, reneg, send_ticket, resumed, ccs_seen;
    uint8_t alert; /* the alert we sent on failure, 0 none */
    uint8_t sid_len;
    uint8_t identity_len;
    uint16_t cli_seq;     /* next message_seq expected from the client */
    uint16_t ch_seq;      /* the ClientHello's */
    uint16_t srv_seq;     /* next message_seq we send */
    uint64_t out_seq0;    /* next epoch-0 record number */
    uint64_t out_seq1;    /* next epoch-1 record number */
    uint64_t app_seq0;    /* first number left to the record layer */
    bw_dtls_replay_t in1; /* client epoch-1 records seen */
    uint64_t timer_ms;    /* next retransmission, UINT64_MAX none */
    uint32_t timeout_ms;
    const char *why;  /* reason of a failure, static text */
    const char *note; /* something worth a log line, static text */
    uint8_t cr[BW_DTLS_RANDOM_LEN], sr[BW_DTLS_RANDOM_LEN];
    uint8_t master[BW_DTLS_MASTER_LEN];
    uint8_t hash_cke[32]; /* transcript hash up to ClientKeyExchange */
    bw_dtls_keys_t rx, tx;
    uint8_t fin_msg[24]; /* our Finished, handshake header on */
    uint8_t session_id[32];
    uint8_t identity[BW_DTLS_IDENTITY_MAX];
    /* our last epoch-0 flight: transcript bytes [flight_off, +flight_len) */
    uint16_t flight_off, flight_len;
    /* reassembly of the client message cli_seq */
    uint8_t frag_active;
    uint8_t frag_type;
    uint16_t frag_seq;
    uint32_t frag_len;
    uint8_t frag_have[BW_DTLS_PSK_MSG_MAX / 8];
    uint8_t frag[BW_DTLS_PSK_MSG_MAX];
    uint16_t tlen;
    uint8_t transcript[BW_DTLS_PSK_TRANSCRIPT_MAX];
} bw_dtls_psk_t;

/*
 * Whether this engine takes the handshake of hello: DTLS 1.2 offered,
 * null compression offered, one of our PSK suites offered.  *suite gets
 * the one chosen.  Returns 1 or 0.
 */
int bw_dtls_psk_eligible(const bw_dtls_hello_t *hello, uint16_t *suite);

/*
 * Start from a ClientHello whose cookie the caller has checked (hello as
 * parsed from dgram).  Sends the server's first flight.
 * Returns 0 (p->state WAIT_CKE or ABBR_WAIT_FIN), or BW_EUNSUPPORTED (not
 * eligible), BW_EORDER (handshake records after the ClientHello in its
 * datagram: a client message before our ServerHello), BW_EMALFORMED (a
 * bad extension block, a non-empty renegotiation_info), BW_EOVERFLOW (the
 * ClientHello does not fit the transcript), BW_ECRYPTO.  On error the
 * matching fatal alert has been sent (none for BW_ECRYPTO) and p->why
 * says why.
 */
int bw_dtls_psk_start(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env,
                      const bw_dtls_hello_t *hello, const uint8_t *dgram,
                      size_t len);

/*
 * Feed one datagram from the client.  Records that do not parse, are
 * from another epoch than expected, replayed, or stale retransmissions
 * are dropped (RFC 6347 4.1.2.7); a retransmitted client flight makes us
 * send our last flight again (after DONE: at most until the numbers of
 * BW_DTLS_PSK_SEQ_ROOM run out).
 * Returns 0 (check p->state for DONE), or, the handshake failed and a
 * fatal alert was sent: BW_EAUTH (unknown identity, an identity over
 * BW_DTLS_IDENTITY_MAX, a client Finished that does not authenticate or
 * does not verify), BW_ETRUNC (a handshake message shorter than its own
 * fields), BW_EMALFORMED (fields inconsistent with the message length,
 * fragments disagreeing on type or length, a bad ChangeCipherSpec),
 * BW_EOVERFLOW (a message announcing more than BW_DTLS_PSK_MSG_MAX bytes),
 * BW_ETYPE (a message of a type not expected now), BW_ECLOSED (the client
 * sent a fatal alert; nothing is sent back), BW_ESTATE (called after
 * FAILED), BW_ECRYPTO.
 */
int bw_dtls_psk_input(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env,
                      const uint8_t *dgram, size_t len);

/*
 * Retransmit our last flight if its timer is due (env->now_ms).
 * Returns 0, or BW_ECRYPTO.
 */
int bw_dtls_psk_timer(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env);

/* Wipe everything secret in p (keys included) and mark it FAILED. */
void bw_dtls_psk_wipe(bw_dtls_psk_t *p);

/* OpenSSL's name of the suite chosen ("PSK-AES128-CCM8", ...). */
const char *bw_dtls_psk_suite_name(const bw_dtls_psk_t *p);

/* --- Messages (dtls_pskmsg.c) -------------------------------------------- */

/* What the ClientHello's extensions ask for. */
typedef struct {
    uint8_t ems;           /* extended_master_secret offered */
    uint8_t reneg;         /* renegotiation_info or its SCSV offered */
    uint8_t ticket_ext;    /* session_ticket offered */
    const uint8_t *ticket; /* its content when non-empty */
    uint16_t ticket_len;
} bw_dtls_psk_exts_t;

/*
 * Read the extensions of a ClientHello (and the renegotiation SCSV among
 * its suites).  Returns 0, or BW_EMALFORMED (block or entry overruns, an
 * extension repeated, a non-empty renegotiation_info or non-empty
 * extended_master_secret).
 */
int bw_dtls_psk_exts(const bw_dtls_hello_t *hello, bw_dtls_psk_exts_t *x);

/* The plaintext of a ticket. */
typedef struct {
    uint16_t suite;
    uint8_t ems;
    uint32_t issued_s;
    uint8_t master[BW_DTLS_MASTER_LEN];
    uint8_t identity_len;
    uint8_t identity[BW_DTLS_IDENTITY_MAX];
} bw_dtls_ticket_t;

/* Longest sealed ticket. */
#define BW_DTLS_TICKET_MAX                                                     \
    (BW_DTLS_HDR_LEN + BW_DTLS_EXPLICIT_NONCE_LEN + 9 + BW_DTLS_MASTER_LEN +   \
     BW_DTLS_IDENTITY_MAX + 16)

/* Seal t; nonce from *counter (incremented).  Returns 0, or BW_ENOSPC,
 * BW_ECRYPTO. */
int bw_dtls_ticket_seal(bw_dtls_aead_ctx_t *aead, const bw_dtls_ticket_key_t *k,
                        uint64_t *counter, const bw_dtls_ticket_t *t,
                        uint8_t *out, size_t cap, size_t *out_len);
/* Open a ticket.  Returns 0, or BW_EAUTH (not ours / altered), BW_ETRUNC,
 * BW_EMALFORMED; *t is wiped on error. */
int bw_dtls_ticket_open(bw_dtls_aead_ctx_t *aead, const bw_dtls_ticket_key_t *k,
                        const uint8_t *ticket, size_t len, bw_dtls_ticket_t *t);

#endif /* BW_DTLS_PSK_H */
