/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Campaign creation (db_campaign.h): input rules, the selector and how it
 * is kept, batch bounds, version order, and the one transaction that
 * fixes a campaign's targets.  Changes after creation are in
 * db_campaign_run.c.
 *
 * The selector is stored as text, one "key=value" line per entry (model,
 * version, tag, endpoint), readable in a dump; values never hold a
 * control character (the input rules), so a newline cannot be forged.
 * Batches are stored as "10,50,100".  A device's place in the campaign's
 * order is the order its row was inserted in (SQLite's rowid; a
 * PostgreSQL backend adds a position column).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_campaign.h"
#include "db_campaign_int.h"
#include "db_int.h"

static const char *const camp_names[BW_DB_CAMP_COUNT_] = {
    "running", "paused", "halted", "aborted", "completed"};
static const char *const cdev_names[BW_DB_CDEV_COUNT_] = {
    "pending",   "downloading", "downloaded", "updating",
    "succeeded", "failed",      "skipped",    "aborted"};

const char *bw_db_camp_state_name(bw_db_camp_state_t s)
{
    return (unsigned)s < BW_DB_CAMP_COUNT_ ? camp_names[s] : NULL;
}

int bw_db_camp_state_parse(const char *s)
{
    for (int i = 0; s != NULL && i < BW_DB_CAMP_COUNT_; i++)
        if (strcmp(s, camp_names[i]) == 0)
            return i;
    return -1;
}

const char *bw_db_cdev_state_name(bw_db_cdev_state_t s)
{
    return (unsigned)s < BW_DB_CDEV_COUNT_ ? cdev_names[s] : NULL;
}

int bw_db_cdev_state_parse(const char *s)
{
    for (int i = 0; s != NULL && i < BW_DB_CDEV_COUNT_; i++)
        if (strcmp(s, cdev_names[i]) == 0)
            return i;
    return -1;
}

/* As in the CHECK of migration 8. */
static const char *const delivery_names[BW_DB_DELIVERY_COUNT_] = {"pull",
                                                                  "push"};

const char *bw_db_delivery_name(bw_db_delivery_t d)
{
    return (unsigned)d < BW_DB_DELIVERY_COUNT_ ? delivery_names[d] : NULL;
}

int bw_db_delivery_parse(const char *s)
{
    for (int i = 0; s != NULL && i < BW_DB_DELIVERY_COUNT_; i++)
        if (strcmp(s, delivery_names[i]) == 0)
            return i;
    return -1;
}

/* ---- selector ------------------------------------------------------- */

static int tag_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t';
}

/* Is tag one of the separated words of tags? */
static int has_tag(const char *tags, const char *tag)
{
    size_t want = strlen(tag);
    const char *p = tags;
    while (*p != '\0') {
        while (tag_sep(*p))
            p++;
        const char *start = p;
        while (*p != '\0' && !tag_sep(*p))
            p++;
        if ((size_t)(p - start) == want && want > 0 &&
            memcmp(start, tag, want) == 0)
            return 1;
    }
    return 0;
}

