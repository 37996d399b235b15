/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Proof against power loss for the server set: two bootstraps in a row
 * (set A -> B, then B -> C) are run against the scripted bootstrap server
 * (tests/lwm2m_peer.h), with save()/load() on the simulated NOR flash
 * (tests/flashsim.h) the way a port without atomic file replace does it:
 *
 *   two slots, one sector each; slot = [len:2][pad:6][blob][0xFF..]
 *   save()  erase the slot NOT holding the newest valid blob, then write
 *           length and blob in 8-byte pieces (many flash operations, so
 *           many cut points);
 *   load()  decode both slots with bw_lwm2m_servers_decode and return
 *           the valid one with the newer generation (serial arithmetic),
 *           BW_ENOTFOUND when neither is valid.
 *
 * Power is cut at every flash operation of the sequence, BEFORE it, TORN
 * during it (four tear patterns) and AFTER it.  After each cut the flash
 * comes back and a fresh client starts from it.  It must start without
 * error and hold exactly one complete set, compared field by field
 * through its bytes: A or B when the cut hit the first save, B or C when
 * it hit the second.  Never a mix, never a set lost to a parse failure.
 *
 * The lib side on its own: every truncation of a blob, and every single
 * bit flip in it, is refused by the decoder (the CRC covers everything),
 * so a port's torn copy can never be taken for a set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flashsim.h"
#include "lwm2m_peer.h"
#include "testutil.h"

#define SECTOR  4096u
#define PIECE   8u
#define SLOT_HD 8u

typedef struct {
    bw_lwm2m_peer_t peer; /* first: the peer's callbacks take arg as it */
    bw_flashsim_t sim;
} rig_t;

/* ---- the port: two slots on NOR flash ----------------------------------- */

static int flash_read(rig_t *r, uint32_t off, void *buf, size_t len)
{
    return r->sim.dev.ops->read(r->sim.dev.ctx, off, buf, len);
}

/* Decode slot s; 0 and *gen when it holds a valid blob. */
static int slot_load(rig_t *r, int s, uint8_t *blob, size_t cap, size_t *len,
                     uint32_t *gen)
{
    uint8_t hd[SLOT_HD];
    bw_lwm2m_servers_t tmp;
    int err = flash_read(r, (uint32_t)s * SECTOR, hd, sizeof hd);
    if (err != 0)
        return err;
    size_t n = ((size_t)hd[0] << 8) | hd[1];
    if (n > cap || n > SECTOR - SLOT_HD)
        return BW_EMALFORMED;
    err = flash_read(r, (uint32_t)s * SECTOR + SLOT_HD, blob, n);
    if (err == 0)
        err = bw_lwm2m_servers_decode(blob, n, &tmp, gen);
    *len = n;
    return err;
}

/* The slot with the newest valid blob, or -1. */
static int newest(rig_t *r, uint8_t *blob, size_t cap, size_t *len)
{
    uint32_t g[2];
    size_t l[2];
    int ok[2];
    for (int s = 0; s < 2; s++)
        ok[s] = slot_load(r, s, blob, cap, &l[s], &g[s]) == 0;
    int best = -1;
    if (ok[0] && ok[1])
        best = (int32_t)(g[1] - g[0]) > 0 ? 1 : 0;
    else if (ok[0] || ok[1])
        best = ok[0] ? 0 : 1;
    if (best >= 0)
        (void)slot_load(r, best, blob, cap, len, &g[best]);
    return best;
}

static int port_load(void *arg, uint8_t *blob, size_t cap, size_t *len)
{
    rig_t *r = arg;
    return newest(r, blob, cap, len) >= 0 ? 0 : BW_ENOTFOUND;
}

static int port_save(void *arg, const uint8_t *blob, size_t len)
{
    rig_t *r = arg;
    uint8_t tmp[BW_LWM2M_SERVERS_BLOB_MAX];
    uint8_t piece[PIECE];
    size_t tl;
    r->peer.saves++;
    int target = newest(r, tmp, sizeof tmp, &tl) == 0 ? 1 : 0;
    uint32_t base = (uint32_t)target * SECTOR;
    int err = r->sim.dev.ops->erase(r->sim.dev.ctx, base, SECTOR);
    /* Header piece: the length, padded. */
    memset(piece, 0xFF, sizeof piece);
    piece[0] = (uint8_t)(len >> 8);
    piece[1] = (uint8_t)len;
    if (err == 0)
        err = r->sim.dev.ops->write(r->sim.dev.ctx, base, piece, PIECE);
    for (size_t off = 0; err == 0 && off < len; off += PIECE) {
        size_t n = len - off < PIECE ? len - off : PIECE;
        memset(piece, 0xFF, sizeof piece);
        memcpy(piece, blob + off, n);
        err = r->sim.dev.ops->write(
            r->sim.dev.ctx, base + SLOT_HD + (uint32_t)off, piece, PIECE);
    }
    return err;
}

