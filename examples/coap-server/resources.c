/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The demo server's resources: request dispatch, discovery, the block-wise
 * download (/big) and upload (/upload).  Observe lives in observe.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/coap_link.h"
#include "demo.h"

/* /big when no --file is given: 64 KiB of a fixed, non-repeating pattern. */
#define DEMO_PATTERN_LEN 65536u

/* Largest body /upload accepts (answered 4.13 above). */
#define DEMO_MAX_UPLOAD (4u * 1024u * 1024u)

/* Blocks the server prefers: 1024 bytes (SZX 6). */
#define DEMO_MAX_SZX 6

static int read_mem(void *arg, uint32_t offset, uint8_t *buf, size_t len,
                    size_t *got, int *more)
{
    const demo_body_t *b = arg;
    if (offset > b->len)
        return -1;
    size_t n = b->len - offset < len ? b->len - offset : len;
    memcpy(buf, b->data + offset, n);
    *got = n;
    *more = offset + n < b->len;
    return 0;
}

/* Upload sink: bytes land in memory, and in the file when one is set. */
static int write_upload(void *arg, uint32_t offset, const uint8_t *data,
                        size_t len)
{
    demo_t *d = arg;
    if (offset == 0)
        d->upload.len = 0;
    if (offset != d->upload.len || offset + len > DEMO_MAX_UPLOAD)
        return -1;
    if (offset + len > d->upload_cap) {
        size_t cap = d->upload_cap ? d->upload_cap : 4096;
        while (cap < offset + len)
            cap *= 2;
        uint8_t *p = realloc(d->upload.data, cap);
        if (p == NULL)
            return -1;
        d->upload.data = p;
        d->upload_cap = cap;
    }
    memcpy(d->upload.data + offset, data, len);
    d->upload.len = offset + len;
    return 0;
}

static int save_upload(demo_t *d)
{
    if (d->upload_path == NULL)
        return 0;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.part", d->upload_path);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL)
        return -1;
    int ok = fwrite(d->upload.data, 1, d->upload.len, f) == d->upload.len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, d->upload_path) != 0) {
        demo_log(d, "upload: cannot write %s: %s", d->upload_path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

int demo_resources_init(demo_t *d, const char *file)
{
    if (file == NULL) {
        d->big.data = malloc(DEMO_PATTERN_LEN);
        if (d->big.data == NULL)
            return -1;
        /* A pattern whose blocks all differ, so a misplaced block shows. */
        for (uint32_t i = 0; i < DEMO_PATTERN_LEN; i++)
            d->big.data[i] = (uint8_t)(i ^ (i >> 8) ^ (i >> 13) * 7);
        d->big.len = DEMO_PATTERN_LEN;
    } else {
        FILE *f = fopen(file, "rb");
        if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
            fprintf(stderr, "bulwark-coap-demo: %s: %s\n", file,
                    strerror(errno));
            if (f != NULL)
                fclose(f);
            return -1;
        }
        long n = ftell(f);
        rewind(f);
        if (n < 0 || (unsigned long)n > DEMO_MAX_UPLOAD) {
            fprintf(stderr, "bulwark-coap-demo: %s: larger than %u bytes\n",
                    file, DEMO_MAX_UPLOAD);
            fclose(f);
            return -1;
        }
        d->big.data = malloc(n > 0 ? (size_t)n : 1);
        if (d->big.data == NULL ||
            fread(d->big.data, 1, (size_t)n, f) != (size_t)n) {
            fprintf(stderr, "bulwark-coap-demo: %s: read failed\n", file);
            fclose(f);
            return -1;
        }
        fclose(f);
        d->big.len = (size_t)n;
    }
    bw_coap_block1_server_init(&d->upload_rx, DEMO_MAX_SZX, DEMO_MAX_UPLOAD,
                               write_upload, d);
    return 0;
}

void demo_resources_free(demo_t *d)
{
    free(d->big.data);
    free(d->upload.data);
}

/* Does the request's Uri-Path equal path ("a/b", no leading slash)? */
static int path_is(const bw_coap_msg_t *m, const char *path)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    const char *p = path; /* NULL once every segment of path matched */
    bw_coap_opt_iter_init(&it, m);
    while (bw_coap_opt_next(&it, &o)) {
        if (o.number != BW_COAP_OPT_URI_PATH)
            continue;
        if (p == NULL)
            return 0;
        size_t seg = strcspn(p, "/");
        if (seg != o.len || memcmp(p, o.value, seg) != 0)
            return 0;
        p = p[seg] == '/' ? p + seg + 1 : NULL;
    }
    return p == NULL;
}

