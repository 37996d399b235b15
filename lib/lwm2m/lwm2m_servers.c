/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server set at rest: the blob save() writes and load() reads back,
 * and the check a set passes before the client uses it.  The client core
 * (lwm2m_client*.c) calls these; a port that keeps two copies calls
 * bw_lwm2m_servers_decode() to pick the newer valid one.
 *
 * LAYOUT (version 1; integers big endian)
 *
 *    0       4       5       6       7       8               12      14
 *   +-------+-------+-------+-------+-------+---------------+-------+
 *   | "BWSV"        | ver=1 | nsec  | nsrv  | nacl | generation| body n|
 *   +-------+-------+-------+-------+-------+---------------+-------+
 *   | body: nsec Security records, then nsrv Server records, then     |
 *   |       nacl Access Control records (n bytes)                     |
 *   +-----------------------------------------------------------------+
 *   | CRC-32 of bytes 0 .. 14+n (IEEE 802.3, reflected, as zlib)      |
 *   +-----------------------------------------------------------------+
 *
 *   Security record (13 bytes + strings):
 *     inst:2  ssid:2  bootstrap:1  mode:1  holdoff_s:4
 *     uri_len:1  uri[uri_len]        (no NUL, <= BW_LWM2M_URI_MAX - 1)
 *     id_len:1   psk_id[id_len]      (<= BW_LWM2M_PSK_ID_MAX)
 *     key_len:1  psk[key_len]        (<= BW_LWM2M_PSK_MAX)
 *   Server record (18 bytes + binding):
 *     inst:2  ssid:2  lifetime_s:4  pmin_s:4  pmax_s:4  flags:1
 *     b_len:1  binding[b_len]        (1..3 letters of U Q S N T)
 *   Access Control record (9 bytes + 4 per ACL entry):
 *     inst:2  oid:2  iid:2  owner:2
 *     n:1  n x (ssid:2 rights:2)     (n <= BW_LWM2M_ACL_ENTRIES)
 *
 * Server flags: bit 0 Notification Storing (/1/x/6), bit 1 Mute Send
 * (/1/x/23, added later: a set that never mutes encodes as before; one
 * that does fails to decode in older code, BW_EMALFORMED, and that
 * device starts from its factory bootstrap server).
 *
 * Byte 7 was reserved (0) before the Access Control object: a set
 * without Access Control instances encodes exactly as it did, and a blob
 * with some does not decode with code that predates them (BW_EMALFORMED:
 * that device starts from its factory bootstrap server).
 *
 * Why a CRC over everything: a copy torn by a power cut, or a sector
 * that decayed, must never decode into a set that mixes old and new
 * values; the generation lets a two-copy port tell old from new.  Both
 * together make "old set or new set, nothing else" provable
 * (tests/fault/test_lwm2m_bootstrap_powercut.c).
 *
 * The blob holds PSKs: the encoder wipes its output on failure, and the
 * decoder wipes the set it was filling when the blob turns out bad.
 */
#include "bulwark/lwm2m_client.h"

#include "bw_mem.h"

#define HDR_LEN     14
#define CRC_LEN     4
#define SEC_FIXED   13
#define SRV_FIXED   18
#define BINDING_MAX 3

static const uint8_t magic[4] = {'B', 'W', 'S', 'V'};

/* CRC-32 (reflected 0xEDB88320), bit by bit: no 1 KiB table on a device
 * for a blob written once per bootstrap. */
static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)get16(p) << 16) | get16(p + 2);
}

static size_t str_len(const char *s, size_t cap)
{
    size_t n = 0;
    while (n < cap && s[n] != '\0')
        n++;
    return n;
}

