/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registration-interface requests: classify, then validate (contracts in
 * lwm2m_reg.h).
 */
#include <string.h>

#include "bulwark/coap_link.h"
#include "lwm2m_reg.h"

/* Content-Format of link-format (RFC 6690). */
#define CT_LINK_FORMAT 40
/* Longest Uri-Path or Uri-Query option looked at. */
#define SEG_MAX 255

static int seg_is(const bw_coap_opt_t *o, const char *s)
{
    size_t n = strlen(s);
    return o->len == n && memcmp(o->value, s, n) == 0;
}

/* Uri-Path segments: up to 3 kept; *n is the total count. */
static void path_of(const bw_coap_msg_t *req, bw_coap_opt_t seg[3], size_t *n)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    *n = 0;
    bw_coap_opt_iter_init(&it, req);
    while (bw_coap_opt_next(&it, &o) == 1) {
        if (o.number != BW_COAP_OPT_URI_PATH)
            continue;
        if (*n < 3)
            seg[*n] = o;
        (*n)++;
    }
}

bw_lwsrv_req_t bw_lwsrv_classify(const bw_coap_msg_t *req)
{
    bw_coap_opt_t seg[3];
    size_t n;
    if (req == NULL)
        return BW_LWSRV_REQ_OTHER;
    path_of(req, seg, &n);
    if (n == 1 && req->code == BW_COAP_POST && seg_is(&seg[0], "rd"))
        return BW_LWSRV_REQ_REGISTER;
    if (n == 2 && seg_is(&seg[0], "rd")) {
        if (req->code == BW_COAP_POST)
            return BW_LWSRV_REQ_UPDATE;
        if (req->code == BW_COAP_DELETE)
            return BW_LWSRV_REQ_DEREGISTER;
    }
    if (n == 1 && req->code == BW_COAP_POST && seg_is(&seg[0], "bs"))
        return BW_LWSRV_REQ_BOOTSTRAP;
    if (n == 1 && req->code == BW_COAP_POST && seg_is(&seg[0], "dp"))
        return BW_LWSRV_REQ_SEND;
    return BW_LWSRV_REQ_OTHER;
}

int bw_lwsrv_ep_valid(const char *name, size_t len)
{
    if (name == NULL || len == 0 || len > BW_LWSRV_EP_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || strchr("-._:@~+", c) != NULL;
        if (!ok || c == '\0')
            return 0;
    }
    return 1;
}

/* Decimal 1..max with no sign, no leading zero; 0 on success. */
static int parse_u32(const uint8_t *s, size_t len, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 10 || (s[0] == '0' && len > 1))
        return BW_EMALFORMED;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return BW_EMALFORMED;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v == 0 || v > max)
        return BW_ERANGE;
    *out = (uint32_t)v;
    return 0;
}

typedef struct {
    bw_lwsrv_reg_t *out;
    const char *why;
    int seen_root;
} links_ctx_t;

/* "/65534" style decimal id of a path segment. */
static int path_id(const char *s, size_t len, uint16_t *id)
{
    uint32_t v = 0;
    if (len == 0 || len > 5 || (s[0] == '0' && len > 1))
        return BW_EMALFORMED;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return BW_EMALFORMED;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (v > 65534)
        return BW_EMALFORMED;
    *id = (uint16_t)v;
    return 0;
}

