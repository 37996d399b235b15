/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registrations the server holds: who is registered, where (which
 * DTLS worker and peer address) and until when.
 *
 * One registry per server, shared by the DTLS workers (a device's requests
 * arrive on its worker) and the API threads (which look devices up to
 * send them requests).  Every call takes the registry's lock for a short,
 * bounded time: lookups are hash probes, nothing is done under the lock
 * that waits for I/O.  Entries are found by endpoint name and by location.
 * Each entry is sized to what was registered (object links kept up to
 * what a view holds); bw_lwsrv_regview_t is only the form copied out.
 *
 * Locations are 128-bit random values (getrandom), written as 32 hex
 * digits: unguessable, so one device cannot Update or De-register
 * another's registration even on a shared identity.
 *
 * The registry also remembers, per registration, the last request it
 * answered (message ID and the response bytes), so a retransmitted
 * Register, Update or De-register gets the same answer again instead of
 * being applied twice (RFC 7252 4.5: the server's share of deduplication,
 * kept per device rather than in a global table).
 *
 * After a restart the registry is filled from the store before any
 * datagram is read (bw_lwsrv_registry_load): such an entry has no peer
 * address and no worker (addr_len 0 in its view) until the device
 * speaks again over a session the server can read.  Its Update, like
 * any registration message, sets them (bw_lwsrv_registry_update); an
 * authorized message of another kind may set them first
 * (bw_lwsrv_registry_adopt).  Until then nothing can be sent to it:
 * bw_lwsrv_registry_peer answers BW_ESTATE.
 */
#ifndef BW_LWSRV_REGISTRY_H
#define BW_LWSRV_REGISTRY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lwm2m_reg.h"

/* Largest response remembered for a retransmitted request. */
#define BW_LWSRV_DEDUP_MAX 96

/* One registration, as copied out to callers. */
typedef struct {
    char ep[BW_LWSRV_EP_MAX + 1];
    char location[BW_LWSRV_LOC_LEN + 1];
    uint32_t lifetime;
    uint8_t queue;
    uint8_t version_minor;
    char binding[4];
    unsigned worker;              /* DTLS worker holding its session */
    struct sockaddr_storage addr; /* peer address of that session */
    socklen_t addr_len;           /* 0: loaded at start, not heard from since */
    uint64_t registered_ms, updated_ms, expires_ms; /* monotonic */
    char links[1024]; /* object links text (truncated: see
                         links_truncated) */
    uint8_t links_truncated;
} bw_lwsrv_regview_t;

typedef struct bw_lwsrv_registry bw_lwsrv_registry_t;

/* Returns NULL when out of memory. */
bw_lwsrv_registry_t *bw_lwsrv_registry_new(void);
void bw_lwsrv_registry_free(bw_lwsrv_registry_t *r);

/*
 * Register (or re-register: an existing registration of the same
 * endpoint is replaced, RFC-wise the device starts over).  The new
 * location is written to location.
 * Returns 0, or BW_ENOMEM, BW_ECRYPTO (no randomness).
 */
int bw_lwsrv_registry_register(bw_lwsrv_registry_t *r,
                               const bw_lwsrv_reg_t *req, unsigned worker,
                               const struct sockaddr *addr, socklen_t addr_len,
                               uint64_t now_ms,
                               char location[BW_LWSRV_LOC_LEN + 1]);

/*
 * The same with a location chosen beforehand (a Register whose answer
 * waits for its write to the store, which records the location first).
 * Returns 0, or BW_ENOMEM, BW_EINVAL (location not BW_LWSRV_LOC_LEN
 * characters).
 */
int bw_lwsrv_registry_register_at(bw_lwsrv_registry_t *r,
                                  const bw_lwsrv_reg_t *req, unsigned worker,
                                  const struct sockaddr *addr,
                                  socklen_t addr_len, uint64_t now_ms,
                                  const char *location);

/* A fresh location: 128 random bits in lowercase hex.  Returns 0, or
 * BW_ECRYPTO (no randomness; location is then ""). */
int bw_lwsrv_registry_location(char location[BW_LWSRV_LOC_LEN + 1]);

/*
 * Update the registration at req->location: lifetime, binding, links when
 * given; the peer address is refreshed (NAT rebinding).  ep, if not NULL,
 * receives its endpoint name.
 * Returns 0, or BW_ENOTFOUND (no such location: the device must register
 * again, 4.04), BW_ENOMEM.
 */
int bw_lwsrv_registry_update(bw_lwsrv_registry_t *r, const bw_lwsrv_reg_t *req,
                             unsigned worker, const struct sockaddr *addr,
                             socklen_t addr_len, uint64_t now_ms,
                             char ep[BW_LWSRV_EP_MAX + 1]);

/* Remove the registration at location.  ep as above.  Returns 0 or
 * BW_ENOTFOUND. */
int bw_lwsrv_registry_deregister(bw_lwsrv_registry_t *r, const char *location,
                                 char ep[BW_LWSRV_EP_MAX + 1]);

