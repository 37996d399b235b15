/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The firmware repository in the store (schema 5: the firmware table,
 * devices.fw_version and devices.fw_seen_at; docs/firmware.md).
 *
 * This header owns what an image is on disk: its bytes, kept whole in
 * the row so an image and its metadata commit together, and the fields
 * the repository parsed from it (model, version, security counter, the
 * digest of the file and the hash of the key that signed it).  It also
 * keeps the firmware version each device last reported.
 *
 * What it decides: the repository's two rules, checked and applied in
 * the same write transaction as the insert, so two uploads racing each
 * other cannot both pass: an image whose file is already stored is
 * refused, and so is one whose security counter is below the highest
 * counter stored for its model.  What it never does: parse or verify an
 * image (server/fleet/fw_repo.c does, before calling in), or store
 * anything on a refusal.
 *
 * Threads and callbacks as in db.h: any thread; walks call back with the
 * write lock held and the callback MUST NOT call into the same bw_db_t.
 */
#ifndef BW_DB_FW_H
#define BW_DB_FW_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* Firmware ids: the first 8 bytes of SHA-256 over the whole file, as 16
 * lowercase hex digits (also in db_campaign.h, with the same value). */
#ifndef BW_DB_FW_ID_LEN
#define BW_DB_FW_ID_LEN 16
#endif
/* Versions as the repository writes them ("1.2.3+4") and as devices
 * report them in /3/0/3 (also in db_campaign.h, with the same value). */
#ifndef BW_DB_FW_VERSION_MAX
#define BW_DB_FW_VERSION_MAX 64
#endif
/* Models: the image's model TLV, lib/image's BW_IMAGE_MODEL_MAX. */
#define BW_DB_FW_MODEL_MAX 32
/* Largest image: what the API accepts in one upload (16 MiB); a device's
 * secondary slot is far smaller in practice. */
#define BW_DB_FW_IMAGE_MAX (16u * 1024u * 1024u)
/* Who uploaded: an audit actor name. */
#define BW_DB_FW_BY_MAX BW_DB_AUDIT_FIELD_MAX
/* SHA-256 digests (the file; the signing key's DER SubjectPublicKeyInfo). */
#define BW_DB_FW_HASH_LEN 32

/* One image's row, without its bytes. */
typedef struct {
    char id[BW_DB_FW_ID_LEN + 1];
    char model[BW_DB_FW_MODEL_MAX + 1];
    char version[BW_DB_FW_VERSION_MAX + 1];
    uint32_t security_counter;
    uint32_t size; /* bytes of the file */
    uint8_t sha256[BW_DB_FW_HASH_LEN];
    uint8_t key_hash[BW_DB_FW_HASH_LEN];
    int64_t uploaded_ms;
    char uploaded_by[BW_DB_FW_BY_MAX + 1];
} bw_db_fw_t;

/* Why bw_db_fw_add() refused, for the operator's message. */
typedef struct {
    char id[BW_DB_FW_ID_LEN + 1]; /* EEXIST: the image already stored */
    uint32_t highest;             /* EROLLBACK: the model's highest */
} bw_db_fw_conflict_t;

/*
 * Store an image: fw's fields (uploaded_ms and uploaded_by included; the
 * caller fills them from the image it verified) and its len bytes.  In
 * one write transaction: refuse a file already stored (same sha256, or
 * same id), refuse a security counter below the highest counter of the
 * images of the same model, insert.  A counter equal to the highest is
 * accepted (a rebuild at the same security level).
 * conflict (may be NULL) is filled on BW_EEXIST and BW_EROLLBACK.
 * Returns 0, or
 *   BW_EEXIST      this file (or this id) is already in the repository;
 *   BW_EROLLBACK   the counter is below the model's highest;
 *   BW_EMALFORMED  id not 16 lowercase hex digits; model empty or with a
 *                  byte outside 0x21..0x7e; version or uploaded_by empty
 *                  or with control characters;
 *   BW_EOVERFLOW   model, version or uploaded_by too long, len above
 *                  BW_DB_FW_IMAGE_MAX;
 *   BW_ERANGE      len 0, or fw->size != len;
 *   BW_ETIMEOUT, BW_EIO, BW_ENOMEM;
 *   BW_EINVAL      NULL pointers.
 */
int bw_db_fw_add(bw_db_t *db, const bw_db_fw_t *fw, const uint8_t *image,
                 size_t len, bw_db_fw_conflict_t *conflict);

/* One image's row.  Returns 0, BW_ENOTFOUND, BW_EMALFORMED (id), BW_EIO,
 * BW_EINVAL.  On failure *out is zeroed. */
int bw_db_fw_get(bw_db_t *db, const char *id, bw_db_fw_t *out);

/*
 * One image's bytes, in a malloc'd buffer the caller frees: *image and
 * *len.  Returns 0, BW_ENOTFOUND, BW_EMALFORMED (id), BW_EOVERFLOW (a
 * stored image above BW_DB_FW_IMAGE_MAX), BW_ENOMEM, BW_EIO, BW_EINVAL.
 * On failure *image is NULL and *len 0.
 */
int bw_db_fw_image(bw_db_t *db, const char *id, uint8_t **image, size_t *len);

/*
 * Call cb for up to max images (1..BW_DB_LIST_MAX), oldest upload first
 * (ties by id).  The row given to cb is valid during the call only.  A
 * non-zero return from cb stops the walk and is returned.
 * Returns 0, cb's code, BW_ERANGE (max), BW_EIO, BW_EINVAL.
 */
int bw_db_fw_list(bw_db_t *db, size_t max,
                  int (*cb)(void *arg, const bw_db_fw_t *fw), void *arg);

/*
 * The highest security counter of the images stored for model.
 * Returns 0 and *counter, BW_ENOTFOUND (no image of this model; *counter
 * 0), BW_EMALFORMED, BW_EOVERFLOW (model), BW_EIO, BW_EINVAL.
 */
int bw_db_fw_highest(bw_db_t *db, const char *model, uint32_t *counter);

/*
 * The version a device last reported (stored by
 * bw_db_campaign_fw_reported, db_campaign.h), into version (cap bytes, at least
 * BW_DB_FW_VERSION_MAX + 1 is always enough) and *seen_ms (may be NULL).
 * A device that never reported one gets "" and 0.
 * Returns 0, BW_ENOTFOUND (device), BW_EMALFORMED (endpoint), BW_ENOSPC
 * (cap), BW_EIO, BW_EINVAL.  On failure version is "".
 */
int bw_db_device_fw_version(bw_db_t *db, const char *endpoint, char *version,
                            size_t cap, int64_t *seen_ms);

#endif /* BW_DB_FW_H */
