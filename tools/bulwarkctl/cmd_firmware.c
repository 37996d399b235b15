/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The firmware repository: upload a signed image (the server verifies
 * it, docs/fota.md), list the images, show one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

static const char firmware_help[] =
    "usage: " CTL_NAME " firmware upload FILE\n"
    "       " CTL_NAME " firmware list\n"
    "       " CTL_NAME " firmware show ID\n"
    "\n"
    "upload  send a signed image (made by bulwark-image sign --model M) to\n"
    "        the repository; the server checks its signature against the\n"
    "        fleet's image keys, its model and its security counter, and\n"
    "        answers with its id (the first 8 bytes of its SHA-256, in hex)\n"
    "list    the images in the repository\n"
    "show    one image: model, version, counter, size, hashes, URI\n";

static const char *const fw_fields[] = {
    "id",     "model",    "version", "security_counter", "size",
    "sha256", "key_hash", "uri",     "uploaded_at",      NULL};

/* The whole file, at most CTL_UPLOAD_MAX bytes, into *buf (malloc'd). */
static int read_image(const char *path, char **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return ctl_fail(CTL_API, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode) || st.st_size <= 0 ||
        (unsigned long long)st.st_size > CTL_UPLOAD_MAX) {
        close(fd);
        return ctl_fail(CTL_API,
                        "%s: not an image file of 1 byte to %u bytes (the "
                        "server's limit)",
                        path, CTL_UPLOAD_MAX);
    }
    size_t n = (size_t)st.st_size, got = 0;
    char *b = malloc(n);
    if (b == NULL) {
        close(fd);
        return ctl_fail(CTL_API, "out of memory");
    }
    while (got < n) {
        ssize_t k = read(fd, b + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            int e = k < 0 ? errno : EIO;
            close(fd);
            free(b);
            return ctl_fail(CTL_API, "%s: %s", path,
                            k < 0 ? strerror(e) : "shorter than its size");
        }
        got += (size_t)k;
    }
    close(fd);
    *buf = b;
    *len = n;
    return CTL_OK;
}

static int fw_upload(ctl_t *c, const char *file)
{
    char *img = NULL;
    size_t n = 0;
    int rc = read_image(file, &img, &n);
    if (rc != CTL_OK)
        return rc;
    ctl_answer_t a;
    rc = ctl_call(c, "POST", "/firmware", 1, "application/octet-stream", img, n,
                  &a);
    free(img);
    if (rc == CTL_OK && c->json)
        ctl_print_raw(&a);
    else if (rc == CTL_OK)
        ctl_print_fields(a.body, fw_fields);
    ctl_answer_free(&a);
    return rc;
}

static int fw_list(ctl_t *c)
{
    ctl_answer_t a;
    int rc = ctl_call(c, "GET", "/firmware", 1, NULL, NULL, 0, &a);
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        static const char *const heads[] = {
            "ID", "MODEL", "VERSION", "COUNTER", "SIZE", "UPLOADED", NULL};
        static const char *const keys[] = {"id",      "model",
                                           "version", "security_counter",
                                           "size",    "uploaded_at"};
        const json_t *items = json_object_get(a.body, "items");
        if (!json_is_array(items)) {
            ctl_answer_free(&a);
            return ctl_fail(CTL_API, "the answer has no item list");
        }
        ctl_print_items(items, heads, keys, NULL);
    }
    ctl_answer_free(&a);
    return rc;
}

static int fw_show(ctl_t *c, const char *id)
{
    char e[3 * 64 + 1], path[CTL_PATH_MAX];
    if (ctl_escape(id, e, sizeof e) != 0 ||
        ctl_path(path, sizeof path, "/firmware/%s", e) != 0)
        return CTL_USAGE;
    ctl_answer_t a;
    int rc = ctl_call(c, "GET", path, 1, NULL, NULL, 0, &a);
    if (rc == CTL_OK && c->json)
        ctl_print_raw(&a);
    else if (rc == CTL_OK)
        ctl_print_fields(a.body, fw_fields);
    ctl_answer_free(&a);
    return rc;
}

int cmd_firmware(ctl_t *c, int argc, char **argv)
{
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", NULL)) != -1) {
        if (v == 'h') {
            fputs(firmware_help, stdout);
            return CTL_OK;
        }
        return CTL_USAGE;
    }
    int n = argc - optind;
    const char *sub = n > 0 ? argv[optind] : "";
    if (strcmp(sub, "upload") == 0 && n == 2)
        return fw_upload(c, argv[optind + 1]);
    if (strcmp(sub, "list") == 0 && n == 1)
        return fw_list(c);
    if (strcmp(sub, "show") == 0 && n == 2)
        return fw_show(c, argv[optind + 1]);
    if (n == 0)
        return ctl_usage(argv[0], "wants upload FILE, list or show ID");
    if (strcmp(sub, "upload") == 0 || strcmp(sub, "show") == 0 ||
        strcmp(sub, "list") == 0)
        return ctl_usage(argv[0], "%s: wrong number of arguments", sub);
    return ctl_usage(argv[0], "unknown subcommand '%s'", sub);
}
