/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The stored server set (lib/lwm2m/lwm2m_servers.c): encode/decode round
 * trips, every malformed blob answered with its exact code (with the CRC
 * recomputed where the point is to reach the record parser), and the
 * Bootstrap-Finish check of a set.
 */
#include <string.h>

#include "bulwark/lwm2m_client.h"
#include "lwm2m_peer.h"
#include "testutil.h"

#define HDR 14

/* CRC-32 as zlib computes it, written independently of the library's. */
static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

/* Rewrite the trailing CRC after a deliberate change. */
static void reseal(uint8_t *b, size_t len)
{
    uint32_t crc = crc32_ref(b, len - 4);
    b[len - 4] = (uint8_t)(crc >> 24);
    b[len - 3] = (uint8_t)(crc >> 16);
    b[len - 2] = (uint8_t)(crc >> 8);
    b[len - 1] = (uint8_t)crc;
}

static void full_set(bw_lwm2m_servers_t *s)
{
    bw_lwm2m_peer_set(s, 101, 300, "UQ");
    s->sec[2] = s->sec[1];
    s->sec[2].inst = 2;
    s->sec[2].ssid = 102;
    s->sec[2].mode = BW_LWM2M_SEC_NOSEC;
    s->sec[2].psk_len = 0;
    memset(s->sec[2].psk, 0, sizeof s->sec[2].psk);
    s->sec[2].psk_id_len = 0;
    memset(s->sec[2].psk_id, 0, sizeof s->sec[2].psk_id);
    s->sec[2].holdoff_s = 30;
    s->srv[1] = s->srv[0];
    s->srv[1].inst = 2;
    s->srv[1].ssid = 102;
    s->srv[1].pmin_s = 5;
    s->srv[1].pmax_s = 600;
    s->srv[1].notif_storing = 1;
    strcpy(s->srv[1].binding, "U");
}

static size_t encode(const bw_lwm2m_servers_t *s, uint8_t *b)
{
    size_t len = 0;
    assert_int_equal(
        bw_lwm2m_servers_encode(s, 77, b, BW_LWM2M_SERVERS_BLOB_MAX, &len), 0);
    return len;
}

static void expect_decode(const uint8_t *b, size_t len, int err)
{
    bw_lwm2m_servers_t s;
    uint32_t gen = 1;
    memset(&s, 0xAA, sizeof s);
    bw_assert_err(bw_lwm2m_servers_decode(b, len, &s, &gen), err);
    if (err != 0) {
        bw_lwm2m_servers_t zero;
        memset(&zero, 0, sizeof zero);
        assert_memory_equal(&s, &zero, sizeof s);
        assert_int_equal(gen, 0);
    }
}

/* A full set (bootstrap account, two DM servers, two Server instances)
 * comes back field for field, with its generation. */
static void test_round_trip(void **state)
{
    bw_lwm2m_servers_t s, back;
    uint8_t b[BW_LWM2M_SERVERS_BLOB_MAX];
    uint32_t gen;
    (void)state;
    full_set(&s);
    size_t len = encode(&s, b);
    assert_memory_equal(b, "BWSV\x01\x03\x02\x00", 8);
    assert_int_equal(bw_lwm2m_servers_decode(b, len, &back, &gen), 0);
    assert_int_equal(gen, 77);
    assert_memory_equal(&back, &s, sizeof s);
}

/* The largest set (every string at its limit) fits the declared maximum
 * exactly; one byte less of room is BW_ENOSPC with the output wiped. */
static void test_largest_blob(void **state)
{
    bw_lwm2m_servers_t s;
    uint8_t b[BW_LWM2M_SERVERS_BLOB_MAX];
    size_t len;
    (void)state;
    memset(&s, 0, sizeof s);
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++) {
        s.sec[i].in_use = 1;
        s.sec[i].inst = (uint16_t)i;
        memset(s.sec[i].uri, 'u', BW_LWM2M_URI_MAX - 1);
        s.sec[i].psk_id_len = BW_LWM2M_PSK_ID_MAX;
        s.sec[i].psk_len = BW_LWM2M_PSK_MAX;
        memset(s.sec[i].psk, 0x5A, BW_LWM2M_PSK_MAX);
    }
    for (size_t i = 0; i < BW_LWM2M_MAX_SERVERS; i++) {
        s.srv[i].in_use = 1;
        s.srv[i].inst = (uint16_t)i;
        strcpy(s.srv[i].binding, "UQS");
    }
    assert_int_equal(bw_lwm2m_servers_encode(&s, 1, b, sizeof b, &len), 0);
    assert_int_equal(len, BW_LWM2M_SERVERS_BLOB_MAX);
    bw_assert_err(bw_lwm2m_servers_encode(&s, 1, b, sizeof b - 1, &len),
                  BW_ENOSPC);
    assert_int_equal(len, 0);
    assert_null(memchr(b, 0x5A, sizeof b));
    s.sec[0].psk_len = BW_LWM2M_PSK_MAX + 1;
    bw_assert_err(bw_lwm2m_servers_encode(&s, 1, b, sizeof b, &len), BW_ERANGE);
}

