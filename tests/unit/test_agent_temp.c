/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-device's Temperature object (device/agent/temp.c) behind the
 * real DM core (bw_lwm2m_dm_handle): Create and Delete with the CoAP
 * codes a server sees, the object left exactly as it was after every
 * refusal, the persistence callback, and the record that keeps created
 * instances across a restart (round trip and malformed records with
 * their exact codes).
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bulwark/lwm2m_dm.h"
#include "lwm2m_sample_object.h"
#include "temp.h"

#define SENML_JSON 110

typedef struct {
    bw_lwm2m_dm_t dm;
    agent_temp_t t;
    bw_lwm2m_object_t obj;
    int saves, set_changes, bootstrapping;
    uint8_t out[1152];
    bw_coap_msg_t rsp;
} fix_t;

static fix_t F;

static void on_saved(void *app, int set_changed)
{
    fix_t *f = app;
    f->saves++;
    f->set_changes += set_changed;
}

static int on_bootstrapping(void *app)
{
    const fix_t *f = app;
    return f->bootstrapping;
}

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    agent_temp_cfg_t cfg = {NULL, on_saved, on_bootstrapping, &F};
    bw_lwm2m_dm_init(&F.dm);
    assert_int_equal(agent_temp_init(&F.t, &F.obj, &cfg, -40.0, 125.0), 0);
    assert_int_equal(bw_lwm2m_dm_add(&F.dm, &F.obj), 0);
    return 0;
}

static int req(bw_lwm2m_iface_t iface, uint8_t code, const char *path,
               const char *json)
{
    bw_sample_req_t q = bw_sample_req(code, path);
    if (json != NULL) {
        q.format = SENML_JSON;
        q.payload = json;
        q.len = strlen(json);
    }
    return bw_sample_do(&F.dm, iface, 101, &q, F.out, sizeof F.out, &F.rsp);
}

static int dm(uint8_t code, const char *path, const char *json)
{
    return req(BW_LWM2M_IFACE_DM, code, path, json);
}

/* The response's Location-Path joined as "/a/b", "" when none. */
static void location(char *out, size_t cap)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    size_t k = 0;
    out[0] = '\0';
    bw_coap_opt_iter_init(&it, &F.rsp);
    while (bw_coap_opt_next(&it, &o))
        if (o.number == BW_COAP_OPT_LOCATION_PATH) {
            assert_true(k + 1 + o.len < cap);
            out[k++] = '/';
            memcpy(out + k, o.value, o.len);
            k += o.len;
            out[k] = '\0';
        }
}

/* The string at /3303/inst/res, or NULL when absent. */
static const char *text_at(uint16_t inst, uint16_t res, char *buf, size_t cap)
{
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(3303, inst, res);
    bw_lwm2m_value_t v;
    if (F.obj.ops->read(&F.obj, &p, &v, NULL, 0) != 0)
        return NULL;
    assert_int_equal(v.type, BW_LWM2M_TYPE_STRING);
    assert_true(v.v.bytes.len < cap);
    memcpy(buf, v.v.bytes.ptr, v.v.bytes.len);
    buf[v.v.bytes.len] = '\0';
    return buf;
}

static void assert_text(uint16_t inst, uint16_t res, const char *want)
{
    char buf[64];
    const char *got = text_at(inst, res, buf, sizeof buf);
    if (want == NULL) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
}

/* The whole object as its record: compared before and after refusals. */
static void snapshot(char *rec, size_t cap)
{
    size_t len = 0;
    assert_int_equal(agent_temp_encode(&F.t, rec, cap - 1, &len), 0);
    rec[len] = '\0';
}

/*
 * Create /3303 with Application Type and units: 2.01 with Location-Path
 * /3303/1 (the lowest free id), the values read back, the links list the
 * new instance, and the change was reported for saving with the set
 * changed.  A Create naming /3303/3 in its SenML names makes that id.
 */
