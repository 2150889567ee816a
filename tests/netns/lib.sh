# shellcheck shell=bash
# The netns lab: a sourced fixture for tests/netns/*.sh, scripts/lab.sh and scripts/demo.sh.
#
#   client ── router ══ br (a namespace holding only bridge br0) ══ dir1 dir2 real1 real2 real3
#
#   client  eth0  203.0.113.10/24  fd00:c::10/64   default via router
#   router  cli0  203.0.113.1/24   fd00:c::1/64
#           lan0  198.51.100.1/24  fd00:1::1/64    + on-link 192.0.2.0/24, fd00:2::/64 (the VIPs)
#   dir1    lan0  198.51.100.2     fd00:1::2       default via router
#   dir2    lan0  198.51.100.3     fd00:1::3       default via router
#   realN   lan0  198.51.100.1N    fd00:1::1N      default via router (NAT tests: via a director)
#   br      br0 with ports p-router p-dir1 p-dir2 p-real1 p-real2 p-real3
#
# The bridge lives in its own namespace because the root namespace has bridge-nf-call-iptables=1.
# Every LAN node's interface is called lan0, so configs in etc/ name "dev lan0" on any director.
# Whoever holds a VIP on lan0 answers the router's ARP/ND for it (VRRP failover moves it).
#
# Use:   source tests/netns/lib.sh; lab_require_root; lab_up; start_reals; on client curl ...
# lab_up registers lab_down on EXIT/INT/TERM: it stops only the PIDs the lab started (lab_spawn)
# and deletes exactly the namespaces it created. Every wait is bounded.

LAB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_SOURCE_DIR=${HA_SOURCE_DIR:-$(cd "$LAB_LIB_DIR/../.." && pwd)}

# More directors: extend LAB_NODES, LAB_LAN_NODES, LAB_DIRECTORS, LAB_IP4 and LAB_IP6 after
# sourcing and before lab_up (tests/netns/sync_lib.sh: sync_add_dir3).
LAB_NODES=(client router br dir1 dir2 real1 real2 real3)
LAB_LAN_NODES=(router dir1 dir2 real1 real2 real3)
LAB_DIRECTORS=(dir1 dir2)
LAB_REALS=(real1 real2 real3)
LAB_LAN_IF=lan0

declare -gA LAB_IP4=([router]=198.51.100.1 [dir1]=198.51.100.2 [dir2]=198.51.100.3
  [real1]=198.51.100.11 [real2]=198.51.100.12 [real3]=198.51.100.13 [client]=203.0.113.10)
declare -gA LAB_IP6=([router]=fd00:1::1 [dir1]=fd00:1::2 [dir2]=fd00:1::3
  [real1]=fd00:1::11 [real2]=fd00:1::12 [real3]=fd00:1::13 [client]=fd00:c::10)
# shellcheck disable=SC2034  # used by the scripts that source this file
{
  CLIENT4=203.0.113.10 CLIENT6=fd00:c::10
  ROUTER_UP4=203.0.113.1 ROUTER_UP6=fd00:c::1
  ROUTER4=198.51.100.1 ROUTER6=fd00:1::1
  LADDR4=(198.51.100.200 198.51.100.201) LADDR6=(fd00:1::200 fd00:1::201)
  VIP_FNAT4=192.0.2.100 VIP_NAT4=192.0.2.101 VIP_DR4=192.0.2.102 VIP_FNAT6=fd00:2::100
  VIP_TUN4=192.0.2.103 VIP_TUN6=fd00:2::103
}

LAB_PREFIX=${LAB_PREFIX:-}
LAB_STATE_DIR=${LAB_STATE_DIR:-}
LAB_LAST_PID=
LAB_DOWN_HOOKS=()
_LAB_STATE_OWNED=0
_LAB_UP=0

lab_log() { echo "[lab] $*" >&2; }
lab_die() { echo "[lab] FATAL: $*" >&2; exit 1; }

lab_require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: ${0##*/} needs root (network namespaces)"
    exit 77
  fi
  local t
  for t in ip nft sysctl ss curl python3; do
    command -v "$t" >/dev/null || { echo "SKIP: ${0##*/} needs $t"; exit 77; }
  done
}

# Namespace name of a node: ns client -> d1a2b-client
ns() { echo "${LAB_PREFIX}$1"; }
# Run a command in a node's namespace: on dir1 nft list ruleset   ("in" is a bash reserved word)
on() { local node=$1; shift; ip netns exec "${LAB_PREFIX}${node}" "$@"; }

