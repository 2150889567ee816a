#!/usr/bin/env bash
# FTP through the director (etc/lab-ftp.conf in dir1), as ip_vs_ftp gives keepalived: Debian's
# vsftpd on real1 and real2 (own config in the lab's state dir, anonymous read, listening on the
# real's addresses), curl on the client. The router drops everything between the client and the
# reals' own addresses, so a data connection works only if the director NATs it. Through NAT :21,
# NAT :2121 (`ftp_helper on`), FULLNAT :21 and IPv6 FULLNAT :21: passive (EPSV, and PASV with the
# 227 address used, which must be the VIP) and active (EPRT, and PORT, which the real must see
# rewritten to the local address under FULLNAT); two downloads each, one from each real, checked
# by content. The control `ftp_helper off` on :2100 must fail. Related data flows carry the
# service's ct mark. A DR service asking for the helper is refused with file:line, and a SIGHUP
# with it changes nothing; reloads remove and re-create the ct helper object in the kernel.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
command -v vsftpd >/dev/null || { echo "SKIP: ${0##*/} needs vsftpd (scripts/install-deps.sh)"; exit 77; }
command -v conntrack >/dev/null || { echo "SKIP: ${0##*/} needs conntrack"; exit 77; }
ha_find_binaries || exit 1
lab_up
reals_route_via_director 198.51.100.2 fd00:1::2
FTP_REALS=(real1 real2)

# ---- vsftpd on the reals: one instance per address family, each in its own chroot ----
D=$LAB_STATE_DIR
chmod 755 "$D"  # vsftpd drops to the ftp user, who must reach the anon root
declare -A CONTENT
vsftpd_conf() {  # REAL FAMILY(4|6)
  local r=$1 f=$2 listen
  if [ "$f" = 4 ]; then
    listen="listen=YES
listen_ipv6=NO
listen_address=${LAB_IP4[$r]}"
  else
    listen="listen=NO
listen_ipv6=YES
listen_address6=${LAB_IP6[$r]}"
  fi
  cat <<EOF
$listen
listen_port=21
background=NO
anonymous_enable=YES
local_enable=NO
write_enable=NO
no_anon_password=YES
anon_root=$D/ftp-$r/root
secure_chroot_dir=$D/ftp-$r/empty
pasv_enable=YES
pasv_min_port=40000
pasv_max_port=40999
port_enable=YES
connect_from_port_20=NO
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
xferlog_enable=YES
xferlog_std_format=NO
log_ftp_protocol=YES
syslog_enable=NO
vsftpd_log_file=$D/ftp-$r/vsftpd$f.log
EOF
}
for r in "${FTP_REALS[@]}"; do
  mkdir -p "$D/ftp-$r/root" "$D/ftp-$r/empty"
  chmod 755 "$D/ftp-$r" "$D/ftp-$r/root" "$D/ftp-$r/empty"
  CONTENT[$r]="$r $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  echo "${CONTENT[$r]}" >"$D/ftp-$r/root/file.txt"
  chmod 644 "$D/ftp-$r/root/file.txt"
  for f in 4 6; do
    vsftpd_conf "$r" "$f" >"$D/ftp-$r/vsftpd$f.conf"
    lab_spawn "$r" "$D/ftp-$r/stdout$f.log" vsftpd "$D/ftp-$r/vsftpd$f.conf"
  done
