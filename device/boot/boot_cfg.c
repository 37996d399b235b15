/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Settings of bulwark-boot and bulwark-bootctl: environment, config file,
 * command line; then opening the flash image, keys and counter store.
 */
#include "boot_cfg.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "posix_err.h"

static int copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

/* A u32 in decimal or 0x-hex, the whole string. */
static int parse_num(const char *s, uint32_t *out)
{
    char *end;
    if (s == NULL || *s == '\0' || *s == '-')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || *end != '\0' || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* "OFF:SIZE" */
static int parse_span(const char *s, uint32_t *off, uint32_t *size)
{
    char tmp[64];
    if (copy_str(tmp, sizeof tmp, s) != 0)
        return -1;
    char *colon = strchr(tmp, ':');
    if (colon == NULL)
        return -1;
    *colon = '\0';
    return parse_num(tmp, off) != 0 || parse_num(colon + 1, size) != 0 ? -1 : 0;
}

static int load_file(bw_bootcfg_t *c, const char *path, char *err, size_t cap)
{
    char line[BW_BOOTCFG_LINE_MAX];
    FILE *f = fopen(path, "re");
    unsigned lineno = 0;
    if (f == NULL)
        return bw_posix_errf(err, cap, "cannot open config %s: %s", path,
                             strerror(errno));
    bw_bootcfg_new_source(c);
    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            fclose(f);
            return bw_posix_errf(err, cap, "%s:%u: line too long", path,
                                 lineno);
        }
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char *name = strtok(line, " \t\r\n=");
        if (name == NULL)
            continue;
        char *value = strtok(NULL, " \t\r\n=");
        if (value == NULL || strtok(NULL, " \t\r\n") != NULL ||
            strcmp(name, "config") == 0) {
            fclose(f);
            return bw_posix_errf(err, cap, "%s:%u: expected \"name value\"",
                                 path, lineno);
        }
        char sub[256];
        if (bw_bootcfg_set(c, name, value, sub, sizeof sub) != 0) {
            fclose(f);
            return bw_posix_errf(err, cap, "%s:%u: %s", path, lineno, sub);
        }
    }
    fclose(f);
    bw_bootcfg_new_source(c);
    return 0;
}

/* The settings bw_bootcfg_set() knows, as command-line options. */
static const char *const setting_names[] = {
    "flash", "geometry", "align",   "primary",     "secondary",
    "unit",  "key",      "counter", "reboot-code", "config",
};
#define N_SETTINGS (sizeof setting_names / sizeof setting_names[0])

int bw_bootcfg_getopt(bw_bootcfg_t *c, int argc, char **argv,
                      const char *shortopts, const struct option *own,
                      char *err, size_t cap)
{
    struct option all[N_SETTINGS + BW_BOOTCFG_OWN_OPTS_MAX + 1];
    size_t n = 0;
    for (; n < N_SETTINGS; n++)
        all[n] = (struct option){setting_names[n], required_argument, NULL, 0};
    for (size_t i = 0; own[i].name != NULL; i++) {
        if (i == BW_BOOTCFG_OWN_OPTS_MAX) {
            (void)bw_posix_errf(err, cap, "more than %u program options",
                                BW_BOOTCFG_OWN_OPTS_MAX);
            return BW_BOOTCFG_OPT_BAD;
        }
        all[n++] = own[i];
    }
    all[n] = (struct option){NULL, 0, NULL, 0};
    for (;;) {
        int idx = 0;
        int ch = getopt_long(argc, argv, shortopts, all, &idx);
        if (ch != 0)
            return ch;
        if (bw_bootcfg_set(c, all[idx].name, optarg, err, cap) != 0)
            return BW_BOOTCFG_OPT_BAD;
    }
}

void bw_bootcfg_new_source(bw_bootcfg_t *c)
{
    c->key_fresh = 1;
}

