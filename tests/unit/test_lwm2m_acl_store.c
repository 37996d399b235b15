/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access Control instances at rest and the rules over them (OMA LwM2M 1.1
 * Core 7.3.1, appendix E.3): bw_lwm2m_acl_rights() on hand-built sets, the
 * server-set blob with Access Control records (round trip, torn copies,
 * damaged records), Bootstrap-Finish refusing bad ACL data with nothing
 * saved, and a client with a single DM server that ignores ACLs.
 */
#include <stdlib.h>
#include <string.h>

#include "lwm2m_peer.h"
#include "testutil.h"

#define FACTORY "coaps://bs.example.net:5784"
#define HDR     14

static const int R = BW_LWM2M_ACCESS_READ, W = BW_LWM2M_ACCESS_WRITE,
                 E = BW_LWM2M_ACCESS_EXECUTE, C = BW_LWM2M_ACCESS_CREATE,
                 ALL = BW_LWM2M_ACCESS_ALL;

static bw_lwm2m_acl_t *add_acl(bw_lwm2m_servers_t *s, uint16_t inst,
                               uint16_t oid, uint16_t iid, uint16_t owner)
{
    for (size_t i = 0; i < BW_LWM2M_MAX_ACL; i++)
        if (!s->acl[i].in_use) {
            bw_lwm2m_acl_t *a = &s->acl[i];
            memset(a, 0, sizeof *a);
            a->in_use = 1;
            a->inst = inst;
            a->oid = oid;
            a->iid = iid;
            a->owner = owner;
            return a;
        }
    fail_msg("ACL table full");
    return NULL;
}

static void entry(bw_lwm2m_acl_t *a, uint16_t ssid, uint16_t rights)
{
    a->acl[a->nacl].ssid = ssid;
    a->acl[a->nacl].rights = rights;
    a->nacl++;
}

/* Add DM server 2 (/0/2, /1/2) to a set made by bw_lwm2m_peer_set. */
static void second_server(bw_lwm2m_servers_t *s)
{
    s->sec[2].in_use = 1;
    s->sec[2].inst = 2;
    s->sec[2].ssid = 2;
    s->sec[2].mode = BW_LWM2M_SEC_NOSEC;
    strcpy(s->sec[2].uri, "coap://dm2");
    s->srv[1] = s->srv[0];
    s->srv[1].inst = 2;
    s->srv[1].ssid = 2;
}

/* A set with DM servers 1 (/1/1) and 2 (/1/2) and no ACL yet. */
static void two_servers(bw_lwm2m_servers_t *s)
{
    bw_lwm2m_peer_set(s, 1, 300, "U");
    second_server(s);
}

/* The algorithm of Core 7.3.1, rule by rule: an entry of one's own wins
 * (even over ownership: an owner may deny itself), then ownership, then
 * the default entry 0, then nothing; not covered is BW_ENOTFOUND except
 * one's own Server instance; Create asks /O/65535; bits above C are
 * ignored; object 2 has its own rules; one DM server means no control. */
