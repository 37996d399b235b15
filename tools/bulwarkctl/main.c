/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwarkctl: drive bulwark-server's REST API from a terminal or a
 * script.  This file reads the global options and the environment and
 * picks the command; docs/bulwarkctl.md is the manual.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char main_help[] =
    "usage: " CTL_NAME " [global options] COMMAND [options] [arguments]\n"
    "\n"
    "bulwark-server's REST API from a terminal.\n"
    "\n"
    "Commands:\n"
    "  health                         is the API up (no token needed)\n"
    "  devices [--model M] [--tag T] [--limit N] [--after EP]\n"
    "                                 list devices\n"
    "  device EP                      one device and its registration\n"
    "  device delete EP               delete a device and all it owns\n"
    "  provision EP [--psk-identity ID (--psk-file F | --psk-hex HEX)]\n"
    "               [--dm-psk-identity ID (--dm-psk-file F | --dm-psk-hex H)]\n"
    "                                 add a device with its bootstrap PSK\n"
    "                                 and/or a DM credential from another\n"
    "                                 bootstrap server\n"
    "  read [--async] EP PATH         LwM2M Read on a registered device\n"
    "  write [--async] EP PATH VALUE  LwM2M Write\n"
    "  exec [--async] EP PATH [ARGS]  LwM2M Execute\n"
    "  discover EP PATH               LwM2M Discover: objects, resources,\n"
    "                                 attributes\n"
    "  create EP PATH --value JSON [--instance N]\n"
    "                                 LwM2M Create of an object instance\n"
    "  delete EP PATH                 LwM2M Delete of an object instance\n"
    "  attrs EP PATH [--pmin N] [--pmax N] [--gt X] [--lt X] [--st X]\n"
    "        [--epmin N] [--epmax N] [--clear NAME]...\n"
    "                                 LwM2M Write-Attributes\n"
    "  observe EP PATH [--follow]     LwM2M Observe; values go to 'data'\n"
    "  cancel EP (PATH | --id N)      end an observation\n"
    "  observations EP                a device's live observations\n"
    "  rotate EP                      rotate a device's DM credentials\n"
    "  credentials EP                 a device's credentials (never keys)\n"
    "  revoke EP ID                   revoke one of them (admin)\n"
    "  bootstrap EP [--binding U|UQ] [--lifetime S] [--server-uri U]\n"
    "               [--servers-file F]  (additional DM servers, JSON)\n"
    "  bootstrap EP --show|--reset    what the device gets at its next\n"
    "                                 bootstrap (queue mode: UQ)\n"
    "  requests EP [--state S]        requests queued for a device\n"
    "  request ID [--cancel]          one queued request, or cancel it\n"
    "  audit [--limit N] [--after ID] the audit log\n"
    "  data EP [--path P] [--since T] values EP reported with LwM2M Send\n"
    "  firmware upload|list|show      the firmware repository\n"
    "  campaign create|list|show|device|watch|pause|resume|abort\n"
    "                                 update campaigns\n"
    "  token create|list|revoke       API tokens and their roles (admin)\n"
    "  events [--type T] [--endpoint EP]\n"
    "                                 live events as they happen\n"
    "\n"
    "Global options (before or after the command):\n"
    "  --url URL          the API (default https://localhost:8443, env "
    "BULWARK_URL)\n"
    "  --token-file FILE  the API token (env BULWARK_TOKEN_FILE, or "
    "BULWARK_TOKEN\n"
    "                     with the token itself)\n"
    "  --cacert FILE      trust only this certificate: the server's "
    "api-cert.pem\n"
    "                     (env BULWARK_CACERT)\n"
    "  --insecure         do not check the server's certificate\n"
    "  --json             print the API's JSON as is\n"
    "  --timeout S        give up on a request after S seconds (default 60)\n"
    "  -h, --help         this help; 'COMMAND --help' for a command's\n"
    "  --version          the version\n"
    "\n"
    "Exit status: 0 ok, 1 API error, 2 usage, 3 campaign halted, 4 campaign\n"
    "aborted, 5 cannot reach the server (network, TLS), 6 authentication.\n";

