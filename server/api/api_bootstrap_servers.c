/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "servers" member of a bootstrap configuration (api_bootstrap.h):
 * additional DM servers, checked member by member with a message that
 * names the server and the member, shown without their keys, and handed
 * to the bootstrap server with their keys opened.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "api_bootstrap.h"
#include "api_bootstrap_int.h"
#include "api_dm.h"
#include "api_int.h"
#include "bulwark/lwm2m_dm.h"

/* The authority of a coaps:// URI: a host name or IPv4 address of
 * [A-Za-z0-9.-], or an IPv6 address in brackets, then ":port" (1..65535)
 * or nothing; no path, query or user. */
static int coaps_uri_ok(const char *u)
{
    if (strncmp(u, "coaps://", 8) != 0 || strlen(u) > BW_DB_URI_MAX)
        return 0;
    const char *h = u + 8, *p;
    if (*h == '[') {
        p = h + 1;
        while (*p != '\0' && (strchr("0123456789abcdefABCDEF:.", *p) != NULL))
            p++;
        if (*p != ']' || p == h + 1)
            return 0;
        p++;
    } else {
        p = h;
        while (*p != '\0' &&
               ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
            p++;
        if (p == h)
            return 0;
    }
    if (*p == '\0')
        return 1;
    if (*p != ':' || p[1] == '\0')
        return 0;
    unsigned long port = 0;
    for (p++; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || port > 65535)
            return 0;
        port = port * 10 + (unsigned long)(*p - '0');
    }
    return port >= 1 && port <= 65535;
}

static int identity_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > BW_LWSRV_BS_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return 0;
    return 1;
}

/* 16..64 bytes of hex, not one byte repeated; -1: not hex or a bad
 * length, -2: weak. */
static int key_of(const char *s, uint8_t *out, size_t *len)
{
    size_t n = strlen(s);
    if (n % 2 != 0 || n / 2 < BW_DB_PSK_MIN || n / 2 > BW_DB_PSK_MAX)
        return -1;
    size_t same = 0;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = bw_api__hex_digit(s[2 * i]),
            lo = bw_api__hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(out, BW_DB_PSK_MAX);
            return -1;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
        same += out[i] == out[0];
    }
    *len = n / 2;
    if (same == *len) {
        OPENSSL_cleanse(out, BW_DB_PSK_MAX);
        *len = 0;
        return -2;
    }
    return 0;
}

/* What a bad access path or letters are, for the message. */
static const char *access_why(int err)
{
    switch (err) {
    case BW_EDEPTH:
        return "names a resource: access is given on an object instance "
               "(\"/3303/0\") or, for Create, an object (\"/3303\")";
    case BW_ERANGE:
        return "names object 0, 1 or 2 (Security, Server, Access Control: "
               "the bootstrap server's alone)";
    case BW_EMALFORMED:
        return "letters must be some of R W E D C";
    case BW_EDUPKEY:
        return "has a letter twice";
    case BW_ETYPE:
        return "\"/oid\" takes exactly \"C\" (the Create grant), an "
               "instance any of R W E D but not C";
    default:
        return "is not a path \"/oid\" or \"/oid/iid\" (0..65534, no "
               "leading zeros)";
    }
}

/* The access object of server i into x->access (stored text). */
static int parse_access(const json_t *acc, size_t i, bw_db_bs_server_t *x,
                        char *why, size_t cap)
{
    if (acc == NULL)
        return 0;
    if (!json_is_object(acc)) {
        snprintf(why, cap,
                 "servers[%zu].access must be an object of \"/oid/iid\": "
                 "\"letters\"",
                 i);
        return -1;
    }
    if (json_object_size(acc) > BW_LWSRV_BS_ACCESS_MAX) {
        snprintf(why, cap, "servers[%zu].access: at most %d entries", i,
                 BW_LWSRV_BS_ACCESS_MAX);
        return -1;
    }
    bw_lwsrv_bs_access_t a[BW_LWSRV_BS_ACCESS_MAX];
    size_t n = 0;
    const char *path;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)acc, path, v)
    {
        const char *letters = json_string_value(v);
        int err =
            bw_lwsrv_bs_access_path(path, strlen(path), &a[n].oid, &a[n].iid);
        if (err == 0 && letters == NULL)
            err = BW_EMALFORMED;
        if (err == 0)
            err = bw_lwsrv_bs_access_rights(letters, strlen(letters), a[n].iid,
                                            &a[n].rights);
        if (err != 0) {
            snprintf(why, cap, "servers[%zu].access \"%.24s\" %s", i, path,
                     access_why(err));
            return -1;
        }
        n++;
    }
    if (bw_lwsrv_bs_access_format(a, n, x->access, sizeof x->access) != 0) {
        snprintf(why, cap, "servers[%zu].access does not fit", i);
        return -1;
    }
    return 0;
}

