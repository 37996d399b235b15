/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A notification's payload on the DM server (bw_lwsrv_obs_decode) on
 * arbitrary input.  The first byte picks the content format (bits 0-2:
 * text/plain, octet-stream, SenML JSON, SenML CBOR, TLV, or one no
 * decoder takes) and the observed path (bits 3-5, from a fixed list of
 * object, instance, resource and resource-instance paths, and one that is
 * not a path); bit 6 marks the registration's links as truncated.  The
 * rest is the payload.
 * Must never crash or read out of bounds, and the decoder's promises must
 * hold: on success 1..cap values, each at a valid path at or under the
 * observed one, of a known kind, a finite number, bytes inside the arena;
 * on failure no value and a reason.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m_observe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_MS 1700000000000LL
#define CAP    BW_LWSRV_OBS_VALUES_MAX

static const char links[] = "</>;rt=\"oma.lwm2m\",</1/0>,</3/0>,</3303/0>,"
                            "</3303/1>,</5>";

static const uint32_t formats[8] = {
    BW_COAP_FMT_TEXT,       BW_COAP_FMT_OPAQUE,    BW_COAP_FMT_SENML_JSON,
    BW_COAP_FMT_SENML_CBOR, BW_COAP_FMT_LWM2M_TLV, BW_COAP_FMT_LWM2M_JSON,
    BW_COAP_FMT_TEXT,       BW_COAP_FMT_SENML_JSON};

static const char *const paths[8] = {"/3303/0/5700", "/3303/0",     "/3303",
                                     "/3/0/7/1",     "/3/0/0",      "/5/0/3",
                                     "/x",           "/3303/0/5700"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bw_lwsrv_sample_t v[CAP];
    static uint8_t arena[BW_LWSRV_OBS_PAYLOAD_MAX];
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    const char *path = paths[(sel >> 3) & 7];
    size_t n = 99;
    const char *why = NULL;
    int err = bw_lwsrv_obs_decode(formats[sel & 7], data + 1, size - 1, path,
                                  links, (sel >> 6) & 1, NOW_MS, v, CAP, &n,
                                  arena, sizeof arena, &why);
    if (err != 0) {
        if (n != 0 || why == NULL || err > 0)
            abort();
        return 0;
    }
    if (n == 0 || n > CAP)
        abort();
    bw_lwm2m_path_t base;
    if (bw_lwm2m_path_parse(&base, path, strlen(path)) != 0)
        abort(); /* "/x" can never succeed */
    for (size_t i = 0; i < n; i++) {
        bw_lwm2m_path_t p;
        const char *nul = memchr(v[i].path, '\0', sizeof v[i].path);
        if (nul == NULL ||
            bw_lwm2m_path_parse(&p, v[i].path, (size_t)(nul - v[i].path)) !=
                0 ||
            p.depth < BW_LWM2M_DEPTH_RESOURCE ||
            !bw_lwm2m_path_is_prefix(&base, &p))
            abort();
        switch (v[i].kind) {
        case BW_LWSRV_VAL_NUMBER:
        case BW_LWSRV_VAL_BOOL:
            if (!isfinite(v[i].num))
                abort();
            break;
        case BW_LWSRV_VAL_STRING:
        case BW_LWSRV_VAL_OPAQUE:
            if (v[i].len > 0 &&
                (v[i].bytes < arena || v[i].len > sizeof arena ||
                 v[i].bytes + v[i].len > arena + sizeof arena))
                abort();
            break;
        default:
            abort();
        }
    }
    return 0;
}