int bw_bootcfg_set(bw_bootcfg_t *c, const char *name, const char *value,
                   char *err, size_t cap)
{
    uint32_t v;
    if (strcmp(name, "flash") == 0) {
        if (copy_str(c->flash, sizeof c->flash, value) != 0)
            return bw_posix_errf(err, cap, "flash path too long");
    } else if (strcmp(name, "geometry") == 0) {
        bw_posix_geometry_t g;
        if (bw_posix_geometry_parse(value, &g) != 0 ||
            copy_str(c->geometry, sizeof c->geometry, value) != 0)
            return bw_posix_errf(err, cap,
                                 "bad geometry \"%s\" (SIZExCOUNT,...)", value);
    } else if (strcmp(name, "align") == 0) {
        if (parse_num(value, &v) != 0 || v == 0 || v > BW_FLASH_MAX_ALIGN ||
            (v & (v - 1u)) != 0)
            return bw_posix_errf(err, cap,
                                 "bad align \"%s\" (power of two <= %d)", value,
                                 BW_FLASH_MAX_ALIGN);
        c->align = v;
    } else if (strcmp(name, "primary") == 0) {
        if (parse_span(value, &c->prim_off, &c->prim_size) != 0)
            return bw_posix_errf(err, cap, "bad primary \"%s\" (OFF:SIZE)",
                                 value);
        c->have_prim = 1;
    } else if (strcmp(name, "secondary") == 0) {
        if (parse_span(value, &c->sec_off, &c->sec_size) != 0)
            return bw_posix_errf(err, cap, "bad secondary \"%s\" (OFF:SIZE)",
                                 value);
        c->have_sec = 1;
    } else if (strcmp(name, "unit") == 0) {
        if (parse_num(value, &c->unit) != 0 || c->unit == 0)
            return bw_posix_errf(err, cap, "bad unit \"%s\"", value);
        c->have_unit = 1;
    } else if (strcmp(name, "key") == 0) {
        if (c->key_fresh)
            c->n_keys = 0;
        c->key_fresh = 0;
        if (c->n_keys == BW_BOOTCFG_MAX_KEYS)
            return bw_posix_errf(err, cap, "more than %u keys",
                                 BW_BOOTCFG_MAX_KEYS);
        if (copy_str(c->key_path[c->n_keys], BW_BOOTCFG_PATH_MAX, value))
            return bw_posix_errf(err, cap, "key path too long");
        c->n_keys++;
    } else if (strcmp(name, "counter") == 0) {
        if (copy_str(c->counter, sizeof c->counter, value) != 0)
            return bw_posix_errf(err, cap, "counter path too long");
    } else if (strcmp(name, "reboot-code") == 0) {
        if (parse_num(value, &v) != 0 || v == 0 || v > 255)
            return bw_posix_errf(err, cap, "bad reboot code \"%s\" (1..255)",
                                 value);
        c->reboot_code = (int)v;
    } else if (strcmp(name, "config") == 0) {
        return load_file(c, value, err, cap);
    } else {
        return bw_posix_errf(err, cap, "unknown setting \"%s\"", name);
    }
    return 0;
}

void bw_bootcfg_init(bw_bootcfg_t *c)
{
    static const struct {
        const char *env, *name;
    } vars[] = {
        {"BW_FLASH", "flash"},
        {"BW_FLASH_GEOMETRY", "geometry"},
        {"BW_FLASH_ALIGN", "align"},
        {"BW_SLOT_PRIMARY", "primary"},
        {"BW_SLOT_SECONDARY", "secondary"},
        {"BW_SLOT_UNIT", "unit"},
        {"BW_BOOT_COUNTER", "counter"},
        {"BW_BOOT_REBOOT_CODE", "reboot-code"},
    };
    char err[256];
    memset(c, 0, sizeof *c);
    c->align = BW_BOOTCFG_DEFAULT_ALIGN;
    c->reboot_code = BW_BOOTCFG_DEFAULT_REBOOT;
    c->flash_dev.fd = -1;
    /* A bad environment value is ignored: the command line can fix it. */
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i].env);
        if (v != NULL && *v != '\0')
            (void)bw_bootcfg_set(c, vars[i].name, v, err, sizeof err);
    }
    const char *keys = getenv("BW_BOOT_KEYS");
    if (keys != NULL) {
        char path[BW_BOOTCFG_PATH_MAX];
        while (*keys != '\0') {
            size_t n = strcspn(keys, ":");
            if (n > 0 && n < sizeof path) {
                memcpy(path, keys, n);
                path[n] = '\0';
                (void)bw_bootcfg_set(c, "key", path, err, sizeof err);
            }
            keys += n + (keys[n] == ':');
        }
    }
    bw_bootcfg_new_source(c);
}

static int load_key(bw_bootcfg_t *c, size_t i, char *err, size_t cap)
{
    uint8_t raw[BW_P256_PUBKEY_LEN];
    FILE *f = fopen(c->key_path[i], "rbe");
    if (f == NULL)
        return bw_posix_errf(err, cap, "cannot open key %s: %s", c->key_path[i],
                             strerror(errno));
    size_t n = fread(c->key_der[i], 1, BW_BOOTCFG_KEY_MAX, f);
    int more = fgetc(f) != EOF;
    fclose(f);
    bw_image_key_t *k = &c->keys[i];
    k->der = c->key_der[i];
    k->der_len = n;
    k->type = n == BW_IMAGE_ED25519_SPKI_LEN ? BW_IMAGE_KEY_ED25519
                                             : BW_IMAGE_KEY_ECDSA_P256;
    if (more || bw_image_key_raw(k, raw, sizeof raw) != 0)
        return bw_posix_errf(
            err, cap,
            "%s is not a DER SubjectPublicKeyInfo of a P-256 or "
            "Ed25519 key",
            c->key_path[i]);
    return 0;
}

/* The default layout for a uniform geometry (see boot_cfg.h). */
static int default_layout(bw_bootcfg_t *c, char *err, size_t cap)
{
    const bw_posix_geometry_t *g = &c->geom;
    if (g->n_runs != 1 || g->run[0].count < 5)
        return bw_posix_errf(
            err, cap,
            "no default slot layout for geometry %s: give --primary, "
            "--secondary and --unit",
            c->geometry);
    uint32_t s = g->run[0].size, u = (g->run[0].count - 3u) / 2u;
    if (!c->have_unit)
        c->unit = s;
    if (!c->have_prim) {
        c->prim_off = 0;
        c->prim_size = (u + 1u) * s;
    }
    if (!c->have_sec) {
        c->sec_off = (u + 1u) * s;
        c->sec_size = (u + 2u) * s;
    }
    return 0;
}

