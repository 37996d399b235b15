/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one poll(2) loop that serves every device context, and the end of
 * the program.
 *
 * Order of one pass (after each wake-up):
 *   1. the time; a signal or --max-runtime starts the stop (below);
 *   2. temperature samples that are due (each pokes its client);
 *   3. up to AGENT_ROUNDS rounds over the contexts: service the channel
 *      (handshake, datagrams into the client) when its socket had news
 *      or its timer is due, the firmware download likewise (fw_get.c;
 *      also the health check's deadline), then step the client when it asked
 * for this time or something happened to it (a datagram, the channel going up
 * or down).  Another round only when a step poked a context again (a new
 * channel whose handshake must start, say);
 *   4. events that end the run: a reboot or factory reset, every context
 *      registered (--exit-after-register), every context stopped;
 *   5. sleep in ppoll() until the earliest of: any client's next step,
 *      any transport timer, any sample, the stop or run deadline.  With
 *      nothing due the process sleeps: no tick, no busy wait.
 *
 * Signals: SIGTERM and SIGINT are blocked except inside ppoll(), so one
 * arriving between the check and the sleep still wakes it.  The stop
 * de-registers every registered context (bw_lwm2m_client_stop), waits up
 * to AGENT_STOP_MS for the answers, closes every channel (DTLS:
 * close_notify) and exits 0.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"

/* How long a stop waits for the De-register answers. */
#define AGENT_STOP_MS 2000u
/* Rounds of service-and-step per wake-up before sleeping again. */
#define AGENT_ROUNDS 4
/* Sockets per context: one per LwM2M channel, the download. */
#define AGENT_FDS (BW_LWM2M_MAX_SERVERS + 1)
/* Longest single sleep: a bound, not a tick (nothing is polled). */
#define AGENT_MAX_SLEEP_MS 3600000u

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static const char *state_name(bw_lwm2m_state_t st)
{
    static const char *const names[] = {"IDLE",          "BOOTSTRAPPING",
                                        "REGISTERING",   "REGISTERED",
                                        "DEREGISTERING", "STOPPED"};
    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}

/* Whether d is registered with every DM server of its set that the
 * client holds a channel for. */
static int with_every_server(const agent_dev_t *d)
{
    const bw_lwm2m_servers_t *set = bw_lwm2m_client_servers(&d->client);
    unsigned want = 0, have = 0;
    for (int i = bw_lwm2m_servers_dm(set, 0);
         i >= 0 && want < BW_LWM2M_MAX_SERVERS;
         i = bw_lwm2m_servers_dm(set, (size_t)i + 1))
        want++;
    for (unsigned ch = 0; ch < BW_LWM2M_MAX_SERVERS; ch++)
        have += bw_lwm2m_client_registered(&d->client, ch, NULL) != 0;
    return want > 0 && have >= want;
}

void agent_event(void *arg, bw_lwm2m_event_t ev)
{
    agent_dev_t *d = arg;
    switch (ev) {
    case BW_LWM2M_EV_BOOTSTRAPPED:
        agent_log(d, "bootstrap finished, server set saved");
        break;
    case BW_LWM2M_EV_REGISTERED:
        /* One event per server: say which (the channels registered and
         * not yet logged). */
        for (unsigned ch = 0; ch < BW_LWM2M_MAX_SERVERS; ch++) {
            const char *loc = "";
            uint16_t ssid = bw_lwm2m_client_registered(&d->client, ch, &loc);
            if (ssid == 0 || (d->reg_logged & (1u << ch)))
                continue;
            d->reg_logged |= 1u << ch;
            agent_log(d, "registered with %s (server %u, %s)", d->chan[ch].uri,
                      (unsigned)ssid, loc);
        }
        /* --exit-after-register waits for every server. */
        if (with_every_server(d))
            d->registered = 1;
        agent_fw_registered(d);
        break;
    case BW_LWM2M_EV_UPDATED:
        agent_log(d, "registration updated");
        break;
    case BW_LWM2M_EV_DEREGISTERED:
        agent_log(d, "deregistered");
        break;
    case BW_LWM2M_EV_RETRY:
        agent_log(d, "%s failed, retrying later",
                  state_name(bw_lwm2m_client_state(&d->client)));
        break;
    case BW_LWM2M_EV_SEND_DONE:
    case BW_LWM2M_EV_SEND_FAILED:
        agent_send_result(d, ev);
        break;
    case BW_LWM2M_EV_SLEEP:
        AGENT_VLOG(d, "queue mode: channel closed until the next update");
        break;
    case BW_LWM2M_EV_REBOOT:
    case BW_LWM2M_EV_FACTORY_RESET:
        /* A factory reset arrives as a Reboot event too (objects.c). */
        if (ev == BW_LWM2M_EV_FACTORY_RESET || d->reset_posted) {
            if (!d->factory_reset)
                agent_log(d, "factory reset requested by the server");
            d->factory_reset = 1;
        } else if (!d->reboot) {
            agent_log(d, "reboot requested by the server");
            d->reboot = 1;
        }
        break;
    }
}

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static void step(agent_dev_t *d, uint64_t now)
{
    d->poke = 0;
    if (bw_lwm2m_client_step(&d->client, now, &d->next_ms) != 0)
        d->next_ms = UINT64_MAX;
    /* A registration that ended is logged again when it comes back. */
    for (unsigned ch = 0; ch < BW_LWM2M_MAX_SERVERS; ch++)
        if (bw_lwm2m_client_registered(&d->client, ch, NULL) == 0)
            d->reg_logged &= ~(1u << ch);
    bw_lwm2m_state_t st = bw_lwm2m_client_state(&d->client);
    if (st != d->logged_state) {
        AGENT_VLOG(d, "state %s -> %s", state_name(d->logged_state),
                   state_name(st));
        d->logged_state = st;
    }
}

/* Service channels and step clients until nothing is left to do now. */
static void run_rounds(agent_t *a, uint64_t now)
{
    for (int round = 0; round < AGENT_ROUNDS; round++) {
        int again = 0;
        for (unsigned i = 0; i < a->ndev; i++) {
            agent_dev_t *d = a->dev[i];
            for (unsigned ch = 0; ch < BW_LWM2M_MAX_SERVERS; ch++)
                if ((d->readable & (1u << ch)) || d->chan[ch].deadline <= now) {
                    d->readable &= ~(1u << ch);
                    agent_chan_service(d, ch, now);
                }
            if (d->fw_readable || agent_fw_next(d) <= now) {
                d->fw_readable = 0;
                agent_fw_service(d, now);
            }
            if (d->poke || now >= d->next_ms)
                step(d, now);
            /* A step that opened a channel wants its first service. */
            again |= d->poke || agent_chan_deadline(d) <= now;
        }
        if (!again)
            break;
    }
}

static void close_all(agent_t *a)
{
    for (unsigned i = 0; i < a->ndev; i++)
        agent_chan_close_all(a->dev[i]);
}

static void begin_stop(agent_t *a, uint64_t now, const char *why)
{
    unsigned n = 0;
    for (unsigned i = 0; i < a->ndev; i++) {
        bw_lwm2m_client_t *c = &a->dev[i]->client;
        bw_lwm2m_state_t st = bw_lwm2m_client_state(c);
        if (st == BW_LWM2M_STATE_REGISTERED)
            n++;
        if (st != BW_LWM2M_STATE_IDLE && st != BW_LWM2M_STATE_STOPPED &&
            st != BW_LWM2M_STATE_DEREGISTERING)
            (void)bw_lwm2m_client_stop(c, now);
        a->dev[i]->poke = 1;
    }
    agent_log(NULL, "%s: stopping, de-registering %u device%s", why, n,
              n == 1 ? "" : "s");
}

static int all_stopped(const agent_t *a)
{
    for (unsigned i = 0; i < a->ndev; i++)
        if (bw_lwm2m_client_state(&a->dev[i]->client) != BW_LWM2M_STATE_STOPPED)
            return 0;
    return 1;
}

static int all_registered(const agent_t *a)
{
    for (unsigned i = 0; i < a->ndev; i++)
        if (!a->dev[i]->registered)
            return 0;
    return 1;
}

/*
 * A reboot or factory reset reached d.  One device: end the program with
 * the reboot code (bulwark-boot runs it again).  In a fleet the other
 * devices go on: d alone starts over, as a fresh process would.
 * Returns -1 to go on, or the exit code.
 */
static int handle_reset(agent_t *a, agent_dev_t *d, uint64_t now)
{
    if (d->factory_reset) {
        int err = agent_state_wipe(d);
        if (err != 0)
            agent_log(d, "factory reset: erasing the server set failed: %s",
                      bw_strerror(err));
        else
            agent_log(d, "factory reset: server set erased");
    }
    d->reboot = 0;
    d->factory_reset = 0;
    d->reset_posted = 0;
    if (a->ndev == 1) {
        agent_log(d, "rebooting (exit %d)", a->reboot_code);
        return a->reboot_code;
    }
    agent_chan_close_all(d);
    agent_chan_free(d); /* a reboot forgets the DTLS sessions too */
    agent_fw_get_stop(d);
    agent_log(d, "rebooting this device of the fleet");
    agent_fw_fleet_boot(d);
    d->registered = 0;
    if (agent_dev_start(d, now) != 0)
        return AGENT_EXIT_FAIL;
    d->poke = 1;
    return -1;
}

/* Step 4 of the pass: -1 to go on, or the exit code. */
static int check_end(agent_t *a, uint64_t now, int stopping,
                     uint64_t stop_deadline)
{
    for (unsigned i = 0; i < a->ndev; i++) {
        agent_dev_t *d = a->dev[i];
        if (d->reboot || d->factory_reset) {
            int code = handle_reset(a, d, now);
            if (code >= 0)
                return code;
        }
    }
    if (stopping && (all_stopped(a) || now >= stop_deadline)) {
        if (!all_stopped(a))
            agent_log(NULL,
                      "stop: no answer to every De-register within "
                      "%u ms",
                      AGENT_STOP_MS);
        return AGENT_EXIT_OK;
    }
    if (!stopping && a->exit_after_register && all_registered(a)) {
        agent_log(NULL, "every device registered (%u)", a->ndev);
        return AGENT_EXIT_OK;
    }
    return -1;
}

static void runtime_exceeded(const agent_t *a)
{
    unsigned missing = 0;
    for (unsigned i = 0; i < a->ndev; i++)
        if (!a->dev[i]->registered) {
            if (missing < 5)
                agent_log(
                    a->dev[i], "not registered (state %s)",
                    state_name(bw_lwm2m_client_state(&a->dev[i]->client)));
            missing++;
        }
    agent_log(NULL,
              "--max-runtime of %llu s passed: %u of %u device%s not "
              "registered",
              (unsigned long long)(a->max_runtime / 1000), missing, a->ndev,
              a->ndev == 1 ? "" : "s");
}

/* Every device starts now, or with --fleet-ramp at its place in the
 * ramp: its client's first step (and so its first datagram) waits. */
static int start_all(agent_t *a)
{
    for (unsigned i = 0; i < a->ndev; i++) {
        agent_dev_t *d = a->dev[i];
        if (agent_dev_start(d, a->now) != 0)
            return -1;
        uint64_t at = a->now + a->fleet_ramp_ms * i / a->ndev;
        if (at <= a->now)
            d->poke = 1;
        else
            d->next_ms = at;
    }
    return 0;
}

/* The sockets ppoll() waits on: the open ones only (a fleet's closed
 * channels and idle downloads cost nothing), each with whose it is:
 * device index * AGENT_FDS + socket (its channel, or BW_LWM2M_MAX_SERVERS
 * for the download). */
typedef struct {
    struct pollfd *pfd;
    uint32_t *who;
    nfds_t n;
} waitset_t;

static void wait_on(waitset_t *w, int fd, unsigned dev, unsigned k)
{
    if (fd < 0)
        return;
    w->pfd[w->n].fd = fd;
    w->pfd[w->n].events = POLLIN;
    w->pfd[w->n].revents = 0;
    w->who[w->n++] = (uint32_t)(dev * AGENT_FDS + k);
}

static int loop(agent_t *a, waitset_t *w, const sigset_t *waitmask)
{
    int stopping = 0;
    uint64_t stop_deadline = UINT64_MAX;
    uint64_t run_deadline =
        a->max_runtime ? a->start_ms + a->max_runtime : UINT64_MAX;

    for (;;) {
        uint64_t now = a->now = agent_now_ms();
        if (got_signal && !stopping) {
            stopping = 1;
            stop_deadline = now + AGENT_STOP_MS;
            begin_stop(a, now, got_signal == SIGINT ? "SIGINT" : "SIGTERM");
        }
        if (now >= run_deadline && !stopping) {
            if (a->exit_after_register) {
                runtime_exceeded(a);
                return AGENT_EXIT_FAIL;
            }
            stopping = 1;
            stop_deadline = now + AGENT_STOP_MS;
            begin_stop(a, now, "--max-runtime reached");
        }
        for (unsigned i = 0; !stopping && i < a->ndev; i++) {
            (void)agent_objects_sample(a->dev[i], now);
            (void)agent_send_tick(a->dev[i], now);
        }
        run_rounds(a, now);
        int code = check_end(a, now, stopping, stop_deadline);
        if (code >= 0)
            return code;

        uint64_t wake = min64(stop_deadline, run_deadline);
        w->n = 0;
        for (unsigned i = 0; i < a->ndev; i++) {
            agent_dev_t *d = a->dev[i];
            if (!stopping)
                wake =
                    min64(wake, min64(d->sample_ms, agent_send_tick(d, now)));
            wake = min64(wake, min64(d->next_ms, agent_chan_deadline(d)));
            wake = min64(wake, agent_fw_next(d));
            if (d->poke)
                wake = now;
            for (unsigned ch = 0; ch < BW_LWM2M_MAX_SERVERS; ch++)
                wait_on(w, agent_chan_fd(d, ch), i, ch);
            wait_on(w, agent_fw_fd(d), i, BW_LWM2M_MAX_SERVERS);
        }
        uint64_t ms = wake <= now ? 0 : wake - now;
        if (ms > AGENT_MAX_SLEEP_MS)
            ms = AGENT_MAX_SLEEP_MS;
        struct timespec ts = {(time_t)(ms / 1000),
                              (long)(ms % 1000) * 1000000L};
        int n = ppoll(w->pfd, w->n, &ts, waitmask);
        if (n < 0 && errno != EINTR) {
            agent_log(NULL, "poll: %s", strerror(errno));
            return AGENT_EXIT_FAIL;
        }
        for (nfds_t j = 0; n > 0 && j < w->n; j++) {
            if (w->pfd[j].revents == 0)
                continue;
            agent_dev_t *d = a->dev[w->who[j] / AGENT_FDS];
            unsigned k = w->who[j] % AGENT_FDS;
            if (k < BW_LWM2M_MAX_SERVERS)
                d->readable |= 1u << k;
            else
                d->fw_readable = 1;
        }
    }
}

int agent_run(agent_t *a)
{
    sigset_t block, waitmask;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* A server that went away must not kill us with SIGPIPE (UDP does
     * not raise it, but nothing here wants it either). */
    signal(SIGPIPE, SIG_IGN);

    /* Room for every socket of every context. */
    waitset_t w = {calloc(AGENT_FDS * (size_t)a->ndev, sizeof *w.pfd),
                   calloc(AGENT_FDS * (size_t)a->ndev, sizeof *w.who), 0};
    if (w.pfd == NULL || w.who == NULL) {
        free(w.pfd);
        free(w.who);
        agent_log(NULL, "out of memory");
        return AGENT_EXIT_FAIL;
    }
    a->now = agent_now_ms();
    int code = start_all(a) == 0 ? loop(a, &w, &waitmask) : AGENT_EXIT_FAIL;
    close_all(a);
    free(w.pfd);
    free(w.who);
    return code;
}
