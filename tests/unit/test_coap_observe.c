/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 7641 observe: the observer registry (register, re-register, full
 * table, deregister, removal), 24-bit sequence numbers and their wrap,
 * the CON/NON schedule of section 4.5, the notification header, and the
 * client's freshness rule of section 3.4 with the RFC's reordering cases.
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/coap_observe.h"

static const uint8_t PEER_A[] = {10, 0, 0, 1, 0x16, 0x33};
static const uint8_t PEER_B[] = {10, 0, 0, 2, 0x16, 0x33};
static const uint8_t TOK_1[] = {0xa1, 0xb2};
static const uint8_t TOK_2[] = {0xc3};

/* Registering fills the first free slot, hands out Observe 0 for the
 * response, and the entry can be found by peer + token. */
static void test_register_and_find(void **state)
{
    (void)state;
    bw_coap_observer_t slots[3];
    bw_coap_obs_registry_t reg;
    size_t idx = 99;
    uint32_t obs = 99;

    memset(slots, 0xee, sizeof slots); /* init must clear them */
    assert_int_equal(bw_coap_obs_init(&reg, slots, 3, 0, 0), 0);
    assert_int_equal(reg.con_every, BW_COAP_OBS_DEFAULT_CON_EVERY);
    assert_int_equal(reg.con_interval_ms, BW_COAP_OBS_DEFAULT_CON_INTERVAL_MS);

    assert_int_equal(bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, TOK_1,
                                          sizeof TOK_1, 3000, 0, &idx, &obs),
                     0);
    assert_int_equal(idx, 0);
    assert_int_equal(obs, 0);
    assert_int_equal(bw_coap_obs_register(&reg, PEER_B, sizeof PEER_B, TOK_1,
                                          sizeof TOK_1, 3001, 0, &idx, &obs),
                     0);
    assert_int_equal(idx, 1);
    /* Same peer, another token: a second observation. */
    assert_int_equal(bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, TOK_2,
                                          sizeof TOK_2, 3000, 0, &idx, NULL),
                     0);
    assert_int_equal(idx, 2);

    assert_int_equal(bw_coap_obs_find(&reg, PEER_B, sizeof PEER_B, TOK_1,
                                      sizeof TOK_1, &idx),
                     0);
    assert_int_equal(idx, 1);
    bw_assert_err(bw_coap_obs_find(&reg, PEER_B, sizeof PEER_B, TOK_2,
                                   sizeof TOK_2, &idx),
                  BW_ENOTFOUND);
    /* A prefix of a peer is another peer. */
    bw_assert_err(bw_coap_obs_find(&reg, PEER_A, 4, TOK_1, sizeof TOK_1, &idx),
                  BW_ENOTFOUND);
}

/* Section 4.1: a registration with the same peer and token replaces the
 * entry, never adds one; its sequence runs on. */
static void test_reregister_replaces(void **state)
{
    (void)state;
    bw_coap_observer_t slots[2];
    bw_coap_obs_registry_t reg;
    bw_coap_obs_note_t note;
    size_t idx;
    uint32_t obs;

    bw_coap_obs_init(&reg, slots, 2, 0, 0);
    bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, TOK_1, sizeof TOK_1, 7, 0,
                         &idx, &obs);
    assert_int_equal(bw_coap_obs_notify(&reg, idx, 10, 0, &note), 0);
    assert_int_equal(note.observe, 1);
    assert_int_equal(bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, TOK_1,
                                          sizeof TOK_1, 8, 20, &idx, &obs),
                     0);
    assert_int_equal(idx, 0);
    assert_int_equal(obs, 2);
    assert_false(slots[1].used);
    size_t i = 0;
    bw_assert_err(bw_coap_obs_next(&reg, 7, &i), BW_ENOTFOUND);
    i = 0;
    assert_int_equal(bw_coap_obs_next(&reg, 8, &i), 0);
    assert_int_equal(i, 0);
}

/* A full table answers BW_ENOMEM and changes nothing; a freed slot is
 * taken by the next registration. */
