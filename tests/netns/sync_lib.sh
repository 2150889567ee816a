# shellcheck shell=bash
# Helpers for the connection-sync drills (tests/netns/test_sync_*.sh). Source after lib.sh.
#
# The drill: flowdrill.py (in client) holds N long-lived FULLNAT flows to 192.0.2.100:9000,
# drill_server.py answers on every real. Even flows are "client-first" (after the failover the
# client sends "ping" and must hear from the same real), odd ones "server-first" (the client is
# silent; the real pushes a line when a push request is appended to the push file, and it must arrive). Only a flow whose
# conntrack entry (with its NAT bindings) reached the surviving director survives server-first.
#
#   sync_add_dir3                        before lab_up: a third director dir3 (198.51.100.4, fd00:1::4)
#   sync_certs NAME...                   scripts/sync-certs.sh into $SYNC_CERTS ($LAB_STATE_DIR/certs)
#   sync_global_defs NODE                global_defs (router_id NODE, fixed lb_hash_seed, VRRPv3)
#   sync_block NODE PEER...              connection_sync { listen, peer PEER..., tls } on port $SYNC_PORT
#   sync_vrrp_instance NAME VRID PRIO EXTRA ADDR...   a VRRPv3 instance on lan0, advert 0.1 s
#   sync_lag NAME ADDR...                local_address_group
#   sync_fnat_service LAG                virtual_server 192.0.2.100 9000, mh, FNAT, the three reals
#   sync_require_support NODE CONF      exit 77 when directord refuses connection_sync as unsupported
#   sync_directord_start NODE CONF SOCK  directord_start; exit 77 if it says it runs without sync
#   drill_servers_start                  drill_server.py on every real (port 9000, $SYNC_PUSH_FILE)
#   flowdrill_start TAG COUNT [ARGS...]  flowdrill.py run in client (background); files fd-TAG.*
#   flowdrill_wait_ready TAG SECS / flowdrill_go TAG / flowdrill_wait_result TAG SECS
#   fd_get TAG ready|result KEY[/KEY]    a field of the ready/result JSON (0 when missing)
#   flowdrill_probe TAG PORTS            flowdrill.py probe from client, JSON in probe-TAG.json
#   probe_compare TAG1 TAG2              "same N differ N errors N" between two probes
#   drill_report TAG                     the result's numbers, indented
#   sync_status NODE SOCK                `directorctl sync` (also appended to sync-NODE.txt)
#   sync_in NODE SOCK PEER FIELD         received/applied/rejected/malformed/resets from the "in:" line
#   sync_out NODE SOCK PEER COLUMN       Sent/Acked/Queue/InFlight of the peer's row
#   sync_bulk_complete NODE SOCK PEER    the peer's bulk into NODE is complete
#   sync_both_up NODE SOCK PEER          both streams with PEER are up
#   sync_ready NODE SOCK                 NODE says "ready" (every live peer's bulk received)
#   sync_wait_applied SECS NODE SOCK PEER MIN     bounded wait for applied >= MIN
#   sync_wait_drained SECS NODE SOCK PEER         bounded wait for queue 0 and in flight 0 to PEER
#   ct_count NODE                        established conntrack entries of 192.0.2.100:9000 in NODE

SYNC_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SYNC_PORT=${SYNC_PORT:-7800}
DRILL_PORT=${DRILL_PORT:-9000}
SYNC_VIP=192.0.2.100
SYNC_CERTS=
SYNC_PUSH_FILE=

# shellcheck disable=SC2034  # lib.sh reads these
sync_add_dir3() {
  LAB_NODES+=(dir3)
  LAB_LAN_NODES+=(dir3)
  LAB_DIRECTORS+=(dir3)
  LAB_IP4["dir3"]=198.51.100.4
  LAB_IP6["dir3"]=fd00:1::4
}

sync_certs() {
  SYNC_CERTS="$LAB_STATE_DIR/certs"
  "$LAB_SOURCE_DIR/scripts/sync-certs.sh" "$SYNC_CERTS" "$@" || lab_die "sync-certs.sh failed"
}

