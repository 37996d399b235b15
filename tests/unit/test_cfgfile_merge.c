/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cfgfile: --config FILE read and merged into the command line
 * (cfgfile.h), on real files in a fresh temporary directory.
 *
 * Each test writes a file, merges a command line with a small option
 * table shaped like the programs' (flags, options with a value, one with
 * an optional value, a repeatable one, "config"), and checks the merged
 * vector, or the exact error code and the "FILE:LINE: ..." text.  The
 * merged vector is then read with getopt_long as the programs do, to
 * show that the command line, coming after the file, wins.
 */
#define _GNU_SOURCE /* mkdtemp, mkfifo, chown, getopt_long */
#include "testutil.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgfile.h"

enum { O_PORT = 256, O_STATE, O_KEY, O_COLOR, O_CONFIG, O_FLAG };

static const struct option opts[] = {
    {"port", required_argument, NULL, O_PORT},
    {"state", required_argument, NULL, O_STATE},
    {"image-key", required_argument, NULL, O_KEY},
    {"color", optional_argument, NULL, O_COLOR},
    {"exit-after-register", no_argument, NULL, O_FLAG},
    {"config", required_argument, NULL, O_CONFIG},
    {"verbose", no_argument, NULL, 'v'},
    {NULL, 0, NULL, 0},
};

static const bw_cfgfile_spec_t spec = {.shortopts = "v", .opts = opts};

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/bw-cfgfile-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* dir/name with the given text and mode; returns the path (static). */
static const char *file(const char *name, const char *text, size_t len,
                        mode_t mode)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}
#define FILE_OF(name, text) file((name), (text), sizeof(text) - 1, 0600)

/* Merge a NULL-terminated command line; the code, *m and why out. */
static int merge(char **cl, bw_cfgfile_argv_t *m, char *why, size_t cap)
{
    int argc = 0;
    while (cl[argc] != NULL)
        argc++;
    return bw_cfgfile_merge(argc, cl, &spec, m, why, cap);
}

