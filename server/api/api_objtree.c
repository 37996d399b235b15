/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Object links into an object tree (api_objtree.h).  The link-format
 * grammar is lib/coap's (bw_coap_link_parse validates the whole text
 * before the first link is seen); this file reads targets and ver= of
 * each link into a table of (object, instance) pairs, sorts it and
 * writes one JSON object per object id.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_objtree.h"
#include "bulwark/coap_link.h"
#include "bulwark/error.h"

/* The alternate path is one segment; the LwM2M server's bound
 * (BW_LWSRV_ALT_PATH_MAX). */
#define ALT_MAX 32
/* Instance id of an object link ("</3>"): sorts before every instance. */
#define NO_INSTANCE (-1)

typedef struct {
    uint16_t oid;
    int32_t iid;  /* NO_INSTANCE for an object link */
    uint16_t seq; /* position in the text: "first ver=" after sorting */
    uint8_t has_ver, ver_major, ver_minor;
} pair_t;

typedef struct {
    pair_t *pairs;
    size_t n;
    char alt[ALT_MAX + 1];
    size_t alt_len;
    int seen_root;
} tree_ctx_t;

/* A decimal id 0..BW_API_OBJTREE_ID_MAX, no leading zero. */
static int id_of(const char *s, size_t len, uint16_t *id)
{
    if (len == 0 || len > 5 || (s[0] == '0' && len > 1))
        return BW_EMALFORMED;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return BW_EMALFORMED;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (v > BW_API_OBJTREE_ID_MAX)
        return BW_EMALFORMED;
    *id = (uint16_t)v;
    return 0;
}

/* Is this the alternate-path link (rt="oma.lwm2m")? */
static int is_root(const bw_coap_link_t *link)
{
    bw_coap_link_attr_t a;
    return bw_coap_link_find(link, "rt", &a) == 0 && a.value != NULL &&
           !a.escaped && a.value_len == 9 &&
           memcmp(a.value, "oma.lwm2m", 9) == 0;
}

static int on_link(void *arg, const bw_coap_link_t *link)
{
    tree_ctx_t *x = arg;
    const char *t = link->target;
    size_t n = link->target_len;
    if (n == 0 || t[0] != '/')
        return BW_EMALFORMED;
    if (is_root(link)) {
        /* "/" or "/seg", the first link, once. */
        if (x->seen_root || link->index != 0 || n - 1 > ALT_MAX ||
            memchr(t + 1, '/', n - 1) != NULL)
            return BW_EMALFORMED;
        memcpy(x->alt, t + 1, n - 1);
        x->alt_len = n - 1;
        x->seen_root = 1;
        return 0;
    }
    if (x->n == BW_API_OBJTREE_LINKS_MAX)
        return BW_EOVERFLOW;
    if (x->alt_len > 0) { /* "/alt/..." */
        if (n < x->alt_len + 2 || memcmp(t + 1, x->alt, x->alt_len) != 0 ||
            t[x->alt_len + 1] != '/')
            return BW_EMALFORMED;
        t += x->alt_len + 1;
        n -= x->alt_len + 1;
    }
    pair_t *p = &x->pairs[x->n];
    memset(p, 0, sizeof *p);
    const char *s = t + 1, *end = t + n;
    const char *slash = memchr(s, '/', (size_t)(end - s));
    uint16_t iid = 0;
    if (slash == NULL) {
        if (id_of(s, (size_t)(end - s), &p->oid) != 0)
            return BW_EMALFORMED;
        p->iid = NO_INSTANCE;
    } else {
        if (id_of(s, (size_t)(slash - s), &p->oid) != 0 ||
            id_of(slash + 1, (size_t)(end - slash - 1), &iid) != 0)
            return BW_EMALFORMED;
        p->iid = iid;
    }
    bw_coap_link_attr_t a;
    if (bw_coap_link_find(link, "ver", &a) == 0) {
        if (bw_coap_link_attr_version(&a, &p->ver_major, &p->ver_minor) != 0)
            return BW_EMALFORMED;
        p->has_ver = 1;
    }
    p->seq = (uint16_t)x->n;
    x->n++;
    return 0;
}

static int pair_cmp(const void *a, const void *b)
{
    const pair_t *x = a, *y = b;
    if (x->oid != y->oid)
        return x->oid < y->oid ? -1 : 1;
    if (x->iid != y->iid)
        return x->iid < y->iid ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The objects of pairs[0..n) (sorted) as JSON. */
static json_t *tree_of(const pair_t *pairs, size_t n)
{
    json_t *out = json_array();
    size_t i = 0;
    while (out != NULL && i < n) {
        size_t j = i;
        const pair_t *ver = NULL;
        json_t *inst = json_array();
        json_t *obj = json_object();
        int bad = inst == NULL || obj == NULL;
        for (; j < n && pairs[j].oid == pairs[i].oid; j++) {
            if (pairs[j].has_ver && (ver == NULL || pairs[j].seq < ver->seq))
                ver = &pairs[j];
            if (pairs[j].iid != NO_INSTANCE &&
                (j == i || pairs[j].iid != pairs[j - 1].iid))
                bad |= json_array_append_new(inst,
                                             json_integer(pairs[j].iid)) != 0;
        }
        bad |= json_object_set_new(obj, "id", json_integer(pairs[i].oid));
        if (ver != NULL) {
            char v[8];
            snprintf(v, sizeof v, "%u.%u", ver->ver_major, ver->ver_minor);
            bad |= json_object_set_new(obj, "version", json_string(v));
        }
        bad |= json_object_set(obj, "instances", inst);
        bad |= json_array_append(out, obj);
        json_decref(inst);
        json_decref(obj);
        if (bad) {
            json_decref(out);
            return NULL;
        }
        i = j;
    }
    return out;
}

int bw_api_objtree_json(const char *links, size_t len, json_t **out)
{
    if (out != NULL)
        *out = NULL;
    if (out == NULL || (links == NULL && len > 0))
        return BW_EINVAL;
    tree_ctx_t x;
    memset(&x, 0, sizeof x);
    x.pairs = malloc(BW_API_OBJTREE_LINKS_MAX * sizeof *x.pairs);
    if (x.pairs == NULL)
        return BW_ENOMEM;
    int err = bw_coap_link_parse(links, len, on_link, &x);
    if (err == 0) {
        qsort(x.pairs, x.n, sizeof *x.pairs, pair_cmp);
        *out = tree_of(x.pairs, x.n);
        if (*out == NULL)
            err = BW_ENOMEM;
    }
    free(x.pairs);
    return err;
}
