/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the stored server set's loader (bw_lwm2m_servers_decode) on
 * arbitrary bytes.  A CRC guards the whole blob, so random bytes would
 * stop at the CRC check; when the first input byte is odd the rest gets
 * a valid CRC written into its last four bytes first, so the record
 * parser behind the check is reached too.
 *
 * Checks beyond not crashing: a failed decode leaves the set all zero
 * and the generation 0; a successful one re-encodes to the very same
 * bytes (the layout has one encoding per set), and check() and dm() run
 * on it without crashing.
 */
#include <stdint.h>
#include <string.h>

#include "bulwark/lwm2m_client.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            __builtin_trap();                                                  \
    } while (0)

static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
    }
    return ~crc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t blob[4096], again[BW_LWM2M_SERVERS_BLOB_ACL_MAX];
    bw_lwm2m_servers_t s;
    uint32_t gen = 7;
    size_t len, n;

    if (size == 0 || size - 1 > sizeof blob)
        return 0;
    len = size - 1;
    memcpy(blob, data + 1, len);
    if ((data[0] & 1) && len >= 4) {
        uint32_t crc = crc32_ref(blob, len - 4);
        blob[len - 4] = (uint8_t)(crc >> 24);
        blob[len - 3] = (uint8_t)(crc >> 16);
        blob[len - 2] = (uint8_t)(crc >> 8);
        blob[len - 1] = (uint8_t)crc;
    }
    int err = bw_lwm2m_servers_decode(blob, len, &s, &gen);
    if (err != 0) {
        static const bw_lwm2m_servers_t zero;
        CHECK(err < 0);
        CHECK(gen == 0);
        CHECK(memcmp(&s, &zero, sizeof s) == 0);
        return 0;
    }
    CHECK(bw_lwm2m_servers_encode(&s, gen, again, sizeof again, &n) == 0);
    CHECK(n == len && memcmp(again, blob, len) == 0);
    /* The diagnostic is terminated and fits; "" exactly when accepted. */
    char why[BW_LWM2M_WHY_MAX];
    memset(why, 0x7F, sizeof why);
    err = bw_lwm2m_servers_check(&s, why);
    CHECK(err <= 0);
    CHECK(memchr(why, '\0', sizeof why) != NULL);
    CHECK((err == 0) == (why[0] == '\0'));
    (void)bw_lwm2m_servers_dm(&s, 0);
    return 0;
}