static int binding_ok(const char *b, size_t n)
{
    if (n == 0 || n > BINDING_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (b[i] != 'U' && b[i] != 'Q' && b[i] != 'S' && b[i] != 'N' &&
            b[i] != 'T')
            return 0;
    return 1;
}

void bw_lwm2m_servers_wipe(bw_lwm2m_servers_t *s)
{
    if (s != NULL)
        bw__zero(s, sizeof *s);
}

/* ---- encode ------------------------------------------------------------ */

/* A tiny cursor with a sticky error, so the record writers stay flat. */
typedef struct {
    uint8_t *p;
    size_t cap, len;
    int err;
} cur_t;

static uint8_t *take(cur_t *w, size_t n)
{
    if (w->err != 0)
        return NULL;
    if (n > w->cap - w->len) {
        w->err = BW_ENOSPC;
        return NULL;
    }
    uint8_t *at = w->p + w->len;
    w->len += n;
    return at;
}

static void put_bytes(cur_t *w, const void *src, size_t n, size_t max)
{
    if (w->err == 0 && n > max)
        w->err = BW_ERANGE;
    uint8_t *at = take(w, 1 + n);
    if (at == NULL)
        return;
    at[0] = (uint8_t)n;
    bw__copy(at + 1, src, n);
}

static void put_sec(cur_t *w, const bw_lwm2m_security_t *e)
{
    uint8_t *at = take(w, SEC_FIXED - 3);
    if (at != NULL) {
        put16(at, e->inst);
        put16(at + 2, e->ssid);
        at[4] = e->bootstrap ? 1 : 0;
        at[5] = e->mode;
        put32(at + 6, e->holdoff_s);
        if (e->mode > BW_LWM2M_SEC_NOSEC)
            w->err = BW_ERANGE;
    }
    put_bytes(w, e->uri, str_len(e->uri, sizeof e->uri), BW_LWM2M_URI_MAX - 1);
    put_bytes(w, e->psk_id, e->psk_id_len, BW_LWM2M_PSK_ID_MAX);
    put_bytes(w, e->psk, e->psk_len, BW_LWM2M_PSK_MAX);
}

static void put_acl(cur_t *w, const bw_lwm2m_acl_t *e)
{
    uint8_t *at = take(w, 9);
    if (at == NULL)
        return;
    put16(at, e->inst);
    put16(at + 2, e->oid);
    put16(at + 4, e->iid);
    put16(at + 6, e->owner);
    at[8] = e->nacl;
    if (e->nacl > BW_LWM2M_ACL_ENTRIES || e->oid == 0 ||
        e->oid > BW_LWM2M_ID_MAX || e->inst > BW_LWM2M_ID_MAX) {
        w->err = BW_ERANGE;
        return;
    }
    for (size_t i = 0; i < e->nacl; i++) {
        uint8_t *p = take(w, 4);
        if (p == NULL)
            return;
        put16(p, e->acl[i].ssid);
        put16(p + 2, e->acl[i].rights);
    }
}

static void put_srv(cur_t *w, const bw_lwm2m_server_t *e)
{
    uint8_t *at = take(w, SRV_FIXED - 1);
    if (at != NULL) {
        put16(at, e->inst);
        put16(at + 2, e->ssid);
        put32(at + 4, e->lifetime_s);
        put32(at + 8, e->pmin_s);
        put32(at + 12, e->pmax_s);
        at[16] = (uint8_t)((e->notif_storing ? 1 : 0) | (e->mute_send ? 2 : 0));
    }
    size_t n = str_len(e->binding, sizeof e->binding);
    if (w->err == 0 && !binding_ok(e->binding, n))
        w->err = BW_ERANGE;
    put_bytes(w, e->binding, n, BINDING_MAX);
}

int bw_lwm2m_servers_encode(const bw_lwm2m_servers_t *s, uint32_t generation,
                            uint8_t *out, size_t cap, size_t *len)
{
    if (len != NULL)
        *len = 0;
    if (s == NULL || out == NULL || len == NULL)
        return BW_EINVAL;
    cur_t w = {out, cap, 0, 0};
    uint8_t *hdr = take(&w, HDR_LEN);
    uint8_t nsec = 0, nsrv = 0, nacl = 0;
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++)
        if (s->sec[i].in_use) {
            put_sec(&w, &s->sec[i]);
            nsec++;
        }
    for (size_t i = 0; i < BW_LWM2M_MAX_SERVERS; i++)
        if (s->srv[i].in_use) {
            put_srv(&w, &s->srv[i]);
            nsrv++;
        }
    for (size_t i = 0; i < BW_LWM2M_MAX_ACL; i++)
        if (s->acl[i].in_use) {
            put_acl(&w, &s->acl[i]);
            nacl++;
        }
    uint8_t *tail = take(&w, CRC_LEN);
    if (w.err != 0) {
        bw__zero(out, cap);
        return w.err;
    }
    bw__copy(hdr, magic, sizeof magic);
    hdr[4] = 1;
    hdr[5] = nsec;
    hdr[6] = nsrv;
    hdr[7] = nacl;
    put32(hdr + 8, generation);
    put16(hdr + 12, (uint32_t)(w.len - HDR_LEN - CRC_LEN));
    put32(tail, crc32(out, w.len - CRC_LEN));
    *len = w.len;
    return 0;
}