/* Damage outside the records: each answered by its own code. */
static void test_header_damage(void **state)
{
    bw_lwm2m_servers_t s;
    uint8_t b[BW_LWM2M_SERVERS_BLOB_MAX + 1];
    (void)state;
    full_set(&s);
    size_t len = encode(&s, b);
    expect_decode(b, 0, BW_ETRUNC);
    expect_decode(b, HDR + 3, BW_ETRUNC);
    expect_decode(b, len - 1, BW_ETRUNC);
    b[len] = 0;
    expect_decode(b, len + 1, BW_ETRAILING);
    b[0] = 'X';
    expect_decode(b, len, BW_EMAGIC);
    b[0] = 'B';
    b[4] = 2;
    expect_decode(b, len, BW_EVERSION);
    b[4] = 1;
    b[HDR + 30] ^= 1;
    expect_decode(b, len, BW_EHASH);
    b[HDR + 30] ^= 1;
    b[len - 1] ^= 0x80;
    expect_decode(b, len, BW_EHASH);
    b[len - 1] ^= 0x80;
    expect_decode(b, len, 0);
    bw_assert_err(bw_lwm2m_servers_decode(NULL, 4, &s, &(uint32_t){0}),
                  BW_EINVAL);
}

/* Damage inside the records, CRC made valid again: the record parser's
 * own codes. */
static void test_record_damage(void **state)
{
    bw_lwm2m_servers_t s;
    uint8_t b[BW_LWM2M_SERVERS_BLOB_MAX], w[BW_LWM2M_SERVERS_BLOB_MAX];
    (void)state;
    full_set(&s);
    size_t len = encode(&s, b);
    /* Security record 0: inst 14, ssid 16, bs 18, mode 19, holdoff 20,
     * uri_len 24, uri 25.. */
    static const struct {
        size_t off;
        uint8_t val;
        int err;
    } cases[] = {
        {5, 4, BW_ERANGE},        /* four Security records */
        {6, 3, BW_ERANGE},        /* three Server records */
        {7, 1, BW_EMALFORMED},    /* reserved byte */
        {5, 2, BW_EMALFORMED},    /* records do not fill the body */
        {14, 0xFF, BW_ERANGE},    /* inst 65535.. */
        {18, 2, BW_EMALFORMED},   /* bootstrap flag */
        {19, 4, BW_ERANGE},       /* security mode */
        {24, 200, BW_EOVERFLOW},  /* uri_len over the limit */
        {24, 120, BW_EMALFORMED}, /* uri_len past the body */
        {26, 0, BW_EMALFORMED},   /* NUL inside the URI */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(w, b, len);
        w[cases[i].off] = cases[i].val;
        if (cases[i].off == 14)
            w[15] = 0xFF;
        reseal(w, len);
        expect_decode(w, len, cases[i].err);
    }
    /* Same instance id twice: the second DM server made /0/1 too. */
    s.sec[2].inst = 1;
    len = encode(&s, b);
    expect_decode(b, len, BW_EDUPKEY);
    /* A binding the client cannot honour. */
    full_set(&s);
    len = encode(&s, b);
    memcpy(w, b, len);
    w[len - 5] = 'X'; /* last byte of the last Server record: binding */
    reseal(w, len);
    expect_decode(w, len, BW_EMALFORMED);
}

/* The Finish check, one defect at a time. */
/* Tried: encoding sets the decoder would refuse: a security mode above
 * 3, an SSID of 65535, a binding with a letter outside U Q S N T.
 * Must hold: BW_ERANGE for each, and the repaired set encodes again. */
