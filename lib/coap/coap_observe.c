/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 7641 observe: the server's list of observers over caller slots, the
 * CON/NON choice for each notification, the start of a notification
 * message, and the client's freshness rule.  The contract and the slot
 * lifecycle are in include/bulwark/coap_observe.h.
 *
 * Slots are found by a linear scan: registries are small (a device has a
 * handful of observers; a server keeps one registry per client), and a
 * scan keeps the table free of pointers so the caller can copy it.
 */
#include "bulwark/coap_observe.h"

#include "bw_mem.h"

static int args_ok(const bw_coap_obs_registry_t *reg, const uint8_t *peer,
                   size_t peer_len, const uint8_t *token, size_t token_len)
{
    return reg != NULL && peer != NULL && peer_len > 0 &&
           peer_len <= BW_COAP_OBS_MAX_PEER_LEN &&
           token_len <= BW_COAP_MAX_TOKEN_LEN &&
           (token != NULL || token_len == 0);
}

static int same_peer(const bw_coap_observer_t *s, const uint8_t *peer,
                     size_t peer_len)
{
    return s->used && s->peer_len == peer_len &&
           bw__equal(s->peer, peer, peer_len);
}

static int same_entry(const bw_coap_observer_t *s, const uint8_t *peer,
                      size_t peer_len, const uint8_t *token, size_t token_len)
{
    return same_peer(s, peer, peer_len) && s->token_len == token_len &&
           (token_len == 0 || bw__equal(s->token, token, token_len));
}

/* A slot in use at index, or NULL with *err set. */
static bw_coap_observer_t *slot_at(const bw_coap_obs_registry_t *reg,
                                   size_t index, int *err)
{
    if (reg == NULL || index >= reg->count) {
        *err = BW_EINVAL;
        return NULL;
    }
    if (!reg->slots[index].used) {
        *err = BW_ENOTFOUND;
        return NULL;
    }
    return &reg->slots[index];
}

int bw_coap_obs_init(bw_coap_obs_registry_t *reg, bw_coap_observer_t *slots,
                     size_t count, uint32_t con_every, uint64_t con_interval_ms)
{
    if (reg == NULL || (slots == NULL && count > 0))
        return BW_EINVAL;
    reg->slots = slots;
    reg->count = count;
    reg->con_every = con_every ? con_every : BW_COAP_OBS_DEFAULT_CON_EVERY;
    reg->con_interval_ms =
        con_interval_ms ? con_interval_ms : BW_COAP_OBS_DEFAULT_CON_INTERVAL_MS;
    if (count > 0)
        bw__zero(slots, count * sizeof *slots);
    return 0;
}

int bw_coap_obs_find(const bw_coap_obs_registry_t *reg, const uint8_t *peer,
                     size_t peer_len, const uint8_t *token, size_t token_len,
                     size_t *index)
{
    if (!args_ok(reg, peer, peer_len, token, token_len) || index == NULL)
        return BW_EINVAL;
    for (size_t i = 0; i < reg->count; i++) {
        if (same_entry(&reg->slots[i], peer, peer_len, token, token_len)) {
            *index = i;
            return 0;
        }
    }
    return BW_ENOTFOUND;
}

int bw_coap_obs_register(bw_coap_obs_registry_t *reg, const uint8_t *peer,
                         size_t peer_len, const uint8_t *token,
                         size_t token_len, uint32_t resource, uint64_t now_ms,
                         size_t *index, uint32_t *observe)
{
    bw_coap_observer_t *s = NULL;
    size_t at;

    if (!args_ok(reg, peer, peer_len, token, token_len))
        return BW_EINVAL;
    if (bw_coap_obs_find(reg, peer, peer_len, token, token_len, &at) == 0) {
        s = &reg->slots[at];
    } else {
        for (at = 0; at < reg->count && reg->slots[at].used; at++)
            ;
        if (at == reg->count)
            return BW_ENOMEM;
        s = &reg->slots[at];
        bw__zero(s, sizeof *s);
        s->used = 1;
        s->peer_len = (uint8_t)peer_len;
        bw__copy(s->peer, peer, peer_len);
        s->token_len = (uint8_t)token_len;
        if (token_len > 0)
            bw__copy(s->token, token, token_len);
    }
    s->resource = resource;
    s->last_con_ms = now_ms;
    s->since_con = 0;
    if (observe != NULL)
        *observe = s->seq;
    s->seq = (s->seq + 1) & BW_COAP_OBS_SEQ_MASK;
    if (index != NULL)
        *index = at;
    return 0;
}

int bw_coap_obs_deregister(bw_coap_obs_registry_t *reg, const uint8_t *peer,
                           size_t peer_len, const uint8_t *token,
                           size_t token_len)
{
    size_t at;
    int err = bw_coap_obs_find(reg, peer, peer_len, token, token_len, &at);

    if (err != 0)
        return err;
    return bw_coap_obs_remove(reg, at);
}

int bw_coap_obs_remove(bw_coap_obs_registry_t *reg, size_t index)
{
    int err = 0;
    bw_coap_observer_t *s = slot_at(reg, index, &err);

    if (s == NULL)
        return err;
    bw__zero(s, sizeof *s);
    return 0;
}

