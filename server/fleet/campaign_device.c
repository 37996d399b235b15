/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The campaign engine's conversation with one device (campaign.h): the
 * LwM2M requests it sends and what each answer means.  Answers arrive on
 * a DTLS worker thread; each takes the engine's mutex, records what it
 * learnt in the store, and only then sends the next request.
 *
 * Requests carry a small heap context naming the campaign and device
 * they are about, never a pointer to a track: a track may be dropped
 * while its request is out, and the answer then finds it gone (the store
 * still guards the change by the state it leaves).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/coap.h"
#include "campaign_int.h"
#include "campaign_plan.h"

/* CoAP content format text/plain (RFC 7252 12.3). */
#define CF_TEXT 0

typedef enum {
    Q_URI,     /* Write /5/0/1 = Package URI */
    Q_CANCEL,  /* Write /5/0/1 = "" */
    Q_STATE,   /* Read /5/0/3 while downloading */
    Q_RESULT,  /* Read /5/0/5 after State 0 */
    Q_EXEC,    /* Execute /5/0/2 */
    Q_VERSION, /* Read /3/0/3 */
    Q_VRESULT, /* Read /5/0/5 after the device came back */
} qkind_t;

typedef struct {
    bw_campaign_t *e;
    qkind_t kind;
    int64_t campaign_id, device_id; /* 0: not about one campaign */
    char ep[BW_LWSRV_EP_MAX + 1];
    char reported[BW_DB_FW_VERSION_MAX + 1]; /* Q_VRESULT */
    unsigned gen; /* the track's gen when sent */
} req_t;

static void on_answer(void *arg, int err, uint8_t code, uint32_t cf,
                      const uint8_t *payload, size_t len);

static int send_req(bw_campaign_t *e, qkind_t kind, int64_t campaign_id,
                    int64_t device_id, const char *ep, const char *reported,
                    uint8_t method, const char *path, const char *text)
{
    req_t *q = calloc(1, sizeof *q);
    bw_lwsrv_op_t *op = calloc(1, sizeof *op);
    if (q == NULL || op == NULL) {
        free(q);
        free(op);
        return BW_ENOMEM;
    }
    q->e = e;
    q->kind = kind;
    q->campaign_id = campaign_id;
    if (campaign_id != 0) {
        const track_t *t = bw_campaign__track(e, campaign_id, device_id);
        q->gen = t != NULL ? t->gen : 0;
    }
    q->device_id = device_id;
    snprintf(q->ep, sizeof q->ep, "%s", ep);
    if (reported != NULL)
        snprintf(q->reported, sizeof q->reported, "%s", reported);
    op->method = method;
    snprintf(op->path, sizeof op->path, "%s", path);
    op->content_format = -1;
    op->accept = -1;
    if (method == BW_COAP_GET) {
        op->accept = CF_TEXT;
    } else if (text != NULL) {
        size_t n = strlen(text);
        if (n > sizeof op->payload) {
            free(q);
            free(op);
            return BW_EOVERFLOW;
        }
        memcpy(op->payload, text, n);
        op->payload_len = n;
        op->content_format = CF_TEXT;
    }
    int err = bw_lwsrv_request(e->cfg.dm, ep, op, on_answer, q);
    free(op);
    if (err != 0)
        free(q);
    return err;
}

int bw_campaign__send_uri(bw_campaign_t *e, track_t *t, const char *firmware_id)
{
    char uri[BW_CAMPAIGN_URI_MAX + 32];
    snprintf(uri, sizeof uri, "%s/fw/%s", e->dm_uri, firmware_id);
    int err = send_req(e, Q_URI, t->campaign_id, t->device_id, t->ep, NULL,
                       BW_COAP_PUT, "/5/0/1", uri);
    t->busy = err == 0;
    return err;
}

void bw_campaign__send_cancel(bw_campaign_t *e, const char *ep)
{
    int err = send_req(e, Q_CANCEL, 0, 0, ep, NULL, BW_COAP_PUT, "/5/0/1", "");
    if (err != 0)
        bw_campaign__log(e, "campaign: %s: cancel not sent: %s", ep,
                         bw_strerror(err));
}

static void later(bw_campaign_t *e, track_t *t)
{
    if (t != NULL) {
        t->busy = 0;
        t->next_ms = bw_campaign__mono_ms() + e->cfg.poll_ms;
    }
}