static void test_create(void **state)
{
    (void)state;
    char loc[32], links[256];
    size_t n = 0;
    assert_int_equal(
        dm(BW_COAP_POST, "/3303",
           "[{\"bn\":\"/3303/1/\",\"n\":\"5750\",\"vs\":\"Outdoor\"},"
           "{\"n\":\"5701\",\"vs\":\"Far\"}]"),
        BW_COAP_CREATED);
    location(loc, sizeof loc);
    assert_string_equal(loc, "/3303/1");
    assert_text(1, 5750, "Outdoor");
    assert_text(1, 5701, "Far");
    assert_text(0, 5701, "Cel");
    assert_int_equal(F.saves, 1);
    assert_int_equal(F.set_changes, 1);
    assert_int_equal(dm(BW_COAP_POST, "/3303",
                        "[{\"n\":\"/3303/3/5750\",\"vs\":\"Cellar\"}]"),
                     BW_COAP_CREATED);
    location(loc, sizeof loc);
    assert_string_equal(loc, "/3303/3");
    assert_text(3, 5701, "Cel"); /* units not given: the default */
    assert_int_equal(bw_lwm2m_dm_links(&F.dm, links, sizeof links - 1, &n), 0);
    links[n] = '\0';
    assert_non_null(strstr(links, "</3303/0>"));
    assert_non_null(strstr(links, "</3303/1>"));
    assert_non_null(strstr(links, "</3303/3>"));
    /* Write of the units of a created instance: allowed, saved. */
    assert_int_equal(dm(BW_COAP_PUT, "/3303/3/5701", NULL),
                     BW_COAP_BAD_REQUEST);
    bw_sample_req_t q = bw_sample_req(BW_COAP_PUT, "/3303/3/5701");
    q.format = BW_COAP_FMT_TEXT;
    q.payload = "K";
    q.len = 1;
    assert_int_equal(bw_sample_do(&F.dm, BW_LWM2M_IFACE_DM, 101, &q, F.out,
                                  sizeof F.out, &F.rsp),
                     BW_COAP_CHANGED);
    assert_text(3, 5701, "K");
    assert_int_equal(F.saves, 3);
    assert_int_equal(F.set_changes, 2);
}

/*
 * Refusals, each leaving the object exactly as it was and nothing saved:
 * an existing id 4.00; a read-only resource (5700) 4.05 as the core
 * answers for a resource the request may not write; a value of the
 * wrong type (a number for the string 5750) 4.00; empty units 4.00;
 * units of 33 bytes 4.00; the built-in sensor's units 4.05; beyond
 * AGENT_TEMP_MAX instances 5.00.
 */
static void test_create_refused(void **state)
{
    (void)state;
    char before[AGENT_TEMP_REC_MAX + 1], after[AGENT_TEMP_REC_MAX + 1];
    assert_int_equal(
        dm(BW_COAP_POST, "/3303", "[{\"n\":\"/3303/1/5750\",\"vs\":\"A\"}]"),
        BW_COAP_CREATED);
    int saves = F.saves;
    snapshot(before, sizeof before);
    static const struct {
        const char *json;
        uint8_t code;
    } cases[] = {
        {"[{\"n\":\"/3303/1/5750\",\"vs\":\"B\"}]", BW_COAP_BAD_REQUEST},
        {"[{\"n\":\"/3303/0/5750\",\"vs\":\"B\"}]", BW_COAP_BAD_REQUEST},
        {"[{\"n\":\"/3303/2/5700\",\"v\":20.5}]", BW_COAP_METHOD_NOT_ALLOWED},
        {"[{\"n\":\"/3303/2/5750\",\"v\":7}]", BW_COAP_BAD_REQUEST},
        {"[{\"n\":\"/3303/2/5701\",\"vs\":\"\"}]", BW_COAP_BAD_REQUEST},
        {"[{\"n\":\"/3303/2/5701\",\"vs\":"
         "\"123456789012345678901234567890123\"}]",
         BW_COAP_BAD_REQUEST},
        {"[{\"n\":\"/3303/2/5750\",\"vs\":\"x\"},"
         "{\"n\":\"/3303/2/9999\",\"vs\":\"y\"}]",
         BW_COAP_NOT_FOUND},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(dm(BW_COAP_POST, "/3303", cases[i].json),
                         cases[i].code);
        snapshot(after, sizeof after);
        assert_string_equal(before, after);
        assert_int_equal(F.saves, saves);
    }
    bw_sample_req_t q = bw_sample_req(BW_COAP_PUT, "/3303/0/5701");
    q.format = BW_COAP_FMT_TEXT;
    q.payload = "K";
    q.len = 1;
    assert_int_equal(bw_sample_do(&F.dm, BW_LWM2M_IFACE_DM, 101, &q, F.out,
                                  sizeof F.out, &F.rsp),
                     BW_COAP_METHOD_NOT_ALLOWED);
    assert_text(0, 5701, "Cel");

    /* Fill up: instances 0..3, then the fifth is 5.00. */
    assert_int_equal(dm(BW_COAP_POST, "/3303", "[]"), BW_COAP_CREATED);
    assert_int_equal(dm(BW_COAP_POST, "/3303", "[]"), BW_COAP_CREATED);
    assert_int_equal(F.t.n, AGENT_TEMP_MAX);
    saves = F.saves;
    snapshot(before, sizeof before);
    assert_int_equal(dm(BW_COAP_POST, "/3303", "[]"), BW_COAP_INTERNAL_ERROR);
    assert_int_equal(
        dm(BW_COAP_POST, "/3303", "[{\"n\":\"/3303/9/5750\",\"vs\":\"B\"}]"),
        BW_COAP_INTERNAL_ERROR);
    snapshot(after, sizeof after);
    assert_string_equal(before, after);
    assert_int_equal(F.saves, saves);
}

