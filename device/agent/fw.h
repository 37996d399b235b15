/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-device: firmware over the air, the device's side (docs/device.md
 * "Firmware update").
 *
 * The Firmware Update object (lib/objects/lwm2m_fw.c) keeps the state
 * machine; these files do the work behind its hooks:
 *
 *   fw_boot.c    the bootloader's environment (BW_FLASH, ... exported by
 *                bulwark-boot, read through boot_cfg.c), what a start
 *                finds (an update that took, one that was reverted, a
 *                download to resume), the health check of a test boot,
 *                the checks after the last block, Execute Update; and the
 *                in-process bootloader of a fleet (--fleet --flash-dir)
 *   fw_get.c     the download: a block-wise GET (RFC 7959, 1024-byte
 *                blocks) on a channel of its own (a second UDP socket,
 *                DTLS with the DM server's PSK for coaps://), CON
 *                retransmission by the CoAP endpoint (RFC 7252 timers),
 *                streamed into the secondary slot's download area
 *   fw_record.c  what survives a restart, in the state directory:
 *                "fw/download" (URI, ETag, bytes written, verified
 *                package) and "fw/update" (the version being installed),
 *                each written atomically
 *
 * Never: hold the image in RAM (one block at a time), write a byte of
 * the primary slot, advance the security counter (bulwark-boot's job),
 * log a key.
 */
#ifndef BW_AGENT_FW_H
#define BW_AGENT_FW_H

#include <stddef.h>
#include <stdint.h>

#include "boot_cfg.h"
#include "bulwark/coap_block.h"
#include "bulwark/coap_endpoint.h"
#include "dtls_client.h"
#include "posix_udp.h"

/* The items of the state directory. */
#define AGENT_FW_ITEM_DOWNLOAD "fw/download"
#define AGENT_FW_ITEM_UPDATE   "fw/update"

/* Block size asked for: 1024 bytes (SZX 6), the largest CoAP over UDP
 * allows and what the server offers. */
#define AGENT_FW_SZX   6u
#define AGENT_FW_BLOCK BW_COAP_BLOCK_SIZE(AGENT_FW_SZX)

/* The download record is rewritten after this many new bytes: a restart
 * repeats at most this much. */
#define AGENT_FW_SAVE_EVERY (16u * 1024u)

/* Resumes after a lost connection before Update Result 4, and the pause
 * before each (the server may be restarting). */
#define AGENT_FW_RESUMES   3u
#define AGENT_FW_RESUME_MS 3000u

/* Longest Package URI (the object's own limit). */
#define AGENT_FW_URI_MAX 255u

/* A version as bulwark-boot writes BW_BOOT_VERSION: "255.255.65535+"
 * and ten digits fit. */
#define AGENT_FW_VERSION_MAX 32u

/* Longest datagram of the download channel: a 1024-byte block and its
 * header and options, with room to spare. */
#define AGENT_FW_DGRAM_MAX 1280u

/* The endpoint keeps copies of the CON requests it may retransmit only
 * (a GET with its options); answers it never stores. */
#define AGENT_FW_SLOT 320u

/* Default --health-timeout, seconds. */
#define AGENT_FW_HEALTH_S 60u

/* Default --model. */
#define AGENT_FW_MODEL "bulwark-sim"

/* Default --flash-geometry of a fleet context: 16 KiB sectors, 65 units
 * of one sector each (1040 KiB: a 1 MiB image with its header and TLVs
 * fits), one trailer sector per slot. */
#define AGENT_FW_FLEET_GEOMETRY "16384x133"

/* What a start found in the state directory (fw_record.c). */
typedef struct {
    char uri[AGENT_FW_URI_MAX + 1];
    uint8_t etag[BW_COAP_BLOCK_MAX_ETAG_LEN];
    uint8_t etag_len;
    uint32_t offset; /* bytes written and safe */
    uint32_t size;   /* Size2 seen, 0 unknown */
    int done;        /* the package is complete and verified */
    int result;      /* done: Update Result to show (0 or 8) */
    char name[BW_IMAGE_MODEL_MAX + 1];
    char version[AGENT_FW_VERSION_MAX];
} agent_fw_dl_rec_t;

/* The download channel's states. */
enum { FWC_IDLE = 0, FWC_OPENING, FWC_OPEN, FWC_WAIT };

typedef struct agent_fw {
    int available; /* the flash and keys are open */
    int fleet;     /* in-process bootloader (--flash-dir) */
    char why[160]; /* !available: the reason, for the log */
    bw_bootcfg_t cfg;
    bw_boot_t boot;
    bw_flash_area_t dl;                 /* the download area */
    char running[AGENT_FW_VERSION_MAX]; /* version booted ("" unknown) */
    int test_boot;                      /* running unconfirmed */

    /* The health check of a test boot of the target. */
    int health;
    uint64_t health_deadline;
    /* A download to resume once the client has loaded its server set
     * (a coaps:// package needs the DM server's credentials). */
    int resume;
    char target[AGENT_FW_VERSION_MAX];

    /* Package name and version, /5/0/6 and /5/0/7. */
    char pkg_name[BW_IMAGE_MODEL_MAX + 1];
    char pkg_version[AGENT_FW_VERSION_MAX];

    /* The download. */
    int state;  /* FWC_* */
    int active; /* a download is under way */
    agent_fw_dl_rec_t rec;
    uint32_t written;  /* bytes in flash (== rec.offset once saved) */
    uint32_t resumes;  /* after lost connections, this download */
    uint64_t deadline; /* channel / endpoint / resume timer */
    uint64_t started;
    int first; /* the next answer is the first of this attempt */
    int readable;
    int secure;
    uint16_t mid;
    uint8_t token[8];
    char host[255], port[6];
    char path[AGENT_FW_URI_MAX + 1]; /* "fw/<id>", '/'-separated */
    bw_posix_udp_t udp;
    bw_posix_plain_t plain;
    bw_transport_t *t;
    int dtls_ready;
    bw_dtls_client_t dtls;
    bw_coap_endpoint_t ep;
    uint8_t arena[BW_COAP_ENDPOINT_ARENA_LEN(AGENT_FW_SLOT)];
    bw_coap_block2_client_t blk;
    int restart; /* the sink found other bytes: erase, start over */
    int toobig;  /* the sink found the package larger than the area */
    int io;      /* the sink's flash write failed */
    uint8_t buf[AGENT_FW_DGRAM_MAX];
    uint8_t pad[AGENT_FW_BLOCK + BW_FLASH_MAX_ALIGN];
} agent_fw_t;

struct agent_dev;

/* fw_boot.c */
/* Open the boot environment (or the fleet context's flash); logs why
 * firmware update is unavailable.  Called once per context. */
void agent_fw_open(struct agent_dev *d);
void agent_fw_close(struct agent_dev *d);
/* After the objects exist, at every start: restore the object's state
 * from the records, start the health check or mark a download to resume. */
void agent_fw_start(struct agent_dev *d, uint64_t now);
/* After the client has started (its server set is loaded): resume the
 * download agent_fw_start() found, if any. */
void agent_fw_resume(struct agent_dev *d, uint64_t now);
/* The device registered: the health check passed. */
void agent_fw_registered(struct agent_dev *d);
/* Whether the client may register now (no --fail-health-check veto). */
int agent_fw_may_register(const struct agent_dev *d);
/* The download is complete: check it and report.  */
void agent_fw_finish(struct agent_dev *d);
/* Hooks of the object. */
void agent_fw_download(void *app, const char *uri, size_t len);
void agent_fw_cancel(void *app);
int agent_fw_apply(void *app);
int agent_fw_chunk(void *app, size_t offset, const uint8_t *data, size_t len,
                   int last);
/* Fleet: the context "reboots": run the bootloader on its flash. */
void agent_fw_fleet_boot(struct agent_dev *d);
/* The version /3/0/3 shows. */
const char *agent_fw_version(const struct agent_dev *d);

/* fw_get.c */
/* Start (or resume, from d->fw.rec) the download. */
void agent_fw_get_start(struct agent_dev *d, uint64_t now);
/* Stop it and close the channel (the record stays). */
void agent_fw_get_stop(struct agent_dev *d);
/* Drive the channel (datagrams, timers). */
void agent_fw_service(struct agent_dev *d, uint64_t now);
int agent_fw_fd(const struct agent_dev *d);
uint64_t agent_fw_next(const struct agent_dev *d);

/* fw_record.c */
int agent_fw_rec_save(struct agent_dev *d, const agent_fw_dl_rec_t *r);
/* Returns 0, BW_ENOTFOUND (none), BW_EMALFORMED (unreadable: dropped). */
int agent_fw_rec_load(struct agent_dev *d, agent_fw_dl_rec_t *r);
void agent_fw_rec_drop(struct agent_dev *d);
int agent_fw_update_save(struct agent_dev *d, const char *target);
int agent_fw_update_load(struct agent_dev *d, char *target, size_t cap);
void agent_fw_update_drop(struct agent_dev *d);
/* Parse a record's text (exposed for checks): 0 or BW_EMALFORMED. */
int agent_fw_rec_parse(const char *text, size_t len, agent_fw_dl_rec_t *r);

#endif /* BW_AGENT_FW_H */
