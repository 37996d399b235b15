/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to server/lwm2m: what lwm2m_srv.c lends the observation files
 * (lwm2m_observe_srv.c: observe, cancel, list; lwm2m_observe_notify.c:
 * notifications on a worker) so the server's state stays in one file.
 * Never included from outside server/lwm2m.
 */
#ifndef BW_LWSRV_OBSERVE_INT_H
#define BW_LWSRV_OBSERVE_INT_H

#include "lwm2m_srv.h"

/* The server's observation registry, notification sink (NULL without
 * notify_store) and registrations. */
bw_lwsrv_obs_t *bw_lwsrv__obs(bw_lwsrv_t *s);
bw_lwsrv_obs_sink_t *bw_lwsrv__sink(bw_lwsrv_t *s);
bw_lwsrv_registry_t *bw_lwsrv__registry(bw_lwsrv_t *s);

/* An empty ACK or RST for mid to peer (on its worker). */
void bw_lwsrv__send_empty(bw_lwsrv_t *s, bw_dtls_worker_t *w,
                          const bw_dtls_peer_info_t *peer, uint8_t type,
                          uint16_t mid);

/* bw_lwsrv_request_ex() with the token given (8 bytes: an observation's
 * own, so the device matches a Cancel to it), or a fresh one (NULL). */
int bw_lwsrv__request_token(bw_lwsrv_t *s, const char *ep,
                            const bw_lwsrv_op_t *op, const uint8_t *token,
                            bw_lwsrv_done_ex_t done, void *arg);

/*
 * A message from peer that answers none of this worker's requests
 * (lwm2m_observe_notify.c): 1 when it was a notification, or a response
 * nobody waits for that deserved a RST, and was dealt with (ACK, RST,
 * stored, observation ended); 0 when the caller goes on as before.
 */
int bw_lwsrv__notification(bw_lwsrv_t *s, bw_dtls_worker_t *w,
                           const bw_dtls_peer_info_t *peer,
                           const bw_coap_msg_t *m);

#endif /* BW_LWSRV_OBSERVE_INT_H */