void bw_campaign__poll(bw_campaign_t *e, track_t *t)
{
    /* A push drives itself from its answers. */
    if (t->busy || t->phase == TRACK_UPDATE || t->phase == TRACK_PUSH)
        return;
    int err = t->phase == TRACK_DOWNLOAD
                  ? send_req(e, Q_STATE, t->campaign_id, t->device_id, t->ep,
                             NULL, BW_COAP_GET, "/5/0/3", NULL)
                  : send_req(e, Q_VERSION, t->campaign_id, t->device_id, t->ep,
                             NULL, BW_COAP_GET, "/3/0/3", NULL);
    if (err == 0)
        t->busy = 1;
    else
        later(e, t); /* not registered just now: try again */
}

void bw_campaign__registered(bw_campaign_t *e, const char *ep)
{
    /* A new registration is a new session: requests still out went to
     * the old one and are lost (a push recovers by itself).  Devices
     * downloading are polled at the next tick; devices updating are back:
     * verify them from now on, even if the read below is lost. */
    for (track_t *t = e->tracks; t != NULL; t = t->next) {
        if (strcmp(t->ep, ep) != 0 || t->phase == TRACK_PUSH)
            continue;
        t->gen++;
        t->busy = 0;
        if (t->phase == TRACK_UPDATE) {
            t->phase = TRACK_VERIFY;
            t->next_ms = bw_campaign__mono_ms() + e->cfg.poll_ms;
        } else if (t->phase == TRACK_DOWNLOAD) {
            t->next_ms = bw_campaign__mono_ms();
        }
    }
    int err =
        send_req(e, Q_VERSION, 0, 0, ep, NULL, BW_COAP_GET, "/3/0/3", NULL);
    if (err != 0)
        bw_campaign__log(e, "campaign: %s: /3/0/3 not read: %s", ep,
                         bw_strerror(err));
}

