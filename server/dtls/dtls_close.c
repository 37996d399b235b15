/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ending the sessions of one identity on request (dtls_server.h,
 * bw_dtls_server_close_identity): a job per worker, since sessions belong
 * to their worker's thread.
 */
#include <stdlib.h>
#include <string.h>

#include "dtls_int.h"

typedef struct {
    size_t len;
    uint8_t identity[BW_DTLS_IDENTITY_MAX];
} close_job_t;

/* Alert level warning (1), description close_notify (0): RFC 5246 7.2.1. */
static const uint8_t close_notify[2] = {1, 0};

static void close_on_worker(void *arg, bw_dtls_worker_t *w)
{
    close_job_t *j = arg;
    if (w != NULL) {
        unsigned n = 0;
        /* A deletion pulls later members of the probe chain back into
         * the hole (bw_dtls__table_del), so a slot is looked at again
         * after each deletion there.  Nothing moves from a slot not yet
         * visited into one already passed: holes only move forward,
         * and past the wrap-around both ends are visited already. */
        for (uint32_t pos = 0; pos < w->table.cap; pos++) {
            bw_dtls_session_t *s;
            while ((s = bw_dtls__table_at(&w->table, pos)) != NULL &&
                   s->identity_len == j->len &&
                   memcmp(s->identity, j->identity, j->len) == 0) {
                if (s->alg != 0 && s->hs == NULL)
                    (void)bw_dtls__send_record(w, s, BW_DTLS_CT_ALERT,
                                               close_notify,
                                               sizeof close_notify);
                bw_dtls__drop_session(w, s);
                n++;
            }
        }
        bw_dtls__flush(w);
        if (n > 0)
            bw_dtls__log(w, BW_DTLS_LOG_INFO,
                         "identity '%.*s': %u session(s) closed on request",
                         (int)j->len, (const char *)j->identity, n);
    }
    free(j);
}

int bw_dtls_server_close_identity(bw_dtls_server_t *srv,
                                  const uint8_t *identity, size_t len)
{
    if (srv == NULL || identity == NULL || len == 0 ||
        len > BW_DTLS_IDENTITY_MAX)
        return BW_EINVAL;
    unsigned n = bw_dtls_server_workers(srv);
    for (unsigned i = 0; i < n; i++) {
        close_job_t *j = malloc(sizeof *j);
        if (j == NULL)
            return BW_ENOMEM;
        j->len = len;
        memcpy(j->identity, identity, len);
        int err = bw_dtls_server_post(srv, i, close_on_worker, j);
        if (err != 0) {
            free(j);
            return err;
        }
    }
    return 0;
}