/* Server i of the array into x; cur is the stored configuration (a key
 * may be kept from it), primary the configuration's own lifetime. */
static int parse_one(const json_t *o, size_t i, const bw_db_bootstrap_t *cur,
                     uint32_t lifetime, bw_db_bs_server_t *x, char *why,
                     size_t cap)
{
    static const char *const members[] = {
        "uri",     "short_server_id", "lifetime",
        "binding", "psk_identity",    "psk_hex",
        "psk",     "access",          NULL};
    bw_api_dm_fault_t f = {NULL, NULL};
    if (!json_is_object(o) || bw_api_dm_members(o, members, &f) != 0) {
        snprintf(why, cap,
                 "servers[%zu] must be an object of uri, short_server_id, "
                 "lifetime, binding, psk_identity, psk_hex and access",
                 i);
        return -1;
    }
    const char *uri = json_string_value(json_object_get(o, "uri"));
    if (uri == NULL || !coaps_uri_ok(uri)) {
        snprintf(why, cap,
                 "servers[%zu].uri must be coaps://host:port (a host name, "
                 "IPv4 or [IPv6] address, port 1..65535, nothing after it)",
                 i);
        return -1;
    }
    snprintf(x->uri, sizeof x->uri, "%s", uri);
    const json_t *s = json_object_get(o, "short_server_id");
    json_int_t ssid = json_is_integer(s) ? json_integer_value(s) : -1;
    if (ssid < 2 || ssid > 65534 || ssid == BW_LWSRV_BS_PRIMARY_SSID) {
        snprintf(why, cap,
                 "servers[%zu].short_server_id must be 2..65534 and not %d "
                 "(this server's own)",
                 i, BW_LWSRV_BS_PRIMARY_SSID);
        return -1;
    }
    x->ssid = (uint16_t)ssid;
    const json_t *l = json_object_get(o, "lifetime");
    json_int_t lt = l == NULL            ? (json_int_t)lifetime
                    : json_is_integer(l) ? json_integer_value(l)
                                         : -1;
    if (lt < BW_API_BOOTSTRAP_LIFETIME_MIN ||
        lt > BW_API_BOOTSTRAP_LIFETIME_MAX) {
        snprintf(why, cap, "servers[%zu].lifetime must be 10..31536000 seconds",
                 i);
        return -1;
    }
    x->lifetime_s = (uint32_t)lt;
    const json_t *b = json_object_get(o, "binding");
    const char *bs = b == NULL ? "U" : json_string_value(b);
    if (bs == NULL || (strcmp(bs, "U") != 0 && strcmp(bs, "UQ") != 0)) {
        snprintf(why, cap, "servers[%zu].binding must be \"U\" or \"UQ\"", i);
        return -1;
    }
    snprintf(x->binding, sizeof x->binding, "%s", bs);
    const char *id = json_string_value(json_object_get(o, "psk_identity"));
    if (id == NULL || !identity_ok(id)) {
        snprintf(why, cap,
                 "servers[%zu].psk_identity must be 1..64 printable ASCII "
                 "characters without spaces",
                 i);
        return -1;
    }
    snprintf(x->psk_identity, sizeof x->psk_identity, "%s", id);
    const json_t *set = json_object_get(o, "psk");
    if (set != NULL &&
        (!json_is_string(set) || strcmp(json_string_value(set), "set") != 0)) {
        snprintf(why, cap,
                 "servers[%zu].psk is only ever \"set\" (as GET shows it); "
                 "a key is given as psk_hex",
                 i);
        return -1;
    }
    const json_t *h = json_object_get(o, "psk_hex");
    if (h != NULL) {
        const char *hex = json_string_value(h);
        int k = hex != NULL ? key_of(hex, x->psk, &x->psk_len) : -1;
        if (k != 0) {
            snprintf(why, cap,
                     k == -2 ? "servers[%zu].psk_hex is one byte repeated"
                             : "servers[%zu].psk_hex must be 32..128 hex "
                               "digits (16..64 bytes)",
                     i);
            return -1;
        }
    } else {
        /* No key: the stored one of the same server and identity stays
         * (a GET's answer PUT back unchanged). */
        int kept = 0;
        for (size_t j = 0; cur != NULL && j < cur->n_servers; j++)
            kept |= cur->servers[j].ssid == x->ssid &&
                    strcmp(cur->servers[j].psk_identity, id) == 0 &&
                    cur->servers[j].psk_set;
        if (!kept) {
            snprintf(why, cap,
                     "servers[%zu].psk_hex is required (no key is stored "
                     "for this short_server_id and psk_identity)",
                     i);
            return -1;
        }
    }
    return parse_access(json_object_get(o, "access"), i, x, why, cap);
}

