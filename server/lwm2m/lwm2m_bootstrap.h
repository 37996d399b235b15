/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bootstrap server's sequence (OMA LwM2M 1.1 Core 6.1.3, client-
 * initiated bootstrap): after a device's Bootstrap-Request has been
 * authorized and answered (lwm2m_srv.c, BW_LWSRV_EV_BOOTSTRAP_REQUEST),
 *
 *   1. Bootstrap-Delete "/"   everything but the bootstrap server's own
 *                             Security instance goes
 *   2. Bootstrap-Write /0/1   Security: DM server URI, PSK mode, the new
 *                             identity and key, Short Server ID
 *   3. Bootstrap-Write /1/1   Server: Short Server ID, lifetime, binding
 *   4. Bootstrap-Finish       POST /bs
 *
 * each step sent when the previous one was answered 2.xx.  The new
 * credentials come from the provider (the security store), which MUST
 * have committed them (known to the DM side, not yet active for anything
 * else) before it returns them: so after any crash the device never holds
 * credentials the DM server does not know.  The provider hears how it
 * ended, so it can keep the old credentials valid until the device has
 * registered with the new ones.
 *
 * Additional DM servers (the configuration's extra[]: a customer's own
 * server beside ours).  With at least one, the sequence becomes
 *
 *   Delete /, Bootstrap-Discover / (GET, Accept link-format: which object
 *   instances the device has), Write /0/1 and /1/1 (the primary, as
 *   above), Write /0/N and /1/N for each additional server (N = 2, 3 ...),
 *   Write /2/K for K = 0, 1 ... (Access Control, Core E.3), Finish.
 *
 * The Access Control instances (lwm2m_bootstrap_acl.c): one per object
 * instance the Discover answer listed outside objects 0, 1 and 2, owned
 * by the primary's Short Server ID (so the primary keeps every right on
 * everything), with one ACL entry per additional server given rights on
 * that instance; then one Create grant (Object Instance ID 65535) per
 * object an additional server was given "C" on.  Without additional
 * servers nothing of this is sent: the four steps above, as always.
 *
 * Secrets travel only inside the Write payloads, which are wiped as soon
 * as they are handed over; nothing here logs them.  The Discover answer
 * is the device's: it is parsed with bounds (bw_lwsrv_bs_discover) and a
 * bad one ends the bootstrap with the parser's error.
 */
#ifndef BW_LWSRV_BOOTSTRAP_H
#define BW_LWSRV_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m_srv.h"

#define BW_LWSRV_BS_ID_MAX  64
#define BW_LWSRV_BS_KEY_MAX 64
/* Additional DM servers one configuration holds.  A device holds as many
 * as its build allows (bulwark-device: BW_LWM2M_MAX_SERVERS, 2, so one
 * beside the primary); the device refuses the rest at Bootstrap-Write
 * and the bootstrap fails at that step. */
#define BW_LWSRV_BS_EXTRA_MAX 3
/* Access entries one additional server is given ("/3/0": "R" is one):
 * more than any device's Access Control table holds (bulwark-device: 8
 * instances). */
#define BW_LWSRV_BS_ACCESS_MAX 16
/* Object instances taken from a Discover answer: a device listing more
 * than this is refused (BW_EOVERFLOW) rather than half covered. */
#define BW_LWSRV_BS_INST_MAX 64
/* Access Control instances one bootstrap writes: every listed instance
 * and every Create grant. */
#define BW_LWSRV_BS_ACL_MAX                                                    \
    (BW_LWSRV_BS_INST_MAX + BW_LWSRV_BS_EXTRA_MAX * BW_LWSRV_BS_ACCESS_MAX)
/* The Short Server ID the primary DM server (this server) is given: an
 * additional server may not take it. */
#define BW_LWSRV_BS_PRIMARY_SSID 101
/* Object Instance ID of a Create grant (Core E.3: "Object Instance ID
 * 65535": the right to create instances of the object). */
#define BW_LWSRV_BS_CREATE_IID 65535
/* Longest access map text: BW_LWSRV_BS_ACCESS_MAX entries of at most
 * "/65534/65534=RWEDC" and ";" between them. */
#define BW_LWSRV_BS_ACCESS_TEXT_MAX (BW_LWSRV_BS_ACCESS_MAX * 19)

/* Rights of one additional server on one object instance, or the Create
 * grant on an object (iid BW_LWSRV_BS_CREATE_IID, rights exactly
 * BW_LWM2M_ACCESS_CREATE). */
