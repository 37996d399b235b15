/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Serving images to devices: GET /fw/<id> on the DM server's DTLS port
 * (contract in fw_repo.h, the protocol in docs/firmware.md).
 *
 * Each request names its block (RFC 7959 2.4), so serving is stateless:
 * find the image (cache, else the store, then cached), copy one block
 * into the answer under the cache's shared lock, done.  The checks, in
 * order, each with its own answer:
 *
 *   path does not start with "fw"               not ours: 0 (the LwM2M
 *                                               layer answers 4.04)
 *   requester not a known device                4.03 Forbidden
 *   method other than GET                       4.05 Method Not Allowed
 *   path not exactly fw/<16 lowercase hex>      4.04 Not Found
 *   unknown critical option                     4.02 Bad Option
 *   Accept other than 42                        4.06 Not Acceptable
 *   no such image                               4.04 Not Found
 *   Block2 malformed or past the end            4.02 Bad Option
 *   the store failed                            5.00
 *
 * A 2.05 carries ETag (the id's 8 bytes) on every block, Content-Format
 * 42, Block2 and, on block 0 or when asked, Size2.
 */
#include <stdlib.h>
#include <string.h>

#include "bulwark/coap_block.h"
#include "fw_repo_int.h"

/* A diagnostic payload is one short phrase. */
#define DIAG_MAX 64

typedef struct {
    const bw_coap_msg_t *req;
    uint8_t *out;
    size_t cap;
    uint16_t mid;
    size_t len; /* the answer's length, 0 until built */
} answer_t;

/* The Uri-Path segments (up to 3); 1 when the first is "fw". */
static int fw_path(const bw_coap_msg_t *req, bw_coap_opt_t seg[3], size_t *n)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    *n = 0;
    bw_coap_opt_iter_init(&it, req);
    while (bw_coap_opt_next(&it, &o))
        if (o.number == BW_COAP_OPT_URI_PATH) {
            if (*n < 3)
                seg[*n] = o;
            ++*n;
        }
    return *n >= 1 && seg[0].len == 2 && memcmp(seg[0].value, "fw", 2) == 0;
}

static void header(answer_t *a, bw_coap_writer_t *w, uint8_t code)
{
    int con = a->req->type == BW_COAP_CON;
    bw_coap_writer_init(w, a->out, a->cap, con ? BW_COAP_ACK : BW_COAP_NON,
                        code, con ? a->req->mid : a->mid, a->req->token,
                        a->req->token_len);
}

/* An answer without a body: code and a diagnostic phrase (RFC 7252
 * 5.5.2). */
static size_t plain(answer_t *a, uint8_t code, const char *diag)
{
    bw_coap_writer_t w;
    header(a, &w, code);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, BW_COAP_FMT_TEXT);
    bw_coap_writer_payload(&w, diag, strnlen(diag, DIAG_MAX));
    size_t len = 0;
    return bw_coap_writer_finish(&w, &len) == 0 ? len : 0;
}

typedef struct {
    const uint8_t *data;
    size_t len;
} body_t;

static int body_read(void *arg, uint32_t off, uint8_t *buf, size_t len,
                     size_t *got, int *more)
{
    const body_t *b = arg;
    if ((size_t)off > b->len || len > b->len - off)
        return 1; /* never asked past the end with a known total */
    memcpy(buf, b->data + off, len);
    *got = len;
    *more = (size_t)off + len < b->len;
    return 0;
}

/* One block of data into the answer (cache_with's callback). */
static int block(void *arg, const uint8_t *data, size_t len,
                 const uint8_t *etag)
{
    answer_t *a = arg;
    body_t b = {data, len};
    bw_coap_block2_server_t s;
    uint8_t scratch[BW_COAP_BLOCK_MAX_SIZE];
    bw_coap_writer_t w;
    header(a, &w, BW_COAP_CODE(2, 5));
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_ETAG, etag, BW_DB_FW_ID_LEN / 2);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, BW_COAP_FMT_OPAQUE);
    int err = bw_coap_block2_server_init(&s, BW_FWREPO_BLOCK_SZX, (uint32_t)len,
                                         body_read, &b);
    if (err == 0)
        err = bw_coap_block2_server_respond(&s, a->req, &w, scratch,
                                            sizeof scratch);
    size_t n = 0;
    if (err == 0 && bw_coap_writer_finish(&w, &n) == 0) {
        a->len = n;
        return 0;
    }
    if (err == BW_ERANGE || err == BW_EBLOCK || err == BW_EOVERFLOW)
        a->len = plain(a, BW_COAP_CODE(4, 2), "no such block");
    else
        a->len = plain(a, BW_COAP_CODE(5, 0), "cannot build the block");
    return 0;
}

