/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access control with two DM servers (OMA LwM2M 1.1 Core 7.3.1, object 2):
 * a client bootstrapped by a scripted bootstrap server with two accounts,
 * SSID 1 and SSID 2, and these Access Control instances:
 *
 *   /2/0  /3/0        owner 1   ACL {2: R}
 *   /2/1  /5/0        owner 1   ACL {}
 *   /2/2  /1024/0     owner 1   ACL {2: R}
 *   /2/3  /1024/1     owner 1   ACL {}
 *   /2/4  /1024/65535 owner 65535 ACL {1: C}     (the Create grant)
 *   /1024/3           no Access Control instance
 *
 * Then requests from each SSID go to the client's own request handler
 * (bw_lwm2m_dm_handle on the client's dm, with the client's access table;
 * SSID 1's also through the whole client, as its current server) and
 * every answer code is checked exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "bulwark/lwm2m_dm.h"
#include "lwm2m_peer.h"
#include "testutil.h"

#define FACTORY "coaps://bs.example.net:5784"

/* ---- a small application object in RAM -------------------------------- */

#define TOY_MAX 4

typedef struct {
    bw_lwm2m_object_t obj;
    uint8_t used[TOY_MAX];
    uint16_t ids[TOY_MAX];
    int64_t val[TOY_MAX];
    unsigned executed;
} toy_t;

/* 0: value (RW), 1: id * 10 (R), 2: Execute. */
static const bw_lwm2m_res_def_t toy_res[] = {
    {0, BW_LWM2M_TYPE_INTEGER, BW_LWM2M_OP_RW, 0, 0},
    {1, BW_LWM2M_TYPE_INTEGER, BW_LWM2M_OP_R, 0, 0},
    {2, BW_LWM2M_TYPE_NONE, BW_LWM2M_OP_E, 0, 0},
};

static int toy_slot(toy_t *t, uint16_t id)
{
    for (int i = 0; i < TOY_MAX; i++)
        if (t->used[i] && t->ids[i] == id)
            return i;
    return -1;
}

static int toy_list(bw_lwm2m_object_t *o, uint16_t *ids, size_t cap, size_t *n)
{
    toy_t *t = o->ctx;
    *n = 0;
    for (uint32_t id = 0; id <= BW_LWM2M_ID_MAX; id++)
        if (toy_slot(t, (uint16_t)id) >= 0) {
            if (*n == cap)
                return BW_ENOSPC;
            ids[(*n)++] = (uint16_t)id;
        }
    return 0;
}

static int toy_read(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *p,
                    bw_lwm2m_value_t *v, uint8_t *scratch, size_t cap)
{
    toy_t *t = o->ctx;
    int i = toy_slot(t, p->id[1]);
    (void)scratch;
    (void)cap;
    if (i < 0 || p->depth != BW_LWM2M_DEPTH_RESOURCE)
        return BW_ENOTFOUND;
    if (p->id[2] == 0)
        *v = bw_lwm2m_value_int(t->val[i]);
    else if (p->id[2] == 1)
        *v = bw_lwm2m_value_int(t->ids[i] * 10);
    else
        return BW_ENOTFOUND;
    return 0;
}

static int toy_write(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *p,
                     const bw_lwm2m_value_t *v)
{
    toy_t *t = o->ctx;
    int i = toy_slot(t, p->id[1]);
    if (i < 0 || p->id[2] != 0)
        return BW_ENOTFOUND;
    return bw_lwm2m_value_get_int_range(v, INT32_MIN, INT32_MAX, &t->val[i]);
}

static int toy_execute(bw_lwm2m_object_t *o, uint16_t inst, uint16_t res,
                       const uint8_t *arg, size_t len)
{
    toy_t *t = o->ctx;
    (void)arg;
    (void)len;
    if (toy_slot(t, inst) < 0 || res != 2)
        return BW_ENOTFOUND;
    t->executed++;
    return 0;
}

static int toy_create(bw_lwm2m_object_t *o, uint16_t inst)
{
    toy_t *t = o->ctx;
    for (int i = 0; i < TOY_MAX; i++)
        if (!t->used[i]) {
            t->used[i] = 1;
            t->ids[i] = inst;
            t->val[i] = 0;
            return 0;
        }
    return BW_ENOMEM;
}

static int toy_remove(bw_lwm2m_object_t *o, uint16_t inst)
{
    toy_t *t = o->ctx;
    int i = toy_slot(t, inst);
    if (i < 0)
        return BW_ENOTFOUND;
    t->used[i] = 0;
    return 0;
}

static const bw_lwm2m_object_ops_t toy_ops = {
    .list = toy_list,
    .read = toy_read,
    .write = toy_write,
    .execute = toy_execute,
    .create = toy_create,
    .remove = toy_remove,
};

static void toy_init(toy_t *t, uint16_t id, int multiple)
{
    memset(t, 0, sizeof *t);
    t->obj.id = id;
    t->obj.multiple_instances = (uint8_t)multiple;
    t->obj.res = toy_res;
    t->obj.nres = 3;
    t->obj.ops = &toy_ops;
    t->obj.ctx = t;
    t->used[0] = 1; /* instance 0 */
}

/* ---- requests ---------------------------------------------------------- */

typedef struct {
    bw_lwm2m_peer_t peer;
    bw_lwm2m_client_t c;
    bw_lwm2m_client_config_t cfg;
    toy_t dev, fw, app;
    uint8_t rsp[BW_LWM2M_DATAGRAM_MAX];
    bw_coap_msg_t m; /* the last answer */
    uint16_t mid;
} fix_t;

enum { NO_CF = -1 };

/* Options of one request beyond its path. */
typedef struct {
    int cf;            /* Content-Format, or NO_CF */
    int accept;        /* Accept, or -1 */
    int observe;       /* Observe, or -1 */
    const char *query; /* one Uri-Query, or NULL */
    const void *body;
    size_t len;
} opts_t;

/* Send method path from ssid to the client's handler; the answer code. */
static uint8_t ask(fix_t *f, uint16_t ssid, uint8_t method, const char *path,
                   const opts_t *o)
{
    uint8_t req[512];
    uint8_t tok[2] = {0x7a, (uint8_t)f->mid};
    bw_coap_writer_t w;
    bw_coap_msg_t m;
    size_t len, out_len;

    bw_coap_writer_init(&w, req, sizeof req, BW_COAP_CON, method, ++f->mid, tok,
                        sizeof tok);
    if (o != NULL && o->observe >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_OBSERVE, (uint32_t)o->observe);
    for (const char *p = path + 1; *p != '\0';) {
        const char *e = strchr(p, '/');
        size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, p, n);
        p += n + (e != NULL);
    }
    if (o != NULL && o->cf >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT,
                                (uint32_t)o->cf);
    if (o != NULL && o->query != NULL)
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, o->query,
                               strlen(o->query));
    if (o != NULL && o->accept >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_ACCEPT, (uint32_t)o->accept);
    if (o != NULL && o->len > 0)
        bw_coap_writer_payload(&w, o->body, o->len);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(bw_coap_parse(&m, req, len), 0);
    assert_int_equal(bw_lwm2m_dm_handle(&f->c.dm, 1000, BW_LWM2M_IFACE_DM, ssid,
                                        &m, f->rsp, sizeof f->rsp, &out_len),
                     0);
    assert_int_equal(bw_coap_parse(&f->m, f->rsp, out_len), 0);
    return f->m.code;
}