static int in_list(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

int bw_db_selector_match(const bw_db_selector_t *sel, const char *model,
                         const char *tags, const char *version,
                         const char *endpoint)
{
    if (sel == NULL || model == NULL || endpoint == NULL)
        return 0;
    if (sel->model != NULL && strcmp(sel->model, model) != 0)
        return 0;
    if (sel->n_versions > 0 &&
        (version == NULL || !in_list(sel->versions, sel->n_versions, version)))
        return 0;
    for (size_t i = 0; i < sel->n_tags; i++)
        if (tags == NULL || !has_tag(tags, sel->tags[i]))
            return 0;
    if (sel->n_endpoints > 0 &&
        !in_list(sel->endpoints, sel->n_endpoints, endpoint))
        return 0;
    return 1;
}

int bw_db__selector_check(const bw_db_selector_t *sel)
{
    struct {
        const char *const *list;
        size_t n, max;
    } lists[] = {
        {sel->versions, sel->n_versions, BW_DB_FW_VERSION_MAX},
        {sel->tags, sel->n_tags, BW_DB_TAGS_MAX},
        {sel->endpoints, sel->n_endpoints, BW_DB_ENDPOINT_MAX},
    };
    int err = 0;
    if (sel->model != NULL)
        err = bw_db__text_check(sel->model, BW_DB_MODEL_MAX, 0, 0);
    for (size_t k = 0; err == 0 && k < 3; k++) {
        if (lists[k].n > BW_DB_SELECTOR_LIST_MAX)
            return BW_EOVERFLOW;
        if (lists[k].n > 0 && lists[k].list == NULL)
            return BW_EINVAL;
        for (size_t i = 0; err == 0 && i < lists[k].n; i++)
            err = k == 2
                      ? bw_db__endpoint_check(lists[k].list[i])
                      : bw_db__text_check(lists[k].list[i], lists[k].max, 0, 0);
    }
    /* A tag holding a separator could never match a device's tags. */
    for (size_t i = 0; err == 0 && i < sel->n_tags; i++)
        for (const char *p = sel->tags[i]; *p != '\0'; p++)
            if (tag_sep(*p))
                err = BW_EMALFORMED;
    return err;
}

/* Append "key=value\n" to a heap buffer. */
static int put_line(char **buf, size_t *len, const char *key, const char *v)
{
    size_t add = strlen(key) + 1 + strlen(v) + 1;
    char *nb = realloc(*buf, *len + add + 1);
    if (nb == NULL)
        return BW_ENOMEM;
    snprintf(nb + *len, add + 1, "%s=%s\n", key, v);
    *buf = nb;
    *len += add;
    return 0;
}

int bw_db__selector_encode(const bw_db_selector_t *sel, const char *model,
                           char **out)
{
    char *buf = NULL;
    size_t len = 0;
    int err = put_line(&buf, &len, "model", model);
    for (size_t i = 0; err == 0 && i < sel->n_versions; i++)
        err = put_line(&buf, &len, "version", sel->versions[i]);
    for (size_t i = 0; err == 0 && i < sel->n_tags; i++)
        err = put_line(&buf, &len, "tag", sel->tags[i]);
    for (size_t i = 0; err == 0 && i < sel->n_endpoints; i++)
        err = put_line(&buf, &len, "endpoint", sel->endpoints[i]);
    if (err != 0) {
        free(buf);
        buf = NULL;
    }
    *out = buf;
    return err;
}

int bw_db__selector_decode(const char *text, bw_db__selector_buf_t *b)
{
    memset(b, 0, sizeof *b);
    b->text = strdup(text);
    size_t lines = 1;
    for (const char *p = text; *p != '\0'; p++)
        lines += *p == '\n';
    b->items = calloc(lines, sizeof *b->items);
    if (b->text == NULL || b->items == NULL) {
        bw_db__selector_free(b);
        return BW_ENOMEM;
    }
    /* Cut the lines; every one must be key=value. */
    size_t n_lines = 0;
    char **line = calloc(lines, sizeof *line);
    if (line == NULL) {
        bw_db__selector_free(b);
        return BW_ENOMEM;
    }
    for (char *p = b->text; *p != '\0';) {
        char *nl = strchr(p, '\n');
        if (nl != NULL)
            *nl = '\0';
        line[n_lines++] = p;
        p = nl != NULL ? nl + 1 : p + strlen(p);
    }
    int err = 0;
    for (size_t i = 0; i < n_lines; i++)
        if (strchr(line[i], '=') == NULL)
            err = BW_EMALFORMED;
    /* One pass per key keeps each list contiguous in items. */
    static const char *const keys[] = {"model", "version", "tag", "endpoint"};
    size_t used = 0;
    for (size_t k = 0; err == 0 && k < 4; k++) {
        size_t first = used, klen = strlen(keys[k]);
        for (size_t i = 0; i < n_lines; i++) {
            if (strncmp(line[i], keys[k], klen) != 0 || line[i][klen] != '=')
                continue;
            if (k == 0)
                b->sel.model = line[i] + klen + 1;
            else
                b->items[used++] = line[i] + klen + 1;
        }
        const char *const *list = (const char *const *)b->items + first;
        if (k == 1) {
            b->sel.versions = list;
            b->sel.n_versions = used - first;
        } else if (k == 2) {
            b->sel.tags = list;
            b->sel.n_tags = used - first;
        } else if (k == 3) {
            b->sel.endpoints = list;
            b->sel.n_endpoints = used - first;
        }
    }
    free(line);
    if (err == 0 && b->sel.model == NULL)
        err = BW_EMALFORMED;
    if (err != 0)
        bw_db__selector_free(b);
    return err;
}

void bw_db__selector_free(bw_db__selector_buf_t *b)
{
    free(b->text);
    free(b->items);
    memset(b, 0, sizeof *b);
}

/* ---- batches and versions ------------------------------------------- */

void bw_db_campaign_batch_bounds(const uint8_t *pcts, size_t n_batches,
                                 size_t n, size_t *bounds)
{
    for (size_t k = 0; k < n_batches; k++)
        bounds[k] = ((size_t)pcts[k] * n + 99) / 100;
}

int bw_db__batches_check(const uint8_t *pcts, size_t n)
{
    if (n == 0 || n > BW_DB_CAMPAIGN_BATCHES_MAX)
        return BW_ERANGE;
    for (size_t k = 0; k < n; k++)
        if (pcts[k] == 0 || pcts[k] > 100 || (k > 0 && pcts[k] <= pcts[k - 1]))
            return BW_ERANGE;
    return pcts[n - 1] == 100 ? 0 : BW_ERANGE;
}

int bw_db__batches_encode(const uint8_t *pcts, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        int w =
            snprintf(out + len, cap - len, k ? ",%u" : "%u", (unsigned)pcts[k]);
        if (w < 0 || (size_t)w >= cap - len)
            return BW_ENOSPC;
        len += (size_t)w;
    }
    return 0;
}

