/* SPDX-License-Identifier: Apache-2.0 */
/*
 * REST API tokens in server/db (db_token.h): creation, verification,
 * wrong secrets, revocation, duplicate names, token texts of every wrong
 * shape, and what is (not) stored.
 */
#define _GNU_SOURCE
#include "db_token.h"
#include "test_db_fixture.h"

typedef struct {
    int n;
    char names[8][BW_DB_TOKEN_NAME_MAX + 1];
} names_t;

static int collect(void *arg, const bw_db_token_t *t)
{
    names_t *l = arg;
    if (l->n >= 8)
        return BW_ENOSPC;
    snprintf(l->names[l->n++], sizeof l->names[0], "%s", t->name);
    return 0;
}

static void flip_last(char *text)
{
    size_t n = strlen(text);
    text[n - 1] = text[n - 1] == '0' ? '1' : '0';
}

/* Tried: create a token of each role, verify each text, find each.
 * Must hold: 64 lowercase hex digits whose first 12 are the row's lookup
 * id; verify and find give the row with its name and role; two tokens
 * differ; last_used is 0 until touched, then the time given. */
static void test_create_and_verify(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    static const char *const names[] = {"ci-viewer", "ops.1", "root_2"};
    static const bw_db_role_t roles[] = {BW_DB_ROLE_VIEWER, BW_DB_ROLE_OPERATOR,
                                         BW_DB_ROLE_ADMIN};
    char texts[3][BW_DB_TOKEN_HEX + 1];
    for (int i = 0; i < 3; i++) {
        bw_db_token_t t;
        bw_assert_err(bw_db_token_create(f.db, names[i], roles[i], 1000 + i,
                                         texts[i], &t),
                      0);
        assert_int_equal(strlen(texts[i]), BW_DB_TOKEN_HEX);
        assert_int_equal(strspn(texts[i], "0123456789abcdef"), BW_DB_TOKEN_HEX);
        assert_memory_equal(t.lookup, texts[i], BW_DB_TOKEN_LOOKUP_LEN);
        assert_string_equal(t.name, names[i]);
        assert_int_equal(t.role, roles[i]);
        assert_true(t.id > 0);
    }
    assert_string_not_equal(texts[0], texts[1]);
    for (int i = 0; i < 3; i++) {
        bw_db_token_t t;
        bw_assert_err(bw_db_token_verify(f.db, texts[i], BW_DB_TOKEN_HEX, &t),
                      0);
        assert_string_equal(t.name, names[i]);
        assert_int_equal(t.role, roles[i]);
        assert_int_equal(t.created_ms, 1000 + i);
        assert_int_equal(t.last_used_ms, 0);
        assert_int_equal(t.revoked_ms, 0);
        bw_db_token_t g;
        bw_assert_err(bw_db_token_find(f.db, texts[i], BW_DB_TOKEN_HEX, &g), 0);
        assert_int_equal(g.id, t.id);
    }
    bw_db_token_t t;
    bw_assert_err(bw_db_token_verify(f.db, texts[1], BW_DB_TOKEN_HEX, &t), 0);
    bw_assert_err(bw_db_token_touch(f.db, t.id, 777), 0);
    bw_assert_err(bw_db_token_find(f.db, texts[1], BW_DB_TOKEN_HEX, &t), 0);
    assert_int_equal(t.last_used_ms, 777);
    bw_assert_err(bw_db_token_touch(f.db, 999999, 1), BW_ENOTFOUND);
    dbfx_done(&f);
}

/* Tried: the right lookup id with a wrong last digit, a wrong middle
 * digit, and the right secret with another lookup id.
 * Must hold: BW_EAUTH each time and a zeroed row; the right text still
 * verifies afterwards. */
