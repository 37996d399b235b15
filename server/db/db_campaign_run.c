/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Campaigns after creation (db_campaign.h): reading them back with their
 * counts, the devices and their history, applying the planner's and the
 * driver's changes (guarded by the state each change leaves, with one
 * history row each, in one transaction), and the firmware versions
 * devices report, with auto-upgrade enrolment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_campaign.h"
#include "db_campaign_int.h"
#include "db_int.h"

#define CAMPAIGN_COLUMNS                                                       \
    "c.id, c.name, c.firmware_id, f.version, c.selector, c.batches, "          \
    "c.max_concurrent, c.failure_threshold_bp, c.window_start, "               \
    "c.window_end, c.auto_upgrade, c.state, c.current_batch, "                 \
    "COALESCE(c.halt_reason, ''), c.created_by, c.created_at, "                \
    "c.updated_at, c.delivery FROM campaigns c JOIN firmware f ON "            \
    "f.id = c.firmware_id "

/* Fill *c from a CAMPAIGN_COLUMNS row (counts left zero). */
static int campaign_row(sqlite3_stmt *st, bw_db_campaign_t *c)
{
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(st, 0);
    int err = bw_db__column_text(st, 1, c->name, sizeof c->name);
    if (err == 0)
        err = bw_db__column_text(st, 2, c->firmware_id, sizeof c->firmware_id);
    if (err == 0)
        err = bw_db__column_text(st, 3, c->version, sizeof c->version);
    if (err == 0) {
        bw_db__selector_buf_t b;
        const char *sel = (const char *)sqlite3_column_text(st, 4);
        err = bw_db__selector_decode(sel != NULL ? sel : "", &b);
        if (err == 0) {
            snprintf(c->model, sizeof c->model, "%s", b.sel.model);
            bw_db__selector_free(&b);
        }
    }
    if (err == 0) {
        const char *b = (const char *)sqlite3_column_text(st, 5);
        err = bw_db__batches_decode(b != NULL ? b : "", c->batches,
                                    &c->n_batches);
    }
    c->max_concurrent = (uint32_t)sqlite3_column_int64(st, 6);
    c->threshold_bp = (uint32_t)sqlite3_column_int64(st, 7);
    c->window_start = sqlite3_column_type(st, 8) == SQLITE_NULL
                          ? -1
                          : sqlite3_column_int(st, 8);
    c->window_end = sqlite3_column_type(st, 9) == SQLITE_NULL
                        ? -1
                        : sqlite3_column_int(st, 9);
    c->auto_upgrade = sqlite3_column_int(st, 10) != 0;
    int s = bw_db_camp_state_parse((const char *)sqlite3_column_text(st, 11));
    if (err == 0 && s < 0)
        err = BW_EMALFORMED;
    c->state = s < 0 ? BW_DB_CAMP_RUNNING : (bw_db_camp_state_t)s;
    sqlite3_int64 cb = sqlite3_column_int64(st, 12);
    if (err == 0 && (cb < 1 || (size_t)cb > c->n_batches))
        err = BW_EMALFORMED;
    c->current_batch = (unsigned)cb;
    if (err == 0)
        err = bw_db__column_text(st, 13, c->halt_reason, sizeof c->halt_reason);
    if (err == 0)
        err = bw_db__column_text(st, 14, c->created_by, sizeof c->created_by);
    c->created_ms = sqlite3_column_int64(st, 15);
    c->updated_ms = sqlite3_column_int64(st, 16);
    int d = bw_db_delivery_parse((const char *)sqlite3_column_text(st, 17));
    if (err == 0 && d < 0)
        err = BW_EMALFORMED;
    c->delivery = d < 0 ? BW_DB_DELIVERY_PULL : (bw_db_delivery_t)d;
    if (err == BW_EOVERFLOW)
        err = BW_EMALFORMED;
    return err;
}

static int counts_fill(bw_db_t *db, bw_db_campaign_t *c)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w,
                             "SELECT state, COUNT(*) FROM campaign_devices "
                             "WHERE campaign_id = ? GROUP BY state",
                             &st);
    if (err != 0)
        return err;
    sqlite3_bind_int64(st, 1, c->id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int s =
            bw_db_cdev_state_parse((const char *)sqlite3_column_text(st, 0));
        uint64_t n = (uint64_t)sqlite3_column_int64(st, 1);
        if (s >= 0)
            c->counts[s] = n;
        c->total += n;
    }
    bw_db__release(st);
    return rc == SQLITE_DONE ? 0 : bw_db__err(rc);
}