static uint8_t get(fix_t *f, uint16_t ssid, const char *path)
{
    return ask(f, ssid, BW_COAP_GET, path,
               &(opts_t){NO_CF, -1, -1, NULL, 0, 0});
}

static uint8_t put_text(fix_t *f, uint16_t ssid, const char *path,
                        const char *text)
{
    opts_t o = {BW_COAP_FMT_TEXT, -1, -1, NULL, text, strlen(text)};
    return ask(f, ssid, BW_COAP_PUT, path, &o);
}

static uint8_t bare(fix_t *f, uint16_t ssid, uint8_t method, const char *path)
{
    return ask(f, ssid, method, path, &(opts_t){NO_CF, -1, -1, NULL, 0, 0});
}

/* The last answer's payload as a string (links). */
static const char *payload_str(fix_t *f)
{
    static char s[600];
    assert_true(f->m.payload_len < sizeof s);
    memcpy(s, f->m.payload, f->m.payload_len);
    s[f->m.payload_len] = '\0';
    return s;
}

/* Collects the instance ids a TLV answer carries under its base. */
typedef struct {
    uint32_t insts; /* bit per instance id < 32 */
    unsigned records;
} seen_t;

static int on_rec(void *ctx, const bw_lwm2m_record_t *rec)
{
    seen_t *s = ctx;
    if (rec->path.depth >= BW_LWM2M_DEPTH_INSTANCE && rec->path.id[1] < 32)
        s->insts |= 1u << rec->path.id[1];
    s->records++;
    return 0;
}

