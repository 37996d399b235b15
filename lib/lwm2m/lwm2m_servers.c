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

#include <stddef.h>

#include "bw_mem.h"
#include "lwm2m_int.h"

#define HDR_LEN     14
#define CRC_LEN     4
#define BINDING_MAX 3

_Static_assert(BW_LWM2M_URI_MAX - 1 <= 0xFF && BW_LWM2M_PSK_ID_MAX <= 0xFF &&
                   BW_LWM2M_PSK_MAX <= 0xFF,
               "string lengths are one byte in the blob");

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

/* Big-endian n bytes (n <= 4) of v at p, and back. */
static void put_be(uint8_t *p, uint32_t v, size_t n)
{
    while (n-- > 0) {
        p[n] = (uint8_t)v;
        v >>= 8;
    }
}

static uint32_t get_be(const uint8_t *p, size_t n)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

void bw_lwm2m_servers_wipe(bw_lwm2m_servers_t *s)
{
    if (s != NULL)
        bw__zero(s, sizeof *s);
}

/* ---- records ------------------------------------------------------------ */

/*
 * One description of each record serves both directions: a list of
 * fields in wire order, each with its place in the struct and its check.
 * A check that fails is BW_ERANGE (an out-of-range number), BW_EMALFORMED
 * (a flag or string the layout forbids) or, for a length over its limit,
 * BW_ERANGE when encoding and BW_EOVERFLOW when decoding.
 */
enum {
    F_FLAG,  /* uint8_t 0 or 1: 1 byte; over 1 is BW_EMALFORMED */
    F_BITS,  /* two uint8_t flags (off, aux) as bits 0 and 1 of 1 byte */
    F_MODE,  /* uint8_t security mode: 1 byte, <= NOSEC */
    F_COUNT, /* uint8_t ACL entries: 1 byte, <= BW_LWM2M_ACL_ENTRIES */
    F_ID,    /* uint16_t <= BW_LWM2M_ID_MAX: 2 bytes */
    F_OID,   /* uint16_t 1 .. BW_LWM2M_ID_MAX: 2 bytes */
    F_U16,   /* uint16_t: 2 bytes */
    F_U32,   /* uint32_t: 4 bytes */
    F_STR,   /* char[max + 1], NUL-terminated: length byte + text */
    F_BIND,  /* F_STR holding 1..3 of U Q S N T */
    F_BYTES, /* uint8_t[max] with its uint8_t length at aux: length + bytes */
};

/* Bytes on the wire and largest value of the number kinds. */
static const uint8_t width[F_STR] = {1, 1, 1, 1, 2, 2, 2, 4};
static const uint32_t limit[F_STR] = {1,
                                      3,
                                      BW_LWM2M_SEC_NOSEC,
                                      BW_LWM2M_ACL_ENTRIES,
                                      BW_LWM2M_ID_MAX,
                                      BW_LWM2M_ID_MAX,
                                      UINT16_MAX,
                                      UINT32_MAX};

typedef struct {
    uint16_t off; /* offsetof the field */
    uint8_t kind;
    uint8_t max;  /* F_STR, F_BIND, F_BYTES: most bytes */
    uint16_t aux; /* F_BYTES: offsetof the length; F_BITS: of bit 1 */
} field_t;

#define FIELD(T, m, k)                                                         \
    {                                                                          \
        offsetof(T, m), k, 0, 0                                                \
    }
#define STRING(T, m, k, n)                                                     \
    {                                                                          \
        offsetof(T, m), k, n, 0                                                \
    }
#define BYTES(T, m, n, l)                                                      \
    {                                                                          \
        offsetof(T, m), F_BYTES, n, offsetof(T, l)                             \
    }

/* Security record: inst ssid bootstrap mode holdoff uri psk_id psk. */
static const field_t sec_fields[] = {
    FIELD(bw_lwm2m_security_t, inst, F_ID),
    FIELD(bw_lwm2m_security_t, ssid, F_ID),
    FIELD(bw_lwm2m_security_t, bootstrap, F_FLAG),
    FIELD(bw_lwm2m_security_t, mode, F_MODE),
    FIELD(bw_lwm2m_security_t, holdoff_s, F_U32),
    STRING(bw_lwm2m_security_t, uri, F_STR, BW_LWM2M_URI_MAX - 1),
    BYTES(bw_lwm2m_security_t, psk_id, BW_LWM2M_PSK_ID_MAX, psk_id_len),
    BYTES(bw_lwm2m_security_t, psk, BW_LWM2M_PSK_MAX, psk_len),
};