static void expect_argv(const bw_cfgfile_argv_t *m, const char *const *want)
{
    int n = 0;
    while (want[n] != NULL)
        n++;
    assert_int_equal(m->argc, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(m->argv[i], want[i]);
    assert_null(m->argv[n]);
}

/* The file's settings come first, as options, in file order; flags set to
 * true become the bare option, false ones vanish; an optional value is
 * joined with '='; the command line follows unchanged. */
static void test_merge_order(void **state)
{
    (void)state;
    const char *p = FILE_OF("a.conf", "# test\n"
                                      "port = 5684\n"
                                      "verbose = true\n"
                                      "exit-after-register = false\n"
                                      "image-key = a.pem\n"
                                      "image-key = \" b.pem\"\n"
                                      "color = red\n"
                                      "color =\n");
    char path[128];
    snprintf(path, sizeof path, "%s", p);
    char *cl[] = {"prog", "--config", path, "--port", "1", NULL};
    bw_cfgfile_argv_t m;
    char why[256];
    assert_int_equal(merge(cl, &m, why, sizeof why), 0);
    const char *want[] = {"prog",        "--port",  "5684",        "--verbose",
                          "--image-key", "a.pem",   "--image-key", " b.pem",
                          "--color=red", "--color", "--config",    path,
                          "--port",      "1",       NULL};
    expect_argv(&m, want);
    assert_string_equal(m.path, path);
    assert_int_equal(m.settings, 6);

    /* The program's loop over the merged vector: the command line's port
     * wins, both image keys are seen, --config is seen and ignored. */
    const char *port = NULL;
    int keys = 0, verbose = 0, c;
    while ((c = getopt_long(m.argc, m.argv, "v", opts, NULL)) != -1) {
        if (c == O_PORT)
            port = optarg;
        else if (c == O_KEY)
            keys++;
        else if (c == 'v')
            verbose = 1;
        else
            assert_true(c == O_COLOR || c == O_CONFIG);
    }
    assert_string_equal(port, "1");
    assert_int_equal(keys, 2);
    assert_int_equal(verbose, 1);
    bw_cfgfile_free(&m);
    assert_null(m.argv);
}

/* --config=FILE and an abbreviation getopt accepts (--conf) are found;
 * a "--config" that is another option's argument is not. */
static void test_finding_config(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s", FILE_OF("b.conf", "port = 7\n"));
    char eq[160];
    snprintf(eq, sizeof eq, "--config=%s", path);
    bw_cfgfile_argv_t m;
    char why[256];

    char *cl1[] = {"prog", eq, NULL};
    assert_int_equal(merge(cl1, &m, why, sizeof why), 0);
    const char *want1[] = {"prog", "--port", "7", eq, NULL};
    expect_argv(&m, want1);
    bw_cfgfile_free(&m);

    char *cl2[] = {"prog", "-v", "--conf", path, NULL};
    assert_int_equal(merge(cl2, &m, why, sizeof why), 0);
    assert_int_equal(m.argc, 6);
    assert_string_equal(m.argv[1], "--port");
    bw_cfgfile_free(&m);

    /* --state takes "--config" as its value: no file is read. */
    char *cl3[] = {"prog", "--state", "--config", "x", NULL};
    assert_int_equal(merge(cl3, &m, why, sizeof why), 0);
    const char *want3[] = {"prog", "--state", "--config", "x", NULL};
    expect_argv(&m, want3);
    assert_null(m.path);
    bw_cfgfile_free(&m);

    /* After "--" nothing is an option. */
    char *cl4[] = {"prog", "--", "--config", path, NULL};
    assert_int_equal(merge(cl4, &m, why, sizeof why), 0);
    assert_null(m.path);
    assert_int_equal(m.argc, 4);
    bw_cfgfile_free(&m);
}

/* Without --config the vector is the command line; twice is refused. */
static void test_no_config_and_twice(void **state)
{
    (void)state;
    bw_cfgfile_argv_t m;
    char why[256];
    char *cl[] = {"prog", "--port", "3", "extra", NULL};
    assert_int_equal(merge(cl, &m, why, sizeof why), 0);
    const char *want[] = {"prog", "--port", "3", "extra", NULL};
    expect_argv(&m, want);
    bw_cfgfile_free(&m);

    char path[128];
    snprintf(path, sizeof path, "%s", FILE_OF("c.conf", "port = 7\n"));
    char *cl2[] = {"prog", "--config", path, "--config", path, NULL};
    bw_assert_err(merge(cl2, &m, why, sizeof why), BW_EDUPKEY);
    assert_null(m.argv);
    assert_non_null(strstr(why, "more than once"));
}

/* A setting error names the file and line: an unknown name, "config"
 * (no nesting), a flag with another value than true/false, an empty
 * value for an option that needs one, a syntax error of the parser. */
static void test_setting_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int code;
        const char *says;
    } cases[] = {
        {"port = 1\n\nendpont = x\n", BW_ENOTFOUND,
         ":3: unknown setting \"endpont\""},
        {"por = 1\n", BW_ENOTFOUND, ":1: unknown setting \"por\""},
        {"port = 1\nconfig = other.conf\n", BW_EUNSUPPORTED,
         ":2: \"config\" cannot be set"},
        {"verbose = yes\n", BW_ETYPE, ":1: \"verbose\" is a flag"},
        {"# x\nstate =\n", BW_ETYPE, ":2: \"state\" needs a value"},
        {"port = 1\nport\n", BW_EMALFORMED, ":2: expected \"name = value\""},
        {"port = \"1\n", BW_ETRUNC, ":1: quoted value without"},
        {"port = \"1\" 2\n", BW_ETRAILING, ":1: text after the closing"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s",
                 file("e.conf", cases[i].text, strlen(cases[i].text), 0600));
        char *cl[] = {"prog", "--config", path, NULL};
        bw_cfgfile_argv_t m;
        char why[256];
        bw_assert_err(merge(cl, &m, why, sizeof why), cases[i].code);
        assert_null(m.argv);
        char want[256];
        snprintf(want, sizeof want, "%s%s", path, cases[i].says);
        assert_memory_equal(why, want, strlen(want));
    }
}

