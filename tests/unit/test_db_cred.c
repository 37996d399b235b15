/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The security store of server/db: importing PSK and certificate
 * credentials, refusing weak ones, the lookups the DTLS engine makes, and
 * credential states (pending, active, revoked).
 */
#define _GNU_SOURCE
#include "test_db_fixture.h"

static dbfx_t f;

static int setup(void **state)
{
    (void)state;
    dbfx_init(&f);
    dbfx_open(&f);
    static const char *const eps[] = {"urn:imei:490154203237518", "sensor-0042",
                                      "Gateway-A1B2C3D4E5F6"};
    for (size_t i = 0; i < 3; i++)
        if (bw_db_device_add(f.db, eps[i], "m", NULL, 1, NULL) != 0)
            return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dbfx_done(&f);
    return 0;
}

static int import(const char *ep, const char *identity, const uint8_t *psk,
                  size_t n)
{
    return bw_db_psk_import(f.db, ep, (const uint8_t *)identity,
                            strlen(identity), psk, n, BW_DB_CRED_ACTIVE, 10,
                            NULL);
}

static int lookup(const char *identity, uint8_t *out, size_t cap, size_t *n)
{
    return bw_db_psk_lookup(f.db, (const uint8_t *)identity, strlen(identity),
                            out, cap, n);
}

/* Tried: import a 16-byte and a 32-byte PSK for two devices; look both
 * up; look one up into a buffer one byte short; look up an identity
 * nobody has and one that differs only in case.
 * Must hold: each lookup returns its own key and length; the short
 * buffer is BW_ENOSPC; unknown identities are BW_ENOTFOUND (identities
 * are exact byte strings); the identity maps to its endpoint. */
static void test_import_and_lookup(void **state)
{
    (void)state;
    uint8_t k16[16], k32[32], out[64];
    size_t n = 0;
    dbfx_psk(k16, sizeof k16, 100);
    dbfx_psk(k32, sizeof k32, 101);
    int64_t id = 0;
    bw_assert_err(bw_db_psk_import(f.db, "sensor-0042",
                                   (const uint8_t *)"Tq81-mX", 7, k16, 16,
                                   BW_DB_CRED_ACTIVE, 10, &id),
                  0);
    assert_true(id > 0);
    bw_assert_err(import("urn:imei:490154203237518", "a8e2-77Lp-0f", k32, 32),
                  0);
    bw_assert_err(lookup("Tq81-mX", out, sizeof out, &n), 0);
    assert_int_equal(n, 16);
    assert_memory_equal(out, k16, 16);
    bw_assert_err(lookup("a8e2-77Lp-0f", out, sizeof out, &n), 0);
    assert_int_equal(n, 32);
    assert_memory_equal(out, k32, 32);
    bw_assert_err(lookup("a8e2-77Lp-0f", out, 31, &n), BW_ENOSPC);
    assert_int_equal(n, 0);
    bw_assert_err(lookup("no-such-identity", out, sizeof out, &n),
                  BW_ENOTFOUND);
    bw_assert_err(lookup("tq81-mx", out, sizeof out, &n), BW_ENOTFOUND);
    char ep[BW_DB_ENDPOINT_MAX + 1];
    bw_assert_err(bw_db_identity_endpoint(f.db, (const uint8_t *)"Tq81-mX", 7,
                                          ep, sizeof ep),
                  0);
    assert_string_equal(ep, "sensor-0042");
    bw_assert_err(
        bw_db_identity_endpoint(f.db, (const uint8_t *)"Tq81-mX", 7, ep, 5),
        BW_ENOSPC);
}

/* Tried: PSKs of 15 bytes (just under 128 bits), of 16 equal bytes, and
 * of 65 bytes (over the maximum).
 * Must hold: BW_EWEAK for the first two, BW_EOVERFLOW for the last; none
 * is stored (the identity stays free). */
static void test_weak_psk(void **state)
{
    (void)state;
    uint8_t k[65], out[64];
    size_t n;
    dbfx_psk(k, sizeof k, 200);
    bw_assert_err(import("sensor-0042", "w-1", k, 15), BW_EWEAK);
    uint8_t same[16];
    memset(same, 0x5a, sizeof same);
    bw_assert_err(import("sensor-0042", "w-1", same, 16), BW_EWEAK);
    bw_assert_err(import("sensor-0042", "w-1", k, 65), BW_EOVERFLOW);
    bw_assert_err(lookup("w-1", out, sizeof out, &n), BW_ENOTFOUND);
    bw_assert_err(import("sensor-0042", "w-1", k, 64), 0);
}

/* Tried: give the PSK of one device to another device (new identity);
 * give it to the same device again; reuse an identity with a new PSK.
 * Must hold: BW_EDUPKEY for a PSK already in the fleet (whichever
 * device), BW_EEXIST for a taken identity; the first device's key is
 * unchanged.  Then revoke the first credential: its PSK stays taken. */
