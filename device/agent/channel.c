/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The channels of one device context: the client core's connect(), send()
 * and close() callbacks, and agent_chan_service(), which the poll loop
 * calls to move each transport along.  The client numbers its channels,
 * one per DM server it registers with (channel 0 also carries the
 * bootstrap server); channel ch is d->chan[ch], with its own socket and
 * its own DTLS client, so the sessions with two DM servers live side by
 * side.
 *
 * connect() parses the Security instance's URI, opens a connected UDP
 * socket (device/port/posix/posix_udp.h) and puts a transport on it:
 *
 *   coap://   plain UDP, open at once (connect returns 0); Security mode
 *             MUST be NoSec
 *   coaps://  the device's DTLS client (device/dtls/dtls_client.h) in PSK
 *             mode; connect returns BW_EAGAIN and the handshake runs from
 *             the loop.  Bootstrap server: the factory credentials
 *             "bs/psk-identity" and "bs/psk" from the context's key store
 *             directory.  DM server: the identity and key the bootstrap
 *             server wrote, through dm_keys.c.
 *
 * Channel states (ch->state, set only here):
 *
 *   CLOSED --connect(), plain--> OPEN --close()--> CLOSED
 *   CLOSED --connect(), DTLS--> OPENING --handshake done--> OPEN
 *                                  |      (channel_up() to the client)
 *                                  +--failed--> channel_failed(), CLOSED
 *   OPEN --transport failure (close_notify, ICMP unreachable...)-->
 *        channel_failed() to the client, CLOSED
 *
 * A failure is handed to the client with the transport's own code, so
 * BW_EAUTH and BW_ECERT (the server refused our credentials) send the
 * client back to bootstrap, and a network error only makes it retry.
 *
 * DTLS sessions are resumed across connections to the same DM server
 * with the same credentials: close() sends close_notify and closes the
 * socket but keeps the DTLS client, whose saved session connect() offers
 * again (an abbreviated handshake, no PSK key exchange round trip: what
 * a queue-mode device pays at every wake).  The credentials are told
 * apart by a SHA-256 fingerprint of URI, identity and key (creds_fp):
 * new ones (bootstrap, rotation) or another server set the client up
 * anew.  Bootstrap connections never resume: the factory credentials are
 * read inside the DTLS client's init.  The price is that mbedTLS keeps
 * the DM key between connections; agent_chan_free() wipes it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <mbedtls/ssl.h>

#include "agent.h"

/*
 * Longest handshake retransmission interval.  The DTLS client's timer
 * starts at 1 s and doubles up to this, then gives up: 1+2+4+8+16 s,
 * about half a minute of silence before the client core hears of the
 * failure and schedules its own retry (which backs off to an hour).
 */
#define AGENT_HS_TIMEOUT_MAX_MS 16000u

/* Datagrams taken from one channel per service call, so one busy server
 * cannot starve the other contexts of a fleet. */
#define AGENT_RX_BURST 16

static const char *what_failed(int err)
{
    switch (err) {
    case BW_EAUTH:
        return "authentication failed";
    case BW_ECERT:
        return "certificate rejected";
    case BW_ETIMEOUT:
        return "timed out";
    case BW_ECLOSED:
        return "closed by the server";
    case BW_ENET:
        return "network error";
    case BW_EHANDSHAKE:
        return "handshake failed";
    default:
        return bw_strerror(err);
    }
}

static void set_closed(agent_chan_t *ch)
{
    ch->state = CH_CLOSED;
    ch->t = NULL;
    ch->deadline = UINT64_MAX;
}

static unsigned chan_num(const agent_dev_t *d, const agent_chan_t *ch)
{
    return (unsigned)(ch - d->chan);
}

static void chan_free(agent_chan_t *ch)
{
    if (ch->dtls_ready) {
        bw_dtls_client_free(&ch->dtls);
        ch->dtls_ready = 0;
    }
    ch->resumable = 0;
    bw_crypto_wipe(ch->creds_fp, sizeof ch->creds_fp);
    bw_posix_udp_close(&ch->udp);
    set_closed(ch);
}

void agent_chan_free(agent_dev_t *d)
{
    for (unsigned i = 0; i < BW_LWM2M_MAX_SERVERS; i++)
        chan_free(&d->chan[i]);
}