int bw_db_campaign_get(bw_db_t *db, int64_t id, bw_db_campaign_t *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (db == NULL || out == NULL)
        return BW_EINVAL;
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    int err =
        bw_db__prepare(db->w, "SELECT " CAMPAIGN_COLUMNS "WHERE c.id = ?", &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            err = campaign_row(st, out);
        else
            err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
        bw_db__release(st);
    }
    if (err == 0)
        err = counts_fill(db, out);
    pthread_mutex_unlock(&db->wlock);
    if (err != 0)
        memset(out, 0, sizeof *out);
    return err;
}

int bw_db_campaign_list(bw_db_t *db, int64_t after_id, size_t max,
                        int (*cb)(void *arg, const bw_db_campaign_t *c),
                        void *arg)
{
    if (db == NULL || cb == NULL)
        return BW_EINVAL;
    if (max == 0 || max > BW_DB_LIST_MAX)
        return BW_ERANGE;
    bw_db_campaign_t *c = malloc(sizeof *c);
    if (c == NULL)
        return BW_ENOMEM;
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    int err = bw_db__prepare(
        db->w,
        "SELECT " CAMPAIGN_COLUMNS "WHERE c.id > ? ORDER BY c.id LIMIT ?", &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, after_id);
        sqlite3_bind_int64(st, 2, (int64_t)max);
        int rc = SQLITE_DONE;
        while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            err = campaign_row(st, c);
            if (err == 0)
                err = counts_fill(db, c);
            if (err == 0)
                err = cb(arg, c);
        }
        if (err == 0 && rc != SQLITE_DONE)
            err = bw_db__err(rc);
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    free(c);
    return err;
}

/* The campaign exists (lock held).  ENOTFOUND. */
static int campaign_exists(bw_db_t *db, int64_t id)
{
    int64_t one;
    return bw_db__read_by_int(db, "SELECT 1 FROM campaigns WHERE id = ?", id,
                              &one);
}

#define CDEV_COLUMNS                                                           \
    "cd.device_id, d.endpoint, cd.batch, cd.state, cd.result, cd.detail, "     \
    "COALESCE(cd.started_at, 0), cd.updated_at FROM campaign_devices cd "      \
    "JOIN devices d ON d.id = cd.device_id "

static int cdev_row(sqlite3_stmt *st, bw_db_cdev_t *d)
{
    memset(d, 0, sizeof *d);
    d->device_id = sqlite3_column_int64(st, 0);
    int err = bw_db__column_text(st, 1, d->endpoint, sizeof d->endpoint);
    d->batch = (unsigned)sqlite3_column_int64(st, 2);
    int s = bw_db_cdev_state_parse((const char *)sqlite3_column_text(st, 3));
    if (err == 0 && s < 0)
        err = BW_EMALFORMED;
    d->state = s < 0 ? BW_DB_CDEV_PENDING : (bw_db_cdev_state_t)s;
    d->result = sqlite3_column_int(st, 4);
    if (err == 0)
        err = bw_db__column_text(st, 5, d->detail, sizeof d->detail);
    d->started_ms = sqlite3_column_int64(st, 6);
    d->updated_ms = sqlite3_column_int64(st, 7);
    return err == BW_EOVERFLOW ? BW_EMALFORMED : err;
}

int bw_db_campaign_devices(bw_db_t *db, int64_t campaign_id,
                           int (*cb)(void *arg, const bw_db_cdev_t *d),
                           void *arg)
{
    if (db == NULL || cb == NULL)
        return BW_EINVAL;
    pthread_mutex_lock(&db->wlock);
    int err = campaign_exists(db, campaign_id);
    sqlite3_stmt *st = NULL;
    if (err == 0)
        err = bw_db__prepare(db->w,
                             "SELECT " CDEV_COLUMNS "WHERE cd.campaign_id = ? "
                             "ORDER BY cd.batch, cd.rowid",
                             &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, campaign_id);
        bw_db_cdev_t d;
        int rc = SQLITE_DONE;
        while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            err = cdev_row(st, &d);
            if (err == 0)
                err = cb(arg, &d);
        }
        if (err == 0 && rc != SQLITE_DONE)
            err = bw_db__err(rc);
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    return err;
}