static uint32_t tlv_instances(fix_t *f, uint16_t oid)
{
    uint8_t scratch[64];
    seen_t s = {0, 0};
    bw_lwm2m_sink_t sink = {NULL, on_rec, &s, scratch, sizeof scratch};
    bw_lwm2m_path_t base = BW_LWM2M_PATH_OBJ(oid);
    uint32_t cf = 0;
    assert_int_equal(bw_coap_msg_uint(&f->m, BW_COAP_OPT_CONTENT_FORMAT, &cf),
                     0);
    assert_int_equal(cf, BW_COAP_FMT_LWM2M_TLV);
    assert_int_equal(
        bw_lwm2m_tlv_decode(f->m.payload, f->m.payload_len, &base, &sink), 0);
    return s.insts;
}

/* ---- the bootstrap ----------------------------------------------------- */

static void acl_rec(bw_lwm2m_tlv_writer_t *w, uint16_t inst, uint16_t oid,
                    uint16_t iid, const uint16_t *ssids, const uint16_t *bits,
                    size_t n, uint16_t owner)
{
    bw_lwm2m_record_t r;
    memset(&r, 0, sizeof r);
    r.path = (bw_lwm2m_path_t)BW_LWM2M_PATH_RES(2, inst, 0);
    r.value = bw_lwm2m_value_int(oid);
    bw_lwm2m_tlv_add(w, &r);
    r.path = (bw_lwm2m_path_t)BW_LWM2M_PATH_RES(2, inst, 1);
    r.value = bw_lwm2m_value_int(iid);
    bw_lwm2m_tlv_add(w, &r);
    for (size_t i = 0; i < n; i++) {
        r.path = (bw_lwm2m_path_t)BW_LWM2M_PATH_RI(2, inst, 2, ssids[i]);
        r.value = bw_lwm2m_value_int(bits[i]);
        bw_lwm2m_tlv_add(w, &r);
    }
    r.path = (bw_lwm2m_path_t)BW_LWM2M_PATH_RES(2, inst, 3);
    r.value = bw_lwm2m_value_int(owner);
    bw_lwm2m_tlv_add(w, &r);
}

static void bs_put(fix_t *f, const char *path, const uint8_t *tlv, size_t n)
{
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 10, BW_COAP_PUT,
                                           path, BW_COAP_FMT_LWM2M_TLV, tlv, n,
                                           NULL),
                     BW_COAP_CHANGED);
}

static const uint8_t PSK2[16] = {2, 2, 2, 2, 2, 2, 2, 2,
                                 2, 2, 2, 2, 2, 2, 2, 2};

