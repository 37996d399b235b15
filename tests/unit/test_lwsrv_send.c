/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DM server's Send handler (server/lwm2m/lwm2m_send.h) with its real
 * store: a registry holding one registration, the security store (a real
 * SQLite database with the device's PSK identity) deciding who a peer
 * is, and the telemetry table receiving the values.  Requests are CoAP
 * messages built here and handed to bw_lwsrv_send_resource() as the DTLS
 * layer would; packs are written with the bare CBOR writer or as JSON
 * text, not with the SenML writer the client uses.  Every refusal is
 * checked for its exact answer code and for an empty table afterwards.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <math.h>

#include "bulwark/cbor.h"
#include "db_telemetry.h"
#include "lwm2m_send.h"
#include "test_db_fixture.h"

#define NOW_MS 1700000100000LL

typedef struct {
    dbfx_t db;
    bw_lwsrv_registry_t *reg;
    bw_lwsrv_send_config_t cfg;
    struct sockaddr_in addr, other;
    bw_dtls_peer_info_t peer;
    uint64_t max_rows;
    uint16_t mid;
    int stores;
} fix_t;

static int owner(void *arg, const bw_dtls_peer_info_t *peer,
                 char ep[BW_LWSRV_EP_MAX + 1])
{
    fix_t *f = arg;
    bw_db_cred_state_t st;
    return bw_db_identity_lookup(f->db.db, peer->identity, peer->identity_len,
                                 BW_DB_PURPOSE_DM, ep, BW_LWSRV_EP_MAX + 1,
                                 &st) == 0
               ? 0
               : BW_ENOTFOUND;
}

static int store(void *arg, const char *ep, const bw_lwsrv_sample_t *v,
                 size_t n, int64_t now_ms)
{
    fix_t *f = arg;
    bw_db_tm_value_t rows[BW_LWSRV_SEND_MAX_RECORDS];
    assert_true(n <= BW_LWSRV_SEND_MAX_RECORDS);
    for (size_t i = 0; i < n; i++)
        rows[i] = (bw_db_tm_value_t){.path = v[i].path,
                                     .sampled_ms = v[i].t_ms,
                                     .kind = (bw_db_tm_kind_t)v[i].kind,
                                     .num = v[i].num,
                                     .bytes = v[i].bytes,
                                     .len = v[i].len};
    f->stores++;
    return bw_db_telemetry_store(f->db.db, ep, rows, n, now_ms, f->max_rows);
}

static int64_t clock_ms(void *arg)
{
    (void)arg;
    return NOW_MS;
}

static void add_device(fix_t *f, const char *ep, const char *identity)
{
    uint8_t psk[16];
    for (size_t i = 0; i < sizeof psk; i++)
        psk[i] = (uint8_t)(i * 7 + (uint8_t)identity[4]);
    bw_assert_err(bw_db_device_add(f->db.db, ep, "m", "", NOW_MS, NULL), 0);
    bw_assert_err(bw_db_psk_import(f->db.db, ep, (const uint8_t *)identity,
                                   strlen(identity), psk, sizeof psk,
                                   BW_DB_CRED_ACTIVE, NOW_MS, NULL),
                  0);
}

static int setup(void **state)
{
    fix_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    dbfx_init(&f->db);
    dbfx_open(&f->db);
    add_device(f, "dev1", "key-alfa");
    add_device(f, "dev2", "key-bravo"); /* known, never registered */
    f->reg = bw_lwsrv_registry_new();
    assert_non_null(f->reg);
    f->addr.sin_family = AF_INET;
    f->addr.sin_port = htons(40001);
    f->addr.sin_addr.s_addr = htonl(0x7f000001);
    f->other = f->addr;
    f->other.sin_port = htons(40002);

    static const char links[] = "</>;rt=\"oma.lwm2m\",</1/0>,</3>;ver=1.1,"
                                "</3/0>,</3303/0>,</4242>";
    bw_lwsrv_reg_t r;
    char loc[BW_LWSRV_LOC_LEN + 1];
    memset(&r, 0, sizeof r);
    strcpy(r.ep, "dev1");
    r.lifetime = 300;
    strcpy(r.binding, "U");
    r.version_minor = 1;
    r.links = links;
    r.links_len = strlen(links);
    bw_assert_err(bw_lwsrv_registry_register(f->reg, &r, 0,
                                             (const struct sockaddr *)&f->addr,
                                             sizeof f->addr, 1000, loc),
                  0);
    f->cfg = (bw_lwsrv_send_config_t){.registry = f->reg,
                                      .owner = owner,
                                      .store = store,
                                      .arg = f,
                                      .wall_ms = clock_ms};
    f->peer.addr = (const struct sockaddr *)&f->addr;
    f->peer.addr_len = sizeof f->addr;
    f->peer.identity = (const uint8_t *)"key-alfa";
    f->peer.identity_len = 8;
    f->max_rows = 10000;
    f->mid = 0x100;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fix_t *f = *state;
    bw_lwsrv_registry_free(f->reg);
    dbfx_done(&f->db);
    free(f);
    return 0;
}

/* POST /dp with Content-Format cf (< 0: none), as CON with a new MID
 * unless mid is given; returns the answer's code (*rsp its message). */
static uint8_t post_mid(fix_t *f, int cf, const void *payload, size_t len,
                        uint16_t mid, bw_coap_msg_t *rsp, uint8_t *out)
{
    static uint8_t buf[4096];
    bw_coap_writer_t w;
    bw_coap_msg_t req;
    size_t n;
    uint8_t tok[2] = {0xD0, (uint8_t)mid};
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_POST, mid,
                        tok, sizeof tok);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "dp", 2);
    if (cf >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, (uint32_t)cf);
    if (len > 0)
        bw_coap_writer_payload(&w, payload, len);
    assert_int_equal(bw_coap_writer_finish(&w, &n), 0);
    assert_int_equal(bw_coap_parse(&req, buf, n), 0);
    size_t olen = bw_lwsrv_send_resource(&f->cfg, &f->peer, &req, out, 256);
    assert_true(olen > 0);
    assert_int_equal(bw_coap_parse(rsp, out, olen), 0);
    assert_int_equal(rsp->type, BW_COAP_ACK);
    assert_int_equal(rsp->mid, mid);
    assert_int_equal(rsp->token_len, 2);
    return rsp->code;
}