void demo_reply_start(bw_coap_writer_t *w, uint8_t *buf, size_t cap,
                      const bw_coap_endpoint_event_t *req, uint8_t code)
{
    bw_coap_writer_init(w, buf, cap, BW_COAP_ACK, code, 0, req->token,
                        req->token_len);
}

void demo_reply_send(demo_t *d, bw_coap_writer_t *w,
                     const bw_coap_endpoint_event_t *req, uint64_t now)
{
    size_t len;
    int err = bw_coap_writer_finish(w, &len);
    if (err == 0)
        err = bw_coap_endpoint_respond(&d->ep, now, req, w->buf, len);
    if (err != 0) {
        demo_log(d, "cannot answer request %u: %s", req->mid,
                 bw_strerror(err));
        return;
    }
    demo_transmit(d, &req->peer, w->buf, len);
}

static void reply_code(demo_t *d, const bw_coap_endpoint_event_t *req,
                       uint8_t code, uint64_t now)
{
    uint8_t buf[64];
    bw_coap_writer_t w;
    demo_reply_start(&w, buf, sizeof buf, req, code);
    demo_reply_send(d, &w, req, now);
}

static void get_core(demo_t *d, const bw_coap_endpoint_event_t *req,
                     uint64_t now)
{
    char links[256];
    size_t n;
    bw_coap_link_writer_t lw;
    bw_coap_link_writer_init(&lw, links, sizeof links);
    bw_coap_link_writer_link(&lw, "/big", 4);
    bw_coap_link_writer_uint(&lw, "ct", BW_COAP_FMT_OPAQUE);
    bw_coap_link_writer_uint(&lw, "sz", (uint32_t)d->big.len);
    bw_coap_link_writer_link(&lw, "/upload", 7);
    bw_coap_link_writer_uint(&lw, "ct", BW_COAP_FMT_OPAQUE);
    bw_coap_link_writer_link(&lw, "/counter", 8);
    bw_coap_link_writer_flag(&lw, "obs");
    bw_coap_link_writer_uint(&lw, "ct", BW_COAP_FMT_TEXT);
    if (bw_coap_link_writer_finish(&lw, &n) != 0) {
        reply_code(d, req, BW_COAP_INTERNAL_ERROR, now);
        return;
    }
    uint8_t buf[DEMO_MAX_DATAGRAM];
    bw_coap_writer_t w;
    demo_reply_start(&w, buf, sizeof buf, req, BW_COAP_CONTENT);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, BW_COAP_FMT_LINK);
    bw_coap_writer_payload(&w, links, n);
    demo_reply_send(d, &w, req, now);
}

