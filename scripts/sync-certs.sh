#!/usr/bin/env bash
# Throwaway certificates for connection sync (labs, tests, demos): a private CA and one
# certificate per director, usable as TLS server and client (mutual TLS between peers).
#
#   scripts/sync-certs.sh DIR NAME... [--rogue NAME]...
#
#   DIR/ca.pem, DIR/ca.key        the CA (EC P-256, 10 years), created once and then reused
#   DIR/NAME.pem, DIR/NAME.key    CN=NAME, subjectAltName DNS:NAME, extendedKeyUsage
#                                 serverAuth,clientAuth, signed by DIR/ca.pem (10 years)
#   --rogue NAME                  DIR/rogue-NAME.pem + .key: the same shape for NAME but signed by
#                                 another CA (DIR/rogue-ca.pem + .key), for the untrusted-peer test
#
# NAME is what the peer's config calls the node (its global_defs router_id). Idempotent: files
# that exist and still verify against their CA are kept. Quiet unless something fails (exit 1).
set -euo pipefail

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ $# -ge 1 ] || usage
case $1 in -h | --help) usage ;; esac
DIR=$1; shift
NAMES=() ROGUES=()
while [ $# -gt 0 ]; do
  case $1 in
    --rogue) [ $# -ge 2 ] || usage; ROGUES+=("$2"); shift 2 ;;
    -h | --help) usage ;;
    -*) echo "sync-certs: unknown option $1" >&2; usage ;;
    *) NAMES+=("$1"); shift ;;
  esac
done
[ ${#NAMES[@]} -gt 0 ] || [ ${#ROGUES[@]} -gt 0 ] || usage
for n in "${NAMES[@]}" "${ROGUES[@]}"; do
  [[ $n =~ ^[A-Za-z0-9][A-Za-z0-9.-]*$ ]] || { echo "sync-certs: bad name '$n' (letters, digits, . and -)" >&2; exit 2; }
done
command -v openssl >/dev/null || { echo "sync-certs: openssl is not installed" >&2; exit 1; }

mkdir -p "$DIR"
umask 077
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
DAYS=3650
EC=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

quiet() {  # run openssl, show its output only when it fails
  "$@" >"$TMP/out" 2>&1 || { echo "sync-certs: failed: $*" >&2; cat "$TMP/out" >&2; exit 1; }
}

# make_ca BASE CN: BASE.pem + BASE.key unless both exist
make_ca() {
  local base=$1 cn=$2
  [ -s "$base.pem" ] && [ -s "$base.key" ] && return 0
  quiet openssl req -x509 "${EC[@]}" -keyout "$base.key.new" -out "$base.pem.new" -days "$DAYS" \
    -subj "/CN=$cn" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash"
  mv "$base.key.new" "$base.key"
  mv "$base.pem.new" "$base.pem"
}

# make_leaf CA-BASE OUT-BASE NAME: OUT-BASE.pem + .key for NAME unless they exist and verify
make_leaf() {
  local ca=$1 out=$2 name=$3
  if [ -s "$out.pem" ] && [ -s "$out.key" ] &&
    openssl verify -CAfile "$ca.pem" -purpose sslclient "$out.pem" >/dev/null 2>&1 &&
    openssl verify -CAfile "$ca.pem" -purpose sslserver "$out.pem" >/dev/null 2>&1; then
    return 0
  fi
  cat >"$TMP/ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:$name
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EOF
  quiet openssl req -new "${EC[@]}" -keyout "$out.key.new" -out "$TMP/csr" -subj "/CN=$name"
  quiet openssl x509 -req -in "$TMP/csr" -CA "$ca.pem" -CAkey "$ca.key" \
    -set_serial "0x$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" \
    -days "$DAYS" -sha256 -extfile "$TMP/ext" -out "$out.pem.new"
  mv "$out.key.new" "$out.key"
  mv "$out.pem.new" "$out.pem"
}

if [ ${#NAMES[@]} -gt 0 ]; then
  make_ca "$DIR/ca" "directord sync test CA"
  for n in "${NAMES[@]}"; do make_leaf "$DIR/ca" "$DIR/$n" "$n"; done
fi
if [ ${#ROGUES[@]} -gt 0 ]; then
  make_ca "$DIR/rogue-ca" "directord sync ROGUE CA"
  for n in "${ROGUES[@]}"; do make_leaf "$DIR/rogue-ca" "$DIR/rogue-$n" "$n"; done
fi
# Private keys readable by the owner only; certificates by everyone.
chmod 644 "$DIR"/*.pem 2>/dev/null || true
