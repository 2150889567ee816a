#!/usr/bin/env bash
# A datapath program the kernel's verifier refuses (directord --bpf-object, built here from
# tests/netns/bpf/refused_datapath.bpf.c: it reads the packet without a bounds check):
#   - a start with a TUN service fails with the verifier's reason and leaves nothing behind;
#   - a running node (FULLNAT, no eBPF needed) refuses a reload that adds a TUN service, with
#     the verifier's reason, and goes on unchanged: same services, still forwarding.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
start_reals
OBJ="$LAB_STATE_DIR/refused.bpf.o"
clang -O2 -g -target bpf -I/usr/include/"$(gcc -print-multiarch)" -I"$LAB_SOURCE_DIR" \
  -c "$HERE/bpf/refused_datapath.bpf.c" -o "$OBJ" || { fail "build the refused program"; finish; }
SOCK="$LAB_STATE_DIR/dir1.sock"
ino=$(stat -L -c %i "/run/netns/$(ns dir1)")

echo "== start with a TUN service"
log="$LAB_STATE_DIR/start.log"
on dir1 timeout 20 "$DIRECTORD" -f "$LAB_SOURCE_DIR/etc/lab-tun.conf" -i dir1 -l -n --admin-socket "$SOCK" \
  --bpf-object "$OBJ" >"$log" 2>&1
rc=$?
check "directord refused to start (exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check "the log names the kernel's refusal" grep -q "the kernel refused the eBPF datapath ($OBJ)" "$log"
check "and gives the verifier's reason ($(grep -m1 -oE 'invalid access to packet[^,]*|R[0-9] invalid mem access[^ ]*' "$log"))" \
  grep -qE "invalid access to packet|invalid mem access" "$log"
check "no nft table of ours is left in dir1" sh -c "! ip netns exec $(ns dir1) nft list tables | grep -qw directord"
check "no pinned link is left" sh -c "! ls $LAB_BPFFS/directord/net-$ino/tcx-ingress-* >/dev/null 2>&1"
check "dir1 holds no VIP" sh -c "! ip netns exec $(ns dir1) ip -o addr show dev lan0 | grep -q 192.0.2.103"

echo "== a running FULLNAT node refuses a reload that adds a TUN service"
CONF="$LAB_STATE_DIR/dir1.conf"
cp "$LAB_SOURCE_DIR/etc/lab-fullnat.conf" "$CONF"
lab_spawn dir1 "$LAB_STATE_DIR/directord-dir1.log" "$DIRECTORD" -f "$CONF" -l -n --admin-socket "$SOCK" --bpf-object "$OBJ"
PID=$LAB_LAST_PID
check "directord runs the FULLNAT config (no eBPF needed, the bad object is not loaded)" lab_wait_for 5 test -S "$SOCK"
before=$(on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" -L -n | grep -c '^[TU][CD]P')
body=$(lab_get "http://$VIP_FNAT4/") || body=error
check "the FULLNAT VIP answers ($body)" test "${body%% *}" != error
cat >>"$CONF" <<'EOF2'
static_ipaddress {
    192.0.2.103/32 dev lan0
}
virtual_server 192.0.2.103 80 {
    lb_algo mh
    lb_kind TUN
    real_server 198.51.100.11 80
}
EOF2
kill -HUP "$PID"
check "the reload is refused with the verifier's reason" lab_wait_for 5 grep -qE "reload refused: eBPF datapath: the kernel refused.*" "$LAB_STATE_DIR/directord-dir1.log"
grep -m1 -A3 "reload refused" "$LAB_STATE_DIR/directord-dir1.log" | sed 's/^/    /'
after=$(on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" -L -n | grep -c '^[TU][CD]P')
expect_eq "the running services are unchanged" "$before" "$after"
check "the TUN VIP was not added" sh -c "! ip netns exec $(ns dir1) ip -o addr show dev lan0 | grep -q 192.0.2.103"
body=$(lab_get "http://$VIP_FNAT4/") || body=error
check "the FULLNAT VIP still answers ($body)" test "${body%% *}" != error
check "directord is still running" kill -0 "$PID"
check "directord exits within 5 s of SIGTERM" directord_stop "$PID"
finish