/* Server record: inst ssid lifetime pmin pmax flags binding. */
static const field_t srv_fields[] = {
    FIELD(bw_lwm2m_server_t, inst, F_ID),
    FIELD(bw_lwm2m_server_t, ssid, F_ID),
    FIELD(bw_lwm2m_server_t, lifetime_s, F_U32),
    FIELD(bw_lwm2m_server_t, pmin_s, F_U32),
    FIELD(bw_lwm2m_server_t, pmax_s, F_U32),
    {offsetof(bw_lwm2m_server_t, notif_storing), F_BITS, 0,
     offsetof(bw_lwm2m_server_t, mute_send)},
    STRING(bw_lwm2m_server_t, binding, F_BIND, BINDING_MAX),
};

/* Access Control record: inst oid iid owner n, then n entries. */
static const field_t acl_fields[] = {
    FIELD(bw_lwm2m_acl_t, inst, F_ID),    FIELD(bw_lwm2m_acl_t, oid, F_OID),
    FIELD(bw_lwm2m_acl_t, iid, F_U16),    FIELD(bw_lwm2m_acl_t, owner, F_U16),
    FIELD(bw_lwm2m_acl_t, nacl, F_COUNT),
};

static const field_t entry_fields[] = {
    FIELD(bw_lwm2m_acl_entry_t, ssid, F_ID),
    FIELD(bw_lwm2m_acl_entry_t, rights, F_U16),
};

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* A cursor over the blob with a sticky error: out when encoding, in when
 * decoding (the other is NULL).  Running out is BW_ENOSPC when encoding
 * (the caller's buffer) and BW_EMALFORMED when decoding (the CRC held,
 * so the declared sizes do not add up). */
typedef struct {
    uint8_t *out;
    const uint8_t *in;
    size_t cap, pos;
    int err;
} cur_t;

/* Offset of the next n bytes, or SIZE_MAX (the error is set). */
static size_t take(cur_t *c, size_t n)
{
    if (c->err != 0)
        return SIZE_MAX;
    if (n > c->cap - c->pos) {
        c->err = c->out != NULL ? BW_ENOSPC : BW_EMALFORMED;
        return SIZE_MAX;
    }
    c->pos += n;
    return c->pos - n;
}

static void fail(cur_t *c, int err)
{
    if (c->err == 0)
        c->err = err;
}

