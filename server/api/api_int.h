/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to server/api: the handle, and the contract between the HTTP
 * layer (api_http.c: TLS, routing, auth, bodies) and the handlers
 * (api_devices.c, api_ops.c).  A handler gets the parsed request and
 * returns a JSON value to send with *status; it never touches
 * libmicrohttpd.
 */
#ifndef BW_API_INT_H
#define BW_API_INT_H

#include <jansson.h>
#include <pthread.h>

#include "api.h"
#include "db_request.h"
#include "db_token.h"

struct bw_api_queue;  /* api_queue.h */
struct bw_api_events; /* api_events_sse.c */
struct MHD_Connection;

/* Verified tokens (api_auth.c): the SHA-256 of a token text that passed
 * argon2id, the row it matched and until when (monotonic ms, 0: free). */
typedef struct {
    uint8_t digest[32];
    int64_t token_id;
    int64_t until_ms;
} bw_api_auth_entry_t;

typedef struct {
    pthread_mutex_t lock;
    int ready;
    bw_api_auth_entry_t e[BW_API_AUTH_CACHE_MAX];
} bw_api_auth_t;

struct bw_api {
    bw_api_config_t cfg;
    struct MHD_Daemon *d;
    uint16_t port;
    bw_api_auth_t auth;
    char *cert_pem, *key_pem;
    /* Queued requests (api_queue.h); NULL until attached: every
     * operation is then synchronous.  Atomic pointer. */
    struct bw_api_queue *queue;
    /* Bootstrap defaults (api_bootstrap.h), set once after start:
     * bs_ready (atomic) says they are there. */
    int bs_ready;
    char bs_dm_uri[BW_DB_URI_MAX + 1];
    uint32_t bs_lifetime_s;
    /* Live event streams (api_events.h); NULL until attached: GET
     * /events answers 503.  Atomic pointer. */
    struct bw_api_events *events;
};

/* Who is calling: the token a request authenticated with. */
typedef struct {
    int64_t token_id;
    bw_db_role_t role;
    char name[BW_DB_TOKEN_NAME_MAX + 1];
    char actor[BW_DB_TOKEN_NAME_MAX + 5]; /* "api:<name>", for the audit */
} bw_api_caller_t;

/* ?tag= parameters kept per request (each may list several tags,
 * comma-separated; the store takes BW_DB_FILTER_TAGS_MAX in all). */
#define BW_API_TAG_ARGS_MAX 16

typedef struct {
    const char *method; /* "GET", "POST", ... */
    const char *ep;     /* {ep} of /devices/{ep}/..., else NULL */
    const char *after;  /* ?after= (NULL when absent) */
    const char *limit;  /* ?limit= (NULL when absent) */
    const char *path;   /* ?path= (NULL when absent): GET .../data */
    const char *since;  /* ?since= (NULL when absent): GET .../data */
    const char *source; /* ?source= (NULL when absent): GET .../data */
    const char *state;  /* ?state= (NULL when absent): GET .../requests */
    /* GET /devices filters (NULL when absent; api_devices.c). */
    const char *prefix, *model, *registered, *seen_before, *seen_after;
    /* ?tag= values in URL order, the first BW_API_TAG_ARGS_MAX of them;
     * n_tag counts them all (more than the maximum: a 400). */
    const char *tag[BW_API_TAG_ARGS_MAX];
    size_t n_tag;
    json_t *body;       /* parsed body of a POST or PUT, else NULL */
    int64_t id;         /* {id} of /campaigns/{id}/..., else 0 */
    const char *actor;  /* "api:<token name>": the audit log's actor */
    bw_db_role_t role;  /* the caller's role */
    const uint8_t *raw; /* POST /firmware: the raw body, else NULL */
    size_t raw_len;
} bw_api_req_t;

/* {"error": error, "detail": detail}, and *status = status. */
json_t *bw_api__error(int *status, int code, const char *error,
                      const char *detail);