int bw_campaign__text_int(const uint8_t *p, size_t len)
{
    int v = 0;
    if (len == 0 || len > 3)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* A version string: printable ASCII only (it goes into the store and
 * into details); 0 or -1. */
static int text_version(const uint8_t *p, size_t len, char *out, size_t cap)
{
    if (len == 0 || len >= cap)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return -1;
    memcpy(out, p, len);
    out[len] = '\0';
    return 0;
}

void bw_campaign__fail(bw_campaign_t *e, int64_t campaign_id, int64_t device_id,
                       const char *ep, bw_db_cdev_state_t from, int result,
                       const char *detail)
{
    if (bw_campaign__set(e, campaign_id, device_id, from, BW_DB_CDEV_FAILED,
                         result, detail))
        bw_campaign__log(e, "campaign %lld: %s failed: %s",
                         (long long)campaign_id, ep, detail);
    bw_campaign__track_drop(e, campaign_id, device_id);
}

static void fail(bw_campaign_t *e, const req_t *q, bw_db_cdev_state_t from,
                 int result, const char *detail)
{
    bw_campaign__fail(e, q->campaign_id, q->device_id, q->ep, from, result,
                      detail);
}

/*
 * A push track rebuilt after a restart (it never saw its last block
 * answered) finds the device still downloading, or idle without a
 * failure: what the device holds is a transfer nobody will finish, so
 * the push starts again from block 0 (which drops it on the device).
 * 1 when the push was started (or failed the device), 0 otherwise.
 */
static int repush(bw_campaign_t *e, const req_t *q, track_t *t)
{
    if (t == NULL || !t->push || t->pushed || t->phase != TRACK_DOWNLOAD)
        return 0;
    bw_campaign__log(e, "campaign %lld: %s: push started again from block 0",
                     (long long)q->campaign_id, q->ep);
    int err = bw_campaign__push_start(e, t);
    if (err != 0) {
        char d[96];
        snprintf(d, sizeof d, "push not started: %s", bw_strerror(err));
        fail(e, q, BW_DB_CDEV_DOWNLOADING, -1, d);
    }
    return 1;
}

static void on_uri(bw_campaign_t *e, const req_t *q, track_t *t, int err,
                   uint8_t code)
{
    char d[96];
    if (err != 0) {
        snprintf(d, sizeof d, "write /5/0/1: %s", bw_strerror(err));
        fail(e, q, BW_DB_CDEV_DOWNLOADING, -1, d);
    } else if (BW_COAP_CODE_CLASS(code) != 2) {
        snprintf(d, sizeof d, "package URI refused: %u.%02u",
                 BW_COAP_CODE_CLASS(code), BW_COAP_CODE_DETAIL(code));
        fail(e, q, BW_DB_CDEV_DOWNLOADING, -1, d);
    } else {
        later(e, t);
    }
}

static void on_state(bw_campaign_t *e, const req_t *q, track_t *t, int state)
{
    if (state == 2) {
        bw_db_cdev_change_t ch[2] = {
            {q->device_id, BW_DB_CDEV_DOWNLOADING, BW_DB_CDEV_DOWNLOADED, -1,
             "downloaded", 0},
            {q->device_id, BW_DB_CDEV_DOWNLOADED, BW_DB_CDEV_UPDATING, -1,
             "execute /5/0/2", 0},
        };
        const char *eps[2] = {q->ep, q->ep};
        int err = bw_campaign__apply(e, q->campaign_id, NULL, ch, eps, 2,
                                     bw_campaign__wall_ms());
        if (err != 0 || !ch[1].applied) {
            if (err != 0)
                bw_campaign__log(e, "campaign %lld: %s: %s",
                                 (long long)q->campaign_id, q->ep,
                                 bw_strerror(err));
            later(e, t);
            return;
        }
        if (t != NULL) {
            t->phase = TRACK_UPDATE;
            t->busy = 0;
        }
        err = send_req(e, Q_EXEC, q->campaign_id, q->device_id, q->ep, NULL,
                       BW_COAP_POST, "/5/0/2", NULL);
        if (err != 0)
            bw_campaign__log(e, "campaign %lld: %s: execute not sent: %s",
                             (long long)q->campaign_id, q->ep,
                             bw_strerror(err));
    } else if (state == 0) {
        /* Idle: the download failed (or never began): the result says. */
        if (send_req(e, Q_RESULT, q->campaign_id, q->device_id, q->ep, NULL,
                     BW_COAP_GET, "/5/0/5", NULL) != 0)
            later(e, t);
    } else if (state != 1 || !repush(e, q, t)) {
        later(e, t); /* 1 Downloading (or 3): keep polling */
    }
}

static void on_result(bw_campaign_t *e, const req_t *q, track_t *t, int r)
{
    if (r >= 2 && r <= 9) {
        char d[128];
        snprintf(d, sizeof d, "%s (result %d)", bw_cplan_result_text(r), r);
        fail(e, q, BW_DB_CDEV_DOWNLOADING, r, d);
    } else if (r < 0 || !repush(e, q, t)) {
        later(e, t);
    }
}

typedef struct {
    bw_db_cdev_ref_t refs[16];
    size_t n;
} refs_t;

static int collect_ref(void *arg, const bw_db_cdev_ref_t *r)
{
    refs_t *rs = arg;
    if (rs->n < sizeof rs->refs / sizeof rs->refs[0])
        rs->refs[rs->n++] = *r;
    return 0;
}

static void on_version(bw_campaign_t *e, const req_t *q, const char *version)
{
    if (version != NULL) {
        uint64_t enrolled = 0;
        int err = bw_db_campaign_fw_reported(e->cfg.db, q->ep, version,
                                             bw_campaign__wall_ms(), &enrolled);
        if (err != 0)
            bw_campaign__log(e, "campaign: %s: version %s not stored: %s",
                             q->ep, version, bw_strerror(err));
        else if (enrolled > 0)
            bw_campaign__log(e,
                             "campaign: %s (version %s) enrolled in %llu "
                             "auto-upgrade campaign(s)",
                             q->ep, version, (unsigned long long)enrolled);
    }
    /* No campaign has a device in flight (the tick said so, and nothing
     * moved one since): none of this device to look up. */
    if (!e->may_fly)
        return;
    refs_t rs = {.n = 0};
    if (bw_db_campaign_in_flight(e->cfg.db, q->ep, collect_ref, &rs) != 0)
        return;
    for (size_t i = 0; i < rs.n; i++) {
        const bw_db_cdev_ref_t *r = &rs.refs[i];
        if (r->state != BW_DB_CDEV_UPDATING)
            continue;
        track_t *t = bw_campaign__track_add(e, r->campaign_id, r->device_id,
                                            q->ep, r->version, TRACK_VERIFY);
        if (t == NULL)
            continue;
        t->phase = TRACK_VERIFY;
        if (version != NULL && !t->busy &&
            send_req(e, Q_VRESULT, r->campaign_id, r->device_id, q->ep, version,
                     BW_COAP_GET, "/5/0/5", NULL) == 0)
            t->busy = 1;
        else if (!t->busy)
            later(e, t);
    }
}

static void on_vresult(bw_campaign_t *e, const req_t *q, track_t *t, int r)
{
    if (t == NULL || r < 0) {
        later(e, t);
        return;
    }
    char d[BW_DB_CAMPAIGN_DETAIL_MAX + 1];
    if (strcmp(q->reported, t->target) == 0 && r == 1) {
        snprintf(d, sizeof d, "updated to %s", q->reported);
        if (bw_campaign__set(e, q->campaign_id, q->device_id,
                             BW_DB_CDEV_UPDATING, BW_DB_CDEV_SUCCEEDED, r, d))
            bw_campaign__log(e, "campaign %lld: %s %s",
                             (long long)q->campaign_id, q->ep, d);
        bw_campaign__track_drop(e, q->campaign_id, q->device_id);
    } else if (r == 0 && strcmp(q->reported, t->target) != 0 &&
               t->exec_retries < BW_CAMPAIGN_EXEC_RETRIES) {
        /* Back on the old image, nothing failed: the Execute never took
         * effect.  Poll the State again; Downloaded executes again. */
        t->exec_retries++;
        snprintf(d, sizeof d,
                 "execute not carried out (running %s): retry %u of %u",
                 q->reported, t->exec_retries, BW_CAMPAIGN_EXEC_RETRIES);
        if (bw_campaign__set(e, q->campaign_id, q->device_id,
                             BW_DB_CDEV_UPDATING, BW_DB_CDEV_DOWNLOADING, -1,
                             d)) {
            bw_campaign__log(e, "campaign %lld: %s: %s",
                             (long long)q->campaign_id, q->ep, d);
            t->phase = TRACK_DOWNLOAD;
        }
        later(e, t);
    } else if (r == 8 || strcmp(q->reported, t->target) != 0) {
        snprintf(d, sizeof d, "update failed: reverted to %s", q->reported);
        fail(e, q, BW_DB_CDEV_UPDATING, r, d);
    } else if (r >= 2 && r <= 9) {
        snprintf(d, sizeof d, "%s (result %d)", bw_cplan_result_text(r), r);
        fail(e, q, BW_DB_CDEV_UPDATING, r, d);
    } else {
        later(e, t); /* the new image has not confirmed yet */
    }
}

static void on_answer(void *arg, int err, uint8_t code, uint32_t cf,
                      const uint8_t *payload, size_t len)
{
    req_t *q = arg;
    bw_campaign_t *e = q->e;
    (void)cf;
    pthread_mutex_lock(&e->m);
    if (e->stopping || err == BW_ESTATE) {
        pthread_mutex_unlock(&e->m);
        free(q);
        return;
    }
    track_t *t = q->campaign_id != 0
                     ? bw_campaign__track(e, q->campaign_id, q->device_id)
                     : NULL;
    if (t != NULL && t->gen != q->gen) {
        /* Sent on a session the device has since replaced. */
        pthread_mutex_unlock(&e->m);
        free(q);
        return;
    }
    if (t != NULL)
        t->busy = 0;
    int ok = err == 0 && BW_COAP_CODE_CLASS(code) == 2;
    char version[BW_DB_FW_VERSION_MAX + 1];
    switch (q->kind) {
    case Q_URI:
        on_uri(e, q, t, err, code);
        break;
    case Q_CANCEL:
        break;
    case Q_STATE:
        if (ok)
            on_state(e, q, t, bw_campaign__text_int(payload, len));
        else
            later(e, t);
        break;
    case Q_RESULT:
        on_result(e, q, t, ok ? bw_campaign__text_int(payload, len) : -1);
        break;
    case Q_EXEC:
        /* No answer is normal: the device may reboot first.  A refusal
         * is final. */
        if (err == 0 && BW_COAP_CODE_CLASS(code) != 2) {
            char d[64];
            snprintf(d, sizeof d, "execute /5/0/2 refused: %u.%02u",
                     BW_COAP_CODE_CLASS(code), BW_COAP_CODE_DETAIL(code));
            fail(e, q, BW_DB_CDEV_UPDATING, -1, d);
        }
        break;
    case Q_VERSION:
        if (!ok || text_version(payload, len, version, sizeof version) != 0) {
            on_version(e, q, NULL);
            later(e, t);
        } else {
            on_version(e, q, version);
        }
        break;
    case Q_VRESULT:
        on_vresult(e, q, t, ok ? bw_campaign__text_int(payload, len) : -1);
        break;
    }
    pthread_mutex_unlock(&e->m);
    free(q);
}
