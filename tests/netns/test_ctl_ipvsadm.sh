#!/usr/bin/env bash
# directorctl's ipvsadm reads under traffic (dir1, NAT): -Ln, -Ln --stats, -Ln --exact --stats,
# -Ln -t/-u, -Lcn showing the flows this test holds open, --json of every read parsed by python3
# and checked against the text (same services, reals, weights, counters, flows), and the exit
# codes: 3 for an unknown service, 2 for bad flags.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
start_reals
reals_route_via_director 198.51.100.2 fd00:1::2
PY=$(lab_python)
CHECK="$HERE/ctl_json_check.py"
W=$LAB_STATE_DIR
SOCK="$W/dir1.sock"
HELD=6  # TCP connections held open during the reads

cat >"$W/ctl.conf" <<'CONF'
global_defs {
    router_id lab-dir1
}
static_ipaddress {
    192.0.2.101/32 dev lan0
}
virtual_server 192.0.2.101 80 {
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
        weight 3
    }
    real_server 198.51.100.12 80 {
        weight 1
    }
    real_server 198.51.100.13 80 {
        weight 2
    }
}
virtual_server 192.0.2.101 53 {
    lb_algo rr
    lb_kind NAT
    protocol UDP
    real_server 198.51.100.11 53 {
        weight 1
    }
    real_server 198.51.100.12 53 {
        weight 1
    }
}
CONF
directord_start dir1 "$W/ctl.conf" "$SOCK" || { fail "directord starts"; finish; }
pass "directord started in dir1 (pid $DIRECTORD_PID)"
check "dir1 holds the VIP 192.0.2.101 (within 5 s)" lab_wait_for 5 on dir1 sh -c 'ip -4 addr show dev lan0 | grep -q "inet 192.0.2.101/"'

