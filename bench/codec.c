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
#include "bulwark/lwm2m.h"
#include "bulwark/lwm2m_senml.h"

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

/*
 * A Device object (/3/0) read response: the payload an LwM2M server
 * decodes most often.  Built with Bulwark's own writers, so the figure is
 * for exactly what the library emits.
 */
#define STR(s) {.type = BW_LWM2M_TYPE_STRING, .v.bytes = {(const uint8_t *)(s), sizeof(s) - 1}}
#define INT(n) {.type = BW_LWM2M_TYPE_INTEGER, .v.i = (n)}
static const struct {
    bw_lwm2m_path_t path;
    bw_lwm2m_value_t value;
} device[] = {
    {BW_LWM2M_PATH_RES(3, 0, 0), STR("Bulwark")},
    {BW_LWM2M_PATH_RES(3, 0, 1), STR("Gateway G1")},
    {BW_LWM2M_PATH_RES(3, 0, 2), STR("BW-000123456")},
    {BW_LWM2M_PATH_RES(3, 0, 3), STR("1.2.3+45")},
    {BW_LWM2M_PATH_RI(3, 0, 6, 0), INT(1)},
    {BW_LWM2M_PATH_RI(3, 0, 6, 1), INT(5)},
    {BW_LWM2M_PATH_RI(3, 0, 7, 0), INT(3800)},
    {BW_LWM2M_PATH_RI(3, 0, 7, 1), INT(5000)},
    {BW_LWM2M_PATH_RES(3, 0, 9), INT(100)},
    {BW_LWM2M_PATH_RI(3, 0, 11, 0), INT(0)},
    {BW_LWM2M_PATH_RES(3, 0, 13), {.type = BW_LWM2M_TYPE_TIME, .v.i = 1767225600}},
    {BW_LWM2M_PATH_RES(3, 0, 14), STR("+02:00")},
    {BW_LWM2M_PATH_RES(3, 0, 16), STR("U")},
};
#define DEVICE_COUNT (sizeof device / sizeof device[0])

static bw_lwm2m_type_t device_type(void *ctx, const bw_lwm2m_path_t *path)
{
    (void)ctx;
    for (size_t i = 0; i < DEVICE_COUNT; i++)
        if (device[i].path.id[2] == path->id[2])
            return device[i].value.type;
    return BW_LWM2M_TYPE_NONE;
}

static int count_record(void *ctx, const bw_lwm2m_record_t *rec)
{
    (void)rec;
    (*(size_t *)ctx)++;
    return 0;
}

typedef struct {
    const uint8_t *payload;
    size_t len;
    bw_lwm2m_decode_fn decode;
} decode_job_t;

static uint64_t run_decode(void *arg)
{
    decode_job_t *j = arg;
    size_t n = 0;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(3, 0);
    bw_lwm2m_sink_t sink = {.type_of = device_type, .record = count_record,
                            .ctx = &n};
    if (j->decode(j->payload, j->len, &base, &sink) != 0 || n != DEVICE_COUNT)
        abort();
    return n;
}

static uint64_t run_copy_payload(void *arg)
{
    decode_job_t *j = arg;
    uint8_t out[512];
    memcpy(out, j->payload, j->len);
    __asm__ __volatile__("" : : "r"(out) : "memory");
    return out[j->len - 1];
}

static size_t make_tlv(uint8_t *buf, size_t cap)
{
    bw_lwm2m_tlv_writer_t w;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(3, 0);
    size_t len = 0;
    bw_lwm2m_tlv_begin(&w, buf, cap, &base);
    for (size_t i = 0; i < DEVICE_COUNT; i++) {
        bw_lwm2m_record_t r = {.path = device[i].path, .value = device[i].value};
        bw_lwm2m_tlv_add(&w, &r);
    }
    if (bw_lwm2m_tlv_finish(&w, &len) != 0)
        abort();
    return len;
}

static size_t make_senml_cbor(uint8_t *buf, size_t cap)
{
    bw_lwm2m_senml_cbor_writer_t w;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(3, 0);
    size_t len = 0;
    bw_lwm2m_senml_cbor_begin(&w, buf, cap, &base);
    for (size_t i = 0; i < DEVICE_COUNT; i++) {
        bw_lwm2m_record_t r = {.path = device[i].path, .value = device[i].value};
        bw_lwm2m_senml_cbor_add(&w, &r);
    }
    if (bw_lwm2m_senml_cbor_finish(&w, &len) != 0)
        abort();
    return len;
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

    uint8_t tlv[512], cbor[512];
    decode_job_t jt = {tlv, make_tlv(tlv, sizeof tlv), bw_lwm2m_tlv_decode};
    decode_job_t jc = {cbor, make_senml_cbor(cbor, sizeof cbor),
                       bw_lwm2m_senml_cbor_decode};
    printf("\nDevice object /3/0 read, %zu resources: TLV %zu bytes, "
           "SenML CBOR %zu bytes\n\n",
           DEVICE_COUNT, jt.len, jc.len);
    copy = bench_rate(run_copy_payload, &jt, secs);
    printf("%-34s %12.0f msg/s   (baseline)\n", "memcpy of the TLV bytes", copy);
    report("TLV decode (typed records)", bench_rate(run_decode, &jt, secs),
           copy);
    copy = bench_rate(run_copy_payload, &jc, secs);
    printf("%-34s %12.0f msg/s   (baseline)\n", "memcpy of the SenML CBOR bytes",
           copy);
    report("SenML CBOR decode (typed records)", bench_rate(run_decode, &jc, secs),
           copy);

    printf("\ntarget: Register parse >= 5000000 msg/s: %s (%.1f M/s)\n",
           parse >= 5e6 ? "met" : "NOT met", parse / 1e6);
    return 0;
}
