/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwarkctl: bulwark-server's REST API (docs/api.md) from a terminal.
 *
 * This header is private to the tool.  It ties together three parts:
 * the HTTPS client (ctl_http.c: libcurl, the bearer token, the answer
 * parsed with jansson and every error turned into a message and an exit
 * status), the output helpers (ctl_out.c: aligned tables, key/value
 * blocks, times) and the commands (cmd_*.c), which only build requests
 * and print answers.  docs/bulwarkctl.md is the manual.
 *
 * What it must never do: print, log or keep the API token longer than the
 * process needs it (it lives in one buffer of ctl_t and in libcurl's
 * copies, and every block freed by libcurl or jansson is wiped, see
 * ctl_alloc.c); follow a redirect (the token would go with it); print
 * text from the server with control characters in it (a hostile answer
 * must not drive the terminal).
 *
 * Functions that can fail return an exit status (CTL_*) and have already
 * printed one line "bulwarkctl: ..." on stderr.
 */
#ifndef BULWARKCTL_CTL_H
#define BULWARKCTL_CTL_H

#include <getopt.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#define CTL_NAME "bulwarkctl"

/* Exit statuses (docs/bulwarkctl.md "Exit status"). */
enum {
    CTL_OK = 0,      /* done */
    CTL_API = 1,     /* the API answered an error, or the operation failed */
    CTL_USAGE = 2,   /* bad command line */
    CTL_HALTED = 3,  /* campaign watch: the campaign was halted */
    CTL_ABORTED = 4, /* campaign watch: the campaign was aborted */
    CTL_NET = 5,     /* cannot reach the server, TLS or protocol failure */
    CTL_AUTH = 6,    /* no usable token, or the server refused it (401) */
};

/* The API's token: 32 bytes as 64 hex digits (docs/api.md). */
#define CTL_TOKEN_HEX 64
/* A token file is read up to this size: a token, a newline, maybe a
 * carriage return; anything longer is not a token file. */
#define CTL_TOKEN_FILE_MAX 256
/* Largest answer read from the server: lists are paged (1000 entries at
 * most) and a campaign with its device table stays far below this. */
#define CTL_ANSWER_MAX (8u * 1024 * 1024)
/* Largest firmware image uploaded: the server's limit (fota seams). */
#define CTL_UPLOAD_MAX (16u * 1024 * 1024)
/* Default and largest --timeout, seconds.  Device operations may take the
 * server 30 s (then 504), an upload of 16 MiB over a slow link longer. */
#define CTL_TIMEOUT_DEFAULT 60
#define CTL_TIMEOUT_MAX     3600
/* A stream that sends nothing for this long is taken as lost (the
 * server sends a comment every 15 s). */
#define CTL_STREAM_SILENT_S 45
/* Room for a request path with its query (escaped endpoint names are at
 * most 3 * 64 bytes). */
#define CTL_PATH_MAX 1024

typedef struct {
    /* From the command line and the environment. */
    const char *url;        /* base URL, e.g. https://localhost:8443 */
    const char *token_file; /* NULL: BULWARK_TOKEN, else none */
    const char *cacert;
    int insecure;
    int json;
    long timeout_s;
    /* Set up by the first call. */
    void *curl;      /* CURL * */
    int token_state; /* 0 not loaded, 1 loaded, -1 failed (message given) */
    char token[CTL_TOKEN_HEX + 1];
    char pin[80]; /* "sha256//<base64>" of a pinned self-signed cert */
    char errbuf[256];
} ctl_t;

/* One answer.  body is the parsed JSON (NULL when it was not JSON), raw
 * the bytes as received (NUL-terminated). */
typedef struct {
    long status;
    json_t *body;
    char *raw;
    size_t len;
} ctl_answer_t;

/* ---- ctl_alloc.c: wiping allocator for libcurl and jansson --------- */

/* Install the allocator in libcurl and jansson and initialise libcurl.
 * Returns 0, or -1 when libcurl cannot start. */
int ctl_alloc_init(void);
void ctl_alloc_done(void);
/* Free what jansson allocated (json_dumps). */
void ctl_json_free(void *p);
/* Wipe n bytes in a way the compiler keeps. */
void ctl_wipe(void *p, size_t n);

/* ---- ctl_http.c: requests ------------------------------------------ */

/*
 * Send METHOD path (under /api/v1, with its query already escaped) with
 * an optional body of ctype, wait for the answer and parse it.  auth = 0
 * sends no token (health).  Returns CTL_OK with *a filled for a 2xx
 * answer; otherwise prints the reason and returns CTL_AUTH (401 or no
 * usable token), CTL_API (any other HTTP error, or an answer that is not
 * JSON or too large), CTL_NET (connection, TLS, time-out).  *a is freed
 * by ctl_answer_free in every case.
 */
int ctl_call(ctl_t *c, const char *method, const char *path, int auth,
             const char *ctype, const void *body, size_t len, ctl_answer_t *a);
