/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device agent's standard LwM2M objects, as bw_lwm2m_object_t
 * implementations (see bulwark/lwm2m_object.h): Device (/3), Connectivity
 * Monitoring (/4), Firmware Update (/5) and the IPSO Temperature object
 * (/3303).  docs/objects.md lists their resources and the firmware update
 * state machine.
 *
 * Each object is a caller-allocated state struct plus an init function
 * that fills a bw_lwm2m_object_t (definition, handlers, ctx pointing at the
 * state struct) for bw_lwm2m_dm_add() / bw_lwm2m_client_add_object().  The
 * state struct holds values and the open write transaction; the object
 * struct holds only the definition, so both can live anywhere the
 * application likes.
 *
 * The objects are portable: what a device knows about itself (the time,
 * how to reboot, what to do with a firmware package, its sensor readings)
 * comes in through configuration, setters and hooks the application
 * provides.  Hooks run inside bw_lwm2m_dm_handle() and SHOULD only record
 * what to do: the 2.04 for a Reboot must reach the server before the
 * device goes down (the POSIX agent posts BW_LWM2M_EV_REBOOT to its
 * client, which reports it once the response is out).  Unless a hook's
 * comment says otherwise, a hook MUST NOT call back into the object.
 *
 * Changes: every object has a `changed` callback (may be NULL) that hears
 * of each value that changed by other means than a server's Write of that
 * value: a setter, a sample, a state machine step, an Execute.  Wire it
 * to bw_lwm2m_client_changed() or bw_lwm2m_dm_changed() so observers are
 * notified.  Setters report only real changes.
 *
 * What this module never does: allocate, read a clock, keep a pointer
 * into a request, or call a hook from outside a bw_lwm2m_* entry point.
 * Strings the application passes by pointer (manufacturer, units...)
 * MUST stay valid while the object is registered.
 */
#ifndef BULWARK_LWM2M_OBJECTS_H
#define BULWARK_LWM2M_OBJECTS_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"
#include "bulwark/lwm2m.h"
#include "bulwark/lwm2m_object.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A value under path changed (see above); app is the object's app. */
typedef void (*bw_lwm2m_changed_fn)(void *app, const bw_lwm2m_path_t *path);

/* ------------------------------------------------------------------------
 * Device (/3, single instance /3/0), object version 1.1
 * ------------------------------------------------------------------------ */

#define BW_LWM2M_OBJ_DEVICE 3u

/* Available Power Sources (/3/0/6): values 0..7 (DC, internal battery,
 * external battery, fuel cell, PoE, USB, AC mains, solar); a device has
 * few of them. */
#define BW_LWM2M_DEVICE_POWER_MAX 4
/* Error codes held at once (/3/0/11): the spec defines eight (1..8) and
 * leaves 16..32 to the device; eight at once is a device in deep trouble. */
#define BW_LWM2M_DEVICE_ERRORS_MAX 8
/* Error code values (/3/0/11): 1..32; 0 is "no error" and never stored. */
#define BW_LWM2M_DEVICE_ERROR_MIN 1
#define BW_LWM2M_DEVICE_ERROR_MAX 32
/* UTC Offset (/3/0/14), "UTC+X" per ISO 8601 ("+05:45", "UTC-03:30"). */
#define BW_LWM2M_DEVICE_UTC_OFFSET_MAX 16
/* Timezone (/3/0/15), an IANA name: the longest in use has 32 bytes
 * ("America/Argentina/ComodRivadavia"). */
#define BW_LWM2M_DEVICE_TIMEZONE_MAX 40

/* Error codes the specification names (resource 11). */
enum {
    BW_LWM2M_DEVICE_ERR_LOW_BATTERY = 1,
    BW_LWM2M_DEVICE_ERR_POWER_OFF = 2,
    BW_LWM2M_DEVICE_ERR_GPS = 3,
    BW_LWM2M_DEVICE_ERR_LOW_SIGNAL = 4,
    BW_LWM2M_DEVICE_ERR_OUT_OF_MEMORY = 5,
    BW_LWM2M_DEVICE_ERR_SMS = 6,
    BW_LWM2M_DEVICE_ERR_IP = 7,
    BW_LWM2M_DEVICE_ERR_PERIPHERAL = 8,
};

