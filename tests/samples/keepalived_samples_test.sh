#!/usr/bin/env bash
# Debian's keepalived sample configs (/usr/share/doc/keepalived/samples, package keepalived) through
# `directord --config-test`: each one loads, or is refused for its named reason. Every sample that
# keepalived 2.2.7 itself accepts must load, unless the reason below says why not:
#   - SSL_GET: IPsec AH VRRP authentication (RFC 2338, dropped by RFC 3768) is refused on purpose
#     (keepalived 2.2.7 refuses this sample too, for its interface);
#   - scripts that do not exist on this machine (/usr/local/bin/...): keepalived -t accepts them
#     and disables them at run time (a checker that never runs leaves its real up); directord
#     refuses the config instead. With the scripts present they load: checked below by pointing
#     them at /bin/true.
# Usage: keepalived_samples_test.sh DIRECTORD [SAMPLES_DIR]
set -uo pipefail
DIRECTORD=${1:?directord binary}
SAMPLES=${2:-/usr/share/doc/keepalived/samples}
if [ ! -d "$SAMPLES" ]; then
  echo "SKIP: no keepalived samples at $SAMPLES (scripts/install-deps.sh installs keepalived)"
  exit 77
fi
TMP=$(mktemp -d /tmp/ha-samples.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
FAILS=0

# sample  expected: "ok", or "refused:<text in the first error>"
expect() {
  local name=$1 want=$2 file out rc first
  file="$SAMPLES/keepalived.conf.$name"
  [ -f "$file" ] || { echo "MISSING: $name"; FAILS=$((FAILS + 1)); return; }
  [ -n "${3:-}" ] && { sed -e "$3" "$file" >"$TMP/$name"; file="$TMP/$name"; }
  out=$("$DIRECTORD" --config-test -f "$file" 2>&1); rc=$?
  first=$(grep -m1 ': error: ' <<<"$out" | sed 's/^[^ ]*: error: //')
  if [ "$want" = ok ]; then
    if [ "$rc" -eq 0 ]; then echo "PASS: $name loads${3:+ (scripts -> /bin/true)}"; return; fi
    echo "FAIL: $name should load; got: $first"
  else
    if [ "$rc" -ne 0 ] && grep -qF -- "${want#refused:}" <<<"$first"; then
      echo "PASS: $name refused: $first"; return
    fi
    echo "FAIL: $name should be refused with '${want#refused:}'; rc $rc, first error: $first"
  fi
  FAILS=$((FAILS + 1))
}

TRUE_SCRIPTS='s#/usr/local/[a-z]*/[A-Za-z0-9_.-]*#/bin/true#g'
expect HTTP_GET.port ok
expect IPv6 ok
expect PING_CHECK ok
expect SMTP_CHECK ok
expect SSL_GET "refused:auth_type AH not supported"
expect UDP_CHECK ok
expect fwmark ok
expect inhibit ok
expect misc_check "refused:/usr/local/bin/script.sh: no such file"
expect misc_check ok "$TRUE_SCRIPTS"
expect misc_check_arg "refused:/usr/local/bin/script.sh: no such file"
expect misc_check_arg ok "$TRUE_SCRIPTS"
expect quorum "refused:no such file"
expect quorum ok "$TRUE_SCRIPTS"
expect sample ok
expect status_code ok
expect track_interface ok
expect virtual_server_group ok
expect virtualhost ok
expect vrrp.scripts "refused:no such file"
expect vrrp.scripts ok "$TRUE_SCRIPTS"
expect vrrp.static_ipaddress ok
# keepalived 2.2.7 refuses these itself (keepalived -t exits 5):
expect conditional_conf "refused:has no 'script"  # no @high/@low line is this host's
expect vrrp "refused:listed twice"
expect vrrp.localcheck "refused:a relative path"
expect vrrp.lvs_syncd "refused:VI_2"
expect vrrp.routes "refused:multipath"
expect vrrp.rules "refused:192.168.100./24"
expect vrrp.sync "refused:no such file"
[ "$FAILS" -eq 0 ] && echo "RESULT: all samples as expected" || echo "RESULT: $FAILS sample(s) not as expected"
exit $((FAILS != 0))