/* ctl_call with a JSON body (NULL: none); body is not consumed. */
int ctl_call_json(ctl_t *c, const char *method, const char *path, json_t *body,
                  ctl_answer_t *a);
void ctl_answer_free(ctl_answer_t *a);
/*
 * GET path (under /api/v1) as a stream: no overall time-out; the bytes
 * of a 2xx answer go to on_data as they arrive (it returns 0 to go on,
 * non-zero to end the transfer); stop is asked about once a second and
 * ends the transfer when it answers non-zero; last_event_id (NULL: none)
 * goes in a Last-Event-ID header.  A connection that stays silent for
 * CTL_STREAM_SILENT_S counts as lost.  Returns CTL_OK when the server
 * ended the stream or on_data or stop ended it; CTL_NET (printed) when
 * the connection failed or was lost; otherwise as ctl_call: CTL_AUTH for
 * 401, CTL_API for another error answer (*status is the HTTP status, 0
 * when none came).
 */
int ctl_stream(ctl_t *c, const char *path, const char *last_event_id,
               int (*on_data)(void *arg, const char *p, size_t n),
               int (*stop)(void *arg), void *arg, long *status);
void ctl_done(ctl_t *c);
/* A path segment percent-escaped into out (cap bytes).  Returns 0, or -1
 * (message printed) when it does not fit. */
