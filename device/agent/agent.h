/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-device: what the files of the program share.
 *
 * The program is the POSIX home of the LwM2M client core
 * (include/bulwark/lwm2m_client.h): one or more device contexts (a fleet
 * for tests, --fleet N), each with its own client, objects, channel, key
 * store and state directory, all served by one poll(2) loop.
 *
 *   main.c     command line, set-up of every context, exit codes
 *   loop.c     the poll(2) loop: transports, client steps, signals,
 *              the program's end (registered, stopped, reboot)
 *   channel.c  the client's connect/send/close over a UDP socket, plain
 *              (coap://) or DTLS in PSK mode (coaps://)
 *   dm_keys.c  the in-memory key store that lends the DTLS client the DM
 *              credentials the bootstrap server wrote
 *   uri.c      coap[s]://host[:port] as the Security object holds it
 *   objects.c  Device, Connectivity, Firmware Update and Temperature
 *   temp.c     the Temperature object (multi-instance: Create, Delete)
 *   state.c    the server set's storage (save/load), factory credentials
 *   fw_*.c     firmware over the air behind the Firmware Update object
 *              (fw.h)
 *
 * Ownership: every context is one heap block (agent_dev_t, large: the
 * DTLS client and the client core live inside it) that never moves after
 * set-up, because the client core and the DTLS client keep pointers into
 * it.  Secrets (the factory PSK, DM PSKs) pass through dm_keys.c and
 * state.c only, and are wiped there; nothing here logs them.
 */
#ifndef BW_AGENT_H
#define BW_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/keystore.h"
#include "bulwark/lwm2m_client.h"
#include "bulwark/lwm2m_objects.h"
#include "bulwark/transport.h"
#include "dtls_client.h"
#include "fw.h"
#include "posix_keystore.h"
#include "posix_udp.h"
#include "temp.h"

#define AGENT_NAME "bulwark-device"

/* Exit codes (docs/device.md).  The reboot code is bulwark-boot's
 * (--reboot-code, BW_BOOTCFG_DEFAULT_REBOOT unless told otherwise). */
enum {
    AGENT_EXIT_OK = 0,    /* registered (--exit-after-register), or stopped */
    AGENT_EXIT_FAIL = 1,  /* --max-runtime passed first, or a fatal error */
    AGENT_EXIT_USAGE = 2, /* bad command line */
};

/* Most contexts in one process: a test fleet, not a load generator (each
 * context holds a DTLS client and a client core, about 60 KiB). */
#define AGENT_FLEET_MAX 1000

/* Longest host in a server URI (a DNS name is at most 253 bytes; the URI
 * itself is bounded by BW_LWM2M_URI_MAX anyway). */
#define AGENT_HOST_MAX 254

/* The item of the state directory that holds the server set. */
#define AGENT_STATE_ITEM "lwm2m/servers"
/* The item that holds the Temperature object's instances (temp.h). */
#define AGENT_TEMP_ITEM "objects/3303"

/* A server URI split up (uri.c). */
typedef struct {
    int secure; /* coaps:// */
    char host[AGENT_HOST_MAX + 1];
    char port[6]; /* decimal, "5683" / "5684" when absent */
} agent_uri_t;

/*
 * Parse coap://host[:port][/] or coaps://...; host is a name, an IPv4
 * address or a bracketed IPv6 address; port 1..65535.
 * Returns 0, or BW_EMALFORMED (no such form), BW_EOVERFLOW (host longer
 * than AGENT_HOST_MAX), BW_ERANGE (port 0 or above 65535), BW_EUNSUPPORTED
 * (another scheme, or a path, query or user part: a server URI is none of
 * these), BW_EINVAL (NULL).  *u is zeroed on failure.
 */
int agent_uri_parse(agent_uri_t *u, const char *text);

/*
 * A Package URI: coap[s]://host[:port]/seg/seg... (at least one path
 * segment of [A-Za-z0-9._~-], no query or fragment).  path gets the
 * segments joined by '/' without the leading one.
 * Returns 0, or BW_EMALFORMED (no such form, an empty or bad segment),
 * BW_EOVERFLOW (host or path too long for its buffer), BW_ERANGE (port),
 * BW_EUNSUPPORTED (another scheme, a query, fragment or user part),
 * BW_EINVAL (NULL).  *u and path are zeroed on failure.
 */
int agent_pkg_uri_parse(agent_uri_t *u, char *path, size_t cap,
                        const char *text, size_t len);

/* The DM credentials lent to the DTLS client (dm_keys.c). */
typedef struct {
    uint8_t id[BW_LWM2M_PSK_ID_MAX];
    uint8_t key[BW_LWM2M_PSK_MAX];
    size_t id_len, key_len;
} agent_dm_keys_t;

/* Copy sec's identity and key into k (sec MUST be a PSK-mode DM server). */
void agent_dm_keys_set(agent_dm_keys_t *k, const bw_lwm2m_security_t *sec);
/* The key store view serving "dm/psk-identity" and "dm/psk" from k; every
 * other item is BW_ENOTFOUND, and it cannot be written. */
bw_keystore_t agent_dm_keys_store(agent_dm_keys_t *k);
void agent_dm_keys_wipe(agent_dm_keys_t *k);

/* Channel states. */
enum { CH_CLOSED = 0, CH_OPENING, CH_OPEN };

typedef struct {
    int state;
    int secure;
    int dtls_ready; /* dtls holds an initialised client */
    /* SHA-256 of the DM server's URI, identity and key that dtls was set
     * up with: a reconnect with the same offers dtls's saved session
     * (abbreviated handshake).  Zero: not resumable (bootstrap). */
    uint8_t creds_fp[32];
    int resumable;
    bw_posix_udp_t udp;
    bw_posix_plain_t plain;
    bw_transport_t *t;
    uint64_t deadline; /* transport's next timer, UINT64_MAX: none */
    uint64_t started;  /* connect() time, for the log */
    char uri[BW_LWM2M_URI_MAX];
    bw_dtls_client_t dtls; /* must not move once initialised */
} agent_chan_t;

struct agent;

/* One device. */
typedef struct agent_dev {
    struct agent *app;
    unsigned index; /* 0.. in the fleet */
    char ep[BW_LWM2M_ENDPOINT_MAX + 1];
    char *keystore_dir;        /* heap; NULL: no factory key store */
    char *state_dir;           /* heap */
    bw_posix_keystore_t ks;    /* factory credentials (bs/...) */
    bw_posix_keystore_t state; /* the server set */
    int has_ks;

    bw_lwm2m_client_t client;
    uint64_t next_ms;    /* client's next step, UINT64_MAX: none */
    int poke;            /* step at the next round (input, channel news) */
    unsigned readable;   /* bit ch: poll(2) said chan[ch]'s socket has news */
    unsigned reg_logged; /* bit ch: chan[ch]'s registration was logged */
    int registered;      /* has been registered with every DM server */
    int reboot;          /* BW_LWM2M_EV_REBOOT reached us */
    int factory_reset;   /* a factory reset reached us (see objects.c) */
    int reset_posted;    /* Execute /3/0/5 ran: its events are on the way */
    bw_lwm2m_state_t logged_state;

    bw_lwm2m_device_t device;
    bw_lwm2m_conn_t conn;
    bw_lwm2m_fw_t fw;
    agent_temp_t temp; /* /3303 (temp.h) */
    bw_lwm2m_object_t device_obj, conn_obj, fw_obj, temp_obj;
    agent_fw_t fwu;     /* the firmware update behind fw (fw.h) */
    int fw_readable;    /* poll(2) said the download socket has news */
    uint64_t sample_ms; /* next temperature sample */
    uint64_t send_at;   /* next Send (--send-interval), 0: not yet set */

    agent_chan_t chan[BW_LWM2M_MAX_SERVERS]; /* the client's channels */
    agent_dm_keys_t dm_keys;
    uint8_t rx[BW_LWM2M_DATAGRAM_MAX];
} agent_dev_t;

/* The whole program. */
typedef struct agent {
    const char *fw_version;
    const char *bootstrap_uri;
    int verbose;
    int exit_after_register;
    int reboot_code;
    const char *model;          /* --model: images this device installs */
    uint64_t health_ms;         /* --health-timeout */
    int fail_health;            /* --fail-health-check */
    const char *flash_dir;      /* --flash-dir: fleet flash files */
    const char *flash_geometry; /* --flash-geometry */
    const char *boot_keys[BW_BOOTCFG_MAX_KEYS]; /* --boot-key (fleet) */
    size_t n_boot_keys;
    uint32_t sample_ms;     /* temperature sample interval */
    uint32_t send_ms;       /* --send-interval, 0: no Send */
    uint64_t start_ms;      /* monotonic time at start */
    uint64_t max_runtime;   /* ms, 0: none */
    uint64_t fleet_ramp_ms; /* device i starts at i * ramp / ndev */
    uint64_t now;           /* the loop's current time (agent_now_ms) */
    unsigned ndev;
    agent_dev_t **dev;
} agent_t;

/* Monotonic milliseconds, 64 bits (CLOCK_MONOTONIC). */
uint64_t agent_now_ms(void);

/* One log line "bulwark-device: <ep>: <text>" on stderr (ep may be NULL). */
__attribute__((format(printf, 2, 3))) void agent_log(const agent_dev_t *d,
                                                     const char *fmt, ...);

/* As agent_log, only with -v. */
#define AGENT_VLOG(d, ...)                                                     \
    do {                                                                       \
        if ((d)->app->verbose)                                                 \
            agent_log((d), __VA_ARGS__);                                       \
    } while (0)

/* channel.c: the client callbacks (arg is the agent_dev_t; ch the
 * client's channel number, one per DM server, d->chan[ch]). */
int agent_chan_connect(void *arg, unsigned ch, const bw_lwm2m_security_t *sec,
                       uint64_t now);
int agent_chan_send(void *arg, unsigned ch, const uint8_t *buf, size_t len);
void agent_chan_close(void *arg, unsigned ch);
/* Close every channel of d (DTLS: close_notify; sessions kept). */
void agent_chan_close_all(agent_dev_t *d);
/* Drive channel ch's transport: handshake progress, datagrams to the
 * client, failures reported to it.  Returns the number of datagrams
 * delivered. */
int agent_chan_service(agent_dev_t *d, unsigned ch, uint64_t now);
/* Channel ch's socket to wait on, or -1. */
int agent_chan_fd(const agent_dev_t *d, unsigned ch);
/* The earliest transport timer of d's channels, UINT64_MAX: none. */
uint64_t agent_chan_deadline(const agent_dev_t *d);
/* Release every channel's DTLS client (at exit, at a fleet reboot). */
void agent_chan_free(agent_dev_t *d);

/* objects.c: create the four objects and add them to d->client. */
int agent_objects_init(agent_dev_t *d);
/* Take a temperature sample when due (and poke d's client); returns the
 * next sample time. */
uint64_t agent_objects_sample(agent_dev_t *d, uint64_t now);

/* send.c (--send-interval): make the Send that is due at now, if any;
 * returns when the next one is due (UINT64_MAX: none). */
uint64_t agent_send_tick(agent_dev_t *d, uint64_t now);
/* Log the outcome of a Send (EV_SEND_DONE / EV_SEND_FAILED). */
void agent_send_result(agent_dev_t *d, bw_lwm2m_event_t ev);
/* The channel is up on a socket with this local address ("" unknown). */
void agent_objects_set_ip(agent_dev_t *d, const char *ip);

/* state.c: the save/load callbacks (arg is the agent_dev_t). */
int agent_state_save(void *arg, const uint8_t *blob, size_t len);
int agent_state_load(void *arg, uint8_t *blob, size_t cap, size_t *len);
/* Forget the server set and the created Temperature instances (factory
 * reset).  Returns 0 or a BW_E* code. */
int agent_state_wipe(agent_dev_t *d);
/*
 * Write the factory bootstrap credentials into d's key store: identity
 * as given, key read from key_file (1..BW_DTLS_PSK_MAX bytes, used as
 * they are).  Returns 0, or -1 with a reason in err.
 */
int agent_state_put_factory(agent_dev_t *d, const char *identity,
                            const char *key_file, char *err, size_t cap);

/* loop.c: run until the end; returns the exit code. */
int agent_run(agent_t *a);
/* loop.c: the client's event callback (arg is the agent_dev_t). */
void agent_event(void *arg, bw_lwm2m_event_t ev);

/* main.c: (re)initialise d's client and objects and start the client
 * (at start, and for a reboot inside a fleet).  Returns 0 or a BW_E*
 * code, logged. */
int agent_dev_start(agent_dev_t *d, uint64_t now);

#endif /* BW_AGENT_H */