int bw_bootcfg_open(bw_bootcfg_t *c, int create, int counter_ro, char *err,
                    size_t cap)
{
    if (c->flash[0] == '\0')
        return bw_posix_errf(err, cap, "no flash image (--flash FILE)");
    if (c->geometry[0] == '\0')
        return bw_posix_errf(err, cap,
                             "no flash geometry (--geometry SIZExCOUNT)");
    if (c->counter[0] == '\0')
        return bw_posix_errf(err, cap, "no counter file (--counter FILE)");
    if (c->n_keys == 0)
        return bw_posix_errf(err, cap, "no trusted key (--key PUB.der)");
    if (bw_posix_geometry_parse(c->geometry, &c->geom) != 0)
        return bw_posix_errf(err, cap, "bad geometry %s", c->geometry);
    if (!(c->have_prim && c->have_sec && c->have_unit) &&
        default_layout(c, err, cap) != 0)
        return -1;
    for (size_t i = 0; i < c->n_keys; i++)
        if (load_key(c, i, err, cap) != 0)
            return -1;
    if (bw_posix_counter_init(&c->counter_store, c->counter, counter_ro) != 0)
        return bw_posix_errf(err, cap, "bad counter path");
    if (c->unit == 0 || c->prim_size < c->unit || c->sec_size < c->unit ||
        (uint64_t)c->prim_off + c->prim_size > c->geom.total ||
        (uint64_t)c->sec_off + c->sec_size > c->geom.total ||
        (c->prim_off < c->sec_off + c->sec_size &&
         c->sec_off < c->prim_off + c->prim_size))
        return bw_posix_errf(err, cap,
                             "slots must lie inside the flash (%" PRIu32
                             " bytes) and not overlap",
                             c->geom.total);
    int rc = bw_posix_flash_open(&c->flash_dev, c->flash, &c->geom,
                                 (uint8_t)c->align, create);
    if (rc != 0)
        return bw_posix_errf(err, cap, "cannot open flash image %s (%s): %s",
                             c->flash, c->geometry,
                             rc == BW_ERANGE
                                 ? "its size does not match the geometry"
                                 : bw_strerror(rc));
    const bw_flash_t *dev = bw_posix_flash_dev(&c->flash_dev);
    bw_boot_config_t *b = &c->boot;
    memset(b, 0, sizeof *b);
    b->primary = (bw_flash_area_t){dev, c->prim_off, c->prim_size};
    b->secondary = (bw_flash_area_t){dev, c->sec_off, c->sec_size};
    b->unit_size = c->unit;
    /* Units: all whole units that leave room for a trailer. */
    b->units = (c->prim_size - 1u) / c->unit;
    b->keys = c->keys;
    b->n_keys = c->n_keys;
    b->counter = bw_posix_counter_ops(&c->counter_store);
    return 0;
}

void bw_bootcfg_close(bw_bootcfg_t *c)
{
    bw_posix_flash_close(&c->flash_dev);
}

static int setenv_u32(const char *name, uint32_t v)
{
    char buf[16];
    snprintf(buf, sizeof buf, "%" PRIu32, v);
    return setenv(name, buf, 1);
}

static int setenv_span(const char *name, uint32_t off, uint32_t size)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu32 ":%" PRIu32, off, size);
    return setenv(name, buf, 1);
}

int bw_bootcfg_export_env(const bw_bootcfg_t *c)
{
    char keys[BW_BOOTCFG_MAX_KEYS * BW_BOOTCFG_PATH_MAX];
    size_t used = 0;
    keys[0] = '\0';
    for (size_t i = 0; i < c->n_keys; i++) {
        int n = snprintf(keys + used, sizeof keys - used, "%s%s", i ? ":" : "",
                         c->key_path[i]);
        if (n < 0 || (size_t)n >= sizeof keys - used)
            return -1;
        used += (size_t)n;
    }
    int bad = setenv("BW_FLASH", c->flash, 1);
    bad |= setenv("BW_FLASH_GEOMETRY", c->geometry, 1);
    bad |= setenv_u32("BW_FLASH_ALIGN", c->align);
    bad |= setenv_span("BW_SLOT_PRIMARY", c->prim_off, c->prim_size);
    bad |= setenv_span("BW_SLOT_SECONDARY", c->sec_off, c->sec_size);
    bad |= setenv_u32("BW_SLOT_UNIT", c->unit);
    bad |= setenv("BW_BOOT_KEYS", keys, 1);
    bad |= setenv("BW_BOOT_COUNTER", c->counter, 1);
    bad |= setenv_u32("BW_BOOT_REBOOT_CODE", (uint32_t)c->reboot_code);
    return bad ? -1 : 0;
}
