/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The storage layer of bulwark-server, and the security store on top of it.
 *
 * This header owns everything the server keeps across restarts: devices,
 * their credentials, bootstrap configurations, live registrations, the
 * audit log, requests queued for sleeping devices, live observations
 * and telemetry (db_telemetry.h).  One
 * opaque handle (bw_db_t) reaches it; today the backend is SQLite in WAL
 * mode (db_sqlite.c), a PostgreSQL backend comes later behind the same
 * functions.  docs/storage.md has the schema, the migrations, the
 * durability choices and the thread model.
 *
 * Secrets at rest.  PSKs are sealed with libsodium's crypto_secretbox
 * (XSalsa20-Poly1305) under a key derived from a 32-byte master key that
 * is read from a file of mode 0600 (db_secret.c).  A PSK is opened only
 * in the lookup path (bw_db_psk_lookup), into the caller's buffer.
 *
 * What this module must never do: log, return or store a PSK or the
 * master key in the clear; compare secrets with memcmp; tell a caller a
 * write succeeded before it is committed to disk.
 *
 * Threads.  Every function may be called from any thread.  Writes are
 * serialised on one connection; PSK lookups run on a small pool of read
 * connections and never wait for a writer (WAL readers see the last
 * committed state).  Set bw_db_config_t.readers to at least the number
 * of DTLS workers so lookups never queue behind each other.  Callbacks
 * (the *_read, *_list and *_get walks) run with the write lock held and
 * MUST NOT call back into the same bw_db_t.
 *
 * Times are Unix times in milliseconds given by the caller, so tests and
 * retention jobs control the clock.  Text parameters are NUL-terminated
 * UTF-8 and MUST NOT be NULL unless stated.
 */
#ifndef BW_DB_H
#define BW_DB_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"

/* Schema version this code writes; see db_schema.c for the list. */
#define BW_DB_SCHEMA_VERSION 14

/* Endpoint names: the LwM2M server's rule (server/lwm2m/lwm2m_reg.h),
 * 1..64 bytes of [A-Za-z0-9] and "-._:@~+", so a name never needs quoting
 * in a log line, SQL or a URL. */
#define BW_DB_ENDPOINT_MAX 64
/* PSK identities travel in the DTLS handshake; same bound as the engine's
 * BW_DTLS_IDENTITY_MAX. */
#define BW_DB_IDENTITY_MAX 128
/* PSKs: 128 bits at least (the floor for a fleet key); 64 bytes
 * at most (LwM2M Security /0/x/5 keys are 16..32 bytes in practice). */
#define BW_DB_PSK_MIN 16
#define BW_DB_PSK_MAX 64
/* Model and tags are free text from the operator. */
#define BW_DB_MODEL_MAX 64
#define BW_DB_TAGS_MAX  255
/* Certificate subjects (RFC 5280 ub-common-name is 64; room for more). */
#define BW_DB_SUBJECT_MAX 128
/* A certificate in DER: a P-256 device certificate is well under 1 KB. */
#define BW_DB_CERT_MAX 4096
/* Bootstrap: DM server URI (coaps://host:port) and binding ("U", "UQ"). */
#define BW_DB_URI_MAX     255
#define BW_DB_BINDING_MAX 3
#define BW_DB_VERSION_MAX 7
/* Registration location: a 128-bit random id in lowercase hex, the
 * LwM2M server's BW_LWSRV_LOC_LEN. */
#define BW_DB_LOCATION_LEN 32
/* Object links as registered (512 links of about 10 bytes fit). */
#define BW_DB_LINKS_MAX 8192
/* Audit fields: actor and action are short names, detail a sentence. */
#define BW_DB_AUDIT_FIELD_MAX  255
#define BW_DB_AUDIT_DETAIL_MAX 2048
/* LwM2M paths /o/i/r/ri are at most 24 bytes; room for attributes. */
#define BW_DB_PATH_MAX 64
/* Payloads of queued requests and time-series values: one CoAP message
 * with block-wise above it is the LwM2M layer's business. */
#define BW_DB_PAYLOAD_MAX 65536
/* Largest registration batch: bounds one transaction's lock time. */
#define BW_DB_BATCH_MAX 100000
/* Read connections for lookups (default 4). */
#define BW_DB_READERS_MAX 64

typedef struct bw_db bw_db_t;

typedef struct {
    const char *path;            /* the database file; created if absent */
    const char *master_key_file; /* NULL: no secrets (PSK calls: ESTATE) */
    unsigned readers;            /* read connections for lookups [4] */
    unsigned busy_timeout_ms;    /* wait on another writer [5000] */
    /* 0: migrate to BW_DB_SCHEMA_VERSION.  Lower: stop there (tests of
     * the migration path and staged upgrades only). */
    unsigned schema_target;
} bw_db_config_t;

/*
 * Open (create) the database, refuse it if its schema is newer than this
 * code, apply the missing migrations (each in its own transaction), load
 * the master key and check it against the one the database was first
 * opened with.  why (may be NULL) gets one line saying what was wrong,
 * fit for an operator; it never holds key material.
 * Returns 0 and *out, or
 *   BW_EVERSION    the database schema is newer than this program;
 *   BW_EPERM       the master key file is readable or writable by group
 *                  or others, not owned by this user, or not a file;
 *   BW_EMALFORMED  the master key file is not 32 bytes (or 64 hex
 *                  digits), or the database file is not a database;
 *   BW_EAUTH       the master key is not the one this database uses;
 *   BW_ETIMEOUT    another process held the write lock past the timeout;
 *   BW_EIO         a file could not be opened, read or written;
 *   BW_ENOMEM      out of memory;
 *   BW_ECRYPTO     libsodium could not be initialised;
 *   BW_EINVAL      NULL cfg, path or out, readers above the maximum.
 * On failure *out is NULL.
 */
