/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Simulated NOR flash with power-cut injection; see flashsim.h for the
 * rules it enforces and how cuts behave.
 */
#include "flashsim.h"

#include <stdlib.h>
#include <string.h>

static uint32_t rng_next(bw_flashsim_t *sim)
{
    /* xorshift32: reproducible, good enough to pick bytes. */
    uint32_t x = sim->rng ? sim->rng : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    sim->rng = x;
    return x;
}

static uint32_t device_size(const uint32_t *sizes, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += sizes[i];
    return total > UINT32_MAX ? 0 : (uint32_t)total;
}

long bw_flashsim_sector_index(const bw_flashsim_t *sim, uint32_t off)
{
    uint32_t start = 0;
    for (size_t i = 0; i < sim->n_sectors; i++) {
        if (off - start < sim->sector_size[i])
            return (long)i;
        start += sim->sector_size[i];
    }
    return -1;
}

static uint32_t sector_start(const bw_flashsim_t *sim, size_t idx)
{
    uint32_t start = 0;
    for (size_t i = 0; i < idx; i++)
        start += sim->sector_size[i];
    return start;
}

/*
 * Count the operation and decide whether power goes now.  Returns 0 to
 * proceed normally, 1 when this operation is the one cut.
 */
static int count_op(bw_flashsim_t *sim)
{
    sim->ops++;
    return sim->cut_at != 0 && sim->ops == sim->cut_at;
}

static int sim_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    bw_flashsim_t *sim = ctx;
    if (sim->dead)
        return BW_EIO;
    if (off > sim->dev.size || len > sim->dev.size - off)
        return BW_ERANGE;
    memcpy(buf, sim->mem + off, len);
    return 0;
}

static int sim_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
    bw_flashsim_t *sim = ctx;
    const uint8_t *src = buf;
    uint32_t align = sim->dev.write_align;
    if (sim->dead)
        return BW_EIO;
    if (off > sim->dev.size || len > sim->dev.size - off)
        return BW_ERANGE;
    if ((off % align) != 0 || (len % align) != 0) {
        sim->violations++;
        return BW_EALIGN;
    }
    for (size_t i = 0; i < len; i++) {
        if (sim->mem[off + i] != sim->dev.erased_val) {
            sim->violations++;
            return BW_ESTATE; /* programming a byte that is not erased */
        }
    }
    int cut = count_op(sim);
    sim->writes++;
    if (!cut) {
        memcpy(sim->mem + off, src, len);
        return 0;
    }
    sim->dead = 1;
    if (sim->cut_mode == BW_FLASHSIM_CUT_AFTER) {
        memcpy(sim->mem + off, src, len);
    } else if (sim->cut_mode == BW_FLASHSIM_CUT_TORN) {
        if (rng_next(sim) & 1u) {
            sim->last_tear = BW_FLASHSIM_TEAR_PREFIX;
            size_t n = len ? rng_next(sim) % len : 0;
            memcpy(sim->mem + off, src, n);
        } else {
            sim->last_tear = BW_FLASHSIM_TEAR_SUBSET;
            for (size_t i = 0; i < len; i++)
                if (rng_next(sim) & 1u)
                    sim->mem[off + i] = src[i];
        }
    }
    return BW_EIO;
}

static int sim_erase(void *ctx, uint32_t off, uint32_t len)
{
    bw_flashsim_t *sim = ctx;
    if (sim->dead)
        return BW_EIO;
    if (off > sim->dev.size || len > sim->dev.size - off)
        return BW_ERANGE;
    long first = bw_flashsim_sector_index(sim, off);
    if (first < 0 || sector_start(sim, (size_t)first) != off) {
        sim->violations++;
        return BW_EALIGN;
    }
    /* The range must end on a sector edge too. */
    size_t last = (size_t)first;
    uint32_t covered = 0;
    while (covered < len && last < sim->n_sectors)
        covered += sim->sector_size[last++];
    if (covered != len) {
        sim->violations++;
        return BW_EALIGN;
    }
    int cut = count_op(sim);
    sim->erases++;
    if (!cut || sim->cut_mode == BW_FLASHSIM_CUT_AFTER) {
        memset(sim->mem + off, sim->dev.erased_val, len);
        for (size_t i = (size_t)first; i < last; i++)
            sim->sector_erases[i]++;
        if (!cut)
            return 0;
        sim->dead = 1;
        return BW_EIO;
    }
    sim->dead = 1;
    if (sim->cut_mode == BW_FLASHSIM_CUT_TORN) {
        /*
         * Sectors before the torn one are erased, the torn one is partly
         * erased (a random run of it), later ones are untouched.
         */
        size_t torn = (size_t)first + rng_next(sim) % (last - (size_t)first);
        for (size_t i = (size_t)first; i < torn; i++) {
            memset(sim->mem + sector_start(sim, i), sim->dev.erased_val,
                   sim->sector_size[i]);
            sim->sector_erases[i]++;
        }
        uint32_t s = sector_start(sim, torn), n = sim->sector_size[torn];
        uint32_t a = rng_next(sim) % n, b = rng_next(sim) % n;
        if (a > b) {
            uint32_t t = a;
            a = b;
            b = t;
        }
        memset(sim->mem + s + a, sim->dev.erased_val, b - a + 1);
        if (rng_next(sim) & 1u) {
            sim->last_tear = BW_FLASHSIM_TEAR_PARTIAL;
        } else {
            sim->last_tear = BW_FLASHSIM_TEAR_GARBLE;
            for (uint32_t i = 0; i < n; i++)
                if (i < a || i > b)
                    sim->mem[s + i] = (uint8_t)rng_next(sim);
        }
        sim->sector_erases[torn]++;
    }
    return BW_EIO;
}

