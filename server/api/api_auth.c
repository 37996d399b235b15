/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who is calling (api_int.h): the bearer token checked against the
 * store's argon2id hashes (server/db/db_token.h), a cache of recently
 * verified tokens so that only the first request of a token in
 * BW_API_AUTH_CACHE_TTL_MS pays argon2id, the order of the roles, and the
 * import of a token file into the store.
 *
 * The cache holds SHA-256 digests of token texts, never the texts.  It
 * saves the hash check only: every request still reads the token's row,
 * so its role and revocation are current even when another process (the
 * `bulwark-server token revoke` command) changed them.  Lookups compare
 * every entry in constant time and stop at none.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api_int.h"

#define BEARER "Bearer "

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int bw_api__role_allows(bw_db_role_t have, bw_db_role_t need)
{
    /* db_token.h orders the roles from admin (0) to viewer. */
    return (unsigned)have <= (unsigned)need &&
           (unsigned)have <= BW_DB_ROLE_VIEWER;
}

static void why_set(char *why, size_t cap, const char *path, const char *what)
{
    if (why != NULL && cap > 0)
        snprintf(why, cap, "%s: %s", path, what);
}

int bw_api_token_import(bw_db_t *db, const char *path, int *imported, char *why,
                        size_t why_cap)
{
    if (imported != NULL)
        *imported = 0;
    if (db == NULL || path == NULL)
        return BW_EINVAL;
    uint64_t n = 0;
    int err = bw_db_token_count(db, &n);
    if (err != 0) {
        why_set(why, why_cap, "database", "cannot count the API tokens");
        return err;
    }
    if (n > 0)
        return 0;
    char text[BW_API_TOKEN_HEX + 1];
    err = bw_api__token_load(path, text);
    if (err != 0) {
        why_set(why, why_cap, path,
                err == BW_EPERM        ? "readable by others (want 0600)"
                : err == BW_EMALFORMED ? "not 64 hex digits"
                                       : "cannot read the API token "
                                         "(bulwark-server init creates it)");
        return err;
    }
    err = bw_db_token_add(db, "admin", BW_DB_ROLE_ADMIN, text, bw_api__now_ms(),
                          NULL);
    sodium_memzero(text, sizeof text);
    if (err == BW_EEXIST || err == BW_EDUPKEY)
        return 0; /* another process imported it first */
    if (err != 0) {
        why_set(why, why_cap, path, "cannot store the API token");
        return err;
    }
    if (imported != NULL)
        *imported = 1;
    return 0;
}

int bw_api__auth_init(bw_api_t *a, char *why, size_t why_cap)
{
    memset(&a->auth, 0, sizeof a->auth);
    if (sodium_init() < 0)
        return BW_ECRYPTO;
    if (pthread_mutex_init(&a->auth.lock, NULL) != 0)
        return BW_ENOMEM;
    a->auth.ready = 1;
    int imported = 0;
    int err = bw_api_token_import(a->cfg.db, a->cfg.token_file, &imported, why,
                                  why_cap);
    if (err == 0 && imported)
        bw_api__log(a,
                    "api: token file %s stored as the admin token "
                    "\"admin\" (argon2id hash)",
                    a->cfg.token_file);
    return err;
}

void bw_api__auth_done(bw_api_t *a)
{
    if (!a->auth.ready)
        return;
    pthread_mutex_destroy(&a->auth.lock);
    sodium_memzero(&a->auth, sizeof a->auth);
}

void bw_api__auth_forget(bw_api_t *a)
{
    pthread_mutex_lock(&a->auth.lock);
    sodium_memzero(a->auth.e, sizeof a->auth.e);
    pthread_mutex_unlock(&a->auth.lock);
}

/* Is (digest, id) a live entry?  Every entry is compared. */
static int cache_hit(bw_api_t *a, const uint8_t digest[32], int64_t id,
                     int64_t now)
{
    int hit = 0;
    pthread_mutex_lock(&a->auth.lock);
    for (size_t i = 0; i < BW_API_AUTH_CACHE_MAX; i++) {
        const bw_api_auth_entry_t *e = &a->auth.e[i];
        int same = sodium_memcmp(e->digest, digest, 32) == 0;
        hit |= same & (e->token_id == id) & (e->until_ms > now);
    }
    pthread_mutex_unlock(&a->auth.lock);
    return hit;
}

/* Remember a verification: over an entry for the same digest, else a
 * free or expired one, else the one that expires first. */
static void cache_put(bw_api_t *a, const uint8_t digest[32], int64_t id,
                      int64_t now)
{
    pthread_mutex_lock(&a->auth.lock);
    bw_api_auth_entry_t *pick = &a->auth.e[0];
    for (size_t i = 0; i < BW_API_AUTH_CACHE_MAX; i++) {
        bw_api_auth_entry_t *e = &a->auth.e[i];
        if (sodium_memcmp(e->digest, digest, 32) == 0) {
            pick = e;
            break;
        }
        if (e->until_ms <= now || e->until_ms < pick->until_ms)
            pick = e;
    }
    memcpy(pick->digest, digest, 32);
    pick->token_id = id;
    pick->until_ms = now + BW_API_AUTH_CACHE_TTL_MS;
    pthread_mutex_unlock(&a->auth.lock);
}

static void caller_set(bw_api_caller_t *out, const bw_db_token_t *t)
{
    out->token_id = t->id;
    out->role = t->role;
    snprintf(out->name, sizeof out->name, "%s", t->name);
    snprintf(out->actor, sizeof out->actor, "api:%s", t->name);
}

int bw_api__auth_check(bw_api_t *a, const char *h, bw_api_caller_t *out)
{
    memset(out, 0, sizeof *out);
    out->role = BW_DB_ROLE_VIEWER + 1; /* none: allowed nothing */
    if (h == NULL || strncmp(h, BEARER, sizeof BEARER - 1) != 0)
        return BW_EAUTH;
    const char *text = h + sizeof BEARER - 1;
    /* Longer than a token is not one; strnlen keeps a huge header from
     * being walked further. */
    size_t len = strnlen(text, BW_DB_TOKEN_HEX + 1);
    bw_db_token_t t;
    int err = bw_db_token_find(a->cfg.db, text, len, &t);
    if (err == BW_ETRUNC || err == BW_EOVERFLOW || err == BW_EMALFORMED ||
        err == BW_EREVOKED)
        err = BW_EAUTH;
    if (err != 0)
        return err;
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)text, len);
    int64_t now = mono_ms();
    if (!cache_hit(a, digest, t.id, now)) {
        err = bw_db_token_verify(a->cfg.db, text, len, &t);
        if (err == BW_ETRUNC || err == BW_EOVERFLOW || err == BW_EMALFORMED ||
            err == BW_EREVOKED)
            err = BW_EAUTH;
        if (err == 0) {
            cache_put(a, digest, t.id, now);
            /* last_used_at: once per verification, so at most one write
             * per token every BW_API_AUTH_CACHE_TTL_MS. */
            (void)bw_db_token_touch(a->cfg.db, t.id, bw_api__now_ms());
        }
    }
    sodium_memzero(digest, sizeof digest);
    if (err == 0)
        caller_set(out, &t);
    return err;
}
