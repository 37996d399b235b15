/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sessions across a planned restart.
 *
 * On stop every established session is written to the state file (0600,
 * written beside it and renamed into place, so a crash mid-save leaves the
 * old file or none).  On start the file is read into a pool shared by the
 * workers and deleted at once: a state file is used once, so the same
 * sequence numbers can never be handed out twice.  Which worker a peer's
 * datagrams reach after a restart is the kernel's choice, so a session is
 * claimed from the pool by whichever worker first hears from its peer;
 * the pool's lock is taken only on that slow path.
 *
 * Outgoing sequence numbers restart at the saved reservation limit, which
 * is above every number used before the save: a nonce is never reused
 * even if the limit, not the exact number, was what got written.
 *
 * File layout (little endian):
 *   "BWDTLSS1" | count u32 | count records of RECORD_LEN | SHA-256 of all
 *   that precedes it
 * A record: peer (20) | alg mode identity_len 0 (4) | epoch u16 | 0 u16 |
 *   write_limit u64 | replay top u64 | replay bitmap u64 | rx key+iv (20) |
 *   tx key+iv (20) | identity (BW_DTLS_IDENTITY_MAX)
 * The file holds session keys: it is a secret at rest, like the database.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dtls_int.h"

#define MAGIC      "BWDTLSS1"
#define RECORD_LEN (20 + 4 + 4 + 8 + 8 + 8 + 20 + 20 + BW_DTLS_IDENTITY_MAX)
#define HASH_LEN   32
/* A sanity bound on the count field: ten million sessions. */
#define MAX_RECORDS 10000000u

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void encode(const bw_dtls_session_t *s, uint8_t *p)
{
    memset(p, 0, RECORD_LEN);
    memcpy(p, &s->peer, 20);
    p[20] = s->alg;
    p[21] = s->mode;
    p[22] = s->identity_len;
    p[24] = (uint8_t)s->epoch;
    p[25] = (uint8_t)(s->epoch >> 8);
    /* The limit, not write_seq: see the top of this file. */
    uint64_t limit =
        s->write_limit > s->write_seq ? s->write_limit : s->write_seq + 1;
    put64(p + 28, limit);
    put64(p + 36, s->replay.top);
    put64(p + 44, s->replay.bitmap);
    memcpy(p + 52, s->rx.key, 16);
    memcpy(p + 68, s->rx.iv, 4);
    memcpy(p + 72, s->tx.key, 16);
    memcpy(p + 88, s->tx.iv, 4);
    memcpy(p + 92, s->identity, s->identity_len);
}

static int decode(const uint8_t *p, bw_dtls_session_t *s)
{
    memset(s, 0, sizeof *s);
    memcpy(&s->peer, p, 20);
    s->alg = p[20];
    s->mode = p[21];
    s->identity_len = p[22];
    s->epoch = (uint16_t)(p[24] | p[25] << 8);
    uint64_t limit = get64(p + 28);
    if ((s->alg != BW_DTLS_AES128_CCM8 && s->alg != BW_DTLS_AES128_GCM) ||
        (s->mode != BW_DTLS_MODE_PSK && s->mode != BW_DTLS_MODE_CERT) ||
        s->identity_len > BW_DTLS_IDENTITY_MAX || s->epoch == 0 ||
        (s->peer.family != AF_INET && s->peer.family != AF_INET6) ||
        limit > BW_DTLS_SEQ_MAX - BW_DTLS_SEQ_GAP)
        return BW_EMALFORMED;
    s->write_seq = limit;
    s->write_limit = limit + BW_DTLS_SEQ_GAP;
    s->replay.top = get64(p + 36);
    s->replay.bitmap = get64(p + 44);
    memcpy(s->rx.key, p + 52, 16);
    memcpy(s->rx.iv, p + 68, 4);
    memcpy(s->tx.key, p + 72, 16);
    memcpy(s->tx.iv, p + 88, 4);
    memcpy(s->identity, p + 92, s->identity_len);
    s->in_use = 1;
    return 0;
}

