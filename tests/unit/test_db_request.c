/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Requests queued for devices in server/db: the state machine
 * (queued -> sent -> answered, requeue, expiry), the guards on every
 * move, and listing; the moves with a reason, the restart's requeue and
 * paging across states (db_request.h).
 */
#define _GNU_SOURCE
#include "db_request.h"
#include "test_db_fixture.h"

DBFX_PER_TEST_DEVICE("urn:dev:sleepy")

typedef struct {
    int n;
    bw_db_req_state_t state;
    bw_db_req_op_t op;
    char path[BW_DB_PATH_MAX + 1];
    uint8_t payload[16], result[16];
    size_t payload_len, result_len;
    int code;
    int64_t ids[8], updated;
} got_t;

static int grab(void *arg, const bw_db_request_t *r)
{
    got_t *g = arg;
    if (g->n < 8)
        g->ids[g->n] = r->id;
    g->n++;
    g->state = r->state;
    g->op = r->op;
    g->code = r->result_code;
    g->updated = r->updated_ms;
    snprintf(g->path, sizeof g->path, "%s", r->path);
    g->payload_len = r->payload_len;
    g->result_len = r->result_len;
    if (r->payload_len <= sizeof g->payload && r->payload != NULL)
        memcpy(g->payload, r->payload, r->payload_len);
    if (r->result_len <= sizeof g->result && r->result != NULL)
        memcpy(g->result, r->result, r->result_len);
    return 0;
}

static got_t get(int64_t id)
{
    got_t g = {0};
    bw_assert_err(bw_db_request_get(f.db, id, grab, &g), 0);
    assert_int_equal(g.n, 1);
    return g;
}

/* Tried: enqueue a write with a payload, mark it sent, answer it with
 * 2.04 and a payload; then try every move again from ANSWERED.
 * Must hold: each state is read back with its fields; from ANSWERED
 * every move is BW_ESTATE and changes nothing. */
static void test_happy_path(void **state)
{
    (void)state;
    static const uint8_t body[] = {0xc8, 0x00, 0x01};
    int64_t id = 0;
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_WRITE, "/1/0/1",
                                        body, sizeof body, 100, 10000, &id),
                  0);
    got_t g = get(id);
    assert_int_equal(g.state, BW_DB_REQ_QUEUED);
    assert_int_equal(g.op, BW_DB_OP_WRITE);
    assert_string_equal(g.path, "/1/0/1");
    assert_int_equal(g.payload_len, sizeof body);
    assert_memory_equal(g.payload, body, sizeof body);
    assert_int_equal(g.code, 0);
    bw_assert_err(bw_db_request_mark_sent(f.db, id, 200), 0);
    g = get(id);
    assert_int_equal(g.state, BW_DB_REQ_SENT);
    assert_int_equal(g.updated, 200);
    bw_assert_err(bw_db_request_mark_sent(f.db, id, 201), BW_ESTATE);
    bw_assert_err(
        bw_db_request_answer(f.db, id, 0x44, (const uint8_t *)"ok", 2, 300), 0);
    g = get(id);
    assert_int_equal(g.state, BW_DB_REQ_ANSWERED);
    assert_int_equal(g.code, 0x44);
    assert_int_equal(g.result_len, 2);
    assert_memory_equal(g.result, "ok", 2);
    bw_assert_err(bw_db_request_answer(f.db, id, 0x44, NULL, 0, 400),
                  BW_ESTATE);
    bw_assert_err(bw_db_request_requeue(f.db, id, 400), BW_ESTATE);
    bw_assert_err(bw_db_request_mark_sent(f.db, id, 400), BW_ESTATE);
    uint64_t n = 9;
    bw_assert_err(bw_db_request_expire(f.db, 1000000, &n), 0);
    g = get(id);
    assert_int_equal(g.state, BW_DB_REQ_ANSWERED);
    assert_int_equal(g.updated, 300);
}