static bool binding_ok(const uint8_t *b, size_t n)
{
    if (n == 0 || n > BINDING_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (b[i] != 'U' && b[i] != 'Q' && b[i] != 'S' && b[i] != 'N' &&
            b[i] != 'T')
            return false;
    return true;
}

/* A string or byte field: length byte, then the bytes.  Encoding reads
 * the record at src; decoding fills dst (see record()). */
static void string_field(cur_t *c, const field_t *f, const uint8_t *src,
                         uint8_t *dst)
{
    bool enc = c->out != NULL;
    size_t at = take(c, 1), n = 0;
    if (at == SIZE_MAX)
        return;
    if (!enc)
        n = c->in[at];
    else if (f->kind == F_BYTES)
        n = src[f->aux];
    else
        while (n <= f->max && src[f->off + n] != '\0')
            n++;
    if (n > f->max) {
        fail(c, enc ? BW_ERANGE : BW_EOVERFLOW);
        return;
    }
    size_t v = take(c, n);
    if (v == SIZE_MAX)
        return;
    const uint8_t *bytes = src + f->off;
    if (enc) {
        c->out[at] = (uint8_t)n;
        bw__copy(c->out + v, bytes, n);
    } else {
        bytes = c->in + v;
        bw__copy(dst + f->off, bytes, n);
        if (f->kind == F_BYTES)
            dst[f->aux] = (uint8_t)n;
        for (size_t i = 0; f->kind != F_BYTES && i < n; i++)
            if (bytes[i] == '\0')
                fail(c, BW_EMALFORMED);
    }
    if (f->kind == F_BIND && !binding_ok(bytes, n))
        fail(c, enc ? BW_ERANGE : BW_EMALFORMED);
}

/* Encode (from src; dst is NULL) or decode (into dst; src is dst, the
 * record as far as it is filled) the fields of one record. */
static void record(cur_t *c, const field_t *f, size_t nf, const void *src,
                   void *dst)
{
    bool enc = c->out != NULL;
    for (; nf > 0 && c->err == 0; f++, nf--) {
        const uint8_t *r = src;
        if (f->kind >= F_STR) {
            string_field(c, f, r, dst);
            continue;
        }
        size_t w = width[f->kind];
        size_t at = take(c, w);
        if (at == SIZE_MAX)
            return;
        const void *m = r + f->off;
        uint32_t v;
        if (!enc)
            v = get_be(c->in + at, w);
        else if (f->kind == F_BITS)
            v = (r[f->off] ? 1u : 0u) | (r[f->aux] ? 2u : 0u);
        else if (w == 4)
            v = *(const uint32_t *)m;
        else if (w == 2)
            v = *(const uint16_t *)m;
        else
            v = f->kind == F_FLAG ? r[f->off] != 0 : r[f->off];
        if (v > limit[f->kind] || (f->kind == F_OID && v == 0)) {
            int err = f->kind <= F_BITS ? BW_EMALFORMED : BW_ERANGE;
            fail(c, f->kind == F_COUNT && !enc ? BW_EOVERFLOW : err);
            return;
        }
        if (enc) {
            put_be(c->out + at, v, w);
            continue;
        }
        uint8_t *d = (uint8_t *)dst + f->off;
        if (f->kind == F_BITS) {
            *d = (uint8_t)(v & 1u);
            ((uint8_t *)dst)[f->aux] = (uint8_t)(v >> 1);
        } else if (w == 4)
            *(uint32_t *)(void *)d = v;
        else if (w == 2)
            *(uint16_t *)(void *)d = (uint16_t)v;
        else
            *d = (uint8_t)v;
    }
}

/* An Access Control record with its entries; no ssid twice. */
static void acl_record(cur_t *c, const bw_lwm2m_acl_t *src, bw_lwm2m_acl_t *dst)
{
    record(c, acl_fields, NFIELDS(acl_fields), src, dst);
    for (size_t i = 0; c->err == 0 && i < src->nacl; i++) {
        record(c, entry_fields, NFIELDS(entry_fields), &src->acl[i],
               dst != NULL ? &dst->acl[i] : NULL);
        for (size_t j = 0; c->err == 0 && j < i; j++)
            if (src->acl[j].ssid == src->acl[i].ssid)
                c->err = BW_EDUPKEY;
    }
}

/* ---- encode ------------------------------------------------------------ */

int bw_lwm2m_servers_encode(const bw_lwm2m_servers_t *s, uint32_t generation,
                            uint8_t *out, size_t cap, size_t *len)
{
    if (len != NULL)
        *len = 0;
    if (s == NULL || out == NULL || len == NULL)
        return BW_EINVAL;
    cur_t c = {out, NULL, cap, 0, 0};
    (void)take(&c, HDR_LEN);
    uint8_t nsec = 0, nsrv = 0, nacl = 0;
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++)
        if (s->sec[i].in_use) {
            record(&c, sec_fields, NFIELDS(sec_fields), &s->sec[i], NULL);
            nsec++;
        }
    for (size_t i = 0; i < BW_LWM2M_MAX_SERVERS; i++)
        if (s->srv[i].in_use) {
            record(&c, srv_fields, NFIELDS(srv_fields), &s->srv[i], NULL);
            nsrv++;
        }
    for (size_t i = 0; i < BW_LWM2M_MAX_ACL; i++)
        if (s->acl[i].in_use) {
            acl_record(&c, &s->acl[i], NULL);
            nacl++;
        }
    (void)take(&c, CRC_LEN);
    if (c.err != 0) {
        bw__zero(out, cap);
        return c.err;
    }
    bw__copy(out, magic, sizeof magic);
    out[4] = 1;
    out[5] = nsec;
    out[6] = nsrv;
    out[7] = nacl;
    put_be(out + 8, generation, 4);
    put_be(out + 12, (uint32_t)(c.pos - HDR_LEN - CRC_LEN), 2);
    put_be(out + c.pos - CRC_LEN, crc32(out, c.pos - CRC_LEN), 4);
    *len = c.pos;
    return 0;
}

