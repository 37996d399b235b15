/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client-initiated bootstrap (OMA LwM2M 1.1 Core 6.1.3, Transport 6.1):
 *
 *   client                              bootstrap server
 *     |-- CON POST /bs?ep={name} -------->|   (deadline starts)
 *     |<-------------------------- 2.04 --|
 *     |<-- Bootstrap-Delete / Write / Discover / Read (any order) --|
 *     |      answered by bw_lwm2m_dm_handle on c->staged            |
 *     |<-- CON POST /bs (Bootstrap-Finish) ---------------|
 *     |   check the staged set; invalid: 4.06 + why, go on waiting
 *     |   valid: save() it as one blob, then use it
 *     |-- 2.04 ------------------------------------------>|
 *     |   close, EV_BOOTSTRAPPED, Register with the new DM server
 *
 * The staged set starts as a copy of the set in use at each attempt, so
 * a server that writes only what changed still ends with a whole set;
 * it is wiped whenever an attempt ends (it may hold keys).  The set in
 * use changes only after save() returned 0: a failed save answers 5.00
 * and the old set stays, exactly as it was.
 *
 * The request itself is built with Register's (lwm2m_client_reg.c).
 */
#include "bw_mem.h"
#include "lwm2m_client_int.h"

/* Finish outcomes of bw_lwm2m__client_bs_finish(). */
#define FINISH_DONE    1
#define FINISH_REFUSED 0

int bw_lwm2m__client_save(bw_lwm2m_client_t *c, const bw_lwm2m_servers_t *s)
{
    size_t len = 0;
    int err = bw_lwm2m_servers_encode(s, c->generation + 1, c->buf,
                                      sizeof c->buf, &len);
    if (err == 0)
        err = c->cfg.save(c->cfg.arg, c->buf, len);
    bw__zero(c->buf, sizeof c->buf);
    if (err == 0)
        c->generation++;
    return err;
}

int bw_lwm2m__client_bs_finish(bw_lwm2m_client_t *c, const bw_coap_msg_t *req,
                               size_t *len)
{
    char why[BW_LWM2M_WHY_MAX];
    int err = bw_lwm2m_servers_check(&c->staged, why);
    if (err != 0) {
        /* Core 6.1.7.7: 4.06 Not Acceptable, with a diagnostic payload;
         * the server may fix the set and send Finish again. */
        *len = bw_lwm2m__client_answer(c, req, BW_COAP_NOT_ACCEPTABLE, why);
        return FINISH_REFUSED;
    }
    err = bw_lwm2m__client_save(c, &c->staged);
    if (err != 0) {
        *len = bw_lwm2m__client_answer(c, req, BW_COAP_INTERNAL_ERROR,
                                       "could not store");
        return err < 0 ? err : BW_EIO;
    }
    bw__copy(&c->set, &c->staged, sizeof c->set);
    bw_lwm2m_servers_wipe(&c->staged);
    *len = bw_lwm2m__client_answer(c, req, BW_COAP_CHANGED, NULL);
    return FINISH_DONE;
}

void bw_lwm2m__client_bs_done(bw_lwm2m_client_t *c)
{
    c->deadline_ms = UINT64_MAX;
    bw_lwm2m__client_emit(c, BW_LWM2M_EV_BOOTSTRAPPED);
    bw_lwm2m__client_go_register(c);
}
