/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/dtls: the credentials of one run, made fresh in a private
 * temporary directory and removed at the end.
 *
 * A P-256 CA, a server certificate and a client certificate signed by it
 * (ECDSA with SHA-256), as PEM files: the server engine loads files, and
 * the certificate handshakes must do the same chain checks as in the
 * field (client chain to the fleet CA, CertificateVerify, ECDHE).
 *
 * Included by bench/dtls.c only.
 */
#ifndef BW_BENCH_DTLS_CERTS_H
#define BW_BENCH_DTLS_CERTS_H

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char dir[64];
    char ca[96], server_cert[96], server_key[96], client_cert[96],
        client_key[96];
} bench_certs_t;

static void certs_die(const char *what)
{
    fprintf(stderr, "bench_dtls: %s failed\n", what);
    exit(1);
}

static void certs_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL || X509_add_ext(cert, ext, -1) != 1)
        certs_die("certificate extension");
    X509_EXTENSION_free(ext);
}

/* A certificate for key, signed by issuer_key (self-signed when issuer is
 * NULL). */
static X509 *certs_make(const char *cn, EVP_PKEY *key, X509 *issuer,
                        EVP_PKEY *issuer_key, long serial)
{
    X509 *cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    if (cert == NULL || name == NULL || X509_set_version(cert, 2) != 1 ||
        ASN1_INTEGER_set(X509_get_serialNumber(cert), serial) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(cert), 86400) == NULL ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   (const unsigned char *)cn, -1, -1, 0) != 1 ||
        X509_set_subject_name(cert, name) != 1 ||
        X509_set_issuer_name(
            cert, issuer != NULL ? X509_get_subject_name(issuer) : name) != 1 ||
        X509_set_pubkey(cert, key) != 1)
        certs_die("certificate fields");
    X509_NAME_free(name);
    X509 *signer = issuer != NULL ? issuer : cert;
    if (issuer == NULL) {
        certs_ext(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
        certs_ext(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        certs_ext(cert, signer, NID_basic_constraints, "critical,CA:FALSE");
        certs_ext(cert, signer, NID_key_usage, "critical,digitalSignature");
    }
    if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0)
        certs_die("certificate signature");
    return cert;
}

static void certs_write(const char *path, X509 *cert, EVP_PKEY *key)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        certs_die(path);
    int ok = cert != NULL
                 ? PEM_write_X509(f, cert)
                 : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    if (fclose(f) != 0 || ok != 1)
        certs_die(path);
}

static void certs_create(bench_certs_t *c)
{
    snprintf(c->dir, sizeof c->dir, "/tmp/bench_dtls.XXXXXX");
    if (mkdtemp(c->dir) == NULL)
        certs_die("mkdtemp");
    snprintf(c->ca, sizeof c->ca, "%s/ca.pem", c->dir);
    snprintf(c->server_cert, sizeof c->server_cert, "%s/server.pem", c->dir);
    snprintf(c->server_key, sizeof c->server_key, "%s/server.key", c->dir);
    snprintf(c->client_cert, sizeof c->client_cert, "%s/client.pem", c->dir);
    snprintf(c->client_key, sizeof c->client_key, "%s/client.key", c->dir);

    EVP_PKEY *ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *srv_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *cli_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (ca_key == NULL || srv_key == NULL || cli_key == NULL)
        certs_die("P-256 key generation");
    X509 *ca = certs_make("bench fleet CA", ca_key, NULL, ca_key, 1);
    X509 *srv = certs_make("bench-server", srv_key, ca, ca_key, 2);
    X509 *cli = certs_make("bench-device", cli_key, ca, ca_key, 3);
    certs_write(c->ca, ca, NULL);
    certs_write(c->server_cert, srv, NULL);
    certs_write(c->server_key, NULL, srv_key);
    certs_write(c->client_cert, cli, NULL);
    certs_write(c->client_key, NULL, cli_key);
    X509_free(ca);
    X509_free(srv);
    X509_free(cli);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(srv_key);
    EVP_PKEY_free(cli_key);
}

static void certs_remove(const bench_certs_t *c)
{
    unlink(c->ca);
    unlink(c->server_cert);
    unlink(c->server_key);
    unlink(c->client_cert);
    unlink(c->client_key);
    rmdir(c->dir);
}

#endif /* BW_BENCH_DTLS_CERTS_H */