int bw_db_open(const bw_db_config_t *cfg, bw_db_t **out, char *why,
               size_t why_cap);

/* Close and free; wipes the keys.  NULL is a no-op.  No call may be in
 * progress on another thread. */
void bw_db_close(bw_db_t *db);

/* The schema version stored in the database.  Returns 0, BW_EIO. */
int bw_db_schema_version(bw_db_t *db, unsigned *version);

/*
 * Create a new random master key file at path, mode 0600, refusing to
 * overwrite one.  Returns 0, or BW_EEXIST (a file is there), BW_EIO,
 * BW_ECRYPTO, BW_EINVAL.
 */
int bw_db_master_key_create(const char *path);

/* Largest page any listing of the store walks in one call (devices,
 * credentials, images, campaigns): bounds the time the write lock is
 * held, and one API response. */
#define BW_DB_LIST_MAX 1000

/* ---- devices ---------------------------------------------------------- */

typedef struct {
    int64_t id;
    char endpoint[BW_DB_ENDPOINT_MAX + 1];
    char model[BW_DB_MODEL_MAX + 1];
    char tags[BW_DB_TAGS_MAX + 1];
    int64_t created_ms;
} bw_db_device_t;

/*
 * Add a device.  model and tags may be NULL (empty).
 * Returns 0 and *id (may be NULL), or
 *   BW_EMALFORMED  endpoint breaks the endpoint rule, model or tags hold
 *                  control characters;
 *   BW_EOVERFLOW   model or tags longer than their maximum;
 *   BW_EEXIST      a device with this endpoint name exists;
 *   BW_ETIMEOUT, BW_EIO, BW_EINVAL.
 */
int bw_db_device_add(bw_db_t *db, const char *endpoint, const char *model,
                     const char *tags, int64_t now_ms, int64_t *id);

/* Returns 0 and *out, BW_ENOTFOUND, BW_EMALFORMED (endpoint), BW_EIO,
 * BW_EINVAL.  On failure *out is zeroed. */
int bw_db_device_get(bw_db_t *db, const char *endpoint, bw_db_device_t *out);

/*
 * Delete a device with its credentials, bootstrap configuration, queued
 * requests, telemetry and registration.  The audit log keeps its
 * entries.  Returns 0, BW_ENOTFOUND, BW_EMALFORMED, BW_ETIMEOUT, BW_EIO,
 * BW_EINVAL.
 */
int bw_db_device_delete(bw_db_t *db, const char *endpoint);

/* ---- credentials and the security store ------------------------------- */

typedef enum {
    BW_DB_CRED_ACTIVE = 0,  /* in use */
    BW_DB_CRED_PENDING = 1, /* issued, not yet confirmed by the device */
    BW_DB_CRED_REVOKED = 2, /* refused forever; never reused */
} bw_db_cred_state_t;

/*
 * Import a PSK credential for a device, sealed at rest.  Refused as weak:
 *   - a PSK shorter than BW_DB_PSK_MIN bytes, or one byte repeated;
 *   - a PSK any credential of the fleet has (or had) already: compared by
 *     keyed BLAKE2b digests under a key derived from the master key, so
 *     the database never holds anything a guess can be checked against
 *     without that key;
 *   - an identity derived from the endpoint name: comparing ASCII case-
 *     insensitively, the identity contains the whole endpoint name (equal,
 *     prefixed, suffixed), or contains a "serial" of the name: a maximal
 *     run of letters and digits of 6 or more characters holding a digit
 *     (the IMEI of urn:imei:..., a MAC, a serial number).
 * state is ACTIVE or PENDING.
 * Returns 0 and *cred_id (may be NULL), or
 *   BW_EWEAK       one of the rules above;
 *   BW_EDUPKEY     the PSK is already used (this rule's own code, so an
 *                  operator can tell "reused" from "short");
 *   BW_EEXIST      the identity is already used (the fleet's identities
 *                  are unique, revoked ones included);
 *   BW_ENOTFOUND   no such device;
 *   BW_EMALFORMED  endpoint or identity (empty, control characters);
 *   BW_EOVERFLOW   identity or PSK longer than its maximum;
 *   BW_ESTATE      the database was opened without a master key;
 *   BW_ETIMEOUT, BW_EIO, BW_ECRYPTO;
 *   BW_EINVAL      NULL pointers, state REVOKED or out of range.
 */
int bw_db_psk_import(bw_db_t *db, const char *endpoint, const uint8_t *identity,
                     size_t identity_len, const uint8_t *psk, size_t psk_len,
                     bw_db_cred_state_t state, int64_t now_ms,
                     int64_t *cred_id);

/* What a credential is for (schema 4).  bw_db_psk_import() and
 * bw_db_cert_import() make DM credentials. */
typedef enum {
    BW_DB_PURPOSE_DM = 0,        /* the device-management server */
    BW_DB_PURPOSE_BOOTSTRAP = 1, /* the bootstrap server (factory keys) */
} bw_db_purpose_t;