static uint8_t post(fix_t *f, int cf, const void *payload, size_t len)
{
    bw_coap_msg_t rsp;
    uint8_t out[256];
    return post_mid(f, cf, payload, len, ++f->mid, &rsp, out);
}

static uint64_t rows(fix_t *f, const char *ep)
{
    uint64_t n = 99;
    bw_assert_err(bw_db_telemetry_count(f->db.db, ep, &n), 0);
    return n;
}

/* Values read back, newest first. */
typedef struct {
    size_t n;
    char path[16][32];
    int64_t t[16], rx[16];
    bw_db_tm_kind_t kind[16];
    double num[16];
    char text[16][64];
    size_t len[16];
} got_t;

static int collect(void *arg, const bw_db_tm_value_t *v)
{
    got_t *g = arg;
    assert_true(g->n < 16);
    snprintf(g->path[g->n], sizeof g->path[0], "%s", v->path);
    g->t[g->n] = v->sampled_ms;
    g->rx[g->n] = v->received_ms;
    g->kind[g->n] = v->kind;
    g->num[g->n] = v->num;
    g->len[g->n] = v->len;
    if (v->bytes != NULL && v->len < sizeof g->text[0])
        memcpy(g->text[g->n], v->bytes, v->len);
    g->n++;
    return 0;
}

