/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secrets at rest in server/db: the master key file's rules, PSKs that
 * never reach the database file in the clear, and what happens with the
 * wrong key or a tampered row (a clear error, never a wrong key handed
 * to the DTLS engine).
 */
#define _GNU_SOURCE
#include <fcntl.h>

#include "test_db_fixture.h"

static const char ep_a[] = "urn:dev:alpha";
static const char ep_b[] = "urn:dev:bravo";
static const uint8_t id_a[] = "k7Qv-alpha-credential";
static const uint8_t id_b[] = "x9Pz-bravo-credential";

static void write_file(const char *path, const void *data, size_t n,
                       mode_t mode)
{
    (void)unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

/* Two devices with one PSK each (seeds 1 and 2). */
static void add_two(dbfx_t *f, uint8_t psk_a[32], uint8_t psk_b[32])
{
    dbfx_psk(psk_a, 32, 1);
    dbfx_psk(psk_b, 32, 2);
    bw_assert_err(bw_db_device_add(f->db, ep_a, NULL, NULL, 1, NULL), 0);
    bw_assert_err(bw_db_device_add(f->db, ep_b, NULL, NULL, 1, NULL), 0);
    bw_assert_err(bw_db_psk_import(f->db, ep_a, id_a, sizeof id_a - 1, psk_a,
                                   32, BW_DB_CRED_ACTIVE, 1, NULL),
                  0);
    bw_assert_err(bw_db_psk_import(f->db, ep_b, id_b, sizeof id_b - 1, psk_b,
                                   32, BW_DB_CRED_ACTIVE, 1, NULL),
                  0);
}

/* Tried: master key files of mode 0644, 0640, 0604, 0700... and 0600.
 * Must hold: every mode with a group or other bit is refused with
 * BW_EPERM and a message naming the mode and the fix; 0600 (and 0400)
 * open. */
static void test_key_file_mode(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    uint8_t key[32];
    dbfx_psk(key, sizeof key, 99);
    static const mode_t bad[] = {0644, 0640, 0604, 0660, 0602, 0620, 0610};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(f.key_path, key, sizeof key, bad[i]);
        bw_assert_err(dbfx_open_with(&f, f.key_path, 0), BW_EPERM);
        assert_null(f.db);
        char mode[8];
        snprintf(mode, sizeof mode, "%04o", (unsigned)bad[i]);
        assert_non_null(strstr(f.why, mode));
        assert_non_null(strstr(f.why, "0600"));
    }
    /* The database was not even created: the key is checked first. */
    assert_int_not_equal(access(f.db_path, F_OK), 0);
    write_file(f.key_path, key, sizeof key, 0600);
    bw_assert_err(dbfx_open_with(&f, f.key_path, 0), 0);
    dbfx_close(&f);
    write_file(f.key_path, key, sizeof key, 0400);
    bw_assert_err(dbfx_open_with(&f, f.key_path, 0), 0);
    dbfx_done(&f);
}

/* Tried: key files of the wrong length, bad hex, a symlink to a good key,
 * a directory, a missing file; and the same key as 64 hex digits.
 * Must hold: BW_EMALFORMED for content, BW_EPERM for the symlink and the
 * directory, BW_EIO for a missing file; the hex form opens a database
 * made with the raw form (same key). */