int bw_db__batches_decode(const char *s, uint8_t *pcts, size_t *n)
{
    *n = 0;
    while (*s != '\0') {
        unsigned v = 0;
        const char *start = s;
        while (*s >= '0' && *s <= '9' && v <= 100)
            v = v * 10 + (unsigned)(*s++ - '0');
        if (s == start || v > 100 || *n == BW_DB_CAMPAIGN_BATCHES_MAX)
            return BW_EMALFORMED;
        pcts[(*n)++] = (uint8_t)v;
        if (*s == ',')
            s++;
        else if (*s != '\0')
            return BW_EMALFORMED;
    }
    return bw_db__batches_check(pcts, *n) == 0 ? 0 : BW_EMALFORMED;
}

static int digit(char c)
{
    return c >= '0' && c <= '9';
}

int bw_db_version_cmp(const char *a, const char *b)
{
    while (*a != '\0' || *b != '\0') {
        if (digit(*a) && digit(*b)) {
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            size_t la = 0, lb = 0;
            while (digit(a[la]))
                la++;
            while (digit(b[lb]))
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = memcmp(a, b, la);
            if (c != 0)
                return c < 0 ? -1 : 1;
            a += la;
            b += lb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return 0;
}

/* ---- creation ------------------------------------------------------- */

static int fw_id_check(const char *id)
{
    if (id == NULL)
        return BW_EINVAL;
    size_t n = strnlen(id, BW_DB_FW_ID_LEN + 1);
    if (n != BW_DB_FW_ID_LEN)
        return BW_EMALFORMED;
    for (size_t i = 0; i < n; i++)
        if (!digit(id[i]) && !(id[i] >= 'a' && id[i] <= 'f'))
            return BW_EMALFORMED;
    return 0;
}

static int spec_check(const bw_db_campaign_spec_t *s)
{
    int err = bw_db__text_check(s->name, BW_DB_CAMPAIGN_NAME_MAX, 0, 0);
    if (err == 0)
        err = fw_id_check(s->firmware_id);
    if (err == 0)
        err = bw_db__text_check(s->created_by, BW_DB_AUDIT_FIELD_MAX, 0, 0);
    if (err == 0)
        err = bw_db__selector_check(&s->selector);
    if (err == 0)
        err = bw_db__batches_check(s->batches, s->n_batches);
    if (err == 0 && (s->max_concurrent == 0 || s->threshold_bp > 10000))
        err = BW_ERANGE;
    if (err == 0 && (s->window_start < 0) != (s->window_end < 0))
        err = BW_ERANGE;
    if (err == 0 && s->window_start >= 0 &&
        (s->window_start >= 1440 || s->window_end >= 1440 ||
         s->window_start == s->window_end))
        err = BW_ERANGE;
    if (err == 0 && (unsigned)s->delivery >= BW_DB_DELIVERY_COUNT_)
        err = BW_ERANGE;
    return err;
}

typedef struct {
    int64_t id;
    int skip;
} target_t;

/* Devices of the model that match, into a growing array. */
static int select_targets(bw_db_t *db, const bw_db_selector_t *sel,
                          const char *fw_version, target_t **out, size_t *n)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w,
                             "SELECT id, endpoint, tags, fw_version FROM "
                             "devices WHERE model = ? ORDER BY id",
                             &st);
    if (err != 0)
        return err;
    sqlite3_bind_text(st, 1, sel->model, -1, SQLITE_STATIC);
    target_t *t = NULL;
    size_t cap = 0, count = 0;
    int rc;
    while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *ep = (const char *)sqlite3_column_text(st, 1);
        const char *tags = (const char *)sqlite3_column_text(st, 2);
        const char *ver = (const char *)sqlite3_column_text(st, 3);
        if (ep == NULL ||
            !bw_db_selector_match(sel, sel->model, tags != NULL ? tags : "",
                                  ver, ep))
            continue;
        if (count == BW_DB_CAMPAIGN_TARGETS_MAX) {
            err = BW_EOVERFLOW;
            break;
        }
        if (count == cap) {
            size_t nc = cap ? cap * 2 : 64;
            target_t *nt = realloc(t, nc * sizeof *nt);
            if (nt == NULL) {
                err = BW_ENOMEM;
                break;
            }
            t = nt;
            cap = nc;
        }
        t[count].id = sqlite3_column_int64(st, 0);
        t[count].skip = ver != NULL && strcmp(ver, fw_version) == 0;
        count++;
    }
    if (err == 0 && rc != SQLITE_DONE)
        err = bw_db__err(rc);
    bw_db__release(st);
    if (err != 0) {
        free(t);
        return err;
    }
    *out = t;
    *n = count;
    return 0;
}

