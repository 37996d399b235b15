/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secrets at rest: the master key file, the keys derived from it, and
 * sealing and opening PSKs.  All crypto of server/db is here, on
 * libsodium; nothing else in the module sees a key.
 *
 * Keys.  The master key (32 bytes, a file of mode 0600) is read once at
 * open, turned into three subkeys with crypto_kdf (context "bwdbkeys")
 * and wiped:
 *   1 seal    a PSK for identity I is sealed with crypto_secretbox under
 *             BLAKE2b(key = seal, I).  Binding the key to the identity
 *             means a row whose sealed key was copied from another
 *             identity (say, by someone who can write the database file
 *             but does not have the master key) does not open: the lookup
 *             answers BW_EAUTH instead of handing out a key that belongs
 *             to another device.
 *   2 hash    BLAKE2b(key = hash, PSK) is stored with a unique index so a
 *             PSK given to two devices is refused without keeping
 *             anything a PSK guess could be checked against offline.
 *   3 check   BLAKE2b(key = check, constant) is stored once in the meta
 *             table, so a wrong master key is refused at open with a
 *             clear message rather than failing every lookup.
 * Every nonce is 24 random bytes (randombytes_buf), one per sealed key.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_int.h"

/* crypto_kdf's context: exactly crypto_kdf_CONTEXTBYTES (8) characters. */
static const char kdf_context[] = "bwdbkeys";

