/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The campaign planner (campaign_plan.h): pure decisions, no I/O.
 *
 * The step works on a private copy of the device states so that later
 * phases see earlier decisions; the copy is a small array of states,
 * allocated once per step (the server may allocate; a fleet of 100 000
 * targets costs 400 KB for the duration of one call).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign_plan.h"

int bw_cplan_finished(bw_db_cdev_state_t s)
{
    return s == BW_DB_CDEV_SUCCEEDED || s == BW_DB_CDEV_FAILED ||
           s == BW_DB_CDEV_SKIPPED || s == BW_DB_CDEV_ABORTED;
}

int bw_cplan_in_flight(bw_db_cdev_state_t s)
{
    return s == BW_DB_CDEV_DOWNLOADING || s == BW_DB_CDEV_DOWNLOADED ||
           s == BW_DB_CDEV_UPDATING;
}

int bw_cplan_in_window(int start, int end, int m)
{
    if (start < 0)
        return 1;
    if (start < end)
        return m >= start && m < end;
    return m >= start || m < end; /* wraps midnight */
}

const char *bw_cplan_result_text(int result)
{
    /* LwM2M 1.1 Core, Object 5, resource 5 (Update Result). */
    static const char *const text[] = {
        "initial value",
        "firmware updated successfully",
        "not enough flash memory for the new firmware package",
        "out of RAM during downloading process",
        "connection lost during downloading process",
        "integrity check failure for new downloaded package",
        "unsupported package type",
        "invalid URI",
        "firmware update failed",
        "unsupported protocol",
    };
    return result >= 0 && result <= 9 ? text[result] : "unknown result";
}

static void act(bw_cplan_out_t *out, bw_cplan_kind_t kind, size_t i)
{
    out->actions[out->n].kind = kind;
    out->actions[out->n].index = i;
    out->n++;
}

static int check(const bw_cplan_campaign_t *c, const bw_cplan_device_t *d,
                 size_t n, const bw_cplan_out_t *out)
{
    if (c == NULL || out == NULL || (d == NULL && n > 0) ||
        (out->actions == NULL && out->cap > 0))
        return BW_EINVAL;
    if (c->n_batches == 0 || c->n_batches > BW_DB_CAMPAIGN_BATCHES_MAX ||
        c->current_batch < 1 || c->current_batch > c->n_batches ||
        (unsigned)c->state >= BW_DB_CAMP_COUNT_)
        return BW_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (d[i].batch < 1 || d[i].batch > c->n_batches ||
            (unsigned)d[i].state >= BW_DB_CDEV_COUNT_)
            return BW_EINVAL;
    return out->cap < n ? BW_ENOSPC : 0;
}

/* Phase 3: batch bookkeeping on the working states st[]. */
static void batches(const bw_cplan_campaign_t *c, const bw_cplan_device_t *d,
                    const bw_db_cdev_state_t *st, size_t n, bw_cplan_out_t *out)
{
    while (out->state == BW_DB_CAMP_RUNNING) {
        unsigned k = out->current_batch;
        uint64_t failed = 0, counted = 0;
        int done = 1;
        for (size_t i = 0; i < n && done; i++) {
            if (d[i].batch != k)
                continue;
            if (!bw_cplan_finished(st[i]))
                done = 0;
            if (st[i] != BW_DB_CDEV_SKIPPED)
                counted++;
            if (st[i] == BW_DB_CDEV_FAILED)
                failed++;
        }
        if (!done)
            return;
        out->changed = 1;
        /* failed / counted > threshold_bp / 10000, in integers. */
        if (counted > 0 &&
            failed * 10000u > (uint64_t)c->threshold_bp * counted) {
            out->state = BW_DB_CAMP_HALTED;
            snprintf(out->reason, sizeof out->reason,
                     "batch %u: %llu of %llu device(s) failed (%.2f %% > "
                     "%.2f %%)",
                     k, (unsigned long long)failed, (unsigned long long)counted,
                     100.0 * (double)failed / (double)counted,
                     (double)c->threshold_bp / 100.0);
        } else if (k == c->n_batches) {
            out->state = BW_DB_CAMP_COMPLETED;
        } else {
            out->current_batch = k + 1;
        }
    }
}

int bw_cplan_step(const bw_cplan_campaign_t *c, const bw_cplan_device_t *d,
                  size_t n, int64_t now_ms, bw_cplan_out_t *out)
{
    int err = check(c, d, n, out);
    if (out != NULL) {
        out->n = 0;
        out->changed = 0;
        out->reason[0] = '\0';
        if (c != NULL) {
            out->state = c->state;
            out->current_batch = c->current_batch;
        }
    }
    if (err != 0)
        return err;
    bw_db_cdev_state_t *st = malloc((n > 0 ? n : 1) * sizeof *st);
    if (st == NULL)
        return BW_ENOMEM;
    for (size_t i = 0; i < n; i++)
        st[i] = d[i].state;

    /* 1. timeouts. */
    for (size_t i = 0; i < n; i++) {
        int64_t since =
            st[i] == BW_DB_CDEV_UPDATING ? d[i].updated_ms : d[i].started_ms;
        int64_t limit = st[i] == BW_DB_CDEV_UPDATING
                            ? BW_CPLAN_UPDATE_TIMEOUT_MS
                            : BW_CPLAN_DOWNLOAD_TIMEOUT_MS;
        if (bw_cplan_in_flight(st[i]) && now_ms - since >= limit) {
            act(out, BW_CPLAN_TIMEOUT, i);
            st[i] = BW_DB_CDEV_FAILED;
        }
    }

    /* 2. abort. */
    if (c->state == BW_DB_CAMP_ABORTED) {
        for (size_t i = 0; i < n; i++) {
            if (st[i] == BW_DB_CDEV_PENDING) {
                act(out, BW_CPLAN_ABORT, i);
                st[i] = BW_DB_CDEV_ABORTED;
            } else if (st[i] == BW_DB_CDEV_DOWNLOADING ||
                       st[i] == BW_DB_CDEV_DOWNLOADED) {
                act(out, BW_CPLAN_CANCEL, i);
                st[i] = BW_DB_CDEV_ABORTED;
            }
        }
    }

    /* 3. batches. */
    batches(c, d, st, n, out);

    /* 4. starts. */
    int64_t minute = (now_ms / 60000) % 1440;
    if (minute < 0)
        minute += 1440;
    int may_start = out->state == BW_DB_CAMP_RUNNING ||
                    (out->state == BW_DB_CAMP_COMPLETED && c->auto_upgrade);
    if (may_start &&
        bw_cplan_in_window(c->window_start, c->window_end, (int)minute)) {
        uint64_t flying = 0;
        for (size_t i = 0; i < n; i++)
            flying += bw_cplan_in_flight(st[i]) ? 1 : 0;
        unsigned upto = out->state == BW_DB_CAMP_RUNNING ? out->current_batch
                                                         : c->n_batches;
        for (size_t i = 0; i < n && flying < c->max_concurrent; i++) {
            if (st[i] != BW_DB_CDEV_PENDING || d[i].batch > upto ||
                !d[i].registered)
                continue;
            act(out, BW_CPLAN_START, i);
            st[i] = BW_DB_CDEV_DOWNLOADING;
            flying++;
        }
    }
    free(st);
    return 0;
}
