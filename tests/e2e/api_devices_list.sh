#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The device list with filters, last seen and the object tree, end to
# end: bulwark-server with its HTTPS API on loopback, 30 devices
# provisioned with models and tags (27 through POST /devices, 3 through
# `bulwarkctl provision --tags`), those 3 run as real bulwark-device
# instances that bootstrap and register (lifetime 10 s, so they Update).
# Tried: every filter of GET /devices alone and combined (prefix, model,
# tag repeated and comma-separated, registered, seen_before/seen_after),
# each walked with limit=7 (and registered=true with limit=1) following
# next; values that read as SQL or LIKE patterns; last_seen_ms before
# and after an Update; the object tree of a registered device; bad
# parameters; bulwarkctl devices with its filters, --all and --json, and
# bulwarkctl device EP.
# Must hold: each walk collects exactly the devices an independent
# computation here expects, in endpoint order, none twice; a short page
# may come with next set (seen with limit=1); last_seen_ms is null for a
# device never registered and moves forward after an Update, equal to
# the registration's updated_ms; the tree lists exactly the objects and
# instances of the registration's links; each bad parameter is a 400
# whose "parameter" names it; bulwarkctl shows the same devices, with a
# LAST SEEN column ("-" for a device never heard from), and the tree.
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device bulwarkctl bulwark-keystore
need_tool python3

LIFETIME=10
server_start

# ---- the fleet ------------------------------------------------------------
# ep model tags: the expected answers below are computed from this table.
cat >"$W/fleet" <<'EOF'
ln-a00 m-x eu,roof
ln-a01 m-y eu
ln-a02 m-x us,roof
ln-a03 m-z eu cellar
ln-a04 m-x 50%_off
ln-a05 m-y 50xxoff
ln-a06 m'q eu,roof
ln-a07 m-x roof
ln-a08 m-y us
ln-a09 m-x eu,roof,spare
ln-b00 m-x eu
ln-b01 m-y roof,eu
ln-b02 m-z -
ln-b03 m-x us,cellar
ln-b04 m-y eu,roof
ln-b05 m-x eu
ln-b06 m-z roof
ln-b07 m-x eu,roof
ln-b08 m-y us,roof
ln-b09 m-x eu
lnx-0 m-x eu,roof
lnx-1 m-y us
lnx-2 m-z roof
lnx-3 m-x eu,roof
lnx-4 m-y eu
lnx-5 m-x cellar
lnx-6 m-z eu,roof
zz-run-0 m-x eu,roof
zz-run-1 m-y eu,cellar
zz-run-2 m-x roof
EOF
RUN=(zz-run-0 zz-run-1 zz-run-2)
n=0
while read -r ep model tags; do
  [[ $tags == - ]] && tags=
  id="fac-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  if [[ $ep == zz-run-* ]]; then
    head -c 32 /dev/urandom >"$W/$ep.psk"
    printf %s "$id" >"$W/$ep.id"
    ctl 0 "${G[@]}" provision "$ep" --psk-identity "$id" \
      --psk-file "$W/$ep.psk" --model "$model" --tags "$tags"
    out_has "provisioned $ep"
  else
    body=$(python3 -c 'import json,sys; print(json.dumps({"endpoint": sys.argv[1],
      "model": sys.argv[2], "tags": sys.argv[3], "psk_identity": sys.argv[4],
      "psk_hex": sys.argv[5]}))' "$ep" "$model" "$tags" "$id" \
      "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')")
    expect 201 POST /devices "$body"
  fi
  n=$((n + 1))
done <"$W/fleet"
[[ $n == 30 ]] || fail "fleet table has $n devices, want 30"
echo "ok: 30 devices provisioned with models and tags"

for ep in "${RUN[@]}"; do
  device_start "$ep" "$ep" "$(cat "$W/$ep.id")" "$W/$ep.psk" --max-runtime 300
  PIDS+=("$DEVICE_PID")
done
for ep in "${RUN[@]}"; do
  wait_registered "$ep" || fail "$ep did not register within 15 s"
done
echo "ok: ${RUN[*]} registered"

# ---- filters against the expected lists -----------------------------------
# check.py: walks GET /devices with each query, following next, and
# compares with what the fleet table and the running devices say.
cat >"$W/check.py" <<'EOF'
import json, ssl, sys, time, urllib.parse, urllib.request

url, cert, token, fleet_file, running = sys.argv[1:6]
running = set(running.split(','))
ctx = ssl.create_default_context(cafile=cert)
ctx.check_hostname = False

def get(path):
    req = urllib.request.Request(url + path,
                                 headers={'Authorization': 'Bearer ' + token})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)

fleet = []
for line in open(fleet_file):
    ep, model, tags = line.rstrip('\n').split(' ', 2)
    fleet.append((ep, model, '' if tags == '-' else tags))

def words(tags):
    return [w for w in tags.replace(',', ' ').split(' ') if w]