static void read_all(fix_t *f, got_t *g)
{
    bw_db_tm_query_t q = {.since_ms = INT64_MIN, .limit = 100};
    memset(g, 0, sizeof *g);
    bw_assert_err(bw_db_telemetry_read(f->db.db, "dev1", &q, collect, g), 0);
}

/* A map {0: name, <vkey>: ...} is written by the caller after this. */
static void rec_name(bw_cbor_writer_t *w, size_t pairs, const char *name)
{
    bw_cbor_write_map(w, pairs);
    bw_cbor_write_uint(w, 0);
    bw_cbor_write_text(w, name, strlen(name));
}

/*
 * A CBOR pack of five records: a float with an absolute base time, an
 * integer and a string at a relative time (t = -5 s), a boolean and
 * opaque bytes without time.  2.04; five rows with the right kinds,
 * values and times (absolute; receive time - 5 s; receive time).
 */
static void test_cbor_pack_stored(void **state)
{
    fix_t *f = *state;
    uint8_t p[256];
    size_t len;
    got_t g;
    bw_cbor_writer_t w;
    bw_cbor_writer_init(&w, p, sizeof p);
    bw_cbor_write_array(&w, 5);
    rec_name(&w, 3, "/3303/0/5700");
    bw_cbor_write_nint(&w, 2); /* bt */
    bw_cbor_write_uint(&w, 1700000000);
    bw_cbor_write_uint(&w, 2);
    bw_cbor_write_double(&w, 21.5);
    bw_cbor_writer_finish(&w, &len);
    bw_cbor_writer_init(&w, p + len, sizeof p - len);
    /* bt stays in force for the next records: give them their own t by
     * a new bt of 0 (relative to now) and t = -5. */
    rec_name(&w, 4, "/3/0/9");
    bw_cbor_write_nint(&w, 2);
    bw_cbor_write_uint(&w, 0);
    bw_cbor_write_uint(&w, 6);
    bw_cbor_write_int(&w, -5);
    bw_cbor_write_uint(&w, 2);
    bw_cbor_write_uint(&w, 87);
    rec_name(&w, 3, "/3/0/0");
    bw_cbor_write_uint(&w, 6);
    bw_cbor_write_int(&w, -5);
    bw_cbor_write_uint(&w, 3);
    bw_cbor_write_text(&w, "ACME", 4);
    size_t more;
    bw_cbor_writer_finish(&w, &more);
    len += more;
    bw_cbor_writer_init(&w, p + len, sizeof p - len);
    rec_name(&w, 2, "/3303/0/5701");
    bw_cbor_write_uint(&w, 4);
    bw_cbor_write_bool(&w, true);
    rec_name(&w, 2, "/4242/7/1/3");
    bw_cbor_write_uint(&w, 8);
    bw_cbor_write_bytes(&w, "\x01\x00\x02", 3);
    assert_int_equal(bw_cbor_writer_finish(&w, &more), 0);
    len += more;

    assert_int_equal(post(f, BW_COAP_FMT_SENML_CBOR, p, len), BW_COAP_CHANGED);
    read_all(f, &g);
    assert_int_equal(g.n, 5);
    /* Newest first: the three at receive time (ties: later insert first),
     * then the two at -5 s, then the one in 2023. */
    assert_string_equal(g.path[0], "/4242/7/1/3");
    assert_int_equal(g.kind[0], BW_DB_TM_OPAQUE);
    assert_int_equal(g.len[0], 3);
    assert_memory_equal(g.text[0], "\x01\x00\x02", 3);
    assert_int_equal(g.t[0], NOW_MS);
    assert_string_equal(g.path[1], "/3303/0/5701");
    assert_int_equal(g.kind[1], BW_DB_TM_BOOL);
    assert_true(g.num[1] == 1.0);
    /* bt 0 is in force from the second record on: t absent is "now". */
    assert_int_equal(g.t[1], NOW_MS);
    assert_string_equal(g.path[2], "/3/0/0");
    assert_int_equal(g.kind[2], BW_DB_TM_STRING);
    assert_string_equal(g.text[2], "ACME");
    assert_int_equal(g.t[2], NOW_MS - 5000);
    assert_string_equal(g.path[3], "/3/0/9");
    assert_int_equal(g.kind[3], BW_DB_TM_NUMBER);
    assert_true(g.num[3] == 87.0);
    assert_int_equal(g.t[3], NOW_MS - 5000);
    assert_string_equal(g.path[4], "/3303/0/5700");
    assert_true(g.num[4] == 21.5);
    assert_int_equal(g.t[4], 1700000000000LL);
    for (size_t i = 0; i < g.n; i++)
        assert_int_equal(g.rx[i], NOW_MS);
}

