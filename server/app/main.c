/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-server: the LwM2M bootstrap and device-management server.
 *
 *   bulwark-server init        create the master key and the database
 *   bulwark-server provision   add a device with its factory bootstrap PSK
 *   bulwark-server token ...   create, list and revoke REST API tokens
 *   bulwark-server run         serve (the default)
 *
 * Secrets are never taken from the command line (any local user can read
 * it): keys come from files.
 */
#include <errno.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "api.h"
#include "api_queue.h"
#include "api_rotate.h"
#include "app.h"
#include "cfgfile.h"
#include "db_telemetry.h"
#include "db_token.h"
#include "fw_repo.h"

static void usage(FILE *to)
{
    fputs(
        "usage: bulwark-server [COMMAND] [options]\n"
        "\n"
        "The LwM2M bootstrap and device-management server over DTLS.\n"
        "\n"
        "Commands:\n"
        "  run                  serve (default)\n"
        "  init                 create the master key file (0600) if absent,\n"
        "                       the API token file (0600) if absent, and\n"
        "                       the database\n"
        "  provision            add a device and its factory bootstrap PSK\n"
        "  token create --name N --role viewer|operator|admin\n"
        "                       a REST API token, printed once\n"
        "  token list           the tokens (names, roles, times; no secret)\n"
        "  token revoke NAME    revoke a token at once\n"
        "\n"
        "Common options:\n"
        "  --config FILE        read options from FILE first, one\n"
        "                       \"name = value\" a line (names as below,\n"
        "                       no \"--\"); the command line wins\n"
        "                       (docs/server.md)\n"
        "  --db PATH            SQLite database (default ./bulwark.db)\n"
        "  --master-key PATH    32-byte key file, mode 0600\n"
        "                       (default ./master.key)\n"
        "\n"
        "run:\n"
        "  --bind ADDR          numeric address to listen on (default ::)\n"
        "  --dm-port N          DM server DTLS port (default 5684; 0 picks)\n"
        "  --bs-port N          bootstrap server DTLS port (default 5784)\n"
        "  --role dm|bs|both    which servers to run (default both)\n"
        "  --dm-uri URI         DM server URI given to devices at bootstrap\n"
        "                       (default coaps://<bind>:<dm-port>)\n"
        "  --lifetime S         registration lifetime given at bootstrap\n"
        "                       (default 300)\n"
        "  --workers N          DTLS worker threads per role (default: CPUs)\n"
        "  --state-dir DIR      keep DTLS sessions across a restart\n"
        "  --ready-file PATH    write \"DM-PORT BS-PORT\" once listening\n"
        "                       (\"DM-PORT BS-PORT API-PORT\" with the API)\n"
        "  -v, --verbose        log every handshake and update\n"
        "  --image-key FILE     trust this PEM key (public or private, ECDSA\n"
        "                       P-256 or Ed25519) for firmware uploads;\n"
        "                       repeatable.  None: uploads are refused\n"
        "                       (docs/firmware.md)\n"
        "  --rotate-days N      rotate the DM credentials of registered\n"
        "                       devices once they are N days old (checked\n"
        "                       at start, every minute and when a device\n"
        "                       registers; at most 100 a minute).  0: never\n"
        "                       (default)\n"
        "  --telemetry-max-rows N  values kept per device from LwM2M Send\n"
        "                       (oldest dropped first; default 10000)\n"
        "  --request-retention DAYS  keep answered and expired queued\n"
        "                       requests this long (default 30; 0: for\n"
        "                       ever)\n"
        "\n"
        "REST API (HTTPS, docs/api.md; on with --api or any --api-* option):\n"
        "  --api                serve the API with the defaults below\n"
        "  --api-port N         HTTPS port (default 8443; 0 picks)\n"
        "  --api-bind ADDR      numeric address (default: --bind)\n"
        "  --api-cert PATH      certificate (PEM); with --api-key.  Default:\n"
        "  --api-key PATH       a self-signed P-256 one made once in\n"
        "                       --state-dir (or .) and reused\n"
        "  --api-token-file P   bearer token file, 0600 (default: api.token\n"
        "                       next to the master key; init creates it)\n"
        "\n"
        "provision:\n"
        "  --endpoint EP        the device's endpoint name\n"
        "  --psk-identity ID    its factory bootstrap PSK identity\n"
        "  --psk-key-file FILE  the PSK, raw bytes (16..64)\n"
        "  --model NAME         device model (optional)\n"
        "\n"
        "  -h, --help           this text\n",
        to);
}

