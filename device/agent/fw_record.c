/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a firmware download and an update leave in the state directory,
 * so a restart (a crash, kill -9, a power cut, the reboot into a new
 * image) knows where it was.  Both items are written with the key
 * store's put(): temporary file, fsync, rename, fsync of the directory,
 * so a crash leaves the old record or the new one.
 *
 *   fw/download  one "name=value" per line:
 *                  uri=coap://host:port/fw/0123456789abcdef
 *                  etag=0123456789abcdef     (hex, 1..8 bytes; absent
 *                                             before the first answer)
 *                  offset=16384              (bytes written and safe)
 *                  size=1048576              (Size2, 0 unknown)
 *                  done=1                    (complete and verified)
 *                  result=8                  (done: Update Result shown)
 *                  name=bulwark-sim          (done: /5/0/6)
 *                  version=2.0.0+0           (done: /5/0/7)
 *   fw/update    "target=2.0.0+0": Execute Update ran for that version.
 *
 * The records are our own, but a damaged file must not be trusted: each
 * line is checked (known name, bounded value, digits only where a number
 * belongs); anything else makes the record BW_EMALFORMED and it is
 * dropped (the download starts over, which is always safe).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

/* Largest record: every line at its longest. */
#define REC_MAX 640u

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* A decimal u32, the whole value. */
static int dec(const char *v, size_t n, uint32_t *out)
{
    uint64_t x = 0;
    if (n == 0 || n > 10)
        return BW_EMALFORMED;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return BW_EMALFORMED;
        x = x * 10u + (uint64_t)(v[i] - '0');
    }
    if (x > UINT32_MAX)
        return BW_EMALFORMED;
    *out = (uint32_t)x;
    return 0;
}

/* Printable text without spaces into dst (cap includes the NUL). */
static int text(const char *v, size_t n, char *dst, size_t cap)
{
    if (n >= cap)
        return BW_EMALFORMED;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e)
            return BW_EMALFORMED;
    memcpy(dst, v, n);
    dst[n] = '\0';
    return 0;
}

static int field(agent_fw_dl_rec_t *r, const char *k, size_t kn, const char *v,
                 size_t vn)
{
    uint32_t x;
#define IS(name) (kn == sizeof(name) - 1 && memcmp(k, name, kn) == 0)
    if (IS("uri"))
        return text(v, vn, r->uri, sizeof r->uri);
    if (IS("etag")) {
        if (vn == 0 || vn % 2 != 0 || vn / 2 > sizeof r->etag)
            return BW_EMALFORMED;
        for (size_t i = 0; i < vn / 2; i++) {
            int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return BW_EMALFORMED;
            r->etag[i] = (uint8_t)(hi << 4 | lo);
        }
        r->etag_len = (uint8_t)(vn / 2);
        return 0;
    }
    if (IS("offset"))
        return dec(v, vn, &r->offset);
    if (IS("size"))
        return dec(v, vn, &r->size);
    if (IS("done") || IS("result")) {
        int err = dec(v, vn, &x);
        if (err != 0 || x > (IS("done") ? 1u : 9u))
            return BW_EMALFORMED;
        if (IS("done"))
            r->done = (int)x;
        else
            r->result = (int)x;
        return 0;
    }
    if (IS("name"))
        return text(v, vn, r->name, sizeof r->name);
    if (IS("version"))
        return text(v, vn, r->version, sizeof r->version);
#undef IS
    return BW_EMALFORMED;
}

int agent_fw_rec_parse(const char *s, size_t len, agent_fw_dl_rec_t *r)
{
    memset(r, 0, sizeof *r);
    size_t i = 0;
    while (i < len) {
        const char *line = s + i;
        const char *nl = memchr(line, '\n', len - i);
        if (nl == NULL)
            goto bad; /* every line ends with '\n' */
        size_t n = (size_t)(nl - line);
        const char *eq = memchr(line, '=', n);
        if (eq == NULL || eq == line)
            goto bad;
        size_t kn = (size_t)(eq - line);
        if (field(r, line, kn, eq + 1, n - kn - 1) != 0)
            goto bad;
        i += n + 1;
    }
    if (r->uri[0] == '\0' || (r->done && r->version[0] == '\0'))
        goto bad;
    return 0;
bad:
    memset(r, 0, sizeof *r);
    return BW_EMALFORMED;
}

