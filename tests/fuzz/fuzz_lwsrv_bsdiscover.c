/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bootstrap server's handling of a device's Bootstrap-Discover
 * answer (lwm2m_bootstrap_acl.c) on arbitrary bytes: the instances taken
 * from it, the Access Control plan made from them for a configuration
 * with two additional servers, and every planned instance's TLV.  Must
 * never crash or read out of bounds; on success every instance is
 * /oid/iid outside objects 0..2 and listed once, the plan stays within
 * its room, and every TLV builds (the plan only holds what the writer
 * takes).  The same bytes also go through the access-map text parser,
 * whose entries must format back to text that parses to the same map.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m_bootstrap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bw_lwsrv_bs_config_t cfg(void)
{
    bw_lwsrv_bs_config_t c;
    memset(&c, 0, sizeof c);
    c.ssid = BW_LWSRV_BS_PRIMARY_SSID;
    c.n_extra = 2;
    c.extra[0].ssid = 2;
    c.extra[0].n_access = 3;
    c.extra[0].access[0] = (bw_lwsrv_bs_access_t){3, 0, 1};
    c.extra[0].access[1] = (bw_lwsrv_bs_access_t){3303, 65535, 16};
    c.extra[0].access[2] = (bw_lwsrv_bs_access_t){3303, 0, 3};
    c.extra[1].ssid = 9;
    c.extra[1].n_access = 2;
    c.extra[1].access[0] = (bw_lwsrv_bs_access_t){3303, 0, 15};
    c.extra[1].access[1] = (bw_lwsrv_bs_access_t){5, 65535, 16};
    return c;
}

static void access_text(const uint8_t *data, size_t size)
{
    bw_lwsrv_bs_access_t a[BW_LWSRV_BS_ACCESS_MAX], b[BW_LWSRV_BS_ACCESS_MAX];
    size_t n = 0, m = 0;
    if (bw_lwsrv_bs_access_parse((const char *)data, size, a,
                                 BW_LWSRV_BS_ACCESS_MAX, &n) != 0)
        return;
    char text[BW_LWSRV_BS_ACCESS_TEXT_MAX + 1];
    if (bw_lwsrv_bs_access_format(a, n, text, sizeof text) != 0 ||
        bw_lwsrv_bs_access_parse(text, strlen(text), b, BW_LWSRV_BS_ACCESS_MAX,
                                 &m) != 0 ||
        m != n || memcmp(a, b, n * sizeof a[0]) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    access_text(data, size);
    static bw_lwm2m_path_t inst[BW_LWSRV_BS_INST_MAX];
    size_t n = 0;
    if (bw_lwsrv_bs_discover(data, size, inst, BW_LWSRV_BS_INST_MAX, &n) != 0) {
        if (n != 0)
            abort();
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (inst[i].depth != 2 || inst[i].id[0] <= 2 ||
            inst[i].id[0] == 65535 || inst[i].id[1] == 65535)
            abort();
        for (size_t j = 0; j < i; j++)
            if (bw_lwm2m_path_equal(&inst[i], &inst[j]))
                abort();
    }
    bw_lwsrv_bs_config_t c = cfg();
    static bw_lwsrv_bs_acl_t acl[BW_LWSRV_BS_ACL_MAX];
    size_t k = 0;
    if (bw_lwsrv_bs_acl_plan(&c, inst, n, acl, BW_LWSRV_BS_ACL_MAX, &k) != 0 ||
        k != n + 2)
        abort();
    for (size_t i = 0; i < k; i++) {
        uint8_t out[BW_LWSRV_PAYLOAD_MAX];
        size_t len = 0;
        if (acl[i].owner != BW_LWSRV_BS_PRIMARY_SSID ||
            bw_lwsrv_bs_acl_tlv(&acl[i], (uint16_t)i, out, sizeof out, &len) !=
                0 ||
            len == 0)
            abort();
    }
    return 0;
}
