/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The application the bulwark-boot end-to-end tests sign into images.
 *
 * One program serves as every version: the test appends a tag line
 * "\nBWAPP-TAG:<tag>\n" to the executable before signing it (the kernel
 * ignores bytes after the ELF's segments), and the program reads its own
 * executable back through /proc/self/exe to learn which tag it is.  So the
 * log shows which bytes bulwark-boot really executed, not merely what the
 * header claimed.
 *
 * Each run, with BW_TESTAPP_DIR=DIR:
 *   - appends "<tag> version=V confirmed=C boot=N" to DIR/log and creates
 *     DIR/ran-<tag> (the marker a test checks to prove nothing ran);
 *   - takes the first line of DIR/plan (removing it) and performs its
 *     words in order:
 *       confirm              bulwark-bootctl confirm
 *       install FILE         bulwark-bootctl install FILE
 *       install-perm FILE    bulwark-bootctl install FILE --permanent
 *       reboot               exit with BW_BOOT_REBOOT_CODE
 *       exit N               exit with N
 *     appending "bootctl <command> rc=<exit code>" to DIR/log for each
 *     bulwark-bootctl run;
 *   - exits 0 when the line (or the plan) runs out.
 * bulwark-bootctl is $BW_BOOTCTL, else found in PATH.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TAG_MARK "BWAPP-TAG:"

/* The tag line is at the very end; 128 bytes is plenty to find it. */
#define TAG_WINDOW 128

static char dir[1024];

static void own_tag(char *tag, size_t cap)
{
    char buf[TAG_WINDOW + 1];
    snprintf(tag, cap, "untagged");
    int fd = open("/proc/self/exe", O_RDONLY);
    if (fd < 0)
        return;
    off_t end = lseek(fd, 0, SEEK_END);
    off_t start = end > TAG_WINDOW ? end - TAG_WINDOW : 0;
    ssize_t n = pread(fd, buf, (size_t)(end - start), start);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    /* The window may start inside binary data holding NUL bytes. */
    for (ssize_t i = n - 1; i >= 0; i--) {
        if (strncmp(buf + i, TAG_MARK, strlen(TAG_MARK)) == 0) {
            char *t = buf + i + strlen(TAG_MARK);
            t[strcspn(t, "\n")] = '\0';
            snprintf(tag, cap, "%s", t);
            return;
        }
    }
}

static void log_line(const char *text)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/log", dir);
    FILE *f = fopen(path, "a");
    if (f == NULL)
        exit(3);
    fprintf(f, "%s\n", text);
    fclose(f);
}

/* Remove and return the first line of DIR/plan ("" when none). */
static void pop_plan(char *line, size_t cap)
{
    char path[1100], tmp[1100], rest[8192];
    line[0] = '\0';
    snprintf(path, sizeof path, "%s/plan", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    if (fgets(line, (int)cap, f) == NULL)
        line[0] = '\0';
    size_t n = fread(rest, 1, sizeof rest, f);
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    snprintf(tmp, sizeof tmp, "%s/plan.tmp", dir);
    f = fopen(tmp, "w");
    if (f == NULL || fwrite(rest, 1, n, f) != n || fclose(f) != 0 ||
        rename(tmp, path) != 0)
        exit(3);
}

static int bootctl(const char *cmd, const char *file, int permanent)
{
    const char *prog = getenv("BW_BOOTCTL");
    if (prog == NULL)
        prog = "bulwark-bootctl";
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (file == NULL)
            execlp(prog, prog, cmd, (char *)NULL);
        else if (permanent)
            execlp(prog, prog, cmd, file, "--permanent", (char *)NULL);
        else
            execlp(prog, prog, cmd, file, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return 126;
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    char text[128];
    snprintf(text, sizeof text, "bootctl %s%s rc=%d", cmd,
             permanent ? " --permanent" : "", rc);
    log_line(text);
    return rc;
}

int main(int argc, char **argv)
{
    char tag[64], line[1024];
    const char *d = getenv("BW_TESTAPP_DIR");
    if (d == NULL || strlen(d) >= sizeof dir) {
        fprintf(stderr, "testapp: BW_TESTAPP_DIR not set\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%s", d);
    own_tag(tag, sizeof tag);
    const char *ver = getenv("BW_BOOT_VERSION");
    const char *conf = getenv("BW_BOOT_CONFIRMED");
    const char *count = getenv("BW_BOOT_COUNT");
    char info[256];
    snprintf(info, sizeof info, "%s version=%s confirmed=%s boot=%s argc=%d",
             tag, ver ? ver : "?", conf ? conf : "?", count ? count : "?",
             argc);
    log_line(info);
    printf("testapp %s running (%s)\n", tag, ver ? ver : "?");
    char marker[1200];
    snprintf(marker, sizeof marker, "%s/ran-%s", dir, tag);
    FILE *m = fopen(marker, "w");
    if (m != NULL)
        fclose(m);
    (void)argv;
    pop_plan(line, sizeof line);
    for (char *w = strtok(line, " \t"); w != NULL; w = strtok(NULL, " \t")) {
        if (strcmp(w, "confirm") == 0) {
            bootctl("confirm", NULL, 0);
        } else if (strcmp(w, "install") == 0 ||
                   strcmp(w, "install-perm") == 0) {
            const char *file = strtok(NULL, " \t");
            if (file == NULL)
                return 2;
            bootctl("install", file, w[7] == '-');
        } else if (strcmp(w, "reboot") == 0) {
            const char *code = getenv("BW_BOOT_REBOOT_CODE");
            return code != NULL ? atoi(code) : 75;
        } else if (strcmp(w, "exit") == 0) {
            const char *code = strtok(NULL, " \t");
            return code != NULL ? atoi(code) : 0;
        } else {
            fprintf(stderr, "testapp: unknown plan word %s\n", w);
            return 2;
        }
    }
    return 0;
}
