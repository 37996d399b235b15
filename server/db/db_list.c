/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Walking the device table a page at a time (db.h, "device listing"):
 * keyset paging by endpoint name, so a page costs an index range scan
 * however deep into the fleet it starts.
 *
 * The filtered walk (bw_db_device_find) keeps that shape: the name
 * prefix is one more range on the same index ([prefix, prefix + 0x7f):
 * every endpoint character is below 0x7f), a model is an equality on
 * the devices_model index (model, endpoint), which also gives the order,
 * and tags are decided by the campaign selector's own function
 * (bw_db_selector_match) on rows a LIKE on the first tag has narrowed
 * down.  The LIKE only keeps rows whose tags text holds the tag as a
 * substring (its wildcards escaped), a superset of the rule's matches,
 * so the rule stays in one place.  Comparisons are byte-wise: SQLite's
 * BINARY collation; a PostgreSQL backend gives these columns COLLATE
 * "C".
 */
#include <string.h>

#include "db_campaign.h"
#include "db_campaign_int.h"
#include "db_int.h"
#include "db_list.h"

int bw_db_device_list(bw_db_t *db, const char *after, size_t max,
                      int (*cb)(void *arg, const bw_db_device_t *d), void *arg)
{
    if (db == NULL || cb == NULL)
        return BW_EINVAL;
    if (max == 0 || max > BW_DB_LIST_MAX)
        return BW_ERANGE;
    if (after == NULL)
        after = "";
    if (*after != '\0') {
        int err = bw_db__endpoint_check(after);
        if (err != 0)
            return err;
    }
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w,
                             "SELECT id, endpoint, model, tags, created_at "
                             "FROM devices WHERE endpoint > ? "
                             "ORDER BY endpoint LIMIT ?",
                             &st);
    if (err == 0) {
        sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)max);
        int rc = SQLITE_DONE;
        bw_db_device_t d;
        while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            memset(&d, 0, sizeof d);
            d.id = sqlite3_column_int64(st, 0);
            d.created_ms = sqlite3_column_int64(st, 4);
            err = bw_db__column_text(st, 1, d.endpoint, sizeof d.endpoint);
            if (err == 0)
                err = bw_db__column_text(st, 2, d.model, sizeof d.model);
            if (err == 0)
                err = bw_db__column_text(st, 3, d.tags, sizeof d.tags);
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

/* ---- filtered walk ---------------------------------------------------- */

/* Above every endpoint character: the end of a prefix's range. */
#define RANGE_END "\x7f"

int bw_db_device_filter_check(const bw_db_device_filter_t *f,
                              const char **field)
{
    const char *dummy;
    if (field == NULL)
        field = &dummy;
    *field = NULL;
    if (f == NULL)
        return BW_EINVAL;
    int err = 0;
    if (f->prefix != NULL && *f->prefix != '\0') {
        err = bw_db__endpoint_check(f->prefix);
        if (err == BW_EMALFORMED &&
            strnlen(f->prefix, BW_DB_ENDPOINT_MAX + 1) > BW_DB_ENDPOINT_MAX)
            err = BW_EOVERFLOW;
        if (err != 0) {
            *field = "prefix";
            return err;
        }
    }
    if (f->model != NULL) {
        err = bw_db__text_check(f->model, BW_DB_MODEL_MAX, 1, 0);
        if (err != 0) {
            *field = "model";
            return err;
        }
    }
    if (f->n_tags > 0) {
        /* The campaign selector's rule for tags, by its own check. */
        bw_db_selector_t sel = {.tags = f->tags, .n_tags = f->n_tags};
        err = f->n_tags > BW_DB_FILTER_TAGS_MAX ? BW_EOVERFLOW
                                                : bw_db__selector_check(&sel);
        if (err != 0) {
            *field = "tag";
            return err;
        }
    }
    return 0;
}

/* '%' tag '%' for LIKE ... ESCAPE '\', with the tag's wildcards and
 * escape character escaped: matches any text holding tag. */
static void like_pattern(const char *tag, char *out)
{
    size_t n = 0;
    out[n++] = '%';
    for (; *tag != '\0'; tag++) {
        if (*tag == '%' || *tag == '_' || *tag == '\\')
            out[n++] = '\\';
        out[n++] = *tag;
    }
    out[n++] = '%';
    out[n] = '\0';
}

/* The two statement texts: without and with a model (the model one is
 * its own text so the planner can use devices_model).  ?1 after, ?2 and
 * ?3 the prefix range, ?4 a tag pattern or NULL, ?5 the row limit, ?6
 * the model. */
