/* SPDX-License-Identifier: Apache-2.0 */
/*
 * LwM2M paths: /object/instance/resource/resource-instance.
 *
 * Parsing is strict on purpose: a path names an access-control decision,
 * so two spellings of one path ("/3/0" and "/3/00") must never both be
 * accepted.  Each segment is canonical decimal 0..65534; 65535 is the
 * reserved ID and marks an unused level inside bw_lwm2m_path_t.
 */
#include "bulwark/lwm2m.h"

#include "bw_mem.h"
#include "lwm2m_int.h"

void bw_lwm2m_path_init(bw_lwm2m_path_t *path)
{
    for (size_t i = 0; i < BW_LWM2M_PATH_MAX_DEPTH; i++)
        path->id[i] = BW_LWM2M_ID_NONE;
    path->depth = 0;
}

int bw_lwm2m_path_push(bw_lwm2m_path_t *path, uint16_t id)
{
    if (path->depth >= BW_LWM2M_PATH_MAX_DEPTH || id > BW_LWM2M_ID_MAX)
        return BW_EPATH;
    path->id[path->depth++] = id;
    return 0;
}

void bw_lwm2m_path_pop(bw_lwm2m_path_t *path)
{
    if (path->depth == 0)
        return;
    path->depth--;
    path->id[path->depth] = BW_LWM2M_ID_NONE;
}

int bw_lwm2m__dec_u16(const char *s, size_t len, uint32_t max, uint16_t *out)
{
    /* "0" alone, or a nonzero digit then at most four more digits. */
    if (len == 0 || len > 5)
        return BW_EMALFORMED;
    if (s[0] == '0' && len > 1)
        return BW_EMALFORMED;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return BW_EMALFORMED;
        v = v * 10u + (uint32_t)(s[i] - '0');
    }
    if (v > max)
        return BW_ERANGE;
    *out = (uint16_t)v;
    return 0;
}

int bw_lwm2m_path_push_text(bw_lwm2m_path_t *path, const char *seg, size_t len)
{
    if (path == NULL || (seg == NULL && len > 0))
        return BW_EINVAL;
    uint16_t id;
    if (bw_lwm2m__dec_u16(seg, len, BW_LWM2M_ID_MAX, &id) != 0)
        return BW_EPATH;
    return bw_lwm2m_path_push(path, id);
}

int bw_lwm2m_path_parse(bw_lwm2m_path_t *path, const char *s, size_t len)
{
    if (path == NULL || (s == NULL && len > 0))
        return BW_EINVAL;
    bw_lwm2m_path_init(path);
    if (len == 0 || s[0] != '/')
        return BW_EPATH;
    if (len == 1)
        return 0; /* the root */

    /* Each '/' starts a segment that runs to the next '/' or the end. */
    size_t pos = 1;
    for (;;) {
        size_t end = pos;
        while (end < len && s[end] != '/')
            end++;
        if (bw_lwm2m_path_push_text(path, s + pos, end - pos) != 0) {
            bw_lwm2m_path_init(path);
            return BW_EPATH;
        }
        if (end == len)
            return 0;
        pos = end + 1; /* a trailing '/' leaves an empty segment: rejected */
    }
}

int bw_lwm2m_path_check(const bw_lwm2m_path_t *path)
{
    if (path == NULL || path->depth > BW_LWM2M_PATH_MAX_DEPTH)
        return BW_EPATH;
    for (size_t i = 0; i < BW_LWM2M_PATH_MAX_DEPTH; i++) {
        bool used = i < path->depth;
        if (used && path->id[i] > BW_LWM2M_ID_MAX)
            return BW_EPATH;
        if (!used && path->id[i] != BW_LWM2M_ID_NONE)
            return BW_EPATH;
    }
    return 0;
}

int bw_lwm2m_path_format(const bw_lwm2m_path_t *path, char *buf, size_t cap,
                         size_t *len)
{
    if (len != NULL)
        *len = 0;
    if (buf == NULL && cap > 0)
        return BW_EINVAL;
    if (cap > 0)
        buf[0] = '\0';
    if (bw_lwm2m_path_check(path) != 0)
        return BW_EPATH;

    char tmp[BW_LWM2M_PATH_STR_MAX];
    size_t n = 0;
    if (path->depth == 0)
        tmp[n++] = '/';
    for (size_t i = 0; i < path->depth; i++) {
        tmp[n++] = '/';
        n += bw_lwm2m__fmt_u64(path->id[i], tmp + n);
    }
    if (n + 1 > cap)
        return BW_ENOSPC;
    bw__copy(buf, tmp, n);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return 0;
}

bool bw_lwm2m_path_equal(const bw_lwm2m_path_t *a, const bw_lwm2m_path_t *b)
{
    if (a->depth != b->depth)
        return false;
    for (size_t i = 0; i < a->depth && i < BW_LWM2M_PATH_MAX_DEPTH; i++)
        if (a->id[i] != b->id[i])
            return false;
    return true;
}

bool bw_lwm2m_path_is_prefix(const bw_lwm2m_path_t *prefix,
                             const bw_lwm2m_path_t *path)
{
    if (prefix->depth > path->depth)
        return false;
    for (size_t i = 0; i < prefix->depth && i < BW_LWM2M_PATH_MAX_DEPTH; i++)
        if (prefix->id[i] != path->id[i])
            return false;
    return true;
}

int bw_lwm2m_path_compare(const bw_lwm2m_path_t *a, const bw_lwm2m_path_t *b)
{
    size_t common = a->depth < b->depth ? a->depth : b->depth;
    if (common > BW_LWM2M_PATH_MAX_DEPTH)
        common = BW_LWM2M_PATH_MAX_DEPTH;
    for (size_t i = 0; i < common; i++)
        if (a->id[i] != b->id[i])
            return a->id[i] < b->id[i] ? -1 : 1;
    if (a->depth == b->depth)
        return 0;
    return a->depth < b->depth ? -1 : 1;
}