/* splitmix64: a small, well-mixed generator for the shuffle (order only,
 * not a secret). */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void shuffle(target_t *t, size_t n, uint64_t seed)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(next_rand(&seed) % i);
        target_t tmp = t[i - 1];
        t[i - 1] = t[j];
        t[j] = tmp;
    }
}

static int fw_lookup(bw_db_t *db, const char *id, char *model, char *version)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(
        db->w, "SELECT model, version FROM firmware WHERE id = ?", &st);
    if (err != 0)
        return err;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        err = bw_db__column_text(st, 0, model, BW_DB_MODEL_MAX + 1);
        if (err == 0)
            err = bw_db__column_text(st, 1, version, BW_DB_FW_VERSION_MAX + 1);
    } else {
        err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
    }
    bw_db__release(st);
    return err;
}

static int insert_campaign(bw_db_t *db, const bw_db_campaign_spec_t *s,
                           const char *selector, int64_t now, int64_t *id)
{
    char batches[BW_DB_CAMPAIGN_BATCHES_MAX * 4 + 1];
    int err = bw_db__batches_encode(s->batches, s->n_batches, batches,
                                    sizeof batches);
    sqlite3_stmt *st = NULL;
    if (err == 0)
        err = bw_db__prepare(
            db->w,
            "INSERT INTO campaigns (name, firmware_id, selector, batches, "
            "max_concurrent, failure_threshold_bp, window_start, window_end, "
            "auto_upgrade, state, current_batch, created_by, created_at, "
            "updated_at, delivery) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "'running', 1, ?, ?, ?, ?)",
            &st);
    if (err != 0)
        return err;
    sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s->firmware_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, selector, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, batches, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, s->max_concurrent);
    sqlite3_bind_int64(st, 6, s->threshold_bp);
    if (s->window_start >= 0) {
        sqlite3_bind_int(st, 7, s->window_start);
        sqlite3_bind_int(st, 8, s->window_end);
    }
    sqlite3_bind_int(st, 9, s->auto_upgrade ? 1 : 0);
    sqlite3_bind_text(st, 10, s->created_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 11, now);
    sqlite3_bind_int64(st, 12, now);
    sqlite3_bind_text(st, 13, delivery_names[s->delivery], -1, SQLITE_STATIC);
    err = bw_db__step_done(st);
    if (err == 0)
        *id = sqlite3_last_insert_rowid(db->w);
    return err;
}

int bw_db__event_insert(bw_db_t *db, int64_t campaign_id, int64_t device_id,
                        int64_t at, const char *state, const char *detail)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w,
                             "INSERT INTO campaign_events (campaign_id, "
                             "device_id, at, state, detail) VALUES (?, ?, "
                             "?, ?, ?)",
                             &st);
    if (err != 0)
        return err;
    sqlite3_bind_int64(st, 1, campaign_id);
    if (device_id > 0)
        sqlite3_bind_int64(st, 2, device_id);
    sqlite3_bind_int64(st, 3, at);
    sqlite3_bind_text(st, 4, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, detail != NULL ? detail : "", -1, SQLITE_STATIC);
    return bw_db__step_done(st);
}

