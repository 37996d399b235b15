/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The LwM2M 1.1 client core: bootstrap, registration and the servers'
 * requests, for a microcontroller as much as for a Linux gateway.
 *
 * Contract (Wakaama's lesson): the core never blocks, never owns a socket
 * and never reads a clock.  The application
 *   - hands every datagram received on a channel to
 *     bw_lwm2m_client_input() with the channel's number,
 *   - calls bw_lwm2m_client_step() with the current time whenever the
 *     previous call's *next_ms is reached (or after input),
 *   - and provides callbacks to open and close a channel to a server and
 *     to send a datagram on it (its transport: DTLS or plain UDP, see
 *     bulwark/transport.h), and to persist the server set.  Channels
 *     are numbered 0 .. BW_LWM2M_MAX_SERVERS - 1: one per DM server the
 *     client registers with, channel 0 also for the bootstrap server.
 * All state lives in one bw_lwm2m_client_t the caller allocates; several
 * can live in one process (bulwark-device --fleet N).
 *
 * The client owns the Security (/0), Server (/1) and Access Control (/2)
 * objects: the server set.  It comes from persistent storage (the
 * save/load callbacks) or, the first time, from the configuration's
 * factory bootstrap server.
 *
 * Access control (Core 7.3.1): with two or more DM servers in the set,
 * every DM request is checked against the Access Control instances (see
 * bw_lwm2m_acl_rights below, and lwm2m_dm.h for which operation needs
 * which right); with one, that server may do everything, as before.
 * Access Control instances come with the rest of the set from the
 * bootstrap server and are saved with it; a DM server may Write the ACL
 * and owner of the ones it owns.  A DM Create adds one for the new
 * instance (owner: the creating server), a DM Delete drops it.
 * Bootstrap-Write and Bootstrap-Delete change a staged copy; at
 * Bootstrap-Finish the staged set is validated (at least one DM server
 * with a Security and a Server instance that match by Short Server ID, a
 * PSK identity and key in PSK mode) and saved with ONE save() call, which
 * the port makes atomic: after a power cut the device holds the old set
 * or the new one, never a mix.  Only then does the client use it.
 *
 * States:
 *
 *   start()      +--> BOOTSTRAPPING --Finish, saved--+
 *   (no DM       |        ^   |  failure: back off,   |
 *    server)  ---+        |   +--retry --------------+|
 *                         |                           v
 *   (a DM server) ----> REGISTERING --2.01--> REGISTERED --lifetime--> Update
 *                         |   ^  4.xx/timeout: back off, retry       |
 *                         |   +---------------------------------------+
 *                         +--failures >= bootstrap_after--> BOOTSTRAPPING
 *
 * Several DM servers (Core 6.2.1): the client registers with every DM
 * server of the set, each on its own channel, at the same time, and
 * keeps each registration on its own (Updates, lifetime, binding, queue
 * mode, observations).  The state is REGISTERED while at least one
 * server holds a registration, REGISTERING while none does.
 *
 * Register and Update failures are retried on a schedule (1 s doubling to
 * 1 h, with jitter), server by server; one lost Update never sends the
 * client back to bootstrap.  It goes back to bootstrap when a DM server
 * refuses our credentials (the application reports BW_EAUTH or BW_ECERT
 * from its transport through bw_lwm2m_client_channel_failed()), or when
 * a server has failed bootstrap_after times in a row while no other
 * server holds a registration (one unreachable server does not tear
 * down the registrations that work: it stays on the slow end of its
 * schedule).
 *
 * Queue mode (binding "UQ"): after each exchange the client waits
 * queue_idle_ms for more requests, then closes the channel and reports
 * BW_LWM2M_EV_SLEEP with the time of its next Update; it reopens the
 * channel itself when that comes (or when the application has something
 * to Send).
 */
#ifndef BULWARK_LWM2M_CLIENT_H
#define BULWARK_LWM2M_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/coap_endpoint.h"
#include "bulwark/error.h"
#include "bulwark/lwm2m.h"
#include "bulwark/lwm2m_dm.h"
#include "bulwark/lwm2m_object.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * RAM limits.  Each is a default a build may override with -D (the same
 * for every file of the build: they change the size of the contexts).
 * The small-device values, with which bw_lwm2m_client_t fits 6 KiB on a
 * 32-bit MCU (one DM server, 8 observations, 1 KiB messages; measured by
 * scripts/size-m4, see docs/performance.md "Cortex-M4 footprint"), are
 * listed there and in scripts/size-m4 (min_defs).
 */

