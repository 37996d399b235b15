/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credentials for the DTLS client, from the key store into mbedTLS.
 *
 * Every item passes through a buffer of ours only for the one call that
 * hands it to mbedTLS, and the buffer is wiped before it is released:
 * the PSK and its identity live on the stack (bounded by
 * BW_DTLS_PSK_MAX and BW_DTLS_PSK_ID_MAX), certificates and the private
 * key in a block from mbedTLS's own allocator, sized to the item (the
 * key store reports the size first), so a microcontroller's static pool
 * serves them too.  mbedTLS keeps its own copies: the PSK in the
 * configuration, parsed certificates and key in the client.
 */
#include <string.h>

#include <mbedtls/platform.h>
#include <mbedtls/platform_util.h>

#include "dtls_client_int.h"

/* Read name into buf (cap bytes).  A longer item is BW_EOVERFLOW, an
 * empty one too: neither can be a valid credential. */
static int read_item(bw_keystore_t ks, const char *name, uint8_t *buf,
                     size_t cap, size_t *len)
{
    int rc = ks.ops->get(ks.ctx, name, buf, cap, len);

    if (rc == BW_ENOSPC)
        return BW_EOVERFLOW;
    if (rc == BW_ENOTFOUND || rc == BW_EIO)
        return rc;
    if (rc != 0 || *len > cap)
        return BW_EIO; /* the store broke its contract */
    return *len == 0 ? BW_EOVERFLOW : 0;
}

static int load_psk(bw_dtls_client_t *c, const bw_dtls_client_config_t *cfg,
                    bw_keystore_t ks)
{
    uint8_t psk[BW_DTLS_PSK_MAX];
    uint8_t id[BW_DTLS_PSK_ID_MAX];
    size_t psk_len = 0;
    size_t id_len = 0;
    int dm = cfg->server == BW_DTLS_SERVER_DM;
    int rc;

    rc = read_item(ks, dm ? BW_KEY_DM_PSK_ID : BW_KEY_BS_PSK_ID, id, sizeof id,
                   &id_len);
    if (rc == 0)
        rc = read_item(ks, dm ? BW_KEY_DM_PSK : BW_KEY_BS_PSK, psk, sizeof psk,
                       &psk_len);
    if (rc == 0) {
        /* mbedTLS copies both. */
        int ret = mbedtls_ssl_conf_psk(&c->conf, psk, psk_len, id, id_len);
        if (ret == MBEDTLS_ERR_SSL_ALLOC_FAILED)
            rc = BW_ENOMEM;
        else if (ret != 0)
            rc = BW_EOVERFLOW;
    }
    mbedtls_platform_zeroize(psk, sizeof psk);
    mbedtls_platform_zeroize(id, sizeof id);
    return rc;
}

/* What to do with a DER item once read. */
enum { DER_CA, DER_OWN_CERT, DER_OWN_KEY };

static int parse_der(bw_dtls_client_t *c, int what, const uint8_t *der,
                     size_t len)
{
    int ret;

    switch (what) {
    case DER_CA:
        ret = mbedtls_x509_crt_parse_der(&c->ca, der, len);
        break;
    case DER_OWN_CERT:
        ret = mbedtls_x509_crt_parse_der(&c->own_cert, der, len);
        break;
    default:
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
        ret = mbedtls_pk_parse_key(&c->own_key, der, len, NULL, 0,
                                   mbedtls_ctr_drbg_random, &c->drbg);
#else
        ret = mbedtls_pk_parse_key(&c->own_key, der, len, NULL, 0);
#endif
        if (ret == 0 && !mbedtls_pk_can_do(&c->own_key, MBEDTLS_PK_ECKEY))
            return BW_EMALFORMED;
        break;
    }
    if (ret == MBEDTLS_ERR_X509_ALLOC_FAILED ||
        ret == MBEDTLS_ERR_PK_ALLOC_FAILED)
        return BW_ENOMEM;
    return ret == 0 ? 0 : BW_EMALFORMED;
}

static int load_der(bw_dtls_client_t *c, bw_keystore_t ks, const char *name,
                    int what)
{
    uint8_t *buf;
    size_t need = 0;
    size_t len = 0;
    int rc;

    /* Ask for the size: a store reports it with BW_ENOSPC. */
    rc = ks.ops->get(ks.ctx, name, NULL, 0, &need);
    if (rc == 0)
        return BW_EOVERFLOW; /* empty */
    if (rc != BW_ENOSPC)
        return (rc == BW_ENOTFOUND || rc == BW_EIO) ? rc : BW_EIO;
    if (need > BW_DTLS_CRED_MAX)
        return BW_EOVERFLOW;
    buf = mbedtls_calloc(1, need);
    if (buf == NULL)
        return BW_ENOMEM;
    rc = read_item(ks, name, buf, need, &len);
    if (rc == BW_EOVERFLOW && need > 0)
        rc = BW_EIO; /* it grew between the two calls */
    if (rc == 0)
        rc = parse_der(c, what, buf, len);
    mbedtls_platform_zeroize(buf, need);
    mbedtls_free(buf);
    return rc;
}

static int load_cert(bw_dtls_client_t *c, bw_keystore_t ks)
{
    int rc = load_der(c, ks, BW_KEY_TRUST_ANCHOR, DER_CA);
    int ret;

    if (rc == 0)
        rc = load_der(c, ks, BW_KEY_DEVICE_CERT, DER_OWN_CERT);
    if (rc == 0)
        rc = load_der(c, ks, BW_KEY_DEVICE_KEY, DER_OWN_KEY);
    if (rc != 0)
        return rc;
        /* A key that does not belong to the certificate would only show up
         * as a handshake the server refuses; say so here instead. */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    ret = mbedtls_pk_check_pair(&c->own_cert.pk, &c->own_key,
                                mbedtls_ctr_drbg_random, &c->drbg);
#else
    ret = mbedtls_pk_check_pair(&c->own_cert.pk, &c->own_key);
#endif
    if (ret != 0)
        return BW_EMALFORMED;
    mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
    ret = mbedtls_ssl_conf_own_cert(&c->conf, &c->own_cert, &c->own_key);
    return ret == 0 ? 0 : BW_ENOMEM;
}

int bw_devdtls__load_creds(bw_dtls_client_t *c,
                           const bw_dtls_client_config_t *cfg, bw_keystore_t ks)
{
    return cfg->mode == BW_DTLS_MODE_PSK ? load_psk(c, cfg, ks)
                                         : load_cert(c, ks);
}