/* The whole bootstrap of the file's header, then Register with SSID 1. */
static void bootstrap_two(fix_t *f)
{
    uint8_t tlv[512];
    size_t n;
    bw_coap_msg_t m;
    bw_lwm2m_tlv_writer_t w;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_OBJ(2);
    static const uint16_t s2[] = {2}, r[] = {BW_LWM2M_ACCESS_READ};
    static const uint16_t s1[] = {1}, c[] = {BW_LWM2M_ACCESS_CREATE};

    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    bw_lwm2m_peer_step(&f->c, 0);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/bs");
    bw_lwm2m_peer_reply(&f->peer, &f->c, 5, &m, BW_COAP_CHANGED, NULL);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 10, BW_COAP_DELETE,
                                           "/", -1, NULL, 0, NULL),
                     BW_COAP_DELETED);
    n = bw_lwm2m_peer_tlv_security(tlv, sizeof tlv, 1, "coaps://dm1:5684", 0,
                                   "dev-1", BW_PEER_PSK, sizeof BW_PEER_PSK, 1);
    bs_put(f, "/0/1", tlv, n);
    n = bw_lwm2m_peer_tlv_server(tlv, sizeof tlv, 1, 1, 300, "U");
    bs_put(f, "/1/1", tlv, n);
    n = bw_lwm2m_peer_tlv_security(tlv, sizeof tlv, 2, "coaps://dm2:5684", 0,
                                   "dev-2", PSK2, sizeof PSK2, 2);
    bs_put(f, "/0/2", tlv, n);
    n = bw_lwm2m_peer_tlv_server(tlv, sizeof tlv, 2, 2, 300, "U");
    bs_put(f, "/1/2", tlv, n);

    bw_lwm2m_tlv_begin(&w, tlv, sizeof tlv, &base);
    acl_rec(&w, 0, 3, 0, s2, r, 1, 1);
    acl_rec(&w, 1, 5, 0, NULL, NULL, 0, 1);
    acl_rec(&w, 2, 1024, 0, s2, r, 1, 1);
    acl_rec(&w, 3, 1024, 1, NULL, NULL, 0, 1);
    acl_rec(&w, 4, 1024, 65535, s1, c, 1, 65535);
    assert_int_equal(bw_lwm2m_tlv_finish(&w, &n), 0);
    bs_put(f, "/2", tlv, n);

    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 20, BW_COAP_POST,
                                           "/bs", -1, NULL, 0, NULL),
                     BW_COAP_CHANGED);
    bw_lwm2m_peer_step(&f->c, 30);
    /* One Register per DM server, each on its own channel, both at once:
     * SSID 1 on channel 0, SSID 2 on channel 1. */
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd");
    assert_int_equal(f->peer.taken_ch, 0);
    bw_coap_msg_t m2;
    bw_lwm2m_peer_expect(&f->peer, &m2, BW_COAP_POST, "/rd");
    assert_int_equal(f->peer.taken_ch, 1);
    assert_int_equal(f->peer.open, 3u);
    bw_lwm2m_peer_reply(&f->peer, &f->c, 31, &m, BW_COAP_CREATED, "rd/1");
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERED);
    f->peer.ch = 1;
    bw_lwm2m_peer_reply(&f->peer, &f->c, 32, &m2, BW_COAP_CREATED, "rd/2");
    f->peer.ch = 0;
    const char *loc = NULL;
    assert_int_equal(bw_lwm2m_client_registered(&f->c, 0, &loc), 1);
    assert_string_equal(loc, "/rd/1");
    assert_int_equal(bw_lwm2m_client_registered(&f->c, 1, &loc), 2);
    assert_string_equal(loc, "/rd/2");
    assert_int_equal(bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_REGISTERED), 2);
}