/*
 * What the application tells the Device object.  Strings are
 * NUL-terminated and kept by pointer; NULL makes an optional resource
 * absent (a Read of it is 4.04, a Read of the instance skips it).
 *
 * Hooks (each may be NULL: the resource then answers 4.05, or is absent
 * for get_time):
 *   reboot, factory_reset  Execute /3/0/4, /3/0/5.  Return 0 (2.04) or a
 *                          BW_E* code (e.g. BW_ESTATE: refused now).
 *   get_time               Current Time (/3/0/13), seconds since 1970
 *                          UTC.  Return 0 or a BW_E* code.
 *   set_time               a Write of /3/0/13, called when the write
 *                          commits (it cannot fail there).  Without it the
 *                          resource is read-only (4.05).
 */
typedef struct {
    const char *manufacturer;     /* /3/0/0 */
    const char *model;            /* /3/0/1 */
    const char *serial;           /* /3/0/2 */
    const char *firmware_version; /* /3/0/3 */
    const char *software_version; /* /3/0/19 */
    const char *binding;          /* /3/0/16, mandatory: NULL reads "U" */
    int (*reboot)(void *app);
    int (*factory_reset)(void *app);
    int (*get_time)(void *app, int64_t *now);
    void (*set_time)(void *app, int64_t t);
    bw_lwm2m_changed_fn changed;
    void *app; /* passed to the hooks and to changed */
} bw_lwm2m_device_cfg_t;

/* The Device object's state (fields private). */
typedef struct {
    bw_lwm2m_device_cfg_t cfg;
    uint8_t power[BW_LWM2M_DEVICE_POWER_MAX];
    uint8_t npower;
    uint8_t errors[BW_LWM2M_DEVICE_ERRORS_MAX]; /* in the order raised */
    uint8_t nerrors;
    int8_t battery; /* /3/0/9, 0..100, or -1: absent */
    char utc_offset[BW_LWM2M_DEVICE_UTC_OFFSET_MAX + 1];
    char timezone[BW_LWM2M_DEVICE_TIMEZONE_MAX + 1];
    struct { /* the open write transaction */
        char utc_offset[BW_LWM2M_DEVICE_UTC_OFFSET_MAX + 1];
        char timezone[BW_LWM2M_DEVICE_TIMEZONE_MAX + 1];
        int64_t time;
        uint8_t time_set;
    } txn;
} bw_lwm2m_device_t;

/*
 * Fill d from cfg (copied; its strings are kept by pointer) and obj with
 * the Device object over d.  No power source, no error, no battery level,
 * empty UTC offset and timezone.  Returns 0, or BW_EINVAL (NULL).
 */
int bw_lwm2m_device_init(bw_lwm2m_device_t *d, bw_lwm2m_object_t *obj,
                         const bw_lwm2m_device_cfg_t *cfg);

/*
 * Raise error code `code` (1..32) in /3/0/11; raising one already raised
 * does nothing.  Returns 0, or BW_ERANGE (code outside 1..32), BW_ENOMEM
 * (BW_LWM2M_DEVICE_ERRORS_MAX raised already), BW_EINVAL (NULL).
 */
int bw_lwm2m_device_set_error(bw_lwm2m_device_t *d, uint8_t code);

/*
 * Clear error code `code`; 0 clears them all (as Execute /3/0/12 does),
 * and is not an error when none is raised.  Returns 0, or BW_ENOTFOUND
 * (code not raised), BW_EINVAL (NULL).
 */
int bw_lwm2m_device_clear_error(bw_lwm2m_device_t *d, uint8_t code);

/*
 * Set the Available Power Sources (/3/0/6), n values 0..7 (n = 0 leaves
 * the resource empty).  Returns 0, or BW_ENOMEM (n above
 * BW_LWM2M_DEVICE_POWER_MAX), BW_ERANGE (a value above 7), BW_EINVAL.
 * Nothing changes on failure.
 */
int bw_lwm2m_device_set_power(bw_lwm2m_device_t *d, const uint8_t *src,
                              size_t n);

