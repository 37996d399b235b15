/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block-wise firmware push: arbitrary CoAP requests (Block1 or not)
 * through the request handler into the Firmware Update object, with the
 * clock moving between them so transfers expire.
 *
 * Input: byte 0 holds flags (bits 0-1: the response buffer size, from 40
 * bytes to the full datagram; bits 2-3: delivery PULL / PUSH / BOTH;
 * bits 4-5: what chunk() answers for a last piece: accept, Update Result
 * 5, BW_EIO); then up to 8 requests, each a time step byte (times 2 s,
 * so 124 steps pass the 247 s idle limit), a server byte (server 101 or
 * 102), a length byte and that many bytes of datagram.  After each
 * request, notifications are polled once.
 *
 * What must hold: every response parses and echoes the token; chunk()
 * only ever sees offsets in order without gaps (0 restarts), never more
 * bytes than the block sizes allow, and only in DOWNLOADING; the state
 * and result stay within the object's ranges.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/lwm2m_dm.h"
#include "bulwark/lwm2m_objects.h"

static bw_lwm2m_dm_t dm;
static bw_lwm2m_fw_t fw;
static bw_lwm2m_object_t fw_obj;
static size_t taken; /* bytes chunk() accepted since offset 0 */
static int last_verdict;

static int on_chunk(void *app, size_t off, const uint8_t *d, size_t n, int last)
{
    (void)app;
    if (off == 0)
        taken = 0;
    if (off != taken || n > 1024 || (n > 0 && d == NULL) ||
        fw.state != BW_LWM2M_FW_DOWNLOADING)
        abort();
    if (last && last_verdict != 0)
        return last_verdict;
    taken += n;
    return 0;
}

static void setup(uint8_t flags)
{
    static const int verdicts[] = {0, BW_LWM2M_FW_RESULT_INTEGRITY, BW_EIO, 0};
    bw_lwm2m_fw_cfg_t fc;
    memset(&fc, 0, sizeof fc);
    fc.protocols = 1u << BW_LWM2M_FW_PROTO_COAPS;
    fc.delivery = (uint8_t)((flags >> 2) & 3) % 3;
    fc.chunk = on_chunk;
    fc.app = NULL;
    last_verdict = verdicts[(flags >> 4) & 3];
    taken = 0;
    bw_lwm2m_dm_init(&dm);
    if (bw_lwm2m_fw_init(&fw, &fw_obj, &fc) != 0 ||
        bw_lwm2m_dm_add(&dm, &fw_obj) != 0)
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
    setup(data[0]);
    size_t cap = caps[data[0] & 3];
    size_t pos = 1;
    uint64_t now = 0;

    for (int n = 0; n < 8 && size - pos >= 3; n++) {
        now += (uint64_t)data[pos++] * 2000u;
        uint16_t server = (data[pos++] & 1) ? 102 : 101;
        size_t l = data[pos++];
        if (l > size - pos)
            l = size - pos;
        const uint8_t *d = data + pos;
        pos += l;
        if (bw_coap_parse(&req, d, l) != 0)
            continue;
        int err = bw_lwm2m_dm_handle(&dm, now, BW_LWM2M_IFACE_DM, server, &req,
                                     out, cap, &len);
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
        uint16_t to = 0;
        uint64_t next = 0;
        int r = bw_lwm2m_dm_notify(&dm, now, out, cap, &len, &to, &next);
        if (r < 0 && r != BW_ENOSPC)
            abort();
        if (fw.state > BW_LWM2M_FW_UPDATING ||
            fw.result > BW_LWM2M_FW_RESULT_BAD_PROTOCOL ||
            (dm.block1.open && next > now + BW_LWM2M_DM_BLOCK1_IDLE_MS))
            abort();
    }
    return 0;
}