static void fsync_dir(const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(copy);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return BW_EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

typedef struct {
    int fd;
    EVP_MD_CTX *md;
    uint32_t count;
    int err;
} writer_t;

static void save_one(writer_t *wr, const bw_dtls_session_t *s)
{
    uint8_t rec[RECORD_LEN];
    if (wr->err != 0 || s->alg == 0)
        return;
    encode(s, rec);
    if (EVP_DigestUpdate(wr->md, rec, sizeof rec) != 1)
        wr->err = BW_ECRYPTO;
    else
        wr->err = write_all(wr->fd, rec, sizeof rec);
    OPENSSL_cleanse(rec, sizeof rec);
    wr->count++;
}

static void save_table(writer_t *wr, bw_dtls_table_t *t)
{
    for (uint32_t i = 0; i < t->cap; i++) {
        bw_dtls_session_t *s = bw_dtls__table_at(t, i);
        if (s != NULL)
            save_one(wr, s);
    }
}

static uint32_t count_keyed(bw_dtls_table_t *t)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->cap; i++) {
        bw_dtls_session_t *s = bw_dtls__table_at(t, i);
        n += s != NULL && s->alg != 0;
    }
    return n;
}

int bw_dtls__persist_save(bw_dtls_server_t *srv)
{
    size_t plen = strlen(srv->state_file);
    char *tmp = malloc(plen + 5);
    if (tmp == NULL)
        return BW_ENOMEM;
    memcpy(tmp, srv->state_file, plen);
    memcpy(tmp + plen, ".tmp", 5);
    writer_t wr = {
        .fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600),
        .md = EVP_MD_CTX_new()};
    uint32_t total = srv->pool.loaded ? count_keyed(&srv->pool.table) : 0;
    for (unsigned i = 0; i < srv->nworkers; i++)
        total += count_keyed(&srv->workers[i]->table);
    uint8_t head[12];
    memcpy(head, MAGIC, 8);
    head[8] = (uint8_t)total;
    head[9] = (uint8_t)(total >> 8);
    head[10] = (uint8_t)(total >> 16);
    head[11] = (uint8_t)(total >> 24);
    if (wr.fd < 0 || wr.md == NULL ||
        EVP_DigestInit_ex(wr.md, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(wr.md, head, sizeof head) != 1)
        wr.err = BW_EIO;
    else
        wr.err = write_all(wr.fd, head, sizeof head);
    for (unsigned i = 0; i < srv->nworkers; i++)
        save_table(&wr, &srv->workers[i]->table);
    if (srv->pool.loaded)
        save_table(&wr, &srv->pool.table);
    uint8_t digest[HASH_LEN];
    if (wr.err == 0 &&
        (wr.count != total || EVP_DigestFinal_ex(wr.md, digest, NULL) != 1 ||
         write_all(wr.fd, digest, sizeof digest) != 0 || fsync(wr.fd) != 0))
        wr.err = BW_EIO;
    if (wr.fd >= 0 && close(wr.fd) != 0)
        wr.err = BW_EIO;
    if (wr.err == 0 && rename(tmp, srv->state_file) != 0)
        wr.err = BW_EIO;
    if (wr.err == 0) {
        fsync_dir(srv->state_file);
        bw_dtls__log_srv(srv, BW_DTLS_LOG_INFO, "saved %u sessions to %s",
                         total, srv->state_file);
    } else {
        (void)unlink(tmp);
        bw_dtls__log_srv(srv, BW_DTLS_LOG_ERROR,
                         "could not save sessions to %s", srv->state_file);
    }
    EVP_MD_CTX_free(wr.md);
    free(tmp);
    return wr.err;
}

static int read_file(const char *path, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? BW_ENOTFOUND : BW_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 12 + HASH_LEN ||
        (uint64_t)st.st_size >
            12 + HASH_LEN + (uint64_t)MAX_RECORDS * RECORD_LEN) {
        close(fd);
        return BW_EMALFORMED;
    }
    uint8_t *buf = malloc((size_t)st.st_size);
    size_t got = 0;
    while (buf != NULL && got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (buf == NULL || got != (size_t)st.st_size) {
        free(buf);
        return BW_EIO;
    }
    *data = buf;
    *len = got;
    return 0;
}