#define FIND_SELECT                                                            \
    "SELECT d.id, d.endpoint, d.model, d.tags, d.created_at, r.updated_at "    \
    "FROM devices d LEFT JOIN registrations r ON r.endpoint = d.endpoint "     \
    "WHERE d.endpoint > ?1 AND d.endpoint >= ?2 AND d.endpoint < ?3 "          \
    "AND (?4 IS NULL OR d.tags LIKE ?4 ESCAPE '\\') "
static const char *const find_sql[2] = {
    FIND_SELECT "ORDER BY d.endpoint LIMIT ?5",
    FIND_SELECT "AND d.model = ?6 ORDER BY d.endpoint LIMIT ?5",
};

static int row_of(sqlite3_stmt *st, bw_db_device_row_t *row)
{
    memset(row, 0, sizeof *row);
    bw_db_device_t *d = &row->device;
    d->id = sqlite3_column_int64(st, 0);
    d->created_ms = sqlite3_column_int64(st, 4);
    row->stored_seen_ms = sqlite3_column_type(st, 5) == SQLITE_NULL
                              ? -1
                              : sqlite3_column_int64(st, 5);
    int err = bw_db__column_text(st, 1, d->endpoint, sizeof d->endpoint);
    if (err == 0)
        err = bw_db__column_text(st, 2, d->model, sizeof d->model);
    if (err == 0)
        err = bw_db__column_text(st, 3, d->tags, sizeof d->tags);
    return err;
}

int bw_db_device_find(bw_db_t *db, const bw_db_device_filter_t *f,
                      const char *after, size_t max_rows,
                      int (*cb)(void *arg, const bw_db_device_row_t *row),
                      void *arg, bw_db_page_t *page)
{
    bw_db_page_t local;
    if (page == NULL)
        page = &local;
    memset(page, 0, sizeof *page);
    if (db == NULL || f == NULL || cb == NULL)
        return BW_EINVAL;
    int err = bw_db_device_filter_check(f, NULL);
    if (err != 0)
        return err;
    if (max_rows == 0 || max_rows > BW_DB_FIND_ROWS_MAX)
        return BW_ERANGE;
    if (after == NULL)
        after = "";
    if (*after != '\0' && (err = bw_db__endpoint_check(after)) != 0)
        return err;
    const char *prefix = f->prefix != NULL ? f->prefix : "";
    char end[BW_DB_ENDPOINT_MAX + sizeof RANGE_END];
    memcpy(end, prefix, strlen(prefix));
    memcpy(end + strlen(prefix), RANGE_END, sizeof RANGE_END);
    char like[2 * BW_DB_TAGS_MAX + 3];
    if (f->n_tags > 0)
        like_pattern(f->tags[0], like);
    bw_db_selector_t sel = {.tags = f->tags, .n_tags = f->n_tags};

    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w, find_sql[f->model != NULL], &st);
    if (err == 0) {
        sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, end, -1, SQLITE_STATIC);
        if (f->n_tags > 0)
            sqlite3_bind_text(st, 4, like, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 4);
        sqlite3_bind_int64(st, 5, (int64_t)max_rows);
        if (f->model != NULL)
            sqlite3_bind_text(st, 6, f->model, -1, SQLITE_STATIC);
        int rc = SQLITE_DONE, stop = 0;
        bw_db_device_row_t row;
        while (err == 0 && !stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            err = row_of(st, &row);
            if (err != 0)
                break;
            page->rows++;
            memcpy(page->last, row.device.endpoint, sizeof row.device.endpoint);
            /* The rule itself: model and endpoint are already decided. */
            if (f->n_tags > 0 &&
                !bw_db_selector_match(&sel, row.device.model, row.device.tags,
                                      NULL, row.device.endpoint))
                continue;
            int r = cb(arg, &row);
            if (r < 0)
                err = r;
            else if (r > 0)
                stop = 1;
        }
        if (err == 0 && !stop && rc != SQLITE_DONE)
            err = bw_db__err(rc);
        page->more = stop || page->rows == max_rows;
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    return err;
}

int bw_db_device_seen(bw_db_t *db, const char *endpoint, int64_t *seen_ms)
{
    if (seen_ms != NULL)
        *seen_ms = -1;
    if (db == NULL || seen_ms == NULL)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err != 0)
        return err;
    pthread_mutex_lock(&db->wlock);
    err = bw_db__read_by_text(
        db, "SELECT updated_at FROM registrations WHERE endpoint = ?", endpoint,
        seen_ms);
    pthread_mutex_unlock(&db->wlock);
    return err;
}