enum { SUBKEY_SEAL = 1, SUBKEY_HASH = 2, SUBKEY_CHECK = 3 };

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* raw: 32 bytes, or 64 hex digits with an optional final newline. */
static int parse_key(const uint8_t *raw, size_t n, uint8_t key[BW_DB_KEY_LEN])
{
    if (n == BW_DB_KEY_LEN) {
        memcpy(key, raw, BW_DB_KEY_LEN);
        return 0;
    }
    if (n == 2 * BW_DB_KEY_LEN + 1 && raw[n - 1] == '\n')
        n--;
    if (n != 2 * BW_DB_KEY_LEN)
        return BW_EMALFORMED;
    for (size_t i = 0; i < BW_DB_KEY_LEN; i++) {
        int hi = hexval(raw[2 * i]), lo = hexval(raw[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            sodium_memzero(key, BW_DB_KEY_LEN);
            return BW_EMALFORMED;
        }
        key[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int bw_db__keys_load(const char *path, bw_db_keys_t *keys, char *why,
                     size_t cap)
{
    /* O_NOFOLLOW: the mode checked below is the file's own, not that of
     * whatever a symlink points to after the check. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            bw_db__why(why, cap, "master key file %s is a symbolic link", path);
        else
            bw_db__why(why, cap, "master key file %s: %s", path, strerror(e));
        return e == ELOOP ? BW_EPERM : BW_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        bw_db__why(why, cap, "master key file %s: %s", path, strerror(errno));
        close(fd);
        return BW_EIO;
    }
    if (!S_ISREG(st.st_mode)) {
        bw_db__why(why, cap, "master key file %s is not a regular file", path);
        close(fd);
        return BW_EPERM;
    }
    if ((st.st_mode & 077) != 0) {
        bw_db__why(why, cap,
                   "master key file %s has mode %04o: it must be 0600 "
                   "(chmod 600 %s)",
                   path, (unsigned)(st.st_mode & 07777), path);
        close(fd);
        return BW_EPERM;
    }
    if (st.st_uid != geteuid()) {
        bw_db__why(why, cap,
                   "master key file %s is owned by uid %u, not by this "
                   "user (uid %u)",
                   path, (unsigned)st.st_uid, (unsigned)geteuid());
        close(fd);
        return BW_EPERM;
    }
    uint8_t raw[2 * BW_DB_KEY_LEN + 2], master[BW_DB_KEY_LEN];
    ssize_t n = read(fd, raw, sizeof raw);
    int rerr = errno;
    close(fd);
    if (n < 0) {
        bw_db__why(why, cap, "master key file %s: %s", path, strerror(rerr));
        return BW_EIO;
    }
    int err = parse_key(raw, (size_t)n, master);
    sodium_memzero(raw, sizeof raw);
    if (err != 0) {
        bw_db__why(why, cap,
                   "master key file %s must hold 32 bytes, or 64 hex digits",
                   path);
        return err;
    }
    if (crypto_kdf_derive_from_key(keys->seal, sizeof keys->seal, SUBKEY_SEAL,
                                   kdf_context, master) != 0 ||
        crypto_kdf_derive_from_key(keys->hash, sizeof keys->hash, SUBKEY_HASH,
                                   kdf_context, master) != 0 ||
        crypto_kdf_derive_from_key(keys->check, sizeof keys->check,
                                   SUBKEY_CHECK, kdf_context, master) != 0) {
        sodium_memzero(master, sizeof master);
        bw_db__keys_wipe(keys);
        return BW_ECRYPTO;
    }
    sodium_memzero(master, sizeof master);
    return 0;
}

int bw_db_master_key_create(const char *path)
{
    if (path == NULL)
        return BW_EINVAL;
    if (sodium_init() < 0)
        return BW_ECRYPTO;
    int fd =
        open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return errno == EEXIST ? BW_EEXIST : BW_EIO;
    uint8_t key[BW_DB_KEY_LEN];
    randombytes_buf(key, sizeof key);
    ssize_t n = write(fd, key, sizeof key);
    sodium_memzero(key, sizeof key);
    /* The mode given to open() is masked by the umask, which can only
     * remove bits; fchmod makes sure it is exactly 0600. */
    int ok =
        n == (ssize_t)sizeof key && fchmod(fd, 0600) == 0 && fsync(fd) == 0;
    if (close(fd) != 0)
        ok = 0;
    if (!ok) {
        (void)unlink(path);
        return BW_EIO;
    }
    return 0;
}

/* The secretbox key of one identity. */
static void identity_key(const bw_db_keys_t *k, const uint8_t *identity,
                         size_t identity_len, uint8_t out[BW_DB_KEY_LEN])
{
    crypto_generichash(out, BW_DB_KEY_LEN, identity, identity_len, k->seal,
                       sizeof k->seal);
}

int bw_db__psk_seal(const bw_db_keys_t *k, const uint8_t *identity,
                    size_t identity_len, const uint8_t *psk, size_t len,
                    uint8_t nonce[BW_DB_NONCE_LEN], uint8_t *box)
{
    uint8_t key[BW_DB_KEY_LEN];
    identity_key(k, identity, identity_len, key);
    randombytes_buf(nonce, BW_DB_NONCE_LEN);
    int rc = crypto_secretbox_easy(box, psk, len, nonce, key);
    sodium_memzero(key, sizeof key);
    return rc == 0 ? 0 : BW_ECRYPTO;
}

int bw_db__psk_open(const bw_db_keys_t *k, const uint8_t *identity,
                    size_t identity_len, const uint8_t *nonce, size_t nonce_len,
                    const uint8_t *box, size_t box_len, uint8_t *psk,
                    size_t cap, size_t *psk_len)
{
    *psk_len = 0;
    if (nonce_len != BW_DB_NONCE_LEN || box_len < BW_DB_MAC_LEN ||
        box_len > BW_DB_MAC_LEN + BW_DB_PSK_MAX)
        return BW_EMALFORMED;
    size_t len = box_len - BW_DB_MAC_LEN;
    if (len > cap)
        return BW_ENOSPC;
    uint8_t key[BW_DB_KEY_LEN];
    identity_key(k, identity, identity_len, key);
    int rc = crypto_secretbox_open_easy(psk, box, box_len, nonce, key);
    sodium_memzero(key, sizeof key);
    if (rc != 0) {
        sodium_memzero(psk, len);
        return BW_EAUTH;
    }
    *psk_len = len;
    return 0;
}

void bw_db__psk_digest(const bw_db_keys_t *k, const uint8_t *psk, size_t len,
                       uint8_t out[BW_DB_DIGEST_LEN])
{
    crypto_generichash(out, BW_DB_DIGEST_LEN, psk, len, k->hash,
                       sizeof k->hash);
}

void bw_db__key_check(const bw_db_keys_t *k, uint8_t out[BW_DB_DIGEST_LEN])
{
    static const char label[] = "bulwark db master key check v1";
    crypto_generichash(out, BW_DB_DIGEST_LEN, (const uint8_t *)label,
                       sizeof label - 1, k->check, sizeof k->check);
}

void bw_db__keys_wipe(bw_db_keys_t *k)
{
    sodium_memzero(k, sizeof *k);
}