static int link_cb(void *arg, const bw_coap_link_t *link)
{
    links_ctx_t *x = arg;
    bw_lwsrv_reg_t *out = x->out;
    const char *t = link->target;
    size_t n = link->target_len;
    bw_coap_link_attr_iter_t it;
    bw_coap_link_attr_t a;
    int is_root = 0;

    if (++out->nlinks > BW_LWSRV_MAX_OBJLINKS) {
        x->why = "too many object links";
        return BW_EMALFORMED;
    }
    bw_coap_link_attr_iter_init(&it, link);
    while (bw_coap_link_attr_next(&it, &a) == 1) {
        if (bw_coap_link_attr_is(&a, "rt")) {
            if (a.value_len != 9 || memcmp(a.value, "oma.lwm2m", 9) != 0) {
                x->why = "rt other than \"oma.lwm2m\"";
                return BW_EMALFORMED;
            }
            is_root = 1;
        } else if (!bw_coap_link_attr_is(&a, "ver") &&
                   !bw_coap_link_attr_is(&a, "ct")) {
            x->why = "object link attribute other than ver, ct, rt";
            return BW_EMALFORMED;
        }
    }
    if (n == 0 || t[0] != '/') {
        x->why = "object link target not an absolute path";
        return BW_EMALFORMED;
    }
    if (is_root) {
        /* The alternate path: "/" or one segment; comes first. */
        if (x->seen_root || link->index != 0 || n - 1 > BW_LWSRV_ALT_PATH_MAX ||
            memchr(t + 1, '/', n - 1) != NULL) {
            x->why = "bad alternate path link";
            return BW_EMALFORMED;
        }
        memcpy(out->alt_path, t + 1, n - 1);
        out->alt_path[n - 1] = '\0';
        x->seen_root = 1;
        return 0;
    }
    /* Strip the alternate root, then "/o" or "/o/i". */
    size_t alt = strlen(out->alt_path);
    if (alt > 0) {
        if (n < alt + 2 || memcmp(t + 1, out->alt_path, alt) != 0 ||
            t[alt + 1] != '/') {
            x->why = "object link outside the alternate path";
            return BW_EMALFORMED;
        }
        t += alt + 1;
        n -= alt + 1;
    }
    const char *p = t + 1, *end = t + n;
    const char *slash = memchr(p, '/', (size_t)(end - p));
    uint16_t oid, iid;
    if (slash == NULL) {
        if (path_id(p, (size_t)(end - p), &oid) != 0) {
            x->why = "object link is not </object> or </object/instance>";
            return BW_EMALFORMED;
        }
    } else if (path_id(p, (size_t)(slash - p), &oid) != 0 ||
               path_id(slash + 1, (size_t)(end - slash - 1), &iid) != 0) {
        x->why = "object link is not </object> or </object/instance>";
        return BW_EMALFORMED;
    }
    return 0;
}

static int parse_links(const bw_coap_msg_t *req, bw_lwsrv_reg_t *out,
                       const char **why)
{
    uint32_t ct = 0;
    int err = bw_coap_msg_uint(req, BW_COAP_OPT_CONTENT_FORMAT, &ct);
    if (err == 0 && ct != CT_LINK_FORMAT) {
        *why = "payload is not application/link-format";
        return BW_EFORMAT;
    }
    if (err != 0 && err != BW_ENOTFOUND) {
        *why = "bad Content-Format option";
        return BW_EMALFORMED;
    }
    links_ctx_t x = {.out = out, .why = NULL, .seen_root = 0};
    err = bw_coap_link_parse((const char *)req->payload, req->payload_len,
                             link_cb, &x);
    if (err != 0) {
        *why = x.why != NULL ? x.why : "object links are not valid link-format";
        return BW_EMALFORMED;
    }
    out->links = (const char *)req->payload;
    out->links_len = req->payload_len;
    return 0;
}

/* One Uri-Query option: name and value (value NULL for a bare name). */
static int query_param(bw_coap_opt_t *o, const char **name, size_t *nlen,
                       const uint8_t **val, size_t *vlen)
{
    const uint8_t *eq = memchr(o->value, '=', o->len);
    *name = (const char *)o->value;
    *nlen = eq != NULL ? (size_t)(eq - o->value) : o->len;
    *val = eq != NULL ? eq + 1 : NULL;
    *vlen = eq != NULL ? o->len - *nlen - 1 : 0;
    return *nlen > 0 ? 0 : BW_EMALFORMED;
}

static int name_is(const char *name, size_t len, const char *s)
{
    return strlen(s) == len && memcmp(name, s, len) == 0;
}

enum { SEEN_EP = 1, SEEN_LT = 2, SEEN_LWM2M = 4, SEEN_B = 8, SEEN_Q = 16 };

