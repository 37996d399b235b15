/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Minimal mbedTLS 2.28 configuration for the Cortex-M4 footprint figure of
 * the bootloader with crypto (scripts/size-m4-mbedtls): what
 * lib/crypto/crypto_mbedtls.c uses and nothing more.
 */
#ifndef BW_M4_MBEDTLS_CONFIG_H
#define BW_M4_MBEDTLS_CONFIG_H

#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
/* Verification handles public data only: no blinding RNG needed. */
#define MBEDTLS_ECP_NO_INTERNAL_RNG
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_SHA512_C
#define MBEDTLS_SHA512_SMALLER
#define MBEDTLS_SHA512_NO_SHA384

#include "mbedtls/check_config.h"

#endif
