/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-device's Temperature object (/3303, IPSO, object version 1.1):
 * multi-instance as IPSO defines it, so a DM server may Create and Delete
 * instances (docs/objects.md, "Temperature").
 *
 *   instance 0      the built-in (simulated) sensor: samples move 5700
 *                   and the min/max, range -40..125 C, units "Cel" fixed;
 *                   a server may set its Application Type (5750).  It is
 *                   part of the device: a DM Delete of it is 4.05, and a
 *                   Bootstrap-Delete only clears its Application Type.
 *   instances 1..   created by a server with Application Type (5750) and
 *                   Sensor Units (5701, "Cel" when not given): a sensor
 *                   the server describes and the agent has no reading
 *                   for (5700, 5601..5604 absent).  Deleted by a server.
 *
 * Sensor Units is writable here (IPSO lists it read-only) so that a
 * server can say what a created instance measures in; on instance 0 a
 * Write of it is 4.05.
 *
 * Everything about one instance's readings (value, min/max, range, the
 * Read of its resources, Reset, a sample) is lib/objects' Temperature
 * instance (bw_lwm2m_temp_inst_*, bulwark/lwm2m_objects.h), so this object
 * answers as the library's does; it adds the instance table, Create and
 * Delete, the two texts and persistence.
 *
 * What it owns: the instances and the transaction of a Write or Create
 * (a snapshot taken at begin(), restored by rollback()).  What it never
 * does: touch a file.  After a change that must survive a restart
 * (committed settings, a new or removed instance) it calls cfg.saved(),
 * and the caller writes agent_temp_encode()'s record (objects.c);
 * agent_temp_restore() reads it back at start.
 *
 * Record: "3303 1\n" then one line per instance, ascending:
 *   "<id> <hex of 5750> <hex of 5701>\n"   (hex may be empty)
 * Instance 0's line carries its Application Type only (units "-").
 */
#ifndef BW_AGENT_TEMP_H
#define BW_AGENT_TEMP_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/lwm2m_object.h"
#include "bulwark/lwm2m_objects.h"

#define AGENT_TEMP_OID BW_LWM2M_OBJ_TEMP

/* Instances at most, the built-in one included: a slot is a fixed struct
 * in the device context and the record is one small atomic write; a
 * device that reports through four thermometers is already a large one.
 * A Create past it is 5.00 (no room), as the core answers BW_ENOMEM. */
#define AGENT_TEMP_MAX 4
/* Application Type (5750) and Sensor Units (5701) bytes at most: IPSO
 * gives no bound; 32 holds any SenML unit and a short label. */
#define AGENT_TEMP_TEXT_MAX 32
/* The record at its longest: header, and per instance the id, two
 * spaces, two hex fields and a newline. */
#define AGENT_TEMP_REC_MAX                                                     \
    (8 + AGENT_TEMP_MAX * (6 + 4 * AGENT_TEMP_TEXT_MAX + 4))

typedef struct {
    uint16_t id;
    /* Readings (samples come to instance 0 only) and range; its id is
     * id, for the change reports. */
    bw_lwm2m_temp_inst_t sensor;
    char app_type[AGENT_TEMP_TEXT_MAX + 1]; /* "" : absent */
    char units[AGENT_TEMP_TEXT_MAX + 1];
} agent_temp_inst_t;

typedef struct {
    /* A sample moved a value (observers are owed a notification). */
    void (*changed)(void *app, const bw_lwm2m_path_t *p);
    /* Something to persist changed; set_changed: an instance came or
     * went (the registration's links changed too). */
    void (*saved)(void *app, int set_changed);
    /* Whether the device is bootstrapping now (Bootstrap-Delete). */
    int (*bootstrapping)(void *app);
    void *app;
} agent_temp_cfg_t;

typedef struct {
    agent_temp_cfg_t cfg;
    agent_temp_inst_t inst[AGENT_TEMP_MAX]; /* by id, ascending */
    size_t n;
    agent_temp_inst_t snap[AGENT_TEMP_MAX]; /* begin()'s copy */
    size_t snap_n;
    unsigned txn; /* instances begun and not yet ended */
} agent_temp_t;

/*
 * Fill t with the built-in instance 0 (range range_min..range_max, no
 * value yet) and obj with the object over t.  cfg's functions may be
 * NULL.  Returns 0, or BW_ERANGE (range_min above range_max), BW_EINVAL.
 */
int agent_temp_init(agent_temp_t *t, bw_lwm2m_object_t *obj,
                    const agent_temp_cfg_t *cfg, double range_min,
                    double range_max);

/* A reading of the built-in sensor (degrees C).  Returns 0, or BW_ERANGE
 * (not finite), BW_EINVAL. */
int agent_temp_sample(agent_temp_t *t, double value);

/*
 * The record of t's settings (see the top), into out (cap bytes).
 * Returns 0 and *len, or BW_ENOSPC, BW_EINVAL.
 */
int agent_temp_encode(const agent_temp_t *t, char *out, size_t cap,
                      size_t *len);

/*
 * Apply a record: the created instances it lists and instance 0's
 * Application Type.  Checked whole before anything changes.  Returns 0,
 * or BW_EMALFORMED (not the form above: bad header, id, hex, a line
 * without its newline, ids not ascending, no instance 0), BW_EOVERFLOW
 * (a text above AGENT_TEMP_TEXT_MAX, more than AGENT_TEMP_MAX
 * instances), BW_ERANGE (a text with a control byte, empty units),
 * BW_EINVAL (NULL).  t is unchanged on failure.
 */
int agent_temp_restore(agent_temp_t *t, const char *rec, size_t len);

#endif /* BW_AGENT_TEMP_H */
