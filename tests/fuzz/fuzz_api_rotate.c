/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registration object links read to find the Server object instance
 * a rotation executes (bw_api_rotate_server_instance, api_rotate.h): any
 * bytes of any length.  Must hold: no crash and no read past the input;
 * the result is 0, BW_ENOTFOUND or BW_EMALFORMED; on 0 the instance is
 * below 65535 and the text holds the link "</1/<instance>>"; on failure
 * the instance is 0.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_rotate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so ASan sees any read past it. */
    char *text = malloc(size != 0 ? size : 1);
    if (text == NULL)
        return 0;
    if (size != 0)
        memcpy(text, data, size);
    uint16_t inst = 0xbeef;
    int err = bw_api_rotate_server_instance(text, size, &inst);
    if (err == 0) {
        char link[16];
        int n = snprintf(link, sizeof link, "</1/%u>", (unsigned)inst);
        if (inst == 65535 || memmem(text, size, link, (size_t)n) == NULL)
            abort();
    } else if (err != BW_ENOTFOUND && err != BW_EMALFORMED) {
        abort();
    } else if (inst != 0) {
        abort();
    }
    free(text);
    return 0;
}