enum {
    O_DB = 256,
    O_KEY,
    O_BIND,
    O_DMPORT,
    O_BSPORT,
    O_ROLE,
    O_DMURI,
    O_LIFE,
    O_WORKERS,
    O_STATE,
    O_READY,
    O_EP,
    O_ID,
    O_KEYFILE,
    O_MODEL,
    O_API,
    O_APIPORT,
    O_APIBIND,
    O_APICERT,
    O_APIKEY,
    O_APITOKEN,
    O_IMAGEKEY,
    O_ROTATE,
    O_CONFIG,
    O_TMROWS,
    O_RETENTION
};

_Static_assert(BW_API_ROTATE_PER_MINUTE == 100,
               "--help says at most 100 rotations a minute");

static int port_arg(const char *s, uint16_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The token file's default: api.token in the master key's directory. */
static const char *token_path(const char *given, const char *master_key,
                              char *buf, size_t cap)
{
    if (given != NULL)
        return given;
    const char *slash = strrchr(master_key, '/');
    int dir = slash != NULL ? (int)(slash - master_key) : 0;
    snprintf(buf, cap, "%.*s%sapi.token", dir, master_key,
             slash != NULL ? "/" : "");
    return buf;
}

static int cmd_init(const char *db_path, const char *key, const char *token)
{
    struct stat st;
    if (stat(token, &st) != 0) {
        int err = bw_api_token_create(token);
        if (err != 0) {
            fprintf(stderr, "bulwark-server: %s: %s\n", token,
                    bw_strerror(err));
            return 1;
        }
        printf("created API token %s (mode 0600)\n", token);
    }
    if (stat(key, &st) != 0) {
        int err = bw_db_master_key_create(key);
        if (err != 0) {
            fprintf(stderr, "bulwark-server: %s: %s\n", key, bw_strerror(err));
            return 1;
        }
        printf("created master key %s (mode 0600: keep it safe, back it up)\n",
               key);
    }
    bw_db_config_t c = {.path = db_path, .master_key_file = key};
    bw_db_t *db;
    char why[256] = "";
    int err = bw_db_open(&c, &db, why, sizeof why);
    if (err != 0) {
        fprintf(stderr, "bulwark-server: %s: %s\n", db_path, why);
        return 1;
    }
    unsigned v = 0;
    (void)bw_db_schema_version(db, &v);
    printf("database %s ready (schema %u)\n", db_path, v);
    /* The token file becomes the admin token (hash only) while the
     * database has none; the file keeps working for bulwarkctl. */
    int imported = 0;
    err = bw_api_token_import(db, token, &imported, why, sizeof why);
    bw_db_close(db);
    if (err != 0) {
        fprintf(stderr, "bulwark-server: %s\n", why);
        return 1;
    }
    if (imported)
        printf("API token %s stored as admin token \"admin\" (argon2id "
               "hash)\n",
               token);
    return 0;
}

static int token_row(void *arg, const bw_db_token_t *t)
{
    (void)arg;
    char created[32], used[32] = "-", revoked[32] = "-";
    time_t s = (time_t)(t->created_ms / 1000);
    struct tm tm;
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&s, &tm));
    if (t->last_used_ms != 0) {
        s = (time_t)(t->last_used_ms / 1000);
        strftime(used, sizeof used, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&s, &tm));
    }
    if (t->revoked_ms != 0) {
        s = (time_t)(t->revoked_ms / 1000);
        strftime(revoked, sizeof revoked, "%Y-%m-%dT%H:%M:%SZ",
                 gmtime_r(&s, &tm));
    }
    printf("%-24s %-8s %-12s %-20s %-20s %s\n", t->name,
           bw_db_role_name(t->role), t->lookup, created, used, revoked);
    return 0;
}

