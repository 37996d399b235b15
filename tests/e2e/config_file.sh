#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# --config FILE for bulwark-server and bulwark-device, over DTLS on
# loopback, starting from the example files in examples/.
# Tried: examples/bulwark-server.conf with its paths moved into a scratch
# directory and ports 0 (the kernel picks): init, provision and token list
# read it, run serves from it with --ready-file on the command line as
# well; examples/bulwark-device.conf likewise, with --state given on the
# command line too, bootstrapping and registering with that server.  Then
# broken files: an unknown setting, a group-writable file, --config inside
# a file, for both programs.
# Must hold: everything the server uses comes from the file (database,
# master key, state directory, API, ports) except what the command line
# overrides (the ready file lands where the command line says, none where
# the file says); the device registers under the file's endpoint with the
# command line's state directory; each broken file gives "PROG: FILE:LINE:
# reason" (or "PROG: FILE: reason"), exit code 2, and nothing starts (no
# process left, no database, no state directory, no ready file).
set -euo pipefail
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
: "${BW_SRC_DIR:?BW_SRC_DIR must point at the source tree (ctest sets it)}"
need bulwark-device
for f in bulwark-server.conf bulwark-device.conf; do
  [[ -f $BW_SRC_DIR/examples/$f ]] || { echo "FAIL: examples/$f missing"; exit 1; }
done

# --- the server, from examples/bulwark-server.conf -------------------------
# Paths into $W, ports 0, loopback, the default DM URI (from the real
# port); a real image key.  Every other line is the example's own.
mkdir -p "$W/srv" "$W/run"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/srv/img.key" 2>/dev/null ||
  fail "openssl could not make an image key"
openssl pkey -in "$W/srv/img.key" -pubout -out "$W/srv/image-signing.pub.pem" 2>/dev/null
sed -e "s|/var/lib/bulwark|$W/srv|g" -e "s|/etc/bulwark|$W/srv|g" \
    -e "s|/run/bulwark|$W/run|g" \
    -e 's|^bind = .*|bind = 127.0.0.1|' -e 's|^dm-port = .*|dm-port = 0|' \
    -e 's|^bs-port = .*|bs-port = 0|' -e 's|^api-port = .*|api-port = 0|' \
    -e '/^dm-uri = /d' "$BW_SRC_DIR/examples/bulwark-server.conf" >"$W/server.conf"
chmod 600 "$W/server.conf"
(( $(grep -c '^[a-z]' "$W/server.conf") >= 15 )) || fail "the example lost its settings"

"$SERVER" init --config "$W/server.conf" >"$W/init.log" 2>&1 || fail "init --config"
for f in bulwark.db master.key api.token; do
  [[ -f $W/srv/$f ]] || fail "init did not create $f where the file says"
done
head -c 32 /dev/urandom >"$W/fk"
"$SERVER" provision --config "$W/server.conf" --endpoint sensor-0042 \
  --psk-identity fac-5e1c07a9 --psk-key-file "$W/fk" >"$W/prov.log" 2>&1 ||
  fail "provision --config"
# token knows only db and master-key; the file's run settings are skipped.
"$SERVER" token list --config "$W/server.conf" >"$W/token.log" 2>&1 || fail "token list --config"
grep -q '^admin ' "$W/token.log" || fail "token list did not read the file's database"
echo "ok: init, provision and token list take the database and key from the file"

