/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Declarations shared by the files of lib/crypto and by nothing else.
 *
 * The two backends (crypto_mbedtls.c, crypto_openssl.c) and the portable
 * files around them agree here on three things: how a hash context says
 * which algorithm started it, how an ECDSA P-256 signature is parsed
 * (once, in portable code, so both backends refuse exactly the same
 * encodings), and which bytes a raw P-256 public key may hold.
 */
#ifndef BW_CRYPTO_INT_H
#define BW_CRYPTO_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/crypto.h"

/*
 * First word of every started hash context, whatever the backend.  A
 * finished or aborted context is all zero, so update() or finish() on it
 * (or on a context of the other algorithm) is refused with BW_ESTATE
 * instead of hashing garbage.
 */
#define BW_CRYPTO__MAGIC_SHA256 0x32353668u /* "h652" */
#define BW_CRYPTO__MAGIC_SHA512 0x32313568u /* "h512" */

/* Width in bytes of a P-256 field element or scalar. */
#define BW_P256_LEN 32

/*
 * Parse a DER ECDSA-Sig-Value (RFC 3279 section 2.2.3):
 *
 *   30 len                          SEQUENCE, short-form length
 *      02 rlen r[rlen]              INTEGER r, minimal, positive
 *      02 slen s[slen]              INTEGER s, minimal, positive
 *
 * Strict DER: no long-form or indefinite lengths, no leading zero byte
 * unless the next byte has its top bit set, no negative integers, no
 * bytes after the SEQUENCE, integers of at most 33 bytes (a P-256 scalar
 * plus the sign byte).  On success r and s hold the values as 32-byte
 * big-endian numbers.
 * Returns 0; BW_EMALFORMED for any encoding outside those rules;
 * BW_ESIGNATURE when r or s is 0 or not below the group order n (valid
 * DER, but no signature can have it).  r and s are zeroed on failure.
 */
int bw_crypto__ecdsa_der_parse(const uint8_t *sig, size_t sig_len,
                               uint8_t r[BW_P256_LEN], uint8_t s[BW_P256_LEN]);

/*
 * Checks of a raw public key that need no curve arithmetic: length is
 * implied, the first byte MUST be 0x04 (uncompressed) and X, Y MUST be
 * below the field prime.  Returns 0 or BW_EMALFORMED.  Whether the point
 * is on the curve is the backend's check.
 */
int bw_crypto__p256_pub_precheck(const uint8_t pub[BW_P256_PUBKEY_LEN]);

#endif /* BW_CRYPTO_INT_H */