/* Names only in the skip table are dropped; names in neither are still
 * unknown; "file" narrows what the file may set. */
static void test_skip_table(void **state)
{
    (void)state;
    static const struct option narrow[] = {
        {"state", required_argument, NULL, O_STATE},
        {NULL, 0, NULL, 0},
    };
    const bw_cfgfile_spec_t sub = {
        .shortopts = "v", .opts = opts, .file = narrow, .skip = opts};
    char path[128];
    snprintf(path, sizeof path, "%s",
             FILE_OF("s.conf", "port = 1\nstate = /s\nverbose = true\n"));
    char *cl[] = {"prog", "--config", path, NULL};
    bw_cfgfile_argv_t m;
    char why[256];
    assert_int_equal(bw_cfgfile_merge(3, cl, &sub, &m, why, sizeof why), 0);
    const char *want[] = {"prog", "--state", "/s", "--config", path, NULL};
    expect_argv(&m, want);
    bw_cfgfile_free(&m);

    snprintf(path, sizeof path, "%s", FILE_OF("s2.conf", "other = 1\n"));
    bw_assert_err(bw_cfgfile_merge(3, cl, &sub, &m, why, sizeof why),
                  BW_ENOTFOUND);
}

/* The file itself: group- or world-writable, not a regular file (a
 * directory, a FIFO: refused without blocking), missing, one byte over
 * the size limit.  At the limit it is read. */
