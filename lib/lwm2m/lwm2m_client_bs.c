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
 */
#include "bw_mem.h"
#include "lwm2m_client_int.h"

/* Finish outcomes of bw_lwm2m__client_bs_finish(). */
#define FINISH_DONE    1
#define FINISH_REFUSED 0

int bw_lwm2m__client_send_bootstrap(bw_lwm2m_client_t *c, uint64_t now)
{
    char q[3 + BW_LWM2M_ENDPOINT_MAX];
    size_t n = 0, len;
    uint8_t tok[4];
    bw_coap_writer_t w;

    while (n < BW_LWM2M_ENDPOINT_MAX && c->endpoint[n] != '\0')
        n++;
    bw__copy(q, "ep=", 3);
    bw__copy(q + 3, c->endpoint, n);
    (void)bw_coap_endpoint_token(&c->ep, tok, sizeof tok);
    bw_coap_writer_init(&w, c->buf, sizeof c->buf, BW_COAP_CON, BW_COAP_POST, 0,
                        tok, sizeof tok);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "bs", 2);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, q, 3 + n);
    int err = bw_coap_writer_finish(&w, &len);
    if (err == 0)
        err = bw_lwm2m__client_request(c, now, len, BW_LWM2M__REQ_BOOTSTRAP);
    if (err != 0)
        return err;
    bw__copy(&c->staged, &c->set, sizeof c->staged);
    c->deadline_ms = now + c->cfg.bootstrap_timeout_ms;
    return 0;
}

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

/* A response to req in c->buf: code, and a text payload when why. */
static int answer(bw_lwm2m_client_t *c, const bw_coap_msg_t *req, uint8_t code,
                  const char *why, size_t *len)
{
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, c->buf, sizeof c->buf, BW_COAP_ACK, code, 0,
                        req->token, req->token_len);
    if (why != NULL && why[0] != '\0') {
        size_t n = bw__strnlen(why, sizeof c->buf);
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT,
                                BW_COAP_FMT_TEXT);
        bw_coap_writer_payload(&w, why, n);
    }
    return bw_coap_writer_finish(&w, len);
}

int bw_lwm2m__client_bs_finish(bw_lwm2m_client_t *c, const bw_coap_msg_t *req,
                               size_t *len)
{
    const char *why = "";
    int err = bw_lwm2m_servers_check(&c->staged, &why);
    if (err != 0) {
        /* Core 6.1.7.7: 4.06 Not Acceptable, with a diagnostic payload;
         * the server may fix the set and send Finish again. */
        (void)answer(c, req, BW_COAP_NOT_ACCEPTABLE, why, len);
        return FINISH_REFUSED;
    }
    err = bw_lwm2m__client_save(c, &c->staged);
    if (err != 0) {
        (void)answer(c, req, BW_COAP_INTERNAL_ERROR, "could not store", len);
        return err < 0 ? err : BW_EIO;
    }
    bw__copy(&c->set, &c->staged, sizeof c->set);
    bw_lwm2m_servers_wipe(&c->staged);
    (void)answer(c, req, BW_COAP_CHANGED, NULL, len);
    return FINISH_DONE;
}

void bw_lwm2m__client_bs_done(bw_lwm2m_client_t *c, uint64_t now)
{
    c->failures = 0;
    c->deadline_ms = 0;
    bw_lwm2m__client_emit(c, BW_LWM2M_EV_BOOTSTRAPPED);
    bw_lwm2m__client_go_register(c, now);
}
