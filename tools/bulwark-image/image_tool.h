/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-image: the host tool that makes, checks and shows firmware
 * images in MCUboot's format (include/bulwark/image.h has the layout).
 *
 * This header is private to the tool.  The tool is host code: it may
 * allocate, use files and OpenSSL.  It signs with OpenSSL and verifies
 * with lib/image, so a bug in one is not hidden by the same bug in the
 * other.  What it must never do: write a half-finished output file under
 * its final name (outputs go to a temporary file that is renamed), print
 * or keep a private key longer than needed, or overwrite a key file
 * unless asked to.
 *
 * Functions that can fail return a tool status (TOOL_OK, TOOL_FAIL,
 * TOOL_USAGE: the process's exit codes) and, on failure, leave a message
 * naming the file and the reason in a tool_msg_t.
 */
#ifndef BULWARK_IMAGE_TOOL_H
#define BULWARK_IMAGE_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bulwark/image.h"

/* Exit codes (and tool status values). */
enum {
    TOOL_OK = 0,    /* done; for verify: the image is valid */
    TOOL_FAIL = 1,  /* the operation or the verification failed */
    TOOL_USAGE = 2, /* bad command line */
};

/* Room for one error message; long paths are cut, never overrun. */
#define TOOL_MSG_MAX 1024
typedef struct {
    char text[TOOL_MSG_MAX];
} tool_msg_t;

/* Format a message into m and return status (for `return tool_err(...)`). */
int tool_err(tool_msg_t *m, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- Command-line values (tool_args.c) ------------------------------- */

/*
 * An unsigned number: decimal, or hexadecimal after 0x/0X; nothing else
 * (no sign, no spaces, no suffix), at most max.  Returns 0 and sets *out,
 * or -1.
 */
int tool_parse_u32(const char *s, uint32_t max, uint32_t *out);

/*
 * A version as imgtool writes it: MAJOR[.MINOR[.REVISION[+BUILD]]],
 * decimal without leading zeros; major and minor up to 255, revision up to
 * 65535, build up to 2^32-1.  Missing parts are 0.  Returns 0 or -1.
 */
int tool_parse_version(const char *s, bw_image_version_t *v);

/* "1.2.3+45" (the build always shown, as imgtool's dumpinfo does). */
void tool_format_version(const bw_image_version_t *v, char *out,
                         size_t out_len);

/*
 * imgtool's `--security-counter auto`: major << 24 | minor << 16 |
 * revision (the build number does not count).
 */
uint32_t tool_sec_cnt_auto(const bw_image_version_t *v);

/* ---- Files (tool_file.c) ---------------------------------------------- */

/*
 * Largest file the tool reads: an image's sizes are 32-bit, and a slot
 * of more than 256 MiB is not a microcontroller slot; the limit keeps a
 * wrong argument (a disk image) from eating the host's memory.
 */
#define TOOL_FILE_MAX (256u * 1024u * 1024u)

/* Read a whole file into a malloc'd buffer (*data freed by the caller). */
int tool_read_file(const char *path, uint8_t **data, size_t *len,
                   tool_msg_t *m);

/*
 * Write data to path through a temporary file in the same directory,
 * flushed to disk, then renamed over path.  mode is the new file's
 * permission bits (0600 for keys).  With exclusive set, an existing path
 * is never replaced (checked atomically with link()).
 */
int tool_write_file(const char *path, const void *data, size_t len,
                    unsigned mode, int exclusive, tool_msg_t *m);

/* ---- Keys (tool_key.c; OpenSSL) --------------------------------------- */

typedef enum {
    TOOL_KEY_ECDSA_P256 = BW_IMAGE_KEY_ECDSA_P256,
    TOOL_KEY_ED25519 = BW_IMAGE_KEY_ED25519
} tool_key_type_t;

/* Largest DER SubjectPublicKeyInfo the tool handles (P-256: 91 bytes). */
#define TOOL_SPKI_MAX 128u
/* Largest signature: a DER ECDSA P-256 signature (Ed25519 is 64 bytes). */
#define TOOL_SIG_MAX BW_P256_SIG_DER_MAX

/* A loaded key: public, or private (then it can sign). */
typedef struct {
    tool_key_type_t type;
    int has_private;
    void *pkey; /* EVP_PKEY *, owned */
    uint8_t spki[TOOL_SPKI_MAX];
    size_t spki_len;
} tool_key_t;

/*
 * Load a key file: PEM (PKCS#8 or traditional private key, or a public
 * key) or DER (SubjectPublicKeyInfo or PKCS#8).  Only ECDSA P-256 and
 * Ed25519 keys are accepted.  Encrypted private keys are refused (no
 * prompt).  tool_key_free() releases it.
 */
int tool_key_load(const char *path, tool_key_t *key, tool_msg_t *m);
void tool_key_free(tool_key_t *key);

/* Generate a key of the given type (to be saved with tool_key_pem). */
int tool_key_generate(tool_key_type_t type, tool_key_t *key, tool_msg_t *m);

/*
 * PEM text of the key: the PKCS#8 private key when private is set, else
 * the public key.  *pem is malloc'd (freed by the caller; a private PEM
 * SHOULD be wiped before it is freed).
 */
int tool_key_pem(const tool_key_t *key, int private, char **pem, size_t *len,
                 tool_msg_t *m);

/*
 * Sign a 32-byte image digest: ECDSA P-256 DER signature of the digest
 * (prehashed), or Ed25519 over the digest as the message (what imgtool
 * does).  sig receives up to TOOL_SIG_MAX bytes.
 */
int tool_key_sign(const tool_key_t *key, const uint8_t digest[32], uint8_t *sig,
                  size_t *sig_len, tool_msg_t *m);

/* "ecdsa-p256" / "ed25519" and back (-1 when unknown). */
const char *tool_key_type_name(tool_key_type_t type);
int tool_key_type_parse(const char *s, tool_key_type_t *type);

/* SHA-256 with OpenSSL (the tool's own, independent of lib/crypto). */
int tool_sha256(const void *data, size_t len, uint8_t out[32]);

/* ---- Trailer (image_trailer.c) ---------------------------------------- */

/* MCUboot's defaults, as imgtool uses them. */
#define TOOL_DEFAULT_MAX_SECTORS 128u /* swap status entries */
#define TOOL_DEFAULT_MAX_ALIGN   8u   /* trailer field size */
#define TOOL_TRAILER_MAGIC_LEN   16u

/* The trailer geometry for one write alignment. */
typedef struct {
    uint32_t align;       /* flash write size: 1 .. 32 */
    uint32_t max_align;   /* trailer field size: 8, 16 or 32 */
    uint32_t max_sectors; /* swap status entries reserved */
} tool_trailer_geom_t;

/*
 * Bytes MCUboot's swap reserves at the end of a slot: the swap status
 * (max_sectors * 3 * align), four fields of max_align (image_ok,
 * copy_done, swap_info, swap_size) and the magic rounded up to max_align.
 * Returns 0 on overflow.
 */
uint32_t tool_trailer_size(const tool_trailer_geom_t *g);

/*
 * The 16-byte magic: MCUboot's fixed magic when max_align is 8, else the
 * form that starts with max_align (little-endian u16).
 */
void tool_trailer_magic(uint32_t max_align,
                        uint8_t out[TOOL_TRAILER_MAGIC_LEN]);

/*
 * Write the trailer of a padded slot image into the last bytes of
 * slot[0, slot_size) (already filled with the erased value): the magic in
 * the last 16 bytes and, with confirm, image_ok = 1.
 */
void tool_trailer_write(const tool_trailer_geom_t *g, uint8_t *slot,
                        size_t slot_size, int confirm);

/* What the end of a file says about a trailer (for `info`). */
typedef struct {
    int present;        /* the file is long enough to hold the fields */
    uint32_t max_align; /* from the magic; 8 when not recognised */
    int magic_state;    /* TOOL_MAGIC_* */
    uint8_t magic[TOOL_TRAILER_MAGIC_LEN];
    uint8_t image_ok, copy_done, swap_info;
    uint32_t swap_size;
} tool_trailer_t;

enum { TOOL_MAGIC_GOOD, TOOL_MAGIC_UNSET, TOOL_MAGIC_BAD };

/*
 * Read the trailer fields at the end of data[0, len), which holds an
 * image whose TLVs end at image_end.  Absent (present = 0) when nothing
 * follows the image or too little to hold the fields.
 */
void tool_trailer_read(const uint8_t *data, size_t len, size_t image_end,
                       uint8_t erased_val, tool_trailer_t *t);

/* ---- Building an image (image_build.c) -------------------------------- */

typedef struct {
    uint32_t hdr_size; /* header with padding, 32 .. 65535 */
    uint32_t load_addr;
    bw_image_version_t version;
    int has_sec_cnt;
    uint32_t sec_cnt;
    const char *model; /* MODEL TLV value, NULL: none */
    int pad_header; /* prepend hdr_size bytes of erased_val */
    uint8_t erased_val;
    uint32_t slot_size; /* 0: no slot check, no padding */
    int pad;            /* pad to slot_size and write the trailer */
    int confirm;        /* set image_ok in that trailer */
    tool_trailer_geom_t geom;
} tool_sign_opts_t;

/* Fill o with imgtool's defaults. */
void tool_sign_opts_init(tool_sign_opts_t *o);

/*
 * Make a signed image from in[0, in_len) (the input file in_name, for
 * messages): header, payload, protected TLVs (SEC_CNT), unprotected TLVs
 * SHA256, KEYHASH, signature, then with pad the slot's erased bytes and
 * trailer.  *out is malloc'd (freed by the caller).
 */
int tool_image_build(const tool_sign_opts_t *o, const char *in_name,
                     const uint8_t *in, size_t in_len, const tool_key_t *key,
                     uint8_t **out, size_t *out_len, tool_msg_t *m);

/* ---- Showing an image (image_dump.c) ---------------------------------- */

/* Name of a TLV type as imgtool's dumpinfo spells it ("UNKNOWN" else). */
const char *tool_tlv_name(uint16_t type);

/*
 * Print what data[0, len) holds (file name for the header line): human
 * text, or JSON in the shape of imgtool's `dumpinfo -f json`.  Structural
 * problems are reported in the output and make it return TOOL_FAIL after
 * printing what could be read.
 */
int tool_image_dump(FILE *out, const char *name, const uint8_t *data,
                    size_t len, int json, tool_msg_t *m);

/* ---- A flash device over a buffer (memflash.c) ------------------------ */

typedef struct {
    const uint8_t *data;
    bw_flash_t dev;
    bw_flash_area_t area;
} tool_memflash_t;

/*
 * Present data[0, len) as a read-only flash device and an area over all
 * of it, for lib/image.  fl holds pointers into itself: do not copy it.
 */
void tool_memflash_init(tool_memflash_t *fl, const uint8_t *data, uint32_t len);

/* ---- Subcommands (cmd_*.c) -------------------------------------------- */

int tool_cmd_keygen(int argc, char **argv);
int tool_cmd_sign(int argc, char **argv);
int tool_cmd_verify(int argc, char **argv);
int tool_cmd_info(int argc, char **argv);
int tool_cmd_getpub(int argc, char **argv);

/* The program name used in messages. */
#define TOOL_NAME "bulwark-image"

/*
 * Report a usage error for subcommand cmd on stderr, with a pointer to
 * its --help; returns TOOL_USAGE.
 */
int tool_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Report the option getopt_long() refused (ret is its ':' or '?') for
 * subcommand cmd; returns TOOL_USAGE.
 */
int tool_bad_option(const char *cmd, int ret, char **argv);

/* Print m's text on stderr (prefixed with the program name); returns st. */
int tool_report(int st, const tool_msg_t *m);

/* Hex of data into out (2 * len + 1 bytes). */
void tool_hex(const uint8_t *data, size_t len, char *out);

#endif /* BULWARK_IMAGE_TOOL_H */
