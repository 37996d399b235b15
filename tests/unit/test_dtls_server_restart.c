/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Graceful restart of the DTLS server engine (state_file), with a real
 * OpenSSL DTLS client that lives through it over loopback UDP
 * (tests/dtls_client_fixture.h): sessions saved on free, loaded and deleted on
 * the next start, and the same client SSL object carrying on without a
 * new handshake; corrupted and unreadable state files.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>

#include "dtls_client_fixture.h"

static char dir[64], state_path[128];

static int setup(void **state)
{
    if (fix_group_setup(state) != 0)
        return -1;
    snprintf(dir, sizeof dir, "/tmp/bw-dtls-restart-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(state_path, sizeof state_path, "%s/sessions.state", dir);
    return 0;
}

static int teardown(void **state)
{
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", state_path);
    (void)unlink(state_path);
    (void)rmdir(state_path); /* the unreadable-file test makes a directory */
    (void)unlink(tmp);
    (void)rmdir(dir);
    return fix_group_teardown(state);
}

static fix_server_t *server_on(uint16_t port)
{
    fix_server_t *h = fix_server_new();
    h->cfg.port = port;
    h->cfg.state_file = state_path;
    fix_server_start(h);
    return h;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Stop h; its state file must then exist, private to the owner, with no
 * temporary file left beside it. */
static void stop_and_check_saved(fix_server_t *h, unsigned sessions)
{
    bw_assert_err(fix_server_stop(h), 0);
    struct stat st;
    assert_int_equal(stat(state_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_true(st.st_size > 0);
    char tmp[160], line[64];
    snprintf(tmp, sizeof tmp, "%s.tmp", state_path);
    assert_false(exists(tmp));
    snprintf(line, sizeof line, "saved %u session", sessions);
    fix_assert_log(h, line, state_path);
    fix_server_free(h);
}

/*
 * Tried: a client handshakes and echoes 5 times; the server is freed
 * with a state file; a new server on the same port loads it; the same
 * client SSL object (no new handshake) echoes 5 times more.  Before those
 * echoes, the last record the client sent before the restart is sent
 * again from its address.
 * Must hold: free() returns 0 and leaves the file, mode 0600, no
 * temporary beside it; the new server deletes the file when it loads it;
 * the record from before the restart is dropped as a replay (the replay
 * window survived); the echoes work, the client wrote nothing but
 * application records (5 of them), the server started no handshake and
 * sent no HelloVerifyRequest; restored is 1 and the identity delivered is
 * still device-a in PSK mode; every record the new server sends carries a
 * sequence number above every one the old server used.
 */
static void test_restart_keeps_session(void **state)
{
    (void)state;
    fix_server_t *a = server_on(0);
    uint16_t port = fix_port(a);
    fix_client_t *c = fix_client_ok(port, "PSK-AES128-GCM-SHA256");
    char msg[32];
    for (unsigned i = 0; i < 5; i++) {
        snprintf(msg, sizeof msg, "before restart %u", i);
        fix_echo(c, msg);
    }
    assert_true(c->cap.in_seq_seen);
    uint64_t old_max = c->cap.in_seq_max;
    uint8_t last[FIX_DGRAM_MAX];
    size_t last_len = c->cap.out_len;
    memcpy(last, c->cap.out, last_len);
    stop_and_check_saved(a, 1);

    fix_server_t *b = server_on(port);
    assert_false(exists(state_path));
    fix_assert_log(b, "restored 1 session", state_path);

    fix_client_raw(c, last, last_len);
    bw_dtls_stats_t st = FIX_WAIT(b, dropped_replay, 1);
    assert_int_equal(st.records_in, 0);

    c->cap.in_seq_seen = 0;
    unsigned written = c->cap.nout;
    for (unsigned i = 0; i < 5; i++) {
        snprintf(msg, sizeof msg, "after restart %u", i);
        fix_echo(c, msg);
    }
    assert_int_equal(c->cap.nout, written + 5);
    assert_true(c->cap.in_seq_seen);
    if (c->cap.in_seq_first <= old_max)
        fail_msg("new server sealed with sequence number %llu, the old one "
                 "had reached %llu",
                 (unsigned long long)c->cap.in_seq_first,
                 (unsigned long long)old_max);
    st = fix_stats(b);
    assert_int_equal(st.restored, 1);
    assert_int_equal(st.handshakes_started, 0);
    assert_int_equal(st.hvr_sent, 0);
    assert_int_equal(st.records_in, 5);
    assert_int_equal(st.sessions, 1);
    assert_int_equal(fix_rx_count(b), 5);
    for (unsigned i = 0; i < 5; i++) {
        fix_rx_t r = fix_rx_get(b, i);
        assert_string_equal(r.identity, "device-a");
        assert_int_equal(r.mode, BW_DTLS_MODE_PSK);
        assert_int_equal(r.port, c->port);
    }

    /* And once more: a restored session is saved again. */
    stop_and_check_saved(b, 1);
    fix_server_t *b2 = server_on(port);
    fix_echo(c, "after the second restart");
    assert_int_equal(fix_stats(b2).restored, 1);
    assert_int_equal(fix_stats(b2).handshakes_started, 0);
    fix_client_free(c);
    bw_assert_err(fix_server_stop(b2), 0);
    fix_server_free(b2);
    (void)unlink(state_path);
}

static void flip_middle_byte(void)
{
    struct stat st;
    assert_int_equal(stat(state_path, &st), 0);
    int fd = open(state_path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t b;
    off_t at = st.st_size / 2;
    assert_int_equal(pread(fd, &b, 1, at), 1);
    b ^= 0x10;
    assert_int_equal(pwrite(fd, &b, 1, at), 1);
    close(fd);
}

static void cut_last_byte(void)
{
    struct stat st;
    assert_int_equal(stat(state_path, &st), 0);
    assert_int_equal(truncate(state_path, st.st_size - 1), 0);
}

/*
 * Tried: a saved state file with one byte flipped in its middle, then
 * (saved again by the next server) one cut short by a byte; each loaded
 * by a new server on the same port, after which the client whose session
 * was saved sends a record.
 * Must hold: the server starts (bw_dtls_server_new returns 0) with no
 * session; a log line names the file and says it starts without saved
 * sessions; the file is moved aside to <file>.bad; the client's record is dropped, not delivered and not echoed
 * (restored 0, sessions 0); a new client then handshakes and is served.
 */
static void test_corrupt_state_file(void **state)
{
    (void)state;
    void (*corrupt[])(void) = {flip_middle_byte, cut_last_byte};
    fix_server_t *h = server_on(0);
    uint16_t port = fix_port(h);
    fix_client_t *c = fix_client_ok(port, "PSK-AES128-CCM8");
    fix_echo(c, "saved");
    for (unsigned k = 0; k < 2; k++) {
        stop_and_check_saved(h, 1);
        corrupt[k]();
        h = server_on(port);
        fix_assert_log(h, state_path, "without saved sessions");
        /* The damaged file is kept aside, not used and not lost. */
        char bad[sizeof state_path + 8];
        snprintf(bad, sizeof bad, "%s.bad", state_path);
        assert_int_equal(access(state_path, F_OK), -1);
        assert_int_equal(access(bad, F_OK), 0);
        assert_int_equal(unlink(bad), 0);
        fix_client_write(c, "still there?", 12);
        fix_expect_silence(c, 300);
        bw_dtls_stats_t st = FIX_WAIT(h, dropped_other, 1);
        assert_int_equal(st.restored, 0);
        assert_int_equal(st.sessions, 0);
        assert_int_equal(st.records_in, 0);
        assert_int_equal(fix_rx_count(h), 0);
        fix_client_free(c);
        c = fix_client_ok(port, "PSK-AES128-CCM8");
        fix_echo(c, "a fresh start");
    }
    fix_client_free(c);
    fix_server_free(h);
    (void)unlink(state_path);
}

/*
 * Tried: a state_file path that exists but cannot be read as a file (a
 * directory stands in for an I/O error; permissions would not stop root).
 * Must hold: what dtls_server.h promises: bw_dtls_server_new() returns
 * BW_EIO ("state file unreadable") with a reason, and no server.
 */
static void test_unreadable_state_file(void **state)
{
    (void)state;
    assert_int_equal(mkdir(state_path, 0700), 0);
    fix_server_t *h = fix_server_new();
    h->cfg.state_file = state_path;
    static char sentinel;
    bw_dtls_server_t *srv = (bw_dtls_server_t *)(void *)&sentinel;
    const char *why = NULL;
    int err = bw_dtls_server_new(&h->cfg, &srv, &why);
    if (err == 0)
        (void)bw_dtls_server_free(srv); /* its save fails too: no matter */
    (void)rmdir(state_path);
    bw_assert_err(err, BW_EIO);
    assert_null(srv);
    assert_non_null(why);
    fix_server_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_keeps_session),
        cmocka_unit_test(test_corrupt_state_file),
        cmocka_unit_test(test_unreadable_state_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
