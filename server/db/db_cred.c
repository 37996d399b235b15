/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credentials: importing PSKs (sealed, checked for weakness) and
 * certificates, moving a credential between its states, listing a
 * device's credentials (never their keys) and revoking one by id.  The
 * lookups the DTLS engine makes are in db_sqlite.c, on the read
 * connections.
 *
 * Weak credentials are refused at import, before anything is written:
 * short or constant PSKs, a PSK already in the fleet (by keyed digest),
 * and identities derived from the endpoint name (the rule is in db.h at
 * bw_db_psk_import).  A device's identity is sent in the clear in every
 * DTLS handshake; an identity anyone can compute from the endpoint name
 * tells an attacker which device a key belongs to and lets a scanner
 * enumerate the fleet.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "db_int.h"

static const char *const state_names[] = {"active", "pending", "revoked"};

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int is_alnum(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9');
}

/* Whether needle[0..n) occurs in hay[0..hn), ASCII case-insensitively. */
static int contains_ci(const uint8_t *hay, size_t hn, const char *needle,
                       size_t n)
{
    if (n == 0 || n > hn)
        return 0;
    for (size_t i = 0; i + n <= hn; i++) {
        size_t j = 0;
        while (j < n && lower(hay[i + j]) == lower((unsigned char)needle[j]))
            j++;
        if (j == n)
            return 1;
    }
    return 0;
}

/* Serial-like runs shorter than this are too common to mean a device
 * ("sensor", "2024") and are allowed in identities. */
#define SERIAL_MIN 6

/* The rule of bw_db_psk_import: identity contains the endpoint name or
 * one of its serial-like runs. */
static int identity_derived(const char *ep, const uint8_t *id, size_t n)
{
    size_t en = strlen(ep);
    if (contains_ci(id, n, ep, en))
        return 1;
    for (size_t i = 0; i < en;) {
        if (!is_alnum((unsigned char)ep[i])) {
            i++;
            continue;
        }
        size_t j = i;
        int digit = 0;
        for (; j < en && is_alnum((unsigned char)ep[j]); j++)
            digit |= ep[j] >= '0' && ep[j] <= '9';
        if (j - i >= SERIAL_MIN && digit && contains_ci(id, n, ep + i, j - i))
            return 1;
        i = j;
    }
    return 0;
}

static int identity_check(const uint8_t *id, size_t n)
{
    if (id == NULL)
        return BW_EINVAL;
    if (n > BW_DB_IDENTITY_MAX)
        return BW_EOVERFLOW;
    if (n == 0)
        return BW_EMALFORMED;
    for (size_t i = 0; i < n; i++)
        if (id[i] < 0x20 || id[i] == 0x7f)
            return BW_EMALFORMED;
    return 0;
}

static int psk_weak(const uint8_t *psk, size_t n)
{
    if (n < BW_DB_PSK_MIN)
        return 1;
    size_t same = 1;
    for (size_t i = 1; i < n; i++)
        same += psk[i] == psk[0];
    return same == n;
}

/* Whether a row matches col = blob (lock held).  0 / 1 or an error. */
static int exists(bw_db_t *db, const char *sql, const void *blob, size_t n)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w, sql, &st);
    if (err != 0)
        return err;
    sqlite3_bind_blob(st, 1, blob, (int)n, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    bw_db__release(st);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : bw_db__err(rc);
}

typedef struct {
    const char *kind;
    const char *purpose;
    const uint8_t *identity;
    size_t identity_len;
    const uint8_t *nonce, *box, *digest, *der;
    size_t box_len, der_len;
    bw_db_cred_state_t state;
    int64_t now_ms;
} cred_row_t;

/* Insert c for device dev inside the open transaction (lock held).  0
 * and *cred_id, or an error with the transaction rolled back: BW_EEXIST
 * (identity used), BW_EDUPKEY (key used), the store's. */
