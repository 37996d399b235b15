/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Names and messages for the BW_E* codes, expanded from BW_ERRNO_MAP so the
 * three can never disagree.  Pure lookups: no state, no allocation.
 */
#include "bulwark/error.h"

const char *bw_err_name(int err)
{
    switch (err) {
    case BW_OK:
        return "BW_OK";
#define BW_ERR_NAME_(name, value, msg)                                         \
    case BW_##name:                                                            \
        return "BW_" #name;
        BW_ERRNO_MAP(BW_ERR_NAME_)
#undef BW_ERR_NAME_
    default:
        return "BW_E?";
    }
}

const char *bw_strerror(int err)
{
    switch (err) {
    case BW_OK:
        return "success";
#define BW_ERR_MSG_(name, value, msg)                                          \
    case BW_##name:                                                            \
        return msg;
        BW_ERRNO_MAP(BW_ERR_MSG_)
#undef BW_ERR_MSG_
    default:
        return "unknown error";
    }
}