void agent_chan_close(void *arg, unsigned n)
{
    agent_dev_t *d = arg;
    if (n >= BW_LWM2M_MAX_SERVERS)
        return;
    agent_chan_t *ch = &d->chan[n];
    if (ch->state == CH_CLOSED)
        return;
    bw_transport_close(ch->t); /* DTLS: close_notify; the session is kept */
    AGENT_VLOG(d, "channel to %s closed", ch->uri);
    if (!ch->resumable) {
        chan_free(ch);
        return;
    }
    bw_posix_udp_close(&ch->udp);
    set_closed(ch);
}

void agent_chan_close_all(agent_dev_t *d)
{
    for (unsigned i = 0; i < BW_LWM2M_MAX_SERVERS; i++)
        agent_chan_close(d, i);
}

uint64_t agent_chan_deadline(const agent_dev_t *d)
{
    uint64_t t = UINT64_MAX;
    for (unsigned i = 0; i < BW_LWM2M_MAX_SERVERS; i++)
        if (d->chan[i].deadline < t)
            t = d->chan[i].deadline;
    return t;
}

/* The local address of the socket, for Connectivity Monitoring. */
static void local_ip(const agent_chan_t *ch, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    out[0] = '\0';
    int fd = bw_posix_udp_fd(&ch->udp);
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    const void *addr = NULL;
    if (ss.ss_family == AF_INET)
        addr = &((const struct sockaddr_in *)&ss)->sin_addr;
    else if (ss.ss_family == AF_INET6)
        addr = &((const struct sockaddr_in6 *)&ss)->sin6_addr;
    if (addr == NULL ||
        inet_ntop(ss.ss_family, addr, out, (socklen_t)cap) == NULL)
        out[0] = '\0';
}

static void channel_is_up(agent_dev_t *d, agent_chan_t *ch, uint64_t now)
{
    char ip[INET6_ADDRSTRLEN];
    ch->state = CH_OPEN;
    local_ip(ch, ip, sizeof ip);
    agent_objects_set_ip(d, ip);
    if (ch->secure) {
        uint16_t suite = bw_dtls_client_suite(&ch->dtls);
        const char *name = mbedtls_ssl_get_ciphersuite_name(suite);
        AGENT_VLOG(
            d, "DTLS handshake with %s done in %llu ms, %s%s", ch->uri,
            (unsigned long long)(now - ch->started), name != NULL ? name : "?",
            bw_dtls_client_resumed(&ch->dtls) ? ", session resumed" : "");
    }
}

/* The fingerprint of a DM server's URI and credentials (creds_fp). */
static void creds_fingerprint(const bw_lwm2m_security_t *sec, uint8_t fp[32])
{
    bw_hash_ctx_t h;
    static const uint8_t sep = 0;
    if (bw_sha256_init(&h) != 0 ||
        bw_sha256_update(&h, sec->uri, strlen(sec->uri)) != 0 ||
        bw_sha256_update(&h, &sep, 1) != 0 ||
        bw_sha256_update(&h, sec->psk_id, sec->psk_id_len) != 0 ||
        bw_sha256_update(&h, &sep, 1) != 0 ||
        bw_sha256_update(&h, sec->psk, sec->psk_len) != 0 ||
        bw_sha256_finish(&h, fp) != 0) {
        bw_hash_abort(&h);
        memset(fp, 0, 32); /* never matches: resumable needs a set-up */
    }
}

/* Start the DTLS client on the open socket; 0 or a BW_E* code.  A client
 * kept from an earlier connection with the same credentials is reused,
 * offering its saved session. */
