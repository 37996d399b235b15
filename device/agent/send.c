/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-device --send-interval S: every S seconds while registered, the
 * device reports its temperature (/3303/0/5700) and battery level
 * (/3/0/9) to the DM server with LwM2M Send (bw_lwm2m_client_send), and
 * logs how each one ended.
 *
 * The first Send falls S seconds after the device is first seen
 * registered; a Send that cannot be made (one still in flight, Mute Send
 * set by the server) is logged and the next one keeps the schedule.
 * Values carry the wall clock (CLOCK_REALTIME) as SenML base time.  The
 * battery level is simulated: it drains by one percent a minute of
 * uptime and starts again at 100, enough for a chart to show something.
 */
#include <time.h>

#include "agent.h"

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t agent_send_tick(agent_dev_t *d, uint64_t now)
{
    static const bw_lwm2m_path_t paths[] = {
        BW_LWM2M_PATH_RES(3303, 0, 5700), /* Sensor Value */
        BW_LWM2M_PATH_RES(3, 0, 9),       /* Battery Level */
    };
    uint32_t every = d->app->send_ms;
    if (every == 0)
        return UINT64_MAX;
    if (bw_lwm2m_client_state(&d->client) != BW_LWM2M_STATE_REGISTERED) {
        d->send_at = 0;
        return UINT64_MAX;
    }
    if (d->send_at == 0)
        d->send_at = now + every;
    if (now < d->send_at)
        return d->send_at;
    d->send_at = now + every;
    uint64_t up_min = (now - d->app->start_ms) / 60000u;
    (void)bw_lwm2m_device_set_battery(&d->device, (int)(100 - up_min % 100));
    int err = bw_lwm2m_client_send(
        &d->client, paths, sizeof paths / sizeof paths[0], now, wall_ms());
    if (err != 0)
        agent_log(d, "Send not made: %s", bw_strerror(err));
    else
        d->poke = 1; /* it goes out at the next step */
    return d->send_at;
}

void agent_send_result(agent_dev_t *d, bw_lwm2m_event_t ev)
{
    uint8_t code = 0;
    int err = bw_lwm2m_client_send_result(&d->client, &code);
    if (ev == BW_LWM2M_EV_SEND_DONE) {
        agent_log(d, "Send: %u.%02u, values stored", code >> 5, code & 31u);
        return;
    }
    if (code != 0)
        agent_log(d, "Send refused: %u.%02u (%s)", code >> 5, code & 31u,
                  bw_strerror(err));
    else
        agent_log(d, "Send failed: %s", bw_strerror(err));
}
