/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API's secrets on disk: the bearer token file, and the HTTPS
 * certificate and key (given, or generated once and reused).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"

/* Largest PEM file read: a P-256 certificate chain is a few KB. */
#define PEM_MAX (64 * 1024)

static void why_set(char *why, size_t cap, const char *what, const char *path)
{
    if (why != NULL && cap > 0)
        snprintf(why, cap, "%s: %s", path, what);
}

/* Write data to a new file of mode 0600; never overwrites. */
static int write_new(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? BW_EEXIST : BW_EIO;
    const uint8_t *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            unlink(path);
            return BW_EIO;
        }
        done += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(path);
        return BW_EIO;
    }
    return 0;
}

/* Read a whole small file, NUL-terminated.  private: refuse group/other
 * access.  BW_EPERM, BW_EOVERFLOW, BW_EIO, BW_ENOMEM. */
static int read_small(const char *path, int private, char **out, size_t *len)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return BW_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return BW_EIO;
    }
    if (private && ((st.st_mode & 077) != 0 || st.st_uid != geteuid())) {
        close(fd);
        return BW_EPERM;
    }
    if (st.st_size > PEM_MAX) {
        close(fd);
        return BW_EOVERFLOW;
    }
    size_t cap = (size_t)st.st_size + 1;
    char *buf = malloc(cap);
    if (buf == NULL) {
        close(fd);
        return BW_ENOMEM;
    }
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            OPENSSL_cleanse(buf, cap);
            free(buf);
            close(fd);
            return BW_EIO;
        }
        if (r == 0 || (n += (size_t)r) == cap - 1)
            break;
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int bw_api_token_create(const char *path)
{
    if (path == NULL)
        return BW_EINVAL;
    uint8_t raw[BW_API_TOKEN_BYTES];
    char hex[BW_API_TOKEN_HEX + 2];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return BW_ECRYPTO;
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    hex[BW_API_TOKEN_HEX] = '\n';
    hex[BW_API_TOKEN_HEX + 1] = '\0';
    int err = write_new(path, hex, BW_API_TOKEN_HEX + 1);
    OPENSSL_cleanse(raw, sizeof raw);
    OPENSSL_cleanse(hex, sizeof hex);
    return err;
}

int bw_api__token_load(const char *path, char out[BW_API_TOKEN_HEX + 1])
{
    memset(out, 0, BW_API_TOKEN_HEX + 1);
    if (path == NULL)
        return BW_EINVAL;
    char *buf;
    size_t len;
    int err = read_small(path, 1, &buf, &len);
    if (err == BW_EOVERFLOW)
        return BW_EMALFORMED;
    if (err != 0)
        return err;
    size_t n = len;
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    err = n == BW_API_TOKEN_HEX ? 0 : BW_EMALFORMED;
    for (size_t i = 0; err == 0 && i < n; i++) {
        char c = buf[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
              (c >= 'A' && c <= 'F')))
            err = BW_EMALFORMED;
    }
    if (err == 0)
        memcpy(out, buf, BW_API_TOKEN_HEX);
    OPENSSL_cleanse(buf, len);
    free(buf);
    return err;
}

/* A P-256 key and a self-signed certificate for CN=host, as PEM. */
static int generate(const char *host, char **cert_pem, char **key_pem)
{
    int err = BW_ECRYPTO;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
    uint8_t serial[16];
    BIGNUM *bn = NULL;
    if (key == NULL || x == NULL || cb == NULL || kb == NULL ||
        RAND_bytes(serial, sizeof serial) != 1)
        goto out;
    serial[0] &= 0x7f; /* positive, as RFC 5280 wants */
    bn = BN_bin2bn(serial, sizeof serial, NULL);
    X509_NAME *name = X509_get_subject_name(x);
    if (bn == NULL || X509_set_version(x, 2) != 1 ||
        BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
        X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 24 * 3600) == NULL ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   (const unsigned char *)host, -1, -1,
                                   0) != 1 ||
        X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key) != 1 ||
        X509_sign(x, key, EVP_sha256()) <= 0 ||
        PEM_write_bio_X509(cb, x) != 1 ||
        PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) != 1)
        goto out;
    char *p;
    long cn = BIO_get_mem_data(cb, &p);
    *cert_pem = strndup(p, (size_t)cn);
    long kn = BIO_get_mem_data(kb, &p);
    *key_pem = strndup(p, (size_t)kn);
    err = *cert_pem != NULL && *key_pem != NULL ? 0 : BW_ENOMEM;
