/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The firmware download: a block-wise GET of the Package URI (RFC 7959,
 * 1024-byte blocks) on a channel of its own, streamed into the download
 * area of the secondary slot.
 *
 * The channel is a second UDP socket, plain for coap://, DTLS in PSK mode
 * with the DM server's credentials for coaps:// (the server serves
 * images on its DM port, over the sessions devices register with).  A
 * CoAP endpoint (coap_endpoint.h) does the reliability: each block
 * request is a CON, retransmitted on the RFC 7252 timers and given up
 * after MAX_RETRANSMIT; the block client (coap_block.h) checks that each
 * answer is the block asked for, with the same ETag.
 *
 *   IDLE --start/resume--> OPENING (DTLS handshake) --> OPEN --request-->
 *   WAIT --block--> (sink: flash) --more--> WAIT ... --last--> finish
 *   WAIT/OPENING --retries exhausted / channel failure--> IDLE, resume
 *        after AGENT_FW_RESUME_MS from the bytes written (at most
 *        AGENT_FW_RESUMES times, then Update Result 4)
 *
 * Resume (after a lost connection or a restart): the first request asks
 * for the block at the stored offset; its answer's ETag must equal the
 * stored one, or the package changed: erase, start over from byte 0.
 * The sink reads back a region before writing it: erased is written,
 * identical bytes (written before a crash, after the last record) are
 * kept, anything else means the slot is not what the record says: erase
 * and start over.
 */
#include <string.h>

#include "agent.h"

/* The download socket is connected: every datagram is the server's. */
static const uint8_t peer_id[1] = {'s'};

static uint32_t t32(uint64_t now)
{
    return (uint32_t)now;
}

static void chan_close(agent_fw_t *f)
{
    if (f->t != NULL)
        bw_transport_close(f->t); /* DTLS: close_notify */
    if (f->dtls_ready) {
        bw_dtls_client_free(&f->dtls);
        f->dtls_ready = 0;
    }
    bw_posix_udp_close(&f->udp);
    f->t = NULL;
    f->state = FWC_IDLE;
    f->deadline = UINT64_MAX;
    f->readable = 0;
}

void agent_fw_get_stop(agent_dev_t *d)
{
    chan_close(&d->fwu);
    d->fwu.active = 0;
}

/* The download ends with Update Result result (2..7, 9). */
static void fail(agent_dev_t *d, uint8_t result, const char *why)
{
    agent_fw_t *f = &d->fwu;
    agent_fw_get_stop(d);
    agent_fw_rec_drop(d);
    agent_log(d, "firmware download failed (result %u): %s", result, why);
    (void)bw_lwm2m_fw_download_failed(&d->fw, result);
    f->written = 0;
}

static void save_progress(agent_dev_t *d)
{
    agent_fw_t *f = &d->fwu;
    f->rec.offset = f->written;
    (void)agent_fw_rec_save(d, &f->rec);
}

/* The sink of the block client: one block into the download area. */
static int sink(void *arg, uint32_t offset, const uint8_t *data, size_t len)
{
    agent_dev_t *d = arg;
    agent_fw_t *f = &d->fwu;
    if (len > AGENT_FW_BLOCK || offset > f->dl.size ||
        len > f->dl.size - offset) {
        f->toobig = 1;
        return -1;
    }
    if (bw_flash_read(&f->dl, offset, f->pad, len) != 0) {
        f->io = 1;
        return -1;
    }
    int erased = 1;
    for (size_t i = 0; i < len && erased; i++)
        erased = f->pad[i] == 0xff;
    if (!erased) {
        if (memcmp(f->pad, data, len) != 0) {
            f->restart = 1; /* not what the record promised */
            return -1;
        }
    } else {
        /* The last block may end off the write alignment: pad it with
         * the erased value (the rest of the area is erased anyway). */
        uint32_t align = f->cfg.align;
        size_t padded = (len + align - 1u) / align * align;
        if (padded > f->dl.size - offset) {
            f->toobig = 1;
            return -1;
        }
        memcpy(f->pad, data, len);
        memset(f->pad + len, 0xff, padded - len);
        if (bw_flash_write(&f->dl, offset, f->pad, padded) != 0) {
            f->io = 1;
            return -1;
        }
    }
    f->written = offset + (uint32_t)len;
    if (f->written - f->rec.offset >= AGENT_FW_SAVE_EVERY)
        save_progress(d);
    return 0;
}

