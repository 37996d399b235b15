/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A device's credentials and the device itself (docs/api.md,
 * "Credentials", "DELETE /devices/{ep}"): list the credentials (never a
 * key: the API has none to give), revoke one by id, delete a device
 * with everything it owns.  Deleting asks nothing: it is meant for
 * scripts, and needs an admin token.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char credentials_help[] =
    "usage: " CTL_NAME " credentials EP [--limit N] [--after ID]\n"
    "\n"
    "The credentials of device EP, newest first: id, purpose (bootstrap:\n"
    "the factory key; dm: issued by the bootstrap server), kind, state\n"
    "(active, pending until the device registers with it, revoked),\n"
    "identity (not secret), created and revoked (UTC).  Keys are never\n"
    "shown.\n"
    "  --limit N    at most N (1..1000, default 100)\n"
    "  --after ID   continue after credential ID (the next page)\n"
    "When there are more, the command for the next page goes to stderr.\n";

static const char revoke_help[] =
    "usage: " CTL_NAME " revoke EP ID\n"
    "\n"
    "Revoke credential ID of device EP (ids: 'credentials EP').  It stops\n"
    "working at once: a registration made with it ends, the device's next\n"
    "handshake with it fails.  A device whose DM credential is revoked\n"
    "goes back to its bootstrap server and gets a new one; one whose last\n"
    "bootstrap credential is revoked can no longer bootstrap (a warning\n"
    "says so).  Needs an admin token.  Exit 1 when it is revoked already\n"
    "(409) or unknown (404).\n";

int cmd_credentials(ctl_t *c, int argc, char **argv)
{
    ctl_page_t pg = ctl_page(argv[0], CTL_AFTER_ID);
    int rc;
    if (ctl_page_args(c, argc, argv, credentials_help, &pg, &rc) != 0)
        return rc;
    if (argc - optind != 1)
        return ctl_usage(argv[0], "wants one endpoint name");
    char e[3 * 64 + 1], q[128], path[CTL_PATH_MAX];
    if (ctl_escape(argv[optind], e, sizeof e) != 0 ||
        ctl_page_query(&pg, q, sizeof q) != 0 ||
        ctl_path(path, sizeof path, "/devices/%s/credentials?%s", e, q) != 0)
        return CTL_USAGE;
    static const char *const heads[] = {"ID",      "PURPOSE",  "KIND",
                                        "STATE",   "IDENTITY", "CREATED",
                                        "REVOKED", NULL};
    static const char *const keys[] = {"id",         "purpose",  "kind",
                                       "state",      "identity", "created_at",
                                       "revoked_at", NULL};
    return ctl_list(c, path, "credentials", heads, keys, NULL, &pg,
                    argv[optind], 0);
}

int cmd_revoke(ctl_t *c, int argc, char **argv)
{
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", NULL)) != -1) {
        if (v == 'h') {
            fputs(revoke_help, stdout);
            return CTL_OK;
        }
        return CTL_USAGE;
    }
    if (argc - optind != 2)
        return ctl_usage(argv[0], "wants EP and a credential ID");
    char e[3 * 64 + 1], id[3 * 32 + 1], path[CTL_PATH_MAX];
    if (ctl_escape(argv[optind], e, sizeof e) != 0 ||
        ctl_escape(argv[optind + 1], id, sizeof id) != 0 ||
        ctl_path(path, sizeof path, "/devices/%s/credentials/%s/revoke", e,
                 id) != 0)
        return CTL_USAGE;
    ctl_answer_t a;
    int rc = ctl_call_json(c, "POST", path, NULL, &a);
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        const json_t *cr = json_object_get(a.body, "credential");
        char *ident = ctl_cell(json_object_get(cr, "identity"), NULL);
        char *purpose = ctl_cell(json_object_get(cr, "purpose"), NULL);
        char *was = ctl_cell(json_object_get(a.body, "was"), NULL);
        char *s = ctl_printf(
            "%s: credential %s (%s, identity %s) revoked, "
            "was %s%s",
            argv[optind], argv[optind + 1], purpose, ident, was,
            json_is_true(json_object_get(a.body, "registration_ended"))
                ? "; its registration ended"
                : "");
        ctl_sanitize(s);
        printf("%s\n", s);
        free(s);
        free(ident);
        free(purpose);
        free(was);
        if (json_is_false(json_object_get(a.body, "can_bootstrap")))
            fprintf(stderr,
                    CTL_NAME ": warning: %s has no usable bootstrap "
                             "credential left: it can no longer bootstrap\n",
                    argv[optind]);
    }
    ctl_answer_free(&a);
    return rc;
}

/* `device delete EP` (cmd_devices.c routes it here). */
int ctl_device_delete(ctl_t *c, const char *ep)
{
    char e[3 * 64 + 1], path[CTL_PATH_MAX];
    if (ctl_escape(ep, e, sizeof e) != 0 ||
        ctl_path(path, sizeof path, "/devices/%s", e) != 0)
        return CTL_USAGE;
    ctl_answer_t a;
    int rc = ctl_call(c, "DELETE", path, 1, NULL, NULL, 0, &a);
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        const json_t *d = json_object_get(a.body, "deleted");
        if (!json_is_object(d)) {
            ctl_answer_free(&a);
            return ctl_fail(CTL_API, "the answer does not say what was "
                                     "deleted");
        }
#define N(k) ((long long)json_integer_value(json_object_get(d, k)))
        char *s =
            ctl_printf("%s: deleted: %lld credential(s), %s, %s, %lld queued "
                       "request(s), %lld telemetry value(s), %lld campaign "
                       "membership(s)",
                       ep, N("credentials"),
                       json_is_true(json_object_get(d, "registration"))
                           ? "its registration"
                           : "no registration",
                       json_is_true(json_object_get(d, "bootstrap_config"))
                           ? "its bootstrap configuration"
                           : "no bootstrap configuration of its own",
                       N("queued_requests"), N("telemetry"), N("campaigns"));
#undef N
        ctl_sanitize(s);
        printf("%s\n", s);
        free(s);
    }
    ctl_answer_free(&a);
    return rc;
}
