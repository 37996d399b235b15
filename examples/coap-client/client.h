/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-coap-client: what the files of the program share.
 *
 * main.c parses the command line and sets up the channel (plain UDP or
 * DTLS through the transport seam); uri.c splits the URI into what the
 * request carries; body.c holds the request body and streams the response
 * body to its file; exchange.c runs one request (block-wise when needed)
 * over a connected transport with lib/coap's endpoint; creds.c lends the
 * DTLS client the credentials given on the command line.
 *
 * Nothing secret passes through these declarations except in creds.c,
 * which wipes what it holds.
 */
#ifndef BW_COAP_CLIENT_H
#define BW_COAP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bulwark/coap.h"
#include "bulwark/keystore.h"
#include "bulwark/transport.h"

#define CLI_NAME "bulwark-coap-client"

/* Exit codes (documented in --help and docs/coap-client.md). */
enum {
    CLI_EXIT_OK = 0,       /* a 2.xx response */
    CLI_EXIT_FAIL = 1,     /* transport, handshake, file or protocol failure */
    CLI_EXIT_USAGE = 2,    /* bad command line */
    CLI_EXIT_RESPONSE = 3, /* a 4.xx or 5.xx response */
};

/*
 * Longest URI accepted on the command line, and the most path or query
 * segments in it: generous for any LwM2M or demo path, small enough that
 * every segment becomes one option of a single request datagram.
 */
#define CLI_URI_MAX      1024
#define CLI_URI_SEGMENTS 32

/* Longest host name or address (RFC 1035 names are at most 253). */
#define CLI_HOST_MAX 256

/* One Uri-Path or Uri-Query option value (decoded, no terminator). */
typedef struct {
    uint16_t off; /* into cli_uri_t.buf */
    uint16_t len; /* 0..255 (RFC 7252 section 5.10: Uri-Path 0-255 bytes) */
} cli_seg_t;

typedef struct {
    int secure; /* coaps:// */
    char host[CLI_HOST_MAX];
    char port[8]; /* decimal, "5683" or "5684" when absent */
    uint8_t npath, nquery;
    cli_seg_t path[CLI_URI_SEGMENTS];
    cli_seg_t query[CLI_URI_SEGMENTS];
    uint8_t buf[CLI_URI_MAX]; /* decoded segment bytes */
} cli_uri_t;

/*
 * Parse coap://host[:port][/path][?query] (or coaps://).  host is a name,
 * an IPv4 address or a bracketed IPv6 address; path and query segments
 * are percent-decoded (RFC 3986, RFC 7252 section 6.4).
 * Returns 0, or -1 with a one-line reason in err.
 */
int cli_uri_parse(cli_uri_t *u, const char *text, char *err, size_t cap);

/* The request body: the whole of it in memory (capped, see body.c). */
typedef struct {
    uint8_t *data;
    size_t len;
} cli_body_t;

/*
 * Largest PUT/POST body: the program keeps the body in memory, so a cap
 * keeps a mistaken -f /dev/zero from eating the machine.  16 MiB also
 * stays below what Block1 can number with 16-byte blocks (2^20 blocks).
 */
#define CLI_BODY_MAX (16u * 1024u * 1024u)

/* Read path ('-' for stdin) into b.  Returns 0, or -1 with a reason. */
int cli_body_load(cli_body_t *b, const char *path, char *err, size_t cap);
void cli_body_free(cli_body_t *b);

/*
 * Where the response body goes: a file written as blocks arrive, or
 * stdout.  Nothing is kept in memory beyond the block being written, so a
 * Block2 download of any size streams through.
 */
typedef struct {
    FILE *f;
    const char *path; /* NULL for stdout */
    uint64_t written;
    int failed; /* a write failed: errno-style message in main's report */
} cli_sink_t;

int cli_sink_open(cli_sink_t *s, const char *path, char *err, size_t cap);
/* Start over (a repeated request after a reconnect): truncate. */
int cli_sink_rewind(cli_sink_t *s, char *err, size_t cap);
/* Close; keep the file when ok, else remove it (no partial file is left
 * looking complete).  Returns 0, or -1 with a reason. */