static void test_rights_rules(void **state)
{
    bw_lwm2m_servers_t s;
    (void)state;
    memset(&s, 0, sizeof s);
    two_servers(&s);
    bw_lwm2m_acl_t *a = add_acl(&s, 0, 3, 0, 1);
    entry(a, 0, (uint16_t)(R | E));
    entry(a, 2, 0);
    a = add_acl(&s, 1, 5, 0, 1);
    entry(a, 1, (uint16_t)R);
    entry(a, 0, (uint16_t)W);
    a = add_acl(&s, 2, 1024, 65535, 65535);
    entry(a, 2, 0xFFFF);
    a = add_acl(&s, 3, 1024, 7, 2);

    assert_int_equal(bw_lwm2m_acl_servers(&s), 2);
    assert_int_equal(bw_lwm2m_acl_rights(&s, 1, 3, 0), ALL);   /* owner */
    assert_int_equal(bw_lwm2m_acl_rights(&s, 2, 3, 0), 0);     /* entry 0 */
    assert_int_equal(bw_lwm2m_acl_rights(&s, 9, 3, 0), R | E); /* default */
    assert_int_equal(bw_lwm2m_acl_rights(&s, 1, 5, 0), R);     /* own entry */
    assert_int_equal(bw_lwm2m_acl_rights(&s, 2, 5, 0), W);     /* default */
    assert_int_equal(bw_lwm2m_acl_rights(&s, 2, 1024, 65535), ALL);
    assert_true(bw_lwm2m_acl_rights(&s, 2, 1024, 65535) & C);
    assert_int_equal(bw_lwm2m_acl_rights(&s, 1, 1024, 65535), 0);
    assert_int_equal(bw_lwm2m_acl_rights(&s, 1, 1024, 7), 0); /* no default */
    assert_int_equal(bw_lwm2m_acl_rights(&s, 2, 1024, 7), ALL);
    bw_assert_err(bw_lwm2m_acl_rights(&s, 1, 1024, 8), BW_ENOTFOUND);
    assert_int_equal(bw_lwm2m_acl_rights(&s, 1, 1, 1), R | W | E);
    bw_assert_err(bw_lwm2m_acl_rights(&s, 1, 1, 2), BW_ENOTFOUND);
    /* /2/x: the owner reads and writes; a server with a right on the
     * governed instance reads; others see nothing. */
    assert_int_equal(bw_lwm2m_acl_rights(&s, 1, 2, 0), R | W);
    assert_int_equal(bw_lwm2m_acl_rights(&s, 2, 2, 0), 0);
    assert_int_equal(bw_lwm2m_acl_rights(&s, 2, 2, 1), R);
    assert_int_equal(bw_lwm2m_acl_rights(&s, 2, 2, 3), R | W);
    bw_assert_err(bw_lwm2m_acl_rights(&s, 1, 2, 4), BW_ENOTFOUND);
    bw_assert_err(bw_lwm2m_acl_rights(NULL, 1, 3, 0), BW_EINVAL);

    s.srv[1].in_use = 0; /* one DM server left: no access control */
    assert_int_equal(bw_lwm2m_acl_servers(&s), 1);
    assert_int_equal(bw_lwm2m_acl_rights(&s, 2, 3, 0), ALL);
    assert_int_equal(bw_lwm2m_acl_rights(&s, 1, 1024, 8), ALL);
}

/* CRC-32 as the blob uses it, to re-seal damaged copies. */
static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static void reseal(uint8_t *b, size_t len)
{
    uint32_t c = crc32(b, len - 4);
    b[len - 4] = (uint8_t)(c >> 24);
    b[len - 3] = (uint8_t)(c >> 16);
    b[len - 2] = (uint8_t)(c >> 8);
    b[len - 1] = (uint8_t)c;
}

/* Every Access Control slot with every entry: the largest ACL part. */
static void full_acl(bw_lwm2m_servers_t *s)
{
    for (uint16_t i = 0; i < BW_LWM2M_MAX_ACL; i++) {
        bw_lwm2m_acl_t *a = add_acl(s, (uint16_t)(10 + i), 1024, i, 1);
        for (uint16_t k = 0; k < BW_LWM2M_ACL_ENTRIES; k++)
            entry(a, k, (uint16_t)(k + 1));
    }
}

/*
 * Round trip with Access Control records; a set without them keeps its
 * old encoding (byte 7 zero, within BW_LWM2M_SERVERS_BLOB_MAX).  Power-cut
 * safety: every torn copy (each shorter prefix) and every one-bit flip
 * fails to decode, so a port never takes a half-written set of rights.
 */