int bw_db_campaign_device_get(bw_db_t *db, int64_t campaign_id,
                              const char *endpoint, bw_db_cdev_t *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (db == NULL || out == NULL)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err != 0)
        return err;
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "SELECT " CDEV_COLUMNS
                         "WHERE cd.campaign_id = ? AND d.endpoint = ?",
                         &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, campaign_id);
        sqlite3_bind_text(st, 2, endpoint, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            err = cdev_row(st, out);
        else
            err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    if (err != 0)
        memset(out, 0, sizeof *out);
    return err;
}

int bw_db_campaign_history(bw_db_t *db, int64_t campaign_id,
                           const char *endpoint,
                           int (*cb)(void *arg, const bw_db_cevent_t *e),
                           void *arg)
{
    if (db == NULL || cb == NULL)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err != 0)
        return err;
    pthread_mutex_lock(&db->wlock);
    int64_t dev = 0;
    err = campaign_exists(db, campaign_id);
    if (err == 0)
        err = bw_db__device_id(db, endpoint, &dev);
    sqlite3_stmt *st = NULL;
    if (err == 0)
        err = bw_db__prepare(db->w,
                             "SELECT at, state, detail FROM campaign_events "
                             "WHERE campaign_id = ? AND device_id = ? "
                             "ORDER BY id",
                             &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, campaign_id);
        sqlite3_bind_int64(st, 2, dev);
        int rc = SQLITE_DONE;
        while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *s = (const char *)sqlite3_column_text(st, 1);
            const char *d = (const char *)sqlite3_column_text(st, 2);
            bw_db_cevent_t e = {.at_ms = sqlite3_column_int64(st, 0),
                                .state = s != NULL ? s : "",
                                .detail = d != NULL ? d : ""};
            err = cb(arg, &e);
        }
        if (err == 0 && rc != SQLITE_DONE)
            err = bw_db__err(rc);
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    return err;
}

/* ---- changes ---------------------------------------------------------- */

