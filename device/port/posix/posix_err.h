/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The error-message convention of the POSIX port and the programs on it:
 * a function that fails writes one line of explanation into a buffer the
 * caller owns (err, cap bytes) and returns -1.  bw_posix_errf() does both
 * in one call, so every such failure is a single "return bw_posix_errf(...)".
 */
#ifndef BW_POSIX_ERR_H
#define BW_POSIX_ERR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Format the message fmt, ... into err (cap bytes, always terminated when
 * cap > 0; a longer message is cut) and return -1.
 */
__attribute__((format(printf, 3, 4))) static inline int
bw_posix_errf(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

#endif /* BW_POSIX_ERR_H */