/*
 * Set the Battery Level (/3/0/9) in percent, 0..100, or -1 to make it
 * absent.  Returns 0, or BW_ERANGE, BW_EINVAL.
 */
int bw_lwm2m_device_set_battery(bw_lwm2m_device_t *d, int level);

/* The UTC Offset and Timezone a server wrote, NUL-terminated ("" none). */
const char *bw_lwm2m_device_utc_offset(const bw_lwm2m_device_t *d);
const char *bw_lwm2m_device_timezone(const bw_lwm2m_device_t *d);

/* ------------------------------------------------------------------------
 * Connectivity Monitoring (/4, single instance /4/0), object version 1.1
 * ------------------------------------------------------------------------ */

#define BW_LWM2M_OBJ_CONN 4u

/* Available Network Bearers (/4/0/1) listed at once: a device has a
 * radio or two and perhaps a wire. */
#define BW_LWM2M_CONN_BEARERS_MAX 4
/* Network Bearer values are 0..50 (0 GSM .. 41 Ethernet; 42..50 reserved
 * for other wired bearers). */
#define BW_LWM2M_CONN_BEARER_MAX 50
/* IP Addresses (/4/0/4): one IPv4 and one IPv6 address is the usual. */
#define BW_LWM2M_CONN_IPS_MAX 2
/* Longest IP address text: 45 bytes is the IPv6 form with an embedded
 * IPv4 address (INET6_ADDRSTRLEN - 1). */
#define BW_LWM2M_CONN_IP_LEN 45

typedef struct {
    bw_lwm2m_changed_fn changed;
    void *app;
    int32_t bearer; /* /4/0/0 */
    int32_t rssi;   /* /4/0/2, dBm */
    uint8_t bearers[BW_LWM2M_CONN_BEARERS_MAX];
    uint8_t nbearers;
    uint8_t nips;
    char ips[BW_LWM2M_CONN_IPS_MAX][BW_LWM2M_CONN_IP_LEN + 1];
} bw_lwm2m_conn_t;

/*
 * Fill c (bearer 0, rssi 0, no bearers, no addresses) and obj with the
 * Connectivity Monitoring object over c.  Returns 0, or BW_EINVAL.
 */
int bw_lwm2m_conn_init(bw_lwm2m_conn_t *c, bw_lwm2m_object_t *obj,
                       bw_lwm2m_changed_fn changed, void *app);

/* Network Bearer in use, 0..50.  Returns 0, BW_ERANGE, BW_EINVAL. */
int bw_lwm2m_conn_set_bearer(bw_lwm2m_conn_t *c, int32_t bearer);

/*
 * Available Network Bearers, n values 0..50.  Returns 0, or BW_ENOMEM
 * (n above BW_LWM2M_CONN_BEARERS_MAX), BW_ERANGE, BW_EINVAL.  Nothing
 * changes on failure.
 */
int bw_lwm2m_conn_set_bearers(bw_lwm2m_conn_t *c, const uint8_t *list,
                              size_t n);

/* Radio Signal Strength in dBm.  Returns 0 or BW_EINVAL. */
int bw_lwm2m_conn_set_rssi(bw_lwm2m_conn_t *c, int32_t dbm);

/*
 * IP Addresses: n NUL-terminated strings, copied.  Returns 0, or
 * BW_ENOMEM (n above BW_LWM2M_CONN_IPS_MAX), BW_EOVERFLOW (a string
 * longer than BW_LWM2M_CONN_IP_LEN), BW_EINVAL.  Nothing changes on
 * failure.
 */
int bw_lwm2m_conn_set_ips(bw_lwm2m_conn_t *c, const char *const *ips, size_t n);