/* Tried: answer a request still QUEUED; requeue a SENT one; let two
 * requests (one QUEUED, one SENT) pass their expiry, and one not.
 * Must hold: answering from QUEUED is BW_ESTATE; requeue goes back to
 * QUEUED; expire moves exactly the two past their time to EXPIRED and
 * reports 2; an EXPIRED request cannot be sent. */
static void test_requeue_and_expire(void **state)
{
    (void)state;
    int64_t a, b, c;
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_READ, "/3/0", NULL,
                                        0, 100, 5000, &a),
                  0);
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_EXECUTE, "/3/0/4",
                                        NULL, 0, 100, 5000, &b),
                  0);
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_OBSERVE, "/3/0/9",
                                        NULL, 0, 100, 9000, &c),
                  0);
    bw_assert_err(bw_db_request_answer(f.db, a, 0x45, NULL, 0, 110), BW_ESTATE);
    bw_assert_err(bw_db_request_mark_sent(f.db, b, 120), 0);
    bw_assert_err(bw_db_request_requeue(f.db, b, 130), 0);
    assert_int_equal(get(b).state, BW_DB_REQ_QUEUED);
    bw_assert_err(bw_db_request_mark_sent(f.db, b, 140), 0);
    uint64_t n = 0;
    bw_assert_err(bw_db_request_expire(f.db, 5000, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(get(a).state, BW_DB_REQ_EXPIRED);
    assert_int_equal(get(b).state, BW_DB_REQ_EXPIRED);
    assert_int_equal(get(c).state, BW_DB_REQ_QUEUED);
    bw_assert_err(bw_db_request_mark_sent(f.db, a, 6000), BW_ESTATE);
}

/* Tried: list the QUEUED requests of the device after queueing three
 * more; list for an unknown device; list with max 2.
 * Must hold: oldest first, only QUEUED ones; BW_ENOTFOUND for the
 * unknown device; max is honoured. */
static void test_list(void **state)
{
    (void)state;
    dbfx_t g2;
    dbfx_init(&g2);
    dbfx_open(&g2);
    bw_assert_err(bw_db_device_add(g2.db, ep, NULL, NULL, 1, NULL), 0);
    int64_t ids[3];
    for (int i = 0; i < 3; i++)
        bw_assert_err(bw_db_request_enqueue(g2.db, ep, BW_DB_OP_READ, "/3/0",
                                            NULL, 0, 10 + i, 1000, &ids[i]),
                      0);
    bw_assert_err(bw_db_request_mark_sent(g2.db, ids[1], 20), 0);
    got_t g = {0};
    bw_assert_err(bw_db_request_list(g2.db, ep, BW_DB_REQ_QUEUED, 10, grab, &g),
                  0);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.ids[0], ids[0]);
    assert_int_equal(g.ids[1], ids[2]);
    memset(&g, 0, sizeof g);
    bw_assert_err(bw_db_request_list(g2.db, "urn:dev:nobody", BW_DB_REQ_QUEUED,
                                     10, grab, &g),
                  BW_ENOTFOUND);
    bw_assert_err(bw_db_request_list(g2.db, ep, BW_DB_REQ_QUEUED, 1, grab, &g),
                  0);
    assert_int_equal(g.n, 1);
    dbfx_done(&g2);
}

/* Tried: malformed enqueues and moves: unknown device, path without a
 * leading '/', a newline in the path, expiry not after now, op out of
 * range, payload over the maximum, unknown id, a CoAP code of 0 and 256.
 * Must hold: the exact code for each. */
