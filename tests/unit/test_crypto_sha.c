/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHA-256 and SHA-512 through the backend: the FIPS 180-4 example
 * messages, one million 'a' streamed in odd-sized chunks, streaming split
 * at every point against one shot, and the context contract (misuse is
 * BW_ESTATE or BW_EINVAL, abort is safe in every state).
 * Runs against both backends.
 */
#include <stdlib.h>
#include <string.h>

#include "bulwark/crypto.h"
#include "testutil.h"

typedef struct {
    const char *msg;
    const char *sha256;
    const char *sha512;
} kat_t;

/* FIPS 180-4 examples (NIST CSRC "Examples with intermediate values"). */
static const kat_t kats[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
     "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
    /* 448 bits */
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
     "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
     "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445"},
    /* 896 bits */
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
     "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
     "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
     "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"},
};

static void sha256_of(const void *m, size_t n, uint8_t out[32])
{
    bw_hash_ctx_t c;
    bw_assert_err(bw_sha256_init(&c), 0);
    bw_assert_err(bw_sha256_update(&c, m, n), 0);
    bw_assert_err(bw_sha256_finish(&c, out), 0);
}

static void sha512_of(const void *m, size_t n, uint8_t out[64])
{
    bw_hash_ctx_t c;
    bw_assert_err(bw_sha512_init(&c), 0);
    bw_assert_err(bw_sha512_update(&c, m, n), 0);
    bw_assert_err(bw_sha512_finish(&c, out), 0);
}

/* Each example hashes to the published digest, streaming and one-shot. */
static void test_kats(void **state)
{
    (void)state;
    uint8_t want[64], got[64];
    for (size_t i = 0; i < sizeof kats / sizeof kats[0]; i++) {
        size_t n = strlen(kats[i].msg);
        bw_test_hex(kats[i].sha256, want, 32);
        sha256_of(kats[i].msg, n, got);
        assert_memory_equal(got, want, 32);
        memset(got, 0, sizeof got);
        bw_assert_err(bw_sha256(kats[i].msg, n, got), 0);
        assert_memory_equal(got, want, 32);
        bw_test_hex(kats[i].sha512, want, 64);
        sha512_of(kats[i].msg, n, got);
        assert_memory_equal(got, want, 64);
    }
}

/*
 * One million 'a' fed in chunks of 1, 2, 3, ... 997 bytes (cycling), so
 * chunk boundaries fall at every offset inside a block; the digests must
 * be FIPS 180-4's.
 */
static void test_million_a(void **state)
{
    (void)state;
    static uint8_t chunk[997];
    uint8_t want[64], got[64];
    bw_hash_ctx_t c256, c512;
    memset(chunk, 'a', sizeof chunk);
    bw_assert_err(bw_sha256_init(&c256), 0);
    bw_assert_err(bw_sha512_init(&c512), 0);
    size_t done = 0, step = 1;
    while (done < 1000000) {
        size_t n = step < 1000000 - done ? step : 1000000 - done;
        bw_assert_err(bw_sha256_update(&c256, chunk, n), 0);
        bw_assert_err(bw_sha512_update(&c512, chunk, n), 0);
        done += n;
        step = step % sizeof chunk + 1;
    }
    bw_test_hex(
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
        want, 32);
    bw_assert_err(bw_sha256_finish(&c256, got), 0);
    assert_memory_equal(got, want, 32);
    bw_test_hex(
        "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
        "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
        want, 64);
    bw_assert_err(bw_sha512_finish(&c512, got), 0);
    assert_memory_equal(got, want, 64);
}

/*
 * A 300-byte message (more than two SHA-512 blocks) split into two
 * updates at every point 0..300, and into three at every pair of points
 * 17 apart, gives the one-shot digest, for both algorithms.
 */
static void test_split_every_point(void **state)
{
    (void)state;
    uint8_t msg[300], one256[32], one512[64], got[64];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 131u + 7u);
    sha256_of(msg, sizeof msg, one256);
    sha512_of(msg, sizeof msg, one512);
    for (size_t cut = 0; cut <= sizeof msg; cut++) {
        size_t cut2 = cut + 17 < sizeof msg ? cut + 17 : sizeof msg;
        bw_hash_ctx_t c;
        bw_assert_err(bw_sha256_init(&c), 0);
        bw_assert_err(bw_sha256_update(&c, msg, cut), 0);
        bw_assert_err(bw_sha256_update(&c, msg + cut, cut2 - cut), 0);
        bw_assert_err(bw_sha256_update(&c, msg + cut2, sizeof msg - cut2), 0);
        bw_assert_err(bw_sha256_finish(&c, got), 0);
        assert_memory_equal(got, one256, 32);
        bw_assert_err(bw_sha512_init(&c), 0);
        bw_assert_err(bw_sha512_update(&c, msg, cut), 0);
        bw_assert_err(bw_sha512_update(&c, msg + cut, sizeof msg - cut), 0);
        bw_assert_err(bw_sha512_finish(&c, got), 0);
        assert_memory_equal(got, one512, 64);
    }
    /* And a differing byte changes the digest (the comparison can fail). */
    msg[150] ^= 1;
    sha256_of(msg, sizeof msg, got);
    assert_memory_not_equal(got, one256, 32);
}

