/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --config FILE for the host programs (bulwark-device, bulwark-server).
 *
 * A program hands its command line and its getopt_long option table to
 * bw_cfgfile_merge() before its own option loop.  If the command line
 * names a file with --config, the file is read (a regular file owned by
 * the user or root, not writable by group or others, at most
 * BW_CONFIG_TEXT_MAX bytes; checked with fstat on the opened descriptor,
 * so the file checked is the file read), its settings are checked against
 * the option table and turned into options ("dm-port = 5684" becomes
 * "--dm-port" "5684"), and a new argument vector is built:
 *
 *   argv[0], the file's options in file order, argv[1..argc-1]
 *
 * The program then runs its usual getopt_long loop over that vector, so
 * values are checked in one place and the real command line, coming
 * later, overrides the file wherever the program keeps the last
 * occurrence of an option.
 *
 * Owns: the merged vector and the strings made from the file (freed by
 * bw_cfgfile_free).  Leaves to the program: the meaning and checking of
 * every value; the option table MUST hold a "config" entry taking an
 * argument (so getopt_long accepts --config) which the program's loop
 * ignores.  Never: reads a file other than the one named, follows
 * --config inside a file, or prints (errors are returned as text).
 */
#ifndef BW_CFGFILE_H
#define BW_CFGFILE_H

#include <getopt.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "bulwark/config.h"

/* What the program's command line and its file may hold. */
typedef struct {
    const char *shortopts;     /* as given to getopt_long; MAY be NULL */
    const struct option *opts; /* the program's table (with "config") */
    const struct option *file; /* names the file may set; NULL: opts */
    const struct option *skip; /* names the file may hold that are
                                * dropped (another subcommand's); MAY be
                                * NULL */
} bw_cfgfile_spec_t;

/* The merged argument vector. */
typedef struct {
    int argc;
    char **argv;       /* argv[argc] is NULL; heap, with the strings */
    const char *path;  /* the --config file, NULL if none was given */
    unsigned settings; /* settings of the file that became options */
    char *strings;     /* storage of the file's options (private) */
} bw_cfgfile_argv_t;

/*
 * Find --config FILE (or --config=FILE, or an abbreviation getopt_long
 * accepts) in argv[1..argc-1], parsing with spec->shortopts and
 * spec->opts exactly as the program will; read FILE and build *out as
 * described above.  Without --config, *out is a copy of argv.
 *
 * Each setting's name MUST be the full long name of an entry of
 * spec->file (not an abbreviation); names only in spec->skip are accepted
 * and dropped, so a subcommand with fewer options may read the same file
 * as the main one.  A setting becomes (has_arg of its spec->file entry):
 *   no_argument:        "true" -> --name; "false" -> nothing
 *   required_argument:  --name value (value not empty)
 *   optional_argument:  --name=value, or --name when value is empty
 *
 * On return getopt's state is reset (optind = 0), so the program's own
 * getopt_long loop starts afresh; opterr is as it was.
 *
 * Returns 0, or (with why, MAY be NULL, holding one line such as
 * "/etc/bulwark/device.conf:12: unknown setting \"endpont\""):
 *   BW_EDUPKEY     --config given more than once
 *   BW_ENOTFOUND   FILE does not exist; or a setting names no option
 *   BW_EPERM       FILE owned by another user than the effective one or
 *                  root, writable by group or others, or not readable
 *   BW_ETYPE       FILE is not a regular file; a flag set to something
 *                  other than true or false; an empty value for an
 *                  option that needs one
 *   BW_EUNSUPPORTED  "config" set inside the file (no nesting)
 *   BW_EOVERFLOW   FILE larger than BW_CONFIG_TEXT_MAX, a line longer
 *                  than BW_CONFIG_LINE_MAX
 *   BW_EMALFORMED, BW_ETRUNC, BW_ETRAILING  syntax (bw_config_parse)
 *   BW_EIO         FILE could not be opened, examined or read otherwise
 *   BW_ENOMEM      out of memory
 *   BW_EINVAL      argc < 1, argv, spec, spec->opts or out NULL
 * On failure *out is zeroed and nothing needs freeing.
 */
int bw_cfgfile_merge(int argc, char **argv, const bw_cfgfile_spec_t *spec,
                     bw_cfgfile_argv_t *out, char *why, size_t why_cap);

/*
 * The checks bw_cfgfile_merge applies to the opened file's fstat() (me:
 * the effective uid): a regular file, owned by me or root, not writable
 * by group or others, at most BW_CONFIG_TEXT_MAX bytes.  Returns 0 or
 * BW_ETYPE, BW_EPERM, BW_EOVERFLOW with the reason in why (naming path).
 * Exposed so the rules can be checked for any owner without root.
 */
int bw_cfgfile_check_stat(const char *path, const struct stat *st, uid_t me,
                          char *why, size_t cap);

/* Free what bw_cfgfile_merge made; *m is zeroed.  m MAY be zeroed
 * already.  Pointers taken from m->argv (optarg) die here. */
void bw_cfgfile_free(bw_cfgfile_argv_t *m);

#endif /* BW_CFGFILE_H */
