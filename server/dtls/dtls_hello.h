/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stateless cookie exchange (RFC 6347 section 4.2.1).
 *
 * A datagram from an address the server holds no session for is parsed
 * here before anything is allocated.  A ClientHello without a valid cookie
 * is answered with a HelloVerifyRequest carrying
 *   cookie = HMAC-SHA256(secret, peer address || client parameters)
 * truncated to BW_DTLS_COOKIE_LEN bytes, and forgotten.  Only a
 * ClientHello that echoes a valid cookie (so the peer can receive at the
 * address it claims) earns a handshake object.
 *
 * The client parameters hashed are those RFC 6347 says the second
 * ClientHello repeats: version, random, cipher suites and compression
 * methods.  Extensions are not hashed (some clients reorder or change them
 * between the two hellos), nor is the session id (a client resuming with a
 * ticket may draw a new one for each hello).
 *
 * Two secrets are accepted at a time, so the engine can rotate its secret
 * without refusing a client that is between its two hellos.
 *
 * Never allocates, never reads a clock; secrets are the caller's and are
 * compared in constant time.
 */
#ifndef BW_DTLS_HELLO_H
#define BW_DTLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"

/* 16 bytes: 128 bits of forgery resistance, well under the 255 allowed. */
#define BW_DTLS_COOKIE_LEN        16
#define BW_DTLS_COOKIE_SECRET_LEN 32
/* Longest peer address hashed into a cookie (a sockaddr_in6 is 28). */
#define BW_DTLS_PEER_MAX 32

/* A view on a ClientHello; every pointer is into the caller's datagram. */
typedef struct {
    uint16_t record_version; /* from the record header */
    uint64_t record_seq;
    uint16_t message_seq;
    uint16_t client_version;
    const uint8_t *random; /* 32 bytes */
    const uint8_t *session_id;
    uint8_t session_id_len;
    const uint8_t *cookie;
    uint8_t cookie_len;
    const uint8_t *cipher_suites; /* raw, 2 bytes each */
    uint16_t cipher_suites_len;
    const uint8_t *compression;
    uint8_t compression_len;
    const uint8_t *extensions; /* the block's content, NULL when absent */
    uint16_t extensions_len;
    const uint8_t *msg; /* the whole handshake message, 12-byte header on */
    size_t msg_len;
    size_t record_len; /* bytes of the datagram up to the end of its record */
} bw_dtls_hello_t;

/*
 * Parse a datagram that must start with a ClientHello record: content type
 * handshake, epoch 0, handshake type 1, not fragmented (fragment offset 0,
 * fragment length = message length).  Bytes after the first record are
 * ignored.
 * Returns 0, or BW_ETRUNC (the datagram ends before the record, the
 * handshake header or the fragment it announces), BW_EMALFORMED (a length
 * field inside the message that overruns it, a session id over 32 bytes,
 * empty or odd cipher suites, no compression method, an extensions block
 * that does not fill the rest of the message exactly),
 * BW_EVERSION (record or client version not DTLS 1.0/1.2),
 * BW_EUNSUPPORTED (a fragmented ClientHello), BW_ETYPE (a record that is
 * not an epoch-0 ClientHello).  On error *hello is zeroed.
 */
int bw_dtls_hello_parse(const uint8_t *dgram, size_t len,
                        bw_dtls_hello_t *hello);

/*
 * Compute the cookie for this peer (the address bytes as the engine keeps
 * them, e.g. a sockaddr) and hello under secret.
 * Returns 0, or BW_EINVAL (peer_len > BW_DTLS_PEER_MAX), BW_ECRYPTO.  On
 * error cookie is zeroed.
 */
int bw_dtls_cookie_make(const uint8_t secret[BW_DTLS_COOKIE_SECRET_LEN],
                        const void *peer, size_t peer_len,
                        const bw_dtls_hello_t *hello,
                        uint8_t cookie[BW_DTLS_COOKIE_LEN]);

/*
 * 0 if hello carries the cookie made by either secret (previous may be
 * NULL) for this peer, else BW_EAUTH.  Constant time in the cookie bytes.
 * Returns BW_EINVAL if peer_len > BW_DTLS_PEER_MAX, BW_ECRYPTO if the
 * digest cannot run (no verdict: drop the hello).
 */
int bw_dtls_cookie_check(const uint8_t current[BW_DTLS_COOKIE_SECRET_LEN],
                         const uint8_t *previous, const void *peer,
                         size_t peer_len, const bw_dtls_hello_t *hello);

/*
 * Build the HelloVerifyRequest datagram answering hello: record version
 * and record sequence number copied from the ClientHello (RFC 6347
 * 4.2.1), server_version DTLS 1.0 as the RFC recommends, message_seq
 * copied from the ClientHello.
 * Returns 0, or BW_ENOSPC.
 */
int bw_dtls_hvr_build(const bw_dtls_hello_t *hello,
                      const uint8_t cookie[BW_DTLS_COOKIE_LEN], uint8_t *out,
                      size_t cap, size_t *out_len);

#endif /* BW_DTLS_HELLO_H */
