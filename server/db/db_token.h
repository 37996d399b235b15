/* SPDX-License-Identifier: Apache-2.0 */
/*
 * REST API tokens in the store (schema 7: the api_tokens table;
 * docs/api.md "Authentication", docs/storage.md).
 *
 * A token is 64 hex digits.  The first BW_DB_TOKEN_LOOKUP_LEN of them are
 * its lookup id, kept in the clear so a request finds its row with one
 * index lookup; the whole text is the secret the row's argon2id hash
 * (libsodium's crypto_pwhash_str) is made from.  The remaining 52 digits
 * carry 208 random bits, so knowing the lookup id does not help guessing.
 * The 64-hex shape is the one the single API token file has always had:
 * a token file written before tokens had roles is imported as it is.
 *
 * This header owns the token rows (name, role, lookup id, hash, times)
 * and the token text's syntax.  It never stores, logs or returns a token
 * text after bw_db_token_create() handed it out once, and it wipes every
 * copy it made.  It does not cache verifications (server/api does) and
 * decides nothing about what a role may do beyond their order.
 *
 * Cost: bw_db_token_add() and bw_db_token_verify() run argon2id with
 * libsodium's INTERACTIVE limits (2 passes, 64 MiB), about 0.1 s of one
 * core; they hold no database lock while hashing.  The tokens are random,
 * not chosen by people, so a slower setting would buy no safety against
 * guessing, only latency and memory on every first request.
 *
 * Threads and callbacks as in db.h.
 */
#ifndef BW_DB_TOKEN_H
#define BW_DB_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* The token text: 64 hex digits (32 bytes of CSPRNG output). */
#define BW_DB_TOKEN_HEX 64
/* Its lookup id: the first 12 digits (48 bits; public, never enough to
 * guess the rest).  Generated tokens use lowercase digits; a token file
 * from before roles may hold uppercase ones, so the lookup id is the
 * lowercase form and the hash covers the text exactly as given. */
#define BW_DB_TOKEN_LOOKUP_LEN 12
/* Token names: 1..64 of A-Z a-z 0-9 and "-._", so "api:<name>" is a
 * clean audit actor and a name needs no quoting in a URL. */
#define BW_DB_TOKEN_NAME_MAX 64
/* A stored hash: crypto_pwhash_STRBYTES (128) including the NUL. */
#define BW_DB_TOKEN_HASH_MAX 128

/* Roles, from the most to the least powerful, so that a zero value is
 * the strictest requirement (server/api's route table relies on it).
 * A token of role r may do what role need allows when r <= need. */
typedef enum {
    BW_DB_ROLE_ADMIN = 0,
    BW_DB_ROLE_OPERATOR = 1,
    BW_DB_ROLE_VIEWER = 2,
} bw_db_role_t;

/* One token's row; never its text, never its hash. */
typedef struct {
    int64_t id; /* row id: never reused */
    char name[BW_DB_TOKEN_NAME_MAX + 1];
    bw_db_role_t role;
    char lookup[BW_DB_TOKEN_LOOKUP_LEN + 1];
    int64_t created_ms;
    int64_t last_used_ms; /* 0: never used */
    int64_t revoked_ms;   /* 0: active */
} bw_db_token_t;

/* "admin", "operator", "viewer"; "?" for a value out of the enum. */
const char *bw_db_role_name(bw_db_role_t role);

/* A role from its name.  Returns 0, BW_EMALFORMED, BW_EINVAL (NULL). */
int bw_db_role_parse(const char *s, bw_db_role_t *out);

/*
 * Check the syntax of a token text of len bytes (not NUL-terminated) and
 * give its lookup id.  Never reads past len.  lookup is zeroed on failure.
 * Returns 0, or
 *   BW_ETRUNC      fewer than BW_DB_TOKEN_HEX bytes (empty included);
 *   BW_EOVERFLOW   more than BW_DB_TOKEN_HEX bytes;
 *   BW_EMALFORMED  a byte that is not a hex digit;
 *   BW_EINVAL      NULL text with a non-zero len, NULL lookup.
 */
int bw_db_token_parse(const char *text, size_t len,
                      char lookup[BW_DB_TOKEN_LOOKUP_LEN + 1]);