int bw_dtls__persist_load(bw_dtls_server_t *srv)
{
    if (srv->state_file == NULL)
        return 0;
    uint8_t *data;
    size_t len;
    int err = read_file(srv->state_file, &data, &len);
    if (err == BW_ENOTFOUND)
        return 0;
    uint32_t count = 0;
    if (err == 0) {
        count = (uint32_t)data[8] | (uint32_t)data[9] << 8 |
                (uint32_t)data[10] << 16 | (uint32_t)data[11] << 24;
        uint8_t digest[HASH_LEN];
        unsigned dlen;
        if (memcmp(data, MAGIC, 8) != 0 || count > MAX_RECORDS ||
            len != 12 + (size_t)count * RECORD_LEN + HASH_LEN ||
            EVP_Digest(data, len - HASH_LEN, digest, &dlen, EVP_sha256(),
                       NULL) != 1 ||
            CRYPTO_memcmp(digest, data + len - HASH_LEN, HASH_LEN) != 0)
            err = BW_EMALFORMED;
    }
    if (err == 0)
        err = bw_dtls__table_init(&srv->pool.table);
    uint32_t loaded = 0;
    if (err == 0) {
        srv->pool.loaded = 1;
        for (uint32_t i = 0; i < count; i++) {
            bw_dtls_session_t tmp;
            if (decode(data + 12 + (size_t)i * RECORD_LEN, &tmp) != 0)
                continue;
            bw_dtls_session_t *s =
                bw_dtls__table_add(&srv->pool.table, &tmp.peer);
            if (s == NULL) {
                err = BW_ENOMEM;
                break;
            }
            *s = tmp;
            OPENSSL_cleanse(&tmp, sizeof tmp);
            loaded++;
        }
    }
    if (data != NULL) {
        OPENSSL_cleanse(data, len);
        free(data);
    }
    if (err == BW_EIO || err == BW_ENOMEM) {
        /* Cannot read it (permissions, a directory, out of memory): the
         * operator must look; the file stays as it is. */
        bw_dtls__log_srv(srv, BW_DTLS_LOG_ERROR, "%s: %s", srv->state_file,
                         bw_strerror(err));
        if (srv->pool.loaded)
            bw_dtls__table_free(&srv->pool.table);
        srv->pool.loaded = 0;
        return err;
    }
    if (err != 0) {
        /* Read but damaged: start without sessions (devices handshake
         * again) and keep the file aside for a post-mortem. */
        size_t plen = strlen(srv->state_file);
        char *bad = malloc(plen + 5);
        if (bad != NULL) {
            memcpy(bad, srv->state_file, plen);
            memcpy(bad + plen, ".bad", 5);
            (void)rename(srv->state_file, bad);
            free(bad);
        }
        bw_dtls__log_srv(srv, BW_DTLS_LOG_WARN,
                         "%s: %s; starting without saved sessions (file "
                         "kept as .bad)",
                         srv->state_file, bw_strerror(err));
        if (srv->pool.loaded)
            bw_dtls__table_free(&srv->pool.table);
        srv->pool.loaded = 0;
        return 0;
    }
    /* Used once: gone before the first record is sealed. */
    if (unlink(srv->state_file) == 0)
        fsync_dir(srv->state_file);
    srv->pool.active = loaded > 0;
    bw_dtls__log_srv(srv, BW_DTLS_LOG_INFO, "restored %u sessions from %s",
                     loaded, srv->state_file);
    return 0;
}

bw_dtls_session_t *bw_dtls__persist_claim(bw_dtls_worker_t *w,
                                          const bw_dtls_addr_t *a)
{
    bw_dtls_pool_t *pool = &w->srv->pool;
    if (!__atomic_load_n(&pool->active, __ATOMIC_ACQUIRE))
        return NULL;
    bw_dtls_session_t *s = NULL;
    pthread_mutex_lock(&pool->lock);
    bw_dtls_session_t *saved = bw_dtls__table_find(&pool->table, a);
    if (saved != NULL) {
        s = bw_dtls__table_add(&w->table, a);
        if (s != NULL) {
            *s = *saved;
            s->last_rx_s = w->now_s;
            bw_dtls__table_del(&pool->table, saved);
            BW_DTLS_STAT(w, restored);
        }
    }
    if (pool->table.count == 0)
        __atomic_store_n(&pool->active, 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&pool->lock);
    return s;
}
