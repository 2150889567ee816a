#!/usr/bin/env bash
# Prometheus /metrics end to end: a real Prometheus server (Debian's `prometheus`) in the router's
# namespace scrapes directord's /metrics on dir1 (NAT, etc/lab-nat.conf plus metrics_listen), and
# its HTTP API (/api/v1/query) must count exactly the connections sent through the VIP, per real
# and per service. `promtool check metrics` accepts a scrape. A metrics port that is taken stops
# the start (exit 1, a clear error) with nothing applied; --metrics-listen wins over the config.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
for tool in prometheus promtool; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/install-deps.sh)"; exit 77; }
done
lab_up
start_reals
reals_route_via_director 198.51.100.2 fd00:1::2

DIR1=198.51.100.2
CONFIG_PORT=9101  # global_defs metrics_listen
FLAG_PORT=9102    # --metrics-listen
PROM=127.0.0.1:9090
REQUESTS=30
CONF="$LAB_STATE_DIR/metrics.conf"
SOCK="$LAB_STATE_DIR/dir1.sock"
sed "s/^\(    router_id lab-dir1\)$/\1\n    metrics_listen $DIR1 $CONFIG_PORT/" "$LAB_SOURCE_DIR/etc/lab-nat.conf" >"$CONF"
grep -q "metrics_listen $DIR1 $CONFIG_PORT" "$CONF" || { fail "metrics_listen added to the config"; finish; }
check "directord -t accepts the config with metrics_listen" on dir1 "$DIRECTORD" -t -f "$CONF"
bad=$(on dir1 "$DIRECTORD" -f "$CONF" -l --metrics-listen "localhost:9101" 2>&1); rc=$?
expect_eq "a bad --metrics-listen is refused with exit 2" 2 "$rc"
check "... naming the value and printing the usage" \
  bash -c 'grep -q "localhost:9101" <<<"$1" && grep -q "^Usage: directord" <<<"$1"' _ "$bad"

echo "== the config's metrics port is taken: the start fails, nothing applied"
lab_spawn dir1 "$LAB_STATE_DIR/squatter.log" "$(lab_python)" -c \
  "import socket, time; s = socket.socket(); s.bind(('$DIR1', $CONFIG_PORT)); s.listen(); time.sleep(600)"
SQUATTER=$LAB_LAST_PID
lab_wait_listen dir1 tcp "$CONFIG_PORT" || fail "the squatter listens on $DIR1:$CONFIG_PORT"
refused_log="$LAB_STATE_DIR/directord-refused.log"
on dir1 timeout 20 "$DIRECTORD" -f "$CONF" -l -n --admin-socket "$SOCK" >"$refused_log" 2>&1
expect_eq "directord exits 1 when its metrics port is taken" 1 "$?"
sed 's/^/    /' "$refused_log" | tail -n 3
check "the error names the address and the reason" \
  grep -q "cannot listen on $DIR1:$CONFIG_PORT for /metrics: Address already in use; not starting, nothing changed" "$refused_log"
check "no directord nft table in dir1" bash -c "! ip netns exec $(ns dir1) nft list tables | grep -qw directord"
check "the VIP 192.0.2.101 is not on dir1" bash -c "! ip -n $(ns dir1) -4 addr show dev lan0 | grep -q 'inet 192.0.2.101/'"
check "no admin socket" test ! -e "$SOCK"

echo "== --metrics-listen $DIR1:$FLAG_PORT wins over the config (whose port is still taken)"
log="$LAB_STATE_DIR/directord-dir1.log"
lab_spawn dir1 "$log" "$DIRECTORD" -f "$CONF" -l -n --admin-socket "$SOCK" --metrics-listen "$DIR1:$FLAG_PORT"
DIRECTORD_PID=$LAB_LAST_PID
check "directord started with --metrics-listen (admin socket within 5 s)" lab_wait_for 5 test -S "$SOCK"
check "dir1 holds the VIP 192.0.2.101 (within 5 s)" lab_wait_for 5 on dir1 sh -c 'ip -4 addr show dev lan0 | grep -q "inet 192.0.2.101/"'
check "/metrics listens on $DIR1:$FLAG_PORT" lab_wait_listen dir1 tcp "$FLAG_PORT"
lab_stop_pid "$SQUATTER" TERM >/dev/null

