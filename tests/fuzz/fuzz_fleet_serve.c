/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the firmware repository's CoAP handler (GET /fw/<id>,
 * server/fleet/fw_serve.c), the code every device on the DM port reaches.
 *
 * Input: byte 0 says whether the requester is a known device (bit 0) and
 * how much room the answer gets (bits 1-2: the minimum, or more); the rest
 * is one datagram.  A real store in a temporary directory holds two
 * images under fixed ids (00112233aabbccdd: 3000 bytes, 2 full blocks and
 * a partial one; 0123456789abcdef: 1 byte), so seeds can name them.
 *
 * What must hold: no crash or sanitizer report; every answer fits the
 * room given, parses as CoAP, echoes the token, is a response (class 2,
 * 4 or 5), and a 2.05 carries the 8-byte ETag of the id and a payload of
 * at most 1024 bytes that equals the image's bytes at the block's offset.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulwark/coap_block.h"
#include "db_fw.h"
#include "fw_repo.h"

static char dir[64];
static bw_db_t *db;
static bw_fwrepo_t *repo;
static uint8_t big[3000], one[1] = {0x42};

static void cleanup(void)
{
    bw_fwrepo_free(repo);
    bw_db_close(db);
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            (void)unlink(p);
        }
        closedir(d);
    }
    (void)rmdir(dir);
}

static void add(const char *id, const uint8_t *img, size_t len, uint8_t tag)
{
    bw_db_fw_t fw;
    memset(&fw, 0, sizeof fw);
    snprintf(fw.id, sizeof fw.id, "%s", id);
    snprintf(fw.model, sizeof fw.model, "fuzz");
    snprintf(fw.version, sizeof fw.version, "1.0.%u+0", tag);
    snprintf(fw.uploaded_by, sizeof fw.uploaded_by, "fuzz");
    fw.security_counter = tag;
    fw.size = (uint32_t)len;
    fw.sha256[0] = tag;
    if (bw_db_fw_add(db, &fw, img, len, NULL) != 0)
        abort();
}

static void init(void)
{
    snprintf(dir, sizeof dir, "/tmp/bw-fuzz-fleet-XXXXXX");
    if (mkdtemp(dir) == NULL)
        abort();
    char key[128], path[128];
    snprintf(key, sizeof key, "%s/master.key", dir);
    snprintf(path, sizeof path, "%s/bulwark.db", dir);
    bw_db_config_t c = {.path = path, .master_key_file = key};
    if (bw_db_master_key_create(key) != 0 || bw_db_open(&c, &db, NULL, 0) != 0)
        abort();
    atexit(cleanup);
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7 + 3);
    add("00112233aabbccdd", big, sizeof big, 1);
    add("0123456789abcdef", one, sizeof one, 2);
    bw_fwrepo_config_t rc = {.db = db};
    if (bw_fwrepo_new(&rc, &repo) != 0)
        abort();
}

static void check_ok(const bw_coap_msg_t *a)
{
    bw_coap_opt_t etag;
    if (bw_coap_opt_find(a, BW_COAP_OPT_ETAG, &etag) != 0 || etag.len != 8)
        abort();
    static const uint8_t e1[8] = {0x00, 0x11, 0x22, 0x33,
                                  0xaa, 0xbb, 0xcc, 0xdd};
    const uint8_t *img = memcmp(etag.value, e1, 8) == 0 ? big : one;
    size_t len = img == big ? sizeof big : sizeof one;
    bw_coap_block_t b;
    if (bw_coap_block_get(a, BW_COAP_OPT_BLOCK2, &b) != 0)
        abort();
    size_t off = (size_t)b.num << (b.szx + 4);
    if (a->payload_len > 1024 || off > len || a->payload_len > len - off ||
        (a->payload_len > 0 && memcmp(a->payload, img + off, a->payload_len)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (repo == NULL)
        init();
    if (size < 1)
        return 0;
    bw_coap_msg_t m;
    if (bw_coap_parse(&m, data + 1, size - 1) != 0 || m.code == 0 ||
        BW_COAP_CODE_CLASS(m.code) != 0)
        return 0; /* the LwM2M layer passes requests only */
    static const size_t caps[] = {BW_FWREPO_RESPONSE_MIN,
                                  BW_FWREPO_RESPONSE_MIN + 1, 1280, 1500};
    size_t cap = caps[(data[0] >> 1) & 3];
    uint8_t *out = malloc(cap); /* exact size: ASan sees any overrun */
    if (out == NULL)
        return 0;
    size_t n = bw_fwrepo_coap(repo, &m, data[0] & 1, out, cap);
    if (n > cap)
        abort();
    if (n > 0) {
        bw_coap_msg_t a;
        uint8_t cls;
        if (bw_coap_parse(&a, out, n) != 0 || a.token_len != m.token_len ||
            memcmp(a.token, m.token, m.token_len) != 0)
            abort();
        cls = BW_COAP_CODE_CLASS(a.code);
        if (cls != 2 && cls != 4 && cls != 5)
            abort();
        if (a.code == BW_COAP_CODE(2, 5))
            check_ok(&a);
    }
    free(out);
    return 0;
}