static void test_table_full(void **state)
{
    (void)state;
    bw_coap_observer_t slots[2];
    bw_coap_obs_registry_t reg;
    size_t idx = 77;
    uint32_t obs = 77;

    bw_coap_obs_init(&reg, slots, 2, 0, 0);
    assert_int_equal(bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, TOK_1,
                                          sizeof TOK_1, 1, 0, NULL, NULL),
                     0);
    assert_int_equal(bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, TOK_2,
                                          sizeof TOK_2, 1, 0, NULL, NULL),
                     0);
    bw_assert_err(bw_coap_obs_register(&reg, PEER_B, sizeof PEER_B, TOK_1,
                                       sizeof TOK_1, 1, 0, &idx, &obs),
                  BW_ENOMEM);
    assert_int_equal(idx, 77);
    assert_int_equal(obs, 77);
    /* Re-registering an existing entry still works when full. */
    assert_int_equal(bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, TOK_2,
                                          sizeof TOK_2, 2, 0, &idx, NULL),
                     0);
    assert_int_equal(idx, 1);

    assert_int_equal(bw_coap_obs_deregister(&reg, PEER_A, sizeof PEER_A, TOK_1,
                                            sizeof TOK_1),
                     0);
    assert_int_equal(bw_coap_obs_register(&reg, PEER_B, sizeof PEER_B, TOK_1,
                                          sizeof TOK_1, 1, 0, &idx, &obs),
                     0);
    assert_int_equal(idx, 0);
    assert_int_equal(obs, 0); /* a new entry starts its own sequence */

    /* An empty registry is always full. */
    bw_coap_obs_init(&reg, NULL, 0, 0, 0);
    bw_assert_err(bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, NULL, 0, 1,
                                       0, NULL, NULL),
                  BW_ENOMEM);
}

/* Deregistration (Observe: 1 or RST), removal after a CON timeout, and
 * removal of every entry of a peer. */
static void test_deregister_and_remove(void **state)
{
    (void)state;
    bw_coap_observer_t slots[4];
    bw_coap_obs_registry_t reg;
    bw_coap_obs_note_t note;
    size_t idx;

    bw_coap_obs_init(&reg, slots, 4, 0, 0);
    bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, TOK_1, sizeof TOK_1, 1, 0,
                         NULL, NULL);
    bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, TOK_2, sizeof TOK_2, 2, 0,
                         NULL, NULL);
    bw_coap_obs_register(&reg, PEER_B, sizeof PEER_B, TOK_1, sizeof TOK_1, 1, 0,
                         NULL, NULL);
    bw_coap_obs_register(&reg, PEER_B, sizeof PEER_B, NULL, 0, 1, 0, &idx,
                         NULL);
    assert_int_equal(idx, 3);

    bw_assert_err(bw_coap_obs_deregister(&reg, PEER_B, sizeof PEER_B, TOK_2,
                                         sizeof TOK_2),
                  BW_ENOTFOUND);
    assert_int_equal(bw_coap_obs_deregister(&reg, PEER_B, sizeof PEER_B, TOK_1,
                                            sizeof TOK_1),
                     0);
    assert_false(slots[2].used);
    bw_assert_err(bw_coap_obs_deregister(&reg, PEER_B, sizeof PEER_B, TOK_1,
                                         sizeof TOK_1),
                  BW_ENOTFOUND);

    /* Timeout of a CON notification to slot 3. */
    assert_int_equal(bw_coap_obs_remove(&reg, 3), 0);
    bw_assert_err(bw_coap_obs_remove(&reg, 3), BW_ENOTFOUND);
    bw_assert_err(bw_coap_obs_remove(&reg, 4), BW_EINVAL);
    bw_assert_err(bw_coap_obs_notify(&reg, 3, 0, 0, &note), BW_ENOTFOUND);

    assert_int_equal(bw_coap_obs_remove_peer(&reg, PEER_A, sizeof PEER_A), 2);
    assert_int_equal(bw_coap_obs_remove_peer(&reg, PEER_A, sizeof PEER_A), 0);
    for (size_t i = 0; i < 4; i++)
        assert_false(slots[i].used);
}

/* Walking observers of one resource visits exactly its slots. */
static void test_next(void **state)
{
    (void)state;
    bw_coap_observer_t slots[5];
    bw_coap_obs_registry_t reg;
    const uint8_t peers[5][1] = {{1}, {2}, {3}, {4}, {5}};
    const uint32_t res[5] = {9, 8, 9, 9, 8};
    size_t seen[5], n = 0;

    bw_coap_obs_init(&reg, slots, 5, 0, 0);
    for (size_t i = 0; i < 5; i++)
        bw_coap_obs_register(&reg, peers[i], 1, NULL, 0, res[i], 0, NULL, NULL);
    bw_coap_obs_remove(&reg, 2);
    for (size_t i = 0; bw_coap_obs_next(&reg, 9, &i) == 0; i++)
        seen[n++] = i;
    assert_int_equal(n, 2);
    assert_int_equal(seen[0], 0);
    assert_int_equal(seen[1], 3);
}