static void test_wrong_secret(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    char text[BW_DB_TOKEN_HEX + 1], bad[BW_DB_TOKEN_HEX + 1];
    bw_assert_err(
        bw_db_token_create(f.db, "a", BW_DB_ROLE_ADMIN, 1, text, NULL), 0);
    bw_db_token_t t;
    memcpy(bad, text, sizeof bad);
    flip_last(bad);
    bw_assert_err(bw_db_token_verify(f.db, bad, BW_DB_TOKEN_HEX, &t), BW_EAUTH);
    assert_int_equal(t.id, 0);
    assert_string_equal(t.name, "");
    memcpy(bad, text, sizeof bad);
    bad[30] = bad[30] == 'f' ? 'e' : 'f';
    bw_assert_err(bw_db_token_verify(f.db, bad, BW_DB_TOKEN_HEX, &t), BW_EAUTH);
    memcpy(bad, text, sizeof bad);
    bad[0] = bad[0] == 'a' ? 'b' : 'a'; /* another lookup id: no row */
    bw_assert_err(bw_db_token_verify(f.db, bad, BW_DB_TOKEN_HEX, &t), BW_EAUTH);
    bw_assert_err(bw_db_token_find(f.db, bad, BW_DB_TOKEN_HEX, &t), BW_EAUTH);
    bw_assert_err(bw_db_token_verify(f.db, text, BW_DB_TOKEN_HEX, &t), 0);
    dbfx_done(&f);
}

/* Tried: revoke a token, verify and find it, revoke it again, revoke a
 * name that does not exist and one that is not a name; reopen.
 * Must hold: BW_EREVOKED for the revoked text (with its row and the
 * revocation time), BW_EREVOKED for the second revocation, ENOTFOUND for
 * the others; the other token still verifies; it lasts across reopen. */
static void test_revoked(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    char t1[BW_DB_TOKEN_HEX + 1], t2[BW_DB_TOKEN_HEX + 1];
    bw_assert_err(
        bw_db_token_create(f.db, "one", BW_DB_ROLE_OPERATOR, 1, t1, NULL), 0);
    bw_assert_err(
        bw_db_token_create(f.db, "two", BW_DB_ROLE_VIEWER, 1, t2, NULL), 0);
    bw_db_token_t t;
    bw_assert_err(bw_db_token_revoke(f.db, "one", 5000, &t), 0);
    assert_int_equal(t.revoked_ms, 5000);
    bw_assert_err(bw_db_token_verify(f.db, t1, BW_DB_TOKEN_HEX, &t),
                  BW_EREVOKED);
    assert_string_equal(t.name, "one");
    assert_int_equal(t.revoked_ms, 5000);
    bw_assert_err(bw_db_token_find(f.db, t1, BW_DB_TOKEN_HEX, &t), BW_EREVOKED);
    bw_assert_err(bw_db_token_revoke(f.db, "one", 6000, &t), BW_EREVOKED);
    assert_int_equal(t.revoked_ms, 5000);
    bw_assert_err(bw_db_token_revoke(f.db, "nobody", 6000, NULL), BW_ENOTFOUND);
    bw_assert_err(bw_db_token_revoke(f.db, "no/such", 6000, NULL),
                  BW_ENOTFOUND);
    dbfx_close(&f);
    dbfx_open(&f);
    bw_assert_err(bw_db_token_verify(f.db, t1, BW_DB_TOKEN_HEX, &t),
                  BW_EREVOKED);
    bw_assert_err(bw_db_token_verify(f.db, t2, BW_DB_TOKEN_HEX, &t), 0);
    uint64_t n = 0;
    bw_assert_err(bw_db_token_count(f.db, &n), 0);
    assert_int_equal(n, 2); /* revoked ones count */
    dbfx_done(&f);
}

/* Tried: a second token with a taken name (active, then revoked), a
 * given text whose lookup id is taken, bad names and bad roles.
 * Must hold: BW_EEXIST, BW_EDUPKEY, BW_EMALFORMED / BW_EOVERFLOW,
 * BW_EINVAL; nothing is stored by a refusal (count unchanged). */
