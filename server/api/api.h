/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-server's REST API: HTTPS (libmicrohttpd over GnuTLS) with JSON
 * bodies (jansson), versioned under /api/v1.  docs/api.md lists the
 * endpoints; docs/openapi.yaml describes them formally.
 *
 * It owns the HTTPS listener and its thread pool, the API certificate
 * (loaded from files, or generated once into the state directory), the
 * check of bearer tokens against the store's argon2id hashes (with a
 * small cache of verified tokens) and the role each route needs.  It
 * reaches the rest of the server only through the handles in
 * bw_api_config_t: the store (devices, audit, tokens), and the DM role's
 * LwM2M layer and registry (device operations).
 *
 * What it must never do: log or echo a token (a new one is shown once,
 * in the answer that creates it); accept a request other than
 * /api/v1/health without a valid token, or one whose token's role is
 * below the route's (api_http.c's table; a route not in it needs admin);
 * block a DTLS worker (the answer
 * to a device operation is handed over under a mutex and a condition
 * variable, the waiting is done on the API's own thread); read a body
 * past BW_API_BODY_MAX.
 */
#ifndef BW_API_H
#define BW_API_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "lwm2m_registry.h"
#include "lwm2m_srv.h"

/* Largest request body: a provisioning or write request is a few hundred
 * bytes; anything near this is a mistake or an attack (413). */
#define BW_API_BODY_MAX (64 * 1024)
/* The one exception: POST /firmware takes the raw image (the firmware
 * repository's BW_DB_FW_IMAGE_MAX). */
#define BW_API_FW_BODY_MAX (16 * 1024 * 1024)
/* Longest wait for a device's answer before 504: the CoAP layer gives up
 * after its retransmissions (about 45 s worst case), the API earlier. */
#define BW_API_DEVICE_WAIT_MS 30000
/* The token: 32 random bytes written as 64 hex digits. */
#define BW_API_TOKEN_BYTES 32
#define BW_API_TOKEN_HEX   (2 * BW_API_TOKEN_BYTES)
/* Verified tokens remembered so a request does not pay argon2id (about
 * 0.1 s) each time: a deployment uses a handful of tokens at once; past
 * this many, the least recently verified one is verified again. */
#define BW_API_AUTH_CACHE_MAX 64
/* How long a verification is remembered.  Revocation does not wait for
 * it: the token's row is read on every request. */
#define BW_API_AUTH_CACHE_TTL_MS (5 * 60 * 1000)
/* Largest page of GET /devices and GET /audit. */
#define BW_API_PAGE_MAX 1000
/* Default page when ?limit= is absent. */
#define BW_API_PAGE_DEFAULT 100
/* HTTPS threads (the pool answers while others wait on devices). */
#define BW_API_THREADS 4

typedef struct bw_api bw_api_t;

typedef void (*bw_api_log_t)(void *arg, const char *msg);

typedef struct {
    const char *bind_addr; /* numeric IPv4 or IPv6 address */
    uint16_t port;         /* 0: pick a free one (see bw_api_port) */
    const char *cert_file; /* PEM; NULL: generated into state_dir */
    const char *key_file;  /* PEM; given together with cert_file */
    const char *state_dir; /* where a generated certificate lives ["."] */
    const char *token_file;
    bw_db_t *db;
    bw_lwsrv_t *dm;              /* NULL when the DM role is not run */
    bw_lwsrv_registry_t *dm_reg; /* NULL likewise */
    struct bw_campaign *campaigns; /* server/fleet; NULL: no campaigns */
    struct bw_fwrepo *fwrepo; /* server/fleet; NULL: no firmware routes */
    bw_api_log_t log;            /* one line per call; may be NULL */
    void *log_arg;
    /* End the DTLS sessions that proved identity, on the server of the
     * credential's purpose (a credential revoked, a device deleted);
     * NULL: they end when idle, and nothing sent on them is accepted
     * meanwhile (the store refuses the identity). */
    void (*close_identity)(void *arg, bw_db_purpose_t purpose,
                           const uint8_t *identity, size_t len);
    void *close_arg;
} bw_api_config_t;

/*
 * Load (or create) the certificate, import the token file when the
 * store has no API token yet (bw_api_token_import), start listening.
 * why gets one line for the operator on failure (never a secret).
 * Returns 0 and *out, or
 *   BW_EPERM       the token file (when it is read) or a generated key
 *                  file is readable by group or others;
 *   BW_EMALFORMED  the token file (when it is read) is not 64 hex
 *                  digits, the certificate or key does not parse;
 *   BW_EIO         a file could not be read or written;
 *   BW_ECRYPTO     key or certificate generation failed;
 *   BW_ENET        the listener could not be started (address in use);
 *   BW_ENOMEM, BW_EINVAL (NULL or incomplete configuration).
 */
int bw_api_start(const bw_api_config_t *cfg, bw_api_t **out, char *why,
                 size_t why_cap);

/* The port listened on (the chosen one when cfg->port was 0). */
uint16_t bw_api_port(const bw_api_t *api);

/* Stop listening, wait for requests in progress, wipe the cache.  NULL is
 * a no-op.  Call before the LwM2M layer and the store go away. */
void bw_api_stop(bw_api_t *api);

/*
 * Create a token file at path: BW_API_TOKEN_BYTES from the CSPRNG as hex
 * and a newline, mode 0600, never overwriting.  Returns 0, or BW_EEXIST
 * (a file is there), BW_EIO, BW_ECRYPTO, BW_EINVAL.
 */
int bw_api_token_create(const char *path);

/*
 * When the store has no API token at all (none ever, revoked ones
 * count), store the token in the file at path as the admin token named
 * "admin" (its argon2id hash only); otherwise do nothing and leave the
 * file unread.  *imported (may be NULL) says which.  This is how a token
 * file from before roles, and the one `bulwark-server init` writes,
 * become tokens.  why gets one line for the operator on failure.
 * Returns 0, or bw_api__token_load's codes (BW_EPERM, BW_EMALFORMED,
 * BW_EIO), or the store's (BW_ENOMEM, BW_ETIMEOUT, BW_EIO), BW_EINVAL.
 */
int bw_api_token_import(bw_db_t *db, const char *path, int *imported, char *why,
                        size_t why_cap);

/* ---- shared by the files of server/api (not for other modules) ------ */

/* Read the token file: 64 hex digits (a trailing newline allowed), mode
 * 0600 or stricter.  BW_EPERM, BW_EMALFORMED, BW_EIO, BW_EINVAL. */
int bw_api__token_load(const char *path, char out[BW_API_TOKEN_HEX + 1]);

/*
 * The certificate and key in PEM (NUL-terminated, malloc'd; the key is
 * wiped and freed by the caller), from the files or generated: a P-256
 * key and a self-signed certificate for CN=host, valid 10 years, kept as
 * <dir>/api-cert.pem and <dir>/api-key.pem (0600) and reused.  fpr gets
 * the SHA-256 fingerprint as colon-separated hex.
 * Returns 0, BW_EPERM, BW_EMALFORMED, BW_EIO, BW_ECRYPTO, BW_ENOMEM.
 */
int bw_api__cert_load(const char *cert_file, const char *key_file,
                      const char *dir, const char *host, char **cert_pem,
                      char **key_pem, char fpr[96], char *why, size_t why_cap);

#endif /* BW_API_H */
