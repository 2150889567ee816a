#!/usr/bin/env bash
# The netns lab for people: scripts/lab.sh up|down|status|exec NODE CMD...
#
#   client ── router ══ br ══ dir1 dir2 real1 real2 real3      (namespaces "dlab-<node>")
#
# up      creates the lab (tests/netns/lib.sh) and starts the real servers (HTTP on 80/8080,
#         UDP echo on 53; each answers "<real> <address it saw>"). Options:
#           --dr    reals hold the DR VIP 192.0.2.102 on lo (arp_ignore/arp_announce)
#           --nat   reals route via dir1 (for lb_kind NAT)
#           --tun   reals move to a subnet of their own behind the router (192.0.2.128/25,
#                   fd00:3::/64) and take the TUN VIPs 192.0.2.103 / fd00:2::103 by tunnel
#                   (directord-real tun up); then run etc/lab-tun.conf with -i dir1 / -i dir2
# down    stops what `up` (or `scripts/demo.sh --keep`) started and deletes its namespaces.
# status  lists the lab's namespaces, processes and addresses.
# exec    runs a command in a node:  scripts/lab.sh exec client curl http://192.0.2.100/
#
# Then, e.g.:  ip netns exec dlab-dir1 build/release/director/directord -f etc/lab-fullnat.conf -l -n \
#                  --admin-socket /run/dlab/dir1.sock &
# Only one such lab at a time (fixed prefix); tests use random prefixes and never collide with it.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export HA_SOURCE_DIR=${HA_SOURCE_DIR:-$(cd "$HERE/.." && pwd)}
LAB_STATE_DIR=/run/dlab
source "$HA_SOURCE_DIR/tests/netns/lib.sh"
PREFIX=dlab-

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

cmd=${1:-}; shift || true
case "$cmd" in
  up)
    dr=0 nat=0 tun=0
    for a in "$@"; do
      case "$a" in --dr) dr=1 ;; --nat) nat=1 ;; --tun) tun=1 ;; *) usage 2 ;; esac
    done
    if [ "$tun" = 1 ]; then ha_find_binaries || exit 1; fi
    [ "$(id -u)" -eq 0 ] || { echo "lab.sh: needs root" >&2; exit 1; }
    if [ -s "$LAB_STATE_DIR/namespaces" ]; then
      echo "lab.sh: a lab is already up (state in $LAB_STATE_DIR); run: $0 down" >&2; exit 1
    fi
    LAB_DETACH=1   # reals survive this script and its terminal
    lab_up "$PREFIX"
    start_reals
    [ "$dr" = 1 ] && real_dr_setup "$VIP_DR4"
    [ "$nat" = 1 ] && reals_route_via_director 198.51.100.2 fd00:1::2
    if [ "$tun" = 1 ]; then
      lab_tun_layout
      real_tun_setup "$VIP_TUN4" "$VIP_TUN6"
    fi
    lab_keep
    echo "lab up: namespaces $(printf "$PREFIX%s " "${LAB_NODES[@]}")"
    echo "  client 203.0.113.10 fd00:c::10 -> router -> LAN 198.51.100.0/24 fd00:1::/64 (lan0 everywhere)"
    echo "  dir1 198.51.100.2  dir2 198.51.100.3  real1..3 198.51.100.11..13  VIPs 192.0.2.0/24 fd00:2::/64"
    [ "$tun" = 1 ] && echo "  TUN layout: real1..3 at 192.0.2.131..133 (fd00:3::11..13) behind the router's far0; directord -i dir1 -f etc/lab-tun.conf"
    echo "  try: $0 exec client curl -s http://${LAB_IP4[real1]}/      state: $LAB_STATE_DIR"
    ;;
  down)
    if [ ! -d "$LAB_STATE_DIR" ]; then
      echo "lab.sh: no lab state in $LAB_STATE_DIR; nothing to do"
      left=$(ip netns list | awk '{print $1}' | grep "^$PREFIX" || true)
      [ -n "$left" ] && echo "lab.sh: namespaces with prefix $PREFIX exist but were not recorded by lab.sh: $left (remove with: ip netns delete NAME)"
      exit 0
    fi
    LAB_PREFIX=$(cat "$LAB_STATE_DIR/prefix" 2>/dev/null || echo "$PREFIX")
    _LAB_STATE_OWNED=1
    lab_down
    echo "lab down"
    ;;
  status)
    if [ ! -s "$LAB_STATE_DIR/namespaces" ]; then echo "no lab up (no state in $LAB_STATE_DIR)"; exit 0; fi
    LAB_PREFIX=$(cat "$LAB_STATE_DIR/prefix")
    echo "namespaces:"
    while read -r n; do
      if [ -e "/run/netns/$n" ]; then
        echo "  $n"
        ip -n "$n" -br addr show | grep -v '^lo ' | sed 's/^/      /'
      else
        echo "  $n (missing)"
      fi
    done <"$LAB_STATE_DIR/namespaces"
    echo "processes:"
    while read -r pid start node what; do
      if _lab_pid_alive "$pid" "$start"; then st=running; else st=gone; fi
      echo "  $pid $node $what ($st)"
    done <"$LAB_STATE_DIR/pids"
    ;;
  exec)
    [ $# -ge 2 ] || usage 2
    [ -s "$LAB_STATE_DIR/prefix" ] || { echo "lab.sh: no lab up" >&2; exit 1; }
    LAB_PREFIX=$(cat "$LAB_STATE_DIR/prefix")
    on "$@"
    ;;
  -h|--help|help) usage 0 ;;
  *) usage 2 ;;
esac
