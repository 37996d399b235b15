/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers shared by the C tests: hex literals and data files.
 * Test code only; never linked into a product.
 */
#ifndef BW_TESTUTIL_H
#define BW_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/*
 * Decode hex ("01 0a ff", spaces, newlines and ':' ignored) into out.
 * Fails the test on odd digits, bad characters or overflow of cap.
 * Returns the number of bytes written.
 */
size_t bw_test_hex(const char *hex, uint8_t *out, size_t cap);

/*
 * Read a whole file; *data is malloc'ed (free it).  Fails the test if the
 * file cannot be read.  A relative path is taken under BW_TEST_DATA_DIR.
 */
size_t bw_test_read_file(const char *path, uint8_t **data);

/* Assert that err is exactly the expected BW_E* code, naming both on failure. */
#define bw_assert_err(err, expected)                                           \
    bw_test_assert_err_((err), (expected), #err, __FILE__, __LINE__)
void bw_test_assert_err_(int err, int expected, const char *expr,
                         const char *file, int line);

#endif /* BW_TESTUTIL_H */
