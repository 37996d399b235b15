/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Temperature object of bulwark-device (contract in temp.h): the
 * handler table, the transaction snapshot, and the record that keeps the
 * created instances across a restart.  Reads, Reset and samples of one
 * instance are lib/objects' (bw_lwm2m_temp_inst_*); the handlers here
 * find the instance and add what only this object has: 5701 and 5750 as
 * stored texts, Write, Create, Delete.
 *
 * Resources (IPSO 3303):
 *   5601 Min Measured Value  float R     instance 0, after a sample
 *   5602 Max Measured Value  float R
 *   5603 Min Range Value     float R     instance 0
 *   5604 Max Range Value     float R
 *   5605 Reset Min and Max   Execute
 *   5700 Sensor Value        float R     mandatory; instance 0
 *   5701 Sensor Units        string RW   "Cel" on instance 0 (fixed)
 *   5750 Application Type    string RW   absent while empty
 */
#include <math.h>
#include <string.h>

#include "temp.h"

#define R BW_LWM2M_OP_R
#define E BW_LWM2M_OP_E

/* The built-in sensor's instance and what it measures in. */
#define BUILTIN      0u
#define UNITS_DFL    "Cel"
#define REC_HEADER   "3303 1\n"
#define ID_MAX_VALUE 65534u

static const bw_lwm2m_res_def_t temp_res[] = {
    {BW_LWM2M_TEMP_RES_MIN, BW_LWM2M_TYPE_FLOAT, R, 0, 0},
    {BW_LWM2M_TEMP_RES_MAX, BW_LWM2M_TYPE_FLOAT, R, 0, 0},
    {BW_LWM2M_TEMP_RES_RANGE_MIN, BW_LWM2M_TYPE_FLOAT, R, 0, 0},
    {BW_LWM2M_TEMP_RES_RANGE_MAX, BW_LWM2M_TYPE_FLOAT, R, 0, 0},
    {BW_LWM2M_TEMP_RES_RESET, BW_LWM2M_TYPE_NONE, E, 0, 0},
    {BW_LWM2M_TEMP_RES_VALUE, BW_LWM2M_TYPE_FLOAT, R, 0, 1},
    {BW_LWM2M_TEMP_RES_UNITS, BW_LWM2M_TYPE_STRING, BW_LWM2M_OP_RW, 0, 0},
    {BW_LWM2M_TEMP_RES_APP_TYPE, BW_LWM2M_TYPE_STRING, BW_LWM2M_OP_RW, 0, 0},
};

static agent_temp_inst_t *find(agent_temp_t *t, uint16_t id)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->inst[i].id == id)
            return &t->inst[i];
    return NULL;
}

static void saved(const agent_temp_t *t, int set_changed)
{
    if (t->cfg.saved != NULL)
        t->cfg.saved(t->cfg.app, set_changed);
}

/* A text for 5750 / 5701: at most AGENT_TEMP_TEXT_MAX bytes, no control
 * byte (the core has checked it is UTF-8).  0 or BW_ERANGE. */
static int text_ok(const uint8_t *p, size_t n)
{
    if (n > AGENT_TEMP_TEXT_MAX)
        return BW_ERANGE;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] == 0x7f)
            return BW_ERANGE;
    return 0;
}

static void put_text(char *dst, const uint8_t *p, size_t n)
{
    if (n > 0)
        memcpy(dst, p, n);
    dst[n] = '\0';
}

static int temp_list(bw_lwm2m_object_t *o, uint16_t *ids, size_t cap, size_t *n)
{
    const agent_temp_t *t = o->ctx;
    *n = 0;
    if (t->n > cap)
        return BW_ENOSPC;
    for (size_t i = 0; i < t->n; i++)
        ids[i] = t->inst[i].id;
    *n = t->n;
    return 0;
}

/* Where the library tells of the values a sample or a reset moved. */
static bw_lwm2m_temp_report_t report_to(const agent_temp_t *t)
{
    bw_lwm2m_temp_report_t to = {t->cfg.changed, t->cfg.app};
    return to;
}

/* A stored text as the library takes it: NULL while empty (absent). */
static const char *text_or_null(const char *s)
{
    return s[0] != '\0' ? s : NULL;
}

