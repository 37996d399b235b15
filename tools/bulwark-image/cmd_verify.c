/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `verify`: check an image exactly as a device would, with lib/image's
 * bw_image_verify() and the given keys as the only trusted ones.  A
 * refusal names the check that failed (header, TLV areas, digest,
 * signature, key) and lib/image's error code.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "image_tool.h"

/*
 * Trusted keys one run takes.  A bootloader embeds one or two; a handful
 * covers key rotation with room to spare.
 */
#define VERIFY_KEYS_MAX 16

/*
 * Work buffer for bw_image_verify(): the digest is computed through it in
 * chunks of this size, so bigger means fewer calls, nothing more.
 */
#define VERIFY_BUF_SIZE 4096

static const char verify_help[] =
    "usage: " TOOL_NAME " verify --key KEY [--key KEY ...] IMAGE\n"
    "\n"
    "Verify IMAGE as the bootloader does (lib/image), trusting only the\n"
    "given keys: the header and TLV areas must be well formed, the SHA256\n"
    "TLV must match the image, and a signature by one of the keys must\n"
    "verify.  Prints the version, security counter and digest when it does,\n"
    "else which check failed and why.\n"
    "\n"
    "  -k, --key FILE   a trusted key: public or private, PEM or DER\n"
    "                   (ecdsa-p256 or ed25519); up to 16\n"
    "  -h, --help       this text\n"
    "\n"
    "Exit status: 0 valid, 1 refused (or a key could not be read), 2 usage.\n";

/* Why bw_image_header_read() refused, in words. */
static const char *header_reason(int err)
{
    switch (err) {
    case BW_ETRUNC:
        return "the file is shorter than the header says";
    case BW_EMAGIC:
        return "not an MCUboot image (wrong header magic)";
    case BW_ERANGE:
        return "hdr_size is below 32";
    case BW_EOVERFLOW:
        return "hdr_size + img_size overflows 32 bits";
    case BW_EUNSUPPORTED:
        return "encrypted or compressed images are not "
               "supported";
    default:
        return "the header could not be read";
    }
}

/* Why bw_image_parse() refused, in words (see image.h, rules 7-20). */
static const char *tlv_reason(int err)
{
    switch (err) {
    case BW_ETRUNC:
        return "a TLV area runs past the end of the file";
    case BW_EMAGIC:
        return "a TLV area has the wrong magic";
    case BW_EMALFORMED:
        return "a TLV area or TLV has an impossible size";
    case BW_EOVERFLOW:
        return "a TLV's length runs past its area";
    case BW_ETYPE:
        return "a TLV is in the wrong (protected/unprotected) "
               "area";
    case BW_EDUPKEY:
        return "a second SHA256 or SEC_CNT TLV";
    default:
        return "the TLV areas could not be read";
    }
}

/* Which check of bw_image_verify() refused (rules 21-24). */
static const char *verify_reason(int err)
{
    switch (err) {
    case BW_ENOTFOUND:
        return "digest check: the image has no SHA256 TLV";
    case BW_EHASH:
        return "digest check: the SHA256 TLV does not match "
               "header, payload and protected TLVs";
    case BW_ESIGNATURE:
        return "signature check: a signature by a trusted "
               "key does not verify";
    case BW_EKEY:
        return "key check: no signature by any of the trusted "
               "keys";
    default:
        return "verification failed";
    }
}

static int refuse(const char *path, const char *check, int err)
{
    fprintf(stderr, "%s: refused: %s: %s (%s)\n", path, check, bw_strerror(err),
            bw_err_name(err));
    return TOOL_FAIL;
}