static int sim_sector_at(void *ctx, uint32_t off, uint32_t *start,
                         uint32_t *size)
{
    bw_flashsim_t *sim = ctx;
    long idx = bw_flashsim_sector_index(sim, off);
    if (idx < 0)
        return BW_ERANGE;
    *start = sector_start(sim, (size_t)idx);
    *size = sim->sector_size[idx];
    return 0;
}

static const bw_flash_ops_t sim_ops = {
    .read = sim_read,
    .write = sim_write,
    .erase = sim_erase,
    .sector_at = sim_sector_at,
};

int bw_flashsim_init(bw_flashsim_t *sim, const uint32_t *sector_sizes,
                     size_t n_sectors, uint8_t write_align, uint8_t erased_val)
{
    if (sim == NULL)
        return BW_EINVAL;
    memset(sim, 0, sizeof *sim);
    if (sector_sizes == NULL || n_sectors == 0 ||
        n_sectors > BW_FLASHSIM_MAX_SECTORS || write_align == 0 ||
        write_align > BW_FLASH_MAX_ALIGN ||
        (write_align & (write_align - 1u)) != 0)
        return BW_EINVAL;
    for (size_t i = 0; i < n_sectors; i++)
        if (sector_sizes[i] == 0 || sector_sizes[i] % write_align != 0)
            return BW_EINVAL;
    uint32_t size = device_size(sector_sizes, n_sectors);
    if (size == 0)
        return BW_EINVAL;
    sim->mem = malloc(size);
    sim->sector_size = malloc(n_sectors * sizeof *sim->sector_size);
    sim->sector_erases = calloc(n_sectors, sizeof *sim->sector_erases);
    if (sim->mem == NULL || sim->sector_size == NULL ||
        sim->sector_erases == NULL) {
        bw_flashsim_free(sim);
        return BW_ENOMEM;
    }
    memcpy(sim->sector_size, sector_sizes, n_sectors * sizeof *sector_sizes);
    memset(sim->mem, erased_val, size);
    sim->n_sectors = n_sectors;
    sim->dev.ops = &sim_ops;
    sim->dev.ctx = sim;
    sim->dev.size = size;
    sim->dev.write_align = write_align;
    sim->dev.erased_val = erased_val;
    return 0;
}

size_t bw_flashsim_uniform(uint32_t *sizes, size_t n, uint32_t size)
{
    for (size_t i = 0; i < n; i++)
        sizes[i] = size;
    return n;
}

void bw_flashsim_free(bw_flashsim_t *sim)
{
    if (sim == NULL)
        return;
    free(sim->mem);
    free(sim->sector_size);
    free(sim->sector_erases);
    memset(sim, 0, sizeof *sim);
}

const bw_flash_t *bw_flashsim_dev(const bw_flashsim_t *sim)
{
    return &sim->dev;
}

void bw_flashsim_arm(bw_flashsim_t *sim, uint64_t op, bw_flashsim_cut_t mode,
                     uint32_t seed)
{
    sim->cut_at = op;
    sim->cut_mode = mode;
    sim->rng = seed * 2654435761u + 1u;
    sim->last_tear = BW_FLASHSIM_TEAR_NONE;
}

void bw_flashsim_disarm(bw_flashsim_t *sim)
{
    sim->cut_at = 0;
}

void bw_flashsim_reboot(bw_flashsim_t *sim)
{
    sim->dead = 0;
    sim->cut_at = 0;
}

void bw_flashsim_reset_ops(bw_flashsim_t *sim)
{
    sim->ops = 0;
    sim->writes = 0;
    sim->erases = 0;
}

void bw_flashsim_poke(bw_flashsim_t *sim, uint32_t off, const void *data,
                      size_t len)
{
    if (off <= sim->dev.size && len <= sim->dev.size - off)
        memcpy(sim->mem + off, data, len);
}
