/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prepared statements kept per connection: bw_db__prepare and
 * bw_db__release (db_int.h).
 */
#include <stdlib.h>
#include <string.h>

#define BW_DB_OWNS_STATEMENTS /* sqlite3_finalize, for the cache */
#include "db_int.h"

/*
 * Compiling SQL text costs more than running most of our statements, so
 * a connection with a cache (the writer: every statement of the module
 * runs there) keeps what it compiled.  A slot is keyed by the pointer
 * the caller passed (call sites pass string literals or static arrays of
 * them, so the pointer is a cheap first key) and confirmed by the text
 * the statement was compiled from (sqlite3_sql): a pointer reused for
 * other text, as a buffer on the stack would be, finds its slot stale
 * and compiles again.  A slot handed out and not yet given back is busy:
 * a second prepare of the same SQL meanwhile (a query nested in the walk
 * of another with the same text) gets a statement of its own, finalized
 * when given back.
 *
 * The cache is found from the connection through a process-wide table,
 * since bw_db__prepare is given the connection only.  Its mutex is held
 * for a scan of a few pointers; the slots themselves are guarded by the
 * lock the caller already holds for the connection (db->wlock).
 */
typedef struct {
    const char *key; /* the caller's SQL pointer */
    sqlite3_stmt *st;
    uint64_t used; /* when last handed out, for eviction */
    int busy;      /* handed out, not given back */
} stmt_slot_t;

struct bw_db_stmts {
    sqlite3 *c;
    uint64_t clock;
    unsigned n;
    stmt_slot_t slot[BW_DB_STMT_SLOTS];
};

static pthread_mutex_t caches_lock = PTHREAD_MUTEX_INITIALIZER;
static bw_db_stmts_t *caches[BW_DB_STMT_CACHES];

static bw_db_stmts_t *cache_of(sqlite3 *c)
{
    bw_db_stmts_t *found = NULL;
    pthread_mutex_lock(&caches_lock);
    for (size_t i = 0; i < BW_DB_STMT_CACHES && found == NULL; i++)
        if (caches[i] != NULL && caches[i]->c == c)
            found = caches[i];
    pthread_mutex_unlock(&caches_lock);
    return found;
}

/* A cache for c, registered; NULL when out of memory or when every
 * entry of the table is taken (c then compiles every time, as before). */
bw_db_stmts_t *bw_db__stmts_new(sqlite3 *c)
{
    bw_db_stmts_t *k = calloc(1, sizeof *k);
    if (k == NULL)
        return NULL;
    k->c = c;
    pthread_mutex_lock(&caches_lock);
    size_t i = 0;
    while (i < BW_DB_STMT_CACHES && caches[i] != NULL)
        i++;
    if (i < BW_DB_STMT_CACHES)
        caches[i] = k;
    pthread_mutex_unlock(&caches_lock);
    if (i == BW_DB_STMT_CACHES) {
        free(k);
        return NULL;
    }
    return k;
}

/* Unregister and finalize everything (the connection is closing). */
void bw_db__stmts_free(bw_db_stmts_t *k)
{
    if (k == NULL)
        return;
    pthread_mutex_lock(&caches_lock);
    for (size_t i = 0; i < BW_DB_STMT_CACHES; i++)
        if (caches[i] == k)
            caches[i] = NULL;
    pthread_mutex_unlock(&caches_lock);
    for (unsigned i = 0; i < k->n; i++)
        sqlite3_finalize(k->slot[i].st);
    free(k);
}

static int compile(sqlite3 *c, const char *sql, sqlite3_stmt **st)
{
    int rc = sqlite3_prepare_v2(c, sql, -1, st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
        return bw_db__err(rc);
    }
    return 0;
}

/* The slot for sql: its own (busy or not), else one to fill: a free
 * one, or the least recently used idle one (emptied).  NULL when every
 * slot is busy. */
static stmt_slot_t *slot_for(bw_db_stmts_t *k, const char *sql, int *hit)
{
    stmt_slot_t *victim = NULL;
    *hit = 0;
    for (unsigned i = 0; i < k->n; i++) {
        stmt_slot_t *s = &k->slot[i];
        if (s->key == sql) {
            if (strcmp(sqlite3_sql(s->st), sql) == 0) {
                *hit = 1;
                return s;
            }
            if (!s->busy) { /* the same pointer, other text: recompile */
                victim = s;
                break;
            }
        }
        if (!s->busy && (victim == NULL || s->used < victim->used))
            victim = s;
    }
    int reuse = victim != NULL && (victim->key == sql || victim->st == NULL);
    if (!reuse && k->n < BW_DB_STMT_SLOTS)
        return &k->slot[k->n++];
    if (victim != NULL) {
        sqlite3_finalize(victim->st);
        victim->st = NULL;
        victim->key = NULL;
    }
    return victim;
}

int bw_db__prepare(sqlite3 *c, const char *sql, sqlite3_stmt **st)
{
    *st = NULL;
    bw_db_stmts_t *k = cache_of(c);
    if (k == NULL)
        return compile(c, sql, st);
    int hit;
    stmt_slot_t *s = slot_for(k, sql, &hit);
    if (s == NULL || (hit && s->busy))
        return compile(c, sql, st); /* a statement of its own */
    if (!hit) {
        int err = compile(c, sql, &s->st);
        if (err != 0) { /* the slot stays empty: last in line, or reused */
            s->key = NULL;
            s->used = 0;
            if (s == &k->slot[k->n - 1])
                k->n--;
            return err;
        }
        s->key = sql;
    }
    s->busy = 1;
    s->used = ++k->clock;
    *st = s->st;
    return 0;
}

void bw_db__release(sqlite3_stmt *st)
{
    if (st == NULL)
        return;
    bw_db_stmts_t *k = cache_of(sqlite3_db_handle(st));
    for (unsigned i = 0; k != NULL && i < k->n; i++)
        if (k->slot[i].st == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            k->slot[i].busy = 0;
            return;
        }
    sqlite3_finalize(st); /* not cached */
}