/* Run the checks in stages so the message can say which one failed. */
static int verify_image(const char *path, const uint8_t *data, size_t len,
                        const bw_image_key_t *keys, size_t n_keys,
                        bw_image_info_t *info)
{
    tool_memflash_t fl;
    bw_image_header_t hdr;
    uint8_t buf[VERIFY_BUF_SIZE];
    char check[160];
    tool_memflash_init(&fl, data, (uint32_t)len);

    int err = bw_image_header_read(&fl.area, &hdr);
    if (err != 0) {
        snprintf(check, sizeof(check), "header check: %s", header_reason(err));
        if (err == BW_ETRUNC && len < BW_IMAGE_HEADER_SIZE)
            snprintf(check, sizeof(check),
                     "header check: the file is %zu "
                     "bytes, shorter than the %u-byte header",
                     len, BW_IMAGE_HEADER_SIZE);
        else if (err == BW_ETRUNC && bw_image_header_decode(data, &hdr) == 0)
            snprintf(check, sizeof(check),
                     "header check: the payload "
                     "should end at offset %lu, the file is %zu bytes",
                     (unsigned long)hdr.hdr_size + hdr.img_size, len);
        return refuse(path, check, err);
    }
    err = bw_image_parse(&fl.area, info);
    if (err != 0) {
        snprintf(check, sizeof(check), "TLV check: %s", tlv_reason(err));
        return refuse(path, check, err);
    }
    err = bw_image_verify(&fl.area, keys, n_keys, buf, sizeof(buf), info);
    if (err == BW_EINVAL)
        return refuse(path, "a trusted key is not in its fixed DER form", err);
    if (err != 0)
        return refuse(path, verify_reason(err), err);
    return TOOL_OK;
}

int tool_cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *key_paths[VERIFY_KEYS_MAX];
    size_t n_keys = 0;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":k:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (n_keys == VERIFY_KEYS_MAX)
                return tool_usage("verify", "more than %d keys",
                                  VERIFY_KEYS_MAX);
            key_paths[n_keys++] = optarg;
            break;
        case 'h':
            fputs(verify_help, stdout);
            return TOOL_OK;
        default:
            return tool_bad_option("verify", c, argv);
        }
    }
    if (argc - optind != 1)
        return tool_usage("verify", "want one IMAGE (got %d file names)",
                          argc - optind);
    if (n_keys == 0)
        return tool_usage("verify", "at least one --key is required");
    const char *path = argv[optind];

    tool_msg_t m;
    tool_key_t keys[VERIFY_KEYS_MAX];
    bw_image_key_t trusted[VERIFY_KEYS_MAX];
    size_t loaded = 0;
    int st = TOOL_OK;
    for (; loaded < n_keys; loaded++) {
        st = tool_key_load(key_paths[loaded], &keys[loaded], &m);
        if (st != TOOL_OK)
            break;
        trusted[loaded].type = (bw_image_key_type_t)keys[loaded].type;
        trusted[loaded].der = keys[loaded].spki;
        trusted[loaded].der_len = keys[loaded].spki_len;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    if (st == TOOL_OK)
        st = tool_read_file(path, &data, &len, &m);
    if (st != TOOL_OK) {
        tool_report(st, &m);
    } else {
        bw_image_info_t info;
        st = verify_image(path, data, len, trusted, n_keys, &info);
        if (st == TOOL_OK) {
            char ver[64], hex[2 * BW_SHA256_LEN + 1];
            tool_format_version(&info.hdr.version, ver, sizeof(ver));
            tool_hex(info.hash, sizeof(info.hash), hex);
            printf("%s: OK\n", path);
            printf("  version           %s\n", ver);
            if (info.has_sec_cnt)
                printf("  security counter  %lu (0x%08lx)\n",
                       (unsigned long)info.sec_cnt,
                       (unsigned long)info.sec_cnt);
            else
                printf("  security counter  none\n");
            printf("  digest            %s\n", hex);
            printf("  signed by         %s (%s)\n", key_paths[info.key_index],
                   tool_key_type_name(keys[info.key_index].type));
            printf("  image size        %lu bytes (of %zu in the file)\n",
                   (unsigned long)info.layout.total_size, len);
        }
    }
    free(data);
    for (size_t i = 0; i < loaded; i++)
        tool_key_free(&keys[i]);
    return st;
}