/* Sequence numbers are 24 bits: 0xFFFFFE, 0xFFFFFF, then 0, and the
 * client rule accepts each of them in turn as fresh. */
static void test_sequence_wrap(void **state)
{
    (void)state;
    bw_coap_observer_t slots[1];
    bw_coap_obs_registry_t reg;
    bw_coap_obs_note_t note;
    bw_coap_obs_fresh_t client;
    const uint32_t want[] = {0xfffffe, 0xffffff, 0, 1};

    bw_coap_obs_init(&reg, slots, 1, 0, 0);
    bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, TOK_1, sizeof TOK_1, 1, 0,
                         NULL, NULL);
    slots[0].seq = 0xfffffe; /* as after 16 million notifications */
    bw_coap_obs_fresh_reset(&client);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(bw_coap_obs_notify(&reg, 0, i, 0, &note), 0);
        assert_int_equal(note.observe, want[i]);
        assert_int_equal(bw_coap_obs_fresh_check(&client, note.observe, i), 0);
    }
}

/* Section 4.5 schedule with con_every 4 and a 1000 ms interval: three NON
 * then a CON; time alone forces a CON; force_con restarts the count. */
static void test_con_schedule(void **state)
{
    (void)state;
    bw_coap_observer_t slots[1];
    bw_coap_obs_registry_t reg;
    bw_coap_obs_note_t note;
    char got[16] = {0};

    bw_coap_obs_init(&reg, slots, 1, 4, 1000);
    bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, TOK_1, sizeof TOK_1, 1, 0,
                         NULL, NULL);
    for (size_t i = 0; i < 9; i++) {
        assert_int_equal(bw_coap_obs_notify(&reg, 0, 10 * i, 0, &note), 0);
        got[i] = note.type == BW_COAP_CON ? 'C' : 'N';
    }
    assert_string_equal(got, "NNNCNNNCN");

    /* Last CON at t=70; at 1069 not yet, at 1070 the interval is up. */
    assert_int_equal(bw_coap_obs_notify(&reg, 0, 1069, 0, &note), 0);
    assert_int_equal(note.type, BW_COAP_NON);
    assert_int_equal(bw_coap_obs_notify(&reg, 0, 1070, 0, &note), 0);
    assert_int_equal(note.type, BW_COAP_CON);

    /* Forced CON, then the count starts over. */
    assert_int_equal(bw_coap_obs_notify(&reg, 0, 1071, 0, &note), 0);
    assert_int_equal(note.type, BW_COAP_NON);
    assert_int_equal(bw_coap_obs_notify(&reg, 0, 1072, 1, &note), 0);
    assert_int_equal(note.type, BW_COAP_CON);
    for (size_t i = 0; i < 4; i++) {
        bw_coap_obs_notify(&reg, 0, 1073 + i, 0, &note);
        assert_int_equal(note.type, i < 3 ? BW_COAP_NON : BW_COAP_CON);
    }
    /* A clock that steps back does not trigger the interval rule. */
    bw_coap_obs_notify(&reg, 0, 5, 0, &note);
    assert_int_equal(note.type, BW_COAP_NON);

    /* con_every 1: always CON. */
    bw_coap_obs_init(&reg, slots, 1, 1, 0);
    bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, NULL, 0, 1, 0, NULL,
                         NULL);
    for (size_t i = 0; i < 3; i++) {
        bw_coap_obs_notify(&reg, 0, i, 0, &note);
        assert_int_equal(note.type, BW_COAP_CON);
    }
}

/* The notification header: type, code, MID, the slot's token, ETag,
 * Observe; the caller's Content-Format and payload follow.  Byte exact. */
