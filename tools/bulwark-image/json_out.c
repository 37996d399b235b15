/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON writer of json_out.h. */
#include "json_out.h"

void json_init(json_out_t *j, FILE *out)
{
    j->out = out;
    j->depth = 0;
    for (int i = 0; i < JSON_DEPTH_MAX; i++)
        j->count[i] = 0;
}

/* A string with JSON's escapes; other bytes (UTF-8) pass through. */
static void put_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* Separator, newline, indent and key before a member. */
static void member(json_out_t *j, const char *key)
{
    if (j->depth > 0) {
        fputs(j->count[j->depth - 1] > 0 ? ",\n" : "\n", j->out);
        j->count[j->depth - 1]++;
        for (int i = 0; i < j->depth; i++)
            fputs("  ", j->out);
    }
    if (key != NULL) {
        put_string(j->out, key);
        fputs(": ", j->out);
    }
}

void json_open(json_out_t *j, const char *key, char bracket)
{
    member(j, key);
    fputc(bracket, j->out);
    if (j->depth < JSON_DEPTH_MAX) {
        j->count[j->depth] = 0;
        j->depth++;
    }
}

void json_close(json_out_t *j, char bracket)
{
    if (j->depth == 0)
        return;
    j->depth--;
    if (j->count[j->depth] > 0) {
        fputc('\n', j->out);
        for (int i = 0; i < j->depth; i++)
            fputs("  ", j->out);
    }
    fputc(bracket, j->out);
}

void json_uint(json_out_t *j, const char *key, uint64_t v)
{
    member(j, key);
    fprintf(j->out, "%llu", (unsigned long long)v);
}

void json_str(json_out_t *j, const char *key, const char *s)
{
    member(j, key);
    put_string(j->out, s);
}

void json_end(json_out_t *j)
{
    fputc('\n', j->out);
}