static void test_blob_round_trip(void **state)
{
    bw_lwm2m_servers_t s, out;
    uint8_t b[BW_LWM2M_SERVERS_BLOB_ACL_MAX];
    size_t len;
    uint32_t gen;
    (void)state;

    memset(&s, 0, sizeof s);
    two_servers(&s);
    assert_int_equal(bw_lwm2m_servers_encode(&s, 3, b, sizeof b, &len), 0);
    assert_int_equal(b[7], 0);
    assert_true(len <= BW_LWM2M_SERVERS_BLOB_MAX);

    full_acl(&s);
    assert_int_equal(bw_lwm2m_servers_encode(&s, 4, b, sizeof b, &len), 0);
    assert_int_equal(b[7], BW_LWM2M_MAX_ACL);
    assert_int_equal(bw_lwm2m_servers_decode(b, len, &out, &gen), 0);
    assert_int_equal(gen, 4);
    assert_memory_equal(&out, &s, sizeof s);
    for (size_t n = 0; n < len; n++)
        assert_int_not_equal(bw_lwm2m_servers_decode(b, n, &out, &gen), 0);
    for (size_t i = 0; i < len; i++) {
        b[i] ^= 0x10;
        assert_int_not_equal(bw_lwm2m_servers_decode(b, len, &out, &gen), 0);
        b[i] ^= 0x10;
    }
    assert_int_equal(bw_lwm2m_servers_decode(b, len, &out, &gen), 0);
}

/* The largest set of all encodes to BW_LWM2M_SERVERS_BLOB_ACL_MAX
 * exactly; an ACL with more entries than fit is BW_ERANGE. */
static void test_largest_with_acl(void **state)
{
    bw_lwm2m_servers_t s;
    uint8_t b[BW_LWM2M_SERVERS_BLOB_ACL_MAX];
    size_t len;
    (void)state;
    memset(&s, 0, sizeof s);
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++) {
        s.sec[i].in_use = 1;
        s.sec[i].inst = (uint16_t)i;
        memset(s.sec[i].uri, 'u', BW_LWM2M_URI_MAX - 1);
        s.sec[i].psk_id_len = BW_LWM2M_PSK_ID_MAX;
        s.sec[i].psk_len = BW_LWM2M_PSK_MAX;
    }
    for (size_t i = 0; i < BW_LWM2M_MAX_SERVERS; i++) {
        s.srv[i].in_use = 1;
        s.srv[i].inst = (uint16_t)i;
        strcpy(s.srv[i].binding, "UQS");
    }
    full_acl(&s);
    assert_int_equal(bw_lwm2m_servers_encode(&s, 1, b, sizeof b, &len), 0);
    assert_int_equal(len, BW_LWM2M_SERVERS_BLOB_ACL_MAX);
    bw_assert_err(bw_lwm2m_servers_encode(&s, 1, b, sizeof b - 1, &len),
                  BW_ENOSPC);
    s.acl[0].nacl = BW_LWM2M_ACL_ENTRIES + 1;
    bw_assert_err(bw_lwm2m_servers_encode(&s, 1, b, sizeof b, &len), BW_ERANGE);
    s.acl[0].nacl = 1;
    s.acl[0].oid = 0;
    bw_assert_err(bw_lwm2m_servers_encode(&s, 1, b, sizeof b, &len), BW_ERANGE);
    /* Two entries for one server: the decoder refuses it, so does the
     * encoder. */
    s.acl[0].oid = 1024;
    s.acl[0].nacl = 2;
    s.acl[0].acl[1].ssid = s.acl[0].acl[0].ssid;
    bw_assert_err(bw_lwm2m_servers_encode(&s, 1, b, sizeof b, &len),
                  BW_EDUPKEY);
    s.acl[0].acl[1].ssid = (uint16_t)(s.acl[0].acl[0].ssid + 100);
    assert_int_equal(bw_lwm2m_servers_encode(&s, 1, b, sizeof b, &len), 0);
}

/* Damaged Access Control records, CRC made valid again: each answered by
 * its own code, and the set left wiped. */