static int setup(void **state)
{
    fix_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    bw_lwm2m_peer_init(&f->peer);
    bw_lwm2m_peer_config(&f->peer, &f->cfg, "dev1", FACTORY);
    assert_int_equal(bw_lwm2m_client_init(&f->c, &f->cfg, 7), 0);
    toy_init(&f->dev, 3, 0);
    toy_init(&f->fw, 5, 0);
    toy_init(&f->app, 1024, 1);
    assert_int_equal(bw_lwm2m_client_add_object(&f->c, &f->dev.obj), 0);
    assert_int_equal(bw_lwm2m_client_add_object(&f->c, &f->fw.obj), 0);
    assert_int_equal(bw_lwm2m_client_add_object(&f->c, &f->app.obj), 0);
    bootstrap_two(f);
    /* Bootstrap-Delete "/" removed every instance but /3/0: the
     * application's come back. */
    assert_int_equal(toy_slot(&f->fw, 0), -1);
    f->fw.used[0] = 1;
    f->app.used[0] = 1;
    f->app.used[1] = 1;
    f->app.ids[1] = 1;
    f->app.used[2] = 1;
    f->app.ids[2] = 3; /* /1024/3: no Access Control instance */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* ---- the tests --------------------------------------------------------- */

/* The bootstrap stored all five Access Control instances with the rest of
 * the set in one save(); the set in use has them; the links of the
 * Register list them. */
static void test_bootstrapped_and_stored(void **state)
{
    fix_t *f = *state;
    bw_lwm2m_servers_t stored;
    uint32_t gen;
    assert_int_equal(f->peer.saves, 1);
    assert_int_equal(bw_lwm2m_servers_decode(f->peer.store, f->peer.store_len,
                                             &stored, &gen),
                     0);
    const bw_lwm2m_acl_t *a = bw_lwm2m_acl_find(&stored, 3, 0);
    assert_non_null(a);
    assert_int_equal(a->owner, 1);
    assert_int_equal(a->nacl, 1);
    assert_int_equal(a->acl[0].ssid, 2);
    assert_int_equal(a->acl[0].rights, BW_LWM2M_ACCESS_READ);
    a = bw_lwm2m_acl_find(&stored, 1024, 65535);
    assert_non_null(a);
    assert_int_equal(a->owner, 65535);
    assert_null(bw_lwm2m_acl_find(&stored, 1024, 3));
    assert_int_equal(bw_lwm2m_acl_servers(&stored), 2);
    assert_memory_equal(&stored.acl, &f->c.set.acl, sizeof stored.acl);
}

/* SSID 2 holds R on /3/0 only: Read, Discover, Observe and
 * Write-Attributes pass; Write, partial update, Execute, Delete are 4.01,
 * and nothing reached the object. */
static void test_read_only_server(void **state)
{
    fix_t *f = *state;
    assert_int_equal(get(f, 2, "/3/0/0"), BW_COAP_CONTENT);
    assert_int_equal(get(f, 2, "/3/0"), BW_COAP_CONTENT);
    assert_int_equal(ask(f, 2, BW_COAP_GET, "/3/0",
                         &(opts_t){NO_CF, BW_COAP_FMT_LINK, -1, NULL, NULL, 0}),
                     BW_COAP_CONTENT);
    assert_non_null(strstr(payload_str(f), "</3/0/0>"));
    size_t nobs = f->c.dm.nobs;
    assert_int_equal(ask(f, 2, BW_COAP_GET, "/3/0/0",
                         &(opts_t){NO_CF, -1, 0, NULL, NULL, 0}),
                     BW_COAP_CONTENT);
    assert_int_equal(f->c.dm.nobs, nobs + 1);
    assert_int_equal(ask(f, 2, BW_COAP_PUT, "/3/0/0",
                         &(opts_t){NO_CF, -1, -1, "pmin=5", NULL, 0}),
                     BW_COAP_CHANGED);

    assert_int_equal(put_text(f, 2, "/3/0/0", "5"), BW_COAP_UNAUTHORIZED);
    opts_t upd = {BW_COAP_FMT_TEXT, -1, -1, NULL, "5", 1};
    assert_int_equal(ask(f, 2, BW_COAP_POST, "/3/0", &upd),
                     BW_COAP_UNAUTHORIZED);
    assert_int_equal(bare(f, 2, BW_COAP_POST, "/3/0/2"), BW_COAP_UNAUTHORIZED);
    assert_int_equal(bare(f, 2, BW_COAP_DELETE, "/3/0"), BW_COAP_UNAUTHORIZED);
    assert_int_equal(f->dev.val[0], 0);
    assert_int_equal(f->dev.executed, 0);
}

/* SSID 2 holds nothing on /5/0: every operation on it is 4.01 (Observe
 * registers nothing), and an instance no Access Control instance covers
 * is 4.04 to both servers. */
static void test_no_rights(void **state)
{
    fix_t *f = *state;
    size_t nobs = f->c.dm.nobs;
    assert_int_equal(get(f, 2, "/5/0/0"), BW_COAP_UNAUTHORIZED);
    assert_int_equal(get(f, 2, "/5/0"), BW_COAP_UNAUTHORIZED);
    assert_int_equal(ask(f, 2, BW_COAP_GET, "/5/0/0",
                         &(opts_t){NO_CF, -1, 0, NULL, NULL, 0}),
                     BW_COAP_UNAUTHORIZED);
    assert_int_equal(f->c.dm.nobs, nobs);
    assert_int_equal(ask(f, 2, BW_COAP_GET, "/5/0",
                         &(opts_t){NO_CF, BW_COAP_FMT_LINK, -1, NULL, NULL, 0}),
                     BW_COAP_UNAUTHORIZED);
    assert_int_equal(ask(f, 2, BW_COAP_PUT, "/5/0/0",
                         &(opts_t){NO_CF, -1, -1, "pmin=5", NULL, 0}),
                     BW_COAP_UNAUTHORIZED);
    assert_int_equal(put_text(f, 2, "/5/0/0", "9"), BW_COAP_UNAUTHORIZED);
    assert_int_equal(bare(f, 2, BW_COAP_POST, "/5/0/2"), BW_COAP_UNAUTHORIZED);
    assert_int_equal(f->fw.executed, 0);

    assert_int_equal(get(f, 1, "/1024/3/0"), BW_COAP_NOT_FOUND);
    assert_int_equal(get(f, 2, "/1024/3/0"), BW_COAP_NOT_FOUND);
    assert_int_equal(put_text(f, 1, "/1024/3/0", "1"), BW_COAP_NOT_FOUND);
    /* A server's own account needs no Access Control instance; another's
     * is not there for it. */
    assert_int_equal(get(f, 2, "/1/2/1"), BW_COAP_CONTENT);
    assert_int_equal(get(f, 2, "/1/1/1"), BW_COAP_NOT_FOUND);
}

/* The owner (SSID 1, no ACL entry of its own) may do everything the
 * objects allow; through the whole client too, where the request is its
 * current server's. */
static void test_owner_full_rights(void **state)
{
    fix_t *f = *state;
    assert_int_equal(put_text(f, 1, "/5/0/0", "42"), BW_COAP_CHANGED);
    assert_int_equal(f->fw.val[0], 42);
    assert_int_equal(bare(f, 1, BW_COAP_POST, "/5/0/2"), BW_COAP_CHANGED);
    assert_int_equal(f->fw.executed, 1);
    assert_int_equal(get(f, 1, "/5/0/0"), BW_COAP_CONTENT);
    /* Delete passes the check; the single-instance object refuses it. */
    assert_int_equal(bare(f, 1, BW_COAP_DELETE, "/3/0"),
                     BW_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 40, BW_COAP_PUT,
                                           "/3/0/0", BW_COAP_FMT_TEXT, "7", 1,
                                           NULL),
                     BW_COAP_CHANGED);
    assert_int_equal(f->dev.val[0], 7);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 40, BW_COAP_GET,
                                           "/1024/3/0", -1, NULL, 0, NULL),
                     BW_COAP_NOT_FOUND);
}

