/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `sign`: turn a binary into a signed image with imgtool's options and
 * layout (image_build.c), check the result with lib/image using the
 * signer's own public key, and only then write it (atomically).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "image_tool.h"

static const char sign_help[] =
    "usage: " TOOL_NAME " sign --key KEY.pem --version VERSION [options] "
    "IN OUT\n"
    "\n"
    "Sign the binary IN and write the MCUboot-format image OUT, laid out\n"
    "as MCUboot's imgtool 2.x does: header, payload, protected TLVs\n"
    "(SEC_CNT, MODEL), unprotected TLVs (SHA256, KEYHASH, signature) and, with\n"
    "--pad, the slot's trailer.\n"
    "\n"
    "  -k, --key FILE             private key (ecdsa-p256 or ed25519)\n"
    "  -v, --version V            MAJOR[.MINOR[.REVISION[+BUILD]]]\n"
    "  -s, --security-counter N   a SEC_CNT TLV with N (decimal or 0x..),\n"
    "                             or 'auto': major<<24 | minor<<16 | revision\n"
    "                             (default: no security counter)\n"
    "  -m, --model NAME           a MODEL TLV (0xa0, protected): the device\n"
    "                             model the image is for, 1..32 printable\n"
    "                             ASCII characters without spaces\n"
    "  -H, --header-size N        header with padding, 32 .. 65535 "
    "(default 32)\n"
    "      --pad-header           add the header room in front of IN\n"
    "                             (else IN must start with N zero bytes)\n"
    "  -a, --align N              flash write size: 1, 2, 4, 8, 16 or 32\n"
    "                             (default 1; sizes the trailer)\n"
    "      --max-align N          trailer field size: 8, 16 or 32\n"
    "                             (default: 8, or the alignment if larger)\n"
    "  -M, --max-sectors N        sectors the swap status reserves "
    "(default 128)\n"
    "  -S, --slot-size N          the slot: the image plus the trailer must\n"
    "                             fit in it\n"
    "      --pad                  pad OUT to the slot size and write the\n"
    "                             trailer's magic (needs --slot-size)\n"
    "      --confirm              also mark the image confirmed (image_ok);\n"
    "                             implies --pad\n"
    "  -R, --erased-val 0|0xff    the flash's erased value (default 0xff)\n"
    "  -L, --load-addr N          load address; sets the RAM_LOAD flag\n"
    "  -h, --help                 this text\n"
    "\n"
    "Numbers are decimal or 0x-prefixed hexadecimal.\n"
    "Exit status: 0 written, 1 failed (unreadable input or key, image does\n"
    "not fit, ...), 2 usage.\n";

enum {
    OPT_PAD = 256,
    OPT_CONFIRM,
    OPT_PAD_HEADER,
    OPT_MAX_ALIGN,
};

/* Is a a power of two between lo and hi? */
static int pow2_in(uint32_t a, uint32_t lo, uint32_t hi)
{
    return a >= lo && a <= hi && (a & (a - 1u)) == 0;
}