/* GET of a body held in memory, block by block (Block2). */
static void get_body(demo_t *d, const bw_coap_endpoint_event_t *req,
                     demo_body_t *body, uint64_t now)
{
    bw_coap_block2_server_t srv;
    uint8_t buf[DEMO_MAX_DATAGRAM], scratch[BW_COAP_BLOCK_MAX_SIZE];
    bw_coap_writer_t w;

    bw_coap_block2_server_init(&srv, DEMO_MAX_SZX, (uint32_t)body->len,
                               read_mem, body);
    demo_reply_start(&w, buf, sizeof buf, req, BW_COAP_CONTENT);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT,
                            BW_COAP_FMT_OPAQUE);
    int err = bw_coap_block2_server_respond(&srv, &req->msg, &w, scratch,
                                            sizeof scratch);
    if (err == BW_EABORTED || err == BW_EINVAL) {
        reply_code(d, req, BW_COAP_INTERNAL_ERROR, now);
        return;
    }
    if (err != 0) {
        demo_log(d, "GET: bad Block2: %s", bw_strerror(err));
        reply_code(d, req, BW_COAP_BAD_OPTION, now);
        return;
    }
    demo_reply_send(d, &w, req, now);
}

static void put_upload(demo_t *d, const bw_coap_endpoint_event_t *req,
                       uint64_t now)
{
    bw_coap_block1_reply_t r;
    int err = bw_coap_block1_server_receive(&d->upload_rx, &req->msg, &r);
    if (err == BW_EINVAL) {
        reply_code(d, req, BW_COAP_INTERNAL_ERROR, now);
        return;
    }
    uint8_t code = r.code;
    if (err == 0 && code == 0) {
        code = save_upload(d) == 0 ? BW_COAP_CHANGED : BW_COAP_INTERNAL_ERROR;
        demo_log(d, "upload: %zu bytes complete", d->upload.len);
    } else if (err != 0) {
        demo_log(d, "upload: %s, answering %u.%02u", bw_strerror(err),
                 BW_COAP_CODE_CLASS(code), BW_COAP_CODE_DETAIL(code));
    }
    uint8_t buf[64];
    bw_coap_writer_t w;
    demo_reply_start(&w, buf, sizeof buf, req, code);
    bw_coap_block1_reply_add(&r, &w);
    demo_reply_send(d, &w, req, now);
}

void demo_handle_request(demo_t *d, const bw_coap_endpoint_event_t *req,
                         uint64_t now)
{
    static const uint16_t known[] = {
        BW_COAP_OPT_URI_PATH,   BW_COAP_OPT_URI_HOST, BW_COAP_OPT_URI_PORT,
        BW_COAP_OPT_URI_QUERY,  BW_COAP_OPT_BLOCK1,   BW_COAP_OPT_BLOCK2,
        BW_COAP_OPT_IF_MATCH,   BW_COAP_OPT_IF_NONE_MATCH, BW_COAP_OPT_ACCEPT,
    };
    const bw_coap_msg_t *m = &req->msg;
    uint16_t bad;

    if (bw_coap_check_critical(m, known, sizeof known / sizeof known[0],
                               &bad) != 0) {
        demo_log(d, "request with unknown critical option %u", bad);
        reply_code(d, req, BW_COAP_BAD_OPTION, now);
        return;
    }
    if (path_is(m, ".well-known/core")) {
        if (m->code == BW_COAP_GET)
            get_core(d, req, now);
        else
            reply_code(d, req, BW_COAP_METHOD_NOT_ALLOWED, now);
    } else if (path_is(m, "big")) {
        if (m->code == BW_COAP_GET)
            get_body(d, req, &d->big, now);
        else
            reply_code(d, req, BW_COAP_METHOD_NOT_ALLOWED, now);
    } else if (path_is(m, "upload")) {
        if (m->code == BW_COAP_PUT)
            put_upload(d, req, now);
        else if (m->code == BW_COAP_GET)
            get_body(d, req, &d->upload, now);
        else
            reply_code(d, req, BW_COAP_METHOD_NOT_ALLOWED, now);
    } else if (path_is(m, "counter")) {
        if (m->code == BW_COAP_GET)
            demo_observe_get(d, req, now);
        else
            reply_code(d, req, BW_COAP_METHOD_NOT_ALLOWED, now);
    } else {
        reply_code(d, req, BW_COAP_NOT_FOUND, now);
    }
}
