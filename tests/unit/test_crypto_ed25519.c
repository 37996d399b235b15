/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ed25519 verification against fixed vectors: RFC 8032 section 7.1, a
 * signature made by MCUboot's imgtool, and the encodings the verifier
 * must refuse (non-canonical S, y and sign, points off the curve, keys of
 * small order), plus the vectors that pin down the cofactorless equation.
 *
 * Runs against both backends (SHA-512 comes from the backend).  The
 * random cross-check with OpenSSL lives in test_crypto_ed25519_openssl.c.
 */
#include <string.h>

#include "bulwark/crypto.h"
#include "testutil.h"

typedef struct {
    const char *name;
    const char *pub;
    const char *msg;
    const char *sig;
} vector_t;

/* RFC 8032 section 7.1; TEST 1024's message is built by rfc_msg_1024(). */
static const vector_t rfc[] = {
    {"TEST 1",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    {"TEST SHA(abc)",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     /* SHA-512("abc") */
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
     "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
    /*
     * MCUboot imgtool 2.4.0, tests/data/mcuboot/ed25519-v0.9.0-nosc-align8
     * .bin: the key of ed25519.pem signing the image's SHA-256 digest.
     */
    {"imgtool",
     "f0de5e7d5a5ef6055c565d3bb156aeda7b96d322f4fe6b98dbd236fb0e784243",
     "c145ee16038854a794e96a54b5d59623c129158563a7d16581444c86151c89ed",
     "da0a567b3e36fa6b81e6effc0e10fbfefb61623fd5d55f39205b9fcc4ec54406"
     "ed8a77f429eb1556eba16ce0d5c45c975ad8fab483fa929a71d5b1437a2a2f03"},
};

/* RFC 8032 TEST 1024: 1023 bytes, split to keep lines short. */
static const char *const msg_1024[] = {
    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98"
    "fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8"
    "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
    "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc"
    "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe"
    "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
    "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef"
    "efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7",
    "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
    "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2"
    "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24"
    "554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
    "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc"
    "2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07"
    "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
    "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a",
    "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e"
    "c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
    "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c"
    "42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8"
    "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
    "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08"
    "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649"
    "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4",
    "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3"
    "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e"
    "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
    "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5"
    "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1"
    "369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
    "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c"
    "0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0",
};
static const char pub_1024[] =
    "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e";
static const char sig_1024[] =
    "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
    "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03";

/* The group order L, little-endian. */
static const char order_l[] =
    "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";

static size_t rfc_msg_1024(uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof msg_1024 / sizeof msg_1024[0]; i++)
        n += bw_test_hex(msg_1024[i], out + n, cap - n);
    return n;
}

/*
 * Every RFC 8032 vector verifies; flipping one bit of the signature or of
 * the message then makes it fail (what must hold: no bit of the signature
 * or message is ignored).  Every bit is tried for TEST 1 and the short
 * messages; a spread of bits for the rest keeps the run short, and the
 * random test against OpenSSL flips more.
 */
static void test_rfc8032_vectors(void **state)
{
    (void)state;
    uint8_t pub[32], sig[64], msg[1024];
    for (size_t v = 0; v < sizeof rfc / sizeof rfc[0]; v++) {
        bw_test_hex(rfc[v].pub, pub, sizeof pub);
        bw_test_hex(rfc[v].sig, sig, sizeof sig);
        size_t n = bw_test_hex(rfc[v].msg, msg, sizeof msg);
        bw_assert_err(bw_ed25519_verify(pub, n ? msg : NULL, n, sig), 0);
        for (size_t bit = 0; bit < 64 * 8; bit += v == 0 ? 1 : 11) {
            sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            int err = bw_ed25519_verify(pub, msg, n, sig);
            if (err != BW_ESIGNATURE && err != BW_EMALFORMED)
                fail_msg("%s: flipped sig bit %zu gave %d", rfc[v].name, bit,
                         err);
            sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        for (size_t bit = 0; bit < n * 8; bit += n <= 2 ? 1 : 7) {
            msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            bw_assert_err(bw_ed25519_verify(pub, msg, n, sig), BW_ESIGNATURE);
            msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
    }
}

/* TEST 1024 (a message spanning many SHA-512 blocks) verifies; a changed
 * last byte or a truncated message does not. */
static void test_rfc8032_1024(void **state)
{
    (void)state;
    uint8_t pub[32], sig[64], msg[1023];
    bw_test_hex(pub_1024, pub, sizeof pub);
    bw_test_hex(sig_1024, sig, sizeof sig);
    assert_int_equal(rfc_msg_1024(msg, sizeof msg), 1023);
    bw_assert_err(bw_ed25519_verify(pub, msg, sizeof msg, sig), 0);
    bw_assert_err(bw_ed25519_verify(pub, msg, sizeof msg - 1, sig),
                  BW_ESIGNATURE);
    msg[1022] ^= 1;
    bw_assert_err(bw_ed25519_verify(pub, msg, sizeof msg, sig), BW_ESIGNATURE);
}

/* A valid signature under the wrong key is BW_ESIGNATURE, not a crash or
 * a parse error: both keys are well-formed. */
static void test_wrong_key(void **state)
{
    (void)state;
    uint8_t pub[32], sig[64], msg[1];
    bw_test_hex(rfc[2].pub, pub, sizeof pub);
    bw_test_hex(rfc[1].sig, sig, sizeof sig);
    bw_test_hex(rfc[1].msg, msg, sizeof msg);
    bw_assert_err(bw_ed25519_verify(pub, msg, 1, sig), BW_ESIGNATURE);
}

/* Add the little-endian 32-byte b to a (mod 2^256). */
static void add_le(uint8_t a[32], const uint8_t b[32])
{
    unsigned carry = 0;
    for (size_t i = 0; i < 32; i++) {
        carry += (unsigned)a[i] + b[i];
        a[i] = (uint8_t)carry;
        carry >>= 8;
    }
}

/*
 * Malleability: S + L satisfies the same equation (L is the order of B),
 * so the verifier must refuse S >= L on its own: S + L, S = L and the
 * largest 256-bit S are BW_EMALFORMED; S = L - 1 is in range and fails
 * only the equation.
 */
static void test_s_not_canonical(void **state)
{
    (void)state;
    uint8_t pub[32], sig[64], l[32];
    bw_test_hex(rfc[0].pub, pub, sizeof pub);
    bw_test_hex(order_l, l, sizeof l);

    bw_test_hex(rfc[0].sig, sig, sizeof sig);
    add_le(sig + 32, l);
    bw_assert_err(bw_ed25519_verify(pub, NULL, 0, sig), BW_EMALFORMED);

    memcpy(sig + 32, l, 32);
    bw_assert_err(bw_ed25519_verify(pub, NULL, 0, sig), BW_EMALFORMED);

    memset(sig + 32, 0xff, 32);
    bw_assert_err(bw_ed25519_verify(pub, NULL, 0, sig), BW_EMALFORMED);

    memcpy(sig + 32, l, 32);
    sig[32] -= 1; /* L - 1: the low byte 0xed does not borrow */
    bw_assert_err(bw_ed25519_verify(pub, NULL, 0, sig), BW_ESIGNATURE);
}

/*
 * Encodings no canonical encoder produces, refused for the key and for R:
 * y = p + y' for each y' below 19 that is on the curve (so only the
 * range check can catch it), y = 2 (no x: off the curve), and x = 0 with
 * the sign bit set for both points with x = 0.
 */
static const char *const bad_points[] = {
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p */
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "f6ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "0200000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000080",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
};

static void test_bad_point_encodings(void **state)
{
    (void)state;
    uint8_t good_pub[32], good_sig[64], bad[32], sig[64];
    bw_test_hex(rfc[0].pub, good_pub, sizeof good_pub);
    bw_test_hex(rfc[0].sig, good_sig, sizeof good_sig);
    for (size_t i = 0; i < sizeof bad_points / sizeof bad_points[0]; i++) {
        bw_test_hex(bad_points[i], bad, sizeof bad);
        /* as the public key */
        bw_assert_err(bw_ed25519_verify(bad, NULL, 0, good_sig), BW_EMALFORMED);
        /* as R */
        memcpy(sig, good_sig, sizeof sig);
        memcpy(sig, bad, 32);
        bw_assert_err(bw_ed25519_verify(good_pub, NULL, 0, sig), BW_EMALFORMED);
    }
}

/*
 * The eight points of small order (canonical encodings).  As public keys
 * they are refused: with such a key, R = identity and S = 0 "verify" any
 * message under the cofactorless equation, and the all-zero key (what an
 * unprovisioned key slot may hold) is one of them.  As R they are valid
 * encodings and fail only the equation, as in OpenSSL.
 */
static const char *const small_order[] = {
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
};

static void test_small_order(void **state)
{
    (void)state;
    uint8_t pub[32], sig[64], good_pub[32];
    const uint8_t msg[] = "any message at all";
    bw_test_hex(rfc[0].pub, good_pub, sizeof good_pub);
    for (size_t i = 0; i < sizeof small_order / sizeof small_order[0]; i++) {
        bw_test_hex(small_order[i], pub, sizeof pub);
        /* R = identity, S = 0: the forgery a small-order key allows. */
        memset(sig, 0, sizeof sig);
        sig[0] = 0x01;
        bw_assert_err(bw_ed25519_verify(pub, msg, sizeof msg, sig),
                      BW_EMALFORMED);
        /* The same point as R under a good key: only the equation fails. */
        memcpy(sig, pub, 32);
        bw_assert_err(bw_ed25519_verify(good_pub, msg, sizeof msg, sig),
                      BW_ESIGNATURE);
    }
}

/*
 * The equation is cofactorless.  Key A' = A + T (T of order 4) is of
 * mixed order, so accepted.  Each signature below was made with A's
 * secret scalar a and k = H(R || A' || M), so [S]B - [k]A' = R - [k]T:
 * it equals R exactly when k = 0 (mod 4).  The cofactored check would
 * accept both; the cofactorless one (ours, OpenSSL's) only the first.
 */
static void test_cofactorless(void **state)
{
    (void)state;
    uint8_t pub[32], sig[64];
    bw_test_hex(
        "402aeb4848d9bb604908aed9ec0067480d497e1778009d03ec5b40f70e357c37", pub,
        sizeof pub);
    bw_test_hex(
        "53b755061d3b3f93c2229d12b7e884d4c3ff2cf04f010268945056eabfba94fd"
        "c2d3bfe43bd7e25513019b8cae1747c4d49aa0ea7c839a89a8f3b94c56dcda06",
        sig, sizeof sig);
    bw_assert_err(
        bw_ed25519_verify(pub, (const uint8_t *)"mixed-order 1", 13, sig), 0);
    bw_test_hex(
        "952691c8ddc6e7997f2104b2103fc6ba76b0b1cf2253a4fa0ef18d390edeadf9"
        "35358b93a30173a95e6ef232af668694851f728b360c2e71f9f997eaaf014803",
        sig, sizeof sig);
    bw_assert_err(
        bw_ed25519_verify(pub, (const uint8_t *)"mixed-order 0", 13, sig),
        BW_ESIGNATURE);
}

/* NULL key or signature, or NULL message with a length: BW_EINVAL.  A
 * NULL message of length 0 is the empty message (TEST 1 above). */
static void test_invalid_args(void **state)
{
    (void)state;
    uint8_t pub[32], sig[64];
    bw_test_hex(rfc[0].pub, pub, sizeof pub);
    bw_test_hex(rfc[0].sig, sig, sizeof sig);
    bw_assert_err(bw_ed25519_verify(NULL, NULL, 0, sig), BW_EINVAL);
    bw_assert_err(bw_ed25519_verify(pub, NULL, 0, NULL), BW_EINVAL);
    bw_assert_err(bw_ed25519_verify(pub, NULL, 1, sig), BW_EINVAL);
    bw_assert_err(bw_ed25519_verify(pub, (const uint8_t *)"", 0, sig), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8032_vectors),
        cmocka_unit_test(test_rfc8032_1024),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_s_not_canonical),
        cmocka_unit_test(test_bad_point_encodings),
        cmocka_unit_test(test_small_order),
        cmocka_unit_test(test_cofactorless),
        cmocka_unit_test(test_invalid_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
