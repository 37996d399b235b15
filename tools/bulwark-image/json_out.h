/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small streaming JSON writer for the tool's reports.  It prints in the
 * layout of Python's json.dumps(indent=2) (two-space indent, ", " never,
 * "{}" and "[]" for empty containers), so `info --json` can be compared
 * as text with imgtool's `dumpinfo -f json`.
 */
#ifndef BULWARK_IMAGE_JSON_OUT_H
#define BULWARK_IMAGE_JSON_OUT_H

#include <stdint.h>
#include <stdio.h>

/* Deepest nesting the reports use (object, area, list, TLV) with room. */
#define JSON_DEPTH_MAX 8

typedef struct {
    FILE *out;
    int depth;
    unsigned count[JSON_DEPTH_MAX]; /* members written at each level */
} json_out_t;

void json_init(json_out_t *j, FILE *out);
/* key is NULL inside arrays and for the top-level value. */
void json_open(json_out_t *j, const char *key, char bracket);
void json_close(json_out_t *j, char bracket);
void json_uint(json_out_t *j, const char *key, uint64_t v);
void json_str(json_out_t *j, const char *key, const char *s);
/* Ends the document with a newline. */
void json_end(json_out_t *j);

#endif /* BULWARK_IMAGE_JSON_OUT_H */
