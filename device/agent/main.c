/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-device: the LwM2M device agent for the POSIX port.
 *
 * This file reads the command line, builds the device contexts (one, or
 * --fleet N with names EP-0001..EP-N and a key store and state directory
 * each), and hands them to the loop (loop.c).  docs/device.md documents
 * the options, where state lives and the exit codes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "agent.h"
#include "boot_cfg.h"
#include "bulwark/crypto.h"
#include "cfgfile.h"

/* The program's release, set by the build (bulwark-device is 1.0.0, its
 * second build bulwark-device-v2 is 2.0.0: the demo's firmware update). */
#ifndef AGENT_RELEASE
#define AGENT_RELEASE "0.0.0"
#endif
/* The firmware version /3/0/3 reads outside bulwark-boot (under it, the
 * booted image's version) unless --fw-version says otherwise. */
#define AGENT_FW_VERSION "bulwark-device " AGENT_RELEASE

/* Default temperature sample interval, seconds. */
#define AGENT_SAMPLE_S 5u

static const char usage[] =
    "usage: bulwark-device --endpoint EP --state DIR [options]\n"
    "\n"
    "Run an LwM2M device: bootstrap with the factory server, register with\n"
    "the DM server it names, serve Device, Connectivity, Firmware Update\n"
    "and Temperature objects.\n"
    "\n"
    "  --config FILE         read options from FILE first: \"name = value\"\n"
    "                        lines, names as below without \"--\"; the\n"
    "                        command line wins (docs/device.md)\n"
    "  --endpoint EP         endpoint name (required); with --fleet, the\n"
    "                        devices are EP-0001..EP-N, or EP is a pattern\n"
    "                        with one %d or %0Nd (\"dev%03d\")\n"
    "  --bootstrap URI       factory bootstrap server, coaps://host:port or\n"
    "                        coap://host:port (used when no server set is\n"
    "                        saved yet)\n"
    "  --keystore DIR        factory credentials: bs/psk-identity, bs/psk\n"
    "  --state DIR           where the server set is saved (required)\n"
    "  --psk-identity ID     write ID and the key below into the key store\n"
    "  --psk-key-file FILE   as bs/psk-identity and bs/psk at start (tests)\n"
    "  --fleet N             run N devices in this process (1..1000); each\n"
    "                        has DIR/<endpoint> as key store and state\n"
    "  --fleet-ramp S        start the fleet's devices spread evenly over\n"
    "                        S seconds (0..3600; default 0: all at once)\n"
    "  --exit-after-register exit 0 once every device has registered\n"
    "                        (with each DM server of its set)\n"
    "  --max-runtime S       stop after S seconds: exit 1 if not every\n"
    "                        device registered (--exit-after-register),\n"
    "                        else de-register and exit 0\n"
    "  --fw-version TEXT     Firmware Version, /3/0/3\n"
    "  --reboot-code N       exit code of a server's Reboot (75, as\n"
    "                        bulwark-boot expects)\n"
    "  --sample-interval S   temperature sample interval (5)\n"
    "  --send-interval S     once registered, report the temperature and\n"
    "                        battery level with LwM2M Send every S\n"
    "                        seconds (0: never, the default)\n"
    "\n"
    "Firmware update (under bulwark-boot, which exports BW_FLASH, ...):\n"
    "  --model NAME          the model images must name (bulwark-sim)\n"
    "  --health-timeout S    a test boot must register within S seconds,\n"
    "                        else it reboots unconfirmed (60)\n"
    "  --fail-health-check   on a test boot, never register (tests, demo)\n"
    "  --flash-dir DIR       simulation for load tests: each device of the\n"
    "                        fleet gets DIR/<endpoint>.flash and .counter,\n"
    "                        and an update runs the bootloader in-process\n"
    "  --flash-geometry G    their geometry (16384x133: a 1 MiB image)\n"
    "  --boot-key PUB.der    trusted image key for --flash-dir (repeatable;\n"
    "                        default BW_BOOT_KEYS)\n"
    "  -v, --verbose         log state changes and handshakes\n"
    "  -h, --help            this text\n"
    "      --version         print the program's release and exit\n"
    "\n"
    "Exit codes: 0 done or stopped by SIGTERM/SIGINT, 1 failure or\n"
    "--max-runtime passed, 2 bad command line, 75 reboot requested.\n";