/* ---- decode ------------------------------------------------------------ */

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
    size_t body = get_be(blob + 12, 2);
    if (len < HDR_LEN + body + CRC_LEN)
        return BW_ETRUNC;
    if (len > HDR_LEN + body + CRC_LEN)
        return BW_ETRAILING;
    if (crc32(blob, HDR_LEN + body) != get_be(blob + HDR_LEN + body, 4))
        return BW_EHASH;
    if (blob[5] > BW_LWM2M_MAX_SECURITY || blob[6] > BW_LWM2M_MAX_SERVERS ||
        blob[7] > BW_LWM2M_MAX_ACL)
        return BW_ERANGE;
    cur_t c = {NULL, blob + HDR_LEN, body, 0, 0};
    for (size_t i = 0; i < blob[5]; i++) {
        s->sec[i].in_use = 1;
        record(&c, sec_fields, NFIELDS(sec_fields), &s->sec[i], &s->sec[i]);
    }
    for (size_t i = 0; i < blob[6]; i++) {
        s->srv[i].in_use = 1;
        record(&c, srv_fields, NFIELDS(srv_fields), &s->srv[i], &s->srv[i]);
    }
    for (size_t i = 0; i < blob[7]; i++) {
        s->acl[i].in_use = 1;
        acl_record(&c, &s->acl[i], &s->acl[i]);
    }
    if (c.err != 0)
        return c.err;
    if (c.pos != body)
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
    *generation = get_be(blob + 8, 4);
    return 0;
}

/* ---- check ------------------------------------------------------------- */

/*
 * Why a set is refused: one short reason each, for an operator reading
 * the bootstrap server's log, with the error it answers and the resource
 * it is about (object oid, the failing instance, resource rid; rid NO_ID:
 * the instance itself; oid NO_ID: the set as a whole, no path).
 */
#define NO_ID 0xFF
enum {
    R_OK,
    R_NO_SSID,
    R_NO_URI,
    R_NO_SERVER,
    R_MODE,
    R_NO_PSK,
    R_LIFETIME,
    R_BINDING,
    R_BS_TWICE,
    R_SSID_TWICE,
    R_NO_DM,
    R_ACL_OID,
    R_ACL_OF_ACL,
    R_ACL_OWNER,
    R_ACL_TWICE
};
typedef struct {
    int8_t err;
    uint8_t oid, rid;
    char text[13];
} reason_t;
static const reason_t reasons[] = {
    /* R_OK has no row */
    [R_NO_SSID - 1] = {BW_EMALFORMED, 0, 10, "no SSID"},
    [R_NO_URI - 1] = {BW_EMALFORMED, 0, 0, "no URI"},
    [R_NO_SERVER - 1] = {BW_ENOTFOUND, 0, 10, "no Server"},
    [R_MODE - 1] = {BW_EUNSUPPORTED, 0, 2, "unsupported"},
    [R_NO_PSK - 1] = {BW_EMALFORMED, 0, NO_ID, "PSK missing"},
    [R_LIFETIME - 1] = {BW_EMALFORMED, 1, 1, "lifetime 0"},
    [R_BINDING - 1] = {BW_EMALFORMED, 1, 7, "not U or UQ"},
    [R_BS_TWICE - 1] = {BW_EDUPKEY, 0, 1, "2nd BS acct"},
    [R_SSID_TWICE - 1] = {BW_EDUPKEY, 0, 10, "SSID twice"},
    [R_NO_DM - 1] = {BW_ENOTFOUND, NO_ID, NO_ID, "no DM server"},
    [R_ACL_OID - 1] = {BW_EMALFORMED, 2, 0, "no object ID"},
    [R_ACL_OF_ACL - 1] = {BW_EMALFORMED, 2, 0, "is object 2"},
    [R_ACL_OWNER - 1] = {BW_EMALFORMED, 2, 3, "no owner"},
    [R_ACL_TWICE - 1] = {BW_EDUPKEY, 2, 1, "O/I twice"},
};

static const bw_lwm2m_server_t *srv_for(const bw_lwm2m_servers_t *s,
                                        uint16_t ssid)
{
    for (size_t i = 0; i < BW_LWM2M_MAX_SERVERS; i++)
        if (s->srv[i].in_use && s->srv[i].ssid == ssid)
            return &s->srv[i];
    return NULL;
}

/* Whether sec[i] is a usable DM server: R_OK, or the reason and in *inst
 * the instance it is about. */
