/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device's request handler on arbitrary CoAP requests, both
 * interfaces, followed by notification polling.
 *
 * Input: byte 0 holds flags (bit 0: bootstrap interface, bits 1-2: the
 * response buffer size, from 40 bytes to the full datagram, bit 3: mark
 * everything changed before polling); then up to 6 requests, each a
 * length byte and that many bytes of datagram.  The objects are the RAM
 * sample object (1024) and minimal Security, Server and Device objects of
 * tests/lwm2m_sample_object.c, fresh for every input.
 *
 * What must hold: the handler never fails for a parsed request except
 * with BW_ENOSPC on a small buffer; every response it builds parses as
 * CoAP and echoes the request's token; notifications parse too; the
 * tables stay within their bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/lwm2m_dm.h"
#include "../lwm2m_sample_object.c"

static bw_lwm2m_dm_t dm;
static bw_sample_t obj, sec, srv, dev;

static void setup(void)
{
    bw_lwm2m_dm_init(&dm);
    bw_sample_fill(&obj);
    bw_sample_init(&sec, 0, bw_sample_security_res, bw_sample_security_nres, 1);
    bw_sample_add(&sec, 0);
    bw_sample_set_str(&sec, 0, 0, "coaps://bs");
    bw_sample_set(&sec, 0, 1, bw_lwm2m_value_bool(true));
    bw_sample_init(&srv, 1, bw_sample_server_res, bw_sample_server_nres, 1);
    bw_sample_add(&srv, 0);
    bw_sample_set(&srv, 0, 0, bw_lwm2m_value_int(101));
    bw_sample_init(&dev, 3, bw_sample_device_res, bw_sample_device_nres, 0);
    bw_sample_add(&dev, 0);
    bw_lwm2m_dm_add(&dm, &obj.obj);
    bw_lwm2m_dm_add(&dm, &sec.obj);
    bw_lwm2m_dm_add(&dm, &srv.obj);
    bw_lwm2m_dm_add(&dm, &dev.obj);
}

static void check_bounds(void)
{
    if (dm.nobs > BW_LWM2M_DM_MAX_OBS || dm.nattrs > BW_LWM2M_DM_MAX_ATTRS)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[] = {40, 128, 300, 1152};
    static uint8_t out[1152];
    bw_coap_msg_t req, rsp;
    size_t len;

    if (size < 1)
        return 0;
    setup();
    uint8_t flags = data[0];
    bw_lwm2m_iface_t iface =
        (flags & 1) ? BW_LWM2M_IFACE_BOOTSTRAP : BW_LWM2M_IFACE_DM;
    size_t cap = caps[(flags >> 1) & 3];
    size_t pos = 1;
    uint64_t now = 0;

    for (int n = 0; n < 6 && pos < size; n++) {
        size_t l = data[pos++];
        if (l > size - pos)
            l = size - pos;
        const uint8_t *d = data + pos;
        pos += l;
        now += 1000;
        if (bw_coap_parse(&req, d, l) != 0)
            continue;
        int err =
            bw_lwm2m_dm_handle(&dm, now, iface, 101, &req, out, cap, &len);
        if (req.code == BW_COAP_EMPTY || BW_COAP_CODE_CLASS(req.code) != 0) {
            if (err != BW_EINVAL)
                abort();
            continue;
        }
        if (err == BW_ENOSPC && cap < sizeof out)
            continue;
        if (err != 0 || len > cap || bw_coap_parse(&rsp, out, len) != 0 ||
            rsp.token_len != req.token_len ||
            memcmp(rsp.token, req.token, req.token_len) != 0)
            abort();
        check_bounds();
    }
    if (flags & 8) {
        bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
        bw_lwm2m_dm_changed(&dm, &root, now);
    }
    for (int i = 0; i < 12; i++) {
        uint16_t server = 0;
        uint64_t next = 0;
        now += 7000;
        int r = bw_lwm2m_dm_notify(&dm, now, out, cap, &len, &server, &next);
        if (r == 1 && (len > cap || bw_coap_parse(&rsp, out, len) != 0))
            abort();
        if (r < 0 && r != BW_ENOSPC)
            abort();
        check_bounds();
    }
    return 0;
}