_lab_must() { "$@" || lab_die "failed: $*"; }
_lab_sysctl() { local node=$1; shift; local kv; for kv in "$@"; do on "$node" sysctl -qw "$kv" >/dev/null || lab_die "$node: sysctl $kv"; done; }

_lab_starttime() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; set -- $s; echo "${20}"; }
# Alive, not a zombie, and still the process we recorded (same start time: no PID reuse).
_lab_pid_alive() {
  local pid=$1 start=$2 s
  s=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  s=${s##*) }
  # shellcheck disable=SC2086
  set -- $s
  [ "$1" != Z ] && [ "$1" != X ] && [ "${20}" = "$start" ]
}

# Start a command in a node's namespace in the background and track its PID for lab_down.
# lab_spawn NODE LOGFILE cmd... ; the PID is left in LAB_LAST_PID.
# With LAB_DETACH=1 it runs in its own session (survives the script's terminal: scripts/lab.sh).
lab_spawn() {
  local node=$1 log=$2; shift 2
  local detach=()
  [ "${LAB_DETACH:-0}" = 1 ] && detach=(setsid)
  "${detach[@]}" ip netns exec "$(ns "$node")" "$@" >"$log" 2>&1 </dev/null &
  LAB_LAST_PID=$!
  local start
  start=$(_lab_starttime "$LAB_LAST_PID") || start=0
  echo "$LAB_LAST_PID $start $node $1" >>"$LAB_STATE_DIR/pids"
}

# Stop one tracked PID: SIGNAL (default TERM), wait up to 5 s, then SIGKILL. Returns 0 if it is gone.
lab_stop_pid() {
  local pid=$1 sig=${2:-TERM} start i
  start=$(awk -v p="$pid" '$1 == p {print $2}' "$LAB_STATE_DIR/pids" 2>/dev/null | tail -1)
  [ -n "$start" ] || { lab_log "pid $pid is not one of ours; left alone"; return 1; }
  if _lab_pid_alive "$pid" "$start"; then
    kill "-$sig" "$pid" 2>/dev/null
    for ((i = 0; i < 50; i++)); do _lab_pid_alive "$pid" "$start" || break; sleep 0.1; done
    if _lab_pid_alive "$pid" "$start"; then
      lab_log "pid $pid ignored SIG$sig for 5 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null
      for ((i = 0; i < 20; i++)); do _lab_pid_alive "$pid" "$start" || break; sleep 0.1; done
    fi
  fi
  wait "$pid" 2>/dev/null  # reap it if it is our child (it is dead by now: does not block)
  awk -v p="$pid" '$1 != p' "$LAB_STATE_DIR/pids" >"$LAB_STATE_DIR/pids.new" && mv "$LAB_STATE_DIR/pids.new" "$LAB_STATE_DIR/pids"
  ! _lab_pid_alive "$pid" "$start"
}

# Commands lab_down runs first (e.g. printing logs of a failed test).
lab_on_down() { LAB_DOWN_HOOKS+=("$1"); }

lab_down() {
  [ -n "$LAB_STATE_DIR" ] && [ -d "$LAB_STATE_DIR" ] || return 0
  local h pid start rest n ino
  for h in "${LAB_DOWN_HOOKS[@]}"; do eval "$h" || true; done
  LAB_DOWN_HOOKS=()
  if [ -f "$LAB_STATE_DIR/pids" ]; then
    # SIGTERM all first (directord removes its table and addresses), then wait for each.
    while read -r pid start rest; do
      _lab_pid_alive "$pid" "$start" && kill -TERM "$pid" 2>/dev/null
    done <"$LAB_STATE_DIR/pids"
    while read -r pid start rest; do lab_stop_pid "$pid" >/dev/null 2>&1; done < <(cat "$LAB_STATE_DIR/pids")
  fi
  if [ -f "$LAB_STATE_DIR/namespaces" ]; then
    while read -r n; do
      [ -n "$n" ] && [ -e "/run/netns/$n" ] || continue
      # A directord killed with -9 leaves its runtime directory (lock, state) for its successor;
      # the namespace goes now, so nothing will: remove it with the namespace (ours alone).
      ino=$(stat -L -c %i "/run/netns/$n" 2>/dev/null) || ino=
      [ -n "$ino" ] && [ -d "/run/directord/net-$ino" ] && rm -rf "/run/directord/net-$ino"
      # Likewise the eBPF links it pinned (they detach when the namespace's devices go).
      [ -n "$ino" ] && rm -rf "$LAB_BPFFS/directord/net-$ino" "$LAB_BPFFS/directord-real/net-$ino" "/run/directord-real/net-$ino" 2>/dev/null
      ip netns delete "$n" 2>/dev/null || lab_log "could not delete namespace $n"
    done <"$LAB_STATE_DIR/namespaces"
    rm -f "$LAB_STATE_DIR/namespaces"
  fi
  if [ "$_LAB_STATE_OWNED" = 1 ]; then rm -rf "$LAB_STATE_DIR"; LAB_STATE_DIR=; fi
  _LAB_UP=0
}

_lab_exit_trap() { local rc=$1; trap - EXIT INT TERM; lab_down; exit "$rc"; }
_lab_signal_trap() { local rc=$1; trap - EXIT INT TERM; echo "[lab] interrupted: cleaning up" >&2; lab_down; exit "$rc"; }

# After a successful lab_up, leave the lab running when the script exits (scripts/lab.sh up).
lab_keep() { trap - EXIT INT TERM; }

_lab_link_to_bridge() {  # NODE: veth p-NODE (in br, on br0) <-> lan0 (in NODE)
  local node=$1
  _lab_must ip -n "$(ns br)" link add "p-$node" type veth peer name "$LAB_LAN_IF" netns "$(ns "$node")"
  _lab_must ip -n "$(ns br)" link set "p-$node" master br0 up
  _lab_must ip -n "$(ns "$node")" link set "$LAB_LAN_IF" up
}

_lab_addr() {  # NODE IF ADDR/LEN
  local extra=
  [[ $3 == *:* ]] && extra=nodad
  # shellcheck disable=SC2086
  _lab_must ip -n "$(ns "$1")" addr add "$3" dev "$2" $extra
}

# lab_up [PREFIX]: build the lab. PREFIX defaults to "d<4 random hex>-".
lab_up() {
  local prefix=${1:-} node n
  if [ -z "$prefix" ]; then
    for _ in 1 2 3 4 5; do
      prefix="d$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')-"
      ip netns list | grep -q "^${prefix}" || break
    done
  fi
  LAB_PREFIX=$prefix
  for node in "${LAB_NODES[@]}"; do
    [ -e "/run/netns/$(ns "$node")" ] && lab_die "namespace $(ns "$node") already exists"
  done
  if [ -z "$LAB_STATE_DIR" ]; then
    LAB_STATE_DIR=$(mktemp -d "/tmp/${prefix}lab.XXXXXX")
    _LAB_STATE_OWNED=1
  fi
  mkdir -p "$LAB_STATE_DIR"
  : >"$LAB_STATE_DIR/pids"
  echo "$LAB_PREFIX" >"$LAB_STATE_DIR/prefix"
  trap '_lab_exit_trap $?' EXIT
  trap '_lab_signal_trap 130' INT
  trap '_lab_signal_trap 143' TERM
  _LAB_UP=1

  for node in "${LAB_NODES[@]}"; do
    n=$(ns "$node")
    _lab_must ip netns add "$n"
    echo "$n" >>"$LAB_STATE_DIR/namespaces"
    _lab_must ip -n "$n" link set lo up
    # Before any interface exists, so every interface inherits "default".
    _lab_sysctl "$node" net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
      net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
      net.ipv6.conf.default.accept_ra=0
  done

  # The bridge: no STP, no forward delay, no multicast snooping (ND must reach everyone).
  _lab_must ip -n "$(ns br)" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
  ip -n "$(ns br)" link set br0 type bridge nf_call_iptables 0 nf_call_ip6tables 0 2>/dev/null || true
  _lab_must ip -n "$(ns br)" link set br0 up

  # client <-> router
  _lab_must ip -n "$(ns router)" link add cli0 type veth peer name eth0 netns "$(ns client)"
  _lab_must ip -n "$(ns router)" link set cli0 up
  _lab_must ip -n "$(ns client)" link set eth0 up
  _lab_addr client eth0 203.0.113.10/24
  _lab_addr client eth0 fd00:c::10/64
  _lab_addr router cli0 203.0.113.1/24
  _lab_addr router cli0 fd00:c::1/64
  _lab_must ip -n "$(ns client)" route add default via 203.0.113.1
  _lab_must ip -n "$(ns client)" -6 route add default via fd00:c::1

  for node in "${LAB_LAN_NODES[@]}"; do
    _lab_link_to_bridge "$node"
    _lab_addr "$node" "$LAB_LAN_IF" "${LAB_IP4[$node]}/24"
    _lab_addr "$node" "$LAB_LAN_IF" "${LAB_IP6[$node]}/64"
    if [ "$node" != router ]; then
      _lab_must ip -n "$(ns "$node")" route add default via 198.51.100.1
      _lab_must ip -n "$(ns "$node")" -6 route add default via fd00:1::1
    fi
  done
  # The VIPs are on-link for the router: it ARPs/NDs and whoever holds the VIP answers.
  _lab_must ip -n "$(ns router)" route add 192.0.2.0/24 dev "$LAB_LAN_IF"
  _lab_must ip -n "$(ns router)" -6 route add fd00:2::/64 dev "$LAB_LAN_IF"

  _lab_sysctl router net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  for node in "${LAB_DIRECTORS[@]}"; do
    _lab_sysctl "$node" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
      net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0 \
      "net.ipv4.conf.$LAB_LAN_IF.send_redirects=0"
  done
  _lab_sysctl client net.ipv4.tcp_tw_reuse=1 "net.ipv4.ip_local_port_range=10000 65000"
  lab_bpffs

  lab_check_links || lab_die "lab is not reachable end to end"
  lab_log "up: prefix $LAB_PREFIX (state $LAB_STATE_DIR)"
}

# A bpf filesystem the namespaces see: `ip netns exec` mounts a fresh /sys (no /sys/fs/bpf), so
# eBPF links that directord and directord-real pin to outlive a restart go to a bpffs mounted
# outside /sys in this (the host's) mount namespace. Left mounted: shared by every lab, empty.
LAB_BPFFS=/run/directord-bpffs
lab_bpffs() {
  grep -q " $LAB_BPFFS .* - bpf " /proc/self/mountinfo && return 0
  mkdir -p "$LAB_BPFFS" && mount -t bpf bpf "$LAB_BPFFS" -o mode=0700 || lab_log "cannot mount a bpffs on $LAB_BPFFS: pinned eBPF links will die with their process"
}

# Every node can reach its neighbours (v4 and v6); one bounded ping each.
lab_check_links() {
  local node ok=0
  on client ping -c1 -W2 -q 203.0.113.1 >/dev/null || { lab_log "client -> router (v4) failed"; ok=1; }
  on client ping -6 -c1 -W2 -q fd00:c::1 >/dev/null || { lab_log "client -> router (v6) failed"; ok=1; }
  for node in "${LAB_LAN_NODES[@]}"; do
    [ "$node" = router ] && continue
    on "$node" ping -c1 -W2 -q 198.51.100.1 >/dev/null || { lab_log "$node -> router (v4) failed"; ok=1; }
    on "$node" ping -6 -c1 -W2 -q fd00:1::1 >/dev/null || { lab_log "$node -> router (v6) failed"; ok=1; }
  done
  on client ping -c1 -W2 -q 198.51.100.11 >/dev/null || { lab_log "client -> real1 (routed v4) failed"; ok=1; }
  return $ok
}

# Bounded wait: NODE PROTO(tcp|udp) PORT [SECONDS=5]
lab_wait_listen() {
  local node=$1 proto=$2 port=$3 secs=${4:-5} i flag=-Hltn
  [ "$proto" = udp ] && flag=-Hlun
  for ((i = 0; i < secs * 10; i++)); do
    [ -n "$(on "$node" ss $flag "sport = :$port" 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  lab_log "$node: nothing listens on $proto/$port after ${secs}s"
  return 1
}

# Bounded wait for a command to succeed: lab_wait_for SECONDS cmd...
lab_wait_for() {
  local secs=$1 i; shift
  for ((i = 0; i < secs * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

lab_python() { if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3; fi; }

# Each real serves HTTP on 80 and 8080 and UDP echo on 53, IPv4 and IPv6, every answer being
# "<real> <peer-ip>\n". start_reals [python|nginx] (default: $LAB_REAL_SERVER or python):
#   python  scripts/real_server.py does everything (a few hundred requests/s: functional tests)
#   nginx   nginx (one worker per real) serves HTTP, for benchmarks; real_server.py keeps UDP/53
start_reals() {
  local kind=${1:-${LAB_REAL_SERVER:-python}} r py tcp=80,8080
  py=$(lab_python)
  if [ "$kind" = nginx ]; then
    command -v nginx >/dev/null || lab_die "start_reals nginx: nginx is not installed (scripts/install-deps.sh)"
    tcp=
  fi
  for r in "${LAB_REALS[@]}"; do
    lab_spawn "$r" "$LAB_STATE_DIR/$r.log" "$py" "$LAB_SOURCE_DIR/scripts/real_server.py" --name "$r" --tcp "$tcp" --udp 53
    if [ "$kind" = nginx ]; then
      _lab_nginx_conf "$r" >"$LAB_STATE_DIR/$r-nginx.conf"
      lab_spawn "$r" "$LAB_STATE_DIR/$r-nginx.log" nginx -p "$LAB_STATE_DIR/$r-nginx" -c "$LAB_STATE_DIR/$r-nginx.conf"
    fi
  done
  for r in "${LAB_REALS[@]}"; do
    lab_wait_listen "$r" tcp 80 && lab_wait_listen "$r" tcp 8080 && lab_wait_listen "$r" udp 53 ||
      { cat "$LAB_STATE_DIR/$r"*.log >&2; lab_die "$r did not start"; }
  done
}

_lab_nginx_conf() {
  local r=$1 d="$LAB_STATE_DIR/$1-nginx"
  mkdir -p "$d/logs"
  cat <<EOF
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 600s;
    server {
        listen 80 backlog=4096;
        listen [::]:80 ipv6only=on backlog=4096;
        listen 8080 backlog=4096;
        listen [::]:8080 ipv6only=on backlog=4096;
        default_type text/plain;
        location / { return 200 "$r \$remote_addr\n"; }
    }
}
EOF
}

# DR/TUN reals: the VIP on lo, never answering ARP for it; replies from the VIP leave via the
# router even when a NAT test routes everything else through a director (policy rule).
real_dr_setup() {
  local vips=("$@") r v
  [ ${#vips[@]} -gt 0 ] || vips=("$VIP_DR4")
  for r in "${LAB_REALS[@]}"; do
    _lab_sysctl "$r" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
      "net.ipv4.conf.$LAB_LAN_IF.arp_ignore=1" "net.ipv4.conf.$LAB_LAN_IF.arp_announce=2"
    ip -n "$(ns "$r")" route replace default via 198.51.100.1 table 102
    for v in "${vips[@]}"; do
      _lab_must ip -n "$(ns "$r")" addr add "$v/32" dev lo
      _lab_must ip -n "$(ns "$r")" rule add from "$v" table 102 pref 100
    done
  done
}

# TUN layout: the reals leave the directors' LAN for a subnet of their own behind the router
# (192.0.2.128/25 and fd00:3::/64 on bridge br1, the router's far0 at .129 / fd00:3::1), so a
# director reaches them only through the router: by tunnel. Their interface keeps the name lan0.
#   realN  lan0  192.0.2.13N/25  fd00:3::1N/64  default via 192.0.2.129 / fd00:3::1
TUN_NET4=192.0.2.128/25 TUN_ROUTER4=192.0.2.129 TUN_ROUTER6=fd00:3::1
lab_tun_layout() {
  local r i=1
  _lab_must ip -n "$(ns br)" link add br1 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
  ip -n "$(ns br)" link set br1 type bridge nf_call_iptables 0 nf_call_ip6tables 0 2>/dev/null || true
  _lab_must ip -n "$(ns br)" link set br1 up
  _lab_must ip -n "$(ns router)" link add far0 type veth peer name p-far netns "$(ns br)"
  _lab_must ip -n "$(ns br)" link set p-far master br1 up
  _lab_must ip -n "$(ns router)" link set far0 up
  _lab_addr router far0 "$TUN_ROUTER4/25"
  _lab_addr router far0 "$TUN_ROUTER6/64"
  for r in "${LAB_REALS[@]}"; do
    _lab_must ip -n "$(ns br)" link set "p-$r" master br1
    ip -n "$(ns "$r")" addr flush dev "$LAB_LAN_IF" scope global
    LAB_IP4[$r]=192.0.2.13$i LAB_IP6[$r]=fd00:3::1$i
    _lab_addr "$r" "$LAB_LAN_IF" "${LAB_IP4[$r]}/25"
    _lab_addr "$r" "$LAB_LAN_IF" "${LAB_IP6[$r]}/64"
    _lab_must ip -n "$(ns "$r")" route replace default via "$TUN_ROUTER4"
    _lab_must ip -n "$(ns "$r")" -6 route replace default via "$TUN_ROUTER6"
    i=$((i + 1))
  done
  for r in "${LAB_REALS[@]}"; do
    on "$r" ping -c1 -W2 -q "$TUN_ROUTER4" >/dev/null || lab_die "$r cannot reach the router in the TUN subnet"
  done
}

# TUN reals: `directord-real tun up` (VIP on lo, arp_ignore/arp_announce, decapsulation) in each.
real_tun_setup() {
  local vips=("$@") r args=()
  [ ${#vips[@]} -gt 0 ] || vips=("$VIP_TUN4")
  for v in "${vips[@]}"; do args+=(--vip "$v"); done
  for r in "${LAB_REALS[@]}"; do
    on "$r" "$DIRECTORD_REAL" tun up --device "$LAB_LAN_IF" "${args[@]}" >>"$LAB_STATE_DIR/$r-real.log" 2>&1 ||
      { cat "$LAB_STATE_DIR/$r-real.log" >&2; lab_die "$r: directord-real tun up failed"; }
  done
  lab_on_down real_tun_teardown
}
real_tun_teardown() {
  local r
  for r in "${LAB_REALS[@]}"; do
    [ -e "/run/netns/$(ns "$r")" ] && on "$r" "$DIRECTORD_REAL" tun down >>"$LAB_STATE_DIR/$r-real.log" 2>&1
  done
  return 0
}

# NAT mode: the reals' default routes point at a director (its LAN address, v4 and v6).
reals_route_via_director() {
  local a4=${1:-198.51.100.2} a6=${2:-fd00:1::2} r
  for r in "${LAB_REALS[@]}"; do
    _lab_must ip -n "$(ns "$r")" route replace default via "$a4"
    _lab_must ip -n "$(ns "$r")" -6 route replace default via "$a6"
  done
}

# One HTTP GET from the client (new connection): prints the body. Extra args go to curl.
lab_get() {
  local url=$1; shift
  on client curl -sS -g --max-time 3 --connect-timeout 2 "$@" "$url"
}

# ---- directord helpers -------------------------------------------------------------------------

# Sets DIRECTORD and DIRECTORCTL from HA_BUILD_DIR (ctest) or build/dev. Fails (1) if missing.
ha_find_binaries() {
  local build=${HA_BUILD_DIR:-$LAB_SOURCE_DIR/build/dev}
  DIRECTORD=${DIRECTORD:-$build/director/directord}
  DIRECTORCTL=${DIRECTORCTL:-$build/director/directorctl}
  DIRECTORD_REAL=${DIRECTORD_REAL:-$build/director/directord-real}
  local b
  for b in "$DIRECTORD" "$DIRECTORCTL"; do
    [ -x "$b" ] || { echo "FAIL: binary not found: $b (build first, or set HA_BUILD_DIR)"; return 1; }
  done
}

# directord_start NODE CONFIG SOCKET: start in the background, wait up to 5 s for the admin socket.
# Leaves the PID in DIRECTORD_PID. Returns 1 (after printing its log) if it did not come up.
directord_start() {
  local node=$1 conf=$2 sock=$3 log i
  log="$LAB_STATE_DIR/directord-$node.log"
  rm -f "$sock"
  lab_spawn "$node" "$log" "$DIRECTORD" -f "$conf" -l -n --admin-socket "$sock"
  DIRECTORD_PID=$LAB_LAST_PID
  for ((i = 0; i < ${DIRECTORD_START_TENTHS:-50}; i++)); do  # benches with 10k services wait longer
    [ -S "$sock" ] && return 0
    kill -0 "$DIRECTORD_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "directord in $node did not open $sock within $((${DIRECTORD_START_TENTHS:-50} / 10)) s; its log:" >&2
  tail -n 40 "$log" | sed 's/^/    /' >&2
  LAB_LOGS_SHOWN+=" $log"
  return 1
}

directord_stop() { lab_stop_pid "$1" TERM; }

# Does NODE hold an nft table named directord (any family)?
nft_has_directord_table() { on "$1" nft list tables 2>/dev/null | grep -qw directord; }

# ---- checks ------------------------------------------------------------------------------------
CHECK_FAILS=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; CHECK_FAILS=$((CHECK_FAILS + 1)); }
# check "description" cmd... : PASS/FAIL on the command's status
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
# expect_eq "description" EXPECTED ACTUAL
expect_eq() { if [ "$2" = "$3" ]; then pass "$1 ($3)"; else fail "$1: expected '$2', got '$3'"; fi; }
# End of a test: exit 0 when every check passed.
finish() {
  if [ "$CHECK_FAILS" -eq 0 ]; then echo "RESULT: ${0##*/}: all checks passed"; exit 0; fi
  local log
  for log in "$LAB_STATE_DIR"/directord-*.log; do
    [ -f "$log" ] || continue
    [[ " ${LAB_LOGS_SHOWN:-} " == *" $log "* ]] && continue
    echo "---- last lines of ${log##*/} ----"; tail -n 40 "$log" | sed 's/^/    /'
  done
  echo "RESULT: ${0##*/}: $CHECK_FAILS check(s) failed"; exit 1
}

# Counts of the first word ("realN") of lines on stdin, as "real1=N real2=N real3=N".
count_reals() {
  awk '{c[$1]++} END {printf "real1=%d real2=%d real3=%d", c["real1"], c["real2"], c["real3"]}'
}

# ---- VRRP helpers (tests/netns/test_vrrp_*.sh, bench/failover.sh) ----

# vrrp_state NODE SOCKET [INSTANCE]: the instance's state as `directorctl vrrp` shows it
# (MASTER/BACKUP/FAULT/INIT), or "down" when directord does not answer.
vrrp_state() {
  local node=$1 sock=$2 inst=${3:-VI_1} out
  out=$(on "$node" "$DIRECTORCTL" --admin-socket "$sock" vrrp 2>/dev/null) || { echo down; return; }
  awk -v i="$inst" '$1 == i {print $5; exit}' <<<"$out"
}
# vrrp_transitions NODE SOCKET [INSTANCE]: how many state transitions the instance has made.
vrrp_transitions() {
  local node=$1 sock=$2 inst=${3:-VI_1}
  on "$node" "$DIRECTORCTL" --admin-socket "$sock" vrrp 2>/dev/null | awk -v i="$inst" '$1 == i {print $NF; exit}'
}
# wait_vrrp_state SECONDS NODE SOCKET STATE [INSTANCE]
wait_vrrp_state() {
  local secs=$1 node=$2 sock=$3 want=$4 inst=${5:-VI_1} i
  for ((i = 0; i < secs * 20; i++)); do
    [ "$(vrrp_state "$node" "$sock" "$inst")" = "$want" ] && return 0
    sleep 0.05
  done
  return 1
}
# holds_address NODE ADDR: the address is configured on the node's LAN interface.
# (Reads the whole list first: `ip | grep -q` under pipefail fails when grep exits early.)
holds_address() { local a; a=$(on "$1" ip -o addr show dev "$LAB_LAN_IF") || return 1; grep -q " ${2}/" <<<"$a"; }
# vip_request [ADDR] [PORT]: one HTTP request from the client, prints "<real> <peer>" on success.
vip_request() { on client curl -s --max-time "${CURL_TIMEOUT:-1}" "http://${1:-192.0.2.100}:${2:-80}/"; }
# link_cut NODE / link_restore NODE: the crash drill's "cable pulled" (kill -9 leaves addresses).
link_cut() { on "$1" ip link set "$LAB_LAN_IF" down; }
link_restore() {
  on "$1" ip link set "$LAB_LAN_IF" up
  # Link down flushed the node's IPv6 addresses (keep_addr_on_down=0) and both default routes.
  [ -n "${LAB_IP6[$1]:-}" ] && on "$1" ip -6 addr replace "${LAB_IP6[$1]}/64" dev "$LAB_LAN_IF" 2>/dev/null
  on "$1" ip route replace default via 198.51.100.1 2>/dev/null || true
  on "$1" ip -6 route replace default via fd00:1::1 2>/dev/null || true
}

# ---- keepalived helpers ----
# The real keepalived (VRRP only: -P) as the other member of a virtual router
# (test_vrrp_keepalived.sh). Everything it writes lives in $LAB_STATE_DIR; it never syslogs (-G).

# keepalived_start NODE CONF: keepalived -P in NODE, in the foreground (-n), logging in detail to
# its own file (a new one per start: keepalived-NODE.N.log, the name left in KEEPALIVED_LOG).
# Waits up to 5 s for the VRRP child's pid file. Leaves KEEPALIVED_PID (the parent, tracked by
# lab_spawn) and KEEPALIVED_VRRP_PID (the VRRP child). Returns 1 (after its log) if it did not
# start.
KEEPALIVED_PID=
KEEPALIVED_VRRP_PID=
KEEPALIVED_LOG=
_KEEPALIVED_STARTS=0
keepalived_start() {
  local node=$1 conf=$2 d="$LAB_STATE_DIR/keepalived-$1" i
  KEEPALIVED=${KEEPALIVED:-$(command -v keepalived || echo /usr/sbin/keepalived)}
  mkdir -p "$d"
  rm -f "$d"/*.pid
  _KEEPALIVED_STARTS=$((_KEEPALIVED_STARTS + 1))
  KEEPALIVED_LOG="$LAB_STATE_DIR/keepalived-$node.$_KEEPALIVED_STARTS.log"
  lab_spawn "$node" "$KEEPALIVED_LOG" "$KEEPALIVED" -P -n -l -D -G -f "$conf" \
    -p "$d/keepalived.pid" -r "$d/vrrp.pid" -c "$d/checkers.pid" -b "$d/bfd.pid"
  KEEPALIVED_PID=$LAB_LAST_PID
  KEEPALIVED_VRRP_PID=
  for ((i = 0; i < 50; i++)); do
    if [ -s "$d/vrrp.pid" ]; then
      KEEPALIVED_VRRP_PID=$(cat "$d/vrrp.pid")
      [ -d "/proc/$KEEPALIVED_VRRP_PID" ] && return 0
    fi
    kill -0 "$KEEPALIVED_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "keepalived in $node did not start its VRRP child within 5 s; its log:" >&2
  tail -n 40 "$KEEPALIVED_LOG" | sed 's/^/    /' >&2
  return 1
}

# keepalived_stop: SIGTERM (the VRRP child sends priority 0 and removes the VIPs), both gone in 5 s.
keepalived_stop() {
  local child=$KEEPALIVED_VRRP_PID cstart i
  cstart=$(_lab_starttime "$child" 2>/dev/null) || cstart=
  lab_stop_pid "$KEEPALIVED_PID" TERM || return 1
  for ((i = 0; i < 50; i++)); do
    [ -n "$cstart" ] && _lab_pid_alive "$child" "$cstart" || return 0
    sleep 0.1
  done
  lab_log "keepalived's VRRP child $child outlived its parent"
  return 1
}

# keepalived_crash: kill -9 of the whole daemon, nothing sent. The parent is stopped first so it
# neither respawns the child nor (dying first) lets the child exit gracefully; then the child is
# killed, then the parent. Returns 0 when both are gone (VIPs stay configured, as after a crash).
keepalived_crash() {
  local child=$KEEPALIVED_VRRP_PID cstart i
  cstart=$(_lab_starttime "$child" 2>/dev/null) || cstart=
  kill -STOP "$KEEPALIVED_PID" 2>/dev/null
  [ -n "$cstart" ] && kill -KILL "$child" 2>/dev/null
  lab_stop_pid "$KEEPALIVED_PID" KILL || return 1
  for ((i = 0; i < 50; i++)); do
    [ -n "$cstart" ] && _lab_pid_alive "$child" "$cstart" || return 0
    sleep 0.1
  done
  return 1
}

# keepalived_state [INSTANCE]: MASTER/BACKUP/FAULT from the last "(VI_1) Entering X STATE" of the
# current log, INIT before the first, "down" when the parent is not running.
keepalived_state() {
  local inst=${1:-VI_1} st start
  start=$(awk -v p="$KEEPALIVED_PID" '$1 == p {print $2}' "$LAB_STATE_DIR/pids" | tail -n 1)
  if [ -z "$start" ] || ! _lab_pid_alive "$KEEPALIVED_PID" "$start"; then echo down; return; fi
  st=$(grep -o "(${inst}) Entering [A-Z]* STATE" "$KEEPALIVED_LOG" 2>/dev/null | tail -n 1)
  st=${st#* Entering }
  st=${st% STATE}
  echo "${st:-INIT}"
}
# wait_keepalived_state SECONDS STATE [INSTANCE]
wait_keepalived_state() {
  local secs=$1 want=$2 inst=${3:-VI_1} i
  for ((i = 0; i < secs * 20; i++)); do
    [ "$(keepalived_state "$inst")" = "$want" ] && return 0
    sleep 0.05
  done
  return 1
}
# keepalived_transitions [INSTANCE]: how many states the instance entered since this start.
keepalived_transitions() {
  grep -c "(${1:-VI_1}) Entering [A-Z]* STATE" "$KEEPALIVED_LOG" 2>/dev/null
}