/* bw_db_psk_import() for a given purpose; same rules and codes
 * (BW_EINVAL for a purpose out of range). */
int bw_db_psk_import_for(bw_db_t *db, const char *endpoint,
                         bw_db_purpose_t purpose, const uint8_t *identity,
                         size_t identity_len, const uint8_t *psk,
                         size_t psk_len, bw_db_cred_state_t state,
                         int64_t now_ms, int64_t *cred_id);

/* One PSK of a provisioning (bw_db_device_provision). */
typedef struct {
    bw_db_purpose_t purpose;
    const uint8_t *identity;
    size_t identity_len;
    const uint8_t *psk;
    size_t psk_len;
} bw_db_psk_item_t;

/* PSKs one provisioning stores: the factory bootstrap key and a DM key. */
#define BW_DB_PROVISION_MAX 2

/*
 * Provision a device in ONE transaction: add it (model and tags as in
 * bw_db_device_add; a device that exists is kept as it is) and store
 * each of the n items as an ACTIVE credential of its purpose.  All of it
 * is stored, or nothing: a refused item leaves no device and no other
 * credential behind.  *created (may be NULL): 1 when the device is new.
 * *refused (may be NULL): the index of the item refused, n when the
 * refusal is not about an item.
 * Returns 0, or the codes of bw_db_device_add (the endpoint, model, tags)
 * and of bw_db_psk_import_for for the item *refused names (BW_EEXIST:
 * its identity is used, also by an earlier item; BW_EDUPKEY: its key is;
 * BW_EWEAK, BW_EOVERFLOW, BW_EMALFORMED, BW_ESTATE: no master key),
 * BW_EINVAL (NULL db, items NULL with n > 0, n above
 * BW_DB_PROVISION_MAX), the store's.
 */
int bw_db_device_provision(bw_db_t *db, const char *endpoint, const char *model,
                           const char *tags, const bw_db_psk_item_t *items,
                           size_t n, int64_t now_ms, int *created,
                           size_t *refused);

/*
 * The DTLS engine's psk_lookup for one server role (arg = the bw_db_t):
 * as bw_db_psk_lookup, and BW_ENOTFOUND for a credential of the other
 * purpose.
 */
int bw_db_psk_lookup_dm(void *db, const uint8_t *identity, size_t identity_len,
                        uint8_t *psk, size_t cap, size_t *psk_len);
int bw_db_psk_lookup_bootstrap(void *db, const uint8_t *identity,
                               size_t identity_len, uint8_t *psk, size_t cap,
                               size_t *psk_len);

/*
 * The endpoint a usable credential of this purpose belongs to, and its
 * state (ACTIVE or PENDING).  Returns 0, BW_ENOTFOUND (unknown, revoked,
 * or of the other purpose), BW_ENOSPC, BW_EIO, BW_EINVAL.
 */
int bw_db_identity_lookup(bw_db_t *db, const uint8_t *identity,
                          size_t identity_len, bw_db_purpose_t purpose,
                          char *endpoint, size_t cap,
                          bw_db_cred_state_t *state);

/*
 * Credential rotation, last step: the device proved it holds identity
 * (it registered with it).  In one transaction: that DM credential
 * becomes ACTIVE, and every other DM credential of the same device is
 * REVOKED (bootstrap credentials are kept).  *revoked (may be NULL) gets
 * how many were revoked.
 * Returns 0, BW_ENOTFOUND (no usable DM credential with this identity),
 * BW_ETIMEOUT, BW_EIO, BW_EINVAL.
 */
int bw_db_credential_confirm(bw_db_t *db, const uint8_t *identity,
                             size_t identity_len, int64_t now_ms,
                             uint64_t *revoked);

/*
 * Revoke the device's PENDING DM credentials: called before a new one is
 * issued, so a device (or a stolen factory key) bootstrapping in a loop
 * holds at most one pending key instead of piling them up.  ACTIVE and
 * bootstrap credentials are kept.  *revoked (may be NULL) gets how many.
 * Returns 0, BW_ENOTFOUND (device), BW_EMALFORMED, BW_ETIMEOUT, BW_EIO,
 * BW_EINVAL.
 */
int bw_db_credential_revoke_pending(bw_db_t *db, const char *endpoint,
                                    int64_t now_ms, uint64_t *revoked);

/*
 * Import a certificate credential: the identity is the certificate's
 * subject CN (what the DTLS engine reports), der the certificate (public;
 * may be NULL with der_len 0).  Same identity rules and codes as
 * bw_db_psk_import, without the PSK ones; BW_EOVERFLOW for der_len above
 * BW_DB_CERT_MAX.
 */
int bw_db_cert_import(bw_db_t *db, const char *endpoint, const char *subject,
                      const uint8_t *der, size_t der_len,
                      bw_db_cred_state_t state, int64_t now_ms,
                      int64_t *cred_id);

/*
 * Move a credential between states: PENDING -> ACTIVE, ACTIVE or PENDING
 * -> REVOKED (revoked_at is set).  Takes effect for the next lookup.
 * Returns 0, or BW_ENOTFOUND (unknown identity), BW_ESTATE (any other
 * move, e.g. out of REVOKED), BW_ETIMEOUT, BW_EIO, BW_EINVAL.
 */
int bw_db_credential_set_state(bw_db_t *db, const uint8_t *identity,
                               size_t identity_len, bw_db_cred_state_t to,
                               int64_t now_ms);

