/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the campaign files of server/db (db_campaign.c,
 * db_campaign_run.c): how a selector and batches are kept as text, and
 * the two inserts every change ends in.  Callers hold the write lock
 * inside a transaction.
 */
#ifndef BW_DB_CAMPAIGN_INT_H
#define BW_DB_CAMPAIGN_INT_H

#include "db_campaign.h"

/* A decoded selector: sel points into text and items. */
typedef struct {
    bw_db_selector_t sel;
    char *text;
    char **items;
} bw_db__selector_buf_t;

/* BW_EMALFORMED, BW_EOVERFLOW, BW_EINVAL. */
int bw_db__selector_check(const bw_db_selector_t *sel);
/* model replaces sel->model.  *out is malloc'd.  BW_ENOMEM. */
int bw_db__selector_encode(const bw_db_selector_t *sel, const char *model,
                           char **out);
/* BW_EMALFORMED (no model line, a line without '='), BW_ENOMEM. */
int bw_db__selector_decode(const char *text, bw_db__selector_buf_t *b);
void bw_db__selector_free(bw_db__selector_buf_t *b);

/* BW_ERANGE. */
int bw_db__batches_check(const uint8_t *pcts, size_t n);
int bw_db__batches_encode(const uint8_t *pcts, size_t n, char *out, size_t cap);
/* BW_EMALFORMED. */
int bw_db__batches_decode(const char *s, uint8_t *pcts, size_t *n);

/* A campaign_events row; device_id 0 for the campaign itself. */
int bw_db__event_insert(bw_db_t *db, int64_t campaign_id, int64_t device_id,
                        int64_t at, const char *state, const char *detail);
/* A campaign_devices row and its first history row. */
int bw_db__cdev_insert(bw_db_t *db, int64_t campaign_id, int64_t device_id,
                       unsigned batch, bw_db_cdev_state_t state,
                       const char *detail, int64_t now);

#endif /* BW_DB_CAMPAIGN_INT_H */