out:
    BN_free(bn);
    BIO_free(cb);
    BIO_free(kb); /* BIO_s_mem frees (does not wipe) its buffer */
    X509_free(x);
    EVP_PKEY_free(key);
    return err;
}

/* SHA-256 of the certificate's DER, as AA:BB:... */
static int fingerprint(const char *cert_pem, char fpr[96])
{
    BIO *b = BIO_new_mem_buf(cert_pem, -1);
    X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    unsigned char md[32];
    unsigned n = 0;
    int ok = x != NULL && X509_digest(x, EVP_sha256(), md, &n) == 1 && n == 32;
    X509_free(x);
    BIO_free(b);
    if (!ok)
        return BW_EMALFORMED;
    for (unsigned i = 0; i < n; i++)
        snprintf(fpr + 3 * i, 4, i + 1 < n ? "%02X:" : "%02X", md[i]);
    return 0;
}

static int key_parses(const char *key_pem)
{
    BIO *b = BIO_new_mem_buf(key_pem, -1);
    EVP_PKEY *k =
        b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    int ok = k != NULL;
    EVP_PKEY_free(k);
    BIO_free(b);
    return ok;
}

int bw_api__cert_load(const char *cert_file, const char *key_file,
                      const char *dir, const char *host, char **cert_pem,
                      char **key_pem, char fpr[96], char *why, size_t why_cap)
{
    *cert_pem = *key_pem = NULL;
    fpr[0] = '\0';
    char cpath[4096], kpath[4096];
    int generated = 0, err;
    size_t clen = 0, klen = 0;
    if (cert_file == NULL || key_file == NULL) {
        if (dir == NULL)
            dir = ".";
        if ((size_t)snprintf(cpath, sizeof cpath, "%s/api-cert.pem", dir) >=
                sizeof cpath ||
            (size_t)snprintf(kpath, sizeof kpath, "%s/api-key.pem", dir) >=
                sizeof kpath) {
            why_set(why, why_cap, "path too long", dir);
            return BW_EINVAL;
        }
        cert_file = cpath;
        key_file = kpath;
        if (access(cpath, F_OK) != 0 && access(kpath, F_OK) != 0) {
            err = generate(host, cert_pem, key_pem);
            if (err == 0)
                err = write_new(kpath, *key_pem, strlen(*key_pem));
            if (err == 0 &&
                (err = write_new(cpath, *cert_pem, strlen(*cert_pem))) != 0)
                unlink(kpath);
            if (err != 0) {
                why_set(why, why_cap, "cannot create the API certificate",
                        cpath);
                goto fail;
            }
            generated = 1;
        }
    }
    if (!generated) {
        err = read_small(cert_file, 0, cert_pem, &clen);
        if (err != 0) {
            why_set(why, why_cap, "cannot read the certificate", cert_file);
            goto fail;
        }
        err = read_small(key_file, 1, key_pem, &klen);
        if (err != 0) {
            why_set(why, why_cap,
                    err == BW_EPERM ? "key file readable by others (want 0600)"
                                    : "cannot read the key",
                    key_file);
            goto fail;
        }
        if (!key_parses(*key_pem)) {
            why_set(why, why_cap, "not a PEM private key", key_file);
            err = BW_EMALFORMED;
            goto fail;
        }
    }
    err = fingerprint(*cert_pem, fpr);
    if (err != 0) {
        why_set(why, why_cap, "not a PEM certificate", cert_file);
        goto fail;
    }
    return 0;
fail:
    free(*cert_pem);
    if (*key_pem != NULL) {
        OPENSSL_cleanse(*key_pem, strlen(*key_pem));
        free(*key_pem);
    }
    *cert_pem = *key_pem = NULL;
    return err == BW_EOVERFLOW ? BW_EMALFORMED : err;
}