/*
 * The DTLS engine's psk_lookup callback (server/dtls/dtls_server.h) with
 * arg = the bw_db_t.  Thread-safe; does not wait for writers.  Accepts
 * ACTIVE and PENDING PSK credentials.
 * Returns 0, the key in psk[0..*psk_len), or
 *   BW_ENOTFOUND   unknown identity, a revoked credential, a certificate
 *                  credential;
 *   BW_EAUTH       the sealed key does not open: the row was tampered
 *                  with or moved to another identity (never garbage);
 *   BW_ENOSPC      cap is smaller than the key;
 *   BW_ESTATE      opened without a master key;
 *   BW_ETIMEOUT, BW_EIO, BW_EINVAL.
 * On failure psk is wiped and *psk_len is 0.
 */
int bw_db_psk_lookup(void *db, const uint8_t *identity, size_t identity_len,
                     uint8_t *psk, size_t cap, size_t *psk_len);

/*
 * The endpoint name a usable (ACTIVE or PENDING) credential belongs to,
 * to bind a DTLS identity to the endpoint a device claims.  Thread-safe.
 * Returns 0, BW_ENOTFOUND, BW_ENOSPC (cap), BW_EIO, BW_EINVAL.
 */
int bw_db_identity_endpoint(bw_db_t *db, const uint8_t *identity,
                            size_t identity_len, char *endpoint, size_t cap);

/* ---- bootstrap configuration (db_bootstrap.c) ------------------------- */

/* Additional DM servers one configuration holds (the bootstrap server's
 * BW_LWSRV_BS_EXTRA_MAX). */
#define BW_DB_BS_SERVERS_MAX 3
/* An additional server's access map as text ("/3/0=R;/3303=C"; the
 * bootstrap server's BW_LWSRV_BS_ACCESS_TEXT_MAX: 16 entries). */
#define BW_DB_ACCESS_MAX 304

/*
 * An additional DM server of a device's configuration.  psk: given to
 * bw_db_bootstrap_set (psk_len 16..64), or psk_len 0 to keep the key
 * stored for the same short server ID and identity; filled only by
 * bw_db_bootstrap_keys (bw_db_bootstrap_get never opens a key: psk_len
 * 0, psk_set 1 when one is stored).  access is stored as given: the
 * caller checks it (the API with the bootstrap server's parser).
 */
typedef struct {
    char uri[BW_DB_URI_MAX + 1];
    uint16_t ssid; /* 1..65534 */
    uint32_t lifetime_s;
    char binding[BW_DB_BINDING_MAX + 1];
    char psk_identity[BW_DB_IDENTITY_MAX + 1];
    uint8_t psk[BW_DB_PSK_MAX];
    size_t psk_len;
    int psk_set;
    char access[BW_DB_ACCESS_MAX + 1];
} bw_db_bs_server_t;

typedef struct {
    char server_uri[BW_DB_URI_MAX + 1];
    uint32_t lifetime_s;
    char binding[BW_DB_BINDING_MAX + 1];
    size_t n_servers; /* additional DM servers (schema 14) */
    bw_db_bs_server_t servers[BW_DB_BS_SERVERS_MAX];
} bw_db_bootstrap_t;

/*
 * Set (insert or replace) the DM server a device is bootstrapped to, and
 * its additional DM servers (all of them replaced in the same
 * transaction; each key sealed like a credential's, bound to the
 * device, the SSID and the identity).
 * Returns 0, or BW_ENOTFOUND (device), BW_EMALFORMED (empty or control
 * characters, a binding other than U, UQ, T, TQ, N, NQ), BW_EOVERFLOW,
 * BW_ERANGE (lifetime 0, SSID 0 or 65535), BW_EDUPKEY (two additional
 * servers with one SSID), BW_EWEAK (a key shorter than BW_DB_PSK_MIN or
 * one byte repeated), BW_ESTATE (psk_len 0 and no key stored for that
 * SSID and identity, or no master key), BW_ETIMEOUT,
 * BW_EIO, BW_ECRYPTO, BW_EINVAL (NULL, n_servers above the maximum).
 */
int bw_db_bootstrap_set(bw_db_t *db, const char *endpoint,
                        const bw_db_bootstrap_t *cfg, int64_t now_ms);

/* Returns 0, BW_ENOTFOUND (device or configuration), BW_EMALFORMED,
 * BW_EIO, BW_EINVAL.  No key is opened (psk_set says one is stored).  On
 * failure *out is zeroed. */
int bw_db_bootstrap_get(bw_db_t *db, const char *endpoint,
                        bw_db_bootstrap_t *out);

/*
 * bw_db_bootstrap_get with the additional servers' keys opened into
 * psk (for the bootstrap server only; wipe *out after use).  Returns the
 * same, and BW_EAUTH (a sealed key that does not open: the row was
 * tampered with or moved), BW_ESTATE (no master key).  On failure *out
 * is wiped.
 */
int bw_db_bootstrap_keys(bw_db_t *db, const char *endpoint,
                         bw_db_bootstrap_t *out);

/* ---- registrations ---------------------------------------------------- */

typedef enum {
    BW_DB_REG_REGISTER = 0, /* insert, or replace the endpoint's old one */
    BW_DB_REG_UPDATE = 1,
    BW_DB_REG_DEREGISTER = 2,
} bw_db_reg_op_t;

