/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server/db under kill -9: nothing acknowledged is lost, nothing is half
 * written, and the file stays sound.
 *
 * A child process opens the database and writes in a loop: audit
 * entries (one transaction each) and registration batches of 20
 * (group commit).  After each write returns 0 it prints an
 * acknowledgement on a pipe (what it would tell an API client or a
 * device).  The parent kills it with SIGKILL after a random delay, 60
 * times, and after each kill:
 *   - reopens the database through the API (WAL recovery runs);
 *   - finds every acknowledged audit id and all 20 registrations of
 *     every acknowledged batch, from this round and every earlier one;
 *   - finds the batch after the last acknowledged one either complete or
 *     absent (a batch is one transaction);
 *   - runs PRAGMA integrity_check and expects "ok".
 *
 * What this proves and what not: SIGKILL loses the process, not the
 * kernel's page cache, so it checks that an acknowledgement is never
 * given before COMMIT returns and that SQLite's recovery leaves whole
 * transactions.  Power loss (the page cache gone) relies on
 * synchronous=FULL, which makes COMMIT wait for fsync of the WAL;
 * docs/storage.md says so.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "testutil.h"

#define ROUNDS   60
#define BATCH    20
#define MAX_ACKS 200000

static char dir[64], db_path[128], key_path[128];

typedef struct {
    int64_t audit[MAX_ACKS];
    size_t n_audit;
    struct {
        int round, seq;
    } reg[MAX_ACKS];
    size_t n_reg;
} acks_t;

static acks_t acks;

static void ack(int fd, const char *line)
{
    size_t n = strlen(line);
    if (write(fd, line, n) != (ssize_t)n)
        _exit(3);
}

/* The child: write until killed.  Never returns. */
static void writer(int fd, int round)
{
    bw_db_config_t cfg = {.path = db_path, .master_key_file = key_path};
    bw_db_t *db;
    if (bw_db_open(&cfg, &db, NULL, 0) != 0)
        _exit(2);
    char line[64], names[BATCH][40];
    for (int seq = 0;; seq++) {
        if (seq % 2 == 0) {
            int64_t id;
            if (bw_db_audit_append(db, seq, "kill-test", "write", "round",
                                   "acknowledged after commit", &id) != 0)
                _exit(4);
            snprintf(line, sizeof line, "A %lld\n", (long long)id);
        } else {
            bw_db_reg_event_t ev[BATCH];
            memset(ev, 0, sizeof ev);
            for (int k = 0; k < BATCH; k++) {
                snprintf(names[k], sizeof names[k], "k%d-%d-%d", round, seq, k);
                ev[k].op = BW_DB_REG_REGISTER;
                ev[k].endpoint = names[k];
                ev[k].lifetime_s = 3600;
                ev[k].binding = "U";
                ev[k].version = "1.1";
                ev[k].object_links = "</3/0>";
                ev[k].now_ms = seq;
            }
            if (bw_db_registration_batch(db, ev, BATCH) != 0)
                _exit(5);
            snprintf(line, sizeof line, "R %d %d\n", round, seq);
        }
        ack(fd, line);
    }
}

static long long count(sqlite3 *c, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static long long batch_rows(sqlite3 *c, int round, int seq)
{
    char sql[160];
    /* A range on the unique index ('.' follows '-'), not a LIKE scan. */
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM registrations WHERE endpoint >= "
             "'k%d-%d-' AND endpoint < 'k%d-%d.'",
             round, seq, round, seq);
    return count(c, sql);
}

/* Read the child's acknowledgements until EOF; returns the last batch
 * sequence number acknowledged in this round (-1 if none) via *last. */
