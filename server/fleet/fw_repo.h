/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The firmware repository: signed images verified at upload, kept in the
 * store, and served block-wise over CoAP to the devices on the DM
 * server's DTLS port (docs/firmware.md).
 *
 * What it owns: the fleet's image keys (loaded once at start-up, from
 * PEM files, public or private, ECDSA P-256 or Ed25519), and an
 * in-memory cache of image bytes by id, so a download of N blocks reads
 * the store once, not N times.  The store (server/db/db_fw.h) owns the
 * images themselves and the repository's rules (no duplicate, no counter
 * below the model's highest), which it applies atomically.
 *
 * Upload: lib/image's bw_image_verify() with the fleet keys as the only
 * trusted ones (structure, digest, signature), then bw_image_model(), then
 * the store's rules.  Nothing is stored on any refusal, and every refusal
 * comes with one line naming its reason.
 *
 * Serving (fw_serve.c): GET /fw/<id>, Block2 of at most 1024 bytes with
 * the client's size honoured, Content-Format 42, ETag = the 8 bytes of the
 * id on every block, Size2 on block 0 (and when asked).  Unknown id 4.04,
 * a block past the end 4.02, a requester whose DTLS identity is not a
 * known device's DM credential 4.03, a method other than GET 4.05.
 *
 * What it must never do: store an image it did not verify with a fleet
 * key; serve bytes to a peer that is not a known device; hold a private
 * key (only the public half of a key file is kept, the file's bytes are
 * wiped after parsing); block a DTLS worker on an upload (uploads verify
 * outside every lock; the cache's lock is held for one block's copy).
 *
 * Threads: bw_fwrepo_key_load() and bw_fwrepo_set_dm_uri() before the
 * repository is shared; everything else from any thread.
 */
#ifndef BW_FWREPO_H
#define BW_FWREPO_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/coap.h"
#include "db.h"
#include "db_fw.h"
#include "dtls_server.h"

/* Fleet image keys: one or two in use, a few more during a rotation. */
#define BW_FWREPO_KEYS_MAX 16
/* Largest image: the store's limit. */
#define BW_FWREPO_IMAGE_MAX BW_DB_FW_IMAGE_MAX
/* Bytes of images kept in memory at most [default]: a few dozen images
 * of a few MB each; the least recently served go first. */
#define BW_FWREPO_CACHE_DEFAULT (256u * 1024u * 1024u)
/* Key files are small: a PEM key is well under 1 KB. */
#define BW_FWREPO_KEY_FILE_MAX 16384
/* The DM URI ("coaps://host:port") and a Package URI (+ "/fw/" + id). */
#define BW_FWREPO_DM_URI_MAX 255
#define BW_FWREPO_URI_MAX    (BW_FWREPO_DM_URI_MAX + 4 + BW_DB_FW_ID_LEN)
/* Blocks served: 1024 bytes (SZX 6), the largest CoAP over UDP allows. */
#define BW_FWREPO_BLOCK_SZX 6
/* Room for one answer: a 1024-byte block, token, ETag, Block2, Size2. */
#define BW_FWREPO_RESPONSE_MIN (1024 + 64)

typedef struct bw_fwrepo bw_fwrepo_t;

typedef struct {
    bw_db_t *db;        /* required */
    const char *dm_uri; /* may be NULL until bw_fwrepo_set_dm_uri() */
    size_t cache_max;   /* bytes of cached images [BW_FWREPO_CACHE_DEFAULT] */
} bw_fwrepo_config_t;

/* Returns 0 and *out, BW_EOVERFLOW (dm_uri too long), BW_ENOMEM,
 * BW_EINVAL (NULL cfg, db or out).  On failure *out is NULL. */
int bw_fwrepo_new(const bw_fwrepo_config_t *cfg, bw_fwrepo_t **out);

/* Free the repository and its cache.  NULL is a no-op.  No call may be
 * in progress. */
void bw_fwrepo_free(bw_fwrepo_t *r);

/* The DM server's URI (as devices reach it), for Package URIs.
 * Returns 0, BW_EOVERFLOW, BW_EINVAL. */
