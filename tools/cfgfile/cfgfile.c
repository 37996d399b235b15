/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --config FILE: read the file, check it, merge its settings into the
 * command line (cfgfile.h).
 *
 * Three steps.  (1) getopt_long runs once over a copy of the command line
 * with the program's own table, only to find --config: the same rules
 * (abbreviations, "--", option arguments that look like options) as the
 * program's loop, so "--fw-version --config" is a version string, not a
 * file.  (2) The file is opened once; every check (type, owner, mode,
 * size) is made with fstat on that descriptor, then the same descriptor
 * is read, so the file cannot be swapped between check and use.  (3) The
 * text is parsed twice by bw_config_parse: the first pass checks every
 * setting and counts the arguments and bytes it needs, the second fills
 * one allocation of that size.  Nothing is half-built on an error.
 */
#include "cfgfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((format(printf, 3, 4))) static void say(char *why, size_t cap,
                                                      const char *fmt, ...)
{
    if (why == NULL || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
}

/* Step 1: the value of --config, or NULL. */
static int find_config(int argc, char **argv, const char *shortopts,
                       const struct option *opts, const char **path, char *why,
                       size_t cap)
{
    char **copy = malloc(((size_t)argc + 1) * sizeof *copy);
    if (copy == NULL) {
        say(why, cap, "out of memory");
        return BW_ENOMEM;
    }
    memcpy(copy, argv, (size_t)argc * sizeof *copy);
    copy[argc] = NULL;
    int saved = opterr, err = 0, c;
    opterr = 0; /* the program's own loop reports bad options */
    optind = 0; /* 0: glibc starts afresh, whatever ran before */
    *path = NULL;
    for (;;) {
        int idx = -1;
        c = getopt_long(argc, copy, shortopts != NULL ? shortopts : "", opts,
                        &idx);
        if (c == -1)
            break;
        if (c == '?' || c == ':' || idx < 0 ||
            strcmp(opts[idx].name, "config") != 0)
            continue;
        if (*path != NULL) {
            say(why, cap, "--config given more than once");
            err = BW_EDUPKEY;
            break;
        }
        *path = optarg;
    }
    opterr = saved;
    optind = 0;
    free(copy);
    return err;
}

int bw_cfgfile_check_stat(const char *path, const struct stat *st, uid_t me,
                          char *why, size_t cap)
{
    if (!S_ISREG(st->st_mode)) {
        say(why, cap, "%s: not a regular file", path);
        return BW_ETYPE;
    }
    if (st->st_uid != me && st->st_uid != 0) {
        /* It may name key files: only its owner or root may decide. */
        say(why, cap,
            "%s: owned by uid %u, not by uid %u (who runs this) or root", path,
            (unsigned)st->st_uid, (unsigned)me);
        return BW_EPERM;
    }
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        say(why, cap,
            "%s: writable by group or others (mode %04o; chmod go-w it)", path,
            (unsigned)(st->st_mode & 07777));
        return BW_EPERM;
    }
    if (st->st_size > (off_t)BW_CONFIG_TEXT_MAX) {
        say(why, cap, "%s: larger than %u bytes", path, BW_CONFIG_TEXT_MAX);
        return BW_EOVERFLOW;
    }
    return 0;
}

/* Step 2: the whole file into a fresh buffer (*text, free it). */
static int read_checked(const char *path, char **text, size_t *len, char *why,
                        size_t cap)
{
    *text = NULL;
    *len = 0;
    /* O_NONBLOCK: opening a FIFO must not hang; it is refused below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        say(why, cap, "%s: %s", path, strerror(e));
        return e == ENOENT ? BW_ENOTFOUND : e == EACCES ? BW_EPERM : BW_EIO;
    }
    struct stat st;
    int err = 0;
    if (fstat(fd, &st) != 0) {
        say(why, cap, "%s: %s", path, strerror(errno));
        err = BW_EIO;
    } else {
        err = bw_cfgfile_check_stat(path, &st, geteuid(), why, cap);
    }
    /* One byte more than the limit: a file that grew is caught too. */
    char *buf = err == 0 ? malloc(BW_CONFIG_TEXT_MAX + 1u) : NULL;
    if (err == 0 && buf == NULL) {
        say(why, cap, "out of memory");
        err = BW_ENOMEM;
    }
    size_t n = 0;
    while (err == 0 && n < BW_CONFIG_TEXT_MAX + 1u) {
        ssize_t r = read(fd, buf + n, BW_CONFIG_TEXT_MAX + 1u - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            say(why, cap, "%s: %s", path, strerror(errno));
            err = BW_EIO;
        } else if (r == 0) {
            break;
        } else {
            n += (size_t)r;
        }
    }
    if (err == 0 && n > BW_CONFIG_TEXT_MAX) {
        say(why, cap, "%s: larger than %u bytes", path, BW_CONFIG_TEXT_MAX);
        err = BW_EOVERFLOW;
    }
    close(fd);
    if (err != 0) {
        free(buf);
        return err;
    }
    *text = buf;
    *len = n;
    return 0;
}

/* Step 3: the state of both passes over the text. */
typedef struct {
    const struct option *file, *skip;
    const char *path;
    char *why;
    size_t cap;
    int fill;      /* 0: check and count; 1: write */
    size_t nargs;  /* pass 1: arguments needed; pass 2: written */
    size_t nbytes; /* likewise, bytes of strings */
    unsigned settings;
    char **argv; /* pass 2: where the next argument goes */
    char *str;   /* pass 2: the strings' storage */
} merge_t;

