/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure decisions of queue mode (api_queue.h): where an operation
 * goes, whether a device is awake, the "async" and "ttl" members, what a
 * failed delivery becomes, the retention's cutoff, and the names the
 * store and the API give the operations.  No clock, no store, no threads: each
 * is tested on its own (tests/unit/test_api_queue.c).
 */
#include "api_int.h"
#include "api_queue.h"

/* The routing table of bw_api_queue_route, in order: the first row whose
 * conditions all hold decides.  A condition is 1 (must hold), 0 (must
 * not) or -1 (either). */
static const struct {
    signed char async, registered, queue_mode, awake;
    bw_api_queue_route_t route;
} routes[] = {
    /* Asked for async and the device can hear it now. */
    {1, 1, 0, -1, BW_API_QUEUE_QUEUE_SEND},
    {1, 1, 1, 1, BW_API_QUEUE_QUEUE_SEND},
    /* Asked for async otherwise: at its next registration or update. */
    {1, -1, -1, -1, BW_API_QUEUE_QUEUE_WAKE},
    /* Synchronous to nobody: the caller is told (as before queues). */
    {0, 0, -1, -1, BW_API_QUEUE_NOT_REGISTERED},
    /* A sleeping queue-mode device cannot hear it: queued anyway. */
    {0, 1, 1, 0, BW_API_QUEUE_QUEUE_WAKE},
    {0, 1, -1, -1, BW_API_QUEUE_SEND_NOW},
};

static int holds(signed char want, int have)
{
    return want < 0 || want == (have != 0);
}

bw_api_queue_route_t bw_api_queue_route(int async, int registered,
                                        int queue_mode, int awake)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (holds(routes[i].async, async) &&
            holds(routes[i].registered, registered) &&
            holds(routes[i].queue_mode, queue_mode) &&
            holds(routes[i].awake, awake))
            return routes[i].route;
    return BW_API_QUEUE_SEND_NOW; /* unreachable: the table is complete */
}

int bw_api_queue_awake(int64_t last_ms, int64_t now_ms)
{
    if (last_ms <= 0)
        return 0;
    /* In the future: the wall clock went back; asleep is the safe side
     * (the request waits for the next update instead of being lost). */
    if (now_ms < last_ms)
        return 0;
    return now_ms - last_ms < BW_API_QUEUE_AWAKE_MS;
}

int bw_api_queue_options(const json_t *async_v, const json_t *ttl_v, int *async,
                         int64_t *ttl_ms, const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    *why = NULL;
    if (async == NULL || ttl_ms == NULL)
        return BW_EINVAL;
    *async = 0;
    *ttl_ms = (int64_t)BW_API_QUEUE_TTL_DEFAULT_S * 1000;
    if (async_v != NULL) {
        if (!json_is_boolean(async_v)) {
            *why = "async must be true or false";
            return BW_ETYPE;
        }
        *async = json_is_true(async_v);
    }
    if (ttl_v != NULL) {
        if (!json_is_integer(ttl_v)) {
            *why = "ttl must be a whole number of seconds";
            return BW_ETYPE;
        }
        json_int_t s = json_integer_value(ttl_v);
        if (s < 1 || s > BW_API_QUEUE_TTL_MAX_S) {
            *why = "ttl must be 1..2592000 seconds (30 days)";
            return BW_ERANGE;
        }
        *ttl_ms = (int64_t)s * 1000;
    }
    return 0;
}

int bw_api_queue_tries_spent(unsigned tries)
{
    return tries >= BW_API_QUEUE_TRIES_MAX;
}

bw_api_queue_failure_t bw_api_queue_after_failure(int err, unsigned tries)
{
    if (err == BW_ENOTFOUND || err == BW_ESTATE)
        return BW_API_QUEUE_REQUEUE;
    return bw_api_queue_tries_spent(tries) ? BW_API_QUEUE_GIVE_UP
                                           : BW_API_QUEUE_RETRY;
}

int64_t bw_api_queue_retention_cutoff(int64_t now_ms, uint32_t days)
{
    if (days == 0)
        return INT64_MIN;
    if (days > BW_API_QUEUE_RETENTION_DAYS_MAX)
        days = BW_API_QUEUE_RETENTION_DAYS_MAX;
    int64_t age = (int64_t)days * 86400000;
    /* A clock so far before 1970 that less the age leaves int64_t:
     * nothing is old enough then. */
    return now_ms < INT64_MIN + age ? INT64_MIN : now_ms - age;
}

/* API operation <-> store operation. */
static const struct {
    bw_api_op_t api;
    bw_db_req_op_t db;
} ops[] = {
    {BW_API_OP_READ, BW_DB_OP_READ},
    {BW_API_OP_WRITE, BW_DB_OP_WRITE},
    {BW_API_OP_EXECUTE, BW_DB_OP_EXECUTE},
    {BW_API_OP_DISCOVER, BW_DB_OP_DISCOVER},
    {BW_API_OP_CREATE, BW_DB_OP_CREATE},
    {BW_API_OP_DELETE, BW_DB_OP_DELETE},
    {BW_API_OP_ATTRIBUTES, BW_DB_OP_WRITE_ATTR},
};

int bw_api__queue_db_op(bw_api_op_t op, bw_db_req_op_t *out)
{
    if (out == NULL)
        return BW_EINVAL;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ops[i].api == op) {
            *out = ops[i].db;
            return 0;
        }
    return BW_EINVAL;
}

int bw_api__queue_api_op(bw_db_req_op_t op, bw_api_op_t *out)
{
    if (out == NULL)
        return BW_EINVAL;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ops[i].db == op) {
            *out = ops[i].api;
            return 0;
        }
    return (unsigned)op < BW_DB_OP_COUNT_ ? BW_ENOTFOUND : BW_EINVAL;
}