/* Parse the command line into o; *key_path, *in, *out point into argv. */
static int sign_args(int argc, char **argv, tool_sign_opts_t *o,
                     const char **key_path, const char **in, const char **out)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},
        {"version", required_argument, NULL, 'v'},
        {"security-counter", required_argument, NULL, 's'},
        {"model", required_argument, NULL, 'm'},
        {"header-size", required_argument, NULL, 'H'},
        {"align", required_argument, NULL, 'a'},
        {"max-align", required_argument, NULL, OPT_MAX_ALIGN},
        {"max-sectors", required_argument, NULL, 'M'},
        {"slot-size", required_argument, NULL, 'S'},
        {"erased-val", required_argument, NULL, 'R'},
        {"load-addr", required_argument, NULL, 'L'},
        {"pad", no_argument, NULL, OPT_PAD},
        {"confirm", no_argument, NULL, OPT_CONFIRM},
        {"pad-header", no_argument, NULL, OPT_PAD_HEADER},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *version = NULL, *sec = NULL;
    uint32_t v, max_align = 0;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":k:v:s:m:H:a:M:S:R:L:h", opts, NULL)) !=
           -1) {
        switch (c) {
        case 'k':
            *key_path = optarg;
            break;
        case 'v':
            version = optarg;
            break;
        case 's':
            sec = optarg;
            break;
        case 'm':
            o->model = optarg;
            break;
        case 'H':
            if (tool_parse_u32(optarg, 0xffffu, &v) != 0 ||
                v < BW_IMAGE_HEADER_SIZE)
                return tool_usage("sign",
                                  "--header-size '%s': want %u .. "
                                  "65535",
                                  optarg, BW_IMAGE_HEADER_SIZE);
            o->hdr_size = v;
            break;
        case 'a':
            if (tool_parse_u32(optarg, 32u, &v) != 0 || !pow2_in(v, 1u, 32u))
                return tool_usage("sign",
                                  "--align '%s': want 1, 2, 4, 8, "
                                  "16 or 32",
                                  optarg);
            o->geom.align = v;
            break;
        case OPT_MAX_ALIGN:
            if (tool_parse_u32(optarg, 32u, &v) != 0 || !pow2_in(v, 8u, 32u))
                return tool_usage("sign",
                                  "--max-align '%s': want 8, 16 or "
                                  "32",
                                  optarg);
            max_align = v;
            break;
        case 'M':
            if (tool_parse_u32(optarg, 0xffffu, &v) != 0 || v == 0)
                return tool_usage("sign",
                                  "--max-sectors '%s': want 1 .. "
                                  "65535",
                                  optarg);
            o->geom.max_sectors = v;
            break;
        case 'S':
            if (tool_parse_u32(optarg, TOOL_FILE_MAX, &v) != 0 || v == 0)
                return tool_usage("sign", "--slot-size '%s': want 1 .. %u",
                                  optarg, TOOL_FILE_MAX);
            o->slot_size = v;
            break;
        case 'R':
            if (tool_parse_u32(optarg, 0xffu, &v) != 0 ||
                (v != 0 && v != 0xffu))
                return tool_usage("sign",
                                  "--erased-val '%s': want 0 or "
                                  "0xff",
                                  optarg);
            o->erased_val = (uint8_t)v;
            break;
        case 'L':
            if (tool_parse_u32(optarg, UINT32_MAX, &v) != 0)
                return tool_usage("sign",
                                  "--load-addr '%s': not a 32-bit "
                                  "number",
                                  optarg);
            o->load_addr = v;
            break;
        case OPT_PAD:
            o->pad = 1;
            break;
        case OPT_CONFIRM:
            o->confirm = o->pad = 1;
            break;
        case OPT_PAD_HEADER:
            o->pad_header = 1;
            break;
        case 'h':
            fputs(sign_help, stdout);
            return -1;
        default:
            return tool_bad_option("sign", c, argv);
        }
    }
    if (argc - optind != 2)
        return tool_usage("sign", "want IN and OUT (got %d file names)",
                          argc - optind);
    *in = argv[optind];
    *out = argv[optind + 1];
    if (*key_path == NULL || version == NULL)
        return tool_usage("sign", "--key and --version are required");
    if (tool_parse_version(version, &o->version) != 0)
        return tool_usage("sign",
                          "--version '%s': want MAJOR[.MINOR["
                          ".REVISION[+BUILD]]] (at most 255.255.65535+"
                          "4294967295, no leading zeros)",
                          version);
    if (sec != NULL) {
        o->has_sec_cnt = 1;
        if (strcmp(sec, "auto") == 0)
            o->sec_cnt = tool_sec_cnt_auto(&o->version);
        else if (tool_parse_u32(sec, UINT32_MAX, &o->sec_cnt) != 0)
            return tool_usage("sign",
                              "--security-counter '%s': want a "
                              "32-bit number or 'auto'",
                              sec);
    }
    if (o->model != NULL) {
        size_t n = strlen(o->model);
        int ok = n >= 1 && n <= BW_IMAGE_MODEL_MAX;
        for (size_t i = 0; ok && i < n; i++)
            ok = o->model[i] >= 0x21 && o->model[i] <= 0x7e;
        if (!ok)
            return tool_usage("sign",
                              "--model '%s': want 1..%u printable ASCII "
                              "characters without spaces",
                              o->model, (unsigned)BW_IMAGE_MODEL_MAX);
    }
    /* imgtool's rule: fields as wide as the write size when above 8. */
    o->geom.max_align = max_align != 0 ? max_align
                        : o->geom.align > TOOL_DEFAULT_MAX_ALIGN
                            ? o->geom.align
                            : TOOL_DEFAULT_MAX_ALIGN;
    if (o->geom.max_align < o->geom.align)
        return tool_usage("sign", "--max-align %lu is below --align %lu",
                          (unsigned long)o->geom.max_align,
                          (unsigned long)o->geom.align);
    if (o->pad && o->slot_size == 0)
        return tool_usage("sign", "--pad and --confirm need --slot-size");
    return TOOL_OK;
}

