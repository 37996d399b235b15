/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `info`: what a file holds, field by field, as text for people or as
 * JSON in the shape of imgtool's `dumpinfo -f json`.  The walk is the
 * tool's own, bounds-checked against the file at each step, and does not
 * stop at the first oddity a verifier would refuse: it shows as much as
 * can be read, then names the first structural problem.  It never checks
 * the digest or signatures (that is `verify`).
 */
#include <stdlib.h>
#include <string.h>

#include "image_tool.h"
#include "json_out.h"

/*
 * TLVs listed per area.  An area is at most 64 KiB, so it could hold 16K
 * empty TLVs; real images have a handful.  Past this many the rest are
 * counted, not listed.
 */
#define DUMP_TLV_MAX 64

typedef struct {
    uint16_t type;
    uint16_t len;
    size_t off; /* of the value */
} dump_tlv_t;

typedef struct {
    int present;
    uint16_t magic;
    uint16_t tot;
    size_t off;
    dump_tlv_t tlv[DUMP_TLV_MAX];
    unsigned n;
    unsigned more;
} dump_area_t;

typedef struct {
    int have_hdr;
    bw_image_header_t hdr;
    dump_area_t prot, unprot;
    size_t image_end; /* 0 until the unprotected area has been read */
    tool_trailer_t trailer;
    char problem[256];
} dump_t;

const char *tool_tlv_name(uint16_t type)
{
    switch (type) {
    case 0x01:
        return "KEYHASH";
    case 0x02:
        return "PUBKEY";
    case 0x10:
        return "SHA256";
    case 0x11:
        return "SHA384";
    case 0x12:
        return "SHA512";
    case 0x20:
        return "RSA2048";
    case 0x21:
        return "ECDSA224";
    case 0x22:
        return "ECDSASIG";
    case 0x23:
        return "RSA3072";
    case 0x24:
        return "ED25519";
    case 0x30:
        return "ENCRSA2048";
    case 0x31:
        return "ENCKW";
    case 0x32:
        return "ENCEC256";
    case 0x33:
        return "ENCX25519";
    case 0x40:
        return "DEPENDENCY";
    case 0x50:
        return "SEC_CNT";
    case 0x60:
        return "BOOT_RECORD";
    case BW_IMAGE_TLV_MODEL:
        return "MODEL";
    default:
        return "UNKNOWN";
    }
}

