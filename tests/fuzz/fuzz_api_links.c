/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A Discover answer from a device into the API's JSON
 * (bw_api_dm_links_json, server/api/api_dm.h): any bytes of any length.
 * Must hold: no crash and no read past the input; the result is 0 or one
 * of the codes the contract lists; on 0 an array of at most
 * BW_API_DM_LINKS_MAX objects, each with a string path found in the
 * input and an attributes object of at most BW_API_DM_LINK_ATTRS_MAX
 * members, that serializes to JSON; on failure no array.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_dm.h"
#include "bulwark/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so ASan sees any read past it. */
    char *text = malloc(size != 0 ? size : 1);
    if (text == NULL)
        return 0;
    if (size != 0)
        memcpy(text, data, size);
    json_t *out = (json_t *)1;
    int err = bw_api_dm_links_json(text, size, &out);
    if (err == 0) {
        if (!json_is_array(out) || json_array_size(out) > BW_API_DM_LINKS_MAX)
            abort();
        size_t i;
        json_t *l;
        json_array_foreach(out, i, l)
        {
            const char *p = json_string_value(json_object_get(l, "path"));
            const json_t *at = json_object_get(l, "attributes");
            if (p == NULL || !json_is_object(at) ||
                json_object_size(at) > BW_API_DM_LINK_ATTRS_MAX)
                abort();
            if (*p != '\0' && memmem(text, size, p, strlen(p)) == NULL)
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
