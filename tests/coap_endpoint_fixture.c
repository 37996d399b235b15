/* SPDX-License-Identifier: Apache-2.0 */
#include "coap_endpoint_fixture.h"

#include <string.h>

#include "testutil.h"

const uint8_t BW_EPFIX_PEER_A[BW_EPFIX_PEER_LEN] = {192, 0, 2, 1, 0x16, 0x33};
const uint8_t BW_EPFIX_PEER_B[BW_EPFIX_PEER_LEN] = {192, 0, 2, 2, 0x16, 0x33};

void bw_epfix_init(bw_epfix_t *f, const bw_coap_endpoint_params_t *params,
                   uint64_t seed, size_t slot_len)
{
    assert_true(slot_len <= BW_EPFIX_SLOT_MAX);
    assert_int_equal(bw_coap_endpoint_init(&f->ep, params, seed, f->arena,
                                           sizeof f->arena, slot_len),
                     0);
}

size_t bw_epfix_build(uint8_t *buf, size_t cap, uint8_t type, uint8_t code,
                      uint16_t mid, const uint8_t *tok, size_t tkl, long obs,
                      const char *path, const char *payload)
{
    bw_coap_writer_t w;
    size_t len;

    bw_coap_writer_init(&w, buf, cap, type, code, mid, tok, tkl);
    if (obs >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_OBSERVE, (uint32_t)obs);
    if (path != NULL)
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, path, strlen(path));
    if (payload != NULL)
        bw_coap_writer_payload(&w, payload, strlen(payload));
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    return len;
}

void bw_epfix_input(bw_epfix_t *f, uint64_t now, const uint8_t *peer,
                    const uint8_t *buf, size_t len,
                    bw_coap_endpoint_event_t *ev)
{
    assert_int_equal(bw_coap_endpoint_input(&f->ep, now, peer,
                                            BW_EPFIX_PEER_LEN, buf, len, ev),
                     0);
}

void bw_epfix_expect(bw_epfix_t *f, uint64_t now, const uint8_t *peer,
                     const uint8_t *buf, size_t len,
                     bw_coap_endpoint_event_t *ev, int kind)
{
    bw_epfix_input(f, now, peer, buf, len, ev);
    assert_int_equal(ev->kind, kind);
}

void bw_epfix_expect_dropped(bw_epfix_t *f, uint64_t now, const uint8_t *peer,
                             const uint8_t *buf, size_t len,
                             bw_coap_endpoint_event_t *ev)
{
    bw_epfix_expect(f, now, peer, buf, len, ev, BW_COAP_ENDPOINT_EV_NONE);
    assert_int_equal(ev->tx_len, 0);
}

void bw_epfix_expect_empty(const uint8_t *tx, size_t tx_len, uint8_t type,
                           uint16_t mid)
{
    const uint8_t want[4] = {(uint8_t)(0x40 | type << 4), 0,
                             (uint8_t)(mid >> 8), (uint8_t)mid};
    assert_non_null(tx);
    assert_int_equal(tx_len, 4);
    assert_memory_equal(tx, want, 4);
}