/* ---- the sequence -------------------------------------------------------- */

static bw_lwm2m_servers_t set_a, set_b, set_c;
static uint64_t ops_after_first; /* flash ops of the first bootstrap */

static void rig_init(rig_t *r, bw_lwm2m_client_config_t *cfg)
{
    uint32_t sizes[2];
    memset(r, 0, sizeof *r);
    bw_lwm2m_peer_init(&r->peer);
    bw_flashsim_uniform(sizes, 2, SECTOR);
    assert_int_equal(bw_flashsim_init(&r->sim, sizes, 2, PIECE, 0xFF), 0);
    bw_lwm2m_peer_config(&r->peer, cfg, "pc1", "coaps://bs:5784");
    cfg->save = port_save;
    cfg->load = port_load;
    cfg->arg = r;
    /* Set A, written whole into slot 0 before anything is counted. */
    bw_lwm2m_servers_t a;
    bw_lwm2m_peer_set(&a, 7, 600, "U");
    uint8_t blob[BW_LWM2M_SERVERS_BLOB_MAX];
    size_t len;
    assert_int_equal(bw_lwm2m_servers_encode(&a, 5, blob, sizeof blob, &len),
                     0);
    assert_int_equal(port_save(r, blob, len), 0);
    bw_flashsim_reset_ops(&r->sim);
}

/* A fresh client on what the flash holds: started without error, its
 * set copied to *out. */
static void fresh_load(rig_t *r, const bw_lwm2m_client_config_t *cfg,
                       bw_lwm2m_servers_t *out)
{
    bw_lwm2m_client_t *c = calloc(1, sizeof *c);
    (void)r; /* reached through cfg->arg */
    assert_non_null(c);
    assert_int_equal(bw_lwm2m_client_init(c, cfg, 99), 0);
    assert_int_equal(bw_lwm2m_client_start(c, 0), 0);
    memcpy(out, bw_lwm2m_client_servers(c), sizeof *out);
    free(c);
}

/* Client on the flash, forced into bootstrap (EAUTH), bootstrapped to a
 * DM server ssid.  Returns 0 when Finish was saved, 1 when power went. */
static int bootstrap_once(rig_t *r, const bw_lwm2m_client_config_t *cfg,
                          uint16_t ssid)
{
    bw_lwm2m_client_t *c = calloc(1, sizeof *c);
    bw_coap_msg_t m;
    uint8_t tlv[256];
    size_t n;
    assert_non_null(c);
    assert_int_equal(bw_lwm2m_client_init(c, cfg, ssid), 0);
    assert_int_equal(bw_lwm2m_client_start(c, 0), 0);
    r->peer.connect_result = BW_EAGAIN;
    bw_lwm2m_peer_step(c, 0);
    bw_lwm2m_client_channel_failed(c, 0, 1, BW_EAUTH);
    r->peer.connect_result = 0;
    bw_lwm2m_peer_step(c, 2);
    bw_lwm2m_peer_expect(&r->peer, &m, BW_COAP_POST, "/bs");
    bw_lwm2m_peer_reply(&r->peer, c, 3, &m, BW_COAP_CHANGED, NULL);
    assert_int_equal(bw_lwm2m_peer_request(&r->peer, c, 4, BW_COAP_DELETE, "/",
                                           -1, NULL, 0, NULL),
                     BW_COAP_DELETED);
    n = bw_lwm2m_peer_tlv_security(tlv, sizeof tlv, 3, "coaps://dm2:5684", 0,
                                   "id-next", BW_PEER_PSK,
                                   sizeof BW_PEER_PSK - ssid % 5, ssid);
    assert_int_equal(bw_lwm2m_peer_request(&r->peer, c, 5, BW_COAP_PUT, "/0/3",
                                           BW_COAP_FMT_LWM2M_TLV, tlv, n, NULL),
                     BW_COAP_CHANGED);
    n = bw_lwm2m_peer_tlv_server(tlv, sizeof tlv, 3, ssid, 1000u + ssid, "UQ");
    assert_int_equal(bw_lwm2m_peer_request(&r->peer, c, 6, BW_COAP_PUT, "/1/3",
                                           BW_COAP_FMT_LWM2M_TLV, tlv, n, NULL),
                     BW_COAP_CHANGED);
    uint8_t code = bw_lwm2m_peer_request(&r->peer, c, 7, BW_COAP_POST, "/bs",
                                         -1, NULL, 0, NULL);
    free(c);
    r->peer.open = 0;
    if (code == BW_COAP_CHANGED)
        return 0;
    assert_int_equal(code, BW_COAP_INTERNAL_ERROR);
    return 1;
}