/*
 * SenML JSON with a base name and base time, and a value-less record (an
 * empty multiple resource): 2.04 and two rows, the names resolved
 * against bn, the value-less record not stored.
 */
static void test_json_pack_stored(void **state)
{
    fix_t *f = *state;
    static const char js[] =
        "[{\"bn\":\"/3303/0/\",\"bt\":1700000050.25,\"n\":\"5700\",\"v\":-3},"
        "{\"n\":\"5701\",\"vs\":\"Cel\"},{\"n\":\"5702\"}]";
    got_t g;
    assert_int_equal(post(f, BW_COAP_FMT_SENML_JSON, js, strlen(js)),
                     BW_COAP_CHANGED);
    read_all(f, &g);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.path[0], "/3303/0/5701");
    assert_string_equal(g.text[0], "Cel");
    assert_string_equal(g.path[1], "/3303/0/5700");
    assert_true(g.num[1] == -3.0);
    assert_int_equal(g.t[1], 1700000050250LL);
}

/*
 * Malformed and ill-typed packs, each answered 4.00 with nothing stored:
 * truncated CBOR, trailing bytes, not an array, a string where v wants
 * a number, two value fields, a name that is not a path, a path to an
 * instance carrying a value, a NaN, a time beyond year 9999, broken
 * JSON, a pack with no value at all.
 */
