#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Run one libFuzzer target for a bounded time.
#   run-fuzzer.sh BINARY SEED_CORPUS WORK_DIR SECONDS
# New inputs go to WORK_DIR (scratch, in the build tree); the committed seed
# corpus is read, never written.  A crash leaves its input as
# WORK_DIR/crash-* and fails the test: copy it into the seed corpus once the
# bug is fixed, so every later run replays it.
set -euo pipefail
bin=$1 seeds=$2 work=$3 secs=$4
rm -rf "$work"
mkdir -p "$work/new"
# First replay every committed input on its own: a regression input must
# never be skipped because the time budget ran out.
"$bin" -runs=0 "$seeds"
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/" "$work/new" "$seeds"