int ctl_escape(const char *seg, char *out, size_t cap);
/* snprintf into a path buffer; -1 (message printed) if cut. */
int ctl_path(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- ctl_out.c: printing ------------------------------------------- */

/* The answer as received (for --json), with a final newline. */
void ctl_print_raw(const ctl_answer_t *a);
/* A JSON value as text for a table cell or a value column: strings
 * without quotes, empty, null and absent as "-", times (members named *_ms, or
 * *_at and at when numeric) as UTC.  Returns a malloc'd, sanitized string. */
char *ctl_cell(const json_t *v, const char *name);
/* Replace control characters (and DEL) with '?', in place. */
void ctl_sanitize(char *s);

typedef struct {
    size_t ncols, nrows, cap;
    char **cells; /* nrows * ncols, row-major; row 0 is the heading */
} ctl_table_t;
/* A table with these headings (NULL-terminated); exits on no memory. */
void ctl_table_init(ctl_table_t *t, const char *const *heads);
/* Add a row of ncols malloc'd strings (ownership passes to the table). */
void ctl_table_row(ctl_table_t *t, char **cells);
/* Print it aligned (two spaces between columns) and free it. */
void ctl_table_print(ctl_table_t *t, FILE *out);
/* Print the objects of the array items as a table on stdout: headings
 * heads (NULL-terminated), column k member keys[k] of each object,
 * shown by ctl_cell() under the name as[k] (as NULL: keys[k]). */
void ctl_print_items(const json_t *items, const char *const *heads,
                     const char *const *keys, const char *const *as);
/* Print "name: value" lines for the given members of o, in order, names
 * padded to one width; members absent from o are left out.  Then every
 * other scalar member (so fields added to the API later still show). */
void ctl_print_fields(const json_t *o, const char *const *names);

/* "x" from malloc or the process ends (no memory is no state to report). */
char *ctl_strdup(const char *s);
char *ctl_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The CoAP response code "2.05" with its name, e.g. "2.05 Content". */
const char *ctl_coap_name(const char *code);

/* ---- ctl_args.c: command lines ------------------------------------- */

/* Command option parsing: a command's long options (terminated by a zero
 * entry) merged with the global ones, so `bulwarkctl devices --json` works
 * as well as `bulwarkctl --json devices`.  Returns the next option like
 * getopt_long, handling global options itself; '?' for a bad option (the
 * message printed).  'h' means --help. */
int ctl_getopt(ctl_t *c, int argc, char **argv, const char *shortopts,
               const struct option *cmd);
/* Handle a global option (val from the table below); 0, or CTL_USAGE. */
int ctl_global_opt(ctl_t *c, int val, const char *arg);
extern const struct option ctl_global_opts[];
/* Values given to options: a number in [min, max] (decimal); 0 or -1
 * (message naming opt printed). */
int ctl_parse_long(const char *opt, const char *s, long min, long max,
                   long *out);
/* Usage error: message, pointer to help, returns CTL_USAGE. */
int ctl_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print a message "bulwarkctl: ..." on stderr and return status. */
int ctl_fail(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- paging: --limit N and --after X of the list commands ---------- */

/* The API's pages (docs/api.md): limit 1..1000, 100 when not given. */
#define CTL_PAGE_MAX     1000
#define CTL_PAGE_DEFAULT 100
/* A row id given to --after (credentials, requests, audit): the API
 * reads at most 18 digits (the credential and request lists refuse
 * more); 0 is the start of the list. */
#define CTL_ID_MAX 999999999999999999L
/* An endpoint name given to --after (devices): the server's limit. */
#define CTL_EP_MAX 64
/* data's cursor "<ms>-<id>": the API refuses 48 bytes or more. */
#define CTL_CURSOR_MAX 48
/* An event id (events --after, sent as Last-Event-ID): a 64-bit number,
 * 20 decimal digits at most. */
#define CTL_EVENT_ID_DIGITS 20

/* What --after names, and so what it may be. */
typedef enum {
    CTL_AFTER_ID,       /* a row id, 0..CTL_ID_MAX */
    CTL_AFTER_ENDPOINT, /* an endpoint name ("" : the start) */
    CTL_AFTER_CURSOR,   /* data's "next": digits and '-' */
    CTL_AFTER_EVENT,    /* an event id: 1..CTL_EVENT_ID_DIGITS digits */
} ctl_after_kind_t;

/* A command's paging options as given. */
typedef struct {
    const char *cmd; /* the command: usage messages and the hint */
    ctl_after_kind_t kind;
    long limit;        /* 1..CTL_PAGE_MAX; CTL_PAGE_DEFAULT when not given */
    int limit_given;   /* --limit was on the command line */
    const char *after; /* NULL: not given; else checked against kind */
    long after_id;     /* CTL_AFTER_ID: --after as a number */
} ctl_page_t;

/* The two options' entries for a command's option table. */
#define CTL_LIMIT_OPTION                                                       \
    {                                                                          \
        "limit", required_argument, NULL, 'n'                                  \
    }
#define CTL_AFTER_OPTION                                                       \
    {                                                                          \
        "after", required_argument, NULL, 'a'                                  \
    }

/* The defaults: no --limit, no --after. */
ctl_page_t ctl_page(const char *cmd, ctl_after_kind_t kind);
/* Take option v ('n': --limit, 'a': --after) and its value into p.
 * Returns CTL_OK, or CTL_USAGE (message printed) for a value outside the
 * API's bounds or not of p->kind, or for another v. */
int ctl_page_opt(ctl_page_t *p, int v, const char *arg);
/* The options of a command whose own options are --limit and --after
 * only (the global ones and --help besides), parsed into p.  Returns 0
 * to go on, or 1 when the command ends now with *status: CTL_OK after
 * printing help (--help), CTL_USAGE (message printed) for a bad option
 * or value. */
int ctl_page_args(ctl_t *c, int argc, char **argv, const char *help,
                  ctl_page_t *p, int *status);
/* The query "limit=N" and, when --after was given, "&after=X" (X
 * escaped) into out (cap bytes).  Returns 0, or -1 (message printed)
 * when it does not fit. */
int ctl_page_query(const ctl_page_t *p, char *out, size_t cap);
/* The next-page hint, one wording for every command, on stderr:
 *   (more: bulwarkctl CMD [ARG] --after NEXT[ with the same filters])
 * printed when next (the answer's "next") names a following page of
 * p->kind (an integer for ids, a string otherwise); nothing when it is
 * null, absent or not of that kind.  arg (NULL: none) is the command's
 * positional argument (an endpoint); filtered says the command was given
 * filters, which the next page wants too.  Sanitized. */
void ctl_page_more(const ctl_page_t *p, const char *arg, const json_t *next,
                   int filtered);
/* A list command's request and output: GET path; with --json the answer
 * as received; otherwise the array member of the answer as a table
 * (ctl_print_items with heads, keys, as) and the hint for its "next"
 * (ctl_page_more with p, arg, filtered).  Returns as ctl_call, or
 * CTL_API (printed) when a 2xx answer has no array member. */
int ctl_list(ctl_t *c, const char *path, const char *member,
             const char *const *heads, const char *const *keys,
             const char *const *as, const ctl_page_t *p, const char *arg,
             int filtered);

/* ---- commands ------------------------------------------------------ */

int cmd_health(ctl_t *c, int argc, char **argv);
int cmd_devices(ctl_t *c, int argc, char **argv);
int cmd_device(ctl_t *c, int argc, char **argv);
int cmd_provision(ctl_t *c, int argc, char **argv);
int cmd_read(ctl_t *c, int argc, char **argv);
int cmd_write(ctl_t *c, int argc, char **argv);
int cmd_exec(ctl_t *c, int argc, char **argv);
int cmd_audit(ctl_t *c, int argc, char **argv);
int cmd_data(ctl_t *c, int argc, char **argv);
int cmd_firmware(ctl_t *c, int argc, char **argv);
int cmd_campaign(ctl_t *c, int argc, char **argv);
int cmd_token(ctl_t *c, int argc, char **argv);
int cmd_rotate(ctl_t *c, int argc, char **argv);
/* cmd_creds.c: credentials, revoke, and `device delete EP`. */
int cmd_credentials(ctl_t *c, int argc, char **argv);
int cmd_revoke(ctl_t *c, int argc, char **argv);
int ctl_device_delete(ctl_t *c, const char *ep);
/* campaign watch (cmd_watch.c); argv[0] is "watch". */
int cmd_campaign_watch(ctl_t *c, int argc, char **argv);
/* campaign show's printing, shared with create (cmd_campaign.c). */
void ctl_print_campaign(const json_t *o);

#endif /* BULWARKCTL_CTL_H */