/* One bootstrap server and up to this many DM servers. */
#ifndef BW_LWM2M_MAX_SERVERS
#define BW_LWM2M_MAX_SERVERS 2
#endif
/* Security + Server instances: one per DM server, one for bootstrap. */
#define BW_LWM2M_MAX_SECURITY (BW_LWM2M_MAX_SERVERS + 1)
#ifndef BW_LWM2M_URI_MAX
#define BW_LWM2M_URI_MAX 128
#endif
#ifndef BW_LWM2M_ENDPOINT_MAX
#define BW_LWM2M_ENDPOINT_MAX 64
#endif
/* PSK identity and key (RFC 4279 allows more; LwM2M uses names and
 * 128..256-bit keys).  Certificate material arrives with the identity
 * work: these bound the Security object's resources 3 and 5 until then. */
#ifndef BW_LWM2M_PSK_ID_MAX
#define BW_LWM2M_PSK_ID_MAX 64
#endif
#ifndef BW_LWM2M_PSK_MAX
#define BW_LWM2M_PSK_MAX 64
#endif
/*
 * Access Control instances (/2) the set holds (Core 7.3.1: one per object
 * instance a server may reach when two or more are configured).  Eight
 * cover this device: the two Server instances, Device /3/0, Connectivity
 * /4/0, Firmware /5/0, an application instance, and two Create grants
 * (Object Instance ID 65535); about 22 bytes each, in the set in use and
 * in the staged one.  More is refused (5.00 to a Bootstrap-Write, a
 * Create that would need one).
 */
#ifndef BW_LWM2M_MAX_ACL
#define BW_LWM2M_MAX_ACL 8
#endif
/* ACL resource instances (/2/x/2/ssid) per Access Control instance: one
 * per DM server the set can hold, and the default (ri 0). */
#define BW_LWM2M_ACL_ENTRIES (BW_LWM2M_MAX_SERVERS + 1)
/* Room for a diagnostic of bw_lwm2m_servers_check: the longest path
 * ("/0/65534/10", 11 characters), ": " and a reason of at most 12
 * characters with its NUL. */
#define BW_LWM2M_WHY_MAX 26
/* Largest datagram sent or received by the client core. */
#ifndef BW_LWM2M_DATAGRAM_MAX
#define BW_LWM2M_DATAGRAM_MAX 1152
#endif
/*
 * Largest server-set blob save() is handed (layout in lwm2m_servers.c):
 * a 14-byte header, every Security record at its longest (13 fixed
 * bytes, the URI without its NUL, identity, key), every Server record at
 * its longest (18 fixed bytes and a 3-letter binding), a 4-byte CRC.
 */
#define BW_LWM2M_SERVERS_BLOB_MAX                                              \
    (14 +                                                                      \
     BW_LWM2M_MAX_SECURITY * (13 + (BW_LWM2M_URI_MAX - 1) +                    \
                              BW_LWM2M_PSK_ID_MAX + BW_LWM2M_PSK_MAX) +        \
     BW_LWM2M_MAX_SERVERS * (18 + 3) + 4)
/*
 * The same with Access Control instances: each record 9 fixed bytes and
 * 4 per ACL entry.  A set without them stays within
 * BW_LWM2M_SERVERS_BLOB_MAX (its blob is what it was before object 2).
 */
#define BW_LWM2M_SERVERS_BLOB_ACL_MAX                                          \
    (BW_LWM2M_SERVERS_BLOB_MAX +                                               \
     BW_LWM2M_MAX_ACL * (9 + 4 * BW_LWM2M_ACL_ENTRIES))
/* Longest registration location kept ("/rd/5a3f"): the server picks it;
 * longer ones are refused as a failed Register. */
#ifndef BW_LWM2M_LOCATION_MAX
#define BW_LWM2M_LOCATION_MAX 64
#endif
/* NON notifications remembered so that an RST to one (which carries only
 * its message ID) can cancel the observation: a few in flight at once. */
#ifndef BW_LWM2M_NON_NOTIFY_MEMORY
#define BW_LWM2M_NON_NOTIFY_MEMORY 4
#endif
/* Paths one Send names: a few readings per report (LwM2M leaves the
 * choice to the client); each is copied into the client (8 bytes). */
#ifndef BW_LWM2M_SEND_MAX_PATHS
#define BW_LWM2M_SEND_MAX_PATHS 8
#endif
/* The retry schedule: 1 s doubling to 1 h, each delay jittered +-25%. */
#define BW_LWM2M_RETRY_MIN_MS 1000u
#define BW_LWM2M_RETRY_MAX_MS 3600000u

/* Security mode, resource /0/x/2. */
typedef enum {
    BW_LWM2M_SEC_PSK = 0,
    BW_LWM2M_SEC_RPK = 1,
    BW_LWM2M_SEC_CERT = 2,
    BW_LWM2M_SEC_NOSEC = 3,
} bw_lwm2m_secmode_t;