static void test_encode_refuses(void **state)
{
    (void)state;
    bw_lwm2m_servers_t s;
    uint8_t b[BW_LWM2M_SERVERS_BLOB_MAX];
    size_t len;
    memset(&s, 0, sizeof s);
    full_set(&s);
    assert_int_equal(bw_lwm2m_servers_encode(&s, 1, b, sizeof b, &len), 0);
    s.sec[1].mode = 4;
    bw_assert_err(bw_lwm2m_servers_encode(&s, 1, b, sizeof b, &len), BW_ERANGE);
    s.sec[1].mode = BW_LWM2M_SEC_PSK;
    s.srv[1].ssid = 65535;
    bw_assert_err(bw_lwm2m_servers_encode(&s, 1, b, sizeof b, &len), BW_ERANGE);
    s.srv[1].ssid = 102;
    strcpy(s.srv[1].binding, "X");
    bw_assert_err(bw_lwm2m_servers_encode(&s, 1, b, sizeof b, &len), BW_ERANGE);
    strcpy(s.srv[1].binding, "U");
    assert_int_equal(bw_lwm2m_servers_encode(&s, 1, b, sizeof b, &len), 0);
}

/* check(s) refuses with code err and the diagnostic text why. */
static void expect_refusal(const bw_lwm2m_servers_t *s, int err,
                           const char *why)
{
    char got[BW_LWM2M_WHY_MAX];
    memset(got, 'x', sizeof got);
    bw_assert_err(bw_lwm2m_servers_check(s, got), err);
    assert_string_equal(got, why);
}

/* Tried: a good set, then one fault at a time (every reason the check
 * has), no buffer, no set.
 * Must hold: the exact code and text per fault (path + reason; a
 * 65534-instance path with the longest reason fits), "" on success; _dm still
 * finds a usable DM server when another one is faulty. */
static void test_check(void **state)
{
    bw_lwm2m_servers_t s;
    char why[BW_LWM2M_WHY_MAX];
    (void)state;
    full_set(&s);
    memset(why, 'x', sizeof why);
    assert_int_equal(bw_lwm2m_servers_check(&s, why), 0);
    assert_string_equal(why, "");
    assert_int_equal(bw_lwm2m_servers_dm(&s, 0), 1);

    /* Each reason names the resource it is about, so that every one can
     * be told apart in the bootstrap server's log. */
    full_set(&s);
    s.sec[1].psk_len = 0;
    expect_refusal(&s, BW_EMALFORMED, "/0/1: PSK missing");
    assert_int_equal(bw_lwm2m_servers_dm(&s, 0), 2);

    full_set(&s);
    s.sec[1].ssid = 0;
    expect_refusal(&s, BW_EMALFORMED, "/0/1/10: no SSID");

    full_set(&s);
    s.sec[2].uri[0] = '\0';
    expect_refusal(&s, BW_EMALFORMED, "/0/2/0: no URI");

    full_set(&s);
    s.srv[0].ssid = 55;
    expect_refusal(&s, BW_ENOTFOUND, "/0/1/10: no Server");

    full_set(&s);
    s.sec[2].mode = BW_LWM2M_SEC_CERT;
    expect_refusal(&s, BW_EUNSUPPORTED, "/0/2/2: unsupported");
    s.sec[2].inst = 65534;
    expect_refusal(&s, BW_EUNSUPPORTED, "/0/65534/2: unsupported");

    full_set(&s);
    s.sec[2].ssid = 101;
    s.srv[1].ssid = 101;
    expect_refusal(&s, BW_EDUPKEY, "/0/2/10: SSID twice");

    full_set(&s);
    s.sec[2].bootstrap = 1;
    expect_refusal(&s, BW_EDUPKEY, "/0/2/1: 2nd BS acct");

    full_set(&s);
    s.srv[0].lifetime_s = 0;
    s.srv[1].lifetime_s = 0;
    expect_refusal(&s, BW_EMALFORMED, "/1/1/1: lifetime 0");

    full_set(&s);
    strcpy(s.srv[1].binding, "S");
    expect_refusal(&s, BW_EMALFORMED, "/1/2/7: not U or UQ");

    full_set(&s);
    s.sec[1].in_use = 0;
    s.sec[2].in_use = 0;
    expect_refusal(&s, BW_ENOTFOUND, "no DM server");
    assert_int_equal(bw_lwm2m_servers_dm(&s, 0), -1);

    /* No buffer: the code alone. */
    full_set(&s);
    s.sec[1].ssid = 0;
    bw_assert_err(bw_lwm2m_servers_check(&s, NULL), BW_EMALFORMED);
    bw_assert_err(bw_lwm2m_servers_check(NULL, why), BW_EINVAL);
    assert_string_equal(why, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_largest_blob),
        cmocka_unit_test(test_header_damage),
        cmocka_unit_test(test_record_damage),
        cmocka_unit_test(test_encode_refuses),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