typedef struct {
    uint16_t oid;
    uint16_t iid;
    uint8_t rights; /* BW_LWM2M_ACCESS_* bits, never 0 */
} bw_lwsrv_bs_access_t;

/* An additional DM server as the device gets it. */
typedef struct {
    char uri[256];
    uint8_t identity[BW_LWSRV_BS_ID_MAX];
    size_t identity_len;
    uint8_t key[BW_LWSRV_BS_KEY_MAX];
    size_t key_len;
    uint16_t ssid; /* 1..65534, not the primary's */
    uint32_t lifetime_s;
    char binding[4]; /* "U" or "UQ" */
    size_t n_access;
    bw_lwsrv_bs_access_t access[BW_LWSRV_BS_ACCESS_MAX];
} bw_lwsrv_bs_server_t;

/* What the device gets for its DM server(s). */
typedef struct {
    char dm_uri[256]; /* "coaps://dm.example.net:5684" */
    uint8_t identity[BW_LWSRV_BS_ID_MAX];
    size_t identity_len;
    uint8_t key[BW_LWSRV_BS_KEY_MAX];
    size_t key_len;
    uint16_t ssid; /* Short Server ID, 1..65534 */
    uint32_t lifetime_s;
    char binding[4]; /* "U" */
    /* Additional DM servers: written as /0/2, /1/2, /0/3 ... in order. */
    size_t n_extra;
    bw_lwsrv_bs_server_t extra[BW_LWSRV_BS_EXTRA_MAX];
} bw_lwsrv_bs_config_t;

typedef struct {
    /* Fresh credentials for ep, committed before returning (see above).
     * 0, or an error: the bootstrap is abandoned (the device retries). */
    int (*provide)(void *arg, const char *ep, bw_lwsrv_bs_config_t *out);
    /* How it ended: 0, or the error of the step that failed; step names
     * it, with the device's answer when it refused it
     * ("Bootstrap-Write /2/3 (answered 4.00)", "Bootstrap-Discover /",
     * "done"). */
    void (*finished)(void *arg, const char *ep, int err, const char *step);
    void *arg;
} bw_lwsrv_bs_provider_t;

/*
 * Start the sequence for the device of ev (a BOOTSTRAP_REQUEST event),
 * on its worker.  Returns 0 (finished() will be called), or the
 * provider's error, BW_ENOMEM, BW_ESTATE, BW_EINVAL (a configuration
 * with more than BW_LWSRV_BS_EXTRA_MAX additional servers).
 */
int bw_lwsrv_bootstrap_start(bw_lwsrv_t *s, const bw_lwsrv_bs_provider_t *p,
                             const bw_lwsrv_event_t *ev);

/*
 * The TLV payloads of steps 2 and 3, for tests and tools.  Returns 0 and
 * *len, or BW_ENOSPC / BW_EINVAL.
 */
int bw_lwsrv_bs_security_tlv(const bw_lwsrv_bs_config_t *c, uint8_t *out,
                             size_t cap, size_t *len);
int bw_lwsrv_bs_server_tlv(const bw_lwsrv_bs_config_t *c, uint8_t *out,
                           size_t cap, size_t *len);

/*
 * The same for an additional server x written as instance inst (2..65534)
 * of Security (/0/inst) or Server (/1/inst).  Returns 0 and *len, or
 * BW_ENOSPC, BW_EINVAL (no identity or key, SSID 0 or 65535, lifetime
 * 0, inst 0, 1 or 65535).  The Security payload holds the key: wipe it.
 */
int bw_lwsrv_bs_extra_security_tlv(const bw_lwsrv_bs_server_t *x, uint16_t inst,
                                   uint8_t *out, size_t cap, size_t *len);
int bw_lwsrv_bs_extra_server_tlv(const bw_lwsrv_bs_server_t *x, uint16_t inst,
                                 uint8_t *out, size_t cap, size_t *len);

/* ---- Access Control (lwm2m_bootstrap_acl.c) ----------------------------- */

/* One Access Control instance to write (Core E.3). */
typedef struct {
    uint16_t oid;   /* resource 0: Object ID, 1..65534 */
    uint16_t iid;   /* resource 1: Object Instance ID (65535: Create) */
    uint16_t owner; /* resource 3: Access Control Owner */
    uint8_t n_acl;
    struct {
        uint16_t ssid;  /* resource instance id of resource 2 */
        uint8_t rights; /* its value */
    } acl[BW_LWSRV_BS_EXTRA_MAX];
} bw_lwsrv_bs_acl_t;