static int start_dtls(agent_dev_t *d, agent_chan_t *ch,
                      const bw_lwm2m_security_t *sec, uint64_t now)
{
    uint8_t fp[32] = {0};
    if (!sec->bootstrap)
        creds_fingerprint(sec, fp);
    if (ch->dtls_ready && ch->resumable && !sec->bootstrap &&
        bw_ct_equal(fp, ch->creds_fp, sizeof fp)) {
        bw_crypto_wipe(fp, sizeof fp);
        ch->t = bw_dtls_client_transport(&ch->dtls);
        int err = bw_transport_connect(ch->t, (uint32_t)now);
        if (err != 0 && err != BW_EAGAIN)
            return err;
        ch->state = err == 0 ? CH_OPEN : CH_OPENING;
        ch->deadline = now;
        return err;
    }
    if (ch->dtls_ready) { /* other credentials: start afresh */
        bw_dtls_client_free(&ch->dtls);
        ch->dtls_ready = 0;
    }
    ch->resumable = 0;
    bw_dtls_client_config_t cfg = {
        .mode = BW_DTLS_MODE_PSK,
        .server = sec->bootstrap ? BW_DTLS_SERVER_BS : BW_DTLS_SERVER_DM,
        .hs_timeout_max_ms = AGENT_HS_TIMEOUT_MAX_MS,
    };
    bw_dtls_entropy_t rng = {bw_posix_entropy, NULL};
    bw_keystore_t ks;
    bw_crypto_wipe(ch->creds_fp, sizeof ch->creds_fp);
    if (sec->bootstrap) {
        if (!d->has_ks) {
            agent_log(d, "no key store for the bootstrap server's "
                         "credentials (--keystore)");
            return BW_ENOTFOUND;
        }
        ks = bw_posix_keystore(&d->ks);
    } else {
        agent_dm_keys_set(&d->dm_keys, sec);
        ks = agent_dm_keys_store(&d->dm_keys);
    }
    int err = bw_dtls_client_init(&ch->dtls, &cfg, bw_posix_udp_dgram(&ch->udp),
                                  ks, rng);
    agent_dm_keys_wipe(&d->dm_keys); /* mbedTLS holds its own copy now */
    if (err != 0) {
        bw_dtls_client_free(&ch->dtls);
        agent_log(d, "%s credentials: %s", sec->bootstrap ? "bootstrap" : "DM",
                  err == BW_ENOTFOUND
                      ? (sec->bootstrap ? "bs/psk-identity or bs/psk missing "
                                          "from the key store"
                                        : "no PSK identity or key")
                  : err == BW_EOVERFLOW ? "empty or too long"
                                        : bw_strerror(err));
        return err;
    }
    ch->dtls_ready = 1;
    if (!sec->bootstrap) {
        memcpy(ch->creds_fp, fp, sizeof fp);
        ch->resumable = 1;
    }
    bw_crypto_wipe(fp, sizeof fp);
    ch->t = bw_dtls_client_transport(&ch->dtls);
    err = bw_transport_connect(ch->t, (uint32_t)now);
    if (err != 0 && err != BW_EAGAIN)
        return err;
    ch->state = err == 0 ? CH_OPEN : CH_OPENING;
    /* Poll at once: the loop learns the handshake's first timer. */
    ch->deadline = now;
    return err;
}

int agent_chan_connect(void *arg, unsigned n, const bw_lwm2m_security_t *sec,
                       uint64_t now)
{
    agent_dev_t *d = arg;
    agent_uri_t u;

    if (n >= BW_LWM2M_MAX_SERVERS)
        return BW_EINVAL;
    agent_chan_t *ch = &d->chan[n];
    agent_chan_close(d, n); /* keeps a resumable DTLS client */
    int err = agent_uri_parse(&u, sec->uri);
    if (err != 0) {
        agent_log(d, "%s server URI refused: %s",
                  sec->bootstrap ? "bootstrap" : "DM", bw_strerror(err));
        return err;
    }
    if (u.secure && sec->mode != BW_LWM2M_SEC_PSK) {
        agent_log(d,
                  "%s: security mode %u is not supported over coaps "
                  "(PSK only)",
                  sec->uri, (unsigned)sec->mode);
        return sec->mode == BW_LWM2M_SEC_NOSEC ? BW_EMALFORMED
                                               : BW_EUNSUPPORTED;
    }
    if (!u.secure && sec->mode != BW_LWM2M_SEC_NOSEC) {
        agent_log(d, "%s: security mode %u needs coaps://", sec->uri,
                  (unsigned)sec->mode);
        return BW_EMALFORMED;
    }
    memcpy(ch->uri, sec->uri, sizeof ch->uri);
    ch->uri[sizeof ch->uri - 1] = '\0';
    ch->secure = u.secure;
    ch->started = now;
    err = bw_posix_udp_open(&ch->udp, u.host, u.port);
    if (err != 0) {
        agent_log(d, "%s: %s", ch->uri,
                  err == BW_ENOTFOUND ? "host name does not resolve"
                                      : bw_strerror(err));
        return err;
    }
    AGENT_VLOG(d, "connecting to %s (%s, %s server)", ch->uri,
               u.secure ? "DTLS 1.2, PSK" : "plain UDP",
               sec->bootstrap ? "bootstrap" : "DM");
    if (!u.secure) {
        ch->t = bw_posix_plain_init(&ch->plain, bw_posix_udp_dgram(&ch->udp));
        err = bw_transport_connect(ch->t, (uint32_t)now);
        if (err == 0)
            channel_is_up(d, ch, now);
    } else {
        err = start_dtls(d, ch, sec, now);
        if (err == 0)
            channel_is_up(d, ch, now);
    }
    if (err != 0 && err != BW_EAGAIN)
        chan_free(ch);
    return err;
}