/* ------------------------------------------------------------------------
 * Firmware Update (/5, single instance /5/0), object version 1.1
 * ------------------------------------------------------------------------
 *
 * The state machine (OMA LwM2M 1.1 Core E.6 and the object's State and
 * Update Result resources), with the function that performs each step:
 *
 *            write URI (fw_write) / write Package (fw_write)
 *   IDLE ------------------------------------------> DOWNLOADING
 *    ^  ^   bw_lwm2m_fw_download_failed(2..7, 9)          |
 *    |  +-------------------------------------------------+
 *    |  |                  bw_lwm2m_fw_downloaded() /     |
 *    |  |                  last Package chunk accepted    v
 *    |  +-- write "" (fw_write, result 0) ---------- DOWNLOADED <--+
 *    |                                                    |        |
 *    |                                 Execute Update     |  bw_lwm2m_fw_
 *    |                                 (fw_execute)       v  update_done(8)
 *    +---- bw_lwm2m_fw_update_done(1 or 5) ---------- UPDATING ----+
 *
 * An empty write (Package URI "", Package of no byte or of the single
 * byte 0) cancels from IDLE, DOWNLOADING and DOWNLOADED: state IDLE,
 * result 0.  Every other step not drawn is refused with BW_ESTATE (4.05):
 * a URI or Package while not IDLE, Update while not DOWNLOADED, anything
 * while UPDATING.  A URI the object cannot use is accepted and fails at
 * once, as a download would: IDLE with result 7 (no "scheme://" form) or
 * 9 (a scheme not in `protocols`).  Starting a download or an update sets
 * the result to 0.  In IDLE the Package URI reads "".
 *
 * Push block-wise (Block1 to /5/0/0, application/octet-stream): block 0
 * starts the push as a whole Package would (IDLE only, delivery PUSH or
 * BOTH, else 4.05), each block goes to chunk() at its offset, the last
 * one accepted moves to DOWNLOADED.  A block at an offset other than the
 * bytes taken so far, or with no push under way, is refused (BW_EBLOCK,
 * 4.08).  A push the request handler drops (restart, idle) ends in IDLE
 * with result 4 (connection lost) and cancel().
 */

#define BW_LWM2M_OBJ_FW 5u

/* Package URI is 0..255 bytes (object definition, resource 1). */
#define BW_LWM2M_FW_URI_MAX 255

typedef enum {
    BW_LWM2M_FW_IDLE = 0,
    BW_LWM2M_FW_DOWNLOADING = 1,
    BW_LWM2M_FW_DOWNLOADED = 2,
    BW_LWM2M_FW_UPDATING = 3,
} bw_lwm2m_fw_state_t;

/* Update Result (/5/0/5). */
enum {
    BW_LWM2M_FW_RESULT_INITIAL = 0,
    BW_LWM2M_FW_RESULT_SUCCESS = 1,
    BW_LWM2M_FW_RESULT_NO_STORAGE = 2,
    BW_LWM2M_FW_RESULT_NO_MEMORY = 3,
    BW_LWM2M_FW_RESULT_CONN_LOST = 4,
    BW_LWM2M_FW_RESULT_INTEGRITY = 5,
    BW_LWM2M_FW_RESULT_BAD_TYPE = 6,
    BW_LWM2M_FW_RESULT_BAD_URI = 7,
    BW_LWM2M_FW_RESULT_FAILED = 8,
    BW_LWM2M_FW_RESULT_BAD_PROTOCOL = 9,
};

/* Firmware Update Protocol Support (/5/0/8) values; cfg.protocols is a
 * mask of (1u << value). */
enum {
    BW_LWM2M_FW_PROTO_COAP = 0,     /* coap:// */
    BW_LWM2M_FW_PROTO_COAPS = 1,    /* coaps:// */
    BW_LWM2M_FW_PROTO_HTTP = 2,     /* http:// */
    BW_LWM2M_FW_PROTO_HTTPS = 3,    /* https:// */
    BW_LWM2M_FW_PROTO_COAP_TCP = 4, /* coap+tcp:// */
    BW_LWM2M_FW_PROTO_COAPS_TCP = 5 /* coaps+tcp:// */
};

/* Firmware Update Delivery Method (/5/0/9). */
enum {
    BW_LWM2M_FW_PULL = 0, /* Package URI only */
    BW_LWM2M_FW_PUSH = 1, /* Package only */
    BW_LWM2M_FW_BOTH = 2,
};