/*
 * One registration event.  REGISTER uses endpoint, lifetime_s, binding,
 * version, object_links and location: an empty location asks the store to
 * draw one (128 random bits) and writes it back.  UPDATE uses location,
 * lifetime_s (0 keeps), binding and object_links (NULL keeps).
 * DEREGISTER uses location.  expires_at is now_ms + lifetime.
 */
typedef struct {
    bw_db_reg_op_t op;
    char location[BW_DB_LOCATION_LEN + 1];
    const char *endpoint;
    uint32_t lifetime_s;
    const char *binding;
    const char *version;
    const char *object_links;
    int64_t now_ms;
    int result; /* out: this event's outcome, see below */
    /* Optional, REGISTER only (NULL: none): the identity the device
     * registered with.  In the same transaction, a usable DM credential
     * with it becomes ACTIVE and the device's other DM credentials are
     * REVOKED, as bw_db_credential_confirm does (the last step of a
     * rotation); revoked (out) gets how many.  No such credential (a
     * certificate, another purpose) changes nothing. */
    const uint8_t *identity;
    size_t identity_len;
    uint64_t revoked;
    /* Optional (NULL: none): append an audit entry in the same
     * transaction, actor audit_actor, subject endpoint, action
     * "registered", "updated" or "deregistered"; and one
     * "credential-revoked" when revoked > 0.  endpoint MUST be set. */
    const char *audit_actor;
} bw_db_reg_event_t;

/*
 * Apply n events in one transaction (group commit: one fsync for all),
 * with their credential confirmations and audit entries.
 * An event that is wrong on its own gets its code in ->result and is
 * skipped; the others are applied.  Per event:
 *   0              applied;
 *   BW_ENOTFOUND   UPDATE or DEREGISTER of an unknown location;
 *   BW_EMALFORMED  endpoint, location, binding or version malformed;
 *   BW_EOVERFLOW   object links above BW_DB_LINKS_MAX;
 *   BW_ERANGE      lifetime 0 on REGISTER;
 *   BW_EEXIST      REGISTER with a given location already in use;
 *   BW_EREVOKED    REGISTER whose identity is a DM credential of the
 *                  device revoked since its authorization (nothing
 *                  written: the revocation and the registration meet in
 *                  this transaction, whichever committed first wins);
 *   BW_EINVAL      op out of range, NULL text.
 * Returns 0 once the transaction is committed (durable), or BW_ETIMEOUT,
 * BW_EIO, BW_ENOMEM, BW_ECRYPTO: nothing was applied and every ->result
 * holds that code; BW_EOVERFLOW for n above BW_DB_BATCH_MAX; BW_EINVAL.
 */
int bw_db_registration_batch(bw_db_t *db, bw_db_reg_event_t *events, size_t n);

typedef struct {
    char location[BW_DB_LOCATION_LEN + 1];
    char endpoint[BW_DB_ENDPOINT_MAX + 1];
    uint32_t lifetime_s;
    char binding[BW_DB_BINDING_MAX + 1];
    char version[BW_DB_VERSION_MAX + 1];
    char object_links[BW_DB_LINKS_MAX + 1];
    int64_t registered_ms, updated_ms, expires_ms;
} bw_db_registration_t;

/* By location.  Returns 0, BW_ENOTFOUND, BW_EMALFORMED, BW_EIO,
 * BW_EINVAL.  On failure *out is zeroed. */
int bw_db_registration_get(bw_db_t *db, const char *location,
                           bw_db_registration_t *out);

/* Delete registrations with expires_at <= now_ms; *count (may be NULL)
 * gets how many.  Returns 0, BW_ETIMEOUT, BW_EIO, BW_EINVAL. */
int bw_db_registration_expire(bw_db_t *db, int64_t now_ms, uint64_t *count);

/* Rows one page of bw_db_registration_walk reads at most: a page is one
 * statement under the write lock, so this bounds how long a start-up
 * walk holds writers off (and nothing of a page is kept after it). */
#define BW_DB_REG_PAGE_MAX 10000

/* One stored registration as the walk shows it: the views point into
 * the database's row and are valid during the callback only. */
typedef struct {
    const char *location;     /* BW_DB_LOCATION_LEN lowercase hex digits */
    const char *endpoint;     /* the rules of BW_DB_ENDPOINT_MAX */
    const char *binding;      /* "U", "UQ": letters of USTNQ */
    const char *version;      /* "1.0", "1.1" */
    const char *object_links; /* up to BW_DB_LINKS_MAX bytes, may be "" */
    size_t object_links_len;
    uint32_t lifetime_s;                           /* > 0 */
    int64_t registered_ms, updated_ms, expires_ms; /* Unix ms */
} bw_db_reg_row_t;

/* What one walk saw. */
typedef struct {
    uint64_t rows;  /* handed to the callback */
    uint64_t bad;   /* skipped: a row that breaks the rules above */
    uint64_t pages; /* statements run */
} bw_db_reg_walk_t;

