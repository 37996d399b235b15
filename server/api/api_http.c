/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTPS side of the API (api.h): the libmicrohttpd daemon, who is
 * calling (api_auth.c) and the role each route needs (route_roles below),
 * request bodies (capped at BW_API_BODY_MAX) and the routing of
 * /api/v1/... to the handlers.  Every answer, errors included,
 * is a JSON object built with jansson.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "api_creds.h"
#include "api_int.h"
#include "api_rotate.h"

#define PREFIX "/api/v1/"
/* Concurrent HTTPS connections; more wait in the kernel's backlog. */
#define CONNECTIONS_MAX 256
/* Idle connections are closed after this many seconds. */
#define IDLE_TIMEOUT_S 60

/* One request in progress (MHD's per-request pointer). */
typedef struct {
    char *body;
    size_t len, cap;
    size_t max; /* body limit: BW_API_BODY_MAX, or _FW_ for an image */
    int raw;    /* POST /firmware: the body is an image, not JSON */
    int too_big;
    int authorized; /* a valid token (else 401) */
    int auth_err;   /* a storage failure while checking it (500) */
    int forbidden;  /* its role is below the route's (403) */
    bw_db_role_t need;
    bw_api_caller_t caller;
} conn_t;

int64_t bw_api__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bw_api__log(const bw_api_t *api, const char *fmt, ...)
{
    if (api->cfg.log == NULL)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    api->cfg.log(api->cfg.log_arg, line);
}

json_t *bw_api__error(int *status, int code, const char *error,
                      const char *detail)
{
    *status = code;
    return json_pack("{s:s, s:s}", "error", error, "detail",
                     detail != NULL ? detail : "");
}

long bw_api__limit(const char *s)
{
    if (s == NULL)
        return BW_API_PAGE_DEFAULT;
    long v = 0;
    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > BW_API_PAGE_MAX)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v >= 1 && v <= BW_API_PAGE_MAX ? v : -1;
}

static void wiping_free(void *ptr);