static void test_acl_record_damage(void **state)
{
    bw_lwm2m_servers_t s, out;
    uint8_t b[BW_LWM2M_SERVERS_BLOB_ACL_MAX], w[sizeof b];
    size_t len;
    uint32_t gen;
    (void)state;
    memset(&s, 0, sizeof s);
    two_servers(&s);
    bw_lwm2m_acl_t *a = add_acl(&s, 5, 3, 0, 1);
    entry(a, 0, 1);
    entry(a, 2, 1);
    a = add_acl(&s, 6, 5, 0, 1);
    assert_int_equal(bw_lwm2m_servers_encode(&s, 1, b, sizeof b, &len), 0);
    /* The two ACL records are the last 9 + 8 and 9 bytes of the body. */
    size_t r0 = len - 4 - 9 - (9 + 8), r1 = len - 4 - 9;
    static const struct {
        int rec; /* -1: header */
        size_t off;
        uint8_t val;
        uint8_t pair; /* the byte before gets val too */
        int err;
    } cases[] = {
        /* Record: inst 0, oid 2, iid 4, owner 6, n 8, entries from 9
         * (ssid:2 rights:2 each). */
        {-1, 7, BW_LWM2M_MAX_ACL + 1, 0, BW_ERANGE}, /* more than the table */
        {-1, 7, 3, 0, BW_EMALFORMED},                /* a record missing */
        {-1, 7, 1, 0, BW_EMALFORMED},                /* one left over */
        {0, 3, 0, 0, BW_ERANGE},                     /* Object ID 0 */
        {0, 3, 0xFF, 1, BW_ERANGE},                  /* Object ID 65535 */
        {0, 1, 0xFF, 1, BW_ERANGE},                  /* instance 65535 */
        {0, 8, BW_LWM2M_ACL_ENTRIES + 1, 0, BW_EOVERFLOW},
        {0, 8, 3, 0, BW_EMALFORMED}, /* entries past the body */
        {0, 14, 0, 0, BW_EDUPKEY},   /* entry ssid 2 -> 0 again */
        {0, 10, 0xFF, 1, BW_ERANGE}, /* entry ssid 65535 */
        {1, 1, 5, 0, BW_EDUPKEY},    /* instance 6 -> 5 again */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(w, b, len);
        size_t at = cases[i].rec < 0
                        ? cases[i].off
                        : (cases[i].rec == 0 ? r0 : r1) + cases[i].off;
        w[at] = cases[i].val;
        if (cases[i].pair)
            w[at - 1] = cases[i].val;
        reseal(w, len);
        bw_assert_err(bw_lwm2m_servers_decode(w, len, &out, &gen),
                      cases[i].err);
        assert_int_equal(gen, 0);
        bw_lwm2m_servers_t zero;
        memset(&zero, 0, sizeof zero);
        assert_memory_equal(&out, &zero, sizeof out);
    }
}

/* ---- Bootstrap-Finish -------------------------------------------------- */

typedef struct {
    bw_lwm2m_peer_t peer;
    bw_lwm2m_client_t c;
    bw_lwm2m_client_config_t cfg;
} fix_t;