/*
 * Every registration unexpired at now_ms (expires_at > now_ms), in
 * pages of at most page_rows rows (rowid order, each page starting
 * after the last row of the previous one, so a walk needs no memory but
 * one statement's and sees each row at most once).  cb(arg, row) runs
 * for each row, with the write lock held (it MUST NOT call back into
 * db); the lock is given up between pages.  A row whose values break
 * the rules of bw_db_reg_row_t (a file edited by hand, a disk that lied)
 * is skipped and counted in stats->bad: one bad row never costs the
 * others their load.  Rows written during the walk may or may not be
 * seen.  stats (may be NULL) is filled as far as the walk went, also on
 * failure.  A non-zero return from cb stops the walk and is returned.
 * Returns 0, or cb's code, BW_ERANGE (page_rows 0 or above
 * BW_DB_REG_PAGE_MAX), BW_ETIMEOUT, BW_EIO, BW_ENOMEM, BW_EINVAL (NULL
 * db or cb).
 */
int bw_db_registration_walk(bw_db_t *db, int64_t now_ms, unsigned page_rows,
                            int (*cb)(void *arg, const bw_db_reg_row_t *row),
                            void *arg, bw_db_reg_walk_t *stats);

/* ---- audit log (append-only) ------------------------------------------ */

typedef struct {
    int64_t id; /* increasing: the order entries were appended in */
    int64_t at_ms;
    const char *actor, *action, *subject, *detail; /* valid during cb */
} bw_db_audit_entry_t;

/*
 * Append an entry; committed before it returns.  detail may be NULL.
 * The log is append-only: the schema refuses updates and deletes.  The
 * caller MUST NOT put secrets in any field.
 * Returns 0 and *id (may be NULL), or BW_EMALFORMED (control characters
 * other than tab), BW_EOVERFLOW, BW_ETIMEOUT, BW_EIO, BW_EINVAL (NULL,
 * empty actor or action).
 */
int bw_db_audit_append(bw_db_t *db, int64_t at_ms, const char *actor,
                       const char *action, const char *subject,
                       const char *detail, int64_t *id);

/*
 * Call cb for up to max entries with id > after_id, oldest first.  A
 * non-zero return from cb stops the walk and is returned.
 * Returns 0, cb's code, BW_EIO, BW_EINVAL.
 */
int bw_db_audit_read(bw_db_t *db, int64_t after_id, size_t max,
                     int (*cb)(void *arg, const bw_db_audit_entry_t *e),
                     void *arg);

/* ---- requests queued for a device ------------------------------------- */

typedef enum {
    BW_DB_OP_READ = 0,
    BW_DB_OP_WRITE,
    BW_DB_OP_EXECUTE,
    BW_DB_OP_CREATE,
    BW_DB_OP_DELETE,
    BW_DB_OP_DISCOVER,
    BW_DB_OP_WRITE_ATTR,
    BW_DB_OP_OBSERVE,
    BW_DB_OP_CANCEL_OBSERVE,
    BW_DB_OP_COUNT_
} bw_db_req_op_t;

/*
 * Request states.
 *
 *      enqueue          mark_sent           answer
 *   ---------> QUEUED ------------> SENT -----------> ANSWERED
 *                 ^ |                 |
 *                 | +-----------------+--- expire (expires_at <= now)
 *                 |    requeue        |          |
 *                 +-------------------+          v
 *                                             EXPIRED
 *
 * ANSWERED and EXPIRED are final.  Every move is one UPDATE guarded by
 * the state it leaves, so two threads cannot both send a request.
 */
typedef enum {
    BW_DB_REQ_QUEUED = 0,
    BW_DB_REQ_SENT = 1,
    BW_DB_REQ_ANSWERED = 2,
    BW_DB_REQ_EXPIRED = 3,
} bw_db_req_state_t;

typedef struct {
    int64_t id;
    const char *endpoint, *path; /* valid during cb */
    bw_db_req_op_t op;
    bw_db_req_state_t state;
    const uint8_t *payload; /* valid during cb; NULL when empty */
    size_t payload_len;
    int result_code;       /* CoAP code of the answer, 0 before */
    const uint8_t *result; /* the answer's payload; NULL when empty */
    size_t result_len;
    int64_t created_ms, updated_ms, expires_ms;
    /* Deliveries that got no answer (bw_db_request_retry), 0 at first. */
    unsigned tries;
} bw_db_request_t;

typedef int (*bw_db_request_cb)(void *arg, const bw_db_request_t *r);

/*
 * Queue a request (state QUEUED).  payload may be NULL with len 0.
 * Returns 0 and *id (may be NULL), or BW_ENOTFOUND (device),
 * BW_EMALFORMED (endpoint, path not starting with '/' or holding control
 * characters), BW_EOVERFLOW (path, payload), BW_ERANGE (expires_ms not
 * after now_ms), BW_ETIMEOUT, BW_EIO, BW_EINVAL (op out of range).
 */
int bw_db_request_enqueue(bw_db_t *db, const char *endpoint, bw_db_req_op_t op,
                          const char *path, const uint8_t *payload,
                          size_t payload_len, int64_t now_ms,
                          int64_t expires_ms, int64_t *id);

/* QUEUED -> SENT.  Returns 0, BW_ENOTFOUND, BW_ESTATE (not QUEUED),
 * BW_ETIMEOUT, BW_EIO, BW_EINVAL. */
int bw_db_request_mark_sent(bw_db_t *db, int64_t id, int64_t now_ms);

/* SENT -> QUEUED (the device went to sleep before answering), its
 * tries unchanged (bw_db_request_retry, db_request.h, counts one).
 * Same codes; BW_ESTATE when not SENT. */
int bw_db_request_requeue(bw_db_t *db, int64_t id, int64_t now_ms);