static int insert_row(bw_db_t *db, int64_t dev, const cred_row_t *c,
                      int64_t *cred_id)
{
    int err = exists(db, "SELECT 1 FROM credentials WHERE identity = ?",
                     c->identity, c->identity_len);
    if (err == 1)
        err = BW_EEXIST;
    if (err == 0 && c->digest != NULL) {
        err = exists(db, "SELECT 1 FROM credentials WHERE psk_digest = ?",
                     c->digest, BW_DB_DIGEST_LEN);
        if (err == 1)
            err = BW_EDUPKEY;
    }
    sqlite3_stmt *st = NULL;
    if (err == 0)
        err = bw_db__prepare(
            db->w,
            "INSERT INTO credentials (device_id, kind, identity, psk_nonce, "
            "psk_box, psk_digest, cert_der, state, created_at, purpose) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, dev);
    sqlite3_bind_text(st, 2, c->kind, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, c->identity, (int)c->identity_len, SQLITE_STATIC);
    if (c->nonce != NULL) {
        sqlite3_bind_blob(st, 4, c->nonce, BW_DB_NONCE_LEN, SQLITE_STATIC);
        sqlite3_bind_blob(st, 5, c->box, (int)c->box_len, SQLITE_STATIC);
        sqlite3_bind_blob(st, 6, c->digest, BW_DB_DIGEST_LEN, SQLITE_STATIC);
    }
    if (c->der != NULL && c->der_len > 0)
        sqlite3_bind_blob(st, 7, c->der, (int)c->der_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, state_names[c->state], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, c->now_ms);
    sqlite3_bind_text(st, 10, c->purpose != NULL ? c->purpose : "dm", -1,
                      SQLITE_STATIC);
    err = bw_db__step_write(db, st, NULL);
    if (err == 0 && cred_id != NULL)
        *cred_id = sqlite3_last_insert_rowid(db->w);
    return err; /* on failure rolled back */
}

/* The common part of both imports, from the lock on. */
static int insert_cred(bw_db_t *db, const char *endpoint, const cred_row_t *c,
                       int64_t *cred_id)
{
    int64_t dev, id = 0;
    int err = bw_db__begin_device(db, endpoint, NULL, &dev);
    if (err == 0)
        err = insert_row(db, dev, c, &id);
    if (err != 0)
        return err; /* rolled back */
    return bw_db__commit_id(db, id, cred_id);
}

/* A PSK checked and sealed, ready for insert_row (c points into it). */
typedef struct {
    uint8_t nonce[BW_DB_NONCE_LEN];
    uint8_t box[BW_DB_PSK_MAX + BW_DB_MAC_LEN];
    uint8_t digest[BW_DB_DIGEST_LEN];
    cred_row_t c;
} sealed_psk_t;

/* Check a PSK import's input and seal the key into *s.  0, or the
 * codes of bw_db_psk_import_for; *s is wiped on failure. */
static int seal_psk(bw_db_t *db, const char *endpoint, bw_db_purpose_t purpose,
                    const uint8_t *identity, size_t identity_len,
                    const uint8_t *psk, size_t psk_len,
                    bw_db_cred_state_t state, int64_t now_ms, sealed_psk_t *s)
{
    if (psk == NULL ||
        (state != BW_DB_CRED_ACTIVE && state != BW_DB_CRED_PENDING) ||
        (purpose != BW_DB_PURPOSE_DM && purpose != BW_DB_PURPOSE_BOOTSTRAP))
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err == 0)
        err = identity_check(identity, identity_len);
    if (err == 0 && psk_len > BW_DB_PSK_MAX)
        err = BW_EOVERFLOW;
    if (err == 0 && (psk_weak(psk, psk_len) ||
                     identity_derived(endpoint, identity, identity_len)))
        err = BW_EWEAK;
    if (err == 0 && !db->have_keys)
        err = BW_ESTATE;
    if (err == 0) {
        bw_db__psk_digest(&db->keys, psk, psk_len, s->digest);
        err = bw_db__psk_seal(&db->keys, identity, identity_len, psk, psk_len,
                              s->nonce, s->box);
    }
    if (err != 0) {
        sodium_memzero(s, sizeof *s);
        return err;
    }
    cred_row_t c = {
        .kind = "psk",
        .purpose = purpose == BW_DB_PURPOSE_DM ? "dm" : "bootstrap",
        .identity = identity,
        .identity_len = identity_len,
        .nonce = s->nonce,
        .box = s->box,
        .box_len = psk_len + BW_DB_MAC_LEN,
        .digest = s->digest,
        .state = state,
        .now_ms = now_ms,
    };
    s->c = c;
    return 0;
}