static void send_request(agent_dev_t *d, uint64_t now)
{
    agent_fw_t *f = &d->fwu;
    bw_coap_writer_t w;
    size_t len = 0;
    (void)bw_coap_endpoint_token(&f->ep, f->token, 4);
    bw_coap_writer_init(&w, f->buf, sizeof f->buf, BW_COAP_CON, BW_COAP_GET, 0,
                        f->token, 4);
    for (const char *s = f->path; *s != '\0';) {
        const char *e = strchr(s, '/');
        size_t n = e != NULL ? (size_t)(e - s) : strlen(s);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, s, n);
        s += n + (e != NULL);
    }
    int err = bw_coap_block2_client_request(&f->blk, &w);
    /* Size2 0 asks for the size on the first answer of a resume too. */
    if (err == 0 && f->first)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_SIZE2, 0);
    if (err == 0)
        err = bw_coap_writer_finish(&w, &len);
    if (err == 0)
        err = bw_coap_endpoint_send(&f->ep, now, peer_id, sizeof peer_id,
                                    f->buf, len, &f->mid);
    if (err != 0) {
        fail(d, BW_LWM2M_FW_RESULT_BAD_URI, bw_strerror(err));
        return;
    }
    if (f->first)
        AGENT_VLOG(d, "firmware: GET %s from byte %u", f->path,
                   (unsigned)bw_coap_block2_client_offset(&f->blk));
    (void)bw_transport_send(f->t, f->buf, len, t32(now));
    f->state = FWC_WAIT;
}

/* Begin an attempt at f->written on an open channel. */
static void begin(agent_dev_t *d, uint64_t now)
{
    agent_fw_t *f = &d->fwu;
    f->first = 1;
    f->restart = f->toobig = f->io = 0;
    (void)bw_coap_block2_client_init(&f->blk, AGENT_FW_SZX, f->written, sink,
                                     d);
    send_request(d, now);
}

/* Erase the download area and start again from byte 0. */
static void start_over(agent_dev_t *d, uint64_t now, const char *why)
{
    agent_fw_t *f = &d->fwu;
    agent_log(d, "firmware download: %s: starting over from byte 0", why);
    int err = bw_boot_erase_secondary(&f->boot);
    if (err != 0) {
        fail(d, BW_LWM2M_FW_RESULT_NO_STORAGE, "erasing the secondary slot");
        return;
    }
    f->written = 0;
    f->rec.offset = 0;
    f->rec.etag_len = 0;
    f->rec.size = 0;
    (void)agent_fw_rec_save(d, &f->rec);
    begin(d, now);
}

/* The channel or the server went away: resume later, or give up. */
static void lost(agent_dev_t *d, uint64_t now, int err)
{
    agent_fw_t *f = &d->fwu;
    chan_close(f);
    save_progress(d);
    if (f->resumes >= AGENT_FW_RESUMES) {
        fail(d, BW_LWM2M_FW_RESULT_CONN_LOST, "connection lost");
        return;
    }
    f->resumes++;
    agent_log(d,
              "firmware download: connection lost (%s): resuming at byte "
              "%u in %u ms (%u of %u)",
              bw_strerror(err), (unsigned)f->written, AGENT_FW_RESUME_MS,
              (unsigned)f->resumes, AGENT_FW_RESUMES);
    f->deadline = now + AGENT_FW_RESUME_MS;
}

/*
 * A coaps:// package is served with the DM server's credentials, so by
 * the DM server.  When its session was lost and a new handshake worked,
 * that server most likely restarted and lost the registration's session
 * too: register again now rather than when the next Update times out
 * (a minute and a half of CoAP retransmissions).
 */