/* ---- decode ------------------------------------------------------------ */

/* Read cursor over the body; any overrun is BW_EMALFORMED (the CRC held,
 * so the declared sizes simply do not add up). */
typedef struct {
    const uint8_t *p;
    size_t len, pos;
    int err;
} rd_t;

static const uint8_t *get(rd_t *r, size_t n)
{
    if (r->err != 0)
        return NULL;
    if (n > r->len - r->pos) {
        r->err = BW_EMALFORMED;
        return NULL;
    }
    const uint8_t *at = r->p + r->pos;
    r->pos += n;
    return at;
}

/* A length-prefixed string of at most max bytes into dst; *n its length. */
static void get_bytes(rd_t *r, void *dst, size_t max, size_t *n)
{
    const uint8_t *l = get(r, 1);
    *n = 0;
    if (l == NULL)
        return;
    if (l[0] > max) {
        r->err = BW_EOVERFLOW;
        return;
    }
    const uint8_t *v = get(r, l[0]);
    if (v == NULL)
        return;
    bw__copy(dst, v, l[0]);
    *n = l[0];
}

static int id_ok(uint16_t id)
{
    return id <= BW_LWM2M_ID_MAX;
}

static void get_sec(rd_t *r, bw_lwm2m_security_t *e)
{
    const uint8_t *at = get(r, SEC_FIXED - 3);
    size_t n;
    if (at == NULL)
        return;
    e->in_use = 1;
    e->inst = get16(at);
    e->ssid = get16(at + 2);
    e->bootstrap = at[4];
    e->mode = at[5];
    e->holdoff_s = get32(at + 6);
    if (at[4] > 1) {
        r->err = BW_EMALFORMED;
        return;
    }
    if (!id_ok(e->inst) || !id_ok(e->ssid) || e->mode > BW_LWM2M_SEC_NOSEC) {
        r->err = BW_ERANGE;
        return;
    }
    get_bytes(r, e->uri, BW_LWM2M_URI_MAX - 1, &n);
    for (size_t i = 0; r->err == 0 && i < n; i++)
        if (e->uri[i] == '\0')
            r->err = BW_EMALFORMED;
    get_bytes(r, e->psk_id, BW_LWM2M_PSK_ID_MAX, &n);
    e->psk_id_len = (uint8_t)n;
    get_bytes(r, e->psk, BW_LWM2M_PSK_MAX, &n);
    e->psk_len = (uint8_t)n;
}

static void get_srv(rd_t *r, bw_lwm2m_server_t *e)
{
    const uint8_t *at = get(r, SRV_FIXED - 1);
    size_t n;
    if (at == NULL)
        return;
    e->in_use = 1;
    e->inst = get16(at);
    e->ssid = get16(at + 2);
    e->lifetime_s = get32(at + 4);
    e->pmin_s = get32(at + 8);
    e->pmax_s = get32(at + 12);
    e->notif_storing = at[16] & 1;
    e->mute_send = (at[16] >> 1) & 1;
    if (at[16] > 3) {
        r->err = BW_EMALFORMED;
        return;
    }
    if (!id_ok(e->inst) || !id_ok(e->ssid)) {
        r->err = BW_ERANGE;
        return;
    }
    get_bytes(r, e->binding, BINDING_MAX, &n);
    if (r->err == 0 && !binding_ok(e->binding, n))
        r->err = BW_EMALFORMED;
}