sync_global_defs() {
  cat <<EOF
global_defs {
    router_id $1
    lb_hash_seed 0x1234abcd
    vrrp_version 3
    vrrp_garp_master_delay 1
}
EOF
}

# sync_block NODE PEER...: NODE listens on its LAN address, every PEER at its LAN address.
sync_block() {
  local node=$1 p; shift
  [ -n "$SYNC_CERTS" ] || SYNC_CERTS="$LAB_STATE_DIR/certs"
  echo "connection_sync {"
  echo "    listen ${LAB_IP4[$node]} $SYNC_PORT"
  for p in "$@"; do echo "    peer $p ${LAB_IP4[$p]} $SYNC_PORT"; done
  cat <<EOF
    tls {
        ca $SYNC_CERTS/ca.pem
        cert $SYNC_CERTS/$node.pem
        key $SYNC_CERTS/$node.key
    }
}
EOF
}

# sync_vrrp_instance NAME VRID PRIORITY "EXTRA LINES" ADDR/LEN...
sync_vrrp_instance() {
  local name=$1 vrid=$2 prio=$3 extra=$4 a; shift 4
  cat <<EOF
vrrp_instance $name {
    state BACKUP
    interface lan0
    virtual_router_id $vrid
    priority $prio
    advert_int 0.1
    $extra
    virtual_ipaddress {
EOF
  for a in "$@"; do echo "        $a dev lan0"; done
  echo "    }"
  echo "}"
}

sync_lag() {
  local name=$1 a; shift
  echo "local_address_group $name {"
  for a in "$@"; do echo "    $a"; done
  echo "}"
}

sync_fnat_service() {
  cat <<EOF
virtual_server $SYNC_VIP $DRILL_PORT {
    lb_algo mh
    mh-port
    lb_kind FNAT
    protocol TCP
    laddr_group_name $1
    real_server 198.51.100.11 $DRILL_PORT {
        weight 1
    }
    real_server 198.51.100.12 $DRILL_PORT {
        weight 1
    }
    real_server 198.51.100.13 $DRILL_PORT {
        weight 1
    }
}
EOF
}

# sync_require_support NODE CONF: `directord -t` on a config with connection_sync. Exit 77 (skip)
# when directord says sync is not supported; FAIL + exit 1 when it refuses the config otherwise.
sync_require_support() {
  local node=$1 conf=$2 out rc
  out=$(on "$node" "$DIRECTORD" -t -f "$conf" 2>&1); rc=$?
  if [ "$rc" -ne 0 ]; then
    if grep -qi "not supported\|without sync" <<<"$out"; then
      echo "SKIP: ${0##*/}: this directord has no connection sync: $(grep -i -m1 'not supported\|without sync' <<<"$out")"
      exit 77
    fi
    echo "directord -t -f $conf (exit $rc):"; sed 's/^/    /' <<<"$out"
    fail "directord accepts the drill's connection_sync config"
    finish
  fi
}

# directord_start, but a directord built without sync (it exits saying so) is a skip (77).
sync_directord_start() {
  local node=$1 conf=$2 sock=$3
  directord_start "$node" "$conf" "$sock" && return 0
  if grep -qi "runs without sync\|connection_sync.*not supported" "$LAB_STATE_DIR/directord-$node.log" 2>/dev/null; then
    echo "SKIP: ${0##*/}: directord runs without sync ($(grep -i -m1 'sync' "$LAB_STATE_DIR/directord-$node.log"))"
    exit 77
  fi
  return 1
}

drill_servers_start() {
  local r py
  py=$(lab_python)
  SYNC_PUSH_FILE="$LAB_STATE_DIR/push"
  for r in "${LAB_REALS[@]}"; do
    lab_spawn "$r" "$LAB_STATE_DIR/drill-$r.log" "$py" "$SYNC_LIB_DIR/drill_server.py" --name "$r" \
      --port "$DRILL_PORT" --push-file "$SYNC_PUSH_FILE"
  done
  for r in "${LAB_REALS[@]}"; do
    lab_wait_listen "$r" tcp "$DRILL_PORT" || { cat "$LAB_STATE_DIR/drill-$r.log" >&2; lab_die "drill_server in $r did not start"; }
  done
}

declare -gA FD_PID=()  # TAG -> flowdrill's PID (for lab_stop_pid)
_fd() { echo "$LAB_STATE_DIR/fd-$1.$2"; }

# flowdrill_start TAG COUNT [flowdrill run args...]
flowdrill_start() {
  local tag=$1 count=$2; shift 2
  rm -f "$(_fd "$tag" ready)" "$(_fd "$tag" go)" "$(_fd "$tag" result)"
  lab_spawn client "$(_fd "$tag" log)" "$(lab_python)" "$SYNC_LIB_DIR/flowdrill.py" run "$SYNC_VIP" "$DRILL_PORT" \
    --count "$count" --ready-file "$(_fd "$tag" ready)" --go-file "$(_fd "$tag" go)" \
    --push-file "$SYNC_PUSH_FILE" --result "$(_fd "$tag" result)" --max-seconds 120 "$@"
  # shellcheck disable=SC2034
  FD_PID[$tag]=$LAB_LAST_PID
}
flowdrill_wait_ready() { lab_wait_for "$2" test -s "$(_fd "$1" ready)"; }
flowdrill_go() { touch "$(_fd "$1" go)"; }
flowdrill_wait_result() { lab_wait_for "$2" test -s "$(_fd "$1" result)"; }
flowdrill_log() { sed 's/^/   /' "$(_fd "$1" log)"; }

# fd_get TAG ready|result KEY[/KEY...]: prints the value (JSON for objects), 0 when missing.
fd_get() {
  "$(lab_python)" - "$(_fd "$1" "$2")" "$3" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    print(0); sys.exit(0)
for k in sys.argv[2].split("/"):
    d = d.get(k, 0) if isinstance(d, dict) else 0
print(json.dumps(d, sort_keys=True) if isinstance(d, (dict, list)) else d)
EOF
}

# flowdrill_probe TAG A-B: one fresh connection per source port; {port: real} in probe-TAG.json
flowdrill_probe() {
  on client "$(lab_python)" "$SYNC_LIB_DIR/flowdrill.py" probe "$SYNC_VIP" "$DRILL_PORT" \
    --src-ports "$2" --out "$LAB_STATE_DIR/probe-$1.json"
}

# probe_compare TAG1 TAG2: prints "same N differ N errors N" (ports answered by a real in both)
probe_compare() {
  "$(lab_python)" - "$LAB_STATE_DIR/probe-$1.json" "$LAB_STATE_DIR/probe-$2.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
same = differ = errors = 0
ex = []
why = {}
for port, ra in a.items():
    rb = b.get(port, "error:missing")
    if ra.startswith("error") or rb.startswith("error"):
        errors += 1
        k = f"{ra if ra.startswith('error') else 'ok'}/{rb if rb.startswith('error') else 'ok'}"
        why[k] = why.get(k, 0) + 1
    elif ra == rb:
        same += 1
    else:
        differ += 1
        if len(ex) < 5: ex.append(f"{port}:{ra}->{rb}")
print(f"same {same} differ {differ} errors {errors}" + (" e.g. " + " ".join(ex) if ex else "")
      + (f" (errors before/after: {why})" if why else ""))
EOF
}

sync_status() {
  local out
  out=$(on "$1" "$DIRECTORCTL" --admin-socket "$2" sync 2>&1)
  { echo "---- $(date +%T.%N | cut -c1-12) $1"; echo "$out"; } >>"$LAB_STATE_DIR/sync-$1.txt"
  echo "$out"
}
# sync_in NODE SOCK PEER FIELD: a number from the "in:" line under PEER's row (0 when absent)
sync_in() {
  sync_status "$1" "$2" | awk -v p="$3" -v f="$4" '
    $1 == p && NF > 4 {row = 1; next}
    row && /^ +in:/ {for (i = 1; i < NF; i++) if ($i == f) {v = $(i + 1); gsub(/[^0-9]/, "", v); print v + 0; exit}}
    END {}' | { read -r v; echo "${v:-0}"; }
}
# sync_out NODE SOCK PEER COLUMN (Sent|Acked|Queue|InFlight|Coalesced|Dropped)
sync_out() {
  local col
  case $4 in Sent) col=5 ;; Acked) col=6 ;; Queue) col=7 ;; InFlight) col=8 ;; Coalesced) col=9 ;; Dropped) col=10 ;; *) return 1 ;; esac
  sync_status "$1" "$2" | awk -v p="$3" -v c="$col" '$1 == p && NF > 4 {print $c + 0; exit}' | { read -r v; echo "${v:-0}"; }
}
sync_bulk_complete() {
  sync_status "$1" "$2" | awk -v p="$3" '$1 == p && NF > 4 {row = 1; next} row && /^ +in:/ {ok = /\(complete/; row = 0} END {exit !ok}'
}
# sync_both_up NODE SOCK PEER: the outgoing and the incoming stream with PEER are up
sync_both_up() { sync_status "$1" "$2" | awk -v p="$3" '$1 == p && NF > 4 {ok = $3 == "up" && $4 == "up"} END {exit !ok}'; }
# (Output read whole first: under pipefail, `| head | grep -q` fails when a reader exits early.)
sync_ready() { local out; out=$(sync_status "$1" "$2"); [[ ${out%%$'\n'*} == *", ready"* ]]; }
_ge() { [ "$(sync_in "$1" "$2" "$3" "$4")" -ge "$5" ]; }
sync_wait_applied() { lab_wait_for "$1" _ge "$2" "$3" "$4" applied "$5"; }
_drained() { [ "$(sync_out "$1" "$2" "$3" Queue)" = 0 ] && [ "$(sync_out "$1" "$2" "$3" InFlight)" = 0 ]; }
sync_wait_drained() { lab_wait_for "$1" _drained "$2" "$3" "$4"; }

