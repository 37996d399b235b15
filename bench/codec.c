/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/codec: how fast the protocol core turns bytes into meaning.
 *
 * Each figure is messages per second on one core, printed beside memcpy of
 * the same bytes in the same run (the ratio is codec time over copy time,
 * so it travels across machines).  Target from the design: parsing a
 * typical ~60-byte LwM2M Register request at 5 million per second or more.
 */
#include <string.h>

#include "bench.h"
#include "bulwark/coap.h"

typedef struct {
    const uint8_t *msg;
    size_t len;
    uint8_t out[256];
} job_t;

/* Build the LwM2M Register request the figure is quoted for. */
static size_t make_register(uint8_t *buf, size_t cap)
{
    static const uint8_t token[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const char links[] = "</1/0>,</3/0>";
    bw_coap_writer_t w;
    size_t len = 0;
    bw_coap_writer_init(&w, buf, cap, BW_COAP_CON, BW_COAP_POST, 0x1234,
                        token, sizeof token);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "rd", 2);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, BW_COAP_FMT_LINK);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, "ep=dev-0001", 11);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, "lt=300", 6);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, "lwm2m=1.1", 9);
    bw_coap_writer_payload(&w, links, sizeof links - 1);
    if (bw_coap_writer_finish(&w, &len) != 0) {
        fprintf(stderr, "codec: cannot build the Register request\n");
        exit(1);
    }
    return len;
}

static uint64_t run_memcpy(void *arg)
{
    job_t *j = arg;
    memcpy(j->out, j->msg, j->len);
    __asm__ __volatile__("" : : "r"(j->out) : "memory");
    return j->out[j->len - 1];
}

static uint64_t run_parse(void *arg)
{
    job_t *j = arg;
    bw_coap_msg_t m;
    if (bw_coap_parse(&m, j->msg, j->len) != 0)
        abort();
    return m.option_count + m.payload_len;
}

/* Parse, then walk every option: what a server does with each request. */
static uint64_t run_parse_walk(void *arg)
{
    job_t *j = arg;
    bw_coap_msg_t m;
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    uint64_t acc = 0;
    if (bw_coap_parse(&m, j->msg, j->len) != 0)
        abort();
    bw_coap_opt_iter_init(&it, &m);
    while (bw_coap_opt_next(&it, &o))
        acc += o.number + o.len;
    return acc;
}

static uint64_t run_serialize(void *arg)
{
    job_t *j = arg;
    return make_register(j->out, sizeof j->out);
}

static void report(const char *what, double rate, double base)
{
    printf("%-34s %12.0f msg/s   %6.2fx memcpy time\n", what, rate,
           base / rate);
}

int main(void)
{
    uint8_t reg[256];
    job_t job = {.msg = reg, .len = make_register(reg, sizeof reg)};
    const double secs = 1.5;

    printf("bench/codec: one core, best of 3 rounds, %.1f s per figure\n",
           secs);
    printf("LwM2M Register request: %zu bytes\n\n", job.len);
    double copy = bench_rate(run_memcpy, &job, secs);
    printf("%-34s %12.0f msg/s   (baseline)\n", "memcpy of the same bytes", copy);
    double parse = bench_rate(run_parse, &job, secs);
    report("CoAP parse (validate all)", parse, copy);
    report("CoAP parse + walk options", bench_rate(run_parse_walk, &job, secs),
           copy);
    report("CoAP serialize (writer)", bench_rate(run_serialize, &job, secs),
           copy);
    printf("\ntarget: Register parse >= 5000000 msg/s: %s (%.1f M/s)\n",
           parse >= 5e6 ? "met" : "NOT met", parse / 1e6);
    return 0;
}
