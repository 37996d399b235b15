/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Firmware push (campaign.h, delivery "push"): the image written into
 * the device's Package resource /5/0/0 by a block-wise Write (RFC 7959
 * section 2.5, Block1, Content-Format 42), instead of a Package URI the
 * device fetches from.  The device's side is docs/objects.md, "Push,
 * block-wise".
 *
 * One block in flight per device, the next one sent from the answer of
 * the last (under the engine's mutex, like every answer):
 *
 *   block k (M=1) --2.31 Continue, Block1 echo--> block k+1
 *       the echo may carry a smaller SZX: every later block has that
 *       size (the offset reached is the same in either size)
 *   last block (M=0) --2.04--> the track polls /5/0/3 as for a pull:
 *       the device checked the image on the last block (State 2, or
 *       State 0 with the Update Result of the refusal)
 *   4.08 Request Entity Incomplete (the device lost the transfer) -->
 *       read /5/0/5: a failure result (2..9, other than 4) fails the
 *       device with it; otherwise start again from block 0, once; a
 *       second 4.08 fails the device
 *   anything else (4.05 push not allowed, 5.03 another transfer open,
 *   4.13, a timeout, a closed session) --> failed, with the code
 *
 * The device stays "downloading" in the store during the whole push:
 * blocks are not recorded (a restarted server pushes again from block 0,
 * see repush() in campaign_device.c), and the planner's download time
 * limit covers the push.
 *
 * Images are read from the store once per campaign push (not per block)
 * and kept in e->images while a track pushes them; the tick frees those
 * no track pushes any more.  Answers carry the campaign, the device and
 * the block they are about, never a track pointer: an answer whose track
 * is gone, no longer pushing, or pushing another block (or another
 * transfer, push_gen) is stale and changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/coap.h"
#include "campaign_int.h"
#include "campaign_plan.h"
#include "db_fw.h"

/* Bits from a block number to its byte offset: SZX + 4. */
#define SZX_SHIFT 4u
/* Restarts from block 0 after a 4.08: once (the task of a restart is to
 * recover a transfer the device dropped, not to insist). */
#define PUSH_RESTARTS_MAX 1u

typedef enum {
    P_BLOCK,  /* one block of /5/0/0 */
    P_RESULT, /* Read /5/0/5 after a 4.08 */
    P_CANCEL, /* empty Package: answer ignored */
} pkind_t;

typedef struct {
    bw_campaign_t *e;
    pkind_t kind;
    int64_t campaign_id, device_id;
    char ep[BW_LWSRV_EP_MAX + 1];
    unsigned gen;
    uint32_t off, len;
    uint8_t szx, more;
} pushq_t;

static void on_push_answer(void *arg, const bw_lwsrv_answer_t *a);

/* ---- images ------------------------------------------------------------ */

static push_image_t *image_find(bw_campaign_t *e, const char *id)
{
    for (push_image_t *im = e->images; im != NULL; im = im->next)
        if (strcmp(im->id, id) == 0)
            return im;
    return NULL;
}

static int image_get(bw_campaign_t *e, const char *id, push_image_t **out)
{
    *out = image_find(e, id);
    if (*out != NULL)
        return 0;
    push_image_t *im = calloc(1, sizeof *im);
    if (im == NULL)
        return BW_ENOMEM;
    int err = bw_db_fw_image(e->cfg.db, id, &im->data, &im->len);
    if (err == 0 && im->len == 0)
        err = BW_EMALFORMED; /* the store never keeps an empty image */
    if (err != 0) {
        free(im->data);
        free(im);
        return err;
    }
    snprintf(im->id, sizeof im->id, "%s", id);
    im->next = e->images;
    e->images = im;
    *out = im;
    return 0;
}

void bw_campaign__push_images_sweep(bw_campaign_t *e, int all)
{
    for (push_image_t **p = &e->images; *p != NULL;) {
        int used = 0;
        for (track_t *t = e->tracks; !all && !used && t != NULL; t = t->next)
            used = t->push && t->phase == TRACK_PUSH &&
                   strcmp(t->firmware_id, (*p)->id) == 0;
        if (used) {
            p = &(*p)->next;
            continue;
        }
        push_image_t *im = *p;
        *p = im->next;
        free(im->data);
        free(im);
    }
}

/* ---- requests ---------------------------------------------------------- */

static pushq_t *pushq_new(bw_campaign_t *e, pkind_t kind, const track_t *t,
                          const char *ep)
{
    pushq_t *q = calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    q->e = e;
    q->kind = kind;
    if (t != NULL) {
        q->campaign_id = t->campaign_id;
        q->device_id = t->device_id;
        q->gen = t->push_gen;
    }
    snprintf(q->ep, sizeof q->ep, "%s", ep);
    return q;
}

static int send_op(bw_campaign_t *e, pushq_t *q, const bw_lwsrv_op_t *op)
{
    int err = bw_lwsrv_request_ex(e->cfg.dm, q->ep, op, on_push_answer, q);
    if (err != 0)
        free(q);
    return err;
}

/*
 * Send the block at t->push_off in t->push_szx.  0, or BW_ENOTFOUND (the
 * image is no longer in memory: cannot happen while the track pushes),
 * BW_EOVERFLOW (the offset needs a block number above 2^20 - 1 in this
 * size), BW_ENOMEM, or the request's error.
 */
static int send_block(bw_campaign_t *e, track_t *t)
{
    push_image_t *im = image_find(e, t->firmware_id);
    if (im == NULL)
        return BW_ENOTFOUND;
    uint32_t size = BW_COAP_BLOCK_SIZE(t->push_szx);
    uint32_t num = t->push_off >> (t->push_szx + SZX_SHIFT);
    if (num > BW_COAP_BLOCK_MAX_NUM || t->push_off >= im->len)
        return BW_EOVERFLOW;
    size_t left = im->len - t->push_off;
    uint32_t len = left > size ? size : (uint32_t)left;
    bw_lwsrv_op_t *op = calloc(1, sizeof *op);
    pushq_t *q = pushq_new(e, P_BLOCK, t, t->ep);
    if (op == NULL || q == NULL) {
        free(op);
        free(q);
        return BW_ENOMEM;
    }
    op->method = BW_COAP_PUT;
    snprintf(op->path, sizeof op->path, "/5/0/0");
    op->content_format = BW_COAP_FMT_OPAQUE;
    op->accept = -1;
    memcpy(op->payload, im->data + t->push_off, len);
    op->payload_len = len;
    op->has_block1 = 1;
    op->block1_num = num;
    op->block1_szx = t->push_szx;
    op->block1_more = t->push_off + len < im->len;
    q->off = t->push_off;
    q->len = len;
    q->szx = t->push_szx;
    q->more = op->block1_more;
    int err = send_op(e, q, op);
    free(op);
    t->busy = err == 0;
    return err;
}

int bw_campaign__push_start(bw_campaign_t *e, track_t *t)
{
    if (!t->push)
        return BW_EINVAL;
    push_image_t *im;
    int err = image_get(e, t->firmware_id, &im);
    if (err != 0)
        return err;
    if (t->push_gen == 0 && t->push_restarts == 0)
        bw_campaign__log(e,
                         "campaign %lld: %s: firmware push started (%zu "
                         "bytes)",
                         (long long)t->campaign_id, t->ep, im->len);
    t->phase = TRACK_PUSH;
    t->pushed = 0;
    t->push_gen++;
    t->push_off = 0;
    if (t->push_szx == 0 || t->push_szx > BW_COAP_BLOCK_MAX_SZX)
        t->push_szx = BW_COAP_BLOCK_MAX_SZX; /* 1024: the device's largest */
    t->push_blocks = 0;
    t->push_start_ms = bw_campaign__mono_ms();
    return send_block(e, t);
}

void bw_campaign__push_cancel(bw_campaign_t *e, const char *ep)
{
    bw_lwsrv_op_t *op = calloc(1, sizeof *op);
    pushq_t *q = pushq_new(e, P_CANCEL, NULL, ep);
    int err = BW_ENOMEM;
    if (op != NULL && q != NULL) {
        op->method = BW_COAP_PUT;
        snprintf(op->path, sizeof op->path, "/5/0/0");
        op->content_format = BW_COAP_FMT_OPAQUE;
        op->accept = -1;
        err = send_op(e, q, op); /* frees q on failure */
        q = NULL;
    }
    free(q);
    free(op);
    if (err != 0)
        bw_campaign__log(e, "campaign: %s: push cancel not sent: %s", ep,
                         bw_strerror(err));
}

/* ---- answers ----------------------------------------------------------- */

static void push_fail(bw_campaign_t *e, const pushq_t *q, int result,
                      const char *detail)
{
    bw_campaign__fail(e, q->campaign_id, q->device_id, q->ep,
                      BW_DB_CDEV_DOWNLOADING, result, detail);
}

/* The request that carries the transfer on could not be sent. */
static void send_failed(bw_campaign_t *e, const pushq_t *q, uint32_t off,
                        int err)
{
    char d[128];
    snprintf(d, sizeof d, "push: block at offset %u not sent: %s", off,
             bw_strerror(err));
    push_fail(e, q, -1, d);
}

/* The last block was taken: from now on the device is polled like a
 * pull (its State says whether the image passed its checks). */
static void push_done(bw_campaign_t *e, const pushq_t *q, track_t *t)
{
    uint64_t ms = bw_campaign__mono_ms() - t->push_start_ms;
    bw_campaign__log(e,
                     "campaign %lld: %s: firmware push done: %u block(s), "
                     "%u bytes in %llu ms",
                     (long long)q->campaign_id, q->ep, t->push_blocks,
                     q->off + q->len, (unsigned long long)ms);
    t->phase = TRACK_DOWNLOAD;
    t->pushed = 1;
    t->busy = 0;
    t->next_ms = bw_campaign__mono_ms(); /* poll at the next tick */
}

/* 2.31: the block was taken; the echo names it, possibly in a smaller
 * size (RFC 7959 section 2.5): the next block follows in that size. */
static void on_continue(bw_campaign_t *e, const pushq_t *q, track_t *t,
                        const bw_lwsrv_answer_t *a)
{
    char d[128];
    const bw_coap_block_t *b = &a->block1;
    if (!q->more) {
        push_fail(e, q, -1, "push: 2.31 Continue to the last block");
        return;
    }
    if (a->block1_err != 0) {
        snprintf(d, sizeof d, "push: 2.31 Continue without a usable Block1: %s",
                 bw_strerror(a->block1_err));
        push_fail(e, q, -1, d);
        return;
    }
    if (b->szx > q->szx ||
        (uint64_t)b->num << (b->szx + SZX_SHIFT) != (uint64_t)q->off) {
        snprintf(d, sizeof d,
                 "push: 2.31 for block %u of %u bytes, not offset %u", b->num,
                 (unsigned)BW_COAP_BLOCK_SIZE(b->szx), q->off);
        push_fail(e, q, -1, d);
        return;
    }
    t->push_szx = b->szx;
    t->push_off = q->off + q->len;
    t->push_blocks++;
    int err = send_block(e, t);
    if (err != 0)
        send_failed(e, q, t->push_off, err);
}

/* 4.08: the device has no transfer at this offset.  Ask it why. */
static void on_incomplete(bw_campaign_t *e, const pushq_t *q, track_t *t)
{
    bw_lwsrv_op_t *op = calloc(1, sizeof *op);
    pushq_t *r = pushq_new(e, P_RESULT, t, q->ep);
    int err = BW_ENOMEM;
    if (op != NULL && r != NULL) {
        op->method = BW_COAP_GET;
        snprintf(op->path, sizeof op->path, "/5/0/5");
        op->content_format = -1;
        op->accept = BW_COAP_FMT_TEXT;
        r->off = q->off;
        err = send_op(e, r, op); /* frees r on failure */
        r = NULL;
    }
    free(r);
    free(op);
    t->busy = err == 0;
    if (err != 0)
        send_failed(e, q, q->off, err);
}

/* The Update Result after a 4.08: the device's refusal, or a transfer
 * lost (0: none yet, 4: dropped), which one restart may recover. */
static void on_push_result(bw_campaign_t *e, const pushq_t *q, track_t *t,
                           const bw_lwsrv_answer_t *a)
{
    char d[160];
    int r = a->err == 0 && BW_COAP_CODE_CLASS(a->code) == 2
                ? bw_campaign__text_int(a->payload, a->len)
                : -1;
    if (r >= 2 && r <= 9 && r != 4) {
        snprintf(d, sizeof d, "%s (result %d)", bw_cplan_result_text(r), r);
        push_fail(e, q, r, d);
        return;
    }
    if (t->push_restarts >= PUSH_RESTARTS_MAX) {
        snprintf(d, sizeof d,
                 "push: 4.08 Request Entity Incomplete at offset %u, "
                 "after %u restart(s)",
                 q->off, t->push_restarts);
        push_fail(e, q, r >= 0 ? r : -1, d);
        return;
    }
    t->push_restarts++;
    bw_campaign__log(e,
                     "campaign %lld: %s: push lost at offset %u (4.08, "
                     "result %d): again from block 0",
                     (long long)q->campaign_id, q->ep, q->off, r);
    int err = bw_campaign__push_start(e, t);
    if (err != 0)
        send_failed(e, q, 0, err);
}

static void on_block(bw_campaign_t *e, const pushq_t *q, track_t *t,
                     const bw_lwsrv_answer_t *a)
{
    char d[160];
    if (a->err != 0) {
        snprintf(d, sizeof d, "push: block at offset %u: %s", q->off,
                 bw_strerror(a->err));
        push_fail(e, q, -1, d);
    } else if (a->code == BW_COAP_CONTINUE) {
        on_continue(e, q, t, a);
    } else if (a->code == BW_COAP_CHANGED) {
        t->push_blocks++;
        if (q->more)
            bw_campaign__log(e,
                             "campaign %lld: %s: push ended by the device "
                             "at offset %u (2.04)",
                             (long long)q->campaign_id, q->ep, q->off);
        push_done(e, q, t);
    } else if (a->code == BW_COAP_REQUEST_INCOMPLETE) {
        on_incomplete(e, q, t);
    } else {
        int n =
            snprintf(d, sizeof d, "push refused at offset %u: %u.%02u", q->off,
                     BW_COAP_CODE_CLASS(a->code), BW_COAP_CODE_DETAIL(a->code));
        if (a->code == BW_COAP_SERVICE_UNAVAILABLE && a->has_max_age && n > 0)
            snprintf(d + n, sizeof d - (size_t)n,
                     " (another transfer is open; free in %u s)", a->max_age);
        push_fail(e, q, -1, d);
    }
}

static void on_push_answer(void *arg, const bw_lwsrv_answer_t *a)
{
    pushq_t *q = arg;
    bw_campaign_t *e = q->e;
    pthread_mutex_lock(&e->m);
    track_t *t = q->kind == P_CANCEL || e->stopping || a->err == BW_ESTATE
                     ? NULL
                     : bw_campaign__track(e, q->campaign_id, q->device_id);
    /* Only the answer the track waits for moves it. */
    if (t != NULL && t->phase == TRACK_PUSH && t->push_gen == q->gen &&
        t->push_off == q->off) {
        t->busy = 0;
        if (q->kind == P_BLOCK)
            on_block(e, q, t, a);
        else
            on_push_result(e, q, t, a);
    }
    pthread_mutex_unlock(&e->m);
    free(q);
}
