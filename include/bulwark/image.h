/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Firmware images in MCUboot's format: parse, verify, lay out.
 *
 * An image is a 32-byte header (padded to hdr_size), the payload, and a
 * TLV area holding the image's digest, its signatures and protected
 * metadata such as the security counter.  This module reads that layout
 * from a flash area, checks every offset and length before it reads,
 * recomputes the digest and checks the signatures against a caller's set
 * of trusted keys.  It also computes where the TLVs go, for the host tool
 * that writes images.
 *
 * What it owns: nothing but the caller's buffers for the duration of a
 * call.  What it must never do: assume the image is mapped in RAM (every
 * byte is read through bw_flash_read(), in bounded chunks into a small
 * buffer), trust any field before it has been range-checked, write to
 * flash, or decide boot policy (which slot, which counter is acceptable:
 * lib/boot decides, from the facts reported here).
 *
 * Layout (all integers little-endian):
 *
 *   0                 hdr_size          hdr_size+img_size
 *   +--------+--------+-----------------+------------------+---------------+
 *   | header | (pad)  |     payload     | protected TLVs   | unprotected   |
 *   | 32 B   |        |   img_size B    | (optional)       | TLVs          |
 *   +--------+--------+-----------------+------------------+---------------+
 *   |<------------- covered by the SHA256 TLV ------------>|
 *
 *   Header (32 bytes):
 *     0  magic            u32  0x96f3b83d
 *     4  load_addr        u32
 *     8  hdr_size         u16  >= 32; the payload starts here
 *    10  protect_tlv_size u16  tlv_tot of the protected area, 0 if none
 *    12  img_size         u32  payload bytes
 *    16  flags            u32  BW_IMAGE_F_*
 *    20  version          u8 major, u8 minor, u16 revision, u32 build_num
 *    28  pad              u32  ignored
 *
 *   A TLV area: an info header, then TLVs back to back:
 *     +-------------+-------------+   +---------+---------+-----------+
 *     | magic u16   | tlv_tot u16 |   | type u16| len u16 | len bytes |
 *     +-------------+-------------+   +---------+---------+-----------+
 *     magic 0x6908 protected, 0x6907 unprotected; tlv_tot counts the
 *     4-byte info header and every TLV of the area.
 *
 * Order of checks.  A malformed image is refused with the code of the
 * first rule it breaks, in this order (tests rely on it):
 *
 *   header (bw_image_header_read)
 *     1. area smaller than the 32-byte header         BW_ETRUNC
 *     2. magic is not 0x96f3b83d                      BW_EMAGIC
 *     3. hdr_size < 32                                BW_ERANGE
 *     4. hdr_size + img_size wraps 32 bits            BW_EOVERFLOW
 *     5. flags ask for encryption or compression      BW_EUNSUPPORTED
 *     6. hdr_size + img_size past the end of the area BW_ETRUNC
 *   TLV areas (bw_image_parse), protected area first
 *     7. protect_tlv_size != 0 but its info header
 *        does not fit in the area                     BW_ETRUNC
 *     8. its magic is not 0x6908                      BW_EMAGIC
 *     9. its tlv_tot < 4 or != protect_tlv_size       BW_EMALFORMED
 *    10. the protected area runs past the area        BW_ETRUNC
 *    11. unprotected info header past the area        BW_ETRUNC
 *    12. protect_tlv_size == 0 but a 0x6908 header
 *        is there (protected TLVs not hashed)         BW_EMALFORMED
 *    13. its magic is not 0x6907                      BW_EMAGIC
 *    14. its tlv_tot < 4                              BW_EMALFORMED
 *    15. the unprotected area runs past the area      BW_ETRUNC
 *   then each TLV in order, protected area first
 *    16. fewer than 4 bytes left for a TLV header     BW_EMALFORMED
 *    17. its length runs past its area's tlv_tot      BW_EOVERFLOW
 *    18. a type in the wrong area (SEC_CNT or
 *        DEPENDENCY unprotected; SHA256, KEYHASH or
 *        a signature protected)                       BW_ETYPE
 *    19. a known type with a wrong length             BW_EMALFORMED
 *    20. a second SHA256 or SEC_CNT                   BW_EDUPKEY
 *   verification (bw_image_verify), after all of the above
 *    21. no SHA256 TLV                                BW_ENOTFOUND
 *    22. the digest does not match                    BW_EHASH
 *    23. a signature by a trusted key fails           BW_ESIGNATURE
 *    24. no signature by a trusted key                BW_EKEY
 *   Flash errors (BW_EIO) pass through as they happen.  TLV types this
 *   module does not know are skipped, as MCUboot does.
 */
