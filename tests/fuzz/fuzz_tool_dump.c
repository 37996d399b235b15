/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz `bulwark-image info`'s walker (tool_image_dump in
 * tools/bulwark-image/image_dump.c): the input is the whole file.  Both
 * outputs, text and JSON, are produced twice into memory, and must hold:
 *
 *   - no crash, no read outside the input (the sanitizers watch);
 *   - the same input gives byte-identical output and the same status
 *     both times (nothing depends on uninitialised memory or state left
 *     over from an earlier call);
 *   - text and JSON agree on the verdict (same status), and the status
 *     is TOOL_FAIL exactly when the output names a problem ("problem:"
 *     in the text, an "error" member in the JSON), with a message then;
 *   - the JSON is structurally sound: brackets balance outside strings,
 *     strings close, no raw control character inside a string, and it
 *     ends with "}\n".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_tool.h"

/* Inputs past this are cut: the walker is linear, larger adds nothing. */
#define MAX_INPUT 65536u

static void check(int cond)
{
    if (!cond)
        abort();
}

typedef struct {
    char *text;
    size_t len;
    int status;
    tool_msg_t msg;
} run_t;

static void run(const uint8_t *data, size_t size, int json, run_t *r)
{
    FILE *f = open_memstream(&r->text, &r->len);
    check(f != NULL);
    r->msg.text[0] = '\0';
    r->status = tool_image_dump(f, "fuzz/input.bin", data, size, json, &r->msg);
    check(fclose(f) == 0);
    check(r->status == TOOL_OK || r->status == TOOL_FAIL);
}

static void same(const run_t *a, const run_t *b)
{
    check(a->status == b->status && a->len == b->len);
    check(memcmp(a->text, b->text, a->len) == 0);
    check(strcmp(a->msg.text, b->msg.text) == 0);
}

/* Brackets balance outside strings; strings hold no raw control bytes. */
static void json_sound(const char *s, size_t len)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (in_str) {
            check(c >= 0x20);
            if (c == '\\') {
                check(i + 1 < len);
                i++;
            } else if (c == '"') {
                in_str = 0;
            }
            continue;
        }
        if (c == '"')
            in_str = 1;
        else if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            check(--depth >= 0);
    }
    check(!in_str && depth == 0);
    check(len >= 2 && s[len - 2] == '}' && s[len - 1] == '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run_t t1, t2, j1, j2;
    if (size > MAX_INPUT)
        size = MAX_INPUT;
    /* An exact-size copy, so a read one past the end is caught. */
    uint8_t *in = malloc(size ? size : 1);
    check(in != NULL);
    memcpy(in, data, size);

    run(in, size, 0, &t1);
    run(in, size, 0, &t2);
    run(in, size, 1, &j1);
    run(in, size, 1, &j2);
    same(&t1, &t2);
    same(&j1, &j2);
    check(t1.status == j1.status);

    int fail = t1.status == TOOL_FAIL;
    check((strstr(t1.text, "\nproblem: ") != NULL) == fail);
    check((strstr(j1.text, "\n  \"error\": ") != NULL) == fail);
    check(!fail || t1.msg.text[0] != '\0');
    check(strncmp(t1.text, "file: fuzz/input.bin (", 22) == 0);
    json_sound(j1.text, j1.len);

    free(t1.text);
    free(t2.text);
    free(j1.text);
    free(j2.text);
    free(in);
    return 0;
}
