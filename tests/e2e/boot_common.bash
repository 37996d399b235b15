# SPDX-License-Identifier: Apache-2.0
#
# Shared by the bulwark-boot end-to-end scripts (sourced, not run): a temp
# work dir, keys made with openssl, test images signed from the test
# application (bw-boot-testapp) and helpers to run bulwark-boot.
# Needs BW_BIN_DIR (set by ctest) pointing at the built programs.
set -euo pipefail

: "${BW_BIN_DIR:?BW_BIN_DIR must point at the built programs (ctest sets it)}"
for p in bulwark-boot bulwark-bootctl bw-boot-testapp; do
  [[ -x $BW_BIN_DIR/$p ]] || { echo "FAIL: $BW_BIN_DIR/$p not built"; exit 1; }
done
command -v openssl >/dev/null || { echo "FAIL: openssl missing"; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/bw-boot-e2e.XXXXXX")
cleanup() { [[ -n ${BW_KEEP:-} ]] || rm -rf "$W"; }
trap cleanup EXIT

export PATH="$BW_BIN_DIR:$PATH"
export BW_TESTAPP_DIR=$W/app
mkdir -p "$BW_TESTAPP_DIR"
# The flash image, counter and trusted key used by every run (tests may
# change GEOMETRY, LAYOUT and ALIGN before the first boot).
FLASH=$W/flash.img
COUNTER=$W/counter
GEOMETRY=4096x37
LAYOUT=()
ALIGN=8

fail() {
  echo "FAIL: $*"
  for f in "$W"/boot*.log "$BW_TESTAPP_DIR/log"; do
    [[ -f $f ]] && { echo "--- $f"; tail -40 "$f"; }
  done
  exit 1
}

# keygen NAME TYPE: NAME.pem (private) and NAME.der (public SPKI).
keygen() {
  case $2 in
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
          -out "$W/$1.pem" 2>/dev/null ;;
    ed) openssl genpkey -algorithm ED25519 -out "$W/$1.pem" 2>/dev/null ;;
  esac
  openssl pkey -in "$W/$1.pem" -pubout -outform DER -out "$W/$1.der"
}

# The signer: bulwark-image when it is built, else the test signer.
if [[ -x $BW_BIN_DIR/bulwark-image ]] &&
   "$BW_BIN_DIR/bulwark-image" sign --help >/dev/null 2>&1; then
  SIGNER=bulwark-image
else
  [[ -x $BW_BIN_DIR/bw-boot-testsign ]] || { echo "FAIL: no signer"; exit 1; }
  SIGNER=bw-boot-testsign
fi

# mkimage OUT TAG KEY VERSION SECCNT: the test app tagged TAG, signed.
mkimage() {
  local out=$1 tag=$2 key=$3 ver=$4 sc=$5
  { cat "$BW_BIN_DIR/bw-boot-testapp"; printf '\nBWAPP-TAG:%s\n' "$tag"; } \
    >"$W/$tag.bin"
  if [[ $SIGNER == bulwark-image ]]; then
    bulwark-image sign --key "$W/$key.pem" --version "$ver" \
      --security-counter "$sc" --pad-header "$W/$tag.bin" "$out" >/dev/null
  else
    bw-boot-testsign --key "$W/$key.pem" --version "$ver" --sec-cnt "$sc" \
      "$W/$tag.bin" "$out"
  fi
}

flashargs() {
  echo --flash "$FLASH" --geometry "$GEOMETRY" --align "$ALIGN" \
       "${LAYOUT[@]}" --key "$W/trusted.der" --counter "$COUNTER"
}

# factory IMAGE: a new flash image with IMAGE in the primary slot.
factory() {
  rm -f "$FLASH" "$COUNTER"
  # shellcheck disable=SC2046
  bulwark-bootctl $(flashargs) factory "$1" >/dev/null ||
    fail "factory programming failed"
}

# boot LOGNAME [env...]: run bulwark-boot until it exits; sets RC.
boot() {
  local log=$W/boot-$1.log; shift
  set +e
  # shellcheck disable=SC2046
  # (The braces keep bash's "Killed" notice out of the test output.)
  { env "$@" bulwark-boot $(flashargs) >"$log.out" 2>"$log"; } 2>/dev/null
  RC=$?
  set -e
}

# plan LINE...: what the application does on its next runs, one per line.
plan() { printf '%s\n' "$@" >"$BW_TESTAPP_DIR/plan"; : >"$BW_TESTAPP_DIR/log"; }

# Tags of the runs since the last plan, space separated.
runs() { awk '$1 !~ /^bootctl/ {print $1}' "$BW_TESTAPP_DIR/log" | paste -sd' '; }

expect_runs() {
  local got; got=$(runs)
  [[ $got == "$1" ]] || fail "application runs: want '$1', got '$got'"
}

expect_rc() { [[ $RC == "$1" ]] || fail "bulwark-boot exit code: want $1, got $RC"; }

# expect_log LOGNAME PATTERN: a grep -E pattern in that boot log.
expect_log() { grep -Eq -- "$2" "$W/boot-$1.log" || fail "boot-$1.log lacks '$2'"; }

stored_counter() { sed -E 's/^bwcnt1 0*([0-9]+)\/.*/\1/; s/^$/0/' "$COUNTER"; }

keygen trusted ec