done
for r in "${FTP_REALS[@]}"; do
  lab_wait_for 5 on "$r" sh -c "ss -Hltn 'sport = :21' | grep -q '${LAB_IP4[$r]}:21'" &&
    lab_wait_for 5 on "$r" sh -c "ss -Hltn 'sport = :21' | grep -q '${LAB_IP6[$r]}\]:21'" ||
    { cat "$D/ftp-$r"/*.log >&2; lab_die "vsftpd did not start on $r"; }
done

# ---- the reals are private: the router forwards nothing between them and the client ----
on router nft -f - <<'EOF' || lab_die "router isolation rules"
table inet ftplab {
  chain forward {
    type filter hook forward priority filter; policy accept;
    ip saddr 203.0.113.10 ip daddr { 198.51.100.11, 198.51.100.12 } drop
    ip daddr 203.0.113.10 ip saddr { 198.51.100.11, 198.51.100.12 } drop
    ip6 saddr fd00:c::10 ip6 daddr { fd00:1::11, fd00:1::12 } drop
    ip6 daddr fd00:c::10 ip6 saddr { fd00:1::11, fd00:1::12 } drop
  }
}
EOF
check "the router drops client -> real1 (v4)" bash -c "! on client curl -s --max-time 2 ftp://198.51.100.11/file.txt >/dev/null" 2>/dev/null

# ---- a DR service asking for the helper is refused with file:line ----
CONF="$LAB_SOURCE_DIR/etc/lab-ftp.conf"
BAD="$D/ftp-bad.conf"
{
  cat "$CONF"
  printf 'static_ipaddress {\n    192.0.2.102/32 dev lan0\n}\n'
  printf 'virtual_server 192.0.2.102 21 {\n    lb_algo sh\n    lb_kind DR\n    ftp_helper on\n}\n'
} >"$BAD"
bad_line=$(($(wc -l <"$CONF") + 7))
out=$("$DIRECTORD" -t -f "$BAD" 2>&1); rc=$?
sed 's/^/    /' <<<"$out"
check "directord -t refuses ftp_helper on a DR service (exit 2)" test "$rc" -eq 2
check "the refusal names $BAD:$bad_line and the reason" \
  grep -qF "$BAD:$bad_line: error: virtual_server TCP 192.0.2.102:21: ftp_helper needs lb_kind NAT or FNAT" <<<"$out"
expect_eq "it is the only error" 1 "$(grep -c ': error: ' <<<"$out")"

SOCK="$D/dir1.sock"
LIVE="$D/live.conf"  # a copy of $CONF, replaced by the bad one for the SIGHUP at the end
cp "$CONF" "$LIVE"
directord_start dir1 "$LIVE" "$SOCK" || { fail "directord starts with $CONF"; finish; }
pass "directord started in dir1 (pid $DIRECTORD_PID)"
check "dir1 holds the VIPs (within 5 s)" lab_wait_for 5 on dir1 sh -c 'ip -o addr show dev lan0 | grep -q "inet 192.0.2.101/" && ip -o addr show dev lan0 | grep -q "inet6 fd00:2::100/"'

ruleset=$(on dir1 nft list table inet directord 2>&1)
check "the table holds ct helper \"ftp\" (type ftp, tcp)" \
  bash -c 'grep -q "ct helper ftp {" <<<"$1" && grep -q "type \"ftp\" protocol tcp" <<<"$1"' _ "$ruleset"
check "FTP class chains set the helper" grep -q 'ct helper set "ftp"' <<<"$ruleset"

# ftp_get LABEL URL EXPECT(ok|fail) [curl args]: two downloads; ok = one from each real, by content.
ftp_get() {
  local label=$1 url=$2 expect=$3 i body rc got=()
  shift 3
  for i in 1 2; do
    body=$(on client curl -sS -g --max-time 5 --connect-timeout 2 "$@" "$url" 2>&1); rc=$?
    if [ "$expect" = fail ]; then
      check "$label: download $i fails without the helper (curl exit $rc)" test "$rc" -ne 0
      continue
    fi
    [ "$rc" -eq 0 ] || { fail "$label: download $i: curl exit $rc: $body"; continue; }
    if [ "$body" = "${CONTENT[real1]}" ]; then got+=(real1)
    elif [ "$body" = "${CONTENT[real2]}" ]; then got+=(real2)
    else fail "$label: download $i: unexpected content '$body'"; fi
  done
  [ "$expect" = ok ] || return 0
  expect_eq "$label: one file from each real, contents intact" "real1 real2" "$(printf '%s\n' "${got[@]}" | sort | tr '\n' ' ' | sed 's/ $//')"
}

for svc in "NAT 192.0.2.101:21|ftp://192.0.2.101/file.txt" \
  "NAT 192.0.2.101:2121 (ftp_helper on)|ftp://192.0.2.101:2121/file.txt" \
  "FULLNAT 192.0.2.100:21|ftp://192.0.2.100/file.txt" \
  "FULLNAT [fd00:2::100]:21|ftp://[fd00:2::100]/file.txt"; do
  name=${svc%%|*} url=${svc#*|}
  echo "== $name"
  ftp_get "$name passive EPSV" "$url" ok
  ftp_get "$name active EPRT" "$url" ok -P -
  if [[ $url != *"[fd00"* ]]; then
    ftp_get "$name passive PASV (227 address used)" "$url" ok --disable-epsv --no-ftp-skip-pasv-ip
    ftp_get "$name active PORT" "$url" ok -P - --disable-eprt
  fi
done

echo "== 227 replies and PORT commands are rewritten"
pasv=$(on client curl -sS -v --max-time 5 --disable-epsv --no-ftp-skip-pasv-ip ftp://192.0.2.100/file.txt 2>&1)
check "FULLNAT: the client sees the VIP in 227 (real said 198,51,100,1x)" grep -q "227 .*(192,0,2,100," <<<"$pasv"
pasv=$(on client curl -sS -v --max-time 5 --disable-epsv --no-ftp-skip-pasv-ip ftp://192.0.2.101/file.txt 2>&1)
check "NAT: the client sees the VIP in 227" grep -q "227 .*(192,0,2,101," <<<"$pasv"
ports=$(cat "$D"/ftp-real*/vsftpd4.log 2>/dev/null | grep -o '"PORT [0-9,]*"' | sort -u)
sed 's/^/    /' <<<"$ports"
check "NAT: the reals got PORT with the client's own address" grep -q '"PORT 203,0,113,10,' <<<"$ports"
check "FULLNAT: the reals got PORT rewritten to the local address 198.51.100.200" grep -q '"PORT 198,51,100,200,' <<<"$ports"
check "no real got PORT with an address it cannot reach" test -z "$(grep -v -e '"PORT 203,0,113,10,' -e '"PORT 198,51,100,200,' <<<"$ports")"