static void test_write_notification(void **state)
{
    (void)state;
    bw_coap_observer_t slots[1];
    bw_coap_obs_registry_t reg;
    bw_coap_obs_note_t note = {.type = BW_COAP_NON, .observe = 0x1234};
    bw_coap_writer_t w;
    uint8_t buf[64], want[64];
    size_t len, n;
    static const uint8_t etag[] = {0xe1, 0xe2};

    bw_coap_obs_init(&reg, slots, 1, 0, 0);
    bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, TOK_1, sizeof TOK_1, 1, 0,
                         NULL, NULL);
    assert_int_equal(bw_coap_obs_write(&reg, 0, &note, BW_COAP_CONTENT, 0xbeef,
                                       etag, sizeof etag, &w, buf, sizeof buf),
                     0);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, 11542);
    bw_coap_writer_payload(&w, "x", 1);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    n = bw_test_hex("52 45 be ef a1 b2 42 e1 e2 22 12 34 62 2d 16 ff 78", want,
                    sizeof want);
    assert_int_equal(len, n);
    assert_memory_equal(buf, want, n);

    /* Observe 0 is the empty uint; ACK for a registration response. */
    note.type = BW_COAP_ACK;
    note.observe = 0;
    assert_int_equal(bw_coap_obs_write(&reg, 0, &note, BW_COAP_CONTENT, 7, NULL,
                                       0, &w, buf, sizeof buf),
                     0);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    n = bw_test_hex("62 45 00 07 a1 b2 60", want, sizeof want);
    assert_int_equal(len, n);
    assert_memory_equal(buf, want, n);

    /* An error code ends the observation: no Observe option. */
    note.type = BW_COAP_CON;
    assert_int_equal(bw_coap_obs_write(&reg, 0, &note, BW_COAP_NOT_FOUND, 8,
                                       NULL, 0, &w, buf, sizeof buf),
                     0);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    n = bw_test_hex("42 84 00 08 a1 b2", want, sizeof want);
    assert_int_equal(len, n);
    assert_memory_equal(buf, want, n);

    /* Bad slot: the error is returned and sticks in the writer. */
    bw_assert_err(bw_coap_obs_write(&reg, 1, &note, BW_COAP_CONTENT, 8, NULL, 0,
                                    &w, buf, sizeof buf),
                  BW_EINVAL);
    bw_assert_err(bw_coap_writer_finish(&w, &len), BW_EINVAL);
    bw_coap_obs_remove(&reg, 0);
    bw_assert_err(bw_coap_obs_write(&reg, 0, &note, BW_COAP_CONTENT, 8, NULL, 0,
                                    &w, buf, sizeof buf),
                  BW_ENOTFOUND);
    bw_assert_err(bw_coap_writer_finish(&w, &len), BW_ENOTFOUND);
    /* Too small a buffer: the writer's ENOSPC comes back. */
    bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, TOK_1, sizeof TOK_1, 1, 0,
                         NULL, NULL);
    bw_assert_err(bw_coap_obs_write(&reg, 0, &note, BW_COAP_CONTENT, 8, NULL, 0,
                                    &w, buf, 5),
                  BW_ENOSPC);
}

/*
 * Section 3.4 rule at its edges: a difference of exactly 2^23 is neither
 * newer nor older, equal numbers are not newer, wrap-around counts as
 * newer, and more than 128 s later is newer whatever the number.
 */