/* bulwark-server token create|list|revoke: its own options, since
 * --role means something else to run. */
static const struct option token_opts[] = {
    {"db", required_argument, NULL, 'd'},
    {"master-key", required_argument, NULL, 'k'},
    {"name", required_argument, NULL, 'n'},
    {"role", required_argument, NULL, 'r'},
    {"config", required_argument, NULL, 'c'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int cmd_token(int argc, char **argv)
{
    const char *db_path = "bulwark.db", *key = "master.key", *name = NULL,
               *role_s = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", token_opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            break; /* read before this loop (bw_cfgfile_merge) */
        case 'd':
            db_path = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 'r':
            role_s = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    const char *sub = optind < argc ? argv[optind++] : "";
    const char *arg = optind < argc ? argv[optind++] : NULL;
    bw_db_role_t role = BW_DB_ROLE_VIEWER;
    int create = strcmp(sub, "create") == 0, list = strcmp(sub, "list") == 0,
        revoke = strcmp(sub, "revoke") == 0;
    if ((!create && !list && !revoke) || optind != argc ||
        (create && (name == NULL || role_s == NULL || arg != NULL ||
                    bw_db_role_parse(role_s, &role) != 0)) ||
        (list && arg != NULL) || (revoke && arg == NULL)) {
        fprintf(stderr, "usage: bulwark-server token create --name NAME "
                        "--role viewer|operator|admin\n"
                        "       bulwark-server token list\n"
                        "       bulwark-server token revoke NAME\n"
                        "       (with --db PATH --master-key PATH)\n");
        return 2;
    }
    bw_db_config_t dc = {.path = db_path, .master_key_file = key};
    bw_db_t *db;
    char why[256] = "";
    int err = bw_db_open(&dc, &db, why, sizeof why);
    if (err != 0) {
        fprintf(stderr, "bulwark-server: %s: %s\n", db_path, why);
        return 1;
    }
    int64_t now = wall_ms();
    if (list) {
        printf("%-24s %-8s %-12s %-20s %-20s %s\n", "NAME", "ROLE", "ID",
               "CREATED", "LAST USED", "REVOKED");
        err = bw_db_token_list(db, token_row, NULL);
    } else if (create) {
        char text[BW_DB_TOKEN_HEX + 1];
        err = bw_db_token_create(db, name, role, now, text, NULL);
        if (err == 0) {
            char detail[32];
            snprintf(detail, sizeof detail, "role %s", role_s);
            char subject[BW_DB_TOKEN_NAME_MAX + 8];
            snprintf(subject, sizeof subject, "token %s", name);
            (void)bw_db_audit_append(db, now, "cli", "token-created", subject,
                                     detail, NULL);
            /* Shown once: only its hash is kept. */
            printf("%s\n", text);
            fflush(stdout);
        }
        OPENSSL_cleanse(text, sizeof text);
    } else {
        err = bw_db_token_revoke(db, arg, now, NULL);
        if (err == 0) {
            char subject[BW_DB_TOKEN_NAME_MAX + 8];
            snprintf(subject, sizeof subject, "token %s", arg);
            (void)bw_db_audit_append(db, now, "cli", "token-revoked", subject,
                                     NULL, NULL);
            printf("revoked %s\n", arg);
        }
    }
    bw_db_close(db);
    if (err != 0) {
        fprintf(stderr, "bulwark-server: token %s: %s\n", sub,
                err == BW_EEXIST      ? "a token with this name exists "
                                        "(names are never reused)"
                : err == BW_ENOTFOUND ? "no such token"
                : err == BW_EREVOKED  ? "revoked already"
                : err == BW_EMALFORMED || err == BW_EOVERFLOW
                    ? "names are 1..64 of A-Z a-z 0-9 - . _"
                    : bw_strerror(err));
        return 1;
    }
    return 0;
}

static int cmd_provision(const char *db_path, const char *key, const char *ep,
                         const char *id, const char *keyfile, const char *model)
{
    if (ep == NULL || id == NULL || keyfile == NULL) {
        fprintf(stderr, "bulwark-server provision: --endpoint, --psk-identity "
                        "and --psk-key-file are required\n");
        return 2;
    }
    uint8_t psk[65];
    FILE *f = fopen(keyfile, "rb");
    size_t n = f != NULL ? fread(psk, 1, sizeof psk, f) : 0;
    if (f != NULL)
        fclose(f);
    if (f == NULL || n == 0 || n > 64) {
        fprintf(stderr, "bulwark-server: %s: %s\n", keyfile,
                f == NULL ? strerror(errno) : "want 1..64 bytes of key");
        OPENSSL_cleanse(psk, sizeof psk);
        return 1;
    }
    bw_db_config_t c = {.path = db_path, .master_key_file = key};
    bw_db_t *db;
    char why[256] = "";
    int err = bw_db_open(&c, &db, why, sizeof why);
    if (err != 0) {
        fprintf(stderr, "bulwark-server: %s: %s\n", db_path, why);
        OPENSSL_cleanse(psk, sizeof psk);
        return 1;
    }
    int64_t now = wall_ms();
    /* The device (or a key for a known one) and its key together: a
     * refused key leaves no device behind. */
    bw_db_psk_item_t item = {BW_DB_PURPOSE_BOOTSTRAP, (const uint8_t *)id,
                             strlen(id), psk, n};
    err =
        bw_db_device_provision(db, ep, model, NULL, &item, 1, now, NULL, NULL);
    OPENSSL_cleanse(psk, sizeof psk);
    OPENSSL_cleanse(&item, sizeof item);
    if (err == 0)
        err = bw_db_audit_append(db, now, "operator", "provisioned", ep,
                                 "factory bootstrap PSK", NULL);
    bw_db_close(db);
    if (err != 0) {
        fprintf(stderr, "bulwark-server: provision %s: %s\n", ep,
                err == BW_EWEAK     ? "credential too weak (PSK under 128 "
                                      "bits, or identity derived from the "
                                      "endpoint name)"
                : err == BW_EDUPKEY ? "this PSK is already used by a device"
                : err == BW_EEXIST  ? "this identity is already used"
                                    : bw_strerror(err));
        return 1;
    }
    printf("provisioned %s\n", ep);
    return 0;
}

/* run, init and provision share one table (and so one config file). */
static const struct option run_opts[] = {
    {"db", required_argument, NULL, O_DB},
    {"master-key", required_argument, NULL, O_KEY},
    {"bind", required_argument, NULL, O_BIND},
    {"dm-port", required_argument, NULL, O_DMPORT},
    {"bs-port", required_argument, NULL, O_BSPORT},
    {"role", required_argument, NULL, O_ROLE},
    {"dm-uri", required_argument, NULL, O_DMURI},
    {"lifetime", required_argument, NULL, O_LIFE},
    {"workers", required_argument, NULL, O_WORKERS},
    {"state-dir", required_argument, NULL, O_STATE},
    {"ready-file", required_argument, NULL, O_READY},
    {"endpoint", required_argument, NULL, O_EP},
    {"psk-identity", required_argument, NULL, O_ID},
    {"psk-key-file", required_argument, NULL, O_KEYFILE},
    {"model", required_argument, NULL, O_MODEL},
    {"api", no_argument, NULL, O_API},
    {"api-port", required_argument, NULL, O_APIPORT},
    {"api-bind", required_argument, NULL, O_APIBIND},
    {"api-cert", required_argument, NULL, O_APICERT},
    {"api-key", required_argument, NULL, O_APIKEY},
    {"api-token-file", required_argument, NULL, O_APITOKEN},
    {"image-key", required_argument, NULL, O_IMAGEKEY},
    {"rotate-days", required_argument, NULL, O_ROTATE},
    {"telemetry-max-rows", required_argument, NULL, O_TMROWS},
    {"request-retention", required_argument, NULL, O_RETENTION},
    {"config", required_argument, NULL, O_CONFIG},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* run, init or provision (cmd) with argv[0] the command's name. */
static int cmd_main(const char *cmd, int argc, char **argv)
{
    bw_app_config_t cfg = {
        .db_path = "bulwark.db",
        .master_key = "master.key",
        .bind_addr = "::",
        .dm_port = 5684,
        .bs_port = 5784,
        .lifetime_s = 300,
        .run_dm = 1,
        .run_bs = 1,
        .api_port = 8443,
        .request_retention_days = BW_API_QUEUE_RETENTION_DAYS_DEFAULT,
    };
    char token_buf[4096];
    const char *image_keys[BW_FWREPO_KEYS_MAX];
    const char *ep = NULL, *id = NULL, *keyfile = NULL, *model = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "vh", run_opts, NULL)) != -1) {
        switch (c) {
        case O_CONFIG:
            break; /* read before this loop (bw_cfgfile_merge) */
        case O_DB:
            cfg.db_path = optarg;
            break;
        case O_KEY:
            cfg.master_key = optarg;
            break;
        case O_BIND:
            cfg.bind_addr = optarg;
            break;
        case O_DMPORT:
        case O_BSPORT:
            if (port_arg(optarg, c == O_DMPORT ? &cfg.dm_port : &cfg.bs_port)) {
                fprintf(stderr, "bulwark-server: bad port '%s'\n", optarg);
                return 2;
            }
            break;
        case O_ROLE:
            cfg.run_dm =
                strcmp(optarg, "dm") == 0 || strcmp(optarg, "both") == 0;
            cfg.run_bs =
                strcmp(optarg, "bs") == 0 || strcmp(optarg, "both") == 0;
            if (!cfg.run_dm && !cfg.run_bs) {
                fprintf(stderr,
                        "bulwark-server: --role wants dm, bs or both\n");
                return 2;
            }
            break;
        case O_DMURI:
            cfg.dm_uri = optarg;
            break;
        case O_LIFE: {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end != '\0' || v == 0 || v > 31536000) {
                fprintf(stderr,
                        "bulwark-server: --lifetime wants 1..31536000\n");
                return 2;
            }
            cfg.lifetime_s = (uint32_t)v;
            break;
        }
        case O_WORKERS:
            cfg.workers = (unsigned)atoi(optarg);
            break;
        case O_STATE:
            cfg.state_dir = optarg;
            break;
        case O_READY:
            cfg.ready_file = optarg;
            break;
        case O_EP:
            ep = optarg;
            break;
        case O_ID:
            id = optarg;
            break;
        case O_KEYFILE:
            keyfile = optarg;
            break;
        case O_MODEL:
            model = optarg;
            break;
        case O_API:
            cfg.run_api = 1;
            break;
        case O_APIPORT:
            cfg.run_api = 1;
            if (port_arg(optarg, &cfg.api_port)) {
                fprintf(stderr, "bulwark-server: bad port '%s'\n", optarg);
                return 2;
            }
            break;
        case O_APIBIND:
            cfg.run_api = 1;
            cfg.api_bind = optarg;
            break;
        case O_APICERT:
            cfg.run_api = 1;
            cfg.api_cert = optarg;
            break;
        case O_APIKEY:
            cfg.run_api = 1;
            cfg.api_key = optarg;
            break;
        case O_APITOKEN:
            cfg.api_token_file = optarg;
            break;
        case O_IMAGEKEY:
            if (cfg.n_image_keys == BW_FWREPO_KEYS_MAX) {
                fprintf(stderr, "bulwark-server: at most %u --image-key\n",
                        (unsigned)BW_FWREPO_KEYS_MAX);
                return 2;
            }
            image_keys[cfg.n_image_keys++] = optarg;
            cfg.image_keys = image_keys;
            break;
        case O_ROTATE: {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
                v > BW_API_ROTATE_DAYS_MAX) {
                fprintf(stderr, "bulwark-server: --rotate-days wants 0..%u\n",
                        (unsigned)BW_API_ROTATE_DAYS_MAX);
                return 2;
            }
            cfg.rotate_days = (uint32_t)v;
            break;
        }
        case O_TMROWS: {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*optarg < '1' || *optarg > '9' || *end != '\0' ||
                v > BW_DB_TM_ROWS_MAX) {
                fprintf(stderr,
                        "bulwark-server: --telemetry-max-rows wants "
                        "1..%u\n",
                        (unsigned)BW_DB_TM_ROWS_MAX);
                return 2;
            }
            cfg.telemetry_max_rows = v;
            break;
        }
        case O_RETENTION: {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
                v > BW_API_QUEUE_RETENTION_DAYS_MAX) {
                fprintf(stderr,
                        "bulwark-server: --request-retention wants 0..%u "
                        "days\n",
                        (unsigned)BW_API_QUEUE_RETENTION_DAYS_MAX);
                return 2;
            }
            cfg.request_retention_days = (uint32_t)v;
            break;
        }
        case 'v':
            cfg.verbose = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "bulwark-server: unexpected argument '%s'\n",
                argv[optind]);
        return 2;
    }
    cfg.api_token_file = token_path(cfg.api_token_file, cfg.master_key,
                                    token_buf, sizeof token_buf);
    if ((cfg.api_cert == NULL) != (cfg.api_key == NULL)) {
        fprintf(stderr, "bulwark-server: --api-cert and --api-key go "
                        "together\n");
        return 2;
    }
    if (strcmp(cmd, "init") == 0)
        return cmd_init(cfg.db_path, cfg.master_key, cfg.api_token_file);
    if (strcmp(cmd, "provision") == 0)
        return cmd_provision(cfg.db_path, cfg.master_key, ep, id, keyfile,
                             model);
    if (strcmp(cmd, "run") != 0) {
        fprintf(stderr, "bulwark-server: unknown command '%s'\n", cmd);
        usage(stderr);
        return 2;
    }
    return bw_app_run(&cfg);
}

