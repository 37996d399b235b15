/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The content formats of the request handler as codecs, and the two
 * configurations the library offers (bw_lwm2m_dm_full, bw_lwm2m_dm_min).
 *
 * Each codec pairs a format's decoder (lwm2m_tlv.c, lwm2m_senml_*_read.c,
 * lwm2m_text.c, lwm2m_opaque.c) with the way a Read payload is built from
 * records (the walk itself is lwm2m_dm_read.c's):
 *   TLV         one top-level TLV at a time: under /O an object instance,
 *               under /O/I one resource; the bytes are those the TLV
 *               writer gives for the whole payload, as top-level TLVs
 *               are independent;
 *   SenML JSON  "[" record "," record ... "]", each record written with
 *               its full name ({"n":"/3/0/0","vs":"x"}; no bn);
 *   SenML CBOR  the array head, then each record's map: the count comes
 *               from a first pass over the same walk;
 *   text, opaque one value.
 *
 * The handler reaches a codec only through its configuration's table:
 * a format no table lists is dropped by the linker.
 */
#include "bw_mem.h"
#include "lwm2m_int.h"
#include "lwm2m_senml_int.h"

const bw_lwm2m_codec_t *bw_lwm2m__codec(const bw_lwm2m_dm_t *dm,
                                        uint32_t format)
{
    for (size_t i = 0; i < BW_LWM2M_DM_MAX_CODECS; i++) {
        const bw_lwm2m_codec_t *k = dm->cfg->codecs[i];
        if (k != NULL && k->format == format)
            return k;
    }
    return NULL;
}

/* ---- TLV ---- */

static int tlv_finish(bw_lwm2m__enc_t *e)
{
    size_t len;
    if (!e->open)
        return 0;
    e->open = 0;
    int err = bw_lwm2m_tlv_finish(&e->w.tlv, &len);
    if (err == 0)
        bw_lwm2m__gen_put(e->g, e->chunk, len);
    return err;
}

static int tlv_put(bw_lwm2m__enc_t *e, const bw_lwm2m_record_t *rec)
{
    bw_lwm2m__gen_t *g = e->g;
    int err = 0;
    uint16_t key = g->path.depth <= BW_LWM2M_DEPTH_INSTANCE
                       ? rec->path.id[g->path.depth]
                       : 0;
    if (e->open && key != e->group)
        err = tlv_finish(e);
    if (err == 0 && !e->open) {
        bw_lwm2m_tlv_begin(&e->w.tlv, e->chunk, e->chunk_cap, &g->path);
        e->open = 1;
        e->group = key;
    }
    bw_lwm2m_tlv_add(&e->w.tlv, rec);
    return err;
}

const bw_lwm2m_codec_t bw_lwm2m_codec_tlv = {
    BW_COAP_FMT_LWM2M_TLV, 0, bw_lwm2m_tlv_decode, tlv_put, tlv_finish,
};

/* ---- SenML CBOR ---- */

static int cbor_put(bw_lwm2m__enc_t *e, const bw_lwm2m_record_t *rec)
{
    size_t len;
    int err = bw_lwm2m__senml_cbor_record(rec, e->chunk, e->chunk_cap, &len);
    if (err == 0)
        bw_lwm2m__gen_put(e->g, e->chunk, len);
    return err;
}

const bw_lwm2m_codec_t bw_lwm2m_codec_senml_cbor = {
    BW_COAP_FMT_SENML_CBOR,
    BW_LWM2M__CODEC_COUNT,
    bw_lwm2m_senml_cbor_decode,
    cbor_put,
    NULL,
};

/* ---- SenML JSON ---- */

static int json_put(bw_lwm2m__enc_t *e, const bw_lwm2m_record_t *rec)
{
    const bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    size_t len = 0;
    bw_lwm2m_senml_json_begin(&e->w.json, e->chunk, e->chunk_cap, &root);
    bw_lwm2m_senml_json_add(&e->w.json, rec);
    int err = bw_lwm2m_senml_json_finish(&e->w.json, &len);
    if (err == 0 && len >= 2) { /* "[" record "]" */
        bw_lwm2m__gen_put(e->g, e->n == 0 ? "[" : ",", 1);
        bw_lwm2m__gen_put(e->g, e->chunk + 1, len - 2);
    }
    return err;
}

static int json_finish(bw_lwm2m__enc_t *e)
{
    bw_lwm2m__gen_put(e->g, e->n == 0 ? "[]" : "]", e->n == 0 ? 2 : 1);
    return 0;
}

const bw_lwm2m_codec_t bw_lwm2m_codec_senml_json = {
    BW_COAP_FMT_SENML_JSON,
    0,
    bw_lwm2m_senml_json_decode,
    json_put,
    json_finish,
};

/* ---- text/plain and octet-stream: one value ---- */

static int one_finish(bw_lwm2m__enc_t *e)
{
    return e->n == 0 ? BW_ENOTFOUND : 0;
}

static int text_put(bw_lwm2m__enc_t *e, const bw_lwm2m_record_t *rec)
{
    size_t len = 0;
    bw_lwm2m_text_begin(&e->w.text, e->chunk, e->chunk_cap, &e->g->path);
    bw_lwm2m_text_add(&e->w.text, rec);
    int err = bw_lwm2m_text_finish(&e->w.text, &len);
    if (err == 0)
        bw_lwm2m__gen_put(e->g, e->chunk, len);
    return err;
}

const bw_lwm2m_codec_t bw_lwm2m_codec_text = {
    BW_COAP_FMT_TEXT, BW_LWM2M__CODEC_SINGLE, bw_lwm2m_text_decode, text_put,
    one_finish,
};

static int opaque_put(bw_lwm2m__enc_t *e, const bw_lwm2m_record_t *rec)
{
    size_t len = 0;
    bw_lwm2m_opaque_begin(&e->w.text, e->chunk, e->chunk_cap, &e->g->path);
    bw_lwm2m_opaque_add(&e->w.text, rec);
    int err = bw_lwm2m_opaque_finish(&e->w.text, &len);
    if (err == 0)
        bw_lwm2m__gen_put(e->g, e->chunk, len);
    return err;
}

const bw_lwm2m_codec_t bw_lwm2m_codec_opaque = {
    BW_COAP_FMT_OPAQUE,
    BW_LWM2M__CODEC_SINGLE | BW_LWM2M__CODEC_OPAQUE,
    bw_lwm2m_opaque_decode,
    opaque_put,
    one_finish,
};

/* ---- configurations ---- */

const bw_lwm2m_dm_config_t bw_lwm2m_dm_full = {
    {&bw_lwm2m_codec_tlv, &bw_lwm2m_codec_senml_cbor,
     &bw_lwm2m_codec_senml_json, &bw_lwm2m_codec_text, &bw_lwm2m_codec_opaque},
    &bw_lwm2m_feature_discover,
    &bw_lwm2m_feature_write_attrs,
    &bw_lwm2m_feature_block1,
};

/* No text/plain: its exact decimal <-> double conversions and base64
 * (lwm2m_number.c, lwm2m_text_number.c, lwm2m_base64.c; integer code, no
 * soft-float) are about 4.4 KiB of a Cortex-M4 image; a server reads one
 * value in TLV or SenML CBOR as well (docs/performance.md). */
const bw_lwm2m_dm_config_t bw_lwm2m_dm_min = {
    {&bw_lwm2m_codec_tlv, &bw_lwm2m_codec_senml_cbor, &bw_lwm2m_codec_opaque,
     NULL, NULL},
    NULL,
    NULL,
    NULL,
};

int bw_lwm2m_dm_init_with(bw_lwm2m_dm_t *dm, const bw_lwm2m_dm_config_t *cfg)
{
    if (dm == NULL)
        return BW_EINVAL;
    bw__zero(dm, sizeof *dm);
    if (cfg == NULL)
        return BW_EINVAL;
    dm->cfg = cfg;
    if (bw_lwm2m__codec(dm, BW_COAP_FMT_LWM2M_TLV) == NULL &&
        bw_lwm2m__codec(dm, BW_COAP_FMT_SENML_CBOR) == NULL) {
        dm->cfg = NULL;
        return BW_EINVAL;
    }
    return 0;
}

void bw_lwm2m_dm_init(bw_lwm2m_dm_t *dm)
{
    (void)bw_lwm2m_dm_init_with(dm, &bw_lwm2m_dm_full);
}