ctl() { on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" "$@"; }
# run NAME ARGS...: stdout in $W/NAME, stderr in $W/NAME.err, exit code in RC.
run() { local name=$1; shift; ctl "$@" >"$W/$name" 2>"$W/$name.err"; RC=$?; }

echo "== traffic: 30 HTTP requests, 4 UDP datagrams, then $HELD connections held open"
ok=0
for ((i = 0; i < 30; i++)); do lab_get http://192.0.2.101/ >/dev/null && ok=$((ok + 1)); done
expect_eq "30 HTTP requests answered" 30 "$ok"
ok=0
for ((i = 0; i < 4; i++)); do on client "$PY" "$HERE/netclient.py" udp 192.0.2.101 53 >/dev/null && ok=$((ok + 1)); done
expect_eq "4 UDP requests answered" 4 "$ok"
held=()
for ((i = 0; i < HELD; i++)); do
  # One request, then idle: no packets while the reads compare counters.
  lab_spawn client "$W/held$i.log" "$PY" "$HERE/netclient.py" keepalive 192.0.2.101 80 \
    --out "$W/held$i.out" --interval 300 --max-seconds 300
  held+=("$LAB_LAST_PID")
done
answered() { local n=0 f; for f in "$W"/held*.out; do grep -q '^ok ' "$f" 2>/dev/null && n=$((n + 1)); done; [ "$n" -eq "$HELD" ]; }
check "$HELD held connections answered (within 5 s)" lab_wait_for 5 answered

echo "== directorctl -Lcn"
run lcn -Lcn; sed 's/^/    /' "$W/lcn" | head -n 12
expect_eq "-Lcn exits 0" 0 "$RC"
check "-Lcn: ipvsadm's title" bash -c "head -n 2 '$W/lcn' | tr -s ' ' | grep -qx 'pro expire state source virtual destination'"
established=$(awk '$1 == "TCP" && $3 == "ESTABLISHED" && $5 == "192.0.2.101:80"' "$W/lcn" | wc -l)
expect_eq "-Lcn: ESTABLISHED flows to 192.0.2.101:80 = the connections held" "$HELD" "$established"
ports=$(for f in "$W"/held*.out; do awk '/^connected/ {print "203.0.113.10:" $3}' "$f"; done | sort | tr '\n' ' ')
listed=$(awk '$1 == "TCP" && $3 == "ESTABLISHED" {print $4}' "$W/lcn" | sort | tr '\n' ' ')
expect_eq "-Lcn: the held connections' client ports" "$ports" "$listed"
kernel=$(on dir1 conntrack -L --orig-dst 192.0.2.101 2>/dev/null | wc -l)
expect_eq "-Lcn: as many flows as dir1's conntrack holds to the VIP" "$kernel" "$(($(wc -l <"$W/lcn") - 2))"
check "-Lcn: UDP flows in state UDP to 192.0.2.101:53" bash -c "awk '\$1 == \"UDP\" && \$3 == \"UDP\" && \$5 == \"192.0.2.101:53\"' '$W/lcn' | grep -q ."
run lcn_json -Lcn --json
rows=$("$PY" "$CHECK" conns "$W/lcn" "$W/lcn_json"); rc=$?
check "-Lcn --json lists the same flows as -Lcn ($rows rows)" test "$rc" -eq 0
run lcn_tcp -Lcn -t 192.0.2.101:80
check "-Lcn -t: only the TCP service's flows" bash -c "[ $RC -eq 0 ] && ! grep -q '^UDP' '$W/lcn_tcp' && [ \$(grep -c '^TCP' '$W/lcn_tcp') -eq \$(grep -c '^TCP' '$W/lcn') ]"

echo "== directorctl -Ln"
run ln -Ln; sed 's/^/    /' "$W/ln"
expect_eq "-Ln exits 0" 0 "$RC"
check "-Ln: ipvsadm's title" grep -q '^Prot LocalAddress:Port Scheduler Flags$' "$W/ln"
check "-Ln: TCP service line" grep -q '^TCP  192.0.2.101:80 wrr$' "$W/ln"
check "-Ln: UDP service line" grep -q '^UDP  192.0.2.101:53 rr$' "$W/ln"
expect_eq "-Ln: weights of the TCP reals" "3 1 2" \
  "$(awk '/^TCP/{t=1;next} /^UDP/{t=0} t && /->/ {printf "%s ", $4}' "$W/ln" | sed 's/ $//')"
active=$(awk '/^TCP/{t=1;next} /^UDP/{t=0} t && /->/ {s += $5} END {print s+0}' "$W/ln")
expect_eq "-Ln: ActiveConn of the TCP service = the connections held" "$HELD" "$active"
run ln_json -Ln --json
expect_eq "-Ln --json exits 0" 0 "$RC"
check "-Ln --json matches -Ln (services, reals, weights, ActiveConn, InActConn)" "$PY" "$CHECK" list "$W/ln" "$W/ln_json"
run list_json list --json
check "list --json is the same envelope" "$PY" "$CHECK" list "$W/ln" "$W/list_json"

echo "== directorctl -Ln --stats / --exact --stats"
run stats -Ln --stats; sed 's/^/    /' "$W/stats"
expect_eq "-Ln --stats exits 0" 0 "$RC"
check "--stats: ipvsadm's title" grep -qE '^Prot LocalAddress:Port +Conns +InPkts +OutPkts +InBytes +OutBytes$' "$W/stats"
expect_eq "--stats: Conns of the TCP service = 30 + $HELD" "$((30 + HELD))" "$(awk '/^TCP/ {print $3}' "$W/stats")"
expect_eq "--stats: Conns over the TCP reals" "$((30 + HELD))" "$(awk '/^TCP/{t=1;next} /^UDP/{t=0} t && /->/ {s += $3} END {print s+0}' "$W/stats")"
run stats_json -Ln --stats --json
check "--stats --json matches --stats (every counter)" "$PY" "$CHECK" stats "$W/stats" "$W/stats_json"
run exact -Ln --exact --stats; sed 's/^/    /' "$W/exact"
expect_eq "-Ln --exact --stats exits 0" 0 "$RC"
check "--exact --stats matches the JSON counters exactly" "$PY" "$CHECK" stats "$W/exact" "$W/stats_json"
inbytes=$(awk '/^TCP/ {print $6}' "$W/exact")
check "--exact: the TCP service's InBytes is a whole number ($inbytes)" bash -c '[[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ]' _ "$inbytes"

echo "== directorctl -Ln -t / -u"
run only_tcp -Ln -t 192.0.2.101:80; sed 's/^/    /' "$W/only_tcp"
expect_eq "-Ln -t exits 0" 0 "$RC"
check "-t: the TCP service" grep -q '^TCP  192.0.2.101:80 wrr$' "$W/only_tcp"
check "-t: not the UDP one" bash -c "! grep -q '^UDP' '$W/only_tcp'"
check "-t: no banner (as ipvsadm -L -t)" bash -c "! grep -q '^directord' '$W/only_tcp'"
expect_eq "-t: its 3 reals" 3 "$(grep -c -- '->.*Masq' "$W/only_tcp")"
run only_udp -Lnu 192.0.2.101:53
check "-Lnu: only the UDP service, 2 reals" bash -c "[ $RC -eq 0 ] && grep -q '^UDP  192.0.2.101:53 rr$' '$W/only_udp' && ! grep -q '^TCP' '$W/only_udp' && [ \$(grep -c -- '->.*Masq' '$W/only_udp') -eq 2 ]"
run only_json -Ln -t 192.0.2.101:80 --json
check "-t --json matches -t" "$PY" "$CHECK" list "$W/only_tcp" "$W/only_json"

echo "== --json on every other read"
for read in "health ServiceList" "vrrp VrrpList" "sync SyncReply" "status ForwarderReply" \
  "conntrack ConntrackReply"; do
  set -- $read
  run "json_$1" "$1" --json
  check "$1 --json exits 0 and is a $2 envelope" bash -c "[ $RC -eq 0 ] && '$PY' '$CHECK' envelope '$W/json_$1' $2"
done
run lookup_json --json lookup tcp 203.0.113.10 40000 192.0.2.101 80
check "lookup --json is a LookupReply envelope" bash -c "[ $RC -eq 0 ] && '$PY' '$CHECK' envelope '$W/lookup_json' LookupReply"
sched=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["scheduler"])' "$W/lookup_json" 2>&1)
expect_eq "lookup --json names the scheduler" wrr "$sched"
run lookup_text lookup tcp 203.0.113.10 40000 192.0.2.101 80
check "lookup text names the scheduler too" grep -q '(wrr rotation' "$W/lookup_text"
entries=$("$PY" -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["data"]["entries"]))' "$W/json_conntrack" 2>&1)
check "conntrack --json counts at least the flows held ($entries)" bash -c '[[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge "$2" ]' _ "$entries" "$HELD"

