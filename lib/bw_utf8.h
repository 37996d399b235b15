/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UTF-8 validation shared by every module of the core (CBOR text strings,
 * LwM2M string values, the SenML JSON tokenizer).  Internal: declared
 * here for lib/ only, never installed and never included by an
 * application.  It owns no state and reads only the bytes it is given.
 */
#ifndef BW_UTF8_H
#define BW_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Longest UTF-8 sequence in bytes (RFC 3629: four, up to U+10FFFF). */
#define BW__UTF8_SEQ_MAX 4

/*
 * Decode the one sequence that starts at s[0]; avail (MUST be at least 1)
 * is how many bytes there are from s on.  Checked strictly: no overlong
 * forms, no surrogates, nothing above U+10FFFF.  Returns the sequence's
 * length (1..BW__UTF8_SEQ_MAX) with its code point in *cp; 0 when s ends
 * inside a sequence whose bytes so far are valid (more input could
 * complete it); or BW_EUTF8 when the bytes can never be valid.  *cp is
 * set only on success.
 */
int bw__utf8_next(const uint8_t *s, size_t avail, uint32_t *cp);

/*
 * Whether s[0..len) is well-formed UTF-8 (a sequence cut short by the end
 * counts as invalid).  s may be NULL when len is 0.  Returns 0 or
 * BW_EUTF8.
 */
int bw__utf8_check(const uint8_t *s, size_t len);

#endif /* BW_UTF8_H */