int bw_db_psk_import(bw_db_t *db, const char *endpoint, const uint8_t *identity,
                     size_t identity_len, const uint8_t *psk, size_t psk_len,
                     bw_db_cred_state_t state, int64_t now_ms, int64_t *cred_id)
{
    return bw_db_psk_import_for(db, endpoint, BW_DB_PURPOSE_DM, identity,
                                identity_len, psk, psk_len, state, now_ms,
                                cred_id);
}

int bw_db_psk_import_for(bw_db_t *db, const char *endpoint,
                         bw_db_purpose_t purpose, const uint8_t *identity,
                         size_t identity_len, const uint8_t *psk,
                         size_t psk_len, bw_db_cred_state_t state,
                         int64_t now_ms, int64_t *cred_id)
{
    if (cred_id != NULL)
        *cred_id = 0;
    if (db == NULL)
        return BW_EINVAL;
    sealed_psk_t s;
    int err = seal_psk(db, endpoint, purpose, identity, identity_len, psk,
                       psk_len, state, now_ms, &s);
    if (err == 0)
        err = insert_cred(db, endpoint, &s.c, cred_id);
    sodium_memzero(&s, sizeof s);
    return err;
}

int bw_db_device_provision(bw_db_t *db, const char *endpoint, const char *model,
                           const char *tags, const bw_db_psk_item_t *items,
                           size_t n, int64_t now_ms, int *created,
                           size_t *refused)
{
    if (created != NULL)
        *created = 0;
    if (refused != NULL)
        *refused = n;
    if (db == NULL || (items == NULL && n > 0) || n > BW_DB_PROVISION_MAX)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err == 0)
        err = bw_db__text_check(model != NULL ? model : "", BW_DB_MODEL_MAX, 1,
                                0);
    if (err == 0)
        err = bw_db__text_check(tags != NULL ? tags : "", BW_DB_TAGS_MAX, 1, 0);
    if (err != 0)
        return err;
    sealed_psk_t s[BW_DB_PROVISION_MAX];
    size_t sealed = 0;
    for (; err == 0 && sealed < n; sealed++) {
        const bw_db_psk_item_t *it = &items[sealed];
        err = seal_psk(db, endpoint, it->purpose, it->identity,
                       it->identity_len, it->psk, it->psk_len,
                       BW_DB_CRED_ACTIVE, now_ms, &s[sealed]);
        if (err != 0 && refused != NULL)
            *refused = sealed;
    }
    if (err == 0)
        err = bw_db__begin(db);
    if (err != 0)
        goto out;
    /* The device, unless it exists (then as it is); in the same
     * transaction as its credentials: all of it, or nothing. */
    sqlite3_stmt *st;
    uint64_t added = 0;
    err = bw_db__prepare(db->w,
                         "INSERT INTO devices (endpoint, model, tags, "
                         "created_at) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT (endpoint) DO NOTHING",
                         &st);
    if (err != 0) {
        err = bw_db__rollback(db, err);
        goto out;
    }
    sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, model != NULL ? model : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, tags != NULL ? tags : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now_ms);
    err = bw_db__step_write(db, st, &added);
    int64_t dev = 0;
    if (err == 0) {
        err = bw_db__device_id(db, endpoint, &dev);
        if (err != 0)
            err = bw_db__rollback(db, err);
    }
    for (size_t i = 0; err == 0 && i < n; i++) {
        err = insert_row(db, dev, &s[i].c, NULL);
        if (err != 0 && refused != NULL)
            *refused = i;
    }
    if (err == 0)
        err = bw_db__commit(db);
    if (err == 0 && created != NULL)
        *created = added > 0;
out:
    sodium_memzero(s, sizeof s);
    return err;
}

