/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealed-memfd loading and execution of the verified image; see
 * posix_exec.h for why the order is copy, seal, hash, execute.
 */
#include "posix_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bulwark/crypto.h"
#include "posix_err.h"

extern char **environ;

#define ALL_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static int make_memfd(void)
{
    unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
#ifdef MFD_EXEC
    /* Kernels with vm.memfd_noexec want executability asked for. */
    int fd = memfd_create("bulwark-app", flags | MFD_EXEC);
    if (fd >= 0 || errno != EINVAL)
        return fd;
#endif
    return memfd_create("bulwark-app", flags);
}

/* Hash len bytes of the image at off (relative to the image) from flash. */
static int hash_flash(bw_hash_ctx_t *h, const bw_flash_area_t *img,
                      uint32_t off, uint32_t len, uint8_t *buf)
{
    while (len > 0) {
        uint32_t n = len < BW_POSIX_EXEC_CHUNK ? len : BW_POSIX_EXEC_CHUNK;
        if (bw_flash_read(img, off, buf, n) != 0 ||
            bw_sha256_update(h, buf, n) != 0)
            return -1;
        off += n;
        len -= n;
    }
    return 0;
}

/* Copy the payload from flash into fd. */
static int copy_payload(int fd, const bw_flash_area_t *img, uint32_t off,
                        uint32_t len, uint8_t *buf)
{
    while (len > 0) {
        uint32_t n = len < BW_POSIX_EXEC_CHUNK ? len : BW_POSIX_EXEC_CHUNK;
        if (bw_flash_read(img, off, buf, n) != 0)
            return -1;
        for (uint32_t done = 0; done < n;) {
            ssize_t w = write(fd, buf + done, n - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return -1;
            done += (uint32_t)w;
        }
        off += n;
        len -= n;
    }
    return 0;
}

/* Hash the sealed payload back out of fd. */
static int hash_memfd(bw_hash_ctx_t *h, int fd, uint32_t len, uint8_t *buf)
{
    off_t pos = 0;
    while (len > 0) {
        uint32_t want = len < BW_POSIX_EXEC_CHUNK ? len : BW_POSIX_EXEC_CHUNK;
        ssize_t n = pread(fd, buf, want, pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || bw_sha256_update(h, buf, (size_t)n) != 0)
            return -1;
        pos += n;
        len -= (uint32_t)n;
    }
    return 0;
}

int bw_posix_exec_load(const bw_flash_t *dev, const bw_boot_result_t *res,
                       char *err, size_t cap)
{
    uint8_t buf[BW_POSIX_EXEC_CHUNK];
    uint8_t digest[BW_SHA256_LEN];
    bw_hash_ctx_t h;
    memset(&h, 0, sizeof h); /* abort below is safe on a zeroed ctx */
    if (bw_boot_go(res) != BW_BOOT_GO || !res->image.has_hash)
        return bw_posix_errf(err, cap, "no verified image to load");
    const bw_image_info_t *info = &res->image;
    const bw_flash_area_t img = {dev, res->flash_off, res->max_size};
    uint32_t hdr = info->hdr.hdr_size, size = info->hdr.img_size;
    int fd = make_memfd();
    if (fd < 0)
        return bw_posix_errf(err, cap, "memfd_create: %s", strerror(errno));
    if (copy_payload(fd, &img, hdr, size, buf) != 0) {
        close(fd);
        return bw_posix_errf(err, cap, "copying the image out of flash failed");
    }
    /* Seal first, then hash: what is hashed can no longer change. */
    if (fcntl(fd, F_ADD_SEALS, ALL_SEALS) != 0 ||
        (fcntl(fd, F_GET_SEALS) & ALL_SEALS) != ALL_SEALS) {
        close(fd);
        return bw_posix_errf(err, cap, "sealing the image: %s",
                             strerror(errno));
    }
    struct stat st;
    int bad = fstat(fd, &st) != 0 || (uint64_t)st.st_size != size;
    bad = bad || bw_sha256_init(&h) != 0;
    bad = bad || hash_flash(&h, &img, 0, hdr, buf) != 0;
    bad = bad || hash_memfd(&h, fd, size, buf) != 0;
    bad = bad ||
          hash_flash(&h, &img, info->layout.prot_off,
                     info->layout.tlv_off - info->layout.prot_off, buf) != 0;
    bad = bad || bw_sha256_finish(&h, digest) != 0;
    if (bad) {
        bw_hash_abort(&h);
        close(fd);
        return bw_posix_errf(err, cap, "re-reading the sealed image failed");
    }
    if (!bw_ct_equal(digest, info->hash, sizeof digest)) {
        close(fd);
        return bw_posix_errf(
            err, cap,
            "the image changed after verification (digest of the "
            "sealed copy differs)");
    }
    return fd;
}

/* The running application, for the signal handler. */
static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

int bw_posix_exec_run(int fd, char *const argv[], char *err, size_t cap)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    struct sigaction sa, old[3];
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sigemptyset(&sa.sa_mask);
    fflush(NULL);
    /* Handlers first (they do nothing until child_pid is set); exec
     * resets them to the default in the child. */
    for (size_t i = 0; i < 3; i++)
        sigaction(sigs[i], &sa, &old[i]);
    pid_t pid = fork();
    if (pid == 0) {
        fexecve(fd, argv, environ);
        fprintf(stderr, "bulwark-boot: fexecve: %s\n", strerror(errno));
        _exit(127);
    }
    int status = 0;
    pid_t w = -1;
    if (pid < 0) {
        int e = errno;
        for (size_t i = 0; i < 3; i++)
            sigaction(sigs[i], &old[i], NULL);
        return bw_posix_errf(err, cap, "fork: %s", strerror(e));
    }
    child_pid = pid;
    do {
        w = waitpid(pid, &status, 0);
    } while (w < 0 && errno == EINTR);
    for (size_t i = 0; i < 3; i++)
        sigaction(sigs[i], &old[i], NULL);
    child_pid = 0;
    if (w < 0)
        return bw_posix_errf(err, cap, "waitpid: %s", strerror(errno));
    return status;
}
