/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-coap-client: a device-side CoAP client on lib/coap and the
 * transport seam, over plain UDP (coap://) or DTLS 1.2 (coaps://).
 *
 * It is what a device does when it talks to a server, reduced to one
 * request: bring the channel up (a DTLS handshake with credentials from
 * the device's key store), send GET/PUT/POST/DELETE, move large bodies
 * block-wise (RFC 7959), and report the outcome as an exit code.  The
 * interop tests drive it against libcoap's servers.
 *
 * This file owns the command line and the exit codes; the request runs in
 * exchange.c, the channel is set up in channel.c.  Diagnostics go to
 * stderr, one line each; no key material is ever printed.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "bulwark/coap_block.h"
#include "client.h"

uint64_t cli_now_ms(void)
{
    /* Counted from the first call, so the transport's 32-bit clock does
     * not wrap within the run (CLOCK_MONOTONIC may be days old). */
    static uint64_t origin;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    if (origin == 0)
        origin = ms - 1;
    return ms - origin;
}

static void usage(FILE *to)
{
    fputs("usage: " CLI_NAME " [options] coap://host[:port]/path\n"
          "       " CLI_NAME " [options] coaps://host[:port]/path\n"
          "\n"
          "Send one CoAP request the way a Bulwark device does (lib/coap over\n"
          "plain UDP, or DTLS 1.2 on mbedTLS for coaps://) and report the\n"
          "outcome.  Large bodies move block-wise (RFC 7959).\n"
          "\n"
          "  -m, --method M         get (default), put, post or delete\n"
          "  -f, --file FILE        request body for put/post ('-': stdin;\n"
          "                         at most 16 MiB); sent with Block1 when\n"
          "                         larger than the block size\n"
          "  -o, --output FILE      write the response body here (default\n"
          "                         stdout); removed again if the transfer\n"
          "                         fails\n"
          "  -b, --block SIZE       block size 16, 32, .. 1024 (default 1024)\n"
          "      --keystore DIR     key store directory with the credentials\n"
          "                         (dm/psk-identity, dm/psk; or\n"
          "                         device/cert.der, device/key.der,\n"
          "                         ca/cert.der)\n"
          "      --psk-identity ID  PSK identity (overrides the key store's)\n"
          "      --psk-key-file F   file holding the PSK, its bytes as they\n"
          "                         are (overrides the key store's); no key\n"
          "                         store needed when both are given\n"
          "      --cert-mode        authenticate with certificates from the\n"
          "                         key store instead of a PSK\n"
          "      --server-name NAME name the server certificate must carry\n"
          "                         (default: the URI's host)\n"
          "      --timeout SECONDS  give up after this long (default 60)\n"
          "      --reconnect N      then close and reconnect N times, repeat\n"
          "                         the request, and tell on stderr whether\n"
          "                         each handshake resumed the session\n"
          "  -v, --verbose          handshake progress and cipher suite on\n"
          "                         stderr (never secrets)\n"
          "  -h, --help             this text\n"
          "\n"
          "Exit status: 0 on a 2.xx response, 3 on a 4.xx or 5.xx response\n"
          "(its code is printed), 1 when the channel, handshake, a file or\n"
          "the protocol failed (one line on stderr says why), 2 on a usage\n"
          "error.\n",
          to);
}

/* Usage error: one line, a pointer to --help, exit status 2. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt,
                                                             ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(CLI_NAME ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see --help)\n", stderr);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

typedef struct {
    cli_request_t req;
    cli_security_t sec;
    cli_uri_t uri;
    const char *in_path, *out_path;
    long timeout_s, reconnect;
} opts_t;

static int parse_args(opts_t *o, int argc, char **argv)
{
    enum {
        OPT_KEYSTORE = 256,
        OPT_PSK_ID,
        OPT_PSK_KEY,
        OPT_CERT,
        OPT_NAME,
        OPT_TIMEOUT,
        OPT_RECONNECT,
    };
    static const struct option longopts[] = {
        {"method", required_argument, NULL, 'm'},
        {"file", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"block", required_argument, NULL, 'b'},
        {"keystore", required_argument, NULL, OPT_KEYSTORE},
        {"psk-identity", required_argument, NULL, OPT_PSK_ID},
        {"psk-key-file", required_argument, NULL, OPT_PSK_KEY},
        {"cert-mode", no_argument, NULL, OPT_CERT},
        {"server-name", required_argument, NULL, OPT_NAME},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"reconnect", required_argument, NULL, OPT_RECONNECT},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const struct {
        const char *name;
        uint8_t code;
    } methods[] = {{"get", BW_COAP_GET},
                   {"put", BW_COAP_PUT},
                   {"post", BW_COAP_POST},
                   {"delete", BW_COAP_DELETE}};
    char err[160];
    long v;
    int c;

    o->req.method = BW_COAP_GET;
    o->req.szx = BW_COAP_BLOCK_MAX_SZX;
    o->timeout_s = 60;
    while ((c = getopt_long(argc, argv, "m:f:o:b:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            o->req.method = 0;
            for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
                if (strcasecmp(optarg, methods[i].name) == 0)
                    o->req.method = methods[i].code;
            if (o->req.method == 0)
                return usage_error("unknown method '%s'", optarg);
            break;
        case 'f':
            o->in_path = optarg;
            break;
        case 'o':
            o->out_path = optarg;
            break;
        case 'b':
            if (parse_long(optarg, 16, 1024, &v) != 0 ||
                bw_coap_block_szx((size_t)v, &o->req.szx) != 0)
                return usage_error("-b wants 16, 32, 64, .. 1024, got '%s'",
                                   optarg);
            break;
        case OPT_KEYSTORE:
            o->sec.keystore_dir = optarg;
            break;
        case OPT_PSK_ID:
            o->sec.psk_identity = optarg;
            break;
        case OPT_PSK_KEY:
            o->sec.psk_key_file = optarg;
            break;
        case OPT_CERT:
            o->sec.cert_mode = 1;
            break;
        case OPT_NAME:
            o->sec.server_name = optarg;
            break;
        case OPT_TIMEOUT:
            if (parse_long(optarg, 1, 3600, &o->timeout_s) != 0)
                return usage_error("--timeout wants 1..3600 seconds, got '%s'",
                                   optarg);
            break;
        case OPT_RECONNECT:
            if (parse_long(optarg, 0, 100, &o->reconnect) != 0)
                return usage_error("--reconnect wants 0..100, got '%s'",
                                   optarg);
            break;
        case 'v':
            o->req.verbose = o->sec.verbose = 1;
            break;
        case 'h':
            usage(stdout);
            exit(CLI_EXIT_OK);
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc)
        return usage_error(optind == argc ? "no URI given"
                                          : "more than one URI given");
    o->sec.timeout_ms = (uint32_t)o->timeout_s * 1000u;
    if (cli_uri_parse(&o->uri, argv[optind], err, sizeof err) != 0)
        return usage_error("%s: %s", argv[optind], err);
    o->req.uri = &o->uri;

    int has_body =
        o->req.method == BW_COAP_PUT || o->req.method == BW_COAP_POST;
    if (o->in_path != NULL && !has_body)
        return usage_error("-f is for put and post");
    int any_sec = o->sec.keystore_dir || o->sec.psk_identity ||
                  o->sec.psk_key_file || o->sec.cert_mode || o->sec.server_name;
    if (!o->uri.secure && any_sec)
        return usage_error("credentials given for a coap:// URI; use coaps://");
    if (o->uri.secure) {
        if ((o->sec.psk_identity == NULL) != (o->sec.psk_key_file == NULL) &&
            o->sec.keystore_dir == NULL)
            return usage_error("--psk-identity and --psk-key-file go together "
                               "(or come from --keystore)");
        if (o->sec.cert_mode && o->sec.keystore_dir == NULL)
            return usage_error("--cert-mode needs --keystore");
        if (o->sec.cert_mode && (o->sec.psk_identity || o->sec.psk_key_file))
            return usage_error("--cert-mode and a PSK exclude each other");
        if (o->sec.keystore_dir == NULL && o->sec.psk_identity == NULL)
            return usage_error("coaps:// needs --keystore or --psk-identity "
                               "with --psk-key-file");
    }
    return 0;
}

static uint64_t fresh_seed(void)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
        seed = cli_now_ms() ^ (uint64_t)time(NULL) << 20;
    return seed;
}

/* Report how a run ended; returns the exit status. */
static int report(const cli_result_t *res)
{
    if (res->err != 0) {
        fprintf(stderr, "%s: %s\n", CLI_NAME, res->reason);
        return CLI_EXIT_FAIL;
    }
    if (BW_COAP_CODE_CLASS(res->code) == 2)
        return CLI_EXIT_OK;
    char name[48];
    cli_code_name(res->code, name, sizeof name);
    fprintf(stderr, "%s: %s%s%s\n", CLI_NAME, name, res->diag[0] ? ": " : "",
            res->diag);
    return CLI_EXIT_RESPONSE;
}

static int connect_channel(const cli_channel_t *ch, uint64_t deadline)
{
    int err = cli_channel_connect(ch, deadline);
    if (err != 0) {
        char why[200];
        cli_channel_describe(ch, err, why, sizeof why);
        fprintf(stderr, "%s: %s\n", CLI_NAME, why);
        return -1;
    }
    cli_channel_log(ch);
    return 0;
}

int main(int argc, char **argv)
{
    static opts_t o;
    cli_body_t body = {0};
    cli_sink_t sink;
    cli_channel_t ch;
    cli_result_t res;
    char err[200];
    int rc;

    cli_now_ms(); /* start the clock */
    rc = parse_args(&o, argc, argv);
    if (rc != 0)
        return rc;
    if (o.in_path != NULL) {
        if (cli_body_load(&body, o.in_path, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", CLI_NAME, err);
            return CLI_EXIT_FAIL;
        }
        o.req.body = &body;
    }
    if (cli_sink_open(&sink, o.out_path, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", CLI_NAME, err);
        cli_body_free(&body);
        return CLI_EXIT_FAIL;
    }
    o.req.sink = &sink;
    if (cli_channel_open(&ch, &o.uri, &o.sec, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", CLI_NAME, err);
        cli_sink_close(&sink, 0, err, sizeof err);
        cli_body_free(&body);
        return CLI_EXIT_FAIL;
    }

    uint64_t deadline = cli_now_ms() + (uint64_t)o.timeout_s * 1000u;
    rc = CLI_EXIT_FAIL;
    if (connect_channel(&ch, deadline) == 0) {
        cli_exchange_run(&ch, &o.req, fresh_seed(), deadline, &res);
        rc = report(&res);
        for (long i = 1; i <= o.reconnect && rc != CLI_EXIT_FAIL; i++) {
            bw_transport_close(ch.t);
            if (connect_channel(&ch, deadline) != 0) {
                rc = CLI_EXIT_FAIL;
                break;
            }
            int resumed = cli_channel_resumed(&ch);
            fprintf(stderr, "%s: reconnect %ld: %s\n", CLI_NAME, i,
                    resumed > 0    ? "session resumed"
                    : resumed == 0 ? "full handshake"
                                   : "no session (plain UDP)");
            if (cli_sink_rewind(&sink, err, sizeof err) != 0) {
                fprintf(stderr, "%s: %s\n", CLI_NAME, err);
                rc = CLI_EXIT_FAIL;
                break;
            }
            cli_exchange_run(&ch, &o.req, fresh_seed(), deadline, &res);
            rc = report(&res);
        }
    }
    cli_channel_free(&ch);
    if (cli_sink_close(&sink, rc == CLI_EXIT_OK, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", CLI_NAME, err);
        rc = CLI_EXIT_FAIL;
    }
    cli_body_free(&body);
    return rc;
}