/*
 * The context contract: update/finish after finish, on a zeroed context,
 * or on a context of the other algorithm is BW_ESTATE; NULL arguments are
 * BW_EINVAL (a NULL pointer with length 0 is an empty update); abort is
 * harmless on every state and a context can be reused after it.
 */
static void test_context_contract(void **state)
{
    (void)state;
    bw_hash_ctx_t c;
    uint8_t out[64], want[32];

    memset(&c, 0, sizeof c);
    bw_assert_err(bw_sha256_update(&c, "x", 1), BW_ESTATE);
    bw_assert_err(bw_sha256_finish(&c, out), BW_ESTATE);
    bw_hash_abort(&c); /* zeroed: nothing to release */

    bw_assert_err(bw_sha256_init(&c), 0);
    bw_assert_err(bw_sha512_update(&c, "x", 1), BW_ESTATE);
    bw_assert_err(bw_sha512_finish(&c, out), BW_ESTATE);
    bw_assert_err(bw_sha256_update(&c, NULL, 0), 0);
    bw_assert_err(bw_sha256_update(&c, NULL, 1), BW_EINVAL);
    bw_assert_err(bw_sha256_update(NULL, "x", 1), BW_EINVAL);
    bw_assert_err(bw_sha256_finish(&c, NULL), BW_EINVAL);
    bw_assert_err(bw_sha256_update(&c, "abc", 3), 0);
    bw_assert_err(bw_sha256_finish(&c, out), 0);
    bw_test_hex(kats[1].sha256, want, sizeof want);
    assert_memory_equal(out, want, 32);
    bw_assert_err(bw_sha256_update(&c, "x", 1), BW_ESTATE);
    bw_assert_err(bw_sha256_finish(&c, out), BW_ESTATE);
    bw_hash_abort(&c); /* finished: nothing to release */

    /* Abandoned mid-stream (ASan would report a leak if abort did not
     * release the host backend's state), then reused. */
    bw_assert_err(bw_sha512_init(&c), 0);
    bw_assert_err(bw_sha512_update(&c, "abc", 3), 0);
    bw_hash_abort(&c);
    bw_hash_abort(&c);
    bw_assert_err(bw_sha512_update(&c, "x", 1), BW_ESTATE);
    bw_hash_abort(NULL);

    bw_assert_err(bw_sha256_init(NULL), BW_EINVAL);
    bw_assert_err(bw_sha512_init(NULL), BW_EINVAL);
    bw_assert_err(bw_sha256(NULL, 1, out), BW_EINVAL);
    bw_assert_err(bw_sha256("abc", 3, NULL), BW_EINVAL);
    bw_assert_err(bw_sha256(NULL, 0, out), 0);
    bw_test_hex(kats[0].sha256, want, sizeof want);
    assert_memory_equal(out, want, 32);
}

/* Two contexts in flight at once do not disturb each other (no state
 * outside the caller's contexts). */
static void test_interleaved(void **state)
{
    (void)state;
    bw_hash_ctx_t a, b;
    uint8_t da[32], db[32], want[32];
    bw_assert_err(bw_sha256_init(&a), 0);
    bw_assert_err(bw_sha256_init(&b), 0);
    bw_assert_err(bw_sha256_update(&a, "ab", 2), 0);
    bw_assert_err(bw_sha256_update(&b, "", 0), 0);
    bw_assert_err(bw_sha256_update(&a, "c", 1), 0);
    bw_assert_err(bw_sha256_finish(&b, db), 0);
    bw_assert_err(bw_sha256_finish(&a, da), 0);
    bw_test_hex(kats[1].sha256, want, sizeof want);
    assert_memory_equal(da, want, 32);
    bw_test_hex(kats[0].sha256, want, sizeof want);
    assert_memory_equal(db, want, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kats),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_split_every_point),
        cmocka_unit_test(test_context_contract),
        cmocka_unit_test(test_interleaved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
