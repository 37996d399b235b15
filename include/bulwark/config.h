/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration text: "name = value" lines, the format of the files that
 * bulwark-device and bulwark-server take with --config (docs/device.md and
 * docs/server.md, section "Configuration file").
 *
 * This module owns the syntax only: it splits a text into settings and
 * hands each one, with its line number, to a callback.  What a name means,
 * which names exist and whether a value is acceptable is the callback's
 * business (the programs turn settings into command-line options, so
 * their option parser stays the one place values are checked).
 *
 * What this module must never do: allocate, open or read a file, or read
 * one byte past the text it was given.  The name and value handed to the
 * callback live in the caller's scratch buffer and are overwritten by the
 * next line: copy them to keep them.
 *
 * The format, line by line (lines end with LF; a CR just before the LF is
 * dropped, so CRLF files read the same):
 *
 *   # a comment                   '#' at line start (after blanks)
 *                                 blank lines are ignored
 *   name = value                  blanks around name and value trimmed
 *   name = value # comment        '#' after a blank starts a comment
 *   name = a#b                    '#' not after a blank is part of the value
 *   name =                        an empty value
 *   name = "  a # b \" \\ "       quoted: kept as is, \" and \\ escaped
 *
 *   - A name is 1 or more of A-Z a-z 0-9 '-' '_' '.', not starting with
 *     '-' (names are written without the dashes of the option).
 *   - The first '=' ends the name; later ones belong to the value.
 *   - A value is quoted when its first character is '"'; then only blanks
 *     and a comment may follow the closing quote.  Backslashes mean
 *     nothing outside quotes.  Inside quotes any other escape is an error.
 *   - Bytes 0x00..0x1f (except TAB) and 0x7f are refused anywhere, NUL
 *     included; bytes 0x80..0xff are passed through untouched.
 *   - The same name may appear more than once: each occurrence is handed
 *     to the callback, in order.
 */
#ifndef BULWARK_CONFIG_H
#define BULWARK_CONFIG_H

#include <stddef.h>

#include "bulwark/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest line, in bytes, without its LF.  A path and a little syntax fit
 * with room to spare (PATH_MAX is 4096 on Linux, values are paths). */
#define BW_CONFIG_LINE_MAX 4096u

/* Largest text accepted.  A configuration is tens of lines; the bound
 * keeps a mistaken --config /dev/zero or a log file from being read. */
#define BW_CONFIG_TEXT_MAX 65536u

/*
 * Scratch for one line's name and value, NUL-terminated each: a line of
 * BW_CONFIG_LINE_MAX bytes holds at most that many name and value bytes
 * together (the '=' is dropped), plus two NULs.
 */
typedef struct {
    char buf[BW_CONFIG_LINE_MAX + 2u];
} bw_config_scratch_t;

/*
 * Where parsing stopped.  line: 1-based line of the error; 0 when the
 * error is about the whole text (too large) or the arguments; after a
 * success, the number of lines read.  what: a static sentence naming a
 * syntax error ("expected \"name = value\""), "" after a success or when
 * the callback failed (the callback explains its own errors).
 */
typedef struct {
    unsigned line;
    const char *what;
} bw_config_diag_t;

/*
 * Called once per setting, in file order.  name is non-empty and follows
 * the name rule above; value may be empty; both are NUL-terminated and
 * hold no NUL, control byte or newline.  line is the setting's 1-based
 * line.  Return 0 to go on, or a negative BW_E* code to stop: parsing
 * ends and that code is returned.
 */
typedef int (*bw_config_fn)(void *arg, unsigned line, const char *name,
                            const char *value);

/*
 * Parse text[0..len) and call fn for each setting.
 *
 * text MAY hold NUL bytes (they are refused as input, not taken as the
 * end); it need not be NUL-terminated.  diag MAY be NULL.
 *
 * Returns 0, or the first of:
 *   BW_EINVAL      text NULL with len > 0, scratch or fn NULL
 *   BW_EOVERFLOW   len > BW_CONFIG_TEXT_MAX (line 0), or a line longer
 *                  than BW_CONFIG_LINE_MAX bytes
 *   BW_EMALFORMED  a NUL or control byte; no '=' on a non-blank,
 *                  non-comment line; an empty name, a name starting with
 *                  '-' or holding another character than the name rule
 *                  allows; an unknown escape inside quotes
 *   BW_ETRUNC      a quoted value without its closing quote
 *   BW_ETRAILING   something other than blanks or a comment after the
 *                  closing quote
 *   any code fn returned
 * Settings before the failing line have been handed to fn already.
 */
int bw_config_parse(const char *text, size_t len, bw_config_scratch_t *scratch,
                    bw_config_fn fn, void *arg, bw_config_diag_t *diag);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_CONFIG_H */