static void test_input(void **state)
{
    (void)state;
    uint8_t b[1];
    bw_assert_err(bw_db_request_enqueue(f.db, "urn:dev:x", BW_DB_OP_READ, "/3",
                                        NULL, 0, 1, 2, NULL),
                  BW_ENOTFOUND);
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_READ, "3/0", NULL, 0,
                                        1, 2, NULL),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_READ, "/3\n", NULL,
                                        0, 1, 2, NULL),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_READ, "/3", NULL, 0,
                                        5, 5, NULL),
                  BW_ERANGE);
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_COUNT_, "/3", NULL,
                                        0, 1, 2, NULL),
                  BW_EINVAL);
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_WRITE, "/3", b,
                                        BW_DB_PAYLOAD_MAX + 1, 1, 2, NULL),
                  BW_EOVERFLOW);
    bw_assert_err(bw_db_request_mark_sent(f.db, 987654, 1), BW_ENOTFOUND);
    bw_assert_err(bw_db_request_answer(f.db, 987654, 0, NULL, 0, 1), BW_ERANGE);
    bw_assert_err(bw_db_request_answer(f.db, 987654, 256, NULL, 0, 1),
                  BW_ERANGE);
    bw_assert_err(bw_db_request_answer(f.db, 987654, 0x44, NULL, 0, 1),
                  BW_ENOTFOUND);
    got_t g = {0};
    bw_assert_err(bw_db_request_get(f.db, 987654, grab, &g), BW_ENOTFOUND);
}

/* The result text of a request (a reason), NUL-terminated; the request
 * must be EXPIRED with code 0. */
typedef struct {
    bw_db_req_state_t state;
    int code;
    char text[BW_DB_REQ_WHY_MAX + 2];
    size_t len;
} reason_t;

static int grab_reason(void *arg, const bw_db_request_t *r)
{
    reason_t *w = arg;
    w->state = r->state;
    w->code = r->result_code;
    w->len = r->result_len;
    if (r->result_len < sizeof w->text && r->result != NULL)
        memcpy(w->text, r->result, r->result_len);
    return 0;
}

static void reason_of(int64_t id, char *out, size_t cap)
{
    reason_t w = {0};
    bw_assert_err(bw_db_request_get(f.db, id, grab_reason, &w), 0);
    assert_int_equal(w.state, BW_DB_REQ_EXPIRED);
    assert_int_equal(w.code, 0);
    assert_true(w.len < cap && w.len < sizeof w.text);
    memcpy(out, w.text, w.len);
    out[w.len] = '\0';
}

/* Tried: give up a QUEUED request (a cancel) and a SENT one (tries
 * exhausted) with reasons; give up each again, and one ANSWERED; reasons
 * that are empty, hold a newline, or are one byte too long; a "from"
 * other than QUEUED or SENT; an unknown id; let the time to live of a
 * third run out.
 * Must hold: EXPIRED with the reason as the result and code 0; a second
 * give-up is BW_ESTATE and keeps the first reason; each bad reason its
 * code and no change; the sweep records BW_DB_REQ_WHY_TTL. */