static enum MHD_Result send_json(struct MHD_Connection *c, int status,
                                 json_t *j, const char *allow)
{
    static const char oom[] =
        "{\"error\":\"internal\",\"detail\":\"out of memory\"}";
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    struct MHD_Response *r;
    if (text != NULL) {
        r = MHD_create_response_from_buffer(strlen(text), text,
                                            MHD_RESPMEM_MUST_COPY);
        wiping_free(text); /* jansson's allocator (below) */
    } else {               /* out of memory: the one fixed answer */
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        r = MHD_create_response_from_buffer(
            sizeof oom - 1, (void *)(uintptr_t)oom, MHD_RESPMEM_PERSISTENT);
    }
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (allow != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

/*
 * The role every route needs: method, path under /api/v1/ ("*" is one
 * path segment), role.  The first match wins.  A route missing here, and
 * any path no entry matches, needs admin: the zero role, the strictest,
 * so a route added without its line is closed rather than open.  Decided
 * when the headers are in, before any body is read.
 */
static const struct {
    const char *method, *path;
    bw_db_role_t need;
} route_roles[] = {
    {"GET", "devices", BW_DB_ROLE_VIEWER},
    {"POST", "devices", BW_DB_ROLE_ADMIN}, /* provisioning */
    {"GET", "devices/*", BW_DB_ROLE_VIEWER},
    {"DELETE", "devices/*", BW_DB_ROLE_ADMIN}, /* api_creds.c */
    {"GET", "devices/*/credentials", BW_DB_ROLE_VIEWER},
    {"POST", "devices/*/credentials/*/revoke", BW_DB_ROLE_ADMIN},
    {"POST", "devices/*/read", BW_DB_ROLE_OPERATOR},
    {"POST", "devices/*/write", BW_DB_ROLE_OPERATOR},
    {"POST", "devices/*/execute", BW_DB_ROLE_OPERATOR},
    {"POST", "devices/*/discover", BW_DB_ROLE_OPERATOR},
    {"POST", "devices/*/create", BW_DB_ROLE_OPERATOR},
    {"POST", "devices/*/delete", BW_DB_ROLE_OPERATOR},
    {"POST", "devices/*/attributes", BW_DB_ROLE_OPERATOR},
    {"POST", "devices/*/rotate", BW_DB_ROLE_OPERATOR},
    {"GET", "devices/*/bootstrap", BW_DB_ROLE_VIEWER},
    {"PUT", "devices/*/bootstrap", BW_DB_ROLE_ADMIN},
    {"DELETE", "devices/*/bootstrap", BW_DB_ROLE_ADMIN},
    {"GET", "devices/*/requests", BW_DB_ROLE_VIEWER},
    {"GET", "requests/*", BW_DB_ROLE_VIEWER},
    {"DELETE", "requests/*", BW_DB_ROLE_OPERATOR},
    {"GET", "devices/*/data", BW_DB_ROLE_VIEWER},
    {"POST", "devices/*/observe", BW_DB_ROLE_OPERATOR},
    {"POST", "devices/*/cancel", BW_DB_ROLE_OPERATOR},
    {"GET", "devices/*/observations", BW_DB_ROLE_VIEWER},
    {"DELETE", "devices/*/observations/*", BW_DB_ROLE_OPERATOR},
    {"GET", "audit", BW_DB_ROLE_VIEWER},
    {"GET", "firmware", BW_DB_ROLE_VIEWER},
    {"POST", "firmware", BW_DB_ROLE_OPERATOR},
    {"GET", "firmware/*", BW_DB_ROLE_VIEWER},
    {"GET", "campaigns", BW_DB_ROLE_VIEWER},
    {"POST", "campaigns", BW_DB_ROLE_OPERATOR},
    {"GET", "campaigns/*", BW_DB_ROLE_VIEWER},
    {"POST", "campaigns/*/pause", BW_DB_ROLE_OPERATOR},
    {"POST", "campaigns/*/resume", BW_DB_ROLE_OPERATOR},
    {"POST", "campaigns/*/abort", BW_DB_ROLE_OPERATOR},
    {"GET", "campaigns/*/devices/*", BW_DB_ROLE_VIEWER},
    {"GET", "tokens", BW_DB_ROLE_ADMIN},
    {"POST", "tokens", BW_DB_ROLE_ADMIN},
    {"DELETE", "tokens/*", BW_DB_ROLE_ADMIN},
    {"GET", "events", BW_DB_ROLE_VIEWER}, /* api_events_sse.c */
};

/* Does path (under the prefix) match pattern, "*" standing for one
 * non-empty segment? */
static int path_matches(const char *pat, const char *path)
{
    while (*pat != '\0') {
        if (*pat == '*') {
            size_t n = strcspn(path, "/");
            if (n == 0)
                return 0;
            path += n;
            pat++;
        } else if (*pat++ != *path++) {
            return 0;
        }
    }
    return *path == '\0';
}

static bw_db_role_t role_needed(const char *method, const char *url)
{
    if (strncmp(url, PREFIX, strlen(PREFIX)) != 0)
        return BW_DB_ROLE_ADMIN;
    const char *rest = url + strlen(PREFIX);
    for (size_t i = 0; i < sizeof route_roles / sizeof route_roles[0]; i++)
        if (strcmp(method, route_roles[i].method) == 0 &&
            path_matches(route_roles[i].path, rest))
            return route_roles[i].need;
    return BW_DB_ROLE_ADMIN;
}

static int ep_valid(const char *s, size_t n)
{
    if (n == 0 || n > BW_DB_ENDPOINT_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              (ch >= '0' && ch <= '9') || strchr("-._:@~+", ch) != NULL))
            return 0;
    }
    return 1;
}

/* The route: answers into *status and returns the JSON; *allow is set
 * for 405. */