static void rejoin_after_loss(agent_dev_t *d, uint64_t now)
{
    if (!d->fwu.secure || d->fwu.resumes == 0 ||
        bw_lwm2m_client_state(&d->client) != BW_LWM2M_STATE_REGISTERED)
        return;
    agent_log(d, "firmware: the DM server took a new handshake after the "
                 "connection was lost: registering again");
    /* Channel 0: the first DM server, whose credentials the download
     * used (connect below). */
    bw_lwm2m_client_channel_failed(&d->client, 0, now, BW_ERESET);
}

static int same_etag(const agent_fw_t *f, const bw_coap_opt_t *o)
{
    return o->len == f->rec.etag_len &&
           memcmp(o->value, f->rec.etag, o->len) == 0;
}

static void on_response(agent_dev_t *d, const bw_coap_msg_t *m, uint64_t now)
{
    agent_fw_t *f = &d->fwu;
    char why[96];
    f->state = FWC_OPEN;
    if (BW_COAP_CODE_CLASS(m->code) != 2) {
        if (f->first && f->written > 0 && m->code == BW_COAP_BAD_OPTION) {
            start_over(d, now, "the package is shorter than before");
            return;
        }
        snprintf(why, sizeof why, "the server answered %u.%02u",
                 BW_COAP_CODE_CLASS(m->code), BW_COAP_CODE_DETAIL(m->code));
        fail(d, BW_LWM2M_FW_RESULT_BAD_URI, why);
        return;
    }
    if (f->first) {
        bw_coap_opt_t o;
        int has = bw_coap_opt_find(m, BW_COAP_OPT_ETAG, &o) == 0 &&
                  o.len >= 1 && o.len <= BW_COAP_BLOCK_MAX_ETAG_LEN;
        if (f->written > 0 && (!has || !same_etag(f, &o))) {
            start_over(d, now, "the package changed (another ETag)");
            return;
        }
        if (f->written == 0) {
            f->rec.etag_len = has ? (uint8_t)o.len : 0;
            if (has)
                memcpy(f->rec.etag, o.value, o.len);
        }
        uint32_t size2 = 0;
        if (bw_coap_msg_uint(m, BW_COAP_OPT_SIZE2, &size2) == 0) {
            if (size2 > f->dl.size) {
                snprintf(why, sizeof why,
                         "the package (%u bytes) is larger than the "
                         "download area (%u bytes)",
                         (unsigned)size2, (unsigned)f->dl.size);
                fail(d, BW_LWM2M_FW_RESULT_NO_STORAGE, why);
                return;
            }
            f->rec.size = size2;
        }
        if (f->written > 0)
            agent_log(d, "firmware download: resuming at byte %u of %u",
                      (unsigned)f->written, (unsigned)f->rec.size);
        f->first = 0;
    }
    int done = 0;
    int err = bw_coap_block2_client_response(&f->blk, m, &done);
    if (err == BW_ESTALE) {
        send_request(d, now);
        return;
    }
    if (f->toobig) {
        snprintf(why, sizeof why,
                 "the package is larger than the %u-byte "
                 "download area",
                 (unsigned)f->dl.size);
        fail(d, BW_LWM2M_FW_RESULT_NO_STORAGE, why);
    } else if (f->io) {
        fail(d, BW_LWM2M_FW_RESULT_NO_STORAGE, "flash write failed");
    } else if (f->restart) {
        start_over(d, now, "the slot holds other bytes than recorded");
    } else if (err == BW_EBLOCK) {
        start_over(d, now, "the package changed during the download");
    } else if (err != 0) {
        lost(d, now, err);
    } else if (done) {
        /* For bench/fota: what this connection cost on the wire. */
        agent_log(d,
                  "firmware download complete: %u bytes; this connection "
                  "sent %llu bytes in %u datagrams, received %llu bytes in "
                  "%u (UDP payloads, handshake included)",
                  (unsigned)f->written, (unsigned long long)f->udp.tx_bytes,
                  (unsigned)f->udp.tx_dgrams,
                  (unsigned long long)f->udp.rx_bytes,
                  (unsigned)f->udp.rx_dgrams);
        chan_close(f);
        f->active = 0;
        save_progress(d);
        agent_fw_finish(d);
    } else {
        send_request(d, now);
    }
}