static int camp_change(bw_db_t *db, int64_t id, const bw_db_camp_change_t *c,
                       int64_t now)
{
    sqlite3_stmt *st;
    int err =
        bw_db__prepare(db->w, "SELECT state FROM campaigns WHERE id = ?", &st);
    if (err != 0)
        return err;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    int s =
        rc == SQLITE_ROW
            ? bw_db_camp_state_parse((const char *)sqlite3_column_text(st, 0))
            : -1;
    bw_db__release(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
    if (s < 0)
        return BW_EMALFORMED;
    if ((c->from_mask & (1u << s)) == 0)
        return BW_ESTATE;
    err = bw_db__prepare(db->w,
                         "UPDATE campaigns SET state = ?, current_batch = "
                         "CASE WHEN ? > 0 THEN ? ELSE current_batch END, "
                         "halt_reason = COALESCE(?, halt_reason), "
                         "updated_at = ? WHERE id = ?",
                         &st);
    if (err != 0)
        return err;
    sqlite3_bind_text(st, 1, bw_db_camp_state_name(c->to), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, c->current_batch);
    sqlite3_bind_int64(st, 3, c->current_batch);
    if (c->halt_reason != NULL)
        sqlite3_bind_text(st, 4, c->halt_reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_int64(st, 6, id);
    err = bw_db__step_done(st);
    if (err != 0)
        return err;
    return bw_db__event_insert(db, id, 0, now, bw_db_camp_state_name(c->to),
                               c->detail);
}

static int cdev_change(bw_db_t *db, int64_t id, bw_db_cdev_change_t *c,
                       int64_t now)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(
        db->w,
        "UPDATE campaign_devices SET state = ?, result = CASE WHEN ? >= 0 "
        "THEN ? ELSE result END, detail = ?, updated_at = ?, started_at = "
        "CASE WHEN ? THEN ? ELSE started_at END WHERE campaign_id = ? AND "
        "device_id = ? AND state = ?",
        &st);
    if (err != 0)
        return err;
    const char *detail = c->detail != NULL ? c->detail : "";
    sqlite3_bind_text(st, 1, bw_db_cdev_state_name(c->to), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, c->result);
    sqlite3_bind_int(st, 3, c->result);
    sqlite3_bind_text(st, 4, detail, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_int(st, 6,
                     c->to == BW_DB_CDEV_DOWNLOADING &&
                         c->from == BW_DB_CDEV_PENDING);
    sqlite3_bind_int64(st, 7, now);
    sqlite3_bind_int64(st, 8, id);
    sqlite3_bind_int64(st, 9, c->device_id);
    sqlite3_bind_text(st, 10, bw_db_cdev_state_name(c->from), -1,
                      SQLITE_STATIC);
    err = bw_db__step_done(st);
    if (err != 0)
        return err;
    c->applied = sqlite3_changes(db->w) > 0;
    if (!c->applied)
        return 0;
    return bw_db__event_insert(db, id, c->device_id, now,
                               bw_db_cdev_state_name(c->to), detail);
}

int bw_db_campaign_apply(bw_db_t *db, int64_t campaign_id,
                         const bw_db_camp_change_t *camp,
                         bw_db_cdev_change_t *devs, size_t n, int64_t now_ms)
{
    if (db == NULL || (devs == NULL && n > 0))
        return BW_EINVAL;
    int err = 0;
    if (camp != NULL) {
        if ((unsigned)camp->to >= BW_DB_CAMP_COUNT_)
            return BW_EINVAL;
        if (camp->halt_reason != NULL)
            err = bw_db__text_check(camp->halt_reason,
                                    BW_DB_CAMPAIGN_DETAIL_MAX, 1, 0);
        if (err == 0 && camp->detail != NULL)
            err = bw_db__text_check(camp->detail, BW_DB_CAMPAIGN_DETAIL_MAX, 1,
                                    0);
    }
    for (size_t i = 0; err == 0 && i < n; i++) {
        devs[i].applied = 0;
        if ((unsigned)devs[i].from >= BW_DB_CDEV_COUNT_ ||
            (unsigned)devs[i].to >= BW_DB_CDEV_COUNT_)
            return BW_EINVAL;
        if (devs[i].detail != NULL)
            err = bw_db__text_check(devs[i].detail, BW_DB_CAMPAIGN_DETAIL_MAX,
                                    1, 0);
    }
    if (err != 0)
        return err;
    err = bw_db__begin(db);
    if (err != 0)
        return err;
    err = camp != NULL ? camp_change(db, campaign_id, camp, now_ms)
                       : campaign_exists(db, campaign_id);
    for (size_t i = 0; err == 0 && i < n; i++)
        err = cdev_change(db, campaign_id, &devs[i], now_ms);
    if (err != 0) {
        for (size_t i = 0; i < n; i++)
            devs[i].applied = 0;
        return bw_db__rollback(db, err);
    }
    err = bw_db__commit(db);
    if (err != 0)
        for (size_t i = 0; i < n; i++)
            devs[i].applied = 0;
    return err;
}

int bw_db_campaign_in_flight(bw_db_t *db, const char *endpoint,
                             int (*cb)(void *arg, const bw_db_cdev_ref_t *r),
                             void *arg)
{
    if (db == NULL || cb == NULL)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err != 0)
        return err;
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    err = bw_db__prepare(
        db->w,
        "SELECT cd.campaign_id, cd.device_id, cd.state, f.version FROM "
        "campaign_devices cd JOIN devices d ON d.id = cd.device_id JOIN "
        "campaigns c ON c.id = cd.campaign_id JOIN firmware f ON f.id = "
        "c.firmware_id WHERE d.endpoint = ? AND cd.state IN ('downloading', "
        "'downloaded', 'updating') ORDER BY cd.campaign_id",
        &st);
    if (err == 0) {
        sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC);
        int rc = SQLITE_DONE;
        bw_db_cdev_ref_t r;
        while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            memset(&r, 0, sizeof r);
            r.campaign_id = sqlite3_column_int64(st, 0);
            r.device_id = sqlite3_column_int64(st, 1);
            r.state = (bw_db_cdev_state_t)bw_db_cdev_state_parse(
                (const char *)sqlite3_column_text(st, 2));
            err = bw_db__column_text(st, 3, r.version, sizeof r.version);
            if (err == 0)
                err = cb(arg, &r);
        }
        if (err == 0 && rc != SQLITE_DONE)
            err = bw_db__err(rc);
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    return err;
}

/* ---- reported versions and auto-upgrade ------------------------------ */

static int store_version(bw_db_t *db, int64_t dev, const char *version,
                         int64_t now)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w,
                             "UPDATE devices SET fw_version = ?, fw_seen_at = "
                             "? WHERE id = ?",
                             &st);
    if (err != 0)
        return err;
    sqlite3_bind_text(st, 1, version, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, dev);
    return bw_db__step_done(st);
}

typedef struct {
    int64_t id;
    unsigned batches;
    char *selector;
    char version[BW_DB_FW_VERSION_MAX + 1];
} watcher_t;

