/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DM server's Send (POST /dp) handling on arbitrary input.  The first
 * byte picks the way in:
 *   bit 7 clear  the rest is a payload for bw_lwsrv_send_decode(): bit 0
 *                picks SenML JSON or CBOR, bit 1 the registration's links
 *                as truncated (objects unchecked);
 *   bit 7 set    the rest is a whole CoAP datagram for
 *                bw_lwsrv_send_resource(), from a peer registered as
 *                "dev1" with a fixed set of object links.
 * Must never crash or read out of bounds, and the decoder's promises must
 * hold: on success 1..BW_LWSRV_SEND_MAX_RECORDS values, each at a resource
 * path of a registered object, of a known kind, with a finite number and
 * a time within year 0..9999, bytes inside the arena; on failure no value
 * and a reason.  The handler's answer must parse as an ACK or NON echoing
 * the token, and the store may only ever see what the decoder promises.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m_send.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_MS 1700000000000LL

static const char links[] = "</>;rt=\"oma.lwm2m\",</1/0>,</3/0>,</3303/0>,"
                            "</3303/1>,</5>,</lwm2m/4242/0>";

static void check(const bw_lwsrv_sample_t *v, size_t n, const uint8_t *arena,
                  size_t cap, int truncated)
{
    if (n == 0 || n > BW_LWSRV_SEND_MAX_RECORDS)
        abort();
    for (size_t i = 0; i < n; i++) {
        bw_lwm2m_path_t p;
        const char *nul = memchr(v[i].path, '\0', sizeof v[i].path);
        size_t len = nul != NULL ? (size_t)(nul - v[i].path) : 0;
        if (nul == NULL || bw_lwm2m_path_parse(&p, v[i].path, len) != 0 ||
            p.depth < BW_LWM2M_DEPTH_RESOURCE)
            abort();
        if (!truncated && p.id[0] != 3 && p.id[0] != 1 && p.id[0] != 3303 &&
            p.id[0] != 5 && p.id[0] != 4242)
            abort();
        if (v[i].t_ms < 0 || v[i].t_ms > 253402300800000LL)
            abort();
        switch (v[i].kind) {
        case BW_LWSRV_VAL_NUMBER:
        case BW_LWSRV_VAL_BOOL:
            if (!isfinite(v[i].num))
                abort();
            break;
        case BW_LWSRV_VAL_STRING:
        case BW_LWSRV_VAL_OPAQUE:
            if (v[i].bytes < arena || v[i].len > cap ||
                v[i].bytes + v[i].len > arena + cap)
                abort();
            break;
        default:
            abort();
        }
    }
}

static int owner(void *arg, const bw_dtls_peer_info_t *peer,
                 char ep[BW_LWSRV_EP_MAX + 1])
{
    (void)arg;
    (void)peer;
    memcpy(ep, "dev1", 5);
    return 0;
}

static int store(void *arg, const char *ep, const bw_lwsrv_sample_t *v,
                 size_t n, int64_t now_ms)
{
    (void)arg;
    (void)now_ms;
    if (strcmp(ep, "dev1") != 0 || n == 0 || n > BW_LWSRV_SEND_MAX_RECORDS)
        abort();
    for (size_t i = 0; i < n; i++)
        if (v[i].kind < BW_LWSRV_VAL_NUMBER || v[i].kind > BW_LWSRV_VAL_OPAQUE)
            abort();
    return 0;
}

static int64_t clock_ms(void *arg)
{
    (void)arg;
    return NOW_MS;
}

static void via_handler(const uint8_t *data, size_t size)
{
    /* A new registry per input: its deduplication would otherwise answer
     * an input with the answer to an earlier one of the same message ID,
     * as RFC 7252 wants for a real retransmission. */
    bw_lwsrv_registry_t *reg;
    struct sockaddr_in addr;
    {
        bw_lwsrv_reg_t r;
        char loc[BW_LWSRV_LOC_LEN + 1];
        reg = bw_lwsrv_registry_new();
        if (reg == NULL)
            abort();
        addr.sin_family = AF_INET;
        addr.sin_port = htons(5555);
        addr.sin_addr.s_addr = htonl(0x7f000001);
        memset(&r, 0, sizeof r);
        memcpy(r.ep, "dev1", 5);
        r.lifetime = 86400;
        r.binding[0] = 'U';
        r.version_minor = 1;
        r.links = links;
        r.links_len = sizeof links - 1;
        if (bw_lwsrv_registry_register(reg, &r, 0,
                                       (const struct sockaddr *)&addr,
                                       sizeof addr, 0, loc) != 0)
            abort();
    }
    bw_coap_msg_t m, a;
    if (bw_coap_parse(&m, data, size) != 0) {
        bw_lwsrv_registry_free(reg);
        return;
    }
    bw_lwsrv_send_config_t cfg = {
        .registry = reg, .owner = owner, .store = store, .wall_ms = clock_ms};
    bw_dtls_peer_info_t peer;
    memset(&peer, 0, sizeof peer);
    peer.addr = (const struct sockaddr *)&addr;
    peer.addr_len = sizeof addr;
    uint8_t out[256];
    size_t n = bw_lwsrv_send_resource(&cfg, &peer, &m, out, sizeof out);
    bw_lwsrv_registry_free(reg);
    if (n == 0)
        return;
    if (n > sizeof out || bw_coap_parse(&a, out, n) != 0 ||
        (a.type != BW_COAP_ACK && a.type != BW_COAP_NON) ||
        a.token_len != m.token_len ||
        memcmp(a.token, m.token, m.token_len) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bw_lwsrv_sample_t v[BW_LWSRV_SEND_MAX_RECORDS];
    static uint8_t arena[BW_LWSRV_SEND_PAYLOAD_MAX];
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    if (sel & 0x80) {
        via_handler(data + 1, size - 1);
        return 0;
    }
    uint32_t cf = (sel & 1) ? BW_COAP_FMT_SENML_JSON : BW_COAP_FMT_SENML_CBOR;
    int truncated = (sel >> 1) & 1;
    size_t n = 99;
    const char *why = NULL;
    int err = bw_lwsrv_send_decode(cf, data + 1, size - 1, links, truncated,
                                   NOW_MS, v, BW_LWSRV_SEND_MAX_RECORDS, &n,
                                   arena, sizeof arena, &why);
    if (err != 0) {
        if (n != 0 || why == NULL || err == BW_EINVAL)
            abort();
        (void)bw_lwsrv_send_code(err);
        return 0;
    }
    check(v, n, arena, sizeof arena, truncated);
    return 0;
}