void bw_api__log(const bw_api_t *api, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Unix time in milliseconds. */
int64_t bw_api__now_ms(void);

/* The value of one hex digit (either case), or -1. */
int bw_api__hex_digit(char c);
/* ?limit=: 1..BW_API_PAGE_MAX, default BW_API_PAGE_DEFAULT; -1 if bad. */
long bw_api__limit(const char *s);

/* api_devices.c */
json_t *bw_api__devices_list(bw_api_t *a, const bw_api_req_t *r, int *status);
json_t *bw_api__devices_add(bw_api_t *a, const bw_api_req_t *r, int *status);
json_t *bw_api__device_get(bw_api_t *a, const bw_api_req_t *r, int *status);
json_t *bw_api__audit(bw_api_t *a, const bw_api_req_t *r, int *status);
/* GET /devices/{ep}/data: values from LwM2M Send (api_data.c). */
json_t *bw_api__device_data(bw_api_t *a, const bw_api_req_t *r, int *status);
/* api_observe.c: observe, cancel, observations (act: what follows
 * /devices/{ep}/ in the URL). */
json_t *bw_api__observe_route(bw_api_t *a, const char *act, bw_api_req_t *r,
                              int *status, const char **allow);

/* api_ops.c: Read, Write, Execute, Discover, Create, Delete and
 * Write-Attributes on a registered device. */
typedef enum {
    BW_API_OP_READ,
    BW_API_OP_WRITE,
    BW_API_OP_EXECUTE,
    BW_API_OP_DISCOVER,
    BW_API_OP_CREATE,
    BW_API_OP_DELETE,
    BW_API_OP_ATTRIBUTES
} bw_api_op_t;
json_t *bw_api__device_op(bw_api_t *a, const bw_api_req_t *r, bw_api_op_t op,
                          int *status);
/* The CoAP request of an operation from its body (api_ops.c): path,
 * method, formats, payload or query into op.  Shared by the synchronous
 * call and the queue's delivery, so a queued request is sent exactly as
 * it would have been at once.  location gets the instance a Create
 * names.  NULL, or what is wrong for a 400 (may point into detail). */
const char *bw_api__op_build(const json_t *body, bw_api_op_t kind,
                             bw_lwsrv_op_t *op, char *location, size_t loc_cap,
                             char *detail, size_t detail_cap);
/* The answer as the synchronous call returns it: {"code": "2.05", ...}
 * with what each kind adds (payload, links, location).  NULL when out
 * of memory. */
json_t *bw_api__op_answer(bw_api_op_t kind, uint8_t code, uint32_t cf,
                          const char *payload, size_t len,
                          const char *location);
/* Operation names as the API and the audit log call them ("read",
 * "write-attributes"). */
const char *bw_api__op_name(bw_api_op_t kind);

/* api_queue_rules.c: the store's operation for an API operation and
 * back.  Returns 0, or BW_ENOTFOUND (an operation the other side does
 * not have: observe), BW_EINVAL (NULL out, op out of range). */
int bw_api__queue_db_op(bw_api_op_t op, bw_db_req_op_t *out);
int bw_api__queue_api_op(bw_db_req_op_t op, bw_api_op_t *out);
/* The attached queue, or NULL (api_queue.c). */
struct bw_api_queue *bw_api__queue(bw_api_t *a);

/* api_requests.c: GET /devices/{ep}/requests (viewer); rest: what
 * follows "requests" in /api/v1/requests... (GET, DELETE). */
json_t *bw_api__device_requests(bw_api_t *a, const bw_api_req_t *r,
                                int *status);
json_t *bw_api__requests_route(bw_api_t *a, const char *rest, bw_api_req_t *r,
                               int *status, const char **allow);

/* api_bootstrap.c: GET, PUT, DELETE /devices/{ep}/bootstrap. */
json_t *bw_api__device_bootstrap(bw_api_t *a, const bw_api_req_t *r,
                                 int *status, const char **allow);

/* api_campaign.c: update campaigns (docs/api.md, "Campaigns"). */
typedef enum {
    BW_API_CAMPAIGN_PAUSE,
    BW_API_CAMPAIGN_RESUME,
    BW_API_CAMPAIGN_ABORT
} bw_api_campaign_op_t;
json_t *bw_api__campaigns_list(bw_api_t *a, const bw_api_req_t *r,
                               int *status);
json_t *bw_api__campaign_create(bw_api_t *a, const bw_api_req_t *r,
                                int *status);
json_t *bw_api__campaign_get(bw_api_t *a, const bw_api_req_t *r, int *status);
json_t *bw_api__campaign_control(bw_api_t *a, const bw_api_req_t *r,
                                 bw_api_campaign_op_t op, int *status);
json_t *bw_api__campaign_device(bw_api_t *a, const bw_api_req_t *r,
                                int *status);
/* rest: what follows "campaigns" in the URL ("", "/7", "/7/pause"...). */
json_t *bw_api__campaign_route(bw_api_t *a, const char *rest, bw_api_req_t *r,
                               int *status, const char **allow);

/* api_fw.c: the firmware repository (docs/api.md, "Firmware"); rest:
 * what follows "firmware" in the URL ("", "/<id>"). */
json_t *bw_api__firmware_route(bw_api_t *a, const char *rest, bw_api_req_t *r,
                               int *status, const char **allow);

/* api_auth.c: tokens, roles and the verified-token cache. */
int bw_api__auth_init(bw_api_t *a, char *why, size_t why_cap);
void bw_api__auth_done(bw_api_t *a);
/*
 * Authenticate an Authorization header value (NULL when absent): "Bearer "
 * and a token text.  A text verified in the last BW_API_AUTH_CACHE_TTL_MS
 * costs one digest and one row lookup; otherwise argon2id.  The row is
 * read on every call, so a revocation by another process counts at once.
 * Returns 0 and *out, or BW_EAUTH (no, unknown, wrong or revoked token),
 * or a storage code (BW_EIO, BW_ENOMEM) for a 500.
 */
int bw_api__auth_check(bw_api_t *a, const char *authorization,
                       bw_api_caller_t *out);
/* Empty the cache (a token was revoked). */
void bw_api__auth_forget(bw_api_t *a);
/* Whether role have may call a route that needs role need. */
int bw_api__role_allows(bw_db_role_t have, bw_db_role_t need);

/* api_tokens.c: /tokens (docs/api.md, "Tokens"); rest: what follows
 * "tokens" in the URL ("", "/<name>"). */
json_t *bw_api__tokens_route(bw_api_t *a, const char *rest, bw_api_req_t *r,
                             int *status, const char **allow);

/* api_events_sse.c: GET /events.  Queues the event stream on c and
 * returns NULL with *status 200 and *mhd_ret the result of
 * MHD_queue_response; or returns the JSON error to send instead (400 a
 * bad filter or Last-Event-ID, 503 no events or too many streams, 500). */
json_t *bw_api__events_open(bw_api_t *a, struct MHD_Connection *c, int *status,
                            int *mhd_ret);
/* Before the daemon stops: end every stream (bounded wait). */
void bw_api__events_stop(bw_api_t *a);
/* After the daemon stopped. */
void bw_api__events_free(bw_api_t *a);

#endif /* BW_API_INT_H */