# run: the file says ready-file = $W/run/ready; the command line wins.
"$SERVER" run --config "$W/server.conf" --ready-file "$W/ready" >"$W/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 200); do
  [[ -s $W/ready ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited at start-up"
  sleep 0.05
done
[[ -s $W/ready ]] || fail "no ready file where the command line says"
[[ ! -e $W/run/ready ]] || fail "ready file written where the file says: the command line did not win"
read -r DM BS API <"$W/ready"
[[ -n ${API:-} ]] || fail "no API port: api = true from the file was not applied"
for p in "$DM" "$BS" "$API"; do
  [[ $p =~ ^[0-9]+$ && $p != 0 && $p != 5684 && $p != 5784 && $p != 8443 ]] ||
    fail "port $p: not picked by the kernel as the file's 0 asks"
done
[[ -f $W/srv/api-cert.pem ]] || fail "no API certificate in the file's state-dir"
echo "ok: run serves from the file (ports $DM/$BS/$API, state-dir, API); --ready-file on the command line wins"

# --- the device, from examples/bulwark-device.conf -------------------------
mkdir -p "$W/dev"
sed -e "s|/var/lib/bulwark-device|$W/dev|g" \
    -e "s|^bootstrap = .*|bootstrap = coaps://127.0.0.1:$BS|" \
    -e 's|^sample-interval = .*|sample-interval = 5|' \
    -e 's|^state = .*|state = '"$W"'/dev/state-from-file|' \
    "$BW_SRC_DIR/examples/bulwark-device.conf" >"$W/device.conf"
cat >>"$W/device.conf" <<EOF
# test additions: the factory key, and stop once registered
psk-identity = fac-5e1c07a9
psk-key-file = $W/fk
exit-after-register = true
max-runtime = 30
EOF
chmod 600 "$W/device.conf"
RC=0
"$DEVICE" --config "$W/device.conf" --state "$W/dev/state" >"$W/device.log" 2>&1 || RC=$?
[[ $RC == 0 ]] || fail "bulwark-device --config: exit code $RC"
grep -q "sensor-0042: bootstrap finished" "$W/server.log" || fail "no bootstrap of the file's endpoint"
grep -q "sensor-0042: registered" "$W/server.log" || fail "the file's endpoint did not register"
[[ -f $W/dev/state/lwm2m/servers ]] || fail "no server set in the command line's --state"
[[ ! -e $W/dev/state-from-file ]] || fail "the file's state was used: the command line did not win"
[[ -f $W/dev/keys/bs/psk-identity ]] || fail "no factory key store where the file says"
echo "ok: bulwark-device bootstraps and registers from the file; --state on the command line wins"

server_stop

# --- broken files: exit 2, a message naming file and line, nothing started
# expect_refused NAME WANT PROG ARGS...: PROG exits 2 with stderr WANT
# (the first line, exactly).
expect_refused() {
  local name=$1 want=$2; shift 2
  local rc=0
  "$@" >"$W/$name.out" 2>"$W/$name.err" || rc=$?
  [[ $rc == 2 ]] || fail "$name: exit code $rc, want 2"
  [[ $(head -n 1 "$W/$name.err") == "$want" ]] ||
    fail "$name: said '$(head -n 1 "$W/$name.err")', want '$want'"
}

mkdir -p "$W/bad"
printf 'db = %s\nready-file = %s\ndm-prot = 5684\n' "$W/bad/x.db" "$W/bad/ready" >"$W/bad/srv-unknown.conf"
printf 'db = %s\nready-file = %s\n' "$W/bad/x.db" "$W/bad/ready" >"$W/bad/srv-gw.conf"
printf '# nested\nconfig = %s\n' "$W/server.conf" >"$W/bad/nested.conf"
printf 'endpoint = dev-9\nstate = %s\nendpont = dev-9\n' "$W/bad/state" >"$W/bad/dev-unknown.conf"
printf 'endpoint = dev-9\nstate = %s\n' "$W/bad/state" >"$W/bad/dev-gw.conf"
chmod 600 "$W"/bad/*.conf
chmod 664 "$W/bad/srv-gw.conf" "$W/bad/dev-gw.conf"

expect_refused srv-unknown \
  "bulwark-server: $W/bad/srv-unknown.conf:3: unknown setting \"dm-prot\"" \
  "$SERVER" run --config "$W/bad/srv-unknown.conf" --bind 127.0.0.1 --dm-port 0 --bs-port 0
expect_refused srv-gw \
  "bulwark-server: $W/bad/srv-gw.conf: writable by group or others (mode 0664; chmod go-w it)" \
  "$SERVER" run --config "$W/bad/srv-gw.conf" --bind 127.0.0.1 --dm-port 0 --bs-port 0
expect_refused srv-nested \
  "bulwark-server: $W/bad/nested.conf:2: \"config\" cannot be set in a configuration file (no nesting)" \
  "$SERVER" run --config "$W/bad/nested.conf"
expect_refused dev-unknown \
  "bulwark-device: $W/bad/dev-unknown.conf:3: unknown setting \"endpont\"" \
  "$DEVICE" --config "$W/bad/dev-unknown.conf" --bootstrap coap://127.0.0.1:9
expect_refused dev-gw \
  "bulwark-device: $W/bad/dev-gw.conf: writable by group or others (mode 0664; chmod go-w it)" \
  "$DEVICE" --config "$W/bad/dev-gw.conf" --bootstrap coap://127.0.0.1:9
expect_refused dev-nested \
  "bulwark-device: $W/bad/nested.conf:2: \"config\" cannot be set in a configuration file (no nesting)" \
  "$DEVICE" --config "$W/bad/nested.conf"
# A bad value in a good file is the program's own check, also exit 2.
printf 'endpoint = dev-9\nstate = %s\nreboot-code = 1\n' "$W/bad/state" >"$W/bad/dev-value.conf"
chmod 600 "$W/bad/dev-value.conf"
expect_refused dev-value "bulwark-device: --reboot-code 1: expected 3..255" \
  "$DEVICE" --config "$W/bad/dev-value.conf"
for f in x.db ready state; do
  [[ ! -e $W/bad/$f ]] || fail "a refused file still started something: $W/bad/$f exists"
done
echo "ok: unknown setting, group-writable file, nested --config, bad value: exit 2, FILE:LINE named, nothing started"