static void test_malformed_refused(void **state)
{
    fix_t *f = *state;
    static const struct {
        int cf;
        const char *hex; /* CBOR */
        const char *json;
    } bad[] = {
        /* [{0: "/3/0/9", 2: 8 ... cut */
        {112, "81a200662f332f302f3902", NULL},
        {112, "81a200662f332f302f390208ff", NULL},   /* trailing 0xff */
        {112, "a200662f332f302f390208", NULL},       /* a map, no array */
        {112, "81a200662f332f302f39026178", NULL},   /* v: "x" */
        {112, "81a300662f332f302f39020803f5", NULL}, /* v and vs */
        {112, "81a20063616263020a", NULL},           /* n: "abc" */
        {112,
         "81a20064"
         "2f332f30"
         "0208",
         NULL},                                      /* /3/0 with a value */
        {112, "81a200662f332f302f3902f97e00", NULL}, /* v: NaN (half) */
        {112, "81a300662f332f302f390208061b0000003b9aca0000", NULL},
        {110, NULL, "[{\"n\":\"/3/0/9\",\"v\":1"},
        {110, NULL, "[{\"n\":\"/3/0/9\",\"t\":1e300,\"v\":1}]"},
        {110, NULL, "[{\"n\":\"/3/0/9\"}]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t p[128];
        size_t len;
        if (bad[i].hex != NULL) {
            len = bw_test_hex(bad[i].hex, p, sizeof p);
        } else {
            len = strlen(bad[i].json);
            memcpy(p, bad[i].json, len);
        }
        if (post(f, bad[i].cf, p, len) != BW_COAP_BAD_REQUEST)
            fail_msg("bad pack %zu not answered 4.00", i);
        assert_int_equal(rows(f, "dev1"), 0);
    }
}

/*
 * The decoder's own codes for some of the packs above, so that each is
 * refused for the reason meant: truncated BW_ETRUNC, trailing
 * BW_ETRAILING, v a string BW_ETYPE, a non-path name BW_EPATH, NaN and
 * a far time BW_ERANGE, no value BW_EMALFORMED; and the limits: text/plain
 * BW_EFORMAT, a 2049-byte payload and 65 records BW_EOVERFLOW.
 */
static void test_decode_codes(void **state)
{
    (void)state;
    bw_lwsrv_sample_t v[BW_LWSRV_SEND_MAX_RECORDS];
    static uint8_t arena[BW_LWSRV_SEND_PAYLOAD_MAX], p[4096];
    const char *links = "</3/0>";
    const char *why;
    size_t n = 7, len;
    static const struct {
        const char *hex;
        int err;
    } c[] = {
        {"81a200662f332f302f3902", BW_ETRUNC},
        {"81a200662f332f302f390208ff", BW_ETRAILING},
        {"81a200662f332f302f39026178", BW_ETYPE},
        {"81a20063616263020a", BW_EPATH},
        {"81a200662f332f302f3902f97e00", BW_ERANGE},
        {"81a300662f332f302f390208061b0000003b9aca0000", BW_ERANGE},
        {"81a100662f332f302f39", BW_EMALFORMED},
        {"81a200662f342f302f390208", BW_ENOTFOUND}, /* /4/0/9 */
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        len = bw_test_hex(c[i].hex, p, sizeof p);
        n = 7;
        int err = bw_lwsrv_send_decode(112, p, len, links, 0, NOW_MS, v,
                                       BW_LWSRV_SEND_MAX_RECORDS, &n, arena,
                                       sizeof arena, &why);
        if (err != c[i].err)
            fail_msg("case %zu: %s, wanted %s", i, bw_err_name(err),
                     bw_err_name(c[i].err));
        assert_int_equal(n, 0);
        assert_non_null(why);
    }
    len = bw_test_hex("81a200662f332f302f390208", p, sizeof p);
    bw_assert_err(bw_lwsrv_send_decode(0, p, len, links, 0, NOW_MS, v, 64, &n,
                                       arena, sizeof arena, NULL),
                  BW_EFORMAT);
    bw_assert_err(bw_lwsrv_send_decode(112, p, len, links, 0, NOW_MS, v, 64, &n,
                                       arena, sizeof arena, NULL),
                  0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].path, "/3/0/9");
    bw_assert_err(bw_lwsrv_send_decode(112, p, BW_LWSRV_SEND_PAYLOAD_MAX + 1,
                                       links, 0, NOW_MS, v, 64, &n, arena,
                                       sizeof arena, NULL),
                  BW_EOVERFLOW);
    /* 65 records of {0:"/3/0/9",2:8}: 11 bytes each after a 2-byte head. */
    p[0] = 0x98;
    p[1] = BW_LWSRV_SEND_MAX_RECORDS + 1;
    len = 2;
    for (int i = 0; i <= BW_LWSRV_SEND_MAX_RECORDS; i++)
        len += bw_test_hex("a200662f332f302f390208", p + len, sizeof p - len);
    assert_true(len <= BW_LWSRV_SEND_PAYLOAD_MAX);
    bw_assert_err(bw_lwsrv_send_decode(112, p, len, links, 0, NOW_MS, v, 64, &n,
                                       arena, sizeof arena, NULL),
                  BW_EOVERFLOW);
    assert_int_equal(n, 0);
}

/*
 * Size limits through the handler: a payload one byte over
 * BW_LWSRV_SEND_PAYLOAD_MAX and 65 records are 4.13; a Block1 option
 * (block-wise Send) is 4.13 too.  Nothing stored.
 */