static unsigned dm_ok(const bw_lwm2m_servers_t *s, size_t i, uint16_t *inst)
{
    const bw_lwm2m_security_t *e = &s->sec[i];
    *inst = e->inst;
    if (e->ssid == 0 || e->ssid > BW_LWM2M_ID_MAX)
        return R_NO_SSID;
    if (e->uri[0] == '\0')
        return R_NO_URI;
    const bw_lwm2m_server_t *srv = srv_for(s, e->ssid);
    if (srv == NULL)
        return R_NO_SERVER;
    if (e->mode == BW_LWM2M_SEC_RPK || e->mode == BW_LWM2M_SEC_CERT)
        return R_MODE; /* no room for that material yet */
    if (e->mode == BW_LWM2M_SEC_PSK && (e->psk_id_len == 0 || e->psk_len == 0))
        return R_NO_PSK;
    *inst = srv->inst;
    if (srv->lifetime_s == 0)
        return R_LIFETIME;
    if (!(srv->binding[0] == 'U' &&
          (srv->binding[1] == '\0' ||
           (srv->binding[1] == 'Q' && srv->binding[2] == '\0'))))
        return R_BINDING;
    return R_OK;
}

/* The Access Control instances (Core appendix E.3): R_OK or the reason. */
static unsigned acl_ok(const bw_lwm2m_servers_t *s, uint16_t *inst)
{
    for (size_t i = 0; i < BW_LWM2M_MAX_ACL; i++) {
        const bw_lwm2m_acl_t *a = &s->acl[i];
        if (!a->in_use)
            continue;
        *inst = a->inst;
        if (a->oid == 0 || a->oid > BW_LWM2M_ID_MAX)
            return R_ACL_OID;
        if (a->oid == 2)
            return R_ACL_OF_ACL;
        if (a->owner == 0)
            return R_ACL_OWNER;
        for (size_t j = 0; j < i; j++)
            if (s->acl[j].in_use && s->acl[j].oid == a->oid &&
                s->acl[j].iid == a->iid)
                return R_ACL_TWICE;
    }
    return R_OK;
}

/* The whole set: R_OK, or the first reason found and its instance. */
static unsigned set_ok(const bw_lwm2m_servers_t *s, uint16_t *inst)
{
    size_t ndm = 0, nbs = 0;
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++) {
        const bw_lwm2m_security_t *e = &s->sec[i];
        if (!e->in_use)
            continue;
        *inst = e->inst;
        if (e->bootstrap) {
            if (++nbs > 1)
                return R_BS_TWICE;
            continue;
        }
        unsigned r = dm_ok(s, i, inst);
        if (r != R_OK)
            return r;
        for (size_t j = 0; j < i; j++)
            if (s->sec[j].in_use && !s->sec[j].bootstrap &&
                s->sec[j].ssid == e->ssid) {
                *inst = e->inst;
                return R_SSID_TWICE;
            }
        ndm++;
    }
    if (ndm == 0)
        return R_NO_DM;
    return acl_ok(s, inst);
}

int bw_lwm2m_servers_check(const bw_lwm2m_servers_t *s, char *why)
{
    if (why != NULL)
        why[0] = '\0';
    if (s == NULL)
        return BW_EINVAL;
    uint16_t inst = 0;
    unsigned r = set_ok(s, &inst);
    if (r == R_OK)
        return 0;
    const reason_t *e = &reasons[r - 1];
    if (why != NULL) {
        /* "/0/1/10: " (at most 13 characters), then the reason and its NUL
         * (the text field holds both: 12 characters at most). */
        if (e->oid != NO_ID) {
            *why++ = '/';
            *why++ = (char)('0' + e->oid);
            *why++ = '/';
            why += bw_lwm2m__fmt_u64(inst, why);
            if (e->rid != NO_ID) {
                *why++ = '/';
                why += bw_lwm2m__fmt_u64(e->rid, why);
            }
            *why++ = ':';
            *why++ = ' ';
        }
        bw__copy(why, e->text, sizeof e->text);
    }
    return e->err;
}

int bw_lwm2m_servers_dm(const bw_lwm2m_servers_t *s, size_t from)
{
    uint16_t inst;
    if (s == NULL)
        return -1;
    for (size_t i = from; i < BW_LWM2M_MAX_SECURITY; i++)
        if (s->sec[i].in_use && !s->sec[i].bootstrap &&
            dm_ok(s, i, &inst) == R_OK)
            return (int)i;
    return -1;
}
