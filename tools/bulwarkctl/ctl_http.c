/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTPS client: one libcurl handle for the process, the bearer token
 * loaded on the first call that needs it, the answer read into a capped
 * buffer and parsed as JSON, and every failure mapped to one message and
 * one exit status (ctl.h).
 *
 * Certificates: --cacert FILE makes FILE the only trust anchor.  When
 * FILE is a single self-signed certificate (what bulwark-server makes on
 * first start, named after its bind address), its public key is also
 * pinned and the host name is not compared: the server must prove it
 * holds that exact key, which is stronger than a name match and works
 * whatever name or address the operator reaches it by.  A CA bundle keeps
 * the usual host name check.  --insecure checks nothing (with a warning).
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

static int is_hex64(const char *s, size_t n)
{
    if (n != CTL_TOKEN_HEX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F')))
            return 0;
    return 1;
}

/* Copy a token (trailing newline and spaces dropped) into c->token. */
static int take_token(ctl_t *c, const char *s, size_t n, const char *from)
{
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' ||
                     s[n - 1] == '\t'))
        n--;
    if (!is_hex64(s, n))
        return ctl_fail(CTL_AUTH,
                        "%s does not hold an API token (64 hex "
                        "digits)",
                        from);
    memcpy(c->token, s, n);
    c->token[n] = '\0';
    return CTL_OK;
}

static int load_token_file(ctl_t *c, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ctl_fail(CTL_AUTH, "token file %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
        fprintf(stderr,
                CTL_NAME ": warning: token file %s is readable by others "
                         "(chmod 600 it)\n",
                path);
    char buf[CTL_TOKEN_FILE_MAX + 1];
    size_t n = 0;
    for (;;) {
        ssize_t k = read(fd, buf + n, sizeof buf - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        n += (size_t)k;
        if (n == sizeof buf)
            break;
    }
    close(fd);
    int rc = n > CTL_TOKEN_FILE_MAX
                 ? ctl_fail(CTL_AUTH,
                            "token file %s is too large to be a "
                            "token file",
                            path)
                 : take_token(c, buf, n, path);
    ctl_wipe(buf, sizeof buf);
    return rc;
}

/* The token: --token-file, else BULWARK_TOKEN_FILE, else BULWARK_TOKEN. */
static int load_token(ctl_t *c)
{
    if (c->token_state != 0)
        return c->token_state > 0 ? CTL_OK : CTL_AUTH;
    int rc;
    const char *file = c->token_file;
    char *env = getenv("BULWARK_TOKEN");
    if (file == NULL)
        file = getenv("BULWARK_TOKEN_FILE");
    if (file != NULL && *file != '\0')
        rc = load_token_file(c, file);
    else if (env != NULL && *env != '\0')
        rc = take_token(c, env, strlen(env), "BULWARK_TOKEN");
    else
        rc = ctl_fail(CTL_AUTH, "no API token: give --token-file FILE, or set "
                                "BULWARK_TOKEN_FILE or BULWARK_TOKEN");
    /* Wipe the environment's copy in place too: it is what
     * /proc/PID/environ shows. */
    if (env != NULL)
        ctl_wipe(env, strlen(env));
    c->token_state = rc == CTL_OK ? 1 : -1;
    return rc;
}

/* When path is one self-signed certificate, "sha256//<base64 of the
 * SHA-256 of its SubjectPublicKeyInfo>" into c->pin. */
static void pin_if_self_signed(ctl_t *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return; /* libcurl reports the file */
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    X509 *more = x != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    fclose(f);
    unsigned char *der = NULL;
    int n;
    if (x != NULL && more == NULL && X509_check_issued(x, x) == X509_V_OK &&
        (n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)) > 0) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned mdn = 0;
        if (EVP_Digest(der, (size_t)n, md, &mdn, EVP_sha256(), NULL) == 1) {
            memcpy(c->pin, "sha256//", 8);
            EVP_EncodeBlock((unsigned char *)c->pin + 8, md, (int)mdn);
        }
    }
    OPENSSL_free(der);
    X509_free(more);
    X509_free(x);
}

static int setup(ctl_t *c)
{
    if (c->curl != NULL)
        return CTL_OK;
    CURL *h = curl_easy_init();
    if (h == NULL)
        return ctl_fail(CTL_NET, "cannot start libcurl");
    c->curl = h;
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
    /* Endpoint names may be "." or "..": send the path as written. */
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
                     c->timeout_s < 10 ? c->timeout_s : 10L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, CTL_NAME "/" CTL_VERSION);
    if (c->insecure) {
        fprintf(stderr, CTL_NAME ": warning: --insecure: the server's "
                                 "certificate is not checked\n");
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (c->cacert != NULL) {
        curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
        curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
        pin_if_self_signed(c, c->cacert);
        if (c->pin[0] != '\0') {
            curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, c->pin);
            curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
        }
    }
    if (strncmp(c->url, "http://", 7) == 0)
        fprintf(stderr,
                CTL_NAME ": warning: %s is not HTTPS: the token "
                         "travels in clear\n",
                c->url);
    return CTL_OK;
}