static void test_file_checks(void **state)
{
    (void)state;
    char path[128];
    bw_cfgfile_argv_t m;
    char why[256];
    char *cl[] = {"prog", "--config", path, NULL};

    snprintf(path, sizeof path, "%s", file("g.conf", "port = 1\n", 9, 0620));
    bw_assert_err(merge(cl, &m, why, sizeof why), BW_EPERM);
    assert_non_null(strstr(why, "writable by group or others (mode 0620"));
    snprintf(path, sizeof path, "%s", file("o.conf", "port = 1\n", 9, 0602));
    bw_assert_err(merge(cl, &m, why, sizeof why), BW_EPERM);
    snprintf(path, sizeof path, "%s", file("r.conf", "port = 1\n", 9, 0644));
    assert_int_equal(merge(cl, &m, why, sizeof why), 0);
    bw_cfgfile_free(&m);

    snprintf(path, sizeof path, "%s", dir);
    bw_assert_err(merge(cl, &m, why, sizeof why), BW_ETYPE);
    snprintf(path, sizeof path, "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    bw_assert_err(merge(cl, &m, why, sizeof why), BW_ETYPE);
    snprintf(path, sizeof path, "%s/missing.conf", dir);
    bw_assert_err(merge(cl, &m, why, sizeof why), BW_ENOTFOUND);

    char *big = malloc(BW_CONFIG_TEXT_MAX + 1);
    assert_non_null(big);
    memset(big, '#', BW_CONFIG_TEXT_MAX + 1);
    for (size_t i = 99; i < BW_CONFIG_TEXT_MAX + 1; i += 100)
        big[i] = '\n';
    memcpy(big, "port = 9\n", 9);
    snprintf(path, sizeof path, "%s",
             file("big.conf", big, BW_CONFIG_TEXT_MAX, 0600));
    assert_int_equal(merge(cl, &m, why, sizeof why), 0);
    assert_string_equal(m.argv[2], "9");
    bw_cfgfile_free(&m);
    snprintf(path, sizeof path, "%s",
             file("big.conf", big, BW_CONFIG_TEXT_MAX + 1, 0600));
    bw_assert_err(merge(cl, &m, why, sizeof why), BW_EOVERFLOW);
    free(big);
}

/* The owner and mode rules on any owner, without root: files of the
 * running user and of root pass; another user's is refused naming both
 * uids; group- or world-writable, a directory, an oversized file are
 * refused with their codes. */
static void test_stat_rules(void **state)
{
    (void)state;
    struct stat st;
    memset(&st, 0, sizeof st);
    st.st_mode = S_IFREG | 0600;
    st.st_size = 10;
    char why[256];
    st.st_uid = 1234;
    bw_assert_err(bw_cfgfile_check_stat("f", &st, 1234, why, sizeof why), 0);
    st.st_uid = 0;
    bw_assert_err(bw_cfgfile_check_stat("f", &st, 1234, why, sizeof why), 0);
    st.st_uid = 4321;
    bw_assert_err(bw_cfgfile_check_stat("f", &st, 1234, why, sizeof why),
                  BW_EPERM);
    assert_non_null(strstr(why, "owned by uid 4321, not by uid 1234"));
    st.st_uid = 1234;
    st.st_mode = S_IFREG | 0620;
    bw_assert_err(bw_cfgfile_check_stat("f", &st, 1234, why, sizeof why),
                  BW_EPERM);
    assert_non_null(strstr(why, "writable by group or others"));
    st.st_mode = S_IFREG | 0602;
    bw_assert_err(bw_cfgfile_check_stat("f", &st, 1234, why, sizeof why),
                  BW_EPERM);
    st.st_mode = S_IFDIR | 0700;
    bw_assert_err(bw_cfgfile_check_stat("f", &st, 1234, why, sizeof why),
                  BW_ETYPE);
    st.st_mode = S_IFREG | 0600;
    st.st_size = (off_t)BW_CONFIG_TEXT_MAX + 1;
    bw_assert_err(bw_cfgfile_check_stat("f", &st, 1234, why, sizeof why),
                  BW_EOVERFLOW);
}

/* A file owned by another user (neither the one running nor root) is
 * refused through the whole merge.  Making one needs root (chown), so
 * without root the file is made by us and checked against another uid
 * through the same rules (test_stat_rules). */
static void test_foreign_owner(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        struct stat st;
        char why[256];
        char path[128];
        snprintf(path, sizeof path, "%s", FILE_OF("u.conf", "port = 1\n"));
        assert_int_equal(stat(path, &st), 0);
        bw_assert_err(
            bw_cfgfile_check_stat(path, &st, geteuid() + 1, why, sizeof why),
            BW_EPERM);
        assert_non_null(strstr(why, "owned by uid"));
        return;
    }
    char path[128];
    snprintf(path, sizeof path, "%s", FILE_OF("u.conf", "port = 1\n"));
    assert_int_equal(chown(path, 65534, 65534), 0);
    char *cl[] = {"prog", "--config", path, NULL};
    bw_cfgfile_argv_t m;
    char why[256];
    bw_assert_err(merge(cl, &m, why, sizeof why), BW_EPERM);
    assert_non_null(strstr(why, "owned by uid 65534"));
    /* Owned by root (the user running here): accepted. */
    assert_int_equal(chown(path, 0, 0), 0);
    assert_int_equal(merge(cl, &m, why, sizeof why), 0);
    bw_cfgfile_free(&m);
}

/* Misuse: no argv, no spec, no table, no output. */
static void test_invalid_arguments(void **state)
{
    (void)state;
    char *cl[] = {"prog", NULL};
    bw_cfgfile_argv_t m;
    const bw_cfgfile_spec_t empty = {0};
    bw_assert_err(bw_cfgfile_merge(0, cl, &spec, &m, NULL, 0), BW_EINVAL);
    bw_assert_err(bw_cfgfile_merge(1, NULL, &spec, &m, NULL, 0), BW_EINVAL);
    bw_assert_err(bw_cfgfile_merge(1, cl, NULL, &m, NULL, 0), BW_EINVAL);
    bw_assert_err(bw_cfgfile_merge(1, cl, &empty, &m, NULL, 0), BW_EINVAL);
    bw_assert_err(bw_cfgfile_merge(1, cl, &spec, NULL, NULL, 0), BW_EINVAL);
    bw_cfgfile_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_order),
        cmocka_unit_test(test_finding_config),
        cmocka_unit_test(test_no_config_and_twice),
        cmocka_unit_test(test_setting_errors),
        cmocka_unit_test(test_skip_table),
        cmocka_unit_test(test_file_checks),
        cmocka_unit_test(test_stat_rules),
        cmocka_unit_test(test_foreign_owner),
        cmocka_unit_test(test_invalid_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