static int setup(void **state)
{
    fix_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    bw_lwm2m_peer_init(&f->peer);
    bw_lwm2m_peer_config(&f->peer, &f->cfg, "dev1", FACTORY);
    assert_int_equal(bw_lwm2m_client_init(&f->c, &f->cfg, 7), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* TLV for /2/inst: Object ID (unless oid 0), Object Instance ID, one ACL
 * entry {2: R}, owner. */
static size_t acl_tlv(uint8_t *buf, size_t cap, uint16_t inst, uint16_t oid,
                      uint16_t iid, uint16_t owner)
{
    bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(2, inst);
    bw_lwm2m_tlv_writer_t w;
    bw_lwm2m_record_t r;
    size_t len;
    memset(&r, 0, sizeof r);
    bw_lwm2m_tlv_begin(&w, buf, cap, &base);
    if (oid != 0) {
        r.path = (bw_lwm2m_path_t)BW_LWM2M_PATH_RES(2, inst, 0);
        r.value = bw_lwm2m_value_int(oid);
        bw_lwm2m_tlv_add(&w, &r);
    }
    r.path = (bw_lwm2m_path_t)BW_LWM2M_PATH_RES(2, inst, 1);
    r.value = bw_lwm2m_value_int(iid);
    bw_lwm2m_tlv_add(&w, &r);
    r.path = (bw_lwm2m_path_t)BW_LWM2M_PATH_RI(2, inst, 2, 2);
    r.value = bw_lwm2m_value_int(R);
    bw_lwm2m_tlv_add(&w, &r);
    r.path = (bw_lwm2m_path_t)BW_LWM2M_PATH_RES(2, inst, 3);
    r.value = bw_lwm2m_value_int(owner);
    bw_lwm2m_tlv_add(&w, &r);
    assert_int_equal(bw_lwm2m_tlv_finish(&w, &len), 0);
    return len;
}

static uint8_t bs(fix_t *f, uint8_t method, const char *path,
                  const uint8_t *tlv, size_t n, bw_coap_msg_t *rsp)
{
    return bw_lwm2m_peer_request(&f->peer, &f->c, 10, method, path,
                                 n > 0 ? BW_COAP_FMT_LWM2M_TLV : -1, tlv, n,
                                 rsp);
}

static void expect_refused(fix_t *f, const char *why)
{
    bw_coap_msg_t m;
    assert_int_equal(bs(f, BW_COAP_POST, "/bs", NULL, 0, &m),
                     BW_COAP_NOT_ACCEPTABLE);
    assert_int_equal(m.payload_len, strlen(why));
    assert_memory_equal(m.payload, why, m.payload_len);
    assert_int_equal(f->peer.saves, 0);
    assert_int_equal(bw_lwm2m_client_state(&f->c),
                     BW_LWM2M_STATE_BOOTSTRAPPING);
}

/*
 * Bad ACL data reaches the staged set (each write alone is fine) and is
 * refused at Finish with 4.06 and its reason: nothing is saved, the set in
 * use keeps no Access Control instance.  A value out of range is refused
 * at the write itself (4.00).  Once fixed, Finish saves the set with its
 * ACL in the same single save().
 */
static void test_finish_refuses_bad_acl(void **state)
{
    fix_t *f = *state;
    uint8_t tlv[256];
    size_t n;
    bw_coap_msg_t m;

    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    bw_lwm2m_peer_step(&f->c, 0);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/bs");
    bw_lwm2m_peer_reply(&f->peer, &f->c, 5, &m, BW_COAP_CHANGED, NULL);
    n = bw_lwm2m_peer_tlv_security(tlv, sizeof tlv, 1, "coaps://dm:5684", 0,
                                   "id", BW_PEER_PSK, sizeof BW_PEER_PSK, 1);
    assert_int_equal(bs(f, BW_COAP_PUT, "/0/1", tlv, n, NULL), BW_COAP_CHANGED);
    n = bw_lwm2m_peer_tlv_server(tlv, sizeof tlv, 1, 1, 300, "U");
    assert_int_equal(bs(f, BW_COAP_PUT, "/1/1", tlv, n, NULL), BW_COAP_CHANGED);

    n = acl_tlv(tlv, sizeof tlv, 0, 0, 0, 1); /* no Object ID */
    assert_int_equal(bs(f, BW_COAP_PUT, "/2/0", tlv, n, NULL), BW_COAP_CHANGED);
    expect_refused(f, "/2/0/0: no object ID");
    assert_null(bw_lwm2m_acl_find(&f->c.set, 0, 0));

    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 10, BW_COAP_PUT,
                                           "/2/0/0", BW_COAP_FMT_TEXT, "0", 1,
                                           NULL),
                     BW_COAP_BAD_REQUEST); /* Object ID 1..65534 */
    n = acl_tlv(tlv, sizeof tlv, 0, 3, 0, 1);
    assert_int_equal(bs(f, BW_COAP_PUT, "/2/0", tlv, n, NULL), BW_COAP_CHANGED);
    n = acl_tlv(tlv, sizeof tlv, 1, 3, 0, 1); /* /3/0 again */
    assert_int_equal(bs(f, BW_COAP_PUT, "/2/1", tlv, n, NULL), BW_COAP_CHANGED);
    expect_refused(f, "/2/1/1: O/I twice");
    n = acl_tlv(tlv, sizeof tlv, 1, 2, 0, 1);
    assert_int_equal(bs(f, BW_COAP_PUT, "/2/1", tlv, n, NULL), BW_COAP_CHANGED);
    expect_refused(f, "/2/1/0: is object 2");
    n = acl_tlv(tlv, sizeof tlv, 1, 5, 0, 0);
    assert_int_equal(bs(f, BW_COAP_PUT, "/2/1", tlv, n, NULL), BW_COAP_CHANGED);
    expect_refused(f, "/2/1/3: no owner");
    for (size_t i = 0; i < BW_LWM2M_MAX_ACL; i++)
        assert_false(f->c.set.acl[i].in_use);

    assert_int_equal(bs(f, BW_COAP_DELETE, "/2/1", NULL, 0, NULL),
                     BW_COAP_DELETED);
    assert_int_equal(bs(f, BW_COAP_POST, "/bs", NULL, 0, NULL),
                     BW_COAP_CHANGED);
    assert_int_equal(f->peer.saves, 1);
    bw_lwm2m_servers_t stored;
    uint32_t gen;
    assert_int_equal(bw_lwm2m_servers_decode(f->peer.store, f->peer.store_len,
                                             &stored, &gen),
                     0);
    const bw_lwm2m_acl_t *a = bw_lwm2m_acl_find(&stored, 3, 0);
    assert_non_null(a);
    assert_int_equal(a->nacl, 1);
    assert_int_equal(a->acl[0].ssid, 2);
    assert_memory_equal(stored.acl, f->c.set.acl, sizeof stored.acl);
}