echo "== the control: ftp_helper off"
ftp_get "NAT 192.0.2.101:2100 (ftp_helper off) passive" ftp://192.0.2.101:2100/file.txt fail
ftp_get "NAT 192.0.2.101:2100 (ftp_helper off) active" ftp://192.0.2.101:2100/file.txt fail -P -

echo "== conntrack on dir1: data flows are related to their control flow and keep its mark"
ct=$(on dir1 conntrack -L -p tcp 2>/dev/null)
mark_of() {  # the mark of the control flow to VIP:PORT
  awk -v d="dst=$1" -v p="dport=$2" '$0 ~ d" " && $0 ~ " "p" " {for (i = 1; i <= NF; i++) if ($i ~ /^mark=/) {print substr($i, 6); exit}}' <<<"$ct"
}
for vp in "192.0.2.101 21" "192.0.2.100 21"; do
  set -- $vp
  m=$(mark_of "$1" "$2")
  check "control flows to $1:$2 carry the ftp helper and mark $m" \
    bash -c 'grep -E "dst=$1 .*dport=$2 .*helper=ftp" <<<"$3" | grep -q "mark=$4 "' _ "$1" "$2" "$ct" "$m"
  data=$(grep "mark=$m " <<<"$ct" | grep -v "dport=$2 " | grep -c .)
  check "data flows of $1:$2 (passive and active) carry the same mark ($data)" test "$data" -ge 8
done

echo "== SIGHUP with ftp_helper on a DR service: refused, the ruleset unchanged"
before=$(on dir1 nft list table inet directord 2>&1)
cp "$BAD" "$LIVE"
kill -HUP "$DIRECTORD_PID"
check "directord logs the refusal with file:line" lab_wait_for 5 grep -qF "live.conf:$bad_line" "$D/directord-dir1.log"
check "directord still running" kill -0 "$DIRECTORD_PID"
expect_eq "nft table unchanged" "$(md5sum <<<"$before")" "$(md5sum <<<"$(on dir1 nft list table inet directord 2>&1)")"
ftp_get "after the refused reload: NAT 192.0.2.101:21 passive" ftp://192.0.2.101/file.txt ok

echo "== SIGHUP without FTP services: the ct helper object goes; with them again: it returns"
helper_installed() { local t; t=$(on dir1 nft list table inet directord 2>/dev/null) && grep -q "ct helper ftp {" <<<"$t"; }
helper_gone() { local t; t=$(on dir1 nft list table inet directord 2>/dev/null) && ! grep -q "ct helper" <<<"$t"; }
cp "$LAB_SOURCE_DIR/etc/lab-nat.conf" "$LIVE"
kill -HUP "$DIRECTORD_PID"
check "reload to etc/lab-nat.conf removes ct helper ftp (within 5 s)" lab_wait_for 5 helper_gone
cp "$CONF" "$LIVE"
kill -HUP "$DIRECTORD_PID"
check "reload back to $CONF installs it again (within 5 s)" lab_wait_for 5 helper_installed
ftp_get "after the reloads: FULLNAT 192.0.2.100:21 active PORT" ftp://192.0.2.100/file.txt ok -P - --disable-eprt

check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
check "no directord nft table left in dir1 (and so no ct helper)" bash -c "! ip netns exec $(ns dir1) nft list tables | grep -qw directord"
finish