static json_t *route(bw_api_t *a, const char *url, bw_api_req_t *r, int *status,
                     const char **allow)
{
    const char *m = r->method;
    int get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;
    const char *rest = url + strlen(PREFIX);
    if (strcmp(rest, "devices") == 0) {
        if (get)
            return bw_api__devices_list(a, r, status);
        if (post)
            return bw_api__devices_add(a, r, status);
        *allow = "GET, POST";
        return bw_api__error(status, 405, "method not allowed", m);
    }
    if (strcmp(rest, "audit") == 0) {
        if (get)
            return bw_api__audit(a, r, status);
        *allow = "GET";
        return bw_api__error(status, 405, "method not allowed", m);
    }
    if (strncmp(rest, "firmware", 8) == 0 &&
        (rest[8] == '\0' || rest[8] == '/'))
        return bw_api__firmware_route(a, rest + 8, r, status, allow);
    if (strncmp(rest, "campaigns", 9) == 0 &&
        (rest[9] == '\0' || rest[9] == '/'))
        return bw_api__campaign_route(a, rest + 9, r, status, allow);
    if (strncmp(rest, "tokens", 6) == 0 && (rest[6] == '\0' || rest[6] == '/'))
        return bw_api__tokens_route(a, rest + 6, r, status, allow);
    if (strncmp(rest, "requests", 8) == 0 &&
        (rest[8] == '\0' || rest[8] == '/'))
        return bw_api__requests_route(a, rest + 8, r, status, allow);
    if (strncmp(rest, "devices/", 8) != 0)
        return bw_api__error(status, 404, "not found", url);
    const char *p = rest + 8;
    const char *slash = strchr(p, '/');
    size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
    if (!ep_valid(p, n))
        return bw_api__error(status, 404, "not found",
                             "no such device (endpoint names are 1..64 of "
                             "A-Z a-z 0-9 - . _ : @ ~ +)");
    char ep[BW_DB_ENDPOINT_MAX + 1];
    memcpy(ep, p, n);
    ep[n] = '\0';
    r->ep = ep;
    json_t *out;
    if (slash == NULL) {
        if (get)
            return bw_api__device_get(a, r, status);
        if (strcmp(m, "DELETE") == 0) {
            out = bw_api__device_delete(a, r, status);
            r->ep = NULL; /* ep goes out of scope */
            return out;
        }
        *allow = "GET, DELETE";
        return bw_api__error(status, 405, "method not allowed", m);
    }
    const char *act = slash + 1;
    bw_api_op_t op;
    if (strcmp(act, "rotate") == 0) {
        if (!post) {
            *allow = "POST";
            return bw_api__error(status, 405, "method not allowed", m);
        }
        out = bw_api__device_rotate(a, ep, r->actor, status);
        r->ep = NULL; /* ep goes out of scope */
        return out;
    }
    if (strncmp(act, "credentials", 11) == 0 &&
        (act[11] == '\0' || act[11] == '/')) {
        out = bw_api__creds_route(a, act + 11, r, status, allow);
        r->ep = NULL; /* ep goes out of scope */
        return out;
    }
    if (strcmp(act, "bootstrap") == 0) {
        out = bw_api__device_bootstrap(a, r, status, allow);
        r->ep = NULL; /* ep goes out of scope */
        return out;
    }
    if (strcmp(act, "requests") == 0) {
        out = get ? bw_api__device_requests(a, r, status)
                  : bw_api__error(status, 405, "method not allowed", m);
        if (!get)
            *allow = "GET";
        r->ep = NULL; /* ep goes out of scope */
        return out;
    }
    if (strcmp(act, "data") == 0) {
        out = get ? bw_api__device_data(a, r, status)
                  : bw_api__error(status, 405, "method not allowed", m);
        if (!get)
            *allow = "GET";
        r->ep = NULL; /* ep goes out of scope */
        return out;
    }
    if (strcmp(act, "observe") == 0 || strcmp(act, "cancel") == 0 ||
        strncmp(act, "observations", 12) == 0) {
        out = bw_api__observe_route(a, act, r, status, allow);
        r->ep = NULL; /* ep goes out of scope */
        return out;
    }
    if (strcmp(act, "read") == 0)
        op = BW_API_OP_READ;
    else if (strcmp(act, "write") == 0)
        op = BW_API_OP_WRITE;
    else if (strcmp(act, "execute") == 0)
        op = BW_API_OP_EXECUTE;
    else if (strcmp(act, "discover") == 0)
        op = BW_API_OP_DISCOVER;
    else if (strcmp(act, "create") == 0)
        op = BW_API_OP_CREATE;
    else if (strcmp(act, "delete") == 0)
        op = BW_API_OP_DELETE;
    else if (strcmp(act, "attributes") == 0)
        op = BW_API_OP_ATTRIBUTES;
    else
        return bw_api__error(status, 404, "not found", url);
    if (!post) {
        *allow = "POST";
        return bw_api__error(status, 405, "method not allowed", m);
    }
    out = bw_api__device_op(a, r, op, status);
    r->ep = NULL; /* ep goes out of scope */
    return out;
}

