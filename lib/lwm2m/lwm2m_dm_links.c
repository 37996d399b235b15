/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The object links of Register and Update (OMA LwM2M 1.1 Core,
 * "Register"): "</>;rt=\"oma.lwm2m\";ct=11542,</1/0>,</3>;ver=1.1,...".
 *
 * Written by hand rather than through the link writer of coap_link.h:
 * every piece but the object versions is a constant or a path this file
 * formats itself, so the writer's checks of arbitrary targets and
 * attribute values would only be paid for by a device that never uses
 * Discover.  The one piece from outside, an object's version, gets the
 * check the writer would make (a non-empty RFC 6690 ptoken).
 */
#include "bw_mem.h"
#include "lwm2m_int.h"

#define OBJ_SECURITY 0u
#define OBJ_OSCORE   21u

/* The root link: resource type and the default content format (TLV). */
static const char root[] = "</>;rt=\"oma.lwm2m\";ct=11542";

typedef struct {
    char *out;
    size_t cap, len;
    int err;
} links_t;

static void put(links_t *l, const char *s, size_t n)
{
    if (l->err != 0)
        return;
    if (n > l->cap - l->len) {
        l->err = BW_ENOSPC;
        return;
    }
    bw__copy(l->out + l->len, s, n);
    l->len += n;
}

/* ",</O>" or ",</O/I>" */
static void put_link(links_t *l, const bw_lwm2m_path_t *p)
{
    char t[BW_LWM2M_PATH_STR_MAX + 3];
    size_t n = 0;
    (void)bw_lwm2m_path_format(p, t + 2, BW_LWM2M_PATH_STR_MAX, &n);
    t[0] = ',';
    t[1] = '<';
    t[n + 2] = '>';
    put(l, t, n + 3);
}

/* RFC 6690 ptoken: printable ASCII but SP DQUOTE "," ";" backslash. */
static bool ptoken_ok(const char *s, size_t *n)
{
    size_t i = 0;
    for (; s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' ||
            c == '\\')
            return false;
    }
    *n = i;
    return i > 0;
}

int bw_lwm2m_dm_links(bw_lwm2m_dm_t *dm, char *out, size_t cap, size_t *out_len)
{
    uint16_t ids[BW_LWM2M_DM_MAX_LIST];

    if (out_len != NULL)
        *out_len = 0;
    if (dm == NULL || out == NULL || out_len == NULL)
        return BW_EINVAL;
    links_t l = {out, cap, 0, 0};
    put(&l, root, sizeof root - 1);
    for (size_t i = 0; l.err == 0 && i < dm->nobjects; i++) {
        bw_lwm2m_object_t *o = dm->objects[i];
        size_t n = 0, vn = 0;
        if (o->id == OBJ_SECURITY || o->id == OBJ_OSCORE)
            continue; /* never announced (Core, Register) */
        if (o->version != NULL && !ptoken_ok(o->version, &vn))
            l.err = BW_EINVAL;
        if (l.err == 0)
            l.err = bw_lwm2m__dm_list(o, ids, &n);
        if (n == 0 || vn > 0) {
            bw_lwm2m_path_t p = BW_LWM2M_PATH_OBJ(o->id);
            put_link(&l, &p);
            if (vn > 0) {
                put(&l, ";ver=", 5);
                put(&l, o->version, vn);
            }
        }
        for (size_t k = 0; k < n; k++) {
            bw_lwm2m_path_t p = BW_LWM2M_PATH_INST(o->id, ids[k]);
            put_link(&l, &p);
        }
    }
    if (l.err == 0)
        *out_len = l.len;
    return l.err;
}
