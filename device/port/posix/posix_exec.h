/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Executing a verified image on Linux without a window in which its
 * bytes could change after verification.
 *
 * bw_posix_exec_load() copies the payload of the image lib/boot verified
 * into an anonymous memory file (memfd), seals it against every change
 * (write, grow, shrink, and further seal changes), and only then hashes
 * header + sealed payload + protected TLVs again and compares the result
 * with the digest bw_image_verify() checked.  A match proves that the
 * sealed bytes are the verified ones; from then on nothing, not even this
 * process, can modify them.  bw_posix_exec_run() then forks and fexecve()s
 * the sealed file.
 *
 *   flash:  | header | payload ............ | prot TLVs | TLVs |
 *                        |  copy
 *                        v
 *   memfd:  | payload ............ |  -> seal -> SHA-256(header from
 *           flash, payload from memfd, prot TLVs from flash) == the
 *           verified digest?  -> fexecve
 *
 * The payload must be a program the kernel executes directly (ELF): the
 * memfd is close-on-exec, so an interpreter script ("#!") could not reopen
 * it.
 */
#ifndef BW_POSIX_EXEC_H
#define BW_POSIX_EXEC_H

#include <stddef.h>
#include <sys/types.h>

#include "bulwark/boot.h"

/* Bytes copied and hashed per step (a stack buffer). */
#define BW_POSIX_EXEC_CHUNK 16384u

/*
 * Copy, seal and re-verify the image of res (bw_boot_go() MUST have said
 * BW_BOOT_GO) from dev.  Returns the sealed memfd (>= 0), or -1 with a
 * message in err: the image must then not be executed.
 */
int bw_posix_exec_load(const bw_flash_t *dev, const bw_boot_result_t *res,
                       char *err, size_t cap);

/*
 * Run the sealed image fd with argv (argv[0] is the program's name) and
 * the current environment; wait for it.  SIGTERM, SIGINT and SIGHUP
 * received meanwhile are passed on to the application.
 * Returns the wait status (as waitpid()), or -1 with a message in err
 * when the process could not be started.
 */
int bw_posix_exec_run(int fd, char *const argv[], char *err, size_t cap);

#endif /* BW_POSIX_EXEC_H */