int bw_db__cdev_insert(bw_db_t *db, int64_t campaign_id, int64_t device_id,
                       unsigned batch, bw_db_cdev_state_t state,
                       const char *detail, int64_t now)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w,
                             "INSERT INTO campaign_devices (campaign_id, "
                             "device_id, batch, state, result, detail, "
                             "updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
                             &st);
    if (err != 0)
        return err;
    sqlite3_bind_int64(st, 1, campaign_id);
    sqlite3_bind_int64(st, 2, device_id);
    sqlite3_bind_int64(st, 3, batch);
    sqlite3_bind_text(st, 4, cdev_names[state], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, detail, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    err = bw_db__step_done(st);
    if (err == 0)
        err = bw_db__event_insert(db, campaign_id, device_id, now,
                                  cdev_names[state], detail);
    return err;
}

/* Inside the transaction: everything after the checks. */
static int create_locked(bw_db_t *db, const bw_db_campaign_spec_t *spec,
                         int64_t now, int64_t *id, uint64_t *targets)
{
    char model[BW_DB_MODEL_MAX + 1], version[BW_DB_FW_VERSION_MAX + 1];
    int err = fw_lookup(db, spec->firmware_id, model, version);
    if (err != 0)
        return err;
    bw_db_selector_t sel = spec->selector;
    if (sel.model == NULL)
        sel.model = model;
    else if (strcmp(sel.model, model) != 0)
        return BW_ETYPE; /* every device would refuse it (result 6) */
    target_t *t = NULL;
    size_t n = 0;
    err = select_targets(db, &sel, version, &t, &n);
    if (err == 0 && n == 0)
        err = BW_ENOMATCH;
    char *seltext = NULL;
    if (err == 0)
        err = bw_db__selector_encode(&sel, sel.model, &seltext);
    if (err == 0)
        err = insert_campaign(db, spec, seltext, now, id);
    free(seltext);
    if (err == 0) {
        char detail[BW_DB_CAMPAIGN_DETAIL_MAX + 1];
        snprintf(detail, sizeof detail,
                 "created: firmware %s (version %s), %zu device(s)",
                 spec->firmware_id, version, n);
        err = bw_db__event_insert(db, *id, 0, now, "running", detail);
    }
    if (err == 0) {
        size_t bounds[BW_DB_CAMPAIGN_BATCHES_MAX];
        bw_db_campaign_batch_bounds(spec->batches, spec->n_batches, n, bounds);
        shuffle(t, n, spec->seed);
        char skipped[BW_DB_CAMPAIGN_DETAIL_MAX + 1];
        snprintf(skipped, sizeof skipped, "already at %s", version);
        unsigned batch = 1;
        for (size_t i = 0; err == 0 && i < n; i++) {
            while (i >= bounds[batch - 1])
                batch++;
            err = bw_db__cdev_insert(db, *id, t[i].id, batch,
                                     t[i].skip ? BW_DB_CDEV_SKIPPED
                                               : BW_DB_CDEV_PENDING,
                                     t[i].skip ? skipped : "", now);
        }
    }
    free(t);
    if (err == 0 && targets != NULL)
        *targets = n;
    return err;
}

int bw_db_campaign_create(bw_db_t *db, const bw_db_campaign_spec_t *spec,
                          int64_t now_ms, int64_t *id, uint64_t *targets)
{
    int64_t new_id = 0;
    if (id != NULL)
        *id = 0;
    if (targets != NULL)
        *targets = 0;
    if (db == NULL || spec == NULL || spec->name == NULL ||
        spec->created_by == NULL)
        return BW_EINVAL;
    int err = spec_check(spec);
    if (err != 0)
        return err;
    err = bw_db__begin(db);
    if (err != 0)
        return err;
    err = create_locked(db, spec, now_ms, &new_id, targets);
    if (err != 0) {
        if (targets != NULL)
            *targets = 0;
        return bw_db__rollback(db, err);
    }
    err = bw_db__commit(db);
    if (err == 0 && id != NULL)
        *id = new_id;
    if (err != 0 && targets != NULL)
        *targets = 0;
    return err;
}