static void test_duplicate_psk_and_identity(void **state)
{
    (void)state;
    uint8_t k[32], k2[32], out[64];
    size_t n;
    dbfx_psk(k, sizeof k, 300);
    dbfx_psk(k2, sizeof k2, 301);
    bw_assert_err(import("sensor-0042", "dup-one", k, 32), 0);
    bw_assert_err(import("Gateway-A1B2C3D4E5F6", "dup-two", k, 32), BW_EDUPKEY);
    bw_assert_err(import("sensor-0042", "dup-three", k, 32), BW_EDUPKEY);
    bw_assert_err(import("Gateway-A1B2C3D4E5F6", "dup-one", k2, 32), BW_EEXIST);
    bw_assert_err(lookup("dup-one", out, sizeof out, &n), 0);
    assert_memory_equal(out, k, 32);
    bw_assert_err(bw_db_credential_set_state(f.db, (const uint8_t *)"dup-one",
                                             7, BW_DB_CRED_REVOKED, 20),
                  0);
    bw_assert_err(import("Gateway-A1B2C3D4E5F6", "dup-four", k, 32),
                  BW_EDUPKEY);
    bw_assert_err(import("Gateway-A1B2C3D4E5F6", "dup-one", k2, 32), BW_EEXIST);
}

/* Tried: identities derived from the endpoint name: equal, other case,
 * with a prefix, with a suffix, with both, and built from the IMEI or
 * the MAC-like serial alone.  Then identities that merely share a short
 * or digit-free word with the name.
 * Must hold: every derived one is BW_EWEAK; "sensor-psk-..." (the word
 * "sensor" has no digit) and "0042-..." (4 characters) are accepted. */
static void test_identity_derived(void **state)
{
    (void)state;
    uint8_t k[32];
    unsigned seed = 400;
    static const struct {
        const char *ep, *identity;
    } weak[] = {
        {"sensor-0042", "sensor-0042"},
        {"sensor-0042", "SENSOR-0042"},
        {"sensor-0042", "psk-sensor-0042"},
        {"sensor-0042", "sensor-0042-psk"},
        {"sensor-0042", "id:Sensor-0042:1"},
        {"urn:imei:490154203237518", "urn:imei:490154203237518"},
        {"urn:imei:490154203237518", "490154203237518"},
        {"urn:imei:490154203237518", "dev-490154203237518-k"},
        {"Gateway-A1B2C3D4E5F6", "a1b2c3d4e5f6"},
        {"Gateway-A1B2C3D4E5F6", "gw/A1B2C3D4E5F6"},
    };
    for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++) {
        dbfx_psk(k, sizeof k, seed++);
        int err = import(weak[i].ep, weak[i].identity, k, 32);
        if (err != BW_EWEAK)
            fail_msg("identity \"%s\" for \"%s\": %s, want BW_EWEAK",
                     weak[i].identity, weak[i].ep, bw_err_name(err));
    }
    dbfx_psk(k, sizeof k, seed++);
    bw_assert_err(import("sensor-0042", "sensor-psk-9fQ2", k, 32), 0);
    dbfx_psk(k, sizeof k, seed++);
    bw_assert_err(import("sensor-0042", "0042-7hWw", k, 32), 0);
}

/* Tried: malformed imports: unknown device, malformed endpoint, empty
 * identity, identity with a control byte, identity over the maximum,
 * state REVOKED, NULL PSK.
 * Must hold: the exact code for each. */
static void test_import_input(void **state)
{
    (void)state;
    uint8_t k[32];
    dbfx_psk(k, sizeof k, 500);
    bw_assert_err(import("nobody", "in-1", k, 32), BW_ENOTFOUND);
    bw_assert_err(import("bad name", "in-1", k, 32), BW_EMALFORMED);
    bw_assert_err(import("sensor-0042", "", k, 32), BW_EMALFORMED);
    bw_assert_err(import("sensor-0042", "in\x01", k, 32), BW_EMALFORMED);
    char big[BW_DB_IDENTITY_MAX + 2];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    bw_assert_err(import("sensor-0042", big, k, 32), BW_EOVERFLOW);
    big[BW_DB_IDENTITY_MAX] = '\0';
    bw_assert_err(import("sensor-0042", big, k, 32), 0);
    bw_assert_err(bw_db_psk_import(f.db, "sensor-0042", (const uint8_t *)"in-2",
                                   4, k, 32, BW_DB_CRED_REVOKED, 1, NULL),
                  BW_EINVAL);
    bw_assert_err(bw_db_psk_import(f.db, "sensor-0042", (const uint8_t *)"in-2",
                                   4, NULL, 32, BW_DB_CRED_ACTIVE, 1, NULL),
                  BW_EINVAL);
}