static void test_is_fresh(void **state)
{
    (void)state;
    static const struct {
        uint32_t v1;
        uint64_t t1;
        uint32_t v2;
        uint64_t t2;
        int fresh;
    } cases[] = {
        {1, 0, 2, 0, 1},
        {2, 0, 1, 0, 0},
        {5, 0, 5, 0, 0},
        {0xffffff, 0, 0, 0, 1},
        {0, 0, 0xffffff, 0, 0},
        {0, 0, 0x7fffff, 0, 1},
        {0, 0, 0x800000, 0, 0},
        {0x800000, 0, 0, 0, 0},
        {0x800001, 0, 0, 0, 1},
        {0x900000, 0, 0x100000, 0, 0},
        {0x100000, 0, 0x900000, 0, 0},
        {2, 1000, 1, 1000 + 128000, 0},
        {2, 1000, 1, 1000 + 128001, 1},
        {5, 1000, 5, 1000 + 200000, 1},
        {2, 500000, 1, 0, 0},
        /* Only the low 24 bits count. */
        {0x1000001, 0, 2, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = bw_coap_obs_is_fresh(cases[i].v1, cases[i].t1, cases[i].v2,
                                       cases[i].t2);
        if (got != cases[i].fresh)
            fail_msg("case %zu: got %d", i, got);
    }
}

/* A client sees 5, 7, 6 (reordered: dropped), 8, then 3 more than 128 s
 * after 8 (taken: the server may have restarted). */
static void test_fresh_check(void **state)
{
    (void)state;
    bw_coap_obs_fresh_t st;

    bw_coap_obs_fresh_reset(&st);
    assert_int_equal(bw_coap_obs_fresh_check(&st, 5, 100), 0);
    assert_int_equal(bw_coap_obs_fresh_check(&st, 7, 200), 0);
    bw_assert_err(bw_coap_obs_fresh_check(&st, 6, 300), BW_ESTALE);
    assert_int_equal(st.v, 7);
    assert_int_equal(st.t_ms, 200);
    bw_assert_err(bw_coap_obs_fresh_check(&st, 7, 300), BW_ESTALE);
    assert_int_equal(bw_coap_obs_fresh_check(&st, 8, 400), 0);
    bw_assert_err(bw_coap_obs_fresh_check(&st, 3, 400 + 128000), BW_ESTALE);
    assert_int_equal(bw_coap_obs_fresh_check(&st, 3, 400 + 128001), 0);
    assert_int_equal(st.v, 3);
    bw_assert_err(bw_coap_obs_fresh_check(&st, 0x1000000, 500000), BW_ERANGE);
    assert_int_equal(st.v, 3);
    bw_assert_err(bw_coap_obs_fresh_check(NULL, 1, 1), BW_EINVAL);
}

/* Caller misuse is BW_EINVAL and leaves outputs alone. */
static void test_invalid_arguments(void **state)
{
    (void)state;
    bw_coap_observer_t slots[1];
    bw_coap_obs_registry_t reg;
    bw_coap_obs_note_t note = {.type = 9, .observe = 9};
    uint8_t big[BW_COAP_OBS_MAX_PEER_LEN + 1] = {0};
    static const uint8_t tok9[9] = {0};
    size_t idx = 5;

    bw_assert_err(bw_coap_obs_init(NULL, slots, 1, 0, 0), BW_EINVAL);
    bw_assert_err(bw_coap_obs_init(&reg, NULL, 1, 0, 0), BW_EINVAL);
    bw_coap_obs_init(&reg, slots, 1, 0, 0);
    bw_assert_err(
        bw_coap_obs_register(&reg, PEER_A, 0, NULL, 0, 1, 0, &idx, NULL),
        BW_EINVAL);
    bw_assert_err(
        bw_coap_obs_register(&reg, big, sizeof big, NULL, 0, 1, 0, &idx, NULL),
        BW_EINVAL);
    assert_int_equal(bw_coap_obs_register(&reg, big, sizeof big - 1, NULL, 0, 1,
                                          0, NULL, NULL),
                     0);
    bw_assert_err(bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, tok9, 9, 1,
                                       0, &idx, NULL),
                  BW_EINVAL);
    bw_assert_err(bw_coap_obs_register(&reg, PEER_A, sizeof PEER_A, NULL, 2, 1,
                                       0, &idx, NULL),
                  BW_EINVAL);
    bw_assert_err(bw_coap_obs_register(NULL, PEER_A, sizeof PEER_A, NULL, 0, 1,
                                       0, &idx, NULL),
                  BW_EINVAL);
    assert_int_equal(idx, 5);
    bw_assert_err(bw_coap_obs_notify(&reg, 1, 0, 0, &note), BW_EINVAL);
    assert_int_equal(note.type, 0);
    bw_assert_err(bw_coap_obs_notify(&reg, 0, 0, 0, NULL), BW_EINVAL);
    bw_assert_err(bw_coap_obs_next(&reg, 1, NULL), BW_EINVAL);
    bw_assert_err(bw_coap_obs_find(&reg, PEER_A, sizeof PEER_A, NULL, 0, NULL),
                  BW_EINVAL);
    assert_int_equal(bw_coap_obs_remove_peer(NULL, PEER_A, 1), 0);
    bw_assert_err(
        bw_coap_obs_write(&reg, 0, &note, 0x45, 1, NULL, 0, NULL, NULL, 0),
        BW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_and_find),
        cmocka_unit_test(test_reregister_replaces),
        cmocka_unit_test(test_table_full),
        cmocka_unit_test(test_deregister_and_remove),
        cmocka_unit_test(test_next),
        cmocka_unit_test(test_sequence_wrap),
        cmocka_unit_test(test_con_schedule),
        cmocka_unit_test(test_write_notification),
        cmocka_unit_test(test_is_fresh),
        cmocka_unit_test(test_fresh_check),
        cmocka_unit_test(test_invalid_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