static void test_duplicates_and_names(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    char text[BW_DB_TOKEN_HEX + 1], other[BW_DB_TOKEN_HEX + 1];
    bw_assert_err(
        bw_db_token_create(f.db, "dup", BW_DB_ROLE_VIEWER, 1, text, NULL), 0);
    bw_assert_err(
        bw_db_token_create(f.db, "dup", BW_DB_ROLE_ADMIN, 2, other, NULL),
        BW_EEXIST);
    assert_string_equal(other, ""); /* zeroed on failure */
    bw_assert_err(bw_db_token_revoke(f.db, "dup", 3, NULL), 0);
    bw_assert_err(
        bw_db_token_create(f.db, "dup", BW_DB_ROLE_ADMIN, 4, other, NULL),
        BW_EEXIST);
    memcpy(other, text, sizeof other);
    flip_last(other); /* same lookup id, another secret */
    bw_assert_err(
        bw_db_token_add(f.db, "other", BW_DB_ROLE_VIEWER, other, 5, NULL),
        BW_EDUPKEY);
    char longname[BW_DB_TOKEN_NAME_MAX + 2];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    static const char *const bad[] = {"", "a b", "a/b", "api:x", "é", "a\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        bw_assert_err(
            bw_db_token_create(f.db, bad[i], BW_DB_ROLE_VIEWER, 1, other, NULL),
            BW_EMALFORMED);
    bw_assert_err(
        bw_db_token_create(f.db, longname, BW_DB_ROLE_VIEWER, 1, other, NULL),
        BW_EOVERFLOW);
    longname[BW_DB_TOKEN_NAME_MAX] = '\0'; /* exactly the maximum */
    bw_assert_err(
        bw_db_token_create(f.db, longname, BW_DB_ROLE_VIEWER, 1, other, NULL),
        0);
    bw_assert_err(
        bw_db_token_create(f.db, "r", (bw_db_role_t)3, 1, other, NULL),
        BW_EINVAL);
    uint64_t n = 0;
    bw_assert_err(bw_db_token_count(f.db, &n), 0);
    assert_int_equal(n, 2);
    bw_db_role_t r;
    bw_assert_err(bw_db_role_parse("operator", &r), 0);
    assert_int_equal(r, BW_DB_ROLE_OPERATOR);
    bw_assert_err(bw_db_role_parse("Admin", &r), BW_EMALFORMED);
    bw_assert_err(bw_db_role_parse("", &r), BW_EMALFORMED);
    dbfx_done(&f);
}

/* Tried: token texts of every wrong shape through parse, find and
 * verify: empty, NULL, 63 and 65 digits, a non-hex byte at the start,
 * the middle and the end, a NUL inside, "Bearer"-like prefixes, spaces,
 * and a long run read with a short len.
 * Must hold: BW_ETRUNC below 64 bytes, BW_EOVERFLOW above, BW_EMALFORMED
 * for a bad byte, BW_EINVAL for NULL; the lookup id is zeroed; no read
 * past len (ASan); a store that has tokens answers the same. */
