/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DTLS record-header scan the client uses to classify failures
 * (device/dtls/dtls_scan.c): records are walked exactly, a cut header or
 * a declared length past the datagram is BW_ETRUNC without moving the
 * offset, and only plaintext (epoch 0) fatal alerts or close_notify count.
 */
#include "testutil.h"

#include <string.h>

#include "dtls_scan.h"

/* Two records back to back: a ChangeCipherSpec (epoch 0, 1 byte) and an
 * encrypted handshake record (epoch 1, 3 bytes).  Both are returned with
 * their fields, then BW_ENOTFOUND at the end. */
static void test_walk_two_records(void **state)
{
    uint8_t dg[64];
    size_t n = bw_test_hex("14 fefd 0000 000000000005 0001 01"
                           "16 fefd 0001 000000000000 0003 aabbcc",
                           dg, sizeof dg);
    bw_devdtls_rec_t rec;
    size_t off = 0;

    (void)state;
    assert_int_equal(bw_devdtls__scan_next(dg, n, &off, &rec), 0);
    assert_int_equal(rec.type, BW_DEVDTLS_CT_CCS);
    assert_int_equal(rec.version, 0xfefd);
    assert_int_equal(rec.epoch, 0);
    assert_int_equal(rec.len, 1);
    assert_ptr_equal(rec.body, dg + 13);
    assert_int_equal(off, 14);
    assert_int_equal(bw_devdtls__scan_next(dg, n, &off, &rec), 0);
    assert_int_equal(rec.type, BW_DEVDTLS_CT_HANDSHAKE);
    assert_int_equal(rec.epoch, 1);
    assert_int_equal(rec.len, 3);
    assert_memory_equal(rec.body, "\xaa\xbb\xcc", 3);
    assert_int_equal(off, n);
    bw_assert_err(bw_devdtls__scan_next(dg, n, &off, &rec), BW_ENOTFOUND);
    assert_int_equal(bw_devdtls__scan_encrypted_hs(dg, n), 1);
    assert_int_equal(bw_devdtls__scan_encrypted_hs(dg, 14), 0);
}

/* Every cut of a one-record datagram short of its end is BW_ETRUNC (12
 * header bytes; a body shorter than declared), the offset stays put; a
 * declared length of 0xffff on a short datagram too. */
static void test_truncated(void **state)
{
    uint8_t dg[32];
    size_t n =
        bw_test_hex("15 fefd 0000 000000000001 0002 0228", dg, sizeof dg);
    bw_devdtls_rec_t rec;
    size_t cut;

    (void)state;
    for (cut = 1; cut < n; cut++) {
        size_t off = 0;
        bw_assert_err(bw_devdtls__scan_next(dg, cut, &off, &rec), BW_ETRUNC);
        assert_int_equal(off, 0);
        assert_int_equal(bw_devdtls__scan_alert(dg, cut), -1);
    }
    dg[11] = 0xff;
    dg[12] = 0xff;
    {
        size_t off = 0;
        bw_assert_err(bw_devdtls__scan_next(dg, n, &off, &rec), BW_ETRUNC);
    }
}

/* NULL pointers and an offset past the end are caller errors. */
static void test_misuse(void **state)
{
    uint8_t dg[13] = {0};
    bw_devdtls_rec_t rec;
    size_t off = 14;

    (void)state;
    bw_assert_err(bw_devdtls__scan_next(dg, sizeof dg, &off, &rec), BW_EINVAL);
    off = 0;
    bw_assert_err(bw_devdtls__scan_next(NULL, 0, &off, &rec), BW_EINVAL);
    bw_assert_err(bw_devdtls__scan_next(dg, sizeof dg, NULL, &rec), BW_EINVAL);
    bw_assert_err(bw_devdtls__scan_next(dg, sizeof dg, &off, NULL), BW_EINVAL);
}

/* Alerts: a plaintext fatal alert is found (the last one wins); a warning
 * other than close_notify, an encrypted alert (epoch 1) and an alert
 * record of the wrong length are ignored; close_notify counts. */
static void test_alerts(void **state)
{
    uint8_t dg[96];
    size_t n;

    (void)state;
    n = bw_test_hex("15 fefd 0000 000000000001 0002 0273", dg, sizeof dg);
    assert_int_equal(bw_devdtls__scan_alert(dg, n), 115);
    n = bw_test_hex("15 fefd 0000 000000000001 0002 0230"
                    "15 fefd 0000 000000000002 0002 0214",
                    dg, sizeof dg);
    assert_int_equal(bw_devdtls__scan_alert(dg, n), 20);
    n = bw_test_hex("15 fefd 0000 000000000001 0002 015a", dg, sizeof dg);
    assert_int_equal(bw_devdtls__scan_alert(dg, n), -1);
    n = bw_test_hex("15 fefd 0001 000000000001 0002 0228", dg, sizeof dg);
    assert_int_equal(bw_devdtls__scan_alert(dg, n), -1);
    n = bw_test_hex("15 fefd 0000 000000000001 0003 022800", dg, sizeof dg);
    assert_int_equal(bw_devdtls__scan_alert(dg, n), -1);
    n = bw_test_hex("15 fefd 0000 000000000001 0002 0100", dg, sizeof dg);
    assert_int_equal(bw_devdtls__scan_alert(dg, n), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_two_records),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_alerts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