/* One Security instance (/0/inst).  Secrets: wiped when dropped. */
typedef struct {
    uint16_t inst;
    uint16_t ssid; /* /0/x/10, 0 for the bootstrap server */
    uint8_t in_use;
    uint8_t bootstrap; /* /0/x/1 */
    uint8_t mode;      /* /0/x/2, bw_lwm2m_secmode_t */
    uint8_t psk_id_len;
    uint8_t psk_len;
    char uri[BW_LWM2M_URI_MAX];          /* /0/x/0 */
    uint8_t psk_id[BW_LWM2M_PSK_ID_MAX]; /* /0/x/3 */
    uint8_t psk[BW_LWM2M_PSK_MAX];       /* /0/x/5 */
    uint32_t holdoff_s;                  /* /0/x/11 */
} bw_lwm2m_security_t;

/* One Server instance (/1/inst). */
typedef struct {
    uint16_t inst;
    uint16_t ssid; /* /1/x/0 */
    uint8_t in_use;
    uint8_t notif_storing;   /* /1/x/6 */
    char binding[4];         /* /1/x/7: "U" or "UQ" */
    uint32_t lifetime_s;     /* /1/x/1 */
    uint32_t pmin_s, pmax_s; /* /1/x/2, /1/x/3 */
    uint8_t mute_send;       /* /1/x/23: Send refused (BW_EMUTED) */
} bw_lwm2m_server_t;

/* One ACL resource instance: the rights of one server (ssid 0: of every
 * server not listed). */
typedef struct {
    uint16_t ssid;   /* resource instance id */
    uint16_t rights; /* BW_LWM2M_ACCESS_* bits; others kept, unused */
} bw_lwm2m_acl_entry_t;

/* One Access Control instance (/2/inst, Core appendix E.3). */
typedef struct {
    uint16_t inst;
    uint16_t oid;   /* /2/x/0 Object ID, 1..65534 */
    uint16_t iid;   /* /2/x/1 Object Instance ID; 65535: the Create grant */
    uint16_t owner; /* /2/x/3 Access Control Owner; 65535: bootstrap only */
    uint8_t in_use;
    uint8_t nacl;                                   /* entries in acl */
    bw_lwm2m_acl_entry_t acl[BW_LWM2M_ACL_ENTRIES]; /* /2/x/2, by ssid */
} bw_lwm2m_acl_t;

/* The whole server set: what save() writes and load() reads back. */
typedef struct {
    bw_lwm2m_security_t sec[BW_LWM2M_MAX_SECURITY];
    bw_lwm2m_server_t srv[BW_LWM2M_MAX_SERVERS];
    bw_lwm2m_acl_t acl[BW_LWM2M_MAX_ACL];
} bw_lwm2m_servers_t;

typedef enum {
    BW_LWM2M_STATE_IDLE = 0,
    BW_LWM2M_STATE_BOOTSTRAPPING,
    BW_LWM2M_STATE_REGISTERING,
    BW_LWM2M_STATE_REGISTERED,
    BW_LWM2M_STATE_DEREGISTERING,
    BW_LWM2M_STATE_STOPPED,
} bw_lwm2m_state_t;

typedef enum {
    BW_LWM2M_EV_BOOTSTRAPPED = 1, /* a new server set is saved and in use */
    BW_LWM2M_EV_REGISTERED,       /* 2.01 from the DM server */
    BW_LWM2M_EV_UPDATED,          /* 2.04 to an Update */
    BW_LWM2M_EV_DEREGISTERED,
    BW_LWM2M_EV_RETRY,         /* a failure; retrying at *next_ms */
    BW_LWM2M_EV_SLEEP,         /* queue mode: channel closed */
    BW_LWM2M_EV_REBOOT,        /* /3/0/4 executed */
    BW_LWM2M_EV_FACTORY_RESET, /* /3/0/5 executed */
    BW_LWM2M_EV_SEND_DONE,     /* 2.04 to a Send */
    BW_LWM2M_EV_SEND_FAILED,   /* a Send failed: bw_lwm2m_client_send_result */
} bw_lwm2m_event_t;

typedef struct bw_lwm2m_client bw_lwm2m_client_t;