int bw_fwrepo_set_dm_uri(bw_fwrepo_t *r, const char *dm_uri);

/*
 * Trust the public key of a PEM file (a public key, or a private key whose
 * public half is taken) for image signatures: ECDSA P-256 or Ed25519.
 * why gets one line for the operator on failure (never key material).
 * Returns 0, or
 *   BW_EIO         the file cannot be read;
 *   BW_EOVERFLOW   the file is above BW_FWREPO_KEY_FILE_MAX;
 *   BW_EMALFORMED  not a PEM key (an encrypted private key included: no
 *                  pass phrase is ever asked for);
 *   BW_EUNSUPPORTED another kind of key (RSA, another curve);
 *   BW_EEXIST      this key is already trusted;
 *   BW_ENOMEM      BW_FWREPO_KEYS_MAX keys already;
 *   BW_EINVAL      NULL.
 */
int bw_fwrepo_key_load(bw_fwrepo_t *r, const char *path, char *why,
                       size_t why_cap);

/* How many keys are trusted. */
size_t bw_fwrepo_key_count(const bw_fwrepo_t *r);

/*
 * Verify and store an uploaded image of len bytes, uploaded by actor (an
 * audit actor name, "api").  On success *out (may be NULL) is its row.
 * why gets the reason of a refusal, one line naming the check:
 *   "no image keys configured"
 *   "signature: BW_EKEY: signed by an unknown key"
 *   "image has no model"
 *   "security counter 1 is below 2, already in the repository for model M"
 *   "already in the repository as <id>"
 * Returns 0, or
 *   BW_EKEY        no key is configured, or no signature by a fleet key;
 *   any code of bw_image_verify() rules 1-23 (structure, BW_EHASH,
 *                  BW_ESIGNATURE, BW_ENOTFOUND for a missing SHA256 TLV);
 *   BW_EMALFORMED  a malformed model TLV (or the model's rules above);
 *   BW_EUNSUPPORTED no model TLV (the device would call it "unsupported
 *                  package");
 *   BW_EROLLBACK   counter below the model's highest (409 in the API);
 *   BW_EEXIST      the same file is already stored (409 in the API);
 *   BW_ERANGE      len 0;  BW_EOVERFLOW  len above BW_FWREPO_IMAGE_MAX;
 *   BW_ETIMEOUT, BW_EIO, BW_ENOMEM, BW_ECRYPTO (storage, memory, backend);
 *   BW_EINVAL      NULL pointers.
 */
int bw_fwrepo_upload(bw_fwrepo_t *r, const uint8_t *image, size_t len,
                     const char *actor, int64_t now_ms, bw_db_fw_t *out,
                     char *why, size_t why_cap);

/*
 * The Package URI of image id: the DM URI + "/fw/" + id, into out.
 * Returns 0, BW_ESTATE (no DM URI set), BW_EMALFORMED (id), BW_ENOSPC
 * (cap), BW_EINVAL.  On failure out is "" (when cap > 0).
 */
int bw_fwrepo_uri(const bw_fwrepo_t *r, const char *id, char *out, size_t cap);

/*
 * Answer one CoAP request if it is for /fw/...: write the whole response
 * (ACK with the request's MID and token for a CON, NON otherwise) into
 * out (cap at least BW_FWREPO_RESPONSE_MIN) and return its length.
 * known_device: the requester's DTLS identity is a known device's
 * (4.03 otherwise).  Returns 0 when the path does not start with "fw"
 * (someone else's request), or cap is too small.
 */
size_t bw_fwrepo_coap(bw_fwrepo_t *r, const bw_coap_msg_t *req,
                      int known_device, uint8_t *out, size_t cap);

/*
 * The LwM2M server's resource hook (bw_lwsrv_config_t.resource, arg =
 * the repository): bw_fwrepo_coap() with known_device decided by the
 * store (the peer's identity is a usable DM credential).  Any worker
 * thread.
 */
size_t bw_fwrepo_resource(void *arg, const bw_dtls_peer_info_t *peer,
                          const bw_coap_msg_t *req, uint8_t *out, size_t cap);

#endif /* BW_FWREPO_H */