/* A model value shown as text: 1..32 bytes of 0x21..0x7e. */
static int printable(const uint8_t *p, unsigned len)
{
    if (len == 0 || len > BW_IMAGE_MODEL_MAX)
        return 0;
    for (unsigned i = 0; i < len; i++)
        if (p[i] < 0x21 || p[i] > 0x7e)
            return 0;
    return 1;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Read the TLV area at off; 0 when whole, -1 with d->problem set. */
static int walk_area(dump_t *d, const uint8_t *data, size_t len, size_t off,
                     uint16_t magic, const char *what, dump_area_t *a)
{
    if (off > len || len - off < BW_IMAGE_TLV_INFO_SIZE) {
        snprintf(d->problem, sizeof(d->problem),
                 "the %s TLV info header "
                 "at offset %zu is past the end of the file",
                 what, off);
        return -1;
    }
    a->present = 1;
    a->off = off;
    a->magic = get16(data + off);
    a->tot = get16(data + off + 2);
    if (a->magic != magic) {
        snprintf(d->problem, sizeof(d->problem),
                 "the %s TLV area at offset "
                 "%zu has magic 0x%04x, not 0x%04x",
                 what, off, a->magic, magic);
        return -1;
    }
    if (a->tot < BW_IMAGE_TLV_INFO_SIZE) {
        snprintf(d->problem, sizeof(d->problem),
                 "the %s TLV area's tlv_tot "
                 "%u is smaller than its own info header",
                 what, a->tot);
        return -1;
    }
    if (a->tot > len - off) {
        snprintf(d->problem, sizeof(d->problem),
                 "the %s TLV area (%u bytes "
                 "at offset %zu) runs past the end of the %zu-byte file",
                 what, a->tot, off, len);
        return -1;
    }
    size_t end = off + a->tot, p = off + BW_IMAGE_TLV_INFO_SIZE;
    while (p < end) {
        if (end - p < BW_IMAGE_TLV_HDR_SIZE) {
            snprintf(d->problem, sizeof(d->problem),
                     "%zu stray bytes at the "
                     "end of the %s TLV area",
                     end - p, what);
            return -1;
        }
        uint16_t type = get16(data + p), tlen = get16(data + p + 2);
        if (tlen > end - p - BW_IMAGE_TLV_HDR_SIZE) {
            snprintf(d->problem, sizeof(d->problem),
                     "the %s TLV at offset "
                     "%zu (type 0x%02x, %u bytes) runs past its area",
                     what, p, type, tlen);
            return -1;
        }
        if (a->n < DUMP_TLV_MAX) {
            dump_tlv_t *t = &a->tlv[a->n++];
            t->type = type;
            t->len = tlen;
            t->off = p + BW_IMAGE_TLV_HDR_SIZE;
        } else {
            a->more++;
        }
        p += BW_IMAGE_TLV_HDR_SIZE + (size_t)tlen;
    }
    return 0;
}

static void walk(dump_t *d, const uint8_t *data, size_t len)
{
    if (len < BW_IMAGE_HEADER_SIZE) {
        snprintf(d->problem, sizeof(d->problem),
                 "the file is %zu bytes, "
                 "shorter than the %u-byte header",
                 len, BW_IMAGE_HEADER_SIZE);
        return;
    }
    int err = bw_image_header_decode(data, &d->hdr);
    if (err != 0) {
        snprintf(d->problem, sizeof(d->problem),
                 "header: %s (%s; magic "
                 "0x%08lx)",
                 bw_strerror(err), bw_err_name(err),
                 (unsigned long)get32(data));
        return;
    }
    d->have_hdr = 1;
    size_t off = (size_t)d->hdr.hdr_size + d->hdr.img_size;
    if (off > len) {
        snprintf(d->problem, sizeof(d->problem),
                 "the header puts the end of "
                 "the payload at offset %zu, past the end of the %zu-byte "
                 "file",
                 off, len);
        return;
    }
    if (d->hdr.protect_tlv_size != 0) {
        if (walk_area(d, data, len, off, BW_IMAGE_TLV_PROT_INFO_MAGIC,
                      "protected", &d->prot) != 0)
            return;
        if (d->prot.tot != d->hdr.protect_tlv_size) {
            snprintf(d->problem, sizeof(d->problem),
                     "the protected TLV "
                     "area's tlv_tot %u differs from the header's "
                     "protect_tlv_size %u",
                     d->prot.tot, d->hdr.protect_tlv_size);
            return;
        }
        off += d->prot.tot;
    }
    if (walk_area(d, data, len, off, BW_IMAGE_TLV_INFO_MAGIC, "unprotected",
                  &d->unprot) != 0)
        return;
    d->image_end = off + d->unprot.tot;
    tool_trailer_read(data, len, d->image_end, 0xff, &d->trailer);
}

/* ---- JSON ---------------------------------------------------------- */

static void json_area(json_out_t *j, const uint8_t *data, const char *hkey,
                      const char *lkey, const dump_area_t *a)
{
    json_open(j, hkey, '{');
    if (a->present) {
        json_uint(j, "magic", a->magic);
        json_uint(j, "tlv_tot", a->tot);
    }
    json_close(j, '}');
    json_open(j, lkey, '[');
    for (unsigned i = 0; i < a->n; i++) {
        const dump_tlv_t *t = &a->tlv[i];
        char *hex = malloc(2u * t->len + 1u);
        json_open(j, NULL, '{');
        json_uint(j, "type", t->type);
        json_str(j, "type_name", tool_tlv_name(t->type));
        json_uint(j, "len", t->len);
        if (hex != NULL) {
            tool_hex(data + t->off, t->len, hex);
            json_str(j, "data", hex);
        }
        free(hex);
        json_close(j, '}');
    }
    json_close(j, ']');
}

static void dump_json(FILE *out, const char *name, const uint8_t *data,
                      const dump_t *d)
{
    json_out_t j;
    char text[64];
    json_init(&j, out);
    json_open(&j, NULL, '{');
    const char *base = strrchr(name, '/');
    json_str(&j, "filename", base ? base + 1 : name);
    json_open(&j, "header", '{');
    if (d->have_hdr) {
        json_uint(&j, "magic", BW_IMAGE_MAGIC);
        json_uint(&j, "load_addr", d->hdr.load_addr);
        json_uint(&j, "hdr_size", d->hdr.hdr_size);
        json_uint(&j, "protected_tlv_size", d->hdr.protect_tlv_size);
        json_uint(&j, "img_size", d->hdr.img_size);
        json_uint(&j, "flags", d->hdr.flags);
        tool_format_version(&d->hdr.version, text, sizeof(text));
        json_str(&j, "version", text);
    }
    json_close(&j, '}');
    json_open(&j, "tlv_area", '{');
    json_area(&j, data, "tlv_hdr_prot", "tlvs_prot", &d->prot);
    json_area(&j, data, "tlv_hdr", "tlvs", &d->unprot);
    json_close(&j, '}');
    json_open(&j, "trailer", '{');
    if (d->trailer.present) {
        tool_hex(d->trailer.magic, sizeof(d->trailer.magic), text);
        json_str(&j, "magic", text);
        json_uint(&j, "image_ok", d->trailer.image_ok);
        json_uint(&j, "copy_done", d->trailer.copy_done);
        json_uint(&j, "swap_info", d->trailer.swap_info);
        json_uint(&j, "swap_size", d->trailer.swap_size);
    }
    json_close(&j, '}');
    if (d->problem[0] != '\0')
        json_str(&j, "error", d->problem);
    json_close(&j, '}');
    json_end(&j);
}

/* ---- Text ---------------------------------------------------------- */

static void text_flags(FILE *out, uint32_t flags)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {BW_IMAGE_F_PIC, "PIC"},
        {BW_IMAGE_F_ENCRYPTED_AES128, "ENCRYPTED_AES128"},
        {BW_IMAGE_F_ENCRYPTED_AES256, "ENCRYPTED_AES256"},
        {BW_IMAGE_F_NON_BOOTABLE, "NON_BOOTABLE"},
        {BW_IMAGE_F_RAM_LOAD, "RAM_LOAD"},
        {BW_IMAGE_F_ROM_FIXED, "ROM_FIXED"},
        {BW_IMAGE_F_COMPRESSED_LZMA1, "COMPRESSED_LZMA1"},
        {BW_IMAGE_F_COMPRESSED_LZMA2, "COMPRESSED_LZMA2"},
    };
    const char *sep = " (";
    fprintf(out, "  flags             0x%08lx", (unsigned long)flags);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (flags & names[i].bit) {
            fprintf(out, "%s%s", sep, names[i].name);
            sep = ", ";
        }
    }
    fputs(sep[0] == ',' ? ")\n" : "\n", out);
}

