/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Observing resources in CoAP (RFC 7641), as pure functions over
 * caller-allocated tables.
 *
 * Server side, this header owns the list of observers: a registry over a
 * caller's array of slots, each holding the client's identity (opaque
 * bytes, e.g. an address or a DTLS session id), the token of its
 * registration, a resource key the caller chooses, the 24-bit sequence
 * number of its next notification and what is needed to decide, for each
 * notification, whether it goes as CON or NON (section 4.5).  It also
 * writes the start of a notification (header, token, Observe option) with
 * the codec's writer.
 *
 * Client side, it owns the freshness rule of section 3.4, which tells a
 * newer notification from a reordered older one.
 *
 * What it leaves to others: sending, retransmitting and matching ACK/RST
 * to a notification is the message layer's job; it tells this registry
 * what happened (bw_coap_obs_deregister() on Observe: 1 or RST,
 * bw_coap_obs_remove() when a CON notification timed out).  What it must
 * never do: allocate, read a clock (time is a millisecond count passed in
 * by the caller, from any monotonic origin), or keep state outside the
 * structures the caller gave it.
 *
 * Registry slot lifecycle:
 *
 *      free --register--> in use --notify--> in use (seq + 1)
 *        ^                  |  \
 *        |                  |   register with same peer + token:
 *        |                  |   replaced in place (new resource key)
 *        +---deregister-----+
 *            remove (CON timed out, error response sent)
 *            remove_peer (peer gone)
 */
#ifndef BULWARK_COAP_OBSERVE_H
#define BULWARK_COAP_OBSERVE_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/coap.h"
#include "bulwark/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest peer identity: a struct sockaddr_in6 is 28 bytes and a DTLS
 * session id at most 32, so 32 holds either. */
#define BW_COAP_OBS_MAX_PEER_LEN 32

/* Observe values are 24-bit sequence numbers (section 4.4). */
#define BW_COAP_OBS_SEQ_MASK 0xFFFFFFu
/* Half the sequence space: the reordering window of section 3.4. */
#define BW_COAP_OBS_SEQ_HALF 0x800000u
/* A notification this much later than the last one is fresh whatever its
 * number (section 3.4: 128 seconds). */
#define BW_COAP_OBS_FRESH_MS 128000u

/* Observe option values in a request (section 2). */
#define BW_COAP_OBS_REGISTER   0u
#define BW_COAP_OBS_DEREGISTER 1u

/*
 * Defaults for the CON/NON choice.  Section 4.5: a server SHOULD send a
 * CON notification at least every 24 hours, so that it learns whether the
 * client is still interested.  Counting notifications as well bounds how
 * many a client that went away keeps receiving when notifications are
 * frequent; 20 is a common choice in CoAP stacks.
 */
#define BW_COAP_OBS_DEFAULT_CON_EVERY       20u
#define BW_COAP_OBS_DEFAULT_CON_INTERVAL_MS (24u * 3600u * 1000u)

/* One observer.  Fields are private by agreement; sizeof is public so the
 * caller can allocate the array. */
typedef struct {
    uint64_t last_con_ms; /* time of the last CON (or of registration) */
    uint32_t resource;    /* caller's key for the observed resource */
    uint32_t seq;         /* Observe value of the next notification */
    uint32_t since_con;   /* notifications sent since the last CON */
    uint8_t used;
    uint8_t peer_len;
    uint8_t token_len;
    uint8_t peer[BW_COAP_OBS_MAX_PEER_LEN];
    uint8_t token[BW_COAP_MAX_TOKEN_LEN];
} bw_coap_observer_t;

/* The registry: a view of the caller's slots plus the CON policy.  Holds
 * no pointer into itself, so it may be copied. */
typedef struct {
    bw_coap_observer_t *slots;
    size_t count;
    uint32_t con_every;       /* a CON at least every this many */
    uint64_t con_interval_ms; /* a CON at least this often */
} bw_coap_obs_registry_t;

/* What bw_coap_obs_notify() decided for one notification. */
typedef struct {
    uint8_t type;     /* BW_COAP_CON or BW_COAP_NON */
    uint32_t observe; /* value for the Observe option, 0..0xFFFFFF */
} bw_coap_obs_note_t;

/*
 * Set up a registry over slots[0..count) and empty every slot.
 * con_every 0 and con_interval_ms 0 pick the defaults above; con_every 1
 * makes every notification CON.  Returns 0, or BW_EINVAL when reg is NULL
 * or slots is NULL with count > 0.
 */
int bw_coap_obs_init(bw_coap_obs_registry_t *reg, bw_coap_observer_t *slots,
                     size_t count, uint32_t con_every,
                     uint64_t con_interval_ms);

/*
 * Register (a GET with Observe: 0).  An entry with the same peer and token
 * is updated in place (section 4.1: never a second entry): it takes the
 * new resource key and restarts its CON schedule, and its sequence number
 * runs on.  Otherwise the first free slot is taken, with sequence 0.
 *
 * *index (may be NULL) gets the slot; *observe (may be NULL) gets the
 * Observe value for the registration's response, which consumes one
 * sequence number.  Returns 0, or BW_ENOMEM when no slot is free,
 * BW_EINVAL for peer_len 0 or above BW_COAP_OBS_MAX_PEER_LEN, token_len
 * above 8, or NULL pointers with non-zero lengths.  Outputs are untouched
 * on failure.
 */