/* A Read and a Discover of /1024 list only the instances the server may
 * read: SSID 1 sees 0 and 1, SSID 2 sees 0; /1024/3 is nobody's. */
static void test_object_read_hides(void **state)
{
    fix_t *f = *state;
    assert_int_equal(get(f, 1, "/1024"), BW_COAP_CONTENT);
    assert_int_equal(tlv_instances(f, 1024), 0x3u);
    assert_int_equal(get(f, 2, "/1024"), BW_COAP_CONTENT);
    assert_int_equal(tlv_instances(f, 1024), 0x1u);
    assert_int_equal(ask(f, 2, BW_COAP_GET, "/1024",
                         &(opts_t){NO_CF, BW_COAP_FMT_LINK, -1, NULL, NULL, 0}),
                     BW_COAP_CONTENT);
    const char *links = payload_str(f);
    assert_non_null(strstr(links, "</1024/0>"));
    assert_null(strstr(links, "</1024/1"));
    assert_null(strstr(links, "</1024/3"));
    /* The Access Control object: SSID 2 sees the instances about what it
     * may reach, SSID 1 (owner, and holder of the Create grant) all. */
    assert_int_equal(get(f, 2, "/2"), BW_COAP_CONTENT);
    assert_int_equal(tlv_instances(f, 2), 0x5u);
    assert_int_equal(get(f, 1, "/2"), BW_COAP_CONTENT);
    assert_int_equal(tlv_instances(f, 2), 0x1Fu);
    assert_int_equal(get(f, 2, "/2/1/3"), BW_COAP_UNAUTHORIZED);
}