/*
 * One access path as the API takes it: "/oid" (the Create grant on the
 * object: *iid = BW_LWSRV_BS_CREATE_IID) or "/oid/iid", decimal 0..65534
 * without leading zeros (bw_lwm2m_path_parse's rule), len bytes.
 * Returns 0, or
 *   BW_EPATH   not such a path (empty, no leading "/", "/3/", "/03",
 *              "/65535", a sign or space, the root "/");
 *   BW_EDEPTH  a resource or deeper ("/3/0/1");
 *   BW_ERANGE  object 0, 1 or 2 (Security, Server and Access Control:
 *              only the bootstrap server hands those out);
 *   BW_EINVAL  NULL.
 */
int bw_lwsrv_bs_access_path(const char *s, size_t len, uint16_t *oid,
                            uint16_t *iid);

/*
 * Access letters for a path: each of R W E D C at most once, any order,
 * len bytes.  iid is what bw_lwsrv_bs_access_path gave: the Create grant
 * takes exactly "C", an instance any letters but C (Core E.3: Create is
 * given on the object, through instance 65535).
 * Returns 0 and *rights (BW_LWM2M_ACCESS_* bits), or
 *   BW_EMALFORMED  empty, or a byte other than R W E D C (lower case
 *                  too: the letters are the spec's);
 *   BW_EDUPKEY     a letter twice;
 *   BW_ETYPE       C on an instance, or anything but C on "/oid";
 *   BW_EINVAL      NULL.
 */
int bw_lwsrv_bs_access_rights(const char *s, size_t len, uint16_t iid,
                              uint8_t *rights);

/*
 * The stored form of one server's access map: "/3/0=R;/3303=C;..."
 * (NUL-terminated, in the order given), and back.  parse checks each
 * entry with the two functions above (and returns their codes), and also
 * BW_EMALFORMED (an entry without "=", an empty entry), BW_EDUPKEY (one
 * path twice), BW_EOVERFLOW (more than cap entries); *n is 0 on failure.
 * format returns 0, BW_ENOSPC, or BW_EINVAL (an entry the parser would
 * refuse).  "" is the empty map.
 */
int bw_lwsrv_bs_access_parse(const char *text, size_t len,
                             bw_lwsrv_bs_access_t *out, size_t cap, size_t *n);
int bw_lwsrv_bs_access_format(const bw_lwsrv_bs_access_t *a, size_t n,
                              char *out, size_t cap);

/* The letters of rights ("RW"), NUL-terminated, into out[6]. */
void bw_lwsrv_bs_rights_text(uint8_t rights, char out[6]);

/*
 * The object instances of a Bootstrap-Discover answer (link-format bytes
 * from the device): each link "</oid/iid>" outside objects 0, 1 and 2,
 * once each, in the order given; "</>" and "</oid>" links are skipped.
 * Returns 0 and *n, or the link parser's error for a malformed payload
 * (BW_ETRUNC, BW_EMALFORMED, BW_EUTF8, BW_EOVERFLOW), or
 *   BW_EPATH      a target that is not an LwM2M path;
 *   BW_EDEPTH     a resource ("</3/0/1>": Bootstrap-Discover lists none);
 *   BW_EOVERFLOW  more than cap instances;
 *   BW_EINVAL     NULL.
 */
int bw_lwsrv_bs_discover(const uint8_t *payload, size_t len,
                         bw_lwm2m_path_t *out, size_t cap, size_t *n);

/*
 * The Access Control instances for configuration c on a device with the
 * n_inst object instances inst (from bw_lwsrv_bs_discover): see the top
 * of the file.  Owner c->ssid.  An access entry for an instance the
 * device does not have is left out (nothing to govern), a Create grant
 * never is.  Returns 0 and *n, or BW_EOVERFLOW (more than cap), BW_EINVAL.
 */
int bw_lwsrv_bs_acl_plan(const bw_lwsrv_bs_config_t *c,
                         const bw_lwm2m_path_t *inst, size_t n_inst,
                         bw_lwsrv_bs_acl_t *out, size_t cap, size_t *n);

/*
 * The TLV payload of Bootstrap-Write /2/inst for a.  Returns 0 and *len,
 * or BW_ENOSPC, BW_EINVAL (inst 65535, Object ID 0 or 65535, owner 0, an
 * ACL entry with SSID 0 or 65535, two with one SSID).
 */
int bw_lwsrv_bs_acl_tlv(const bw_lwsrv_bs_acl_t *a, uint16_t inst, uint8_t *out,
                        size_t cap, size_t *len);

#endif /* BW_LWSRV_BOOTSTRAP_H */