/*
 * What a client speaks beyond its core (bootstrap, registration, Read,
 * Write, Execute, Create, Delete, Observe): chosen at init, so that a
 * device linking with --gc-sections carries only what it lists.
 *   dm    the request handler's formats and optional operations
 *         (lwm2m_dm.h: bw_lwm2m_dm_full, bw_lwm2m_dm_min, or the
 *         application's own table);
 *   acl   bw_lwm2m_feature_acl: the Access Control object (/2) and the
 *         access checks (see the top of the file).  NULL: no /2 (a
 *         Bootstrap-Write to it is 4.04) and every DM server may do
 *         everything: for a device with one DM server;
 *   send  bw_lwm2m_feature_send: bw_lwm2m_client_send().  NULL: it
 *         answers BW_EUNSUPPORTED.
 */
extern const bw_lwm2m_feature_t bw_lwm2m_feature_acl;
extern const bw_lwm2m_feature_t bw_lwm2m_feature_send;

typedef struct {
    const bw_lwm2m_dm_config_t *dm;
    const bw_lwm2m_feature_t *acl;
    const bw_lwm2m_feature_t *send;
} bw_lwm2m_client_profile_t;

/* Everything (what bw_lwm2m_client_init gives; bulwark-device). */
extern const bw_lwm2m_client_profile_t bw_lwm2m_client_full;
/* The small device: bw_lwm2m_dm_min, no Access Control, no Send. */
extern const bw_lwm2m_client_profile_t bw_lwm2m_client_min;

typedef struct {
    const char *endpoint; /* "ep", copied; 1..BW_LWM2M_ENDPOINT_MAX */
    /* The factory bootstrap server, used when load() finds no set: its
     * URI ("coaps://bs.example.net:5784").  Its credentials are not here:
     * connect() is asked for the bootstrap Security instance and takes
     * them from the device's key store. */
    const char *bootstrap_uri;
    uint32_t bootstrap_after; /* consecutive failures [5] */
    uint32_t queue_idle_ms;   /* queue mode: wait after an exchange [10000] */
    uint32_t bootstrap_timeout_ms; /* Request to Finish at most [120000] */

    /* Open channel ch (0 .. BW_LWM2M_MAX_SERVERS - 1) to the server
     * described by sec (its URI, mode and, for DM servers, the PSK the
     * bootstrap server gave).  Return 0 when open (datagrams may flow),
     * BW_EAGAIN when opening goes on in the background (report the
     * outcome with bw_lwm2m_client_channel_up() or _channel_failed()),
     * or an error.  Each channel is its own connection (its own socket
     * and DTLS session): one per DM server, all open at once. */
    int (*connect)(void *arg, unsigned ch, const bw_lwm2m_security_t *sec,
                   uint64_t now);
    /* Send one datagram on open channel ch. */
    int (*send)(void *arg, unsigned ch, const uint8_t *buf, size_t len);
    void (*close)(void *arg, unsigned ch);
    /* Persist the server set atomically / read it back (BW_ENOTFOUND
     * when there is none yet).  The blob is opaque to the port. */
    int (*save)(void *arg, const uint8_t *blob, size_t len);
    int (*load)(void *arg, uint8_t *blob, size_t cap, size_t *len);
    void (*event)(void *arg, bw_lwm2m_event_t ev);
    void *arg;
} bw_lwm2m_client_config_t;

/* A NON notification sent recently (fields private). */
typedef struct {
    uint16_t mid;
    uint16_t server;
    uint8_t token_len; /* 0: slot unused */
    uint8_t token[8];
} bw_lwm2m_sent_note_t;

/* The open write transaction of one of the client's objects (private). */
typedef struct {
    uint16_t inst;
    uint8_t state; /* 0 none, 1 on an existing instance, 2 on a new one */
    union {
        bw_lwm2m_security_t sec;
        bw_lwm2m_server_t srv;
    } before; /* what rollback() restores; wiped at the end */
} bw_lwm2m_client_txn_t;

/*
 * One channel of the client (fields private; public for sizeof): the
 * registration with one DM server; its CoAP endpoint is c->ep[ch].
 * Channel ch of the callbacks is c->chan[ch]; while the client
 * bootstraps, channel 0 carries the bootstrap server and the others are
 * closed.
 */
typedef struct {
    /* Small fields first (Thumb-2 reach, see below). */
    uint8_t st;      /* lwm2m_client_int.h: BW_LWM2M__CH_* */
    uint8_t pending; /* request in flight (lwm2m_client_int.h) */
    uint8_t channel_open;
    uint8_t channel_opening; /* connect() answered BW_EAGAIN */
    uint8_t update_now;      /* send an Update at the next step */
    uint8_t links;           /* the next Update carries the links */
    uint8_t sec;             /* index into set.sec of the server */
    uint16_t pending_mid;
    char reg_binding[4];       /* b= as last sent ("UQ": queue mode) */
    uint32_t reg_lifetime;     /* lt= as last sent */
    uint32_t failures;         /* in a row, of this server (or bootstrap) */
    uint64_t next_ms;          /* retry or first attempt not before */
    uint64_t last_exchange_ms; /* queue mode: last traffic */
    uint64_t update_ms;        /* next Update due */
    uint64_t notify_ms;        /* a notification may be due */
    char location[BW_LWM2M_LOCATION_MAX]; /* "/rd/xyz", "" when none */
} bw_lwm2m_client_chan_t;

