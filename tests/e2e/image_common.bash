# SPDX-License-Identifier: Apache-2.0
#
# Shared by the tests/e2e/image_*.sh scripts (sourced, not run): where the
# tool and MCUboot's imgtool vectors are, a scratch directory removed on
# exit, and small assertions.  ctest sets BW_BIN_DIR and BW_SRC_DIR.
set -euo pipefail

: "${BW_BIN_DIR:?BW_BIN_DIR must point at the built programs (ctest sets it)}"
: "${BW_SRC_DIR:?BW_SRC_DIR must point at the source tree (ctest sets it)}"
TOOL=$BW_BIN_DIR/bulwark-image
VEC=$BW_SRC_DIR/tests/data/mcuboot
[[ -x $TOOL ]] || { echo "FAIL: $TOOL not built"; exit 1; }
command -v openssl >/dev/null || { echo "FAIL: the openssl command is missing (apt-get install openssl)"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bw-image.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fail() { echo "FAIL: $*"; exit 1; }

# run CMD...: run it, keep stdout in $WORK/out, stderr in $WORK/err and the
# exit status in RC, whatever it is.
run() {
  RC=0
  "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
}

# expect RC WHAT: the last run must have exited with RC.
expect() {
  [[ $RC -eq $1 ]] || { echo "--- stdout"; cat "$WORK/out"; echo "--- stderr"; cat "$WORK/err";
                        fail "$2: exit $RC, want $1"; }
}

# has FILE TEXT WHAT: FILE ($WORK/out or $WORK/err) contains TEXT.
has() {
  grep -qF -- "$2" "$1" || { echo "--- $1"; cat "$1"; fail "$3: no '$2'"; }
}

# hasnt FILE TEXT WHAT
hasnt() {
  ! grep -qF -- "$2" "$1" || { echo "--- $1"; cat "$1"; fail "$3: unexpected '$2'"; }
}

# le16 FILE OFFSET: the little-endian u16 at OFFSET.
le16() {
  local b
  b=($(od -An -tu1 -j "$2" -N 2 "$1"))
  echo $(( b[0] | b[1] << 8 ))
}

filesize() { stat -c %s "$1"; }