static void get_acl(rd_t *r, bw_lwm2m_acl_t *e)
{
    const uint8_t *at = get(r, 9);
    if (at == NULL)
        return;
    e->in_use = 1;
    e->inst = get16(at);
    e->oid = get16(at + 2);
    e->iid = get16(at + 4);
    e->owner = get16(at + 6);
    if (!id_ok(e->inst) || e->oid == 0 || !id_ok(e->oid)) {
        r->err = BW_ERANGE;
        return;
    }
    if (at[8] > BW_LWM2M_ACL_ENTRIES) {
        r->err = BW_EOVERFLOW;
        return;
    }
    for (size_t i = 0; i < at[8]; i++) {
        const uint8_t *p = get(r, 4);
        if (p == NULL)
            return;
        uint16_t ssid = get16(p);
        if (!id_ok(ssid)) {
            r->err = BW_ERANGE;
            return;
        }
        for (size_t j = 0; j < i; j++)
            if (e->acl[j].ssid == ssid) {
                r->err = BW_EDUPKEY;
                return;
            }
        e->acl[i].ssid = ssid;
        e->acl[i].rights = get16(p + 2);
    }
    e->nacl = at[8];
}

static int dup_ids(const bw_lwm2m_servers_t *s)
{
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++)
        for (size_t j = i + 1; j < BW_LWM2M_MAX_SECURITY; j++)
            if (s->sec[i].in_use && s->sec[j].in_use &&
                s->sec[i].inst == s->sec[j].inst)
                return 1;
    for (size_t i = 0; i < BW_LWM2M_MAX_SERVERS; i++)
        for (size_t j = i + 1; j < BW_LWM2M_MAX_SERVERS; j++)
            if (s->srv[i].in_use && s->srv[j].in_use &&
                s->srv[i].inst == s->srv[j].inst)
                return 1;
    for (size_t i = 0; i < BW_LWM2M_MAX_ACL; i++)
        for (size_t j = i + 1; j < BW_LWM2M_MAX_ACL; j++)
            if (s->acl[i].in_use && s->acl[j].in_use &&
                s->acl[i].inst == s->acl[j].inst)
                return 1;
    return 0;
}

static int decode_body(const uint8_t *blob, size_t len, bw_lwm2m_servers_t *s)
{
    if (len < HDR_LEN + CRC_LEN)
        return BW_ETRUNC;
    if (!bw__equal(blob, magic, sizeof magic))
        return BW_EMAGIC;
    if (blob[4] != 1)
        return BW_EVERSION;
    size_t body = get16(blob + 12);
    if (len < HDR_LEN + body + CRC_LEN)
        return BW_ETRUNC;
    if (len > HDR_LEN + body + CRC_LEN)
        return BW_ETRAILING;
    if (crc32(blob, HDR_LEN + body) != get32(blob + HDR_LEN + body))
        return BW_EHASH;
    if (blob[5] > BW_LWM2M_MAX_SECURITY || blob[6] > BW_LWM2M_MAX_SERVERS ||
        blob[7] > BW_LWM2M_MAX_ACL)
        return BW_ERANGE;
    rd_t r = {blob + HDR_LEN, body, 0, 0};
    for (size_t i = 0; i < blob[5]; i++)
        get_sec(&r, &s->sec[i]);
    for (size_t i = 0; i < blob[6]; i++)
        get_srv(&r, &s->srv[i]);
    for (size_t i = 0; i < blob[7]; i++)
        get_acl(&r, &s->acl[i]);
    if (r.err != 0)
        return r.err;
    if (r.pos != body)
        return BW_EMALFORMED;
    return dup_ids(s) ? BW_EDUPKEY : 0;
}

int bw_lwm2m_servers_decode(const uint8_t *blob, size_t len,
                            bw_lwm2m_servers_t *s, uint32_t *generation)
{
    if (generation != NULL)
        *generation = 0;
    if (s == NULL || generation == NULL || (blob == NULL && len > 0))
        return BW_EINVAL;
    bw__zero(s, sizeof *s);
    int err = decode_body(blob, len, s);
    if (err != 0) {
        bw__zero(s, sizeof *s);
        return err;
    }
    *generation = get32(blob + 8);
    return 0;
}

/* ---- check ------------------------------------------------------------- */

static const bw_lwm2m_server_t *srv_for(const bw_lwm2m_servers_t *s,
                                        uint16_t ssid)
{
    for (size_t i = 0; i < BW_LWM2M_MAX_SERVERS; i++)
        if (s->srv[i].in_use && s->srv[i].ssid == ssid)
            return &s->srv[i];
    return NULL;
}