static void text_area(FILE *out, const uint8_t *data, const char *what,
                      const dump_area_t *a)
{
    if (!a->present) {
        fprintf(out, "%s TLVs: none\n", what);
        return;
    }
    fprintf(out, "%s TLVs at offset %zu (magic 0x%04x, tlv_tot %u):\n", what,
            a->off, a->magic, a->tot);
    for (unsigned i = 0; i < a->n; i++) {
        const dump_tlv_t *t = &a->tlv[i];
        fprintf(out, "  0x%02x %-11s %3u bytes  ", t->type,
                tool_tlv_name(t->type), t->len);
        if (t->type == BW_IMAGE_TLV_SEC_CNT && t->len == 4) {
            uint32_t v = get32(data + t->off);
            fprintf(out, "%lu (0x%08lx)\n", (unsigned long)v, (unsigned long)v);
            continue;
        }
        if (t->type == BW_IMAGE_TLV_MODEL && printable(data + t->off, t->len)) {
            fprintf(out, "\"%.*s\"\n", (int)t->len,
                    (const char *)(data + t->off));
            continue;
        }
        for (unsigned k = 0; k < t->len; k++)
            fprintf(out, "%02x", data[t->off + k]);
        fputc('\n', out);
    }
    if (a->more)
        fprintf(out, "  ... and %u more\n", a->more);
}