typedef struct {
    char *buf;
    size_t len, cap;
    int too_big;
} sink_t;

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    sink_t *s = ud;
    size_t n = size * nmemb;
    if (n > CTL_ANSWER_MAX - s->len) {
        s->too_big = 1;
        return 0; /* libcurl stops with CURLE_WRITE_ERROR */
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap != 0 ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *nb = realloc(s->buf, cap);
        if (nb == NULL)
            return 0;
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return n;
}

/* "409 conflict: detail" from an error answer; or the status alone. */
static int api_error(const ctl_answer_t *a)
{
    int rc = a->status == 401 ? CTL_AUTH : CTL_API;
    const char *err = json_string_value(json_object_get(a->body, "error"));
    const char *det = json_string_value(json_object_get(a->body, "detail"));
    char *e = ctl_strdup(err != NULL ? err : "");
    char *d = ctl_strdup(det != NULL ? det : "");
    ctl_sanitize(e);
    ctl_sanitize(d);
    if (err == NULL)
        ctl_fail(rc, "%ld: the server answered without an error description",
                 a->status);
    else if (*d != '\0')
        ctl_fail(rc, "%ld %s: %s", a->status, e, d);
    else
        ctl_fail(rc, "%ld %s", a->status, e);
    if (a->status == 401)
        fprintf(stderr, CTL_NAME ": check --token-file (or "
                                 "BULWARK_TOKEN_FILE, BULWARK_TOKEN)\n");
    free(e);
    free(d);
    return rc;
}

static int net_error(ctl_t *c, CURLcode cc)
{
    const char *why = c->errbuf[0] != '\0' ? c->errbuf : curl_easy_strerror(cc);
    int tls =
        cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CONNECT_ERROR ||
        cc == CURLE_SSL_PINNEDPUBKEYNOTMATCH || cc == CURLE_SSL_CACERT_BADFILE;
    ctl_fail(CTL_NET, "%s: %s", c->url, why);
    if (tls && c->cacert == NULL)
        fprintf(stderr, CTL_NAME ": pin the server's certificate with "
                                 "--cacert api-cert.pem (from its state "
                                 "directory)\n");
    return CTL_NET;
}

int ctl_call(ctl_t *c, const char *method, const char *path, int auth,
             const char *ctype, const void *body, size_t len, ctl_answer_t *a)
{
    memset(a, 0, sizeof *a);
    int rc = setup(c);
    if (rc == CTL_OK && auth)
        rc = load_token(c);
    if (rc != CTL_OK)
        return rc;
    CURL *h = c->curl;
    size_t bn = strlen(c->url);
    while (bn > 0 && c->url[bn - 1] == '/')
        bn--;
    char *url = ctl_printf("%.*s/api/v1%s", (int)bn, c->url, path);
    struct curl_slist *hdrs = NULL;
    char authz[sizeof "Authorization: Bearer " + CTL_TOKEN_HEX];
    if (auth) {
        snprintf(authz, sizeof authz, "Authorization: Bearer %s", c->token);
        hdrs = curl_slist_append(hdrs, authz);
        ctl_wipe(authz, sizeof authz);
    }
    char ct[96];
    if (ctype != NULL) {
        snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
        hdrs = curl_slist_append(hdrs, ct);
    }
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    sink_t s = {0};
    c->errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
    } else {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body != NULL ? body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(body != NULL ? len : 0));
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
                         strcmp(method, "POST") == 0 ? NULL : method);
    }
    CURLcode cc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs); /* freed through the wiping allocator */
    free(url);
    a->raw = s.buf;
    a->len = s.len;
    if (s.too_big) {
        return ctl_fail(CTL_API, "the answer is larger than %u bytes",
                        CTL_ANSWER_MAX);
    }
    if (cc != CURLE_OK)
        return net_error(c, cc);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
    if (a->raw == NULL) {
        a->raw = ctl_strdup("");
    }
    json_error_t je;
    a->body = json_loadb(a->raw, a->len, 0, &je);
    if (a->status >= 200 && a->status < 300) {
        if (a->body == NULL)
            return ctl_fail(CTL_API, "%ld: the answer is not JSON (%s)",
                            a->status, je.text);
        return CTL_OK;
    }
    return api_error(a);
}