/* The whole sequence; returns at the cut (1) or after both saves (0). */
static int run(rig_t *r, const bw_lwm2m_client_config_t *cfg)
{
    if (bootstrap_once(r, cfg, 21) != 0)
        return 1;
    return bootstrap_once(r, cfg, 22);
}

static int same(const bw_lwm2m_servers_t *x, const bw_lwm2m_servers_t *y)
{
    return memcmp(x, y, sizeof *x) == 0;
}

/* The reference run: no cut; records A, B, C and the op counts. */
static uint64_t reference(void)
{
    rig_t *r = calloc(1, sizeof *r);
    bw_lwm2m_client_config_t cfg;
    assert_non_null(r);
    rig_init(r, &cfg);
    fresh_load(r, &cfg, &set_a);
    assert_int_equal(bootstrap_once(r, &cfg, 21), 0);
    ops_after_first = r->sim.ops;
    fresh_load(r, &cfg, &set_b);
    assert_int_equal(bootstrap_once(r, &cfg, 22), 0);
    fresh_load(r, &cfg, &set_c);
    uint64_t total = r->sim.ops;
    assert_int_equal(r->sim.violations, 0);
    bw_flashsim_free(&r->sim);
    free(r);
    assert_false(same(&set_a, &set_b));
    assert_false(same(&set_b, &set_c));
    assert_int_equal(set_b.sec[1].ssid, 21);
    assert_int_equal(set_c.sec[1].ssid, 22);
    return total;
}

static void test_power_cut_at_every_flash_operation(void **state)
{
    (void)state;
    uint64_t total = reference();
    unsigned runs = 0, old = 0, fresh = 0;
    static const bw_flashsim_cut_t modes[] = {
        BW_FLASHSIM_CUT_BEFORE, BW_FLASHSIM_CUT_TORN, BW_FLASHSIM_CUT_AFTER};
    for (uint64_t op = 1; op <= total; op++) {
        for (size_t mi = 0; mi < 3; mi++) {
            uint32_t seeds = modes[mi] == BW_FLASHSIM_CUT_TORN ? 4 : 1;
            for (uint32_t seed = 1; seed <= seeds; seed++) {
                rig_t *r = calloc(1, sizeof *r);
                bw_lwm2m_client_config_t cfg;
                bw_lwm2m_servers_t got;
                assert_non_null(r);
                rig_init(r, &cfg);
                bw_flashsim_arm(&r->sim, op, modes[mi], seed * 7919u + 1);
                assert_int_equal(run(r, &cfg), 1);
                bw_flashsim_reboot(&r->sim);
                fresh_load(r, &cfg, &got);
                const bw_lwm2m_servers_t *before =
                    op <= ops_after_first ? &set_a : &set_b;
                const bw_lwm2m_servers_t *after =
                    op <= ops_after_first ? &set_b : &set_c;
                if (!same(&got, before) && !same(&got, after))
                    fail_msg("cut at op %llu mode %d seed %u: neither the old "
                             "nor the new set",
                             (unsigned long long)op, (int)modes[mi], seed);
                old += same(&got, before);
                fresh += same(&got, after);
                assert_int_equal(r->sim.violations, 0);
                bw_flashsim_free(&r->sim);
                free(r);
                runs++;
            }
        }
    }
    printf("power cuts: %llu flash ops, %u runs: %u kept the old set, %u the "
           "new one, 0 lost or mixed\n",
           (unsigned long long)total, runs, old, fresh);
    /* Both outcomes must really occur, or the test proves nothing. */
    assert_true(old > 0 && fresh > 0);
}

/* Every shorter prefix and every single bit flip of a blob is refused. */
static void test_decoder_takes_whole_sets_only(void **state)
{
    bw_lwm2m_servers_t s, out;
    uint8_t blob[BW_LWM2M_SERVERS_BLOB_MAX];
    size_t len;
    uint32_t gen;
    (void)state;
    bw_lwm2m_peer_set(&s, 31, 86400, "UQ");
    assert_int_equal(bw_lwm2m_servers_encode(&s, 9, blob, sizeof blob, &len),
                     0);
    for (size_t n = 0; n < len; n++)
        assert_int_not_equal(bw_lwm2m_servers_decode(blob, n, &out, &gen), 0);
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            blob[i] ^= (uint8_t)(1u << bit);
            assert_int_not_equal(bw_lwm2m_servers_decode(blob, len, &out, &gen),
                                 0);
            blob[i] ^= (uint8_t)(1u << bit);
        }
    assert_int_equal(bw_lwm2m_servers_decode(blob, len, &out, &gen), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decoder_takes_whole_sets_only),
        cmocka_unit_test(test_power_cut_at_every_flash_operation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