#ifndef BULWARK_IMAGE_H
#define BULWARK_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/crypto.h"
#include "bulwark/error.h"
#include "bulwark/flash.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BW_IMAGE_MAGIC       0x96f3b83du
#define BW_IMAGE_HEADER_SIZE 32u /* the fixed header; hdr_size may pad it */

/* TLV area info headers and TLV headers are both 4 bytes. */
#define BW_IMAGE_TLV_INFO_MAGIC      0x6907u /* unprotected area */
#define BW_IMAGE_TLV_PROT_INFO_MAGIC 0x6908u /* protected area */
#define BW_IMAGE_TLV_INFO_SIZE       4u
#define BW_IMAGE_TLV_HDR_SIZE        4u

/*
 * Largest tlv_tot: the field is 16 bits wide, so each area, info header
 * included, is at most 65535 bytes.
 */
#define BW_IMAGE_TLV_AREA_MAX 0xffffu

/* TLV types (MCUboot 2.x numbering; types are 16 bits wide). */
#define BW_IMAGE_TLV_KEYHASH    0x01u /* SHA-256 of the signer's DER SPKI */
#define BW_IMAGE_TLV_PUBKEY     0x02u /* whole key (not used: skipped) */
#define BW_IMAGE_TLV_SHA256     0x10u /* digest of header+payload+prot */
#define BW_IMAGE_TLV_ECDSA_SIG  0x22u /* ECDSA P-256, DER, over the digest */
#define BW_IMAGE_TLV_ED25519    0x24u /* Ed25519 over the 32-byte digest */
#define BW_IMAGE_TLV_DEPENDENCY 0x40u /* protected only */
#define BW_IMAGE_TLV_SEC_CNT    0x50u /* protected only; u32 */
/*
 * Bulwark's own protected TLV (MCUboot leaves types 0xa0 and up to
 * vendors; imgtool writes them with --custom-tlv): the device model the
 * image is built for, 1..BW_IMAGE_MODEL_MAX bytes of printable ASCII, no
 * NUL.  A device installs only images of its own model, and the firmware
 * repository files an image under it.
 */
#define BW_IMAGE_TLV_MODEL 0xa0u
#define BW_IMAGE_MODEL_MAX 32u

/* Value lengths the parser insists on. */
#define BW_IMAGE_KEYHASH_LEN BW_SHA256_LEN
#define BW_IMAGE_SEC_CNT_LEN 4u

/* Header flags. */
#define BW_IMAGE_F_PIC              0x00000001u
#define BW_IMAGE_F_ENCRYPTED_AES128 0x00000004u
#define BW_IMAGE_F_ENCRYPTED_AES256 0x00000008u
#define BW_IMAGE_F_NON_BOOTABLE     0x00000010u
#define BW_IMAGE_F_RAM_LOAD         0x00000020u
#define BW_IMAGE_F_ROM_FIXED        0x00000100u
#define BW_IMAGE_F_COMPRESSED_LZMA1 0x00000200u
#define BW_IMAGE_F_COMPRESSED_LZMA2 0x00000400u
/*
 * Flags refused with BW_EUNSUPPORTED: the payload in flash is not the
 * image that was hashed, and this module has no decryptor or inflater.
 */
#define BW_IMAGE_F_UNSUPPORTED                                                 \
    (BW_IMAGE_F_ENCRYPTED_AES128 | BW_IMAGE_F_ENCRYPTED_AES256 |               \
     BW_IMAGE_F_COMPRESSED_LZMA1 | BW_IMAGE_F_COMPRESSED_LZMA2)

/*
 * Smallest work buffer bw_image_verify() accepts: a signature is read
 * into it whole (BW_P256_SIG_DER_MAX is the largest).  The digest is
 * computed through it in chunks of its size, so a larger one means fewer
 * flash reads (512 bytes or more is reasonable on a device).
 */
#define BW_IMAGE_VERIFY_BUF_MIN BW_P256_SIG_DER_MAX

typedef struct {
    uint8_t major;
    uint8_t minor;
    uint16_t revision;
    uint32_t build_num;
} bw_image_version_t;

/* The decoded 32-byte header (pad dropped). */
typedef struct {
    uint32_t load_addr;
    uint16_t hdr_size;
    uint16_t protect_tlv_size;
    uint32_t img_size;
    uint32_t flags;
    bw_image_version_t version;
} bw_image_header_t;

/*
 * Where everything is, as offsets from the start of the image.  Filled by
 * bw_image_parse() from an image and by bw_image_layout() for an image
 * about to be written.
 *
 *   prot_off    hdr_size + img_size: the first TLV area
 *   prot_size   protected area, info header included; 0 when absent
 *   tlv_off     prot_off + prot_size: the unprotected info header; also
 *               the number of bytes the SHA256 TLV covers
 *   tlv_size    unprotected area, info header included
 *   total_size  tlv_off + tlv_size: bytes to copy when moving the image
 */