static void test_malformed_text(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    char good[BW_DB_TOKEN_HEX + 1];
    bw_assert_err(
        bw_db_token_create(f.db, "g", BW_DB_ROLE_ADMIN, 1, good, NULL), 0);
    char lookup[BW_DB_TOKEN_LOOKUP_LEN + 1];
    bw_db_token_t t;
    bw_assert_err(bw_db_token_parse(NULL, 0, lookup), BW_ETRUNC);
    bw_assert_err(bw_db_token_parse(NULL, 5, lookup), BW_EINVAL);
    bw_assert_err(bw_db_token_parse(good, 64, NULL), BW_EINVAL);
    bw_assert_err(bw_db_token_parse("", 0, lookup), BW_ETRUNC);
    bw_assert_err(bw_db_token_parse(good, 63, lookup), BW_ETRUNC);
    assert_string_equal(lookup, "");
    char big[130];
    memset(big, 'a', sizeof big);
    bw_assert_err(bw_db_token_parse(big, 65, lookup), BW_EOVERFLOW);
    bw_assert_err(bw_db_token_parse(big, sizeof big, lookup), BW_EOVERFLOW);
    /* Exactly 64 bytes of a longer buffer: only len counts. */
    bw_assert_err(bw_db_token_parse(big, 64, lookup), 0);
    assert_string_equal(lookup, "aaaaaaaaaaaa");
    static const size_t at[] = {0, 11, 12, 40, 63};
    static const char bytes[] = {'g', ' ', '\0', '_', 'G', '\xff'};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        for (size_t j = 0; j < sizeof bytes; j++) {
            char x[BW_DB_TOKEN_HEX];
            memcpy(x, good, sizeof x);
            x[at[i]] = bytes[j];
            bw_assert_err(bw_db_token_parse(x, sizeof x, lookup),
                          BW_EMALFORMED);
            assert_string_equal(lookup, "");
            bw_assert_err(bw_db_token_verify(f.db, x, sizeof x, &t),
                          BW_EMALFORMED);
            assert_int_equal(t.id, 0);
            bw_assert_err(bw_db_token_find(f.db, x, sizeof x, &t),
                          BW_EMALFORMED);
        }
    }
    bw_assert_err(bw_db_token_verify(f.db, "Bearer x", 8, &t), BW_ETRUNC);
    bw_assert_err(bw_db_token_verify(f.db, big, sizeof big, &t), BW_EOVERFLOW);
    /* Uppercase digits parse (a file from before roles may hold them);
     * the lookup id is the lowercase form. */
    char upper[BW_DB_TOKEN_HEX + 1];
    memset(upper, 'A', BW_DB_TOKEN_HEX);
    upper[BW_DB_TOKEN_HEX] = '\0';
    bw_assert_err(bw_db_token_parse(upper, BW_DB_TOKEN_HEX, lookup), 0);
    assert_string_equal(lookup, "aaaaaaaaaaaa");
    dbfx_done(&f);
}

/* Tried: import a given text (as a token file is), look at the row
 * through a raw connection; list the tokens.
 * Must hold: the hash column is an argon2id string and the text appears
 * in no column; the imported text verifies exactly as given (uppercase
 * kept), not in another case; list walks every row by name. */
static void test_stored_hash_only(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    const char *text =
        "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff";
    bw_assert_err(
        bw_db_token_add(f.db, "admin", BW_DB_ROLE_ADMIN, text, 9, NULL), 0);
    sqlite3 *raw = dbfx_raw(&f);
    assert_int_equal(dbfx_int(raw, "SELECT COUNT(*) FROM api_tokens WHERE "
                                   "hash LIKE '$argon2id$%'"),
                     1);
    assert_int_equal(dbfx_int(raw, "SELECT COUNT(*) FROM api_tokens WHERE "
                                   "instr(lower(name||role||lookup||hash), "
                                   "'8899aabbccddeeff00112233') > 0"),
                     0);
    assert_int_equal(dbfx_int(raw, "SELECT COUNT(*) FROM api_tokens WHERE "
                                   "lookup = '001122334455'"),
                     1);
    sqlite3_close(raw);
    bw_db_token_t t;
    bw_assert_err(bw_db_token_verify(f.db, text, strlen(text), &t), 0);
    char lower[BW_DB_TOKEN_HEX + 1];
    for (size_t i = 0; i <= BW_DB_TOKEN_HEX; i++)
        lower[i] =
            (char)(text[i] >= 'A' && text[i] <= 'F' ? text[i] + 32 : text[i]);
    bw_assert_err(bw_db_token_verify(f.db, lower, BW_DB_TOKEN_HEX, &t),
                  BW_EAUTH);
    char t2[BW_DB_TOKEN_HEX + 1];
    bw_assert_err(
        bw_db_token_create(f.db, "Zed", BW_DB_ROLE_VIEWER, 10, t2, NULL), 0);
    bw_assert_err(
        bw_db_token_create(f.db, "bob", BW_DB_ROLE_VIEWER, 11, t2, NULL), 0);
    names_t l = {0};
    bw_assert_err(bw_db_token_list(f.db, collect, &l), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.names[0], "Zed"); /* byte order */
    assert_string_equal(l.names[1], "admin");
    assert_string_equal(l.names[2], "bob");
    dbfx_done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_verify),
        cmocka_unit_test(test_wrong_secret),
        cmocka_unit_test(test_revoked),
        cmocka_unit_test(test_duplicates_and_names),
        cmocka_unit_test(test_malformed_text),
        cmocka_unit_test(test_stored_hash_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
