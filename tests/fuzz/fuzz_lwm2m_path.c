/* SPDX-License-Identifier: Apache-2.0 */
/*
 * LwM2M path parsing and the comparisons.
 *
 * Input: two path texts separated by the first '\n'.  Each accepted path
 * MUST format back to exactly its input (one spelling per path), and
 * compare, equal and is_prefix MUST agree with each other.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/lwm2m.h"

static void check_one(const char *s, size_t n, bw_lwm2m_path_t *p, bool *ok)
{
    *ok = bw_lwm2m_path_parse(p, s, n) == 0;
    if (!*ok) {
        if (p->depth != 0)
            abort(); /* failure leaves the root */
        return;
    }
    char buf[BW_LWM2M_PATH_STR_MAX];
    size_t len;
    if (bw_lwm2m_path_check(p) != 0 ||
        bw_lwm2m_path_format(p, buf, sizeof buf, &len) != 0 || len != n ||
        memcmp(buf, s, n) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nl = size > 0 ? memchr(s, '\n', size) : NULL;
    size_t n1 = nl != NULL ? (size_t)(nl - s) : size;
    const char *s2 = nl != NULL ? nl + 1 : s + size;
    size_t n2 = nl != NULL ? size - n1 - 1 : 0;

    bw_lwm2m_path_t a, b;
    bool ok_a, ok_b;
    check_one(s, n1, &a, &ok_a);
    check_one(s2, n2, &b, &ok_b);
    if (!ok_a || !ok_b)
        return 0;

    int ab = bw_lwm2m_path_compare(&a, &b);
    int ba = bw_lwm2m_path_compare(&b, &a);
    if ((ab < 0) != (ba > 0) || (ab == 0) != (ba == 0))
        abort(); /* antisymmetric */
    if ((ab == 0) != bw_lwm2m_path_equal(&a, &b))
        abort();
    if (bw_lwm2m_path_is_prefix(&a, &b) && ab > 0)
        abort(); /* an ancestor sorts first */
    if (bw_lwm2m_path_is_prefix(&a, &b) && bw_lwm2m_path_is_prefix(&b, &a) &&
        ab != 0)
        abort();

    /* Rebuilding b segment by segment gives the same path. */
    bw_lwm2m_path_t c;
    bw_lwm2m_path_init(&c);
    for (size_t i = 0; i < b.depth; i++)
        if (bw_lwm2m_path_push(&c, b.id[i]) != 0)
            abort();
    if (!bw_lwm2m_path_equal(&b, &c))
        abort();
    return 0;
}