/* Token names: the rule above.  0, BW_EMALFORMED, BW_EOVERFLOW, EINVAL. */
int bw_db_token_name_check(const char *name);

/*
 * Store a token given as text (an existing token file being imported, or
 * one bw_db_token_create() generated): hash it with argon2id, insert the
 * row.  The text is not kept.  out (may be NULL) gets the new row.
 * Returns 0, or
 *   BW_EMALFORMED, BW_EOVERFLOW  a bad name (bw_db_token_name_check), or
 *                  a text that does not parse (also BW_ETRUNC);
 *   BW_EEXIST      a token (active or revoked) already has this name:
 *                  names are never reused, so an audit actor always
 *                  names one token;
 *   BW_EDUPKEY     a token already has this lookup id;
 *   BW_ENOMEM      argon2id could not get its memory;
 *   BW_ETIMEOUT, BW_EIO, BW_EINVAL (NULL, role out of the enum).
 */
int bw_db_token_add(bw_db_t *db, const char *name, bw_db_role_t role,
                    const char *text, int64_t now_ms, bw_db_token_t *out);

/*
 * Generate a new token (BW_DB_TOKEN_HEX lowercase hex digits from the
 * CSPRNG, then a NUL) into text and store it as bw_db_token_add() does,
 * drawing again if the lookup id is taken.  The caller shows text once
 * and wipes it.  On failure text is zeroed.
 * Returns 0, or what bw_db_token_add() returns.
 */
int bw_db_token_create(bw_db_t *db, const char *name, bw_db_role_t role,
                       int64_t now_ms, char text[BW_DB_TOKEN_HEX + 1],
                       bw_db_token_t *out);

/*
 * The row a token text points at, without checking its secret: for a
 * caller that verified the same text recently (server/api's cache) and
 * wants the row's current role and state.  out is zeroed on failure.
 * Returns 0, or
 *   BW_ETRUNC, BW_EOVERFLOW, BW_EMALFORMED  not a token (parse above);
 *   BW_EAUTH       no token has this lookup id;
 *   BW_EREVOKED    the token was revoked (out is filled);
 *   BW_EIO, BW_EINVAL.
 */
int bw_db_token_find(bw_db_t *db, const char *text, size_t len,
                     bw_db_token_t *out);

/*
 * Verify a token text: its row by lookup id, then the argon2id hash over
 * the whole text (constant time in the secret).  A revoked row is refused
 * before hashing.  out is zeroed on failure, except on BW_EREVOKED.
 * Returns 0, or what bw_db_token_find() returns, or
 *   BW_EAUTH       the secret does not match;
 *   BW_ENOMEM      argon2id could not get its memory.
 */
int bw_db_token_verify(bw_db_t *db, const char *text, size_t len,
                       bw_db_token_t *out);

/* Record a use of token id at now_ms (last_used_at).  0, BW_ENOTFOUND,
 * BW_ETIMEOUT, BW_EIO, BW_EINVAL. */
int bw_db_token_touch(bw_db_t *db, int64_t id, int64_t now_ms);

/*
 * Revoke the token called name at now_ms.  out (may be NULL) gets its row.
 * Returns 0, or BW_ENOTFOUND (no such name, or not a name),
 * BW_EREVOKED (revoked already; out is filled), BW_ETIMEOUT, BW_EIO,
 * BW_EINVAL.
 */
int bw_db_token_revoke(bw_db_t *db, const char *name, int64_t now_ms,
                       bw_db_token_t *out);

/* Call cb for every token, active and revoked, ordered by name; a
 * non-zero return from cb stops the walk and is returned.
 * Returns 0, cb's code, BW_EIO, BW_EINVAL. */
int bw_db_token_list(bw_db_t *db, int (*cb)(void *arg, const bw_db_token_t *t),
                     void *arg);

/* How many tokens were ever stored (revoked ones too: a server whose
 * tokens are all revoked must not import its token file again).
 * Returns 0, BW_EIO, BW_EINVAL. */
int bw_db_token_count(bw_db_t *db, uint64_t *n);

#endif /* BW_DB_TOKEN_H */
