#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# API tokens and roles end to end: bulwark-server with its HTTPS API on
# loopback, curl as the client, a real bulwark-device as the managed one.
# Tried: the token file made by init (admin); a viewer token made with
# `bulwark-server token create` while the server runs, an operator token
# made through POST /tokens; each role on reads, device operations,
# provisioning and token management; a duplicate name and a bad role;
# revocation through the API (of a token used a moment before, so its
# verification is cached) and through the command line (another
# process); a well-formed token nobody issued; bulwarkctl token create,
# list and revoke, and a viewer's bulwarkctl token list.
# Must hold: viewer reads (200) but gets 403 naming the role needed on a
# write and on provisioning; operator reads and writes a device path but
# gets 403 on provisioning and on token creation; admin does all; a
# revoked token gets 401 on the very next request; every mutating call
# is audited with actor "api:<token name>" (refusals as "denied"); no
# token text appears in the server log, in a token list or in the
# database file.
set -euo pipefail
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device bulwarkctl
# Here the token comes first: api TOKEN METHOD PATH [BODY] and
# expect STATUS TOKEN METHOD PATH [BODY].
api() { api_as "$@"; }
expect() { expect_as "$@"; }

server_init
grep -q 'stored as admin token "admin"' "$W/init.out" || fail "init did not store the admin token"
ADMIN=$TOKEN
server_start

# A viewer from the command line, while the server runs.
VIEWER=$("$SERVER" token create "${S[@]}" --name viewer --role viewer) ||
  fail "token create"
[[ $VIEWER =~ ^[0-9a-f]{64}$ ]] || fail "token create printed no token"
# An operator through the API.
expect 201 "$ADMIN" POST /tokens '{"name":"ops","role":"operator"}'
has '"role":"operator"'
OPS=$(sed -n 's/.*"token":"\([0-9a-f]\{64\}\)".*/\1/p' "$W/body")
[[ -n $OPS ]] || fail "POST /tokens gave no token"
expect 409 "$ADMIN" POST /tokens '{"name":"ops","role":"viewer"}'
expect 400 "$ADMIN" POST /tokens '{"name":"x","role":"root"}'
expect 400 "$ADMIN" POST /tokens '{"name":"a b","role":"viewer"}'
echo "ok: tokens from the command line and from POST /tokens (201 once, 409, 400)"

# A device to operate on.
head -c 32 /dev/urandom >"$W/fk1"
K1=$(od -An -tx1 "$W/fk1" | tr -d ' \n')
PROV="{\"endpoint\":\"dev-0001\",\"psk_identity\":\"fac-5a1d3c9e\",\"psk_hex\":\"$K1\"}"
expect 403 "$VIEWER" POST /devices "$PROV"
has '"role_needed":"admin"'
expect 403 "$OPS" POST /devices "$PROV"
has '"role_needed":"admin"'
expect 201 "$ADMIN" POST /devices "$PROV"
echo "ok: provisioning: viewer 403, operator 403, admin 201"

device_start d1 dev-0001 fac-5a1d3c9e "$W/fk1" --max-runtime 40
wait_registered dev-0001 "$VIEWER" || fail "dev-0001 did not register (or the viewer cannot read it)"

expect 200 "$VIEWER" GET /devices
has '"endpoint":"dev-0001"'
expect 200 "$VIEWER" GET /audit
expect 200 "$VIEWER" GET /campaigns
expect 403 "$VIEWER" POST /devices/dev-0001/read '{"path":"/3/0"}'
has '"role_needed":"operator"'
expect 403 "$VIEWER" POST /devices/dev-0001/write '{"path":"/3303/0/5701","value":"K"}'
has 'needs the operator role'
expect 403 "$VIEWER" POST /campaigns '{}'
expect 403 "$VIEWER" GET /tokens
echo "ok: viewer reads (200) and gets 403 naming the role on operations and writes"

expect 200 "$OPS" POST /devices/dev-0001/read '{"path":"/3/0"}'
has '"code":"2.05"'
expect 200 "$OPS" POST /devices/dev-0001/write '{"path":"/3303/0/5701","value":"K"}'
has '"code":"4.05"'
expect 403 "$OPS" POST /tokens '{"name":"mine","role":"admin"}'
expect 403 "$OPS" GET /tokens
expect 403 "$OPS" DELETE /tokens/viewer
echo "ok: operator reads and writes the device, gets 403 on provisioning and tokens"