enum {
    OPT_ENDPOINT = 256,
    OPT_BOOTSTRAP,
    OPT_KEYSTORE,
    OPT_STATE,
    OPT_PSK_ID,
    OPT_PSK_FILE,
    OPT_FLEET,
    OPT_FLEET_RAMP,
    OPT_EXIT_REG,
    OPT_MAX_RUNTIME,
    OPT_FW_VERSION,
    OPT_REBOOT_CODE,
    OPT_SAMPLE,
    OPT_SEND,
    OPT_MODEL,
    OPT_HEALTH,
    OPT_FAIL_HEALTH,
    OPT_FLASH_DIR,
    OPT_FLASH_GEOMETRY,
    OPT_BOOT_KEY,
    OPT_CONFIG,
};

static const struct option options[] = {
    {"endpoint", required_argument, NULL, OPT_ENDPOINT},
    {"bootstrap", required_argument, NULL, OPT_BOOTSTRAP},
    {"keystore", required_argument, NULL, OPT_KEYSTORE},
    {"state", required_argument, NULL, OPT_STATE},
    {"psk-identity", required_argument, NULL, OPT_PSK_ID},
    {"psk-key-file", required_argument, NULL, OPT_PSK_FILE},
    {"fleet", required_argument, NULL, OPT_FLEET},
    {"fleet-ramp", required_argument, NULL, OPT_FLEET_RAMP},
    {"exit-after-register", no_argument, NULL, OPT_EXIT_REG},
    {"max-runtime", required_argument, NULL, OPT_MAX_RUNTIME},
    {"fw-version", required_argument, NULL, OPT_FW_VERSION},
    {"reboot-code", required_argument, NULL, OPT_REBOOT_CODE},
    {"sample-interval", required_argument, NULL, OPT_SAMPLE},
    {"send-interval", required_argument, NULL, OPT_SEND},
    {"model", required_argument, NULL, OPT_MODEL},
    {"health-timeout", required_argument, NULL, OPT_HEALTH},
    {"fail-health-check", no_argument, NULL, OPT_FAIL_HEALTH},
    {"flash-dir", required_argument, NULL, OPT_FLASH_DIR},
    {"flash-geometry", required_argument, NULL, OPT_FLASH_GEOMETRY},
    {"boot-key", required_argument, NULL, OPT_BOOT_KEY},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char *endpoint, *keystore, *state, *psk_id, *psk_file;
    unsigned long fleet;
} args_t;

uint64_t agent_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void agent_log(const agent_dev_t *d, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One write per line, so a fleet's lines never interleave. */
    if (d != NULL)
        fprintf(stderr, "%s: %s: %s\n", AGENT_NAME, d->ep, line);
    else
        fprintf(stderr, "%s: %s\n", AGENT_NAME, line);
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt,
                                                             ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\n(try --help)\n", AGENT_NAME, line);
    return AGENT_EXIT_USAGE;
}

/* A decimal number in [min, max]; 0 on success. */
static int number(const char *s, unsigned long min, unsigned long max,
                  unsigned long *out)
{
    char *end;
    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/*
 * The n-th fleet name (1-based): EP with its one "%d" / "%0Nd" replaced,
 * or EP-%04u.  Formatted here, never by handing EP to printf.
 */
static int fleet_name(const char *pattern, unsigned n, char *out, size_t cap)
{
    const char *pc = strchr(pattern, '%');
    int w;
    if (pc == NULL) {
        w = snprintf(out, cap, "%s-%04u", pattern, n);
        return w < 0 || (size_t)w >= cap ? -1 : 0;
    }
    const char *q = pc + 1;
    unsigned width = 0;
    if (*q == '0' && q[1] >= '1' && q[1] <= '9') {
        width = (unsigned)(q[1] - '0');
        q += 2;
    }
    if (*q != 'd' || strchr(q, '%') != NULL)
        return -1;
    w = snprintf(out, cap, "%.*s%0*u%s", (int)(pc - pattern), pattern,
                 (int)width, n, q + 1);
    return w < 0 || (size_t)w >= cap ? -1 : 0;
}

/* A name used as a directory: [A-Za-z0-9._:-], not starting with '.'. */
static int path_safe(const char *s)
{
    if (s[0] == '.' || s[0] == '\0')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-' ||
              *s == ':'))
            return 0;
    return 1;
}