static int temp_read(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                     bw_lwm2m_value_t *v, uint8_t *scratch, size_t cap)
{
    const agent_temp_inst_t *s = find(o->ctx, path->id[BW_LWM2M_INSTANCE]);
    (void)scratch;
    (void)cap;
    if (s == NULL)
        return BW_ENOTFOUND;
    return bw_lwm2m_temp_inst_read(o, &s->sensor, path, text_or_null(s->units),
                                   text_or_null(s->app_type), v);
}

static int temp_write(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                      const bw_lwm2m_value_t *v)
{
    agent_temp_inst_t *s = find(o->ctx, path->id[BW_LWM2M_INSTANCE]);
    uint16_t res = path->id[BW_LWM2M_RESOURCE];
    if (s == NULL)
        return BW_ENOTFOUND;
    if (path->depth != BW_LWM2M_DEPTH_RESOURCE)
        return BW_EUNSUPPORTED; /* no multiple resources here */
    if (res != BW_LWM2M_TEMP_RES_UNITS && res != BW_LWM2M_TEMP_RES_APP_TYPE)
        return bw_lwm2m_object_res(o, res) != NULL ? BW_EUNSUPPORTED
                                                   : BW_ENOTFOUND;
    if (v->type != BW_LWM2M_TYPE_STRING)
        return BW_ETYPE;
    const uint8_t *p = v->v.bytes.ptr;
    size_t n = v->v.bytes.len;
    int err = text_ok(p, n);
    if (err != 0)
        return err;
    if (res == BW_LWM2M_TEMP_RES_APP_TYPE) {
        put_text(s->app_type, p, n);
        return 0;
    }
    if (s->id == BUILTIN)
        return BW_EUNSUPPORTED; /* the sensor measures in Cel */
    if (n == 0)
        return BW_ERANGE; /* a value needs a unit */
    put_text(s->units, p, n);
    return 0;
}

static int temp_execute(bw_lwm2m_object_t *o, uint16_t inst, uint16_t res,
                        const uint8_t *arg, size_t len)
{
    agent_temp_t *t = o->ctx;
    agent_temp_inst_t *s = find(t, inst);
    const bw_lwm2m_temp_report_t to = report_to(t);
    (void)arg;
    (void)len;
    return bw_lwm2m_temp_inst_execute(o, s != NULL ? &s->sensor : NULL, res,
                                      &to);
}

/*
 * s as a new instance id: no reading, the range given (not finite: no
 * range), units "Cel", no Application Type.  Callers have checked id
 * (below 65535) and the range (not inverted), all the library refuses.
 */
static void slot_init(agent_temp_inst_t *s, uint16_t id, double range_min,
                      double range_max)
{
    memset(s, 0, sizeof *s);
    s->id = id;
    (void)bw_lwm2m_temp_inst_init(&s->sensor, id, range_min, range_max);
    memcpy(s->units, UNITS_DFL, sizeof UNITS_DFL);
}

/* Make room for id at its place by id and set the new slot up. */
static void insert(agent_temp_t *t, uint16_t id, double range_min,
                   double range_max)
{
    size_t at = t->n;
    while (at > 0 && t->inst[at - 1].id > id) {
        t->inst[at] = t->inst[at - 1];
        at--;
    }
    slot_init(&t->inst[at], id, range_min, range_max);
    t->n++;
}

static int temp_create(bw_lwm2m_object_t *o, uint16_t inst)
{
    agent_temp_t *t = o->ctx;
    if (find(t, inst) != NULL)
        return BW_EDUPKEY; /* the core checks first; kept as a backstop */
    if (t->n == AGENT_TEMP_MAX)
        return BW_ENOMEM;
    if (inst > ID_MAX_VALUE)
        return BW_EINVAL;
    insert(t, inst, NAN, NAN); /* a sensor the server describes */
    return 0;
}

static int temp_remove(bw_lwm2m_object_t *o, uint16_t inst)
{
    agent_temp_t *t = o->ctx;
    agent_temp_inst_t *s = find(t, inst);
    if (s == NULL)
        return BW_ENOTFOUND;
    if (inst == BUILTIN) {
        /* The sensor stays; a bootstrap server starting over takes back
         * what was configured on it. */
        if (t->cfg.bootstrapping == NULL || !t->cfg.bootstrapping(t->cfg.app))
            return BW_EUNSUPPORTED;
        if (s->app_type[0] != '\0') {
            s->app_type[0] = '\0';
            saved(t, 0);
        }
        return 0;
    }
    size_t at = (size_t)(s - t->inst);
    memmove(&t->inst[at], &t->inst[at + 1],
            (t->n - at - 1) * sizeof t->inst[0]);
    t->n--;
    saved(t, 1);
    return 0;
}

