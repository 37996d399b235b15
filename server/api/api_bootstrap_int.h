/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Between api_bootstrap.c (the endpoint) and api_bootstrap_servers.c (its
 * "servers" member).  Private to those two files.
 */
#ifndef BW_API_BOOTSTRAP_INT_H
#define BW_API_BOOTSTRAP_INT_H

#include <jansson.h>
#include <stddef.h>

#include "db.h"

/*
 * The "servers" member arr (NULL: absent, none) of a PUT into c's
 * servers; c->lifetime_s is what a server without "lifetime" gets, cur
 * (may be NULL) the stored configuration whose keys a server given
 * without psk_hex keeps.  Returns 0, or -1 with why (cap bytes) saying
 * which server and member is wrong and what it must be; c holds no key
 * then.
 */
int bw_api__bs_servers_parse(const json_t *arr, const bw_db_bootstrap_t *cur,
                             bw_db_bootstrap_t *c, char *why, size_t cap);

/* c's additional servers as the API shows them: no key, "psk": "set".
 * NULL when out of memory. */
json_t *bw_api__bs_servers_json(const bw_db_bootstrap_t *c);

#endif /* BW_API_BOOTSTRAP_INT_H */