int cli_sink_close(cli_sink_t *s, int ok, char *err, size_t cap);
/* bw_coap_block_write_fn over a cli_sink_t. */
int cli_sink_write(void *arg, uint32_t offset, const uint8_t *data, size_t len);

/* One request as the command line describes it. */
typedef struct {
    uint8_t method;         /* BW_COAP_GET .. BW_COAP_DELETE */
    uint8_t szx;            /* block size: 2^(szx + 4) */
    const cli_uri_t *uri;   /* target */
    const cli_body_t *body; /* PUT/POST body, or NULL */
    cli_sink_t *sink;       /* response body */
    int verbose;            /* -v: one line per exchange on stderr */
} cli_request_t;

/*
 * The channel the request runs on: a connected transport and the socket
 * it waits on (poll(2) readable means poll()/recv() may have news).
 */
typedef struct {
    bw_transport_t *t;
    int fd;
    void *impl; /* channel.c's state */
} cli_channel_t;

/* How to secure a coaps:// channel (all NULL/0 for coap://). */
typedef struct {
    const char *keystore_dir; /* --keystore */
    const char *psk_identity; /* --psk-identity */
    const char *psk_key_file; /* --psk-key-file */
    const char *server_name;  /* --server-name */
    int cert_mode;            /* --cert-mode */
    uint32_t timeout_ms;      /* --timeout: the handshake gives up before */
    int verbose;              /* -v */
} cli_security_t;

/*
 * Resolve the URI's host, open a connected UDP socket and put the
 * transport on it: plain for coap://, DTLS for coaps://.  Not connected
 * yet: see cli_channel_connect().  Returns 0, or -1 with a reason.
 */
int cli_channel_open(cli_channel_t *ch, const cli_uri_t *uri,
                     const cli_security_t *sec, char *err, size_t cap);

/* Close the transport (orderly), free everything, wipe credentials. */
void cli_channel_free(cli_channel_t *ch);

/*
 * After a successful connect: 1 if the handshake resumed a session, 0 if
 * it was a full one, -1 when the channel has no sessions (plain UDP).
 */
int cli_channel_resumed(const cli_channel_t *ch);

/* -v: one line on stderr about the connected channel (cipher suite). */
void cli_channel_log(const cli_channel_t *ch);

/*
 * Why connecting failed, as one line for the user ("authentication
 * failed: ...", "certificate rejected: name mismatch"); err is the code
 * cli_channel_connect() returned.
 */
void cli_channel_describe(const cli_channel_t *ch, int err, char *out,
                          size_t cap);

/* What one run of a request ended with. */
typedef struct {
    int err;          /* 0, or the BW_E* code that ended it */
    uint8_t code;     /* the final response code, when err is 0 */
    char reason[160]; /* when err is not 0: one line, no secrets */
    char diag[128];   /* payload of a 4.xx/5.xx, printable bytes only */
} cli_result_t;

/* Monotonic milliseconds (any origin). */
uint64_t cli_now_ms(void);

/*
 * Bring the channel up: connect() and drive poll() until connected, the
 * channel fails or deadline_ms (same origin as cli_now_ms()) passes.
 * Returns 0, or a BW_E* code (BW_ETIMEOUT at the deadline).
 */
int cli_channel_connect(const cli_channel_t *ch, uint64_t deadline_ms);

/*
 * Run one request to its final response over a connected channel, block
 * by block.  seed feeds the endpoint's PRNG (message IDs, tokens).
 * Fills res; returns res->err.
 */
int cli_exchange_run(const cli_channel_t *ch, const cli_request_t *req,
                     uint64_t seed, uint64_t deadline_ms, cli_result_t *res);

/* "2.05 Content", "4.04 Not Found", or "c.dd" for other codes. */
void cli_code_name(uint8_t code, char *out, size_t cap);

#endif /* BW_COAP_CLIENT_H */