/* Open the channel and start an attempt (a new download or a resume). */
static void open_channel(agent_dev_t *d, uint64_t now)
{
    agent_fw_t *f = &d->fwu;
    uint64_t seed = 0;
    (void)bw_posix_entropy(NULL, (uint8_t *)&seed, sizeof seed);
    int err = bw_coap_endpoint_init(&f->ep, NULL, seed ^ now, f->arena,
                                    sizeof f->arena, AGENT_FW_SLOT);
    if (err == 0)
        err = bw_posix_udp_open(&f->udp, f->host, f->port);
    if (err != 0) {
        fail(d, BW_LWM2M_FW_RESULT_BAD_URI,
             err == BW_ENOTFOUND ? "host name does not resolve"
                                 : bw_strerror(err));
        return;
    }
    f->started = now;
    if (!f->secure) {
        f->t = bw_posix_plain_init(&f->plain, bw_posix_udp_dgram(&f->udp));
        (void)bw_transport_connect(f->t, t32(now));
        f->state = FWC_OPEN;
        begin(d, now);
        return;
    }
    /* coaps: the DM server's PSK, lent for the handshake only. */
    const bw_lwm2m_servers_t *set = bw_lwm2m_client_servers(&d->client);
    int i = set != NULL ? bw_lwm2m_servers_dm(set, 0) : -1;
    if (i < 0 || set->sec[i].mode != BW_LWM2M_SEC_PSK) {
        chan_close(f);
        fail(d, BW_LWM2M_FW_RESULT_BAD_PROTOCOL,
             "coaps:// needs a DM server with PSK credentials");
        return;
    }
    bw_dtls_client_config_t cfg = {
        .mode = BW_DTLS_MODE_PSK,
        .server = BW_DTLS_SERVER_DM,
        .hs_timeout_max_ms = 16000u,
    };
    bw_dtls_entropy_t rng = {bw_posix_entropy, NULL};
    agent_dm_keys_t keys;
    memset(&keys, 0, sizeof keys);
    agent_dm_keys_set(&keys, &set->sec[i]);
    err = bw_dtls_client_init(&f->dtls, &cfg, bw_posix_udp_dgram(&f->udp),
                              agent_dm_keys_store(&keys), rng);
    agent_dm_keys_wipe(&keys);
    if (err != 0) {
        bw_dtls_client_free(&f->dtls);
        chan_close(f);
        fail(d, BW_LWM2M_FW_RESULT_BAD_PROTOCOL, "DTLS set-up failed");
        return;
    }
    f->dtls_ready = 1;
    f->t = bw_dtls_client_transport(&f->dtls);
    err = bw_transport_connect(f->t, t32(now));
    if (err != 0 && err != BW_EAGAIN) {
        lost(d, now, err);
        return;
    }
    f->state = FWC_OPENING;
    f->deadline = now;
}

void agent_fw_get_start(agent_dev_t *d, uint64_t now)
{
    agent_fw_t *f = &d->fwu;
    agent_uri_t u;
    int err = agent_pkg_uri_parse(&u, f->path, sizeof f->path, f->rec.uri,
                                  strlen(f->rec.uri));
    if (err != 0) {
        fail(d, BW_LWM2M_FW_RESULT_BAD_URI, "the Package URI is not usable");
        return;
    }
    memcpy(f->host, u.host,
           sizeof f->host < sizeof u.host ? sizeof f->host : sizeof u.host);
    f->host[sizeof f->host - 1] = '\0';
    memcpy(f->port, u.port, sizeof f->port);
    f->secure = u.secure;
    f->written = f->rec.offset;
    f->resumes = 0;
    f->active = 1;
    open_channel(d, now);
}

