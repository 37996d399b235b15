/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API token text parser (server/db/db_token.h): any bytes of any
 * length.  Must hold: no crash and no read past the input; a text that
 * parses is exactly BW_DB_TOKEN_HEX hex digits and its lookup id is the
 * lowercase form of its first BW_DB_TOKEN_LOOKUP_LEN; anything else is
 * refused with ETRUNC, EOVERFLOW or EMALFORMED and a zeroed lookup id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db_token.h"

static int hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so ASan sees any read past it. */
    char *text = calloc(size != 0 ? size : 1, 1);
    if (text == NULL)
        return 0;
    if (size != 0)
        memcpy(text, data, size);
    char lookup[BW_DB_TOKEN_LOOKUP_LEN + 1];
    memset(lookup, 'x', sizeof lookup);
    int err = bw_db_token_parse(text, size, lookup);
    if (err == 0) {
        if (size != BW_DB_TOKEN_HEX)
            abort();
        for (size_t i = 0; i < size; i++)
            if (!hex((unsigned char)text[i]))
                abort();
        for (size_t i = 0; i < BW_DB_TOKEN_LOOKUP_LEN; i++) {
            char c = text[i];
            if (c >= 'A' && c <= 'F')
                c = (char)(c - 'A' + 'a');
            if (lookup[i] != c)
                abort();
        }
        if (lookup[BW_DB_TOKEN_LOOKUP_LEN] != '\0')
            abort();
    } else {
        if (err != BW_ETRUNC && err != BW_EOVERFLOW && err != BW_EMALFORMED)
            abort();
        if ((err == BW_ETRUNC) != (size < BW_DB_TOKEN_HEX) ||
            (err == BW_EOVERFLOW) != (size > BW_DB_TOKEN_HEX))
            abort();
        for (size_t i = 0; i < sizeof lookup; i++)
            if (lookup[i] != '\0')
                abort();
    }
    free(text);
    return 0;
}
