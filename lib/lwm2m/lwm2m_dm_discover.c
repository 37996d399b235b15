/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Link-format payloads (RFC 6690, content format 40): Discover and
 * Bootstrap-Discover responses (OMA LwM2M 1.1 Core, "Discover",
 * "Bootstrap-Discover").  The object list of Register and Update is
 * lwm2m_dm_links.c.
 *
 * Discover (DM) lists what is under the target with the attributes
 * attached at each level (Core, Discover examples):
 *   /3      </3>;ver=1.1;pmin=10,</3/0>;pmax=60,</3/0/1>,</3/0/6>;dim=2,...
 *   /3/0    </3/0>;pmax=60,</3/0/1>,...
 *   /3/0/7  </3/0/7>;dim=2;pmin=10;pmax=60;gt=50  (inherited ones too)
 * Every resource of the table is listed for an instance; dim counts a
 * multiple resource's instances.
 *
 * Bootstrap-Discover lists objects and instances, never resources:
 *   </>;lwm2m=1.1,</0/0>;uri="coaps://bs",</0/1>;ssid=101;uri="coaps://dm",
 *   </1/0>;ssid=101,</3>;ver=1.1,</3/0>,</5>
 * Security instances carry uri (resource 0) and, but for the bootstrap
 * server's, ssid (resource 10); Server instances carry ssid (resource 0).
 *
 * Every link is written by the link writer on its own into the dm's
 * chunk buffer and handed to bw_lwm2m__gen_put() with the comma between.
 */
#include "bulwark/coap_link.h"
#include "bw_mem.h"
#include "lwm2m_int.h"

#define OBJ_SECURITY 0u
#define OBJ_SERVER   1u

/* Longest plain decimal written for gt / lt / st: the link attribute
 * reader takes at most 18 digits, so |exponent| <= 18 around them. */
#define DEC_MAX 48

typedef struct {
    bw_lwm2m__gen_t *g;
    bw_coap_link_writer_t w;
    char *chunk;
    size_t chunk_cap;
} links_t;

static size_t cstrlen(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0')
        n++;
    return n;
}

static void link_start(links_t *l, const bw_lwm2m_path_t *p)
{
    char target[BW_LWM2M_PATH_STR_MAX];
    size_t n = 0;
    (void)bw_lwm2m_path_format(p, target, sizeof target, &n);
    bw_coap_link_writer_init(&l->w, l->chunk, l->chunk_cap);
    bw_coap_link_writer_link(&l->w, target, n);
}

static int link_end(links_t *l)
{
    size_t len;
    int err = bw_coap_link_writer_finish(&l->w, &len);
    if (err != 0)
        return err;
    if (l->g->count++ > 0)
        bw_lwm2m__gen_put(l->g, ",", 1);
    bw_lwm2m__gen_put(l->g, l->chunk, len);
    return 0;
}

/* v as a plain decimal ("-0.25", "100"): the form the attribute reader
 * takes back (no exponent).  Returns the length, 0 if it does not fit. */
static size_t fmt_decimal(double v, char *out)
{
    uint8_t d[BW_LWM2M__DBL_DIGITS];
    int32_t k;
    size_t len = 0, n;

    if (v < 0) {
        out[len++] = '-';
        v = -v;
    }
    if (v == 0) {
        out[0] = '0';
        return 1;
    }
    n = bw_lwm2m__dbl_digits(v, 0, d, &k);
    if (n == 0 || k > 20 || k < -20)
        return 0;
    if (k < 0) {
        out[len++] = '0';
        out[len++] = '.';
        for (int32_t z = -1; z > k; z--)
            out[len++] = '0';
        for (size_t i = 0; i < n; i++)
            out[len++] = (char)d[i];
        return len;
    }
    for (int32_t i = 0; i <= k; i++)
        out[len++] = (size_t)i < n ? (char)d[i] : '0';
    if (n > (size_t)k + 1) {
        out[len++] = '.';
        for (size_t i = (size_t)k + 1; i < n; i++)
            out[len++] = (char)d[i];
    }
    return len;
}

