/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's registration-interface parser on arbitrary datagrams: parse
 * as CoAP, classify, validate under every kind.  Must never crash or read
 * out of bounds; a successful parse must satisfy the header's promises
 * (valid endpoint name where one is required, lifetime in range, links
 * inside the datagram, location of 32 lowercase hex digits).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m_reg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_coap_msg_t m;
    if (bw_coap_parse(&m, data, size) != 0)
        return 0;
    (void)bw_lwsrv_classify(&m);
    for (int k = BW_LWSRV_REQ_OTHER; k <= BW_LWSRV_REQ_SEND; k++) {
        bw_lwsrv_reg_t r;
        const char *why = NULL;
        int err = bw_lwsrv_reg_parse(&m, (bw_lwsrv_req_t)k, &r, &why);
        if (err != 0) {
            if (why == NULL)
                abort();
            continue;
        }
        if ((k == BW_LWSRV_REQ_REGISTER || k == BW_LWSRV_REQ_BOOTSTRAP) &&
            !bw_lwsrv_ep_valid(r.ep, strlen(r.ep)))
            abort();
        if (k == BW_LWSRV_REQ_REGISTER &&
            (r.lifetime == 0 || r.lifetime > BW_LWSRV_LT_MAX ||
             r.links == NULL))
            abort();
        if (r.links != NULL &&
            (r.links < (const char *)data ||
             r.links + r.links_len > (const char *)data + size))
            abort();
        if (k == BW_LWSRV_REQ_UPDATE || k == BW_LWSRV_REQ_DEREGISTER) {
            if (strlen(r.location) != BW_LWSRV_LOC_LEN)
                abort();
            for (size_t i = 0; i < BW_LWSRV_LOC_LEN; i++)
                if (!strchr("0123456789abcdef", r.location[i]))
                    abort();
        }
    }
    return 0;
}