/* cmd_ops.c: Discover, Create, Delete, Write-Attributes. */
int cmd_discover(ctl_t *c, int argc, char **argv);
int cmd_create(ctl_t *c, int argc, char **argv);
int cmd_delete(ctl_t *c, int argc, char **argv);
int cmd_attrs(ctl_t *c, int argc, char **argv);
/* cmd_bootstrap.c, cmd_requests.c: bootstrap configuration, queued
 * requests. */
int cmd_bootstrap(ctl_t *c, int argc, char **argv);
int cmd_requests(ctl_t *c, int argc, char **argv);
int cmd_request(ctl_t *c, int argc, char **argv);
/* cmd_observe.c: Observe, Cancel, the list of observations. */
int cmd_observe(ctl_t *c, int argc, char **argv);
int cmd_cancel(ctl_t *c, int argc, char **argv);
int cmd_observations(ctl_t *c, int argc, char **argv);
/* cmd_events.c: live events (GET /events, Server-Sent Events). */
int cmd_events(ctl_t *c, int argc, char **argv);

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(ctl_t *c, int argc, char **argv);
    } cmds[] = {
        {"health", cmd_health},
        {"devices", cmd_devices},
        {"device", cmd_device},
        {"provision", cmd_provision},
        {"read", cmd_read},
        {"write", cmd_write},
        {"exec", cmd_exec},
        {"execute", cmd_exec},
        {"discover", cmd_discover},
        {"create", cmd_create},
        {"delete", cmd_delete},
        {"attrs", cmd_attrs},
        {"audit", cmd_audit},
        {"firmware", cmd_firmware},
        {"campaign", cmd_campaign},
        {"token", cmd_token},
        {"rotate", cmd_rotate},
        {"credentials", cmd_credentials},
        {"revoke", cmd_revoke},
        {"data", cmd_data},
        {"observe", cmd_observe},
        {"cancel", cmd_cancel},
        {"observations", cmd_observations},
        {"bootstrap", cmd_bootstrap},
        {"requests", cmd_requests},
        {"request", cmd_request},
        {"events", cmd_events},
    };
    ctl_t c = {0};
    c.url = getenv("BULWARK_URL");
    if (c.url == NULL || *c.url == '\0')
        c.url = "https://localhost:8443";
    c.cacert = getenv("BULWARK_CACERT");
    if (c.cacert != NULL && *c.cacert == '\0')
        c.cacert = NULL;
    c.timeout_s = CTL_TIMEOUT_DEFAULT;

    /* Global options, up to the command ("+": stop at the first word). */
    struct option opts[16];
    size_t n = 0;
    for (; ctl_global_opts[n].name != NULL; n++)
        opts[n] = ctl_global_opts[n];
    memset(&opts[n], 0, sizeof opts[n]);
    opterr = 0;
    for (;;) {
        int v = getopt_long(argc, argv, "+:h", opts, NULL);
        if (v == -1)
            break;
        if (v == 'h') {
            fputs(main_help, stdout);
            return CTL_OK;
        }
        if (v == '?' || v == ':')
            return ctl_usage(NULL,
                             v == ':' ? "option %s needs a value"
                                      : "unknown option %s",
                             argv[optind - 1]);
        if (ctl_global_opt(&c, v, optarg) != CTL_OK)
            return CTL_USAGE;
    }
    if (optind >= argc) {
        fputs(main_help, stderr);
        return CTL_USAGE;
    }
    int cargc = argc - optind;
    char **cargv = argv + optind;
    /* "help COMMAND [SUB]" is "COMMAND [SUB] --help". */
    static char help_opt[] = "--help";
    char *hargv[4];
    if (strcmp(cargv[0], "help") == 0) {
        if (cargc < 2) {
            fputs(main_help, stdout);
            return CTL_OK;
        }
        int k = 0;
        hargv[k++] = cargv[1];
        if (cargc >= 3)
            hargv[k++] = cargv[2];
        hargv[k++] = help_opt;
        hargv[k] = NULL;
        cargc = k;
        cargv = hargv;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(cargv[0], cmds[i].name) != 0)
            continue;
        if (ctl_alloc_init() != 0)
            return ctl_fail(CTL_NET, "cannot initialise libcurl");
        optind = 0; /* the command parses its own options afresh */
        int rc = cmds[i].run(&c, cargc, cargv);
        ctl_done(&c);
        ctl_alloc_done();
        return rc;
    }
    return ctl_usage(NULL, "unknown command '%s'", cargv[0]);
}