int bw_db_cert_import(bw_db_t *db, const char *endpoint, const char *subject,
                      const uint8_t *der, size_t der_len,
                      bw_db_cred_state_t state, int64_t now_ms,
                      int64_t *cred_id)
{
    if (cred_id != NULL)
        *cred_id = 0;
    if (db == NULL || subject == NULL || (der == NULL && der_len != 0) ||
        (state != BW_DB_CRED_ACTIVE && state != BW_DB_CRED_PENDING))
        return BW_EINVAL;
    size_t n = strnlen(subject, BW_DB_SUBJECT_MAX + 1);
    int err = bw_db__endpoint_check(endpoint);
    if (err == 0)
        err = n > BW_DB_SUBJECT_MAX
                  ? BW_EOVERFLOW
                  : identity_check((const uint8_t *)subject, n);
    if (err == 0 && der_len > BW_DB_CERT_MAX)
        err = BW_EOVERFLOW;
    if (err != 0)
        return err;
    /* A certificate's subject is public and proven by the CA's signature,
     * so the identity rule does not apply: a CN equal to the endpoint name
     * is the usual practice for device certificates. */
    cred_row_t c = {
        .kind = "cert",
        .identity = (const uint8_t *)subject,
        .identity_len = n,
        .der = der,
        .der_len = der_len,
        .state = state,
        .now_ms = now_ms,
    };
    return insert_cred(db, endpoint, &c, cred_id);
}

/* Allowed moves: [from][to]. */
static const unsigned char moves[3][3] = {
    /* to:        active pending revoked */
    /* active  */ {0, 0, 1},
    /* pending */ {1, 0, 1},
    /* revoked */ {0, 0, 0},
};