size_t bw_coap_obs_remove_peer(bw_coap_obs_registry_t *reg, const uint8_t *peer,
                               size_t peer_len)
{
    size_t n = 0;

    if (reg == NULL || peer == NULL)
        return 0;
    for (size_t i = 0; i < reg->count; i++) {
        if (same_peer(&reg->slots[i], peer, peer_len)) {
            bw__zero(&reg->slots[i], sizeof reg->slots[i]);
            n++;
        }
    }
    return n;
}

int bw_coap_obs_next(const bw_coap_obs_registry_t *reg, uint32_t resource,
                     size_t *index)
{
    if (reg == NULL || index == NULL)
        return BW_EINVAL;
    for (size_t i = *index; i < reg->count; i++) {
        if (reg->slots[i].used && reg->slots[i].resource == resource) {
            *index = i;
            return 0;
        }
    }
    return BW_ENOTFOUND;
}

/*
 * The CON/NON decision as an ordered list of reasons for CON (section
 * 4.5); the first that holds wins, NON when none does.
 */
static int wants_con(const bw_coap_obs_registry_t *reg,
                     const bw_coap_observer_t *s, uint64_t now_ms,
                     int force_con)
{
    if (force_con)
        return 1;
    if (s->since_con >= reg->con_every - 1)
        return 1;
    /* A clock that went backwards counts as no time passed. */
    if (now_ms >= s->last_con_ms &&
        now_ms - s->last_con_ms >= reg->con_interval_ms)
        return 1;
    return 0;
}

int bw_coap_obs_notify(bw_coap_obs_registry_t *reg, size_t index,
                       uint64_t now_ms, int force_con, bw_coap_obs_note_t *note)
{
    int err = 0;
    bw_coap_observer_t *s;

    if (note != NULL)
        bw__zero(note, sizeof *note);
    s = slot_at(reg, index, &err);
    if (note == NULL)
        return BW_EINVAL;
    if (s == NULL)
        return err;
    if (wants_con(reg, s, now_ms, force_con)) {
        note->type = BW_COAP_CON;
        s->since_con = 0;
        s->last_con_ms = now_ms;
    } else {
        note->type = BW_COAP_NON;
        if (s->since_con < UINT32_MAX)
            s->since_con++;
    }
    note->observe = s->seq;
    s->seq = (s->seq + 1) & BW_COAP_OBS_SEQ_MASK;
    return 0;
}

int bw_coap_obs_write(const bw_coap_obs_registry_t *reg, size_t index,
                      const bw_coap_obs_note_t *note, uint8_t code,
                      uint16_t mid, const uint8_t *etag, size_t etag_len,
                      bw_coap_writer_t *w, uint8_t *buf, size_t cap)
{
    int err = 0;
    const bw_coap_observer_t *s = slot_at(reg, index, &err);

    if (w == NULL)
        return BW_EINVAL;
    if (s == NULL || note == NULL) {
        /* Leave w in a defined, failed state carrying the same error. */
        bw_coap_writer_init(w, buf, cap, BW_COAP_CON, code, mid, NULL, 0);
        if (w->err == 0)
            w->err = s == NULL ? err : BW_EINVAL;
        return s == NULL ? err : BW_EINVAL;
    }
    bw_coap_writer_init(w, buf, cap, note->type, code, mid, s->token,
                        s->token_len);
    if (etag_len > 0)
        bw_coap_writer_add_opt(w, BW_COAP_OPT_ETAG, etag, etag_len);
    if (BW_COAP_CODE_CLASS(code) == 2)
        bw_coap_writer_add_uint(w, BW_COAP_OPT_OBSERVE,
                                note->observe & BW_COAP_OBS_SEQ_MASK);
    return w->err;
}

void bw_coap_obs_fresh_reset(bw_coap_obs_fresh_t *st)
{
    if (st != NULL)
        bw__zero(st, sizeof *st);
}

int bw_coap_obs_is_fresh(uint32_t v1, uint64_t t1_ms, uint32_t v2,
                         uint64_t t2_ms)
{
    v1 &= BW_COAP_OBS_SEQ_MASK;
    v2 &= BW_COAP_OBS_SEQ_MASK;
    if (v1 < v2 && v2 - v1 < BW_COAP_OBS_SEQ_HALF)
        return 1;
    if (v1 > v2 && v1 - v2 > BW_COAP_OBS_SEQ_HALF)
        return 1;
    /* t2 > t1 + 128 s, written so that it cannot overflow. */
    return t2_ms > t1_ms && t2_ms - t1_ms > BW_COAP_OBS_FRESH_MS;
}

int bw_coap_obs_fresh_check(bw_coap_obs_fresh_t *st, uint32_t v,
                            uint64_t now_ms)
{
    if (st == NULL)
        return BW_EINVAL;
    if (v > BW_COAP_OBS_SEQ_MASK)
        return BW_ERANGE;
    if (st->valid && !bw_coap_obs_is_fresh(st->v, st->t_ms, v, now_ms))
        return BW_ESTALE;
    st->v = v;
    st->t_ms = now_ms;
    st->valid = 1;
    return 0;
}