size_t bw_fwrepo_coap(bw_fwrepo_t *r, const bw_coap_msg_t *req,
                      int known_device, uint8_t *out, size_t cap)
{
    bw_coap_opt_t seg[3];
    size_t n;
    if (r == NULL || req == NULL || out == NULL ||
        cap < BW_FWREPO_RESPONSE_MIN || !fw_path(req, seg, &n))
        return 0;
    answer_t a = {.req = req, .out = out, .cap = cap};
    if (req->type != BW_COAP_CON)
        a.mid = (uint16_t)atomic_fetch_add_explicit(&r->next_mid, 1,
                                                    memory_order_relaxed);
    if (!known_device)
        return plain(&a, BW_COAP_CODE(4, 3), "not a known device");
    if (req->code != BW_COAP_GET)
        return plain(&a, BW_COAP_CODE(4, 5), "GET only");
    char id[BW_DB_FW_ID_LEN + 1];
    if (n != 2 || !bw_fwrepo__id_valid((const char *)seg[1].value, seg[1].len))
        return plain(&a, BW_COAP_CODE(4, 4), "no such firmware");
    memcpy(id, seg[1].value, BW_DB_FW_ID_LEN);
    id[BW_DB_FW_ID_LEN] = '\0';
    static const uint16_t known[] = {BW_COAP_OPT_URI_HOST, BW_COAP_OPT_URI_PORT,
                                     BW_COAP_OPT_URI_PATH, BW_COAP_OPT_ACCEPT,
                                     BW_COAP_OPT_BLOCK2};
    if (bw_coap_check_critical(req, known, sizeof known / sizeof known[0],
                               NULL) != 0)
        return plain(&a, BW_COAP_CODE(4, 2), "unknown critical option");
    uint32_t accept = 0;
    int has_accept = bw_coap_msg_uint(req, BW_COAP_OPT_ACCEPT, &accept);
    if (has_accept != BW_ENOTFOUND &&
        (has_accept != 0 || accept != BW_COAP_FMT_OPAQUE))
        return plain(&a, BW_COAP_CODE(4, 6), "application/octet-stream only");

    if (bw_fwrepo__cache_with(r, id, block, &a) == 0)
        return a.len;
    uint8_t *data = NULL;
    size_t len = 0;
    int err = bw_db_fw_image(r->db, id, &data, &len);
    if (err == BW_ENOTFOUND)
        return plain(&a, BW_COAP_CODE(4, 4), "no such firmware");
    if (err != 0)
        return plain(&a, BW_COAP_CODE(5, 0), "storage");
    uint8_t etag[BW_DB_FW_ID_LEN / 2];
    bw_fwrepo__id_bytes(id, etag);
    (void)block(&a, data, len, etag);
    bw_fwrepo__cache_put(r, id, data, len); /* takes data */
    return a.len;
}

size_t bw_fwrepo_resource(void *arg, const bw_dtls_peer_info_t *peer,
                          const bw_coap_msg_t *req, uint8_t *out, size_t cap)
{
    bw_fwrepo_t *r = arg;
    bw_coap_opt_t seg[3];
    size_t n;
    if (r == NULL || peer == NULL || req == NULL || !fw_path(req, seg, &n))
        return 0;
    /* Any device with a usable DM credential may fetch any image. */
    char ep[BW_DB_ENDPOINT_MAX + 1];
    bw_db_cred_state_t st;
    int known =
        peer->identity != NULL &&
        bw_db_identity_lookup(r->db, peer->identity, peer->identity_len,
                              BW_DB_PURPOSE_DM, ep, sizeof ep, &st) == 0;
    return bw_fwrepo_coap(r, req, known, out, cap);
}
