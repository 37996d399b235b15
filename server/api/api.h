/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-server's REST API: HTTPS (libmicrohttpd over GnuTLS) with JSON
 * bodies (jansson), versioned under /api/v1.  docs/api.md lists the
 * endpoints; docs/openapi.yaml describes them formally.
 *
 * It owns the HTTPS listener and its thread pool, the API certificate
 * (loaded from files, or generated once into the state directory) and
 * the bearer token it checks.  It reaches the rest of the server only
 * through the handles in bw_api_config_t: the store (devices, audit),
 * and the DM role's LwM2M layer and registry (device operations).
 *
 * What it must never do: log or echo the token; accept a request other
 * than /api/v1/health without the token; block a DTLS worker (the answer
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
/* Longest wait for a device's answer before 504: the CoAP layer gives up
 * after its retransmissions (about 45 s worst case), the API earlier. */
#define BW_API_DEVICE_WAIT_MS 30000
/* The token: 32 random bytes written as 64 hex digits. */
#define BW_API_TOKEN_BYTES 32
#define BW_API_TOKEN_HEX   (2 * BW_API_TOKEN_BYTES)
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
    bw_api_log_t log;            /* one line per call; may be NULL */
    void *log_arg;
} bw_api_config_t;

/*
 * Load (or create) the certificate, read the token, start listening.
 * why gets one line for the operator on failure (never a secret).
 * Returns 0 and *out, or
 *   BW_EPERM       the token or a generated key file is readable by
 *                  group or others;
 *   BW_EMALFORMED  the token file is not 64 hex digits, the certificate
 *                  or key does not parse;
 *   BW_EIO         a file could not be read or written;
 *   BW_ECRYPTO     key or certificate generation failed;
 *   BW_ENET        the listener could not be started (address in use);
 *   BW_ENOMEM, BW_EINVAL (NULL or incomplete configuration).
 */
int bw_api_start(const bw_api_config_t *cfg, bw_api_t **out, char *why,
                 size_t why_cap);

/* The port listened on (the chosen one when cfg->port was 0). */
uint16_t bw_api_port(const bw_api_t *api);

/* Stop listening, wait for requests in progress, wipe the token.  NULL is
 * a no-op.  Call before the LwM2M layer and the store go away. */
void bw_api_stop(bw_api_t *api);

/*
 * Create a token file at path: BW_API_TOKEN_BYTES from the CSPRNG as hex
 * and a newline, mode 0600, never overwriting.  Returns 0, or BW_EEXIST
 * (a file is there), BW_EIO, BW_ECRYPTO, BW_EINVAL.
 */
int bw_api_token_create(const char *path);

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