typedef struct {
    uint32_t prot_off;
    uint32_t prot_size;
    uint32_t tlv_off;
    uint32_t tlv_size;
    uint32_t total_size;
} bw_image_layout_t;

/* What parsing (and verification) found out about an image. */
typedef struct {
    bw_image_header_t hdr;
    bw_image_layout_t layout;
    uint32_t sec_cnt;            /* valid when has_sec_cnt */
    uint8_t has_sec_cnt;         /* 1 when a SEC_CNT TLV is present */
    uint8_t has_hash;            /* 1 when a SHA256 TLV is present */
    uint8_t hash[BW_SHA256_LEN]; /* the SHA256 TLV's value */
    /*
     * Set by bw_image_verify() only: index into the trusted keys of the
     * first key whose signature verified.
     */
    size_t key_index;
} bw_image_info_t;

/* Kinds of trusted key. */
typedef enum {
    BW_IMAGE_KEY_ECDSA_P256 = 1,
    BW_IMAGE_KEY_ED25519 = 2
} bw_image_key_type_t;

/*
 * A trusted public key as a bootloader embeds it: its DER
 * SubjectPublicKeyInfo (what `openssl pkey -pubout -outform DER` writes
 * and what MCUboot's KEYHASH TLV hashes).  The DER must be exactly the
 * fixed-prefix form for its type (P-256: 26-byte prefix + 65-byte
 * uncompressed point, 91 bytes; Ed25519: 12-byte prefix + 32 bytes, 44
 * bytes); anything else is the caller's mistake (BW_EINVAL).
 * der points at caller memory that MUST outlive the call using it.
 */
typedef struct {
    bw_image_key_type_t type;
    const uint8_t *der;
    size_t der_len;
} bw_image_key_t;

#define BW_IMAGE_P256_SPKI_LEN    91u
#define BW_IMAGE_ED25519_SPKI_LEN 44u

/*
 * The cheap check: read and decode the 32-byte header at offset 0 of fa
 * and check rules 1-6 above (magic, hdr_size, sizes against the area).
 * Reads 32 bytes; no TLV is looked at, no digest computed: a header that
 * passes says "an image may be here", nothing more.
 * On failure *hdr is zeroed.
 * Returns 0, BW_ETRUNC, BW_EMAGIC, BW_ERANGE, BW_EOVERFLOW,
 * BW_EUNSUPPORTED, BW_EIO (flash), BW_EINVAL (NULL or an invalid area).
 */
int bw_image_header_read(const bw_flash_area_t *fa, bw_image_header_t *hdr);

/*
 * Decode and check (rules 2-5) a header held in memory; for the host tool.
 * area_size is not known here, so rule 6 is the caller's.
 * Returns 0, BW_EMAGIC, BW_ERANGE, BW_EOVERFLOW, BW_EUNSUPPORTED,
 * BW_EINVAL.  On failure *hdr is zeroed.
 */
int bw_image_header_decode(const uint8_t in[BW_IMAGE_HEADER_SIZE],
                           bw_image_header_t *hdr);

/* Encode hdr (magic added, pad zero) into 32 bytes.  No checks. */
void bw_image_header_encode(const bw_image_header_t *hdr,
                            uint8_t out[BW_IMAGE_HEADER_SIZE]);

/*
 * Parse the whole structure: header and both TLV areas (rules 1-20).
 * Reads the header, the two info headers and every TLV header, plus the
 * values of SHA256 and SEC_CNT (into small fixed buffers on the stack, 32
 * bytes at most); never the payload.  Fills *info (all but
 * key_index).  Nothing reported is authenticated until bw_image_verify()
 * has succeeded.  DEPENDENCY TLVs are checked for place and length only:
 * this module boots single images and does not evaluate them.
 * On failure *info is zeroed.
 * Returns 0, any code of rules 1-20, BW_EIO, BW_EINVAL.
 */
int bw_image_parse(const bw_flash_area_t *fa, bw_image_info_t *info);

/*
 * Verify: parse (rules 1-20), then recompute SHA-256 over
 * [0, layout.tlv_off) reading it through buf, compare with the SHA256 TLV
 * in constant time, then check signatures (rules 21-24):
 *
 *   - each KEYHASH TLV is compared with SHA-256 of each trusted key's DER;
 *   - the TLV right after a KEYHASH that names a trusted key must be a
 *     signature of that key's kind and must verify over the 32-byte
 *     digest (ECDSA P-256: DER signature of the digest, zero padding
 *     after the DER as imgtool --pad-sig writes it ignored; Ed25519: the
 *     digest is the message, as imgtool signs), else BW_ESIGNATURE;
 *   - signatures after a KEYHASH naming no trusted key are ignored;
 *   - at least one signature must be by a trusted key, else BW_EKEY.
 *
 * keys:    n_keys trusted keys (n_keys may be 0: then BW_EKEY).
 * buf:     work buffer of buf_len >= BW_IMAGE_VERIFY_BUF_MIN bytes for
 *          the digest's chunks and the signatures; its contents
 *          afterwards are unspecified.  No flash read is longer than
 *          max(buf_len, 32).
 * info:    filled as by bw_image_parse(), plus key_index; zeroed on
 *          failure.
 * Returns 0, any code of rules 1-24, BW_EIO, BW_ECRYPTO (backend),
 * BW_EINVAL (NULL, short buf, a key whose DER is not the fixed form).
 */