int bw_coap_obs_register(bw_coap_obs_registry_t *reg, const uint8_t *peer,
                         size_t peer_len, const uint8_t *token,
                         size_t token_len, uint32_t resource, uint64_t now_ms,
                         size_t *index, uint32_t *observe);

/*
 * Find the entry for peer + token.  Returns 0 with *index set, or
 * BW_ENOTFOUND, or BW_EINVAL as for register.
 */
int bw_coap_obs_find(const bw_coap_obs_registry_t *reg, const uint8_t *peer,
                     size_t peer_len, const uint8_t *token, size_t token_len,
                     size_t *index);

/*
 * Deregister: a GET with Observe: 1, or a RST answering a notification
 * (the message layer maps the RST's message ID back to peer and token).
 * Returns 0, BW_ENOTFOUND, or BW_EINVAL as for register.
 */
int bw_coap_obs_deregister(bw_coap_obs_registry_t *reg, const uint8_t *peer,
                           size_t peer_len, const uint8_t *token,
                           size_t token_len);

/*
 * Free slot index: a CON notification timed out (section 4.5), or the
 * server sent a final error notification.  Returns 0, or BW_ENOTFOUND when
 * the slot is not in use, BW_EINVAL when index is out of range.
 */
int bw_coap_obs_remove(bw_coap_obs_registry_t *reg, size_t index);

/* Free every slot of one peer; returns how many were freed (0 when reg
 * or peer is NULL). */
size_t bw_coap_obs_remove_peer(bw_coap_obs_registry_t *reg, const uint8_t *peer,
                               size_t peer_len);

/*
 * Walk the observers of one resource.  Looks from *index on; returns 0
 * with *index at the next slot in use for resource, or BW_ENOTFOUND.
 *
 *   for (size_t i = 0; bw_coap_obs_next(&reg, key, &i) == 0; i++)
 *       ... notify slot i ...
 */
int bw_coap_obs_next(const bw_coap_obs_registry_t *reg, uint32_t resource,
                     size_t *index);

/*
 * Decide one notification for slot index: CON when force_con is set, when
 * con_every - 1 notifications went as NON since the last CON, or when
 * con_interval_ms has passed since the last CON (or the registration);
 * otherwise NON.  Consumes one sequence number (wrapping after
 * 0xFFFFFF).  Returns 0 with *note filled, BW_ENOTFOUND when the slot is
 * not in use, BW_EINVAL for a bad index or NULL note.  *note is zeroed on
 * failure.
 */
int bw_coap_obs_notify(bw_coap_obs_registry_t *reg, size_t index,
                       uint64_t now_ms, int force_con,
                       bw_coap_obs_note_t *note);

/*
 * Start a notification for slot index in w: header (note's type, code,
 * mid, the slot's token), an ETag when etag_len > 0, then Observe with
 * note's value.  The caller goes on with options numbered 6 and above
 * (Content-Format, Max-Age, Block2...) and the payload, then finishes w.
 * A code outside class 2 gets no Observe option (section 4.2: it ends the
 * observation); the caller then removes the slot.  For the piggybacked
 * response to a registration, pass a note with type BW_COAP_ACK and the
 * value register() gave.
 *
 * Returns 0, or the writer's sticky error, or BW_ENOTFOUND for a slot not
 * in use, BW_EINVAL for a bad index or NULL arguments.  Unless w is NULL,
 * w is initialised in every case and its sticky error is the one
 * returned, so a caller may chain writer calls and check only finish().
 */
int bw_coap_obs_write(const bw_coap_obs_registry_t *reg, size_t index,
                      const bw_coap_obs_note_t *note, uint8_t code,
                      uint16_t mid, const uint8_t *etag, size_t etag_len,
                      bw_coap_writer_t *w, uint8_t *buf, size_t cap);

/*
 * Client side: the latest notification seen for one observation.  Zero it
 * (or call bw_coap_obs_fresh_reset()) when registering.
 */
typedef struct {
    uint64_t t_ms;
    uint32_t v;
    uint8_t valid;
} bw_coap_obs_fresh_t;

void bw_coap_obs_fresh_reset(bw_coap_obs_fresh_t *st);

/*
 * Section 3.4 as a pure function: is (v2, t2) newer than (v1, t1)?
 * True when v1 < v2 and v2 - v1 < 2^23, or v1 > v2 and v1 - v2 > 2^23, or
 * t2 > t1 + 128 s.  Values are taken modulo 2^24.  Returns 1 or 0.
 */
int bw_coap_obs_is_fresh(uint32_t v1, uint64_t t1_ms, uint32_t v2,
                         uint64_t t2_ms);

/*
 * Judge a notification with Observe value v arriving at now_ms.  The first
 * one after a reset is fresh.  When fresh, st records it and 0 is
 * returned; else BW_ESTALE and st is unchanged (the caller drops the
 * notification's content, but still acknowledges it).  BW_ERANGE when v
 * does not fit in 24 bits (a 4-byte Observe value from the peer),
 * BW_EINVAL when st is NULL.
 */
int bw_coap_obs_fresh_check(bw_coap_obs_fresh_t *st, uint32_t v,
                            uint64_t now_ms);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_COAP_OBSERVE_H */