/* SENT -> ANSWERED with the CoAP code (1..255) and payload of the
 * answer.  Same codes; BW_ESTATE when not SENT, BW_ERANGE for the code,
 * BW_EOVERFLOW for the payload. */
int bw_db_request_answer(bw_db_t *db, int64_t id, int code,
                         const uint8_t *result, size_t result_len,
                         int64_t now_ms);

/* QUEUED or SENT with expires_at <= now_ms -> EXPIRED; *count (may be
 * NULL) gets how many.  Returns 0, BW_ETIMEOUT, BW_EIO, BW_EINVAL. */
int bw_db_request_expire(bw_db_t *db, int64_t now_ms, uint64_t *count);

/* One request by id.  Returns 0 (after cb), cb's non-zero code,
 * BW_ENOTFOUND, BW_EIO, BW_EINVAL. */
int bw_db_request_get(bw_db_t *db, int64_t id, bw_db_request_cb cb, void *arg);

/* Up to max requests of a device in a state, oldest first.  Returns 0,
 * cb's non-zero code, BW_ENOTFOUND (device), BW_EMALFORMED, BW_EIO,
 * BW_EINVAL. */
int bw_db_request_list(bw_db_t *db, const char *endpoint,
                       bw_db_req_state_t state, size_t max, bw_db_request_cb cb,
                       void *arg);

/* ---- credential list, revocation, device deletion --------------------- */

/* How a credential proves its holder (the credentials.kind column). */
typedef enum {
    BW_DB_KIND_PSK = 0,  /* a pre-shared key, sealed at rest */
    BW_DB_KIND_CERT = 1, /* a certificate; the identity is its subject */
} bw_db_cred_kind_t;

/* One credential as listed: never key material (the sealed key, its
 * nonce and its digest stay in the store). */
typedef struct {
    int64_t id;
    bw_db_purpose_t purpose;
    bw_db_cred_kind_t kind;
    bw_db_cred_state_t state;
    uint8_t identity[BW_DB_IDENTITY_MAX]; /* not secret: sent in the clear */
    size_t identity_len;
    int64_t created_ms;
    int64_t revoked_ms; /* 0 while not revoked */
} bw_db_cred_t;

/*
 * Call cb for up to max credentials of a device, newest first (by id):
 * all of them when after_id is 0, else those with an id below after_id
 * (the last id of the previous page).  The credential given to cb is
 * valid during the call only; a non-zero return from cb stops the walk
 * and is returned.
 * Returns 0, cb's code, or BW_ENOTFOUND (no such device), BW_EMALFORMED
 * (endpoint), BW_ERANGE (max 0 or above BW_DB_LIST_MAX, after_id
 * negative), BW_EIO, BW_EINVAL (NULL db or cb).
 */
int bw_db_credential_list(bw_db_t *db, const char *endpoint, int64_t after_id,
                          size_t max,
                          int (*cb)(void *arg, const bw_db_cred_t *c),
                          void *arg);

/* What bw_db_credential_revoke did. */
typedef struct {
    bw_db_purpose_t purpose;
    bw_db_cred_kind_t kind;
    bw_db_cred_state_t was; /* ACTIVE or PENDING before */
    uint8_t identity[BW_DB_IDENTITY_MAX];
    size_t identity_len;
    /* 1: the device's stored registration was deleted, since it was made
     * with this credential (the device's ACTIVE DM credential is the one
     * its registration confirmed). */
    int registration_ended;
    /* Usable (ACTIVE or PENDING) bootstrap credentials the device has
     * left: 0 means it can no longer bootstrap. */
    uint64_t bootstrap_left;
} bw_db_revoked_t;

/*
 * Revoke credential cred_id of device endpoint, in one transaction:
 *   - its state becomes REVOKED (revoked_at = now_ms): the next lookup,
 *     handshake or authorization with it fails;
 *   - when it is the device's ACTIVE DM credential, the device's stored
 *     registration is deleted (the caller ends the registration in
 *     memory);
 *   - with actor (NULL: none), an audit entry "credential-revoked",
 *     subject endpoint, detail naming the id, purpose, kind, identity and
 *     what else went.
 * A credential of another device is not found, so an id guessed from
 * another device's list cannot be revoked through this endpoint.
 * Revoking the last usable bootstrap credential is allowed
 * (out->bootstrap_left says so).
 * Returns 0 and *out, or
 *   BW_ENOTFOUND   no such device, or no credential cred_id of it
 *                  (cred_id 0 or negative included);
 *   BW_EREVOKED    the credential is revoked already (nothing changes);
 *   BW_EMALFORMED  endpoint, or actor empty or holding control characters;
 *   BW_EOVERFLOW   actor longer than BW_DB_AUDIT_FIELD_MAX;
 *   BW_ETIMEOUT, BW_EIO;
 *   BW_EINVAL      NULL db or out.
 * On failure *out is zeroed.
 */
int bw_db_credential_revoke(bw_db_t *db, const char *endpoint, int64_t cred_id,
                            int64_t now_ms, const char *actor,
                            bw_db_revoked_t *out);

/* What bw_db_device_purge removed, table by table. */
typedef struct {
    uint64_t credentials;     /* every state */
    uint64_t queued_requests; /* every state */
    uint64_t telemetry;       /* stored values */
    uint64_t campaigns;       /* campaign memberships (campaign_devices) */
    uint64_t campaign_events; /* the device's campaign history */
    int bootstrap_config;     /* 1: it had a configuration of its own */
    int registration;         /* 1: a stored registration */
} bw_db_purged_t;