/* Every ?tag= of a request, in URL order (a bare "tag" reads as ""). */
static enum MHD_Result tag_arg(void *cls, enum MHD_ValueKind kind,
                               const char *key, const char *value)
{
    bw_api_req_t *r = cls;
    (void)kind;
    if (strcmp(key, "tag") == 0) {
        if (r->n_tag < BW_API_TAG_ARGS_MAX)
            r->tag[r->n_tag] = value != NULL ? value : "";
        r->n_tag++;
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **ptr)
{
    bw_api_t *a = cls;
    conn_t *cs = *ptr;
    (void)version;
    if (cs == NULL) { /* headers are in: decide early what we can */
        cs = calloc(1, sizeof *cs);
        if (cs == NULL)
            return MHD_NO;
        *ptr = cs;
        int err = bw_api__auth_check(
            a, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
            &cs->caller);
        cs->authorized = err == 0;
        cs->auth_err = err != 0 && err != BW_EAUTH;
        cs->need = role_needed(method, url);
        cs->forbidden =
            cs->authorized && !bw_api__role_allows(cs->caller.role, cs->need);
        cs->raw =
            strcmp(method, "POST") == 0 && strcmp(url, PREFIX "firmware") == 0;
        cs->max = cs->raw ? BW_API_FW_BODY_MAX : BW_API_BODY_MAX;
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl != NULL && strtoull(cl, NULL, 10) > cs->max)
            cs->too_big = 1;
        return MHD_YES;
    }
    if (*upload_size != 0) { /* a piece of the body */
        size_t n = *upload_size;
        *upload_size = 0;
        if (cs->too_big || !cs->authorized || cs->forbidden)
            return MHD_YES; /* discarded; answered at the end */
        if (n > cs->max - cs->len) {
            cs->too_big = 1;
            free(cs->body);
            cs->body = NULL;
            cs->len = cs->cap = 0;
            return MHD_YES;
        }
        if (cs->len + n + 1 > cs->cap) { /* doubling: an image comes in
                                          * many pieces */
            size_t nc = cs->cap != 0 ? cs->cap : 1024;
            while (nc < cs->len + n + 1)
                nc *= 2;
            char *nb = realloc(cs->body, nc);
            if (nb == NULL)
                return MHD_NO;
            cs->body = nb;
            cs->cap = nc;
        }
        memcpy(cs->body + cs->len, upload, n);
        cs->len += n;
        cs->body[cs->len] = '\0';
        return MHD_YES;
    }
    int status = 200;
    const char *allow = NULL;
    json_t *out;
    bw_api_req_t r = {
        .method = method, .actor = cs->caller.actor, .role = cs->caller.role};
    if (strncmp(url, PREFIX, strlen(PREFIX)) != 0) {
        out = bw_api__error(&status, 404, "not found",
                            "the API is under "
                            "/api/v1/");
    } else if (strcmp(url, PREFIX "health") == 0) {
        if (strcmp(method, "GET") == 0)
            out = json_pack("{s:s}", "status", "ok");
        else {
            allow = "GET";
            out = bw_api__error(&status, 405, "method not allowed", method);
        }
    } else if (cs->auth_err) {
        out = bw_api__error(&status, 500, "storage",
                            "the API token could not be checked");
    } else if (!cs->authorized) {
        out = bw_api__error(&status, 401, "unauthorized",
                            "an Authorization: Bearer <token> header with "
                            "the API token is required");
    } else if (cs->forbidden) {
        char d[160];
        snprintf(d, sizeof d,
                 "this call needs the %s role; token \"%s\" has %s",
                 bw_db_role_name(cs->need), cs->caller.name,
                 bw_db_role_name(cs->caller.role));
        out = bw_api__error(&status, 403, "forbidden", d);
        if (out != NULL)
            json_object_set_new(out, "role_needed",
                                json_string(bw_db_role_name(cs->need)));
        if (strcmp(method, "GET") != 0) { /* a refused change is audited */
            char what[160];
            snprintf(what, sizeof what, "%.16s %.120s: needs %s", method, url,
                     bw_db_role_name(cs->need));
            int e = bw_db_audit_append(a->cfg.db, bw_api__now_ms(),
                                       cs->caller.actor, "denied", "api", what,
                                       NULL);
            if (e != 0)
                bw_api__log(a, "api: audit log: %s", bw_strerror(e));
        }
    } else if (cs->too_big) {
        char d[64];
        snprintf(d, sizeof d, "the body limit is %u bytes",
                 (unsigned)cs->max);
        out = bw_api__error(&status, 413, "request body too large", d);
    } else {
        json_error_t jerr;
        r.after =
            MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
        r.limit =
            MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
        r.path = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "path");
        r.since =
            MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
        r.source =
            MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "source");
        r.state =
            MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "state");
        r.prefix =
            MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "prefix");
        r.model =
            MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "model");
        r.registered =
            MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "registered");
        r.seen_before = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                    "seen_before");
        r.seen_after =
            MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "seen_after");
        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, tag_arg, &r);
        out = NULL;
        if (strcmp(url, PREFIX "events") == 0 && strcmp(method, "GET") == 0) {
            /* A stream, not a JSON answer (api_events_sse.c). */
            int ret;
            out = bw_api__events_open(a, c, &status, &ret);
            if (out == NULL) {
                bw_api__log(a, "api: GET %s -> 200 stream (%s)", url,
                            cs->caller.actor);
                return (enum MHD_Result)ret;
            }
        } else if (cs->raw) {
            r.raw = (const uint8_t *)cs->body;
            r.raw_len = cs->len;
        } else if (strcmp(method, "POST") == 0 ||
                   strcmp(method, "PUT") == 0) {
            /* No body at all reads as {} (POST .../pause needs none). */
            r.body = cs->len == 0
                         ? json_object()
                         : json_loadb(cs->body, cs->len,
                                      JSON_REJECT_DUPLICATES, &jerr);
            if (r.body == NULL) {
                char d[JSON_ERROR_TEXT_LENGTH + 48];
                snprintf(d, sizeof d, "line %d column %d: %s", jerr.line,
                         jerr.column, jerr.text);
                out = bw_api__error(&status, 400, "malformed JSON", d);
            } else if (!json_is_object(r.body)) {
                out = bw_api__error(&status, 400, "malformed JSON",
                                    "the body must be a JSON object");
            }
        }
        if (out == NULL)
            out = route(a, url, &r, &status, &allow);
        json_decref(r.body);
    }
    if (cs->authorized)
        bw_api__log(a, "api: %s %s -> %d (%s)", method, url, status,
                    cs->caller.actor);
    else
        bw_api__log(a, "api: %s %s -> %d", method, url, status);
    return send_json(c, status, out, allow);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ptr,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)c;
    (void)code;
    conn_t *cs = *ptr;
    if (cs != NULL) {
        if (cs->body != NULL && !cs->raw) /* may hold a PSK */
            OPENSSL_cleanse(cs->body, cs->len);
        free(cs->body);
        free(cs);
        *ptr = NULL;
    }
}