/*
 * The client (fields private; public so that sizeof works).  Unlike most
 * contexts it MUST NOT be copied or moved after init(): the endpoints
 * refer to their arenas and the objects' ctx to the client itself.
 */
struct bw_lwm2m_client {
    /* Small, often used fields first: on a Thumb-2 core a load or store
     * reaches the first 124 bytes with a 2-byte instruction and the first
     * 4 KiB with a 4-byte one. */
    bw_lwm2m_state_t state;
    uint8_t objects_changed; /* every channel's next Update has links */
    uint8_t bootstrap_now;   /* go to bootstrap at the next step */
    uint8_t set_dirty;       /* a DM server changed /1: save again */
    uint8_t events;          /* posted events not yet reported, bits */
    uint8_t note_next;
    uint16_t trace_line; /* line of the last state change (0: NDEBUG) */
    uint32_t generation; /* of the stored set */
    uint32_t dropped;    /* datagrams refused */
    /* With one DM server the code reaches its channel's fields at fixed
     * offsets: here its flags sit within the 32 bytes a 2-byte byte
     * load reaches, its numbers within the 124 of a word load.  The
     * 64-bit fields after it take a 4-byte ldrd/strd at any offset. */
    bw_lwm2m_client_chan_t chan[BW_LWM2M_MAX_SERVERS];
    uint64_t now;         /* given to the public call under way */
    uint64_t deadline_ms; /* bootstrap abandoned at; UINT64_MAX: none */
    uint64_t rng;
    bw_lwm2m_client_config_t cfg;
    const bw_lwm2m_client_profile_t *profile;
    struct {
        bw_lwm2m_path_t paths[BW_LWM2M_SEND_MAX_PATHS];
        uint8_t n;
        uint8_t state;      /* lwm2m_client_int.h: idle, queued, in flight */
        uint8_t chan;       /* the channel it goes on */
        uint8_t code;       /* CoAP code of the last answer, 0: none */
        int err;            /* outcome of the last Send */
        int64_t time_ms;    /* wall clock given to send(), 0: none */
        uint64_t queued_ms; /* now at send() */
    } send;                 /* the Send being made (lwm2m_client_send.c) */
    bw_lwm2m_sent_note_t notes[BW_LWM2M_NON_NOTIFY_MEMORY];
    char endpoint[BW_LWM2M_ENDPOINT_MAX + 1];
    char bootstrap_uri[BW_LWM2M_URI_MAX];
    bw_lwm2m_object_t sec_obj, srv_obj; /* /0 and /1 over set or staged */
    bw_lwm2m_object_t acl_obj;          /* /2 over set or staged */
    bw_lwm2m_client_txn_t sec_txn, srv_txn;
    struct {
        uint8_t open;     /* /2 instances begun, not yet ended */
        uint8_t restored; /* a rollback put the table back already */
        bw_lwm2m_acl_t before[BW_LWM2M_MAX_ACL];
    } acl_txn;                 /* what the /2 table was before the open write */
    bw_lwm2m_servers_t set;    /* in use */
    bw_lwm2m_servers_t staged; /* being written by the bootstrap server */
    bw_lwm2m_dm_t dm;
    uint8_t buf[BW_LWM2M_DATAGRAM_MAX]; /* message or blob being built */
    bw_coap_endpoint_t ep[BW_LWM2M_MAX_SERVERS]; /* one per channel */
    uint8_t arena[BW_LWM2M_MAX_SERVERS]
                 [BW_COAP_ENDPOINT_ARENA_LEN(BW_LWM2M_DATAGRAM_MAX)];
};

/*
 * Set up a client with every feature (bw_lwm2m_client_full; nothing is
 * sent yet).  seed feeds the jitter of the retry schedule and the CoAP
 * message IDs and tokens.
 * Returns 0, or BW_EINVAL (missing callback, endpoint name empty or too
 * long, bootstrap_uri too long).
 */
int bw_lwm2m_client_init(bw_lwm2m_client_t *c,
                         const bw_lwm2m_client_config_t *cfg, uint64_t seed);

/*
 * The same with the features of profile (bw_lwm2m_client_full,
 * bw_lwm2m_client_min, or the application's own), which is not copied
 * and MUST outlive c.  Returns 0, or BW_EINVAL (as above; profile or its
 * dm NULL, a dm table without TLV and SenML CBOR).
 */