/*
 * Delete: a created instance 2.02 (gone from the list, saved with the
 * set changed), again 4.04; an id never created 4.04; the built-in
 * instance 4.05 and still there; the object itself 4.05.  During a
 * bootstrap, Bootstrap-Delete "/" removes the created instances and
 * clears instance 0's Application Type but keeps the sensor.
 */
static void test_delete(void **state)
{
    (void)state;
    uint16_t ids[8];
    size_t n;
    assert_int_equal(
        dm(BW_COAP_POST, "/3303", "[{\"n\":\"/3303/2/5750\",\"vs\":\"A\"}]"),
        BW_COAP_CREATED);
    int saves = F.saves;
    assert_int_equal(dm(BW_COAP_DELETE, "/3303/2", NULL), BW_COAP_DELETED);
    assert_int_equal(F.saves, saves + 1);
    assert_int_equal(F.set_changes, 2);
    assert_int_equal(F.obj.ops->list(&F.obj, ids, 8, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], 0);
    assert_int_equal(dm(BW_COAP_DELETE, "/3303/2", NULL), BW_COAP_NOT_FOUND);
    assert_int_equal(dm(BW_COAP_DELETE, "/3303/7", NULL), BW_COAP_NOT_FOUND);
    assert_int_equal(dm(BW_COAP_DELETE, "/3303/0", NULL),
                     BW_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(dm(BW_COAP_DELETE, "/3303", NULL),
                     BW_COAP_METHOD_NOT_ALLOWED);
    assert_text(0, 5701, "Cel");
    assert_int_equal(F.saves, saves + 1);

    /* The handler alone: the exact codes behind those answers. */
    bw_assert_err(F.obj.ops->remove(&F.obj, 0), BW_EUNSUPPORTED);
    bw_assert_err(F.obj.ops->remove(&F.obj, 5), BW_ENOTFOUND);

    assert_int_equal(
        dm(BW_COAP_POST, "/3303", "[{\"n\":\"/3303/1/5750\",\"vs\":\"A\"}]"),
        BW_COAP_CREATED);
    bw_sample_req_t q = bw_sample_req(BW_COAP_PUT, "/3303/0/5750");
    q.format = BW_COAP_FMT_TEXT;
    q.payload = "Room";
    q.len = 4;
    assert_int_equal(bw_sample_do(&F.dm, BW_LWM2M_IFACE_DM, 101, &q, F.out,
                                  sizeof F.out, &F.rsp),
                     BW_COAP_CHANGED);
    assert_text(0, 5750, "Room");
    F.bootstrapping = 1;
    assert_int_equal(req(BW_LWM2M_IFACE_BOOTSTRAP, BW_COAP_DELETE, "/", NULL),
                     BW_COAP_DELETED);
    assert_int_equal(F.obj.ops->list(&F.obj, ids, 8, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], 0);
    assert_text(0, 5750, NULL);
    assert_text(0, 5701, "Cel");
}

/*
 * A Create that fails in the middle (a good 5750, then units that are
 * too long) rolls back: no instance, no save, and a sample taken before
 * is kept.
 */
static void test_rollback_keeps_samples(void **state)
{
    (void)state;
    assert_int_equal(agent_temp_sample(&F.t, 21.5), 0);
    assert_int_equal(
        dm(BW_COAP_POST, "/3303",
           "[{\"n\":\"/3303/1/5750\",\"vs\":\"ok\"},{\"n\":\"/3303/1/5701\","
           "\"vs\":\"\\u0001\"}]"),
        BW_COAP_BAD_REQUEST);
    assert_int_equal(F.t.n, 1);
    assert_int_equal(F.saves, 0);
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(3303, 0, 5700);
    bw_lwm2m_value_t v;
    assert_int_equal(F.obj.ops->read(&F.obj, &p, &v, NULL, 0), 0);
    assert_true(v.v.f == 21.5);
    bw_assert_err(agent_temp_sample(&F.t, NAN), BW_ERANGE);
}

/*
 * The record: created instances and instance 0's Application Type come
 * back into a fresh object (instance 0 keeps its own sensor state).
 */
static void test_record_roundtrip(void **state)
{
    (void)state;
    char rec[AGENT_TEMP_REC_MAX];
    size_t len = 0;
    assert_int_equal(dm(BW_COAP_POST, "/3303",
                        "[{\"n\":\"/3303/4/5750\",\"vs\":\"Out door\"},"
                        "{\"n\":\"/3303/4/5701\",\"vs\":\"Far\"}]"),
                     BW_COAP_CREATED);
    assert_int_equal(
        dm(BW_COAP_POST, "/3303", "[{\"n\":\"/3303/0/5750\",\"vs\":\"x\"}]"),
        BW_COAP_BAD_REQUEST);
    assert_int_equal(F.obj.ops->create(&F.obj, 2), 0); /* bare, default */
    assert_int_equal(agent_temp_encode(&F.t, rec, sizeof rec, &len), 0);
    const char want[] = "3303 1\n0  -\n2  43656c\n4 4f757420646f6f72 466172\n";
    assert_int_equal(len, sizeof want - 1);
    assert_memory_equal(rec, want, len);
    bw_assert_err(agent_temp_encode(&F.t, rec, len - 1, &len), BW_ENOSPC);

    agent_temp_t t2;
    bw_lwm2m_object_t o2;
    agent_temp_cfg_t cfg = {NULL, NULL, NULL, NULL};
    assert_int_equal(agent_temp_init(&t2, &o2, &cfg, 0.0, 1.0), 0);
    assert_int_equal(agent_temp_restore(&t2, want, sizeof want - 1), 0);
    assert_int_equal(t2.n, 3);
    assert_int_equal(t2.inst[1].id, 2);
    assert_string_equal(t2.inst[2].app_type, "Out door");
    assert_string_equal(t2.inst[2].units, "Far");
    assert_true(t2.inst[0].sensor.range_max ==
                1.0); /* its own, not the record's */
    assert_string_equal(t2.inst[0].units, "Cel");
}

/*
 * Malformed records, each refused with its code and leaving the object
 * as it was: wrong header, a line without its newline, odd or non-hex
 * digits, an id with a leading zero or above 65534, ids not ascending,
 * no instance 0, instance 0 with units, empty units, a control byte,
 * a text of 33 bytes, five instances.
 */
static void test_record_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *rec;
        int err;
    } cases[] = {
        {"", BW_EMALFORMED},
        {"3303 2\n0  -\n", BW_EMALFORMED},
        {"3303 1\n", BW_EMALFORMED},
        {"3303 1\n0  -", BW_EMALFORMED},
        {"3303 1\n0  -\n1 4 43\n", BW_EMALFORMED},
        {"3303 1\n0  -\n1 zz 43\n", BW_EMALFORMED},
        {"3303 1\n0  -\n01  43\n", BW_EMALFORMED},
        {"3303 1\n0  -\n65535  43\n", BW_EMALFORMED},
        {"3303 1\n0  -\n123456  43\n", BW_EMALFORMED},
        {"3303 1\n0  -\n2  43\n1  43\n", BW_EMALFORMED},
        {"3303 1\n1  43\n", BW_EMALFORMED},
        {"3303 1\n0  43\n", BW_EMALFORMED},
        {"3303 1\n0  -\n1  \n", BW_ERANGE},
        {"3303 1\n0  -\n1 0a 43\n", BW_ERANGE},
        {"3303 1\n0  -\n1 "
         "000000000000000000000000000000000000000000000000000000000000000000"
         " 43\n",
         BW_EOVERFLOW},
        {"3303 1\n0  -\n1  43\n2  43\n3  43\n4  43\n", BW_EOVERFLOW},
        {"3303 1\n0 -\n", BW_EMALFORMED},
    };
    char before[AGENT_TEMP_REC_MAX + 1], after[AGENT_TEMP_REC_MAX + 1];
    snapshot(before, sizeof before);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int err = agent_temp_restore(&F.t, cases[i].rec, strlen(cases[i].rec));
        if (err != cases[i].err)
            fail_msg("case %zu: %d, want %d", i, err, cases[i].err);
        snapshot(after, sizeof after);
        assert_string_equal(before, after);
    }
    bw_assert_err(agent_temp_restore(NULL, "", 0), BW_EINVAL);
    bw_assert_err(agent_temp_restore(&F.t, NULL, 3), BW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_create, setup),
        cmocka_unit_test_setup(test_create_refused, setup),
        cmocka_unit_test_setup(test_delete, setup),
        cmocka_unit_test_setup(test_rollback_keeps_samples, setup),
        cmocka_unit_test_setup(test_record_roundtrip, setup),
        cmocka_unit_test_setup(test_record_malformed, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
