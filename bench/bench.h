/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tiny harness shared by the benchmarks: run a function in batches until a
 * time budget is spent, report operations per second.  Every benchmark
 * prints its figure beside a baseline measured in the same run, so the
 * ratio means something on any machine.
 */
#ifndef BW_BENCH_H
#define BW_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Keeps the compiler from optimising a result away. */
static volatile uint64_t bench_sink;

/*
 * Calls fn(arg) in batches of `batch` until `seconds` have passed; returns
 * calls per second.  fn returns a value folded into bench_sink.  The best
 * of three rounds is kept, to shed scheduler noise.
 */
static inline double bench_rate(uint64_t (*fn)(void *), void *arg,
                                double seconds)
{
    double best = 0;
    for (int round = 0; round < 3; round++) {
        uint64_t calls = 0, acc = 0;
        double start = bench_now(), now;
        do {
            for (int i = 0; i < 1000; i++)
                acc += fn(arg);
            calls += 1000;
            now = bench_now();
        } while (now - start < seconds / 3);
        bench_sink += acc;
        double rate = (double)calls / (now - start);
        if (rate > best)
            best = rate;
    }
    return best;
}

#endif /* BW_BENCH_H */