static void test_key_file_content(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    uint8_t key[33];
    dbfx_psk(key, sizeof key, 5);
    write_file(f.key_path, key, 32, 0600);
    dbfx_open(&f);
    dbfx_close(&f);

    char hex[66];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02X", key[i]);
    hex[64] = '\n';
    write_file(f.key_path, hex, 65, 0600);
    bw_assert_err(dbfx_open_with(&f, f.key_path, 0), 0);
    dbfx_close(&f);

    hex[10] = 'g';
    write_file(f.key_path, hex, 65, 0600);
    bw_assert_err(dbfx_open_with(&f, f.key_path, 0), BW_EMALFORMED);
    write_file(f.key_path, key, 31, 0600);
    bw_assert_err(dbfx_open_with(&f, f.key_path, 0), BW_EMALFORMED);
    assert_non_null(strstr(f.why, "32 bytes"));
    write_file(f.key_path, key, 33, 0600);
    bw_assert_err(dbfx_open_with(&f, f.key_path, 0), BW_EMALFORMED);
    write_file(f.key_path, key, 0, 0600);
    bw_assert_err(dbfx_open_with(&f, f.key_path, 0), BW_EMALFORMED);

    char link[160], sub[160], missing[160];
    write_file(f.key_path, key, 32, 0600);
    snprintf(link, sizeof link, "%s/link.key", f.dir);
    assert_int_equal(symlink(f.key_path, link), 0);
    bw_assert_err(dbfx_open_with(&f, link, 0), BW_EPERM);
    snprintf(sub, sizeof sub, "%s/subdir", f.dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    bw_assert_err(dbfx_open_with(&f, sub, 0), BW_EPERM);
    assert_int_equal(rmdir(sub), 0);
    snprintf(missing, sizeof missing, "%s/missing.key", f.dir);
    bw_assert_err(dbfx_open_with(&f, missing, 0), BW_EIO);
    dbfx_done(&f);
}

/* Tried: create a key file where one exists.
 * Must hold: BW_EEXIST and the existing key is untouched; a created key
 * file has mode 0600 and 32 bytes. */
static void test_key_create(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    struct stat st;
    assert_int_equal(stat(f.key_path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, 32);
    uint8_t before[32], after[32];
    FILE *fp = fopen(f.key_path, "rb");
    assert_int_equal(fread(before, 1, 32, fp), 32);
    fclose(fp);
    bw_assert_err(bw_db_master_key_create(f.key_path), BW_EEXIST);
    fp = fopen(f.key_path, "rb");
    assert_int_equal(fread(after, 1, 32, fp), 32);
    fclose(fp);
    assert_memory_equal(before, after, 32);
    dbfx_done(&f);
}

/* Whether needle occurs in the file at path (missing file: no). */
static int file_contains(const char *path, const uint8_t *needle, size_t n)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return 0;
    static uint8_t buf[4 << 20];
    size_t len = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    return memmem(buf, len, needle, n) != NULL;
}

/* Tried: import two PSKs; read the database file and its WAL while the
 * database is open, and the file again after close (checkpointed).
 * Must hold: neither PSK appears anywhere in the files, nor does any
 * 8-byte window of it; the identities do appear (so the search works:
 * this test can fail). */
static void test_no_plaintext_on_disk(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    uint8_t psk_a[32], psk_b[32];
    add_two(&f, psk_a, psk_b);
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", f.db_path);
    for (int pass = 0; pass < 2; pass++) {
        const char *files[] = {f.db_path, wal};
        int found_id = 0;
        for (int i = 0; i < 2; i++) {
            found_id |= file_contains(files[i], id_a, sizeof id_a - 1);
            for (size_t off = 0; off + 8 <= 32; off++) {
                assert_false(file_contains(files[i], psk_a + off, 8));
                assert_false(file_contains(files[i], psk_b + off, 8));
            }
        }
        assert_true(found_id);
        dbfx_close(&f);
    }
    dbfx_done(&f);
}

/* Tried: a database made with one master key, opened with another.
 * Must hold: BW_EAUTH at open with a message about the master key; with
 * the right key again, lookups work (nothing was changed). */
static void test_wrong_master_key(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    uint8_t psk_a[32], psk_b[32], out[64];
    size_t n;
    add_two(&f, psk_a, psk_b);
    dbfx_close(&f);
    char other[160];
    snprintf(other, sizeof other, "%s/other.key", f.dir);
    bw_assert_err(bw_db_master_key_create(other), 0);
    bw_assert_err(dbfx_open_with(&f, other, 0), BW_EAUTH);
    assert_null(f.db);
    assert_non_null(strstr(f.why, "master key"));
    dbfx_open(&f);
    bw_assert_err(
        bw_db_psk_lookup(f.db, id_a, sizeof id_a - 1, out, sizeof out, &n), 0);
    assert_int_equal(n, 32);
    assert_memory_equal(out, psk_a, 32);
    dbfx_done(&f);
}

/* Tried: behind the API, flip one byte of a sealed PSK; then copy
 * device A's sealed PSK and nonce onto device B's identity; then cut a
 * sealed PSK short.
 * Must hold: each lookup fails with BW_EAUTH, *psk_len is 0 and the
 * output buffer is zeroed: a tampered row never yields a key, and a key
 * cannot be moved to another identity. */
static void test_tampered_rows(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    uint8_t psk_a[32], psk_b[32], out[64], zero[64] = {0};
    size_t n = 99;
    add_two(&f, psk_a, psk_b);
    sqlite3 *c = dbfx_raw(&f);

    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(c,
                           "SELECT psk_box FROM credentials WHERE identity = "
                           "CAST('x9Pz-bravo-credential' AS BLOB)",
                           -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    uint8_t box[48];
    assert_int_equal(sqlite3_column_bytes(st, 0), 48);
    memcpy(box, sqlite3_column_blob(st, 0), 48);
    sqlite3_finalize(st);
    box[20] ^= 0x01;
    assert_int_equal(
        sqlite3_prepare_v2(c,
                           "UPDATE credentials SET psk_box = ? WHERE "
                           "identity = CAST('x9Pz-bravo-credential' AS BLOB)",
                           -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_blob(st, 1, box, 48, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    memset(out, 0xaa, sizeof out);
    bw_assert_err(
        bw_db_psk_lookup(f.db, id_b, sizeof id_b - 1, out, sizeof out, &n),
        BW_EAUTH);
    assert_int_equal(n, 0);
    assert_memory_equal(out, zero, sizeof out);

    /* Restore B's box, then move A's box and nonce onto B. */
    box[20] ^= 0x01;
    assert_int_equal(
        sqlite3_prepare_v2(c,
                           "UPDATE credentials SET psk_box = ? WHERE "
                           "identity = CAST('x9Pz-bravo-credential' AS BLOB)",
                           -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_blob(st, 1, box, 48, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    bw_assert_err(
        bw_db_psk_lookup(f.db, id_b, sizeof id_b - 1, out, sizeof out, &n), 0);
    assert_memory_equal(out, psk_b, 32);
    assert_int_equal(
        dbfx_exec(c, "UPDATE credentials SET (psk_box, psk_nonce) = (SELECT "
                     "psk_box, psk_nonce FROM credentials WHERE identity = "
                     "CAST('k7Qv-alpha-credential' AS BLOB)) WHERE identity "
                     "= CAST('x9Pz-bravo-credential' AS BLOB)"),
        SQLITE_OK);
    memset(out, 0xaa, sizeof out);
    bw_assert_err(
        bw_db_psk_lookup(f.db, id_b, sizeof id_b - 1, out, sizeof out, &n),
        BW_EAUTH);
    assert_int_equal(n, 0);
    assert_memory_equal(out, zero, sizeof out);

    /* A box cut below the MAC length. */
    assert_int_equal(dbfx_exec(c, "UPDATE credentials SET psk_box = x'0102'"),
                     SQLITE_OK);
    bw_assert_err(
        bw_db_psk_lookup(f.db, id_a, sizeof id_a - 1, out, sizeof out, &n),
        BW_EAUTH);
    sqlite3_close(c);
    dbfx_done(&f);
}

/* Tried: a database opened without a master key.
 * Must hold: PSK import and lookup are BW_ESTATE (no key, no secrets);
 * devices can still be added. */
static void test_no_master_key(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    bw_assert_err(dbfx_open_with(&f, NULL, 0), 0);
    bw_assert_err(bw_db_device_add(f.db, ep_a, NULL, NULL, 1, NULL), 0);
    uint8_t psk[32], out[32];
    size_t n;
    dbfx_psk(psk, sizeof psk, 3);
    bw_assert_err(bw_db_psk_import(f.db, ep_a, id_a, sizeof id_a - 1, psk,
                                   sizeof psk, BW_DB_CRED_ACTIVE, 1, NULL),
                  BW_ESTATE);
    bw_assert_err(
        bw_db_psk_lookup(f.db, id_a, sizeof id_a - 1, out, sizeof out, &n),
        BW_ESTATE);
    dbfx_done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_file_mode),
        cmocka_unit_test(test_key_file_content),
        cmocka_unit_test(test_key_create),
        cmocka_unit_test(test_no_plaintext_on_disk),
        cmocka_unit_test(test_wrong_master_key),
        cmocka_unit_test(test_tampered_rows),
        cmocka_unit_test(test_no_master_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