def walk(query, limit):
    """Every device of query, page by page; (list, pages, short pages)."""
    got, after, pages, short = [], None, 0, 0
    while True:
        q = dict(query)
        q['limit'] = str(limit)
        if after is not None:
            q['after'] = after
        items = []
        for k, v in q.items():
            for x in (v if isinstance(v, list) else [v]):
                items.append((k, x))
        st, body = get('/devices?' + urllib.parse.urlencode(items))
        assert st == 200, (query, st, body)
        pages += 1
        assert len(body['devices']) <= limit, body
        got += body['devices']
        if body['next'] is None:
            return got, pages, short
        if len(body['devices']) < limit:
            short += 1
        after = body['next']
        assert pages < 200, 'paging does not end'

now = int(time.time() * 1000)
cases = [
    ({}, lambda ep, m, t: True),
    ({'prefix': 'ln-a'}, lambda ep, m, t: ep.startswith('ln-a')),
    ({'prefix': 'ln'}, lambda ep, m, t: ep.startswith('ln')),
    ({'prefix': 'lnx-3'}, lambda ep, m, t: ep == 'lnx-3'),
    ({'prefix': 'nope'}, lambda ep, m, t: False),
    ({'model': 'm-x'}, lambda ep, m, t: m == 'm-x'),
    ({'model': "m'q"}, lambda ep, m, t: m == "m'q"),
    ({'model': "m' OR '1'='1"}, lambda ep, m, t: False),
    ({'tag': 'roof'}, lambda ep, m, t: 'roof' in words(t)),
    ({'tag': ['eu', 'roof']},
     lambda ep, m, t: 'eu' in words(t) and 'roof' in words(t)),
    ({'tag': 'eu,roof'},
     lambda ep, m, t: 'eu' in words(t) and 'roof' in words(t)),
    ({'tag': ['eu,roof', 'spare']},
     lambda ep, m, t: {'eu', 'roof', 'spare'} <= set(words(t))),
    ({'tag': '50%_off'}, lambda ep, m, t: '50%_off' in words(t)),
    ({'tag': '%'}, lambda ep, m, t: False),
    ({'tag': 'Roof'}, lambda ep, m, t: False),
    ({'registered': 'true'}, lambda ep, m, t: ep in running),
    ({'registered': 'false'}, lambda ep, m, t: ep not in running),
    ({'seen_after': str(now - 120000)}, lambda ep, m, t: ep in running),
    ({'seen_before': str(now + 120000)}, lambda ep, m, t: ep in running),
    ({'seen_before': '1'}, lambda ep, m, t: False),
    ({'prefix': 'ln-b', 'model': 'm-x'},
     lambda ep, m, t: ep.startswith('ln-b') and m == 'm-x'),
    ({'prefix': 'ln', 'model': 'm-x', 'tag': 'roof'},
     lambda ep, m, t: ep.startswith('ln') and m == 'm-x' and
     'roof' in words(t)),
    ({'model': 'm-x', 'tag': 'eu', 'registered': 'true'},
     lambda ep, m, t: m == 'm-x' and 'eu' in words(t) and ep in running),
    ({'tag': 'eu', 'registered': 'false', 'prefix': 'lnx'},
     lambda ep, m, t: 'eu' in words(t) and ep not in running and
     ep.startswith('lnx')),
]
for query, rule in cases:
    want = sorted(ep for ep, m, t in fleet if rule(ep, m, t))
    for limit in (7, 1000):
        got, pages, short = walk(query, limit)
        eps = [d['endpoint'] for d in got]
        assert len(eps) == len(set(eps)), ('duplicate', query, eps)
        assert eps == want, (query, limit, 'got', eps, 'want', want)
        for d in got:
            reg = d['endpoint'] in running
            assert d['registered'] == reg, d
            assert (d['last_seen_ms'] is not None) == reg, d
print('filters: %d cases, each with limit=7 and limit=1000' % len(cases))

# registered=true with limit=1: the server reads 10 rows per page, so the
# three running devices at the end of 30 come after short pages.
got, pages, short = walk({'registered': 'true'}, 1)
assert sorted(d['endpoint'] for d in got) == sorted(running), got
assert short > 0, ('no short page with next set', pages)
print('registered=true, limit=1: %d pages, %d short with next set'
      % (pages, short))
EOF
python3 "$W/check.py" "$URL" "$CERT" "$TOKEN" "$W/fleet" \
  "$(IFS=,; echo "${RUN[*]}")" >"$W/check.out" 2>&1 ||
  { cat "$W/check.out"; fail "filters"; }
sed 's/^/ok: /' "$W/check.out"