ct_count() {
  local out
  out=$(on "$1" conntrack -L -p tcp --orig-dst "$SYNC_VIP" --dport "$DRILL_PORT" 2>/dev/null) || true
  grep -c ESTABLISHED <<<"$out"
}
_ct_ge() { [ "$(ct_count "$1")" -ge "$2" ]; }
# ct_wait_ge SECS NODE MIN
ct_wait_ge() { lab_wait_for "$1" _ct_ge "$2" "$3"; }

# drill_report TAG: the result's headline numbers, indented
drill_report() {
  local t=$1
  echo "   opened $(fd_get "$t" result opened) per real $(fd_get "$t" result per_real) per laddr $(fd_get "$t" result per_laddr)"
  echo "   client-first $(fd_get "$t" result client_first_ok)/$(fd_get "$t" result client_first)," \
    "server-first $(fd_get "$t" result server_first_ok)/$(fd_get "$t" result server_first)," \
    "in $(fd_get "$t" result elapsed_ms) ms; failures $(fd_get "$t" result failures);" \
    "peer changed $(fd_get "$t" result peer_changed)"
  echo "   ok by laddr $(fd_get "$t" result ok_by_laddr) failed by laddr $(fd_get "$t" result fail_by_laddr)"
}

# What every sync drill needs before it builds its lab: root, the binaries, openssl (certificates)
# and conntrack-tools. Skips (77) or fails the calling script.
sync_drill_require() {
  lab_require_root
  ha_find_binaries || exit 1
  command -v openssl >/dev/null || { echo "SKIP: ${0##*/} needs openssl"; exit 77; }
  command -v conntrack >/dev/null || { echo "SKIP: ${0##*/} needs conntrack (conntrack-tools)"; exit 77; }
}