static int parse_query(const bw_coap_msg_t *req, bw_lwsrv_req_t kind,
                       bw_lwsrv_reg_t *out, const char **why)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    unsigned seen = 0;
    bw_coap_opt_iter_init(&it, req);
    while (bw_coap_opt_next(&it, &o) == 1) {
        if (o.number != BW_COAP_OPT_URI_QUERY)
            continue;
        const char *name;
        const uint8_t *val;
        size_t nlen, vlen;
        unsigned bit = 0;
        if (query_param(&o, &name, &nlen, &val, &vlen) != 0) {
            *why = "empty query parameter name";
            return BW_EMALFORMED;
        }
        if (name_is(name, nlen, "ep"))
            bit = SEEN_EP;
        else if (name_is(name, nlen, "lt"))
            bit = SEEN_LT;
        else if (name_is(name, nlen, "lwm2m"))
            bit = SEEN_LWM2M;
        else if (name_is(name, nlen, "b"))
            bit = SEEN_B;
        else if (name_is(name, nlen, "Q"))
            bit = SEEN_Q;
        else
            continue; /* unknown parameters are ignored (Core 6.2.1) */
        if (seen & bit) {
            *why = "query parameter given twice";
            return BW_EMALFORMED;
        }
        seen |= bit;
        if (bit == SEEN_Q) {
            if (val != NULL) {
                *why = "Q takes no value";
                return BW_EMALFORMED;
            }
            out->queue = 1;
            continue;
        }
        if (val == NULL) {
            *why = "query parameter without a value";
            return BW_EMALFORMED;
        }
        if (bit == SEEN_EP) {
            if (!bw_lwsrv_ep_valid((const char *)val, vlen)) {
                *why = "endpoint name empty, too long or with a forbidden "
                       "character";
                return BW_EMALFORMED;
            }
            memcpy(out->ep, val, vlen);
            out->ep[vlen] = '\0';
        } else if (bit == SEEN_LT) {
            int err = parse_u32(val, vlen, BW_LWSRV_LT_MAX, &out->lifetime);
            if (err != 0) {
                *why = err == BW_ERANGE ? "lifetime out of range"
                                        : "lifetime is not a number";
                return err;
            }
            out->has_lifetime = 1;
        } else if (bit == SEEN_LWM2M) {
            if (vlen != 3 || val[0] != '1' || val[1] != '.' ||
                (val[2] != '0' && val[2] != '1')) {
                *why = "unsupported LwM2M version";
                return BW_EVERSION;
            }
            out->version_minor = (uint8_t)(val[2] - '0');
        } else if (bit == SEEN_B) {
            /* 1.1: "U" (queue mode is the Q parameter); 1.0: "U", "UQ". */
            if (vlen == 1 && val[0] == 'U') {
                memcpy(out->binding, "U", 2);
            } else if (vlen == 2 && val[0] == 'U' && val[1] == 'Q') {
                memcpy(out->binding, "U", 2);
                out->queue = 1;
            } else {
                *why = "unsupported binding (UDP only)";
                return BW_EMALFORMED;
            }
            out->has_binding = 1;
        }
    }
    if (kind == BW_LWSRV_REQ_REGISTER || kind == BW_LWSRV_REQ_BOOTSTRAP) {
        if (!(seen & SEEN_EP)) {
            *why = "no endpoint name (ep)";
            return BW_EMALFORMED;
        }
    } else if (seen & (SEEN_EP | SEEN_LWM2M)) {
        *why = "ep and lwm2m belong to Register only";
        return BW_EMALFORMED;
    }
    if (kind == BW_LWSRV_REQ_REGISTER && !(seen & SEEN_LWM2M))
        out->version_minor = 0; /* absent: 1.0 (Core 6.2.1, table 6.2.1-1) */
    if (kind == BW_LWSRV_REQ_REGISTER && !out->has_lifetime)
        out->lifetime = BW_LWSRV_LT_DEFAULT;
    if (kind == BW_LWSRV_REQ_REGISTER && !out->has_binding)
        memcpy(out->binding, "U", 2);
    return 0;
}

static int parse_location(const bw_coap_msg_t *req, bw_lwsrv_reg_t *out,
                          const char **why)
{
    bw_coap_opt_t seg[3];
    size_t n;
    path_of(req, seg, &n);
    if (n != 2 || seg[1].len != BW_LWSRV_LOC_LEN) {
        *why = "unknown registration location";
        return BW_EMALFORMED;
    }
    for (size_t i = 0; i < BW_LWSRV_LOC_LEN; i++) {
        uint8_t c = seg[1].value[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            *why = "unknown registration location";
            return BW_EMALFORMED;
        }
    }
    memcpy(out->location, seg[1].value, BW_LWSRV_LOC_LEN);
    out->location[BW_LWSRV_LOC_LEN] = '\0';
    return 0;
}

int bw_lwsrv_reg_parse(const bw_coap_msg_t *req, bw_lwsrv_req_t kind,
                       bw_lwsrv_reg_t *out, const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    *why = NULL;
    if (out == NULL)
        return BW_EINVAL;
    memset(out, 0, sizeof *out);
    if (req == NULL || kind == BW_LWSRV_REQ_OTHER ||
        kind == BW_LWSRV_REQ_SEND) {
        *why = "not a registration request";
        return BW_EINVAL;
    }
    int err = parse_query(req, kind, out, why);
    if (err == 0 &&
        (kind == BW_LWSRV_REQ_UPDATE || kind == BW_LWSRV_REQ_DEREGISTER))
        err = parse_location(req, out, why);
    if (err == 0 && req->payload_len > 0) {
        if (kind == BW_LWSRV_REQ_REGISTER || kind == BW_LWSRV_REQ_UPDATE) {
            err = parse_links(req, out, why);
        } else {
            *why = "unexpected payload";
            err = BW_EMALFORMED;
        }
    }
    if (err == 0 && kind == BW_LWSRV_REQ_REGISTER && out->links == NULL) {
        *why = "Register without object links";
        err = BW_EMALFORMED;
    }
    if (err != 0)
        memset(out, 0, sizeof *out);
    return err;
}