int bw_db_credential_set_state(bw_db_t *db, const uint8_t *identity,
                               size_t identity_len, bw_db_cred_state_t to,
                               int64_t now_ms)
{
    if (db == NULL || identity == NULL || (unsigned)to > BW_DB_CRED_REVOKED)
        return BW_EINVAL;
    if (identity_len == 0 || identity_len > BW_DB_IDENTITY_MAX)
        return BW_ENOTFOUND;
    int err = bw_db__begin(db);
    if (err != 0)
        return err;
    sqlite3_stmt *st;
    err = bw_db__prepare(
        db->w, "SELECT id, state FROM credentials WHERE identity = ?", &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_blob(st, 1, identity, (int)identity_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int64_t id = 0;
    int from = -1;
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        const unsigned char *s = sqlite3_column_text(st, 1);
        for (int i = 0; i < 3 && s != NULL; i++)
            if (strcmp((const char *)s, state_names[i]) == 0)
                from = i;
        err = from < 0 ? BW_EMALFORMED : 0;
    } else {
        err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
    }
    bw_db__release(st);
    if (err == 0 && !moves[from][to])
        err = BW_ESTATE;
    if (err == 0)
        err = bw_db__prepare(db->w,
                             "UPDATE credentials SET state = ?, revoked_at = "
                             "? WHERE id = ?",
                             &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_text(st, 1, state_names[to], -1, SQLITE_STATIC);
    if (to == BW_DB_CRED_REVOKED)
        sqlite3_bind_int64(st, 2, now_ms);
    sqlite3_bind_int64(st, 3, id);
    err = bw_db__step_write(db, st, NULL);
    return err != 0 ? err : bw_db__commit(db);
}

int bw_db_credential_confirm(bw_db_t *db, const uint8_t *identity,
                             size_t identity_len, int64_t now_ms,
                             uint64_t *revoked)
{
    if (revoked != NULL)
        *revoked = 0;
    if (db == NULL || identity == NULL)
        return BW_EINVAL;
    if (identity_len == 0 || identity_len > BW_DB_IDENTITY_MAX)
        return BW_ENOTFOUND;
    int err = bw_db__begin(db);
    if (err != 0)
        return err;
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "SELECT id, device_id FROM credentials WHERE "
                         "identity = ? AND purpose = 'dm' AND state <> "
                         "'revoked'",
                         &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_blob(st, 1, identity, (int)identity_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int64_t id = 0, dev = 0;
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        dev = sqlite3_column_int64(st, 1);
    }
    bw_db__release(st);
    if (rc != SQLITE_ROW)
        return bw_db__rollback(db, rc == SQLITE_DONE ? BW_ENOTFOUND
                                                     : bw_db__err(rc));
    err = bw_db__write_by_int(
        db, "UPDATE credentials SET state = 'active' WHERE id = ?", id, NULL);
    if (err != 0)
        return err;
    err = bw_db__prepare(db->w,
                         "UPDATE credentials SET state = 'revoked', "
                         "revoked_at = ? WHERE device_id = ? AND id <> ? AND "
                         "purpose = 'dm' AND state <> 'revoked'",
                         &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, dev);
    sqlite3_bind_int64(st, 3, id);
    uint64_t n = 0;
    err = bw_db__step_write(db, st, &n);
    if (err != 0)
        return err;
    return bw_db__commit_count(db, n, revoked);
}

int bw_db_credential_revoke_pending(bw_db_t *db, const char *endpoint,
                                    int64_t now_ms, uint64_t *revoked)
{
    if (revoked != NULL)
        *revoked = 0;
    if (db == NULL)
        return BW_EINVAL;
    int64_t dev;
    int err = bw_db__begin_device(db, endpoint, NULL, &dev);
    if (err != 0)
        return err;
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "UPDATE credentials SET state = 'revoked', "
                         "revoked_at = ? WHERE device_id = ? AND purpose = "
                         "'dm' AND state = 'pending'",
                         &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, dev);
    uint64_t n = 0;
    err = bw_db__step_write(db, st, &n);
    if (err != 0)
        return err;
    return bw_db__commit_count(db, n, revoked);
}

/* ---- listing and revocation --------------------------------------------- */

static int state_parse(const unsigned char *s)
{
    for (int i = 0; i < 3 && s != NULL; i++)
        if (strcmp((const char *)s, state_names[i]) == 0)
            return i;
    return -1;
}

/* One row of "id, purpose, kind, state, identity, created_at, revoked_at"
 * into c; BW_EMALFORMED for a value the schema's CHECKs would refuse (a
 * file edited by hand). */
static int cred_row(sqlite3_stmt *st, bw_db_cred_t *c)
{
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(st, 0);
    const unsigned char *p = sqlite3_column_text(st, 1);
    const unsigned char *k = sqlite3_column_text(st, 2);
    int s = state_parse(sqlite3_column_text(st, 3));
    const void *id = sqlite3_column_blob(st, 4);
    int n = sqlite3_column_bytes(st, 4);
    if (p == NULL || k == NULL || s < 0 || n < 0 || n > BW_DB_IDENTITY_MAX ||
        (n > 0 && id == NULL))
        return BW_EMALFORMED;
    if (strcmp((const char *)p, "dm") == 0)
        c->purpose = BW_DB_PURPOSE_DM;
    else if (strcmp((const char *)p, "bootstrap") == 0)
        c->purpose = BW_DB_PURPOSE_BOOTSTRAP;
    else
        return BW_EMALFORMED;
    if (strcmp((const char *)k, "psk") == 0)
        c->kind = BW_DB_KIND_PSK;
    else if (strcmp((const char *)k, "cert") == 0)
        c->kind = BW_DB_KIND_CERT;
    else
        return BW_EMALFORMED;
    c->state = (bw_db_cred_state_t)s;
    if (n > 0)
        memcpy(c->identity, id, (size_t)n);
    c->identity_len = (size_t)n;
    c->created_ms = sqlite3_column_int64(st, 5);
    c->revoked_ms = sqlite3_column_type(st, 6) == SQLITE_NULL
                        ? 0
                        : sqlite3_column_int64(st, 6);
    return 0;
}

#define CRED_COLUMNS                                                           \
    "id, purpose, kind, state, identity, created_at, revoked_at"

int bw_db_credential_list(bw_db_t *db, const char *endpoint, int64_t after_id,
                          size_t max,
                          int (*cb)(void *arg, const bw_db_cred_t *c),
                          void *arg)
{
    if (db == NULL || cb == NULL)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err != 0)
        return err;
    if (max == 0 || max > BW_DB_LIST_MAX || after_id < 0)
        return BW_ERANGE;
    pthread_mutex_lock(&db->wlock);
    int64_t dev;
    err = bw_db__device_id(db, endpoint, &dev);
    sqlite3_stmt *st = NULL;
    if (err == 0)
        err = bw_db__prepare(db->w,
                             "SELECT " CRED_COLUMNS " FROM credentials WHERE "
                             "device_id = ? AND (? = 0 OR id < ?) ORDER BY id "
                             "DESC LIMIT ?",
                             &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, dev);
        sqlite3_bind_int64(st, 2, after_id);
        sqlite3_bind_int64(st, 3, after_id);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)max);
        bw_db_cred_t c;
        int rc = SQLITE_DONE;
        while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            err = cred_row(st, &c);
            if (err == 0)
                err = cb(arg, &c);
        }
        if (err == 0 && rc != SQLITE_DONE)
            err = bw_db__err(rc);
    }
    bw_db__release(st);
    pthread_mutex_unlock(&db->wlock);
    return err;
}