static void test_give_up(void **state)
{
    (void)state;
    int64_t q, s, d, t;
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_READ, "/3/0", NULL,
                                        0, 100, 90000, &q),
                  0);
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_WRITE, "/3/0/14",
                                        (const uint8_t *)"x", 1, 100, 90000,
                                        &s),
                  0);
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_EXECUTE, "/3/0/4",
                                        NULL, 0, 100, 90000, &d),
                  0);
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_READ, "/3/0/9", NULL,
                                        0, 100, 500, &t),
                  0);
    char why[300];
    memset(why, 'a', sizeof why);
    why[BW_DB_REQ_WHY_MAX + 1] = '\0';
    bw_assert_err(bw_db_request_give_up(f.db, q, BW_DB_REQ_QUEUED, why, 150),
                  BW_EOVERFLOW);
    bw_assert_err(bw_db_request_give_up(f.db, q, BW_DB_REQ_QUEUED, "", 150),
                  BW_EMALFORMED);
    bw_assert_err(
        bw_db_request_give_up(f.db, q, BW_DB_REQ_QUEUED, "two\nlines", 150),
        BW_EMALFORMED);
    bw_assert_err(bw_db_request_give_up(f.db, q, BW_DB_REQ_QUEUED, NULL, 150),
                  BW_EINVAL);
    bw_assert_err(bw_db_request_give_up(f.db, q, BW_DB_REQ_ANSWERED, "x", 150),
                  BW_EINVAL);
    assert_int_equal(get(q).state, BW_DB_REQ_QUEUED);
    why[BW_DB_REQ_WHY_MAX] = '\0'; /* exactly the maximum is fine */
    bw_assert_err(bw_db_request_give_up(f.db, q, BW_DB_REQ_SENT, why, 150),
                  BW_ESTATE);
    bw_assert_err(bw_db_request_give_up(f.db, q, BW_DB_REQ_QUEUED,
                                        "cancelled by api:ops", 160),
                  0);
    char got[300];
    reason_of(q, got, sizeof got);
    assert_string_equal(got, "cancelled by api:ops");
    assert_int_equal(get(q).updated, 160);
    bw_assert_err(
        bw_db_request_give_up(f.db, q, BW_DB_REQ_QUEUED, "again", 170),
        BW_ESTATE);
    reason_of(q, got, sizeof got);
    assert_string_equal(got, "cancelled by api:ops");
    bw_assert_err(bw_db_request_mark_sent(f.db, s, 180), 0);
    bw_assert_err(bw_db_request_give_up(f.db, s, BW_DB_REQ_SENT, why, 190), 0);
    reason_of(s, got, sizeof got);
    assert_int_equal(strlen(got), BW_DB_REQ_WHY_MAX);
    bw_assert_err(bw_db_request_mark_sent(f.db, d, 200), 0);
    bw_assert_err(bw_db_request_answer(f.db, d, 0x44, NULL, 0, 210), 0);
    bw_assert_err(bw_db_request_give_up(f.db, d, BW_DB_REQ_SENT, "late", 220),
                  BW_ESTATE);
    assert_int_equal(get(d).state, BW_DB_REQ_ANSWERED);
    bw_assert_err(
        bw_db_request_give_up(f.db, 987654, BW_DB_REQ_QUEUED, "x", 220),
        BW_ENOTFOUND);
    uint64_t n = 0;
    bw_assert_err(bw_db_request_expire(f.db, 500, &n), 0);
    assert_int_equal(n, 1);
    reason_of(t, got, sizeof got);
    assert_string_equal(got, BW_DB_REQ_WHY_TTL);
}

/* Tried: two SENT requests and one QUEUED as a server that died would
 * leave them; the restart's requeue, twice.
 * Must hold: both SENT ones are QUEUED again with the restart's time,
 * the count is 2, then 0; the QUEUED one is untouched. */
static void test_requeue_sent(void **state)
{
    (void)state;
    dbfx_t g2;
    dbfx_init(&g2);
    dbfx_open(&g2);
    bw_assert_err(bw_db_device_add(g2.db, ep, NULL, NULL, 1, NULL), 0);
    int64_t ids[3];
    for (int i = 0; i < 3; i++)
        bw_assert_err(bw_db_request_enqueue(g2.db, ep, BW_DB_OP_READ, "/3/0",
                                            NULL, 0, 10, 100000, &ids[i]),
                      0);
    bw_assert_err(bw_db_request_mark_sent(g2.db, ids[0], 20), 0);
    bw_assert_err(bw_db_request_mark_sent(g2.db, ids[2], 20), 0);
    uint64_t n = 9;
    bw_assert_err(bw_db_request_requeue_sent(g2.db, 30, &n), 0);
    assert_int_equal(n, 2);
    for (int i = 0; i < 3; i++) {
        got_t g = {0};
        bw_assert_err(bw_db_request_get(g2.db, ids[i], grab, &g), 0);
        assert_int_equal(g.state, BW_DB_REQ_QUEUED);
        assert_int_equal(g.updated, i == 1 ? 10 : 30);
    }
    bw_assert_err(bw_db_request_requeue_sent(g2.db, 40, &n), 0);
    assert_int_equal(n, 0);
    bw_assert_err(bw_db_request_requeue_sent(NULL, 40, &n), BW_EINVAL);
    dbfx_done(&g2);
}

/* Tried: five requests in three states; pages of 2 in any state
 * following the last id; one state only; max 0, a state out of range,
 * an unknown device, a malformed endpoint.
 * Must hold: oldest first, no repeats or gaps across pages; the state
 * filter; each bad argument its exact code. */
