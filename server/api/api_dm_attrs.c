/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Uri-Query of a Write-Attributes from the API's body (api_dm.h), and
 * the plain decimals it writes gt, lt and st with: the device reads
 * ["-"] digits ["." digits], no exponent, at most 18 digits
 * (bw_coap_link_attr_decimal), so nothing else may be sent.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_dm.h"
#include "bulwark/error.h"

/* 1e18: the first number with 19 digits before the point. */
#define DECIMAL_LIMIT 1e18

typedef enum { SECONDS, DECIMAL, DECIMAL_NONNEG } kind_t;

/* In the order they are written. */
static const struct {
    const char *name;
    kind_t kind;
} attrs[] = {
    {"pmin", SECONDS},  {"pmax", SECONDS},      {"gt", DECIMAL},
    {"lt", DECIMAL},    {"st", DECIMAL_NONNEG}, {"epmin", SECONDS},
    {"epmax", SECONDS},
};

static size_t digits_in(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += *s >= '0' && *s <= '9';
    return n;
}

int bw_api_dm_decimal(double x, char *out, size_t cap)
{
    if (out == NULL)
        return BW_EINVAL;
    if (cap > 0)
        out[0] = '\0';
    if (!isfinite(x) || fabs(x) >= DECIMAL_LIMIT)
        return BW_ERANGE;
    /* Fewest decimals that read back as x: 1 + 18 + 1 + 17 + NUL fit. */
    char s[48];
    for (int d = 0; d <= BW_API_DM_DECIMAL_DIGITS - 1; d++) {
        snprintf(s, sizeof s, "%.*f", d, x);
        if (strtod(s, NULL) != x)
            continue;
        if (digits_in(s) > BW_API_DM_DECIMAL_DIGITS)
            return BW_ERANGE;
        size_t n = strlen(s);
        if (n >= cap)
            return BW_ENOSPC;
        memcpy(out, s, n + 1);
        return 0;
    }
    return BW_ERANGE;
}

/* One member's "name=value" (or the bare name for null) into text. */
static int one(const char *name, kind_t kind, const json_t *v, char *text,
               size_t cap, const char **why)
{
    if (json_is_null(v)) {
        snprintf(text, cap, "%s", name);
        return 0;
    }
    if (kind == SECONDS) {
        *why = "must be an integer number of seconds 0..4294967295, or null";
        if (!json_is_integer(v))
            return BW_ETYPE;
        json_int_t i = json_integer_value(v);
        if (i < 0 || i > BW_API_DM_SECONDS_MAX)
            return BW_ERANGE;
        snprintf(text, cap, "%s=%lld", name, (long long)i);
        return 0;
    }
    *why = kind == DECIMAL_NONNEG
               ? "must be a number 0 or above, of at most 18 digits without "
                 "an exponent, or null"
               : "must be a number of at most 18 digits without an "
                 "exponent, or null";
    if (!json_is_number(v))
        return BW_ETYPE;
    double x = json_number_value(v);
    if (kind == DECIMAL_NONNEG && x < 0)
        return BW_ERANGE;
    char num[BW_API_DM_DECIMAL_DIGITS + 4];
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        snprintf(num, sizeof num, "%lld", (long long)i);
        if (i < -999999999999999999ll || i > 999999999999999999ll)
            return BW_ERANGE;
    } else if (bw_api_dm_decimal(x, num, sizeof num) != 0) {
        return BW_ERANGE;
    }
    snprintf(text, cap, "%s=%s", name, num);
    return 0;
}

int bw_api_dm_attrs_query(const json_t *body, char *query, size_t cap,
                          bw_api_dm_fault_t *fault)
{
    if (query != NULL && cap > 0)
        query[0] = '\0';
    if (fault != NULL)
        *fault = (bw_api_dm_fault_t){NULL, NULL};
    if (!json_is_object(body) || query == NULL || cap == 0 || fault == NULL)
        return BW_EINVAL;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)(uintptr_t)body, key, v)
    {
        int known = strcmp(key, "path") == 0;
        for (size_t i = 0; !known && i < sizeof attrs / sizeof attrs[0]; i++)
            known = strcmp(key, attrs[i].name) == 0;
        if (!known) {
            *fault = (bw_api_dm_fault_t){
                key, "not an attribute: pmin, pmax, gt, lt, st, epmin, epmax"};
            return BW_EUNSUPPORTED;
        }
    }
    size_t len = 0;
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        v = json_object_get(body, attrs[i].name);
        if (v == NULL)
            continue;
        char text[48];
        const char *why = NULL;
        int err = one(attrs[i].name, attrs[i].kind, v, text, sizeof text, &why);
        size_t n = strlen(text);
        if (err == 0 && len + (len > 0) + n >= cap) {
            why = "the attributes do not fit in one request (63 bytes of "
                  "query): send them in two";
            err = BW_ENOSPC;
        }
        if (err != 0) {
            query[0] = '\0';
            *fault = (bw_api_dm_fault_t){attrs[i].name, why};
            return err;
        }
        if (len > 0)
            query[len++] = '&';
        memcpy(query + len, text, n + 1);
        len += n;
    }
    if (len == 0) {
        *fault = (bw_api_dm_fault_t){
            NULL, "no attribute given: pmin, pmax, gt, lt, st, epmin, epmax"};
        return BW_ENOTFOUND;
    }
    return 0;
}
