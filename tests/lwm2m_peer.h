/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A scripted LwM2M server for the client core's tests
 * (tests/unit/test_lwm2m_client_*.c, tests/fault/test_lwm2m_*.c).
 *
 * The peer is the other end of the client's callbacks: it records every
 * datagram the client sends (parsed with lib/coap, checked by the test),
 * answers with the codes the test chooses, sends requests of its own
 * (Bootstrap-Write, -Delete, -Finish, DM Read ...) through
 * bw_lwm2m_client_input(), and keeps the "flash" behind save()/load().
 * Time is the test's: nothing here reads a clock.  Every check fails the
 * running cmocka test.  Test code only.
 */
#ifndef BW_TEST_LWM2M_PEER_H
#define BW_TEST_LWM2M_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/lwm2m_client.h"

/* Datagrams from the client kept for inspection (a ring). */
#define BW_PEER_SLOTS  32
#define BW_PEER_EVENTS 64

typedef struct {
    uint8_t sent[BW_PEER_SLOTS][BW_LWM2M_DATAGRAM_MAX];
    size_t sent_len[BW_PEER_SLOTS];
    unsigned sent_ch[BW_PEER_SLOTS]; /* the channel each went out on */
    size_t nsent, ntaken;            /* totals; slot = n % BW_PEER_SLOTS */
    unsigned taken_ch;               /* channel of the datagram taken last */
    /* The channel our replies and requests come in on (0 unless a test
     * plays a second server). */
    unsigned ch;
    /* connect()/close(): what the client asked for, what we answer. */
    int connect_result; /* 0, BW_EAGAIN, or an error */
    unsigned connects, closes;
    unsigned open;    /* bit ch: channel ch is open */
    unsigned last_ch; /* of the last connect() */
    bw_lwm2m_security_t last_sec;
    /* save()/load(): one blob of "flash". */
    int save_result, load_result; /* 0: behave; else returned as is */
    unsigned saves, loads;
    uint8_t store[BW_LWM2M_SERVERS_BLOB_MAX];
    size_t store_len;
    int has_store;
    /* Events in order. */
    bw_lwm2m_event_t events[BW_PEER_EVENTS];
    size_t nevents;
    /* Our own requests. */
    uint16_t mid;
    uint8_t tok;
} bw_lwm2m_peer_t;

void bw_lwm2m_peer_init(bw_lwm2m_peer_t *p);

/* A configuration whose callbacks are p's; every limit at its default. */
void bw_lwm2m_peer_config(bw_lwm2m_peer_t *p, bw_lwm2m_client_config_t *cfg,
                          const char *endpoint, const char *bootstrap_uri);

/* Datagrams the client sent that the test has not taken yet. */
size_t bw_lwm2m_peer_pending(const bw_lwm2m_peer_t *p);

/* Take the next one (there must be one); it must parse.  The bytes stay
 * valid for BW_PEER_SLOTS more sends. */
const uint8_t *bw_lwm2m_peer_take(bw_lwm2m_peer_t *p, bw_coap_msg_t *msg);

/* Take the next one: a CON request of method code to Uri-Path path
 * ("/rd/a1"). */
void bw_lwm2m_peer_expect(bw_lwm2m_peer_t *p, bw_coap_msg_t *msg, uint8_t code,
                          const char *path);

/* The options numbered num joined as "/a/b" into out; returns length. */
size_t bw_lwm2m_peer_path(const bw_coap_msg_t *m, uint16_t num, char *out,
                          size_t cap);

/* The value of Uri-Query "key=..." into out (NUL-terminated); 1 when
 * present, 0 when not. */
int bw_lwm2m_peer_query(const bw_coap_msg_t *m, const char *key, char *out,
                        size_t cap);

/* Number of Uri-Query options. */
int bw_lwm2m_peer_nqueries(const bw_coap_msg_t *m);

/* Answer req (piggybacked ACK) with code; location "rd/a1" becomes
 * Location-Path options (NULL: none). */
void bw_lwm2m_peer_reply(bw_lwm2m_peer_t *p, bw_lwm2m_client_t *c, uint64_t now,
                         const bw_coap_msg_t *req, uint8_t code,
                         const char *location);

/*
 * Send a CON request (method, Uri-Path path, Content-Format cf unless
 * cf < 0, payload) to the client and take its answer, which must be a
 * piggybacked ACK echoing our token.  Returns the response code; *resp
 * (may be NULL) is the parsed answer.
 */
uint8_t bw_lwm2m_peer_request(bw_lwm2m_peer_t *p, bw_lwm2m_client_t *c,
                              uint64_t now, uint8_t method, const char *path,
                              int cf, const void *payload, size_t plen,
                              bw_coap_msg_t *resp);

/* How often ev was reported; the last event (0 when none). */
size_t bw_lwm2m_peer_count(const bw_lwm2m_peer_t *p, bw_lwm2m_event_t ev);
bw_lwm2m_event_t bw_lwm2m_peer_last(const bw_lwm2m_peer_t *p);

/* TLV payloads for Bootstrap-Write of /0/inst and /1/inst. */
size_t bw_lwm2m_peer_tlv_security(uint8_t *buf, size_t cap, uint16_t inst,
                                  const char *uri, int mode, const char *psk_id,
                                  const uint8_t *psk, size_t psk_len,
                                  uint16_t ssid);
size_t bw_lwm2m_peer_tlv_server(uint8_t *buf, size_t cap, uint16_t inst,
                                uint16_t ssid, uint32_t lifetime,
                                const char *binding);

/* The PSK every scripted bootstrap hands out (16 bytes). */
extern const uint8_t BW_PEER_PSK[16];

/*
 * The whole bootstrap, from the client's Bootstrap-Request (which must be
 * the next datagram) to Finish: Delete "/", Write /0/1 (PSK, "dev-id",
 * BW_PEER_PSK, ssid) and /1/1 (ssid, lifetime, binding), Finish.  Every
 * answer must be a success, and the client must then be REGISTERING.
 */
void bw_lwm2m_peer_bootstrap(bw_lwm2m_peer_t *p, bw_lwm2m_client_t *c,
                             uint64_t now, uint16_t ssid, uint32_t lifetime,
                             const char *binding);

/* Take the client's Register (must be next) and answer 2.01 with
 * location; the client must then be REGISTERED. */
void bw_lwm2m_peer_register(bw_lwm2m_peer_t *p, bw_lwm2m_client_t *c,
                            uint64_t now, const char *location);

/* A set with a factory-style bootstrap account /0/0 and one PSK DM
 * server /0/1 + /1/1 (ssid, lifetime, binding). */
void bw_lwm2m_peer_set(bw_lwm2m_servers_t *s, uint16_t ssid, uint32_t lifetime,
                       const char *binding);

/* Put s into the peer's flash as a blob of generation gen. */
void bw_lwm2m_peer_store(bw_lwm2m_peer_t *p, const bw_lwm2m_servers_t *s,
                         uint32_t gen);

/* bw_lwm2m_client_step(); returns *next_ms. */
uint64_t bw_lwm2m_peer_step(bw_lwm2m_client_t *c, uint64_t now);

#endif
