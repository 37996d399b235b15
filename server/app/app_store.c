/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What bulwark-server keeps in its store besides the registrations'
 * group commit (app.c): LwM2M Send and notified values into the
 * telemetry table, the observations journal's rows, and the stored
 * registrations loaded back into the DM registry at start.  Glue only:
 * each function adapts one module's callback to server/db.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app_int.h"
#include "db_telemetry.h"

/* ---- LwM2M Send: values into the telemetry table ---------------------- */

#define TELEMETRY_ROWS_DEFAULT 10000u

int bw_app__send_owner(void *arg, const bw_dtls_peer_info_t *peer,
                       char ep[BW_LWSRV_EP_MAX + 1])
{
    app_t *a = arg;
    bw_db_cred_state_t st;
    return bw_db_identity_lookup(a->db, peer->identity, peer->identity_len,
                                 BW_DB_PURPOSE_DM, ep, BW_LWSRV_EP_MAX + 1,
                                 &st) == 0
               ? 0
               : BW_ENOTFOUND;
}

int bw_app__send_store(void *arg, const char *ep, const bw_lwsrv_sample_t *v,
                       size_t n, int64_t now_ms)
{
    app_t *a = arg;
    bw_db_tm_value_t rows[BW_LWSRV_SEND_MAX_RECORDS];
    if (n > BW_LWSRV_SEND_MAX_RECORDS)
        return BW_ERANGE;
    for (size_t i = 0; i < n; i++)
        rows[i] = (bw_db_tm_value_t){.path = v[i].path,
                                     .sampled_ms = v[i].t_ms,
                                     .kind = (bw_db_tm_kind_t)v[i].kind,
                                     .num = v[i].num,
                                     .bytes = v[i].bytes,
                                     .len = v[i].len,
                                     .source = (bw_db_tm_source_t)v[i].source};
    uint64_t max = a->cfg.telemetry_max_rows != 0 ? a->cfg.telemetry_max_rows
                                                  : TELEMETRY_ROWS_DEFAULT;
    int err = bw_db_telemetry_store(a->db, ep, rows, n, now_ms, max);
    if (err != 0)
        bw_app__say(a, "%s: Send not stored: %s", ep, bw_strerror(err));
    else /* Send and notifications alike: values now in GET .../data */
        bw_events_publish(a->events, "telemetry", ep,
                          json_pack("{s:I, s:s}", "values", (json_int_t)n,
                                    "path", n > 0 ? v[0].path : ""));
    return err;
}

void bw_app__send_report(void *arg, const char *ep, uint8_t code, size_t stored,
                         const char *why)
{
    app_t *a = arg;
    if (code == BW_COAP_CHANGED) {
        if (a->cfg.verbose)
            bw_app__say(a, "%s: Send, %zu values stored", ep, stored);
        return;
    }
    bw_app__say(a, "%s: Send refused %u.%02u (%s)", *ep ? ep : "-", code >> 5,
                code & 31u, why != NULL ? why : "?");
}

/* The DM port's requests outside the registration interface: Send, then
 * firmware downloads. */
size_t bw_app__dm_resource(void *arg, const bw_dtls_peer_info_t *peer,
                           const bw_coap_msg_t *req, uint8_t *out, size_t cap)
{
    app_t *a = arg;
    size_t n = bw_lwsrv_send_resource(&a->send, peer, req, out, cap);
    return n != 0 ? n : bw_fwrepo_resource(a->fw, peer, req, out, cap);
}

/* ---- observations kept in the database (lwm2m_observe.h) -------------- */

typedef struct {
    int (*cb)(void *cbarg, const bw_lwsrv_obs_view_t *v);
    void *cbarg;
} obs_load_t;

static int obs_row(void *arg, const bw_db_observation_t *o)
{
    obs_load_t *l = arg;
    bw_lwsrv_obs_view_t v = {.id = o->id,
                             .accept = o->accept,
                             .content_format = o->content_format,
                             .since_ms = o->created_ms};
    size_t path = strlen(o->path), actor = strlen(o->actor);
    if (o->token_len != sizeof v.token || path >= sizeof v.path ||
        actor >= sizeof v.actor)
        return 0; /* not one of ours: the registry would refuse it */
    memcpy(v.token, o->token, sizeof v.token);
    snprintf(v.ep, sizeof v.ep, "%s", o->endpoint);
    memcpy(v.path, o->path, path + 1);
    memcpy(v.actor, o->actor, actor + 1);
    return l->cb(l->cbarg, &v);
}