static void put_attrs(links_t *l, const bw_lwm2m_attr_t *a)
{
    static const char *const num_names[] = {"gt", "lt", "st"};
    if (a == NULL)
        return;
    if (a->flags & BW_LWM2M_ATTR_PMIN)
        bw_coap_link_writer_uint(&l->w, "pmin", a->pmin);
    if (a->flags & BW_LWM2M_ATTR_PMAX)
        bw_coap_link_writer_uint(&l->w, "pmax", a->pmax);
    const double vals[] = {a->gt, a->lt, a->st};
    const uint8_t flags[] = {BW_LWM2M_ATTR_GT, BW_LWM2M_ATTR_LT,
                             BW_LWM2M_ATTR_ST};
    for (int i = 0; i < 3; i++) {
        char txt[DEC_MAX];
        size_t n;
        if ((a->flags & flags[i]) && (n = fmt_decimal(vals[i], txt)) > 0)
            bw_coap_link_writer_token(&l->w, num_names[i], txt, n);
    }
}

static void put_version(links_t *l, const bw_lwm2m_object_t *o)
{
    if (o->version != NULL)
        bw_coap_link_writer_token(&l->w, "ver", o->version,
                                  cstrlen(o->version));
}

/* DM Discover of one resource: dim, then its attributes. */
static int disc_res(links_t *l, uint16_t inst, const bw_lwm2m_res_def_t *def,
                    int inherited)
{
    bw_lwm2m__gen_t *g = l->g;
    bw_lwm2m_object_t *o = g->obj;
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(o->id, inst, def->id);
    bw_lwm2m_attr_t eff;

    link_start(l, &p);
    if (def->multiple && o->ops->list_ri != NULL) {
        uint16_t ids[BW_LWM2M_DM_MAX_LIST];
        size_t n = 0;
        int err =
            o->ops->list_ri(o, inst, def->id, ids, BW_LWM2M_DM_MAX_LIST, &n);
        if (err == 0 && n <= BW_COAP_LINK_DIM_MAX)
            bw_coap_link_writer_uint(&l->w, "dim", (uint32_t)n);
    }
    if (inherited) {
        bw_lwm2m__dm_attr_get(g->dm, g->server, &p, &eff);
        put_attrs(l, &eff);
    } else {
        put_attrs(l, bw_lwm2m__dm_attr_at(g->dm, g->server, &p));
    }
    return link_end(l);
}

static int disc_inst(links_t *l, uint16_t inst)
{
    bw_lwm2m__gen_t *g = l->g;
    bw_lwm2m_object_t *o = g->obj;
    bw_lwm2m_path_t p = BW_LWM2M_PATH_INST(o->id, inst);
    link_start(l, &p);
    put_attrs(l, bw_lwm2m__dm_attr_at(g->dm, g->server, &p));
    int err = link_end(l);
    for (uint16_t i = 0; err == 0 && i < o->nres; i++)
        err = disc_res(l, inst, &o->res[i], 0);
    return err;
}

static int discover_dm(links_t *l)
{
    bw_lwm2m__gen_t *g = l->g;
    bw_lwm2m_object_t *o = g->obj;
    uint16_t ids[BW_LWM2M_DM_MAX_LIST];
    size_t n;
    int err;

    if (g->path.depth == BW_LWM2M_DEPTH_RESOURCE)
        return disc_res(l, g->path.id[1], bw_lwm2m_object_res(o, g->path.id[2]),
                        1);
    if (g->path.depth == BW_LWM2M_DEPTH_INSTANCE)
        return disc_inst(l, g->path.id[1]);
    link_start(l, &g->path);
    put_version(l, o);
    put_attrs(l, bw_lwm2m__dm_attr_at(g->dm, g->server, &g->path));
    err = link_end(l);
    if (err == 0)
        err = bw_lwm2m__dm_list(o, ids, &n);
    for (size_t i = 0; err == 0 && i < n; i++)
        if (bw_lwm2m__dm_visible(g->dm, g->iface, g->server, o->id, ids[i]))
            err = disc_inst(l, ids[i]); /* hidden: no Read right */
    return err;
}