/* The audit entry of a revocation, inside the caller's transaction. */
static int revoke_audit(bw_db_t *db, int64_t now_ms, const char *actor,
                        const char *endpoint, const bw_db_revoked_t *r,
                        int64_t cred_id)
{
    char detail[BW_DB_IDENTITY_MAX + 192];
    snprintf(detail, sizeof detail,
             "credential %lld (%s %s, identity %.*s, was %s)%s%s",
             (long long)cred_id,
             r->purpose == BW_DB_PURPOSE_DM ? "dm" : "bootstrap",
             r->kind == BW_DB_KIND_PSK ? "psk" : "cert", (int)r->identity_len,
             (const char *)r->identity, state_names[r->was],
             r->registration_ended ? "; registration ended" : "",
             r->purpose == BW_DB_PURPOSE_BOOTSTRAP && r->bootstrap_left == 0
                 ? "; no bootstrap credential left: the device cannot "
                   "bootstrap"
                 : "");
    return bw_db__audit_insert(db, now_ms, actor, "credential-revoked",
                               endpoint, detail);
}

int bw_db_credential_revoke(bw_db_t *db, const char *endpoint, int64_t cred_id,
                            int64_t now_ms, const char *actor,
                            bw_db_revoked_t *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (db == NULL || out == NULL)
        return BW_EINVAL;
    int64_t dev;
    int err = bw_db__begin_device(db, endpoint, actor, &dev);
    if (err != 0)
        return err;
    sqlite3_stmt *st = NULL;
    err = bw_db__prepare(db->w,
                         "SELECT " CRED_COLUMNS " FROM credentials WHERE "
                         "id = ? AND device_id = ?",
                         &st);
    bw_db_cred_t c;
    if (err == 0) {
        sqlite3_bind_int64(st, 1, cred_id);
        sqlite3_bind_int64(st, 2, dev);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            err = cred_row(st, &c);
        else
            err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
        bw_db__release(st);
    }
    if (err == 0 && c.state == BW_DB_CRED_REVOKED)
        err = BW_EREVOKED;
    if (err == 0)
        err = bw_db__prepare(db->w,
                             "UPDATE credentials SET state = 'revoked', "
                             "revoked_at = ? WHERE id = ?",
                             &st);
    if (err != 0) {
        memset(&c, 0, sizeof c);
        return bw_db__rollback(db, err);
    }
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, cred_id);
    err = bw_db__step_write(db, st, NULL);
    if (err != 0)
        return err;
    bw_db_revoked_t r = {.purpose = c.purpose,
                         .kind = c.kind,
                         .was = c.state,
                         .identity_len = c.identity_len};
    memcpy(r.identity, c.identity, c.identity_len);
    /* The registration the device made with it: its ACTIVE DM credential
     * is the one its last Register confirmed (bw_db_registration_batch). */
    if (c.purpose == BW_DB_PURPOSE_DM && c.state == BW_DB_CRED_ACTIVE) {
        uint64_t n = 0;
        err = bw_db__write_by_text(
            db, "DELETE FROM registrations WHERE endpoint = ?", endpoint, &n);
        if (err != 0)
            return err;
        r.registration_ended = n > 0;
    }
    int64_t left = 0;
    err = bw_db__read_by_int(db,
                             "SELECT count(*) FROM credentials WHERE device_id "
                             "= ? AND purpose = 'bootstrap' AND state <> "
                             "'revoked'",
                             dev, &left);
    if (err != 0)
        return bw_db__rollback(db, err);
    r.bootstrap_left = (uint64_t)left;
    if (actor != NULL) {
        err = revoke_audit(db, now_ms, actor, endpoint, &r, cred_id);
        if (err != 0)
            return err;
    }
    err = bw_db__commit(db);
    if (err == 0)
        *out = r;
    return err;
}