static size_t read_acks(int fd, int round, int *last_seq)
{
    static char buf[1 << 22];
    size_t len = 0;
    ssize_t n;
    while ((n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    size_t lines = 0;
    *last_seq = -1;
    char *save = NULL;
    for (char *l = strtok_r(buf, "\n", &save); l != NULL;
         l = strtok_r(NULL, "\n", &save)) {
        long long id;
        int r, s;
        if (sscanf(l, "A %lld", &id) == 1) {
            assert_true(acks.n_audit < MAX_ACKS);
            acks.audit[acks.n_audit++] = id;
        } else if (sscanf(l, "R %d %d", &r, &s) == 2) {
            assert_int_equal(r, round);
            assert_true(acks.n_reg < MAX_ACKS);
            acks.reg[acks.n_reg].round = r;
            acks.reg[acks.n_reg].seq = s;
            acks.n_reg++;
            *last_seq = s;
        } else {
            fail_msg("bad acknowledgement line \"%s\"", l);
        }
        lines++;
    }
    return lines;
}

static void check_all(int round, int last_seq)
{
    bw_db_config_t cfg = {.path = db_path, .master_key_file = key_path};
    bw_db_t *db;
    char why[256];
    int err = bw_db_open(&cfg, &db, why, sizeof why);
    if (err != 0)
        fail_msg("round %d: reopen failed: %s (%s)", round, bw_err_name(err),
                 why);
    bw_db_close(db);
    sqlite3 *c;
    assert_int_equal(sqlite3_open(db_path, &c), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(c, "PRAGMA integrity_check", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    assert_int_equal(
        sqlite3_prepare_v2(c, "SELECT COUNT(*) FROM audit_log WHERE id = ?", -1,
                           &st, NULL),
        SQLITE_OK);
    for (size_t i = 0; i < acks.n_audit; i++) {
        sqlite3_bind_int64(st, 1, acks.audit[i]);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        if (sqlite3_column_int64(st, 0) != 1)
            fail_msg("round %d: acknowledged audit id %lld lost", round,
                     (long long)acks.audit[i]);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    for (size_t i = 0; i < acks.n_reg; i++) {
        long long n = batch_rows(c, acks.reg[i].round, acks.reg[i].seq);
        if (n != BATCH)
            fail_msg("round %d: acknowledged batch %d/%d has %lld of %d rows",
                     round, acks.reg[i].round, acks.reg[i].seq, n, BATCH);
    }
    /* The next batch (seq + 2: batches are the odd ones) was not
     * acknowledged: all or nothing. */
    long long next = batch_rows(c, round, last_seq < 0 ? 1 : last_seq + 2);
    if (next != 0 && next != BATCH)
        fail_msg("round %d: a batch was half written (%lld rows)", round, next);
    sqlite3_close(c);
}

static void test_kill_during_writes(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/bw-db-kill-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(db_path, sizeof db_path, "%s/kill.db", dir);
    snprintf(key_path, sizeof key_path, "%s/master.key", dir);
    bw_assert_err(bw_db_master_key_create(key_path), 0);
    unsigned seed = (unsigned)time(NULL);
    const char *env = getenv("BW_DB_KILL_SEED");
    if (env != NULL)
        seed = (unsigned)strtoul(env, NULL, 10);
    srand(seed);
    print_message("seed %u (BW_DB_KILL_SEED to repeat)\n", seed);

    size_t total_acks = 0;
    int mid_write = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            writer(p[1], round);
        }
        close(p[1]);
        /* 2..60 ms: early kills land in open/recovery, later ones in
         * the middle of a transaction or an fsync. */
        struct timespec ts = {0, (2 + rand() % 59) * 1000000L};
        nanosleep(&ts, NULL);
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status))
            fail_msg("round %d: the writer exited by itself (status %d)", round,
                     WEXITSTATUS(status));
        int last_seq;
        size_t n = read_acks(p[0], round, &last_seq);
        close(p[0]);
        total_acks += n;
        mid_write += n > 0;
        check_all(round, last_seq);
    }
    print_message("%d kills (%d after the first acknowledged write), %zu "
                  "acknowledged writes, none lost\n",
                  ROUNDS, mid_write, total_acks);
    assert_true(mid_write >= ROUNDS / 2);

    char p[160];
    static const char *const files[] = {"kill.db", "kill.db-wal", "kill.db-shm",
                                        "master.key"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        (void)unlink(p);
    }
    (void)rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_during_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