int bw_api__bs_servers_parse(const json_t *arr, const bw_db_bootstrap_t *cur,
                             bw_db_bootstrap_t *c, char *why, size_t cap)
{
    c->n_servers = 0;
    if (arr == NULL)
        return 0;
    if (!json_is_array(arr)) {
        snprintf(why, cap,
                 "servers must be an array of additional DM "
                 "servers");
        return -1;
    }
    if (json_array_size(arr) > BW_DB_BS_SERVERS_MAX) {
        snprintf(why, cap,
                 "servers: at most %d additional DM servers (a device holds "
                 "as many as its build allows)",
                 BW_DB_BS_SERVERS_MAX);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        bw_db_bs_server_t *x = &c->servers[i];
        memset(x, 0, sizeof *x);
        if (parse_one(json_array_get(arr, i), i, cur, c->lifetime_s, x, why,
                      cap) != 0) {
            OPENSSL_cleanse(c->servers, sizeof c->servers);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (c->servers[j].ssid == x->ssid) {
                snprintf(why, cap,
                         "servers[%zu].short_server_id %u is servers[%zu]'s "
                         "too: each server has its own",
                         i, (unsigned)x->ssid, j);
                OPENSSL_cleanse(c->servers, sizeof c->servers);
                return -1;
            }
        c->n_servers = i + 1;
    }
    return 0;
}

json_t *bw_api__bs_servers_json(const bw_db_bootstrap_t *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < c->n_servers; i++) {
        const bw_db_bs_server_t *x = &c->servers[i];
        json_t *acc = json_object();
        bw_lwsrv_bs_access_t a[BW_LWSRV_BS_ACCESS_MAX];
        size_t n = 0;
        if (acc != NULL &&
            bw_lwsrv_bs_access_parse(x->access, strlen(x->access), a,
                                     BW_LWSRV_BS_ACCESS_MAX, &n) != 0)
            n = 0; /* the stored text was checked when stored */
        for (size_t k = 0; acc != NULL && k < n; k++) {
            char path[16], r[6];
            if (a[k].iid == BW_LWSRV_BS_CREATE_IID)
                snprintf(path, sizeof path, "/%u", (unsigned)a[k].oid);
            else
                snprintf(path, sizeof path, "/%u/%u", (unsigned)a[k].oid,
                         (unsigned)a[k].iid);
            bw_lwsrv_bs_rights_text(a[k].rights, r);
            json_object_set_new(acc, path, json_string(r));
        }
        json_t *o = json_pack("{s:s, s:i, s:I, s:s, s:s, s:s, s:o}", "uri",
                              x->uri, "short_server_id", (int)x->ssid,
                              "lifetime", (json_int_t)x->lifetime_s, "binding",
                              x->binding, "psk_identity", x->psk_identity,
                              "psk", x->psk_set ? "set" : "missing", "access",
                              acc != NULL ? acc : json_object());
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

int bw_api_bootstrap_servers(bw_db_t *db, const char *ep,
                             bw_lwsrv_bs_config_t *out)
{
    if (db == NULL || ep == NULL || out == NULL)
        return BW_EINVAL;
    out->n_extra = 0;
    bw_db_bootstrap_t *c = OPENSSL_zalloc(sizeof *c);
    if (c == NULL)
        return BW_ENOMEM;
    int err = bw_db_bootstrap_keys(db, ep, c);
    if (err == BW_ENOTFOUND)
        err = 0; /* no configuration of its own: no additional server */
    for (size_t i = 0; err == 0 && i < c->n_servers; i++) {
        const bw_db_bs_server_t *x = &c->servers[i];
        bw_lwsrv_bs_server_t *y = &out->extra[i];
        memset(y, 0, sizeof *y);
        size_t idl = strlen(x->psk_identity);
        if (idl > sizeof y->identity || x->psk_len > sizeof y->key ||
            strlen(x->uri) >= sizeof y->uri) {
            err = BW_EOVERFLOW;
            break;
        }
        snprintf(y->uri, sizeof y->uri, "%s", x->uri);
        memcpy(y->identity, x->psk_identity, idl);
        y->identity_len = idl;
        memcpy(y->key, x->psk, x->psk_len);
        y->key_len = x->psk_len;
        y->ssid = x->ssid;
        y->lifetime_s = x->lifetime_s;
        snprintf(y->binding, sizeof y->binding, "%s", x->binding);
        err = bw_lwsrv_bs_access_parse(x->access, strlen(x->access), y->access,
                                       BW_LWSRV_BS_ACCESS_MAX, &y->n_access);
        out->n_extra = i + 1;
    }
    OPENSSL_clear_free(c, sizeof *c);
    if (err != 0) {
        OPENSSL_cleanse(out->extra, sizeof out->extra);
        out->n_extra = 0;
    }
    return err;
}
