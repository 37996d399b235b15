/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration shared by bulwark-boot and bulwark-bootctl: where the
 * flash image is, its geometry, the slot layout, the trusted keys and the
 * security counter file.
 *
 * Every setting can come from, in increasing priority: the environment
 * that bulwark-boot gives the application (BW_FLASH, ...; see
 * bw_bootcfg_export_env()), a config file (--config FILE: one "name value"
 * or "name = value" per line, '#' starts a comment, names as the long
 * options), and the command line.  So an application started by
 * bulwark-boot runs "bulwark-bootctl confirm" without any option.
 *
 * Slot layout (lib/boot's swap with offset; docs/boot.md):
 *   --primary OFF:SIZE, --secondary OFF:SIZE, --unit SIZE
 * Numbers are decimal or 0x-hex.  Without them, a geometry of n sectors
 * of one size s gets the default: unit = s, u = (n - 3) / 2 units,
 *   primary   [0, (u + 1) s)            u units + 1 trailer sector
 *   secondary [(u + 1) s, (2u + 3) s)   u + 1 units + 1 trailer sector
 */
#ifndef BW_BOOT_CFG_H
#define BW_BOOT_CFG_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/boot.h"
#include "posix_counter.h"
#include "posix_flash.h"

/* Trusted keys accepted: a few for key rotation, more is a mistake. */
#define BW_BOOTCFG_MAX_KEYS 8u

/* Longest path (flash image, key, counter, config) accepted. */
#define BW_BOOTCFG_PATH_MAX 1024u

/* Largest DER key file read (a P-256 SPKI is 91 bytes). */
#define BW_BOOTCFG_KEY_MAX 128u

/* Longest line of a config file. */
#define BW_BOOTCFG_LINE_MAX 1200u

/* Default write alignment of the flash image (a common NOR value). */
#define BW_BOOTCFG_DEFAULT_ALIGN 8u

/* Default exit code by which the application asks for a reboot. */
#define BW_BOOTCFG_DEFAULT_REBOOT 75

typedef struct {
    char flash[BW_BOOTCFG_PATH_MAX];
    char geometry[BW_POSIX_GEOMETRY_MAX];
    char counter[BW_BOOTCFG_PATH_MAX];
    char key_path[BW_BOOTCFG_MAX_KEYS][BW_BOOTCFG_PATH_MAX];
    size_t n_keys;
    uint32_t align;
    uint32_t prim_off, prim_size, sec_off, sec_size, unit;
    int have_prim, have_sec, have_unit;
    int reboot_code;
    int key_fresh; /* the next "key" replaces the list */
    /* Filled by bw_bootcfg_open(). */
    bw_posix_geometry_t geom;
    bw_posix_flash_t flash_dev;
    bw_posix_counter_t counter_store;
    uint8_t key_der[BW_BOOTCFG_MAX_KEYS][BW_BOOTCFG_KEY_MAX];
    bw_image_key_t keys[BW_BOOTCFG_MAX_KEYS];
    bw_boot_config_t boot;
} bw_bootcfg_t;

/* Defaults, then the environment (BW_FLASH, ... as exported below). */
void bw_bootcfg_init(bw_bootcfg_t *c);

/*
 * Apply one setting by its long option name ("flash", "geometry",
 * "align", "primary", "secondary", "unit", "key", "counter",
 * "reboot-code", "config").  "key" adds a key; the first "key" of a
 * source replaces the keys from lower-priority sources.
 * Returns 0, or -1 with a message in err (cap bytes).
 */
int bw_bootcfg_set(bw_bootcfg_t *c, const char *name, const char *value,
                   char *err, size_t cap);

/* Options of a program beyond the settings (bw_bootcfg_getopt()). */
#define BW_BOOTCFG_OWN_OPTS_MAX 8u

/* bw_bootcfg_getopt(): a setting's value was refused (message in err). */
#define BW_BOOTCFG_OPT_BAD (-2)

/*
 * getopt_long() over the command line of a program on these settings:
 * every setting of bw_bootcfg_set() is a long option taking a value
 * (--flash FILE, ...), and own lists the program's own options (at most
 * BW_BOOTCFG_OWN_OPTS_MAX, ended by an all-zero entry; each MUST have
 * flag NULL and a nonzero val).  shortopts is as for getopt_long().
 * Settings found are applied to c, in order, until the next own option.
 * Returns that option's val (its argument in optarg), -1 after the last
 * option (optind at the first operand), '?' or ':' for an unknown option
 * or a missing argument as getopt_long() reports them, or
 * BW_BOOTCFG_OPT_BAD with a message in err when a setting was refused or
 * own is too long.
 */
int bw_bootcfg_getopt(bw_bootcfg_t *c, int argc, char **argv,
                      const char *shortopts, const struct option *own,
                      char *err, size_t cap);

/* Mark the start of a new source (for the "key" replacement rule). */
void bw_bootcfg_new_source(bw_bootcfg_t *c);

/*
 * Open everything: parse the geometry, open (create when create is set)
 * the flash image, compute or check the layout, read the keys, point the
 * counter store at its file (read-only when counter_ro), and fill
 * c->boot for bw_boot_init().  Returns 0, or -1 with a message in err.
 */
int bw_bootcfg_open(bw_bootcfg_t *c, int create, int counter_ro, char *err,
                    size_t cap);

/* Close the flash image. */
void bw_bootcfg_close(bw_bootcfg_t *c);

/*
 * Export the configuration to the environment for the application:
 * BW_FLASH, BW_FLASH_GEOMETRY, BW_FLASH_ALIGN, BW_SLOT_PRIMARY,
 * BW_SLOT_SECONDARY (OFF:SIZE), BW_SLOT_UNIT, BW_BOOT_KEYS (paths joined
 * by ':'), BW_BOOT_COUNTER, BW_BOOT_REBOOT_CODE.  Returns 0 or -1.
 */
int bw_bootcfg_export_env(const bw_bootcfg_t *c);

#endif /* BW_BOOT_CFG_H */