expect 200 "$ADMIN" GET /tokens
for n in admin viewer ops; do has "\"name\":\"$n\""; done
for t in "$ADMIN" "$VIEWER" "$OPS"; do
  grep -q "$t" "$W/body" && fail "GET /tokens shows a token text"
done
"$SERVER" token list "${S[@]}" >"$W/list.out" || fail "token list"
grep -q '^viewer  *viewer ' "$W/list.out" || fail "token list lacks viewer"
for t in "$ADMIN" "$VIEWER" "$OPS"; do
  grep -q "$t" "$W/list.out" && fail "token list shows a token text"
done
echo "ok: admin lists the tokens; no list shows a secret"

# Revocation through the API: the viewer's token was verified a moment
# ago (cached); the very next request must get 401.
expect 200 "$VIEWER" GET /devices
expect 200 "$ADMIN" DELETE /tokens/viewer
has '"revoked_at":[0-9]'
expect 401 "$VIEWER" GET /devices
expect 409 "$ADMIN" DELETE /tokens/viewer
expect 404 "$ADMIN" DELETE /tokens/nobody
# Revocation by another process: the row is read on every request.
expect 200 "$OPS" GET /devices
"$SERVER" token revoke "${S[@]}" ops >/dev/null || fail "token revoke"
expect 401 "$OPS" GET /devices
expect 401 "$ADMIN$ADMIN" GET /devices
expect 401 "0123456789ab0123456789abcdef0123456789abcdef0123456789abcdef0123" GET /devices
echo "ok: a revoked token gets 401 at once (API and command line); unknown tokens 401"

# bulwarkctl token ...: admin creates, lists and revokes; a viewer's
# list is refused with 403 (exit 1).
C=(--url "https://127.0.0.1:$API" --cacert "$CERT")
printf '%s\n' "$ADMIN" >"$W/admin.token"; chmod 600 "$W/admin.token"
CI=$(bulwarkctl "${C[@]}" --token-file "$W/admin.token" token create ci --role viewer 2>"$W/ctl.err") ||
  fail "bulwarkctl token create: $(cat "$W/ctl.err")"
[[ $CI =~ ^[0-9a-f]{64}$ ]] || fail "bulwarkctl token create printed no token"
bulwarkctl "${C[@]}" --token-file "$W/admin.token" token list >"$W/ctl.out" || fail "bulwarkctl token list"
grep -q '^ci  *viewer ' "$W/ctl.out" || fail "bulwarkctl token list lacks ci"
grep -q "$CI" "$W/ctl.out" && fail "bulwarkctl token list shows a token text"
rc=0; BULWARK_TOKEN=$CI bulwarkctl "${C[@]}" token list >/dev/null 2>"$W/ctl.err" || rc=$?
[[ $rc == 1 ]] || fail "a viewer's bulwarkctl token list exited $rc, want 1"
grep -q 403 "$W/ctl.err" || fail "bulwarkctl did not report the 403"
bulwarkctl "${C[@]}" --token-file "$W/admin.token" token revoke ci >/dev/null || fail "bulwarkctl token revoke"
expect 401 "$CI" GET /devices
echo "ok: bulwarkctl token create, list, revoke; a viewer's token list exits 1 (403)"

expect 200 "$ADMIN" GET '/audit?limit=1000'
has '"actor":"api:ops","action":"read"'
has '"actor":"api:ops","action":"write"'
has '"actor":"api:admin","action":"provisioned"'
has '"actor":"api:admin","action":"token-created","subject":"token ops"'
has '"actor":"api:admin","action":"token-revoked","subject":"token viewer"'
has '"actor":"api:viewer","action":"denied"'
has '"actor":"cli","action":"token-revoked","subject":"token ops"'
echo "ok: the audit log names the token of every mutating call"

server_stop
grep -q '(api:ops)' "$W/server.log" || fail "requests not logged with their token name"
for t in "$ADMIN" "$VIEWER" "$OPS" "$CI"; do
  grep -q "$t" "$W/server.log" && fail "a token text appears in the server log"
  grep -qa "$t" "$W"/bulwark.db* && fail "a token text is stored in the database"
done
echo "ok: no token text in the server log or the database"