int bw_lwm2m_client_init_profile(bw_lwm2m_client_t *c,
                                 const bw_lwm2m_client_config_t *cfg,
                                 uint64_t seed,
                                 const bw_lwm2m_client_profile_t *profile);

/* Add an application object (3, 4, 5, 3303, ...).  As bw_lwm2m_dm_add. */
int bw_lwm2m_client_add_object(bw_lwm2m_client_t *c, bw_lwm2m_object_t *o);

/*
 * Load the server set (or take the factory bootstrap server) and start:
 * register when a DM server is known, else bootstrap.
 * Returns 0, or BW_ESTATE (already started), BW_EMALFORMED (the stored
 * set does not parse: the client starts from the factory bootstrap
 * server, and says so through the return value), or the error load()
 * returned other than BW_ENOTFOUND (BW_EIO ...: likewise started from the
 * factory bootstrap server), BW_EINVAL (NULL).
 */
int bw_lwm2m_client_start(bw_lwm2m_client_t *c, uint64_t now);

/* A datagram that came in on channel ch.  Returns 0; bad datagrams, and
 * datagrams on a channel that is not open, are dropped (and counted),
 * never an error. */
int bw_lwm2m_client_input(bw_lwm2m_client_t *c, unsigned ch, uint64_t now,
                          const uint8_t *data, size_t len);

/*
 * Run everything due at now; *next_ms is when to call again at the
 * latest.  Returns 0, or BW_ESTATE before start().
 */
int bw_lwm2m_client_step(bw_lwm2m_client_t *c, uint64_t now, uint64_t *next_ms);

/* Channel ch, which connect() left opening, is up / channel ch failed
 * (BW_EAUTH, BW_ECERT: the server refused our credentials; anything
 * else: a network error).  Reports about a channel that is not open or
 * opening are ignored. */
void bw_lwm2m_client_channel_up(bw_lwm2m_client_t *c, unsigned ch,
                                uint64_t now);
void bw_lwm2m_client_channel_failed(bw_lwm2m_client_t *c, unsigned ch,
                                    uint64_t now, int err);

/*
 * The DM server registered on channel ch: its SSID and, if location is
 * not NULL, the registration's location ("/rd/5a3f"); 0 when ch carries
 * no registration (not registered yet, bootstrapping, out of range).
 */
uint16_t bw_lwm2m_client_registered(const bw_lwm2m_client_t *c, unsigned ch,
                                    const char **location);

/* Objects were added or removed: the next step sends an Update. */
void bw_lwm2m_client_objects_changed(bw_lwm2m_client_t *c);

/* A resource changed (see bw_lwm2m_dm_changed). */
void bw_lwm2m_client_changed(bw_lwm2m_client_t *c, const bw_lwm2m_path_t *path,
                             uint64_t now);

/* Send a De-register to every server registered and stop (state
 * STOPPED once each is answered or failed; at once when none is).  Returns 0,
 * or BW_ESTATE (not started, already stopping or stopped), BW_EINVAL. */
int bw_lwm2m_client_stop(bw_lwm2m_client_t *c, uint64_t now);

bw_lwm2m_state_t bw_lwm2m_client_state(const bw_lwm2m_client_t *c);

/* The server set in use (read-only view, e.g. for the port's connect()). */
const bw_lwm2m_servers_t *bw_lwm2m_client_servers(const bw_lwm2m_client_t *c);

/*
 * Report ev (BW_LWM2M_EV_REBOOT, BW_LWM2M_EV_FACTORY_RESET) through the
 * event callback once the request being handled has been answered: the
 * Device object calls this from its Execute handler, so the server gets
 * its 2.04 before the application reboots.  Other events are ignored.
 */
void bw_lwm2m_client_post_event(bw_lwm2m_client_t *c, bw_lwm2m_event_t ev);

