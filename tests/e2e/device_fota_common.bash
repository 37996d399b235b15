# SPDX-License-Identifier: Apache-2.0
#
# Shared by the firmware-over-the-air scripts (sourced, not run): on top
# of device_agent_common.bash, a fleet key made with bulwark-image keygen,
# images signed from the real bulwark-device (stripped: the payload is
# executed by bulwark-boot), a flash geometry that fits them, and helpers
# to run bulwark-device under bulwark-boot.
source "$(dirname "$0")/device_agent_common.bash"

for p in bulwark-boot bulwark-bootctl bulwark-image; do
  [[ -x $BW_BIN_DIR/$p ]] || { echo "FAIL: $BW_BIN_DIR/$p not built"; exit 1; }
done
export PATH="$BW_BIN_DIR:$PATH"
# The flash file lives in the work dir: skip fdatasync (tests only).
export BW_FLASH_NOSYNC=1

bulwark-image keygen --type ecdsa-p256 -o "$W/fleet.pem" >/dev/null
bulwark-image getpub --key "$W/fleet.pem" --lang der >"$W/fleet.der"
bulwark-image keygen --type ecdsa-p256 -o "$W/other.pem" >/dev/null

# The payload: this build's bulwark-device, without its symbols.
strip -o "$W/app" "$DEVICE" 2>/dev/null || cp "$DEVICE" "$W/app"
APP_SIZE=$(stat -c %s "$W/app")
# 64 KiB sectors (a trailer sector holds the records of this many units):
# the image (header, payload, TLVs) plus one spare unit.
SECTOR=65536
UNITS=$(( (APP_SIZE + 4096 + SECTOR - 1) / SECTOR + 1 ))
GEOMETRY=${SECTOR}x$(( 2 * UNITS + 3 ))
PRIMARY_SIZE=$(( (UNITS + 1) * SECTOR ))

# sign OUT VERSION COUNTER [KEY [MODEL]]
sign() {
  bulwark-image sign --key "$W/${4:-fleet}.pem" --version "$2" \
    --security-counter "$3" --model "${5:-bulwark-sim}" --pad-header \
    "$W/app" "$1" >/dev/null || fail "signing $1"
}

flashargs() {
  echo --flash "$1" --geometry "$GEOMETRY" --key "$W/fleet.der" \
       --counter "$1.counter"
}

# factory FLASH IMAGE: a new flash file with IMAGE in the primary slot.
factory() {
  rm -f "$1" "$1.counter"
  # shellcheck disable=SC2046
  bulwark-bootctl $(flashargs "$1") factory "$2" >/dev/null ||
    fail "factory programming of $1 failed"
}

# boot_device NAME FLASH [bulwark-device options...]: bulwark-boot with the
# device as its application, in the background; log $W/NAME.log (both).
boot_device() {
  local name=$1 flash=$2; shift 2
  # shellcheck disable=SC2046
  bulwark-boot $(flashargs "$flash") --app-name bulwark-device -- "$@" \
    >>"$W/$name.log" 2>&1 &
  DEV_PID=$!
  PIDS+=("$DEV_PID")
}

# status FLASH KEY: one value of bulwark-bootctl status.
status() {
  # shellcheck disable=SC2046
  bulwark-bootctl $(flashargs "$1") status | sed -n "s/^$2=//p"
}

# primary_sum FLASH: SHA-256 of the primary slot's bytes.
primary_sum() {
  head -c "$PRIMARY_SIZE" "$1" | sha256sum | cut -d' ' -f1
}

# expect LOG LINE: the test server's log holds LINE (fixed string).
expect() { grep -qF -- "$2" "$1" || fail "$(basename "$1") lacks '$2'"; }