int agent_fw_rec_save(agent_dev_t *d, const agent_fw_dl_rec_t *r)
{
    char buf[REC_MAX], etag[2 * BW_COAP_BLOCK_MAX_ETAG_LEN + 1];
    for (size_t i = 0; i < r->etag_len; i++)
        snprintf(etag + 2 * i, 3, "%02x", r->etag[i]);
    etag[2 * r->etag_len] = '\0';
    int n =
        snprintf(buf, sizeof buf, "uri=%s\n%s%s%soffset=%u\nsize=%u\n", r->uri,
                 r->etag_len ? "etag=" : "", etag, r->etag_len ? "\n" : "",
                 (unsigned)r->offset, (unsigned)r->size);
    if (n > 0 && r->done)
        n += snprintf(buf + n, sizeof buf - (size_t)n,
                      "done=1\nresult=%d\nname=%s\nversion=%s\n", r->result,
                      r->name, r->version);
    if (n <= 0 || (size_t)n >= sizeof buf)
        return BW_ENOSPC;
    int err = bw_posix_keystore_put(&d->state, AGENT_FW_ITEM_DOWNLOAD,
                                    (const uint8_t *)buf, (size_t)n);
    if (err != 0)
        agent_log(d, "saving the download record failed: %s", bw_strerror(err));
    return err;
}

int agent_fw_rec_load(agent_dev_t *d, agent_fw_dl_rec_t *r)
{
    char buf[REC_MAX];
    size_t len = 0;
    memset(r, 0, sizeof *r);
    int err = bw_posix_keystore_get(&d->state, AGENT_FW_ITEM_DOWNLOAD,
                                    (uint8_t *)buf, sizeof buf, &len);
    if (err == BW_ENOTFOUND)
        return err;
    if (err == 0)
        err = agent_fw_rec_parse(buf, len, r);
    if (err != 0) {
        agent_log(d, "the download record does not read back (%s): dropped",
                  bw_strerror(err));
        agent_fw_rec_drop(d);
        return BW_EMALFORMED;
    }
    return 0;
}

void agent_fw_rec_drop(agent_dev_t *d)
{
    int err = bw_posix_keystore_erase(&d->state, AGENT_FW_ITEM_DOWNLOAD);
    if (err != 0 && err != BW_ENOTFOUND)
        agent_log(d, "erasing the download record failed: %s",
                  bw_strerror(err));
}

int agent_fw_update_save(agent_dev_t *d, const char *target)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "target=%s\n", target);
    if (n <= 0 || (size_t)n >= sizeof buf)
        return BW_ENOSPC;
    return bw_posix_keystore_put(&d->state, AGENT_FW_ITEM_UPDATE,
                                 (const uint8_t *)buf, (size_t)n);
}

int agent_fw_update_load(agent_dev_t *d, char *target, size_t cap)
{
    char buf[64];
    size_t len = 0;
    target[0] = '\0';
    int err = bw_posix_keystore_get(&d->state, AGENT_FW_ITEM_UPDATE,
                                    (uint8_t *)buf, sizeof buf, &len);
    if (err != 0)
        return err == BW_ENOSPC ? BW_EMALFORMED : err;
    if (len < 9 || memcmp(buf, "target=", 7) != 0 || buf[len - 1] != '\n' ||
        text(buf + 7, len - 8, target, cap) != 0) {
        target[0] = '\0';
        return BW_EMALFORMED;
    }
    return 0;
}

void agent_fw_update_drop(agent_dev_t *d)
{
    int err = bw_posix_keystore_erase(&d->state, AGENT_FW_ITEM_UPDATE);
    if (err != 0 && err != BW_ENOTFOUND)
        agent_log(d, "erasing the update record failed: %s", bw_strerror(err));
}