/*
 * Send (LwM2M 1.1 Core "Information Reporting interface", Transport
 * "Send"): report the values at paths (n of them, 1..BW_LWM2M_SEND_MAX_PATHS,
 * each an object, instance, resource or resource instance) to a DM
 * server as a CON POST /dp in SenML CBOR (Content-Format 112): the first
 * registered one (lowest channel) whose Mute Send is false.
 *
 * The request is queued here and goes out at the next
 * bw_lwm2m_client_step(), which the application SHOULD call right away
 * (its *next_ms says when the retransmission timer falls due).  Values are
 * read then, through the objects' read handlers exactly as a DM Read of
 * each path reads them, and every record carries the full path as its
 * name.  In queue mode with the channel closed, the client opens it and
 * sends an Update first (the server learns it may reach us again).
 * time_ms is the device's wall clock (Unix milliseconds) at this call:
 * the records carry it, moved on by the time spent queued, as SenML base
 * time; 0 means the device has no wall clock and the pack carries no
 * time (the server stamps the values on receipt).
 *
 * One Send at a time, and only one request of the client's own in flight
 * (an Update waits for the Send's answer and the other way round).  The
 * outcome comes through the event callback: BW_LWM2M_EV_SEND_DONE on
 * 2.04, BW_LWM2M_EV_SEND_FAILED otherwise, with the reason from
 * bw_lwm2m_client_send_result().  A server answering 4.04 may have lost
 * our registration: an Update follows at the next step (answered 4.04
 * too, it registers again).
 *
 * Returns 0 (queued), or
 *   BW_ESTATE     not REGISTERED;
 *   BW_EMUTED     every registered server's Mute Send (/1/x/23) is true;
 *   BW_EBUSY      a Send is queued or in flight;
 *   BW_ENOTFOUND  a path names no object, instance or resource the
 *                 client has, or one the server may not Read;
 *   BW_EUNSUPPORTED  a path names a resource that cannot be read
 *                 (write-only, executable);
 *   BW_EPATH      a malformed path, or the root;
 *   BW_EUNSUPPORTED  the client's profile has no Send;
 *   BW_EINVAL     NULL, n of 0 or above BW_LWM2M_SEND_MAX_PATHS.
 */
int bw_lwm2m_client_send(bw_lwm2m_client_t *c, const bw_lwm2m_path_t *paths,
                         size_t n, uint64_t now, int64_t time_ms);

/*
 * The outcome of the last Send that ended: 0 (2.04 Changed), or
 *   BW_ETIMEOUT   no answer after the CoAP retransmissions;
 *   BW_ERESET     the server answered RST;
 *   BW_ECLOSED    the channel closed (or the client left REGISTERED, or
 *                 stopped) before the answer;
 *   BW_EMUTED     Mute Send was set before it went out;
 *   BW_ENOSPC     the values do not fit one datagram (BW_LWM2M_DATAGRAM_MAX;
 *                 block-wise Send is not spoken);
 *   BW_ENOTFOUND, BW_EUNSUPPORTED  a path stopped being readable;
 *   BW_EMALFORMED 4.00, BW_ENOTFOUND 4.04, BW_EOVERFLOW 4.13,
 *   BW_EFORMAT    4.15, BW_EKEY 4.01/4.03, BW_EBUSY 5.xx,
 *   BW_EUNSUPPORTED any other error code: the server refused it;
 *   BW_ESTATE     no Send ended yet.
 * *code (may be NULL) gets the server's CoAP code (BW_COAP_CHANGED ...),
 * or 0 when no answer came.
 */
int bw_lwm2m_client_send_result(const bw_lwm2m_client_t *c, uint8_t *code);

/* Datagrams refused so far (malformed, unexpected, or no room). */
uint32_t bw_lwm2m_client_dropped(const bw_lwm2m_client_t *c);

/* ------------------------------------------------------------------------
 * The server set as stored (lib/lwm2m/lwm2m_servers.c draws the layout)
 * ------------------------------------------------------------------------
 *
 * The blob is what save() writes and load() returns: a versioned binary
 * record with a generation number and a CRC-32 over all of it, so a torn
 * or corrupted copy never decodes.  A port that cannot replace a file
 * atomically keeps two copies and writes the older one: at load it keeps
 * the copy that decodes with the newer generation (serial number
 * arithmetic, (int32_t)(a - b) > 0), so a power cut at any point leaves
 * the old set or the new one.  The blob holds PSKs: wipe it after use.
 */

/*
 * Serialize the in-use entries of s with generation into out (cap bytes;
 * BW_LWM2M_SERVERS_BLOB_ACL_MAX always suffices, BW_LWM2M_SERVERS_BLOB_MAX
 * when s has no Access Control instance).  Returns 0 and *len, or
 * BW_ENOSPC, BW_ERANGE (a value the decoder would refuse: a length
 * field beyond its limit, a security mode above 3, an instance id, SSID
 * or Object ID out of range, a binding other than U Q S N T: the set
 * was not built by the client), BW_EDUPKEY (two ACL entries for one
 * SSID), BW_EINVAL (NULL).  out is wiped on failure.
 */
int bw_lwm2m_servers_encode(const bw_lwm2m_servers_t *s, uint32_t generation,
                            uint8_t *out, size_t cap, size_t *len);

