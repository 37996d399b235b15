/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Error codes shared by every Bulwark module.
 *
 * Every function that can fail returns int: 0 on success, one negative
 * BW_E* code on failure.  The list below is the only place codes are
 * defined; it expands into the enum, bw_err_name() and bw_strerror(), so
 * a code, its name and its message can never drift apart.
 *
 * Two families are kept apart on purpose (as SQLite keeps SQLITE_CORRUPT
 * apart from SQLITE_MISUSE):
 *
 *   - "the input is bad": the peer, the file or the flash handed us bytes
 *     that do not follow the format.  Expected in the field; handled.
 *   - "the caller misused the API": a NULL where a buffer was required, a
 *     call in the wrong state.  A bug in the program; never the peer's fault.
 *
 * Rules for this list: never renumber, never reuse a retired number (leave
 * a placeholder), append new codes at the end.
 */
#ifndef BULWARK_ERROR_H
#define BULWARK_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* XX(name, value, message) */
#define BW_ERRNO_MAP(XX)                                                       \
    /* caller misuse */                                                        \
    XX(EINVAL, -1, "invalid argument")                                         \
    XX(ESTATE, -2, "operation not allowed in the current state")               \
    XX(ENOSPC, -3, "output buffer too small")                                  \
    XX(ENOMEM, -4, "no free slot or memory")                                   \
    XX(EORDER, -5, "items added out of order")                                 \
    /* bad input */                                                            \
    XX(ETRUNC, -20, "input truncated")                                         \
    XX(EMALFORMED, -21, "malformed input")                                     \
    XX(ETRAILING, -22, "trailing bytes after a complete item")                 \
    XX(EOVERFLOW, -23, "length or value overflows its limit")                  \
    XX(ERANGE, -24, "value out of range")                                      \
    XX(EDEPTH, -25, "nesting too deep")                                        \
    XX(EUTF8, -26, "invalid UTF-8")                                            \
    XX(EDUPKEY, -27, "duplicate key")                                          \
    XX(ETYPE, -28, "unexpected type")                                          \
    XX(EUNSUPPORTED, -29, "valid but unsupported feature")                     \
    XX(EVERSION, -30, "unsupported protocol version")                          \
    XX(ETOKEN, -31, "invalid token length")                                    \
    XX(EOPTION, -32, "malformed option")                                       \
    XX(ECRITICAL, -33, "unrecognized critical option")                         \
    XX(EPAYLOAD, -34, "payload marker without payload")                        \
    XX(EBLOCK, -35, "block out of sequence or size")                           \
    XX(EPATH, -36, "invalid path")                                             \
    XX(EFORMAT, -37, "unsupported content format")                             \
    XX(ENOTFOUND, -38, "not found")                                            \
    XX(EMAGIC, -39, "wrong magic number")                                      \
    XX(EHASH, -40, "digest does not match the data")                           \
    XX(ESIGNATURE, -41, "signature does not verify")                           \
    XX(EKEY, -42, "no signature by a trusted key")                             \
    XX(EROLLBACK, -43, "security counter below the stored one")                \
    /* protocol flow */                                                        \
    XX(EBUSY, -50, "peer busy: exchange already in flight")                    \
    XX(ETIMEOUT, -51, "timed out")                                             \
    XX(ERESET, -52, "reset by peer")                                           \
    XX(EABORTED, -53, "aborted by callback")                                   \
    XX(ESTALE, -54, "stale or reordered message")                              \
    /* platform */                                                             \
    XX(EIO, -70, "flash or storage I/O failed")                                \
    XX(ECRYPTO, -71, "crypto backend failure")                                 \
    XX(EALIGN, -72, "address or length not aligned")                           \
    /* secure channel (appended) */                                           \
    XX(EAUTH, -44, "record or handshake failed authentication")               \
    XX(EREPLAY, -45, "replayed record")                                        \
    XX(ECERT, -46, "certificate rejected")                                     \
    XX(EHANDSHAKE, -55, "handshake failed")                                    \
    XX(ECLOSED, -56, "connection closed by peer")                              \
    XX(EAGAIN, -57, "nothing yet: call again later")                           \
    XX(ELIMIT, -58, "rate or concurrency limit reached")                       \
    XX(ENET, -73, "network I/O failed")                                        \
    /* storage and security store (appended) */                                \
    XX(EWEAK, -47, "credential too weak")                                      \
    XX(EEXIST, -48, "already exists")                                          \
    XX(EPERM, -74, "file mode too open or wrong owner")                        \
    XX(ENOMATCH, -49, "nothing matches the selection")                         \
    XX(EREVOKED, -75, "credential revoked")                                    \
    /* LwM2M Send (appended) */                                                \
    XX(EMUTED, -59, "muted by the server (Mute Send)")                         \
    /* new codes go above this line, with new numbers */

typedef enum {
    BW_OK = 0,
#define BW_ERR_ENUM_(name, value, msg) BW_##name = (value),
    BW_ERRNO_MAP(BW_ERR_ENUM_)
#undef BW_ERR_ENUM_
} bw_err_t;

/*
 * Name of a code ("BW_ETRUNC"), or "BW_E?" for a number that is not one.
 * Never returns NULL.
 */
const char *bw_err_name(int err);

/*
 * Human message for a code ("input truncated").  Never returns NULL.
 */
const char *bw_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_ERROR_H */
