/* SPDX-License-Identifier: Apache-2.0 */
/*
 * text/plain decoding for every resource type, and the text parsers.
 *
 * Input: byte 0 picks the type the lookup answers (0..9, 0 = unknown);
 * the rest is the payload.  Every type but FLOAT has exactly one accepted
 * spelling per value, so whatever decodes MUST format back to the very
 * same bytes; a float MUST format to text that reads back to the same
 * double, and MUST be the double the C library's strtod (correctly
 * rounding, "C" locale) reads from the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/lwm2m.h"

typedef struct {
    bw_lwm2m_type_t type;
    bool seen;
    bw_lwm2m_record_t rec;
} fuzz_ctx_t;

static bw_lwm2m_type_t type_of(void *ctx, const bw_lwm2m_path_t *p)
{
    (void)p;
    return ((fuzz_ctx_t *)ctx)->type;
}

static int on_record(void *ctx, const bw_lwm2m_record_t *rec)
{
    fuzz_ctx_t *c = ctx;
    c->seen = true;
    c->rec = *rec;
    return 0;
}

/* Room for base64 of the largest input the harness takes. */
#define FUZZ_MAX_IN  4096
#define FUZZ_OUT_MAX (FUZZ_MAX_IN * 2 + 64)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > FUZZ_MAX_IN)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    fuzz_ctx_t c;
    memset(&c, 0, sizeof c);
    c.type = (bw_lwm2m_type_t)(data[0] % 10);
    uint8_t scratch[FUZZ_MAX_IN];
    bw_lwm2m_sink_t sink = {type_of, on_record, &c, scratch, sizeof scratch};
    bw_lwm2m_path_t base = BW_LWM2M_PATH_RES(3, 0, 1);

    int err = bw_lwm2m_text_decode(p, n, &base, &sink);
    if ((err == 0) != c.seen)
        abort(); /* one record exactly when decoding succeeds */

    /* The URL alphabet and the standalone parsers see the same bytes. */
    size_t dl;
    (void)bw_lwm2m_b64_decode((const char *)p, n, scratch, sizeof scratch,
                              BW_LWM2M_B64_URL, &dl);
    bw_lwm2m_objlnk_t lnk;
    (void)bw_lwm2m_text_parse_objlnk((const char *)p, n, &lnk);

    if (err != 0 || c.type == BW_LWM2M_TYPE_NONE)
        return 0;

    static char out[FUZZ_OUT_MAX];
    size_t len;
    if (bw_lwm2m_text_format(&c.rec.value, out, sizeof out, &len) != 0)
        abort();
    if (c.type != BW_LWM2M_TYPE_FLOAT) {
        if (len != n || memcmp(out, p, n) != 0)
            abort(); /* a second spelling was accepted */
        return 0;
    }
    double back;
    if (bw_lwm2m_text_parse_float(out, len, &back) != 0 ||
        memcmp(&back, &c.rec.value.v.f, sizeof back) != 0)
        abort();
    /* The accepted text is a subset of what strtod takes: same double. */
    char text[BW_LWM2M_TEXT_FLOAT_MAX + 1];
    memcpy(text, p, n); /* n <= BW_LWM2M_TEXT_FLOAT_MAX once accepted */
    text[n] = '\0';
    double ref = strtod(text, NULL);
    if (memcmp(&ref, &c.rec.value.v.f, sizeof ref) != 0)
        abort();
    return 0;
}