static int temp_begin(bw_lwm2m_object_t *o, uint16_t inst, bw_lwm2m_txn_t kind)
{
    agent_temp_t *t = o->ctx;
    if (t->txn == 0) {
        memcpy(t->snap, t->inst, sizeof t->snap);
        t->snap_n = t->n;
    }
    t->txn++;
    agent_temp_inst_t *s = find(t, inst);
    if (kind == BW_LWM2M_TXN_REPLACE && s != NULL) {
        /* Unnamed writable resources go back to their defaults. */
        s->app_type[0] = '\0';
        if (s->id != BUILTIN)
            memcpy(s->units, UNITS_DFL, sizeof UNITS_DFL);
    }
    return 0;
}

static void temp_commit(bw_lwm2m_object_t *o, uint16_t inst)
{
    agent_temp_t *t = o->ctx;
    (void)inst;
    if (t->txn == 0 || --t->txn > 0)
        return;
    int set_changed = t->n != t->snap_n;
    int settings = set_changed;
    for (size_t i = 0; !set_changed && i < t->n; i++) {
        const agent_temp_inst_t *a = &t->inst[i], *b = &t->snap[i];
        if (a->id != b->id)
            set_changed = settings = 1;
        else if (strcmp(a->app_type, b->app_type) != 0 ||
                 strcmp(a->units, b->units) != 0)
            settings = 1;
    }
    if (settings)
        saved(t, set_changed);
}

static void temp_rollback(bw_lwm2m_object_t *o, uint16_t inst)
{
    agent_temp_t *t = o->ctx;
    (void)inst;
    if (t->txn == 0)
        return; /* restored by the first rollback of this request */
    /* Samples taken meanwhile stay: only instance 0 has any, and it
     * cannot be created or removed by a transaction, which never changes
     * its range either. */
    bw_lwm2m_temp_inst_t live = find(t, BUILTIN)->sensor;
    memcpy(t->inst, t->snap, sizeof t->inst);
    t->n = t->snap_n;
    find(t, BUILTIN)->sensor = live;
    t->txn = 0;
}

static const bw_lwm2m_object_ops_t temp_ops = {
    .list = temp_list,
    .read = temp_read,
    .write = temp_write,
    .execute = temp_execute,
    .create = temp_create,
    .remove = temp_remove,
    .begin = temp_begin,
    .commit = temp_commit,
    .rollback = temp_rollback,
};

int agent_temp_init(agent_temp_t *t, bw_lwm2m_object_t *obj,
                    const agent_temp_cfg_t *cfg, double range_min,
                    double range_max)
{
    if (t == NULL || obj == NULL || cfg == NULL)
        return BW_EINVAL;
    if (!(range_min <= range_max) || !isfinite(range_min) ||
        !isfinite(range_max))
        return BW_ERANGE;
    memset(t, 0, sizeof *t);
    t->cfg = *cfg;
    insert(t, BUILTIN, range_min, range_max);
    memset(obj, 0, sizeof *obj);
    obj->id = AGENT_TEMP_OID;
    obj->multiple_instances = 1;
    obj->version = "1.1";
    obj->res = temp_res;
    obj->nres = (uint16_t)(sizeof temp_res / sizeof temp_res[0]);
    obj->ops = &temp_ops;
    obj->ctx = t;
    return 0;
}

int agent_temp_sample(agent_temp_t *t, double value)
{
    if (t == NULL)
        return BW_EINVAL;
    agent_temp_inst_t *s = find(t, BUILTIN);
    if (s == NULL)
        return BW_EINVAL; /* cannot happen: instance 0 is never removed */
    const bw_lwm2m_temp_report_t to = report_to(t);
    return bw_lwm2m_temp_inst_sample(&s->sensor, &to, value);
}

/* ---- the record ---------------------------------------------------------- */

static const char hexdig[] = "0123456789abcdef";

static size_t put_hex(char *out, const char *s)
{
    size_t k = 0;
    for (; *s != '\0'; s++) {
        out[k++] = hexdig[(unsigned char)*s >> 4];
        out[k++] = hexdig[(unsigned char)*s & 15u];
    }
    return k;
}