static void test_page(void **state)
{
    (void)state;
    dbfx_t g2;
    dbfx_init(&g2);
    dbfx_open(&g2);
    bw_assert_err(bw_db_device_add(g2.db, ep, NULL, NULL, 1, NULL), 0);
    int64_t ids[5];
    for (int i = 0; i < 5; i++)
        bw_assert_err(bw_db_request_enqueue(g2.db, ep, BW_DB_OP_READ, "/3/0",
                                            NULL, 0, 10, 100000, &ids[i]),
                      0);
    bw_assert_err(bw_db_request_mark_sent(g2.db, ids[1], 20), 0);
    bw_assert_err(bw_db_request_mark_sent(g2.db, ids[3], 20), 0);
    bw_assert_err(bw_db_request_answer(g2.db, ids[3], 0x45, NULL, 0, 30), 0);
    int64_t after = 0, seen[8];
    int n = 0;
    for (int page = 0; page < 4; page++) {
        got_t g = {0};
        bw_assert_err(
            bw_db_request_page(g2.db, ep, BW_DB_REQ_ANY, after, 2, grab, &g),
            0);
        for (int i = 0; i < g.n; i++)
            seen[n++] = g.ids[i];
        if (g.n == 0)
            break;
        after = g.ids[g.n - 1];
    }
    assert_int_equal(n, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(seen[i], ids[i]);
    got_t g = {0};
    bw_assert_err(
        bw_db_request_page(g2.db, ep, BW_DB_REQ_QUEUED, 0, 10, grab, &g), 0);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.ids[0], ids[0]);
    assert_int_equal(g.ids[1], ids[2]);
    assert_int_equal(g.ids[2], ids[4]);
    memset(&g, 0, sizeof g);
    bw_assert_err(
        bw_db_request_page(g2.db, ep, BW_DB_REQ_ANSWERED, 0, 10, grab, &g), 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.ids[0], ids[3]);
    bw_assert_err(bw_db_request_page(g2.db, ep, BW_DB_REQ_ANY, 0, 0, grab, &g),
                  BW_ERANGE);
    bw_assert_err(bw_db_request_page(g2.db, ep, 4, 0, 1, grab, &g), BW_EINVAL);
    bw_assert_err(bw_db_request_page(g2.db, ep, -2, 0, 1, grab, &g), BW_EINVAL);
    bw_assert_err(bw_db_request_page(g2.db, "urn:dev:nobody", BW_DB_REQ_ANY, 0,
                                     1, grab, &g),
                  BW_ENOTFOUND);
    bw_assert_err(
        bw_db_request_page(g2.db, "bad ep", BW_DB_REQ_ANY, 0, 1, grab, &g),
        BW_EMALFORMED);
    dbfx_done(&g2);
}

/* Tried: each state and operation name, parsed back; names that are
 * not states (wrong case, empty, a prefix); values out of range.
 * Must hold: the names round-trip; others are BW_EMALFORMED; out of
 * range gives NULL. */
static void test_names(void **state)
{
    (void)state;
    for (int s = BW_DB_REQ_QUEUED; s <= BW_DB_REQ_EXPIRED; s++) {
        bw_db_req_state_t back;
        const char *name = bw_db_request_state_name((bw_db_req_state_t)s);
        assert_non_null(name);
        bw_assert_err(bw_db_request_state_parse(name, &back), 0);
        assert_int_equal(back, s);
    }
    static const char *const bad[] = {"Queued", "", "queue", "answered "};
    bw_db_req_state_t st;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        bw_assert_err(bw_db_request_state_parse(bad[i], &st), BW_EMALFORMED);
    bw_assert_err(bw_db_request_state_parse(NULL, &st), BW_EINVAL);
    assert_null(bw_db_request_state_name((bw_db_req_state_t)4));
    assert_string_equal(bw_db_request_op_name(BW_DB_OP_WRITE_ATTR),
                        "write-attributes");
    assert_null(bw_db_request_op_name(BW_DB_OP_COUNT_));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_happy_path),
        cmocka_unit_test(test_requeue_and_expire),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_input),
        cmocka_unit_test(test_give_up),
        cmocka_unit_test(test_requeue_sent),
        cmocka_unit_test(test_page),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