static void test_too_large_refused(void **state)
{
    fix_t *f = *state;
    static uint8_t p[BW_LWSRV_SEND_PAYLOAD_MAX + 1];
    size_t len = 2;
    p[0] = 0x98;
    p[1] = BW_LWSRV_SEND_MAX_RECORDS + 1;
    for (int i = 0; i <= BW_LWSRV_SEND_MAX_RECORDS; i++)
        len += bw_test_hex("a200662f332f302f390208", p + len, sizeof p - len);
    assert_int_equal(post(f, BW_COAP_FMT_SENML_CBOR, p, len),
                     BW_COAP_REQUEST_TOO_LARGE);
    /* One valid record, padded with a text value of an ignored key up
     * to one byte past the limit. */
    memset(p, 0, sizeof p);
    len = bw_test_hex("81a300662f332f302f390208"
                      "6178"
                      "7907f0",
                      p, sizeof p);
    memset(p + len, 'a', sizeof p - len);
    assert_int_equal(post(f, BW_COAP_FMT_SENML_CBOR, p, sizeof p),
                     BW_COAP_REQUEST_TOO_LARGE);

    /* Block1 NUM 0, M 1, SZX 2. */
    uint8_t buf[64], out[256];
    bw_coap_writer_t w;
    bw_coap_msg_t req, rsp;
    size_t n, olen;
    uint8_t tok[1] = {1};
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_POST, 77, tok,
                        1);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "dp", 2);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, 112);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_BLOCK1, 0x0A);
    bw_coap_writer_payload(&w, "\x81", 1);
    assert_int_equal(bw_coap_writer_finish(&w, &n), 0);
    assert_int_equal(bw_coap_parse(&req, buf, n), 0);
    olen = bw_lwsrv_send_resource(&f->cfg, &f->peer, &req, out, sizeof out);
    assert_int_equal(bw_coap_parse(&rsp, out, olen), 0);
    assert_int_equal(rsp.code, BW_COAP_REQUEST_TOO_LARGE);
    assert_int_equal(rows(f, "dev1"), 0);
}

/*
 * Paths outside what the device registered: an object it did not list
 * (/5/0/1), an instance it did not list of an object whose instances it
 * did (/3303/1/5700), and a pack mixing a good record with a bad one:
 * each 4.04, nothing stored.  An object listed without instances
 * (</4242>) takes any instance (tested above).
 */
static void test_unregistered_objects_refused(void **state)
{
    fix_t *f = *state;
    static const char *packs[] = {
        "[{\"n\":\"/5/0/1\",\"v\":1}]",
        "[{\"n\":\"/3303/1/5700\",\"v\":1}]",
        "[{\"n\":\"/3303/0/5700\",\"v\":1},{\"n\":\"/6/0/0\",\"v\":2}]",
    };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(
            post(f, BW_COAP_FMT_SENML_JSON, packs[i], strlen(packs[i])),
            BW_COAP_NOT_FOUND);
        assert_int_equal(rows(f, "dev1"), 0);
    }
}

/* Content formats: none, text/plain and SenML JSON's predecessor-free
 * LwM2M TLV are 4.15; nothing stored. */
static void test_unsupported_format(void **state)
{
    fix_t *f = *state;
    static const char js[] = "[{\"n\":\"/3/0/9\",\"v\":1}]";
    assert_int_equal(post(f, -1, js, strlen(js)), BW_COAP_UNSUPPORTED_FORMAT);
    assert_int_equal(post(f, BW_COAP_FMT_TEXT, js, strlen(js)),
                     BW_COAP_UNSUPPORTED_FORMAT);
    assert_int_equal(post(f, BW_COAP_FMT_LWM2M_TLV, js, strlen(js)),
                     BW_COAP_UNSUPPORTED_FORMAT);
    assert_int_equal(rows(f, "dev1"), 0);
}

/*
 * Who may Send: a device with a credential but no registration (dev2)
 * gets 4.04; an identity the store does not know gets 4.03; dev1's
 * identity from an address its registration was not made from (another
 * session) gets 4.04.  The payload names no endpoint and nothing is
 * stored for anyone.  A request that is not POST /dp is not ours (0).
 */