static const char *flag_state(uint8_t v)
{
    return v == 0xff ? "unset" : v == 0x01 ? "set" : "other value";
}

static void text_trailer(FILE *out, size_t len, const dump_t *d)
{
    const tool_trailer_t *t = &d->trailer;
    if (d->image_end == 0)
        return;
    if (d->image_end == len) {
        fputs("trailer: none (the file ends with the TLVs)\n", out);
        return;
    }
    if (!t->present) {
        fprintf(out,
                "trailer: none (%zu bytes after the TLVs, too few for "
                "one)\n",
                len - d->image_end);
        return;
    }
    static const char *magic_text[] = {"good", "unset (erased)",
                                       "not MCUboot's"};
    char hex[2 * TOOL_TRAILER_MAGIC_LEN + 1];
    tool_hex(t->magic, sizeof(t->magic), hex);
    fprintf(out,
            "trailer (slot of %zu bytes, %zu after the TLVs, field size "
            "%lu):\n",
            len, len - d->image_end, (unsigned long)t->max_align);
    fprintf(out, "  magic             %s (%s)\n", magic_text[t->magic_state],
            hex);
    fprintf(out, "  image_ok          0x%02x (%s)\n", t->image_ok,
            flag_state(t->image_ok));
    fprintf(out, "  copy_done         0x%02x (%s)\n", t->copy_done,
            flag_state(t->copy_done));
    fprintf(out, "  swap_info         0x%02x\n", t->swap_info);
    fprintf(out, "  swap_size         0x%08lx\n", (unsigned long)t->swap_size);
}

static void dump_text(FILE *out, const char *name, const uint8_t *data,
                      size_t len, const dump_t *d)
{
    char ver[64];
    fprintf(out, "file: %s (%zu bytes)\n", name, len);
    if (d->have_hdr) {
        const bw_image_header_t *h = &d->hdr;
        tool_format_version(&h->version, ver, sizeof(ver));
        fputs("header:\n", out);
        fprintf(out, "  magic             0x%08lx\n",
                (unsigned long)BW_IMAGE_MAGIC);
        fprintf(out, "  load_addr         0x%08lx\n",
                (unsigned long)h->load_addr);
        fprintf(out, "  hdr_size          %u (0x%x)\n", h->hdr_size,
                h->hdr_size);
        fprintf(out, "  protect_tlv_size  %u\n", h->protect_tlv_size);
        fprintf(out, "  img_size          %lu (0x%lx)\n",
                (unsigned long)h->img_size, (unsigned long)h->img_size);
        text_flags(out, h->flags);
        fprintf(out, "  version           %s\n", ver);
        if (d->image_end != 0 || d->prot.present || d->unprot.present) {
            text_area(out, data, "protected", &d->prot);
            if (d->unprot.present)
                text_area(out, data, "unprotected", &d->unprot);
        }
        if (d->image_end != 0)
            fprintf(out, "image end: offset %zu\n", d->image_end);
        text_trailer(out, len, d);
    }
    if (d->problem[0] != '\0')
        fprintf(out, "problem: %s\n", d->problem);
}

int tool_image_dump(FILE *out, const char *name, const uint8_t *data,
                    size_t len, int json, tool_msg_t *m)
{
    dump_t *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return tool_err(m, TOOL_FAIL, "out of memory");
    walk(d, data, len);
    if (json)
        dump_json(out, name, data, d);
    else
        dump_text(out, name, data, len, d);
    int st = TOOL_OK;
    if (d->problem[0] != '\0')
        st = tool_err(m, TOOL_FAIL, "%s: %s", name, d->problem);
    free(d);
    return st;
}
