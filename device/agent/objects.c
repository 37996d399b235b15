/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The objects a bulwark-device context serves (lib/objects, see
 * docs/objects.md), and what the POSIX device tells them:
 *
 *   Device /3        manufacturer "Bulwark", model "bulwark-device",
 *                    serial = the endpoint name, firmware version
 *                    BW_BOOT_VERSION under bulwark-boot, else
 *                    --fw-version; Current Time from the system clock
 *                    (read-only); Reboot and Factory Reset post an event
 *                    to the client, which reports it once the 2.04 is out
 *                    (loop.c then ends the program with the reboot code).
 *   Connectivity /4  bearer Ethernet (41: the POSIX port runs on a wired
 *                    host), the local IP address of the current socket.
 *   Firmware /5      pull over coap:// and coaps:// (/5/0/8 = 0, 1;
 *                    /5/0/9 = 0): the hooks are fw_boot.c's, the
 *                    download fw_get.c's (fw.h).  Push (Package) is
 *                    refused with 4.05.
 *   Temperature 3303 one simulated sensor, instance 0: a slow sine wave
 *                    around 21 C (period 10 minutes, amplitude 4 C),
 *                    sampled every --sample-interval seconds; every
 *                    sample goes to the client as a change, so observers
 *                    are notified.  A DM server may Create and Delete
 *                    further instances (temp.h); they are kept in the
 *                    state directory (AGENT_TEMP_ITEM, one atomic put()
 *                    per change) and restored here at start, and a change
 *                    of the instance set sends an Update with the new
 *                    object links.
 */
#include <math.h>
#include <time.h>

#include "agent.h"

/* IANA: Network Bearer 41 is Ethernet (Connectivity Monitoring, /4/0/0). */
#define AGENT_BEARER_ETHERNET 41
/* Available Power Sources value 0: DC power. */
#define AGENT_POWER_DC 0

/* The simulated sensor: mean, amplitude (C), period (ms), range (C). */
#define AGENT_TEMP_MEAN      21.0
#define AGENT_TEMP_AMPLITUDE 4.0
#define AGENT_TEMP_PERIOD_MS 600000.0
#define AGENT_TEMP_RANGE_MIN (-40.0)
#define AGENT_TEMP_RANGE_MAX 125.0

static void changed(void *app, const bw_lwm2m_path_t *path)
{
    agent_dev_t *d = app;
    bw_lwm2m_client_changed(&d->client, path, d->app->now);
}

/* The Temperature object's settings changed: keep them, and tell the
 * server about new or removed instances (the links of the next Update). */
static void temp_saved(void *app, int set_changed)
{
    agent_dev_t *d = app;
    char rec[AGENT_TEMP_REC_MAX];
    size_t len = 0;
    int err = agent_temp_encode(&d->temp, rec, sizeof rec, &len);
    if (err == 0)
        err = bw_posix_keystore_put(&d->state, AGENT_TEMP_ITEM,
                                    (const uint8_t *)rec, len);
    if (err != 0)
        agent_log(d, "saving the Temperature instances in %s failed: %s",
                  d->state_dir, bw_strerror(err));
    else
        AGENT_VLOG(d, "Temperature instances saved (%zu)", d->temp.n);
    if (set_changed) {
        bw_lwm2m_client_objects_changed(&d->client);
        d->poke = 1;
    }
}

static int temp_bootstrapping(void *app)
{
    const agent_dev_t *d = app;
    return bw_lwm2m_client_state(&d->client) == BW_LWM2M_STATE_BOOTSTRAPPING;
}

/* The instances a server created before the last stop.  A record that
 * cannot be read is reported and left alone: the device starts with its
 * built-in sensor only, and the next change overwrites the record. */
static void temp_load(agent_dev_t *d)
{
    char rec[AGENT_TEMP_REC_MAX];
    size_t len = 0;
    int err = bw_posix_keystore_get(&d->state, AGENT_TEMP_ITEM, (uint8_t *)rec,
                                    sizeof rec, &len);
    if (err == BW_ENOTFOUND)
        return;
    if (err == 0)
        err = agent_temp_restore(&d->temp, rec, len);
    if (err != 0)
        agent_log(d, "%s/%s: not restored: %s", d->state_dir, AGENT_TEMP_ITEM,
                  bw_strerror(err));
    else if (d->temp.n > 1)
        agent_log(d, "Temperature: %zu created instance(s) restored",
                  d->temp.n - 1);
}