__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    const bw_api_t *a = cls;
    char line[400];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    bw_api__log(a, "api: %s", line);
}

/* jansson's allocator: every block is wiped when freed, since parsed
 * bodies may hold a PSK in hex.  The size is kept in front of the block
 * (16 bytes, so the alignment malloc gives is kept). */
#define HDR 16
static void *wiping_malloc(size_t n)
{
    if (n > SIZE_MAX - HDR)
        return NULL;
    unsigned char *p = malloc(n + HDR);
    if (p == NULL)
        return NULL;
    memcpy(p, &n, sizeof n);
    return p + HDR;
}

static void wiping_free(void *ptr)
{
    if (ptr == NULL)
        return;
    unsigned char *p = (unsigned char *)ptr - HDR;
    size_t n;
    memcpy(&n, p, sizeof n);
    OPENSSL_cleanse(p, n + HDR);
    free(p);
}

/* why = "<s>: <what>" */
static void why_set(char *why, size_t cap, const char *s, const char *what)
{
    if (why != NULL && cap > 0)
        snprintf(why, cap, "%s: %s", s, what);
}

static void api_free(bw_api_t *a)
{
    bw_api__events_free(a);
    bw_api__auth_done(a);
    if (a->key_pem != NULL) {
        OPENSSL_cleanse(a->key_pem, strlen(a->key_pem));
        free(a->key_pem);
    }
    free(a->cert_pem);
    free(a);
}