/*
 * Parse a blob.  Returns 0 with *s and *generation filled, or
 *   BW_ETRUNC      shorter than its header, or than the length it declares
 *   BW_ETRAILING   longer than the length it declares
 *   BW_EMAGIC      not a server-set blob
 *   BW_EVERSION    a layout version this code does not know
 *   BW_EHASH       CRC mismatch (a torn or corrupted copy)
 *   BW_EMALFORMED  records that do not fill the body exactly, a NUL in a
 *                  URI, a flag other than 0 or 1 (a Server record's
 *                  flags byte above 3), a binding other than
 *                  letters U, Q, S, N, T
 *   BW_EOVERFLOW   a URI, identity, key or binding longer than its limit,
 *                  more ACL entries than BW_LWM2M_ACL_ENTRIES
 *   BW_ERANGE      more instances than the set holds, a security mode
 *                  above 3, an instance id or SSID of 65535, an Access
 *                  Control Object ID of 0 or 65535
 *   BW_EDUPKEY     two Security, Server or Access Control instances with
 *                  one id, two ACL entries for one SSID
 *   BW_EINVAL      NULL pointers
 * On failure *s is wiped and *generation is 0.
 */
int bw_lwm2m_servers_decode(const uint8_t *blob, size_t len,
                            bw_lwm2m_servers_t *s, uint32_t *generation);

/*
 * Whether s can be used (Bootstrap-Finish): at least one DM server, i.e.
 * a non-bootstrap Security instance with a URI and an SSID, a Server
 * instance with the same SSID, lifetime > 0 and a binding of U or UQ;
 * PSK mode with an identity and a key; no two DM servers with one SSID.
 * Access Control instances: each with an Object ID (1..65534) and an
 * owner, never two for one object instance, none for an Access Control
 * instance.
 * Returns 0, or BW_ENOTFOUND (no DM server, or a Security instance
 * without its Server instance), BW_EMALFORMED (PSK credentials missing,
 * no URI, lifetime 0, bad binding; an Access Control instance without
 * Object ID or owner, or about object 2), BW_EUNSUPPORTED (RPK or
 * certificate mode: no room for that material yet), BW_EDUPKEY (SSID used
 * twice, two Access Control instances for one object instance).
 * why (NULL, or room for BW_LWM2M_WHY_MAX bytes) receives the problem for
 * the diagnostic payload, NUL-terminated: the path it is about and a
 * short reason ("/0/1/10: no SSID", "/1/1/7: not U or UQ"), or the reason
 * alone ("no DM server"); never a secret.  "" on success.
 */
int bw_lwm2m_servers_check(const bw_lwm2m_servers_t *s, char *why);

/* Index in s->sec of the first usable DM server (see _check) at index
 * from or after, or -1. */
int bw_lwm2m_servers_dm(const bw_lwm2m_servers_t *s, size_t from);

/* Wipe the whole set (secrets included) to zeros. */
void bw_lwm2m_servers_wipe(bw_lwm2m_servers_t *s);

/* ------------------------------------------------------------------------
 * Access control over a set (lib/lwm2m/lwm2m_acl.c)
 * ------------------------------------------------------------------------
 */

/* DM servers configured in s: Server instances in use. */
size_t bw_lwm2m_acl_servers(const bw_lwm2m_servers_t *s);

/*
 * The rights (BW_LWM2M_ACCESS_* bits) the DM server ssid holds on /oid/iid
 * (iid 65535: Create in oid), Core 7.3.1 "Obtaining Access Right":
 *   fewer than two DM servers in s      every right (no access control);
 *   the Access Control instance for /oid/iid:
 *     an ACL entry for ssid             its bits;
 *     else ssid is its owner            every right;
 *     else an ACL entry 0 (default)     its bits;
 *     else                              none (0);
 *   no such instance                    BW_ENOTFOUND, except the Server
 *                                       instance whose SSID is ssid
 *                                       (R, W, E: a server always reaches
 *                                       its own account);
 *   oid 2 (Access Control itself), instance iid: its owner may Read and
 *                                       Write it; a server with any right
 *                                       on the instance it governs may
 *                                       Read it; nobody may Execute,
 *                                       Delete or Create (the bootstrap
 *                                       server manages them).
 * Returns the bits (>= 0), or BW_ENOTFOUND, BW_EINVAL (s NULL).
 */
int bw_lwm2m_acl_rights(const bw_lwm2m_servers_t *s, uint16_t ssid,
                        uint16_t oid, uint16_t iid);

/* The Access Control instance of s covering /oid/iid, or NULL. */
const bw_lwm2m_acl_t *bw_lwm2m_acl_find(const bw_lwm2m_servers_t *s,
                                        uint16_t oid, uint16_t iid);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_LWM2M_CLIENT_H */
