/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Object links into the object tree (bw_api_objtree_json,
 * server/api/api_objtree.h): any bytes of any length.
 * Must hold: no crash and no read past the input; the result is 0 or one
 * of the codes the contract lists; on 0 an array of at most
 * BW_API_OBJTREE_LINKS_MAX objects with ids strictly ascending, each
 * with its instance ids strictly ascending and within 0..65534, each id
 * written in the input, that serializes to JSON; on failure no array.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_objtree.h"
#include "bulwark/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Ids strictly ascending, each 0..max; 0 when not. */
static int ascending(const json_t *ids, const char *key)
{
    json_int_t prev = -1;
    size_t i;
    const json_t *v;
    json_array_foreach(ids, i, v)
    {
        const json_t *id = key != NULL ? json_object_get(v, key) : v;
        if (!json_is_integer(id) || json_integer_value(id) <= prev ||
            json_integer_value(id) > BW_API_OBJTREE_ID_MAX)
            return 0;
        prev = json_integer_value(id);
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so ASan sees any read past it. */
    char *text = malloc(size != 0 ? size : 1);
    if (text == NULL)
        return 0;
    if (size != 0)
        memcpy(text, data, size);
    json_t *out = (json_t *)1;
    int err = bw_api_objtree_json(text, size, &out);
    if (err == 0) {
        if (!json_is_array(out) ||
            json_array_size(out) > BW_API_OBJTREE_LINKS_MAX ||
            !ascending(out, "id"))
            abort();
        size_t i;
        json_t *o;
        json_array_foreach(out, i, o)
        {
            const json_t *inst = json_object_get(o, "instances");
            if (!json_is_array(inst) || !ascending(inst, NULL))
                abort();
            char id[8];
            snprintf(id, sizeof id, "/%lld",
                     (long long)json_integer_value(json_object_get(o, "id")));
            if (memmem(text, size, id, strlen(id)) == NULL)
                abort();
        }
        char *s = json_dumps(out, JSON_COMPACT);
        if (s == NULL)
            abort();
        free(s);
        json_decref(out);
    } else if (err != BW_ETRUNC && err != BW_EMALFORMED && err != BW_EUTF8 &&
               err != BW_EOVERFLOW && err != BW_ENOMEM) {
        abort();
    } else if (out != NULL) {
        abort();
    }
    free(text);
    return 0;
}