int bw_api__hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Percent-decoding of the URL path and query values (libmicrohttpd's
 * MHD_OPTION_UNESCAPE_CALLBACK), in place; returns the new length.  The
 * same as libmicrohttpd's own except that %00 is left as it is: decoded,
 * it would cut the string there, and "/devices/dev-1%00x" would act on
 * dev-1.  Left literal, it fails the endpoint name's check like any
 * other '%'.
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    size_t r = 0, w = 0;
    while (s[r] != '\0') {
        int hi, lo;
        if (s[r] == '%' && (hi = bw_api__hex_digit(s[r + 1])) >= 0 &&
            (lo = bw_api__hex_digit(s[r + 2])) >= 0 && (hi | lo) != 0) {
            s[w++] = (char)(hi << 4 | lo);
            r += 3;
        } else {
            s[w++] = s[r++];
        }
    }
    s[w] = '\0';
    return w;
}

int bw_api_start(const bw_api_config_t *cfg, bw_api_t **out, char *why,
                 size_t why_cap)
{
    if (out != NULL)
        *out = NULL;
    if (cfg == NULL || out == NULL || cfg->db == NULL ||
        cfg->bind_addr == NULL || cfg->token_file == NULL ||
        (cfg->cert_file == NULL) != (cfg->key_file == NULL))
        return BW_EINVAL;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    /* Suspend and resume: event streams wait without a thread. */
    unsigned flags = MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, cfg->bind_addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(cfg->port);
    } else if (inet_pton(AF_INET6, cfg->bind_addr, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        why_set(why, why_cap, cfg->bind_addr, "not a numeric address");
        return BW_EINVAL;
    }
    /* Before any JSON value exists (process-wide; set once). */
    json_set_alloc_funcs(wiping_malloc, wiping_free);
    bw_api_t *a = calloc(1, sizeof *a);
    if (a == NULL)
        return BW_ENOMEM;
    a->cfg = *cfg;
    int err = bw_api__auth_init(a, why, why_cap);
    if (err != 0) {
        api_free(a);
        return err;
    }
    /* The certificate names the host clients are told to use. */
    const char *host = strcmp(cfg->bind_addr, "::") == 0 ||
                               strcmp(cfg->bind_addr, "0.0.0.0") == 0
                           ? "localhost"
                           : cfg->bind_addr;
    char fpr[96];
    err = bw_api__cert_load(cfg->cert_file, cfg->key_file, cfg->state_dir, host,
                            &a->cert_pem, &a->key_pem, fpr, why, why_cap);
    if (err != 0) {
        api_free(a);
        return err;
    }
    bw_api__log(a, "api: certificate SHA-256 fingerprint %s", fpr);
    a->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, a, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_HTTPS_MEM_KEY, a->key_pem,
        MHD_OPTION_HTTPS_MEM_CERT, a->cert_pem, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)BW_API_THREADS, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)CONNECTIONS_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)IDLE_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, a, MHD_OPTION_UNESCAPE_CALLBACK,
        unescape, NULL, MHD_OPTION_END);
    if (a->d == NULL) {
        why_set(why, why_cap, cfg->bind_addr, "cannot listen (port in use?)");
        api_free(a);
        return BW_ENET;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_BIND_PORT);
    a->port = info != NULL ? info->port : cfg->port;
    *out = a;
    return 0;
}

uint16_t bw_api_port(const bw_api_t *api)
{
    return api != NULL ? api->port : 0;
}

void bw_api_stop(bw_api_t *api)
{
    if (api == NULL)
        return;
    bw_api__events_stop(api); /* no stream may stay suspended */
    MHD_stop_daemon(api->d);
    api_free(api);
}