/*
 * Configuration and hooks of the Firmware Update object.
 *
 *   download  a URI was written in IDLE: fetch it (DOWNLOADING), later
 *             report bw_lwm2m_fw_downloaded() or _download_failed().
 *             Called when the write commits, after the state is set; it
 *             MAY report a failure at once from inside.
 *   chunk     len bytes of a pushed package at offset; last is 1 for the
 *             final piece.  A Write without Block1 carries the whole
 *             package at offset 0 with last 1; a block-wise Write
 *             (Block1, see lwm2m_dm.h) hands each block as it arrives,
 *             offsets in order without gaps from 0 (the last block may
 *             hold no byte: data NULL, len 0).  Called while the write is
 *             staged, one transaction per block.  Returns 0 (accepted;
 *             after the last piece the package is checked and the state
 *             becomes DOWNLOADED), a positive Update Result 2..7 or 9 (the
 *             package is refused the way the object defines: the write
 *             succeeds, state IDLE with that result; a block-wise push
 *             then answers its next block 4.08), or a BW_E* code (this
 *             piece is refused: the request fails and changes nothing;
 *             earlier blocks of a block-wise push stay taken and the
 *             state DOWNLOADING, so the block may come again).
 *   cancel    forget the download or package received so far (an empty
 *             write; a write that failed after chunk() took the first
 *             piece of a package; a block-wise push dropped by the request
 *             handler: restarted at block 0, or idle for
 *             BW_LWM2M_DM_BLOCK1_IDLE_MS, which also sets result 4).
 *   apply     Execute Update in DOWNLOADED: install.  The state is
 *             UPDATING when it runs; return 0 (2.04; report the outcome
 *             with bw_lwm2m_fw_update_done(), usually after the reboot
 *             through bw_lwm2m_fw_restore()) or a BW_E* code (DOWNLOADED
 *             again, the request fails with it).
 * download and chunk NULL refuse pull and push (4.05); apply NULL refuses
 * Update.  cancel may be NULL.
 */
typedef struct {
    const char *pkg_name;    /* /5/0/6, NULL: absent */
    const char *pkg_version; /* /5/0/7, NULL: absent */
    uint8_t protocols;       /* /5/0/8, mask of 1u << BW_LWM2M_FW_PROTO_* */
    uint8_t delivery;        /* /5/0/9, BW_LWM2M_FW_PULL / PUSH / BOTH */
    void (*download)(void *app, const char *uri, size_t len);
    int (*chunk)(void *app, size_t offset, const uint8_t *data, size_t len,
                 int last);
    void (*cancel)(void *app);
    int (*apply)(void *app);
    bw_lwm2m_changed_fn changed;
    void *app;
} bw_lwm2m_fw_cfg_t;

/* The Firmware Update object's state (fields private). */
typedef struct {
    bw_lwm2m_fw_cfg_t cfg;
    uint8_t state;  /* bw_lwm2m_fw_state_t */
    uint8_t result; /* BW_LWM2M_FW_RESULT_* */
    uint16_t uri_len;
    uint32_t received; /* bytes of a pushed package taken so far */
    char uri[BW_LWM2M_FW_URI_MAX + 1];
    struct { /* the open write transaction: what rollback restores */
        uint8_t open, state, result;
        uint8_t took;    /* chunk() was called */
        uint8_t cancel;  /* commit calls cancel() */
        uint8_t started; /* commit calls download() */
        uint16_t uri_len;
        uint32_t received;
    } txn;
} bw_lwm2m_fw_t;

/*
 * Fill fw from cfg (IDLE, result 0) and obj with the Firmware Update
 * object over fw.  Returns 0, or BW_EINVAL (NULL, delivery above 2).
 */
int bw_lwm2m_fw_init(bw_lwm2m_fw_t *fw, bw_lwm2m_object_t *obj,
                     const bw_lwm2m_fw_cfg_t *cfg);

/*
 * Restore what the application persisted across a reboot: IDLE with any
 * result 0..9 (1 after a successful update), or DOWNLOADED with 0 or 8 (a
 * package is still held).  Returns 0, or BW_EINVAL for another pair.
 */
int bw_lwm2m_fw_restore(bw_lwm2m_fw_t *fw, bw_lwm2m_fw_state_t state,
                        uint8_t result);