echo "== names without -n (ipvsadm resolves; glibc's resolver bounded to 1 s a name)"
on dir1 env RES_OPTIONS="timeout:1 attempts:1" timeout 60 "$DIRECTORCTL" --admin-socket "$SOCK" -L -t 192.0.2.101:80 >"$W/named" 2>&1; RC=$?
sed 's/^/    /' "$W/named"
check "-L -t: exits 0 and names port 80 by its service (http)" bash -c "[ $RC -eq 0 ] && grep -qE '^TCP  [^ ]+:http wrr$' '$W/named'"

echo "== exit codes"
run unknown -Ln -t 192.0.2.99:80
check "-Ln -t unknown service: exit 3 naming it" bash -c "[ $RC -eq 3 ] && grep -q 'no virtual service TCP 192.0.2.99:80' '$W/unknown.err'"
run unknown_c -Lcn -u 192.0.2.101:80
check "-Lcn -u unknown service: exit 3 naming it" bash -c "[ $RC -eq 3 ] && grep -q 'no virtual service UDP 192.0.2.101:80' '$W/unknown_c.err'"
for bad in "-Lx" "--frobnicate" "-Ln --stats --rate" "-Ln -t 192.0.2.101" "-Ln -t" "health -n"; do
  # shellcheck disable=SC2086  # split on purpose
  run bad $bad
  check "'$bad': exit 2 with the usage line" bash -c "[ $RC -eq 2 ] && grep -q '^Usage: directorctl' '$W/bad.err' && [ ! -s '$W/bad' ]"
done
run version --version
check "--version: exit 0, the version" bash -c "[ $RC -eq 0 ] && grep -qE '^directorctl [0-9]+\.[0-9]+\.[0-9]+' '$W/version'"
run help -h
check "-h: exit 0, the exit-code table and docs/json.md" bash -c "[ $RC -eq 0 ] && grep -q '^Exit codes:' '$W/help' && grep -q 'docs/json.md' '$W/help'"
ctl -Ln --admin-socket "$W/nobody.sock" >/dev/null 2>&1; RC=$?
expect_eq "an admin socket nobody answers on: exit 1" 1 "$RC"

for pid in "${held[@]}"; do lab_stop_pid "$pid" TERM >/dev/null; done
check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
finish