static void deliver(agent_dev_t *d, const uint8_t *rx, size_t n, uint64_t now)
{
    agent_fw_t *f = &d->fwu;
    bw_coap_endpoint_event_t ev;
    if (bw_coap_endpoint_input(&f->ep, now, peer_id, sizeof peer_id, rx, n,
                               &ev) != 0)
        return;
    if (ev.tx_len > 0)
        (void)bw_transport_send(f->t, ev.tx, ev.tx_len, t32(now));
    if (ev.kind == BW_COAP_ENDPOINT_EV_UNMATCHED ||
        ev.kind == BW_COAP_ENDPOINT_EV_REQUEST) {
        const uint8_t *tx = NULL;
        size_t tl = 0;
        if (bw_coap_endpoint_reject(&f->ep, now, &ev, &tx, &tl) == 0 && tl)
            (void)bw_transport_send(f->t, tx, tl, t32(now));
    } else if (ev.kind == BW_COAP_ENDPOINT_EV_RESPONSE && ev.mid == f->mid &&
               f->state == FWC_WAIT) {
        on_response(d, &ev.msg, now);
    }
}

void agent_fw_service(agent_dev_t *d, uint64_t now)
{
    agent_fw_t *f = &d->fwu;
    uint8_t rx[1600];
    uint32_t next = BW_TRANSPORT_NEVER;
    f->readable = 0;
    if (f->health && now >= f->health_deadline) {
        f->health = 0;
        agent_log(d,
                  "health check failed: not registered within %llu s: "
                  "rebooting without confirming (bulwark-boot reverts)",
                  (unsigned long long)(d->app->health_ms / 1000u));
        d->reboot = 1;
    }
    if (!f->active)
        return;
    if (f->state == FWC_IDLE) {
        if (now >= f->deadline)
            open_channel(d, now);
        return;
    }
    int err = bw_transport_poll(f->t, t32(now), &next);
    if (f->state == FWC_OPENING) {
        if (err == BW_EAGAIN) {
            f->deadline = next == BW_TRANSPORT_NEVER
                              ? now + 1000u
                              : now + (uint32_t)(next - t32(now));
            return;
        }
        if (err != 0) {
            lost(d, now, err);
            return;
        }
        AGENT_VLOG(d, "firmware: DTLS handshake done in %llu ms",
                   (unsigned long long)(now - f->started));
        f->state = FWC_OPEN;
        rejoin_after_loss(d, now);
        begin(d, now);
    } else if (err != 0 && err != BW_EAGAIN) {
        lost(d, now, err);
        return;
    }
    for (int i = 0; i < 16 && f->active && f->state != FWC_IDLE; i++) {
        size_t n = 0;
        err = bw_transport_recv(f->t, rx, sizeof rx, &n, t32(now));
        if (err == BW_EAGAIN)
            break;
        if (err == BW_ENOSPC)
            continue;
        if (err != 0) {
            lost(d, now, err);
            return;
        }
        deliver(d, rx, n, now);
    }
    bw_coap_endpoint_event_t ev;
    while (f->active && f->state != FWC_IDLE &&
           bw_coap_endpoint_poll(&f->ep, now, &ev) == 1) {
        if (ev.tx_len > 0)
            (void)bw_transport_send(f->t, ev.tx, ev.tx_len, t32(now));
        if (ev.kind == BW_COAP_ENDPOINT_EV_RETRANSMIT)
            AGENT_VLOG(d, "firmware: retransmitting the block request");
        if (ev.kind == BW_COAP_ENDPOINT_EV_FAILED && ev.mid == f->mid) {
            lost(d, now, ev.err);
            return;
        }
    }
    if (f->active && f->state != FWC_IDLE) {
        next = BW_TRANSPORT_NEVER;
        (void)bw_transport_poll(f->t, t32(now), &next);
        uint64_t t = bw_coap_endpoint_next_timeout(&f->ep);
        if (next != BW_TRANSPORT_NEVER) {
            int32_t in = (int32_t)(next - t32(now));
            uint64_t tn = in <= 0 ? now : now + (uint64_t)in;
            t = tn < t ? tn : t;
        }
        f->deadline = t;
    }
}

int agent_fw_fd(const agent_dev_t *d)
{
    return d->fwu.state == FWC_IDLE ? -1 : bw_posix_udp_fd(&d->fwu.udp);
}

uint64_t agent_fw_next(const agent_dev_t *d)
{
    const agent_fw_t *f = &d->fwu;
    uint64_t t = f->active ? f->deadline : UINT64_MAX;
    if (f->health && f->health_deadline < t)
        t = f->health_deadline;
    return t;
}