/*
 * One DM server (SSID 1) with Access Control instances that would deny it
 * everything (owner 9, no entry): nothing is checked, as before object 2
 * existed.  Through the whole client: its own Server instance, another
 * one it has no ACL for, the ACL object.
 */
static void test_single_server_unchecked(void **state)
{
    fix_t *f = *state;
    bw_lwm2m_servers_t s;
    memset(&s, 0, sizeof s);
    bw_lwm2m_peer_set(&s, 1, 300, "U");
    add_acl(&s, 0, 1, 1, 9);
    add_acl(&s, 1, 3, 0, 9);
    bw_lwm2m_peer_store(&f->peer, &s, 2);
    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    bw_lwm2m_peer_step(&f->c, 0);
    bw_lwm2m_peer_register(&f->peer, &f->c, 1, "rd/1");
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 2, BW_COAP_GET,
                                           "/1/1/1", -1, NULL, 0, NULL),
                     BW_COAP_CONTENT);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 2, BW_COAP_PUT,
                                           "/1/1/1", BW_COAP_FMT_TEXT, "600", 3,
                                           NULL),
                     BW_COAP_CHANGED);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 2, BW_COAP_GET,
                                           "/2/1/3", -1, NULL, 0, NULL),
                     BW_COAP_CONTENT);
    /* The same set with a second DM server: now the ACL of /1/1 holds. */
    second_server(&s);
    assert_int_equal(bw_lwm2m_acl_rights(&s, 1, 1, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rights_rules),
        cmocka_unit_test(test_blob_round_trip),
        cmocka_unit_test(test_largest_with_acl),
        cmocka_unit_test(test_acl_record_damage),
        cmocka_unit_test_setup_teardown(test_finish_refuses_bad_acl, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_single_server_unchecked, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