/*
 * bw_db_device_delete, counting what goes and (actor not NULL) auditing
 * "device-deleted", subject endpoint, detail the counts, in the same
 * transaction.  Campaign rows of the device go by cascade: a running
 * campaign finds the device gone from its table (its counts shrink).
 * The audit log keeps every entry about the device.
 * Returns 0 and *out, or BW_ENOTFOUND (no such device), BW_EMALFORMED
 * (endpoint, actor), BW_EOVERFLOW (actor), BW_ETIMEOUT, BW_EIO,
 * BW_EINVAL (NULL db or out).  On failure *out is zeroed and nothing
 * is deleted.
 */
int bw_db_device_purge(bw_db_t *db, const char *endpoint, int64_t now_ms,
                       const char *actor, bw_db_purged_t *out);

/*
 * Remove the device's own bootstrap configuration, with its additional
 * DM servers and their keys: its next bootstrap gets the server's
 * defaults.  *removed (may be NULL) is 1 when there
 * was one, 0 when the device had none (not an error).
 * Returns 0, BW_ENOTFOUND (no such device), BW_EMALFORMED (endpoint),
 * BW_ETIMEOUT, BW_EIO, BW_EINVAL (NULL db).
 */
int bw_db_bootstrap_delete(bw_db_t *db, const char *endpoint, int *removed);

/* ---- observations kept across restarts (db_observe.c) ----------------- */

/* An observation's CoAP token: 1..8 bytes (RFC 7252 5.3.1; the LwM2M
 * server draws 8). */
#define BW_DB_OBS_TOKEN_MAX 8
/* Observations loaded at start at most: the LwM2M server's
 * BW_LWSRV_OBS_MAX (a fleet of thousands with a few each). */
#define BW_DB_OBS_MAX 65536u

/*
 * One live observation (table observations, migration 13): what
 * the LwM2M server needs to accept the device's notifications again after
 * a restart.  It belongs to the registration at location: the row goes
 * with that registration, in the same transaction, when it is deleted
 * (De-register, expiry, credential revocation, device deletion) or
 * replaced by a new Register (the device forgets its observations then,
 * LwM2M 1.1 Core).
 */
typedef struct {
    int64_t id; /* the API's observation id, > 0, never reused */
    char endpoint[BW_DB_ENDPOINT_MAX + 1];
    char location[BW_DB_LOCATION_LEN + 1];
    uint8_t token[BW_DB_OBS_TOKEN_MAX];
    size_t token_len;
    char path[BW_DB_PATH_MAX + 1];         /* "/3303/0/5700" */
    int32_t accept;                        /* the Observe's Accept; -1: none */
    uint32_t content_format;               /* of the device's first answer */
    char actor[BW_DB_AUDIT_FIELD_MAX + 1]; /* who asked; may be empty */
    int64_t created_ms;                    /* when the device accepted it */
} bw_db_observation_t;

/*
 * Store o, committed before it returns, and raise the highest id ever
 * stored to o->id if below (ids stay unique across restarts even when
 * their rows are gone).
 * Returns 0, or
 *   BW_ENOTFOUND   no such device, or no registration of it at location;
 *   BW_EEXIST      o->id or o->token in use;
 *   BW_EMALFORMED  endpoint, location, path (not "/" and up to four
 *                  decimal segments), actor (control characters);
 *   BW_ERANGE      id not above 0, token_len 0 or above
 *                  BW_DB_OBS_TOKEN_MAX, accept below -1 or above 65535,
 *                  content_format above 65535;
 *   BW_ETIMEOUT, BW_EIO, BW_EINVAL (NULL db or o).
 */
int bw_db_observation_put(bw_db_t *db, const bw_db_observation_t *o);

/* Delete observation id of endpoint.  Returns 0, or BW_ENOTFOUND (no
 * such row: also when its registration took it), BW_EMALFORMED
 * (endpoint), BW_ERANGE (id not above 0), BW_ETIMEOUT, BW_EIO,
 * BW_EINVAL (NULL). */
int bw_db_observation_delete(bw_db_t *db, const char *endpoint, int64_t id);

/*
 * At start: in one transaction, delete the observations whose
 * registration is gone or expired at now_ms (*dropped, may be NULL, gets
 * how many), then call cb(arg, o) for each one left, oldest id first
 * (views valid during the call), and set *last_id to the highest id ever
 * stored (0: none).  A non-zero return from cb stops the walk and is
 * returned (the deletions are kept).
 * Returns 0, or cb's code, BW_EMALFORMED (a row that breaks the rules of
 * bw_db_observation_put: nothing after it is read), BW_EOVERFLOW (more
 * than BW_DB_OBS_MAX rows), BW_ETIMEOUT, BW_EIO, BW_EINVAL (NULL db,
 * cb or last_id).
 */
int bw_db_observation_load(bw_db_t *db, int64_t now_ms,
                           int (*cb)(void *arg, const bw_db_observation_t *o),
                           void *arg, int64_t *last_id, uint64_t *dropped);

/* Observations stored for endpoint (NULL: all).  Returns 0 and *n, or
 * BW_EMALFORMED (endpoint), BW_ETIMEOUT, BW_EIO, BW_EINVAL (NULL db or
 * n). */
int bw_db_observation_count(bw_db_t *db, const char *endpoint, uint64_t *n);

#endif /* BW_DB_H */