static void test_who_may_send(void **state)
{
    fix_t *f = *state;
    static const char js[] = "[{\"n\":\"/3/0/9\",\"v\":1}]";
    f->peer.identity = (const uint8_t *)"key-bravo";
    f->peer.identity_len = 9;
    assert_int_equal(post(f, BW_COAP_FMT_SENML_JSON, js, strlen(js)),
                     BW_COAP_NOT_FOUND);
    f->peer.identity = (const uint8_t *)"key-none";
    f->peer.identity_len = 8;
    assert_int_equal(post(f, BW_COAP_FMT_SENML_JSON, js, strlen(js)),
                     BW_COAP_FORBIDDEN);
    f->peer.identity = (const uint8_t *)"key-alfa";
    f->peer.addr = (const struct sockaddr *)&f->other;
    assert_int_equal(post(f, BW_COAP_FMT_SENML_JSON, js, strlen(js)),
                     BW_COAP_NOT_FOUND);
    assert_int_equal(rows(f, "dev1"), 0);
    assert_int_equal(rows(f, "dev2"), 0);
    assert_int_equal(f->stores, 0);

    uint8_t buf[32], out[64];
    bw_coap_writer_t w;
    bw_coap_msg_t req;
    size_t n;
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 1, NULL,
                        0);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "dp", 2);
    assert_int_equal(bw_coap_writer_finish(&w, &n), 0);
    assert_int_equal(bw_coap_parse(&req, buf, n), 0);
    assert_int_equal(
        bw_lwsrv_send_resource(&f->cfg, &f->peer, &req, out, sizeof out), 0);
}

/*
 * A retransmitted CON Send (same MID from the same peer) is answered
 * with the same bytes and stored once.
 */
static void test_retransmission_stored_once(void **state)
{
    fix_t *f = *state;
    static const char js[] = "[{\"n\":\"/3/0/9\",\"v\":1}]";
    bw_coap_msg_t r1, r2;
    uint8_t o1[256], o2[256];
    assert_int_equal(post_mid(f, 110, js, strlen(js), 0x4444, &r1, o1),
                     BW_COAP_CHANGED);
    assert_int_equal(post_mid(f, 110, js, strlen(js), 0x4444, &r2, o2),
                     BW_COAP_CHANGED);
    assert_int_equal(f->stores, 1);
    assert_int_equal(rows(f, "dev1"), 1);
    assert_int_equal(post_mid(f, 110, js, strlen(js), 0x4445, &r2, o2),
                     BW_COAP_CHANGED);
    assert_int_equal(rows(f, "dev1"), 2);
}

/*
 * Retention through the handler: at most 3 rows; four Sends of two
 * records at rising times leave the three newest.
 */
static void test_retention_per_send(void **state)
{
    fix_t *f = *state;
    got_t g;
    f->max_rows = 3;
    for (int i = 0; i < 4; i++) {
        char js[128];
        snprintf(js, sizeof js,
                 "[{\"bt\":%d,\"n\":\"/3/0/9\",\"v\":%d},"
                 "{\"n\":\"/3/0/10\",\"t\":1,\"v\":%d}]",
                 1700000000 + 10 * i, i, 100 + i);
        assert_int_equal(post(f, 110, js, strlen(js)), BW_COAP_CHANGED);
        assert_true(rows(f, "dev1") <= 3);
    }
    read_all(f, &g);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.path[0], "/3/0/10");
    assert_true(g.num[0] == 103);
    assert_string_equal(g.path[1], "/3/0/9");
    assert_true(g.num[1] == 3);
    assert_string_equal(g.path[2], "/3/0/10");
    assert_true(g.num[2] == 102);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cbor_pack_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_pack_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_refused, setup,
                                        teardown),
        cmocka_unit_test(test_decode_codes),
        cmocka_unit_test_setup_teardown(test_too_large_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unregistered_objects_refused,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_format, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_who_may_send, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retransmission_stored_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retention_per_send, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