static int reboot(void *app)
{
    agent_dev_t *d = app;
    bw_lwm2m_client_post_event(&d->client, BW_LWM2M_EV_REBOOT);
    return 0;
}

/* Reported back by the client once the 2.04 is out (see loop.c). */
static int factory_reset(void *app)
{
    agent_dev_t *d = app;
    d->reset_posted = 1;
    bw_lwm2m_client_post_event(&d->client, BW_LWM2M_EV_FACTORY_RESET);
    return 0;
}

static int get_time(void *app, int64_t *now)
{
    (void)app;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return BW_EIO;
    *now = (int64_t)ts.tv_sec;
    return 0;
}

static double simulated(const agent_dev_t *d, uint64_t now)
{
    /* Each device of a fleet at its own phase, so their values differ. */
    const double pi = 3.14159265358979323846;
    double t = (double)(now - d->app->start_ms) +
               (double)d->index * AGENT_TEMP_PERIOD_MS / 7.0;
    double v = AGENT_TEMP_MEAN +
               AGENT_TEMP_AMPLITUDE * sin(2.0 * pi * t / AGENT_TEMP_PERIOD_MS);
    return round(v * 100.0) / 100.0; /* a sensor's resolution */
}

int agent_objects_init(agent_dev_t *d)
{
    bw_lwm2m_device_cfg_t dc = {
        .manufacturer = "Bulwark",
        .model = "bulwark-device",
        .serial = d->ep,
        .firmware_version = agent_fw_version(d),
        .binding = "U",
        .reboot = reboot,
        .factory_reset = factory_reset,
        .get_time = get_time,
        .changed = changed,
        .app = d,
    };
    static const uint8_t power[] = {AGENT_POWER_DC};
    static const uint8_t bearers[] = {AGENT_BEARER_ETHERNET};
    bw_lwm2m_fw_cfg_t fc = {
        .protocols =
            1u << BW_LWM2M_FW_PROTO_COAP | 1u << BW_LWM2M_FW_PROTO_COAPS,
        .delivery = BW_LWM2M_FW_BOTH,
        .download = agent_fw_download,
        .chunk = agent_fw_chunk,
        .cancel = agent_fw_cancel,
        .apply = agent_fw_apply,
        .changed = changed,
        .app = d,
    };
    int err = bw_lwm2m_device_init(&d->device, &d->device_obj, &dc);
    if (err == 0)
        err = bw_lwm2m_device_set_power(&d->device, power, sizeof power);
    if (err == 0)
        err = bw_lwm2m_conn_init(&d->conn, &d->conn_obj, changed, d);
    if (err == 0)
        err = bw_lwm2m_conn_set_bearer(&d->conn, AGENT_BEARER_ETHERNET);
    if (err == 0)
        err = bw_lwm2m_conn_set_bearers(&d->conn, bearers, sizeof bearers);
    if (err == 0)
        err = bw_lwm2m_fw_init(&d->fw, &d->fw_obj, &fc);
    agent_temp_cfg_t tc = {
        .changed = changed,
        .saved = temp_saved,
        .bootstrapping = temp_bootstrapping,
        .app = d,
    };
    if (err == 0)
        err = agent_temp_init(&d->temp, &d->temp_obj, &tc, AGENT_TEMP_RANGE_MIN,
                              AGENT_TEMP_RANGE_MAX);
    if (err == 0)
        temp_load(d);
    bw_lwm2m_object_t *objs[] = {&d->device_obj, &d->conn_obj, &d->fw_obj,
                                 &d->temp_obj};
    for (size_t i = 0; err == 0 && i < sizeof objs / sizeof objs[0]; i++)
        err = bw_lwm2m_client_add_object(&d->client, objs[i]);
    d->sample_ms = d->app->now;
    return err;
}

uint64_t agent_objects_sample(agent_dev_t *d, uint64_t now)
{
    if (now >= d->sample_ms) {
        (void)agent_temp_sample(&d->temp, simulated(d, now));
        d->sample_ms = now + d->app->sample_ms;
        /* An observer may be owed a notification: the client learns of
         * it at its next step, which must not wait for its old timer. */
        d->poke = 1;
    }
    return d->sample_ms;
}

void agent_objects_set_ip(agent_dev_t *d, const char *ip)
{
    const char *ips[1] = {ip};
    (void)bw_lwm2m_conn_set_ips(&d->conn, ips, ip[0] != '\0' ? 1 : 0);
}
