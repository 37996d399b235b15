/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scaffolding for the CoAP message-layer tests (tests/unit/
 * test_coap_endpoint_*.c): an endpoint together with its arena, two peer
 * addresses, a datagram builder on the CoAP writer, and checks for the
 * calls and answers every such test repeats.  Every check fails the
 * running cmocka test.  Test code only.
 */
#ifndef BW_TEST_COAP_ENDPOINT_FIXTURE_H
#define BW_TEST_COAP_ENDPOINT_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/coap_endpoint.h"

/* Largest slot a test uses: the arena is sized for it, smaller slots fit. */
#define BW_EPFIX_SLOT_MAX 256

/* Peer addresses: IPv4 address and port, as the endpoint compares bytes. */
#define BW_EPFIX_PEER_LEN 6
extern const uint8_t BW_EPFIX_PEER_A[BW_EPFIX_PEER_LEN];
extern const uint8_t BW_EPFIX_PEER_B[BW_EPFIX_PEER_LEN];

/* No Observe option in bw_epfix_build(). */
#define BW_EPFIX_NO_OBSERVE (-1L)

typedef struct {
    bw_coap_endpoint_t ep;
    uint8_t arena[BW_COAP_ENDPOINT_ARENA_LEN(BW_EPFIX_SLOT_MAX)];
} bw_epfix_t;

/* Initialise f's endpoint (params NULL: defaults); must succeed. */
void bw_epfix_init(bw_epfix_t *f, const bw_coap_endpoint_params_t *params,
                   uint64_t seed, size_t slot_len);

/*
 * Write a datagram into buf (cap bytes) and return its length: header,
 * token, an Observe option of value obs when obs >= 0, a Uri-Path of
 * path when path is not NULL, and payload when not NULL.  Must succeed.
 */
size_t bw_epfix_build(uint8_t *buf, size_t cap, uint8_t type, uint8_t code,
                      uint16_t mid, const uint8_t *tok, size_t tkl, long obs,
                      const char *path, const char *payload);

/* Hand a datagram from peer (BW_EPFIX_PEER_LEN bytes) to f at now;
 * input must accept it (return 0), the outcome is in *ev. */
void bw_epfix_input(bw_epfix_t *f, uint64_t now, const uint8_t *peer,
                    const uint8_t *buf, size_t len,
                    bw_coap_endpoint_event_t *ev);

/* bw_epfix_input(), and the event must be of kind. */
void bw_epfix_expect(bw_epfix_t *f, uint64_t now, const uint8_t *peer,
                     const uint8_t *buf, size_t len,
                     bw_coap_endpoint_event_t *ev, int kind);

/* bw_epfix_input(): the datagram must be dropped without a report and
 * without an answer (kind EV_NONE, nothing to send). */
void bw_epfix_expect_dropped(bw_epfix_t *f, uint64_t now, const uint8_t *peer,
                             const uint8_t *buf, size_t len,
                             bw_coap_endpoint_event_t *ev);

/* tx must be exactly the Empty message of type (ACK or RST) for mid. */
void bw_epfix_expect_empty(const uint8_t *tx, size_t tx_len, uint8_t type,
                           uint16_t mid);

#endif