/*
 * Restore a pull download the application is resuming after a reboot:
 * DOWNLOADING, result 0, Package URI uri (len bytes, 1..
 * BW_LWM2M_FW_URI_MAX).  The application reports its end with
 * bw_lwm2m_fw_downloaded() or _download_failed() as for a fresh one.
 * Returns 0, or BW_ERANGE (len 0 or too long), BW_EINVAL (NULL, a write
 * transaction open).
 */
int bw_lwm2m_fw_restore_download(bw_lwm2m_fw_t *fw, const char *uri,
                                 size_t len);

/* DOWNLOADING -> DOWNLOADED: the package is complete and checked.
 * Returns 0, or BW_ESTATE (not DOWNLOADING), BW_EINVAL. */
int bw_lwm2m_fw_downloaded(bw_lwm2m_fw_t *fw);

/*
 * DOWNLOADING -> IDLE with result 2..7 or 9.  Returns 0, or BW_ESTATE
 * (not DOWNLOADING), BW_ERANGE (another result), BW_EINVAL.
 */
int bw_lwm2m_fw_download_failed(bw_lwm2m_fw_t *fw, uint8_t result);

/*
 * The end of UPDATING: result 1 (success) or 5 (the package failed its
 * check at install) -> IDLE; 8 (the update failed, the package is still
 * held) -> DOWNLOADED.  Returns 0, or BW_ESTATE (not UPDATING), BW_ERANGE
 * (another result), BW_EINVAL.
 */
int bw_lwm2m_fw_update_done(bw_lwm2m_fw_t *fw, uint8_t result);

/* Set PkgName / PkgVersion (NULL: absent).  Returns 0 or BW_EINVAL. */
int bw_lwm2m_fw_set_package_info(bw_lwm2m_fw_t *fw, const char *name,
                                 const char *version);

bw_lwm2m_fw_state_t bw_lwm2m_fw_state(const bw_lwm2m_fw_t *fw);
uint8_t bw_lwm2m_fw_result(const bw_lwm2m_fw_t *fw);

/* ------------------------------------------------------------------------
 * Temperature (/3303, IPSO), object version 1.1
 *
 * Two layers.  bw_lwm2m_temp_t is the object for a device whose sensors
 * the application adds (no Create or Delete from a server).  Under it,
 * the bw_lwm2m_temp_inst_* functions do everything about one instance:
 * its readings, the Read of its resources, the Reset Execute, a sample.
 * An object that keeps its own instance table (one a server may Create
 * in, with settings it persists) builds on them and answers alike.
 * ------------------------------------------------------------------------ */

#define BW_LWM2M_OBJ_TEMP 3303u

/* Sensors one object holds: instances are slots in the state struct, and a
 * device rarely has more than a few thermometers. */
#define BW_LWM2M_TEMP_MAX_INST 4

/* Resource ids of /3303. */
enum {
    BW_LWM2M_TEMP_RES_MIN = 5601,       /* Min Measured Value */
    BW_LWM2M_TEMP_RES_MAX = 5602,       /* Max Measured Value */
    BW_LWM2M_TEMP_RES_RANGE_MIN = 5603, /* Min Range Value */
    BW_LWM2M_TEMP_RES_RANGE_MAX = 5604, /* Max Range Value */
    BW_LWM2M_TEMP_RES_RESET = 5605,     /* Reset Min and Max Measured Values */
    BW_LWM2M_TEMP_RES_VALUE = 5700,     /* Sensor Value */
    BW_LWM2M_TEMP_RES_UNITS = 5701,     /* Sensor Units */
    BW_LWM2M_TEMP_RES_APP_TYPE = 5750,  /* Application Type */
};

/* One instance: its id and its readings.  Fields private; set up by
 * bw_lwm2m_temp_inst_init().  Holds no pointer: copy it freely. */
typedef struct {
    uint16_t id;
    uint8_t flags; /* which values are set */
    double value, min, max;
    double range_min, range_max;
} bw_lwm2m_temp_inst_t;

/* Whom a sample or a reset tells of the values it moved: changed (may be
 * NULL) with app. */
