/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A Discover answer (RFC 6690 link format, bytes from the device) as the
 * API's JSON (api_dm.h).  lib/coap's parser validates the whole payload
 * first and hands out views into it; this file only types the values.
 */
#include <stdlib.h>
#include <string.h>

#include "api_dm.h"
#include "bulwark/coap_link.h"
#include "bulwark/error.h"

typedef struct {
    json_t *arr;
    char *scratch; /* a value with its escapes resolved: never longer */
    size_t scratch_cap;
} links_ctx_t;

/* Attributes whose values are integers, and decimal numbers. */
static const char *const uint_names[] = {"dim",   "pmin", "pmax", "epmin",
                                         "epmax", "ssid", "ct"};
static const char *const dec_names[] = {"gt", "lt", "st"};

static int is_one_of(const bw_coap_link_attr_t *at, const char *const *names,
                     size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (bw_coap_link_attr_is(at, names[i]))
            return 1;
    return 0;
}

/* The JSON value of one attribute, NULL when out of memory. */
static json_t *attr_value(links_ctx_t *c, const bw_coap_link_attr_t *at)
{
    if (at->kind == BW_COAP_LINK_BARE)
        return json_true();
    if (is_one_of(at, uint_names, sizeof uint_names / sizeof uint_names[0])) {
        uint32_t u;
        if (bw_coap_link_attr_uint(at, UINT32_MAX, &u) == 0)
            return json_integer((json_int_t)u);
    } else if (is_one_of(at, dec_names,
                         sizeof dec_names / sizeof dec_names[0])) {
        double d;
        if (bw_coap_link_attr_decimal(at, &d) == 0)
            return json_real(d);
    }
    size_t n = 0;
    if (bw_coap_link_attr_copy(at, c->scratch, c->scratch_cap, &n) != 0)
        return NULL; /* cannot happen: the scratch is as long as the input */
    return json_stringn(c->scratch, n);
}

static int on_link(void *arg, const bw_coap_link_t *link)
{
    links_ctx_t *c = arg;
    if (json_array_size(c->arr) >= BW_API_DM_LINKS_MAX ||
        link->attr_count > BW_API_DM_LINK_ATTRS_MAX)
        return BW_EOVERFLOW;
    json_t *attrs = json_object();
    json_t *o = json_pack("{s:s%, s:o}", "path", link->target, link->target_len,
                          "attributes", attrs);
    if (o == NULL)
        return BW_ENOMEM;
    bw_coap_link_attr_iter_t it;
    bw_coap_link_attr_t at;
    char name[64];
    bw_coap_link_attr_iter_init(&it, link);
    while (bw_coap_link_attr_next(&it, &at)) {
        /* Parameter names are short tokens; a longer one is kept cut. */
        size_t nl = at.name_len < sizeof name ? at.name_len : sizeof name - 1;
        memcpy(name, at.name, nl);
        name[nl] = '\0';
        if (json_object_get(attrs, name) != NULL)
            continue; /* the first value counts */
        json_t *v = attr_value(c, &at);
        if (v == NULL || json_object_set_new(attrs, name, v) != 0) {
            json_decref(o);
            return BW_ENOMEM;
        }
    }
    if (json_array_append_new(c->arr, o) != 0)
        return BW_ENOMEM;
    return 0;
}

int bw_api_dm_links_json(const char *buf, size_t len, json_t **out)
{
    if (out != NULL)
        *out = NULL;
    if (out == NULL || (buf == NULL && len > 0))
        return BW_EINVAL;
    links_ctx_t c = {json_array(), malloc(len + 1), len + 1};
    if (c.arr == NULL || c.scratch == NULL) {
        json_decref(c.arr);
        free(c.scratch);
        return BW_ENOMEM;
    }
    int err = bw_coap_link_parse(buf, len, on_link, &c);
    free(c.scratch);
    if (err != 0) {
        json_decref(c.arr);
        return err;
    }
    *out = c.arr;
    return 0;
}