int agent_chan_send(void *arg, unsigned n, const uint8_t *buf, size_t len)
{
    agent_dev_t *d = arg;
    if (n >= BW_LWM2M_MAX_SERVERS || d->chan[n].state != CH_OPEN)
        return BW_ESTATE;
    agent_chan_t *ch = &d->chan[n];
    /* A failure shows again at the next poll or recv, which reports it
     * to the client: nothing to do here but say so. */
    return bw_transport_send(ch->t, buf, len, (uint32_t)d->app->now);
}

int agent_chan_fd(const agent_dev_t *d, unsigned n)
{
    if (n >= BW_LWM2M_MAX_SERVERS || d->chan[n].state == CH_CLOSED)
        return -1;
    return bw_posix_udp_fd(&d->chan[n].udp);
}

/* Tell the client the channel died, and make sure it is closed. */
static void channel_failed(agent_dev_t *d, agent_chan_t *ch, uint64_t now,
                           int err)
{
    const char *reason = ch->secure ? bw_dtls_client_reason(&ch->dtls) : "";
    agent_log(d, "%s %s: %s%s%s",
              ch->state == CH_OPENING ? "handshake with" : "channel to",
              ch->uri, what_failed(err), *reason ? ": " : "", reason);
    bw_lwm2m_client_channel_failed(&d->client, chan_num(d, ch), now, err);
    /* A no-op when the client closed it already. */
    agent_chan_close(d, chan_num(d, ch));
    d->poke = 1;
}

/* The transport's next timer as a 64-bit time. */
static void set_deadline(agent_chan_t *ch, uint64_t now, uint32_t next)
{
    if (next == BW_TRANSPORT_NEVER) {
        ch->deadline = UINT64_MAX;
        return;
    }
    int32_t in = (int32_t)(next - (uint32_t)now);
    ch->deadline = in <= 0 ? now : now + (uint64_t)in;
}

int agent_chan_service(agent_dev_t *d, unsigned n, uint64_t now)
{
    uint32_t next = BW_TRANSPORT_NEVER;
    int delivered = 0;

    if (n >= BW_LWM2M_MAX_SERVERS || d->chan[n].state == CH_CLOSED)
        return 0;
    agent_chan_t *ch = &d->chan[n];
    int err = bw_transport_poll(ch->t, (uint32_t)now, &next);
    if (ch->state == CH_OPENING) {
        if (err == BW_EAGAIN) {
            set_deadline(ch, now, next);
            return 0;
        }
        if (err != 0) {
            channel_failed(d, ch, now, err);
            return 0;
        }
        channel_is_up(d, ch, now);
        bw_lwm2m_client_channel_up(&d->client, n, now);
        d->poke = 1;
    } else if (err != 0 && err != BW_EAGAIN) {
        channel_failed(d, ch, now, err);
        return 0;
    }
    for (int i = 0; i < AGENT_RX_BURST && ch->state == CH_OPEN; i++) {
        size_t len = 0;
        err =
            bw_transport_recv(ch->t, d->rx, sizeof d->rx, &len, (uint32_t)now);
        if (err == BW_EAGAIN)
            break;
        if (err == BW_ENOSPC)
            continue; /* longer than any LwM2M datagram: dropped */
        if (err != 0) {
            channel_failed(d, ch, now, err);
            return delivered;
        }
        bw_lwm2m_client_input(&d->client, n, now, d->rx, len);
        delivered++;
        d->poke = 1;
    }
    if (ch->state != CH_CLOSED) {
        next = BW_TRANSPORT_NEVER;
        err = bw_transport_poll(ch->t, (uint32_t)now, &next);
        if (err != 0 && err != BW_EAGAIN)
            channel_failed(d, ch, now, err);
        else
            set_deadline(ch, now, next);
        /* More may be waiting past the burst: come back at once. */
        if (delivered == AGENT_RX_BURST)
            ch->deadline = now;
    }
    return delivered;
}
