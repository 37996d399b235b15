/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The payload of a Create from the API's body, and the check that a
 * body holds only the members a route understands (api_dm.h).
 *
 * LwM2M SenML names are full paths (bn + n, LwM2M 1.1 Core "SenML JSON"),
 * and a Create takes the instance id from them (Core, "Create"): so the
 * instance a request names is known before it is sent (what a queued
 * Create stores as its location; an answered one reports the device's
 * Location-Path), and "instance" only saves the caller from writing it
 * into every name.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_dm.h"
#include "bulwark/error.h"

#define OBJECT_MAX 65534 /* 65535 is reserved, as for instances */

/* Free what json_dumps allocated, with jansson's allocator (the API
 * replaces it, api_http.c). */
static void json_free(void *p)
{
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    if (p != NULL)
        f(p);
}

static int fail(bw_api_dm_fault_t *f, const char *field, const char *why,
                int err)
{
    *f = (bw_api_dm_fault_t){field, why};
    return err;
}

/* "/" then a decimal 0..max with no sign and no leading zero but "0"
 * itself; *end gets the byte after the digits.  -1 when there is none. */
static long id_at(const char *s, long max, const char **end)
{
    if (s[0] != '/' || s[1] < '0' || s[1] > '9' ||
        (s[1] == '0' && s[2] >= '0' && s[2] <= '9'))
        return -1;
    long v = 0;
    s++;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (*s - '0');
        if (v > max)
            return -1;
    }
    *end = s;
    return v;
}

/* "/O/I" into location when the first record's name names an instance
 * of the object at path ("/O"). */
static void location_of(const char *path, const json_t *first, char *location,
                        size_t loc_cap)
{
    const char *bn = json_string_value(json_object_get(first, "bn"));
    const char *n = json_string_value(json_object_get(first, "n"));
    char name[160];
    int w = snprintf(name, sizeof name, "%s%s", bn != NULL ? bn : "",
                     n != NULL ? n : "");
    size_t pl = strlen(path);
    if (w < 0 || (size_t)w >= sizeof name || strncmp(name, path, pl) != 0)
        return;
    const char *end;
    long inst = id_at(name + pl, BW_API_DM_INSTANCE_MAX, &end);
    if (inst < 0 || (*end != '/' && *end != '\0'))
        return;
    int lw = snprintf(location, loc_cap, "%s/%ld", path, inst);
    if (lw < 0 || (size_t)lw >= loc_cap)
        location[0] = '\0';
}

int bw_api_dm_create_payload(const char *path, const json_t *value,
                             const json_t *instance, char *out, size_t cap,
                             size_t *len, char *location, size_t loc_cap,
                             bw_api_dm_fault_t *fault)
{
    if (len != NULL)
        *len = 0;
    if (location != NULL && loc_cap > 0)
        location[0] = '\0';
    if (fault != NULL)
        *fault = (bw_api_dm_fault_t){NULL, NULL};
    if (path == NULL || out == NULL || len == NULL || location == NULL ||
        loc_cap == 0 || fault == NULL)
        return BW_EINVAL;
    const char *end;
    if (id_at(path, OBJECT_MAX, &end) < 0 || *end != '\0')
        return fail(fault, "path",
                    "a Create names an object, such as \"/3303\"", BW_EPATH);
    if (value == NULL)
        return fail(fault, "value",
                    "is required: an array of SenML JSON records (may be [])",
                    BW_ENOTFOUND);
    static const char not_records[] =
        "must be an array of SenML JSON records (objects)";
    if (!json_is_array(value))
        return fail(fault, "value", not_records, BW_ETYPE);
    size_t i;
    const json_t *rec;
    json_array_foreach(value, i, rec)
    {
        if (!json_is_object(rec))
            return fail(fault, "value", not_records, BW_ETYPE);
        if (instance != NULL && json_object_get(rec, "bn") != NULL)
            return fail(fault, "value",
                        "records carry no \"bn\" when instance is given: "
                        "their names are relative to the instance",
                        BW_EDUPKEY);
    }
    json_int_t inst = 0;
    if (instance != NULL) {
        if (!json_is_integer(instance))
            return fail(fault, "instance", "must be an integer 0..65534",
                        BW_ETYPE);
        inst = json_integer_value(instance);
        if (inst < 0 || inst > BW_API_DM_INSTANCE_MAX)
            return fail(fault, "instance", "must be an integer 0..65534",
                        BW_ERANGE);
        if (json_array_size(value) == 0)
            return fail(fault, "value",
                        "needs a record when instance is given (or give no "
                        "instance and [] for the device to pick one)",
                        BW_ENOTFOUND);
    }
    /* With an instance: a copy whose first record opens with the bn. */
    json_t *sent = NULL;
    if (instance != NULL) {
        char bn[32];
        snprintf(bn, sizeof bn, "%s/%lld/", path, (long long)inst);
        json_t *first = json_pack("{s:s}", "bn", bn);
        sent = json_copy((json_t *)(uintptr_t)value);
        if (first == NULL || sent == NULL ||
            json_object_update(first, json_array_get(value, 0)) != 0 ||
            json_array_set_new(sent, 0, first) != 0) {
            json_decref(sent);
            return fail(fault, NULL, "out of memory", BW_ENOMEM);
        }
    }
    const json_t *v = sent != NULL ? sent : value;
    char *text = json_dumps(v, JSON_COMPACT);
    int err = 0;
    if (text == NULL) {
        err = fail(fault, NULL, "out of memory", BW_ENOMEM);
    } else if (strlen(text) > cap) {
        err = fail(fault, "value", "too large for one CoAP message", BW_ENOSPC);
    } else {
        *len = strlen(text);
        memcpy(out, text, *len);
        if (json_array_size(v) > 0)
            location_of(path, json_array_get(v, 0), location, loc_cap);
    }
    json_free(text);
    json_decref(sent);
    return err;
}

int bw_api_dm_members(const json_t *body, const char *const *allowed,
                      bw_api_dm_fault_t *fault)
{
    if (fault != NULL)
        *fault = (bw_api_dm_fault_t){NULL, NULL};
    if (!json_is_object(body) || allowed == NULL || fault == NULL)
        return BW_EINVAL;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)(uintptr_t)body, key, v)
    {
        (void)v;
        size_t i = 0;
        while (allowed[i] != NULL && strcmp(allowed[i], key) != 0)
            i++;
        if (allowed[i] == NULL)
            return fail(fault, key, "not a member of this request",
                        BW_EUNSUPPORTED);
    }
    return 0;
}