# ---- last seen and the object tree ----------------------------------------
EP=zz-run-1
expect 200 GET "/devices/$EP"
body_is "d['last_seen_ms'] == d['registration']['updated_ms']"
before=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["last_seen_ms"])' "$W/body")
moved=
for _ in $(seq 200); do
  sleep 0.1
  expect 200 GET "/devices/$EP"
  now=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["last_seen_ms"])' "$W/body")
  if [[ $now -gt $before ]]; then moved=1; break; fi
done
[[ -n $moved ]] || fail "last_seen_ms of $EP did not move within 20 s (lifetime 10 s)"
body_is "d['last_seen_ms'] == d['registration']['updated_ms']"
echo "ok: last_seen_ms moved after an Update ($before -> $now)"

python3 - "$W/body" <<'EOF' || fail "object tree does not match the links"
import json, re, sys
d = json.load(open(sys.argv[1]))
links = d['registration']['links']
want = {}
for target, params in re.findall(r'<([^>]*)>([^,]*)', links):
    if 'rt="oma.lwm2m"' in params:
        continue
    seg = [int(s) for s in target.strip('/').split('/')]
    inst = want.setdefault(seg[0], {'inst': set(), 'ver': None})
    if len(seg) == 2:
        inst['inst'].add(seg[1])
    m = re.search(r';ver=([0-9.]+)', params)
    if m and inst['ver'] is None:
        inst['ver'] = m.group(1)
got = d['objects']
assert [o['id'] for o in got] == sorted(want), (links, got)
for o in got:
    assert o['instances'] == sorted(want[o['id']]['inst']), (links, o)
    assert o.get('version') == want[o['id']]['ver'], (links, o)
assert any(o['id'] == 3 and o['instances'] == [0] for o in got), got
print('%d objects' % len(got))
EOF
echo "ok: the object tree of $EP matches its links"

expect 200 GET /devices/ln-a01
body_is "d['registered'] is False and d['last_seen_ms'] is None and d['objects'] is None"
echo "ok: a device never registered: last_seen_ms and objects null"

# ---- bad parameters ---------------------------------------------------------
bad() { # QUERY PARAMETER
  expect 400 GET "/devices?$1"
  body_is "d.get('parameter') == '$2' and d['detail'].startswith('$2')"
}
bad "limit=0" limit
bad "after=a%20b" after
bad "prefix=a%20b" prefix
bad "prefix=$(printf 'p%.0s' $(seq 65))" prefix
bad "model=m%01" model
bad "model=$(printf 'm%.0s' $(seq 65))" model
bad "tag=" tag
bad "tag=a,,b" tag
bad "tag=a%20b" tag
bad "tag=$(printf 't,%.0s' $(seq 16))t" tag
bad "registered=yes" registered
bad "seen_before=abc" seen_before
bad "seen_after=-1" seen_after
echo "ok: bad parameters are 400 naming the parameter"

# ---- bulwarkctl -------------------------------------------------------------
ctl 0 "${G[@]}" devices --prefix ln-a --model m-x --tag roof
# None of them was ever heard from: LAST SEEN "-" on every row.
for ep in ln-a00 ln-a02 ln-a07 ln-a09; do
  grep -q "^$ep .* -$" "$W/out" || fail "$ep: want LAST SEEN -"
done
out_lacks ln-a01
out_lacks ln-b
ctl 0 "${G[@]}" devices --registered
out_has "LAST SEEN"
for ep in "${RUN[@]}"; do out_has "$ep"; done
out_has " s ago"
out_lacks ln-a00
ctl 0 "${G[@]}" devices --unregistered --tag cellar
out_has ln-a03
out_has lnx-5
out_lacks zz-run-1
ctl 0 "${G[@]}" devices --limit 5 --tag eu
[[ $(grep -c '^ln' "$W/out") == 5 ]] || fail "devices --limit 5: not 5 rows"
err_has "more: bulwarkctl devices --after"
ctl 0 "${G[@]}" devices --all --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
assert len(d["devices"]) == 30 and d["next"] is None, d' "$W/out" ||
  fail "devices --all --json: not the 30 devices"
ctl 0 "${G[@]}" devices --json --registered --limit 1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
assert [x["endpoint"] for x in d["devices"]] == ["zz-run-0"], d
assert "last_seen_ms" in d["devices"][0] and d["next"] == "zz-run-0", d' "$W/out" ||
  fail "devices --json --registered --limit 1"
ctl 2 "${G[@]}" devices --all --limit 3
ctl 2 "${G[@]}" devices --registered --unregistered
ctl 1 "${G[@]}" devices --tag "a b"
err_has "tag"
ctl 0 "${G[@]}" device "$EP"
out_has "last_seen_ms"
out_has "^objects"
out_has "OBJECT"
grep -Eq '^3 +[-0-9.]+ +0 *$' "$W/out" || fail "device $EP: no row for object 3 instance 0"
echo "ok: bulwarkctl devices (filters, LAST SEEN, --all, --json) and device EP (objects)"
echo "PASS api_devices_list ($(elapsed) s)"