/* Whether sec[i] is a usable DM server; 0 or the problem. */
static int dm_ok(const bw_lwm2m_servers_t *s, size_t i, const char **why)
{
    const bw_lwm2m_security_t *e = &s->sec[i];
    if (e->ssid == 0 || e->ssid > BW_LWM2M_ID_MAX) {
        *why = "DM server Security instance without Short Server ID";
        return BW_EMALFORMED;
    }
    if (e->uri[0] == '\0') {
        *why = "DM server Security instance without URI";
        return BW_EMALFORMED;
    }
    const bw_lwm2m_server_t *srv = srv_for(s, e->ssid);
    if (srv == NULL) {
        *why = "Security instance without Server instance of its SSID";
        return BW_ENOTFOUND;
    }
    if (e->mode == BW_LWM2M_SEC_RPK || e->mode == BW_LWM2M_SEC_CERT) {
        *why = "only PSK and NoSec security modes are supported";
        return BW_EUNSUPPORTED;
    }
    if (e->mode == BW_LWM2M_SEC_PSK &&
        (e->psk_id_len == 0 || e->psk_len == 0)) {
        *why = "PSK mode without PSK identity and key";
        return BW_EMALFORMED;
    }
    if (srv->lifetime_s == 0) {
        *why = "Server instance with lifetime 0";
        return BW_EMALFORMED;
    }
    if (!(srv->binding[0] == 'U' &&
          (srv->binding[1] == '\0' ||
           (srv->binding[1] == 'Q' && srv->binding[2] == '\0')))) {
        *why = "binding must be U or UQ";
        return BW_EMALFORMED;
    }
    return 0;
}

/* The Access Control instances (Core appendix E.3): 0 or the problem. */
static int acl_ok(const bw_lwm2m_servers_t *s, const char **why)
{
    for (size_t i = 0; i < BW_LWM2M_MAX_ACL; i++) {
        const bw_lwm2m_acl_t *a = &s->acl[i];
        if (!a->in_use)
            continue;
        if (a->oid == 0 || a->oid > BW_LWM2M_ID_MAX) {
            *why = "Access Control instance without Object ID";
            return BW_EMALFORMED;
        }
        if (a->oid == 2) {
            *why = "Access Control instance about an Access Control instance";
            return BW_EMALFORMED;
        }
        if (a->owner == 0) {
            *why = "Access Control instance without owner";
            return BW_EMALFORMED;
        }
        for (size_t j = 0; j < i; j++)
            if (s->acl[j].in_use && s->acl[j].oid == a->oid &&
                s->acl[j].iid == a->iid) {
                *why = "two Access Control instances for one object instance";
                return BW_EDUPKEY;
            }
    }
    return 0;
}

int bw_lwm2m_servers_check(const bw_lwm2m_servers_t *s, const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    *why = "";
    if (s == NULL)
        return BW_EINVAL;
    size_t ndm = 0, nbs = 0;
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++) {
        const bw_lwm2m_security_t *e = &s->sec[i];
        if (!e->in_use)
            continue;
        if (e->bootstrap) {
            if (++nbs > 1) {
                *why = "more than one Bootstrap-Server account";
                return BW_EDUPKEY;
            }
            continue;
        }
        int err = dm_ok(s, i, why);
        if (err != 0)
            return err;
        for (size_t j = 0; j < i; j++)
            if (s->sec[j].in_use && !s->sec[j].bootstrap &&
                s->sec[j].ssid == e->ssid) {
                *why = "two Security instances with one Short Server ID";
                return BW_EDUPKEY;
            }
        ndm++;
    }
    if (ndm == 0) {
        *why = "no DM server";
        return BW_ENOTFOUND;
    }
    return acl_ok(s, why);
}

int bw_lwm2m_servers_dm(const bw_lwm2m_servers_t *s)
{
    const char *why;
    if (s == NULL)
        return -1;
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++)
        if (s->sec[i].in_use && !s->sec[i].bootstrap && dm_ok(s, i, &why) == 0)
            return (int)i;
    return -1;
}