/* Completed auto-upgrade campaigns the device is not part of yet. */
static int watchers(bw_db_t *db, int64_t dev, watcher_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    int err = bw_db__prepare(
        db->w,
        "SELECT c.id, c.batches, c.selector, f.version FROM campaigns c JOIN "
        "firmware f ON f.id = c.firmware_id WHERE c.state = 'completed' AND "
        "c.auto_upgrade <> 0 AND NOT EXISTS (SELECT 1 FROM campaign_devices "
        "cd WHERE cd.campaign_id = c.id AND cd.device_id = ?) ORDER BY c.id",
        &st);
    if (err != 0)
        return err;
    sqlite3_bind_int64(st, 1, dev);
    int rc;
    while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        watcher_t *nw = realloc(*out, (*n + 1) * sizeof *nw);
        if (nw == NULL) {
            err = BW_ENOMEM;
            break;
        }
        *out = nw;
        watcher_t *w = &nw[*n];
        memset(w, 0, sizeof *w);
        w->id = sqlite3_column_int64(st, 0);
        uint8_t pcts[BW_DB_CAMPAIGN_BATCHES_MAX];
        size_t nb = 0;
        const char *b = (const char *)sqlite3_column_text(st, 1);
        const char *s = (const char *)sqlite3_column_text(st, 2);
        err = bw_db__batches_decode(b != NULL ? b : "", pcts, &nb);
        w->batches = (unsigned)nb;
        w->selector = strdup(s != NULL ? s : "");
        (*n)++;
        if (err == 0 && w->selector == NULL)
            err = BW_ENOMEM;
        if (err == 0)
            err = bw_db__column_text(st, 3, w->version, sizeof w->version);
    }
    if (err == 0 && rc != SQLITE_DONE)
        err = bw_db__err(rc);
    bw_db__release(st);
    return err;
}

static int enrol_locked(bw_db_t *db, const char *endpoint, int64_t dev,
                        const char *version, int64_t now, uint64_t *enrolled)
{
    bw_db_device_t d;
    memset(&d, 0, sizeof d);
    d.id = dev;
    sqlite3_stmt *st;
    int err = bw_db__prepare(
        db->w, "SELECT model, tags FROM devices WHERE id = ?", &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, d.id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            err = bw_db__column_text(st, 0, d.model, sizeof d.model);
            if (err == 0)
                err = bw_db__column_text(st, 1, d.tags, sizeof d.tags);
        } else {
            err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
        }
        bw_db__release(st);
    }
    if (err == 0)
        err = store_version(db, d.id, version, now);
    watcher_t *w = NULL;
    size_t n = 0;
    if (err == 0)
        err = watchers(db, d.id, &w, &n);
    for (size_t i = 0; err == 0 && i < n; i++) {
        bw_db__selector_buf_t b;
        err = bw_db__selector_decode(w[i].selector, &b);
        if (err != 0)
            break;
        int match =
            bw_db_selector_match(&b.sel, d.model, d.tags, version, endpoint) &&
            bw_db_version_cmp(version, w[i].version) < 0;
        bw_db__selector_free(&b);
        if (!match)
            continue;
        char detail[BW_DB_CAMPAIGN_DETAIL_MAX + 1];
        snprintf(detail, sizeof detail, "enrolled: reported %s", version);
        err = bw_db__cdev_insert(db, w[i].id, d.id, w[i].batches,
                                 BW_DB_CDEV_PENDING, detail, now);
        if (err == 0)
            ++*enrolled;
    }
    for (size_t i = 0; i < n; i++)
        free(w[i].selector);
    free(w);
    return err;
}

int bw_db_campaign_fw_reported(bw_db_t *db, const char *endpoint,
                               const char *version, int64_t now_ms,
                               uint64_t *enrolled)
{
    uint64_t count = 0;
    if (enrolled != NULL)
        *enrolled = 0;
    if (db == NULL)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err == 0)
        err = bw_db__text_check(version, BW_DB_FW_VERSION_MAX, 0, 0);
    if (err != 0)
        return err;
    int64_t dev;
    err = bw_db__begin_device(db, endpoint, NULL, &dev);
    if (err != 0)
        return err;
    err = enrol_locked(db, endpoint, dev, version, now_ms, &count);
    if (err != 0)
        return bw_db__rollback(db, err);
    err = bw_db__commit(db);
    if (err == 0 && enrolled != NULL)
        *enrolled = count;
    return err;
}