/* Copy out the registration of ep.  Returns 0 or BW_ENOTFOUND. */
int bw_lwsrv_registry_get(bw_lwsrv_registry_t *r, const char *ep,
                          bw_lwsrv_regview_t *out);

/*
 * Where ep's session is: its worker and peer address (what a request to
 * it needs, without copying a whole view).  Returns 0, or BW_ENOTFOUND
 * (not registered), BW_ESTATE (registered, loaded at start and not heard
 * from since: no session to send on yet); on failure worker and
 * addr_len are 0 and addr is zeroed.
 */
int bw_lwsrv_registry_peer(bw_lwsrv_registry_t *r, const char *ep,
                           unsigned *worker, struct sockaddr_storage *addr,
                           socklen_t *addr_len);

/* The endpoint registered at location ("" and BW_ENOTFOUND if none). */
int bw_lwsrv_registry_ep_of(bw_lwsrv_registry_t *r, const char *location,
                            char ep[BW_LWSRV_EP_MAX + 1]);

/*
 * Remove registrations whose lifetime ran out (plus grace_ms); call
 * expired(arg, ep) for each, outside the lock.  Returns how many.
 */
size_t bw_lwsrv_registry_expire(bw_lwsrv_registry_t *r, uint64_t now_ms,
                                uint64_t grace_ms,
                                void (*expired)(void *arg, const char *ep),
                                void *arg);

size_t bw_lwsrv_registry_count(bw_lwsrv_registry_t *r);

/* How many entries have no peer address yet (loaded at start, not heard
 * from since).  Read without the lock: a hint that lets the hot path skip
 * bw_lwsrv_registry_adopt once every device has spoken. */
size_t bw_lwsrv_registry_unheard(bw_lwsrv_registry_t *r);

/* One stored registration to load (bw_lwsrv_registry_load); the views
 * are read during the call only. */
typedef struct {
    const char *ep;       /* a valid endpoint name (bw_lwsrv_ep_valid) */
    const char *location; /* BW_LWSRV_LOC_LEN lowercase hex digits */
    const char *binding;  /* as stored: 1..3 of "USTNQ"; Q is queue mode */
    const char *links;    /* object links text (links_len bytes), or NULL */
    size_t links_len;
    uint32_t lifetime;     /* 1 .. BW_LWSRV_LT_MAX */
    uint8_t version_minor; /* LwM2M 1.x */
    /* Monotonic, as the registry keeps them: the caller moves the stored
     * Unix times by (now monotonic - now Unix).  Modulo 2^64, so a time
     * before the clock's zero still gives the right differences. */
    uint64_t registered_ms, updated_ms, expires_ms;
} bw_lwsrv_loaded_t;

/*
 * Insert a registration loaded from the store at start: everything of
 * it but the peer address and worker, which stay unknown until the
 * device speaks (see the top of this file).  No event is due: it was
 * registered before.  A device that registered meanwhile keeps its
 * entry.  Links beyond what a view holds are cut as for a Register.
 * Returns 0, or
 *   BW_EEXIST      ep or location is held already (nothing changed);
 *   BW_EMALFORMED  ep not a valid endpoint name, location not
 *                  BW_LWSRV_LOC_LEN lowercase hex digits, binding not 1..3
 *                  letters of "USTNQ";
 *   BW_ERANGE      lifetime 0 or above BW_LWSRV_LT_MAX;
 *   BW_ENOMEM;
 *   BW_EINVAL      NULL r, l, ep, location or binding.
 */
int bw_lwsrv_registry_load(bw_lwsrv_registry_t *r, const bw_lwsrv_loaded_t *l);

/*
 * The first word from a loaded entry's device that is not a
 * registration message (a notification): ep's entry takes worker and
 * addr when it has no address yet.  The caller MUST have authorized the
 * peer's identity for ep first.  Returns 0, or BW_ENOTFOUND (ep not
 * registered), BW_EEXIST (it has an address already: unchanged; its
 * Update moves it), BW_ENOMEM.
 */
int bw_lwsrv_registry_adopt(bw_lwsrv_registry_t *r, const char *ep,
                            unsigned worker, const struct sockaddr *addr,
                            socklen_t addr_len);

/*
 * Deduplication of the registration interface, keyed by peer address and
 * message ID: remember (peer, mid) -> response; find it again.  find
 * returns 1 and copies the response when (peer, mid) was answered within
 * the last lifetime_ms, else 0.
 */
void bw_lwsrv_registry_remember(bw_lwsrv_registry_t *r,
                                const struct sockaddr *addr, socklen_t addr_len,
                                uint16_t mid, const uint8_t *resp, size_t len,
                                uint64_t now_ms);
int bw_lwsrv_registry_recall(bw_lwsrv_registry_t *r,
                             const struct sockaddr *addr, socklen_t addr_len,
                             uint16_t mid, uint64_t now_ms,
                             uint64_t lifetime_ms, uint8_t *resp, size_t cap,
                             size_t *len);

#endif /* BW_LWSRV_REGISTRY_H */