typedef struct {
    bw_lwm2m_changed_fn changed;
    void *app;
} bw_lwm2m_temp_report_t;

typedef struct {
    bw_lwm2m_temp_report_t report;
    bw_lwm2m_temp_inst_t inst[BW_LWM2M_TEMP_MAX_INST]; /* by id */
    uint8_t n;
} bw_lwm2m_temp_t;

/*
 * Fill t (no instance) and obj with the Temperature object over t.
 * Sensor Units (5701) read "Cel".  Returns 0, or BW_EINVAL.
 */
int bw_lwm2m_temp_init(bw_lwm2m_temp_t *t, bw_lwm2m_object_t *obj,
                       bw_lwm2m_changed_fn changed, void *app);

/*
 * Add sensor instance inst, with the range it can measure (Min/Max Range
 * Value, 5603/5604) or, when either bound is not finite, no range.  No
 * value until the first sample.  Returns 0, or BW_EDUPKEY (inst exists),
 * BW_ENOMEM (BW_LWM2M_TEMP_MAX_INST exist), BW_ERANGE (range_min above
 * range_max), BW_EINVAL (NULL, inst 65535).
 */
int bw_lwm2m_temp_add(bw_lwm2m_temp_t *t, uint16_t inst, double range_min,
                      double range_max);

/*
 * A reading of sensor inst in degrees Celsius: the Sensor Value (5700),
 * and the Min/Max Measured Values (5601/5602) when it passes them.
 * Returns 0, or BW_ENOTFOUND (no such instance), BW_ERANGE (NaN or
 * infinite), BW_EINVAL.
 */
int bw_lwm2m_temp_sample(bw_lwm2m_temp_t *t, uint16_t inst, double value);

/*
 * Set s up as instance id: the range it can measure as for
 * bw_lwm2m_temp_add(), no value yet.  Returns 0, or BW_ERANGE (range_min
 * above range_max), BW_EINVAL (s NULL, id 65535).  s is unchanged on
 * failure.
 */
int bw_lwm2m_temp_inst_init(bw_lwm2m_temp_inst_t *s, uint16_t id,
                            double range_min, double range_max);

/*
 * What a read handler of object o answers for instance s (NULL: no such
 * instance) at path: 5700, 5601..5604 from s; Sensor Units (5701) and
 * Application Type (5750) are units and app_type, which the caller holds
 * (NULL: absent; the value points at them, so they MUST stay valid as
 * long as a read value does).  Returns 0, or BW_ENOTFOUND (s NULL, path
 * not a resource, 5700/5601/5602 before the first sample, 5603/5604
 * without a range, an absent text, a resource o does not define),
 * BW_EUNSUPPORTED (a resource o defines with no value here: 5605, or one
 * of the caller's own that it did not serve before calling).
 */
int bw_lwm2m_temp_inst_read(const bw_lwm2m_object_t *o,
                            const bw_lwm2m_temp_inst_t *s,
                            const bw_lwm2m_path_t *path, const char *units,
                            const char *app_type, bw_lwm2m_value_t *v);

/*
 * What an execute handler of object o does for instance s (NULL: no
 * such instance) and resource res: Reset Min and Max Measured Values
 * (5605) sets both to the current value (nothing before the first
 * sample) and tells `to` of each that moved.  Returns 0, or BW_ENOTFOUND
 * (s NULL, res not defined by o), BW_EUNSUPPORTED (res defined by o but
 * not 5605).
 */
int bw_lwm2m_temp_inst_execute(const bw_lwm2m_object_t *o,
                               bw_lwm2m_temp_inst_t *s, uint16_t res,
                               const bw_lwm2m_temp_report_t *to);

/*
 * A reading of instance s in degrees Celsius, as bw_lwm2m_temp_sample()
 * takes it, telling `to` of each value it moved.  Returns 0, or
 * BW_ERANGE (NaN or infinite), BW_EINVAL (s or to NULL).
 */
int bw_lwm2m_temp_inst_sample(bw_lwm2m_temp_inst_t *s,
                              const bw_lwm2m_temp_report_t *to, double value);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_LWM2M_OBJECTS_H */