static const struct option *lookup(const struct option *t, const char *name)
{
    for (; t != NULL && t->name != NULL; t++)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

/* Copy "--name" (and "=value" when value != NULL) as one string. */
static char *put(merge_t *m, const char *prefix, const char *a, const char *eq,
                 const char *b)
{
    char *s = m->str + m->nbytes;
    int w = sprintf(s, "%s%s%s%s", prefix, a, eq, b);
    m->nbytes += (size_t)w + 1u;
    m->argv[m->nargs++] = s;
    return s;
}

static int setting(void *arg, unsigned line, const char *name,
                   const char *value)
{
    merge_t *m = arg;
    if (strcmp(name, "config") == 0) {
        say(m->why, m->cap,
            "%s:%u: \"config\" cannot be set in a configuration file "
            "(no nesting)",
            m->path, line);
        return BW_EUNSUPPORTED;
    }
    const struct option *o = lookup(m->file, name);
    if (o == NULL) {
        if (lookup(m->skip, name) != NULL)
            return 0; /* another subcommand's setting */
        say(m->why, m->cap, "%s:%u: unknown setting \"%s\"", m->path, line,
            name);
        return BW_ENOTFOUND;
    }
    size_t nl = strlen(name), vl = strlen(value);
    if (o->has_arg == no_argument) {
        int on = strcmp(value, "true") == 0;
        if (!on && strcmp(value, "false") != 0) {
            say(m->why, m->cap,
                "%s:%u: \"%s\" is a flag: true or false, not \"%.64s\"",
                m->path, line, name, value);
            return BW_ETYPE;
        }
        if (!on)
            return 0;
        if (m->fill)
            put(m, "--", name, "", "");
        else {
            m->nargs++;
            m->nbytes += 2u + nl + 1u;
        }
    } else if (o->has_arg == required_argument) {
        if (vl == 0) {
            say(m->why, m->cap, "%s:%u: \"%s\" needs a value", m->path, line,
                name);
            return BW_ETYPE;
        }
        if (m->fill) {
            put(m, "--", name, "", "");
            put(m, "", value, "", "");
        } else {
            m->nargs += 2u;
            m->nbytes += 2u + nl + 1u + vl + 1u;
        }
    } else if (m->fill) {
        put(m, "--", name, vl > 0 ? "=" : "", value);
    } else {
        m->nargs++;
        m->nbytes += 2u + nl + 1u + vl + 1u;
    }
    if (!m->fill)
        m->settings++;
    return 0;
}

/* Parse once: check and count (fill 0) or write (fill 1). */
static int pass(merge_t *m, const char *text, size_t len)
{
    bw_config_scratch_t *scratch = malloc(sizeof *scratch);
    if (scratch == NULL) {
        say(m->why, m->cap, "out of memory");
        return BW_ENOMEM;
    }
    bw_config_diag_t diag;
    int err = bw_config_parse(text, len, scratch, setting, m, &diag);
    free(scratch);
    if (err != 0 && diag.what[0] != '\0') {
        if (diag.line > 0)
            say(m->why, m->cap, "%s:%u: %s", m->path, diag.line, diag.what);
        else
            say(m->why, m->cap, "%s: %s", m->path, diag.what);
    }
    return err;
}

int bw_cfgfile_merge(int argc, char **argv, const bw_cfgfile_spec_t *spec,
                     bw_cfgfile_argv_t *out, char *why, size_t why_cap)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    say(why, why_cap, "%s", "");
    if (argc < 1 || argv == NULL || spec == NULL || spec->opts == NULL ||
        out == NULL) {
        say(why, why_cap, "invalid arguments");
        return BW_EINVAL;
    }
    const char *path;
    int err = find_config(argc, argv, spec->shortopts, spec->opts, &path, why,
                          why_cap);
    if (err != 0)
        return err;
    char *text = NULL;
    size_t len = 0;
    merge_t m = {.file = spec->file != NULL ? spec->file : spec->opts,
                 .skip = spec->skip,
                 .path = path,
                 .why = why,
                 .cap = why_cap};
    if (path != NULL) {
        err = read_checked(path, &text, &len, why, why_cap);
        if (err == 0)
            err = pass(&m, text, len);
        if (err != 0) {
            free(text);
            return err;
        }
    }
    /* argv[0], the file's arguments, argv[1..], NULL. */
    size_t total = (size_t)argc + m.nargs + 1u;
    char **v = malloc(total * sizeof *v);
    char *str = m.nbytes > 0 ? malloc(m.nbytes) : NULL;
    if (v == NULL || (m.nbytes > 0 && str == NULL)) {
        free(v);
        free(str);
        free(text);
        say(why, why_cap, "out of memory");
        return BW_ENOMEM;
    }
    v[0] = argv[0];
    if (path != NULL) {
        size_t want_args = m.nargs, want_bytes = m.nbytes;
        m.fill = 1;
        m.nargs = 0;
        m.nbytes = 0;
        m.argv = v + 1;
        m.str = str;
        err = pass(&m, text, len);
        /* The text did not change between the passes: same result. */
        if (err != 0 || m.nargs != want_args || m.nbytes > want_bytes) {
            free(v);
            free(str);
            free(text);
            if (err == 0)
                say(why, why_cap, "%s: internal error", path);
            return err != 0 ? err : BW_EIO;
        }
    }
    free(text);
    for (int i = 1; i < argc; i++)
        v[m.nargs + (size_t)i] = argv[i];
    v[total - 1u] = NULL;
    out->argc = (int)(total - 1u);
    out->argv = v;
    out->path = path;
    out->settings = m.settings;
    out->strings = str;
    return 0;
}

void bw_cfgfile_free(bw_cfgfile_argv_t *m)
{
    if (m == NULL)
        return;
    free(m->argv);
    free(m->strings);
    memset(m, 0, sizeof *m);
}
