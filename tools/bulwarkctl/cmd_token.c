/* SPDX-License-Identifier: Apache-2.0 */
/*
 * API tokens (docs/api.md "Tokens"; every call needs an admin token):
 * create one (its text printed once, alone on stdout, so a script can
 * capture it), list them (never a secret), revoke one by name.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char token_help[] =
    "usage: " CTL_NAME " token create NAME --role viewer|operator|admin\n"
    "       " CTL_NAME " token list\n"
    "       " CTL_NAME " token revoke NAME\n"
    "\n"
    "create  a new token; its text is printed once on stdout (only its\n"
    "        hash is kept by the server).  Names: 1..64 of A-Z a-z 0-9\n"
    "        - . _, never reused\n"
    "list    the tokens: name, role, id (the token's first 12 digits),\n"
    "        created, last used, revoked\n"
    "revoke  revoke a token; requests with it get 401 from then on\n"
    "\n"
    "Roles: viewer reads; operator also operates devices, uploads\n"
    "firmware and runs campaigns; admin also provisions devices and\n"
    "manages tokens.  Every call here needs an admin token.\n";

static const char *const token_fields[] = {
    "name", "role", "id", "created_at", "last_used_at", "revoked_at", NULL};

static int tok_create(ctl_t *c, const char *name, const char *role)
{
    json_t *body = json_pack("{s:s, s:s}", "name", name, "role", role);
    if (body == NULL)
        return ctl_fail(CTL_API, "out of memory");
    ctl_answer_t a;
    int rc = ctl_call_json(c, "POST", "/tokens", body, &a);
    json_decref(body);
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        const char *t = json_string_value(json_object_get(a.body, "token"));
        if (t == NULL || strspn(t, "0123456789abcdef") != strlen(t)) {
            ctl_answer_free(&a);
            return ctl_fail(CTL_API, "the answer holds no token");
        }
        printf("%s\n", t);
        fprintf(stderr,
                CTL_NAME ": token \"%s\" (%s) created; it is shown "
                         "this once\n",
                name, role);
    }
    ctl_answer_free(&a);
    return rc;
}

static int tok_list(ctl_t *c)
{
    ctl_answer_t a;
    int rc = ctl_call(c, "GET", "/tokens", 1, NULL, NULL, 0, &a);
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        static const char *const heads[] = {
            "NAME", "ROLE", "ID", "CREATED", "LAST USED", "REVOKED", NULL};
        const json_t *items = json_object_get(a.body, "items");
        if (!json_is_array(items)) {
            ctl_answer_free(&a);
            return ctl_fail(CTL_API, "the answer has no item list");
        }
        ctl_print_items(items, heads, token_fields, NULL);
    }
    ctl_answer_free(&a);
    return rc;
}

static int tok_revoke(ctl_t *c, const char *name)
{
    char e[3 * 64 + 1], path[CTL_PATH_MAX];
    if (ctl_escape(name, e, sizeof e) != 0 ||
        ctl_path(path, sizeof path, "/tokens/%s", e) != 0)
        return CTL_USAGE;
    ctl_answer_t a;
    int rc = ctl_call(c, "DELETE", path, 1, NULL, NULL, 0, &a);
    if (rc == CTL_OK && c->json)
        ctl_print_raw(&a);
    else if (rc == CTL_OK)
        ctl_print_fields(a.body, token_fields);
    ctl_answer_free(&a);
    return rc;
}

int cmd_token(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"role", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    const char *role = NULL;
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", opts)) != -1) {
        if (v == 'h') {
            fputs(token_help, stdout);
            return CTL_OK;
        }
        if (v == 'r') {
            role = optarg;
            continue;
        }
        return CTL_USAGE;
    }
    int n = argc - optind;
    const char *sub = n > 0 ? argv[optind] : "";
    if (strcmp(sub, "create") == 0 && n == 2) {
        if (role == NULL)
            return ctl_usage(argv[0], "create wants --role viewer, operator "
                                      "or admin");
        return tok_create(c, argv[optind + 1], role);
    }
    if (role != NULL)
        return ctl_usage(argv[0], "--role goes with create");
    if (strcmp(sub, "list") == 0 && n == 1)
        return tok_list(c);
    if (strcmp(sub, "revoke") == 0 && n == 2)
        return tok_revoke(c, argv[optind + 1]);
    if (n == 0)
        return ctl_usage(argv[0], "wants create NAME --role R, list or "
                                  "revoke NAME");
    if (strcmp(sub, "create") == 0 || strcmp(sub, "list") == 0 ||
        strcmp(sub, "revoke") == 0)
        return ctl_usage(argv[0], "%s: wrong number of arguments", sub);
    return ctl_usage(argv[0], "unknown subcommand '%s'", sub);
}
