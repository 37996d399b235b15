/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the link-format parser, typed readers and writer.  For every
 * payload the parser accepts:
 *   - each attribute goes through every typed reader and the LwM2M
 *     reader, which must agree with the grammar (a value within its limit
 *     on success, zeroed output on failure);
 *   - the payload is emitted again with the writer into a buffer of the
 *     input's size: it must fit (escapes are only ever dropped), and it
 *     must equal the input unless the input escaped a character that needs
 *     no escape;
 *   - the emitted payload must parse and emit to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/coap_link.h"

typedef struct {
    bw_coap_link_writer_t w;
    char *scratch; /* unescaped quoted values; as large as the input */
    size_t scratch_cap;
    int odd_escape; /* an escape of something other than DQUOTE or "\" */
} emit_t;

static void check_readers(const bw_coap_link_attr_t *a)
{
    uint32_t u = 1;
    double d = 1.0;
    uint8_t maj = 1, min = 1;
    int err;

    err = bw_coap_link_attr_uint(a, 1000, &u);
    if ((err == 0 && u > 1000) || (err != 0 && u != 0))
        abort();
    err = bw_coap_link_attr_decimal(a, &d);
    if ((err == 0 && d != d) || (err != 0 && d != 0.0))
        abort();
    err = bw_coap_link_attr_version(a, &maj, &min);
    if (err != 0 && (maj != 0 || min != 0))
        abort();
    if (a->kind == BW_COAP_LINK_BARE &&
        bw_coap_link_attr_uint(a, 1, &u) != BW_ETYPE)
        abort();
}

static int emit_cb(void *arg, const bw_coap_link_t *link)
{
    emit_t *e = arg;
    bw_coap_link_attr_iter_t it;
    bw_coap_link_attr_t a;
    bw_coap_link_lwm2m_t l;
    unsigned count = 0;

    if (bw_coap_link_lwm2m(link, &l) != 0 && l.has != 0)
        abort();
    bw_coap_link_writer_link(&e->w, link->target, link->target_len);
    bw_coap_link_attr_iter_init(&it, link);
    while (bw_coap_link_attr_next(&it, &a)) {
        /* The writer takes a NUL-terminated name. */
        char name[64];
        size_t n;

        count++;
        check_readers(&a);
        if (a.name_len >= sizeof name)
            return 1;
        memcpy(name, a.name, a.name_len);
        name[a.name_len] = '\0';
        if (a.kind == BW_COAP_LINK_BARE) {
            bw_coap_link_writer_flag(&e->w, name);
        } else if (a.kind == BW_COAP_LINK_TOKEN) {
            bw_coap_link_writer_token(&e->w, name, a.value, a.value_len);
        } else {
            if (bw_coap_link_attr_copy(&a, e->scratch, e->scratch_cap, &n) != 0)
                abort();
            for (size_t i = 0; i + 1 < a.value_len; i++) {
                if (a.value[i] == '\\') {
                    if (a.value[i + 1] != '"' && a.value[i + 1] != '\\')
                        e->odd_escape = 1;
                    i++;
                }
            }
            bw_coap_link_writer_quoted(&e->w, name, e->scratch, n);
        }
    }
    if (count != link->attr_count)
        abort();
    return 0;
}

/* Emit a parsed payload again; returns the parser's answer. */
static int emit(const char *in, size_t len, char *out, size_t cap,
                size_t *out_len, int *odd)
{
    emit_t e;
    int err;

    memset(&e, 0, sizeof e);
    e.scratch_cap = len + 1;
    e.scratch = malloc(e.scratch_cap);
    if (e.scratch == NULL)
        return 1;
    bw_coap_link_writer_init(&e.w, out, cap);
    err = bw_coap_link_parse(in, len, emit_cb, &e);
    free(e.scratch);
    if (err != 0)
        return err;
    if (bw_coap_link_writer_finish(&e.w, out_len) != 0)
        abort();
    *odd = e.odd_escape;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    char *out1, *out2;
    size_t len1, len2;
    int odd = 0, odd2 = 0;

    out1 = malloc(size + 1);
    out2 = malloc(size + 1);
    if (out1 == NULL || out2 == NULL)
        goto done;
    if (emit(in, size, out1, size, &len1, &odd) != 0)
        goto done;
    if (!odd && (len1 != size || memcmp(out1, in, size) != 0))
        abort();
    if (emit(out1, len1, out2, len1, &len2, &odd2) != 0 || odd2)
        abort();
    if (len2 != len1 || memcmp(out1, out2, len1) != 0)
        abort();
done:
    free(out1);
    free(out2);
    return 0;
}