/* Tried: a PENDING credential: lookup; promote to ACTIVE; move it back
 * to PENDING; revoke; lookup; revive; unknown identity.
 * Must hold: PENDING and ACTIVE keys are found; the backward move and
 * any move out of REVOKED are BW_ESTATE; a revoked key is BW_ENOTFOUND
 * with a zeroed buffer, for the lookup and for the endpoint binding;
 * revoked_at is recorded. */
static void test_states(void **state)
{
    (void)state;
    uint8_t k[32], out[64], zero[64] = {0};
    size_t n;
    const uint8_t *id = (const uint8_t *)"st-Zk41";
    dbfx_psk(k, sizeof k, 600);
    bw_assert_err(bw_db_psk_import(f.db, "sensor-0042", id, 7, k, 32,
                                   BW_DB_CRED_PENDING, 1, NULL),
                  0);
    bw_assert_err(lookup("st-Zk41", out, sizeof out, &n), 0);
    bw_assert_err(bw_db_credential_set_state(f.db, id, 7, BW_DB_CRED_ACTIVE, 2),
                  0);
    bw_assert_err(lookup("st-Zk41", out, sizeof out, &n), 0);
    assert_memory_equal(out, k, 32);
    bw_assert_err(
        bw_db_credential_set_state(f.db, id, 7, BW_DB_CRED_PENDING, 3),
        BW_ESTATE);
    bw_assert_err(
        bw_db_credential_set_state(f.db, id, 7, BW_DB_CRED_REVOKED, 4), 0);
    memset(out, 0xee, sizeof out);
    bw_assert_err(lookup("st-Zk41", out, sizeof out, &n), BW_ENOTFOUND);
    assert_int_equal(n, 0);
    assert_memory_equal(out, zero, sizeof out);
    char ep[BW_DB_ENDPOINT_MAX + 1];
    bw_assert_err(bw_db_identity_endpoint(f.db, id, 7, ep, sizeof ep),
                  BW_ENOTFOUND);
    bw_assert_err(bw_db_credential_set_state(f.db, id, 7, BW_DB_CRED_ACTIVE, 5),
                  BW_ESTATE);
    bw_assert_err(
        bw_db_credential_set_state(f.db, id, 7, BW_DB_CRED_REVOKED, 5),
        BW_ESTATE);
    bw_assert_err(bw_db_credential_set_state(f.db, (const uint8_t *)"nope", 4,
                                             BW_DB_CRED_REVOKED, 5),
                  BW_ENOTFOUND);
    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_int(c, "SELECT revoked_at FROM credentials WHERE "
                                 "identity = CAST('st-Zk41' AS BLOB)"),
                     4);
    sqlite3_close(c);
}

/* Tried: a certificate credential whose subject is the endpoint name.
 * Must hold: accepted (the identity rule is for PSKs); a PSK lookup of
 * that subject is BW_ENOTFOUND (no key to hand out); the subject maps to
 * the endpoint; the subject cannot be reused as a PSK identity. */
static void test_cert_credential(void **state)
{
    (void)state;
    static const uint8_t der[] = {0x30, 0x82, 0x01, 0x0a, 0x02, 0x01};
    bw_assert_err(bw_db_cert_import(f.db, "Gateway-A1B2C3D4E5F6",
                                    "Gateway-A1B2C3D4E5F6", der, sizeof der,
                                    BW_DB_CRED_ACTIVE, 1, NULL),
                  0);
    uint8_t out[64], k[32];
    size_t n;
    bw_assert_err(lookup("Gateway-A1B2C3D4E5F6", out, sizeof out, &n),
                  BW_ENOTFOUND);
    char ep[BW_DB_ENDPOINT_MAX + 1];
    bw_assert_err(
        bw_db_identity_endpoint(f.db, (const uint8_t *)"Gateway-A1B2C3D4E5F6",
                                20, ep, sizeof ep),
        0);
    assert_string_equal(ep, "Gateway-A1B2C3D4E5F6");
    dbfx_psk(k, sizeof k, 700);
    bw_assert_err(import("sensor-0042", "Gateway-A1B2C3D4E5F6", k, 32),
                  BW_EEXIST);
    bw_assert_err(bw_db_cert_import(f.db, "sensor-0042", "cn", der,
                                    BW_DB_CERT_MAX + 1, BW_DB_CRED_ACTIVE, 1,
                                    NULL),
                  BW_EOVERFLOW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_and_lookup),
        cmocka_unit_test(test_weak_psk),
        cmocka_unit_test(test_duplicate_psk_and_identity),
        cmocka_unit_test(test_identity_derived),
        cmocka_unit_test(test_import_input),
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_cert_credential),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