int bw_image_verify(const bw_flash_area_t *fa, const bw_image_key_t *keys,
                    size_t n_keys, uint8_t *buf, size_t buf_len,
                    bw_image_info_t *info);

/*
 * The security counter of the image in fa (parses it: rules 1-20).
 * Unauthenticated unless the image was verified; lib/boot SHOULD take the
 * counter from bw_image_verify()'s info instead when it can.
 * Returns 0, BW_ENOTFOUND when the image has no SEC_CNT TLV (*cnt = 0),
 * any code of rules 1-20, BW_EIO, BW_EINVAL.
 */
int bw_image_security_counter(const bw_flash_area_t *fa, uint32_t *cnt);

/*
 * Total length of the image in fa, header + payload + both TLV areas:
 * what a swap or copy must move (parses it: rules 1-20).  *size is 0 on
 * failure.
 * Returns 0, any code of rules 1-20, BW_EIO, BW_EINVAL.
 */
int bw_image_total_size(const bw_flash_area_t *fa, uint32_t *size);

/*
 * Compare versions by major, minor, revision, then build_num (MCUboot's
 * order).  Returns <0, 0 or >0 as a is older than, equal to or newer
 * than b.
 */
int bw_image_version_cmp(const bw_image_version_t *a,
                         const bw_image_version_t *b);

/*
 * Extract the raw public key from a trusted key's DER (the strict
 * fixed-prefix check described at bw_image_key_t).  raw receives 65 bytes
 * for P-256, 32 for Ed25519; raw_cap must be at least that.
 * Returns 0, or BW_EINVAL (NULL, unknown type, wrong length or prefix),
 * BW_ENOSPC (raw_cap too small).
 */
int bw_image_key_raw(const bw_image_key_t *key, uint8_t *raw, size_t raw_cap);

/* ---- Writing images (the host tool) ---------------------------------- */

/*
 * Compute where the TLVs go for an image about to be written, and check
 * that it fits:
 *
 *   hdr_size    header size with padding: 32 .. 65535
 *   img_size    payload bytes
 *   prot_len    bytes of protected TLVs (their 4-byte headers included,
 *               the info header not); 0 for no protected area
 *   tlv_len     bytes of unprotected TLVs, likewise
 *   max_size    room available for the image (slot size minus whatever
 *               the bootloader keeps at the slot's end)
 *
 * Returns 0 and fills *out, or BW_ERANGE (hdr_size out of range),
 * BW_EOVERFLOW (an area above BW_IMAGE_TLV_AREA_MAX or a sum past 32
 * bits), BW_ENOSPC (total past max_size), BW_EINVAL (NULL).  *out is
 * zeroed on failure.
 */
int bw_image_layout(uint32_t hdr_size, uint32_t img_size, uint32_t prot_len,
                    uint32_t tlv_len, uint32_t max_size,
                    bw_image_layout_t *out);

/* Encode a TLV area info header / a TLV header into 4 bytes. */
void bw_image_tlv_info_encode(uint16_t magic, uint16_t tlv_tot,
                              uint8_t out[BW_IMAGE_TLV_INFO_SIZE]);
void bw_image_tlv_hdr_encode(uint16_t type, uint16_t len,
                             uint8_t out[BW_IMAGE_TLV_HDR_SIZE]);

/*
 * The model TLV (BW_IMAGE_TLV_MODEL) of the image in fa, as a
 * NUL-terminated string in out (cap bytes, at least BW_IMAGE_MODEL_MAX +
 * 1).  info is what bw_image_parse() or bw_image_verify() filled for the
 * same area; only the protected area is searched (an unprotected model
 * would not be covered by the signature), and the value is authenticated
 * only after bw_image_verify() succeeded.
 * Returns 0, or BW_ENOTFOUND (no model TLV), BW_EMALFORMED (length 0,
 * above BW_IMAGE_MODEL_MAX, a byte outside 0x21..0x7e, two model TLVs),
 * BW_ENOSPC (cap too small), BW_EIO, BW_EINVAL (NULL).  out is "" on
 * failure.
 */
int bw_image_model(const bw_flash_area_t *fa, const bw_image_info_t *info,
                   char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_IMAGE_H */