echo "== $REQUESTS new connections to 192.0.2.101:80 (rr)"
out=$(for ((i = 0; i < REQUESTS; i++)); do lab_get http://192.0.2.101/ --local-port $((21000 + i)) || echo error; done)
expect_eq "rr over $REQUESTS connections" "real1=10 real2=10 real3=10" "$(count_reals <<<"$out")"

echo "== promtool check metrics on a scrape"
scrape="$LAB_STATE_DIR/scrape.txt"
on router curl -sS --max-time 5 "http://$DIR1:$FLAG_PORT/metrics" >"$scrape"
check "the scrape has the per-real connection counters" grep -q '^directord_ipvs_backend_connections_total{' "$scrape"
check "the scrape has build info" grep -q '^directord_build_info{version="' "$scrape"
lint=$(promtool check metrics <"$scrape" 2>&1); rc=$?
[ -n "$lint" ] && sed 's/^/    /' <<<"$lint"
expect_eq "promtool check metrics exits 0" 0 "$rc"

echo "== a real Prometheus server scrapes it every second"
mkdir -p "$LAB_STATE_DIR/prometheus"
cat >"$LAB_STATE_DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: directord
    static_configs:
      - targets: ['$DIR1:$FLAG_PORT']
EOF
check "promtool check config" promtool check config "$LAB_STATE_DIR/prometheus.yml"
lab_spawn router "$LAB_STATE_DIR/prometheus.log" prometheus --config.file="$LAB_STATE_DIR/prometheus.yml" \
  --storage.tsdb.path="$LAB_STATE_DIR/prometheus" --web.listen-address="$PROM" --log.level=warn
check "Prometheus is ready (within 30 s)" lab_wait_for 30 on router curl -sf --max-time 1 "http://$PROM/-/ready"

# The value of an instant query's single result ("" when none or several).
query() {
  on router curl -sS --max-time 3 -G "http://$PROM/api/v1/query" --data-urlencode "query=$1" |
    "$(lab_python)" -c '
import json, sys
r = json.load(sys.stdin)
res = r["data"]["result"] if r.get("status") == "success" else []
print(res[0]["value"][1] if len(res) == 1 else "")'
}
# Waits (bounded) until the query answers EXPECTED; prints the last answer.
query_until() {
  local expected=$1 q=$2 i v=
  for ((i = 0; i < 40; i++)); do
    v=$(query "$q")
    [ "$v" = "$expected" ] && break
    sleep 0.5
  done
  echo "$v"
}

backend='directord_ipvs_backend_connections_total{job="directord",local_address="192.0.2.101",local_port="80",proto="TCP"}'
expect_eq "Prometheus scrapes directord (up)" 1 "$(query_until 1 'up{job="directord"}')"
expect_eq "sum of the per-real connection counters = requests sent" "$REQUESTS" "$(query_until "$REQUESTS" "sum($backend)")"
for r in 1 2 3; do
  expect_eq "real$r's connection counter" 10 \
    "$(query_until 10 "sum(directord_ipvs_backend_connections_total{job=\"directord\",remote_address=\"198.51.100.1$r\"})")"
done
expect_eq "the service's connection counter" "$REQUESTS" \
  "$(query_until "$REQUESTS" 'directord_ipvs_connections_total{job="directord",local_address="192.0.2.101",local_port="80"}')"
expect_eq "each real has weight 1" 3 "$(query_until 3 'count(directord_ipvs_backend_weight{job="directord"} == 1)')"
expect_eq "packets reached the reals" 3 \
  "$(query_until 3 'count(directord_ipvs_backend_incoming_packets_total{job="directord"} > 0)')"
expect_eq "every part answered the scrape" 5 \
  "$(query_until 5 'sum(directord_scrape_collector_success{job="directord"})')"
expect_eq "the forwarder counted its commits" 1 \
  "$(query_until 1 'count(directord_forwarder_commits_total{job="directord"} >= 1)')"

check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
check "no directord nft table left in dir1" bash -c "! ip netns exec $(ns dir1) nft list tables | grep -qw directord"
finish