/* The freshly built image must verify with the signer's own key. */
static int self_check(const uint8_t *img, size_t len, const tool_key_t *key,
                      const char *out, bw_image_info_t *info, tool_msg_t *m)
{
    tool_memflash_t fl;
    uint8_t buf[1024];
    bw_image_key_t k = {
        .type = (bw_image_key_type_t)key->type,
        .der = key->spki,
        .der_len = key->spki_len,
    };
    tool_memflash_init(&fl, img, (uint32_t)len);
    int err = bw_image_verify(&fl.area, &k, 1, buf, sizeof(buf), info);
    if (err != 0)
        return tool_err(m, TOOL_FAIL,
                        "%s: not written: the new image does "
                        "not verify with its own key: %s (%s)",
                        out, bw_strerror(err), bw_err_name(err));
    return TOOL_OK;
}

int tool_cmd_sign(int argc, char **argv)
{
    tool_sign_opts_t o;
    const char *key_path = NULL, *in = NULL, *out = NULL;
    tool_sign_opts_init(&o);
    int st = sign_args(argc, argv, &o, &key_path, &in, &out);
    if (st != TOOL_OK)
        return st < 0 ? TOOL_OK : st;

    tool_msg_t m;
    tool_key_t key;
    uint8_t *payload = NULL, *img = NULL;
    size_t payload_len = 0, img_len = 0;
    bw_image_info_t info;
    st = tool_key_load(key_path, &key, &m);
    if (st != TOOL_OK)
        return tool_report(st, &m);
    if (!key.has_private) {
        tool_key_free(&key);
        return tool_report(tool_err(&m, TOOL_FAIL,
                                    "%s: a public key; "
                                    "signing needs the private key",
                                    key_path),
                           &m);
    }
    st = tool_read_file(in, &payload, &payload_len, &m);
    if (st == TOOL_OK)
        st = tool_image_build(&o, in, payload, payload_len, &key, &img,
                              &img_len, &m);
    if (st == TOOL_OK)
        st = self_check(img, img_len, &key, out, &info, &m);
    if (st == TOOL_OK)
        st = tool_write_file(out, img, img_len, 0644, 0, &m);
    if (st == TOOL_OK) {
        char ver[64], hex[2 * BW_SHA256_LEN + 1];
        tool_format_version(&info.hdr.version, ver, sizeof(ver));
        tool_hex(info.hash, sizeof(info.hash), hex);
        printf("%s: signed with %s (%s), version %s, ", out, key_path,
               tool_key_type_name(key.type), ver);
        if (info.has_sec_cnt)
            printf("security counter %lu, ", (unsigned long)info.sec_cnt);
        else
            printf("no security counter, ");
        printf("%zu bytes%s\n  digest %s\n", img_len,
               o.pad ? (o.confirm ? " (padded, confirmed)" : " (padded)") : "",
               hex);
    }
    free(payload);
    free(img);
    tool_key_free(&key);
    return tool_report(st, &m);
}
