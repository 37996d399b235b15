/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the record bulwark-device keeps for its Temperature object
 * (device/agent/temp.h, agent_temp_restore: a file in the device's state
 * directory, read at every start).  For every input:
 *   - a refused record leaves the object exactly as it was (its own
 *     record, encoded before and after, is byte-identical) and the
 *     refusal is one of the codes the contract lists;
 *   - an accepted record encodes again, and that encoding is accepted by
 *     a fresh object and encodes to the same bytes (a fixed point), with
 *     at most AGENT_TEMP_MAX instances, instance 0 first.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/error.h"
#include "temp.h"

static void fresh(agent_temp_t *t, bw_lwm2m_object_t *obj)
{
    agent_temp_cfg_t cfg = {0};
    if (agent_temp_init(t, obj, &cfg, -40.0, 125.0) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static agent_temp_t t, u;
    static bw_lwm2m_object_t obj, obj2;
    static char before[AGENT_TEMP_REC_MAX], after[AGENT_TEMP_REC_MAX],
        again[AGENT_TEMP_REC_MAX];
    size_t nb, na, ng;

    fresh(&t, &obj);
    /* A non-default starting state, so "unchanged" means something. */
    static const char seed[] = "3303 1\n0 6f7574 -\n2 6b69746368656e 43656c\n";
    if (agent_temp_restore(&t, seed, sizeof seed - 1) != 0)
        abort();
    if (agent_temp_encode(&t, before, sizeof before, &nb) != 0)
        abort();

    int err = agent_temp_restore(&t, (const char *)data, size);
    if (agent_temp_encode(&t, after, sizeof after, &na) != 0)
        abort();
    if (err != 0) {
        if (err != BW_EMALFORMED && err != BW_EOVERFLOW && err != BW_ERANGE)
            abort();
        if (na != nb || memcmp(before, after, nb) != 0)
            abort(); /* a refused record changed the object */
        return 0;
    }
    if (t.n == 0 || t.n > AGENT_TEMP_MAX || t.inst[0].id != 0)
        abort();
    for (size_t i = 1; i < t.n; i++)
        if (t.inst[i].id <= t.inst[i - 1].id)
            abort();
    fresh(&u, &obj2);
    if (agent_temp_restore(&u, after, na) != 0)
        abort(); /* our own encoding refused */
    if (agent_temp_encode(&u, again, sizeof again, &ng) != 0)
        abort();
    if (ng != na || memcmp(after, again, na) != 0)
        abort(); /* not a fixed point */
    return 0;
}