int bw_app__obs_load(void *arg, int (*cb)(void *, const bw_lwsrv_obs_view_t *),
                     void *cbarg, int64_t *last_id)
{
    app_t *a = arg;
    obs_load_t l = {cb, cbarg};
    uint64_t dropped = 0;
    int err = bw_db_observation_load(a->db, bw_app__wall_ms(), obs_row, &l,
                                     last_id, &dropped);
    if (dropped > 0)
        bw_app__say(a, "observations: %llu of ended registrations dropped",
                    (unsigned long long)dropped);
    return err;
}

int bw_app__obs_put(void *arg, const bw_lwsrv_obs_view_t *v, const char *loc)
{
    app_t *a = arg;
    bw_db_observation_t o = {.id = v->id,
                             .token_len = sizeof v->token,
                             .accept = v->accept,
                             .content_format = v->content_format,
                             .created_ms = v->since_ms};
    memcpy(o.token, v->token, sizeof v->token);
    snprintf(o.endpoint, sizeof o.endpoint, "%s", v->ep);
    snprintf(o.location, sizeof o.location, "%s", loc);
    snprintf(o.path, sizeof o.path, "%s", v->path);
    snprintf(o.actor, sizeof o.actor, "%s", v->actor);
    int err = bw_db_observation_put(a->db, &o);
    if (err != 0)
        bw_app__say(a, "%s: observation %lld of %s not stored: %s", v->ep,
                    (long long)v->id, v->path, bw_strerror(err));
    return err;
}

int bw_app__obs_del(void *arg, const char *ep, int64_t id)
{
    app_t *a = arg;
    int err = bw_db_observation_delete(a->db, ep, id);
    if (err != 0 && err != BW_ENOTFOUND) /* its registration took it */
        bw_app__say(a, "%s: observation %lld not deleted: %s", ep,
                    (long long)id, bw_strerror(err));
    return err;
}

/* ---- registrations kept across restarts ------------------------------ */

/* Rows per page of the start-up load: one statement each, a few MB of
 * SQLite cache at most, nothing kept between pages. */
#define REG_LOAD_PAGE 4096

typedef struct {
    bw_lwsrv_registry_t *reg;
    uint64_t mono; /* the two clocks at the start of the load */
    int64_t wall;
    uint64_t refused;
} reg_load_t;

/* A stored Unix time on the registry's monotonic clock (modulo 2^64, as
 * bw_lwsrv_loaded_t says). */
static uint64_t mono_of(const reg_load_t *l, int64_t unix_ms)
{
    return l->mono + ((uint64_t)unix_ms - (uint64_t)l->wall);
}

static int reg_row(void *arg, const bw_db_reg_row_t *row)
{
    reg_load_t *l = arg;
    bw_lwsrv_loaded_t e = {.ep = row->endpoint,
                           .location = row->location,
                           .binding = row->binding,
                           .links = row->object_links,
                           .links_len = row->object_links_len,
                           .lifetime = row->lifetime_s,
                           .version_minor = (uint8_t)(row->version[2] - '0'),
                           .registered_ms = mono_of(l, row->registered_ms),
                           .updated_ms = mono_of(l, row->updated_ms),
                           .expires_ms = mono_of(l, row->expires_ms)};
    int err = bw_lwsrv_registry_load(l->reg, &e);
    if (err == BW_ENOMEM)
        return err; /* the rest would not fit either */
    if (err != 0)
        l->refused++; /* the device registers again, as before */
    return 0;
}

/* Before the DTLS port opens: every unexpired stored registration back
 * into the DM registry (lwm2m_registry.h, "loaded at start"), so a
 * device's next Update is 2.04 and its observations go on.  A failure
 * is logged; the devices then register again. */
void bw_app__reg_load(app_t *a, role_t *r)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    reg_load_t l = {.reg = r->reg,
                    .mono = (uint64_t)t0.tv_sec * 1000u +
                            (uint64_t)t0.tv_nsec / 1000000u,
                    .wall = bw_app__wall_ms()};
    bw_db_reg_walk_t st;
    int err =
        bw_db_registration_walk(a->db, l.wall, REG_LOAD_PAGE, reg_row, &l, &st);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (long)(t1.tv_sec - t0.tv_sec) * 1000 +
              (t1.tv_nsec - t0.tv_nsec) / 1000000;
    bw_app__say(a,
                "registrations: %llu loaded in %ld ms (%llu refused, %llu "
                "unreadable)%s%s",
                (unsigned long long)(st.rows - l.refused), ms,
                (unsigned long long)l.refused, (unsigned long long)st.bad,
                err != 0 ? "; load stopped: " : "",
                err != 0 ? bw_strerror(err) : "");
}