/* A resource read for Bootstrap-Discover's uri / ssid; 0 when read. */
static int read_res(bw_lwm2m__gen_t *g, bw_lwm2m_object_t *o, uint16_t inst,
                    uint16_t res, bw_lwm2m_value_t *v)
{
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(o->id, inst, res);
    bw__zero(v, sizeof *v);
    if (o->ops->read == NULL || bw_lwm2m_object_res(o, res) == NULL)
        return BW_ENOTFOUND;
    return o->ops->read(o, &p, v, g->dm->buf, BW_LWM2M_DM_VALUE_MAX);
}

static void bs_inst_attrs(links_t *l, bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_lwm2m_value_t v;
    uint64_t ssid;
    bool bs = false;
    if (o->id == OBJ_SECURITY) {
        if (read_res(l->g, o, inst, 1, &v) == 0)
            (void)bw_lwm2m_value_get_bool(&v, &bs);
        if (!bs && read_res(l->g, o, inst, 10, &v) == 0 &&
            bw_lwm2m_value_get_uint(&v, &ssid) == 0 && ssid <= 65535)
            bw_coap_link_writer_uint(&l->w, "ssid", (uint32_t)ssid);
        if (read_res(l->g, o, inst, 0, &v) == 0 &&
            v.type == BW_LWM2M_TYPE_STRING)
            bw_coap_link_writer_quoted(
                &l->w, "uri", (const char *)v.v.bytes.ptr, v.v.bytes.len);
    } else if (o->id == OBJ_SERVER) {
        if (read_res(l->g, o, inst, 0, &v) == 0 &&
            bw_lwm2m_value_get_uint(&v, &ssid) == 0 && ssid <= 65535)
            bw_coap_link_writer_uint(&l->w, "ssid", (uint32_t)ssid);
    }
}

static int bs_object(links_t *l, bw_lwm2m_object_t *o)
{
    uint16_t ids[BW_LWM2M_DM_MAX_LIST];
    size_t n;
    int err = bw_lwm2m__dm_list(o, ids, &n);
    l->g->obj = o;
    if (err == 0 && (n == 0 || o->version != NULL)) {
        bw_lwm2m_path_t p = BW_LWM2M_PATH_OBJ(o->id);
        link_start(l, &p);
        put_version(l, o);
        err = link_end(l);
    }
    for (size_t i = 0; err == 0 && i < n; i++) {
        bw_lwm2m_path_t p = BW_LWM2M_PATH_INST(o->id, ids[i]);
        link_start(l, &p);
        bs_inst_attrs(l, o, ids[i]);
        err = link_end(l);
    }
    return err;
}

static int discover_bs(links_t *l)
{
    bw_lwm2m__gen_t *g = l->g;
    bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    int err;

    link_start(l, &root);
    bw_coap_link_writer_token(&l->w, "lwm2m", "1.1", 3);
    err = link_end(l);
    if (g->path.depth == BW_LWM2M_DEPTH_OBJECT)
        return err == 0 ? bs_object(l, g->obj) : err;
    for (size_t i = 0; err == 0 && i < g->dm->nobjects; i++)
        err = bs_object(l, g->dm->objects[i]);
    return err;
}

int bw_lwm2m__produce_discover(bw_lwm2m__gen_t *g)
{
    links_t l;
    bw_lwm2m_object_t *obj = g->obj;
    l.g = g;
    l.chunk = (char *)(g->dm->buf + BW_LWM2M_DM_VALUE_MAX);
    l.chunk_cap = BW_LWM2M_DM_CHUNK_MAX;
    int err = g->iface == BW_LWM2M_IFACE_BOOTSTRAP ? discover_bs(&l)
                                                   : discover_dm(&l);
    g->obj = obj; /* bs_object() walked it through every object */
    return err;
}

const bw_lwm2m_feature_t bw_lwm2m_feature_discover = {
    .handle = bw_lwm2m__dm_discover,
};