/*
 * --config FILE: its settings become options placed before the command
 * line, then the command's own getopt_long loop reads both as one.  token
 * has fewer options; it reads the same file and skips the settings that
 * only run, init and provision know.
 */
int main(int argc, char **argv)
{
    const char *cmd = "run";
    if (argc > 1 && argv[1][0] != '-') {
        cmd = argv[1];
        argv++;
        argc--;
    }
    int token = strcmp(cmd, "token") == 0;
    bw_cfgfile_argv_t m;
    char why[512];
    /* token takes --db and --master-key from the file; the file's other
     * settings are run's (its --role is not token's). */
    static const struct option token_file[] = {
        {"db", required_argument, NULL, 'd'},
        {"master-key", required_argument, NULL, 'k'},
        {NULL, 0, NULL, 0},
    };
    const bw_cfgfile_spec_t spec = {
        .shortopts = token ? "h" : "vh",
        .opts = token ? token_opts : run_opts,
        .file = token ? token_file : run_opts,
        .skip = token ? run_opts : NULL,
    };
    if (bw_cfgfile_merge(argc, argv, &spec, &m, why, sizeof why) != 0) {
        fprintf(stderr, "bulwark-server: %s\n", why);
        return 2;
    }
    int code =
        token ? cmd_token(m.argc, m.argv) : cmd_main(cmd, m.argc, m.argv);
    bw_cfgfile_free(&m);
    return code;
}
