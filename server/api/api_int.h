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

#include "api.h"

struct bw_api {
    bw_api_config_t cfg;
    struct MHD_Daemon *d;
    uint16_t port;
    char token[BW_API_TOKEN_HEX + 1];
    char *cert_pem, *key_pem;
};

typedef struct {
    const char *method; /* "GET", "POST", ... */
    const char *ep;     /* {ep} of /devices/{ep}/..., else NULL */
    const char *after;  /* ?after= (NULL when absent) */
    const char *limit;  /* ?limit= (NULL when absent) */
    json_t *body;       /* parsed body of a POST, else NULL */
    int64_t id;         /* {id} of /campaigns/{id}/..., else 0 */
} bw_api_req_t;

/* {"error": error, "detail": detail}, and *status = status. */
json_t *bw_api__error(int *status, int code, const char *error,
                      const char *detail);
void bw_api__log(const bw_api_t *api, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Unix time in milliseconds. */
int64_t bw_api__now_ms(void);
/* ?limit=: 1..BW_API_PAGE_MAX, default BW_API_PAGE_DEFAULT; -1 if bad. */
long bw_api__limit(const char *s);

/* api_devices.c */
json_t *bw_api__devices_list(bw_api_t *a, const bw_api_req_t *r, int *status);
json_t *bw_api__devices_add(bw_api_t *a, const bw_api_req_t *r, int *status);
json_t *bw_api__device_get(bw_api_t *a, const bw_api_req_t *r, int *status);
json_t *bw_api__audit(bw_api_t *a, const bw_api_req_t *r, int *status);

/* api_ops.c: Read, Write, Execute on a registered device. */
typedef enum { BW_API_OP_READ, BW_API_OP_WRITE, BW_API_OP_EXECUTE } bw_api_op_t;
json_t *bw_api__device_op(bw_api_t *a, const bw_api_req_t *r, bw_api_op_t op,
                          int *status);

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

#endif /* BW_API_INT_H */
