/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One allocator for everything in bulwarkctl that may hold the API token
 * or a device's PSK: libcurl (its copy of the Authorization header and
 * the request it builds), OpenSSL (TLS records) and jansson (a provision
 * request carries the PSK).  Every block is wiped when it is freed or
 * moved, so no secret is left in freed memory.  The size of a block is
 * kept in a 16-byte header in front of it (16 keeps malloc's alignment).
 */
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define HDR 16

void ctl_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0)
        OPENSSL_cleanse(p, n);
}

static void *w_malloc(size_t n)
{
    if (n > SIZE_MAX - HDR)
        return NULL;
    unsigned char *p = malloc(n + HDR);
    if (p == NULL)
        return NULL;
    memcpy(p, &n, sizeof n);
    return p + HDR;
}

static void w_free(void *q)
{
    if (q == NULL)
        return;
    unsigned char *p = (unsigned char *)q - HDR;
    size_t n;
    memcpy(&n, p, sizeof n);
    ctl_wipe(p, n + HDR);
    free(p);
}

static void *w_realloc(void *q, size_t n)
{
    if (q == NULL)
        return w_malloc(n);
    size_t old;
    memcpy(&old, (unsigned char *)q - HDR, sizeof old);
    void *r = w_malloc(n);
    if (r == NULL)
        return NULL; /* q stays valid, as realloc promises */
    memcpy(r, q, old < n ? old : n);
    w_free(q);
    return r;
}

static void *w_calloc(size_t k, size_t n)
{
    if (n != 0 && k > SIZE_MAX / n)
        return NULL;
    void *p = w_malloc(k * n);
    if (p != NULL)
        memset(p, 0, k * n);
    return p;
}

static char *w_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = w_malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

static void *o_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return w_malloc(n);
}

static void *o_realloc(void *q, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return w_realloc(q, n);
}

static void o_free(void *q, const char *file, int line)
{
    (void)file;
    (void)line;
    w_free(q);
}

void ctl_json_free(void *p)
{
    w_free(p);
}

int ctl_alloc_init(void)
{
    /* OpenSSL takes new functions only before its first allocation, so
     * this comes before curl_global_init (which starts OpenSSL).  When it
     * refuses (something allocated already), TLS buffers are not wiped
     * but everything else still is. */
    (void)CRYPTO_set_mem_functions(o_malloc, o_realloc, o_free);
    json_set_alloc_funcs(w_malloc, w_free);
    if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, w_malloc, w_free, w_realloc,
                             w_strdup, w_calloc) != CURLE_OK)
        return -1;
    return 0;
}

void ctl_alloc_done(void)
{
    curl_global_cleanup();
}