/* Create needs C on /1024/65535: SSID 2 is refused, SSID 1 creates
 * /1024/2, which gets an Access Control instance it owns (saved at the
 * next step); Delete needs D: SSID 2 is refused, SSID 1 deletes and the
 * Access Control instance goes with the instance. */
static void test_create_delete(void **state)
{
    fix_t *f = *state;
    opts_t body = {BW_COAP_FMT_TEXT, -1, -1, NULL, NULL, 0};
    uint8_t tlv[16];
    size_t n;
    bw_lwm2m_tlv_writer_t w;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_OBJ(1024);
    bw_lwm2m_record_t r;
    memset(&r, 0, sizeof r);
    r.path = (bw_lwm2m_path_t)BW_LWM2M_PATH_RES(1024, 2, 0);
    r.value = bw_lwm2m_value_int(11);
    bw_lwm2m_tlv_begin(&w, tlv, sizeof tlv, &base);
    bw_lwm2m_tlv_add(&w, &r);
    assert_int_equal(bw_lwm2m_tlv_finish(&w, &n), 0);
    body.cf = BW_COAP_FMT_LWM2M_TLV;
    body.body = tlv;
    body.len = n;

    assert_int_equal(ask(f, 2, BW_COAP_POST, "/1024", &body),
                     BW_COAP_UNAUTHORIZED);
    assert_int_equal(toy_slot(&f->app, 2), -1);
    assert_int_equal(ask(f, 1, BW_COAP_POST, "/1024", &body), BW_COAP_CREATED);
    assert_true(toy_slot(&f->app, 2) >= 0);
    const bw_lwm2m_acl_t *a = bw_lwm2m_acl_find(&f->c.set, 1024, 2);
    assert_non_null(a);
    assert_int_equal(a->owner, 1);
    assert_int_equal(a->nacl, 0);
    assert_int_equal(get(f, 1, "/1024/2/0"), BW_COAP_CONTENT);
    assert_int_equal(get(f, 2, "/1024/2/0"), BW_COAP_UNAUTHORIZED);
    unsigned saves = f->peer.saves;
    bw_lwm2m_peer_step(&f->c, 50);
    assert_int_equal(f->peer.saves, saves + 1);

    assert_int_equal(bare(f, 2, BW_COAP_DELETE, "/1024/2"),
                     BW_COAP_UNAUTHORIZED);
    assert_true(toy_slot(&f->app, 2) >= 0);
    assert_int_equal(bare(f, 1, BW_COAP_DELETE, "/1024/2"), BW_COAP_DELETED);
    assert_int_equal(toy_slot(&f->app, 2), -1);
    assert_null(bw_lwm2m_acl_find(&f->c.set, 1024, 2));
    /* The Access Control object is the bootstrap server's to grow or
     * shrink. */
    assert_int_equal(bare(f, 1, BW_COAP_POST, "/2"), BW_COAP_UNAUTHORIZED);
    assert_int_equal(bare(f, 1, BW_COAP_DELETE, "/2/0"), BW_COAP_UNAUTHORIZED);
    assert_non_null(bw_lwm2m_acl_find(&f->c.set, 3, 0));
}

/* The owner grants SSID 2 Read on /5/0 by writing /2/1/2/2; SSID 2 may
 * neither change an ACL nor take ownership; the new ACL is saved; taking
 * the right away again ends SSID 2's observation with 4.01. */