/* Printable ASCII; space allowed or not. */
static int printable(const char *s, int space)
{
    unsigned char lo = space ? 0x20 : 0x21;
    for (; *s; s++)
        if ((unsigned char)*s < lo || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

/* dir, or dir/name in a fleet; a heap string (NULL: out of memory). */
static char *sub_dir(const char *dir, const char *name, int fleet)
{
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, fleet ? "%s/%s" : "%s", dir, name);
    return p;
}

int agent_dev_start(agent_dev_t *d, uint64_t now)
{
    agent_t *a = d->app;
    bw_lwm2m_client_config_t cfg = {
        .endpoint = d->ep,
        .bootstrap_uri = a->bootstrap_uri,
        .connect = agent_chan_connect,
        .send = agent_chan_send,
        .close = agent_chan_close,
        .save = agent_state_save,
        .load = agent_state_load,
        .event = agent_event,
        .arg = d,
    };
    uint64_t seed = 0;
    if (bw_posix_entropy(NULL, (uint8_t *)&seed, sizeof seed) != 0)
        seed = now ^ ((uint64_t)d->index << 32); /* jitter only */
    int err = bw_lwm2m_client_init(&d->client, &cfg, seed);
    if (err == 0)
        err = agent_objects_init(d);
    if (err != 0) {
        agent_log(d, "set-up failed: %s", bw_strerror(err));
        return err;
    }
    agent_fw_start(d, now);
    if (!agent_fw_may_register(d)) {
        d->logged_state = bw_lwm2m_client_state(&d->client);
        agent_log(d, "started: not registering (--fail-health-check)");
        return 0;
    }
    err = bw_lwm2m_client_start(&d->client, now);
    if (err == BW_EMALFORMED)
        agent_log(d, "the saved server set does not decode: starting from "
                     "the factory bootstrap server");
    else if (err != 0 && err != BW_ESTATE && err != BW_EINVAL)
        agent_log(d,
                  "reading the saved server set failed (%s): starting "
                  "from the factory bootstrap server",
                  bw_strerror(err));
    else if (err != 0) {
        agent_log(d, "start failed: %s", bw_strerror(err));
        return err;
    }
    d->logged_state = bw_lwm2m_client_state(&d->client);
    agent_log(d, "started: %s (%s, image %s)",
              d->logged_state == BW_LWM2M_STATE_BOOTSTRAPPING
                  ? "bootstrapping"
                  : "registering with the saved DM server",
              AGENT_FW_VERSION,
              d->fwu.running[0] ? d->fwu.running : "not under bulwark-boot");
    agent_fw_resume(d, now);
    return 0;
}

/* Make dir (0700) unless it exists; 0 or -1 with errno. */
static int make_dir(const char *dir)
{
    if (mkdir(dir, 0700) == 0 || errno == EEXIST)
        return 0;
    return -1;
}

/* Build context n (0-based); 0, or -1 after a message. */
static int dev_init(agent_t *a, const args_t *args, unsigned n)
{
    int fleet = args->fleet > 1;
    agent_dev_t *d = calloc(1, sizeof *d);
    if (d == NULL) {
        agent_log(NULL, "out of memory");
        return -1;
    }
    a->dev[n] = d;
    d->app = a;
    d->index = n;
    for (unsigned ch = 0; ch < BW_LWM2M_MAX_SERVERS; ch++) {
        d->chan[ch].udp.fd = -1;
        d->chan[ch].deadline = UINT64_MAX;
    }
    d->next_ms = 0;
    if (!fleet)
        snprintf(d->ep, sizeof d->ep, "%s", args->endpoint);
    else if (fleet_name(args->endpoint, n + 1, d->ep, sizeof d->ep) != 0 ||
             !path_safe(d->ep)) {
        usage_error("--endpoint %s: not a usable fleet name pattern",
                    args->endpoint);
        return -1;
    }
    d->state_dir = sub_dir(args->state, d->ep, fleet);
    if (args->keystore != NULL)
        d->keystore_dir = sub_dir(args->keystore, d->ep, fleet);
    if (d->state_dir == NULL || (args->keystore && !d->keystore_dir)) {
        agent_log(NULL, "out of memory");
        return -1;
    }
    int err = bw_posix_keystore_init(&d->state, d->state_dir);
    if (err != 0) {
        agent_log(d, "state directory %s: %s", d->state_dir, bw_strerror(err));
        return -1;
    }
    if (d->keystore_dir != NULL) {
        err = bw_posix_keystore_init(&d->ks, d->keystore_dir);
        if (err != 0) {
            agent_log(d, "key store %s: %s", d->keystore_dir, bw_strerror(err));
            return -1;
        }
        d->has_ks = 1;
    }
    if (args->psk_id != NULL) {
        /* parse() left room for the fleet suffix: never truncated. */
        char id[BW_DTLS_PSK_ID_MAX + 1], why[256];
        if (fleet)
            snprintf(id, sizeof id, "%s-%04u", args->psk_id, n + 1);
        else
            snprintf(id, sizeof id, "%s", args->psk_id);
        if (agent_state_put_factory(d, id, args->psk_file, why, sizeof why) !=
            0) {
            agent_log(d, "%s", why);
            return -1;
        }
    }
    agent_fw_open(d);
    if (a->bootstrap_uri == NULL) {
        size_t len = 0;
        if (bw_posix_keystore_get(&d->state, AGENT_STATE_ITEM, NULL, 0, &len) !=
            BW_ENOSPC) {
            agent_log(d,
                      "no --bootstrap and no saved server set in %s: "
                      "no server to talk to",
                      d->state_dir);
            return -1;
        }
    }
    return 0;
}

static void free_all(agent_t *a)
{
    for (unsigned i = 0; a->dev != NULL && i < a->ndev; i++) {
        agent_dev_t *d = a->dev[i];
        if (d == NULL)
            continue;
        agent_chan_free(d);
        agent_fw_close(d);
        free(d->state_dir);
        free(d->keystore_dir);
        /* The client's server set holds the DM keys. */
        bw_crypto_wipe(d, sizeof *d);
        free(d);
    }
    free(a->dev);
}

/* Parse the command line into a and args; -1 to go on, else exit code. */
static int parse(int argc, char **argv, agent_t *a, args_t *args)
{
    unsigned long v;
    int c;
    while ((c = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
        switch (c) {
        case OPT_ENDPOINT:
            args->endpoint = optarg;
            break;
        case OPT_BOOTSTRAP:
            a->bootstrap_uri = optarg;
            break;
        case OPT_KEYSTORE:
            args->keystore = optarg;
            break;
        case OPT_STATE:
            args->state = optarg;
            break;
        case OPT_PSK_ID:
            args->psk_id = optarg;
            break;
        case OPT_PSK_FILE:
            args->psk_file = optarg;
            break;
        case OPT_FLEET:
            if (number(optarg, 1, AGENT_FLEET_MAX, &args->fleet) != 0)
                return usage_error("--fleet %s: expected 1..1000", optarg);
            break;
        case OPT_FLEET_RAMP:
            if (number(optarg, 0, 3600, &v) != 0)
                return usage_error("--fleet-ramp %s: expected 0..3600 seconds",
                                   optarg);
            a->fleet_ramp_ms = (uint64_t)v * 1000u;
            break;
        case OPT_EXIT_REG:
            a->exit_after_register = 1;
            break;
        case OPT_MAX_RUNTIME:
            if (number(optarg, 1, 86400u * 365u, &v) != 0)
                return usage_error("--max-runtime %s: expected seconds",
                                   optarg);
            a->max_runtime = (uint64_t)v * 1000u;
            break;
        case OPT_FW_VERSION:
            a->fw_version = optarg;
            break;
        case OPT_REBOOT_CODE:
            if (number(optarg, 3, 255, &v) != 0)
                return usage_error("--reboot-code %s: expected 3..255", optarg);
            a->reboot_code = (int)v;
            break;
        case OPT_SAMPLE:
            if (number(optarg, 1, 86400, &v) != 0)
                return usage_error("--sample-interval %s: expected seconds",
                                   optarg);
            a->sample_ms = (uint32_t)v * 1000u;
            break;
        case OPT_SEND:
            if (number(optarg, 0, 86400, &v) != 0)
                return usage_error("--send-interval %s: expected seconds",
                                   optarg);
            a->send_ms = (uint32_t)v * 1000u;
            break;
        case OPT_MODEL:
            if (optarg[0] == '\0' || strlen(optarg) > BW_IMAGE_MODEL_MAX ||
                !printable(optarg, 0))
                return usage_error("--model %s: 1..%u printable characters",
                                   optarg, BW_IMAGE_MODEL_MAX);
            a->model = optarg;
            break;
        case OPT_HEALTH:
            if (number(optarg, 1, 86400, &v) != 0)
                return usage_error("--health-timeout %s: expected seconds",
                                   optarg);
            a->health_ms = (uint64_t)v * 1000u;
            break;
        case OPT_FAIL_HEALTH:
            a->fail_health = 1;
            break;
        case OPT_FLASH_DIR:
            a->flash_dir = optarg;
            break;
        case OPT_FLASH_GEOMETRY:
            a->flash_geometry = optarg;
            break;
        case OPT_BOOT_KEY:
            if (a->n_boot_keys == BW_BOOTCFG_MAX_KEYS)
                return usage_error("more than %u --boot-key",
                                   BW_BOOTCFG_MAX_KEYS);
            a->boot_keys[a->n_boot_keys++] = optarg;
            break;
        case OPT_CONFIG:
            break; /* read before this loop (bw_cfgfile_merge) */
        case 'v':
            a->verbose = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return AGENT_EXIT_OK;
        case 'V':
            puts(AGENT_FW_VERSION);
            return AGENT_EXIT_OK;
        default:
            return usage_error("%s", "unknown option");
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument %s", argv[optind]);
    if ((a->flash_geometry != NULL || a->n_boot_keys > 0) &&
        a->flash_dir == NULL)
        return usage_error("%s", "--flash-geometry and --boot-key go with "
                                 "--flash-dir");
    if (a->flash_dir != NULL && make_dir(a->flash_dir) != 0)
        return usage_error("--flash-dir %s: %s", a->flash_dir, strerror(errno));
    if (args->endpoint == NULL || args->state == NULL)
        return usage_error("%s", "--endpoint and --state are required");
    size_t n = strlen(args->endpoint);
    if (n == 0 || n > BW_LWM2M_ENDPOINT_MAX || !printable(args->endpoint, 0))
        return usage_error("--endpoint %s: 1..64 printable characters",
                           args->endpoint);
    if ((args->psk_id == NULL) != (args->psk_file == NULL))
        return usage_error("%s", "--psk-identity and --psk-key-file go "
                                 "together");
    if (args->psk_id != NULL && args->keystore == NULL)
        return usage_error("%s", "--psk-identity needs --keystore");
    /* A fleet adds "-0001" .. "-1000" to the identity. */
    size_t id_max = BW_DTLS_PSK_ID_MAX - (args->fleet > 1 ? 5u : 0u);
    if (args->psk_id != NULL &&
        (args->psk_id[0] == '\0' || strlen(args->psk_id) > id_max))
        return usage_error("--psk-identity: 1..%zu bytes", id_max);
    if (a->bootstrap_uri != NULL) {
        agent_uri_t u;
        int err = agent_uri_parse(&u, a->bootstrap_uri);
        if (err != 0 || strlen(a->bootstrap_uri) >= BW_LWM2M_URI_MAX)
            return usage_error("--bootstrap %s: expected coap://host:port or "
                               "coaps://host:port",
                               a->bootstrap_uri);
    }
    if (!printable(a->fw_version, 1) || strlen(a->fw_version) > 64)
        return usage_error("--fw-version %s: at most 64 printable characters",
                           a->fw_version);
    return -1;
}

static int run(int argc, char **argv)
{
    agent_t a;
    args_t args;
    memset(&a, 0, sizeof a);
    memset(&args, 0, sizeof args);
    a.fw_version = AGENT_FW_VERSION;
    a.reboot_code = BW_BOOTCFG_DEFAULT_REBOOT;
    a.model = AGENT_FW_MODEL;
    a.health_ms = AGENT_FW_HEALTH_S * 1000u;
    /* bulwark-boot says which exit code reboots (--reboot-code wins). */
    const char *rc_env = getenv("BW_BOOT_REBOOT_CODE");
    unsigned long rc_v;
    if (rc_env != NULL && number(rc_env, 3, 255, &rc_v) == 0)
        a.reboot_code = (int)rc_v;
    a.sample_ms = AGENT_SAMPLE_S * 1000u;
    args.fleet = 1;

    int code = parse(argc, argv, &a, &args);
    if (code >= 0)
        return code;
    a.start_ms = agent_now_ms();
    a.now = a.start_ms;
    a.ndev = (unsigned)args.fleet;
    a.dev = calloc(a.ndev, sizeof *a.dev);
    if (a.dev == NULL) {
        agent_log(NULL, "out of memory");
        return AGENT_EXIT_FAIL;
    }
    int fleet = args.fleet > 1;
    if (fleet && (make_dir(args.state) != 0 ||
                  (args.keystore && make_dir(args.keystore) != 0))) {
        agent_log(NULL, "cannot create %s: %s", args.state, strerror(errno));
        free_all(&a);
        return AGENT_EXIT_FAIL;
    }
    code = AGENT_EXIT_FAIL;
    unsigned i;
    for (i = 0; i < a.ndev; i++)
        if (dev_init(&a, &args, i) != 0)
            break;
    if (i == a.ndev)
        code = agent_run(&a);
    free_all(&a);
    return code;
}

/*
 * --config FILE: its settings become options placed before the command
 * line, then parse() reads both as one; a bad file is a bad command line.
 */
int main(int argc, char **argv)
{
    const bw_cfgfile_spec_t spec = {.shortopts = "vh", .opts = options};
    bw_cfgfile_argv_t m;
    char why[512];
    if (bw_cfgfile_merge(argc, argv, &spec, &m, why, sizeof why) != 0)
        return usage_error("%s", why);
    int code = run(m.argc, m.argv);
    bw_cfgfile_free(&m);
    return code;
}