int ctl_call_json(ctl_t *c, const char *method, const char *path, json_t *body,
                  ctl_answer_t *a)
{
    if (body == NULL)
        return ctl_call(c, method, path, 1, NULL, NULL, 0, a);
    char *text = json_dumps(body, JSON_COMPACT);
    if (text == NULL)
        return ctl_fail(CTL_API, "cannot encode the request");
    size_t n = strlen(text);
    int rc = ctl_call(c, method, path, 1, "application/json", text, n, a);
    ctl_wipe(text, n);
    ctl_json_free(text);
    return rc;
}

/* ---- streams ------------------------------------------------------------ */

typedef struct {
    ctl_t *c;
    int (*on_data)(void *arg, const char *p, size_t n);
    int (*stop)(void *arg);
    void *arg;
    int ok;     /* the status was 2xx: bytes go to on_data */
    int ended;  /* on_data or stop ended it */
    sink_t err; /* the body of an error answer */
} stream_t;

static size_t on_stream(char *p, size_t size, size_t nmemb, void *ud)
{
    stream_t *s = ud;
    size_t n = size * nmemb;
    if (!s->ok) {
        long st = 0;
        curl_easy_getinfo(s->c->curl, CURLINFO_RESPONSE_CODE, &st);
        s->ok = st >= 200 && st < 300;
        if (!s->ok)
            return on_data(p, size, nmemb, &s->err);
    }
    if (s->on_data(s->arg, p, n) != 0) {
        s->ended = 1;
        return 0;
    }
    return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                       curl_off_t un)
{
    stream_t *s = ud;
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    if (s->stop != NULL && s->stop(s->arg)) {
        s->ended = 1;
        return 1;
    }
    return 0;
}

int ctl_stream(ctl_t *c, const char *path, const char *last_event_id,
               int (*on_data_cb)(void *arg, const char *p, size_t n),
               int (*stop)(void *arg), void *arg, long *status)
{
    *status = 0;
    int rc = setup(c);
    if (rc == CTL_OK)
        rc = load_token(c);
    if (rc != CTL_OK)
        return rc;
    CURL *h = c->curl;
    size_t bn = strlen(c->url);
    while (bn > 0 && c->url[bn - 1] == '/')
        bn--;
    char *url = ctl_printf("%.*s/api/v1%s", (int)bn, c->url, path);
    struct curl_slist *hdrs = NULL;
    char authz[sizeof "Authorization: Bearer " + CTL_TOKEN_HEX];
    snprintf(authz, sizeof authz, "Authorization: Bearer %s", c->token);
    hdrs = curl_slist_append(hdrs, authz);
    ctl_wipe(authz, sizeof authz);
    char lid[48];
    if (last_event_id != NULL) {
        snprintf(lid, sizeof lid, "Last-Event-ID: %.24s", last_event_id);
        hdrs = curl_slist_append(hdrs, lid);
    }
    hdrs = curl_slist_append(hdrs, "Accept: text/event-stream");
    stream_t s = {.c = c, .on_data = on_data_cb, .stop = stop, .arg = arg};
    c->errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_stream);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 0L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)CTL_STREAM_SILENT_S);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &s);
    CURLcode cc = curl_easy_perform(h);
    /* The handle goes back to what ctl_call expects. */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 0L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 0L);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 1L);
    curl_slist_free_all(hdrs);
    free(url);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    if (s.ended) {
        free(s.err.buf);
        return CTL_OK;
    }
    if (*status != 0 && (*status < 200 || *status >= 300)) {
        ctl_answer_t a = {
            .status = *status, .raw = s.err.buf, .len = s.err.len};
        if (a.raw != NULL)
            a.body = json_loadb(a.raw, a.len, 0, NULL);
        rc = api_error(&a);
        ctl_answer_free(&a);
        return rc;
    }
    free(s.err.buf);
    if (cc != CURLE_OK)
        return net_error(c, cc);
    return CTL_OK;
}

void ctl_answer_free(ctl_answer_t *a)
{
    json_decref(a->body);
    free(a->raw);
    memset(a, 0, sizeof *a);
}

void ctl_done(ctl_t *c)
{
    if (c->curl != NULL)
        curl_easy_cleanup(c->curl);
    c->curl = NULL;
    ctl_wipe(c->token, sizeof c->token);
}

int ctl_escape(const char *seg, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)seg; *p; p++) {
        int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL;
        if (o + (plain ? 1 : 3) >= cap) {
            ctl_fail(CTL_USAGE, "'%.64s...' is too long", seg);
            return -1;
        }
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return 0;
}

int ctl_path(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap) {
        ctl_fail(CTL_USAGE, "request path too long");
        return -1;
    }
    return 0;
}