int agent_temp_encode(const agent_temp_t *t, char *out, size_t cap, size_t *len)
{
    char buf[AGENT_TEMP_REC_MAX];
    size_t k = sizeof REC_HEADER - 1;
    if (len != NULL)
        *len = 0;
    if (t == NULL || out == NULL || len == NULL)
        return BW_EINVAL;
    memcpy(buf, REC_HEADER, k);
    for (size_t i = 0; i < t->n; i++) {
        const agent_temp_inst_t *s = &t->inst[i];
        char id[8];
        size_t d = 0;
        unsigned v = s->id;
        do { /* digits backwards */
            id[d++] = (char)('0' + v % 10u);
            v /= 10u;
        } while (v != 0);
        while (d > 0)
            buf[k++] = id[--d];
        buf[k++] = ' ';
        k += put_hex(buf + k, s->app_type);
        buf[k++] = ' ';
        if (s->id == BUILTIN)
            buf[k++] = '-';
        else
            k += put_hex(buf + k, s->units);
        buf[k++] = '\n';
    }
    if (k > cap)
        return BW_ENOSPC;
    memcpy(out, buf, k);
    *len = k;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* A hex field p[0..n) into dst (a checked text). */
static int get_hex(const char *p, size_t n, char *dst)
{
    uint8_t bytes[AGENT_TEMP_TEXT_MAX];
    if (n % 2 != 0)
        return BW_EMALFORMED;
    if (n / 2 > AGENT_TEMP_TEXT_MAX)
        return BW_EOVERFLOW;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hexval(p[i]), lo = hexval(p[i + 1]);
        if (hi < 0 || lo < 0)
            return BW_EMALFORMED;
        bytes[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    int err = text_ok(bytes, n / 2);
    if (err == 0)
        put_text(dst, bytes, n / 2);
    return err;
}

/* One line "<id> <hex> <hex|->" (without its newline) into s. */
static int parse_line(const char *p, size_t n, agent_temp_inst_t *s)
{
    const char *sp1 = memchr(p, ' ', n);
    if (sp1 == NULL || sp1 == p || sp1 - p > 5)
        return BW_EMALFORMED;
    unsigned long id = 0;
    for (const char *c = p; c < sp1; c++) {
        if (*c < '0' || *c > '9')
            return BW_EMALFORMED;
        id = id * 10u + (unsigned long)(*c - '0');
    }
    if (id > ID_MAX_VALUE || (sp1 - p > 1 && p[0] == '0'))
        return BW_EMALFORMED;
    const char *a = sp1 + 1, *end = p + n;
    const char *sp2 = memchr(a, ' ', (size_t)(end - a));
    if (sp2 == NULL)
        return BW_EMALFORMED;
    slot_init(s, (uint16_t)id, NAN, NAN);
    int err = get_hex(a, (size_t)(sp2 - a), s->app_type);
    if (err != 0)
        return err;
    const char *u = sp2 + 1;
    size_t un = (size_t)(end - u);
    if (id == BUILTIN)
        return un == 1 && u[0] == '-' ? 0 : BW_EMALFORMED;
    err = get_hex(u, un, s->units);
    if (err == 0 && s->units[0] == '\0')
        err = BW_ERANGE;
    return err;
}

int agent_temp_restore(agent_temp_t *t, const char *rec, size_t len)
{
    agent_temp_inst_t got[AGENT_TEMP_MAX];
    size_t n = 0, hl = sizeof REC_HEADER - 1;
    if (t == NULL || (rec == NULL && len > 0))
        return BW_EINVAL;
    if (len < hl || memcmp(rec, REC_HEADER, hl) != 0)
        return BW_EMALFORMED;
    const char *p = rec + hl, *end = rec + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            return BW_EMALFORMED;
        if (n == AGENT_TEMP_MAX)
            return BW_EOVERFLOW;
        int err = parse_line(p, (size_t)(nl - p), &got[n]);
        if (err != 0)
            return err;
        if (n > 0 && got[n].id <= got[n - 1].id)
            return BW_EMALFORMED;
        n++;
        p = nl + 1;
    }
    if (n == 0 || got[0].id != BUILTIN)
        return BW_EMALFORMED;
    /* Instance 0 keeps its sensor state; the others come from the
     * record. */
    agent_temp_inst_t b = *find(t, BUILTIN);
    memcpy(b.app_type, got[0].app_type, sizeof b.app_type);
    got[0] = b;
    memcpy(t->inst, got, n * sizeof got[0]);
    t->n = n;
    return 0;
}