static void test_owner_writes_acl(void **state)
{
    fix_t *f = *state;
    assert_int_equal(put_text(f, 2, "/2/1/2/2", "1"), BW_COAP_UNAUTHORIZED);
    assert_int_equal(put_text(f, 1, "/2/1/2/2", "1"), BW_COAP_CHANGED);
    assert_int_equal(get(f, 2, "/5/0/0"), BW_COAP_CONTENT);
    assert_int_equal(put_text(f, 2, "/2/1/2/2", "3"), BW_COAP_UNAUTHORIZED);
    assert_int_equal(put_text(f, 2, "/2/1/3", "2"), BW_COAP_UNAUTHORIZED);
    assert_int_equal(put_text(f, 1, "/2/1/0", "4"), BW_COAP_METHOD_NOT_ALLOWED);
    unsigned saves = f->peer.saves;
    bw_lwm2m_peer_step(&f->c, 50);
    assert_int_equal(f->peer.saves, saves + 1);
    bw_lwm2m_servers_t stored;
    uint32_t gen;
    assert_int_equal(bw_lwm2m_servers_decode(f->peer.store, f->peer.store_len,
                                             &stored, &gen),
                     0);
    assert_int_equal(bw_lwm2m_acl_rights(&stored, 2, 5, 0),
                     BW_LWM2M_ACCESS_READ);

    assert_int_equal(ask(f, 2, BW_COAP_GET, "/5/0/0",
                         &(opts_t){NO_CF, -1, 0, NULL, NULL, 0}),
                     BW_COAP_CONTENT);
    size_t nobs = f->c.dm.nobs;
    assert_int_equal(put_text(f, 1, "/2/1/2/2", "0"), BW_COAP_CHANGED);
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(5, 0, 0);
    bw_lwm2m_dm_changed(&f->c.dm, &p, 2000);
    size_t len = 0;
    uint16_t server = 0;
    assert_int_equal(bw_lwm2m_dm_notify(&f->c.dm, 2000, f->rsp, sizeof f->rsp,
                                        &len, &server, NULL),
                     1);
    assert_int_equal(server, 2);
    assert_int_equal(bw_coap_parse(&f->m, f->rsp, len), 0);
    assert_int_equal(f->m.code, BW_COAP_UNAUTHORIZED);
    assert_int_equal(f->c.dm.nobs, nobs - 1);
}

/* The bootstrap server is never checked: a Bootstrap-Read of /2 (the
 * client bootstrapping again, staged = the set in use) returns every
 * instance. */
static void test_bootstrap_read(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    bw_lwm2m_client_t *c = &f->c;
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, c, 60, BW_COAP_POST,
                                           "/1/1/9", -1, NULL, 0, NULL),
                     BW_COAP_CHANGED);
    bw_lwm2m_peer_step(c, 70);
    assert_int_equal(bw_lwm2m_client_state(c), BW_LWM2M_STATE_BOOTSTRAPPING);
    for (uint64_t t = 71; bw_lwm2m_peer_pending(&f->peer) == 0; t += 500) {
        assert_true(t < 10000000);
        bw_lwm2m_peer_step(c, t);
    }
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/bs");
    bw_lwm2m_peer_reply(&f->peer, c, 72, &m, BW_COAP_CHANGED, NULL);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, c, 73, BW_COAP_GET, "/2",
                                           -1, NULL, 0, &f->m),
                     BW_COAP_CONTENT);
    assert_int_equal(tlv_instances(f, 2), 0x1Fu);
    /* Delete "/" empties it (and the rest of the staged set). */
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, c, 74, BW_COAP_DELETE, "/",
                                           -1, NULL, 0, NULL),
                     BW_COAP_DELETED);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, c, 75, BW_COAP_GET, "/2",
                                           -1, NULL, 0, &f->m),
                     BW_COAP_CONTENT);
    assert_int_equal(f->m.payload_len, 0);
    assert_non_null(bw_lwm2m_acl_find(&c->set, 3, 0)); /* in use: kept */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bootstrapped_and_stored, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_read_only_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_rights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_full_rights, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_object_read_hides, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_create_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_writes_acl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_read, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
